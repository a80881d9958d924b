/* One decision-log event: OPA's EventV1 fields in OPA's order (labels, decision_id,
 * revision, path, input, result, erased, masked, error, requested_by, timestamp, metrics)
 * followed by gatehouse's own (reason, subject, latency_ns), with the configured paths
 * erased or masked, serialised on the worker and queued for the writer. */
#ifndef GH_EVENT_H
#define GH_EVENT_H

#include "server.h"

typedef struct event_fields {
    const char *decision_id;
    const char *path;          /* "authz/allow" */
    const gh_value *input;     /* NULL: none */
    const gh_value *result;    /* NULL: undefined or error */
    const gh_eval_error *err;  /* NULL: none */
    const char *requested_by;
    const char *revision;
    uint64_t eval_ns, parse_ns, latency_ns;
    const char *erase_always; /* a JSON pointer the listener never logs (the ext_authz
                                 Authorization header), or NULL */
} event_fields;

/* Builds the line and queues it (waits when the queue is full, as configured). */
void event_log(worker *w, const event_fields *ev);

/* Removes (replacement NULL) or replaces the member at a JSON pointer ("/input/a/0/b")
 * within the object {"input": input, "result": result} view; returns the new value of
 * *doc, leaving the old one untouched. *hit tells whether the path existed. */
const gh_value *event_apply_pointer(gh_arena *a, const gh_value *doc, const char *pointer,
                                    const gh_value *replacement, bool *hit);

#endif
