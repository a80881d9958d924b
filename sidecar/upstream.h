/* HTTP/1.1 requests to an upstream connector service from a worker's loop: a pool of
 * kept-alive connections per service, one POST per exchange, the answer relayed piece by
 * piece as it arrives; a deadline bounds each exchange. */
#ifndef GH_UPSTREAM_H
#define GH_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* The connections of one worker to one service ("http://host:port"). */
typedef struct upstream_pool upstream_pool;

/* NULL when the URL is malformed or its host is not an IP address (or localhost). */
upstream_pool *upstream_pool_new(uv_loop_t *loop, const char *url);
/* Closes idle connections now and busy ones when their exchange ends; the pool frees
 * itself after the last. Exchanges under way go on. NULL is fine. */
void upstream_pool_close(upstream_pool *p);

/* The answer as it comes: head once the status line and headers are read, body for each
 * piece (false: stop, the receiver has gone), end exactly once (err NULL: the whole answer
 * came; else why not, and head may not have run). All on the loop. */
typedef struct upstream_stream {
    void (*head)(void *ud, int status, const char *content_type);
    bool (*body)(void *ud, const char *data, size_t len);
    void (*end)(void *ud, const char *err);
} upstream_stream;

typedef struct upstream_exchange upstream_exchange;

/* POSTs body to path with headers (complete "Name: value\r\n" lines, may be NULL) on an
 * idle connection of the pool or a new one. end may run before this returns (no connection
 * could even start). *out (may be NULL) is for upstream_pause/resume until end has run.
 * 0, or -1 when out of memory or the pool is closing (then no callback runs). */
int upstream_post(upstream_pool *p, const char *path, const char *headers, const char *body, size_t len,
                  uint64_t timeout_ms, const upstream_stream *cb, void *ud, upstream_exchange **out);
/* Stop and go on reading the answer (the receiver is behind). */
void upstream_pause(upstream_exchange *x);
void upstream_resume(upstream_exchange *x);

/* Splits "http://host:port" into host and port (no path, no TLS yet). -1 when malformed. */
int upstream_parse_url(const char *url, char *host, size_t hostlen, int *port);

#endif
