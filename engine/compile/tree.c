/* Pass 1: the rule tree. Packages and rule paths (including ref heads `a.b[c].d := v`)
 * become nodes under `data`; each node holding rules gets their definitions, and every
 * node learns the base document at its path, so refs can be resolved statically. */
#include <stdio.h>
#include <string.h>

#include "compile/compile.h"
#include "gatehouse/error.h"

static uint32_t key_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static bool kid_is(const gh_rnode *k, const char *key, size_t len)
{
    size_t kl;
    const char *ks = gh_string_ptr(k->key, &kl);
    return kl == len && memcmp(ks, key, len) == 0;
}

/* Packages with thousands of rules: names are resolved against the tree all the time, so
 * nodes with many children get a hash index. */
static void kid_index(gh_comp *c, gh_rnode *n)
{
    uint32_t cap = 64;
    while (cap < 2 * n->nkids)
        cap *= 2;
    n->kidx = gh_arena_calloc(c->a, cap, sizeof *n->kidx);
    n->kcap = cap;
    for (uint32_t i = 0; i < n->nkids; i++) {
        size_t kl;
        const char *ks = gh_string_ptr(n->kids[i]->key, &kl);
        uint32_t s = key_hash(ks, kl) & (cap - 1);
        while (n->kidx[s])
            s = (s + 1) & (cap - 1);
        n->kidx[s] = i + 1;
    }
}

gh_rnode *gh_rnode_kid(const gh_rnode *n, const char *key, size_t len)
{
    if (n->kidx) {
        uint32_t s = key_hash(key, len) & (n->kcap - 1);
        for (; n->kidx[s]; s = (s + 1) & (n->kcap - 1))
            if (kid_is(n->kids[n->kidx[s] - 1], key, len)) return n->kids[n->kidx[s] - 1];
        return NULL;
    }
    for (uint32_t i = 0; i < n->nkids; i++)
        if (kid_is(n->kids[i], key, len)) return n->kids[i];
    return NULL;
}

gh_rnode *tree_child(gh_comp *c, gh_rnode *n, const char *key, size_t len, bool create)
{
    gh_rnode *found = gh_rnode_kid(n, key, len);
    if (found || !create) return found;
    gh_rnode *k = gh_arena_calloc(c->a, 1, sizeof *k);
    if (!k) return NULL;
    k->key = gh_value_string(c->a, key, len);
    k->parent = n;
    k->kind = -1;
    size_t pl = strlen(n->path);
    char *p = gh_arena_alloc(c->a, pl + len + 2);
    memcpy(p, n->path, pl);
    p[pl] = '.';
    memcpy(p + pl + 1, key, len);
    p[pl + 1 + len] = 0;
    k->path = p;
    {
        size_t nk = n->keys ? gh_value_len(n->keys) : 0;
        const gh_value **ks = gh_arena_alloc(c->a, (nk + 1) * sizeof *ks);
        for (size_t i = 0; i < nk; i++)
            ks[i] = gh_array_get(n->keys, i);
        ks[nk] = k->key;
        k->keys = gh_value_array(c->a, ks, nk + 1);
    }
    if (n->nkids == n->capkids) {
        uint32_t cap = n->capkids ? n->capkids * 2 : 4;
        n->kids =
            gh_arena_realloc(c->a, n->kids, n->capkids * sizeof *n->kids, cap * sizeof *n->kids);
        n->capkids = cap;
    }
    n->kids[n->nkids++] = k;
    if (n->nkids >= 16 && (!n->kidx || 2 * n->nkids > n->kcap)) {
        kid_index(c, n);
    } else if (n->kidx) {
        uint32_t s = key_hash(key, len) & (n->kcap - 1);
        while (n->kidx[s])
            s = (s + 1) & (n->kcap - 1);
        n->kidx[s] = n->nkids;
    }
    if (n->base && gh_value_kind(n->base) == GH_KIND_OBJECT)
        k->base = gh_object_get_str(n->base, key, len);
    return k;
}

size_t ref_ground_prefix(gh_term *const *items, size_t n)
{
    size_t i = 0;
    while (i < n && items[i]->kind == GH_TERM_STRING)
        i++;
    return i;
}

