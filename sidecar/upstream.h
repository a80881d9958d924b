/* HTTP/1.1 requests to an upstream connector service from a worker's loop: connect, send one
 * POST, read the answer with llhttp (Content-Length or chunked), hand it back; a deadline
 * bounds the whole exchange. One connection per request for now (no pool). */
#ifndef GH_UPSTREAM_H
#define GH_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct upstream_reply {
    int status;               /* 0 when err is set */
    const char *content_type; /* NULL when none */
    const char *body;
    size_t body_len;
    const char *err;          /* why there is no answer (connect, timeout, malformed) */
} upstream_reply;

/* The reply (and its strings) lives only during the call. */
typedef void (*upstream_done)(void *ud, const upstream_reply *reply);

/* POSTs body to http://host:port/path with headers (complete "Name: value\r\n" lines, may
 * be NULL). done runs exactly once on the loop (before this returns when the connection cannot
 * even start). 0, or -1 when out of memory or host is not an IP address. */
int upstream_post(uv_loop_t *loop, const char *host, int port, const char *path,
                  const char *headers, const char *body, size_t len, uint64_t timeout_ms,
                  upstream_done done, void *ud);

/* Splits "http://host:port" into host and port (no path, no TLS yet). -1 when malformed. */
int upstream_parse_url(const char *url, char *host, size_t hostlen, int *port);

#endif
