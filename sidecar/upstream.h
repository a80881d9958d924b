/* HTTP/1.1 requests to an upstream connector service from a worker's loop: connect, send one
 * POST, read the answer with llhttp (Content-Length or chunked) and hand it back whole, or
 * relay it piece by piece as it arrives; a deadline bounds the whole exchange. One
 * connection per request for now (no pool). */
#ifndef GH_UPSTREAM_H
#define GH_UPSTREAM_H

#include <stdbool.h>
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

/* The same exchange with the answer relayed as it comes: head once the status line and
 * headers are read, body for each piece (false: stop, the receiver has gone), end exactly
 * once (err NULL: the whole answer came; else why not, and head may not have run). */
typedef struct upstream_stream {
    void (*head)(void *ud, int status, const char *content_type);
    bool (*body)(void *ud, const char *data, size_t len);
    void (*end)(void *ud, const char *err);
} upstream_stream;

typedef struct upstream_exchange upstream_exchange;

/* As upstream_post, streaming; *out (may be NULL) lets the receiver pause and resume
 * reading, valid until end has run. */
int upstream_post_stream(uv_loop_t *loop, const char *host, int port, const char *path,
                         const char *headers, const char *body, size_t len, uint64_t timeout_ms,
                         const upstream_stream *cb, void *ud, upstream_exchange **out);
void upstream_pause(upstream_exchange *x);
void upstream_resume(upstream_exchange *x);

/* Splits "http://host:port" into host and port (no path, no TLS yet). -1 when malformed. */
int upstream_parse_url(const char *url, char *host, size_t hostlen, int *port);

#endif
