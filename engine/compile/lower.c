/* Pass 5a: lowering of terms and literals to instructions. Control flow mirrors Rego's:
 * every instruction that can fail jumps to c->fail, the innermost "continue" point. A ref
 * with an unbound variable opens a scan (ITER + NEXT) and makes its NEXT the new continue
 * point, so the rest of the body runs once per element with no backtracking stack; `not`,
 * `every` and comprehensions are blocks with their own exits. */
#include <stdio.h>
#include <string.h>

#include "compile/compile.h"

static void lower_lit(gh_comp *c, gh_expr *e);
static uint16_t lower_call(gh_comp *c, gh_term *const *items, size_t n, bool *is_void);

const gh_value *term_const(gh_comp *c, const gh_term *t)
{
    const gh_value *v = NULL;
    switch (t->kind) {
    case GH_TERM_NULL: return GH_NULL;
    case GH_TERM_BOOL: return gh_value_bool(t->u.b);
    case GH_TERM_NUMBER:
        if (gh_value_number(c->a, t->u.str.s, t->u.str.len, &v) != 0) return NULL;
        return v;
    case GH_TERM_STRING: return gh_value_string(c->a, t->u.str.s, t->u.str.len);
    case GH_TERM_ARRAY:
    case GH_TERM_SET: {
        size_t n = t->u.list.n;
        const gh_value **items = gh_arena_alloc(&c->scratch, (n ? n : 1) * sizeof *items);
        for (size_t i = 0; i < n; i++)
            if (!(items[i] = term_const(c, t->u.list.items[i]))) return NULL;
        return t->kind == GH_TERM_ARRAY ? gh_value_array(c->a, items, n)
                                        : gh_value_set(c->a, items, n);
    }
    case GH_TERM_OBJECT: {
        size_t n = t->u.obj.n;
        const gh_value **k = gh_arena_alloc(&c->scratch, (n ? n : 1) * sizeof *k);
        const gh_value **vv = gh_arena_alloc(&c->scratch, (n ? n : 1) * sizeof *vv);
        for (size_t i = 0; i < n; i++) {
            if (!(k[i] = term_const(c, t->u.obj.keys[i]))) return NULL;
            if (!(vv[i] = term_const(c, t->u.obj.vals[i]))) return NULL;
        }
        if (gh_value_object(c->a, k, vv, n, &v, NULL) != 0) return NULL;
        return v;
    }
    default: return NULL;
    }
}

static uint16_t load_const(gh_comp *c, const gh_value *v)
{
    uint16_t r = reg_new(c);
    emit(c, GH_OP_LOADK, r, 0, 0, const_add(c, v), 0);
    return r;
}

static void unsafe(gh_comp *c, const gh_term *t)
{
    const char *n = t->u.str.s;
    comp_error(c, &t->loc, "rego_unsafe_var_error", "var %s is unsafe", n[0] == '$' ? "_" : n);
}

static bool is_unbound_var(gh_comp *c, const gh_term *t)
{
    if (t->kind != GH_TERM_VAR) return false;
    gh_cvar *v = NULL;
    gh_name_kind k = name_resolve(c, t->u.str.s, &v, NULL, NULL);
    return (k == GH_NAME_LOCAL && !v->bound) || k == GH_NAME_UNKNOWN;
}

static void bind(gh_comp *c, const gh_term *t, uint16_t r)
{
    gh_cvar *v = scope_find(c, t->u.str.s);
    /* an unbound variable of an enclosing body (declared later there) is not this one */
    if (!v || (!v->bound && v->depth < c->depth)) v = scope_declare(c, t->u.str.s);
    v->reg = r;
    v->bound = true;
}

static void dep_add(gh_comp *c, gh_rnode *n)
{
    if (c->node) gh_vec_push(c->a, &c->node->deps, n);
}

/* R := R[op] for each operand, opening a scan for each unbound variable. */
static uint16_t lower_ops(gh_comp *c, uint16_t r, gh_term *const *ops, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        gh_term *op = ops[i];
        uint16_t d = reg_new(c);
        bool pattern = op->kind != GH_TERM_VAR && term_has_unbound(c, op);
        if (is_unbound_var(c, op) || pattern) {
            uint16_t it = reg_block(c, 2);
            emit(c, GH_OP_ITER, it, r, 0, 0, c->fail);
            uint32_t head = label_new(c);
            label_here(c, head);
            uint16_t kr = reg_new(c);
            emit(c, GH_OP_NEXT, it, kr, d, 0, c->fail);
            c->fail = head;
            if (pattern)
                lower_destructure(c, op, kr);
            else
                bind(c, op, kr);
        } else {
            const gh_value *k = term_const(c, op);
            if (k)
                emit(c, GH_OP_DOTK, d, r, 0, const_add(c, k), c->fail);
            else {
                uint16_t kr = lower_term(c, op);
                emit(c, GH_OP_DOT, d, r, kr, 0, c->fail);
            }
        }
        r = d;
    }
    return r;
}

/* A ref below a tree node: walk the static part of the path through the tree. */
/* Base documents have string keys only; OPA's store finds data[2] at "2". */
static bool is_key(const gh_term *t)
{
    return t->kind == GH_TERM_STRING || t->kind == GH_TERM_NUMBER;
}

