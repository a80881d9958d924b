/* Envoy ext_authz listeners on a worker: an HTTP request (Envoy's http_service) or a gRPC
 * Check becomes opa-envoy-plugin's input, optionally with the verified bearer token as
 * input.subject; the listener's decision is evaluated, mapped as the plugin maps it, logged,
 * and answered. Everything fails closed: a policy error, an undefined decision, a token that
 * does not verify or an input that cannot be built all deny. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decide.h"
#include "event.h"
#include "gatehouse/error.h"
#include "extauthz.h"
#include "log.h"

#define CHECK_PATH "/envoy.service.auth.v3.Authorization/Check"

/* Where the plugin's input keeps the bearer token: never logged; and when the listener
 * verifies tokens itself, not shown to the policy either (it gets input.subject). */
#define AUTHZ_IN_INPUT "/attributes/request/http/headers/authorization"
#define AUTHZ_IN_EVENT "/input" AUTHZ_IN_INPUT

/* A refusal of the listener's own (bad token, unusable request) as a decision document, so
 * it goes through the plugin's mapping like any other. */
static const gh_value *refusal(gh_arena *a, int status, const char *www_authenticate,
                               const char *code, const char *message)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_buf_printf(&b, "{\"allowed\":false,\"http_status\":%d,\"headers\":{", status);
    if (www_authenticate) {
        gh_buf_puts(&b, "\"www-authenticate\":");
        gh_json_write_str(&b, www_authenticate, strlen(www_authenticate));
        gh_buf_putc(&b, ',');
    }
    gh_buf_puts(&b, "\"content-type\":\"application/json\"},\"body\":");
    gh_buf bb;
    gh_buf_init(&bb, 0);
    gh_buf_puts(&bb, "{\"code\":");
    gh_json_write_str(&bb, code, strlen(code));
    gh_buf_puts(&bb, ",\"message\":");
    gh_json_write_str(&bb, message, strlen(message));
    gh_buf_puts(&bb, "}");
    gh_json_write_str(&b, bb.data, bb.len);
    gh_buf_puts(&b, "}");
    const gh_value *v = NULL;
    if (!b.failed && !bb.failed) gh_json_read(a, b.data, b.len, NULL, &v, NULL);
    gh_buf_free(&bb);
    gh_buf_free(&b);
    return v;
}

typedef struct xa_call {
    listener_rt *l;
    const gh_value *input;           /* NULL when it could not be built */
    const char *input_error;         /* why not */
    const char *authorization;       /* the request's Authorization value, NULL when none */
    size_t authorization_len;
    const char *peer;
    uint64_t start_ns;
    metric_endpoint ep;
} xa_call;

/* Authenticates (when the listener does), evaluates, maps and logs; fills res. */
static void xa_decide(xa_call *call, extauthz_result *res)
{
    worker *w = call->l->w;
    const listener_cfg *c = call->l->cfg;
    decision d = {.ref = c->ref, .input = call->input, .never_log = AUTHZ_IN_EVENT};
    const gh_value *doc = NULL;
    metric_decision dec = DEC_ERROR;
    if (!call->input) { /* denied as the plugin denies it (400), the reason logged only */
        d.rc = -1;
        d.err = (gh_eval_error){.code = "invalid_request"};
        snprintf(d.err.msg, sizeof d.err.msg, "%s", call->input_error);
        decide_new_id(w, &d);
        extauthz_bad_request(res, call->input_error);
        decide_log(w, &d, call->peer, call->start_ns);
        metric_add(&w->metrics.requests[call->ep][DEC_ERROR], 1);
        return;
    }
    if (c->auth && w->srv->auth) {
        authn_result ar;
        const str_list *aud = c->audiences.n ? &c->audiences : NULL;
        if (authn_header(w->srv->auth, w->auth_cache, &w->req, call->authorization,
                         call->authorization_len, aud, log_now_unix_ns() / 1000000000,
                         &ar) != JWT_OK) {
            char www[300];
            if (ar.reason == JWT_MISSING) snprintf(www, sizeof www, "Bearer realm=\"gatehouse\"");
            else snprintf(www, sizeof www,
                          "Bearer realm=\"gatehouse\", error=\"invalid_token\", error_description=\"%s\"",
                          jwt_reason_message(ar.reason));
            d.input = NULL; /* an unauthenticated request is not evaluated or kept */
            d.rc = -1;
            d.err = (gh_eval_error){.code = "unauthenticated"};
            snprintf(d.err.msg, sizeof d.err.msg, "%s", jwt_reason_message(ar.reason));
            doc = refusal(&w->req, 401, www, jwt_reason_class(ar.reason), jwt_reason_message(ar.reason));
            dec = DEC_DENY;
        } else {
            bool hit = false;
            const gh_value *in = event_apply_pointer(&w->req, call->input, AUTHZ_IN_INPUT, NULL, &hit);
            d.input = authn_add_subject(&w->req, in, ar.subject);
        }
    }
    if (!doc) {
        decide_eval(w, false, &d);
        doc = d.rc ? NULL : d.result;
        dec = decide_classify(&d);
    }
    decide_new_id(w, &d);
    int usable = extauthz_decide(doc, c->dry_run, res);
    /* after: decide starts the result afresh; in the request arena, as the answer is
       encoded after this returns */
    res->decision_id = d.id[0] ? gh_arena_strndup(&w->req, d.id, strlen(d.id)) : NULL;
    if (usable != 0 && !d.rc) {
        d.rc = -1; /* a decision of the wrong shape: logged as an error, denied */
        d.err = (gh_eval_error){.code = "invalid_decision"};
        snprintf(d.err.msg, sizeof d.err.msg, "%s", res->error);
        dec = DEC_ERROR;
    }
    if (!res->allowed && dec == DEC_ALLOW) dec = DEC_DENY;
    decide_log(w, &d, call->peer, call->start_ns);
    metric_add(&w->metrics.requests[call->ep][dec], 1);
    histogram_observe(&w->metrics.request_ns[call->ep], http_now_ns() - call->start_ns);
}

