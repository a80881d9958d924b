/* The private structures shared by the compiler (engine/compile/), the VM (vm.c) and the
 * public API (eval.c, revision.c): instructions, procedures, the rule tree, revisions and
 * evaluators.
 *
 * Invariant: everything reachable from a gh_revision (tree, procedures, constants, base
 * data, ASTs for locations) lives in the revision's arena and is never written after
 * gh_revision_load returns; all mutable evaluation state lives in the gh_evaluator. */
#ifndef GH_VM_H
#define GH_VM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ast.h"
#include "builtins/builtins.h"
#include "gatehouse/engine.h"
#include "opcodes.h"

#define GH_NOREG 0xffffu

typedef struct gh_ins {
    uint8_t op; /* gh_opcode */
    uint8_t x;
    uint16_t a, b, c;
    uint32_t k;
    uint32_t f; /* failure target (pc) */
} gh_ins;

typedef enum gh_proc_kind {
    GH_PROC_COMPLETE, /* complete rule (value or undefined, default) */
    GH_PROC_FUNC,     /* function: args in R[0..nargs) */
    GH_PROC_SET,      /* partial set rule: always defined ({} when empty) */
    GH_PROC_OBJ,      /* partial object / ref-head rules: always defined */
    GH_PROC_QUERY,    /* ad-hoc query: result is the array of rows */
} gh_proc_kind;

typedef struct gh_rnode gh_rnode;

/* Debug information (compile/debuginfo.c), read only by the profiler and the explainer
 * (vm_hooks.c): which body expression each instruction was compiled from, and the local
 * variables of each expression with their registers. */
typedef struct gh_cexpr {
    const gh_expr *e;            /* the expression (a literal of a body) */
    const gh_term *const *vars;  /* its local variables, first occurrence of each name */
    const uint16_t *regs;        /* their registers (GH_NOREG: none left in scope) */
    const uint8_t *bound;        /* bound before the expression (else it binds them, so when
                                    it fails they are undefined, whatever the register holds) */
    uint16_t nvars;
} gh_cexpr;

enum {
    GH_II_START = 1,   /* the first instruction of its expression */
    GH_II_FAILJMP = 2, /* a jump meaning its expression failed (`not` whose operand held,
                          `every` with a counter-example) */
    GH_II_NOFAIL = 4,  /* failing here is no failure of its expression (inside `not`) */
};

typedef struct gh_insinfo {
    const gh_cexpr *x; /* NULL: rule machinery (head, yields, return) */
    uint8_t flags;     /* GH_II_* */
} gh_insinfo;

typedef struct gh_proc {
    const gh_ins *code;
    uint32_t ncode;
    uint32_t nregs;
    uint16_t nargs;
    uint8_t kind;              /* gh_proc_kind */
    uint32_t id;               /* memo slot (rules) / function id */
    const char *name;          /* "data.authz.Decision", for messages and the disassembler */
    const gh_value *dflt;      /* default value, or NULL */
    const gh_loc *loc;         /* the first definition, for conflict errors */
    const gh_loc *const *locs; /* per instruction, for error locations (entries may be NULL) */
    const gh_insinfo *info;    /* per instruction, for the profiler and the explainer */
    const gh_value *const *k;  /* constants */
    const void *const *x;      /* aux: builtins, procedures, tree nodes, with targets */
} gh_proc;

/* A node of the rule tree under `data`: packages, rule paths, and the base documents they
 * overlay. A node either holds rules (proc != NULL, a leaf as far as the tree goes) or
 * children; `base` is the base document at its path (NULL when none). */
struct gh_rnode {
    const gh_value *key; /* string key below the parent; NULL for the root */
    gh_rnode *parent;
    gh_rnode **kids;
    uint32_t nkids, capkids;
    uint32_t *kidx; /* hash index over kids by key (slot -> kid index + 1), when many */
    uint32_t kcap;
    gh_proc *proc;        /* compiled rules at exactly this path */
    uint32_t memo;        /* interior nodes: memo slot of the materialised subtree */
    const gh_value *base; /* base document at this path */
    const char *path;     /* "data.a.b" */
    const gh_value *keys; /* the path below data as an array of keys (for `with data...`) */
    /* compile-time only */
    gh_vec defs;  /* struct gh_cdef * : rule definitions at this path */
    int kind;     /* gh_proc_kind of the rules, -1 when none */
    int visiting; /* recursion check: 0 new, 1 on the stack, 2 done */
    gh_vec deps;  /* gh_rnode * called from this node's rules */
};

/* The child of n under `key`, or NULL (compile/tree.c; read-only, thread-safe). */
gh_rnode *gh_rnode_kid(const gh_rnode *n, const char *key, size_t len);

/* `with` targets (aux entries of WITH). */
typedef enum gh_with_kind { GH_WITH_INPUT, GH_WITH_DATA, GH_WITH_FUNC } gh_with_kind;
typedef struct gh_with_target {
    gh_with_kind kind;
    const gh_value *path;      /* GH_WITH_DATA: array of keys below data */
    const gh_rnode *fn;        /* GH_WITH_FUNC: the function replaced (or NULL) */
    const gh_builtin *bi;      /* GH_WITH_FUNC: the builtin replaced (or NULL) */
    const gh_rnode *with_fn;   /* replacement function, or NULL when a value */
    const gh_builtin *with_bi; /* replacement builtin, or NULL */
} gh_with_target;

