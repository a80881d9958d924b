/* Pass 3: safety and reordering, as OPA's reorderBodyForSafety does it. A literal may be
 * lowered once every variable it reads is bound; the variables it can bind (its outputs:
 * unbound operands of refs, the pattern side of `=`/`:=`, the output argument of a call,
 * `some x in xs`) depend on what is bound already. Repeatedly take the first literal whose
 * inputs are covered; what remains is unsafe ("var x is unsafe"). Comprehensions and
 * `every` bodies are closures: a variable inside them that also occurs in an enclosing
 * body (or is in scope) is an input of the literal; the others are their own locals. */
#include <string.h>

#include "compile/compile.h"

typedef struct nset {
    const char **v;
    const gh_loc **loc;
    uint32_t n, cap;
    bool hashed; /* the analysis' bound set: membership kept in the name table */
} nset;

static bool ns_has(const nset *s, const char *name)
{
    for (uint32_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], name) == 0) return true;
    return false;
}

static void ns_add(gh_comp *c, nset *s, const char *name, const gh_loc *loc)
{
    if (s->hashed) {
        gh_name *e = name_entry(c, name, true);
        if (e->bound_at == c->bound_gen) return;
        e->bound_at = c->bound_gen;
    } else if (ns_has(s, name)) {
        return;
    }
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 8;
        s->v = gh_arena_realloc(&c->scratch, s->v, s->cap * sizeof *s->v, cap * sizeof *s->v);
        s->loc =
            gh_arena_realloc(&c->scratch, s->loc, s->cap * sizeof *s->loc, cap * sizeof *s->loc);
        s->cap = cap;
    }
    s->loc[s->n] = loc;
    s->v[s->n++] = name;
}

static bool outer_has(gh_comp *c, const char *name)
{
    for (uint32_t i = 0; i < c->outer.n; i++)
        if (strcmp(c->outer.items[i], name) == 0) return true;
    return false;
}

static void tvars(gh_comp *c, const gh_term *t, nset *out);
static void evars(gh_comp *c, const gh_expr *e, nset *out);

static void pat_names(gh_comp *c, const gh_term *t, nset *out)
{
    if (t->kind == GH_TERM_VAR)
        ns_add(c, out, t->u.str.s, &t->loc);
    else if (t->kind == GH_TERM_ARRAY)
        for (size_t i = 0; i < t->u.list.n; i++)
            pat_names(c, t->u.list.items[i], out);
    else if (t->kind == GH_TERM_OBJECT)
        for (size_t i = 0; i < t->u.obj.n; i++)
            pat_names(c, t->u.obj.vals[i], out);
}

/* Names a body declares itself (`x := ...`, `some x`, `some x in xs`): never closures. */
static void body_declared(gh_comp *c, const gh_body *b, nset *out)
{
    for (size_t i = 0; i < b->n; i++) {
        const gh_expr *e = b->items[i];
        if (e->kind == GH_EXPR_CALL && e->u.call.n == 3 && !e->negated) {
            const char *nm = call_name(c, e->u.call.terms[0]);
            if (nm && strcmp(nm, "assign") == 0) pat_names(c, e->u.call.terms[1], out);
        } else if (e->kind == GH_EXPR_SOME) {
            for (size_t j = 0; j < e->u.some.n; j++) {
                const gh_term *s = e->u.some.symbols[j];
                if (s->kind == GH_TERM_VAR)
                    ns_add(c, out, s->u.str.s, &s->loc);
                else if (s->kind == GH_TERM_CALL)
                    for (size_t k = 1; k + 1 < s->u.list.n; k++)
                        pat_names(c, s->u.list.items[k], out);
            }
        }
    }
}

/* Variables of a closure body that belong to the enclosing scope. */
static void closure_add(gh_comp *c, nset *inner, nset *out, const nset *own)
{
    for (uint32_t i = 0; i < inner->n; i++) {
        if (own && ns_has(own, inner->v[i])) continue;
        gh_cvar *v = scope_find(c, inner->v[i]);
        /* a name declared (:=, some) later in this body is not visible yet: OPA scopes
         * declarations lexically, so the closure has its own variable of that name */
        if (v && v->decl >= 0 && v->depth == c->depth && v->decl > c->cur_lit) continue;
        if (v || outer_has(c, inner->v[i])) ns_add(c, out, inner->v[i], inner->loc[i]);
    }
}

static void bvars(gh_comp *c, const gh_body *b, nset *out)
{
    for (size_t i = 0; i < b->n; i++)
        evars(c, b->items[i], out);
}

