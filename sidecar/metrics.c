/* Prometheus text rendering of the per-worker request shards. */
#include "metrics.h"

#include <stdio.h>
#include <string.h>

static const uint64_t bucket_ns[HIST_BUCKETS] = {
    10000,    25000,    50000,     100000,    250000,    500000,     1000000,    2500000,
    5000000, 10000000, 25000000, 50000000, 100000000, 250000000, 500000000, 1000000000,
};

static const char *endpoint_names[EP_COUNT] = {"v1_data",  "v0_data", "default_decision",
                                               "policies", "health",  "metrics",
                                               "other",    "ext_authz_http", "ext_authz_grpc",
                                               "sql"};
static const char *decision_names[DEC_COUNT] = {"allow", "deny", "value", "error", "none"};

void histogram_observe(histogram *h, uint64_t ns)
{
    int i = 0;
    while (i < HIST_BUCKETS && ns > bucket_ns[i]) i++;
    metric_add(&h->buckets[i], 1);
    metric_add(&h->sum_ns, ns);
    metric_add(&h->count, 1);
}

static uint64_t load(const _Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

void metrics_put(gh_buf *out, const char *name, const char *type, const char *help,
                 double value)
{
    gh_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name,
                  value);
}

/* Sums one histogram over the shards; get picks it out of a shard. */
static void render_histogram(gh_buf *out, const char *name, const char *labels,
                             metrics_shard *const *shards, int n,
                             const histogram *(*get)(const metrics_shard *, int), int arg)
{
    uint64_t cum = 0, sum = 0, count = 0;
    const char *sep = *labels ? "," : "";
    for (int b = 0; b <= HIST_BUCKETS; b++) {
        for (int s = 0; s < n; s++) cum += load(&get(shards[s], arg)->buckets[b]);
        if (b < HIST_BUCKETS)
            gh_buf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
                          (double)bucket_ns[b] / 1e9, (unsigned long long)cum);
        else
            gh_buf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                          (unsigned long long)cum);
    }
    for (int s = 0; s < n; s++) {
        sum += load(&get(shards[s], arg)->sum_ns);
        count += load(&get(shards[s], arg)->count);
    }
    const char *open = *labels ? "{" : "", *close = *labels ? "}" : "";
    gh_buf_printf(out, "%s_sum%s%s%s %.9f\n%s_count%s%s%s %llu\n", name, open, labels, close,
                  (double)sum / 1e9, name, open, labels, close, (unsigned long long)count);
}

static const histogram *get_request(const metrics_shard *s, int ep) { return &s->request_ns[ep]; }
static const histogram *get_eval(const metrics_shard *s, int unused)
{
    (void)unused;
    return &s->eval_ns;
}

void metrics_render_requests(gh_buf *out, metrics_shard *const *shards, int n)
{
    gh_buf_puts(out, "# HELP gatehouse_http_requests_total HTTP requests answered, by endpoint "
                     "and decision.\n# TYPE gatehouse_http_requests_total counter\n");
    for (int e = 0; e < EP_COUNT; e++)
        for (int d = 0; d < DEC_COUNT; d++) {
            uint64_t v = 0;
            for (int s = 0; s < n; s++) v += load(&shards[s]->requests[e][d]);
            if (v || (e == EP_DATA_V1 && d != DEC_NONE))
                gh_buf_printf(out,
                              "gatehouse_http_requests_total{endpoint=\"%s\",decision=\"%s\"} "
                              "%llu\n",
                              endpoint_names[e], decision_names[d], (unsigned long long)v);
        }
    gh_buf_puts(out, "# HELP gatehouse_http_responses_total HTTP responses by status class.\n"
                     "# TYPE gatehouse_http_responses_total counter\n");
    for (int c = 1; c <= 5; c++) {
        uint64_t v = 0;
        for (int s = 0; s < n; s++) v += load(&shards[s]->status_class[c]);
        gh_buf_printf(out, "gatehouse_http_responses_total{code=\"%dxx\"} %llu\n", c,
                      (unsigned long long)v);
    }
    gh_buf_puts(out, "# HELP gatehouse_http_request_duration_seconds Time from a complete "
                     "request to its response, by endpoint.\n"
                     "# TYPE gatehouse_http_request_duration_seconds histogram\n");
    for (int e = 0; e < EP_COUNT; e++) {
        uint64_t any = 0;
        for (int s = 0; s < n; s++) any += load(&shards[s]->request_ns[e].count);
        if (!any && e != EP_DATA_V1) continue;
        char labels[64];
        snprintf(labels, sizeof labels, "endpoint=\"%s\"", endpoint_names[e]);
        render_histogram(out, "gatehouse_http_request_duration_seconds", labels, shards, n,
                         get_request, e);
    }
    gh_buf_puts(out, "# HELP gatehouse_eval_duration_seconds Policy evaluation time.\n"
                     "# TYPE gatehouse_eval_duration_seconds histogram\n");
    render_histogram(out, "gatehouse_eval_duration_seconds", "", shards, n, get_eval, 0);
}
