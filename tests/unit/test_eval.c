/* Table-driven tests of the compiler and VM: every case in tests/data/eval_cases.txt is
 * loaded, compiled and evaluated, and its rows (or its error) compared with the expected
 * ones. The file format is described at the top of that file. Also: the seed policy's 40
 * answers when ../shared is there, and one revision evaluated from two threads at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/engine.h"
#include "gatehouse/error.h"
#include "testlib.h"

typedef struct tcase {
    char name[128];
    int line;
    gh_buf mods[8];
    int nmods;
    gh_buf data, input, query, want, error;
    bool strict;
} tcase;

static void case_clear(tcase *c)
{
    for (int i = 0; i < 8; i++)
        gh_buf_clear(&c->mods[i]);
    c->nmods = 0;
    gh_buf_clear(&c->data);
    gh_buf_clear(&c->input);
    gh_buf_clear(&c->query);
    gh_buf_clear(&c->want);
    gh_buf_clear(&c->error);
    c->strict = false;
    c->name[0] = 0;
}

static const gh_value *json(gh_arena *a, gh_buf *b)
{
    if (b->len == 0) return NULL;
    const gh_value *v = NULL;
    gh_json_opts o = {.flags = GH_JSON_RELAXED};
    gh_json_error e;
    if (gh_json_read(a, b->data, b->len, &o, &v, &e) != 0) return NULL;
    return v;
}

static void canon(gh_arena *a, gh_buf *in, gh_buf *out)
{
    const gh_value *v = json(a, in);
    gh_buf_clear(out);
    if (v)
        gh_json_write(out, v, 0);
    else
        gh_buf_puts(out, "<bad json>");
}

static void run_case(tcase *c)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_source src[8];
    char names[8][32];
    for (int i = 0; i < c->nmods; i++) {
        snprintf(names[i], sizeof names[i], "test-%d.rego", i);
        src[i] = (gh_source){names[i], c->mods[i].data ? c->mods[i].data : "", c->mods[i].len};
    }
    gh_diags d;
    gh_diags_init(&d);
    gh_buf got, want;
    gh_buf_init(&got, 0);
    gh_buf_init(&want, 0);
    gh_revision *rev = gh_revision_load(src, (size_t)c->nmods, json(&a, &c->data), NULL, &d);
    gh_query *q =
        rev ? gh_query_prepare(rev, c->query.data ? c->query.data : "", c->query.len, &d) : NULL;
    if (!q) {
        for (size_t i = 0; i < d.n; i++) {
            gh_diag_format_short(&d.items[i], &got);
            gh_buf_putc(&got, '\n');
        }
    } else {
        gh_eval_opts eo = {.strict_builtin_errors = c->strict, .max_steps = 1000000};
        gh_evaluator *ev = gh_evaluator_new(&eo);
        const gh_value *rows;
        gh_eval_error err;
        if (gh_query_eval(ev, q, json(&a, &c->input), &rows, &err) != 0) {
            char buf[800];
            gh_eval_error_format(&err, buf, sizeof buf);
            gh_buf_puts(&got, buf);
        } else {
            gh_json_write(&got, rows, 0);
        }
        gh_evaluator_free(ev);
    }
    tests_run++;
    if (c->error.len) {
        /* the expected error text must occur in what we got (first line of the section) */
        char *nl = strchr(c->error.data, '\n');
        if (nl) *nl = 0;
        if (!got.data || !strstr(got.data, c->error.data))
            test_fail("eval_cases.txt", c->line, "%s:\n   got: %s\n  want error: %s", c->name,
                      got.data ? got.data : "", c->error.data);
    } else {
        canon(&a, &c->want, &want);
        if (!got.data || strcmp(got.data, want.data) != 0)
            test_fail("eval_cases.txt", c->line, "%s:\n   got: %s\n  want: %s", c->name,
                      got.data ? got.data : "", want.data);
    }
    gh_query_free(q);
    gh_revision_release(rev);
    gh_diags_free(&d);
    gh_buf_free(&got);
    gh_buf_free(&want);
    gh_arena_free(&a);
}

