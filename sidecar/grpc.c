/* Unary gRPC server connections: libuv reads bytes (through OpenSSL memory BIOs under TLS),
 * nghttp2 turns them into streams, and each stream's request is checked (method, content-type,
 * header size, message framing and size) and answered on the spot: by the server itself when
 * the request is wrong, else by the handler its :path names, once the request has ended.
 * What nghttp2 has to send is collected after each read and written in one go. Answers follow
 * grpc/doc/PROTOCOL-HTTP2.md and the codes grpc-go and grpc-java give for the same faults. */
#include "grpc.h"

#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_BUF_SIZE (64 * 1024)
#define PLAIN_BUF_SIZE (64 * 1024)
#define MAX_PENDING_WRITE (1024 * 1024) /* stop reading a client that does not read answers */
#define LINGER_MS 2000                  /* how long a closing client may keep sending */
#define STREAM_WINDOW (1 << 20)         /* per-stream receive window: one typical message */
#define CONN_WINDOW (16 << 20)          /* per-connection receive window */
#define PREFIX_LEN 5                    /* compressed flag + 4-byte big-endian length */
#define HEALTH_CHECK_PATH "/grpc.health.v1.Health/Check"
#define HEALTH_SERVICE "grpc.health.v1.Health"

typedef struct grpc_stream grpc_stream;

/* One request stream; lives from its first HEADERS to nghttp2's stream close. */
struct grpc_stream {
    int32_t id;
    grpc_conn *conn;
    grpc_stream *prev, *next; /* the connection's open streams (for GOAWAY) */
    size_t header_bytes;      /* as SETTINGS_MAX_HEADER_LIST_SIZE counts them */
    gh_buf path;              /* :path */
    bool post;                /* :method is POST */
    bool grpc_type;           /* content-type is application/grpc[+...|;...] */
    char content_type[64];    /* for the refusal message (cut) */
    char encoding[32];        /* grpc-encoding, "" when absent (cut) */
    const grpc_method *method;
    gh_buf msg;               /* request DATA as received: prefix + message */
    gh_buf resp;              /* response DATA: prefix + message */
    size_t resp_off;          /* bytes of resp handed to nghttp2 */
    bool ended;               /* the client's END_STREAM arrived */
    bool answered;            /* the response is submitted; later DATA is dropped */
};

struct grpc_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;          /* read or idle timeout, then the linger after GOAWAY */
    grpc_server *srv;
    grpc_conn *prev, *next;    /* the server's open connections */
    nghttp2_session *h2;
    SSL *ssl;                  /* NULL for h2c */
    grpc_stream *streams;      /* open streams */
    size_t nstreams;
    size_t buffered;           /* request bytes the open streams hold (their msg buffers) */
    gh_buf out;                /* bytes for the socket not yet handed to libuv */
    size_t writing;            /* bytes handed to libuv and not yet written */
    bool reading;              /* uv_read_start is on */
    bool close_after_write;    /* GOAWAY or a fatal error: write what is queued, then close */
    bool draining;             /* half-closed; reading and dropping until the peer closes */
    bool closing;              /* uv_close called */
    bool detached;             /* grpc_server_feed_test: no socket, output dropped */
    int open_handles;
    char peer[64];
};


static const grpc_method health_method = {.path = HEALTH_CHECK_PATH};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *grpc_status_name(int status)
{
    switch (status) {
#define XX(name, code)                                                                         \
    case code: return #name;
        GRPC_STATUS_MAP(XX)
#undef XX
    default: return "UNKNOWN";
    }
}

void grpc_limits_default(grpc_limits *l)
{
    *l = (grpc_limits){
        .max_message_bytes = 4 << 20,
        .max_header_bytes = 8 << 10,
        .max_concurrent_streams = 100,
        .max_conn_buffer_bytes = 64 << 20,
        .read_timeout_ms = 10000,
        .idle_timeout_ms = 300000,
        .max_connections = 10000,
    };
}

void grpc_reply_error(grpc_reply *r, int status, const char *fmt, ...)
{
    r->status = status;
    gh_buf_clear(&r->message);
    va_list ap;
    va_start(ap, fmt);
    gh_buf_vprintf(&r->message, fmt, ap);
    va_end(ap);
}

/* ---- closing ---- */

static void stream_free(grpc_stream *st)
{
    grpc_conn *c = st->conn;
    if (st->prev) st->prev->next = st->next;
    else c->streams = st->next;
    if (st->next) st->next->prev = st->prev;
    c->nstreams--;
    c->buffered -= st->msg.len;
    gh_buf_free(&st->path);
    gh_buf_free(&st->msg);
    gh_buf_free(&st->resp);
    free(st);
}

