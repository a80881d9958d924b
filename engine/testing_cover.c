/* Coverage reports for the policy-test harness: the lines OPA counts in a module (rule
 * heads, body expressions), matched against the lines the VM ran, as OPA's cover.Report. */
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "gatehouse/error.h"
#include "gatehouse/testing.h"
#include "parse.h"

void gh_cover_free(gh_cover *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->files[i].file);
        free(c->files[i].hit);
    }
    free(c->files);
    memset(c, 0, sizeof *c);
}

/* ---- the lines OPA counts ---- */

typedef struct lines {
    uint8_t *on; /* on[row]: a rule head or an expression starts on that row */
    int n;
} lines;

static void mark(lines *l, const gh_loc *loc)
{
    if (loc->file && loc->file[0] && loc->line > 0 && loc->line < l->n) l->on[loc->line] = 1;
}

static void walk_body(lines *l, const gh_body *b);

static void walk_term(lines *l, const gh_term *t)
{
    if (!t) return;
    switch (t->kind) {
    case GH_TERM_REF:
    case GH_TERM_ARRAY:
    case GH_TERM_SET:
    case GH_TERM_CALL:
        for (size_t i = 0; i < t->u.list.n; i++)
            walk_term(l, t->u.list.items[i]);
        break;
    case GH_TERM_OBJECT:
        for (size_t i = 0; i < t->u.obj.n; i++) {
            walk_term(l, t->u.obj.keys[i]);
            walk_term(l, t->u.obj.vals[i]);
        }
        break;
    case GH_TERM_ARRAY_COMPR:
    case GH_TERM_SET_COMPR:
    case GH_TERM_OBJECT_COMPR:
        walk_term(l, t->u.compr.key);
        walk_term(l, t->u.compr.value);
        walk_body(l, t->u.compr.body);
        break;
    default: break;
    }
}

/* Every expression but `some` declarations, as OPA's includeExprInCoverage; nested bodies
 * (comprehensions, every) too, as ast.WalkExprs. */
static void walk_expr(lines *l, const gh_expr *e)
{
    if (e->kind != GH_EXPR_SOME) mark(l, &e->loc);
    switch (e->kind) {
    case GH_EXPR_TERM: walk_term(l, e->u.term); break;
    case GH_EXPR_CALL:
        for (size_t i = 0; i < e->u.call.n; i++)
            walk_term(l, e->u.call.terms[i]);
        break;
    case GH_EXPR_SOME:
        for (size_t i = 0; i < e->u.some.n; i++)
            walk_term(l, e->u.some.symbols[i]);
        break;
    case GH_EXPR_EVERY:
        walk_term(l, e->u.every.domain);
        walk_body(l, e->u.every.body);
        break;
    }
}

static void walk_body(lines *l, const gh_body *b)
{
    for (size_t i = 0; b && i < b->n; i++)
        walk_expr(l, b->items[i]);
}

static void walk_module(lines *l, const gh_module *m)
{
    for (size_t i = 0; i < m->nrules; i++)
        for (const gh_rule *r = m->rules[i]; r; r = r->else_rule) {
            mark(l, r->head ? &r->head->loc : &r->loc);
            walk_body(l, r->body);
        }
}

/* ---- ranges and JSON ---- */

typedef struct file_counts {
    int covered, not_covered;
} file_counts;

/* Ranges of consecutive rows where on[row] && hit[row] == want, as OPA's Range array. */
static int put_ranges(gh_buf *b, const lines *l, const gh_cover_file *f, bool want,
                      const char *file, gh_buf *text)
{
    int count = 0, nranges = 0;
    for (int row = 1; row < l->n; row++) {
        bool hit = f && row < f->nlines && f->hit[row];
        if (!l->on[row] || hit != want) continue;
        int end = row;
        while (end + 1 < l->n && l->on[end + 1] &&
               (f && end + 1 < f->nlines && f->hit[end + 1]) == want)
            end++;
        gh_buf_printf(
            b,
            "%s\n        {\n          \"start\": {\n            \"row\": %d\n          },\n"
            "          \"end\": {\n            \"row\": %d\n          }\n        }",
            nranges++ ? "," : "", row, end);
        if (text && row == end)
            gh_buf_printf(text, "\n\t%s:%d", file, row);
        else if (text)
            gh_buf_printf(text, "\n\t%s:%d-%d", file, row, end);
        count += end - row + 1;
        row = end;
    }
    return count;
}

