/* One decision on a worker, whatever the listener: evaluate a document for an input with the
 * worker's evaluator and snapshot, count it, give it an id, and log it. The listeners (Data
 * API, ext_authz) build the input and shape the answer; this part is theirs in common. */
#ifndef GH_DECIDE_H
#define GH_DECIDE_H

#include "server.h"

typedef struct decision {
    const char *ref;        /* "data.authz.allow" */
    const gh_value *input;  /* NULL: none */
    const gh_value *result; /* NULL: undefined (or an error) */
    int rc;                 /* 0, or the evaluation's error code */
    gh_eval_error err;
    uint64_t parse_ns, eval_ns;
    char id[40];            /* decision id, "" when decisions are not logged */
    const char *never_log;  /* a JSON pointer into the event kept out of the log (a
                               credential the input carries), or NULL */
} decision;

/* Evaluates d->ref for d->input (strict: builtin errors end the evaluation). */
void decide_eval(worker *w, bool strict, decision *d);

/* A new decision id (a UUID v4) into d->id, when the decision log is on. */
void decide_new_id(worker *w, decision *d);
/* A random UUID (version 4) from the worker's generator. */
void decide_uuid(worker *w, char out[40]);

/* Writes d to the decision log (if on): requested_by is the peer, start_ns when the
 * request was complete. */
void decide_log(worker *w, const decision *d, const char *requested_by, uint64_t start_ns);

/* A true result, or an object whose allow/allowed is true, allows; false, undefined or a
 * false allow denies; errors are errors; other documents are values. */
metric_decision decide_classify(const decision *d);

#endif
