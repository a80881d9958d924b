/* ext_authz decisions to answers: a policy's decision mapped as opa-envoy-plugin maps it
 * (envoyauth/response.go and the Check handler), then written as a CheckResponse for the
 * gRPC listener or as the HTTP answer for Envoy's http_service. Fails closed: anything the
 * mapping cannot use denies. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "envoy/service/auth/v3/external_auth.pb-c.h"
#include "extauthz.h"
#include "gatehouse/error.h"

enum { GRPC_OK = 0, GRPC_PERMISSION_DENIED = 7, DEFAULT_DENY_STATUS = 403 };

/* ---- decisions ---- */

static int bad(extauthz_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(extauthz_result *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    return GH_EINVAL;
}

static extauthz_str str_of(const gh_value *v) {
    extauthz_str s;
    s.ptr = gh_string_ptr(v, &s.len);
    return s;
}

/* The statuses Envoy's HttpStatus enum names (Go's http.StatusText knows them all). */
static bool envoy_status(int64_t code) {
    static const short known[] = {
        100, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304,
        305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412,
        413, 414, 415, 416, 417, 421, 422, 423, 424, 426, 428, 429, 431, 500, 501, 502,
        503, 504, 505, 506, 507, 508, 510, 511};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i] == code) return true;
    return false;
}

/* A growable array of pairs or strings, malloc'd (results outlive no arena of their own). */
static bool grow(void **items, size_t n, size_t more, size_t size) {
    void *p = realloc(*items, (n + more + 1) * size);
    if (!p) return false;
    *items = p;
    return true;
}

static int push_kv(extauthz_result *r, extauthz_kv **items, size_t *n, const gh_value *k,
                   const gh_value *v) {
    if (!grow((void **)items, *n, 1, sizeof **items)) return GH_ENOMEM;
    (*items)[(*n)++] = (extauthz_kv){str_of(k), str_of(v)};
    (void)r;
    return 0;
}

/* {name: "v" or ["v1", "v2"]} into pairs. */
static int headers_object(extauthz_result *r, const char *field, const gh_value *obj,
                          extauthz_kv **items, size_t *n) {
    for (size_t i = 0; i < gh_value_len(obj); i++) {
        const gh_value *k = gh_object_key_at(obj, i), *v = gh_object_value_at(obj, i);
        if (gh_value_kind(k) != GH_KIND_STRING)
            return bad(r, "type assertion error, expected %s names to be strings", field);
        if (gh_value_kind(v) == GH_KIND_STRING) {
            if (push_kv(r, items, n, k, v)) return GH_ENOMEM;
            continue;
        }
        if (gh_value_kind(v) != GH_KIND_ARRAY)
            return bad(r, "type assertion error for header '%.*s'", (int)str_of(k).len, str_of(k).ptr);
        for (size_t j = 0; j < gh_value_len(v); j++) {
            const gh_value *e = gh_array_get(v, j);
            if (gh_value_kind(e) != GH_KIND_STRING)
                return bad(r, "invalid value type %s for header '%.*s'",
                           gh_kind_name(gh_value_kind(e)), (int)str_of(k).len, str_of(k).ptr);
            if (push_kv(r, items, n, k, e)) return GH_ENOMEM;
        }
    }
    return 0;
}

/* An object of headers, or an array of such objects. */
static int headers_field(extauthz_result *r, const gh_value *d, const char *field,
                         extauthz_kv **items, size_t *n) {
    const gh_value *v = gh_object_get_str(d, field, strlen(field));
    if (!v) return 0;
    if (gh_value_kind(v) == GH_KIND_OBJECT) return headers_object(r, field, v, items, n);
    if (gh_value_kind(v) != GH_KIND_ARRAY)
        return bad(r, "type assertion error, expected %s to be of type 'object' but got '%s'",
                   field, gh_kind_name(gh_value_kind(v)));
    for (size_t i = 0; i < gh_value_len(v); i++) {
        const gh_value *o = gh_array_get(v, i);
        if (gh_value_kind(o) != GH_KIND_OBJECT)
            return bad(r, "type assertion error, expected %s to be of type 'object' but got '%s'",
                       field, gh_kind_name(gh_value_kind(o)));
        int rc = headers_object(r, field, o, items, n);
        if (rc) return rc;
    }
    return 0;
}

