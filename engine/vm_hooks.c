/* The VM's hooks: what runs before each instruction and around each procedure when any of
 * coverage, GH_VM_TRACE, the profiler or the explainer is on. vm_run tests one flag
 * (ev->hooks) per instruction, so all of this costs nothing else when off.
 *
 * The profiler and the explainer see the VM through the compiler's debug information
 * (gh_insinfo): control moving to an instruction of another expression ends the previous
 * expression's time slice; reaching an expression's first instruction is an Eval; coming
 * back into it at a scan step (NEXT) or a `with` re-entry is a Redo (backtracking for
 * another solution); an instruction jumping to its failure target is a Fail of its
 * expression. Procedures are the explainer's queries: Enter on entry, Exit at each yield. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "value.h"
#include "vm.h"

#define EXPLAIN_MAX_EVENTS (1u << 20) /* beyond this the trace is cut (and says so) */

typedef struct pstat {
    const gh_expr *e;
    uint64_t time_ns, num_eval, num_redo, seq;
} pstat;

typedef struct gh_obs {
    bool profile, explain;
    /* profile: one entry per expression seen, found through an open-addressing table */
    pstat *stats;
    size_t nstats, capstats;
    uint32_t *slots; /* stats index + 1; 0 = empty */
    size_t nslots;
    uint64_t mark; /* start of the current time slice */
    bool failed;   /* out of memory: the profile is incomplete */
    /* where control is: the last instruction hooked and its expression */
    const gh_proc *p;
    uint32_t pc;
    const gh_cexpr *x;
    /* explain */
    gh_trace_event *events;
    size_t nevents, capevents;
    bool truncated;
    uint64_t qid, parent, next_qid; /* the running procedure's query id, its caller's */
    const gh_builtin *trace_bi;
} gh_obs;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- profile ---- */

static size_t slot_of(const gh_expr *e, size_t n)
{
    return (size_t)(((uintptr_t)e >> 4) * 0x9e3779b97f4a7c15ull) & (n - 1);
}

static bool stats_grow(gh_obs *o)
{
    size_t cap = o->capstats ? o->capstats * 2 : 64;
    pstat *s = realloc(o->stats, cap * sizeof *s);
    uint32_t *t = s ? calloc(cap * 2, sizeof *t) : NULL;
    if (!t) {
        if (s) o->stats = s;
        return false;
    }
    o->stats = s;
    o->capstats = cap;
    free(o->slots);
    o->slots = t;
    o->nslots = cap * 2;
    for (size_t i = 0; i < o->nstats; i++) {
        size_t k = slot_of(o->stats[i].e, o->nslots);
        while (o->slots[k])
            k = (k + 1) & (o->nslots - 1);
        o->slots[k] = (uint32_t)i + 1;
    }
    return true;
}

static pstat *stat_of(gh_obs *o, const gh_expr *e)
{
    if (o->nslots) {
        for (size_t k = slot_of(e, o->nslots); o->slots[k]; k = (k + 1) & (o->nslots - 1))
            if (o->stats[o->slots[k] - 1].e == e) return &o->stats[o->slots[k] - 1];
    }
    if (o->nstats == o->capstats && !stats_grow(o)) {
        o->failed = true;
        return NULL;
    }
    pstat *s = &o->stats[o->nstats];
    *s = (pstat){.e = e, .seq = o->nstats};
    size_t k = slot_of(e, o->nslots);
    while (o->slots[k])
        k = (k + 1) & (o->nslots - 1);
    o->slots[k] = (uint32_t)++o->nstats;
    return s;
}

/* Control leaves o->x: the time slice so far goes to the expression it ran in. */
static void profile_switch(gh_obs *o)
{
    uint64_t now = mono_ns();
    if (o->x) {
        pstat *s = stat_of(o, o->x->e);
        if (s) s->time_ns += now - o->mark;
    }
    o->mark = now;
}

static void profile_count(gh_obs *o, const gh_cexpr *x, gh_trace_op op)
{
    pstat *s = stat_of(o, x->e);
    if (!s) return;
    if (op == GH_TRACE_EVAL)
        s->num_eval++;
    else
        s->num_redo++;
}

/* ---- explain ---- */

static gh_trace_event *event_new(gh_evaluator *ev, gh_trace_op op, gh_trace_node node)
{
    gh_obs *o = ev->obs;
    if (o->nevents >= EXPLAIN_MAX_EVENTS) {
        o->truncated = true;
        return NULL;
    }
    if (o->nevents == o->capevents) {
        size_t cap = o->capevents ? o->capevents * 2 : 256;
        gh_trace_event *g = realloc(o->events, cap * sizeof *g);
        if (!g) {
            o->truncated = true;
            return NULL;
        }
        o->events = g;
        o->capevents = cap;
    }
    gh_trace_event *e = &o->events[o->nevents++];
    *e = (gh_trace_event){.op = (uint8_t)op, .node = (uint8_t)node, .qid = o->qid,
                          .parent = o->parent};
    return e;
}

