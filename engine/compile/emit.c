/* Emission: instructions, forward labels (resolved when a procedure ends), registers,
 * constants and aux entries. The procedure being built lives in scratch memory; proc_end
 * copies it into the output arena. */
#include <assert.h>
#include <string.h>

#include "compile/compile.h"

static const char *const op_operands[] = {
#define GH_OP_OPS(name, ops, doc) ops,
    GH_OPCODES(GH_OP_OPS)
#undef GH_OP_OPS
};

uint32_t emit(gh_comp *c, gh_opcode op, unsigned a, unsigned b, unsigned cc, uint32_t k, uint32_t f)
{
    if (c->ncode == c->capcode) {
        uint32_t cap = c->capcode ? c->capcode * 2 : 256;
        c->code = gh_arena_realloc(&c->scratch, c->code, c->capcode * sizeof *c->code,
                                   cap * sizeof *c->code);
        c->locs = gh_arena_realloc(&c->scratch, c->locs, c->capcode * sizeof *c->locs,
                                   cap * sizeof *c->locs);
        c->info = gh_arena_realloc(&c->scratch, c->info, c->capcode * sizeof *c->info,
                                   cap * sizeof *c->info);
        c->capcode = cap;
    }
    assert(a <= 0xffff && b <= 0xffff && cc <= 0xffff);
    gh_ins *i = &c->code[c->ncode];
    i->op = (uint8_t)op;
    i->x = 0;
    i->a = (uint16_t)a;
    i->b = (uint16_t)b;
    i->c = (uint16_t)cc;
    i->k = k;
    i->f = f;
    c->locs[c->ncode] = c->loc;
    c->info[c->ncode] = (gh_insinfo){c->cx, c->cx && c->cx_start ? GH_II_START : 0};
    c->cx_start = false;
    return c->ncode++;
}

uint32_t label_new(gh_comp *c)
{
    if (c->nlabels == c->caplabels) {
        uint32_t cap = c->caplabels ? c->caplabels * 2 : 64;
        c->labels = gh_arena_realloc(&c->scratch, c->labels, c->caplabels * sizeof *c->labels,
                                     cap * sizeof *c->labels);
        c->caplabels = cap;
    }
    c->labels[c->nlabels] = UINT32_MAX;
    return c->nlabels++;
}

void label_here(gh_comp *c, uint32_t l)
{
    assert(l < c->nlabels && c->labels[l] == UINT32_MAX);
    c->labels[l] = c->ncode;
}

uint16_t reg_new(gh_comp *c)
{
    if (c->nregs >= 0xfff0) {
        if (c->nregs == 0xfff0) comp_error(c, c->loc, "rego_compile_error", "body too large");
        c->nregs = 0xfff1;
        return 0;
    }
    return (uint16_t)c->nregs++;
}

uint16_t reg_block(gh_comp *c, uint32_t n)
{
    if (c->nregs + n >= 0xfff0) {
        comp_error(c, c->loc, "rego_compile_error", "body too large");
        c->nregs = 0xfff1;
        return 0;
    }
    uint16_t r = (uint16_t)c->nregs;
    c->nregs += n;
    return r;
}

uint32_t const_add(gh_comp *c, const gh_value *v)
{
    /* Short scan for repeats: literal keys and small constants recur a lot in a body. */
    uint32_t n = c->consts.n, lo = n > 16 ? n - 16 : 0;
    for (uint32_t i = lo; i < n; i++)
        if (c->consts.items[i] == v || gh_value_equal(c->consts.items[i], v)) {
            if (gh_value_kind(v) == gh_value_kind(c->consts.items[i])) return i;
        }
    gh_vec_push(c->a, &c->consts, (void *)v);
    return n;
}

uint32_t aux_add(gh_comp *c, const void *p)
{
    /* a short look back only: repeats are local, and a full scan is quadratic on big
     * policies */
    uint32_t lo = c->aux.n > 64 ? c->aux.n - 64 : 0;
    for (uint32_t i = lo; i < c->aux.n; i++)
        if (c->aux.items[i] == p) return i;
    gh_vec_push(c->a, &c->aux, (void *)p);
    return c->aux.n - 1;
}

