/* The compiler's private interface: the state shared by its passes.
 *   strict.c   pass 0: OPA's declaration checks (unused locals, shadowed input/data,
 *              duplicate and, in strict mode, unused imports)
 *   tree.c     pass 1: merge modules and base documents into the rule tree under `data`
 *   scope.c    pass 2: name resolution (locals, rules, imports, input/data, builtins)
 *   safety.c   pass 3: safety check and body reordering (OPA's algorithm)
 *   recur.c    pass 4: recursion detection over the rule call graph
 *   emit.c     instruction, label, register and constant emission
 *   lower.c    pass 5: lowering of terms and literals
 *   rules.c    pass 5: lowering of rules, functions and queries into procedures
 *   debuginfo.c per-instruction expressions and per-expression variables (profile, explain)
 *   compile.c  the driver (gh_compile_revision, gh_compile_query) */
#ifndef GH_COMPILE_H
#define GH_COMPILE_H

#include "vm.h"

/* One module as the compiler sees it. */
typedef struct gh_cmod {
    gh_module *m;
    gh_rnode *pkg;   /* package node */
    const char *src; /* source text, for diagnostics */
    size_t len;
} gh_cmod;

/* One rule definition placed at a tree node (an else chain counts as one). */
typedef struct gh_cdef {
    gh_rule *rule;
    const gh_cmod *mod;
    gh_term **tail; /* head ref items below the node's path (non-ground ref heads) */
    size_t ntail;
} gh_cdef;

/* A local variable in scope. */
typedef struct gh_cvar {
    const char *name;
    uint16_t reg;
    bool bound;
    uint16_t depth; /* body nesting depth it was declared at */
    int32_t decl;   /* `:=`/`some` declarations: index of the declaring literal; else -1 */
    int32_t prev;   /* the variable of the same name it shadows (index), or -1 */
} gh_cvar;

/* An interned variable name: where its innermost variable is, and whether the safety
 * analysis running now has it bound, both in O(1). */
typedef struct gh_name {
    const char *s;
    uint32_t hash;
    int32_t top;       /* index in vars of the innermost variable of this name, or -1 */
    uint32_t bound_at; /* == gh_comp.bound_gen: bound in the current safety analysis */
} gh_name;

typedef enum gh_name_kind {
    GH_NAME_LOCAL, /* a variable of the body (bound or not yet) */
    GH_NAME_INPUT,
    GH_NAME_DATA,
    GH_NAME_RULE,    /* a rule (or rule subtree) of the current package */
    GH_NAME_IMPORT,  /* an import alias */
    GH_NAME_UNKNOWN, /* not declared anywhere: a new local when first bound */
} gh_name_kind;

typedef struct gh_comp {
    gh_arena *a;      /* output: the revision's (or the query's) arena */
    gh_arena scratch; /* per-compile scratch, freed at the end */
    gh_revision *rev;
    gh_diags *diags;
    int nerr;
    const gh_cmod *mod;  /* module of the rule being lowered (NULL for queries) */
    const gh_rule *rule; /* definition being lowered (NULL for queries) */
    const gh_cmod *mods; /* every module of the revision */
    size_t nmods;
    gh_rnode *node; /* node whose procedure is being lowered (deps are recorded here) */

    /* procedure under construction */
    gh_ins *code;
    const gh_loc **locs;
    uint32_t ncode, capcode;
    uint32_t *labels; /* label -> pc, UINT32_MAX until placed */
    uint32_t nlabels, caplabels;
    uint32_t nregs;
    uint32_t fail;     /* current failure label */
    const gh_loc *loc; /* location stamped on emitted instructions */
    gh_insinfo *info;  /* per instruction: expression and flags (debuginfo.c) */
    const gh_cexpr *cx; /* expression stamped on emitted instructions; NULL outside bodies */
    bool cx_start;      /* the next instruction is the first of cx */

    /* constants and aux entries shared by all procedures of the unit */
    gh_vec consts, aux;

    /* scope */
    gh_cvar *vars;
    uint32_t nvars, capvars;
    gh_vec outer;    /* names occurring in enclosing bodies (const char *), for closures */
    uint16_t depth;  /* bodies being lowered, nested */
    int32_t decl_at; /* literal index recorded by scope_declare (-1: not a declaration) */
    int32_t cur_lit; /* literal under safety analysis (source order) */
    gh_name *names;  /* open addressing over variable names */
    uint32_t nnames, capnames;
    uint32_t bound_gen;

    gh_vec all_procs; /* gh_proc * */
} gh_comp;