static void event_at(gh_trace_event *e, const gh_loc *l)
{
    if (!l) return;
    e->file = l->file ? l->file : "";
    e->row = l->line;
    e->col = l->col;
    e->off = l->off;
    e->end = l->end;
}

/* The values of the expression's variables now (gatehouse test --var-values). Those it
 * binds itself are undefined until it has run. */
static void capture_vars(gh_evaluator *ev, gh_trace_event *e, const gh_cexpr *x, const gh_slot *R)
{
    if (!x->nvars) return;
    gh_trace_var *vs = gh_arena_alloc(&ev->arena, x->nvars * sizeof *vs);
    if (!vs) return;
    for (uint16_t i = 0; i < x->nvars; i++) {
        const gh_term *t = x->vars[i];
        uint16_t r = x->regs[i];
        const gh_value *v = x->bound[i] && r != GH_NOREG ? R[r].v : NULL;
        vs[i] = (gh_trace_var){t->u.str.s, t->loc.line, t->loc.col, v};
    }
    e->vars = vs;
    e->nvars = x->nvars;
}

static void expr_event(gh_evaluator *ev, gh_trace_op op, const gh_cexpr *x, const gh_slot *R)
{
    if (ev->obs->profile && op != GH_TRACE_FAIL) profile_count(ev->obs, x, op);
    if (!ev->obs->explain) return;
    gh_trace_event *e = event_new(ev, op, GH_TNODE_EXPR);
    if (!e) return;
    event_at(e, &x->e->loc);
    e->every = x->e->kind == GH_EXPR_EVERY;
    capture_vars(ev, e, x, R);
}

/* A trace("msg") call about to run: OPA's Note event. */
static void note_event(gh_evaluator *ev, const gh_proc *p, uint32_t pc, const gh_slot *R)
{
    const gh_ins *i = &p->code[pc];
    size_t n;
    const char *s = gh_string_ptr(R[i->b].v, &n);
    if (!s) return;
    gh_trace_event *e = event_new(ev, GH_TRACE_NOTE, GH_TNODE_EXPR);
    if (!e) return;
    event_at(e, p->locs[pc]);
    char *m = gh_arena_alloc(&ev->arena, n + 1);
    if (m) {
        memcpy(m, s, n);
        m[n] = '\0';
    }
    e->message = m;
    e->message_len = m ? n : 0;
}

/* ---- the hooks ---- */

/* Whether instruction i, having jumped to `to`, failed (as opposed to a scan ending or a
 * plain jump). */
static bool failed_jump(const gh_ins *i, uint8_t flags, uint32_t from, uint32_t to)
{
    if (flags & GH_II_FAILJMP) return to == i->f;
    if (flags & GH_II_NOFAIL || to == from + 1 || to != i->f) return false;
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
    case GH_OP_CALLB:
    case GH_OP_CALLF:
    case GH_OP_RULE:
    case GH_OP_TREE: return true;
    default: return false; /* NEXT: a scan running out is no failure */
    }
}

static bool is_yield(const gh_proc *p, const gh_ins *i, const gh_insinfo *in)
{
    if (p->kind == GH_PROC_QUERY) return i->op == GH_OP_BADD && !in->x; /* a row */
    return i->op == GH_OP_YVAL || i->op == GH_OP_YSET || i->op == GH_OP_YOBJ ||
           i->op == GH_OP_YOSET;
}

static void observe(gh_evaluator *ev, const gh_proc *p, uint32_t pc, const gh_slot *R)
{
    gh_obs *o = ev->obs;
    const gh_insinfo *in = &p->info[pc];
    const gh_ins *i = &p->code[pc];
    if (o->p == p && o->x) {
        const gh_insinfo *pin = &p->info[o->pc];
        if (failed_jump(&p->code[o->pc], pin->flags, o->pc, pc))
            expr_event(ev, GH_TRACE_FAIL, pin->x, R);
    }
    o->p = p;
    o->pc = pc;
    if (in->x != o->x) {
        if (o->profile) profile_switch(o);
        o->x = in->x;
        if (in->x && (in->flags & GH_II_START))
            expr_event(ev, GH_TRACE_EVAL, in->x, R);
        else if (in->x && (i->op == GH_OP_NEXT || i->op == GH_OP_WITH))
            expr_event(ev, GH_TRACE_REDO, in->x, R);
    }
    if (!o->explain) return;
    if (is_yield(p, i, in)) {
        gh_trace_event *e =
            event_new(ev, GH_TRACE_EXIT, p->kind == GH_PROC_QUERY ? GH_TNODE_BODY : GH_TNODE_RULE);
        if (e) {
            event_at(e, p->kind == GH_PROC_QUERY ? NULL : p->locs[pc]);
            e->name = p->name;
            if (p->kind == GH_PROC_QUERY) e->file = "query", e->row = 1, e->col = 1;
        }
    } else if (i->op == GH_OP_CALLB && p->x[i->k] == o->trace_bi) {
        note_event(ev, p, pc, R);
    }
}

