/* Conformance runner pieces that need no evaluator: judging outcomes as OPA's runner does,
 * the expected-failures list, the per-folder table and the folder split (cf-N.M ids). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/conformance.h"
#include "gatehouse/yaml.h"
#include "testlib.h"

static gh_arena arena;

static const gh_value *yv(const char *text)
{
    const gh_value *v = NULL;
    gh_yaml_error err;
    if (gh_yaml_read(&arena, text, strlen(text), NULL, &v, &err) != 0) {
        fprintf(stderr, "bad test YAML: %s\n", err.msg);
        return GH_NULL;
    }
    return v;
}

/* The outcome of judging rows (or an error) against a case written in YAML. */
static int judge(const char *case_yaml, const gh_value *rows, const char *code, const char *text,
                 char *msg)
{
    gh_cf_got got = {rows, code, text};
    gh_cf_verdict v;
    gh_cf_judge(&arena, yv(case_yaml), &got, &v);
    if (msg) strcpy(msg, v.msg);
    free(v.detail);
    return v.outcome;
}

static void test_results(void)
{
    char msg[512];
    const char *want = "want_result: [{x: 1}, {x: 2}]";
    /* cf-1.1 rows compare as a set: order and duplicates do not matter */
    CHECK_INT(judge(want, yv("[{x: 2}, {x: 1}]"), NULL, NULL, NULL), GH_CF_PASS);
    CHECK_INT(judge(want, yv("[{x: 2}, {x: 1}, {x: 2}]"), NULL, NULL, NULL), GH_CF_PASS);
    CHECK_INT(judge(want, yv("[{x: 1}]"), NULL, NULL, msg), GH_CF_FAIL);
    CHECK_STR(msg, "result differs (1 rows, want 2)");
    CHECK_INT(judge(want, yv("[{x: 1}, {x: 2}, {x: 3}]"), NULL, NULL, NULL), GH_CF_FAIL);
    /* cf-1.2 numbers compare as values: 1 == 1.0 */
    CHECK_INT(judge("want_result: [{x: 1.0}]", yv("[{x: 1}]"), NULL, NULL, NULL), GH_CF_PASS);
    /* cf-1.3 `want_result: []` means undefined */
    CHECK_INT(judge("want_result: []", yv("[]"), NULL, NULL, NULL), GH_CF_PASS);
    CHECK_INT(judge("want_result: []", yv("[{x: 1}]"), NULL, NULL, NULL), GH_CF_FAIL);
    /* cf-1.4 sets become sorted arrays (JSON round trip) */
    const gh_value *items[] = {gh_value_int(&arena, 3), gh_value_int(&arena, 1)};
    const gh_value *set = gh_value_set(&arena, items, 2), *key = gh_value_string(&arena, "x", 1);
    const gh_value *row, *rows;
    CHECK_INT(gh_value_object(&arena, &key, &set, 1, &row, NULL), 0);
    rows = gh_value_array(&arena, &row, 1);
    CHECK_INT(judge("want_result: [{x: [1, 3]}]", rows, NULL, NULL, NULL), GH_CF_PASS);
    /* cf-1.5 sort_bindings sorts the actual arrays only */
    CHECK_INT(judge("want_result: [{x: [1, 2, 3]}]", yv("[{x: [3, 1, 2]}]"), NULL, NULL, NULL),
              GH_CF_FAIL);
    CHECK_INT(judge("{sort_bindings: true, want_result: [{x: [1, 2, 3]}]}", yv("[{x: [3, 1, 2]}]"),
                    NULL, NULL, NULL),
              GH_CF_PASS);
    /* cf-1.6 ignore_generated_vars drops __localq bindings */
    const char *gen = "[{x: 1, __localq0__: 2}]";
    CHECK_INT(judge("want_result: [{x: 1}]", yv(gen), NULL, NULL, NULL), GH_CF_FAIL);
    CHECK_INT(
        judge("{ignore_generated_vars: true, want_result: [{x: 1}]}", yv(gen), NULL, NULL, NULL),
        GH_CF_PASS);
    /* cf-1.7 non-string keys compare as their JSON text */
    const gh_value *one = gh_value_int(&arena, 1), *obj;
    CHECK_INT(gh_value_object(&arena, &one, &one, 1, &obj, NULL), 0);
    CHECK_INT(gh_value_object(&arena, &key, &obj, 1, &row, NULL), 0);
    rows = gh_value_array(&arena, &row, 1);
    CHECK_INT(judge("want_result: [{x: {\"1\": 1}}]", rows, NULL, NULL, NULL), GH_CF_PASS);
}

