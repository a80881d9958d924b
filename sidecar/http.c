/* HTTP/1.1 connections: llhttp parses what libuv reads, each complete request goes to the
 * handler at once (so pipelined requests are answered in order), and the responses produced
 * by one read are written together. Limits are enforced while parsing; a request the server
 * refuses gets its 4xx, then the connection is shut down gracefully (the rest of what the
 * client sends is read and dropped for a moment, so it sees the answer, not a reset). */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <llhttp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gatehouse/value.h"
#include "net.h"

#define READ_BUF_SIZE (64 * 1024)
#define MAX_PENDING_WRITE (1024 * 1024) /* stop reading a client that does not read answers */
#define LINGER_MS 2000                  /* how long a refused client may keep sending */
#define MAX_LEFTOVER (1024 * 1024)      /* bytes read ahead while an answer is deferred */

typedef struct header_span {
    size_t name_off, name_len, value_off, value_len;
} header_span;

struct http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    http_server *srv;
    http_conn *prev, *next;
    llhttp_t parser;
    gh_buf head; /* request target, then header names and values, back to back */
    size_t url_len;
    header_span *spans;
    size_t nspans, spans_cap;
    http_header *headers; /* built from spans when the request is complete */
    size_t headers_cap;
    int last_cb; /* 1 after a header field piece, 2 after a value piece */
    gh_buf body;
    int refuse_status; /* set by a parser callback that hit a limit */
    bool in_message;   /* a request has begun and is not complete */
    bool read_timer;   /* the timer runs the read timeout (else the idle timeout) */
    gh_buf out;        /* responses not yet handed to the socket */
    size_t writing;    /* bytes handed to libuv and not yet written */
    bool close_after_write, draining, closing, reading;
    int open_handles;
    char peer[64];
    /* a deferred request (http_defer): nothing more is parsed until its answer comes */
    bool waiting, wait_keep, wait_http10, wait_head;
    bool peer_eof;     /* the client stopped sending while waiting: answer, then close */
    bool closed;       /* handles closed while waiting: freed by http_respond */
    bool streaming, stream_chunked; /* http_stream_begin has sent the head */
    void (*drain_fn)(void *ud);     /* http_stream_on_drain */
    void *drain_ud;
    gh_buf leftover;   /* bytes read after the deferred request, parsed once it is answered */
};


uint64_t http_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *http_status_text(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

void http_error(http_response *resp, int status, const char *code, const char *message)
{
    resp->status = status;
    gh_buf_clear(&resp->body);
    gh_buf_puts(&resp->body, "{\"code\":");
    gh_json_write_str(&resp->body, code, strlen(code));
    gh_buf_puts(&resp->body, ",\"message\":");
    gh_json_write_str(&resp->body, message, strlen(message));
    gh_buf_puts(&resp->body, "}\n");
}

const http_header *http_request_header(const http_request *req, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < req->nheaders; i++)
        if (req->headers[i].name_len == n && strncasecmp(req->headers[i].name, name, n) == 0)
            return &req->headers[i];
    return NULL;
}

/* ---- closing ---- */

static void conn_free(http_conn *c)
{
    http_server *s = c->srv;
    if (c->prev) c->prev->next = c->next;
    else s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s->nconns--;
    atomic_fetch_sub_explicit(&s->connections_open, 1, memory_order_relaxed);
    gh_buf_free(&c->head);
    gh_buf_free(&c->body);
    gh_buf_free(&c->out);
    gh_buf_free(&c->leftover);
    free(c->spans);
    free(c->headers);
    free(c);
    if (s->stopping && s->nconns == 0 && s->on_stopped) s->on_stopped(s);
}

static void on_handle_closed(uv_handle_t *h)
{
    http_conn *c = h->data;
    if (--c->open_handles > 0) return;
    if (c->waiting) c->closed = true; /* its pending answer still points here */
    else conn_free(c);
}