static void tvars(gh_comp *c, const gh_term *t, nset *out)
{
    switch (t->kind) {
    case GH_TERM_VAR:
        if (name_is_local(c, t->u.str.s)) ns_add(c, out, t->u.str.s, &t->loc);
        break;
    case GH_TERM_REF:
    case GH_TERM_ARRAY:
    case GH_TERM_SET:
        for (size_t i = 0; i < t->u.list.n; i++)
            tvars(c, t->u.list.items[i], out);
        break;
    case GH_TERM_CALL:
        for (size_t i = 1; i < t->u.list.n; i++)
            tvars(c, t->u.list.items[i], out);
        break;
    case GH_TERM_OBJECT:
        for (size_t i = 0; i < t->u.obj.n; i++) {
            tvars(c, t->u.obj.keys[i], out);
            tvars(c, t->u.obj.vals[i], out);
        }
        break;
    case GH_TERM_ARRAY_COMPR:
    case GH_TERM_SET_COMPR:
    case GH_TERM_OBJECT_COMPR: {
        nset in = {0}, own = {0};
        if (t->u.compr.key) tvars(c, t->u.compr.key, &in);
        tvars(c, t->u.compr.value, &in);
        bvars(c, t->u.compr.body, &in);
        body_declared(c, t->u.compr.body, &own);
        closure_add(c, &in, out, &own);
        break;
    }
    case GH_TERM_TEMPLATE:
        for (size_t i = 0; i < t->u.tpl.n; i++)
            if (t->u.tpl.parts[i].expr) evars(c, t->u.tpl.parts[i].expr, out);
        break;
    default: break;
    }
}

static void evars(gh_comp *c, const gh_expr *e, nset *out)
{
    nset tmp = {0}, *dst = e->negated ? &tmp : out;
    switch (e->kind) {
    case GH_EXPR_TERM: tvars(c, e->u.term, dst); break;
    case GH_EXPR_CALL:
        for (size_t i = 1; i < e->u.call.n; i++)
            tvars(c, e->u.call.terms[i], dst);
        break;
    case GH_EXPR_SOME:
        for (size_t i = 0; i < e->u.some.n; i++)
            if (e->u.some.symbols[i]->kind == GH_TERM_CALL) tvars(c, e->u.some.symbols[i], dst);
        break;
    case GH_EXPR_EVERY: {
        tvars(c, e->u.every.domain, dst);
        nset in = {0};
        bvars(c, e->u.every.body, &in);
        nset in2 = {0};
        for (uint32_t i = 0; i < in.n; i++) {
            const char *nm = in.v[i];
            if (e->u.every.key && gh_term_is_var(e->u.every.key, nm)) continue;
            if (gh_term_is_var(e->u.every.value, nm)) continue;
            ns_add(c, &in2, nm, in.loc[i]);
        }
        nset own = {0};
        body_declared(c, e->u.every.body, &own);
        closure_add(c, &in2, dst, &own);
        break;
    }
    }
    for (size_t i = 0; i < e->nwith; i++) {
        const gh_term *v = e->with[i]->value;
        if (v->kind == GH_TERM_VAR && !scope_find(c, v->u.str.s) &&
            gh_builtin_lookup(v->u.str.s, v->u.str.len))
            continue; /* `with f as count`: a builtin, not a variable */
        if (v->kind == GH_TERM_REF && call_name(c, v) &&
            gh_builtin_lookup(call_name(c, v), strlen(call_name(c, v))) &&
            !name_is_bound(c, v->u.list.items[0]->u.str.s))
            continue;
        tvars(c, v, out);
    }
    if (e->negated) /* wildcards inside `not` are its own (not p[_]) */
        for (uint32_t i = 0; i < tmp.n; i++)
            if (tmp.v[i][0] != '$') ns_add(c, out, tmp.v[i], tmp.loc[i]);
}

/* ---- outputs ---- */

static bool isb(gh_comp *c, const nset *bound, const char *name)
{
    if (bound->hashed) {
        const gh_name *e = name_entry(c, name, false);
        if (e && e->bound_at == c->bound_gen) return true;
    } else if (ns_has(bound, name)) {
        return true;
    }
    return name_is_bound(c, name);
}

static bool covered(gh_comp *c, const gh_term *t, const nset *bound, const nset *out)
{
    nset v = {0};
    tvars(c, t, &v);
    for (uint32_t i = 0; i < v.n; i++)
        if (!isb(c, bound, v.v[i]) && !ns_has(out, v.v[i])) return false;
    return true;
}

static void pattern_vars(gh_comp *c, const gh_term *t, const nset *bound, nset *out);