static uint16_t lower_data_ref(gh_comp *c, gh_rnode *node, gh_term *const *ops, size_t n)
{
    size_t i = 0;
    while (node->defs.n == 0 && i < n && is_key(ops[i])) {
        gh_rnode *kid = tree_child(c, node, ops[i]->u.str.s, ops[i]->u.str.len, false);
        if (!kid) break;
        node = kid;
        i++;
    }
    uint16_t r = reg_new(c);
    if (node->defs.n > 0) {
        if (node->kind == GH_PROC_FUNC) {
            comp_error(c, c->loc, "rego_type_error", "function %s called without arguments",
                       node->path);
            return r;
        }
        dep_add(c, node);
        emit(c, GH_OP_RULE, r, 0, 0, aux_add(c, node), c->fail);
        return lower_ops(c, r, ops + i, n - i);
    }
    if (i < n && is_key(ops[i])) {
        /* Leaves the tree: a base document only, resolved now as far as it is constant. */
        const gh_value *v = node->base;
        size_t nk = gh_value_len(node->keys), j = 0;
        const gh_value **ks = gh_arena_alloc(&c->scratch, (nk + n) * sizeof *ks);
        for (; j < nk; j++)
            ks[j] = gh_array_get(node->keys, j);
        while (i < n && is_key(ops[i]) && (!v || gh_value_kind(v) == GH_KIND_OBJECT)) {
            ks[j++] = gh_value_string(c->a, ops[i]->u.str.s, ops[i]->u.str.len);
            if (v) v = gh_object_get_str(v, ops[i]->u.str.s, ops[i]->u.str.len);
            i++;
        }
        gh_dataref *dr = gh_arena_alloc(c->a, sizeof *dr);
        dr->value = v;
        dr->keys = gh_value_array(c->a, ks, j);
        emit(c, GH_OP_DATA, r, 0, 0, aux_add(c, dr), c->fail);
        return lower_ops(c, r, ops + i, n - i);
    }
    dep_add(c, node);
    emit(c, GH_OP_TREE, r, 0, 0, aux_add(c, node), c->fail);
    return lower_ops(c, r, ops + i, n - i);
}

static gh_term **import_expand(gh_comp *c, const gh_import *im, gh_term *const *rest, size_t nrest,
                               size_t *n)
{
    const gh_term *p = im->path;
    size_t np = p->kind == GH_TERM_REF ? p->u.list.n : 1;
    gh_term **items = gh_arena_alloc(&c->scratch, (np + nrest) * sizeof *items);
    for (size_t i = 0; i < np; i++)
        items[i] = p->kind == GH_TERM_REF ? p->u.list.items[i] : (gh_term *)p;
    for (size_t i = 0; i < nrest; i++)
        items[np + i] = rest[i];
    *n = np + nrest;
    return items;
}

static uint16_t lower_ref(gh_comp *c, gh_term *const *items, size_t n)
{
    gh_term *h = items[0];
    if (h->kind != GH_TERM_VAR) return lower_ops(c, lower_term(c, h), items + 1, n - 1);
    gh_cvar *v = NULL;
    gh_rnode *rn = NULL;
    const gh_import *im = NULL;
    switch (name_resolve(c, h->u.str.s, &v, &rn, &im)) {
    case GH_NAME_LOCAL:
        if (!v->bound) {
            unsafe(c, h);
            return reg_new(c);
        }
        return lower_ops(c, v->reg, items + 1, n - 1);
    case GH_NAME_INPUT: {
        uint16_t r = reg_new(c);
        emit(c, GH_OP_INPUT, r, 0, 0, 0, c->fail);
        return lower_ops(c, r, items + 1, n - 1);
    }
    case GH_NAME_DATA: return lower_data_ref(c, c->rev->root, items + 1, n - 1);
    case GH_NAME_RULE: return lower_data_ref(c, rn, items + 1, n - 1);
    case GH_NAME_IMPORT: {
        size_t m;
        gh_term **x = import_expand(c, im, items + 1, n - 1, &m);
        return lower_ref(c, x, m);
    }
    case GH_NAME_UNKNOWN: unsafe(c, h); return reg_new(c);
    }
    return reg_new(c);
}

static uint16_t lower_list(gh_comp *c, gh_term *const *items, size_t n, gh_opcode op)
{
    uint16_t blk = reg_block(c, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        uint16_t r = lower_term(c, items[i]);
        if (r != blk + i) emit(c, GH_OP_MOVE, blk + i, r, 0, 0, 0);
    }
    uint16_t d = reg_new(c);
    emit(c, op, d, blk, 0, (uint32_t)n, 0);
    return d;
}

static uint16_t lower_compr(gh_comp *c, gh_term *t)
{
    uint16_t b = reg_new(c);
    uint32_t ins = emit(c, GH_OP_BNEW, b, 0, 0, 0, 0);
    c->code[ins].x = t->kind == GH_TERM_ARRAY_COMPR ? 0 : t->kind == GH_TERM_SET_COMPR ? 1 : 2;
    uint32_t save = c->fail, end = label_new(c), mark;
    c->fail = end;
    scope_push(c, &mark);
    if (lower_body(c, t->u.compr.body)) {
        if (t->kind == GH_TERM_OBJECT_COMPR) {
            uint16_t k = lower_term(c, t->u.compr.key);
            uint16_t v = lower_term(c, t->u.compr.value);
            emit(c, GH_OP_BPUT, b, k, v, 0, 0);
        } else {
            uint16_t v = lower_term(c, t->u.compr.value);
            emit(c, GH_OP_BADD, b, v, 0, 0, 0);
        }
        emit(c, GH_OP_JMP, 0, 0, 0, 0, c->fail);
    }
    label_here(c, end);
    c->fail = save;
    scope_pop(c, mark);
    uint16_t r = reg_new(c);
    emit(c, GH_OP_BEND, r, b, 0, 0, 0);
    return r;
}

