/* gatehouse eval's observability output (--metrics, --profile, --explain), in opa eval's
 * shapes: members of the JSON output object, and the pretty tables and trace. */
#ifndef GH_EVAL_OBS_H
#define GH_EVAL_OBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/buf.h"
#include "gatehouse/engine.h"

/* One expression of the query as written, and where cmd_eval's rewrite put it: the main
 * part (`gh_eN_ := expr`, or the expression itself) and the added check (`gh_eN_ != false`,
 * empty when none), as byte spans of the rewritten text. */
typedef struct qexpr {
    uint32_t off, end; /* span in the query text */
    int row, col;
    bool valued; /* rewritten to report its own value */
    uint32_t roff, rend, soff, send;
} qexpr;

/* What --metrics reports: OPA's timers, measured. */
typedef struct eval_metrics {
    uint64_t load_files_ns, module_parse_ns, module_compile_ns;
    uint64_t query_parse_ns, query_compile_ns, query_eval_ns;
} eval_metrics;

typedef enum { EXPLAIN_OFF = -1 } explain_off;

typedef struct eval_obs {
    bool metrics, profile;
    int explain;          /* gh_explain_mode, or EXPLAIN_OFF */
    const char *sort;     /* --profile-sort criteria joined by commas; NULL = OPA's default */
    size_t profile_limit; /* --profile-limit (10) */
    eval_metrics m;
    /* what is needed to print expressions */
    const char *query;      /* as written */
    const qexpr *exprs;     /* its expressions */
    size_t nexprs;
    const gh_source *modules;
    size_t nmodules;
    /* gathered after the evaluation (owned; obs_free) */
    gh_profile_row *rows;
    size_t nrows;
    gh_trace_event *events; /* the query's events mapped back to the query as written */
    const gh_trace_event **shown;
    size_t nevents, nshown;
} eval_obs;

/* Takes the profile and the trace from the evaluator. 0, or -1 with a message in err. */
int obs_collect(eval_obs *o, const gh_evaluator *ev, char *err, size_t errsize);
/* `,\n  "metrics": {...}` and the other members, in opa's order (after "result"). */
void obs_json(const eval_obs *o, gh_buf *b);
/* The trace (printed before the result in pretty output). */
void obs_pretty_trace(const eval_obs *o, gh_buf *b);
/* The metrics and profile tables (printed after the result). */
void obs_pretty_tables(const eval_obs *o, gh_buf *b);
void obs_free(eval_obs *o);

#endif