static void conn_free(grpc_conn *c)
{
    grpc_server *s = c->srv;
    if (!c->detached) {
        if (c->prev) c->prev->next = c->next;
        else s->conns = c->next;
        if (c->next) c->next->prev = c->prev;
        s->nconns--;
        atomic_fetch_sub_explicit(&s->connections_open, 1, memory_order_relaxed);
    }
    nghttp2_session_del(c->h2); /* calls no stream-close callback: free what is left */
    while (c->streams) stream_free(c->streams);
    SSL_free(c->ssl);
    gh_buf_free(&c->out);
    free(c);
    if (s->stopping && s->nconns == 0 && s->on_stopped) s->on_stopped(s);
}

static void on_handle_closed(uv_handle_t *h)
{
    grpc_conn *c = h->data;
    if (--c->open_handles == 0) conn_free(c);
}

static void conn_close(grpc_conn *c)
{
    if (c->closing) return;
    c->closing = true;
    if (c->detached) return; /* grpc_server_feed_test frees it */
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);
static void alloc_read_buf(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_timer(uv_timer_t *t);

static void conn_read(grpc_conn *c, bool on)
{
    if (c->detached || c->closing || c->reading == on) return;
    if (on) uv_read_start((uv_stream_t *)&c->tcp, alloc_read_buf, on_read);
    else uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = on;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    grpc_conn *c = req->data;
    free(req);
    if (status < 0) conn_close(c);
}

/* Everything is written: half-close, then read and drop what the client still sends until it
 * closes too or LINGER_MS pass, so our GOAWAY and answers are not lost to a reset. */
static void conn_linger(grpc_conn *c)
{
    if (c->draining || c->closing) return;
    c->draining = true;
    uv_shutdown_t *req = malloc(sizeof *req);
    if (!req || uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
        free(req);
        conn_close(c);
        return;
    }
    req->data = c;
    if (!c->srv->stopping) conn_read(c, true);
    uv_timer_start(&c->timer, on_timer, c->srv->stopping ? 0 : LINGER_MS, 0);
}

/* ---- writing ---- */

static void conn_pump(grpc_conn *c);

static void conn_after_write(grpc_conn *c)
{
    if (c->closing || c->detached) return;
    if (c->close_after_write) {
        if (c->writing == 0 && c->out.len == 0) conn_linger(c);
        return;
    }
    if (!c->reading && c->writing < MAX_PENDING_WRITE / 2 && !c->srv->stopping) conn_read(c, true);
}

static void on_write(uv_write_t *req, int status)
{
    net_write *w = (net_write *)req;
    grpc_conn *c = w->owner;
    c->writing -= w->len;
    free(w);
    if (status < 0) {
        conn_close(c);
        return;
    }
    conn_after_write(c);
}

/* Hands the queued bytes to the socket: directly when it takes them, else queued. */
static void conn_flush(grpc_conn *c)
{
    if (c->detached) gh_buf_clear(&c->out);
    if (c->closing || c->out.len == 0) {
        conn_after_write(c);
        return;
    }
    if (net_flush((uv_stream_t *)&c->tcp, &c->out, &c->writing, c, on_write) < 0) {
        conn_close(c);
        return;
    }
    if (c->writing > MAX_PENDING_WRITE) conn_read(c, false);
    conn_after_write(c);
}

/* Moves what OpenSSL has encrypted into the output queue. */
static int tls_drain(grpc_conn *c)
{
    BIO *wbio = SSL_get_wbio(c->ssl);
    size_t pending;
    while ((pending = BIO_ctrl_pending(wbio)) > 0) {
        char *dst = gh_buf_reserve(&c->out, pending);
        if (!dst) return -1;
        int n = BIO_read(wbio, dst, (int)pending);
        if (n <= 0) return -1;
        gh_buf_commit(&c->out, (size_t)n);
    }
    return 0;
}

/* Encrypts plaintext for the peer into the output queue (a memory BIO takes it all). */
static int tls_write(grpc_conn *c, const char *data, size_t len)
{
    if (len > INT32_MAX || SSL_write(c->ssl, data, (int)len) != (int)len) return -1;
    return tls_drain(c);
}

/* Collects every frame nghttp2 has ready and writes it. When the session wants neither to
 * read nor to write (GOAWAY sent after an error), the connection closes once written. */
static void conn_pump(grpc_conn *c)
{
    if (c->closing) return;
    if (c->ssl && !SSL_is_init_finished(c->ssl)) {
        if (c->close_after_write && c->out.len == 0 && c->writing == 0) conn_close(c);
        else conn_flush(c);
        return;
    }
    /* under TLS the frames are gathered first: one SSL_write makes full records */
    gh_buf *dst = c->ssl ? &c->srv->tls_out : &c->out;
    if (c->ssl) gh_buf_clear(dst);
    for (;;) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->h2, &data);
        if (n == 0) break;
        if (n < 0 || gh_buf_append(dst, data, (size_t)n) < 0) {
            conn_close(c);
            return;
        }
    }
    if (c->ssl && dst->len && tls_write(c, dst->data, dst->len) < 0) {
        conn_close(c);
        return;
    }
    if (!nghttp2_session_want_read(c->h2) && !nghttp2_session_want_write(c->h2)) {
        c->close_after_write = true;
        conn_read(c, false);
    }
    conn_flush(c);
}