/* A base document reached by a constant path (aux entry of DATA). */
typedef struct gh_dataref {
    const gh_value *value; /* NULL when the base documents have nothing there */
    const gh_value *keys;  /* its path below data, as an array */
} gh_dataref;

/* A rule index (aux entry of IDX): which definitions may hold for each guard value. */
typedef struct gh_rindex {
    const gh_value *table; /* object: guard constant -> index into masks */
    const uint64_t *masks; /* definitions to run (bit i: definition i) for that constant */
    uint64_t always;       /* definitions without the guard: run whatever the value */
} gh_rindex;

struct gh_revision {
    atomic_int refs;
    gh_arena arena;
    gh_rnode *root;
    const gh_value *data; /* base documents */
    gh_proc **procs;      /* every rule and function procedure; procs[i]->id == i */
    uint32_t nprocs;
    uint32_t nmemo; /* memo slots: one per procedure, then one per interior node */
    bool v0;
    bool strict; /* compiled in OPA's strict mode (compile/strict.c) */
    uint64_t parse_ns, compile_ns; /* what gh_revision_load spent on each (--metrics) */
};

struct gh_query {
    gh_revision *rev;
    gh_arena arena;
    gh_proc *proc;
    uint64_t parse_ns, compile_ns; /* what gh_query_prepare spent on each (--metrics) */
};

/* ---- evaluator ---- */

typedef union gh_slot {
    const gh_value *v;
    struct gh_bld *b;
    void *p;
    uintptr_t i;
} gh_slot;

typedef struct gh_memo {
    uint64_t gen;  /* valid when equal to the evaluator's generation */
    uint8_t state; /* 1 in progress, 2 done */
    const gh_value *v;
} gh_memo;

typedef struct gh_fmemo gh_fmemo; /* function memo entries (vm.c) */

typedef struct gh_with_frame {
    const gh_with_target *t;
    const gh_value *value; /* replacement value (or NULL when a function) */
} gh_with_frame;

struct gh_evaluator {
    gh_eval_opts opts;
    gh_arena arena;
    gh_bctx bc;
    gh_slot *stack;
    size_t stack_cap, sp;
    gh_memo *memo;
    size_t nmemo;
    uint64_t gen;
    /* function memo: open addressing, entries stamped with gen */
    gh_fmemo *fmemo;
    size_t fmemo_cap, fmemo_n;
    uint64_t fmemo_gen;
    /* current evaluation */
    const gh_revision *rev;
    const gh_value *input;
    gh_with_frame withs[32];
    int nwith;       /* data and function replacements in withs[] */
    int with_active; /* `with` literals running (input ones too): memoisation is off */
    int nwith_data, nwith_fn;
    uint64_t steps_left;
    uint64_t deadline_ns;
    uint32_t depth;
    gh_eval_error *err;
    bool trace;
    bool hooks;          /* trace, coverage, profile or explain: vm_run calls the hooks */
    struct gh_obs *obs;  /* profile and explain state (vm_hooks.c); NULL when neither is on */
};

/* Runs proc with args (nargs values) and stores its value in *out (NULL: undefined).
 * Returns 0 or a negative code with ev->err filled. */
int gh_vm_call(gh_evaluator *ev, const gh_proc *p, const gh_value *const *args,
               const gh_value **out);
/* The value of the rule tree node (rules evaluated, base documents merged). */
int gh_vm_node_value(gh_evaluator *ev, const gh_rnode *n, const gh_value **out);
/* Prepares ev for one evaluation of rev (resets the arena, memo generation, limits). */
int gh_vm_begin(gh_evaluator *ev, const gh_revision *rev, const gh_value *input,
                gh_eval_error *err);
/* ---- hooks (vm_hooks.c): run only when ev->hooks, so they cost one branch when off ---- */

/* What a frame saves of the hook state across a call. */
typedef struct gh_hook_frame {
    const gh_proc *p;
    uint32_t pc;
    const gh_cexpr *x;
    uint64_t qid, parent;
} gh_hook_frame;

/* Before each instruction: coverage, the GH_VM_TRACE print, profile and explain events. */
void gh_hook_ins(gh_evaluator *ev, const gh_proc *p, uint32_t pc, const gh_slot *R);
/* Entering and leaving a procedure (rule, function, query). */
void gh_hook_enter(gh_evaluator *ev, const gh_proc *p, gh_hook_frame *save);
void gh_hook_exit(gh_evaluator *ev, const gh_proc *p, const gh_hook_frame *save);
/* Resets the per-evaluation part (explain events) at the start of an evaluation. */
void gh_hook_begin(gh_evaluator *ev);
void gh_hook_free(gh_evaluator *ev);
/* The one-line disassembly of p's instruction pc (GH_VM_TRACE). */
void gh_vm_disasm_one(const gh_proc *p, uint32_t pc, gh_buf *out);

/* Disassembles a procedure into out. */
void gh_vm_disasm(const gh_proc *p, gh_buf *out);
/* Fills err (code, message, location). Returns the GH_E* code to hand back. */
int gh_vm_error(gh_evaluator *ev, int rc, const char *code, const gh_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
