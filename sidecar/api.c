/* OPA's REST Data API on a worker: routing, `/v1/data` (GET and POST), `/v0/data`, the
 * default decision at `POST /`, `/v1/policies`, `/health` and `/metrics`. Responses are
 * shaped as OPA's (keys in the order OPA's structs give them, which is alphabetical). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "gatehouse/error.h"
#include "log.h"
#include "server.h"

typedef struct params {
    bool pretty, metrics, provenance, strict;
    const char *input; /* GET ?input=, decoded; NULL when absent */
    size_t input_len;
} params;

typedef struct request_ctx {
    worker *w;
    const listener_cfg *listener;
    const http_request *req;
    http_response *resp;
    metric_endpoint ep;
    metric_decision dec;
    params p;
} request_ctx;

/* ---- small parsers ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into the arena (plus_space: '+' is a space, as in queries). NULL
 * when an escape is malformed. */
static char *url_decode(gh_arena *a, const char *s, size_t n, bool plus_space, size_t *out_len)
{
    char *o = gh_arena_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) return NULL;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0) return NULL;
            o[k++] = (char)(hi * 16 + lo);
            i += 2;
        } else o[k++] = plus_space && s[i] == '+' ? ' ' : s[i];
    }
    o[k] = 0;
    if (out_len) *out_len = k;
    return o;
}

static bool param_true(const char *v, size_t n)
{
    return n == 0 || (n == 4 && memcmp(v, "true", 4) == 0);
}

static int parse_params(request_ctx *rc)
{
    const char *q = rc->req->query;
    size_t n = rc->req->query_len;
    for (size_t i = 0; q && i < n;) {
        const char *amp = memchr(q + i, '&', n - i);
        size_t end = amp ? (size_t)(amp - q) : n;
        const char *kv = q + i, *eq = memchr(kv, '=', end - i);
        size_t kl = eq ? (size_t)(eq - kv) : end - i;
        const char *v = eq ? eq + 1 : kv + kl;
        size_t vl = eq ? end - (size_t)(eq + 1 - q) : 0;
#define KEY(s) (kl == sizeof(s) - 1 && memcmp(kv, s, kl) == 0)
        if (KEY("pretty")) rc->p.pretty = param_true(v, vl);
        else if (KEY("metrics")) rc->p.metrics = param_true(v, vl);
        else if (KEY("provenance")) rc->p.provenance = param_true(v, vl);
        else if (KEY("strict-builtin-errors")) rc->p.strict = param_true(v, vl);
        else if (KEY("input")) {
            rc->p.input = url_decode(&rc->w->req, v, vl, true, &rc->p.input_len);
            if (!rc->p.input) return -1;
        }
#undef KEY
        i = end + 1;
    }
    return 0;
}

/* "/a/b%2Fc" -> "data.a.b/c". NULL when a segment is malformed or holds a '.' (the engine
 * addresses documents by dotted paths). */
static const char *data_ref(gh_arena *a, const char *path, size_t n, const char **err)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_buf_puts(&b, "data");
    for (size_t i = 0; i < n;) {
        while (i < n && path[i] == '/') i++;
        size_t j = i;
        while (j < n && path[j] != '/') j++;
        if (j == i) break;
        size_t sl;
        char *seg = url_decode(a, path + i, j - i, false, &sl);
        if (!seg) *err = "malformed percent-encoding in the path";
        else if (memchr(seg, '.', sl)) *err = "path segments containing '.' are not supported";
        if (!seg || memchr(seg, '.', sl)) {
            gh_buf_free(&b);
            return NULL;
        }
        gh_buf_putc(&b, '.');
        gh_buf_append(&b, seg, sl);
        i = j;
    }
    const char *ref = gh_arena_strndup(a, b.data, b.len);
    gh_buf_free(&b);
    return ref;
}

/* ---- answers ---- */

static void reply_value(request_ctx *rc, const gh_value *v)
{
    gh_buf_clear(&rc->resp->body);
    gh_json_write(&rc->resp->body, v, rc->p.pretty ? GH_JSON_PRETTY : 0);
    gh_buf_putc(&rc->resp->body, '\n');
}

