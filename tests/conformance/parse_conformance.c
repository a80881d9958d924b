/* Front-end conformance: every module, query and input_term of every case in OPA's v1
 * suite must parse as Rego v1, except in cases that expect rego_parse_error, which must
 * fail. Prints "N passed, N failed" per kind; exits 77 (skipped) when the suite is absent.
 * Usage: parse_conformance [DIR]   (default ../shared/conformance/opa-v1 from the repo) */
#include "cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/diag.h"
#include "parse.h"

#define SHOW_MAX 25 /* failures printed in full */

typedef struct tally {
    long passed, failed;
} tally;

typedef struct run {
    tally modules, queries, terms, files;
    int shown;
    gh_arena arena;
} run;

static void show_failure(run *r, const char *path, const char *note, const char *what,
                         const gh_diags *d, const char *src)
{
    if (r->shown++ >= SHOW_MAX) return;
    gh_buf b;
    gh_buf_init(&b, 0);
    if (d && d->n) gh_diags_format(d, &b);
    fprintf(stderr, "FAIL %s [%s] %s\n%s%s%s", path, note ? note : "?", what,
            b.data ? b.data : "", src ? src : "", src ? "\n" : "");
    gh_buf_free(&b);
}

static bool wants_parse_error(const case_file *f, yaml_node_t *c)
{
    const char *code = case_scalar(f, c, "want_error_code", NULL);
    const char *text = case_scalar(f, c, "want_error", NULL);
    /* A want_error text naming rego_parse_error beside another code is a runtime error
     * (rego.parse_module failing), not a module that must not parse. */
    if (code) return strcmp(code, "rego_parse_error") == 0;
    return text && strstr(text, "rego_parse_error");
}

/* One case's modules: all must parse, or (when a parse error is expected) one must fail. */
static void run_modules(run *r, const case_file *f, yaml_node_t *c, const char *note)
{
    yaml_node_t *mods = case_field(f, c, "modules");
    size_t n = case_seq_len(f, mods);
    bool want_error = wants_parse_error(f, c), any_failed = false;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *src = case_seq_scalar(f, mods, i, &len);
        if (!src) continue;
        char name[32];
        snprintf(name, sizeof name, "test-%zu.rego", i);
        gh_diags d;
        gh_diags_init(&d);
        gh_parse_opts opts = {.v0_compatible = false};
        gh_module *m = NULL;
        int rc = gh_parse_module(&r->arena, name, src, len, &opts, &m, &d);
        gh_arena_reset(&r->arena);
        if (rc != 0) any_failed = true;
        if (!want_error) {
            if (rc == 0) {
                r->modules.passed++;
            } else {
                r->modules.failed++;
                show_failure(r, f->path, note, name, &d, src);
            }
        }
        gh_diags_free(&d);
    }
    if (want_error) {
        if (any_failed) {
            r->modules.passed++;
        } else {
            r->modules.failed++;
            show_failure(r, f->path, note, "expected rego_parse_error, modules parsed", NULL, NULL);
        }
    }
}

static void run_query(run *r, const case_file *f, yaml_node_t *c, const char *note)
{
    size_t len;
    const char *q = case_scalar(f, c, "query", &len);
    if (!q) return;
    gh_diags d;
    gh_diags_init(&d);
    gh_parse_opts opts = {.v0_compatible = false};
    gh_body *body = NULL;
    int rc = gh_parse_query(&r->arena, "query", q, len, &opts, &body, &d);
    gh_arena_reset(&r->arena);
    if (rc == 0 || wants_parse_error(f, c)) {
        r->queries.passed++;
    } else {
        r->queries.failed++;
        show_failure(r, f->path, note, "query", &d, q);
    }
    gh_diags_free(&d);
}

static void run_input_term(run *r, const case_file *f, yaml_node_t *c, const char *note)
{
    size_t len;
    const char *t = case_scalar(f, c, "input_term", &len);
    if (!t) return;
    gh_diags d;
    gh_diags_init(&d);
    gh_term *term = NULL;
    int rc = gh_parse_term(&r->arena, "input_term", t, len, &term, &d);
    gh_arena_reset(&r->arena);
    if (rc == 0) {
        r->terms.passed++;
    } else {
        r->terms.failed++;
        show_failure(r, f->path, note, "input_term", &d, t);
    }
    gh_diags_free(&d);
}

static void run_file(const char *path, void *ctx)
{
    run *r = ctx;
    case_file f;
    if (case_file_load(&f, path) != 0) {
        r->files.failed++;
        return;
    }
    r->files.passed++;
    for (size_t i = 0; i < case_count(&f); i++) {
        yaml_node_t *c = case_at(&f, i);
        const char *note = case_scalar(&f, c, "note", NULL);
        run_modules(r, &f, c, note);
        run_query(r, &f, c, note);
        run_input_term(r, &f, c, note);
    }
    case_file_free(&f);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../../shared/conformance/opa-v1";
    run r = {0};
    gh_arena_init(&r.arena, 0);
    long files = cases_walk(dir, run_file, &r);
    gh_arena_free(&r.arena);
    if (files < 0) {
        printf("skipped: %s not found (the shared conformance suite is optional)\n", dir);
        return 77;
    }
    printf("files:       %ld loaded, %ld unreadable\n", r.files.passed, r.files.failed);
    printf("modules:     %ld passed, %ld failed\n", r.modules.passed, r.modules.failed);
    printf("queries:     %ld passed, %ld failed\n", r.queries.passed, r.queries.failed);
    printf("input_terms: %ld passed, %ld failed\n", r.terms.passed, r.terms.failed);
    long failed = r.files.failed + r.modules.failed + r.queries.failed + r.terms.failed;
    if (r.modules.passed == 0) failed++; /* an empty run proves nothing */
    return failed ? 1 : 0;
}