/* ---- HTTP (Envoy's http_service) ---- */

static bool header_is(const extauthz_kv *h, const char *name)
{
    size_t n = strlen(name);
    return h->key.len == n && strncasecmp(h->key.ptr, name, n) == 0;
}

/* Header text from a policy must not break the response: no CR, LF or NUL. */
static bool header_safe(extauthz_str s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] == '\r' || s.ptr[i] == '\n' || s.ptr[i] == '\0') return false;
    return true;
}

static void put_http_reply(const extauthz_http_reply *reply, http_response *resp)
{
    resp->status = reply->status;
    bool typed = false;
    for (size_t i = 0; i < reply->n_headers; i++) {
        const extauthz_kv *h = &reply->headers[i];
        if (!header_safe(h->key) || !header_safe(h->value) || h->key.len == 0) continue;
        if (header_is(h, "content-length") || header_is(h, "connection") ||
            header_is(h, "transfer-encoding"))
            continue; /* ours to say */
        typed |= header_is(h, "content-type");
        gh_buf_printf(&resp->headers, "%.*s: %.*s\r\n", (int)h->key.len, h->key.ptr,
                      (int)h->value.len, h->value.ptr);
    }
    /* "" leaves Content-Type out: the decision's own, or none for an empty answer */
    resp->content_type = typed || reply->body.len == 0 ? "" : "text/plain";
    gh_buf_clear(&resp->body);
    if (reply->body.len) gh_buf_append(&resp->body, reply->body.ptr, reply->body.len);
}

void extauthz_http_handle(void *ud, const http_request *req, http_response *resp)
{
    listener_rt *l = ud;
    worker *w = l->w;
    const listener_cfg *c = l->cfg;
    gh_arena_reset(&w->req);
    extauthz_kv *hdrs = gh_arena_alloc(&w->req, (req->nheaders + 1) * sizeof *hdrs);
    const http_header *authz = http_request_header(req, "authorization");
    for (size_t i = 0; i < req->nheaders; i++)
        hdrs[i] = (extauthz_kv){{req->headers[i].name, req->headers[i].name_len},
                                {req->headers[i].value, req->headers[i].value_len}};
    extauthz_http_request xr = {
        .method = {req->method, strlen(req->method)},
        .path = {req->path, req->path_len},
        .query = {req->query ? req->query : "", req->query_len},
        .headers = hdrs,
        .n_headers = req->nheaders,
        .body = {req->body ? req->body : "", req->body_len},
        .protocol = {"HTTP/1.1", 8},
        .strip_prefix = {c->path_prefix ? c->path_prefix : "", c->path_prefix ? strlen(c->path_prefix) : 0},
    };
    extauthz_opts o = {.skip_body_parse = c->skip_body_parse};
    char err[256] = "";
    xa_call call = {.l = l, .peer = req->peer, .start_ns = req->start_ns, .ep = EP_EXTAUTHZ_HTTP,
                    .authorization = authz ? authz->value : NULL,
                    .authorization_len = authz ? authz->value_len : 0, .input_error = err};
    if (extauthz_input_from_http(&xr, &w->req, &o, &call.input, err, sizeof err) != 0)
        call.input = NULL;
    extauthz_result res;
    memset(&res, 0, sizeof res);
    xa_decide(&call, &res);
    extauthz_http_reply reply;
    memset(&reply, 0, sizeof reply);
    if (extauthz_http_response(&res, &reply) == 0) put_http_reply(&reply, resp);
    else http_error(resp, 403, "permission_denied", "denied");
    extauthz_http_reply_free(&reply);
    extauthz_result_free(&res);
    int cls = resp->status / 100;
    if (cls >= 1 && cls <= 5) metric_add(&w->metrics.status_class[cls], 1);
}

