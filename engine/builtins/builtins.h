/* The builtin table: every Rego builtin gatehouse knows (name, infix operator, arity, OPA's
 * type declaration, implementation, flags) and the calling contract between the VM and a
 * builtin. This header is the contract with the compiler and the VM; it only grows.
 *
 * Calling contract, in short:
 *  - Arguments are borrowed (they may live in the revision or the evaluation arena) and are
 *    never NULL, except for variadic builtins (print), where NULL means "undefined".
 *  - A result is built in bc->arena (the evaluation arena) or is one of the arguments or a
 *    static singleton (GH_TRUE...). Builtins keep no pointer to anything after returning.
 *  - Return 0 with *out set; GH_EUNDEFINED when the call has no value (OPA's "undefined":
 *    each builtin follows OPA, e.g. object.get never is, `1 > 2` is false, not undefined);
 *    or a negative code: after gh_builtin_error (then
 *    bc->err_code / bc->err_msg say what, OPA's words) or GH_ENOMEM/GH_ELIMIT when the arena
 *    ran out (bc->err_code stays NULL).
 *  - Builtins never abort and hold no global mutable state (one exception: http.send's
 *    inter-query cache, process-wide behind a mutex, as OPA's); any number of threads may
 *    call them at once with different gh_bctx. Per-call malloc is avoided: results and scratch
 *    go in bc->arena.
 *  - Relations (GH_BI_RELATION, e.g. walk) produce several results: *out is an array of
 *    them and the VM iterates over it as if the call had been a ref with a free variable.
 *  - With strict-builtin-errors off, OPA turns most builtin errors into "undefined"; that
 *    choice is the VM's (it reads bc->err_code): builtins always report. */
#ifndef GH_BUILTINS_H
#define GH_BUILTINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/error.h"
#include "gatehouse/value.h"

/* Per-evaluator cache of compiled regular expressions (and later glob patterns): owned by
 * one evaluator, so by one thread at a time (no locks), and kept across evaluations, so a
 * pattern is compiled once per evaluator, never per call. Entries are keyed by pattern text
 * (copied), so revisions may come and go. Bounded (LRU). */
typedef struct gh_bcache gh_bcache;
gh_bcache *gh_bcache_new(void); /* NULL when out of memory */
void gh_bcache_free(gh_bcache *c);

/* What a builtin sees of the evaluation. The VM fills it once per evaluation and resets
 * err_code before each call (or after reading it). New fields are only ever appended. */
typedef struct gh_bctx {
    gh_arena *arena; /* results and scratch go here (the evaluation arena) */
    bool strict;     /* strict-builtin-errors (the VM's business; informative here) */
    int64_t now_ns;  /* time.now_ns, fixed for the whole evaluation */
    /* print(): called with the formatted line (no newline) and bc->loc ("file:line"). NULL:
     * print writes to stderr. */
    void (*print)(void *ud, const char *loc, const char *msg, size_t len);
    void *print_ud;
    const char *loc; /* location of the current call, "file:line"; may be NULL */
    /* Set by gh_builtin_error: "eval_type_error" or "eval_builtin_error"; NULL otherwise. */
    const char *err_code;
    char err_msg[512]; /* OPA's wording, e.g. "count: operand 1 must be one of {array,
                          object, set, string} but got number" */
    gh_bcache *cache;  /* the evaluator's pattern cache; NULL = a small thread-local one */
    /* The builtins' own per-evaluation memory (rand.intn and uuid.rfc4122 answer the same
     * for the same arguments throughout one evaluation, as in OPA), kept in `arena`. The VM
     * sets it to NULL when an evaluation starts and does not touch it otherwise. */
    void *memo;
    /* opa.runtime's value (OPA: config, env, version...); NULL = {} */
    const gh_value *runtime;
} gh_bctx;

/* args[0..arity) (or [0..nargs) for variadic, see gh_builtin_call). */
typedef int (*gh_builtin_fn)(gh_bctx *bc, const gh_value *const *args, const gh_value **out);
/* Variadic builtins (arity -1) get their argument count too. */
typedef int (*gh_builtin_vfn)(gh_bctx *bc, const gh_value *const *args, size_t nargs,
                              const gh_value **out);

