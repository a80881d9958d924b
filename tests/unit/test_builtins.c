/* Builtin unit tests: every case of data/builtins.txt (format at its top) called through
 * gh_builtin_lookup, plus the registry's invariants (sorted, unique, every declaration
 * parses, arity matches), the type checker, print's hook and the pattern cache. */
#include "builtins/builtins.h"
#include "gatehouse/error.h"
#include "gatehouse/value.h"

#include "testlib.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gh_arena A;

/* {"$set": [...]} anywhere in a test value stands for a set of those items. */
static const gh_value *setify(const gh_value *v)
{
    size_t n = gh_value_len(v);
    switch (gh_value_kind(v)) {
    case GH_KIND_ARRAY: {
        const gh_value **it = gh_arena_alloc(&A, (n + 1) * sizeof *it);
        for (size_t i = 0; i < n; i++) it[i] = setify(gh_array_get(v, i));
        return gh_value_array(&A, it, n);
    }
    case GH_KIND_OBJECT: {
        const gh_value *s = gh_object_get_str(v, "$set", 4);
        if (n == 1 && s && gh_value_kind(s) == GH_KIND_ARRAY) {
            size_t m = gh_value_len(s);
            const gh_value **it = gh_arena_alloc(&A, (m + 1) * sizeof *it);
            for (size_t i = 0; i < m; i++) it[i] = setify(gh_array_get(s, i));
            return gh_value_set(&A, it, m);
        }
        const gh_value **ks = gh_arena_alloc(&A, (n + 1) * sizeof *ks);
        const gh_value **vs = gh_arena_alloc(&A, (n + 1) * sizeof *vs);
        for (size_t i = 0; i < n; i++) {
            ks[i] = setify(gh_object_key_at(v, i));
            vs[i] = setify(gh_object_value_at(v, i));
        }
        const gh_value *o = NULL;
        gh_value_object(&A, ks, vs, n, &o, NULL);
        return o;
    }
    default: return v;
    }
}

static const gh_value *J(const char *json, size_t len, const char *where)
{
    const gh_value *v = NULL;
    gh_json_error e;
    if (gh_json_read(&A, json, len, NULL, &v, &e) != 0) {
        test_fail(where, 0, "bad test JSON %.*s: %s", (int)len, json, e.msg);
        return NULL;
    }
    return setify(v);
}

static const char *rego(const gh_value *v)
{
    static gh_buf b;
    gh_buf_free(&b);
    gh_value_to_rego(&b, v);
    return b.data ? b.data : "";
}

/* ---- the case file ---- */

static int print_calls;
static char print_last[256];

static void on_print(void *ud, const char *loc, const char *msg, size_t len)
{
    (void)ud;
    (void)loc;
    print_calls++;
    snprintf(print_last, sizeof print_last, "%.*s", (int)len, msg);
}

static gh_bctx new_ctx(void)
{
    gh_bctx bc = {.arena = &A, .now_ns = 1700000000000000000, .print = on_print};
    return bc;
}

