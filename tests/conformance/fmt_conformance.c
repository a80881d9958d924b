/* Formatter conformance: every module of every case in OPA's v1 suite that parses as Rego
 * v1 is formatted twice. It must format (no refusal), the second pass must equal the
 * first (idempotent), and the formatted text must parse to the same syntax tree as the
 * original (JSON without locations; v1 output drops `import rego.v1` and
 * `future.keywords` imports, so those are left out of the original's tree) with as many
 * comments. Prints "N modules, N idempotent, N same AST, N failed"; exits 77 (skipped)
 * when the suite is absent. Usage: fmt_conformance [DIR] */
#include "cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "gatehouse/arena.h"
#include "gatehouse/diag.h"
#include "parse.h"

#define SHOW_MAX 15 /* failures printed in full */

typedef struct run {
    long modules, idempotent, same_ast, failed, skipped;
    int shown;
} run;

static void show(run *r, const char *path, const char *note, const char *why, const char *detail,
                 const char *src)
{
    if (r->shown++ >= SHOW_MAX) return;
    fprintf(stderr, "FAIL %s [%s]: %s\n%s\n--- module:\n%s\n", path, note ? note : "?", why,
            detail ? detail : "", src);
}

static bool dropped(const gh_import *im)
{
    const gh_term *p = im->path;
    if (im->alias || p->kind != GH_TERM_REF || p->u.list.n < 2) return false;
    const gh_term *h = p->u.list.items[0], *s = p->u.list.items[1];
    if (s->kind != GH_TERM_STRING) return false;
    if (gh_term_is_var(h, "rego")) return p->u.list.n == 2 && strcmp(s->u.str.s, "v1") == 0;
    return gh_term_is_var(h, "future") && strcmp(s->u.str.s, "keywords") == 0;
}

/* The module's tree as JSON (no locations), or false when it does not parse. */
static bool tree(const char *src, size_t len, gh_buf *json, size_t *ncomments)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_diags d;
    gh_diags_init(&d);
    gh_module *m = NULL;
    bool ok = gh_parse_module(&a, "m.rego", src, len, NULL, &m, &d) == 0;
    if (ok) {
        size_t n = 0;
        for (size_t i = 0; i < m->nimports; i++)
            if (!dropped(m->imports[i])) m->imports[n++] = m->imports[i];
        m->nimports = n;
        *ncomments = m->ncomments;
        gh_ast_module_to_json(m, json, false);
    }
    gh_diags_free(&d);
    gh_arena_free(&a);
    return ok;
}

static bool buf_eq(const gh_buf *a, const gh_buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Checks one formatted text against its original; counts and reports. */
static void check(run *r, const char *path, const char *note, const char *src, size_t len,
                  const gh_buf *once)
{
    gh_buf twice, err, t1, t2;
    gh_buf_init(&twice, 0), gh_buf_init(&err, 0), gh_buf_init(&t1, 0), gh_buf_init(&t2, 0);
    bool ok = true;
    if (gh_fmt_source("m.rego", once->data, once->len, NULL, &twice, &err) == 0 && buf_eq(once, &twice)) {
        r->idempotent++;
    } else {
        ok = false;
        show(r, path, note, "not idempotent", twice.data ? twice.data : err.data, once->data);
    }
    size_t c1 = 0, c2 = 0;
    if (tree(src, len, &t1, &c1) && tree(once->data, once->len, &t2, &c2) && buf_eq(&t1, &t2) && c1 == c2) {
        r->same_ast++;
    } else {
        ok = false;
        show(r, path, note, "different syntax tree or comments", once->data, src);
    }
    if (!ok) r->failed++;
    gh_buf_free(&twice), gh_buf_free(&err), gh_buf_free(&t1), gh_buf_free(&t2);
}

static void one_module(run *r, const char *path, const char *note, const char *src, size_t len)
{
    gh_buf once, err, ignore;
    gh_buf_init(&once, 0), gh_buf_init(&err, 0), gh_buf_init(&ignore, 0);
    size_t nc;
    if (!tree(src, len, &ignore, &nc)) {
        r->skipped++; /* not a v1 module (a parse-error case): nothing to format */
    } else {
        r->modules++;
        if (gh_fmt_source("m.rego", src, len, NULL, &once, &err) != 0) {
            r->failed++;
            show(r, path, note, "refused", err.data, src);
        } else {
            check(r, path, note, src, len, &once);
        }
    }
    gh_buf_free(&once), gh_buf_free(&err), gh_buf_free(&ignore);
}

static void run_file(const char *path, void *ctx)
{
    run *r = ctx;
    case_file f;
    if (case_file_load(&f, path) != 0) return;
    for (size_t i = 0; i < case_count(&f); i++) {
        yaml_node_t *c = case_at(&f, i);
        const char *note = case_scalar(&f, c, "note", NULL);
        yaml_node_t *mods = case_field(&f, c, "modules");
        for (size_t k = 0; k < case_seq_len(&f, mods); k++) {
            size_t len;
            const char *src = case_seq_scalar(&f, mods, k, &len);
            if (src) one_module(r, path, note, src, len);
        }
    }
    case_file_free(&f);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../../shared/conformance/opa-v1";
    run r = {0};
    long files = cases_walk(dir, run_file, &r);
    if (files < 0) {
        printf("skipped: %s not found (the shared conformance suite is optional)\n", dir);
        return 77;
    }
    printf("%ld modules (%ld not v1, skipped): %ld idempotent, %ld same AST, %ld failed\n",
           r.modules, r.skipped, r.idempotent, r.same_ast, r.failed);
    return r.failed || r.modules == 0 ? 1 : 0;
}