/* An object from parallel key/value lists (keys are string literals). */
static const gh_value *make_object(gh_arena *a, const char *const *keys, const gh_value **vals,
                                   size_t n)
{
    const gh_value *k[8];
    const gh_value *v[8];
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!vals[i]) continue;
        k[m] = gh_value_string_ref(a, keys[i], strlen(keys[i]));
        v[m++] = vals[i];
    }
    const gh_value *out;
    if (gh_value_object(a, k, v, m, &out, NULL) != 0) return NULL;
    return out;
}

/* ---- evaluation ---- */

static void evaluate(request_ctx *rc, decision *d)
{
    decide_eval(rc->w, rc->p.strict, d);
    rc->dec = decide_classify(d);
    decide_new_id(rc->w, d);
}

static void reply_eval_error(request_ctx *rc, const decision *d)
{
    char msg[1024];
    gh_eval_error_format(&d->err, msg, sizeof msg);
    http_error(rc->resp, 500, "internal_error", msg);
}

static void log_decision(request_ctx *rc, const decision *d)
{
    decide_log(rc->w, d, rc->req->peer, rc->req->start_ns);
}

/* The input of a v1 POST body ({"input": ...}); a body without "input" evaluates without
 * one, as OPA does (it adds a warning). */
static int read_v1_input(request_ctx *rc, decision *d, bool *missing_input)
{
    const http_request *req = rc->req;
    const char *text = req->body;
    size_t len = req->body_len;
    if (!text) {
        text = rc->p.input;
        len = rc->p.input_len;
        if (!text) return 0;
    }
    const gh_value *doc;
    gh_json_error je;
    uint64_t t0 = http_now_ns();
    if (gh_json_read(&rc->w->req, text, len, NULL, &doc, &je) != 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "body contains malformed input document: %s", je.msg);
        http_error(rc->resp, 400, "invalid_parameter", msg);
        return -1;
    }
    d->parse_ns = http_now_ns() - t0;
    if (!req->body) { /* ?input= is the input itself */
        d->input = doc;
        return 0;
    }
    if (gh_value_kind(doc) != GH_KIND_OBJECT) {
        http_error(rc->resp, 400, "invalid_parameter",
                   "body must be a JSON object: {\"input\": ...}");
        return -1;
    }
    d->input = gh_object_get_str(doc, "input", 5);
    *missing_input = d->input == NULL;
    return 0;
}

static const gh_value *metrics_value(request_ctx *rc, const decision *d)
{
    gh_arena *a = &rc->w->req;
    static const char *keys[] = {"timer_rego_input_parse_ns", "timer_rego_query_eval_ns",
                                 "timer_server_handler_ns"};
    const gh_value *vals[] = {gh_value_int(a, (int64_t)d->parse_ns),
                              gh_value_int(a, (int64_t)d->eval_ns),
                              gh_value_int(a, (int64_t)(http_now_ns() - rc->req->start_ns))};
    return make_object(a, keys, vals, 3);
}

static const gh_value *provenance_value(request_ctx *rc)
{
    gh_arena *a = &rc->w->req;
    static const char *keys[] = {"revision", "version"};
    const gh_value *vals[] = {gh_value_string(a, rc->w->snap->id, strlen(rc->w->snap->id)),
                              gh_value_string(a, GH_VERSION, strlen(GH_VERSION))};
    return make_object(a, keys, vals, 2);
}

/* With authentication on, the verified subject replaces whatever input.subject the client
 * sent (the policy must never see a subject the caller made up). False after answering 401
 * or 400. */
static bool authenticate(request_ctx *rc, decision *d)
{
    worker *w = rc->w;
    if (!w->srv->auth || !rc->listener->auth) return true;
    authn_result ar;
    const str_list *aud = rc->listener->audiences.n ? &rc->listener->audiences : NULL;
    if (authn_request(w->srv->auth, w->auth_cache, &w->req, rc->req, aud,
                      log_now_unix_ns() / 1000000000, &ar) != JWT_OK) {
        rc->dec = DEC_DENY;
        authn_refuse(rc->resp, &ar);
        if (w->srv->log) {
            decide_new_id(w, d);
            d->rc = GH_EINVAL;
            d->err = (gh_eval_error){.code = "unauthenticated"};
            snprintf(d->err.msg, sizeof d->err.msg, "%s", jwt_reason_message(ar.reason));
            const gh_value *input = d->input;
            d->input = NULL; /* what an unauthenticated caller sent is not evaluated or kept */
            log_decision(rc, d);
            d->input = input;
        }
        return false;
    }
    const gh_value *in = authn_add_subject(&w->req, d->input, ar.subject);
    if (!in) {
        http_error(rc->resp, 400, "invalid_parameter",
                   "the input must be an object when authentication is on (it gains a subject)");
        return false;
    }
    d->input = in;
    return true;
}