static void with_prepare(gh_comp *c, gh_expr *e, uint16_t *save, uint16_t *vals, uint32_t *tk);

/* An operand that may be undefined: R[dst] := value, or unset when undefined. */
static void lower_optional(gh_comp *c, gh_term *t, uint16_t dst)
{
    uint32_t save = c->fail, und = label_new(c), ok = label_new(c);
    c->fail = und;
    uint16_t r = lower_term(c, t);
    emit(c, GH_OP_MOVE, dst, r, 0, 0, 0);
    emit(c, GH_OP_JMP, 0, 0, 0, 0, ok);
    label_here(c, und);
    emit(c, GH_OP_UNSET, dst, 0, 0, 0, 0);
    label_here(c, ok);
    c->fail = save;
}

static uint16_t lower_template(gh_comp *c, gh_term *t)
{
    size_t n = t->u.tpl.n;
    uint16_t blk = reg_block(c, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        gh_tpl_part *p = &t->u.tpl.parts[i];
        uint16_t r = reg_new(c);
        if (p->str) {
            const gh_value *v = term_const(c, p->str);
            emit(c, GH_OP_LOADK, r, 0, 0, const_add(c, v ? v : GH_NULL), 0);
        } else if (p->expr->kind == GH_EXPR_TERM || p->expr->kind == GH_EXPR_CALL) {
            gh_term *tp = p->expr->u.term;
            if (p->expr->kind == GH_EXPR_CALL) {
                tp = gh_arena_calloc(&c->scratch, 1, sizeof *tp);
                tp->kind = GH_TERM_CALL;
                tp->loc = p->expr->loc;
                tp->u.list.items = p->expr->u.call.terms;
                tp->u.list.n = p->expr->u.call.n;
            }
            size_t nw = p->expr->nwith;
            uint16_t *save = gh_arena_calloc(&c->scratch, nw ? nw : 1, sizeof *save);
            uint16_t *vals = gh_arena_calloc(&c->scratch, nw ? nw : 1, sizeof *vals);
            uint32_t *tk = gh_arena_calloc(&c->scratch, nw ? nw : 1, sizeof *tk);
            with_prepare(c, p->expr, save, vals, tk);
            for (size_t w = 0; w < nw; w++)
                emit(c, GH_OP_WITH, save[w], vals[w], 0, tk[w], 0);
            lower_optional(c, tp, r); /* never fails, so one UNWITH path suffices */
            for (size_t w = nw; w-- > 0;)
                emit(c, GH_OP_UNWITH, save[w], 0, 0, 0, 0);
        } else {
            emit(c, GH_OP_UNSET, r, 0, 0, 0, 0);
        }
        emit(c, GH_OP_TOSTR, blk + i, r, 0, 0, 0);
    }
    uint16_t arr = reg_new(c);
    emit(c, GH_OP_MKARR, arr, blk, 0, (uint32_t)n, 0);
    const gh_builtin *bi = gh_builtin_lookup("concat", 6);
    uint16_t args = reg_block(c, 2);
    emit(c, GH_OP_LOADK, args, 0, 0, const_add(c, gh_value_string(c->a, "", 0)), 0);
    emit(c, GH_OP_MOVE, args + 1, arr, 0, 0, 0);
    uint16_t d = reg_new(c);
    if (!bi) {
        comp_error(c, &t->loc, "rego_type_error", "undefined function concat");
        return d;
    }
    uint32_t ins = emit(c, GH_OP_CALLB, d, args, 0, aux_add(c, bi), c->fail);
    c->code[ins].x = 2;
    return d;
}

uint16_t lower_term(gh_comp *c, gh_term *t)
{
    const gh_loc *saved = c->loc;
    c->loc = &t->loc;
    uint16_t r;
    const gh_value *k;
    switch (t->kind) {
    case GH_TERM_VAR: {
        gh_term *items[1] = {t};
        r = lower_ref(c, items, 1);
        break;
    }
    case GH_TERM_REF: r = lower_ref(c, t->u.list.items, t->u.list.n); break;
    case GH_TERM_CALL: r = lower_call(c, t->u.list.items, t->u.list.n, NULL); break;
    case GH_TERM_ARRAY_COMPR:
    case GH_TERM_SET_COMPR:
    case GH_TERM_OBJECT_COMPR: r = lower_compr(c, t); break;
    case GH_TERM_TEMPLATE: r = lower_template(c, t); break;
    default:
        if ((k = term_const(c, t))) {
            r = load_const(c, k);
            break;
        }
        if (t->kind == GH_TERM_ARRAY)
            r = lower_list(c, t->u.list.items, t->u.list.n, GH_OP_MKARR);
        else if (t->kind == GH_TERM_SET)
            r = lower_list(c, t->u.list.items, t->u.list.n, GH_OP_MKSET);
        else if (t->kind == GH_TERM_OBJECT) {
            size_t n = t->u.obj.n;
            uint16_t blk = reg_block(c, (uint32_t)(2 * n));
            for (size_t i = 0; i < n; i++) {
                uint16_t kr = lower_term(c, t->u.obj.keys[i]);
                if (kr != blk + i) emit(c, GH_OP_MOVE, blk + i, kr, 0, 0, 0);
                uint16_t vr = lower_term(c, t->u.obj.vals[i]);
                if (vr != blk + n + i) emit(c, GH_OP_MOVE, blk + n + i, vr, 0, 0, 0);
            }
            r = reg_new(c);
            emit(c, GH_OP_MKOBJ, r, blk, 0, (uint32_t)n, 0);
        } else {
            comp_error(c, &t->loc, "rego_compile_error", "unsupported term %s",
                       gh_term_kind_name(t->kind));
            r = reg_new(c);
        }
    }
    c->loc = saved;
    return r;
}