void proc_begin(gh_comp *c)
{
    c->ncode = 0;
    c->nlabels = 0;
    c->nregs = 0;
    scope_pop(c, 0);
    c->fail = 0;
    c->depth = 0;
    c->decl_at = -1;
    c->cur_lit = 0;
    c->cx = NULL;
    c->cx_start = false;
}

/* The invariants the VM relies on without checking: every register named by an operand is
 * inside the frame, every failure target inside the code, and the code ends in RET. A
 * violation is a compiler bug, reported as an error rather than run. */
static void proc_verify(gh_comp *c, const gh_proc *p, const char *name)
{
    if (c->nerr) return; /* code after an error is never run */
    bool ok = p->ncode > 0 && p->code[p->ncode - 1].op == GH_OP_RET;
    for (uint32_t pc = 0; pc < p->ncode && ok; pc++) {
        const gh_ins *i = &p->code[pc];
        const char *o = op_operands[i->op];
        uint32_t span = i->op == GH_OP_ITER || i->op == GH_OP_NEXT || i->op == GH_OP_WITH ? 2 : 1;
        if (strchr(o, 'A') && i->a != GH_NOREG) ok = i->a + span <= p->nregs;
        if (ok && strchr(o, 'B') && i->b != GH_NOREG) ok = i->b < p->nregs;
        if (ok && strchr(o, 'C') && i->c != GH_NOREG) ok = i->c < p->nregs;
        if (ok && strchr(o, 'F')) ok = i->f < p->ncode;
        if (ok && (i->op == GH_OP_MKARR || i->op == GH_OP_MKSET))
            ok = (uint64_t)i->b + i->k <= p->nregs;
        if (ok && i->op == GH_OP_MKOBJ) ok = (uint64_t)i->b + 2 * (uint64_t)i->k <= p->nregs;
        if (ok && (i->op == GH_OP_YOBJ || i->op == GH_OP_YOSET))
            ok = (uint64_t)i->b + i->k <= p->nregs;
        if (ok && (i->op == GH_OP_CALLB || i->op == GH_OP_CALLF))
            ok = (uint64_t)i->b + (i->x == 0xff ? i->c : i->x) <= p->nregs;
    }
    if (!ok)
        comp_error(c, c->loc, "rego_compile_error", "internal error: bad code for %s",
                   name ? name : "query");
}

gh_proc *proc_end(gh_comp *c, gh_proc_kind kind, const char *name)
{
    gh_proc *p = gh_arena_calloc(c->a, 1, sizeof *p);
    gh_ins *code = gh_arena_alloc(c->a, (c->ncode ? c->ncode : 1) * sizeof *code);
    const gh_loc **locs = gh_arena_alloc(c->a, (c->ncode ? c->ncode : 1) * sizeof *locs);
    gh_insinfo *info = gh_arena_alloc(c->a, (c->ncode ? c->ncode : 1) * sizeof *info);
    for (uint32_t i = 0; i < c->ncode; i++) {
        code[i] = c->code[i];
        locs[i] = c->locs[i];
        info[i] = c->info[i];
        if (strchr(op_operands[code[i].op], 'F')) {
            assert(code[i].f < c->nlabels);
            uint32_t pc = code[i].f < c->nlabels ? c->labels[code[i].f] : UINT32_MAX;
            assert(pc != UINT32_MAX);
            code[i].f = pc; /* an unplaced label stays out of range: proc_verify rejects it */
        }
    }
    p->code = code;
    p->locs = locs;
    p->info = info;
    p->ncode = c->ncode;
    p->nregs = c->nregs ? c->nregs : 1;
    proc_verify(c, p, name);
    p->kind = (uint8_t)kind;
    p->name = name;
    gh_vec_push(c->a, &c->all_procs, p);
    return p;
}
