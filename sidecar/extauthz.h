/* Envoy ext_authz, the transport-free core: a CheckRequest (protobuf bytes) or an
 * http_service request becomes the input document opa-envoy-plugin builds; a policy's
 * decision becomes an extauthz_result; a result becomes CheckResponse bytes or the HTTP
 * answer. Pure functions: no I/O, no clock, no globals; the gRPC and HTTP listeners call
 * them.
 *
 * Lifetimes: input documents live in the arena they are built in. A result points into
 * the decision's values (so it lives no longer than the decision's arena) and owns a few
 * malloc'd arrays, released by extauthz_result_free. */
#ifndef GATEHOUSE_EXTAUTHZ_H
#define GATEHOUSE_EXTAUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/arena.h"
#include "gatehouse/value.h"

/* Envoy's own cap on a Check is the gRPC receive limit; this is the plugin's (grpc-go's
 * default 4 MiB). Transports refuse larger messages before decoding. */
#define EXTAUTHZ_MAX_MESSAGE (4u << 20)
/* Nesting allowed in a CheckRequest (messages within messages, Struct values included):
 * deeper ones are refused as malformed rather than risk the stack. */
#define EXTAUTHZ_MAX_DEPTH 64

typedef struct extauthz_str {
    const char *ptr; /* not necessarily NUL-terminated */
    size_t len;
} extauthz_str;

typedef struct extauthz_kv {
    extauthz_str key, value;
} extauthz_kv;

typedef struct extauthz_opts {
    bool skip_body_parse; /* the plugin's skip-request-body-parse: no parsed_body and no
                             truncated_body in the input */
} extauthz_opts;

/* ---- requests to input documents ---- */

/* buf[0..len) is a serialized envoy.service.auth.v3.CheckRequest. On success returns 0 and
 * *input is the document opa-envoy-plugin evaluates (attributes in protojson's
 * lowerCamelCase, parsed_path, parsed_query, parsed_body, truncated_body, version,
 * source_principal), allocated from `a`. On failure returns a GH_E* code with a message in
 * err: GH_EPARSE for bytes that are not a CheckRequest (bad wire format, invalid UTF-8 in
 * a string, nesting beyond EXTAUTHZ_MAX_DEPTH), GH_EINVAL for a request the plugin refuses
 * to turn into input (a bad percent-escape in the path or query, a body that does not
 * parse as its content-type says, a bad content-length), GH_ELIMIT/GH_ENOMEM when the arena
 * is exhausted. A request that fails here is denied as the plugin denies it: see
 * extauthz_bad_request. */
int extauthz_decode_check(const uint8_t *buf, size_t len, gh_arena *a, const gh_value **input,
                          char *err, size_t errlen);
/* The same with options (the default options are all false). */
int extauthz_decode_check_opts(const uint8_t *buf, size_t len, gh_arena *a,
                               const extauthz_opts *opts, const gh_value **input, char *err,
                               size_t errlen);

/* An http_service request (Envoy's HTTP mode): the original method, path and query (the
 * authorization server sees Envoy's path_prefix in front of the path: give it as
 * strip_prefix), headers as received (names in any case; repeated names joined with ","
 * as Envoy joins them) and the body Envoy forwarded. */
typedef struct extauthz_http_request {
    extauthz_str method;
    extauthz_str path;  /* without the query */
    extauthz_str query; /* without the '?'; empty when none */
    const extauthz_kv *headers;
    size_t n_headers;
    extauthz_str body;
    extauthz_str protocol;     /* "HTTP/1.1"; empty leaves it out */
    extauthz_str strip_prefix; /* taken off the front of path when it starts with it */
} extauthz_http_request;

/* The same document extauthz_decode_check builds for the equivalent CheckRequest
 * (attributes.request.http with id from x-request-id, method, headers with :authority,
 * :method and :path, path, host, protocol, body), so one policy serves both listeners.
 * Same returns as extauthz_decode_check (never GH_EPARSE). */
int extauthz_input_from_http(const extauthz_http_request *req, gh_arena *a,
                             const extauthz_opts *opts, const gh_value **input, char *err,
                             size_t errlen);

/* The input with one more top-level member (or the member replaced): the listener adds
 * the verified identity as "subject" this way. 0, or GH_ENOMEM. */
