/* The bytecode interpreter: one dispatch loop over a procedure's instructions (opcodes.h),
 * rule and function calls with per-evaluation memoisation, collection builders, `with`
 * overrides, materialisation of data subtrees, and the step budget and deadline.
 *
 * Frames live on one register stack owned by the evaluator (grown while warming up, then
 * reused); a frame is addressed by its base index, and R is fetched again after every
 * call that may grow the stack. Errors leave the loop through the labels at its foot. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "value.h"
#include "vm.h"

#define VM_MAX_DEPTH 2000

/* ---- small ints without allocation (array indexes during scans) ---- */

#define SMALL_INTS 1024
static gh_value small_ints[SMALL_INTS];
static pthread_once_t small_once = PTHREAD_ONCE_INIT;

static void small_init(void)
{
    for (int i = 0; i < SMALL_INTS; i++)
        small_ints[i] = v_make_int(i);
}

static const gh_value *vm_int(gh_evaluator *ev, size_t i)
{
    if (i < SMALL_INTS) return &small_ints[i];
    return gh_value_int(&ev->arena, (int64_t)i);
}

/* ---- errors ---- */

int gh_vm_error(gh_evaluator *ev, int rc, const char *code, const gh_loc *loc, const char *fmt, ...)
{
    gh_eval_error *e = ev->err;
    if (!e || e->code) return rc; /* keep the first */
    e->code = code;
    e->file[0] = 0;
    e->line = e->col = 0;
    if (loc) {
        snprintf(e->file, sizeof e->file, "%s", loc->file ? loc->file : "");
        e->line = loc->line;
        e->col = loc->col;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- builders: mutable collections in the evaluation arena ---- */

typedef struct gh_bld {
    uint8_t kind; /* 0 array, 1 set, 2 object */
    uint32_t n, cap;
    const gh_value **k; /* items, or object keys */
    const gh_value **v; /* object values (nested builders where nested[i]) */
    uint8_t *nested;
    uint32_t *h; /* hash index: slot -> item index + 1 */
    uint32_t hcap;
} gh_bld;

static gh_bld *bld_new(gh_evaluator *ev, int kind)
{
    gh_bld *b = gh_arena_calloc(&ev->arena, 1, sizeof *b);
    b->kind = (uint8_t)kind;
    return b;
}

static void bld_rehash(gh_evaluator *ev, gh_bld *b)
{
    uint32_t cap = 16;
    while (cap < 2 * b->cap)
        cap *= 2;
    b->h = gh_arena_calloc(&ev->arena, cap, sizeof *b->h);
    b->hcap = cap;
    for (uint32_t i = 0; i < b->n; i++) {
        uint32_t s = (uint32_t)gh_value_hash(b->k[i]) & (cap - 1);
        while (b->h[s])
            s = (s + 1) & (cap - 1);
        b->h[s] = i + 1;
    }
}

static int64_t bld_find(const gh_bld *b, const gh_value *key)
{
    if (!b->h) {
        for (uint32_t i = 0; i < b->n; i++)
            if (gh_value_equal(b->k[i], key)) return i;
        return -1;
    }
    uint32_t s = (uint32_t)gh_value_hash(key) & (b->hcap - 1);
    while (b->h[s]) {
        uint32_t i = b->h[s] - 1;
        if (gh_value_equal(b->k[i], key)) return i;
        s = (s + 1) & (b->hcap - 1);
    }
    return -1;
}

static uint32_t bld_insert(gh_evaluator *ev, gh_bld *b, const gh_value *k, const gh_value *v)
{
    if (b->n == b->cap) {
        uint32_t cap = b->cap ? b->cap * 2 : 8;
        b->k = gh_arena_realloc(&ev->arena, b->k, b->cap * sizeof *b->k, cap * sizeof *b->k);
        if (b->kind == 2) {
            b->v = gh_arena_realloc(&ev->arena, b->v, b->cap * sizeof *b->v, cap * sizeof *b->v);
            if (b->nested) b->nested = gh_arena_realloc(&ev->arena, b->nested, b->cap, cap);
        }
        b->cap = cap;
        if (b->kind != 0 && cap > 8) bld_rehash(ev, b);
    }
    uint32_t i = b->n++;
    b->k[i] = k;
    if (b->kind == 2) b->v[i] = v;
    if (b->nested) b->nested[i] = 0;
    if (b->h) {
        uint32_t s = (uint32_t)gh_value_hash(k) & (b->hcap - 1);
        while (b->h[s])
            s = (s + 1) & (b->hcap - 1);
        b->h[s] = i + 1;
    }
    return i;
}

static void bld_add(gh_evaluator *ev, gh_bld *b, const gh_value *v)
{
    if (b->kind == 1 && bld_find(b, v) >= 0) return;
    bld_insert(ev, b, v, NULL);
}

/* 0, or 1 when the key is there with another value. */
static int bld_put(gh_evaluator *ev, gh_bld *b, const gh_value *k, const gh_value *v)
{
    int64_t i = bld_find(b, k);
    if (i >= 0) return (b->nested && b->nested[i]) || !gh_value_equal(b->v[i], v);
    bld_insert(ev, b, k, v);
    return 0;
}

/* The nested builder under key k (made when absent); NULL when k holds a plain value. */
static gh_bld *bld_child(gh_evaluator *ev, gh_bld *b, const gh_value *k, int kind)
{
    int64_t i = bld_find(b, k);
    if (i >= 0) {
        if (!b->nested || !b->nested[i]) return NULL;
        gh_bld *c = (gh_bld *)(uintptr_t)b->v[i];
        return c->kind == kind ? c : NULL;
    }
    if (!b->nested) b->nested = gh_arena_calloc(&ev->arena, b->cap ? b->cap : 8, 1);
    gh_bld *c = bld_new(ev, kind);
    uint32_t j = bld_insert(ev, b, k, (const gh_value *)(uintptr_t)c);
    b->nested[j] = 1;
    return c;
}

static const gh_value *bld_value(gh_evaluator *ev, gh_bld *b)
{
    switch (b->kind) {
    case 0: return gh_value_array(&ev->arena, b->k, b->n);
    case 1: return gh_value_set(&ev->arena, b->k, b->n);
    default: {
        if (b->nested)
            for (uint32_t i = 0; i < b->n; i++)
                if (b->nested[i]) b->v[i] = bld_value(ev, (gh_bld *)(uintptr_t)b->v[i]);
        const gh_value *out = NULL;
        gh_value_object(&ev->arena, b->k, b->v, b->n, &out, NULL);
        return out;
    }
    }
}

/* ---- lookups ---- */

static const gh_value *dot(const gh_value *coll, const gh_value *key)
{
    switch (gh_value_kind(coll)) {
    case GH_KIND_OBJECT: return gh_object_get(coll, key);
    case GH_KIND_ARRAY: {
        int64_t i;
        if (gh_value_kind(key) != GH_KIND_NUMBER || !gh_number_get_int(key, &i) || i < 0)
            return NULL;
        return gh_array_get(coll, (size_t)i);
    }
    case GH_KIND_SET: return gh_set_contains(coll, key) ? key : NULL;
    default: return NULL;
    }
}

/* v with `keys` (an array, from index `from`) set to x; objects are copied on the way. */
static const gh_value *upsert(gh_evaluator *ev, const gh_value *v, const gh_value *keys,
                              size_t from, const gh_value *x)
{
    if (from >= gh_value_len(keys)) return x;
    const gh_value *k = gh_array_get(keys, from);
    gh_bld *b = bld_new(ev, 2);
    const gh_value *old = NULL;
    if (v && gh_value_kind(v) == GH_KIND_OBJECT) {
        for (size_t i = 0; i < gh_value_len(v); i++) {
            const gh_value *ki = gh_object_key_at(v, i);
            if (gh_value_equal(ki, k)) {
                old = gh_object_value_at(v, i);
                continue;
            }
            bld_insert(ev, b, ki, gh_object_value_at(v, i));
        }
    }
    bld_insert(ev, b, k, upsert(ev, old, keys, from + 1, x));
    return bld_value(ev, b);
}

/* The document at `keys` under the active `with data...` replacements; base is what it
 * is without them (NULL: undefined). *replaced tells whether a replacement covers it all. */
static const gh_value *with_data(gh_evaluator *ev, const gh_value *keys, const gh_value *base,
                                 bool *replaced)
{
    const gh_value *v = base;
    size_t np = gh_value_len(keys);
    if (replaced) *replaced = false;
    for (int i = 0; i < ev->nwith; i++) {
        const gh_with_frame *w = &ev->withs[i];
        if (w->t->kind != GH_WITH_DATA) continue;
        const gh_value *fp = w->t->path;
        size_t nf = gh_value_len(fp), m = nf < np ? nf : np, j = 0;
        while (j < m && gh_value_equal(gh_array_get(fp, j), gh_array_get(keys, j)))
            j++;
        if (j < m) continue;
        if (nf <= np) { /* the replacement covers this path */
            v = w->value;
            for (size_t q = nf; v && q < np; q++)
                v = dot(v, gh_array_get(keys, q));
            if (replaced) *replaced = true;
        } else {
            v = upsert(ev, v, fp, np, w->value);
        }
    }
    return v;
}

static bool with_data_touches(gh_evaluator *ev, const gh_value *keys, bool *covers)
{
    size_t np = gh_value_len(keys);
    bool any = false;
    *covers = false;
    for (int i = 0; i < ev->nwith; i++) {
        const gh_with_frame *w = &ev->withs[i];
        if (w->t->kind != GH_WITH_DATA) continue;
        const gh_value *fp = w->t->path;
        size_t nf = gh_value_len(fp), m = nf < np ? nf : np, j = 0;
        while (j < m && gh_value_equal(gh_array_get(fp, j), gh_array_get(keys, j)))
            j++;
        if (j < m) continue;
        any = true;
        if (nf <= np) *covers = true;
    }
    return any;
}

/* ---- calls ---- */

static int vm_run(gh_evaluator *ev, const gh_proc *p, const gh_value *const *args,
                  const gh_value **out);

/* a deep merge of two documents; NULL when they disagree somewhere */
static const gh_value *merge_docs(gh_evaluator *ev, const gh_value *a, const gh_value *b)
{
    if (gh_value_kind(a) != GH_KIND_OBJECT || gh_value_kind(b) != GH_KIND_OBJECT)
        return gh_value_equal(a, b) ? a : NULL;
    gh_bld *r = bld_new(ev, 2);
    for (size_t i = 0; i < gh_value_len(a); i++)
        bld_insert(ev, r, gh_object_key_at(a, i), gh_object_value_at(a, i));
    for (size_t i = 0; i < gh_value_len(b); i++) {
        const gh_value *k = gh_object_key_at(b, i), *v = gh_object_value_at(b, i);
        int64_t at = bld_find(r, k);
        if (at < 0) {
            bld_insert(ev, r, k, v);
            continue;
        }
        const gh_value *mv = merge_docs(ev, r->v[at], v);
        if (!mv) return NULL;
        r->v[at] = mv;
    }
    return bld_value(ev, r);
}

static int node_value(gh_evaluator *ev, const gh_rnode *n, const gh_value **out);

/* A ref-head rule node with rules below it (p[x].s := 1 beside p.q.r := 2): its value is
 * the object its own rules build merged with its children's documents. */
static int merge_kids(gh_evaluator *ev, const gh_rnode *n, const gh_value **out)
{
    const gh_value *acc = *out;
    if (!acc) gh_value_object(&ev->arena, NULL, NULL, 0, &acc, NULL);
    gh_bld *kids = bld_new(ev, 2);
    for (uint32_t j = 0; j < n->nkids; j++) {
        const gh_value *v = NULL;
        int rc = node_value(ev, n->kids[j], &v);
        if (rc) return rc;
        if (v) bld_insert(ev, kids, n->kids[j]->key, v);
    }
    const gh_value *m = merge_docs(ev, acc, bld_value(ev, kids));
    if (!m)
        return gh_vm_error(ev, GH_EINVAL, "eval_conflict_error", n->proc->loc,
                           "object keys must be unique");
    *out = m;
    return 0;
}

static int call_rule(gh_evaluator *ev, const gh_rnode *n, const gh_value **out)
{
    const gh_proc *p = n->proc;
    if (ev->nwith_data > 0) {
        bool covers;
        if (with_data_touches(ev, n->keys, &covers)) {
            const gh_value *v = NULL;
            if (!covers) {
                int rc = vm_run(ev, p, NULL, &v);
                if (rc) return rc;
            }
            *out = with_data(ev, n->keys, v, NULL);
            return 0;
        }
    }
    if (ev->with_active) {
        int rc = vm_run(ev, p, NULL, out);
        return rc == 0 && n->nkids ? merge_kids(ev, n, out) : rc;
    }
    gh_memo *m = &ev->memo[p->id];
    if (m->gen == ev->gen) {
        if (m->state == 2) {
            *out = m->v;
            return 0;
        }
        return gh_vm_error(ev, GH_EINTERNAL, "rego_recursion_error", p->loc, "rule %s is recursive",
                           p->name);
    }
    m->gen = ev->gen;
    m->state = 1;
    int rc = vm_run(ev, p, NULL, out);
    if (rc == 0 && n->nkids) rc = merge_kids(ev, n, out);
    if (rc) {
        m = &ev->memo[p->id];
        m->gen = 0;
        return rc;
    }
    m = &ev->memo[p->id];
    m->state = 2;
    m->v = *out;
    return 0;
}

struct gh_fmemo {
    uint64_t gen;
    uint64_t hash;
    uint32_t fid, nargs;
    const gh_value **args;
    const gh_value *v;
};

/* The memo is a cache, so it may miss: composite arguments are keyed by identity (the
 * policy passes the same grant or input objects again and again, and hashing them whole
 * costs more than the call), scalars by value. */
static bool arg_is_composite(const gh_value *v)
{
    return gh_value_kind(v) >= GH_KIND_ARRAY;
}

static uint64_t arg_hash(const gh_value *v)
{
    if (arg_is_composite(v)) return (uint64_t)(uintptr_t)v * 0x9e3779b97f4a7c15ull;
    return gh_value_hash(v);
}

static bool arg_same(const gh_value *a, const gh_value *b)
{
    if (a == b) return true;
    if (arg_is_composite(a) || arg_is_composite(b)) return false;
    return gh_value_equal(a, b);
}

static uint64_t args_hash(uint32_t fid, const gh_value *const *args, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ fid;
    for (size_t i = 0; i < n; i++)
        h = (h ^ arg_hash(args[i])) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static gh_fmemo *fmemo_find(gh_evaluator *ev, uint32_t fid, const gh_value *const *args, size_t n,
                            uint64_t h, bool *found)
{
    *found = false;
    if (ev->fmemo_n * 2 >= ev->fmemo_cap) {
        size_t cap = ev->fmemo_cap ? ev->fmemo_cap * 2 : 256;
        gh_fmemo *t = calloc(cap, sizeof *t);
        if (!t) return NULL;
        for (size_t i = 0; i < ev->fmemo_cap; i++) {
            gh_fmemo *e = &ev->fmemo[i];
            if (e->gen != ev->gen) continue;
            size_t s = e->hash & (cap - 1);
            while (t[s].gen == ev->gen)
                s = (s + 1) & (cap - 1);
            t[s] = *e;
        }
        free(ev->fmemo);
        ev->fmemo = t;
        ev->fmemo_cap = cap;
    }
    size_t s = h & (ev->fmemo_cap - 1);
    for (;;) {
        gh_fmemo *e = &ev->fmemo[s];
        if (e->gen != ev->gen) return e;
        if (e->hash == h && e->fid == fid && e->nargs == n) {
            size_t i = 0;
            while (i < n && arg_same(e->args[i], args[i]))
                i++;
            if (i == n) {
                *found = true;
                return e;
            }
        }
        s = (s + 1) & (ev->fmemo_cap - 1);
    }
}

static int call_func(gh_evaluator *ev, const gh_proc *p, const gh_value *const *args, size_t n,
                     const gh_value **out)
{
    if (ev->with_active) return vm_run(ev, p, args, out);
    uint64_t h = args_hash(p->id, args, n);
    bool found;
    gh_fmemo *e = fmemo_find(ev, p->id, args, n, h, &found);
    if (found) {
        *out = e->v;
        return 0;
    }
    int rc = vm_run(ev, p, args, out);
    if (rc || !e) return rc;
    e = fmemo_find(ev, p->id, args, n, h, &found); /* the table may have grown meanwhile */
    if (!e || found) return 0;
    const gh_value **copy = gh_arena_alloc(&ev->arena, (n ? n : 1) * sizeof *copy);
    memcpy(copy, args, n * sizeof *copy);
    e->gen = ev->gen;
    e->hash = h;
    e->fid = p->id;
    e->nargs = (uint32_t)n;
    e->args = copy;
    e->v = *out;
    ev->fmemo_n++;
    return 0;
}

static int node_value(gh_evaluator *ev, const gh_rnode *n, const gh_value **out)
{
    return gh_vm_node_value(ev, n, out);
}

int gh_vm_node_value(gh_evaluator *ev, const gh_rnode *n, const gh_value **out)
{
    *out = NULL;
    if (n->proc && n->proc->kind == GH_PROC_FUNC) return 0; /* functions are not documents */
    if (n->proc) return call_rule(ev, n, out);
    if (n->base && (n->nkids == 0 || gh_value_kind(n->base) != GH_KIND_OBJECT)) {
        *out = n->base;
        if (ev->nwith_data > 0) *out = with_data(ev, n->keys, *out, NULL);
        return 0;
    }
    gh_memo *m = NULL;
    if (!ev->with_active && n->memo < ev->nmemo) {
        m = &ev->memo[n->memo];
        if (m->gen == ev->gen && m->state == 2) {
            *out = m->v;
            return 0;
        }
    }
    gh_bld *b = bld_new(ev, 2);
    if (n->base && gh_value_kind(n->base) == GH_KIND_OBJECT) {
        for (size_t i = 0; i < gh_value_len(n->base); i++) {
            const gh_value *k = gh_object_key_at(n->base, i);
            bool kid = false;
            for (uint32_t j = 0; j < n->nkids && !kid; j++)
                kid = gh_value_equal(n->kids[j]->key, k);
            if (!kid) bld_insert(ev, b, k, gh_object_value_at(n->base, i));
        }
    }
    for (uint32_t j = 0; j < n->nkids; j++) {
        const gh_value *v = NULL;
        int rc = gh_vm_node_value(ev, n->kids[j], &v);
        if (rc) return rc;
        if (v) bld_insert(ev, b, n->kids[j]->key, v);
    }
    *out = bld_value(ev, b);
    if (ev->nwith_data > 0) *out = with_data(ev, n->keys, *out, NULL);
    if (m) {
        m = &ev->memo[n->memo];
        m->gen = ev->gen;
        m->state = 2;
        m->v = *out;
    }
    return 0;
}

static const gh_with_frame *with_fn_find(gh_evaluator *ev, const gh_rnode *fn, const gh_builtin *bi)
{
    for (int i = ev->nwith; i-- > 0;) {
        const gh_with_target *t = ev->withs[i].t;
        if (t->kind != GH_WITH_FUNC) continue;
        if ((fn && t->fn == fn) || (bi && t->bi == bi)) return &ev->withs[i];
    }
    return NULL;
}

/* ---- templates ---- */

static const gh_value *to_str(gh_evaluator *ev, const gh_value *v)
{
    if (!v) return gh_value_string(&ev->arena, "<undefined>", 11);
    if (gh_value_kind(v) == GH_KIND_STRING) return v;
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_value_to_rego(&b, v);
    const gh_value *s = gh_value_string(&ev->arena, b.data ? b.data : "", b.len);
    gh_buf_free(&b);
    return s;
}

/* ---- the loop ---- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int stack_reserve(gh_evaluator *ev, size_t need)
{
    if (ev->sp + need <= ev->stack_cap) return 0;
    size_t cap = ev->stack_cap ? ev->stack_cap : 1024;
    while (cap < ev->sp + need)
        cap *= 2;
    gh_slot *s = realloc(ev->stack, cap * sizeof *s);
    if (!s) return GH_ENOMEM;
    ev->stack = s;
    ev->stack_cap = cap;
    return 0;
}

static const char *op_names[] = {
#define GH_OP_NAME(name, ops, doc) #name,
    GH_OPCODES(GH_OP_NAME)
#undef GH_OP_NAME
};
static const char *op_operands[] = {
#define GH_OP_OPS(name, ops, doc) ops,
    GH_OPCODES(GH_OP_OPS)
#undef GH_OP_OPS
};

void gh_vm_disasm_one(const gh_proc *p, uint32_t pc, gh_buf *out)
{
    const gh_ins *i = &p->code[pc];
    gh_buf_printf(out, "%5u  %-6s", pc, op_names[i->op]);
    for (const char *o = op_operands[i->op]; *o; o++) {
        switch (*o) {
        case 'A': gh_buf_printf(out, " A=%u", i->a); break;
        case 'B': gh_buf_printf(out, " B=%u", i->b); break;
        case 'C': gh_buf_printf(out, " C=%u", i->c); break;
        case 'x': gh_buf_printf(out, " x=%u", i->x); break;
        case 'n': gh_buf_printf(out, " n=%u", i->k); break;
        case 'F': gh_buf_printf(out, " ->%u", i->f); break;
        case 'K':
            gh_buf_printf(out, " K[%u]=", i->k);
            gh_json_write(out, p->k[i->k], 0);
            break;
        case 'X': {
            const void *x = p->x[i->k];
            if (i->op == GH_OP_CALLB)
                gh_buf_printf(out, " %s", ((const gh_builtin *)x)->name);
            else if (i->op == GH_OP_RULE || i->op == GH_OP_TREE || i->op == GH_OP_CALLF)
                gh_buf_printf(out, " %s", ((const gh_rnode *)x)->path);
            else if (i->op == GH_OP_DATA) {
                gh_buf_puts(out, " data");
                gh_json_write(out, ((const gh_dataref *)x)->keys, 0);
            } else
                gh_buf_printf(out, " X[%u]", i->k);
            break;
        }
        }
    }
    gh_buf_putc(out, '\n');
}

void gh_vm_disasm(const gh_proc *p, gh_buf *out)
{
    gh_buf_printf(out, "%s (%u regs, %u args)\n", p->name ? p->name : "?", p->nregs, p->nargs);
    for (uint32_t pc = 0; pc < p->ncode; pc++)
        gh_vm_disasm_one(p, pc, out);
}

static int vm_run(gh_evaluator *ev, const gh_proc *p, const gh_value *const *args,
                  const gh_value **out)
{
    int rc = 0;
    if (ev->depth >= VM_MAX_DEPTH)
        return gh_vm_error(ev, GH_ELIMIT, "eval_internal_error", p->loc,
                           "call depth limit exceeded");
    if ((rc = stack_reserve(ev, p->nregs)))
        return gh_vm_error(ev, rc, "eval_internal_error", p->loc, "out of memory");
    size_t base = ev->sp;
    ev->sp += p->nregs;
    ev->depth++;
    const bool hooks = ev->hooks;
    gh_hook_frame hf;
    if (hooks) gh_hook_enter(ev, p, &hf);
    gh_slot *R = ev->stack + base;
    memset(R, 0, p->nregs * sizeof *R);
    for (uint16_t i = 0; i < p->nargs; i++)
        R[i].v = args[i];
    const gh_value *const *K = p->k;
    const void *const *X = p->x;
    const gh_ins *code = p->code;
    const gh_value *val = NULL; /* complete rules, functions, queries */
    gh_bld *res = NULL;         /* partial sets and objects */
    const gh_ins *i = NULL;
    uint32_t pc = 0;
    const char *conflict = NULL;

#define FAIL()                                                                                     \
    do {                                                                                           \
        pc = i->f;                                                                                 \
        goto next;                                                                                 \
    } while (0)
#define STEP()                                                                                     \
    do {                                                                                           \
        if (--ev->steps_left == 0) goto budget;                                                    \
        if (ev->deadline_ns && (ev->steps_left & 1023) == 0 && now_ns() > ev->deadline_ns)         \
            goto timeout;                                                                          \
    } while (0)

    for (;;) {
        i = &code[pc++];
        if (hooks) gh_hook_ins(ev, p, pc - 1, R); /* the only cost of the hooks when off */
        switch ((gh_opcode)i->op) {
        case GH_OP_NOP: break;
        case GH_OP_LOADK: R[i->a].v = K[i->k]; break;
        case GH_OP_MOVE: R[i->a] = R[i->b]; break;
        case GH_OP_INPUT:
            if (!ev->input) FAIL();
            R[i->a].v = ev->input;
            break;
        case GH_OP_DATA: {
            const gh_dataref *d = X[i->k];
            const gh_value *v = d->value;
            if (ev->nwith_data > 0) v = with_data(ev, d->keys, v, NULL);
            if (!v) FAIL();
            R[i->a].v = v;
            break;
        }
        case GH_OP_JMP:
            STEP();
            pc = i->f;
            break;
        case GH_OP_JTRUE:
            if (R[i->a].v && gh_value_get_bool(R[i->a].v)) pc = i->f;
            break;
        case GH_OP_TRUTHY: {
            const gh_value *v = R[i->a].v;
            if (!v || (gh_value_kind(v) == GH_KIND_BOOL && !gh_value_get_bool(v))) FAIL();
            break;
        }
        case GH_OP_DOT: {
            const gh_value *v = dot(R[i->b].v, R[i->c].v);
            if (!v) FAIL();
            R[i->a].v = v;
            break;
        }
        case GH_OP_DOTK: {
            const gh_value *v = dot(R[i->b].v, K[i->k]);
            if (!v) FAIL();
            R[i->a].v = v;
            break;
        }
        case GH_OP_EQ:
            if (!gh_value_equal(R[i->b].v, R[i->c].v)) FAIL();
            break;
        case GH_OP_CMP: {
            int c = gh_value_compare(R[i->b].v, R[i->c].v);
            bool ok;
            switch (i->x) {
            case 0: ok = c != 0; break;
            case 1: ok = c < 0; break;
            case 2: ok = c <= 0; break;
            case 3: ok = c > 0; break;
            default: ok = c >= 0; break;
            }
            if (!ok) FAIL();
            break;
        }
        case GH_OP_ISARR:
            if (gh_value_kind(R[i->a].v) != GH_KIND_ARRAY || gh_value_len(R[i->a].v) != i->k)
                FAIL();
            break;
        case GH_OP_ISOBJ:
            if (gh_value_kind(R[i->a].v) != GH_KIND_OBJECT || gh_value_len(R[i->a].v) != i->k)
                FAIL();
            break;
        case GH_OP_ITER:
            if (gh_value_kind(R[i->b].v) < GH_KIND_ARRAY) FAIL();
            R[i->a].v = R[i->b].v;
            R[i->a + 1].i = 0;
            break;
        case GH_OP_NEXT: {
            STEP();
            const gh_value *coll = R[i->a].v;
            size_t at = R[i->a + 1].i;
            switch (gh_value_kind(coll)) {
            case GH_KIND_ARRAY:
                if (at >= gh_value_len(coll)) FAIL();
                R[i->b].v = vm_int(ev, at);
                R[i->c].v = gh_array_get(coll, at);
                break;
            case GH_KIND_OBJECT:
                if (at >= gh_value_len(coll)) FAIL();
                R[i->b].v = gh_object_key_at(coll, at);
                R[i->c].v = gh_object_value_at(coll, at);
                break;
            case GH_KIND_SET:
                if (at >= gh_value_len(coll)) FAIL();
                R[i->b].v = R[i->c].v = gh_set_item_at(coll, at);
                break;
            default: FAIL();
            }
            R[i->a + 1].i = at + 1;
            break;
        }
        case GH_OP_MKARR:
            R[i->a].v = gh_value_array(&ev->arena, (const gh_value *const *)&R[i->b], i->k);
            break;
        case GH_OP_MKSET:
            R[i->a].v = gh_value_set(&ev->arena, (const gh_value *const *)&R[i->b], i->k);
            break;
        case GH_OP_MKOBJ: {
            const gh_value *o = NULL;
            int r = gh_value_object(&ev->arena, (const gh_value *const *)&R[i->b],
                                    (const gh_value *const *)&R[i->b + i->k], i->k, &o, NULL);
            if (r == GH_EINVAL) { /* {x: 1, y: 2} with x == y: the last wins, as OPA's Insert */
                gh_bld *b = bld_new(ev, 2);
                for (uint32_t j = 0; j < i->k; j++) {
                    int64_t at = bld_find(b, R[i->b + j].v);
                    if (at >= 0)
                        b->v[at] = R[i->b + i->k + j].v;
                    else
                        bld_insert(ev, b, R[i->b + j].v, R[i->b + i->k + j].v);
                }
                o = bld_value(ev, b);
            }
            R[i->a].v = o;
            break;
        }
        case GH_OP_CALLB: {
            const gh_builtin *bi = X[i->k];
            size_t n = i->x == 0xff ? i->c : i->x;
            const gh_value *const *av = (const gh_value *const *)&R[i->b];
            const gh_value *o = NULL;
            if (ev->nwith_fn > 0) {
                const gh_with_frame *w = with_fn_find(ev, NULL, bi);
                if (w) {
                    if (w->t->with_fn) {
                        /* inside a replacement, no replacement applies (OPA's scoping) */
                        int saved = ev->nwith_fn;
                        ev->nwith_fn = 0;
                        rc = call_func(ev, w->t->with_fn->proc, av, n, &o);
                        ev->nwith_fn = saved;
                        R = ev->stack + base;
                        if (rc) goto error;
                        if (!o) FAIL();
                        R[i->a].v = o;
                        break;
                    }
                    if (w->t->with_bi)
                        bi = w->t->with_bi;
                    else {
                        R[i->a].v = w->value;
                        break;
                    }
                }
            }
            ev->bc.err_code = NULL;
            char locbuf[160];
            if (bi->flags & GH_BI_VARIADIC) {
                const gh_loc *l = p->locs[pc - 1];
                snprintf(locbuf, sizeof locbuf, "%s:%d", l && l->file ? l->file : "",
                         l ? l->line : 0);
                ev->bc.loc = locbuf;
                rc = bi->vfn(&ev->bc, av, n, &o);
            } else {
                rc = bi->fn(&ev->bc, av, &o);
            }
            if (rc == 0) {
                R[i->a].v = o;
                break;
            }
            if (rc == GH_EUNDEFINED) FAIL();
            if (ev->bc.err_code) {
                if (!ev->opts.strict_builtin_errors) FAIL();
                rc = gh_vm_error(ev, rc, ev->bc.err_code, p->locs[pc - 1], "%s", ev->bc.err_msg);
                goto error;
            }
            rc = gh_vm_error(ev, rc, "eval_internal_error", p->locs[pc - 1], "%s: %s", bi->name,
                             gh_strerror(rc));
            goto error;
        }
        case GH_OP_CALLF: {
            const gh_rnode *fn = X[i->k];
            const gh_proc *callee = fn->proc;
            size_t n = i->x;
            const gh_value *const *av = (const gh_value *const *)&R[i->b];
            const gh_value *o = NULL;
            STEP();
            if (ev->nwith_fn > 0) {
                const gh_with_frame *w = with_fn_find(ev, fn, NULL);
                if (w) {
                    if (w->t->with_fn)
                        callee = w->t->with_fn->proc;
                    else if (w->t->with_bi) {
                        ev->bc.err_code = NULL;
                        rc = w->t->with_bi->fn(&ev->bc, av, &o);
                        if (rc == 0) {
                            R[i->a].v = o;
                            break;
                        }
                        if (rc == GH_EUNDEFINED || !ev->opts.strict_builtin_errors) FAIL();
                        rc = gh_vm_error(ev, rc,
                                         ev->bc.err_code ? ev->bc.err_code : "eval_internal_error",
                                         p->locs[pc - 1], "%s", ev->bc.err_msg);
                        goto error;
                    } else {
                        R[i->a].v = w->value;
                        break;
                    }
                }
            }
            if (callee != fn->proc) { /* a replacement function: no replacement inside */
                int saved = ev->nwith_fn;
                ev->nwith_fn = 0;
                rc = call_func(ev, callee, av, n, &o);
                ev->nwith_fn = saved;
            } else {
                rc = call_func(ev, callee, av, n, &o);
            }
            R = ev->stack + base;
            if (rc) goto error;
            if (!o) FAIL();
            R[i->a].v = o;
            break;
        }
        case GH_OP_RULE: {
            const gh_value *o = NULL;
            STEP();
            rc = call_rule(ev, X[i->k], &o);
            R = ev->stack + base;
            if (rc) goto error;
            if (!o) FAIL();
            R[i->a].v = o;
            break;
        }
        case GH_OP_TREE: {
            const gh_value *o = NULL;
            rc = gh_vm_node_value(ev, X[i->k], &o);
            R = ev->stack + base;
            if (rc) goto error;
            if (!o) FAIL();
            R[i->a].v = o;
            break;
        }
        case GH_OP_BNEW: R[i->a].b = bld_new(ev, i->x); break;
        case GH_OP_BADD: bld_add(ev, R[i->a].b, R[i->b].v); break;
        case GH_OP_BPUT:
            if (bld_put(ev, R[i->a].b, R[i->b].v, R[i->c].v)) {
                conflict = "object keys must be unique";
                goto conflict;
            }
            break;
        case GH_OP_BEND: R[i->a].v = bld_value(ev, R[i->b].b); break;
        case GH_OP_YVAL:
            if (val && !gh_value_equal(val, R[i->a].v)) {
                conflict = i->x ? "functions must not produce multiple outputs for same inputs"
                                : "complete rules must not produce multiple outputs";
                goto conflict;
            }
            val = R[i->a].v;
            break;
        case GH_OP_YSET:
            if (!res) res = bld_new(ev, 1);
            bld_add(ev, res, R[i->a].v);
            break;
        case GH_OP_YOBJ:
        case GH_OP_YOSET: {
            if (!res) res = bld_new(ev, 2);
            gh_bld *b = res;
            uint32_t n = i->k;
            for (uint32_t j = 0; j + 1 < n && b; j++)
                b = bld_child(ev, b, R[i->b + j].v, 2);
            if (i->op == GH_OP_YOSET) {
                if (b && n > 0) b = bld_child(ev, b, R[i->b + n - 1].v, 1);
                if (!b) {
                    conflict = "object keys must be unique";
                    goto conflict;
                }
                bld_add(ev, b, R[i->a].v);
                break;
            }
            if (!b || bld_put(ev, b, R[i->b + n - 1].v, R[i->a].v)) {
                conflict = "object keys must be unique";
                goto conflict;
            }
            break;
        }
        case GH_OP_WITH: {
            const gh_with_target *t = X[i->k];
            R[i->a].i = (uintptr_t)ev->nwith;
            R[i->a + 1].v = ev->input;
            ev->with_active++;
            if (t->kind == GH_WITH_INPUT) {
                ev->input = upsert(ev, ev->input, t->path, 0, R[i->b].v);
                break;
            }
            if (ev->nwith >= (int)(sizeof ev->withs / sizeof ev->withs[0])) {
                rc = gh_vm_error(ev, GH_ELIMIT, "eval_internal_error", p->locs[pc - 1],
                                 "too many nested with");
                goto error;
            }
            ev->withs[ev->nwith].t = t;
            ev->withs[ev->nwith].value = R[i->b].v;
            ev->nwith++;
            if (t->kind == GH_WITH_DATA)
                ev->nwith_data++;
            else
                ev->nwith_fn++;
            break;
        }
        case GH_OP_UNWITH: {
            int keep = (int)R[i->a].i;
            while (ev->nwith > keep) {
                ev->nwith--;
                if (ev->withs[ev->nwith].t->kind == GH_WITH_DATA)
                    ev->nwith_data--;
                else
                    ev->nwith_fn--;
            }
            ev->input = R[i->a + 1].v;
            ev->with_active--;
            break;
        }
        case GH_OP_TOSTR: R[i->a].v = to_str(ev, R[i->b].v); break;
        case GH_OP_UNSET: R[i->a].v = NULL; break;
        case GH_OP_IDX: {
            const gh_rindex *ix = X[i->k];
            uint64_t m = ix->always;
            const gh_value *at = R[i->b].v ? gh_object_get(ix->table, R[i->b].v) : NULL;
            int64_t u;
            if (at && gh_number_get_int(at, &u)) m = ix->masks[u];
            if (ev->nwith_data > 0) m = ~(uint64_t)0; /* guards may read replaced data */
            R[i->a].i = (uintptr_t)m;
            break;
        }
        case GH_OP_JNOBIT:
            if (!((uint64_t)R[i->a].i >> i->x & 1)) pc = i->f;
            break;
        case GH_OP_RET:
            rc = 0; /* a builtin error turned undefined may have left a code behind */
            switch ((gh_proc_kind)p->kind) {
            case GH_PROC_SET:
                *out = res ? bld_value(ev, res) : gh_value_set(&ev->arena, NULL, 0);
                break;
            case GH_PROC_OBJ: {
                if (res)
                    *out = bld_value(ev, res);
                else
                    gh_value_object(&ev->arena, NULL, NULL, 0, out, NULL);
                break;
            }
            default: *out = val ? val : p->dflt; break;
            }
            goto done;
        default:
            rc = gh_vm_error(ev, GH_EINTERNAL, "eval_internal_error", p->loc, "bad opcode %u",
                             i->op);
            goto error;
        }
    next:;
    }

conflict:
    rc = gh_vm_error(ev, GH_EINVAL, "eval_conflict_error",
                     p->locs[pc - 1] ? p->locs[pc - 1] : p->loc, "%s", conflict);
    goto error;
budget:
    rc = gh_vm_error(ev, GH_ELIMIT, "eval_budget_error", p->locs[pc - 1],
                     "evaluation exceeded its step budget");
    goto error;
timeout:
    rc = gh_vm_error(ev, GH_ELIMIT, "eval_timeout_error", p->locs[pc - 1],
                     "evaluation exceeded its deadline");
    goto error;
error:
done:
    if (hooks) gh_hook_exit(ev, p, &hf);
    ev->sp = base;
    ev->depth--;
    return rc;
#undef FAIL
#undef STEP
}

int gh_vm_call(gh_evaluator *ev, const gh_proc *p, const gh_value *const *args,
               const gh_value **out)
{
    *out = NULL;
    return vm_run(ev, p, args, out);
}

int gh_vm_begin(gh_evaluator *ev, const gh_revision *rev, const gh_value *input, gh_eval_error *err)
{
    pthread_once(&small_once, small_init);
    gh_arena_reset(&ev->arena);
    ev->gen++;
    if (ev->nmemo < rev->nmemo) {
        gh_memo *m = realloc(ev->memo, rev->nmemo * sizeof *m);
        if (!m) return GH_ENOMEM;
        memset(m + ev->nmemo, 0, (rev->nmemo - ev->nmemo) * sizeof *m);
        ev->memo = m;
        ev->nmemo = rev->nmemo;
    }
    ev->fmemo_n = 0;
    ev->rev = rev;
    ev->input = input;
    ev->nwith = ev->with_active = ev->nwith_data = ev->nwith_fn = 0;
    ev->steps_left = ev->opts.max_steps ? ev->opts.max_steps : 100000000ull;
    ev->deadline_ns = ev->opts.timeout_ns ? now_ns() + ev->opts.timeout_ns : 0;
    ev->sp = 0;
    ev->depth = 0;
    ev->err = err;
    ev->hooks = ev->trace || ev->opts.cover || ev->obs;
    if (ev->obs) gh_hook_begin(ev);
    if (err) memset(err, 0, sizeof *err);
    ev->bc.arena = &ev->arena;
    ev->bc.strict = ev->opts.strict_builtin_errors;
    ev->bc.print = ev->opts.print;
    ev->bc.print_ud = ev->opts.print_ud;
    ev->bc.loc = NULL;
    ev->bc.err_code = NULL;
    ev->bc.memo = NULL; /* the builtins' per-evaluation memory lives in the arena just reset */
    ev->bc.runtime = ev->opts.runtime;
    if (ev->opts.now_ns)
        ev->bc.now_ns = ev->opts.now_ns;
    else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ev->bc.now_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    return 0;
}
