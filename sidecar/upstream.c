/* Upstream HTTP exchanges on libuv: a pool of kept-alive connections to one service
 * (IP literal or localhost), a POST written on one, the answer parsed with llhttp and
 * relayed piece by piece, a deadline over the whole exchange. Idle connections are watched,
 * so one the service closes leaves the pool at once, and are closed after IDLE_MS. */
#include "upstream.h"

#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/buf.h"

#define IDLE_MS 2000 /* well under common server keep-alive timeouts (Node: 5 s) */
#define MAX_IDLE 16  /* idle connections kept per pool */

typedef struct up_conn up_conn;

struct upstream_pool {
    uv_loop_t *loop;
    struct sockaddr_storage addr;
    char host_header[80];
    up_conn *idle; /* most recently used first */
    size_t nidle;
    uv_timer_t sweep;
    int handles; /* open handles: the sweep timer and every connection */
    bool closing;
};

/* A connection to the service: with an exchange, or idle in the pool. */
struct up_conn {
    uv_tcp_t tcp;
    uv_connect_t connect;
    upstream_pool *pool;
    upstream_exchange *x; /* NULL while idle */
    up_conn *next;        /* in the idle list */
    uint64_t idle_since;
};

struct upstream_exchange {
    upstream_pool *pool;
    up_conn *up_conn;
    uv_timer_t timer;
    uv_write_t write;
    llhttp_t parser;
    llhttp_settings_t settings;
    char *request;
    size_t request_len;
    gh_buf header_name, content_type;
    bool in_content_type, complete, answered, paused, reusable;
    const upstream_stream *stream;
    void *ud;
    char readbuf[16384];
};

/* ---- links ---- */

static void pool_release_handle(upstream_pool *p)
{
    if (--p->handles == 0 && p->closing) free(p);
}

static void on_conn_closed(uv_handle_t *h)
{
    up_conn *l = h->data;
    upstream_pool *p = l->pool;
    free(l);
    pool_release_handle(p);
}

static void conn_close(up_conn *l)
{
    if (!uv_is_closing((uv_handle_t *)&l->tcp)) uv_close((uv_handle_t *)&l->tcp, on_conn_closed);
}

static void idle_remove(up_conn *l)
{
    upstream_pool *p = l->pool;
    for (up_conn **pp = &p->idle; *pp; pp = &(*pp)->next)
        if (*pp == l) {
            *pp = l->next;
            p->nidle--;
            return;
        }
}

static void idle_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h, (void)suggested;
    static char sink[512];
    *buf = uv_buf_init(sink, sizeof sink);
}

/* An idle connection that reads anything (the service closing it, or bytes it should not
 * send) is not fit for another exchange. */
static void idle_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    if (n == 0) return;
    up_conn *l = s->data;
    idle_remove(l);
    conn_close(l);
}

/* The exchange is over: the connection goes back to the pool when it may carry another. */
static void conn_done(up_conn *l, bool reusable)
{
    upstream_pool *p = l->pool;
    l->x = NULL;
    uv_read_stop((uv_stream_t *)&l->tcp);
    if (!reusable || p->closing || p->nidle >= MAX_IDLE ||
        uv_read_start((uv_stream_t *)&l->tcp, idle_alloc, idle_read) < 0) {
        conn_close(l);
        return;
    }
    l->idle_since = uv_now(p->loop);
    l->next = p->idle;
    p->idle = l;
    p->nidle++;
}

static void on_sweep(uv_timer_t *t)
{
    upstream_pool *p = t->data;
    uint64_t now = uv_now(p->loop);
    for (up_conn **pp = &p->idle; *pp;) {
        up_conn *l = *pp;
        if (now - l->idle_since < IDLE_MS) {
            pp = &l->next;
            continue;
        }
        *pp = l->next;
        p->nidle--;
        conn_close(l);
    }
}

/* ---- the exchange ---- */

static void on_exchange_closed(uv_handle_t *h)
{
    upstream_exchange *x = h->data;
    gh_buf_free(&x->header_name);
    gh_buf_free(&x->content_type);
    free(x->request);
    free(x);
}

static void finish(upstream_exchange *x, const char *err)
{
    if (x->answered) return;
    x->answered = true;
    if (x->up_conn) conn_done(x->up_conn, !err && x->reusable);
    x->up_conn = NULL;
    x->stream->end(x->ud, err);
    uv_timer_stop(&x->timer);
    uv_close((uv_handle_t *)&x->timer, on_exchange_closed);
}