/* One case line: NAME ARGS => WANT. Returns false when the line is not a case. */
static void run_case(const char *line, size_t len, const char *file, int lineno)
{
    char where[256];
    snprintf(where, sizeof where, "%s:%d", file, lineno);
    const char *sp = memchr(line, ' ', len);
    const char *arrow = NULL;
    for (const char *p = line; p + 4 <= line + len; p++)
        if (memcmp(p, " => ", 4) == 0) {
            arrow = p;
            break;
        }
    if (!sp || !arrow || arrow < sp) {
        test_fail(where, 0, "malformed case line: %.*s", (int)len, line);
        return;
    }
    const gh_builtin *b = gh_builtin_lookup(line, (size_t)(sp - line));
    tests_run++;
    if (!b) {
        test_fail(where, 0, "no builtin %.*s", (int)(sp - line), line);
        return;
    }
    const gh_value *args = J(sp + 1, (size_t)(arrow - sp - 1), where);
    if (!args) return;
    const char *want = arrow + 4;
    size_t wn = (size_t)(line + len - want);
    size_t nargs = gh_value_len(args);
    const gh_value *argv[16];
    for (size_t i = 0; i < nargs && i < 16; i++) {
        argv[i] = gh_array_get(args, i);
        /* the string "$undefined" stands for an undefined argument (variadic print) */
        size_t l;
        const char *s = gh_string_ptr(argv[i], &l);
        if (s && l == 10 && memcmp(s, "$undefined", 10) == 0) argv[i] = NULL;
    }
    gh_bctx bc = new_ctx();
    const gh_value *out = NULL;
    int rc = gh_builtin_call(b, &bc, argv, nargs, &out);
    char got[4096];
    if (rc == 0) snprintf(got, sizeof got, "%s", rego(out));
    else if (rc == GH_EUNDEFINED) snprintf(got, sizeof got, "undefined");
    else if (bc.err_code) snprintf(got, sizeof got, "error %s: %s", bc.err_code, bc.err_msg);
    else snprintf(got, sizeof got, "rc %s", gh_err_name(rc));
    if (strlen(got) != wn || memcmp(got, want, wn) != 0) {
        tests_failed++;
        fprintf(stderr, "%s: %.*s\n   got: %s\n  want: %.*s\n", where, (int)(arrow - line), line,
                got, (int)wn, want);
    }
    /* the code must agree with the recorded error */
    if (rc < 0 && rc != GH_EUNDEFINED && bc.err_code) {
        bool type = strcmp(bc.err_code, "eval_type_error") == 0;
        if (rc != (type ? GH_ETYPE : GH_EBUILTIN)) test_fail(where, 0, "return code %d for %s", rc, bc.err_code);
    }
}