/* ---- gRPC (envoy.service.auth.v3.Authorization/Check) ---- */

/* attributes.request.http.headers.authorization of the plugin's input. */
static const gh_value *input_authorization(const gh_value *input)
{
    static const char *path[] = {"attributes", "request", "http", "headers", "authorization"};
    const gh_value *v = input;
    for (size_t i = 0; v && i < 5; i++)
        v = gh_value_kind(v) == GH_KIND_OBJECT ? gh_object_get_str(v, path[i], strlen(path[i])) : NULL;
    return v && gh_value_kind(v) == GH_KIND_STRING ? v : NULL;
}

static int grpc_check(void *ud, const uint8_t *msg, size_t len, grpc_reply *out)
{
    listener_rt *l = ud;
    worker *w = l->w;
    gh_arena_reset(&w->req);
    extauthz_opts o = {.skip_body_parse = l->cfg->skip_body_parse};
    char err[256] = "";
    const gh_value *input = NULL;
    uint64_t start = out->call ? out->call->start_ns : http_now_ns();
    int rc = extauthz_decode_check_opts(msg, len, &w->req, &o, &input, err, sizeof err);
    if (rc == GH_EPARSE) { /* not a CheckRequest at all: a gRPC error, as the plugin */
        grpc_reply_error(out, GRPC_STATUS_INVALID_ARGUMENT, "malformed CheckRequest: %s", err);
        metric_add(&w->metrics.requests[EP_EXTAUTHZ_GRPC][DEC_ERROR], 1);
        return 0;
    }
    if (rc != 0) input = NULL; /* a CheckRequest the plugin cannot use: denied with 400 */
    const gh_value *authz = input_authorization(input);
    size_t alen = 0;
    const char *a = authz ? gh_string_ptr(authz, &alen) : NULL;
    xa_call call = {.l = l, .input = input, .input_error = err, .authorization = a,
                    .authorization_len = alen, .peer = out->call ? out->call->peer : "",
                    .start_ns = start, .ep = EP_EXTAUTHZ_GRPC};
    extauthz_result res;
    memset(&res, 0, sizeof res);
    xa_decide(&call, &res);
    uint8_t *buf = NULL;
    size_t blen = 0;
    if (extauthz_encode_check_response(&res, &buf, &blen) != 0) {
        grpc_reply_error(out, GRPC_STATUS_INTERNAL, "cannot encode the CheckResponse");
    } else {
        out->status = GRPC_STATUS_OK;
        gh_buf_append(&out->body, buf, blen);
    }
    free(buf);
    extauthz_result_free(&res);
    return 0;
}

int extauthz_grpc_listen(listener_rt *l, char *err, size_t errlen)
{
    const listener_cfg *c = l->cfg;
    grpc_limits lim;
    grpc_limits_default(&lim);
    lim.max_connections = l->w->srv->cfg->limits.max_connections;
    if (grpc_server_init(&l->grpc, &l->w->loop, &lim) < 0 ||
        grpc_server_add_method(&l->grpc, CHECK_PATH, grpc_check, l) < 0)
        return snprintf(err, errlen, "listener %s: out of memory", c->name), -1;
    grpc_tls_files tls = {.cert_file = c->tls_cert, .key_file = c->tls_key};
    return grpc_server_listen(&l->grpc, c->host, c->port, true, c->tls_cert ? &tls : NULL, err,
                              errlen) < 0 ? -1 : 0;
}