static void conn_close(http_conn *c)
{
    if (c->closing) return;
    c->closing = true;
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    http_conn *c = req->data;
    free(req);
    if (status < 0) conn_close(c);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);
static void alloc_read_buf(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_timer(uv_timer_t *t);

/* Every answer is out: half-close, then read and drop what the client still sends until it
 * closes too or LINGER_MS pass, so a refused upload does not turn our answer into a reset. */
static void conn_linger(http_conn *c)
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
    if (!c->reading && !c->srv->stopping) {
        uv_read_start((uv_stream_t *)&c->tcp, alloc_read_buf, on_read);
        c->reading = true;
    }
    uv_timer_start(&c->timer, on_timer, c->srv->stopping ? 0 : LINGER_MS, 0);
}

/* ---- writing ---- */

static void conn_after_write(http_conn *c)
{
    if (c->closing) return;
    if (c->drain_fn && c->writing + c->out.len < MAX_PENDING_WRITE / 2) {
        void (*fn)(void *) = c->drain_fn;
        c->drain_fn = NULL;
        fn(c->drain_ud);
        if (c->closing) return;
    }
    if (c->close_after_write && c->writing == 0 && c->out.len == 0) {
        conn_linger(c);
        return;
    }
    if (!c->reading && c->writing < MAX_PENDING_WRITE / 2 && !c->close_after_write &&
        !c->srv->stopping) {
        uv_read_start((uv_stream_t *)&c->tcp, alloc_read_buf, on_read);
        c->reading = true;
    }
}

static void on_write(uv_write_t *req, int status)
{
    net_write *w = (net_write *)req;
    http_conn *c = w->owner;
    c->writing -= w->len;
    free(w);
    if (status < 0) {
        conn_close(c);
        return;
    }
    conn_after_write(c);
}

