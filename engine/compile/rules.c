/* Pass 5b: rules, functions and queries become procedures. A procedure runs each
 * definition's body in turn; a body's success yields the head (YVAL/YSET/YOBJ) and jumps
 * back to the innermost scan for more solutions, or straight to the next definition when
 * the head is constant (nothing more to learn: OPA's early exit). An else chain stops at
 * its first link that yields. */
#include <string.h>

#include "compile/compile.h"

static gh_term *head_value(gh_comp *c, gh_rule *r)
{
    if (r->head->value) return r->head->value;
    return gh_term_bool(c->a, r->head->loc, true);
}

/* Parameters that are neither variables nor patterns nor constants (a template string
 * `f($"{x}")`) are compared with their argument after the body has bound their variables. */
static bool param_deferred(const gh_term *p)
{
    return p->kind == GH_TERM_TEMPLATE;
}

static void check_deferred_params(gh_comp *c, gh_head *h)
{
    for (size_t i = 0; i < h->nargs; i++) {
        if (!param_deferred(h->args[i])) continue;
        uint16_t r = lower_term(c, h->args[i]);
        emit(c, GH_OP_EQ, 0, r, (uint16_t)i, 0, c->fail);
    }
}

static void bind_params(gh_comp *c, gh_head *h)
{
    for (size_t i = 0; i < h->nargs; i++) {
        gh_term *p = h->args[i];
        if (param_deferred(p)) continue;
        if (p->kind == GH_TERM_VAR && !scope_find(c, p->u.str.s)) {
            gh_cvar *v = scope_declare(c, p->u.str.s);
            v->reg = (uint16_t)i;
            v->bound = true;
            continue;
        }
        if (p->kind == GH_TERM_ARRAY || p->kind == GH_TERM_OBJECT) {
            /* pattern parameters declare their variables */
            gh_vec stack = {0};
            gh_vec_push(&c->scratch, &stack, p);
            while (stack.n) {
                gh_term *t = stack.items[--stack.n];
                if (t->kind == GH_TERM_VAR && !scope_find(c, t->u.str.s))
                    scope_declare(c, t->u.str.s);
                else if (t->kind == GH_TERM_ARRAY)
                    for (size_t j = 0; j < t->u.list.n; j++)
                        gh_vec_push(&c->scratch, &stack, t->u.list.items[j]);
                else if (t->kind == GH_TERM_OBJECT)
                    for (size_t j = 0; j < t->u.obj.n; j++)
                        gh_vec_push(&c->scratch, &stack, t->u.obj.vals[j]);
            }
        }
        lower_destructure(c, p, (uint16_t)i);
    }
}

/* One definition of a complete rule or function, with its else chain. */
static void lower_value_def(gh_comp *c, gh_cdef *d, bool is_func)
{
    uint32_t next = label_new(c);
    bool chain = d->rule->else_rule != NULL;
    c->rule = d->rule;
    uint16_t flag = 0;
    if (chain) {
        flag = reg_new(c);
        emit(c, GH_OP_LOADK, flag, 0, 0, const_add(c, GH_FALSE), 0);
    }
    for (gh_rule *link = d->rule; link; link = link->else_rule) {
        uint32_t mark, fail = label_new(c);
        scope_push(c, &mark);
        c->fail = fail;
        c->loc = &link->loc;
        if (is_func) bind_params(c, d->rule->head);
        if (lower_body(c, link->body)) {
            if (is_func) check_deferred_params(c, d->rule->head);
            gh_term *vt = head_value(c, link);
            c->loc = &vt->loc;
            uint16_t v = lower_term(c, vt);
            c->loc = &link->loc;
            uint32_t ins = emit(c, GH_OP_YVAL, v, 0, 0, 0, 0);
            c->code[ins].x = is_func;
            if (chain) emit(c, GH_OP_LOADK, flag, 0, 0, const_add(c, GH_TRUE), 0);
            emit(c, GH_OP_JMP, 0, 0, 0, 0, term_const(c, vt) ? next : c->fail);
        }
        label_here(c, fail);
        if (chain) emit(c, GH_OP_JTRUE, flag, 0, 0, 0, next);
        scope_pop(c, mark);
    }
    label_here(c, next);
}

static void lower_multi_def(gh_comp *c, gh_cdef *d, gh_proc_kind kind)
{
    uint32_t mark, fail = label_new(c);
    gh_rule *r = d->rule;
    c->rule = r;
    scope_push(c, &mark);
    c->fail = fail;
    c->loc = &r->loc;
    if (lower_body(c, r->body)) {
        if (kind == GH_PROC_SET) {
            uint16_t k = lower_term(c, r->head->key);
            emit(c, GH_OP_YSET, k, 0, 0, 0, 0);
        } else {
            uint16_t blk = reg_block(c, (uint32_t)d->ntail);
            for (size_t i = 0; i < d->ntail; i++) {
                uint16_t k = lower_term(c, d->tail[i]);
                if (k != blk + i) emit(c, GH_OP_MOVE, blk + i, k, 0, 0, 0);
            }
            if (r->head->value) {
                uint16_t v = lower_term(c, r->head->value);
                emit(c, GH_OP_YOBJ, v, blk, 0, (uint32_t)d->ntail, 0);
            } else {
                uint16_t v = lower_term(c, r->head->key);
                emit(c, GH_OP_YOSET, v, blk, 0, (uint32_t)d->ntail, 0);
            }
        }
        emit(c, GH_OP_JMP, 0, 0, 0, 0, c->fail);
    }
    label_here(c, fail);
    scope_pop(c, mark);
}

