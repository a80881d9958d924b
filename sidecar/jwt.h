/* Bearer-token verification for the daemon: one JWS-compact JWT checked against the trusted
 * issuers of a listener. The rules are strict on purpose: the issuer's key decides the
 * algorithm family (an RSA public key is never an HMAC secret), `none` is always refused,
 * `jku`/`x5u`/`x5c`/`jwk`/`crit` headers are refused rather than followed, duplicate
 * members and non-numeric times are refused, and every refusal has its own reason.
 * Pure functions over bytes: no I/O, no clock (the caller passes `now`), fuzzable. */
#ifndef GH_JWT_H
#define GH_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/arena.h"
#include "gatehouse/jose.h"
#include "gatehouse/value.h"

/* Each reason: name, class (what the 401 body and the metrics say), message. */
#define JWT_REASON_MAP(X)                                                                          \
    X(OK, "ok", "valid")                                                                           \
    X(MISSING, "missing_token", "no bearer token")                                                 \
    X(TOO_LARGE, "malformed", "token larger than the limit")                                       \
    X(MALFORMED, "malformed", "not a JWS compact token (three base64url parts)")                   \
    X(BAD_BASE64, "malformed", "a part is not valid unpadded base64url")                           \
    X(BAD_HEADER, "malformed", "the header is not a JSON object with a string alg and kid")        \
    X(BAD_CLAIMS, "malformed", "the claims are not a JSON object")                                 \
    X(DUPLICATE_MEMBER, "malformed", "a member appears twice in the header or the claims")         \
    X(ALG_NONE, "bad_algorithm", "alg none is never accepted")                                     \
    X(ALG_UNKNOWN, "bad_algorithm", "unknown alg")                                                 \
    X(ALG_NOT_ALLOWED, "bad_algorithm", "alg not allowed for this issuer")                         \
    X(ALG_KEY_MISMATCH, "bad_algorithm", "alg does not fit the key's type")                        \
    X(WEAK_KEY, "bad_algorithm",                                                                   \
      "key too weak (RSA under 2048 bits, HMAC secret under hash size)")                           \
    X(UNTRUSTED_HEADER, "untrusted_header", "jku, x5u, x5c, jwk and crit headers are refused")     \
    X(UNKNOWN_ISSUER, "wrong_issuer", "issuer not trusted")                                        \
    X(UNKNOWN_KEY, "unknown_key", "no key of the issuer matches the token's kid")                  \
    X(BAD_SIGNATURE, "bad_signature", "signature does not verify")                                 \
    X(EXPIRED, "expired", "token expired")                                                         \
    X(NOT_YET_VALID, "not_yet_valid", "token not valid yet (nbf)")                                 \
    X(ISSUED_IN_FUTURE, "not_yet_valid", "token issued in the future (iat)")                       \
    X(TOO_OLD, "expired", "token older than the maximum age")                                      \
    X(WRONG_AUDIENCE, "wrong_audience", "audience does not include this listener's")               \
    X(MISSING_CLAIM, "missing_claim", "a required claim is missing")                               \
    X(BAD_CLAIM_TYPE, "invalid_claim", "a registered claim has the wrong type")

typedef enum {
#define JWT_X_ENUM(name, cls, msg) JWT_##name,
    JWT_REASON_MAP(JWT_X_ENUM)
#undef JWT_X_ENUM
        JWT_REASON_COUNT
} jwt_reason;

const char *jwt_reason_class(jwt_reason r);   /* "expired" */
const char *jwt_reason_message(jwt_reason r); /* "token expired" */
const char *jwt_reason_name(jwt_reason r);    /* "EXPIRED" */

#define JWT_MAX_TOKEN 16384 /* bytes; a longer token is TOO_LARGE before any decoding */

/* Finds the issuer's key for a token: kid (NULL when the header has none) and the token's
 * alg. May return NULL (UNKNOWN_KEY); the key stays valid until jwt_verify returns. The key
 * returned is then checked: it must fit alg (gh_jose_key_fits), name the same alg when its
 * JWK names one, not be a "use": "enc" key, and be strong enough (WEAK_KEY). */
typedef const gh_jose_key *(*jwt_find_key)(void *ud, const char *kid, size_t kid_len,
                                           gh_jose_alg alg);