static int strings_field(extauthz_result *r, const gh_value *d, const char *field,
                         extauthz_str **items, size_t *n) {
    const gh_value *v = gh_object_get_str(d, field, strlen(field));
    if (!v) return 0;
    if (gh_value_kind(v) != GH_KIND_ARRAY)
        return bad(r, "type assertion error, expected %s to be of type '[]string' but got '%s'",
                   field, gh_kind_name(gh_value_kind(v)));
    if (!grow((void **)items, 0, gh_value_len(v), sizeof **items)) return GH_ENOMEM;
    for (size_t i = 0; i < gh_value_len(v); i++) {
        const gh_value *e = gh_array_get(v, i);
        if (gh_value_kind(e) != GH_KIND_STRING)
            return bad(r, "type assertion error, expected %s value to be of type 'string' but got '%s'",
                       field, gh_kind_name(gh_value_kind(e)));
        (*items)[(*n)++] = str_of(e);
    }
    return 0;
}

/* {name: "v" or ["v1", ...]}: the same shape as headers, but only an object. */
static int query_set_field(extauthz_result *r, const gh_value *d) {
    const gh_value *v = gh_object_get_str(d, "query_parameters_to_set", 23);
    if (!v) return 0;
    if (gh_value_kind(v) != GH_KIND_OBJECT)
        return bad(r, "type assertion error, expected query_parameters_to_set to be a map but got '%s'",
                   gh_kind_name(gh_value_kind(v)));
    return headers_object(r, "query_parameters_to_set", v, &r->query_parameters_to_set,
                          &r->n_query_parameters_to_set);
}

/* Struct-compatible: string keys all the way down. */
static bool struct_compatible(const gh_value *v, int depth) {
    if (depth > EXTAUTHZ_MAX_DEPTH) return false;
    gh_kind k = gh_value_kind(v);
    if (k == GH_KIND_OBJECT) {
        for (size_t i = 0; i < gh_value_len(v); i++)
            if (gh_value_kind(gh_object_key_at(v, i)) != GH_KIND_STRING ||
                !struct_compatible(gh_object_value_at(v, i), depth + 1))
                return false;
    } else if (k == GH_KIND_ARRAY || k == GH_KIND_SET) {
        for (size_t i = 0; i < gh_value_len(v); i++)
            if (!struct_compatible(k == GH_KIND_ARRAY ? gh_array_get(v, i) : gh_set_item_at(v, i),
                                   depth + 1))
                return false;
    }
    return true;
}

static int metadata_field(extauthz_result *r, const gh_value *d) {
    const gh_value *v = gh_object_get_str(d, "dynamic_metadata", 16);
    if (!v) return 0;
    if (gh_value_kind(v) != GH_KIND_OBJECT)
        return bad(r, "type assertion error, expected dynamic_metadata to be of type 'object' but got '%s'",
                   gh_kind_name(gh_value_kind(v)));
    if (!struct_compatible(v, 0))
        return bad(r, "dynamic_metadata cannot be a google.protobuf.Struct (non-string keys or too deep)");
    r->dynamic_metadata = v;
    return 0;
}

static int status_field(extauthz_result *r, const gh_value *d) {
    const gh_value *v = gh_object_get_str(d, "http_status", 11);
    int64_t code;
    if (!v) return 0;
    if (gh_value_kind(v) != GH_KIND_NUMBER)
        return bad(r, "type assertion error, expected http_status to be of type 'number' but got '%s'",
                   gh_kind_name(gh_value_kind(v)));
    if (!gh_number_get_int(v, &code) || !envoy_status(code))
        return bad(r, "Invalid HTTP status code %g", gh_number_get_double(v));
    r->http_status = (int)code;
    return 0;
}