void rules_lower_node(gh_comp *c, gh_rnode *n)
{
    gh_proc *p = n->proc; /* allocated by the driver so others can refer to it */
    proc_begin(c);
    c->node = n;
    gh_cdef *d0 = n->defs.items[0];
    c->mod = d0->mod;
    uint16_t nargs = (uint16_t)d0->rule->head->nargs;
    if (nargs) reg_block(c, nargs);
    const gh_value *dflt = NULL;
    gh_term *iref = NULL;
    gh_rindex *ix = index_plan(c, n, &iref);
    uint16_t mask = 0;
    if (ix) { /* evaluate the guarded ref once; undefined keeps only unguarded definitions */
        uint16_t r = reg_new(c);
        mask = reg_new(c);
        emit(c, GH_OP_UNSET, r, 0, 0, 0, 0);
        uint32_t undef = label_new(c);
        c->fail = undef;
        c->mod = ((gh_cdef *)n->defs.items[0])->mod;
        uint16_t v = lower_term(c, iref);
        emit(c, GH_OP_MOVE, r, v, 0, 0, 0);
        label_here(c, undef);
        emit(c, GH_OP_IDX, mask, r, 0, aux_add(c, ix), 0);
    }
    for (uint32_t i = 0; i < n->defs.n; i++) {
        gh_cdef *d = n->defs.items[i];
        c->mod = d->mod;
        uint32_t skip = 0;
        if (ix && !d->rule->is_default) {
            skip = label_new(c);
            uint32_t ins = emit(c, GH_OP_JNOBIT, mask, 0, 0, 0, skip);
            c->code[ins].x = (uint8_t)i;
        }
        if (d->rule->is_default) {
            const gh_value *v =
                d->rule->head->value ? term_const(c, d->rule->head->value) : GH_TRUE;
            if (!v)
                comp_error(c, &d->rule->loc, "rego_type_error",
                           "default rule value must be a constant");
            if (dflt)
                comp_error(c, &d->rule->loc, "rego_type_error", "multiple default rules %s found",
                           n->path);
            dflt = v;
            continue;
        }
        switch (n->kind) {
        case GH_PROC_COMPLETE: lower_value_def(c, d, false); break;
        case GH_PROC_FUNC: lower_value_def(c, d, true); break;
        default: lower_multi_def(c, d, (gh_proc_kind)n->kind); break;
        }
        if (skip) label_here(c, skip);
    }
    emit(c, GH_OP_RET, 0, 0, 0, 0, 0);
    gh_proc *q = proc_end(c, (gh_proc_kind)n->kind, n->path);
    uint32_t id = p->id;
    *p = *q;
    p->id = id;
    p->nargs = nargs;
    p->dflt = dflt;
    p->loc = &d0->rule->loc;
    c->all_procs.items[c->all_procs.n - 1] = p;
    c->node = NULL;
    c->rule = NULL;
}

gh_proc *rules_lower_query(gh_comp *c, gh_body *b)
{
    proc_begin(c);
    c->mod = NULL;
    c->node = NULL;
    c->loc = &b->loc;
    uint16_t rows = reg_new(c);
    emit(c, GH_OP_BNEW, rows, 0, 0, 0, 0);
    uint32_t end = label_new(c);
    c->fail = end;
    if (lower_body(c, b)) {
        /* the row: every named, bound variable of the query (a name declared twice shows
         * its innermost binding) */
        bool *shown = gh_arena_calloc(&c->scratch, c->nvars ? c->nvars : 1, sizeof *shown);
        uint32_t n = 0;
        for (uint32_t i = 0; i < c->nvars; i++) {
            if (!c->vars[i].bound || c->vars[i].name[0] == '$') continue;
            shown[i] = true;
            for (uint32_t k = i + 1; k < c->nvars && shown[i]; k++)
                if (c->vars[k].bound && strcmp(c->vars[k].name, c->vars[i].name) == 0)
                    shown[i] = false;
            n += shown[i];
        }
        uint16_t blk = reg_block(c, n ? 2 * n : 1);
        uint32_t j = 0;
        for (uint32_t i = 0; i < c->nvars; i++) {
            gh_cvar *v = &c->vars[i];
            if (!shown[i]) continue;
            const gh_value *key = gh_value_string(c->a, v->name, strlen(v->name));
            emit(c, GH_OP_LOADK, blk + j, 0, 0, const_add(c, key), 0);
            emit(c, GH_OP_MOVE, blk + n + j, v->reg, 0, 0, 0);
            j++;
        }
        uint16_t row = reg_new(c);
        emit(c, GH_OP_MKOBJ, row, blk, 0, n, 0);
        emit(c, GH_OP_BADD, rows, row, 0, 0, 0);
        emit(c, GH_OP_JMP, 0, 0, 0, 0, c->fail);
    }
    label_here(c, end);
    uint16_t r = reg_new(c);
    emit(c, GH_OP_BEND, r, rows, 0, 0, 0);
    emit(c, GH_OP_YVAL, r, 0, 0, 0, 0);
    emit(c, GH_OP_RET, 0, 0, 0, 0, 0);
    return proc_end(c, GH_PROC_QUERY, "query");
}
