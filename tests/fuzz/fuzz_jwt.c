/* Fuzz target for the daemon's bearer-token verifier (sidecar/jwt.c over engine/jose.c): the
 * input is a token, checked against a fixed set of two issuers with an HMAC secret and a
 * P-256 key (the seeds in corpus/jwt/ are tokens they accept and near misses). An input
 * "!" + digit + "HEADER.CLAIMS" is signed here first (HS256/384/512 by the digit), so that
 * mutated claims still reach the checks that only run after the signature. Oracles: the
 * result is coherent (a known reason, a detail, header and claims objects on success, an
 * accepted alg the issuer allows); the input, when it is strict base64url, encodes back to
 * itself. Any violation abort()s. */
#include "gatehouse/jose.h"
#include "jwt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NOW 1800000000LL /* the seeds' tokens are valid at this time */

/* The HMAC secret and the public half of tests/data/jwt/ec256.pem (test-only keys). */
static const char hs_secret[] = "fuzz-secret-fuzz-secret-fuzz-secret-fuzz-secret-0123456789abcdef";
static const char ec_jwk[] = "{\"kty\":\"EC\",\"kid\":\"ec-256\",\"crv\":\"P-256\","
                             "\"x\":\"iSIOQKrIDvfaD_6GIpfVJh6PKxpOHmxRZOe3K0nF2VA\","
                             "\"y\":\"esuDvTw-Vt5fFhNduIzOAbUqmdjyx9k620HwvRj6cW0\"}";

static gh_jose_keyset keys;
static const char *const auds[] = {"gatehouse"};
static const char *const required[] = {"sub"};
static jwt_issuer issuers[2];

static void setup(void)
{
    char err[200];
    gh_jose_keyset hs;
    if (gh_jose_keyset_from_jwk(ec_jwk, sizeof ec_jwk - 1, NULL, &keys, err, sizeof err) ||
        gh_jose_keyset_from_secret(hs_secret, sizeof hs_secret - 1, &hs, err, sizeof err) ||
        gh_jose_key_set_kid(&hs.keys[0], "hs-1", 4) || gh_jose_keyset_append(&keys, &hs))
        abort();
    issuers[0] =
        (jwt_issuer){.iss = "https://idp.example.com",
                     .algs = GH_JOSE_ALG_BIT(GH_JOSE_HS256) | GH_JOSE_ALG_BIT(GH_JOSE_ES256),
                     .audiences = auds,
                     .naudiences = 1,
                     .leeway_s = 30,
                     .max_age_s = 3600,
                     .find_key = jwt_keyset_find_key,
                     .find_key_ud = &keys};
    issuers[1] = (jwt_issuer){.iss = "https://other.example",
                              .algs = GH_JOSE_ALGS_ALL,
                              .required = required,
                              .nrequired = 1,
                              .find_key = jwt_keyset_find_key,
                              .find_key_ud = &keys};
}

static void check_result(jwt_reason r, const jwt_result *out)
{
    if ((unsigned)r >= JWT_REASON_COUNT || out->reason != r || !out->detail) abort();
    if (!jwt_reason_class(r) || !jwt_reason_message(r)) abort();
    if (r != JWT_OK) return;
    if (!out->issuer || !out->header || !out->claims) abort();
    if (gh_value_kind(out->header) != GH_KIND_OBJECT ||
        gh_value_kind(out->claims) != GH_KIND_OBJECT)
        abort();
    size_t an;
    const char *alg = gh_string_ptr(gh_object_get_str(out->header, "alg", 3), &an);
    gh_jose_alg a = alg ? gh_jose_alg_from_name(alg, an) : GH_JOSE_UNKNOWN;
    if (a <= GH_JOSE_NONE || !(out->issuer->algs & GH_JOSE_ALG_BIT(a))) abort();
}

/* Strict base64url has one text per byte string. */
static void check_b64(const uint8_t *data, size_t size)
{
    unsigned char *dec = malloc(size * 3 / 4 + 1);
    size_t dn;
    if (dec && gh_jose_b64url_decode((const char *)data, size, dec, &dn)) {
        char *enc = malloc(GH_JOSE_B64URL_LEN(dn) + 1);
        if (!enc) abort();
        size_t en = gh_jose_b64url_encode(dec, dn, enc);
        if (en != size || memcmp(enc, data, size)) abort();
        free(enc);
    }
    free(dec);
}

/* "!" + digit + input: the input with an HMAC signature of it appended (malloc'd). */
static char *signed_here(const uint8_t *data, size_t size, size_t *n)
{
    static const gh_jose_alg hs[3] = {GH_JOSE_HS256, GH_JOSE_HS384, GH_JOSE_HS512};
    const gh_jose_key *k = gh_jose_keyset_find(&keys, "hs-1", 4, GH_JOSE_HS256);
    unsigned char *sig;
    size_t sn;
    char err[200];
    if (!k || gh_jose_sign(k, hs[data[1] % 3], data + 2, size - 2, &sig, &sn, err, sizeof err))
        abort();
    char *t = malloc(size + 1 + GH_JOSE_B64URL_LEN(sn));
    if (!t) abort();
    memcpy(t, data + 2, size - 2);
    t[size - 2] = '.';
    *n = size - 1 + gh_jose_b64url_encode(sig, sn, t + size - 1);
    free(sig);
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        setup();
        ready = true;
    }
    size_t n = size;
    char *resigned = size >= 2 && data[0] == '!' ? signed_here(data, size, &n) : NULL;
    gh_arena a;
    gh_arena_init(&a, 1u << 20);
    jwt_result out;
    jwt_reason r =
        jwt_verify(&a, resigned ? resigned : (const char *)data, n, issuers, 2, FUZZ_NOW, &out);
    check_result(r, &out);
    gh_arena_free(&a);
    free(resigned);
    check_b64(data, size);
    return 0;
}
