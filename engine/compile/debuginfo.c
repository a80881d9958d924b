/* Debug information for the profiler and the explainer: every instruction knows the body
 * expression it was compiled from (and whether it starts it), and every expression knows
 * its local variables and their registers, so a failure can show their values (gatehouse
 * test --var-values). The VM reads none of this unless a hook is on. */
#include <string.h>

#include "compile/compile.h"

/* The variables OPA shows for an expression: those of its operands (not the operator), of
 * `with` values, and of nested terms, but not inside comprehensions (evaluated apart). */
static void collect_vars(gh_comp *c, const gh_term *t, gh_vec *out)
{
    switch (t->kind) {
    case GH_TERM_VAR:
        if (t->u.str.s[0] != '$') gh_vec_push(&c->scratch, out, (void *)t);
        break;
    case GH_TERM_REF:
    case GH_TERM_ARRAY:
    case GH_TERM_SET:
        for (size_t i = 0; i < t->u.list.n; i++)
            collect_vars(c, t->u.list.items[i], out);
        break;
    case GH_TERM_CALL:
        for (size_t i = 1; i < t->u.list.n; i++)
            collect_vars(c, t->u.list.items[i], out);
        break;
    case GH_TERM_OBJECT:
        for (size_t i = 0; i < t->u.obj.n; i++) {
            collect_vars(c, t->u.obj.keys[i], out);
            collect_vars(c, t->u.obj.vals[i], out);
        }
        break;
    default: break;
    }
}

static void expr_vars(gh_comp *c, const gh_expr *e, gh_vec *out)
{
    switch (e->kind) {
    case GH_EXPR_TERM: collect_vars(c, e->u.term, out); break;
    case GH_EXPR_CALL:
        for (size_t i = 1; i < e->u.call.n; i++)
            collect_vars(c, e->u.call.terms[i], out);
        break;
    case GH_EXPR_SOME:
        for (size_t i = 0; i < e->u.some.n; i++)
            collect_vars(c, e->u.some.symbols[i], out);
        break;
    case GH_EXPR_EVERY: collect_vars(c, e->u.every.domain, out); break;
    }
    for (size_t i = 0; i < e->nwith; i++)
        collect_vars(c, e->with[i]->value, out);
}

/* The expression's local variables (first occurrence of each name) and which of them are
 * bound before it runs; their registers are known once it is lowered (debug_expr_end). */
static void expr_locals(gh_comp *c, const gh_expr *e, gh_cexpr *x)
{
    gh_vec all = {0};
    expr_vars(c, e, &all);
    const gh_term **vars = gh_arena_alloc(c->a, (all.n ? all.n : 1) * sizeof *vars);
    uint8_t *bound = gh_arena_alloc(c->a, all.n ? all.n : 1);
    uint16_t n = 0;
    for (size_t i = 0; i < all.n && n < UINT16_MAX; i++) {
        const gh_term *t = all.items[i];
        if (!name_is_local(c, t->u.str.s)) continue; /* a rule, an import, input or data */
        bool seen = false;
        for (uint16_t j = 0; j < n && !seen; j++)
            seen = strcmp(vars[j]->u.str.s, t->u.str.s) == 0;
        if (seen) continue;
        gh_cvar *v = scope_find(c, t->u.str.s);
        bound[n] = v && v->bound;
        vars[n++] = t;
    }
    x->vars = vars;
    x->bound = bound;
    x->nvars = n;
}

/* Whether e is the `true` the parser put in a rule written without a body (`p := 5`): it
 * has no text of its own, so it is left out of profiles and traces. */
static bool generated(const gh_comp *c, const gh_expr *e)
{
    for (const gh_rule *r = c->rule; r; r = r->else_rule)
        if (r->generated_body && r->body && r->body->n == 1 && r->body->items[0] == e) return true;
    return false;
}

void debug_expr_begin(gh_comp *c, const gh_expr *e, const gh_cexpr **saved, bool *saved_start)
{
    *saved = c->cx;
    *saved_start = c->cx_start;
    if (generated(c, e)) {
        c->cx = NULL; /* its instructions count as the rule's own */
        return;
    }
    gh_cexpr *x = gh_arena_calloc(c->a, 1, sizeof *x);
    x->e = e;
    expr_locals(c, e, x);
    c->cx = x;
    c->cx_start = true;
}

void debug_expr_end(gh_comp *c, const gh_expr *e, const gh_cexpr *saved, bool saved_start)
{
    (void)e;
    gh_cexpr *x = (gh_cexpr *)c->cx;
    if (!x) { /* a generated body */
        c->cx = saved;
        c->cx_start = saved_start;
        return;
    }
    uint16_t *regs = gh_arena_alloc(c->a, (x->nvars ? x->nvars : 1) * sizeof *regs);
    for (uint16_t i = 0; i < x->nvars; i++) {
        gh_cvar *v = scope_find(c, x->vars[i]->u.str.s);
        regs[i] = v ? v->reg : GH_NOREG; /* none: declared inside a `not`, gone again */
    }
    x->regs = regs;
    c->cx = saved;
    /* an enclosing expression that emitted nothing yet still starts at its next instruction */
    c->cx_start = saved_start;
}

void debug_mark_fails(gh_comp *c, uint32_t from, uint32_t label, uint8_t flag)
{
    for (uint32_t pc = from; pc < c->ncode; pc++) {
        const gh_ins *i = &c->code[pc];
        bool has_f = true; /* only instructions that can fail carry a label in f */
        switch ((gh_opcode)i->op) {
        case GH_OP_INPUT:
        case GH_OP_DATA:
        case GH_OP_TRUTHY:
        case GH_OP_DOT:
        case GH_OP_DOTK:
        case GH_OP_EQ:
        case GH_OP_CMP:
        case GH_OP_ISARR:
        case GH_OP_ISOBJ:
        case GH_OP_ITER:
        case GH_OP_NEXT:
        case GH_OP_CALLB:
        case GH_OP_CALLF:
        case GH_OP_RULE:
        case GH_OP_TREE: break;
        default: has_f = false; break;
        }
        if (has_f && i->f == label) c->info[pc].flags |= flag;
    }
}