static int body_field(extauthz_result *r, const gh_value *d) {
    const gh_value *v = gh_object_get_str(d, "body", 4);
    if (!v) return 0;
    if (gh_value_kind(v) != GH_KIND_STRING)
        return bad(r, "type assertion error, expected body to be of type 'string' but got '%s'",
                   gh_kind_name(gh_value_kind(v)));
    r->body = str_of(v);
    return 0;
}

/* The fields an allowed object decision uses (the plugin reads nothing else then). */
static int allowed_fields(extauthz_result *r, const gh_value *d) {
    int rc = strings_field(r, d, "request_headers_to_remove", &r->request_headers_to_remove,
                           &r->n_request_headers_to_remove);
    if (!rc) rc = headers_field(r, d, "response_headers_to_add", &r->response_headers_to_add,
                                &r->n_response_headers_to_add);
    if (!rc) rc = strings_field(r, d, "query_parameters_to_remove", &r->query_parameters_to_remove,
                                &r->n_query_parameters_to_remove);
    if (!rc) rc = query_set_field(r, d);
    return rc;
}

static int object_decision(extauthz_result *r, const gh_value *d) {
    const gh_value *allowed = gh_object_get_str(d, "allowed", 7);
    r->structured = true;
    if (!allowed)
        return bad(r, "unable to determine evaluation result due to missing \"allowed\" key");
    if (gh_value_kind(allowed) != GH_KIND_BOOL)
        return bad(r, "type assertion error, expected allowed to be of type 'boolean' but got '%s'",
                   gh_kind_name(gh_value_kind(allowed)));
    r->policy_allowed = gh_value_get_bool(allowed);
    int rc = headers_field(r, d, "headers", &r->headers, &r->n_headers);
    if (!rc) rc = metadata_field(r, d);
    if (!rc) rc = r->policy_allowed ? allowed_fields(r, d) : body_field(r, d);
    if (!rc && !r->policy_allowed) rc = status_field(r, d);
    return rc;
}

static void clear_lists(extauthz_result *r) {
    free(r->headers);
    free(r->response_headers_to_add);
    free(r->request_headers_to_remove);
    free(r->query_parameters_to_set);
    free(r->query_parameters_to_remove);
    r->headers = r->response_headers_to_add = r->query_parameters_to_set = NULL;
    r->request_headers_to_remove = r->query_parameters_to_remove = NULL;
    r->n_headers = r->n_response_headers_to_add = r->n_query_parameters_to_set = 0;
    r->n_request_headers_to_remove = r->n_query_parameters_to_remove = 0;
}

/* An unusable decision denies: with the decision's own status and body when those at
 * least are well-formed, else a bare 403. */
static void deny_on_error(extauthz_result *r, const gh_value *d) {
    char why[sizeof r->error];
    memcpy(why, r->error, sizeof why);
    clear_lists(r);
    r->policy_allowed = false;
    r->structured = true;
    r->dynamic_metadata = NULL;
    r->http_status = DEFAULT_DENY_STATUS;
    r->body = (extauthz_str){NULL, 0};
    if (d && gh_value_kind(d) == GH_KIND_OBJECT && (status_field(r, d) || body_field(r, d))) {
        r->http_status = DEFAULT_DENY_STATUS;
        r->body = (extauthz_str){NULL, 0};
    }
    memcpy(r->error, why, sizeof why);
}

int extauthz_decide(const gh_value *decision, bool dry_run, extauthz_result *out) {
    memset(out, 0, sizeof *out);
    out->dry_run = dry_run;
    out->http_status = DEFAULT_DENY_STATUS;
    int rc;
    if (!decision)
        rc = bad(out, "undefined decision");
    else if (gh_value_kind(decision) == GH_KIND_BOOL)
        out->policy_allowed = gh_value_get_bool(decision), rc = 0;
    else if (gh_value_kind(decision) == GH_KIND_OBJECT)
        rc = object_decision(out, decision);
    else
        rc = bad(out, "illegal value for policy evaluation result: %s",
                 gh_kind_name(gh_value_kind(decision)));
    if (rc == GH_ENOMEM) snprintf(out->error, sizeof out->error, "out of memory");
    if (rc) deny_on_error(out, decision);
    out->allowed = out->policy_allowed;
    if (dry_run && !out->allowed) {
        /* Envoy lets the request through unchanged; the log keeps the real decision. */
        const gh_value *meta = out->dynamic_metadata;
        clear_lists(out);
        out->dynamic_metadata = meta;
        out->allowed = true;
        out->structured = true;
    }
    return rc;
}