static void run_file(const char *path)
{
    size_t len;
    char *text = test_read_file(path, &len);
    if (!text) {
        test_fail(path, 0, "cannot read");
        return;
    }
    tcase c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < 8; i++)
        gh_buf_init(&c.mods[i], 0);
    gh_buf_init(&c.data, 0);
    gh_buf_init(&c.input, 0);
    gh_buf_init(&c.query, 0);
    gh_buf_init(&c.want, 0);
    gh_buf_init(&c.error, 0);
    gh_buf *sect = NULL;
    bool open = false;
    int lineno = 0;
    for (char *p = text; *p;) {
        char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        lineno++;
        if (n >= 4 && memcmp(p, "=== ", 4) == 0) {
            if (open) run_case(&c);
            case_clear(&c);
            snprintf(c.name, sizeof c.name, "%.*s", (int)(n - 4), p + 4);
            c.line = lineno;
            open = true;
            sect = NULL;
        } else if (n >= 4 && memcmp(p, "--- ", 4) == 0) {
            const char *s = p + 4;
            size_t sl = n - 4;
            if (sl == 6 && memcmp(s, "module", 6) == 0 && c.nmods < 8)
                sect = &c.mods[c.nmods++];
            else if (sl == 4 && memcmp(s, "data", 4) == 0)
                sect = &c.data;
            else if (sl == 5 && memcmp(s, "input", 5) == 0)
                sect = &c.input;
            else if (sl == 5 && memcmp(s, "query", 5) == 0)
                sect = &c.query;
            else if (sl == 4 && memcmp(s, "want", 4) == 0)
                sect = &c.want;
            else if (sl == 5 && memcmp(s, "error", 5) == 0)
                sect = &c.error;
            else if (sl == 6 && memcmp(s, "strict", 6) == 0) {
                c.strict = true;
                sect = NULL;
            } else
                test_fail(path, lineno, "unknown section %.*s", (int)sl, s);
        } else if (n > 0 && p[0] == '#' && !(c.nmods > 0 && sect == &c.mods[c.nmods - 1])) {
            /* a comment line (inside modules '#' is Rego's own comment and is kept) */
        } else if (sect) {
            gh_buf_append(sect, p, n);
            gh_buf_putc(sect, '\n');
        }
        p = e ? e + 1 : p + n;
    }
    if (open) run_case(&c);
    for (int i = 0; i < 8; i++)
        gh_buf_free(&c.mods[i]);
    gh_buf_free(&c.data);
    gh_buf_free(&c.input);
    gh_buf_free(&c.query);
    gh_buf_free(&c.want);
    gh_buf_free(&c.error);
    free(text);
}

/* ---- one revision, two threads ---- */

typedef struct thr {
    gh_revision *rev;
    const gh_value *input;
    char out[256];
} thr;

static void *thread_main(void *arg)
{
    thr *t = arg;
    gh_evaluator *ev = gh_evaluator_new(NULL);
    gh_buf b;
    gh_buf_init(&b, 0);
    for (int i = 0; i < 2000; i++) {
        const gh_value *v = NULL;
        gh_buf_clear(&b);
        if (gh_eval(ev, t->rev, "data.t.r", t->input, &v, NULL) == 0 && v) gh_json_write(&b, v, 0);
        if (i == 0)
            snprintf(t->out, sizeof t->out, "%s", b.data ? b.data : "");
        else if (strcmp(t->out, b.data ? b.data : "") != 0)
            snprintf(t->out, sizeof t->out, "differs");
    }
    gh_buf_free(&b);
    gh_evaluator_free(ev);
    return NULL;
}