static int head_kind(const gh_head *h, size_t ntail)
{
    if (h->nargs > 0) return GH_PROC_FUNC;
    if (!h->value) return ntail ? GH_PROC_OBJ : GH_PROC_SET;
    return ntail ? GH_PROC_OBJ : GH_PROC_COMPLETE;
}

static void tree_add_rule(gh_comp *c, gh_cmod *cm, gh_rule *r)
{
    gh_head *h = r->head;
    if (!h || h->invalid || h->nref == 0) return;
    gh_rnode *n = cm->pkg;
    const gh_term *t0 = h->ref[0];
    n = tree_child(c, n, t0->u.str.s, t0->u.str.len, true);
    size_t g = 1 + ref_ground_prefix(h->ref + 1, h->nref - 1);
    /* `p[k] := v` and `p contains k` keep their key in the head; the tail is what the
     * ref says beyond the ground prefix. */
    for (size_t i = 1; i < g; i++)
        n = tree_child(c, n, h->ref[i]->u.str.s, h->ref[i]->u.str.len, true);
    gh_cdef *d = gh_arena_calloc(c->a, 1, sizeof *d);
    d->rule = r;
    d->mod = cm;
    d->tail = h->ref + g;
    d->ntail = h->nref - g;
    /* multi-value rules with a tail: the last ref item is the element, not a key */
    if (!h->value && h->nargs == 0 && d->ntail > 0 && h->key == h->ref[h->nref - 1]) d->ntail--;
    int k = head_kind(h, d->ntail);
    if (n->kind >= 0 && n->kind != k) {
        comp_error(c, &r->loc, "rego_type_error", "conflicting rules %s found", n->path);
        return;
    }
    if (k == GH_PROC_FUNC && n->defs.n > 0) {
        gh_cdef *d0 = n->defs.items[0];
        if (d0->rule->head->nargs != h->nargs) {
            comp_error(c, &r->loc, "rego_type_error", "conflicting rules %s found", n->path);
            return;
        }
    }
    n->kind = k;
    gh_vec_push(c->a, &n->defs, d);
}

/* Rules may not sit above other rules (p := 1 with p.q := 2); rules on a base document
 * path are shadowed by it. */
static void tree_check(gh_comp *c, gh_rnode *n)
{
    if (n->defs.n > 0) {
        gh_cdef *d = n->defs.items[0];
        /* ref heads with variables (p[x].s := 1) may share their prefix with other rules
         * (p.q.r := 2): the values merge at run time; anything else may not */
        if (n->nkids > 0 && n->kind != GH_PROC_OBJ)
            comp_error(c, &d->rule->loc, "rego_type_error", "rule %s conflicts with rules below it",
                       n->path);
        if (n->base) {
            /* OPA's evaluator reads the base document where both exist (the store wins over
             * the rules), so do the same: the rules at this path are never evaluated. */
            n->defs.n = 0;
            n->kind = -1;
        }
    }
    for (uint32_t i = 0; i < n->nkids; i++)
        tree_check(c, n->kids[i]);
}

int tree_build(gh_comp *c, gh_cmod *mods, size_t n, const gh_value *data)
{
    gh_rnode *root = gh_arena_calloc(c->a, 1, sizeof *root);
    root->path = "data";
    root->kind = -1;
    root->base = data;
    root->keys = gh_value_array(c->a, NULL, 0);
    c->rev->root = root;
    for (size_t i = 0; i < n; i++) {
        gh_cmod *cm = &mods[i];
        gh_term *path = cm->m->package->path;
        gh_rnode *node = root;
        for (size_t j = 1; j < path->u.list.n; j++) {
            gh_term *t = path->u.list.items[j];
            if (t->kind != GH_TERM_STRING) break;
            node = tree_child(c, node, t->u.str.s, t->u.str.len, true);
        }
        cm->pkg = node;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < mods[i].m->nrules; j++)
            tree_add_rule(c, &mods[i], mods[i].m->rules[j]);
    tree_check(c, root);
    return c->nerr ? GH_EPARSE : 0;
}
