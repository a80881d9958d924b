/* Failure details for gatehouse test -v / --var-values: each failed test is evaluated once
 * more with the explainer on (serially, after the timed run, so the run itself pays
 * nothing), giving OPA's trace and the failing expression with the values of its local
 * variables drawn under it (topdown.PrettyEvent's layout). */
#include <stdlib.h>
#include <string.h>

#include "gatehouse/error.h"
#include "gatehouse/testing.h"

#define MAX_VAR_WIDTH 64 /* OPA's maxPrettyExprVarWidth */

static char *test_ref(const gh_test *t)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_buf_printf(&b, "%s.", t->pkg);
    for (const char *p = t->name; *p; p++) /* test_x#01 is the rule test_x__gh_dup01 */
        if (*p == '#')
            gh_buf_puts(&b, GH_TEST_DUP_MARK);
        else
            gh_buf_putc(&b, *p);
    size_t n;
    char *s = b.failed ? NULL : gh_buf_take(&b, &n);
    gh_buf_free(&b);
    return s;
}

static void drop_print(void *ud, const char *loc, const char *msg, size_t len)
{
    (void)ud, (void)loc, (void)msg, (void)len;
}

/* ---- the source around an event ---- */

static const gh_source *source_of(const gh_test_explain_opts *o, const char *file)
{
    for (size_t i = 0; file && i < o->nmodules; i++)
        if (o->modules[i].name && strcmp(o->modules[i].name, file) == 0) return &o->modules[i];
    return NULL;
}

/* The start of line `row` (1-based) of src, or NULL. */
static const char *line_at(const gh_source *src, int row)
{
    const char *p = src->text, *end = src->text + src->len;
    for (int r = 1; r < row && p < end; r++) {
        p = memchr(p, '\n', (size_t)(end - p));
        if (!p) return NULL;
        p++;
    }
    return p < end ? p : NULL;
}

/* Whether the byte at column `col` of line `row` is a tab (OPA's Location.Tabs). */
static bool tab_at(const gh_source *src, int row, int col)
{
    const char *l = src ? line_at(src, row) : NULL;
    if (!l) return false;
    for (int c = 1; c < col; c++, l++)
        if (l >= src->text + src->len || *l == '\n') return false;
    return *l == '\t';
}

/* ---- the variables under the expression (printPrettyVars, printArrows) ---- */

typedef struct pvar {
    const gh_trace_var *v;
    char *value; /* Rego text, truncated, or "undefined" */
} pvar;

static int cmp_pvar(const void *x, const void *y)
{
    const pvar *a = x, *b = y;
    if (a->v->col != b->v->col) return a->v->col - b->v->col;
    if (a->v->row != b->v->row) return b->v->row - a->v->row;
    return strcmp(a->v->name, b->v->name);
}

static int cmp_pvar_name(const void *x, const void *y)
{
    return strcmp(((const pvar *)x)->v->name, ((const pvar *)y)->v->name);
}

static char *value_text(const gh_value *v)
{
    if (!v) return strdup("undefined");
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_value_to_rego(&b, v);
    if (b.len > MAX_VAR_WIDTH) {
        b.len = MAX_VAR_WIDTH;
        b.data[b.len] = '\0';
        gh_buf_puts(&b, "...");
    }
    size_t n;
    char *s = b.failed ? NULL : gh_buf_take(&b, &n);
    gh_buf_free(&b);
    return s;
}

/* One line of arrows: a '|' under each variable of l[0..upto] (all when upto < 0) and, with
 * upto >= 0, the value of l[upto] in its place. Columns shared by several variables print
 * once, the value then named. */
static void put_arrows(gh_buf *b, const pvar *l, size_t n, long upto, const gh_source *src)
{
    size_t m = upto >= 0 ? (size_t)upto + 1 : n;
    int prev = 0;
    bool first = true;
    for (size_t i = 0; i < m; i++) {
        int col = l[i].v->col;
        bool last = i + 1 >= m;
        if (!last && col == l[i + 1].v->col) continue;
        int spaces = i > 0 && !first ? col - prev - 1 : col - 1;
        for (int j = 0; j < spaces; j++)
            gh_buf_putc(b, tab_at(src, l[i].v->row, j + prev + 1) ? '\t' : ' ');
        if (last && upto >= 0) {
            bool shared = (i > 0 && col == l[i - 1].v->col) || (i + 1 < n && col == l[i + 1].v->col);
            if (shared) gh_buf_printf(b, "%s: ", l[i].v->name);
            gh_buf_puts(b, l[i].value);
        } else {
            gh_buf_putc(b, '|');
        }
        prev = col;
        first = false;
    }
}

static bool has_tab_before(const gh_source *src, const gh_trace_var *v)
{
    for (int c = 1; c < v->col; c++)
        if (tab_at(src, v->row, c)) return true;
    return false;
}