enum {
    GH_BI_NONDETERMINISTIC = 1u << 0, /* OPA's Nondeterministic (time.now_ns, rand.intn, http.send) */
    GH_BI_DEPRECATED = 1u << 1,       /* not available in Rego v1 unless asked for (OPA's list) */
    GH_BI_RELATION = 1u << 2,         /* several results: *out is an array of them (walk) */
    GH_BI_VARIADIC = 1u << 3,         /* arity -1: called through vfn (print) */
    GH_BI_VOID = 1u << 4,             /* no result value worth binding (print returns true) */
    GH_BI_INTERNAL = 1u << 5,         /* internal.*: not callable by name from policies */
};

/* ---- types: OPA's type language, parsed from the decl strings ----
 * A type is a kind mask (what values may have it) plus detail for composites. `any` is
 * GH_TM_ANY with no detail; any<a, b> is a union (alts). Static arrays (array<a, b>) list
 * their items; static objects list their properties; either may have a dynamic part too.
 * The compiler checks a call site by asking whether each argument's type can meet the
 * declared one (gh_btype_meets); for constants, gh_btype_accepts checks a value. */
#define GH_TM(kind) (1u << (kind)) /* gh_kind -> mask bit */
#define GH_TM_ANY   0x7fu

typedef struct gh_btype gh_btype;
struct gh_btype {
    unsigned mask;        /* GH_TM(GH_KIND_*) bits; the union of all alternatives */
    bool is_union;        /* any<...>: alts[0..n) are the alternatives */
    bool is_any;          /* plain `any` */
    const gh_btype *elem; /* array[e], set[e]: element; object[k: v]: value; NULL = none */
    const gh_btype *key;  /* object[k: v]: key type */
    const gh_btype *const *items; /* static array items / union alternatives / object prop types */
    const char *const *names;     /* static object property names (JSON strings' contents) */
    size_t n;                     /* count of items / alts / props */
};

typedef struct gh_bsig {
    const gh_btype *const *args; /* nargs declared argument types */
    size_t nargs;
    const gh_btype *variadic;    /* type of every argument of a variadic builtin, else NULL */
    const gh_btype *result;      /* NULL when the builtin has no result (print) */
} gh_bsig;

/* True when some value could have both types (OPA's checker accepts the call then). */
bool gh_btype_meets(const gh_btype *a, const gh_btype *b);
/* True when v has type t. */
bool gh_btype_accepts(const gh_btype *t, const gh_value *v);
/* Appends t as OPA prints it ("any<array[any], set[any]>") for "want:" lines. */
int gh_btype_write(gh_buf *out, const gh_btype *t);

/* ---- the table ---- */

typedef struct gh_builtin {
    const char *name;  /* OPA's name: "count", "regex.match", "plus", "internal.member_2" */
    const char *infix; /* "+", "==", "in"... or NULL */
    int arity;         /* number of arguments; -1 = variadic */
    /* OPA's declaration, e.g. "(any<array[any], object[any: any], set[any], string>) =>
     * number"; parsed once into gh_builtin_sig(b). */
    const char *decl;
    gh_builtin_fn fn;   /* NULL for variadic builtins */
    unsigned flags;     /* GH_BI_* */
    gh_builtin_vfn vfn; /* variadic builtins only */
} gh_builtin;

/* The builtin called `name` (name[0..len), need not be NUL-terminated), or NULL. Binary
 * search in a table sorted at first use (pthread_once); thread-safe, allocation-free. */
const gh_builtin *gh_builtin_lookup(const char *name, size_t len);
/* Builtins in name order: i in [0, gh_builtin_count()). */
size_t gh_builtin_count(void);
const gh_builtin *gh_builtin_at(size_t i);
/* The parsed declaration of b (never NULL for a table entry). */
const gh_bsig *gh_builtin_sig(const gh_builtin *b);

/* Calls b on args[0..nargs) (nargs must equal b->arity unless variadic). Clears
 * bc->err_code first. The VM may call b->fn directly instead on the hot path. */
int gh_builtin_call(const gh_builtin *b, gh_bctx *bc, const gh_value *const *args, size_t nargs,
                    const gh_value **out);

/* Records an error for the current call: code is "eval_type_error" or "eval_builtin_error",
 * the message is printf-formatted (OPA's words, starting with the builtin's name). Returns
 * GH_ETYPE for type errors and GH_EBUILTIN otherwise, for `return gh_builtin_error(...)`. */
int gh_builtin_error(gh_bctx *bc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define GH_ERR_TYPE    "eval_type_error"
#define GH_ERR_BUILTIN "eval_builtin_error"

#endif