int extauthz_input_with(gh_arena *a, const gh_value *input, const char *key,
                        const gh_value *value, const gh_value **out);

/* ---- decisions to results ---- */

typedef struct extauthz_result {
    bool allowed;          /* what Envoy is told */
    bool policy_allowed;   /* what the policy decided (false on an error); differs from
                              `allowed` only in dry-run mode */
    bool dry_run;
    bool structured;       /* the CheckResponse carries an ok_response or denied_response:
                              the decision was an object, or could not be used, or dry-run
                              turned a denial into an allow (a plain boolean's does not) */
    int http_status;       /* of a denial: the decision's http_status, else 403 */
    extauthz_kv *headers;  /* "headers": added upstream when allowed, sent to the client
                              when denied */
    size_t n_headers;
    extauthz_kv *response_headers_to_add; /* allowed: added to the client's response */
    size_t n_response_headers_to_add;
    extauthz_str *request_headers_to_remove; /* allowed: removed before going upstream */
    size_t n_request_headers_to_remove;
    extauthz_kv *query_parameters_to_set;
    size_t n_query_parameters_to_set;
    extauthz_str *query_parameters_to_remove;
    size_t n_query_parameters_to_remove;
    extauthz_str body;     /* of a denial */
    const gh_value *dynamic_metadata; /* an object, or NULL */
    const char *decision_id; /* set by the caller (NUL-terminated) to have it added to the
                                dynamic metadata as "decision_id", as the plugin does */
    char error[256];       /* why the decision could not be used, for the decision log
                              (never sent to the client); "" when it could */
} extauthz_result;

/* Maps a decision as opa-envoy-plugin does. `decision` is the value of the configured
 * rule, or NULL when it was undefined or its evaluation failed. A boolean allows or
 * denies; an object needs a boolean `allowed` and may carry headers (an object of string
 * or string-array values, or an array of such objects), response_headers_to_add,
 * request_headers_to_remove and query_parameters_to_remove (string arrays),
 * query_parameters_to_set (an object of strings or string arrays), body (a string),
 * http_status (one of Envoy's status codes) and dynamic_metadata (an object). Whatever
 * cannot be used (undefined, a wrong type anywhere) denies with 403 (or the decision's own
 * valid http_status and body) and says why in out->error. With dry_run the result always
 * allows, with nothing changed upstream, and policy_allowed keeps the real answer.
 * Returns 0 when the decision was usable, GH_EINVAL when not (out is filled either way),
 * GH_ENOMEM when out of memory (out denies). */
int extauthz_decide(const gh_value *decision, bool dry_run, extauthz_result *out);
void extauthz_result_free(extauthz_result *r);
/* A denial for a request that could not be turned into input (extauthz_decode_check
 * failed): 400, as the plugin answers, with `why` (copied, cut to fit) for the log only. */
void extauthz_bad_request(extauthz_result *out, const char *why);

/* ---- results to responses ---- */

/* The serialized envoy.service.auth.v3.CheckResponse: status code 0 (OK) or 7
 * (PERMISSION_DENIED); for structured decisions an ok_response (headers,
 * headers_to_remove, response_headers_to_add, query_parameters_to_set/_remove) or a
 * denied_response (status, headers, body); dynamic_metadata with the decision id. *buf is
 * malloc'd (the caller frees it). 0, or GH_ENOMEM / GH_EINVAL (metadata that protobuf's
 * Struct cannot hold, such as a non-string key). */
int extauthz_encode_check_response(const extauthz_result *r, uint8_t **buf, size_t *len);

/* What the HTTP listener answers Envoy's http_service: 200 with the headers Envoy adds
 * upstream (and response_headers_to_add, which Envoy's allowed_client_headers_on_success
 * may pick; removals in x-envoy-auth-headers-to-remove), or the denial's status, headers
 * and body. */
typedef struct extauthz_http_reply {
    int status;
    extauthz_kv *headers; /* malloc'd; point into the result or into `storage` */
    size_t n_headers;
    extauthz_str body;
    char *storage; /* malloc'd text for headers built here */
} extauthz_http_reply;

/* 0 or GH_ENOMEM. Free with extauthz_http_reply_free; lives no longer than r's decision. */
int extauthz_http_response(const extauthz_result *r, extauthz_http_reply *out);
void extauthz_http_reply_free(extauthz_http_reply *reply);

#endif