static void handle_v1_data(request_ctx *rc, const char *path, size_t path_len)
{
    gh_arena *a = &rc->w->req;
    decision d = {0};
    const char *err = NULL;
    d.ref = data_ref(a, path, path_len, &err);
    if (!d.ref) return http_error(rc->resp, 400, "invalid_parameter", err);
    bool missing_input = false;
    if (read_v1_input(rc, &d, &missing_input) < 0) return;
    if (!authenticate(rc, &d)) return;
    evaluate(rc, &d);
    log_decision(rc, &d);
    if (d.rc) return reply_eval_error(rc, &d);
    static const char *keys[] = {"decision_id", "metrics", "provenance", "result", "warning"};
    const gh_value *warning = NULL;
    if (missing_input) {
        static const char *wk[] = {"code", "message"};
        const gh_value *wv[] = {gh_value_string_ref(a, "api_usage_warning", 17),
                                gh_value_string_ref(a, "'input' key missing from the request", 36)};
        warning = make_object(a, wk, wv, 2);
    }
    const gh_value *vals[] = {
        d.id[0] ? gh_value_string(a, d.id, strlen(d.id)) : NULL,
        rc->p.metrics ? metrics_value(rc, &d) : NULL,
        rc->p.provenance ? provenance_value(rc) : NULL,
        d.result,
        warning,
    };
    reply_value(rc, make_object(a, keys, vals, 5));
}

/* v0 and the default decision: the body is the input, the answer the bare document. */
static void handle_bare(request_ctx *rc, const char *path, size_t path_len)
{
    gh_arena *a = &rc->w->req;
    decision d = {0};
    const char *err = NULL;
    d.ref = data_ref(a, path, path_len, &err);
    if (!d.ref) return http_error(rc->resp, 400, "invalid_parameter", err);
    if (rc->req->body) {
        gh_json_error je;
        uint64_t t0 = http_now_ns();
        if (gh_json_read(a, rc->req->body, rc->req->body_len, NULL, &d.input, &je) != 0) {
            char msg[256];
            snprintf(msg, sizeof msg, "body contains malformed input document: %s", je.msg);
            return http_error(rc->resp, 400, "invalid_parameter", msg);
        }
        d.parse_ns = http_now_ns() - t0;
    }
    if (!authenticate(rc, &d)) return;
    evaluate(rc, &d);
    log_decision(rc, &d);
    if (d.rc) return reply_eval_error(rc, &d);
    if (!d.result) {
        char msg[512];
        snprintf(msg, sizeof msg, "document missing or undefined: %s", d.ref);
        return http_error(rc->resp, 404, "undefined_document", msg);
    }
    reply_value(rc, d.result);
}

static void handle_policies(request_ctx *rc)
{
    gh_buf *o = &rc->resp->body;
    snapshot *s = rc->w->snap;
    gh_buf_clear(o);
    gh_buf_puts(o, "{\"result\":[");
    for (size_t i = 0; i < s->nmodules; i++) {
        gh_buf_puts(o, i ? ",{\"id\":" : "{\"id\":");
        gh_json_write_str(o, s->modules[i].name, strlen(s->modules[i].name));
        gh_buf_puts(o, ",\"raw\":");
        gh_json_write_str(o, s->modules[i].text, s->modules[i].len);
        gh_buf_putc(o, '}');
    }
    gh_buf_puts(o, "]}\n");
}