/* ---- answering ---- */

static void count_answer(grpc_server *s, int status)
{
    atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
    if (status < 0 || status >= GRPC_STATUS_COUNT) status = GRPC_STATUS_UNKNOWN;
    atomic_fetch_add_explicit(&s->by_status[status], 1, memory_order_relaxed);
}

/* grpc-message: space and printable ASCII except '%' stay; every other byte becomes %XX. */
static size_t percent_encode(const char *in, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)in[i];
        bool plain = ch >= 0x20 && ch <= 0x7e && ch != '%';
        if (o + (plain ? 1 : 3) > cap) break;
        if (plain) out[o++] = (char)ch;
        else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    return o;
}

/* Once answered, the request bytes are no longer needed (later DATA is dropped). */
static void stream_drop_request(grpc_stream *st)
{
    st->conn->buffered -= st->msg.len;
    gh_buf_free(&st->msg);
}

#define NV(n, v, vlen)                                                                         \
    ((nghttp2_nv){(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, (vlen),                       \
                  NGHTTP2_NV_FLAG_NO_COPY_NAME})

/* Trailers-Only: one HEADERS frame with END_STREAM carrying the status (http_status is 200
 * but for a request that is not gRPC at all: 415, 405). nghttp2 copies the values. */
static void stream_fail(grpc_stream *st, int http_status, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void stream_fail(grpc_stream *st, int http_status, int status, const char *fmt, ...)
{
    if (st->answered) return;
    st->answered = true;
    stream_drop_request(st);
    char text[512], enc[1024], code[8], hs[8];
    va_list ap;
    va_start(ap, fmt);
    int tn = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    size_t tlen = tn < 0 ? 0 : (size_t)tn < sizeof text ? (size_t)tn : sizeof text - 1;
    size_t elen = percent_encode(text, tlen, enc, sizeof enc);
    int cl = snprintf(code, sizeof code, "%d", status);
    int hl = snprintf(hs, sizeof hs, "%d", http_status);
    nghttp2_nv nva[] = {
        NV(":status", hs, (size_t)hl),
        NV("content-type", "application/grpc", 16),
        NV("grpc-status", code, (size_t)cl),
        NV("grpc-message", enc, elen),
    };
    if (nghttp2_submit_response(st->conn->h2, st->id, nva, elen ? 4 : 3, NULL) == 0)
        count_answer(st->conn->srv, status); /* else the stream is gone (reset by the peer) */
}

static ssize_t read_response(nghttp2_session *h2, int32_t id, uint8_t *buf, size_t length,
                             uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    (void)ud;
    grpc_stream *st = src->ptr;
    size_t n = st->resp.len - st->resp_off;
    if (n > length) n = length;
    memcpy(buf, st->resp.data + st->resp_off, n);
    st->resp_off += n;
    if (st->resp_off == st->resp.len) {
        /* the status goes in trailers, which end the stream */
        *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        nghttp2_nv trailers[] = {NV("grpc-status", "0", 1)};
        if (nghttp2_submit_trailer(h2, id, trailers, 1) != 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return (ssize_t)n;
}

/* Response-Headers, one length-prefixed message, then Trailers (grpc-status 0). */
static void stream_reply(grpc_stream *st, const gh_buf *body)
{
    if (body->len > UINT32_MAX) {
        stream_fail(st, 200, GRPC_STATUS_RESOURCE_EXHAUSTED, "response message too large");
        return;
    }
    uint8_t prefix[PREFIX_LEN] = {0, (uint8_t)(body->len >> 24), (uint8_t)(body->len >> 16),
                                  (uint8_t)(body->len >> 8), (uint8_t)body->len};
    gh_buf_clear(&st->resp);
    gh_buf_append(&st->resp, prefix, sizeof prefix);
    if (body->len) gh_buf_append(&st->resp, body->data, body->len);
    if (st->resp.failed) {
        stream_fail(st, 200, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory for the response");
        return;
    }
    st->answered = true;
    nghttp2_nv nva[] = {
        NV(":status", "200", 3),
        NV("content-type", "application/grpc", 16),
        NV("grpc-accept-encoding", "identity", 8),
    };
    nghttp2_data_provider prd = {.source.ptr = st, .read_callback = read_response};
    if (nghttp2_submit_response(st->conn->h2, st->id, nva, 3, &prd) != 0) {
        nghttp2_submit_rst_stream(st->conn->h2, NGHTTP2_FLAG_NONE, st->id,
                                  NGHTTP2_INTERNAL_ERROR);
        return;
    }
    count_answer(st->conn->srv, GRPC_STATUS_OK);
}

static void reject(grpc_server *s, grpc_reject why)
{
    atomic_fetch_add_explicit(&s->rejected[why], 1, memory_order_relaxed);
}

/* ---- the built-in health check ---- */

/* Reads a protobuf varint; returns bytes used or 0 when malformed or cut. */
static size_t pb_varint(const uint8_t *p, size_t len, uint64_t *v)
{
    *v = 0;
    for (size_t i = 0; i < len && i < 10; i++) {
        *v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) return i + 1;
    }
    return 0;
}

/* The last occurrence of string field `field` (wire type 2), skipping the others; -1 when
 * the message is malformed. A missing field leaves *out empty. */
static int pb_string_field(const uint8_t *p, size_t len, uint64_t field, const uint8_t **out,
                           size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    size_t i = 0;
    while (i < len) {
        uint64_t key, v;
        size_t n = pb_varint(p + i, len - i, &key);
        if (n == 0 || key >> 3 == 0) return -1;
        i += n;
        switch (key & 7) {
        case 0:
            if ((n = pb_varint(p + i, len - i, &v)) == 0) return -1;
            i += n;
            break;
        case 1:
        case 5:
            n = (key & 7) == 1 ? 8 : 4;
            if (len - i < n) return -1;
            i += n;
            break;
        case 2:
            if ((n = pb_varint(p + i, len - i, &v)) == 0 || v > len - i - n) return -1;
            i += n;
            if (key >> 3 == field) {
                *out = p + i;
                *outlen = (size_t)v;
            }
            i += (size_t)v;
            break;
        default: return -1;
        }
    }
    return 0;
}

static bool server_has_service(const grpc_server *s, const uint8_t *name, size_t len)
{
    if (len == sizeof HEALTH_SERVICE - 1 && memcmp(name, HEALTH_SERVICE, len) == 0) return true;
    for (size_t i = 0; i < s->nmethods; i++) {
        const char *p = s->methods[i].path;
        if (strlen(p) > len + 2 && p[0] == '/' && memcmp(p + 1, name, len) == 0 &&
            p[len + 1] == '/')
            return true;
    }
    return false;
}

/* HealthCheckRequest{string service = 1} -> HealthCheckResponse{status = 1 (SERVING)}. */
static int health_check(void *ud, const uint8_t *msg, size_t len, grpc_reply *out)
{
    const uint8_t *service;
    size_t service_len;
    if (pb_string_field(msg, len, 1, &service, &service_len) < 0) {
        grpc_reply_error(out, GRPC_STATUS_INVALID_ARGUMENT, "malformed HealthCheckRequest");
        return 0;
    }
    if (service_len > 0 && !server_has_service(ud, service, service_len)) {
        grpc_reply_error(out, GRPC_STATUS_NOT_FOUND, "unknown service");
        return 0;
    }
    static const uint8_t serving[] = {0x08, 0x01}; /* field 1, varint, 1 */
    return gh_buf_append(&out->body, serving, sizeof serving);
}

/* ---- requests ---- */

static const grpc_method *find_method(const grpc_server *s, const char *path)
{
    for (size_t i = 0; i < s->nmethods; i++)
        if (strcmp(s->methods[i].path, path) == 0) return &s->methods[i];
    if (strcmp(path, HEALTH_CHECK_PATH) == 0) return &health_method;
    return NULL;
}

/* The request headers are complete: refuse now what can never succeed. */
static void stream_check_headers(grpc_stream *st)
{
    grpc_server *s = st->conn->srv;
    const char *path = st->path.data ? st->path.data : "";
    if (st->header_bytes > s->limits.max_header_bytes) {
        reject(s, GRPC_REJECT_HEADER_LIMIT);
        stream_fail(st, 200, GRPC_STATUS_RESOURCE_EXHAUSTED,
                    "request headers of %zu bytes exceed the limit of %zu", st->header_bytes,
                    s->limits.max_header_bytes);
    } else if (!st->post) {
        reject(s, GRPC_REJECT_METHOD);
        stream_fail(st, 405, GRPC_STATUS_INTERNAL, "the :method must be POST");
    } else if (!st->grpc_type) {
        reject(s, GRPC_REJECT_CONTENT_TYPE);
        stream_fail(st, 415, GRPC_STATUS_INTERNAL, "unexpected content-type \"%s\"",
                    st->content_type);
    } else if (st->path.failed || !(st->method = find_method(s, path))) {
        reject(s, GRPC_REJECT_UNKNOWN_METHOD);
        stream_fail(st, 200, GRPC_STATUS_UNIMPLEMENTED, "unknown method %s", path);
    }
}

static uint32_t be32(const char *p)
{
    const uint8_t *u = (const uint8_t *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* Checks the message prefix as soon as it is in; 0 when the stream may go on. */
static int stream_check_prefix(grpc_stream *st)
{
    grpc_server *s = st->conn->srv;
    if (st->msg.len < PREFIX_LEN) return 0;
    unsigned flag = (unsigned char)st->msg.data[0];
    uint32_t len = be32(st->msg.data + 1);
    bool identity = !st->encoding[0] || strcmp(st->encoding, "identity") == 0;
    int status = 0;
    if (flag > 1) {
        status = GRPC_STATUS_INTERNAL;
        stream_fail(st, 200, status, "unexpected message flags %u", flag);
    } else if (flag == 1 && identity) {
        status = GRPC_STATUS_INTERNAL;
        stream_fail(st, 200, status, "compressed flag set with identity or empty encoding");
    } else if (flag == 1) {
        status = GRPC_STATUS_UNIMPLEMENTED;
        stream_fail(st, 200, status, "grpc-encoding \"%s\" is not supported", st->encoding);
    } else if (len > s->limits.max_message_bytes) {
        reject(s, GRPC_REJECT_MESSAGE_LIMIT);
        stream_fail(st, 200, GRPC_STATUS_RESOURCE_EXHAUSTED,
                    "request message larger than max (%u vs. %zu)", len,
                    s->limits.max_message_bytes);
        return -1;
    } else if (st->msg.len > PREFIX_LEN + (size_t)len) {
        status = GRPC_STATUS_INTERNAL;
        stream_fail(st, 200, status, "more than one request message for a unary method");
    }
    if (status) reject(s, GRPC_REJECT_FRAMING);
    return status ? -1 : 0;
}

/* The request has ended: one whole message goes to the handler. */
static void stream_complete(grpc_stream *st)
{
    grpc_server *s = st->conn->srv;
    if (st->answered) return;
    if (!st->method) { /* never: the headers were checked first; kept so it cannot crash */
        stream_fail(st, 200, GRPC_STATUS_INTERNAL, "request without headers");
        return;
    }
    if (st->msg.len < PREFIX_LEN || st->msg.len != PREFIX_LEN + (size_t)be32(st->msg.data + 1)) {
        reject(s, GRPC_REJECT_FRAMING);
        stream_fail(st, 200, GRPC_STATUS_INTERNAL,
                    st->msg.len == 0 ? "half-closed without a request message"
                                     : "incomplete request message");
        return;
    }
    grpc_reply *r = &s->reply;
    grpc_call call = {.path = st->path.data,
                      .peer = st->conn->peer,
                      .tls = st->conn->ssl != NULL,
                      .start_ns = now_ns()};
    r->status = GRPC_STATUS_OK;
    gh_buf_clear(&r->body);
    gh_buf_clear(&r->message);
    r->call = &call;
    const grpc_method *m = st->method;
    grpc_handler fn = m == &health_method ? health_check : m->fn;
    void *ud = m == &health_method ? s : m->ud;
    int rc = fn(ud, (const uint8_t *)st->msg.data + PREFIX_LEN, st->msg.len - PREFIX_LEN, r);
    r->call = NULL;
    if (rc < 0 || r->body.failed) stream_fail(st, 200, GRPC_STATUS_INTERNAL, "handler failed");
    else if (r->status != GRPC_STATUS_OK)
        stream_fail(st, 200, r->status, "%s", r->message.data ? r->message.data : "");
    else stream_reply(st, &r->body);
    stream_drop_request(st);
}

/* ---- nghttp2 callbacks ---- */

static grpc_stream *stream_of(nghttp2_session *h2, int32_t id)
{
    return nghttp2_session_get_stream_user_data(h2, id);
}

static int on_begin_headers(nghttp2_session *h2, const nghttp2_frame *frame, void *ud)
{
    grpc_conn *c = ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    grpc_stream *st = calloc(1, sizeof *st);
    if (!st) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets this stream only */
    st->id = frame->hd.stream_id;
    st->conn = c;
    gh_buf_init(&st->path, 0);
    gh_buf_init(&st->msg, 0);
    gh_buf_init(&st->resp, 0);
    st->next = c->streams;
    if (c->streams) c->streams->prev = st;
    c->streams = st;
    c->nstreams++;
    nghttp2_session_set_stream_user_data(h2, st->id, st);
    return 0;
}

static bool name_is(const uint8_t *name, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(name, want, len) == 0;
}

static void copy_cut(char *dst, size_t cap, const uint8_t *src, size_t len)
{
    if (len >= cap) len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = 0;
}

/* "application/grpc", optionally followed by "+subtype" or ";parameters". */
static bool is_grpc_type(const uint8_t *v, size_t len)
{
    static const char base[] = "application/grpc";
    size_t n = sizeof base - 1;
    return len >= n && strncasecmp((const char *)v, base, n) == 0 &&
           (len == n || v[n] == '+' || v[n] == ';');
}

static int on_header(nghttp2_session *h2, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *ud)
{
    (void)flags;
    (void)ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* request trailers carry nothing a unary call needs */
    grpc_stream *st = stream_of(h2, frame->hd.stream_id);
    if (!st) return 0;
    st->header_bytes += namelen + valuelen + 32;
    if (st->header_bytes > st->conn->srv->limits.max_header_bytes) return 0; /* refused later */
    if (name_is(name, namelen, ":path")) {
        gh_buf_clear(&st->path);
        gh_buf_append(&st->path, value, valuelen);
    } else if (name_is(name, namelen, ":method")) {
        st->post = valuelen == 4 && memcmp(value, "POST", 4) == 0;
    } else if (name_is(name, namelen, "content-type")) {
        st->grpc_type = is_grpc_type(value, valuelen);
        copy_cut(st->content_type, sizeof st->content_type, value, valuelen);
    } else if (name_is(name, namelen, "grpc-encoding")) {
        copy_cut(st->encoding, sizeof st->encoding, value, valuelen);
    }
    return 0;
}

static int on_data_chunk(nghttp2_session *h2, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *ud)
{
    (void)flags;
    (void)ud;
    grpc_stream *st = stream_of(h2, id);
    if (!st || st->answered) return 0; /* dropped; flow control still credits it */
    grpc_conn *c = st->conn;
    const grpc_limits *l = &c->srv->limits;
    bool had_prefix = st->msg.len >= PREFIX_LEN;
    /* never more than the prefix plus the limit plus one byte (which proves a 2nd message) */
    size_t cap = PREFIX_LEN + l->max_message_bytes + 1;
    size_t take = st->msg.len + len > cap ? cap - st->msg.len : len;
    if (c->buffered + take > l->max_conn_buffer_bytes) {
        reject(c->srv, GRPC_REJECT_MESSAGE_LIMIT);
        stream_fail(st, 200, GRPC_STATUS_RESOURCE_EXHAUSTED,
                    "the connection holds too many unfinished requests (limit %zu bytes)",
                    l->max_conn_buffer_bytes);
        return 0;
    }
    if (gh_buf_append(&st->msg, data, take) < 0) {
        stream_fail(st, 200, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory for the request");
        return 0;
    }
    c->buffered += take;
    if (!had_prefix || st->msg.len > PREFIX_LEN + (size_t)be32(st->msg.data + 1))
        stream_check_prefix(st);
    return 0;
}

static int on_frame_recv(nghttp2_session *h2, const nghttp2_frame *frame, void *ud)
{
    (void)ud;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    grpc_stream *st = stream_of(h2, frame->hd.stream_id);
    if (!st) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
        stream_check_headers(st);
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
        st->ended = true;
        stream_complete(st);
    }
    return 0;
}

/* A response that ended before the request did is followed by RST_STREAM(NO_ERROR), as
 * PROTOCOL-HTTP2.md asks, so the client stops sending the rest. A GOAWAY with an error is
 * nghttp2 (or conn_recv_h2) ending a connection that broke the protocol. */
static int on_frame_send(nghttp2_session *h2, const nghttp2_frame *frame, void *ud)
{
    grpc_conn *c = ud;
    if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR)
        reject(c->srv, GRPC_REJECT_PROTOCOL);
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    grpc_stream *st = stream_of(h2, frame->hd.stream_id);
    if (st && !st->ended)
        nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_NO_ERROR);
    return 0;
}

static int on_stream_close(nghttp2_session *h2, int32_t id, uint32_t error_code, void *ud)
{
    (void)error_code;
    (void)ud;
    grpc_stream *st = stream_of(h2, id);
    if (st) {
        nghttp2_session_set_stream_user_data(h2, id, NULL);
        stream_free(st);
    }
    return 0;
}

static int session_new(grpc_conn *c)
{
    nghttp2_session_callbacks *cbs;
    nghttp2_option *opt;
    if (nghttp2_session_callbacks_new(&cbs) != 0) return -1;
    if (nghttp2_option_new(&opt) != 0) {
        nghttp2_session_callbacks_del(cbs);
        return -1;
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_option_set_no_closed_streams(opt, 1);
    int rc = nghttp2_session_server_new2(&c->h2, cbs, c, opt);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_option_del(opt);
    if (rc != 0) return -1;
    const grpc_limits *l = &c->srv->limits;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, l->max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
         l->max_header_bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)l->max_header_bytes},
    };
    if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, 3) != 0 ||
        nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW) != 0)
        return -1;
    return 0;
}

