/* Unary gRPC over HTTP/2 on a libuv loop, framed by nghttp2: cleartext h2c (prior knowledge)
 * or TLS with ALPN "h2" (OpenSSL on memory BIOs). Requests are routed by :path to handlers
 * that get the whole request message and fill the reply; the server owns the wire protocol
 * (content-type, 5-byte message framing, size limits, trailers, percent-encoded messages).
 * One grpc_server per worker loop; handlers run on that loop's thread, synchronously. */
#ifndef GH_GRPC_H
#define GH_GRPC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gatehouse/buf.h"

/* gRPC status codes (grpc/doc/statuscodes.md), with the names metrics print. */
#define GRPC_STATUS_MAP(XX)                                                                    \
    XX(OK, 0)                                                                                  \
    XX(CANCELLED, 1)                                                                           \
    XX(UNKNOWN, 2)                                                                             \
    XX(INVALID_ARGUMENT, 3)                                                                    \
    XX(DEADLINE_EXCEEDED, 4)                                                                   \
    XX(NOT_FOUND, 5)                                                                           \
    XX(ALREADY_EXISTS, 6)                                                                      \
    XX(PERMISSION_DENIED, 7)                                                                   \
    XX(RESOURCE_EXHAUSTED, 8)                                                                  \
    XX(FAILED_PRECONDITION, 9)                                                                 \
    XX(ABORTED, 10)                                                                            \
    XX(OUT_OF_RANGE, 11)                                                                       \
    XX(UNIMPLEMENTED, 12)                                                                      \
    XX(INTERNAL, 13)                                                                           \
    XX(UNAVAILABLE, 14)                                                                        \
    XX(DATA_LOSS, 15)                                                                          \
    XX(UNAUTHENTICATED, 16)

typedef enum {
#define XX(name, code) GRPC_STATUS_##name = code,
    GRPC_STATUS_MAP(XX)
#undef XX
    GRPC_STATUS_COUNT
} grpc_status;

/* "OK", "UNIMPLEMENTED", ...; "UNKNOWN" for a code out of range. */
const char *grpc_status_name(int status);

typedef struct grpc_limits {
    size_t max_message_bytes;        /* a request message over this: RESOURCE_EXHAUSTED */
    size_t max_header_bytes;         /* a request's header list, counted as HTTP/2's
                                        SETTINGS_MAX_HEADER_LIST_SIZE (name + value + 32 per
                                        field); over: RESOURCE_EXHAUSTED */
    uint32_t max_concurrent_streams; /* per connection (SETTINGS_MAX_CONCURRENT_STREAMS) */
    size_t max_conn_buffer_bytes;    /* request bytes held per connection across unfinished
                                        streams; a stream that would pass it:
                                        RESOURCE_EXHAUSTED (bounds streams x messages) */
    uint64_t read_timeout_ms;        /* a connection with a request (or the TLS handshake)
                                        under way that sends nothing for this long gets
                                        GOAWAY and is closed */
    uint64_t idle_timeout_ms;        /* the same for a connection without requests */
    size_t max_connections;          /* per server (worker); further accepts closed at once */
} grpc_limits;

/* grpc's defaults: 4 MiB messages, 8 KiB of headers; then 100 streams, 64 MiB held per
 * connection, 10 s read and 5 min idle timeouts. */
void grpc_limits_default(grpc_limits *l);

/* TLS: PEM files read once at grpc_server_listen. */
typedef struct grpc_tls_files {
    const char *cert_file; /* the certificate chain, leaf first */
    const char *key_file;
} grpc_tls_files;

/* What the handler may know of the call besides its message (read-only). */
typedef struct grpc_call {
    const char *path;  /* ":path", NUL-terminated: "/package.Service/Method" */
    const char *peer;  /* "127.0.0.1:50123" */
    bool tls;          /* the connection is TLS */
    uint64_t start_ns; /* monotonic time the request was complete */
} grpc_call;

typedef struct grpc_reply {
    int status;            /* gRPC status; 0 (OK) sends body as the response message */
    gh_buf body;           /* the response message (serialized protobuf) */
    gh_buf message;        /* grpc-message for a non-OK status, plain text (UTF-8): the
                              server percent-encodes it */
    const grpc_call *call; /* the request's call (set by the server) */
} grpc_reply;

/* Called once per complete request with a cleared reply (status OK, empty body). Fills the
 * reply and returns 0; a negative return answers INTERNAL ("handler failed"). msg is the
 * request message without its 5-byte prefix, valid during the call. */
typedef int (*grpc_handler)(void *ud, const uint8_t *msg, size_t len, grpc_reply *out);