static void handle_health(request_ctx *rc)
{
    server *srv = rc->w->srv;
    pthread_mutex_lock(&srv->status_mu);
    bool failing = srv->cfg->health_fail_on_reload_error && srv->last_error;
    char msg[512];
    if (failing) snprintf(msg, sizeof msg, "last reload failed: %s", srv->last_error);
    pthread_mutex_unlock(&srv->status_mu);
    gh_buf *o = &rc->resp->body;
    gh_buf_clear(o);
    if (!failing) {
        gh_buf_puts(o, "{}\n");
        return;
    }
    rc->resp->status = 500;
    gh_buf_puts(o, "{\"error\":");
    gh_json_write_str(o, msg, strlen(msg));
    gh_buf_puts(o, "}\n");
}

static void handle_metrics(request_ctx *rc)
{
    rc->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    gh_buf_clear(&rc->resp->body);
    metrics_render_server(rc->w, &rc->resp->body);
}

/* ---- routing ---- */

static bool is(const http_request *r, const char *method) { return strcmp(r->method, method) == 0; }

static bool path_under(const http_request *r, const char *prefix, const char **rest, size_t *rest_len)
{
    size_t n = strlen(prefix);
    if (r->path_len < n || memcmp(r->path, prefix, n) != 0) return false;
    if (r->path_len > n && r->path[n] != '/') return false;
    *rest = r->path + n;
    *rest_len = r->path_len - n;
    return true;
}

static bool path_is(const http_request *r, const char *p)
{
    return r->path_len == strlen(p) && memcmp(r->path, p, r->path_len) == 0;
}

static void method_not_allowed(request_ctx *rc, const char *allowed)
{
    char msg[128];
    snprintf(msg, sizeof msg, "method %s not allowed here (use %s)", rc->req->method, allowed);
    http_error(rc->resp, 405, "method_not_allowed", msg);
    gh_buf_printf(&rc->resp->headers, "Allow: %s\r\n", allowed);
}

static void route(request_ctx *rc)
{
    const http_request *r = rc->req;
    const char *rest;
    size_t rl;
    if (path_under(r, "/v1/data", &rest, &rl)) {
        rc->ep = EP_DATA_V1;
        if (is(r, "GET") || is(r, "POST")) return handle_v1_data(rc, rest, rl);
        return method_not_allowed(rc, "GET, POST (policy and data come from files)");
    }
    if (path_under(r, "/v0/data", &rest, &rl)) {
        rc->ep = EP_DATA_V0;
        if (is(r, "POST")) return handle_bare(rc, rest, rl);
        return method_not_allowed(rc, "POST");
    }
    if (path_is(r, "/")) {
        rc->ep = EP_DEFAULT;
        const char *dd = rc->w->srv->cfg->default_decision;
        if (is(r, "POST")) return handle_bare(rc, dd, strlen(dd));
        return method_not_allowed(rc, "POST");
    }
    if (path_is(r, "/health") || path_is(r, "/health/ready") || path_is(r, "/health/live")) {
        rc->ep = EP_HEALTH;
        if (is(r, "GET")) return handle_health(rc);
        return method_not_allowed(rc, "GET");
    }
    if (path_is(r, "/metrics")) {
        rc->ep = EP_METRICS;
        if (is(r, "GET")) return handle_metrics(rc);
        return method_not_allowed(rc, "GET");
    }
    if (path_is(r, "/v1/policies")) {
        rc->ep = EP_POLICIES;
        if (is(r, "GET")) return handle_policies(rc);
        return method_not_allowed(rc, "GET (policies come from files)");
    }
    char msg[300];
    snprintf(msg, sizeof msg, "no such endpoint: %.*s", (int)(r->path_len > 200 ? 200 : r->path_len),
             r->path);
    http_error(rc->resp, 404, "resource_not_found", msg);
}

void api_handle(void *ud, const http_request *req, http_response *resp)
{
    listener_rt *l = ud;
    worker *w = l->w;
    request_ctx rc = {.w = w, .listener = l->cfg, .req = req, .resp = resp, .ep = EP_OTHER,
                      .dec = DEC_NONE};
    gh_arena_reset(&w->req);
    if (parse_params(&rc) < 0) http_error(resp, 400, "invalid_parameter", "malformed query string");
    else route(&rc);
    metric_add(&w->metrics.requests[rc.ep][rc.dec], 1);
    int cls = resp->status / 100;
    if (cls >= 1 && cls <= 5) metric_add(&w->metrics.status_class[cls], 1);
    histogram_observe(&w->metrics.request_ns[rc.ep], http_now_ns() - req->start_ns);
}
