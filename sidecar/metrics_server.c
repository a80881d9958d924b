/* GET /metrics: the request shards of every worker plus the daemon's own state (reloads,
 * decision log, revision, connections), in Prometheus' text format. */
#include <stdio.h>
#include <string.h>

#include "server.h"

static void render_reload(gh_buf *o, server *srv)
{
    metrics_put(o, "gatehouse_reload_total", "counter", "Policy and data reloads attempted.",
                (double)atomic_load(&srv->reloads));
    metrics_put(o, "gatehouse_reload_failures_total", "counter",
                "Reloads that failed (the last good revision kept serving).",
                (double)atomic_load(&srv->reload_failures));
    metrics_put(o, "gatehouse_reload_last_success_timestamp_seconds", "gauge",
                "Unix time of the last successful load.",
                (double)atomic_load(&srv->last_reload_ok_unix_ns) / 1e9);
    pthread_mutex_lock(&srv->status_mu);
    bool failing = srv->last_error != NULL;
    char id[sizeof srv->current->id];
    snprintf(id, sizeof id, "%s", srv->current ? srv->current->id : "");
    pthread_mutex_unlock(&srv->status_mu);
    metrics_put(o, "gatehouse_reload_last_failed", "gauge",
                "1 while the last reload failed, else 0.", failing ? 1 : 0);
    gh_buf_printf(o, "# HELP gatehouse_revision_info The revision being served.\n"
                     "# TYPE gatehouse_revision_info gauge\n"
                     "gatehouse_revision_info{revision=\"%s\"} 1\n", id);
}

static void render_declog(gh_buf *o, server *srv)
{
    declog_stats st = {0};
    if (srv->log) declog_stats_get(srv->log, &st);
    metrics_put(o, "gatehouse_decision_log_queue_depth", "gauge",
                "Decisions waiting for the decision-log writer.", (double)st.depth);
    metrics_put(o, "gatehouse_decision_log_written_total", "counter",
                "Decisions written to the decision log.", (double)st.written);
    metrics_put(o, "gatehouse_decision_log_dropped_total", "counter",
                "Decisions lost for any reason (must stay 0).", (double)st.dropped);
    metrics_put(o, "gatehouse_decision_log_waits_total", "counter",
                "Requests that waited for room in the decision-log queue.", (double)st.waits);
}

static void render_http(gh_buf *o, server *srv)
{
    static const char *why[HTTP_REJECT_COUNT] = {"malformed", "header_limit", "body_limit",
                                                 "timeout", "connection_limit"};
    uint64_t open = 0, total = 0, rej[HTTP_REJECT_COUNT] = {0};
    for (int i = 0; i < srv->nworkers; i++)
        for (size_t k = 0; k < srv->workers[i].nlisteners; k++) {
            http_server *h = &srv->workers[i].listeners[k].http;
            open += atomic_load_explicit(&h->connections_open, memory_order_relaxed);
            total += atomic_load_explicit(&h->connections_total, memory_order_relaxed);
            for (int r = 0; r < HTTP_REJECT_COUNT; r++)
                rej[r] += atomic_load_explicit(&h->rejected[r], memory_order_relaxed);
        }
    metrics_put(o, "gatehouse_http_connections_open", "gauge", "Open client connections.",
                (double)open);
    metrics_put(o, "gatehouse_http_connections_total", "counter", "Client connections accepted.",
                (double)total);
    gh_buf_puts(o, "# HELP gatehouse_http_rejected_total Requests the server refused itself.\n"
                   "# TYPE gatehouse_http_rejected_total counter\n");
    for (int r = 0; r < HTTP_REJECT_COUNT; r++)
        gh_buf_printf(o, "gatehouse_http_rejected_total{reason=\"%s\"} %llu\n", why[r],
                      (unsigned long long)rej[r]);
}

/* The ext_authz gRPC listeners' transport counters. */
static void render_grpc(gh_buf *o, server *srv)
{
    static const char *why[GRPC_REJECT_COUNT] = {"content_type", "method", "header_limit",
                                                 "message_limit", "framing", "unknown_method",
                                                 "protocol", "timeout", "connection_limit"};
    uint64_t open = 0, total = 0, rej[GRPC_REJECT_COUNT] = {0}, by[GRPC_STATUS_COUNT] = {0};
    bool any = false;
    for (int i = 0; i < srv->nworkers; i++)
        for (size_t k = 0; k < srv->workers[i].nlisteners; k++) {
            listener_rt *l = &srv->workers[i].listeners[k];
            if (l->cfg->kind != LISTENER_EXTAUTHZ_GRPC) continue;
            any = true;
            grpc_server *g = &l->grpc;
            open += atomic_load_explicit(&g->connections_open, memory_order_relaxed);
            total += atomic_load_explicit(&g->connections_total, memory_order_relaxed);
            for (int r = 0; r < GRPC_REJECT_COUNT; r++)
                rej[r] += atomic_load_explicit(&g->rejected[r], memory_order_relaxed);
            for (int c = 0; c < GRPC_STATUS_COUNT; c++)
                by[c] += atomic_load_explicit(&g->by_status[c], memory_order_relaxed);
        }
    if (!any) return;
    metrics_put(o, "gatehouse_grpc_connections_open", "gauge", "Open gRPC (HTTP/2) connections.",
                (double)open);
    metrics_put(o, "gatehouse_grpc_connections_total", "counter", "gRPC connections accepted.",
                (double)total);
    gh_buf_puts(o, "# HELP gatehouse_grpc_responses_total gRPC calls answered, by grpc-status.\n"
                   "# TYPE gatehouse_grpc_responses_total counter\n");
    for (int c = 0; c < GRPC_STATUS_COUNT; c++)
        if (by[c] || c == 0)
            gh_buf_printf(o, "gatehouse_grpc_responses_total{code=\"%s\"} %llu\n",
                          grpc_status_name(c), (unsigned long long)by[c]);
    gh_buf_puts(o, "# HELP gatehouse_grpc_rejected_total gRPC requests the transport refused.\n"
                   "# TYPE gatehouse_grpc_rejected_total counter\n");
    for (int r = 0; r < GRPC_REJECT_COUNT; r++)
        gh_buf_printf(o, "gatehouse_grpc_rejected_total{reason=\"%s\"} %llu\n", why[r],
                      (unsigned long long)rej[r]);
}

void metrics_render_server(worker *w, gh_buf *out)
{
    server *srv = w->srv;
    metrics_shard *shards[256];
    int n = srv->nworkers < 256 ? srv->nworkers : 256;
    for (int i = 0; i < n; i++) shards[i] = &srv->workers[i].metrics;
    metrics_render_requests(out, shards, n);
    render_http(out, srv);
    render_grpc(out, srv);
    render_reload(out, srv);
    render_declog(out, srv);
    if (srv->auth) {
        authn_cache *caches[256];
        for (int i = 0; i < n; i++) caches[i] = srv->workers[i].auth_cache;
        authn_render_metrics(srv->auth, caches, n, out);
    }
    metrics_put(out, "gatehouse_workers", "gauge", "Worker threads (one event loop each).",
                srv->nworkers);
}
