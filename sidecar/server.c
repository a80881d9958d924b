/* The daemon's threads: workers (a loop, a listener and an evaluator each) and the main
 * loop (signals, reloads, publishing snapshots). Shutdown on SIGTERM/SIGINT: stop
 * accepting, answer what was already read, close, then drain the decision log. */
#include "server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"

/* ---- workers ---- */

static void print_to_log(void *ud, const char *loc, const char *msg, size_t len)
{
    (void)ud;
    log_msg(LOG_INFO, NULL, "%s: %.*s", loc, (int)len, msg);
}

static gh_evaluator *new_evaluator(const gh_config *c, bool strict)
{
    gh_eval_opts o = {
        .strict_builtin_errors = strict,
        .max_steps = c->eval_max_steps,
        .timeout_ns = c->eval_timeout_ms * 1000000u,
        .print = print_to_log,
    };
    return gh_evaluator_new(&o);
}

gh_evaluator *worker_strict_evaluator(worker *w)
{
    if (!w->ev_strict) w->ev_strict = new_evaluator(w->srv->cfg, true);
    return w->ev_strict;
}

static void on_wake_closed(uv_handle_t *h) { (void)h; }

static void on_listener_stopped(listener_rt *l)
{
    worker *w = l->w;
    if (--w->nrunning == 0) uv_close((uv_handle_t *)&w->wake, on_wake_closed);
}

static void stop_listeners(worker *w)
{
    for (size_t i = 0; i < w->nlisteners; i++) listener_stop(&w->listeners[i], on_listener_stopped);
}

/* A new snapshot, or the order to stop. The swap happens here, between requests, so a
 * request always ends on the snapshot it started with. */
static void on_wake(uv_async_t *a)
{
    worker *w = a->data;
    snapshot *next = atomic_exchange(&w->pending, NULL);
    if (next) {
        snapshot_release(w->snap);
        w->snap = next;
    }
    if (atomic_load(&w->stop)) stop_listeners(w);
}

static void worker_main(void *arg)
{
    worker *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
}

static int worker_init(server *srv, worker *w, int id, char *err, size_t errlen)
{
    const gh_config *c = srv->cfg;
    w->srv = srv;
    w->id = id;
    if (getrandom(w->rng, sizeof w->rng, 0) != sizeof w->rng) w->rng[0] = (uint64_t)id + 1;
    w->rng[1] |= 1;
    gh_arena_init(&w->req, 256u * 1024 * 1024);
    gh_buf_init(&w->scratch, 0);
    w->ev = new_evaluator(c, false);
    if (!w->ev) return snprintf(err, errlen, "out of memory"), -1;
    if (srv->auth && !(w->auth_cache = authn_cache_new(srv->auth)))
        return snprintf(err, errlen, "out of memory"), -1;
    uv_loop_init(&w->loop);
    uv_async_init(&w->loop, &w->wake, on_wake);
    w->wake.data = w;
    w->listeners = calloc(c->nlisteners, sizeof *w->listeners);
    if (!w->listeners) return snprintf(err, errlen, "out of memory"), -1;
    w->nlisteners = c->nlisteners;
    for (size_t i = 0; i < c->nlisteners; i++) {
        listener_rt *l = &w->listeners[i];
        l->cfg = &c->listeners[i];
        l->w = w;
        if (listener_start(l, err, errlen) < 0) return -1;
        w->nrunning++;
    }
    return 0;
}