/* A jwt_find_key over a gh_jose_keyset (ud): gh_jose_keyset_find. */
const gh_jose_key *jwt_keyset_find_key(void *ud, const char *kid, size_t kid_len, gh_jose_alg alg);

/* One trusted issuer as a listener configures it. */
typedef struct jwt_issuer {
    const char *iss;              /* matched exactly against the token's iss */
    unsigned algs;                /* allowed algorithms: bits (1u << GH_JOSE_xxx) */
    const char *const *audiences; /* the token's aud must contain one (none: aud unchecked) */
    size_t naudiences;
    int64_t leeway_s;            /* applied to exp, nbf and iat */
    int64_t max_age_s;           /* now - iat must not exceed it (+ leeway); 0 = no limit
                                    (iat optional); > 0 makes iat required */
    const char *const *required; /* claim names that must be present (exp is optional
                                    otherwise, as RFC 7519 has it: list it to require it) */
    size_t nrequired;
    jwt_find_key find_key;
    void *find_key_ud;
} jwt_issuer;

typedef struct jwt_result {
    jwt_reason reason;
    const char *detail;       /* what is at fault: "parts", "header", "claims", "signature",
                                 a header member ("alg", "kid", "jku"...), "kty", "use" or
                                 "key" (the key), a claim name ("exp", "aud", a required
                                 one); "" when nothing more precise applies */
    const jwt_issuer *issuer; /* the issuer the token named, when trusted */
    const gh_value *header;   /* in the arena; NULL before the header decoded */
    const gh_value *claims;   /* in the arena; NULL before the claims decoded; UNVERIFIED
                                 unless reason is OK: never log or use them otherwise */
    int64_t exp;              /* the exp claim (0 when absent), for caching */
} jwt_result;

/* Verifies token[0..len) against the issuers (the one whose iss equals the token's) at
 * time now (Unix seconds). Decoded parts are allocated in `a`. Returns out->reason.
 *
 * The checks, in order (the first that fails gives the reason): size (TOO_LARGE); three
 * parts, header and claims not empty (MALFORMED); the header: strict base64url
 * (BAD_BASE64), a JSON object (BAD_HEADER) without repeated members (DUPLICATE_MEMBER), a
 * string alg (BAD_HEADER), not none in any case (ALG_NONE), known (ALG_UNKNOWN), no jku,
 * x5u, x5c, jwk or crit (UNTRUSTED_HEADER), a kid that is a string (BAD_HEADER); the
 * claims decoded the same way (BAD_BASE64, BAD_CLAIMS, DUPLICATE_MEMBER); iss present
 * (MISSING_CLAIM), a string (BAD_CLAIM_TYPE), trusted (UNKNOWN_ISSUER); alg allowed for the
 * issuer (ALG_NOT_ALLOWED); the key (UNKNOWN_KEY, ALG_KEY_MISMATCH, WEAK_KEY); the
 * signature (BAD_BASE64, BAD_SIGNATURE). Only then, on verified claims: exp, nbf, iat
 * numbers (BAD_CLAIM_TYPE; numeric strings too), sub and aud of their types; required
 * claims (MISSING_CLAIM); exp (EXPIRED), nbf (NOT_YET_VALID), iat (ISSUED_IN_FUTURE),
 * max age (TOO_OLD), audience (MISSING_CLAIM, WRONG_AUDIENCE). */
jwt_reason jwt_verify(gh_arena *a, const char *token, size_t len, const jwt_issuer *issuers,
                      size_t nissuers, int64_t now, jwt_result *out);

/* Signs claims (a JSON object text, without repeated members) as a compact JWT with key k
 * under alg, with header {"alg", "kid" (when the key has one), "typ": "JWT"}. The claims
 * text is encoded as given. Refuses what jwt_verify would refuse: alg none or unknown, a
 * key that does not fit alg or is too weak, a key without a private part. 0 and *out
 * (malloc'd, NUL-ended), or -1 with a message in err. For `gatehouse token` and tests. */
int jwt_sign(const gh_jose_key *k, gh_jose_alg alg, const char *claims_json, size_t n, char **out,
             char *err, size_t errlen);

#endif