void extauthz_result_free(extauthz_result *r) {
    if (r) clear_lists(r);
}

void extauthz_bad_request(extauthz_result *out, const char *why) {
    memset(out, 0, sizeof *out);
    out->structured = true;
    out->http_status = 400;
    snprintf(out->error, sizeof out->error, "%s", why ? why : "bad request");
}

/* ---- CheckResponse ---- */

typedef Envoy__Config__Core__V3__HeaderValueOption HeaderValueOption;
typedef Envoy__Config__Core__V3__HeaderValue HeaderValue;
typedef Envoy__Config__Core__V3__QueryParameter QueryParameter;
typedef Google__Protobuf__Struct Struct;
typedef Google__Protobuf__Value Value;

/* Everything the response's messages need is taken from one scratch arena; a failed
 * allocation longjmps to the encoder's top (the arena's oom target). */
static char *dup_str(gh_arena *a, extauthz_str s) {
    return gh_arena_strndup(a, s.ptr ? s.ptr : "", s.len);
}

static HeaderValueOption **header_options(gh_arena *a, const extauthz_kv *kv, size_t n) {
    HeaderValueOption **opts = gh_arena_calloc(a, n + 1, sizeof *opts);
    for (size_t i = 0; i < n; i++) {
        HeaderValue *hv = gh_arena_alloc(a, sizeof *hv);
        envoy__config__core__v3__header_value__init(hv);
        hv->key = dup_str(a, kv[i].key);
        hv->value = dup_str(a, kv[i].value);
        opts[i] = gh_arena_alloc(a, sizeof **opts);
        envoy__config__core__v3__header_value_option__init(opts[i]);
        opts[i]->header = hv;
    }
    return opts;
}

static char **string_list(gh_arena *a, const extauthz_str *s, size_t n) {
    char **list = gh_arena_calloc(a, n + 1, sizeof *list);
    for (size_t i = 0; i < n; i++) list[i] = dup_str(a, s[i]);
    return list;
}

static QueryParameter **query_params(gh_arena *a, const extauthz_kv *kv, size_t n) {
    QueryParameter **list = gh_arena_calloc(a, n + 1, sizeof *list);
    for (size_t i = 0; i < n; i++) {
        list[i] = gh_arena_alloc(a, sizeof **list);
        envoy__config__core__v3__query_parameter__init(list[i]);
        list[i]->key = dup_str(a, kv[i].key);
        list[i]->value = dup_str(a, kv[i].value);
    }
    return list;
}

static Struct *pb_struct(gh_arena *a, const gh_value *obj, const char *decision_id);

static Value *pb_value(gh_arena *a, const gh_value *v) {
    Value *pv = gh_arena_alloc(a, sizeof *pv);
    google__protobuf__value__init(pv);
    switch (gh_value_kind(v)) {
    case GH_KIND_NULL:
        pv->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
        break;
    case GH_KIND_BOOL:
        pv->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
        pv->bool_value = gh_value_get_bool(v);
        break;
    case GH_KIND_NUMBER:
        pv->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
        pv->number_value = gh_number_get_double(v);
        break;
    case GH_KIND_STRING:
        pv->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
        pv->string_value = dup_str(a, str_of(v));
        break;
    case GH_KIND_OBJECT:
        pv->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
        pv->struct_value = pb_struct(a, v, NULL);
        break;
    case GH_KIND_ARRAY:
    case GH_KIND_SET: {
        Google__Protobuf__ListValue *l = gh_arena_alloc(a, sizeof *l);
        google__protobuf__list_value__init(l);
        l->n_values = gh_value_len(v);
        l->values = gh_arena_calloc(a, l->n_values + 1, sizeof *l->values);
        for (size_t i = 0; i < l->n_values; i++)
            l->values[i] = pb_value(a, gh_value_kind(v) == GH_KIND_SET ? gh_set_item_at(v, i)
                                                                      : gh_array_get(v, i));
        pv->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
        pv->list_value = l;
        break;
    }
    }
    return pv;
}