/* ---- reading ---- */

/* Hands plaintext to nghttp2; a session it cannot continue is ended with GOAWAY. */
static void conn_recv_h2(grpc_conn *c, const uint8_t *data, size_t len)
{
    ssize_t n = nghttp2_session_mem_recv(c->h2, data, len);
    if (n < 0) { /* the GOAWAY is counted when sent (on_frame_send) */
        nghttp2_session_terminate_session(c->h2, NGHTTP2_PROTOCOL_ERROR);
        c->close_after_write = true;
        conn_read(c, false);
    }
}

static void conn_tls_fail(grpc_conn *c)
{
    reject(c->srv, GRPC_REJECT_PROTOCOL);
    tls_drain(c); /* the alert, when OpenSSL made one */
    c->close_after_write = true;
    conn_read(c, false);
}

/* Decrypts what was read (finishing the handshake first) and feeds it to nghttp2. */
static void conn_recv_tls(grpc_conn *c, const char *data, size_t len)
{
    ERR_clear_error();
    if (BIO_write(SSL_get_rbio(c->ssl), data, (int)len) != (int)len) {
        conn_tls_fail(c);
        return;
    }
    if (!SSL_is_init_finished(c->ssl)) {
        int r = SSL_do_handshake(c->ssl);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) tls_drain(c);
            else conn_tls_fail(c);
            return;
        }
        if (tls_drain(c) < 0) {
            conn_tls_fail(c);
            return;
        }
    }
    char *plain = c->srv->plain_buf;
    while (!c->close_after_write && !c->closing) {
        int n = SSL_read(c->ssl, plain, PLAIN_BUF_SIZE);
        if (n > 0) {
            conn_recv_h2(c, (const uint8_t *)plain, (size_t)n);
            continue;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_READ) break;
        if (e == SSL_ERROR_ZERO_RETURN) { /* close_notify: answer what we have, then close */
            c->close_after_write = true;
            conn_read(c, false);
        } else conn_tls_fail(c);
        break;
    }
}

