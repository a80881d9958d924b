/* HTTP/1.1 server connections on a libuv loop, parsed by llhttp: keep-alive, pipelining,
 * limits (header bytes and count, body bytes, read and idle timeouts) answered with the
 * right 4xx and a JSON error body. One http_server per worker loop; handlers run on that
 * loop's thread, synchronously, and fill the response the server then writes. */
#ifndef GH_HTTP_H
#define GH_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gatehouse/buf.h"

typedef struct http_limits {
    size_t max_header_bytes; /* request line + header fields and values; over: 431 */
    size_t max_headers;      /* header count; over: 431 */
    size_t max_body_bytes;   /* over: 413 (before reading it when Content-Length says so) */
    uint64_t read_timeout_ms; /* a started request must arrive whole within this; else 408 */
    uint64_t idle_timeout_ms; /* a keep-alive connection without a request is closed */
    size_t max_connections;   /* per server (worker); further accepts are closed at once */
} http_limits;

typedef struct http_header {
    const char *name, *value; /* not NUL-terminated */
    size_t name_len, value_len;
} http_header;

typedef struct http_conn http_conn;

typedef struct http_request {
    const char *method;     /* "GET", "POST", ... (NUL-terminated) */
    const char *path;       /* the target before '?', percent-encoding kept */
    size_t path_len;
    const char *query;      /* after '?', or NULL */
    size_t query_len;
    const http_header *headers;
    size_t nheaders;
    const char *body;       /* NULL when there is none */
    size_t body_len;
    const char *peer;       /* "127.0.0.1:50123" */
    uint64_t start_ns;      /* monotonic time the request was complete */
    http_conn *conn;        /* for http_defer */
} http_request;

typedef struct http_response {
    int status;
    const char *content_type; /* NULL: application/json; "": no Content-Type header */
    gh_buf headers;           /* extra "Name: value\r\n" lines */
    gh_buf body;
    bool close;               /* close the connection after this response */
} http_response;

/* Called once per complete request with a cleared response; sets resp->status (default
 * 200) and fills the body. Runs on the server's loop thread. */
typedef void (*http_handler)(void *ud, const http_request *req, http_response *resp);

/* Why the server itself answered (or dropped) a request; counted for metrics. */
typedef enum {
    HTTP_REJECT_MALFORMED,    /* 400 */
    HTTP_REJECT_HEADER_LIMIT, /* 431 */
    HTTP_REJECT_BODY_LIMIT,   /* 413 */
    HTTP_REJECT_TIMEOUT,      /* 408 */
    HTTP_REJECT_CONN_LIMIT,   /* accepted and closed at once */
    HTTP_REJECT_COUNT
} http_reject;

typedef struct http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    http_limits limits;
    http_handler handler;
    void *ud;
    http_response resp;       /* reused for every request of this loop */
    char *read_buf;           /* what libuv reads into, for every connection of this loop */
    http_conn *conns;         /* open connections (a list, for shutdown) */
    size_t nconns;
    bool stopping;
    void (*on_stopped)(struct http_server *s); /* when the last connection is closed */
    _Atomic uint64_t rejected[HTTP_REJECT_COUNT];
    _Atomic uint64_t connections_total;
    _Atomic uint64_t connections_open;
} http_server;

/* Binds host:port on loop (with SO_REUSEPORT when reuseport, so each worker has its own
 * listener) and starts accepting. Returns 0, or a negative libuv/errno code with a message
 * in err. */
int http_server_listen(http_server *s, uv_loop_t *loop, const char *host, int port,
                       bool reuseport, const http_limits *limits, http_handler handler,
                       void *ud, char *err, size_t errlen);

/* Stops accepting and reading; every response already produced is written, then each
 * connection closes. on_stopped runs once all are closed (maybe before this returns). */
void http_server_stop(http_server *s, void (*on_stopped)(http_server *s));

/* Releases the response buffers (after the loop has ended). */
void http_server_free(http_server *s);

/* A handler that cannot answer at once (it waits for an upstream) calls http_defer during
 * its call and leaves the response alone; later, on the same loop thread, http_respond
 * sends the answer. Meanwhile the connection reads and parses nothing more (pipelined
 * requests wait their turn) and has no timeout of its own: the upstream's bounds it. If
 * the client goes away meanwhile, http_respond just releases the connection, so it must be
 * called exactly once. */
http_conn *http_defer(const http_request *req);
void http_respond(http_conn *c, const http_response *resp);

/* A deferred answer relayed as it comes (an upstream's body): http_stream_begin sends the
 * head, http_stream_write each piece (chunked; an HTTP/1.0 client gets the bytes up to the
 * connection's close), http_stream_end finishes it instead of http_respond. complete=false
 * closes the connection without the last chunk, so the client sees a cut answer, never a
 * whole-looking wrong one. http_stream_write returns false once the client has gone (stop
 * producing, then still call http_stream_end). When http_stream_pending grows past what
 * the producer wants in flight, it pauses and asks http_stream_on_drain to call it back
 * once the client has taken most of it (once per request). */
void http_stream_begin(http_conn *c, int status, const char *content_type);
bool http_stream_write(http_conn *c, const char *data, size_t len);
size_t http_stream_pending(const http_conn *c);
void http_stream_on_drain(http_conn *c, void (*fn)(void *ud), void *ud);
void http_stream_end(http_conn *c, bool complete);

/* Header value by case-insensitive name, or NULL. */
const http_header *http_request_header(const http_request *req, const char *name);

/* Fills resp with {"code": code, "message": message} and the status. */
void http_error(http_response *resp, int status, const char *code, const char *message);

/* The reason phrase of a status code ("Not Found"); "Unknown" when not listed. */
const char *http_status_text(int status);

/* Monotonic nanoseconds. */
uint64_t http_now_ns(void);

#endif