/* The function node an operator names, or NULL (a builtin, or unknown). */
static gh_rnode *func_node(gh_comp *c, const gh_term *op)
{
    if (op->kind != GH_TERM_REF && op->kind != GH_TERM_VAR) return NULL;
    gh_term *h = op->kind == GH_TERM_VAR ? (gh_term *)op : op->u.list.items[0];
    if (h->kind != GH_TERM_VAR) return NULL;
    gh_rnode *n = NULL;
    const gh_import *im = NULL;
    gh_term *const *ops = op->kind == GH_TERM_VAR ? NULL : op->u.list.items + 1;
    size_t nops = op->kind == GH_TERM_VAR ? 0 : op->u.list.n - 1;
    switch (name_resolve(c, h->u.str.s, NULL, &n, &im)) {
    case GH_NAME_DATA: n = c->rev->root; break;
    case GH_NAME_RULE: break;
    case GH_NAME_IMPORT: {
        size_t m;
        gh_term **x = import_expand(c, im, ops, nops, &m);
        if (!gh_term_is_var(x[0], "data")) return NULL;
        n = c->rev->root;
        ops = x + 1;
        nops = m - 1;
        break;
    }
    default: return NULL;
    }
    for (size_t i = 0; n && i < nops; i++) {
        if (ops[i]->kind != GH_TERM_STRING) return NULL;
        n = tree_child(c, n, ops[i]->u.str.s, ops[i]->u.str.len, false);
    }
    return n && n->kind == GH_PROC_FUNC ? n : NULL;
}

/* Arity of what the operator names (-1 variadic or unknown); *node / *bi say which. */
static int op_arity(gh_comp *c, const gh_term *op, gh_rnode **node, const gh_builtin **bi)
{
    *node = func_node(c, op);
    *bi = NULL;
    if (*node) {
        gh_cdef *d = (*node)->defs.items[0];
        return (int)d->rule->head->nargs;
    }
    const char *name = call_name(c, op);
    if (name) *bi = gh_builtin_lookup(name, strlen(name));
    return *bi ? (*bi)->arity : -1;
}

/* OPA's type checker, for the arguments known now: a constant of the wrong type is a
 * compile error worded as OPA words it (have/want lines). */
static bool check_const_args(gh_comp *c, const gh_term *op, const gh_builtin *bi,
                             gh_term *const *args, size_t n)
{
    const gh_bsig *sig = gh_builtin_sig(bi);
    if (!sig || sig->nargs != n) return true;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        const gh_value *v = term_const(c, args[i]);
        if (v && sig->args[i] && !gh_btype_accepts(sig->args[i], v)) ok = false;
    }
    if (ok) return true;
    gh_buf b;
    gh_buf_init(&b, 4096);
    gh_buf_printf(&b, "%s: invalid argument(s)\n\thave: (", bi->name);
    for (size_t i = 0; i < n; i++) {
        const gh_value *v = term_const(c, args[i]);
        if (i) gh_buf_puts(&b, ", ");
        gh_buf_puts(&b, v ? gh_kind_name(gh_value_kind(v)) : "any");
    }
    gh_buf_puts(&b, ")\n\twant: (");
    for (size_t i = 0; i < n; i++) {
        if (i) gh_buf_puts(&b, ", ");
        gh_btype_write(&b, sig->args[i]);
    }
    gh_buf_putc(&b, ')');
    comp_error(c, &op->loc, "rego_type_error", "%s", b.data ? b.data : bi->name);
    gh_buf_free(&b);
    return false;
}

