/* Errors printed as opa prints them: the list, filling it, and opa's two presentations
 * (see cli_errors.h). */
#include "cli_errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/value.h"

void cli_errors_add(cli_errors *e, const char *code, const char *msg, const char *file, int row,
                    int col, const char *src_line)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        cli_error *g = realloc(e->items, cap * sizeof *g);
        if (!g) return;
        e->items = g;
        e->cap = cap;
    }
    cli_error x = {strdup(code ? code : ""),
                   strdup(msg ? msg : ""),
                   strdup(file ? file : ""),
                   row,
                   col,
                   src_line ? strdup(src_line) : NULL};
    if (!x.code || !x.msg || !x.file || (src_line && !x.src_line)) {
        free(x.code);
        free(x.msg);
        free(x.file);
        free(x.src_line);
        return;
    }
    e->items[e->n++] = x;
}

void cli_errors_add_lines(cli_errors *e, const char *text)
{
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        char *one = n ? strndup(line, n) : NULL;
        if (one) cli_errors_add(e, "", one, "", 0, 0, NULL);
        free(one);
        line = nl ? nl + 1 : NULL;
    }
}

void cli_errors_add_diags(cli_errors *e, const gh_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        const gh_diag *g = &d->items[i];
        bool parse = strcmp(g->code, "rego_parse_error") == 0;
        cli_errors_add(e, g->code, g->msg, g->file, g->line, g->col, parse ? g->src_line : NULL);
    }
}

void cli_errors_free(cli_errors *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->items[i].code);
        free(e->items[i].msg);
        free(e->items[i].file);
        free(e->items[i].src_line);
    }
    free(e->items);
    *e = (cli_errors){0};
}

void cli_errors_json_string(gh_buf *b, const char *s)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    const gh_value *v = gh_value_string(&a, s, strlen(s));
    if (v) gh_json_write(b, v, GH_JSON_ESCAPE_HTML);
    gh_arena_free(&a);
}

/* opa's text for one error (ast.Error.Error): "file:row: code: msg" ("row:col: ..." without
 * a file, nothing without a location), then for parse errors the source line and a caret
 * under the column, the line's leading tabs dropped so that the caret lines up. */
static void error_text(gh_buf *b, const cli_error *x)
{
    if (x->file[0])
        gh_buf_printf(b, "%s:%d: ", x->file, x->row);
    else if (x->row)
        gh_buf_printf(b, "%d:%d: ", x->row, x->col);
    if (x->code[0]) gh_buf_printf(b, "%s: ", x->code);
    gh_buf_puts(b, x->msg);
    if (x->src_line) {
        const char *line = x->src_line;
        int tabs = 0;
        while (line[tabs] == '\t')
            tabs++;
        int indent = x->col - 1 - tabs;
        gh_buf_printf(b, "\n\t%s\n\t%*s^", line + tabs, indent > 0 ? indent : 0, "");
    }
}

/* {"errors": [{"message", "code", "location": {"file", "row", "col"}}]}, indented as Go's
 * json.MarshalIndent; "code" left out when empty, "location" when unknown. */
static void put_json(gh_buf *b, const cli_errors *e)
{
    gh_buf_puts(b, "{\n  \"errors\": [\n");
    for (size_t i = 0; i < e->n; i++) {
        const cli_error *x = &e->items[i];
        gh_buf_puts(b, "    {\n      \"message\": ");
        cli_errors_json_string(b, x->msg);
        if (x->code[0]) {
            gh_buf_puts(b, ",\n      \"code\": ");
            cli_errors_json_string(b, x->code);
        }
        if (x->row > 0 || x->file[0]) {
            gh_buf_puts(b, ",\n      \"location\": {\n        \"file\": ");
            cli_errors_json_string(b, x->file);
            gh_buf_printf(b, ",\n        \"row\": %d,\n        \"col\": %d\n      }", x->row,
                          x->col);
        }
        gh_buf_printf(b, "\n    }%s\n", i + 1 < e->n ? "," : "");
    }
    gh_buf_puts(b, "  ]\n}\n");
}

static void put_pretty(gh_buf *b, const cli_errors *e)
{
    if (e->n == 1)
        gh_buf_puts(b, "1 error occurred: ");
    else
        gh_buf_printf(b, "%zu errors occurred:\n", e->n);
    for (size_t i = 0; i < e->n; i++) {
        if (i) gh_buf_putc(b, '\n');
        error_text(b, &e->items[i]);
    }
    gh_buf_putc(b, '\n');
}

void cli_errors_print(const cli_errors *e, bool json)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    if (json)
        put_json(&b, e);
    else
        put_pretty(&b, e);
    if (b.data) fputs(b.data, json ? stdout : stderr);
    gh_buf_free(&b);
}
