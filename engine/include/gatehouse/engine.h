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
#include "gatehouse/buf.h"
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

/* ---- metrics (gatehouse eval --metrics: OPA's timer_rego_* names) ---- */

/* Nanoseconds gh_revision_load spent parsing the modules and compiling them. */
void gh_revision_timings(const gh_revision *rev, uint64_t *parse_ns, uint64_t *compile_ns);
/* Nanoseconds gh_query_prepare spent parsing the query and compiling it. */
void gh_query_timings(const gh_query *q, uint64_t *parse_ns, uint64_t *compile_ns);

/* ---- profile (gatehouse eval --profile) ----
 * While on, every evaluation of the evaluator adds to per-expression statistics, kept
 * until gh_evaluator_profile_reset. An expression's time is its own: from when control
 * enters one of its instructions until it moves to another expression's (a rule it calls
 * counts for that rule's expressions). NUM EVAL counts its first instruction running, NUM
 * REDO evaluation coming back into it for another solution (a scan step or a `with`
 * re-entry after a later expression failed). Off: one predictable branch per instruction. */

typedef struct gh_expr_stat {
    const char *file; /* module name; "query" for the query */
    int row, col;
    uint32_t off, end; /* the expression's bytes in its source */
    uint64_t time_ns, num_eval, num_redo;
    uint64_t seq; /* order in which expressions were first seen */
} gh_expr_stat;

/* 0, or GH_ENOMEM (then nothing changed). */
int gh_evaluator_set_profile(gh_evaluator *ev, bool on);
void gh_evaluator_profile_reset(gh_evaluator *ev);
/* The statistics so far, one per expression evaluated, in a malloc'd array (caller frees);
 * file names point into the revision (or the query). GH_ENOMEM when some were lost. */
int gh_evaluator_profile(const gh_evaluator *ev, gh_expr_stat **stats, size_t *n);

/* OPA's profile rows: statistics summed per file and row (the location is that of the
 * first expression seen on the row; num_gen_expr counts the expressions summed). */
typedef struct gh_profile_row {
    const char *file;
    int row, col;
    uint32_t off, end;
    uint64_t time_ns, num_eval, num_redo, num_gen_expr;
} gh_profile_row;

/* Rows from stats, sorted by `sort` (comma-separated criteria, each descending:
 * total_time_ns, num_eval, num_redo, num_gen_expr, file, line; NULL = OPA's default
 * "total_time_ns,num_eval,num_redo,file,line"), at most `limit` (0 = all), in a malloc'd
 * array. GH_EINVAL with the bad criterion named in err when `sort` has an unknown one. */
int gh_profile_rows(const gh_expr_stat *stats, size_t n, const char *sort, size_t limit,
                    gh_profile_row **rows, size_t *nrows, char *err, size_t errsize);

/* ---- explanations (gatehouse eval --explain, gatehouse test --var-values) ----
 * While on, each evaluation records a trace shaped as OPA's: every procedure (rule,
 * function, the query) is a query with its own id; Enter on entry, Exit at each value it
 * yields; Eval/Redo/Fail per expression (as the profile counts them); Note for trace(). */

typedef enum gh_trace_op {
    GH_TRACE_ENTER,
    GH_TRACE_EXIT,
    GH_TRACE_EVAL,
    GH_TRACE_REDO,
    GH_TRACE_FAIL,
    GH_TRACE_NOTE,
} gh_trace_op;

typedef enum gh_trace_node { GH_TNODE_EXPR, GH_TNODE_RULE, GH_TNODE_BODY } gh_trace_node;

/* A local variable of a failed expression and its value then (NULL: undefined). */
typedef struct gh_trace_var {
    const char *name;
    int row, col; /* its first occurrence in the expression */
    const gh_value *value;
} gh_trace_var;

typedef struct gh_trace_event {
    uint8_t op;   /* gh_trace_op */
    uint8_t node; /* gh_trace_node: what the event is about */
    uint64_t qid, parent;
    const char *file; /* "query" for the query */
    int row, col;
    uint32_t off, end;    /* expressions: their bytes in the source */
    const char *name;     /* rules and functions: "data.x.p" */
    const char *message;  /* notes: trace()'s argument */
    size_t message_len;
    const gh_trace_var *vars; /* expressions: their local variables, as the event saw them */
    size_t nvars;
    bool every; /* the expression is an `every` */
} gh_trace_event;

/* 0, or GH_ENOMEM. */
int gh_evaluator_set_explain(gh_evaluator *ev, bool on);
/* The events of the last evaluation (valid until the next one); *truncated when it had
 * more than a million. */
const gh_trace_event *gh_evaluator_explain(const gh_evaluator *ev, size_t *n, bool *truncated);

typedef enum gh_explain_mode {
    GH_EXPLAIN_FULL,
    GH_EXPLAIN_NOTES,
    GH_EXPLAIN_FAILS,
    GH_EXPLAIN_NOTES_FAILS, /* opa test -v without --explain: notes and failures */
} gh_explain_mode;

/* OPA's lineage filters: full keeps everything; notes and fails keep Note (Fail) events,
 * each preceded by the Enter events of the queries leading to it since the last one kept.
 * Pointers to the kept events go into a malloc'd array. GH_ENOMEM. */
int gh_trace_filter(const gh_trace_event *ev, size_t n, gh_explain_mode mode,
                    const gh_trace_event ***out, size_t *nout);

/* The text of an event's expression or query: `len` bytes at the returned pointer (NULL
 * when unknown). gh_trace_source_text serves modules by name. */
typedef const char *(*gh_trace_text_fn)(void *ud, const gh_trace_event *e, size_t *len);
const char *gh_trace_source_text(const gh_source *modules, size_t n, const gh_trace_event *e,
                                 size_t *len);

/* OPA's PrettyTraceWithLocation: "file:row" padded, then "| " per depth, the op and what
 * it is about (rule path, expression text with line breaks folded, or a quoted note). */
void gh_trace_pretty(const gh_trace_event *const *ev, size_t n, gh_trace_text_fn text, void *ud,
                     gh_buf *out);
/* The same with OPA's ExprVariables column (opa test -v --var-values): each event's
 * defined local variables, "{x: 1, y: \"a\"}", sorted by name, values cut at 32 bytes. */
void gh_trace_pretty_vars(const gh_trace_event *const *ev, size_t n, gh_trace_text_fn text,
                          void *ud, gh_buf *out);

#endif
