/* The profiler and the explainer (engine/vm_hooks.c, profile.c, trace.c): exact NUM EVAL
 * and NUM REDO counts of a small policy, OPA's row keys and sort criteria, the lineage
 * filters, the trace text, the values of a failed expression's variables, and that an
 * evaluator with neither on records nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/engine.h"
#include "gatehouse/error.h"
#include "testlib.h"

static const char policy[] = "package p\n"                     /* 1 */
                             "\n"                              /* 2 */
                             "names contains n if {\n"         /* 3 */
                             "\tsome u in data.users\n"        /* 4 */
                             "\tn := u.name\n"                 /* 5 */
                             "\tu.age > 18\n"                  /* 6 */
                             "}\n"                             /* 7 */
                             "\n"                              /* 8 */
                             "allow if {\n"                    /* 9 */
                             "\tnot deny\n"                    /* 10 */
                             "\tcount(names) == 2\n"           /* 11 */
                             "\ttrace(\"allowed\")\n"          /* 12 */
                             "}\n"                             /* 13 */
                             "\n"                              /* 14 */
                             "deny if input.x == 1\n";         /* 15 */

static const char data_json[] =
    "{\"users\": [{\"name\": \"a\", \"age\": 20}, {\"name\": \"b\", \"age\": 10},"
    " {\"name\": \"c\", \"age\": 30}]}";

static gh_source module = {"p.rego", policy, sizeof policy - 1};

static gh_revision *load(gh_arena *a)
{
    const gh_value *data = NULL;
    gh_json_error je;
    if (gh_json_read(a, data_json, strlen(data_json), NULL, &data, &je) != 0) return NULL;
    gh_diags d;
    gh_diags_init(&d);
    gh_revision *rev = gh_revision_load(&module, 1, data, NULL, &d);
    gh_diags_free(&d);
    return rev;
}

static const gh_value *input_x(gh_arena *a, int x)
{
    char buf[32];
    snprintf(buf, sizeof buf, "{\"x\": %d}", x);
    const gh_value *v = NULL;
    gh_json_error je;
    gh_json_read(a, buf, strlen(buf), NULL, &v, &je);
    return v;
}

static const gh_expr_stat *stat_at(const gh_expr_stat *s, size_t n, const char *file, int row)
{
    for (size_t i = 0; i < n; i++)
        if (s[i].row == row && strcmp(s[i].file, file) == 0) return &s[i];
    return NULL;
}

/* "row:eval/redo" per expression, checked exactly. */
static void check_counts(const gh_expr_stat *s, size_t n, int row, long eval, long redo)
{
    const gh_expr_stat *x = stat_at(s, n, "p.rego", row);
    CHECK(x != NULL);
    if (!x) return;
    CHECK_INT(x->num_eval, eval);
    CHECK_INT(x->num_redo, redo);
}

static void test_counts(gh_revision *rev, gh_arena *a)
{
    gh_evaluator *ev = gh_evaluator_new(NULL);
    CHECK_INT(gh_evaluator_set_profile(ev, true), 0);
    const gh_value *out = NULL;
    gh_eval_error err;
    CHECK_INT(gh_eval(ev, rev, "data.p.allow", input_x(a, 2), &out, &err), 0);
    CHECK(out && gh_value_kind(out) == GH_KIND_BOOL && gh_value_get_bool(out));
    gh_expr_stat *s = NULL;
    size_t n = 0;
    CHECK_INT(gh_evaluator_profile(ev, &s, &n), 0);
    CHECK_INT(n, 7);
    /* the scan starts once and is come back to after each of its three users */
    check_counts(s, n, 4, 1, 3);
    check_counts(s, n, 5, 3, 0);
    check_counts(s, n, 6, 3, 0);
    check_counts(s, n, 10, 1, 0);
    check_counts(s, n, 11, 1, 0);
    check_counts(s, n, 12, 1, 0);
    check_counts(s, n, 15, 1, 0);
    /* a second evaluation adds up; the memo is per evaluation, so the rules run again */
    CHECK_INT(gh_eval(ev, rev, "data.p.allow", input_x(a, 2), &out, &err), 0);
    free(s);
    CHECK_INT(gh_evaluator_profile(ev, &s, &n), 0);
    check_counts(s, n, 4, 2, 6);
    check_counts(s, n, 6, 6, 0);
    /* rows: one per file:row, sorted by num_eval then line (descending, as OPA) */
    gh_profile_row *rows = NULL;
    size_t nrows = 0;
    char msg[200];
    CHECK_INT(gh_profile_rows(s, n, "num_eval,line", 3, &rows, &nrows, msg, sizeof msg), 0);
    CHECK_INT(nrows, 3);
    if (nrows == 3) {
        CHECK_INT(rows[0].row, 6);
        CHECK_INT(rows[1].row, 5);
        CHECK_INT(rows[2].row, 15);
        CHECK_INT(rows[0].num_gen_expr, 1);
        CHECK_INT(rows[0].col, 2);
    }
    free(rows);
    CHECK_INT(gh_profile_rows(s, n, "num_eval,speed", 0, &rows, &nrows, msg, sizeof msg),
              GH_EINVAL);
    CHECK(strstr(msg, "'speed'") != NULL);
    free(s);
    /* reset, then off: nothing more is recorded */
    gh_evaluator_profile_reset(ev);
    CHECK_INT(gh_evaluator_profile(ev, &s, &n), 0);
    CHECK_INT(n, 0);
    CHECK_INT(gh_evaluator_set_profile(ev, false), 0);
    CHECK_INT(gh_eval(ev, rev, "data.p.allow", input_x(a, 2), &out, &err), 0);
    CHECK_INT(gh_evaluator_profile(ev, &s, &n), 0);
    CHECK_INT(n, 0);
    gh_evaluator_free(ev);
}

