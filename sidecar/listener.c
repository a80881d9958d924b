/* Starting a worker's listeners by kind: each binds its own SO_REUSEPORT socket on the
 * worker's loop and hands requests to its kind's handler with the listener as context. */
#include <stdio.h>

#include "server.h"

int listener_start(listener_rt *l, char *err, size_t errlen)
{
    const listener_cfg *c = l->cfg;
    const gh_config *cfg = l->w->srv->cfg;
    switch (c->kind) {
    case LISTENER_DATA_API:
        return http_server_listen(&l->http, &l->w->loop, c->host, c->port, true, &cfg->limits,
                                  api_handle, l, err, errlen) < 0 ? -1 : 0;
    case LISTENER_EXTAUTHZ_HTTP:
    case LISTENER_EXTAUTHZ_GRPC:
    case LISTENER_KIND_COUNT: break;
    }
    snprintf(err, errlen, "listener %s: this kind is not available yet", c->name);
    return -1;
}
