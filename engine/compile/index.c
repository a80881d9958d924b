/* Rule indexing: when several definitions of a rule are guarded by equality between the
 * same input ref and a constant (`input.method == "GET"`), the procedure evaluates the ref
 * once, looks its value up in a table built here, and skips every definition whose guard
 * cannot hold (IDX + JNOBIT), instead of running each body up to its guard. */
#include <string.h>

#include "compile/compile.h"

#define INDEX_MIN_DEFS 3

/* The value of a ground ref into base documents (`data.roles.admin`), or NULL (rules on
 * the way, or nothing there). */
static const gh_value *base_value(gh_comp *c, const gh_term *t)
{
    if (t->kind != GH_TERM_REF || !gh_term_is_var(t->u.list.items[0], "data")) return NULL;
    if (name_resolve(c, "data", NULL, NULL, NULL) != GH_NAME_DATA) return NULL;
    const gh_rnode *n = c->rev->root;
    const gh_value *v = NULL;
    for (size_t i = 1; i < t->u.list.n; i++) {
        const gh_term *k = t->u.list.items[i];
        if (k->kind != GH_TERM_STRING) return NULL;
        if (n) {
            if (n->defs.n) return NULL;
            gh_rnode *kid = tree_child(c, (gh_rnode *)n, k->u.str.s, k->u.str.len, false);
            if (kid) {
                n = kid;
                continue;
            }
            v = n->base;
            n = NULL;
        }
        v = v && gh_value_kind(v) == GH_KIND_OBJECT ? gh_object_get_str(v, k->u.str.s, k->u.str.len)
                                                    : NULL;
        if (!v) return NULL;
    }
    if (n) return n->defs.n || n->nkids ? NULL : n->base;
    return v;
}

/* The guard of one definition: a top-level `ref == const` on an all-string input ref (the
 * constant may be a base document: `input.user == data.admin`). */
static bool def_guard(gh_comp *c, const gh_cdef *d, gh_term **ref, const gh_value **k, gh_buf *key)
{
    if (d->rule->is_default || d->rule->else_rule || !d->rule->body) return false;
    const gh_body *b = d->rule->body;
    for (size_t i = 0; i < b->n; i++) {
        const gh_expr *e = b->items[i];
        if (e->negated || e->nwith || e->kind != GH_EXPR_CALL || e->u.call.n != 3) continue;
        const char *op = call_name(c, e->u.call.terms[0]);
        if (!op || (strcmp(op, "equal") != 0 && strcmp(op, "eq") != 0)) continue;
        for (int side = 1; side <= 2; side++) {
            gh_term *r = e->u.call.terms[side], *o = e->u.call.terms[3 - side];
            if (r->kind != GH_TERM_REF || r->u.list.n < 2 ||
                !gh_term_is_var(r->u.list.items[0], "input"))
                continue;
            bool ok = true;
            for (size_t j = 1; j < r->u.list.n && ok; j++)
                ok = r->u.list.items[j]->kind == GH_TERM_STRING;
            const gh_value *cv = ok ? term_const(c, o) : NULL;
            if (ok && !cv) cv = base_value(c, o);
            if (!cv) continue;
            gh_buf_clear(key);
            gh_term_to_rego(r, key);
            *ref = r;
            *k = cv;
            return true;
        }
    }
    return false;
}

gh_rindex *index_plan(gh_comp *c, gh_rnode *n, gh_term **ref_out)
{
    uint32_t nd = n->defs.n;
    if (nd < INDEX_MIN_DEFS || nd > 64 || n->kind == GH_PROC_FUNC) return NULL;
    gh_term **refs = gh_arena_calloc(&c->scratch, nd, sizeof *refs);
    const gh_value **ks = gh_arena_calloc(&c->scratch, nd, sizeof *ks);
    char **keys = gh_arena_calloc(&c->scratch, nd, sizeof *keys);
    gh_buf b;
    gh_buf_init(&b, 0);
    for (uint32_t i = 0; i < nd; i++) {
        gh_cdef *d = n->defs.items[i];
        c->mod = d->mod; /* names resolve in the definition's module */
        if (def_guard(c, d, &refs[i], &ks[i], &b) &&
            name_resolve(c, "input", NULL, NULL, NULL) == GH_NAME_INPUT)
            keys[i] = gh_arena_strndup(&c->scratch, b.data, b.len);
    }
    gh_buf_free(&b);
    /* the ref guarding the most definitions */
    int best = -1, best_n = 0;
    for (uint32_t i = 0; i < nd; i++) {
        if (!keys[i]) continue;
        int cnt = 0;
        for (uint32_t j = 0; j < nd; j++)
            cnt += keys[j] && strcmp(keys[i], keys[j]) == 0;
        if (cnt > best_n) best = (int)i, best_n = cnt;
    }
    if (best < 0 || best_n < 2) return NULL;
    gh_rindex *ix = gh_arena_calloc(c->a, 1, sizeof *ix);
    const gh_value **vals = gh_arena_calloc(&c->scratch, nd, sizeof *vals);
    const gh_value **uniq = gh_arena_calloc(&c->scratch, nd, sizeof *uniq);
    uint64_t *masks = gh_arena_calloc(c->a, nd, sizeof *masks);
    size_t nu = 0;
    for (uint32_t i = 0; i < nd; i++) {
        if (!keys[i] || strcmp(keys[i], keys[best]) != 0) {
            ix->always |= (uint64_t)1 << i;
            continue;
        }
        size_t u = 0;
        while (u < nu && !gh_value_equal(uniq[u], ks[i]))
            u++;
        if (u == nu) uniq[nu++] = ks[i];
        masks[u] |= (uint64_t)1 << i;
    }
    for (size_t u = 0; u < nu; u++) {
        masks[u] |= ix->always;
        vals[u] = gh_value_int(c->a, (int64_t)u);
    }
    if (gh_value_object(c->a, uniq, vals, nu, &ix->table, NULL) != 0) return NULL;
    ix->masks = masks;
    *ref_out = refs[best];
    return ix;
}