static void conn_arm_timer(grpc_conn *c)
{
    if (c->detached || c->closing || c->draining || c->close_after_write) return;
    const grpc_limits *l = &c->srv->limits;
    bool busy = c->nstreams || (c->ssl && !SSL_is_init_finished(c->ssl));
    uv_timer_start(&c->timer, on_timer, busy ? l->read_timeout_ms : l->idle_timeout_ms, 0);
}

/* GOAWAY naming the last stream seen; unfinished ones are refused (the client may retry them
 * elsewhere); the connection closes once that is written. */
static void conn_goaway(grpc_conn *c)
{
    if (c->closing || c->close_after_write) return;
    c->close_after_write = true;
    conn_read(c, false);
    if (c->ssl && !SSL_is_init_finished(c->ssl)) {
        conn_pump(c);
        return;
    }
    nghttp2_submit_goaway(c->h2, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(c->h2),
                          NGHTTP2_NO_ERROR, NULL, 0);
    for (grpc_stream *st = c->streams; st; st = st->next)
        if (!st->answered)
            nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_REFUSED_STREAM);
    conn_pump(c);
}

static void on_timer(uv_timer_t *t)
{
    grpc_conn *c = t->data;
    if (c->closing) return;
    if (c->draining || c->close_after_write) {
        conn_close(c);
        return;
    }
    reject(c->srv, GRPC_REJECT_TIMEOUT);
    conn_goaway(c);
    /* a peer that reads nothing must not keep us: the linger timer bounds the rest */
    if (!c->closing && !c->draining) uv_timer_start(&c->timer, on_timer, LINGER_MS, 0);
}