static void test_errors(void)
{
    char msg[512];
    const char *text = "test-0.rego:4: eval_type_error: count: operand 1 must be one of {...}";
    /* cf-2.1 an error nobody asked for fails the case */
    CHECK_INT(judge("want_result: []", NULL, "eval_type_error", text, msg), GH_CF_FAIL);
    CHECK(strncmp(msg, "unexpected error: test-0.rego:4:", 32) == 0);
    /* cf-2.2 want_error_code is exact, want_error a substring */
    CHECK_INT(judge("want_error_code: eval_type_error", NULL, "eval_type_error", text, NULL),
              GH_CF_PASS);
    CHECK_INT(judge("want_error_code: eval_type", NULL, "eval_type_error", text, NULL), GH_CF_FAIL);
    CHECK_INT(judge("want_error: 'operand 1 must be'", NULL, "eval_type_error", text, NULL),
              GH_CF_PASS);
    CHECK_INT(judge("want_error: 'operand 2 must be'", NULL, "eval_type_error", text, NULL),
              GH_CF_FAIL);
    CHECK_INT(judge("{want_error_code: eval_type_error, want_error: 'count: operand'}", NULL,
                    "eval_type_error", text, NULL),
              GH_CF_PASS);
    CHECK_INT(judge("{want_error_code: eval_builtin_error, want_error: 'count: operand'}", NULL,
                    "eval_type_error", text, NULL),
              GH_CF_FAIL);
    /* cf-2.3 an error wanted but a result given */
    CHECK_INT(judge("want_error_code: eval_conflict_error", yv("[{x: 1}]"), NULL, NULL, msg),
              GH_CF_FAIL);
    CHECK_STR(msg, "want error eval_conflict_error, got a result");
    /* cf-2.4 want_defined */
    CHECK_INT(judge("want_defined: true", yv("[{x: 1}]"), NULL, NULL, NULL), GH_CF_PASS);
    CHECK_INT(judge("want_defined: true", yv("[]"), NULL, NULL, NULL), GH_CF_FAIL);
    CHECK_INT(judge("want_defined: false", yv("[]"), NULL, NULL, NULL), GH_CF_PASS);
    /* cf-2.5 skip, and cases that want nothing */
    CHECK_INT(judge("{skip: true, want_result: []}", NULL, "x", "x", NULL), GH_CF_SKIP);
    CHECK_INT(judge("{skip: 'not yet', want_result: []}", NULL, "x", "x", NULL), GH_CF_SKIP);
    CHECK_INT(judge("{skip: false, want_result: []}", yv("[]"), NULL, NULL, NULL), GH_CF_PASS);
    CHECK_INT(judge("note: nothing wanted", yv("[]"), NULL, NULL, msg), GH_CF_FAIL);
    CHECK(strstr(msg, "invalid case") != NULL);
}

static void test_normalize(void)
{
    /* cf-3.1 normalisation keeps rows and sorts only when asked */
    const gh_value *out;
    CHECK_INT(gh_cf_normalize_rows(&arena, yv("[{b: [2, 1], a: x}]"), true, false, &out), 0);
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_json_write(&b, out, 0);
    CHECK_STR(b.data, "[{\"a\":\"x\",\"b\":[1,2]}]");
    gh_buf_free(&b);
}

static char *slurp(const char *path)
{
    size_t n;
    return test_read_file(path, &n);
}

static void test_expected(void)
{
    char path[] = "/tmp/gh-cf-expected-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# comment\n\nb/second\tsome reason\na/first\twhy\tnot\nc/no-reason\n", f);
    fclose(f);
    /* cf-4.1 loading: comments and blank lines skipped, the first tab splits */
    gh_cf_expected x;
    gh_cf_expected_init(&x);
    CHECK_INT(gh_cf_expected_load(&x, path), 0);
    CHECK_INT(x.n, 3);
    CHECK_INT(gh_cf_expected_find(&x, "a/first"), 1);
    CHECK_STR(x.reasons[1], "why not");
    CHECK_STR(x.reasons[2], "");
    CHECK_INT(gh_cf_expected_find(&x, "zzz"), -1);
    /* cf-4.2 writing: sorted, duplicates once, tabs and newlines flattened */
    CHECK_INT(gh_cf_expected_add(&x, "a/first", "again"), 0);
    CHECK_INT(gh_cf_expected_add(&x, "d/multi", "line one\nline\ttwo"), 0);
    CHECK_INT(gh_cf_expected_write(&x, path), 0);
    char *text = slurp(path);
    const char *body = text ? strstr(text, "a/first") : NULL;
    CHECK_STR(
        body,
        "a/first\twhy not\nb/second\tsome reason\nc/no-reason\t\nd/multi\tline one line two\n");
    free(text);
    gh_cf_expected_free(&x);
    /* cf-4.3 a missing file is an empty list */
    gh_cf_expected_init(&x);
    CHECK_INT(gh_cf_expected_load(&x, "/nonexistent/expected.txt"), 0);
    CHECK_INT(x.n, 0);
    gh_cf_expected_free(&x);
    remove(path);
}

static void test_table(void)
{
    /* cf-5.1 folders split into language and builtin families */
    CHECK(gh_cf_is_builtin_folder("time"));
    CHECK(gh_cf_is_builtin_folder("opa-v1/strings"));
    CHECK(!gh_cf_is_builtin_folder("withkeyword"));
    CHECK(!gh_cf_is_builtin_folder("topdowndynamicdispatch"));
    CHECK(!gh_cf_is_builtin_folder("comprehensions"));
    /* cf-5.2 the table and the closing line */
    gh_cf_table t = {0};
    gh_cf_tally *r = gh_cf_table_row(&t, "every");
    r->passed = 30, r->failed = 5;
    r = gh_cf_table_row(&t, "time");
    r->passed = 1, r->skipped = 2;
    gh_cf_table_row(&t, "every")->passed++;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    gh_cf_table_print(&t, out);
    fclose(out);
    CHECK(strstr(text, "folder           | passed | failed | skipped |    pass\n") == text);
    CHECK(strstr(text, "every            |     31 |      5 |       0 |   86.1%\n") != NULL);
    CHECK(strstr(text, "language folders |     31 |      5 |       0 |   86.1%\n") != NULL);
    CHECK(strstr(text, "builtin folders  |      1 |      0 |       2 |  100.0%\n") != NULL);
    len = strlen(text);
    const char *closing = "\n32 passed, 5 failed, 2 skipped\n";
    CHECK(len > strlen(closing) && strcmp(text + len - strlen(closing), closing) == 0);
    free(text);
    gh_cf_table_free(&t);
}

int main(void)
{
    gh_arena_init(&arena, 0);
    test_results();
    test_errors();
    test_normalize();
    test_expected();
    test_table();
    gh_arena_free(&arena);
    return tests_done("test_conformance");
}