static void ref_outs(gh_comp *c, const gh_term *t, const nset *bound, nset *out)
{
    switch (t->kind) {
    case GH_TERM_REF:
        if (t->u.list.items[0]->kind != GH_TERM_VAR) ref_outs(c, t->u.list.items[0], bound, out);
        for (size_t i = 1; i < t->u.list.n; i++) {
            const gh_term *o = t->u.list.items[i];
            if (o->kind == GH_TERM_VAR && name_is_local(c, o->u.str.s) &&
                !isb(c, bound, o->u.str.s))
                ns_add(c, out, o->u.str.s, &o->loc);
            else if (o->kind == GH_TERM_ARRAY || o->kind == GH_TERM_OBJECT) {
                ref_outs(c, o, bound, out);
                pattern_vars(c, o, bound, out); /* x[[1, y]]: scanned and unified */
            } else
                ref_outs(c, o, bound, out);
        }
        break;
    case GH_TERM_ARRAY:
    case GH_TERM_SET:
        for (size_t i = 0; i < t->u.list.n; i++)
            ref_outs(c, t->u.list.items[i], bound, out);
        break;
    case GH_TERM_CALL:
        for (size_t i = 1; i < t->u.list.n; i++)
            ref_outs(c, t->u.list.items[i], bound, out);
        break;
    case GH_TERM_OBJECT:
        for (size_t i = 0; i < t->u.obj.n; i++) {
            ref_outs(c, t->u.obj.keys[i], bound, out);
            ref_outs(c, t->u.obj.vals[i], bound, out);
        }
        break;
    default: break;
    }
}

static void pattern_vars(gh_comp *c, const gh_term *t, const nset *bound, nset *out)
{
    switch (t->kind) {
    case GH_TERM_VAR:
        if (name_is_local(c, t->u.str.s) && !isb(c, bound, t->u.str.s))
            ns_add(c, out, t->u.str.s, &t->loc);
        break;
    case GH_TERM_ARRAY:
        for (size_t i = 0; i < t->u.list.n; i++)
            pattern_vars(c, t->u.list.items[i], bound, out);
        break;
    case GH_TERM_OBJECT:
        for (size_t i = 0; i < t->u.obj.n; i++)
            pattern_vars(c, t->u.obj.vals[i], bound, out);
        break;
    default: break;
    }
}

static void unify_outs(gh_comp *c, const gh_term *a, const gh_term *b, const nset *bound, nset *out)
{
    ref_outs(c, a, bound, out);
    ref_outs(c, b, bound, out);
    for (int round = 0; round < 4; round++) {
        uint32_t before = out->n;
        if (covered(c, b, bound, out)) pattern_vars(c, a, bound, out);
        if (covered(c, a, bound, out)) pattern_vars(c, b, bound, out);
        if (a->kind == GH_TERM_ARRAY && b->kind == GH_TERM_ARRAY && a->u.list.n == b->u.list.n)
            for (size_t i = 0; i < a->u.list.n; i++)
                unify_outs(c, a->u.list.items[i], b->u.list.items[i], bound, out);
        if (a->kind == GH_TERM_OBJECT && b->kind == GH_TERM_OBJECT && a->u.obj.n == b->u.obj.n)
            for (size_t i = 0; i < a->u.obj.n; i++)
                for (size_t j = 0; j < b->u.obj.n; j++) {
                    const gh_value *ka = term_const(c, a->u.obj.keys[i]);
                    const gh_value *kb = term_const(c, b->u.obj.keys[j]);
                    if (ka && kb && gh_value_equal(ka, kb))
                        unify_outs(c, a->u.obj.vals[i], b->u.obj.vals[j], bound, out);
                }
        if (out->n == before) break;
    }
}

/* Arity of a call's operator: builtin or user function; -1 variadic, -2 unknown. */
static int call_arity(gh_comp *c, const gh_term *op)
{
    const char *name = call_name(c, op);
    if (!name) return -1;
    gh_rnode *r = NULL;
    const gh_term *h = op->kind == GH_TERM_REF ? op->u.list.items[0] : op;
    if (op->kind == GH_TERM_REF && h->kind == GH_TERM_VAR) {
        gh_name_kind k = name_resolve(c, h->u.str.s, NULL, &r, NULL);
        gh_rnode *n = NULL;
        if (k == GH_NAME_RULE) {
            n = r;
            for (size_t i = 1; n && i < op->u.list.n; i++)
                n = tree_child(c, n, op->u.list.items[i]->u.str.s, op->u.list.items[i]->u.str.len,
                               false);
        } else if (k == GH_NAME_DATA) {
            n = c->rev->root;
            for (size_t i = 1; n && i < op->u.list.n; i++)
                n = tree_child(c, n, op->u.list.items[i]->u.str.s, op->u.list.items[i]->u.str.len,
                               false);
        }
        if (n && n->kind == GH_PROC_FUNC && n->defs.n) {
            gh_cdef *d = n->defs.items[0];
            return (int)d->rule->head->nargs;
        }
    }
    const gh_builtin *bi = gh_builtin_lookup(name, strlen(name));
    return bi ? bi->arity : -2;
}