static upstream_exchange *of(llhttp_t *p) { return p->data; }

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
    upstream_exchange *x = of(p);
    x->in_content_type = false;
    gh_buf_append(&x->header_name, at, n);
    return 0;
}

static int on_header_field_complete(llhttp_t *p)
{
    upstream_exchange *x = of(p);
    x->in_content_type = x->header_name.len == 12 && strncasecmp(x->header_name.data, "content-type", 12) == 0;
    gh_buf_clear(&x->header_name);
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
    upstream_exchange *x = of(p);
    if (x->in_content_type) gh_buf_append(&x->content_type, at, n);
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    upstream_exchange *x = of(p);
    x->stream->head(x->ud, llhttp_get_status_code(p), x->content_type.len ? x->content_type.data : NULL);
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
    upstream_exchange *x = of(p);
    return x->stream->body(x->ud, at, n) ? 0 : -1;
}

static int on_message_complete(llhttp_t *p)
{
    upstream_exchange *x = of(p);
    x->complete = true;
    x->reusable = llhttp_should_keep_alive(p);
    return HPE_PAUSED;
}

static void alloc_buf(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    up_conn *l = h->data;
    *buf = uv_buf_init(l->x->readbuf, sizeof l->x->readbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    up_conn *l = s->data;
    upstream_exchange *x = l->x;
    if (n == 0 || !x) return;
    if (n < 0) { /* EOF ends an answer without a length */
        x->reusable = false;
        if (n == UV_EOF && (x->complete || (llhttp_finish(&x->parser) == HPE_OK && x->complete))) finish(x, NULL);
        else finish(x, n == UV_EOF ? "the upstream closed before answering" : uv_strerror((int)n));
        return;
    }
    llhttp_errno_t e = llhttp_execute(&x->parser, buf->base, (size_t)n);
    if (x->complete) {
        if (llhttp_get_error_pos(&x->parser) != buf->base + n) x->reusable = false; /* bytes after it */
        finish(x, NULL);
    } else if (e != HPE_OK) {
        finish(x, e == HPE_USER ? "the client went away" : "malformed answer from the upstream");
    }
}

static void on_write(uv_write_t *w, int status)
{
    upstream_exchange *x = w->data;
    if (status < 0) finish(x, uv_strerror(status));
}

/* Sends the request on the exchange's connection and reads the answer. */
static void exchange_send(upstream_exchange *x)
{
    uv_buf_t b = uv_buf_init(x->request, (unsigned)x->request_len);
    x->write.data = x;
    if (uv_write(&x->write, (uv_stream_t *)&x->up_conn->tcp, &b, 1, on_write) < 0 ||
        uv_read_start((uv_stream_t *)&x->up_conn->tcp, alloc_buf, on_read) < 0)
        finish(x, "cannot talk to the upstream");
}

static void on_connect(uv_connect_t *c, int status)
{
    up_conn *l = c->data;
    upstream_exchange *x = l->x;
    if (!x) return; /* the exchange ended (timeout) and let go of this connection */
    if (status < 0) {
        x->up_conn = NULL;
        conn_close(l);
        finish(x, uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&l->tcp, 1);
    exchange_send(x);
}

static void on_timeout(uv_timer_t *t)
{
    upstream_exchange *x = t->data;
    if (x->up_conn) { /* cut mid-exchange: the connection cannot carry another */
        x->up_conn->x = NULL;
        conn_close(x->up_conn);
        x->up_conn = NULL;
    }
    finish(x, "the upstream did not answer in time");
}

/* An idle connection, or a new one (connecting). */
static up_conn *pool_take(upstream_pool *p, upstream_exchange *x)
{
    up_conn *l = p->idle;
    if (l) {
        p->idle = l->next;
        p->nidle--;
        uv_read_stop((uv_stream_t *)&l->tcp);
        l->x = x;
        return l;
    }
    if (!(l = calloc(1, sizeof *l))) return NULL;
    l->pool = p;
    l->x = x;
    uv_tcp_init(p->loop, &l->tcp);
    l->tcp.data = l->connect.data = l;
    p->handles++;
    if (uv_tcp_connect(&l->connect, &l->tcp, (struct sockaddr *)&p->addr, on_connect) < 0) {
        conn_close(l);
        return NULL;
    }
    return l;
}

static int build_request(upstream_exchange *x, const char *path, const char *headers, const char *body,
                         size_t len)
{
    gh_buf req;
    gh_buf_init(&req, 0);
    gh_buf_printf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %zu\r\n%s\r\n", path,
                  x->pool->host_header, len, headers ? headers : "");
    gh_buf_append(&req, body, len);
    if (req.failed) {
        gh_buf_free(&req);
        return -1;
    }
    x->request = gh_buf_take(&req, &x->request_len);
    return 0;
}

int upstream_post(upstream_pool *p, const char *path, const char *headers, const char *body, size_t len,
                  uint64_t timeout_ms, const upstream_stream *cb, void *ud, upstream_exchange **out)
{
    if (p->closing) return -1;
    upstream_exchange *x = calloc(1, sizeof *x);
    if (!x) return -1;
    x->pool = p;
    x->stream = cb;
    x->ud = ud;
    if (build_request(x, path, headers, body, len) < 0) {
        free(x);
        return -1;
    }
    gh_buf_init(&x->header_name, 4096);
    gh_buf_init(&x->content_type, 4096);
    llhttp_settings_init(&x->settings);
    x->settings.on_header_field = on_header_field;
    x->settings.on_header_field_complete = on_header_field_complete;
    x->settings.on_header_value = on_header_value;
    x->settings.on_headers_complete = on_headers_complete;
    x->settings.on_body = on_body;
    x->settings.on_message_complete = on_message_complete;
    llhttp_init(&x->parser, HTTP_RESPONSE, &x->settings);
    x->parser.data = x;
    uv_timer_init(p->loop, &x->timer);
    x->timer.data = x;
    if (out) *out = x;
    uv_timer_start(&x->timer, on_timeout, timeout_ms, 0);
    bool reused = p->idle != NULL;
    if (!(x->up_conn = pool_take(p, x))) finish(x, "cannot connect to the upstream");
    else if (reused) exchange_send(x);
    return 0;
}

void upstream_pause(upstream_exchange *x)
{
    if (x->paused || x->answered || !x->up_conn) return;
    x->paused = true;
    uv_read_stop((uv_stream_t *)&x->up_conn->tcp);
}

void upstream_resume(upstream_exchange *x)
{
    if (!x->paused || x->answered || !x->up_conn) return;
    x->paused = false;
    uv_read_start((uv_stream_t *)&x->up_conn->tcp, alloc_buf, on_read);
}

/* ---- pools ---- */

upstream_pool *upstream_pool_new(uv_loop_t *loop, const char *url)
{
    char host[64];
    int port;
    if (upstream_parse_url(url, host, sizeof host, &port) < 0) return NULL;
    upstream_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&p->addr) < 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&p->addr) < 0) {
        free(p);
        return NULL;
    }
    snprintf(p->host_header, sizeof p->host_header, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
    p->loop = loop;
    uv_timer_init(loop, &p->sweep);
    p->sweep.data = p;
    p->handles = 1;
    uv_timer_start(&p->sweep, on_sweep, IDLE_MS / 2, IDLE_MS / 2);
    uv_unref((uv_handle_t *)&p->sweep);
    return p;
}

static void on_sweep_closed(uv_handle_t *h) { pool_release_handle(h->data); }

void upstream_pool_close(upstream_pool *p)
{
    if (!p || p->closing) return;
    p->closing = true;
    while (p->idle) {
        up_conn *l = p->idle;
        p->idle = l->next;
        p->nidle--;
        conn_close(l);
    }
    uv_close((uv_handle_t *)&p->sweep, on_sweep_closed); /* the last handle frees the pool */
}

int upstream_parse_url(const char *url, char *host, size_t hostlen, int *port)
{
    if (strncmp(url, "http://", 7) != 0) return -1;
    const char *h = url + 7, *colon = strrchr(h, ':');
    if (!colon || colon == h) return -1;
    size_t n = (size_t)(colon - h);
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if ((*end && strcmp(end, "/") != 0) || p <= 0 || p > 65535 || n >= hostlen) return -1;
    memcpy(host, h, n);
    host[n] = 0;
    if (strcmp(host, "localhost") == 0) snprintf(host, hostlen, "127.0.0.1");
    *port = (int)p;
    return 0;
}
