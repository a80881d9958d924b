/* Duplicate test names for the policy-test harness: OPA runs every definition of a test
 * name as its own test, the second and later renamed test_x#01, test_x#02 (per package, in
 * module order). Here they are renamed in the module text before compiling. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "gatehouse/error.h"
#include "gatehouse/testing.h"
#include "parse.h"

typedef struct seen {
    char **keys; /* "data.pkg.test_x" */
    int *count;
    size_t n;
} seen;

/* How many definitions of key came before (and counts this one). -1 when out of memory. */
static int seen_add(seen *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->keys[i], key) == 0) return s->count[i]++;
    char **k = realloc(s->keys, (s->n + 1) * sizeof *k);
    if (k) s->keys = k;
    int *c = realloc(s->count, (s->n + 1) * sizeof *c);
    if (c) s->count = c;
    if (!k || !c || !(s->keys[s->n] = strdup(key))) return -1;
    s->count[s->n++] = 1;
    return 0;
}

static void seen_free(seen *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s->count);
}

/* The module's text with the head names of repeated tests renamed, or NULL when nothing
 * changes (or on GH_ENOMEM in *rc). */
static char *rename_in_module(const gh_source *src, const gh_module *m, seen *s, int *rc)
{
    gh_buf pkg, out;
    gh_buf_init(&pkg, 0);
    gh_buf_init(&out, 0);
    const gh_term *p = m->package->path;
    for (size_t i = 0; i < p->u.list.n; i++)
        gh_buf_printf(&pkg, "%s%s", i ? "." : "", p->u.list.items[i]->u.str.s);
    size_t at = 0;
    bool changed = false;
    for (size_t i = 0; *rc == 0 && i < m->nrules; i++) {
        const gh_head *h = m->rules[i]->head;
        if (!h || h->invalid || h->nref != 1 || h->nargs || h->key || !h->name) continue;
        if (strncmp(h->name, GH_TEST_PREFIX, strlen(GH_TEST_PREFIX)) != 0) continue;
        size_t len = strlen(h->name), off = h->loc.off;
        if (off < at || off + len > src->len || memcmp(src->text + off, h->name, len) != 0)
            continue; /* not where the name is written: leave it */
        gh_buf key;
        gh_buf_init(&key, 0);
        gh_buf_printf(&key, "%s.%s", pkg.data ? pkg.data : "", h->name);
        int k = key.failed ? -1 : seen_add(s, key.data);
        gh_buf_free(&key);
        if (k < 0) *rc = GH_ENOMEM;
        if (k <= 0) continue;
        gh_buf_append(&out, src->text + at, off - at);
        gh_buf_printf(&out, "%s" GH_TEST_DUP_MARK "%02d", h->name, k);
        at = off + len;
        changed = true;
    }
    gh_buf_append(&out, src->text + at, src->len - at);
    gh_buf_free(&pkg);
    if (out.failed) *rc = GH_ENOMEM;
    size_t n;
    char *text = changed && *rc == 0 ? gh_buf_take(&out, &n) : NULL;
    gh_buf_free(&out);
    return text;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(gh_source *const *)a)->name, (*(gh_source *const *)b)->name);
}

int gh_tests_rename_duplicates(gh_source *modules, size_t n, bool v0_compatible)
{
    gh_source **order = malloc((n + 1) * sizeof *order);
    if (!order) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++)
        order[i] = &modules[i];
    qsort(order, n, sizeof *order, cmp_name);
    seen s = {0};
    int rc = 0;
    gh_parse_opts po = {.v0_compatible = v0_compatible};
    for (size_t i = 0; rc == 0 && i < n; i++) {
        gh_arena a;
        gh_arena_init(&a, 0);
        gh_diags d;
        gh_diags_init(&d);
        gh_module *m = NULL;
        gh_source *src = order[i];
        if (gh_parse_module(&a, src->name, src->text, src->len, &po, &m, &d) == 0 && m &&
            m->package) {
            char *text = rename_in_module(src, m, &s, &rc);
            if (text) {
                free((char *)src->text);
                src->text = text;
                src->len = strlen(text);
            }
        }
        gh_diags_free(&d);
        gh_arena_free(&a);
    }
    seen_free(&s);
    free(order);
    return rc;
}