/* One buffer per server (loop): libuv calls on_read right after this, and on_read is done
   with it before the next read. */
static void alloc_read_buf(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    grpc_conn *c = h->data;
    *buf = uv_buf_init(c->srv->read_buf, READ_BUF_SIZE);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    grpc_conn *c = stream->data;
    if (nread == 0) return;
    if (nread < 0) {
        conn_close(c); /* EOF or error: what is unanswered is lost with the peer */
        return;
    }
    if (c->draining || c->close_after_write) return; /* dropping what a closing peer sends */
    if (c->ssl) conn_recv_tls(c, buf->base, (size_t)nread);
    else conn_recv_h2(c, (const uint8_t *)buf->base, (size_t)nread);
    conn_pump(c);
    conn_arm_timer(c);
}

/* ---- accepting ---- */


/* The per-connection state beyond the socket: TLS and the HTTP/2 session. */
static int conn_setup(grpc_conn *c)
{
    gh_buf_init(&c->out, 0);
    if (c->srv->tls) {
        c->ssl = SSL_new((SSL_CTX *)c->srv->tls);
        BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
        if (!c->ssl || !rbio || !wbio) {
            BIO_free(rbio);
            BIO_free(wbio);
            return -1;
        }
        SSL_set_bio(c->ssl, rbio, wbio);
        SSL_set_accept_state(c->ssl);
    }
    return session_new(c);
}