/* Sets status and message (printf-style) of a reply. */
void grpc_reply_error(grpc_reply *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Why the server itself answered (or dropped) a stream or connection; counted for metrics.
 * Each refused stream is also counted under its grpc status. */
typedef enum {
    GRPC_REJECT_CONTENT_TYPE, /* not application/grpc: HTTP 415, INTERNAL */
    GRPC_REJECT_METHOD,       /* not POST: HTTP 405, INTERNAL */
    GRPC_REJECT_HEADER_LIMIT, /* RESOURCE_EXHAUSTED */
    GRPC_REJECT_MESSAGE_LIMIT,/* RESOURCE_EXHAUSTED */
    GRPC_REJECT_FRAMING,      /* bad message framing or compression: INTERNAL/UNIMPLEMENTED */
    GRPC_REJECT_UNKNOWN_METHOD, /* UNIMPLEMENTED */
    GRPC_REJECT_PROTOCOL,     /* HTTP/2 or TLS errors that end the connection */
    GRPC_REJECT_TIMEOUT,      /* read or idle timeout: GOAWAY, close */
    GRPC_REJECT_CONN_LIMIT,   /* accepted and closed at once */
    GRPC_REJECT_COUNT
} grpc_reject;

typedef struct grpc_method {
    char *path;
    grpc_handler fn;
    void *ud;
} grpc_method;

typedef struct grpc_conn grpc_conn;
typedef struct ssl_ctx_st grpc_ssl_ctx; /* OpenSSL's SSL_CTX, kept out of this header */

typedef struct grpc_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    bool listening;        /* the listener handle is initialised (and must be closed) */
    grpc_limits limits;
    grpc_ssl_ctx *tls;     /* NULL: cleartext h2c */
    grpc_method *methods;  /* registered handlers (the built-in health check is not here) */
    size_t nmethods;
    grpc_reply reply;      /* reused for every request of this loop */
    char *read_buf;        /* what libuv reads into, for every connection of this loop */
    char *plain_buf;       /* TLS: decrypted bytes, for every connection of this loop */
    gh_buf tls_out;        /* TLS: the frames of one send, encrypted together (few records) */
    grpc_conn *conns;      /* open connections (a list, for shutdown) */
    size_t nconns;
    bool stopping;
    void (*on_stopped)(struct grpc_server *s); /* when the last connection is closed */
    _Atomic uint64_t requests;                     /* streams answered */
    _Atomic uint64_t by_status[GRPC_STATUS_COUNT]; /* streams answered, by grpc-status */
    _Atomic uint64_t rejected[GRPC_REJECT_COUNT];
    _Atomic uint64_t connections_total;
    _Atomic uint64_t connections_open;
} grpc_server;

/* Prepares s on loop (no socket yet). Returns 0, or a negative libuv code. */
int grpc_server_init(grpc_server *s, uv_loop_t *loop, const grpc_limits *limits);

/* Routes path ("/envoy.service.auth.v3.Authorization/Check") to fn(ud, ...); call before
 * the loop runs. A later registration of the same path replaces the earlier one. Returns 0
 * or UV_ENOMEM. "/grpc.health.v1.Health/Check" is built in (SERVING for "" and for every
 * service with a registered method, else NOT_FOUND) unless registered here. */
int grpc_server_add_method(grpc_server *s, const char *path, grpc_handler fn, void *ud);

/* Binds host:port (with SO_REUSEPORT when reuseport, so each worker has its own listener)
 * and starts accepting: TLS when tls is not NULL, else h2c. Returns 0, or a negative code
 * with a message in err (a bad certificate or key is UV_EINVAL). */
int grpc_server_listen(grpc_server *s, const char *host, int port, bool reuseport,
                       const grpc_tls_files *tls, char *err, size_t errlen);

/* The port the listener is bound to (useful after listening on port 0), or -1. */
int grpc_server_port(grpc_server *s);

/* Stops accepting and reading. Every connection gets GOAWAY; requests already complete have
 * been answered, unfinished ones are refused (REFUSED_STREAM, so clients may retry
 * elsewhere); what is queued is written, then each connection closes. on_stopped runs once
 * all are closed (maybe before this returns). */
void grpc_server_stop(grpc_server *s, void (*on_stopped)(grpc_server *s));

/* Releases what init and listen allocated (after the loop has ended). */
void grpc_server_free(grpc_server *s);

/* For the fuzz target: one in-memory server connection (no socket, no TLS) fed bytes as if
 * read from a client; what it would send is dropped. Returns the bytes nghttp2 consumed, or
 * a negative nghttp2 code when the session ended. */
long grpc_server_feed_test(grpc_server *s, const uint8_t *data, size_t len);

#endif