/* Hands the buffered responses to the socket: directly when it takes them, else queued. */
static void conn_flush(http_conn *c)
{
    if (c->closing || c->out.len == 0) {
        conn_after_write(c);
        return;
    }
    if (net_flush((uv_stream_t *)&c->tcp, &c->out, &c->writing, c, on_write) < 0) {
        conn_close(c);
        return;
    }
    if (c->writing > MAX_PENDING_WRITE && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
    conn_after_write(c);
}

static void conn_put_response(http_conn *c, const http_response *r, bool keep_alive,
                              bool http10, bool head)
{
    gh_buf *o = &c->out;
    gh_buf_printf(o, "HTTP/1.1 %d %s\r\n", r->status, http_status_text(r->status));
    const char *ct = r->content_type ? r->content_type : "application/json";
    if (*ct) gh_buf_printf(o, "Content-Type: %s\r\n", ct);
    gh_buf_printf(o, "Content-Length: %zu\r\n", r->body.len);
    if (!keep_alive) gh_buf_puts(o, "Connection: close\r\n");
    else if (http10) gh_buf_puts(o, "Connection: keep-alive\r\n");
    if (r->headers.len) gh_buf_append(o, r->headers.data, r->headers.len);
    gh_buf_puts(o, "\r\n");
    if (r->body.len && !head) gh_buf_append(o, r->body.data, r->body.len);
}

static void response_reset(http_response *r)
{
    r->status = 200;
    r->content_type = NULL;
    r->close = false;
    gh_buf_clear(&r->headers);
    gh_buf_clear(&r->body);
}

/* The server's own refusal (limits, malformed, timeout): answer, then close. */
static void conn_refuse(http_conn *c, int status, const char *code, const char *message)
{
    http_server *s = c->srv;
    http_reject why = status == 431   ? HTTP_REJECT_HEADER_LIMIT
                      : status == 413 ? HTTP_REJECT_BODY_LIMIT
                      : status == 408 ? HTTP_REJECT_TIMEOUT
                                      : HTTP_REJECT_MALFORMED;
    atomic_fetch_add_explicit(&s->rejected[why], 1, memory_order_relaxed);
    response_reset(&s->resp);
    http_error(&s->resp, status, code, message);
    conn_put_response(c, &s->resp, false, false, false);
    c->close_after_write = true;
    c->in_message = false;
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
    conn_flush(c);
}

/* ---- parsing ---- */

static http_conn *conn_of(llhttp_t *p) { return p->data; }

static int over_limit(http_conn *c, int status, const char *why)
{
    c->refuse_status = status;
    llhttp_set_error_reason(&c->parser, why);
    return HPE_USER;
}

static int head_append(http_conn *c, const char *at, size_t len)
{
    if (c->head.len + len > c->srv->limits.max_header_bytes)
        return over_limit(c, 431, "request header fields too large");
    if (gh_buf_append(&c->head, at, len) < 0) return over_limit(c, 503, "out of memory");
    return 0;
}

static int on_message_begin(llhttp_t *p)
{
    http_conn *c = conn_of(p);
    gh_buf_clear(&c->head);
    gh_buf_clear(&c->body);
    c->url_len = 0;
    c->nspans = 0;
    c->last_cb = 0;
    c->in_message = true;
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    http_conn *c = conn_of(p);
    c->url_len += len;
    return head_append(c, at, len);
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    http_conn *c = conn_of(p);
    if (c->last_cb != 1) {
        if (c->nspans == c->srv->limits.max_headers)
            return over_limit(c, 431, "too many header fields");
        if (c->nspans == c->spans_cap) {
            size_t cap = c->spans_cap ? c->spans_cap * 2 : 16;
            header_span *n = realloc(c->spans, cap * sizeof *n);
            if (!n) return over_limit(c, 503, "out of memory");
            c->spans = n;
            c->spans_cap = cap;
        }
        c->spans[c->nspans++] = (header_span){.name_off = c->head.len};
        c->last_cb = 1;
    }
    c->spans[c->nspans - 1].name_len += len;
    return head_append(c, at, len);
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    http_conn *c = conn_of(p);
    header_span *h = &c->spans[c->nspans - 1];
    if (c->last_cb != 2) {
        h->value_off = c->head.len;
        c->last_cb = 2;
    }
    h->value_len += len;
    return head_append(c, at, len);
}

static bool expects_continue(http_conn *c)
{
    for (size_t i = 0; i < c->nspans; i++) {
        header_span *h = &c->spans[i];
        if (h->name_len == 6 && strncasecmp(c->head.data + h->name_off, "expect", 6) == 0 &&
            h->value_len == 12 && strncasecmp(c->head.data + h->value_off, "100-continue", 12) == 0)
            return true;
    }
    return false;
}

static int on_headers_complete(llhttp_t *p)
{
    http_conn *c = conn_of(p);
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > c->srv->limits.max_body_bytes)
        return over_limit(c, 413, "request body too large");
    if (expects_continue(c)) gh_buf_puts(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    http_conn *c = conn_of(p);
    if (c->body.len + len > c->srv->limits.max_body_bytes)
        return over_limit(c, 413, "request body too large");
    if (gh_buf_append(&c->body, at, len) < 0) return over_limit(c, 503, "out of memory");
    return 0;
}

/* Turns the spans into the request the handler sees (the head buffer no longer moves). */
static int conn_build_request(http_conn *c, http_request *req)
{
    if (c->nspans > c->headers_cap) {
        http_header *n = realloc(c->headers, c->nspans * sizeof *n);
        if (!n) return -1;
        c->headers = n;
        c->headers_cap = c->nspans;
    }
    const char *h = c->head.data ? c->head.data : "";
    for (size_t i = 0; i < c->nspans; i++) {
        header_span *s = &c->spans[i];
        c->headers[i] = (http_header){h + s->name_off, s->value_len ? h + s->value_off : "",
                                      s->name_len, s->value_len};
    }
    const char *q = memchr(h, '?', c->url_len);
    *req = (http_request){
        .method = llhttp_method_name((llhttp_method_t)llhttp_get_method(&c->parser)),
        .path = h,
        .path_len = q ? (size_t)(q - h) : c->url_len,
        .query = q ? q + 1 : NULL,
        .query_len = q ? c->url_len - (size_t)(q - h) - 1 : 0,
        .headers = c->headers,
        .nheaders = c->nspans,
        .body = c->body.len ? c->body.data : NULL,
        .body_len = c->body.len,
        .peer = c->peer,
        .start_ns = http_now_ns(),
    };
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    http_conn *c = conn_of(p);
    http_server *s = c->srv;
    c->in_message = false;
    http_request req;
    if (conn_build_request(c, &req) < 0) return over_limit(c, 503, "out of memory");
    response_reset(&s->resp);
    req.conn = c;
    s->handler(s->ud, &req, &s->resp);
    if (c->waiting) { /* http_defer: the answer comes later; parsing stops here */
        c->wait_keep = llhttp_should_keep_alive(p) && !s->stopping;
        c->wait_http10 = p->http_major == 1 && p->http_minor == 0;
        c->wait_head = llhttp_get_method(p) == HTTP_HEAD;
        return HPE_PAUSED;
    }
    bool keep = llhttp_should_keep_alive(p) && !s->resp.close && !s->stopping;
    conn_put_response(c, &s->resp, keep, p->http_major == 1 && p->http_minor == 0,
                      llhttp_get_method(p) == HTTP_HEAD);
    if (!keep) {
        c->close_after_write = true;
        return HPE_PAUSED; /* nothing after this request is read */
    }
    return 0;
}

static const llhttp_settings_t parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- reading and timers ---- */

static void conn_arm_timer(http_conn *c)
{
    if (c->closing || c->draining) return;
    if (c->in_message) {
        if (!c->read_timer)
            uv_timer_start(&c->timer, on_timer, c->srv->limits.read_timeout_ms, 0);
        c->read_timer = true;
    } else {
        uv_timer_start(&c->timer, on_timer, c->srv->limits.idle_timeout_ms, 0);
        c->read_timer = false;
    }
}

static void on_timer(uv_timer_t *t)
{
    http_conn *c = t->data;
    if (c->closing) return;
    if (c->draining || !c->read_timer) {
        conn_close(c);
        return;
    }
    conn_refuse(c, 408, "request_timeout", "the request did not arrive in time");
}

/* One buffer per server (loop): libuv calls on_read right after this, and on_read copies
   what it keeps before the next read. */
static void alloc_read_buf(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    http_conn *c = h->data;
    *buf = uv_buf_init(c->srv->read_buf, READ_BUF_SIZE);
}

/* A deferred request paused the parser: keep what follows it, stop reading and timing. */
/* The request is deferred: what follows it waits in leftover. Reading goes on (no two
 * epoll_ctl calls per deferred request) until MAX_LEFTOVER bytes wait. */
static void conn_wait(http_conn *c, const char *data, size_t len)
{
    const char *at = llhttp_get_error_pos(&c->parser);
    if (at && at >= data && at < data + len) gh_buf_append(&c->leftover, at, (size_t)(data + len - at));
    if (c->reading && c->leftover.len > MAX_LEFTOVER) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
    uv_timer_stop(&c->timer);
}

static void conn_parse(http_conn *c, const char *data, size_t len)
{
    llhttp_errno_t e = llhttp_execute(&c->parser, data, len);
    if (e == HPE_PAUSED && c->waiting) {
        conn_wait(c, data, len);
        conn_flush(c); /* the answers before it */
        return;
    }
    if (e == HPE_OK || e == HPE_PAUSED) {
        conn_flush(c);
        if (!c->close_after_write) conn_arm_timer(c);
        return;
    }
    int status = c->refuse_status ? c->refuse_status : 400;
    char msg[200];
    if (status == 400)
        snprintf(msg, sizeof msg, "malformed HTTP request: %s",
                 llhttp_get_error_reason(&c->parser));
    else snprintf(msg, sizeof msg, "%s", llhttp_get_error_reason(&c->parser));
    const char *code = status == 400   ? "invalid_parameter"
                       : status == 503 ? "internal_error"
                                       : "request_too_large";
    conn_refuse(c, status, code, msg);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    http_conn *c = stream->data;
    (void)buf;
    if (nread == 0) return;
    if (nread == UV_EOF && c->waiting) { /* it has said all: the deferred answer still goes out */
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
        c->peer_eof = true;
        return;
    }
    if (nread < 0) {
        /* EOF or error: a half-received request is dropped; answers still queued are lost
           with the peer, as it asked. */
        conn_close(c);
        return;
    }
    if (c->draining || c->close_after_write) return; /* dropping what a refused client sends */
    if (c->waiting) {
        gh_buf_append(&c->leftover, buf->base, (size_t)nread);
        if (c->leftover.len > MAX_LEFTOVER) {
            uv_read_stop((uv_stream_t *)&c->tcp);
            c->reading = false;
        }
        return;
    }
    conn_parse(c, buf->base, (size_t)nread);
}

/* ---- accepting ---- */


static void on_connection(uv_stream_t *listener, int status)
{
    http_server *s = listener->data;
    if (status < 0) return;
    http_conn *c = calloc(1, sizeof *c);
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
        atomic_fetch_add_explicit(&s->rejected[HTTP_REJECT_CONN_LIMIT], 1, memory_order_relaxed);
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    net_peer_name(&c->tcp, c->peer, sizeof c->peer);
    gh_buf_init(&c->head, 0);
    gh_buf_init(&c->body, 0);
    gh_buf_init(&c->out, 0);
    gh_buf_init(&c->leftover, 0);
    llhttp_init(&c->parser, HTTP_REQUEST, &parser_settings);
    c->parser.data = c;
    uv_read_start((uv_stream_t *)&c->tcp, alloc_read_buf, on_read);
    c->reading = true;
    conn_arm_timer(c);
}


int http_server_listen(http_server *s, uv_loop_t *loop, const char *host, int port,
                       bool reuseport, const http_limits *limits, http_handler handler,
                       void *ud, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->limits = *limits;
    s->handler = handler;
    s->ud = ud;
    gh_buf_init(&s->resp.headers, 0);
    gh_buf_init(&s->resp.body, 0);
    s->read_buf = malloc(READ_BUF_SIZE);
    if (!s->read_buf) {
        snprintf(err, errlen, "out of memory");
        return UV_ENOMEM;
    }
    int fd = -1;
    int r = net_listen_socket(host, port, reuseport, &fd);
    if (r == 0) {
        uv_tcp_init(loop, &s->listener);
        s->listener.data = s;
        r = uv_tcp_open(&s->listener, fd);
        if (r == 0) r = uv_listen((uv_stream_t *)&s->listener, 1024, on_connection);
        if (r < 0) uv_close((uv_handle_t *)&s->listener, NULL);
    }
    if (r < 0) snprintf(err, errlen, "listen on %s:%d: %s", host, port, uv_strerror(r));
    return r;
}

void http_server_stop(http_server *s, void (*on_stopped)(http_server *s))
{
    s->stopping = true;
    s->on_stopped = on_stopped;
    if (!uv_is_closing((uv_handle_t *)&s->listener)) uv_close((uv_handle_t *)&s->listener, NULL);
    for (http_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (c->reading) {
            uv_read_stop((uv_stream_t *)&c->tcp);
            c->reading = false;
        }
        c->close_after_write = true;
        if (c->writing == 0 && !c->waiting) conn_close(c); /* a deferred one closes once answered */
    }
    if (s->nconns == 0 && on_stopped) on_stopped(s);
}

http_conn *http_defer(const http_request *req)
{
    http_conn *c = req->conn;
    c->waiting = true;
    return c;
}

/* The deferred request is answered: go on with the connection (or close it). */
static void conn_answered(http_conn *c, bool keep)
{
    if (!keep || c->close_after_write) {
        c->close_after_write = true;
        conn_flush(c);
        return;
    }
    llhttp_resume(&c->parser);
    if (c->leftover.len) { /* pipelined requests that came meanwhile */
        size_t n;
        char *rest = gh_buf_take(&c->leftover, &n);
        conn_parse(c, rest, n);
        free(rest);
    } else {
        conn_flush(c);
        conn_arm_timer(c);
    }
    if (!c->waiting && !c->closing && !c->close_after_write && !c->reading) {
        uv_read_start((uv_stream_t *)&c->tcp, alloc_read_buf, on_read);
        c->reading = true;
    }
}

void http_respond(http_conn *c, const http_response *r)
{
    if (!c->waiting) return;
    c->waiting = false;
    if (c->closed) { /* the client went away meanwhile */
        conn_free(c);
        return;
    }
    if (c->closing) return;
    bool keep = c->wait_keep && !r->close && !c->srv->stopping && !c->peer_eof;
    conn_put_response(c, r, keep, c->wait_http10, c->wait_head);
    conn_answered(c, keep);
}

void http_stream_begin(http_conn *c, int status, const char *content_type)
{
    if (!c->waiting || c->streaming || c->closing) return;
    c->streaming = true;
    c->stream_chunked = !c->wait_http10 && !c->wait_head;
    gh_buf *o = &c->out;
    gh_buf_printf(o, "HTTP/1.1 %d %s\r\n", status, http_status_text(status));
    if (content_type && *content_type) gh_buf_printf(o, "Content-Type: %s\r\n", content_type);
    if (c->stream_chunked) gh_buf_puts(o, "Transfer-Encoding: chunked\r\n");
    if (!c->stream_chunked || !c->wait_keep || c->srv->stopping || c->peer_eof)
        gh_buf_puts(o, "Connection: close\r\n");
    gh_buf_puts(o, "\r\n");
    conn_flush(c);
}

bool http_stream_write(http_conn *c, const char *data, size_t len)
{
    if (!c->streaming || c->closing || c->closed) return false;
    if (len == 0 || c->wait_head) return true;
    if (c->stream_chunked) gh_buf_printf(&c->out, "%zx\r\n", len);
    gh_buf_append(&c->out, data, len);
    if (c->stream_chunked) gh_buf_puts(&c->out, "\r\n");
    if (c->out.failed) {
        conn_close(c);
        return false;
    }
    conn_flush(c);
    return !c->closing;
}

size_t http_stream_pending(const http_conn *c) { return c->writing + c->out.len; }

void http_stream_on_drain(http_conn *c, void (*fn)(void *ud), void *ud)
{
    c->drain_fn = fn, c->drain_ud = ud;
}

void http_stream_end(http_conn *c, bool complete)
{
    if (!c->waiting) return;
    c->waiting = false;
    c->drain_fn = NULL;
    bool streamed = c->streaming;
    c->streaming = false;
    if (c->closed) {
        conn_free(c);
        return;
    }
    if (c->closing) return;
    if (!streamed || !complete) { /* a cut answer: only closing says so */
        c->close_after_write = true;
        conn_flush(c);
        return;
    }
    if (c->stream_chunked) gh_buf_puts(&c->out, "0\r\n\r\n");
    conn_answered(c, c->stream_chunked && c->wait_keep && !c->srv->stopping && !c->peer_eof);
}

void http_server_free(http_server *s)
{
    gh_buf_free(&s->resp.headers);
    gh_buf_free(&s->resp.body);
    free(s->read_buf);
    s->read_buf = NULL;
}