static Google__Protobuf__Struct__FieldsEntry *struct_entry(gh_arena *a, char *key, Value *v) {
    Google__Protobuf__Struct__FieldsEntry *e = gh_arena_alloc(a, sizeof *e);
    google__protobuf__struct__fields_entry__init(e);
    e->key = key;
    e->value = v;
    return e;
}

/* obj's members (string keys, checked by the decision mapping), plus "decision_id" when
 * given, which replaces a member of that name as the plugin's does. */
static Struct *pb_struct(gh_arena *a, const gh_value *obj, const char *decision_id) {
    Struct *s = gh_arena_alloc(a, sizeof *s);
    google__protobuf__struct__init(s);
    size_t n = obj ? gh_value_len(obj) : 0;
    s->fields = gh_arena_calloc(a, n + 2, sizeof *s->fields);
    for (size_t i = 0; i < n; i++) {
        extauthz_str k = str_of(gh_object_key_at(obj, i));
        if (decision_id && k.len == 11 && memcmp(k.ptr, "decision_id", 11) == 0) continue;
        s->fields[s->n_fields++] = struct_entry(a, dup_str(a, k), pb_value(a, gh_object_value_at(obj, i)));
    }
    if (decision_id) {
        Value *v = gh_arena_alloc(a, sizeof *v);
        google__protobuf__value__init(v);
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
        v->string_value = gh_arena_strndup(a, decision_id, strlen(decision_id));
        s->fields[s->n_fields++] = struct_entry(a, "decision_id", v);
    }
    return s;
}

static Envoy__Service__Auth__V3__OkHttpResponse *ok_response(gh_arena *a, const extauthz_result *r) {
    Envoy__Service__Auth__V3__OkHttpResponse *ok = gh_arena_alloc(a, sizeof *ok);
    envoy__service__auth__v3__ok_http_response__init(ok);
    ok->n_headers = r->n_headers;
    ok->headers = header_options(a, r->headers, r->n_headers);
    ok->n_headers_to_remove = r->n_request_headers_to_remove;
    ok->headers_to_remove = string_list(a, r->request_headers_to_remove, r->n_request_headers_to_remove);
    ok->n_response_headers_to_add = r->n_response_headers_to_add;
    ok->response_headers_to_add =
        header_options(a, r->response_headers_to_add, r->n_response_headers_to_add);
    ok->n_query_parameters_to_set = r->n_query_parameters_to_set;
    ok->query_parameters_to_set = query_params(a, r->query_parameters_to_set, r->n_query_parameters_to_set);
    ok->n_query_parameters_to_remove = r->n_query_parameters_to_remove;
    ok->query_parameters_to_remove =
        string_list(a, r->query_parameters_to_remove, r->n_query_parameters_to_remove);
    return ok;
}

static Envoy__Service__Auth__V3__DeniedHttpResponse *denied_response(gh_arena *a,
                                                                     const extauthz_result *r) {
    Envoy__Service__Auth__V3__DeniedHttpResponse *d = gh_arena_alloc(a, sizeof *d);
    envoy__service__auth__v3__denied_http_response__init(d);
    d->status = gh_arena_alloc(a, sizeof *d->status);
    envoy__type__v3__http_status__init(d->status);
    d->status->code = (Envoy__Type__V3__StatusCode)r->http_status;
    d->n_headers = r->n_headers;
    d->headers = header_options(a, r->headers, r->n_headers);
    d->body = dup_str(a, r->body);
    return d;
}

