/* Formatter conformance: every module of every case in OPA's v1 suite that parses as Rego
 * v1 is formatted twice. It must format (no refusal), the second pass must equal the
 * first (idempotent), and the formatted text must parse to the same syntax tree as the
 * original, with as many comments (JSON without locations; as `opa fmt`, v1 output drops
 * `future.keywords` imports beside `import rego.v1` and writes every rule value with
 * `:=`, so both trees are compared without those). Each module is run a second time
 * with a comment added at the end of every line that can take one, to put comments in
 * awkward places. Prints "N modules ...: N idempotent, N same AST, N failed" for both;
 * exits 77 (skipped) when the suite is absent.
 * Usage: fmt_conformance [DIR] */
#include "cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "gatehouse/arena.h"
#include "gatehouse/diag.h"
#include "parse.h"

#define SHOW_MAX 15 /* failures printed in full */

typedef struct tally {
    long modules, idempotent, same_ast, failed, skipped;
} tally;

typedef struct run {
    tally plain;     /* the modules as written */
    tally commented; /* each with a comment at the end of every line that can take one */
    int shown;
} run;

static void show(run *r, const char *path, const char *note, const char *why, const char *detail,
                 const char *src)
{
    if (r->shown++ >= SHOW_MAX) return;
    fprintf(stderr, "FAIL %s [%s]: %s\n%s\n--- module:\n%s\n", path, note ? note : "?", why,
            detail ? detail : "", src);
}

static bool is_ref(const gh_import *im, const char *root, size_t n, const char *second)
{
    const gh_term *p = im->path;
    if (p->kind != GH_TERM_REF || p->u.list.n < 2 || (n && p->u.list.n != n)) return false;
    if (!gh_term_is_var(p->u.list.items[0], root)) return false;
    return !second || (p->u.list.items[1]->kind == GH_TERM_STRING &&
                       strcmp(p->u.list.items[1]->u.str.s, second) == 0);
}

static int cmp_import(const void *a, const void *b)
{
    gh_buf x, y;
    gh_buf_init(&x, 0), gh_buf_init(&y, 0);
    gh_term_to_rego((*(const gh_import *const *)a)->path, &x);
    gh_term_to_rego((*(const gh_import *const *)b)->path, &y);
    int c = strcmp(x.data ? x.data : "", y.data ? y.data : "");
    gh_buf_free(&x), gh_buf_free(&y);
    return c;
}

/* What v1 output leaves out (as `opa fmt`): `future.keywords` imports when `rego.v1` is
 * imported. Import groups are sorted and rule values are all written `:=`, so imports
 * are compared sorted and `assign` is cleared. */
static void normalize(gh_module *m)
{
    bool has_v1 = false;
    for (size_t i = 0; i < m->nimports; i++) has_v1 |= is_ref(m->imports[i], "rego", 2, "v1");
    size_t n = 0;
    for (size_t i = 0; i < m->nimports; i++)
        if (!(has_v1 && is_ref(m->imports[i], "future", 0, NULL))) m->imports[n++] = m->imports[i];
    m->nimports = n;
    if (n) qsort(m->imports, n, sizeof *m->imports, cmp_import);
    for (size_t i = 0; i < m->nrules; i++)
        for (gh_rule *r = m->rules[i]; r; r = r->else_rule)
            if (r->head) r->head->assign = false;
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
        normalize(m);
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
static void check(run *r, tally *t, const char *path, const char *note, const char *src,
                  size_t len, const gh_buf *once)
{
    gh_buf twice, err, t1, t2;
    gh_buf_init(&twice, 0), gh_buf_init(&err, 0), gh_buf_init(&t1, 0), gh_buf_init(&t2, 0);
    bool ok = true;
    if (gh_fmt_source("m.rego", once->data, once->len, NULL, &twice, &err) == 0 && buf_eq(once, &twice)) {
        t->idempotent++;
    } else {
        ok = false;
        show(r, path, note, "not idempotent", twice.data ? twice.data : err.data, once->data);
    }
    size_t c1 = 0, c2 = 0;
    if (tree(src, len, &t1, &c1) && tree(once->data, once->len, &t2, &c2) && buf_eq(&t1, &t2) && c1 == c2) {
        t->same_ast++;
    } else {
        ok = false;
        show(r, path, note, "different syntax tree or comments", once->data, src);
    }
    if (!ok) t->failed++;
    gh_buf_free(&twice), gh_buf_free(&err), gh_buf_free(&t1), gh_buf_free(&t2);
}

static void one_module(run *r, tally *t, const char *path, const char *note, const char *src,
                       size_t len)
{
    gh_buf once, err, ignore;
    gh_buf_init(&once, 0), gh_buf_init(&err, 0), gh_buf_init(&ignore, 0);
    size_t nc;
    if (!tree(src, len, &ignore, &nc)) {
        t->skipped++; /* not a v1 module (a parse-error case): nothing to format */
    } else {
        t->modules++;
        if (gh_fmt_source("m.rego", src, len, NULL, &once, &err) != 0) {
            t->failed++;
            show(r, path, note, "refused", err.data, src);
        } else {
            check(r, t, path, note, src, len, &once);
        }
    }
    gh_buf_free(&once), gh_buf_free(&err), gh_buf_free(&ignore);
}

/* src with " # cN" after every non-blank line free of quotes and comments: comments in
 * every awkward spot the suite's layouts offer (after `[`, `,`, `{`, `|`, operators...). */
static void with_comments(const char *src, size_t len, gh_buf *out)
{
    size_t start = 0;
    int n = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && src[i] != '\n') continue;
        gh_buf_append(out, src + start, i - start);
        bool blank = true, plain = true;
        for (size_t k = start; k < i; k++) {
            if (src[k] != ' ' && src[k] != '\t' && src[k] != '\r') blank = false;
            if (src[k] == '"' || src[k] == '`' || src[k] == '#') plain = false;
        }
        if (!blank && plain) gh_buf_printf(out, " # c%d", n++);
        if (i < len) gh_buf_putc(out, '\n');
        start = i + 1;
    }
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
            if (!src) continue;
            one_module(r, &r->plain, path, note, src, len);
            gh_buf c;
            gh_buf_init(&c, 0);
            with_comments(src, len, &c);
            if (c.data) one_module(r, &r->commented, path, note, c.data, c.len);
            gh_buf_free(&c);
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
    const tally *p = &r.plain, *c = &r.commented;
    printf("%ld modules (%ld not v1, skipped): %ld idempotent, %ld same AST, %ld failed\n",
           p->modules, p->skipped, p->idempotent, p->same_ast, p->failed);
    printf("%ld with a comment on every line (%ld skipped): %ld idempotent, %ld same AST, "
           "%ld failed\n",
           c->modules, c->skipped, c->idempotent, c->same_ast, c->failed);
    return p->failed || c->failed || p->modules == 0 ? 1 : 0;
}
