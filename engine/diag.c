/* Diagnostics list and its OPA-like text rendering. */
#include "gatehouse/diag.h"
#include "gatehouse/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIAG_DEFAULT_MAX 100
#define DIAG_LINE_MAX    200 /* longer source lines are cut for display */

void gh_diags_init(gh_diags *d)
{
    memset(d, 0, sizeof *d);
}

void gh_diags_free(gh_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->items[i].file);
        free(d->items[i].msg);
        free(d->items[i].src_line);
    }
    free(d->items);
    size_t max = d->max;
    gh_diags_init(d);
    d->max = max;
}

static char *copy_line(const char *src, size_t len, int line)
{
    if (!src || line < 1) return NULL;
    size_t i = 0;
    for (int l = 1; l < line && i < len; i++)
        if (src[i] == '\n') l++;
    if (i > len) return NULL;
    size_t end = i;
    while (end < len && src[end] != '\n' && end - i < DIAG_LINE_MAX) end++;
    if (end > i && src[end - 1] == '\r') end--;
    char *s = malloc(end - i + 1);
    if (!s) return NULL;
    memcpy(s, src + i, end - i);
    s[end - i] = '\0';
    return s;
}

int gh_diags_add(gh_diags *d, const char *file, const char *src, size_t len, int line, int col,
                 const char *code, const char *fmt, ...)
{
    size_t max = d->max ? d->max : DIAG_DEFAULT_MAX;
    if (d->n >= max) {
        d->dropped++;
        return 0;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        gh_diag *items = realloc(d->items, cap * sizeof *items);
        if (!items) return GH_ENOMEM;
        d->items = items;
        d->cap = cap;
    }
    gh_diag *g = &d->items[d->n];
    memset(g, 0, sizeof *g);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    g->msg = malloc(n > 0 ? (size_t)n + 1 : 1);
    g->file = strdup(file ? file : "");
    if (!g->msg || !g->file) {
        free(g->msg);
        free(g->file);
        return GH_ENOMEM;
    }
    va_start(ap, fmt);
    vsnprintf(g->msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    g->line = line;
    g->col = col;
    g->code = code;
    g->src_line = copy_line(src, len, line);
    d->n++;
    return 0;
}

void gh_diag_format_short(const gh_diag *g, gh_buf *out)
{
    if (g->line > 0 && g->col > 0)
        gh_buf_printf(out, "%s:%d:%d: %s: %s", g->file, g->line, g->col, g->code, g->msg);
    else if (g->line > 0)
        gh_buf_printf(out, "%s:%d: %s: %s", g->file, g->line, g->code, g->msg);
    else
        gh_buf_printf(out, "%s: %s: %s", g->file, g->code, g->msg);
}

/* The caret goes under the column; tabs in the source are copied so it lines up. */
static void format_caret(const gh_diag *g, gh_buf *out)
{
    gh_buf_printf(out, "\t%s\n\t", g->src_line);
    size_t n = strlen(g->src_line);
    for (int i = 1; i < g->col; i++) {
        size_t k = (size_t)(i - 1);
        gh_buf_putc(out, k < n && g->src_line[k] == '\t' ? '\t' : ' ');
    }
    gh_buf_puts(out, "^\n");
}

void gh_diags_format(const gh_diags *d, gh_buf *out)
{
    for (size_t i = 0; i < d->n; i++) {
        const gh_diag *g = &d->items[i];
        gh_diag_format_short(g, out);
        gh_buf_putc(out, '\n');
        if (g->src_line && g->col > 0) format_caret(g, out);
    }
    if (d->dropped) gh_buf_printf(out, "(%zu more errors not shown)\n", d->dropped);
}
