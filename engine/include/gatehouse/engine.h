/* The Rego engine's public API: load a revision (modules + data, compiled once, immutable)
 * and evaluate documents and queries against it.
 *
 * Lifetimes: a revision owns one arena holding its compiled policy and data; it is
 * reference-counted and read-only once loaded, so any number of threads may evaluate it at
 * once. An evaluator belongs to one thread at a time: it owns the evaluation arena (reset
 * at the start of every evaluation, so results stay valid until the next one), the memo
 * tables and the limits. Evaluation values may point into the revision, never the reverse. */
#ifndef GATEHOUSE_ENGINE_H
#define GATEHOUSE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/arena.h"
#include "gatehouse/diag.h"
#include "gatehouse/value.h"

/* ---- revisions ---- */

typedef struct gh_source {
    const char *name; /* file name used in diagnostics and locations */
    const char *text; /* Rego source; need not be NUL-terminated */
    size_t len;
} gh_source;

typedef struct gh_load_opts {
    bool v0_compatible; /* parse modules as Rego v0 */
    bool strict;        /* OPA's strict mode: unused locals, arguments and imports are errors */
    size_t arena_cap;   /* byte cap of the revision arena; 0 = 1 GiB */
} gh_load_opts;

typedef struct gh_revision gh_revision;

/* Parses and compiles the modules together with the base documents `data` (an object, or
 * NULL for {}; deep-copied into the revision). Returns the revision with one reference, or
 * NULL with every parse and compile error in diags ("rego_parse_error",
 * "rego_compile_error", "rego_type_error", "rego_recursion_error", "rego_unsafe_var_error").
 * opts may be NULL. */
gh_revision *gh_revision_load(const gh_source *modules, size_t n, const gh_value *data,
                              const gh_load_opts *opts, gh_diags *diags);
void gh_revision_retain(gh_revision *rev);
/* Drops a reference; the last one frees the revision and everything in its arena. */
void gh_revision_release(gh_revision *rev);

/* ---- evaluators ---- */

typedef struct gh_eval_opts {
    bool strict_builtin_errors; /* a builtin error ends the evaluation instead of undefined */
    uint64_t max_steps;         /* VM instruction budget per evaluation; 0 = 100 million */
    uint64_t timeout_ns;        /* wall-clock limit per evaluation; 0 = none */
    size_t arena_cap;           /* byte cap of the evaluation arena; 0 = 256 MiB */
    int64_t now_ns;             /* time.now_ns for every evaluation; 0 = read the clock once
                                   at the start of each evaluation */
    /* print() output; NULL = stderr. `loc` is "file:line". */
    void (*print)(void *ud, const char *loc, const char *msg, size_t len);
    void *print_ud;
    /* opa.runtime()'s value (config, env, version...), kept by the caller for as long as
       the evaluator is used; NULL = {} */
    const gh_value *runtime;
    /* Coverage (gatehouse test --coverage): called for every VM instruction executed, with
       the source line it was compiled from (`file` is shared by a module's locations, so
       callers may key on the pointer). NULL = off, at no cost. */
    void (*cover)(void *ud, const char *file, int line);
    void *cover_ud;
} gh_eval_opts;

typedef struct gh_evaluator gh_evaluator;

/* opts may be NULL (defaults). NULL only when out of memory. */
gh_evaluator *gh_evaluator_new(const gh_eval_opts *opts);
void gh_evaluator_free(gh_evaluator *ev);
/* The arena results of the last evaluation live in (valid until the next evaluation). */
gh_arena *gh_evaluator_arena(gh_evaluator *ev);
/* Prints every VM instruction executed to stderr (debugging; slow). */
void gh_evaluator_set_trace(gh_evaluator *ev, bool on);

typedef struct gh_eval_error {
    const char *code; /* "eval_conflict_error", "eval_type_error", "eval_builtin_error",
                         "eval_budget_error", "eval_timeout_error", "eval_internal_error" */
    char file[128];   /* where it happened, "" when unknown */
    int line, col;
    char msg[512];    /* the message alone, as OPA words it */
} gh_eval_error;

/* "file:line: code: msg", OPA's rendering of an evaluation error, into buf. */
void gh_eval_error_format(const gh_eval_error *err, char *buf, size_t size);

/* The document at `ref` ("data.authz.decision", "data", or a path into it written as keys
 * separated by dots; a key that is all digits also indexes arrays) for `input`
 * (NULL: no input). 0 with *out the value, or *out NULL when undefined; or a GH_E* code
 * with err filled (then the evaluation's partial results are discarded). */
int gh_eval(gh_evaluator *ev, const gh_revision *rev, const char *ref, const gh_value *input,
            const gh_value **out, gh_eval_error *err);

/* Several documents in one evaluation: outs[i] for refs[i], as gh_eval's *out. The memo is
 * shared, so documents that depend on the same rules (a decision and its message) pay for
 * them once. On error every outs[i] is NULL. */
int gh_eval_many(gh_evaluator *ev, const gh_revision *rev, const char *const *refs, size_t n,
                 const gh_value *input, const gh_value **outs, gh_eval_error *err);

/* ---- ad-hoc queries (gatehouse eval, the conformance runner, tests) ---- */

typedef struct gh_query gh_query;

/* Compiles a query ("data.x.p = x; x > 1", `with` allowed) against a revision. The query
 * keeps a reference to the revision. NULL with errors in diags. */
gh_query *gh_query_prepare(gh_revision *rev, const char *text, size_t len, gh_diags *diags);
void gh_query_free(gh_query *q);

/* Evaluates a prepared query. On 0, *rows is an array (in the evaluator's arena) with one
 * object per solution mapping each named query variable (not `_`, not generated ones) to its
 * value; an empty array when there is no solution. */
int gh_query_eval(gh_evaluator *ev, const gh_query *q, const gh_value *input,
                  const gh_value **rows, gh_eval_error *err);

/* Appends the disassembly of the query and of every procedure of its revision. */
void gh_query_disasm(const gh_query *q, gh_buf *out);

#endif