void gh_hook_ins(gh_evaluator *ev, const gh_proc *p, uint32_t pc, const gh_slot *R)
{
    const gh_loc *l = p->locs[pc];
    if (ev->opts.cover && l && l->file) ev->opts.cover(ev->opts.cover_ud, l->file, l->line);
    if (ev->trace) {
        gh_buf tb;
        gh_buf_init(&tb, 0);
        gh_vm_disasm_one(p, pc, &tb);
        fprintf(stderr, "[%s] %s", p->name, tb.data ? tb.data : "");
        gh_buf_free(&tb);
    }
    if (ev->obs) observe(ev, p, pc, R);
}

void gh_hook_enter(gh_evaluator *ev, const gh_proc *p, gh_hook_frame *save)
{
    gh_obs *o = ev->obs;
    if (!o) return;
    *save = (gh_hook_frame){o->p, o->pc, o->x, o->qid, o->parent};
    o->p = NULL; /* no instruction of this frame ran yet */
    if (!o->explain) return;
    o->parent = o->qid;
    o->qid = ++o->next_qid;
    bool query = p->kind == GH_PROC_QUERY;
    gh_trace_event *e = event_new(ev, GH_TRACE_ENTER, query ? GH_TNODE_BODY : GH_TNODE_RULE);
    if (!e) return;
    e->name = p->name;
    if (query)
        e->file = "query", e->row = 1, e->col = 1;
    else
        event_at(e, p->loc);
}

void gh_hook_exit(gh_evaluator *ev, const gh_proc *p, const gh_hook_frame *save)
{
    (void)p;
    gh_obs *o = ev->obs;
    if (!o) return;
    /* back in the caller's expression: its time slice resumes, no new Eval */
    if (o->profile && save->x != o->x) profile_switch(o);
    o->p = save->p;
    o->pc = save->pc;
    o->x = save->x;
    o->qid = save->qid;
    o->parent = save->parent;
}

void gh_hook_begin(gh_evaluator *ev)
{
    gh_obs *o = ev->obs;
    o->nevents = 0;
    o->truncated = false;
    o->qid = o->parent = o->next_qid = 0;
    o->p = NULL;
    o->x = NULL;
    o->mark = mono_ns();
    if (!o->trace_bi) o->trace_bi = gh_builtin_lookup("trace", 5);
}

void gh_hook_free(gh_evaluator *ev)
{
    gh_obs *o = ev->obs;
    if (!o) return;
    free(o->stats);
    free(o->slots);
    free(o->events);
    free(o);
    ev->obs = NULL;
}

/* ---- public API ---- */

static gh_obs *obs_get(gh_evaluator *ev)
{
    if (!ev->obs) ev->obs = calloc(1, sizeof *ev->obs);
    return ev->obs;
}

int gh_evaluator_set_profile(gh_evaluator *ev, bool on)
{
    if (!on && !ev->obs) return 0;
    gh_obs *o = obs_get(ev);
    if (!o) return GH_ENOMEM;
    o->profile = on;
    if (!o->profile && !o->explain) gh_hook_free(ev);
    return 0;
}

int gh_evaluator_set_explain(gh_evaluator *ev, bool on)
{
    if (!on && !ev->obs) return 0;
    gh_obs *o = obs_get(ev);
    if (!o) return GH_ENOMEM;
    o->explain = on;
    if (!o->profile && !o->explain) gh_hook_free(ev);
    return 0;
}

int gh_evaluator_profile(const gh_evaluator *ev, gh_expr_stat **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const gh_obs *o = ev->obs;
    if (!o || !o->profile || !o->nstats) return o && o->failed ? GH_ENOMEM : 0;
    gh_expr_stat *s = calloc(o->nstats, sizeof *s);
    if (!s) return GH_ENOMEM;
    for (size_t i = 0; i < o->nstats; i++) {
        const pstat *p = &o->stats[i];
        const gh_loc *l = &p->e->loc;
        s[i] = (gh_expr_stat){l->file ? l->file : "", l->line, l->col, l->off, l->end,
                              p->time_ns, p->num_eval, p->num_redo, p->seq};
    }
    *out = s;
    *n = o->nstats;
    return o->failed ? GH_ENOMEM : 0;
}

void gh_evaluator_profile_reset(gh_evaluator *ev)
{
    gh_obs *o = ev->obs;
    if (!o) return;
    o->nstats = 0;
    if (o->slots) memset(o->slots, 0, o->nslots * sizeof *o->slots);
    o->failed = false;
}

const gh_trace_event *gh_evaluator_explain(const gh_evaluator *ev, size_t *n, bool *truncated)
{
    const gh_obs *o = ev->obs;
    *n = o && o->explain ? o->nevents : 0;
    if (truncated) *truncated = o && o->truncated;
    return *n ? o->events : NULL;
}
