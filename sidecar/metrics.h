/* Request metrics: one shard per worker, written only by that worker's thread (relaxed
 * atomics, so a scrape from another thread reads whole numbers without a lock), summed and
 * rendered in Prometheus' text format on GET /metrics. */
#ifndef GH_METRICS_H
#define GH_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "gatehouse/buf.h"

typedef enum {
    EP_DATA_V1, EP_DATA_V0, EP_DEFAULT, EP_POLICIES, EP_HEALTH, EP_METRICS, EP_OTHER,
    EP_EXTAUTHZ_HTTP, EP_EXTAUTHZ_GRPC, EP_SQL, EP_COUNT
} metric_endpoint;

/* What a decision came to: a true (or {"allow"/"allowed": true}) result allows; false,
 * undefined or a false allow denies; an evaluation error is an error; other documents are
 * values; endpoints that evaluate nothing count as none. */
typedef enum { DEC_ALLOW, DEC_DENY, DEC_VALUE, DEC_ERROR, DEC_NONE, DEC_COUNT } metric_decision;

#define HIST_BUCKETS 16 /* upper bounds in metrics.c, plus +Inf */

typedef struct histogram {
    _Atomic uint64_t buckets[HIST_BUCKETS + 1]; /* not cumulative; the last is +Inf */
    _Atomic uint64_t sum_ns, count;
} histogram;

typedef struct metrics_shard {
    _Atomic uint64_t requests[EP_COUNT][DEC_COUNT];
    _Atomic uint64_t status_class[6]; /* 1xx..5xx by index status/100 */
    histogram request_ns[EP_COUNT];
    histogram eval_ns;
} metrics_shard;

/* Adds to a counter owned by the calling thread (a plain load and store, no lock prefix). */
static inline void metric_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

void histogram_observe(histogram *h, uint64_t ns);

/* Appends the request metrics of all shards (HELP, TYPE and samples). */
void metrics_render_requests(gh_buf *out, metrics_shard *const *shards, int n);

/* One gauge or counter sample with its HELP and TYPE lines ("gatehouse_x", "counter"). */
void metrics_put(gh_buf *out, const char *name, const char *type, const char *help,
                 double value);

#endif