/* x as Go's encoding/json writes a float64. */
static void put_float(gh_buf *b, double x)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    const gh_value *v = gh_value_double(&a, x);
    if (v) gh_json_write(b, v, 0);
    gh_arena_free(&a);
}

static void put_string(gh_buf *b, const char *s)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    const gh_value *v = gh_value_string(&a, s, strlen(s));
    if (v) gh_json_write(b, v, GH_JSON_ESCAPE_HTML);
    gh_arena_free(&a);
}

static void put_file(gh_buf *b, const char *file, const lines *l, const gh_cover_file *f,
                     file_counts *fc, gh_buf *text)
{
    gh_buf cov, not ;
    gh_buf_init(&cov, 0);
    gh_buf_init(&not, 0);
    fc->covered = put_ranges(&cov, l, f, true, file, NULL);
    fc->not_covered = put_ranges(&not, l, f, false, file, text);
    const char *sep = "\n";
    if (fc->covered) {
        gh_buf_printf(b, "%s      \"covered\": [%s\n      ]", sep, cov.data);
        sep = ",\n";
    }
    if (fc->not_covered) {
        gh_buf_printf(b, "%s      \"not_covered\": [%s\n      ]", sep, not .data);
        sep = ",\n";
    }
    if (fc->covered)
        gh_buf_printf(b, "%s      \"covered_lines\": %d", sep, fc->covered), sep = ",\n";
    if (fc->not_covered)
        gh_buf_printf(b, "%s      \"not_covered_lines\": %d", sep, fc->not_covered), sep = ",\n";
    if (fc->covered) {
        gh_buf_printf(b, "%s      \"coverage\": ", sep);
        put_float(b, 100.0 * fc->covered / (fc->covered + fc->not_covered));
    }
    gh_buf_puts(b, fc->covered || fc->not_covered ? "\n    }" : "}");
    gh_buf_free(&cov);
    gh_buf_free(&not );
}

static int cmp_src(const void *a, const void *b)
{
    return strcmp((*(const gh_source *const *)a)->name, (*(const gh_source *const *)b)->name);
}

static const gh_cover_file *find_file(const gh_cover *c, const char *name)
{
    for (size_t i = 0; c && i < c->n; i++)
        if (strcmp(c->files[i].file, name) == 0) return &c->files[i];
    return NULL;
}

/* The counted lines of one module (none when it does not parse). */
static int module_lines(const gh_source *s, bool v0, lines *l)
{
    l->n = 2;
    for (size_t i = 0; i < s->len; i++)
        l->n += s->text[i] == '\n';
    l->on = calloc((size_t)l->n, 1);
    if (!l->on) return GH_ENOMEM;
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_diags d;
    gh_diags_init(&d);
    gh_parse_opts po = {.v0_compatible = v0};
    gh_module *m = NULL;
    if (gh_parse_module(&a, s->name, s->text, s->len, &po, &m, &d) == 0 && m) walk_module(l, m);
    gh_diags_free(&d);
    gh_arena_free(&a);
    return 0;
}

int gh_cover_report(const gh_cover *c, const gh_source *modules, size_t n, bool v0_compatible,
                    gh_buf *json, double *coverage, gh_buf *not_covered)
{
    const gh_source **order = malloc((n + 1) * sizeof *order);
    if (!order) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++)
        order[i] = &modules[i];
    qsort(order, n, sizeof *order, cmp_src);
    long covered = 0, missed = 0;
    int rc = 0;
    gh_buf_puts(json, n ? "{\n  \"files\": {" : "{\n  \"files\": {}");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        lines l;
        rc = module_lines(order[i], v0_compatible, &l);
        if (rc) break;
        gh_buf_printf(json, "%s\n    ", i ? "," : "");
        put_string(json, order[i]->name);
        gh_buf_puts(json, ": {");
        file_counts fc;
        put_file(json, order[i]->name, &l, find_file(c, order[i]->name), &fc, not_covered);
        covered += fc.covered;
        missed += fc.not_covered;
        free(l.on);
    }
    free(order);
    if (n) gh_buf_puts(json, "\n  }");
    *coverage = covered + missed ? 100.0 * (double)covered / (double)(covered + missed) : 0;
    gh_buf_printf(json,
                  ",\n  \"covered_lines\": %ld,\n  \"not_covered_lines\": %ld,\n  \"coverage\": ",
                  covered, missed);
    put_float(json, *coverage);
    gh_buf_puts(json, "\n}\n");
    return rc ? rc : (json->failed ? GH_ENOMEM : 0);
}