static uint16_t lower_call(gh_comp *c, gh_term *const *items, size_t n, bool *is_void)
{
    const gh_term *op = items[0];
    gh_rnode *fn;
    const gh_builtin *bi;
    int ar = op_arity(c, op, &fn, &bi);
    size_t nargs = n - 1;
    uint16_t d = reg_new(c);
    if (!fn && nargs == 0) {
        const char *name = call_name(c, op);
        if (name &&
            (strcmp(name, "rego.metadata.chain") == 0 || strcmp(name, "rego.metadata.rule") == 0)) {
            emit(c, GH_OP_LOADK, d, 0, 0, const_add(c, metadata_value(c, name[14] == 'c')), 0);
            return d;
        }
    }
    if (!fn && !bi) {
        const char *name = call_name(c, op);
        comp_error(c, &op->loc, "rego_type_error", "undefined function %s", name ? name : "?");
        return d;
    }
    if (ar >= 0 && (size_t)ar != nargs) {
        /* OPA's words: "NAME: arity mismatch", then what was given and what is declared */
        gh_buf b;
        gh_buf_init(&b, 4096);
        gh_buf_printf(&b, "%s: arity mismatch\n\thave: (", fn ? fn->path : bi->name);
        for (size_t i = 0; i < nargs; i++) {
            const gh_value *v = term_const(c, items[1 + i]);
            gh_buf_printf(&b, "%s%s", i ? ", " : "", v ? gh_kind_name(gh_value_kind(v)) : "any");
        }
        gh_buf_puts(&b, ")\n\twant: (");
        const gh_bsig *sig = bi ? gh_builtin_sig(bi) : NULL;
        for (size_t i = 0; i < (size_t)ar; i++) {
            if (i) gh_buf_puts(&b, ", ");
            if (sig && i < sig->nargs && sig->args[i])
                gh_btype_write(&b, sig->args[i]);
            else
                gh_buf_puts(&b, "any");
        }
        gh_buf_putc(&b, ')');
        comp_error(c, &op->loc, "rego_type_error", "%s", b.data ? b.data : "arity mismatch");
        gh_buf_free(&b);
        return d;
    }
    if (bi && (bi->flags & GH_BI_DEPRECATED) && c->mod &&
        (c->mod->m->rego_version != GH_REGO_V0 || c->rev->strict)) {
        /* Rego v1 (and v0 with `import rego.v1`, or strict mode) drops the deprecated
           builtins, as OPA */
        comp_error(c, &op->loc, "rego_type_error",
                   "deprecated built-in function calls in expression: %s", bi->name);
        return d;
    }
    bool variadic = bi && (bi->flags & GH_BI_VARIADIC);
    if (bi && !variadic && !check_const_args(c, op, bi, items + 1, nargs)) return d;
    uint16_t blk = reg_block(c, (uint32_t)(nargs ? nargs : 1));
    for (size_t i = 0; i < nargs; i++) {
        if (variadic) {
            lower_optional(c, items[1 + i], blk + i);
            continue;
        }
        uint16_t r = lower_term(c, items[1 + i]);
        if (r != blk + i) emit(c, GH_OP_MOVE, blk + i, r, 0, 0, 0);
    }
    uint32_t ins;
    if (fn) {
        dep_add(c, fn);
        ins = emit(c, GH_OP_CALLF, d, blk, 0, aux_add(c, fn), c->fail);
    } else {
        ins = emit(c, GH_OP_CALLB, d, blk, 0, aux_add(c, bi), c->fail);
        if (is_void) *is_void = (bi->flags & GH_BI_VOID) != 0;
    }
    c->code[ins].x = variadic ? 0xff : (uint8_t)nargs;
    if (variadic) c->code[ins].c = (uint16_t)nargs;
    if (bi && (bi->flags & GH_BI_RELATION)) { /* walk: one value per result, like a scan */
        uint16_t it = reg_block(c, 2), k = reg_new(c), v = reg_new(c);
        emit(c, GH_OP_ITER, it, d, 0, 0, c->fail);
        uint32_t head = label_new(c);
        label_here(c, head);
        emit(c, GH_OP_NEXT, it, k, v, 0, c->fail);
        c->fail = head;
        return v;
    }
    return d;
}

/* ---- unification ---- */

void lower_destructure(gh_comp *c, gh_term *pat, uint16_t r)
{
    if (pat->kind == GH_TERM_VAR && is_unbound_var(c, pat)) {
        bind(c, pat, r);
        return;
    }
    if (pat->kind == GH_TERM_ARRAY && term_has_unbound(c, pat)) {
        size_t n = pat->u.list.n;
        emit(c, GH_OP_ISARR, r, 0, 0, (uint32_t)n, c->fail);
        for (size_t i = 0; i < n; i++) {
            uint16_t e = reg_new(c);
            emit(c, GH_OP_DOTK, e, r, 0, const_add(c, gh_value_int(c->a, (int64_t)i)), c->fail);
            lower_destructure(c, pat->u.list.items[i], e);
        }
        return;
    }
    if (pat->kind == GH_TERM_OBJECT && term_has_unbound(c, pat)) {
        size_t n = pat->u.obj.n;
        emit(c, GH_OP_ISOBJ, r, 0, 0, (uint32_t)n, c->fail);
        for (size_t i = 0; i < n; i++) {
            uint16_t e = reg_new(c);
            const gh_value *k = term_const(c, pat->u.obj.keys[i]);
            if (k)
                emit(c, GH_OP_DOTK, e, r, 0, const_add(c, k), c->fail);
            else {
                uint16_t kr = lower_term(c, pat->u.obj.keys[i]);
                emit(c, GH_OP_DOT, e, r, kr, 0, c->fail);
            }
            lower_destructure(c, pat->u.obj.vals[i], e);
        }
        return;
    }
    uint16_t p = lower_term(c, pat);
    emit(c, GH_OP_EQ, 0, r, p, 0, c->fail);
}

