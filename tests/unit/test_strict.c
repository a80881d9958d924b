/* OPA's declaration checks and strict mode, word for word: every case of
 * data/strict_cases.txt (format at its top) compiled in its mode must give exactly the
 * listed "file:line:col: code: message" lines, or compile when none are listed. */
#include "gatehouse/engine.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ncases, nstrict, nclean;

/* Compiles src as test.rego and returns the short form of each diagnostic, one per line. */
static char *errors_of(const char *src, const gh_load_opts *opts, bool *loaded)
{
    gh_source m = {.name = "test.rego", .text = src, .len = strlen(src)};
    gh_diags d;
    gh_buf out, full;
    gh_diags_init(&d);
    gh_buf_init(&out, 0);
    gh_revision *rev = gh_revision_load(&m, 1, NULL, opts, &d);
    *loaded = rev != NULL;
    gh_revision_release(rev);
    for (size_t i = 0; i < d.n; i++) {
        gh_diag_format_short(&d.items[i], &out);
        gh_buf_putc(&out, '\n');
    }
    /* the caret form must render too, with the source line of every finding */
    gh_buf_init(&full, 0);
    gh_diags_format(&d, &full);
    for (size_t i = 0; i < d.n; i++)
        if (!d.items[i].src_line)
            test_fail(__FILE__, __LINE__, "no source line: %s", d.items[i].msg);
    gh_buf_free(&full);
    gh_diags_free(&d);
    char *s = gh_buf_take(&out, NULL);
    return s ? s : strdup("");
}

/* "strict", "default", "strict-v0" or "default-v0" into load options; false if unknown. */
static bool parse_mode(const char *mode, size_t len, gh_load_opts *opts)
{
    *opts = (gh_load_opts){0};
    if (len == 6 && strncmp(mode, "strict", 6) == 0)
        opts->strict = true;
    else if (len == 9 && strncmp(mode, "strict-v0", 9) == 0)
        opts->strict = opts->v0_compatible = true;
    else if (len == 10 && strncmp(mode, "default-v0", 10) == 0)
        opts->v0_compatible = true;
    else if (!(len == 7 && strncmp(mode, "default", 7) == 0))
        return false;
    return true;
}

static void run_case(const char *header, const char *src, const char *want)
{
    const char *sp = strchr(header, ' ');
    gh_load_opts opts;
    ncases++;
    tests_run++;
    if (!sp || !parse_mode(header, (size_t)(sp - header), &opts)) {
        test_fail(__FILE__, __LINE__, "case '%s': unknown mode", header);
        return;
    }
    bool loaded;
    char *got = errors_of(src, &opts, &loaded);
    if (strcmp(got, want) != 0 || loaded != (*want == '\0'))
        test_fail(__FILE__, __LINE__, "case '%s':\n--- got:\n%s--- want:\n%s", header, got, want);
    nstrict += opts.strict;
    nclean += *want == '\0';
    free(got);
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
        const char *header = p + 3;
        char *src = eol + 1, *sep = strstr(src, "\n--\n");
        if (!sep) break;
        sep[1] = '\0'; /* module text keeps its last newline */
        char *exp = sep + 4, *next = strstr(exp, "\n%% ");
        if (next) next[1] = '\0';
        size_t el = strlen(exp);
        while (el >= 1 && exp[el - 1] == '\n' && (el == 1 || exp[el - 2] == '\n'))
            exp[--el] = '\0';
        run_case(header, src, exp);
        if (next) next[1] = '%';
        p = next;
    }
    free(text);
}

/* The same module passes without strict mode and fails with it: the option is what counts. */
static void test_option(void)
{
    const char *src = "package test\n\nf(x, y) := x\n";
    gh_load_opts strict = {.strict = true};
    bool loaded;
    char *got = errors_of(src, NULL, &loaded);
    CHECK_STR(got, "");
    CHECK(loaded);
    free(got);
    got = errors_of(src, &strict, &loaded);
    CHECK_STR(got, "test.rego:3:1: rego_compile_error: unused argument y. (hint: use _ (wildcard "
                   "variable) instead)\n");
    CHECK(!loaded);
    free(got);
}

/* Findings across modules keep module order, and the source line is each finding's own. */
static void test_two_modules(void)
{
    gh_source m[2] = {
        {.name = "a.rego", .text = "package a\n\np if {\n\tsome x\n\ttrue\n}\n"},
        {.name = "b.rego", .text = "package b\n\nq if {\n\tsome y\n\ttrue\n}\n"},
    };
    m[0].len = strlen(m[0].text);
    m[1].len = strlen(m[1].text);
    gh_diags d;
    gh_diags_init(&d);
    CHECK(gh_revision_load(m, 2, NULL, NULL, &d) == NULL);
    CHECK_INT(d.n, 2);
    if (d.n == 2) {
        CHECK_STR(d.items[0].file, "a.rego");
        CHECK_STR(d.items[0].src_line, "\tsome x");
        CHECK_STR(d.items[1].file, "b.rego");
        CHECK_STR(d.items[1].msg, "declared var y unused");
    }
    gh_diags_free(&d);
}

int main(void)
{
    run_file("data/strict_cases.txt");
    CHECK(ncases >= 35);
    CHECK(nstrict >= 15);
    CHECK(nclean >= 10);
    test_option();
    test_two_modules();
    return tests_done("test_strict");
}