static void on_connection(uv_stream_t *listener, int status)
{
    grpc_server *s = listener->data;
    if (status < 0) return;
    grpc_conn *c = calloc(1, sizeof *c);
    if (!c) return; /* the pending connection stays in the backlog until memory returns */
    c->srv = s;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    atomic_fetch_add_explicit(&s->connections_open, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->connections_total, 1, memory_order_relaxed);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    if (s->stopping || s->nconns > s->limits.max_connections) {
        reject(s, GRPC_REJECT_CONN_LIMIT);
        conn_close(c);
        return;
    }
    if (conn_setup(c) < 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    net_peer_name(&c->tcp, c->peer, sizeof c->peer);
    conn_read(c, true);
    conn_pump(c); /* our SETTINGS (h2c: at once; TLS: after the handshake) */
    conn_arm_timer(c);
}

/* ---- TLS context ---- */

/* ALPN: "h2" or nothing; a client offering only other protocols is refused. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    static const unsigned char h2[] = "\x02h2";
    unsigned char *sel;
    if (SSL_select_next_proto(&sel, outlen, h2, sizeof h2 - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *tls_context(const grpc_tls_files *f, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(err, errlen, "TLS: out of memory");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION); /* RFC 9113 9.2 */
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    const char *what = NULL;
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(ctx, f->cert_file) != 1) what = f->cert_file;
    else if (SSL_CTX_use_PrivateKey_file(ctx, f->key_file, SSL_FILETYPE_PEM) != 1)
        what = f->key_file;
    else if (SSL_CTX_check_private_key(ctx) != 1) what = "the key does not match the certificate";
    if (what) {
        char why[256];
        ERR_error_string_n(ERR_get_error(), why, sizeof why);
        snprintf(err, errlen, "TLS: %s: %s", what, why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* ---- the server ---- */

int grpc_server_init(grpc_server *s, uv_loop_t *loop, const grpc_limits *limits)
{
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->limits = *limits;
    gh_buf_init(&s->reply.body, 0);
    gh_buf_init(&s->reply.message, 0);
    gh_buf_init(&s->tls_out, 0);
    s->read_buf = malloc(READ_BUF_SIZE);
    s->plain_buf = malloc(PLAIN_BUF_SIZE);
    return s->read_buf && s->plain_buf ? 0 : UV_ENOMEM;
}

int grpc_server_add_method(grpc_server *s, const char *path, grpc_handler fn, void *ud)
{
    for (size_t i = 0; i < s->nmethods; i++)
        if (strcmp(s->methods[i].path, path) == 0) {
            s->methods[i].fn = fn;
            s->methods[i].ud = ud;
            return 0;
        }
    grpc_method *m = realloc(s->methods, (s->nmethods + 1) * sizeof *m);
    if (!m) return UV_ENOMEM;
    s->methods = m;
    char *p = strdup(path);
    if (!p) return UV_ENOMEM;
    s->methods[s->nmethods++] = (grpc_method){p, fn, ud};
    return 0;
}

int grpc_server_listen(grpc_server *s, const char *host, int port, bool reuseport,
                       const grpc_tls_files *tls, char *err, size_t errlen)
{
    if (tls && !(s->tls = (grpc_ssl_ctx *)tls_context(tls, err, errlen))) return UV_EINVAL;
    int fd = -1;
    int r = net_listen_socket(host, port, reuseport, &fd);
    if (r == 0) {
        uv_tcp_init(s->loop, &s->listener);
        s->listener.data = s;
        s->listening = true;
        r = uv_tcp_open(&s->listener, fd);
        if (r == 0) r = uv_listen((uv_stream_t *)&s->listener, 1024, on_connection);
        if (r < 0) uv_close((uv_handle_t *)&s->listener, NULL);
    }
    if (r < 0) snprintf(err, errlen, "listen on %s:%d: %s", host, port, uv_strerror(r));
    return r;
}

int grpc_server_port(grpc_server *s)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (!s->listening || uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

void grpc_server_stop(grpc_server *s, void (*on_stopped)(grpc_server *s))
{
    s->stopping = true;
    s->on_stopped = on_stopped;
    if (s->listening && !uv_is_closing((uv_handle_t *)&s->listener))
        uv_close((uv_handle_t *)&s->listener, NULL);
    for (grpc_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        conn_goaway(c);
    }
    if (s->nconns == 0 && on_stopped) on_stopped(s);
}

void grpc_server_free(grpc_server *s)
{
    gh_buf_free(&s->reply.body);
    gh_buf_free(&s->reply.message);
    gh_buf_free(&s->tls_out);
    for (size_t i = 0; i < s->nmethods; i++) free(s->methods[i].path);
    free(s->methods);
    s->methods = NULL;
    s->nmethods = 0;
    SSL_CTX_free((SSL_CTX *)s->tls);
    s->tls = NULL;
    free(s->read_buf);
    free(s->plain_buf);
    s->read_buf = s->plain_buf = NULL;
}

long grpc_server_feed_test(grpc_server *s, const uint8_t *data, size_t len)
{
    grpc_conn *c = calloc(1, sizeof *c);
    if (!c) return NGHTTP2_ERR_NOMEM;
    c->srv = s;
    c->detached = true;
    snprintf(c->peer, sizeof c->peer, "fuzz");
    gh_buf_init(&c->out, 0);
    long rc = NGHTTP2_ERR_NOMEM;
    if (session_new(c) == 0) {
        conn_pump(c);
        rc = (long)nghttp2_session_mem_recv(c->h2, data, len);
        conn_pump(c);
    }
    conn_free(c);
    return rc;
}