static void run_file(const char *path)
{
    size_t len;
    char *text = test_read_file(path, &len);
    if (!text) {
        test_fail(__FILE__, __LINE__, "cannot read %s", path);
        return;
    }
    int lineno = 0;
    for (char *p = text; p < text + len;) {
        char *nl = memchr(p, '\n', (size_t)(text + len - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
        lineno++;
        if (n > 0 && p[0] != '#') run_case(p, n, path, lineno);
        gh_arena_reset(&A);
        p += n + 1;
    }
    free(text);
}

/* ---- registry ---- */

static void test_registry(void)
{
    size_t n = gh_builtin_count();
    CHECK(n >= 95);
    for (size_t i = 0; i < n; i++) {
        const gh_builtin *b = gh_builtin_at(i);
        if (i > 0) CHECK(strcmp(gh_builtin_at(i - 1)->name, b->name) < 0);
        CHECK(gh_builtin_lookup(b->name, strlen(b->name)) == b);
        const gh_bsig *sig = gh_builtin_sig(b);
        CHECK(sig != NULL);
        if (b->arity >= 0) {
            if ((int)sig->nargs != b->arity) test_fail(__FILE__, __LINE__, "%s: decl has %zu args, arity %d", b->name, sig->nargs, b->arity);
            CHECK(b->fn != NULL);
        } else {
            CHECK(sig->variadic != NULL);
            CHECK(b->vfn != NULL);
        }
        /* the declaration prints back as written */
        gh_buf w;
        gh_buf_init(&w, 0);
        gh_buf_puts(&w, "(");
        for (size_t k = 0; k < sig->nargs; k++) {
            if (k) gh_buf_puts(&w, ", ");
            gh_btype_write(&w, sig->args[k]);
        }
        if (sig->variadic) {
            gh_btype_write(&w, sig->variadic);
            gh_buf_puts(&w, "...");
        }
        gh_buf_puts(&w, ") => ");
        if (sig->result) gh_btype_write(&w, sig->result);
        else gh_buf_puts(&w, "void");
        if (strcmp(w.data, b->decl) != 0) test_fail(__FILE__, __LINE__, "%s: decl %s prints as %s", b->name, b->decl, w.data);
        tests_run++;
        gh_buf_free(&w);
    }
    CHECK(gh_builtin_lookup("nope", 4) == NULL);
    CHECK(gh_builtin_lookup("countx", 5) != NULL); /* length-bounded: "count" */
    CHECK(gh_builtin_lookup("", 0) == NULL);
    CHECK(gh_builtin_lookup(NULL, 0) == NULL);
    CHECK(gh_builtin_at(n) == NULL);
    const gh_builtin *plus = gh_builtin_lookup("plus", 4);
    CHECK(plus && plus->infix && strcmp(plus->infix, "+") == 0);
    const gh_builtin *in = gh_builtin_lookup("internal.member_2", 17);
    CHECK(in && in->infix && strcmp(in->infix, "in") == 0);
    CHECK(gh_builtin_lookup("print", 5)->flags & GH_BI_VARIADIC);
}

/* ---- types ---- */

static void test_types(void)
{
    const gh_bsig *count = gh_builtin_sig(gh_builtin_lookup("count", 5));
    const gh_bsig *sum = gh_builtin_sig(gh_builtin_lookup("sum", 3));
    const gh_bsig *lower = gh_builtin_sig(gh_builtin_lookup("lower", 5));
    const gh_bsig *concat = gh_builtin_sig(gh_builtin_lookup("concat", 6));
    CHECK(count->nargs == 1 && sum->nargs == 1 && lower->nargs == 1);
    CHECK(gh_btype_accepts(count->args[0], J("[1]", 3, "types")));
    CHECK(gh_btype_accepts(count->args[0], J("\"abc\"", 5, "types")));
    CHECK(!gh_btype_accepts(count->args[0], J("1", 1, "types")));
    CHECK(!gh_btype_accepts(count->args[0], GH_NULL));
    CHECK(gh_btype_accepts(sum->args[0], J("[1, 2.5]", 8, "types")));
    CHECK(!gh_btype_accepts(sum->args[0], J("[1, \"a\"]", 8, "types")));
    CHECK(gh_btype_accepts(sum->args[0], J("{\"$set\": [1]}", 13, "types")));
    CHECK(!gh_btype_accepts(concat->args[1], J("[1]", 3, "types")));
    CHECK(gh_btype_accepts(concat->args[1], J("[\"a\"]", 5, "types")));
    /* number meets number; string does not meet the count argument? it does (string is in) */
    CHECK(gh_btype_meets(lower->args[0], count->args[0]));
    CHECK(!gh_btype_meets(sum->result, lower->args[0]));     /* number vs string */
    CHECK(gh_btype_meets(count->result, sum->result));
    CHECK(gh_btype_meets(lower->args[0], lower->result));
    const gh_bsig *get = gh_builtin_sig(gh_builtin_lookup("object.get", 10));
    CHECK(!gh_btype_meets(get->args[0], lower->args[0]));  /* object vs string */
    CHECK(gh_btype_meets(get->args[1], lower->args[0]));   /* any */
    CHECK(!gh_btype_meets(sum->args[0], concat->args[1]));   /* array[number] vs array[string] */
    CHECK(gh_btype_meets(count->args[0], concat->args[1]));
    gh_buf w;
    gh_buf_init(&w, 0);
    gh_btype_write(&w, count->args[0]);
    CHECK_STR(w.data, "any<set[any], array[any], object[any: any], string>");
    gh_buf_free(&w);
    gh_arena_reset(&A);
}

/* ---- print, errors, cache ---- */

static void test_print(void)
{
    const gh_builtin *p = gh_builtin_lookup("print", 5);
    gh_bctx bc = new_ctx();
    const gh_value *args[3] = {J("\"hi\"", 4, "print"), NULL, J("{\"a\": [1, \"x\"]}", 15, "print")};
    const gh_value *out = NULL;
    print_calls = 0;
    CHECK(gh_builtin_call(p, &bc, args, 3, &out) == 0);
    CHECK(print_calls == 1);
    CHECK_STR(print_last, "hi <undefined> {\"a\": [1, \"x\"]}");
    CHECK(gh_builtin_call(p, &bc, args, 0, &out) == 0);
    CHECK_STR(print_last, "");
    /* internal.print: one line per combination */
    const gh_builtin *ip = gh_builtin_lookup("internal.print", 14);
    const gh_value *sets[1] = {J("[{\"$set\": [1, 2]}, {\"$set\": []}, \"s\"]", 37, "print")};
    print_calls = 0;
    CHECK(gh_builtin_call(ip, &bc, sets, 1, &out) == 0);
    CHECK(print_calls == 2);
    CHECK_STR(print_last, "2 <undefined> s");
    gh_arena_reset(&A);
}

static void test_calls(void)
{
    gh_bctx bc = new_ctx();
    const gh_value *out = NULL;
    const gh_builtin *count = gh_builtin_lookup("count", 5);
    const gh_value *one[1] = {NULL};
    CHECK(gh_builtin_call(count, &bc, one, 1, &out) == GH_EUNDEFINED); /* undefined argument */
    CHECK(gh_builtin_call(count, &bc, one, 2, &out) == GH_EINVAL);     /* wrong arity */
    one[0] = GH_NULL;
    CHECK(gh_builtin_call(count, &bc, one, 1, &out) == GH_ETYPE);
    CHECK_STR(bc.err_code, "eval_type_error");
    CHECK_STR(bc.err_msg, "count: operand 1 must be one of {array, object, set, string} but got null");
    /* err_code is cleared by the next call */
    one[0] = J("[]", 2, "calls");
    CHECK(gh_builtin_call(count, &bc, one, 1, &out) == 0);
    CHECK(bc.err_code == NULL);
    /* an arena that cannot grow: GH_ENOMEM, no err_code, no crash */
    gh_arena tiny;
    gh_arena_init(&tiny, 64);
    gh_bctx tb = {.arena = &tiny};
    const gh_builtin *rep = gh_builtin_lookup("replace", 7);
    const gh_value *rargs[3] = {J("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", 106, "calls"),
                                J("\"a\"", 3, "calls"), J("\"bbbbbbbbbb\"", 12, "calls")};
    int rc = gh_builtin_call(rep, &tb, rargs, 3, &out);
    CHECK(rc == GH_ENOMEM || rc == GH_ELIMIT);
    CHECK(tb.err_code == NULL);
    gh_arena_free(&tiny);
    gh_arena_reset(&A);
}

/* rand.intn and uuid.rfc4122: random, but one answer per argument within an evaluation. */
static void test_memo(void)
{
    gh_bctx bc = new_ctx();
    const gh_builtin *ri = gh_builtin_lookup("rand.intn", 9), *uu = gh_builtin_lookup("uuid.rfc4122", 12);
    const gh_value *a[2] = {J("\"seed\"", 6, "memo"), J("1000000000", 10, "memo")}, *x = NULL, *y = NULL;
    CHECK(gh_builtin_call(ri, &bc, a, 2, &x) == 0);
    CHECK(gh_builtin_call(ri, &bc, a, 2, &y) == 0);
    CHECK(x && y && gh_value_equal(x, y));
    int64_t i = -1;
    CHECK(gh_number_get_int(x, &i) && i >= 0 && i < 1000000000);
    const gh_value *neg[2] = {a[0], J("-1000000000", 11, "memo")};
    CHECK(gh_builtin_call(ri, &bc, neg, 2, &y) == 0 && gh_value_equal(x, y)); /* |n| is the key */
    CHECK(gh_builtin_call(uu, &bc, a, 1, &x) == 0);
    CHECK(gh_builtin_call(uu, &bc, a, 1, &y) == 0);
    size_t n;
    const char *s = gh_string_ptr(x, &n);
    CHECK(s && n == 36 && s[14] == '4' && strchr("89ab", s[19]) && s[8] == '-' && gh_value_equal(x, y));
    const gh_value *b[1] = {J("\"other\"", 7, "memo")};
    CHECK(gh_builtin_call(uu, &bc, b, 1, &y) == 0 && !gh_value_equal(x, y));
    /* a new evaluation (memo reset by the VM) draws again */
    bc.memo = NULL;
    CHECK(gh_builtin_call(uu, &bc, a, 1, &y) == 0 && !gh_value_equal(x, y));
    gh_arena_reset(&A);
}

static void test_cache(void)
{
    gh_bcache *c = gh_bcache_new();
    gh_bctx bc = new_ctx();
    bc.cache = c;
    const gh_builtin *m = gh_builtin_lookup("regex.match", 11);
    char pat[32];
    /* more patterns than slots: evictions must be clean (ASan) and results right */
    for (int i = 0; i < 300; i++) {
        snprintf(pat, sizeof pat, "^a{%d}$", i % 150 + 1);
        const gh_value *args[2] = {gh_value_string(&A, pat, strlen(pat)), gh_value_string(&A, "aaa", 3)};
        const gh_value *out = NULL;
        CHECK(gh_builtin_call(m, &bc, args, 2, &out) == 0);
        CHECK(gh_value_get_bool(out) == (i % 150 + 1 == 3));
    }
    gh_bcache_free(c);
    gh_bcache_free(NULL);
    gh_arena_reset(&A);
}

/* Several threads calling builtins at once, each with its own context (and no evaluator
 * cache, so the thread-local fallback is exercised): results must not interfere. Run under
 * ThreadSanitizer to check for races. */
static void *thread_body(void *arg)
{
    long id = (long)arg;
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_bctx bc = {.arena = &a};
    const gh_builtin *m = gh_builtin_lookup("regex.match", 11), *g = gh_builtin_lookup("glob.match", 10);
    const gh_builtin *lo = gh_builtin_lookup("lower", 5), *sp = gh_builtin_lookup("sprintf", 7);
    long bad = 0;
    for (int i = 0; i < 300; i++) {
        char pat[32], txt[32];
        snprintf(pat, sizeof pat, "^t%ld-%d$", id, i % 40);
        snprintf(txt, sizeof txt, "t%ld-%d", id, i % 40);
        const gh_value *args[3] = {gh_value_string(&a, pat, strlen(pat)), gh_value_string(&a, txt, strlen(txt)), NULL};
        const gh_value *out = NULL;
        if (gh_builtin_call(m, &bc, args, 2, &out) != 0 || !gh_value_get_bool(out)) bad++;
        const gh_value *gargs[3] = {gh_value_string(&a, "t*-?", 4), GH_NULL, args[1]};
        if (gh_builtin_call(g, &bc, gargs, 3, &out) != 0 || gh_value_get_bool(out) != (i % 40 < 10)) bad++;
        const gh_value *largs[1] = {gh_value_string(&a, "ÅÄÖ", 6)};
        size_t n;
        if (gh_builtin_call(lo, &bc, largs, 1, &out) != 0 || strcmp(gh_string_ptr(out, &n), "åäö") != 0) bad++;
        const gh_value *num = gh_value_int(&a, id);
        const gh_value *sargs[2] = {gh_value_string(&a, "%d", 2), gh_value_array(&a, &num, 1)};
        if (gh_builtin_call(sp, &bc, sargs, 2, &out) != 0 || atol(gh_string_ptr(out, &n)) != id) bad++;
        gh_arena_reset(&a);
    }
    gh_arena_free(&a);
    return (void *)bad;
}

static void test_threads(void)
{
    pthread_t t[4];
    for (long i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, thread_body, (void *)i) == 0);
    for (int i = 0; i < 4; i++) {
        void *bad = NULL;
        pthread_join(t[i], &bad);
        CHECK(bad == NULL);
    }
}

int main(void)
{
    gh_arena_init(&A, 0);
    test_registry();
    test_types();
    test_print();
    test_calls();
    test_cache();
    test_memo();
    test_threads();
    run_file("data/builtins.txt");
    gh_arena_free(&A);
    return tests_done("test_builtins");
}
