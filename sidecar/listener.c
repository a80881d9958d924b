/* Starting a worker's listeners by kind: each binds its own SO_REUSEPORT socket on the
 * worker's loop and hands requests to its kind's handler with the listener as context. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>

#include "server.h"
#include "upstream.h"
#include "sql_plans.h"

int listener_start(listener_rt *l, char *err, size_t errlen)
{
    const listener_cfg *c = l->cfg;
    const gh_config *cfg = l->w->srv->cfg;
    switch (c->kind) {
    case LISTENER_DATA_API:
        return http_server_listen(&l->http, &l->w->loop, c->host, c->port, true, &cfg->limits,
                                  api_handle, l, err, errlen) < 0 ? -1 : 0;
    case LISTENER_EXTAUTHZ_HTTP:
        return http_server_listen(&l->http, &l->w->loop, c->host, c->port, true, &cfg->limits,
                                  extauthz_http_handle, l, err, errlen) < 0 ? -1 : 0;
    case LISTENER_EXTAUTHZ_GRPC: return extauthz_grpc_listen(l, err, errlen);
    case LISTENER_SQL_RDS:
    case LISTENER_SQL_SNOWFLAKE: return sql_rds_listen(l, err, errlen);
    case LISTENER_KIND_COUNT: break;
    }
    snprintf(err, errlen, "listener %s: unknown kind", c->name);
    return -1;
}

int listener_port(listener_rt *l)
{
    if (l->cfg->kind == LISTENER_EXTAUTHZ_GRPC) return grpc_server_port(&l->grpc);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (uv_tcp_getsockname(&l->http.listener, (struct sockaddr *)&ss, &len) < 0) return -1;
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void on_http_stopped(http_server *h)
{
    listener_rt *l = (listener_rt *)((char *)h - offsetof(listener_rt, http));
    if (l->pg) { /* every deferred answer is out: the database connections may go */
        pg_pool_close(l->pg);
        l->pg = NULL;
    }
    upstream_pool_close(l->upstream); /* and the connector service's */
    l->upstream = NULL;
    l->on_stopped(l);
}

static void on_grpc_stopped(grpc_server *g)
{
    listener_rt *l = (listener_rt *)((char *)g - offsetof(listener_rt, grpc));
    l->on_stopped(l);
}

void listener_stop(listener_rt *l, void (*on_stopped)(listener_rt *l))
{
    if (l->stopping) return;
    l->stopping = true;
    l->on_stopped = on_stopped;
    if (l->cfg->kind == LISTENER_EXTAUTHZ_GRPC) grpc_server_stop(&l->grpc, on_grpc_stopped);
    else http_server_stop(&l->http, on_http_stopped);
}

void listener_free(listener_rt *l)
{
    if (l->cfg && l->cfg->kind == LISTENER_EXTAUTHZ_GRPC) grpc_server_free(&l->grpc);
    else http_server_free(&l->http);
    if (l->pg) pg_pool_discard(l->pg); /* a start that failed after connecting */
    upstream_pool_close(l->upstream);
    if (l->sql_catalog) gh_arena_free(&l->sql_arena);
    sql_plans_free(l->sql_plans);
}