static void test_threads(void)
{
    static const char mod[] = "package t\n"
                              "f(x) := x * 2\n"
                              "s contains y if { some x in input.xs; y := f(x) }\n"
                              "r := {\"n\": count(s), \"s\": s, \"m\": max(s)}\n";
    gh_source src = {"t.rego", mod, sizeof mod - 1};
    gh_diags d;
    gh_diags_init(&d);
    gh_revision *rev = gh_revision_load(&src, 1, NULL, NULL, &d);
    CHECK(rev != NULL);
    if (!rev) return;
    gh_arena a;
    gh_arena_init(&a, 0);
    const gh_value *in = NULL;
    static const char js[] = "{\"xs\": [1, 2, 3, 2, 5]}";
    CHECK(gh_json_read(&a, js, sizeof js - 1, NULL, &in, NULL) == 0);
    thr t[2] = {{rev, in, ""}, {rev, in, ""}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, thread_main, &t[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    CHECK_STR(t[0].out, "{\"m\":10,\"n\":4,\"s\":[2,4,6,10]}");
    CHECK_STR(t[1].out, t[0].out);
    gh_revision_release(rev);
    gh_arena_free(&a);
    gh_diags_free(&d);
}

/* gh_eval and gh_eval_many on documents: rules, subtrees, base documents, undefined. */
static void test_eval_paths(void)
{
    static const char mod[] = "package a.b\n"
                              "p := input.x + 1\n"
                              "q contains v if { some v in data.a.base }\n"
                              "f(x) := x\n";
    gh_source src = {"a.rego", mod, sizeof mod - 1};
    gh_arena a;
    gh_arena_init(&a, 0);
    const gh_value *data = NULL, *in = NULL;
    static const char dj[] = "{\"a\": {\"base\": [3, 4], \"b\": {\"k\": \"v\"}}}";
    static const char ij[] = "{\"x\": 41}";
    CHECK(gh_json_read(&a, dj, sizeof dj - 1, NULL, &data, NULL) == 0);
    CHECK(gh_json_read(&a, ij, sizeof ij - 1, NULL, &in, NULL) == 0);
    gh_diags d;
    gh_diags_init(&d);
    gh_revision *rev = gh_revision_load(&src, 1, data, NULL, &d);
    CHECK(rev != NULL);
    if (!rev) return;
    gh_evaluator *ev = gh_evaluator_new(NULL);
    const char *refs[] = {"data.a.b.p", "data.a.b", "data.a.base.1", "data.a.b.nope", "data.a.b.f"};
    const char *want[] = {"42", "{\"k\":\"v\",\"p\":42,\"q\":[3,4]}", "4", "undefined",
                          "undefined"};
    const gh_value *outs[5];
    CHECK_INT(gh_eval_many(ev, rev, refs, 5, in, outs, NULL), 0);
    gh_buf b;
    gh_buf_init(&b, 0);
    for (int i = 0; i < 5; i++) {
        gh_buf_clear(&b);
        if (outs[i])
            gh_json_write(&b, outs[i], 0);
        else
            gh_buf_puts(&b, "undefined");
        CHECK_STR(b.data, want[i]);
    }
    const gh_value *one = NULL;
    CHECK_INT(gh_eval(ev, rev, "data.a.b.p", NULL, &one, NULL), 0);
    CHECK(one == NULL); /* no input: input.x is undefined */
    gh_buf_free(&b);
    gh_evaluator_free(ev);
    gh_revision_release(rev);
    gh_diags_free(&d);
    gh_arena_free(&a);
}

/* A runaway policy ends in a budget or deadline error, never a hang; print goes to the
 * callback with its location. */
static char printed[256];
static void on_print(void *ud, const char *loc, const char *msg, size_t len)
{
    (void)ud;
    snprintf(printed, sizeof printed, "%s %.*s", loc, (int)len, msg);
}

static void test_limits(void)
{
    static const char mod[] = "package l\n"
                              "xs := [x | some x in input.xs]\n"
                              "n := count([1 | some a in xs; some b in xs; some c in xs])\n"
                              "p if { print(\"hello\", count(xs), input.nope); true }\n";
    gh_source src = {"l.rego", mod, sizeof mod - 1};
    gh_diags d;
    gh_diags_init(&d);
    gh_revision *rev = gh_revision_load(&src, 1, NULL, NULL, &d);
    CHECK(rev != NULL);
    if (!rev) return;
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_buf js;
    gh_buf_init(&js, 0);
    gh_buf_puts(&js, "{\"xs\": [");
    for (int i = 0; i < 300; i++)
        gh_buf_printf(&js, "%s%d", i ? "," : "", i);
    gh_buf_puts(&js, "]}");
    const gh_value *in = NULL, *out = NULL;
    CHECK(gh_json_read(&a, js.data, js.len, NULL, &in, NULL) == 0);
    gh_eval_error err;

    gh_eval_opts small = {.max_steps = 10000, .print = on_print};
    gh_evaluator *ev = gh_evaluator_new(&small);
    CHECK(gh_eval(ev, rev, "data.l.n", in, &out, &err) != 0);
    CHECK_STR(err.code, "eval_budget_error");
    CHECK(out == NULL);
    /* the evaluator is usable again afterwards */
    CHECK_INT(gh_eval(ev, rev, "data.l.p", in, &out, &err), 0);
    CHECK(out && gh_value_get_bool(out));
    CHECK_STR(printed, "l.rego:4 hello 300 <undefined>");
    gh_evaluator_free(ev);

    gh_eval_opts quick = {.timeout_ns = 1000000}; /* 1 ms for 27 million iterations */
    ev = gh_evaluator_new(&quick);
    CHECK(gh_eval(ev, rev, "data.l.n", in, &out, &err) != 0);
    CHECK_STR(err.code, "eval_timeout_error");
    char buf[700];
    gh_eval_error_format(&err, buf, sizeof buf);
    /* where the deadline strikes depends on the machine's speed: line 2 or 3 */
    CHECK(strstr(buf, "l.rego:3: eval_timeout_error") || strstr(buf, "l.rego:2: eval_timeout_error"));
    gh_evaluator_free(ev);

    gh_buf_free(&js);
    gh_arena_free(&a);
    gh_revision_release(rev);
    gh_diags_free(&d);
}

/* `test_eval --threads` runs only the two-thread test: ctest runs it under Helgrind. */
int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--threads") == 0) {
        test_threads();
        return tests_done("test_eval --threads");
    }
    test_limits();
    test_eval_paths();
    run_file("data/eval_cases.txt");
    test_threads();
    return tests_done("test_eval");
}
