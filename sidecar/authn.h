/* Request authentication: the bearer token of a request, verified against the configured
 * issuers (jwt.c, keys.c), becomes input.subject (id, tenant, roles from configured claim
 * paths, plus every verified claim under "claims"). The raw token never reaches the policy
 * or the log. Each worker remembers verified tokens until they expire, so a hot client pays
 * the signature check once; a change of any issuer's keys voids those memories. */
#ifndef GH_AUTHN_H
#define GH_AUTHN_H

#include <stdatomic.h>

#include "config.h"
#include "http.h"
#include "jwt.h"
#include "keys.h"

typedef struct authn authn;
typedef struct authn_cache authn_cache;

/* Starts the key manager (file keys load now; URL keys are fetched). NULL with err. */
authn *authn_new(const auth_cfg *cfg, char *err, size_t errlen);
void authn_free(authn *a);

/* One per worker thread. */
authn_cache *authn_cache_new(const authn *a);
void authn_cache_free(authn_cache *c);

typedef struct authn_result {
    jwt_reason reason;
    const char *detail;
    const gh_value *subject; /* on JWT_OK, in the arena */
    bool cached;
} authn_result;

/* Authenticates req (its Authorization: Bearer header) at wall-clock second now, for the
 * listener's audiences (NULL: auth.audiences). May block
 * its thread briefly when a token names a kid the keys lack (one rate-limited re-fetch). */
jwt_reason authn_request(authn *a, authn_cache *c, gh_arena *arena, const http_request *req,
                         const str_list *audiences, int64_t now, authn_result *out);

/* The same from the Authorization header's value (NULL when there is none), for requests
 * that arrive inside another protocol (an ext_authz CheckRequest). */
jwt_reason authn_header(authn *a, authn_cache *c, gh_arena *arena, const char *value,
                        size_t value_len, const str_list *audiences, int64_t now,
                        authn_result *out);

/* 401 with an RFC 6750 WWW-Authenticate header and {"code", "reason", "message"}; the
 * token is never echoed. */
void authn_refuse(http_response *resp, const authn_result *r);

/* Prometheus text: outcomes by reason class over every worker's cache, key fetches. */
void authn_render_metrics(authn *a, authn_cache *const *caches, int n, gh_buf *out);

/* input (an object, or NULL for {}) with "subject" set to subject, replacing any subject
 * the client sent; NULL when input is not an object. */
const gh_value *authn_add_subject(gh_arena *a, const gh_value *input, const gh_value *subject);

/* The subject document for verified claims (also used by `gatehouse token verify`). */
const gh_value *authn_subject(const auth_cfg *cfg, gh_arena *arena, const gh_value *claims);

#endif