static void expr_outs(gh_comp *c, const gh_expr *e, const nset *bound, nset *out)
{
    if (e->negated) return;
    switch (e->kind) {
    case GH_EXPR_TERM: ref_outs(c, e->u.term, bound, out); break;
    case GH_EXPR_CALL: {
        gh_term *const *t = e->u.call.terms;
        size_t n = e->u.call.n;
        const gh_term *op = t[0];
        const char *name = call_name(c, op);
        if (name && n == 3 && (strcmp(name, "eq") == 0 || strcmp(name, "assign") == 0)) {
            unify_outs(c, t[1], t[2], bound, out);
            break;
        }
        for (size_t i = 1; i < n; i++)
            ref_outs(c, t[i], bound, out);
        int ar = call_arity(c, op);
        /* unknown operator: let the last argument bind, so lowering reports the one error
         * that matters ("undefined function f") instead of unsafe variables */
        if (ar == -2 && n >= 2) ar = (int)n - 2;
        if (ar >= 0 && (size_t)ar + 2 == n) {
            for (size_t i = 1; i + 1 < n; i++)
                if (!covered(c, t[i], bound, out)) return;
            pattern_vars(c, t[n - 1], bound, out);
        }
        break;
    }
    case GH_EXPR_SOME:
        for (size_t i = 0; i < e->u.some.n; i++) {
            const gh_term *call = e->u.some.symbols[i];
            if (call->kind != GH_TERM_CALL) continue;
            size_t n = call->u.list.n;
            const gh_term *dom = call->u.list.items[n - 1];
            ref_outs(c, dom, bound, out);
            if (!covered(c, dom, bound, out)) continue;
            for (size_t j = 1; j + 1 < n; j++)
                pattern_vars(c, call->u.list.items[j], bound, out);
        }
        break;
    case GH_EXPR_EVERY: break;
    }
}

bool term_has_unbound(gh_comp *c, const gh_term *t)
{
    nset none = {0}, out = {0};
    pattern_vars(c, t, &none, &out);
    return out.n > 0;
}

size_t safety_order(gh_comp *c, const gh_body *b, gh_expr **order)
{
    size_t n = b->n, k = 0;
    nset *vars = gh_arena_calloc(&c->scratch, n ? n : 1, sizeof *vars);
    bool *done = gh_arena_calloc(&c->scratch, n ? n : 1, sizeof *done);
    for (size_t i = 0; i < n; i++) {
        c->cur_lit = (int32_t)i;
        evars(c, b->items[i], &vars[i]);
    }
    nset bound = {.hashed = true};
    c->bound_gen++;
    while (k < n) {
        bool progress = false;
        for (size_t i = 0; i < n && !progress; i++) {
            if (done[i]) continue;
            nset out = {0};
            c->cur_lit = (int32_t)i;
            expr_outs(c, b->items[i], &bound, &out);
            bool ok = true;
            for (uint32_t j = 0; j < vars[i].n && ok; j++)
                ok = isb(c, &bound, vars[i].v[j]) || ns_has(&out, vars[i].v[j]);
            if (!ok) continue;
            for (uint32_t j = 0; j < out.n; j++)
                ns_add(c, &bound, out.v[j], out.loc[j]);
            done[i] = true;
            order[k++] = b->items[i];
            progress = true;
        }
        if (progress) continue;
        /* Unsafe: report each variable once, in order of appearance. */
        nset seen = {0};
        for (size_t i = 0; i < n; i++) {
            if (done[i]) continue;
            for (uint32_t j = 0; j < vars[i].n; j++) {
                const char *v = vars[i].v[j];
                if (isb(c, &bound, v) || ns_has(&seen, v)) continue;
                ns_add(c, &seen, v, vars[i].loc[j]);
                const gh_loc *l = vars[i].loc[j];
                const char *shown = v;
                if (v[0] == '$') shown = "_";
                comp_error(c, l, "rego_unsafe_var_error", "var %s is unsafe", shown);
            }
        }
        if (seen.n == 0) comp_error(c, &b->loc, "rego_unsafe_var_error", "body is unsafe");
        return k;
    }
    return k;
}
