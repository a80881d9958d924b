/* The policy-test harness core (engine/testing*.c) through its API: Go's duration text,
 * discovery (names, skips, ref heads, parameterised tests, --run), duplicate test names,
 * outcomes (pass, fail, undefined, error, sub-results), print capture, parallel runs and
 * coverage. Ids: testing-N.M. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/engine.h"
#include "gatehouse/testing.h"
#include "testlib.h"

static void check_duration(uint64_t ns, const char *want)
{
    char buf[64];
    gh_test_format_duration(ns, buf, sizeof buf);
    CHECK_STR(buf, want);
}

/* testing-1: time.Duration.String */
static void test_durations(void)
{
    check_duration(0, "0s");
    check_duration(1, "1ns");
    check_duration(999, "999ns");
    check_duration(1000, "1µs");
    check_duration(1500, "1.5µs");
    check_duration(605076, "605.076µs");
    check_duration(1200000, "1.2ms");
    check_duration(100000000, "100ms");
    check_duration(2500000000u, "2.5s");
    check_duration(60500000000u, "1m0.5s");
    check_duration(63000000000u, "1m3s");
    check_duration(3600000000000u, "1h0m0s");
    check_duration(3723000000001u, "1h2m3.000000001s");
    char small[4];
    gh_test_format_duration(605076, small, sizeof small); /* truncated, never overrun */
    CHECK(strlen(small) < sizeof small);
}

static const char mod_policy[] = "package p\n\n"
                                 "allow if input.x == 1\n\n"
                                 "v := 1 if input.c\n"
                                 "v := 2 if input.c\n";

static const char mod_tests[] = "package p_test\n\n"
                                "import data.p\n\n"
                                "test_pass if p.allow with input as {\"x\": 1}\n\n"
                                "test_fail if p.allow with input as {\"x\": 2}\n\n"
                                "test_undefined if input.nope\n\n"
                                "test_conflict if p.v with input as {\"c\": true}\n\n"
                                "test_print if {\n\tprint(\"hello\", 1)\n\tprint(\"bye\")\n}\n\n"
                                "todo_test_later if false\n\n"
                                "test_dup if true\n\n"
                                "test_dup if false\n\n"
                                "a.b.test_ref if true\n\n"
                                "test_cases[k] := v if some k, v in {\"x\": true, \"y\": false}\n\n"
                                "test_fn(x) if x\n";

static gh_source sources[2];

static void load_sources(void)
{
    sources[0] = (gh_source){strdup("p.rego"), strdup(mod_policy), strlen(mod_policy)};
    sources[1] = (gh_source){strdup("p_test.rego"), strdup(mod_tests), strlen(mod_tests)};
}

static const gh_test *find(const gh_test_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].name, name) == 0) return &l->items[i];
    return NULL;
}

/* testing-2: discovery */
static void test_discover(void)
{
    gh_test_list l = {0};
    char err[256];
    CHECK_INT(gh_tests_rename_duplicates(sources, 2, false), 0);
    CHECK_INT(gh_tests_discover(sources, 2, false, NULL, &l, err, sizeof err), 0);
    CHECK_INT(l.n, 10); /* test_fn (a function) is no test */
    const gh_test *t = find(&l, "todo_test_later");
    CHECK(t && t->skip);
    CHECK(find(&l, "test_dup") && find(&l, "test_dup#01"));
    t = find(&l, "a.b.test_ref");
    CHECK(t && strcmp(t->pkg, "data.p_test") == 0 && t->row == 24);
    t = find(&l, "test_cases");
    CHECK(t && t->param);
    CHECK(!find(&l, "test_fn"));
    for (size_t i = 1; i < l.n; i++) /* in file, then row order */
        CHECK(l.items[i - 1].row < l.items[i].row);
    gh_test_list_free(&l);

    CHECK_INT(
        gh_tests_discover(sources, 2, false, "p_test\\.test_(pass|fail)$", &l, err, sizeof err), 0);
    CHECK_INT(l.n, 2);
    gh_test_list_free(&l);
    CHECK(gh_tests_discover(sources, 2, false, "(", &l, err, sizeof err) < 0);
    CHECK(strstr(err, "invalid --run pattern") != NULL);
    gh_test_list_free(&l);
}

static void check_outcome(const gh_test_list *l, const char *name, gh_test_outcome want)
{
    const gh_test *t = find(l, name);
    CHECK(t != NULL);
    if (t && t->outcome != want)
        test_fail(__FILE__, __LINE__, "%s: outcome %d, want %d", name, t->outcome, want);
}

/* testing-3: running, serially and in parallel; testing-4: coverage */
static void test_run(unsigned threads)
{
    gh_diags d;
    gh_diags_init(&d);
    gh_revision *rev = gh_revision_load(sources, 2, NULL, NULL, &d);
    CHECK(rev != NULL);
    gh_diags_free(&d);
    if (!rev) return;
    gh_test_list l = {0};
    char err[256];
    CHECK_INT(gh_tests_discover(sources, 2, false, NULL, &l, err, sizeof err), 0);
    gh_cover cov = {0};
    gh_test_run_opts o = {.threads = threads, .cover = &cov};
    CHECK_INT(gh_tests_run(rev, &l, &o), 0);
    check_outcome(&l, "test_pass", GH_TEST_PASS);
    check_outcome(&l, "test_fail", GH_TEST_FAIL);
    check_outcome(&l, "test_undefined", GH_TEST_FAIL);
    CHECK(find(&l, "test_undefined") && find(&l, "test_undefined")->undefined);
    check_outcome(&l, "test_conflict", GH_TEST_ERROR);
    const gh_test *t = find(&l, "test_conflict");
    CHECK(t && t->error && strstr(t->error, "p.rego:6: eval_conflict_error:"));
    check_outcome(&l, "todo_test_later", GH_TEST_SKIPPED);
    check_outcome(&l, "test_dup", GH_TEST_PASS);
    check_outcome(&l, "test_dup#01", GH_TEST_FAIL);
    check_outcome(&l, "a.b.test_ref", GH_TEST_PASS);
    check_outcome(&l, "test_cases", GH_TEST_FAIL);
    t = find(&l, "test_cases");
    CHECK(t && t->nsubs == 2 && t->subs[0].leaf && !t->subs[0].fail && t->subs[1].fail);
    t = find(&l, "test_print");
    CHECK(t && t->output && strcmp(t->output, "hello 1\nbye\n") == 0);
    CHECK(find(&l, "test_pass") && !find(&l, "test_pass")->output);

    gh_buf json, miss;
    gh_buf_init(&json, 0);
    gh_buf_init(&miss, 0);
    double pct = -1;
    CHECK_INT(gh_cover_report(&cov, sources, 2, false, &json, &pct, &miss), 0);
    CHECK(pct > 0 && pct < 100);
    CHECK(json.data && strstr(json.data, "\"files\": {\n    \"p.rego\": {"));
    CHECK(miss.data && strstr(miss.data, "\n\tp_test.rego:")); /* test_fn never ran */
    gh_buf_free(&json);
    gh_buf_free(&miss);
    gh_cover_free(&cov);
    gh_test_list_free(&l);
    gh_revision_release(rev);
}

int main(void)
{
    test_durations();
    load_sources();
    test_discover();
    test_run(1);
    test_run(4);
    for (int i = 0; i < 2; i++) {
        free((char *)sources[i].name);
        free((char *)sources[i].text);
    }
    return tests_done("test_testing");
}
