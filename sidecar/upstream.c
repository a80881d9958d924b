/* One upstream HTTP exchange on libuv: getaddrinfo-free (IP literals or localhost), connect,
 * write, parse the response with llhttp, time out, answer once. */
#include "upstream.h"

#include <llhttp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/buf.h"

#define MAX_RESPONSE (64u * 1024 * 1024)

typedef struct upstream_exchange {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t connect;
    uv_write_t write;
    llhttp_t parser;
    llhttp_settings_t settings;
    char *request;
    size_t request_len;
    gh_buf body, header_name, content_type;
    bool in_content_type, complete, answered;
    int open_handles;
    upstream_done done;
    const upstream_stream *stream; /* set: the answer is relayed, not collected */
    bool paused;
    void *ud;
    char readbuf[16384];
} exchange;

static void on_closed(uv_handle_t *h)
{
    exchange *x = h->data;
    if (--x->open_handles > 0) return;
    gh_buf_free(&x->body);
    gh_buf_free(&x->header_name);
    gh_buf_free(&x->content_type);
    free(x->request);
    free(x);
}

/* The collected answer, to upstream_post's callback. */
static void reply_whole(exchange *x, const char *err)
{
    upstream_reply r = {.err = err};
    if (!err) {
        r.status = llhttp_get_status_code(&x->parser);
        r.content_type = x->content_type.len ? x->content_type.data : NULL;
        r.body = x->body.data ? x->body.data : "";
        r.body_len = x->body.len;
    }
    x->done(x->ud, &r);
}

static void finish(exchange *x, const char *err)
{
    if (x->answered) return;
    x->answered = true;
    if (x->stream) x->stream->end(x->ud, err);
    else reply_whole(x, err);
    uv_timer_stop(&x->timer);
    if (!uv_is_closing((uv_handle_t *)&x->tcp)) uv_close((uv_handle_t *)&x->tcp, on_closed);
    if (!uv_is_closing((uv_handle_t *)&x->timer)) uv_close((uv_handle_t *)&x->timer, on_closed);
}

/* ---- the response ---- */

static exchange *of(llhttp_t *p) { return p->data; }

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
    exchange *x = of(p);
    if (x->in_content_type) x->in_content_type = false;
    gh_buf_append(&x->header_name, at, n);
    return 0;
}

static int on_header_field_complete(llhttp_t *p)
{
    exchange *x = of(p);
    x->in_content_type = x->header_name.len == 12 && strncasecmp(x->header_name.data, "content-type", 12) == 0;
    gh_buf_clear(&x->header_name);
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
    exchange *x = of(p);
    if (x->in_content_type) gh_buf_append(&x->content_type, at, n);
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    exchange *x = of(p);
    if (x->stream)
        x->stream->head(x->ud, llhttp_get_status_code(p), x->content_type.len ? x->content_type.data : NULL);
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
    exchange *x = of(p);
    if (x->stream)
        return x->stream->body(x->ud, at, n) ? 0 : -1;
    return gh_buf_append(&x->body, at, n) == 0 ? 0 : -1;
}

static int on_message_complete(llhttp_t *p)
{
    of(p)->complete = true;
    return HPE_PAUSED;
}

static void alloc_buf(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    exchange *x = h->data;
    *buf = uv_buf_init(x->readbuf, sizeof x->readbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    exchange *x = s->data;
    if (n == 0) return;
    if (n < 0) { /* EOF ends a response without a length */
        if (n == UV_EOF && llhttp_finish(&x->parser) == HPE_OK && x->complete) finish(x, NULL);
        else if (n == UV_EOF && x->complete) finish(x, NULL);
        else finish(x, n == UV_EOF ? "the upstream closed before answering" : uv_strerror((int)n));
        return;
    }
    llhttp_errno_t e = llhttp_execute(&x->parser, buf->base, (size_t)n);
    if (x->complete) finish(x, NULL);
    else if (e != HPE_OK)
        finish(x, x->body.failed ? "the upstream's answer is too large"
                  : e == HPE_USER  ? "the client went away"
                                   : "malformed answer from the upstream");
}

/* ---- the request ---- */

static void on_write(uv_write_t *w, int status)
{
    exchange *x = w->data;
    if (status < 0) finish(x, uv_strerror(status));
}

static void on_connect(uv_connect_t *c, int status)
{
    exchange *x = c->data;
    if (x->answered) return;
    if (status < 0) {
        finish(x, uv_strerror(status));
        return;
    }
    uv_buf_t b = uv_buf_init(x->request, (unsigned)x->request_len);
    x->write.data = x;
    if (uv_write(&x->write, (uv_stream_t *)&x->tcp, &b, 1, on_write) < 0 ||
        uv_read_start((uv_stream_t *)&x->tcp, alloc_buf, on_read) < 0)
        finish(x, "cannot talk to the upstream");
}

static void on_timeout(uv_timer_t *t)
{
    finish(t->data, "the upstream did not answer in time");
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

static int start(uv_loop_t *loop, const char *host, int port, const char *path, const char *headers,
                 const char *body, size_t len, uint64_t timeout_ms, exchange *x)
{
    struct sockaddr_storage addr;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&addr) < 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr) < 0)
        return -1;
    gh_buf req;
    gh_buf_init(&req, 0);
    gh_buf_printf(&req, "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
                  path, host, port, len, headers ? headers : "");
    gh_buf_append(&req, body, len);
    if (req.failed) {
        gh_buf_free(&req);
        return -1;
    }
    x->request = gh_buf_take(&req, &x->request_len);
    gh_buf_init(&x->body, MAX_RESPONSE);
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
    uv_tcp_init(loop, &x->tcp);
    uv_timer_init(loop, &x->timer);
    x->tcp.data = x->timer.data = x->connect.data = x;
    x->open_handles = 2;
    uv_timer_start(&x->timer, on_timeout, timeout_ms, 0);
    if (uv_tcp_connect(&x->connect, &x->tcp, (struct sockaddr *)&addr, on_connect) < 0)
        finish(x, "cannot connect to the upstream");
    return 0;
}

int upstream_post(uv_loop_t *loop, const char *host, int port, const char *path,
                  const char *headers, const char *body, size_t len, uint64_t timeout_ms,
                  upstream_done done, void *ud)
{
    exchange *x = calloc(1, sizeof *x);
    if (!x) return -1;
    x->done = done;
    x->ud = ud;
    if (start(loop, host, port, path, headers, body, len, timeout_ms, x) < 0) {
        free(x);
        return -1;
    }
    return 0;
}

int upstream_post_stream(uv_loop_t *loop, const char *host, int port, const char *path,
                         const char *headers, const char *body, size_t len, uint64_t timeout_ms,
                         const upstream_stream *cb, void *ud, upstream_exchange **out)
{
    exchange *x = calloc(1, sizeof *x);
    if (!x) return -1;
    x->stream = cb;
    x->ud = ud;
    if (out) *out = x;
    if (start(loop, host, port, path, headers, body, len, timeout_ms, x) < 0) {
        free(x);
        return -1;
    }
    return 0;
}

void upstream_pause(upstream_exchange *x)
{
    if (x->paused || x->answered) return;
    x->paused = true;
    uv_read_stop((uv_stream_t *)&x->tcp);
}

void upstream_resume(upstream_exchange *x)
{
    if (!x->paused || x->answered) return;
    x->paused = false;
    uv_read_start((uv_stream_t *)&x->tcp, alloc_buf, on_read);
}
