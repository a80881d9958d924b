/* Parse errors, word for word: every case of data/parse_errors.txt (format at its top) must
 * give exactly the listed "file:line:col: rego_parse_error: message" lines, and every
 * prefix of every case must parse or fail cleanly. A few byte-level cases live here. */
#include "parse.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ncases;

/* Parses src as test.rego and returns the short form of each diagnostic, one per line. */
static char *errors_of(const char *src, size_t len, int *rc)
{
    gh_arena a;
    gh_diags d;
    gh_module *m;
    gh_buf out;
    gh_arena_init(&a, 0);
    gh_diags_init(&d);
    gh_buf_init(&out, 0);
    *rc = gh_parse_module(&a, "test.rego", src, len, NULL, &m, &d);
    for (size_t i = 0; i < d.n; i++) {
        gh_diag_format_short(&d.items[i], &out);
        gh_buf_putc(&out, '\n');
    }
    /* the caret form must render too */
    gh_buf full;
    gh_buf_init(&full, 0);
    gh_diags_format(&d, &full);
    gh_buf_free(&full);
    gh_diags_free(&d);
    gh_arena_free(&a);
    return gh_buf_take(&out, NULL);
}

static void run_case(const char *name, const char *src, size_t len, const char *want)
{
    int rc;
    char *got = errors_of(src, len, &rc);
    ncases++;
    tests_run++;
    if (strcmp(got, want) != 0 || rc != GH_EPARSE)
        test_fail(__FILE__, __LINE__, "case '%s' (rc %d):\n--- got:\n%s--- want:\n%s", name, rc, got, want);
    free(got);
    /* every prefix: no crash, and an error or a module */
    for (size_t n = 0; n < len; n++) {
        int prc;
        free(errors_of(src, n, &prc));
        if (prc != 0 && prc != GH_EPARSE) {
            test_fail(__FILE__, __LINE__, "case '%s' prefix %zu: rc %d", name, n, prc);
            break;
        }
    }
}

static void run_file(const char *path)
{
    size_t len;
    char *text = test_read_file(path, &len);
    CHECK(text != NULL);
    if (!text) return;
    char *p = strstr(text, "\n%% ");
    while (p) {
        p++; /* at "%% " */
        char *eol = strchr(p, '\n');
        if (!eol) break;
        *eol = '\0';
        const char *name = p + 3;
        char *src = eol + 1, *sep = strstr(src, "\n--\n");
        if (!sep) break;
        sep[1] = '\0'; /* module text keeps its last newline */
        char *exp = sep + 4, *next = strstr(exp, "\n%% ");
        if (next) next[1] = '\0';
        size_t el = strlen(exp);
        while (el >= 2 && exp[el - 1] == '\n' && exp[el - 2] == '\n') exp[--el] = '\0';
        run_case(name, src, strlen(src), exp);
        if (next) next[1] = '%';
        p = next;
    }
    free(text);
}

static void test_bytes(void)
{
    static const char nul[] = "package test\n\np := 1\0\n";
    int rc;
    char *got = errors_of(nul, sizeof nul - 1, &rc);
    CHECK_STR(got, "test.rego:3:7: rego_parse_error: illegal null character\n");
    free(got);
#define LIT(s) s, sizeof s - 1
    got = errors_of(LIT("package test\n\np := \"\xff\"\n"), &rc);
    CHECK_STR(got, "test.rego:3:6: rego_parse_error: illegal utf-8 character\n");
    free(got);
    got = errors_of(LIT("package test\n# bad \xc3\x28 comment\n"), &rc);
    CHECK_STR(got, "test.rego:2:1: rego_parse_error: illegal utf-8 character\n");
    free(got);
    got = errors_of(LIT("package test\n\np := \xe2\x82\xac\n"), &rc);
    CHECK_STR(got, "test.rego:3:6: rego_parse_error: illegal token\n");
    free(got);
    /* a leading byte-order mark is fine, a later one is not */
    got = errors_of(LIT("\xEF\xBB\xBFpackage test\np := 1\n"), &rc);
    CHECK_STR(got, "");
    CHECK_INT(rc, 0);
    free(got);
}

/* Error count is capped; the rest are counted as dropped. */
static void test_many_errors(void)
{
    gh_buf src;
    gh_buf_init(&src, 0);
    gh_buf_puts(&src, "package test\n");
    for (int i = 0; i < 50; i++) gh_buf_printf(&src, "p%d := ]\n", i);
    gh_arena a;
    gh_diags d;
    gh_module *m;
    gh_arena_init(&a, 0);
    gh_diags_init(&d);
    CHECK_INT(gh_parse_module(&a, "test.rego", src.data, src.len, NULL, &m, &d), GH_EPARSE);
    CHECK_INT(d.n, GH_PARSE_MAX_ERRORS);
    CHECK_INT(d.dropped, 50 - GH_PARSE_MAX_ERRORS);
    CHECK_INT(d.items[1].line, 3);
    gh_diags_free(&d);
    gh_arena_free(&a);
    gh_buf_free(&src);
}

/* Deep nesting is an error, not a stack overflow. */
static void test_deep(void)
{
    size_t n = 200000;
    char *s = malloc(n + 16);
    memcpy(s, "package p\nx := ", 15);
    memset(s + 15, '[', n);
    gh_arena a;
    gh_diags d;
    gh_module *m;
    gh_arena_init(&a, 0);
    gh_diags_init(&d);
    CHECK_INT(gh_parse_module(&a, "test.rego", s, n + 15, NULL, &m, &d), GH_EPARSE);
    CHECK(d.n >= 1 && strcmp(d.items[0].msg, "max parsing recursion depth exceeded") == 0);
    gh_diags_free(&d);
    gh_arena_free(&a);
    free(s);
}

int main(void)
{
    run_file("data/parse_errors.txt");
    CHECK(ncases >= 40);
    test_bytes();
    test_many_errors();
    test_deep();
    return tests_done("test_parse_errors");
}
