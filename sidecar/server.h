/* The daemon: worker threads, each with its own libuv loop, SO_REUSEPORT listener,
 * evaluator and metrics shard; the main thread's loop handles signals and reloads and
 * publishes each new snapshot to every worker (an atomic hand-over plus a wake-up), so the
 * request path takes no lock. A worker swaps snapshots between requests; the old one is
 * freed when the last worker lets go of it. */
#ifndef GH_SERVER_H
#define GH_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

#include "authn.h"
#include "config.h"
#include "declog.h"
#include "grpc.h"
#include "pg.h"
#include "http.h"
#include "metrics.h"
#include "snapshot.h"

typedef struct server server;

typedef struct worker worker;

/* One listener on one worker: its config, its server, and the worker it belongs to. */
typedef struct listener_rt {
    const listener_cfg *cfg;
    worker *w;
    http_server http; /* the HTTP kinds */
    grpc_server grpc; /* ext_authz gRPC */
    struct pg_pool *pg;               /* sql_rds: this worker's PostgreSQL connections */
    struct sql_catalog *sql_catalog;  /* sql_rds: columns for SELECT * (NULL: none) */
    gh_arena sql_arena;               /* the catalog's */
    struct sql_plans *sql_plans;      /* sql_rds: descriptions and rewrites remembered */
    struct upstream_pool *upstream;   /* sql kinds forwarding: this worker's connections */
    bool stopping;
    void (*on_stopped)(struct listener_rt *l);
} listener_rt;

struct worker {
    server *srv;
    int id;
    uv_thread_t thread;
    uv_loop_t loop;
    uv_async_t wake;             /* a new snapshot is pending, or stop */
    listener_rt *listeners;      /* cfg->listeners, in order; [0] the Data API */
    size_t nlisteners, nrunning; /* nrunning: listeners not yet stopped */
    gh_evaluator *ev;
    gh_evaluator *ev_strict;     /* for ?strict-builtin-errors, made on first use */
    gh_arena req;                /* the request's input document; reset per request */
    snapshot *snap;              /* the one this worker evaluates with (a reference) */
    _Atomic(snapshot *) pending; /* handed over by the main thread (a reference) */
    _Atomic bool stop;
    metrics_shard metrics;
    uint64_t rng[2];             /* decision ids */
    gh_buf scratch;              /* decision-log lines, JSON pointers */
    authn_cache *auth_cache;     /* verified tokens; NULL when auth is off */
    char listen_err[256];
    int listen_rc;
};

struct server {
    gh_config *cfg;
    worker *workers;
    int nworkers;
    declog *log;                 /* NULL when decision logging is off */
    authn *auth;                 /* NULL when the config has no "auth" section */
    char instance_id[40];        /* labels.id of every decision */
    pthread_mutex_t status_mu;   /* guards the reload status below */
    snapshot *current;           /* the last good snapshot (a reference) */
    char *last_error;            /* the last failed reload's errors, NULL after a success */
    _Atomic uint64_t reloads, reload_failures;
    _Atomic int64_t last_reload_ok_unix_ns, last_reload_fail_unix_ns;
    int64_t started_unix_ns;
};

/* Runs the daemon until SIGTERM or SIGINT: listeners, workers, watches, decision log.
 * `first` is the snapshot loaded at start (taken over). Returns the process exit code. */
int server_run(gh_config *cfg, snapshot *first);

/* Main thread: makes snap the current snapshot and hands it to every worker (takes over
 * the caller's reference). */
void server_publish(server *srv, snapshot *snap);
/* Main thread: records a failed reload (errors text copied). */
void server_reload_failed(server *srv, const char *errors);

/* Worker thread: the evaluator for ?strict-builtin-errors (NULL when out of memory). */
gh_evaluator *worker_strict_evaluator(worker *w);

/* Binds a listener on its worker's loop (listener.c). -1 with err. */
int listener_start(listener_rt *l, char *err, size_t errlen);
/* The port it is bound to (after listening on port 0), or -1. */
int listener_port(listener_rt *l);
/* Stops it as its server stops (answer what was read, then close); on_stopped after. */
void listener_stop(listener_rt *l, void (*on_stopped)(listener_rt *l));
/* After the loop has ended. */
void listener_free(listener_rt *l);

/* Worker thread: the ext_authz listeners (listener_extauthz.c); ud is the listener_rt. */
void extauthz_http_handle(void *ud, const http_request *req, http_response *resp);
int extauthz_grpc_listen(listener_rt *l, char *err, size_t errlen);

/* Worker thread: the SQL listener (listener_sql.c). */
void sql_rds_handle(void *ud, const http_request *req, http_response *resp);
int sql_rds_listen(listener_rt *l, char *err, size_t errlen);

/* Worker thread: the HTTP handler of the Data API (api.c); ud is the listener_rt. */
void api_handle(void *ud, const http_request *req, http_response *resp);

/* Reload machinery on the main loop (reload.c). */
typedef struct reloader reloader;
reloader *reloader_start(server *srv, uv_loop_t *loop);
void reloader_trigger(reloader *r, const char *why); /* debounced */
void reloader_stop(reloader *r); /* closes its handles */
void reloader_free(reloader *r); /* after the loop has ended */

/* Worker thread: GET /metrics (metrics_server.c). */
void metrics_render_server(worker *w, gh_buf *out);

#endif