static void lower_unify(gh_comp *c, gh_term *a, gh_term *b)
{
    bool ua = is_unbound_var(c, a), ub = is_unbound_var(c, b);
    if (ua && ub) {
        unsafe(c, a);
        return;
    }
    if (ua) {
        bind(c, a, lower_term(c, b));
        return;
    }
    if (ub) {
        bind(c, b, lower_term(c, a));
        return;
    }
    if (a->kind == GH_TERM_ARRAY && b->kind == GH_TERM_ARRAY) {
        size_t n = a->u.list.n;
        if (n != b->u.list.n) {
            emit(c, GH_OP_JMP, 0, 0, 0, 0, c->fail);
            return;
        }
        bool *done = gh_arena_calloc(&c->scratch, n ? n : 1, 1);
        for (size_t left = n; left > 0;) {
            size_t before = left;
            for (size_t i = 0; i < n; i++) {
                if (done[i]) continue;
                gh_term *x = a->u.list.items[i], *y = b->u.list.items[i];
                bool hx = term_has_unbound(c, x), hy = term_has_unbound(c, y);
                if (hx && hy && !(x->kind == y->kind && x->kind != GH_TERM_VAR)) continue;
                lower_unify(c, x, y);
                done[i] = true;
                left--;
            }
            if (left == before) {
                for (size_t i = 0; i < n; i++)
                    if (!done[i]) lower_unify(c, a->u.list.items[i], b->u.list.items[i]);
                break;
            }
        }
        return;
    }
    if (a->kind == GH_TERM_OBJECT && b->kind == GH_TERM_OBJECT && term_has_unbound(c, a) &&
        term_has_unbound(c, b)) {
        size_t n = a->u.obj.n;
        if (n != b->u.obj.n) {
            emit(c, GH_OP_JMP, 0, 0, 0, 0, c->fail);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            const gh_value *ka = term_const(c, a->u.obj.keys[i]);
            size_t j = 0;
            for (; j < n; j++) {
                const gh_value *kb = term_const(c, b->u.obj.keys[j]);
                if (ka && kb && gh_value_equal(ka, kb)) break;
            }
            if (j == n) {
                emit(c, GH_OP_JMP, 0, 0, 0, 0, c->fail);
                return;
            }
            lower_unify(c, a->u.obj.vals[i], b->u.obj.vals[j]);
        }
        return;
    }
    if (term_has_unbound(c, a)) {
        lower_destructure(c, a, lower_term(c, b));
        return;
    }
    if (term_has_unbound(c, b)) {
        lower_destructure(c, b, lower_term(c, a));
        return;
    }
    uint16_t ra = lower_term(c, a), rb = lower_term(c, b);
    emit(c, GH_OP_EQ, 0, ra, rb, 0, c->fail);
}

/* ---- literals ---- */

static int cmp_code(const char *name)
{
    static const char *const names[] = {"neq", "lt", "lte", "gt", "gte"};
    for (int i = 0; i < 5; i++)
        if (strcmp(name, names[i]) == 0) return i;
    return -1;
}

static void lower_call_lit(gh_comp *c, gh_expr *e)
{
    gh_term **t = e->u.call.terms;
    size_t n = e->u.call.n;
    const char *name = call_name(c, t[0]);
    if (name && n == 3) {
        if (strcmp(name, "eq") == 0 || strcmp(name, "assign") == 0) {
            lower_unify(c, t[1], t[2]);
            return;
        }
        if (strcmp(name, "equal") == 0) {
            uint16_t a = lower_term(c, t[1]), b = lower_term(c, t[2]);
            emit(c, GH_OP_EQ, 0, a, b, 0, c->fail);
            return;
        }
        int cc = cmp_code(name);
        if (cc >= 0) {
            uint16_t a = lower_term(c, t[1]), b = lower_term(c, t[2]);
            uint32_t ins = emit(c, GH_OP_CMP, 0, a, b, 0, c->fail);
            c->code[ins].x = (uint8_t)cc;
            return;
        }
    }
    gh_rnode *fn;
    const gh_builtin *bi;
    int ar = op_arity(c, t[0], &fn, &bi);
    if (ar >= 0 && (size_t)ar + 2 == n) { /* output argument: f(x, out) */
        uint16_t r = lower_call(c, t, n - 1, NULL);
        lower_destructure(c, t[n - 1], r);
        return;
    }
    bool is_void = false;
    uint16_t r = lower_call(c, t, n, &is_void);
    if (!is_void) emit(c, GH_OP_TRUTHY, r, 0, 0, 0, c->fail);
}

static void lower_some_in(gh_comp *c, gh_term *call)
{
    size_t n = call->u.list.n;
    uint16_t coll = lower_term(c, call->u.list.items[n - 1]);
    uint16_t it = reg_block(c, 2);
    emit(c, GH_OP_ITER, it, coll, 0, 0, c->fail);
    uint32_t head = label_new(c);
    label_here(c, head);
    uint16_t kr = reg_new(c), vr = reg_new(c);
    emit(c, GH_OP_NEXT, it, kr, vr, 0, c->fail);
    c->fail = head;
    if (n == 4) {
        lower_destructure(c, call->u.list.items[1], kr);
        lower_destructure(c, call->u.list.items[2], vr);
    } else {
        lower_destructure(c, call->u.list.items[1], vr);
    }
}

static void lower_every(gh_comp *c, gh_expr *e)
{
    uint16_t coll = lower_term(c, e->u.every.domain);
    uint16_t it = reg_block(c, 2);
    emit(c, GH_OP_ITER, it, coll, 0, 0, c->fail);
    uint32_t save = c->fail, ok = label_new(c), next = label_new(c), bad = label_new(c), mark;
    label_here(c, next);
    uint16_t kr = reg_new(c), vr = reg_new(c);
    emit(c, GH_OP_NEXT, it, kr, vr, 0, ok);
    scope_push(c, &mark);
    c->fail = bad;
    if (e->u.every.key) {
        scope_declare(c, e->u.every.key->u.str.s);
        lower_destructure(c, e->u.every.key, kr);
    }
    scope_declare(c, e->u.every.value->u.str.s);
    lower_destructure(c, e->u.every.value, vr);
    if (lower_body(c, e->u.every.body)) emit(c, GH_OP_JMP, 0, 0, 0, 0, next);
    label_here(c, bad);
    uint32_t jmp = emit(c, GH_OP_JMP, 0, 0, 0, 0, save);
    c->info[jmp].flags |= GH_II_FAILJMP;
    label_here(c, ok);
    c->fail = save;
    scope_pop(c, mark);
}