static void build_response(gh_arena *a, const extauthz_result *r,
                           Envoy__Service__Auth__V3__CheckResponse *resp) {
    Google__Rpc__Status *st = gh_arena_alloc(a, sizeof *st);
    google__rpc__status__init(st);
    st->code = r->allowed ? GRPC_OK : GRPC_PERMISSION_DENIED;
    resp->status = st;
    if (r->structured && r->allowed) {
        resp->http_response_case = ENVOY__SERVICE__AUTH__V3__CHECK_RESPONSE__HTTP_RESPONSE_OK_RESPONSE;
        resp->ok_response = ok_response(a, r);
    } else if (r->structured) {
        resp->http_response_case =
            ENVOY__SERVICE__AUTH__V3__CHECK_RESPONSE__HTTP_RESPONSE_DENIED_RESPONSE;
        resp->denied_response = denied_response(a, r);
    }
    if (r->dynamic_metadata || r->decision_id)
        resp->dynamic_metadata = pb_struct(a, r->dynamic_metadata, r->decision_id);
}

int extauthz_encode_check_response(const extauthz_result *r, uint8_t **buf, size_t *len) {
    gh_arena a;
    jmp_buf oom;
    *buf = NULL;
    *len = 0;
    gh_arena_init(&a, 0);
    a.oom = &oom;
    if (setjmp(oom)) {
        gh_arena_free(&a);
        return GH_ENOMEM;
    }
    Envoy__Service__Auth__V3__CheckResponse resp = ENVOY__SERVICE__AUTH__V3__CHECK_RESPONSE__INIT;
    build_response(&a, r, &resp);
    size_t n = envoy__service__auth__v3__check_response__get_packed_size(&resp);
    uint8_t *out = malloc(n ? n : 1);
    if (out) envoy__service__auth__v3__check_response__pack(&resp, out);
    gh_arena_free(&a);
    if (!out) return GH_ENOMEM;
    *buf = out;
    *len = n;
    return 0;
}

/* ---- the http_service answer ---- */

static size_t removal_list_len(const extauthz_result *r) {
    size_t n = 0;
    for (size_t i = 0; i < r->n_request_headers_to_remove; i++)
        n += r->request_headers_to_remove[i].len + 2;
    return n;
}

/* Envoy's http_service takes the removals as one header: "a, b". */
static extauthz_str removal_list(const extauthz_result *r, char *dst) {
    size_t o = 0;
    for (size_t i = 0; i < r->n_request_headers_to_remove; i++) {
        if (i) dst[o++] = ',', dst[o++] = ' ';
        memcpy(dst + o, r->request_headers_to_remove[i].ptr, r->request_headers_to_remove[i].len);
        o += r->request_headers_to_remove[i].len;
    }
    return (extauthz_str){dst, o};
}

static int allowed_reply(const extauthz_result *r, extauthz_http_reply *out) {
    size_t n = r->n_headers + r->n_response_headers_to_add + 1;
    out->headers = calloc(n, sizeof *out->headers);
    if (!out->headers) return GH_ENOMEM;
    for (size_t i = 0; i < r->n_headers; i++) out->headers[out->n_headers++] = r->headers[i];
    for (size_t i = 0; i < r->n_response_headers_to_add; i++)
        out->headers[out->n_headers++] = r->response_headers_to_add[i];
    if (r->n_request_headers_to_remove) {
        if (!(out->storage = malloc(removal_list_len(r) + 1))) return GH_ENOMEM;
        out->headers[out->n_headers++] =
            (extauthz_kv){{"x-envoy-auth-headers-to-remove", 30}, removal_list(r, out->storage)};
    }
    out->status = 200;
    return 0;
}

int extauthz_http_response(const extauthz_result *r, extauthz_http_reply *out) {
    memset(out, 0, sizeof *out);
    int rc = 0;
    if (r->allowed) {
        rc = allowed_reply(r, out);
    } else {
        out->status = r->http_status ? r->http_status : DEFAULT_DENY_STATUS;
        out->body = r->body;
        if (r->n_headers && !(out->headers = calloc(r->n_headers, sizeof *out->headers)))
            rc = GH_ENOMEM;
        for (size_t i = 0; !rc && i < r->n_headers; i++) out->headers[out->n_headers++] = r->headers[i];
    }
    if (rc) extauthz_http_reply_free(out);
    return rc;
}

void extauthz_http_reply_free(extauthz_http_reply *reply) {
    free(reply->headers);
    free(reply->storage);
    memset(reply, 0, sizeof *reply);
}