static void put_vars(gh_buf *b, pvar *l, size_t n, const gh_source *src)
{
    bool tabs = false, rows = false;
    for (size_t i = 0; i < n; i++) {
        tabs |= has_tab_before(src, l[i].v);
        rows |= l[i].v->row != l[0].v->row;
    }
    if (tabs && rows) { /* arrows cannot line up across rows holding tabs: list instead */
        qsort(l, n, sizeof *l, cmp_pvar_name);
        gh_buf_puts(b, "\n\nWhere:\n");
        for (size_t i = 0; i < n; i++)
            gh_buf_printf(b, "\n%s: %s", l[i].v->name, l[i].value);
        return;
    }
    qsort(l, n, sizeof *l, cmp_pvar);
    if (!n) return;
    gh_buf_putc(b, '\n');
    put_arrows(b, l, n, -1, src);
    for (size_t i = n; i-- > 0;) {
        gh_buf_putc(b, '\n');
        put_arrows(b, l, n, (long)i, src);
    }
}

/* The expression's text, indented to its column as in its source, then its variables. */
static char *fail_detail(const gh_trace_event *e, const gh_source *src)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    for (int c = 1; c < e->col; c++)
        gh_buf_putc(&b, tab_at(src, e->row, c) ? '\t' : ' ');
    if (src && e->end <= src->len && e->off < e->end)
        gh_buf_append(&b, src->text + e->off, e->end - e->off);
    pvar *l = calloc(e->nvars + 1, sizeof *l);
    size_t n = 0;
    for (size_t i = 0; l && i < e->nvars; i++) {
        l[n].v = &e->vars[i];
        if ((l[n].value = value_text(e->vars[i].value))) n++;
    }
    if (l) put_vars(&b, l, n, src);
    for (size_t i = 0; i < n; i++)
        free(l[i].value);
    free(l);
    size_t len;
    char *s = b.failed ? NULL : gh_buf_take(&b, &len);
    gh_buf_free(&b);
    return s;
}

/* ---- per test ---- */

static const char *module_text(void *ud, const gh_trace_event *e, size_t *len)
{
    const gh_test_explain_opts *o = ud;
    return gh_trace_source_text(o->modules, o->nmodules, e, len);
}

/* A second test_x is the rule test_x__gh_dupNN (gh_tests_rename_duplicates); OPA's trace
 * names it by its path, test_x. */
static void unmark_duplicates(gh_buf *b)
{
    size_t w = 0, nm = strlen(GH_TEST_DUP_MARK);
    for (size_t r = 0; r < b->len;) {
        if (b->len - r >= nm && memcmp(b->data + r, GH_TEST_DUP_MARK, nm) == 0) {
            r += nm;
            while (r < b->len && b->data[r] >= '0' && b->data[r] <= '9')
                r++;
            continue;
        }
        b->data[w++] = b->data[r++];
    }
    b->len = w;
    if (b->data) b->data[w] = '\0';
}

/* The failure OPA points at: the last Fail, but not of an `every` (its body's is the one). */
static const gh_trace_event *last_fail(const gh_trace_event *ev, size_t n)
{
    for (size_t i = n; i-- > 0;)
        if (ev[i].op == GH_TRACE_FAIL && !ev[i].every && ev[i].file) return &ev[i];
    return NULL;
}

static int explain_test(gh_evaluator *ev, const gh_revision *rev, gh_test *t,
                        const gh_test_explain_opts *o)
{
    char *ref = test_ref(t);
    if (!ref) return GH_ENOMEM;
    const gh_value *v;
    gh_eval_error err;
    gh_eval(ev, rev, ref, NULL, &v, &err); /* its outcome is known: only the trace matters */
    free(ref);
    size_t n;
    const gh_trace_event *events = gh_evaluator_explain(ev, &n, NULL);
    const gh_trace_event **shown = NULL;
    size_t nshown = 0;
    if (gh_trace_filter(events, n, o->mode, &shown, &nshown) != 0) return GH_ENOMEM;
    gh_buf b;
    gh_buf_init(&b, 0);
    if (o->var_values)
        gh_trace_pretty_vars(shown, nshown, module_text, (void *)o, &b);
    else
        gh_trace_pretty(shown, nshown, module_text, (void *)o, &b);
    free(shown);
    size_t len;
    unmark_duplicates(&b);
    t->trace = b.len ? gh_buf_take(&b, &len) : NULL;
    gh_buf_free(&b);
    const gh_trace_event *f = last_fail(events, n);
    if (f) {
        gh_buf_init(&b, 0);
        gh_buf_printf(&b, "%s:%d", f->file, f->row);
        t->fail_at = gh_buf_take(&b, &len);
        gh_buf_free(&b);
        t->fail_detail = fail_detail(f, source_of(o, f->file));
    }
    return 0;
}

int gh_tests_explain(const gh_revision *rev, gh_test_list *l, const gh_test_explain_opts *o)
{
    gh_eval_opts eo = {.timeout_ns = o->timeout_ns ? o->timeout_ns : 5000000000u,
                       .max_steps = UINT64_MAX / 2,
                       .print = drop_print,
                       .runtime = o->runtime};
    gh_evaluator *ev = gh_evaluator_new(&eo);
    if (!ev || gh_evaluator_set_explain(ev, true) != 0) {
        gh_evaluator_free(ev);
        return GH_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < l->n && rc == 0; i++)
        if (l->items[i].outcome == GH_TEST_FAIL) rc = explain_test(ev, rev, &l->items[i], o);
    gh_evaluator_free(ev);
    return rc;
}