static void lower_lit_pos(gh_comp *c, gh_expr *e)
{
    switch (e->kind) {
    case GH_EXPR_TERM: {
        uint16_t r = lower_term(c, e->u.term);
        emit(c, GH_OP_TRUTHY, r, 0, 0, 0, c->fail);
        break;
    }
    case GH_EXPR_CALL: lower_call_lit(c, e); break;
    case GH_EXPR_SOME:
        for (size_t i = 0; i < e->u.some.n; i++)
            if (e->u.some.symbols[i]->kind == GH_TERM_CALL) lower_some_in(c, e->u.some.symbols[i]);
        break;
    case GH_EXPR_EVERY: lower_every(c, e); break;
    }
}

static void lower_not(gh_comp *c, gh_expr *e)
{
    uint32_t save = c->fail, ok = label_new(c), mark, from = c->ncode;
    c->fail = ok;
    scope_push(c, &mark);
    lower_lit_pos(c, e);
    debug_mark_fails(c, from, ok, GH_II_NOFAIL); /* the operand failing is `not` holding */
    uint32_t jmp = emit(c, GH_OP_JMP, 0, 0, 0, 0, save);
    c->info[jmp].flags |= GH_II_FAILJMP;
    label_here(c, ok);
    c->fail = save;
    scope_pop(c, mark);
}

void lower_with(gh_comp *c, gh_expr *e);

static void lower_lit(gh_comp *c, gh_expr *e)
{
    const gh_loc *saved = c->loc;
    const gh_cexpr *saved_cx;
    bool saved_start;
    c->loc = &e->loc;
    debug_expr_begin(c, e, &saved_cx, &saved_start);
    if (e->nwith)
        lower_with(c, e);
    else if (e->negated)
        lower_not(c, e);
    else
        lower_lit_pos(c, e);
    debug_expr_end(c, e, saved_cx, saved_start);
    c->loc = saved;
}

/* `with`: override while the literal runs; restore on every way out, re-apply on every
 * way back in (a later literal failing into a scan opened inside the literal). */
/* The targets and values of an expression's `with` modifiers: tk[i] the aux entry, vals[i]
 * the register of the replacement value, save[i] the two registers WITH saves into. */
static void with_prepare(gh_comp *c, gh_expr *e, uint16_t *save, uint16_t *vals, uint32_t *tk)
{
    size_t nw = e->nwith;
    for (size_t i = 0; i < nw; i++) {
        gh_with *w = e->with[i];
        gh_with_target *t = gh_arena_calloc(c->a, 1, sizeof *t);
        gh_term *tg = w->target;
        gh_term *const *items = tg->kind == GH_TERM_REF ? tg->u.list.items : &tg;
        size_t n = tg->kind == GH_TERM_REF ? tg->u.list.n : 1;
        bool is_path = true;
        for (size_t j = 1; j < n; j++)
            if (items[j]->kind != GH_TERM_STRING) is_path = false;
        const gh_value **keys = gh_arena_alloc(&c->scratch, (n ? n : 1) * sizeof *keys);
        for (size_t j = 1; j < n && is_path; j++)
            keys[j - 1] = term_const(c, items[j]);
        if (gh_term_is_var(items[0], "input") && is_path) {
            t->kind = GH_WITH_INPUT;
            t->path = gh_value_array(c->a, keys, n - 1);
        } else if (gh_term_is_var(items[0], "data") && is_path && !func_node(c, tg)) {
            t->kind = GH_WITH_DATA;
            t->path = gh_value_array(c->a, keys, n - 1);
        } else {
            gh_rnode *fn;
            const gh_builtin *bi;
            op_arity(c, tg, &fn, &bi);
            if (!fn && !bi) {
                comp_error(
                    c, &tg->loc, "rego_compile_error",
                    "with keyword target must reference existing input, data, or a function");
                continue;
            }
            t->kind = GH_WITH_FUNC;
            t->fn = fn;
            t->bi = bi;
            if (fn) t->path = gh_value_string(c->a, fn->path, strlen(fn->path));
            /* the replacement: a function, a builtin, or a value */
            gh_rnode *wfn;
            const gh_builtin *wbi;
            gh_term *v = w->value;
            wfn = NULL;
            wbi = NULL;
            if ((v->kind == GH_TERM_REF || v->kind == GH_TERM_VAR) &&
                !(v->kind == GH_TERM_VAR && scope_find(c, v->u.str.s))) {
                op_arity(c, v, &wfn, &wbi);
                if (wfn) dep_add(c, wfn);
                t->with_fn = wfn;
                t->with_bi = wbi;
            }
            if (fn) dep_add(c, fn);
        }
        tk[i] = aux_add(c, t);
        if (t->kind == GH_WITH_FUNC && (t->with_fn || t->with_bi)) {
            vals[i] = reg_new(c);
            emit(c, GH_OP_UNSET, vals[i], 0, 0, 0, 0);
        } else {
            vals[i] = lower_term(c, w->value);
        }
        save[i] = reg_block(c, 2);
    }
}