static void close_any(uv_handle_t *h, void *unused)
{
    (void)unused;
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void worker_free(worker *w)
{
    uv_walk(&w->loop, close_any, NULL); /* after a failed start some are still open */
    uv_run(&w->loop, UV_RUN_NOWAIT);
    uv_loop_close(&w->loop);
    for (size_t i = 0; i < w->nlisteners; i++) listener_free(&w->listeners[i]);
    free(w->listeners);
    gh_evaluator_free(w->ev);
    if (w->ev_strict) gh_evaluator_free(w->ev_strict);
    gh_arena_free(&w->req);
    gh_buf_free(&w->scratch);
    authn_cache_free(w->auth_cache);
    snapshot_release(w->snap);
    snapshot_release(atomic_exchange(&w->pending, NULL));
}

/* ---- publishing ---- */

void server_publish(server *srv, snapshot *snap)
{
    pthread_mutex_lock(&srv->status_mu);
    snapshot *old = srv->current;
    srv->current = snap;
    free(srv->last_error);
    srv->last_error = NULL;
    pthread_mutex_unlock(&srv->status_mu);
    atomic_store(&srv->last_reload_ok_unix_ns, snap->loaded_unix_ns);
    for (int i = 0; i < srv->nworkers; i++) {
        worker *w = &srv->workers[i];
        snapshot_retain(snap);
        snapshot_release(atomic_exchange(&w->pending, snap));
        uv_async_send(&w->wake);
    }
    snapshot_release(old);
}

void server_reload_failed(server *srv, const char *errors)
{
    pthread_mutex_lock(&srv->status_mu);
    free(srv->last_error);
    srv->last_error = strdup(errors);
    pthread_mutex_unlock(&srv->status_mu);
    atomic_fetch_add(&srv->reload_failures, 1);
    atomic_store(&srv->last_reload_fail_unix_ns, log_now_unix_ns());
}

/* ---- the main loop ---- */

typedef struct main_loop {
    server *srv;
    uv_signal_t sigterm, sigint, sighup;
    reloader *rl;
    bool stopping;
} main_loop;

static void stop_everything(main_loop *m, const char *why)
{
    if (m->stopping) return;
    m->stopping = true;
    log_msg(LOG_INFO, NULL, "shutting down (%s): finishing requests in flight", why);
    uv_close((uv_handle_t *)&m->sigterm, NULL);
    uv_close((uv_handle_t *)&m->sigint, NULL);
    uv_close((uv_handle_t *)&m->sighup, NULL);
    if (m->rl) reloader_stop(m->rl);
    for (int i = 0; i < m->srv->nworkers; i++) {
        atomic_store(&m->srv->workers[i].stop, true);
        uv_async_send(&m->srv->workers[i].wake);
    }
}

static void on_signal(uv_signal_t *s, int signum)
{
    main_loop *m = s->data;
    if (signum == SIGHUP) {
        if (m->rl) reloader_trigger(m->rl, "SIGHUP");
        return;
    }
    stop_everything(m, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void random_uuid(char out[40])
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != sizeof b) memset(b, 0x5a, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

/* Port 0 picks a free port: the first worker's choice is written back so the other
 * workers' SO_REUSEPORT listeners join it (and the listening line names it). */
static void share_ephemeral_ports(gh_config *c, worker *w)
{
    for (size_t i = 0; i < c->nlisteners; i++) {
        if (c->listeners[i].port != 0) continue;
        c->listeners[i].port = listener_port(&w->listeners[i]);
        if (i == 0) c->port = c->listeners[i].port;
    }
}

static int start_workers(server *srv)
{
    char err[256];
    for (int i = 0; i < srv->nworkers; i++) {
        worker *w = &srv->workers[i];
        if (worker_init(srv, w, i, err, sizeof err) < 0) {
            log_msg(LOG_ERROR, NULL, "%s", err);
            return -1;
        }
        if (i == 0) share_ephemeral_ports(srv->cfg, w);
        snapshot_retain(srv->current);
        w->snap = srv->current;
    }
    return 0;
}

static void listening_line(server *srv)
{
    static const char *kinds[LISTENER_KIND_COUNT] = {"data_api", "ext_authz_http", "ext_authz_grpc",
                                                      "sql_rds", "sql_snowflake"};
    for (size_t i = 0; i < srv->cfg->nlisteners; i++) {
        const listener_cfg *l = &srv->cfg->listeners[i];
        char extra[400];
        snprintf(extra, sizeof extra,
                 "\"listener\":\"%s\",\"kind\":\"%s\",\"addr\":\"%s:%d\",\"workers\":%d,"
                 "\"revision\":\"%s\"",
                 l->name, kinds[l->kind], l->host, l->port, srv->nworkers, srv->current->id);
        log_msg(LOG_INFO, extra, "listening on %s:%d (%s)", l->host, l->port, l->name);
    }
}

static int run_loops(server *srv)
{
    uv_loop_t *loop = uv_default_loop();
    main_loop m = {.srv = srv};
    uv_signal_init(loop, &m.sigterm);
    uv_signal_init(loop, &m.sigint);
    uv_signal_init(loop, &m.sighup);
    m.sigterm.data = m.sigint.data = m.sighup.data = &m;
    uv_signal_start(&m.sigterm, on_signal, SIGTERM);
    uv_signal_start(&m.sigint, on_signal, SIGINT);
    uv_signal_start(&m.sighup, on_signal, SIGHUP);
    m.rl = reloader_start(srv, loop);
    for (int i = 0; i < srv->nworkers; i++)
        uv_thread_create(&srv->workers[i].thread, worker_main, &srv->workers[i]);
    listening_line(srv);
    uv_run(loop, UV_RUN_DEFAULT);
    for (int i = 0; i < srv->nworkers; i++) uv_thread_join(&srv->workers[i].thread);
    reloader_free(m.rl);
    uv_loop_close(loop);
    return 0;
}

int server_run(gh_config *cfg, snapshot *first)
{
    signal(SIGPIPE, SIG_IGN);
    server srv = {.cfg = cfg, .current = first, .started_unix_ns = log_now_unix_ns()};
    pthread_mutex_init(&srv.status_mu, NULL);
    random_uuid(srv.instance_id);
    atomic_store(&srv.reloads, 1);
    atomic_store(&srv.last_reload_ok_unix_ns, first->loaded_unix_ns);
    srv.nworkers = cfg->workers > 0 ? cfg->workers : (int)uv_available_parallelism();
    srv.workers = calloc((size_t)srv.nworkers, sizeof *srv.workers);
    int rc = 1;
    if (cfg->decision_log.output != DECLOG_NONE) {
        char err[512];
        srv.log = declog_open(cfg, err, sizeof err);
        if (!srv.log) {
            log_msg(LOG_ERROR, NULL, "%s", err);
            goto out;
        }
    }
    if (cfg->auth.enabled) {
        char err[512];
        srv.auth = authn_new(&cfg->auth, err, sizeof err);
        if (!srv.auth) {
            log_msg(LOG_ERROR, NULL, "%s", err);
            goto out;
        }
    }
    if (!srv.workers || start_workers(&srv) < 0) goto out;
    rc = run_loops(&srv);
    log_msg(LOG_INFO, NULL, "stopped; flushing the decision log");
out:
    for (int i = 0; srv.workers && i < srv.nworkers; i++)
        if (srv.workers[i].ev) worker_free(&srv.workers[i]);
    declog_close(srv.log);
    authn_free(srv.auth);
    snapshot_release(srv.current);
    free(srv.last_error);
    free(srv.workers);
    pthread_mutex_destroy(&srv.status_mu);
    return rc;
}