static const char *module_text(void *ud, const gh_trace_event *e, size_t *len)
{
    (void)ud;
    return gh_trace_source_text(&module, 1, e, len);
}

static void pretty(gh_evaluator *ev, gh_explain_mode mode, gh_buf *out)
{
    size_t n;
    const gh_trace_event *e = gh_evaluator_explain(ev, &n, NULL);
    const gh_trace_event **shown = NULL;
    size_t k = 0;
    CHECK_INT(gh_trace_filter(e, n, mode, &shown, &k), 0);
    gh_buf_clear(out);
    gh_trace_pretty(shown, k, module_text, NULL, out);
    free(shown);
}

static void test_explain(gh_revision *rev, gh_arena *a)
{
    gh_evaluator *ev = gh_evaluator_new(NULL);
    CHECK_INT(gh_evaluator_set_explain(ev, true), 0);
    const gh_value *out = NULL;
    gh_eval_error err;
    gh_buf b;
    gh_buf_init(&b, 0);

    CHECK_INT(gh_eval(ev, rev, "data.p.allow", input_x(a, 2), &out, &err), 0);
    pretty(ev, GH_EXPLAIN_NOTES, &b);
    CHECK_STR(b.data, "p.rego:9      Enter data.p.allow\n"
                      "p.rego:12     | Note \"allowed\"\n");
    pretty(ev, GH_EXPLAIN_FAILS, &b);
    CHECK_STR(b.data, "p.rego:9      Enter data.p.allow\n"
                      "p.rego:15     | Enter data.p.deny\n"
                      "p.rego:15     | | Fail input.x == 1\n"
                      "p.rego:3      | Enter data.p.names\n"
                      "p.rego:6      | | Fail u.age > 18\n");
    pretty(ev, GH_EXPLAIN_FULL, &b);
    CHECK(strstr(b.data, "p.rego:4      | | Redo some u in data.users\n") != NULL);
    CHECK(strstr(b.data, "p.rego:3      | | Exit data.p.names\n") != NULL);
    CHECK(strstr(b.data, "p.rego:10     | Eval not deny\n") != NULL);

    /* `not deny` failing (deny holds), and the locals of a failed expression */
    CHECK_INT(gh_eval(ev, rev, "data.p.allow", input_x(a, 1), &out, &err), 0);
    CHECK(out == NULL);
    pretty(ev, GH_EXPLAIN_FAILS, &b);
    CHECK_STR(b.data, "p.rego:9      Enter data.p.allow\n"
                      "p.rego:10     | Fail not deny\n");
    CHECK_INT(gh_eval(ev, rev, "data.p.names", NULL, &out, &err), 0);
    size_t n;
    const gh_trace_event *e = gh_evaluator_explain(ev, &n, NULL);
    const gh_trace_event *fail = NULL;
    for (size_t i = 0; i < n; i++)
        if (e[i].op == GH_TRACE_FAIL) fail = &e[i];
    CHECK(fail && fail->row == 6 && fail->nvars == 1);
    if (fail && fail->nvars == 1) {
        CHECK_STR(fail->vars[0].name, "u");
        CHECK_INT(fail->vars[0].col, 2);
        gh_buf_clear(&b);
        gh_value_to_rego(&b, fail->vars[0].value);
        CHECK_STR(b.data, "{\"age\": 10, \"name\": \"b\"}");
    }
    /* off: no events */
    CHECK_INT(gh_evaluator_set_explain(ev, false), 0);
    CHECK_INT(gh_eval(ev, rev, "data.p.allow", input_x(a, 2), &out, &err), 0);
    CHECK(gh_evaluator_explain(ev, &n, NULL) == NULL && n == 0);
    gh_buf_free(&b);
    gh_evaluator_free(ev);
}

int main(void)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_revision *rev = load(&a);
    CHECK(rev != NULL);
    if (rev) {
        test_counts(rev, &a);
        test_explain(rev, &a);
        gh_revision_release(rev);
    }
    gh_arena_free(&a);
    return tests_done("profile");
}