void lower_with(gh_comp *c, gh_expr *e)
{
    size_t nw = e->nwith;
    uint16_t *save = gh_arena_calloc(&c->scratch, nw, sizeof *save);
    uint16_t *vals = gh_arena_calloc(&c->scratch, nw, sizeof *vals);
    uint32_t *tk = gh_arena_calloc(&c->scratch, nw, sizeof *tk);
    with_prepare(c, e, save, vals, tk);
    uint32_t outer = c->fail, restore = label_new(c), after = label_new(c);
    for (size_t i = 0; i < nw; i++)
        emit(c, GH_OP_WITH, save[i], vals[i], 0, tk[i], 0);
    c->fail = restore;
    if (e->negated)
        lower_not(c, e);
    else
        lower_lit_pos(c, e);
    uint32_t inner = c->fail;
    for (size_t i = nw; i-- > 0;)
        emit(c, GH_OP_UNWITH, save[i], 0, 0, 0, 0);
    emit(c, GH_OP_JMP, 0, 0, 0, 0, after);
    uint32_t reenter = label_new(c);
    label_here(c, reenter);
    for (size_t i = 0; i < nw; i++)
        emit(c, GH_OP_WITH, save[i], vals[i], 0, tk[i], 0);
    emit(c, GH_OP_JMP, 0, 0, 0, 0, inner);
    label_here(c, restore);
    for (size_t i = nw; i-- > 0;)
        emit(c, GH_OP_UNWITH, save[i], 0, 0, 0, 0);
    emit(c, GH_OP_JMP, 0, 0, 0, 0, outer);
    label_here(c, after);
    c->fail = inner == restore ? outer : reenter;
}

/* ---- bodies ---- */

static void flat_names(gh_comp *c, const gh_term *t)
{
    switch (t->kind) {
    case GH_TERM_VAR: gh_vec_push(&c->scratch, &c->outer, (void *)t->u.str.s); break;
    case GH_TERM_REF:
    case GH_TERM_ARRAY:
    case GH_TERM_SET:
    case GH_TERM_CALL:
        for (size_t i = 0; i < t->u.list.n; i++)
            flat_names(c, t->u.list.items[i]);
        break;
    case GH_TERM_OBJECT:
        for (size_t i = 0; i < t->u.obj.n; i++) {
            flat_names(c, t->u.obj.keys[i]);
            flat_names(c, t->u.obj.vals[i]);
        }
        break;
    default: break;
    }
}

static void expr_flat_names(gh_comp *c, const gh_expr *e)
{
    switch (e->kind) {
    case GH_EXPR_TERM: flat_names(c, e->u.term); break;
    case GH_EXPR_CALL:
        for (size_t i = 1; i < e->u.call.n; i++)
            flat_names(c, e->u.call.terms[i]);
        break;
    case GH_EXPR_SOME:
        for (size_t i = 0; i < e->u.some.n; i++)
            flat_names(c, e->u.some.symbols[i]);
        break;
    case GH_EXPR_EVERY: flat_names(c, e->u.every.domain); break;
    }
}

static void declare_pattern(gh_comp *c, const gh_term *t)
{
    if (t->kind == GH_TERM_VAR)
        scope_declare(c, t->u.str.s);
    else if (t->kind == GH_TERM_ARRAY)
        for (size_t i = 0; i < t->u.list.n; i++)
            declare_pattern(c, t->u.list.items[i]);
    else if (t->kind == GH_TERM_OBJECT)
        for (size_t i = 0; i < t->u.obj.n; i++)
            declare_pattern(c, t->u.obj.vals[i]);
}

bool lower_body(gh_comp *c, const gh_body *b)
{
    uint32_t outer_n = c->outer.n;
    int32_t saved_lit = c->cur_lit;
    c->depth++;
    for (size_t i = 0; i < b->n; i++)
        expr_flat_names(c, b->items[i]);
    /* declarations: `x := ...`, `some x`, `some x in xs` make locals that shadow rules */
    for (size_t i = 0; i < b->n; i++) {
        gh_expr *e = b->items[i];
        c->decl_at = (int32_t)i;
        if (e->kind == GH_EXPR_CALL && e->u.call.n == 3 && !e->negated) {
            const char *nm = call_name(c, e->u.call.terms[0]);
            if (nm && strcmp(nm, "assign") == 0) {
                const gh_term *lhs = e->u.call.terms[1];
                gh_cvar *prev = lhs->kind == GH_TERM_VAR ? scope_find(c, lhs->u.str.s) : NULL;
                if (prev && prev->depth == c->depth && prev->decl >= 0 && lhs->u.str.s[0] != '$')
                    comp_error(c, &lhs->loc, "rego_compile_error", "var %s assigned above",
                               lhs->u.str.s);
                declare_pattern(c, lhs);
            }
        } else if (e->kind == GH_EXPR_SOME) {
            for (size_t j = 0; j < e->u.some.n; j++) {
                gh_term *s = e->u.some.symbols[j];
                if (s->kind == GH_TERM_VAR)
                    scope_declare(c, s->u.str.s);
                else if (s->kind == GH_TERM_CALL)
                    for (size_t k = 1; k + 1 < s->u.list.n; k++)
                        declare_pattern(c, s->u.list.items[k]);
            }
        }
    }
    c->decl_at = -1;
    gh_expr **order = gh_arena_alloc(&c->scratch, (b->n ? b->n : 1) * sizeof *order);
    size_t n = safety_order(c, b, order);
    bool ok = n == b->n;
    if (ok)
        for (size_t i = 0; i < n; i++)
            lower_lit(c, order[i]);
    c->outer.n = outer_n;
    c->depth--;
    c->cur_lit = saved_lit;
    return ok;
}