/* ---- diagnostics ---- */
void comp_error(gh_comp *c, const gh_loc *loc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- strict.c ---- */
/* OPA's declaration checks, and its strict mode when c->rev->strict; returns the number of
 * errors reported (only the first failing stage's, as OPA stops there). */
int strict_check(gh_comp *c);

/* ---- tree.c ---- */
gh_rnode *tree_child(gh_comp *c, gh_rnode *n, const char *key, size_t len, bool create);
int tree_build(gh_comp *c, gh_cmod *mods, size_t n, const gh_value *data);
/* The ground string prefix of a ref's items (after the head var). */
size_t ref_ground_prefix(gh_term *const *items, size_t n);

/* ---- scope.c ---- */
void scope_push(gh_comp *c, uint32_t *mark);
void scope_pop(gh_comp *c, uint32_t mark);
gh_cvar *scope_find(gh_comp *c, const char *name);
/* The interned entry of a name (created when `add`), or NULL. Entries move when the table
 * grows: do not keep the pointer across another call. */
gh_name *name_entry(gh_comp *c, const char *name, bool add);
gh_cvar *scope_declare(gh_comp *c, const char *name);
gh_name_kind name_resolve(gh_comp *c, const char *name, gh_cvar **var, gh_rnode **rule,
                          const gh_import **imp);
bool name_is_local(gh_comp *c, const char *name);
bool name_is_bound(gh_comp *c, const char *name);
/* Dotted operator name of a call's operator ref ("count", "regex.match", "data.x.f"). */
const char *call_name(gh_comp *c, const gh_term *op);

/* ---- safety.c ---- */
/* The order in which to lower the literals of `b`, given what is bound in scope now;
 * reports unsafe variables. Returns the number of literals ordered (== b->n on success). */
size_t safety_order(gh_comp *c, const gh_body *b, gh_expr **order);
/* Variables of a term that bind when it is a pattern (`[x, y] = ...`). */
bool term_has_unbound(gh_comp *c, const gh_term *t);

/* ---- recur.c ---- */
int recursion_check(gh_comp *c, gh_rnode *root);

/* ---- emit.c ---- */
uint32_t emit(gh_comp *c, gh_opcode op, unsigned a, unsigned b, unsigned cc, uint32_t k,
              uint32_t f);
uint32_t label_new(gh_comp *c);
void label_here(gh_comp *c, uint32_t l);
uint16_t reg_new(gh_comp *c);
uint16_t reg_block(gh_comp *c, uint32_t n);
uint32_t const_add(gh_comp *c, const gh_value *v);
uint32_t aux_add(gh_comp *c, const void *p);
void proc_begin(gh_comp *c);
gh_proc *proc_end(gh_comp *c, gh_proc_kind kind, const char *name);

/* ---- debuginfo.c ---- */
/* Starts the expression e (saving the current one in *saved); every instruction emitted
 * until debug_expr_end belongs to it. */
void debug_expr_begin(gh_comp *c, const gh_expr *e, const gh_cexpr **saved, bool *saved_start);
/* Ends it: records its local variables (those in scope now) and restores the saved one. */
void debug_expr_end(gh_comp *c, const gh_expr *e, const gh_cexpr *saved, bool saved_start);
/* Sets flag on the instructions emitted from `from` on whose failure target is `label`. */
void debug_mark_fails(gh_comp *c, uint32_t from, uint32_t label, uint8_t flag);

/* ---- lower.c ---- */
/* Lowers a term to a register, emitting code that fails to c->fail when undefined. May
 * open scans (then c->fail moves to the innermost one). */
uint16_t lower_term(gh_comp *c, gh_term *t);
/* Lowers the literals of a body in safe order; returns false on a compile error. */
bool lower_body(gh_comp *c, const gh_body *b);
/* Unifies a pattern with a register. */
void lower_destructure(gh_comp *c, gh_term *pat, uint16_t r);
/* A ground term's value, or NULL when it is not a constant. */
const gh_value *term_const(gh_comp *c, const gh_term *t);

/* ---- metadata.c ---- */
/* rego.metadata.chain() (chain) or rego.metadata.rule() for the definition being lowered. */
const gh_value *metadata_value(gh_comp *c, bool chain);

/* ---- index.c ---- */
/* The index of a rule node and the ref it keys on, or NULL when indexing does not pay. */
gh_rindex *index_plan(gh_comp *c, gh_rnode *n, gh_term **ref);

/* ---- rules.c ---- */
void rules_lower_node(gh_comp *c, gh_rnode *n);
gh_proc *rules_lower_query(gh_comp *c, gh_body *b);

#endif
