/* Unit tests for the sidecar's bearer-token verifier (sidecar/jwt.c) and the JOSE module under
 * it (engine/jose.c): a corpus of hostile tokens, each refused with its own reason and detail;
 * every algorithm accepted, minted by jwt_sign and built by hand; jwt_sign's refusals; strict
 * base64url; keys from JWKS, PEM and secrets. Keys: tests/data/jwt/ (test-only, gen.sh). */
#include "gatehouse/error.h"
#include "gatehouse/jose.h"
#include "jwt.h"

#include "testlib.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define NOW 1800000000LL
#define ISS "https://idp.example.com"

/* ---- allocations kept until the end (the tests build many strings) ---- */

static void *kept[4096];
static size_t nkept;

static void *keep(void *p)
{
    if (nkept < sizeof kept / sizeof kept[0])
        kept[nkept++] = p;
    else
        test_fail(__FILE__, __LINE__, "too many kept allocations");
    return p;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    if (vasprintf(&s, f, ap) < 0) s = NULL;
    va_end(ap);
    return keep(s);
}

static char *b64(const void *s, size_t n)
{
    char *d = keep(malloc(GH_JOSE_B64URL_LEN(n) + 1));
    d[gh_jose_b64url_encode(s, n, d)] = '\0';
    return d;
}

static char *b64s(const char *s)
{
    return b64(s, strlen(s));
}

/* ---- keys ---- */

static gh_jose_keyset trusted; /* the JWKS, plus the HMAC secrets */
static gh_jose_keyset pems[16];
static size_t npems;
static char *hs_secret, *rsa_pub_pem;
static size_t hs_len, rsa_pub_len;

/* The private key of tests/data/jwt/NAME.pem, its kid set to kid (NULL: none). */
static const gh_jose_key *priv(const char *name, const char *kid)
{
    char path[128], err[200];
    snprintf(path, sizeof path, "data/jwt/%s.pem", name);
    size_t n;
    char *text = test_read_file(path, &n);
    gh_jose_keyset *ks = &pems[npems++];
    if (!text || gh_jose_keyset_from_pem(text, n, ks, err, sizeof err) || ks->n != 1) {
        test_fail(__FILE__, __LINE__, "%s: %s", path, text ? err : "unreadable");
        exit(1);
    }
    free(text);
    if (kid) gh_jose_key_set_kid(&ks->keys[0], kid, strlen(kid));
    return &ks->keys[0];
}

static const gh_jose_key *secret_key(const void *s, size_t n, const char *kid)
{
    char err[200];
    gh_jose_keyset *ks = &pems[npems++];
    if (gh_jose_keyset_from_secret(s, n, ks, err, sizeof err)) exit(1);
    if (kid) gh_jose_key_set_kid(&ks->keys[0], kid, strlen(kid));
    return &ks->keys[0];
}

/* Signing keys, their kids as in jwks.json. */
static const gh_jose_key *k_rsa, *k_rsa_b, *k_rsa512, *k_ec256, *k_ec256_b, *k_ec384, *k_ec521,
    *k_ed, *k_ed_b, *k_hs, *k_hs_short, *k_rsa_pub_as_secret, *k_enc;

static void load_keys(void)
{
    char err[200];
    size_t n;
    char *jwks = test_read_file("data/jwt/jwks.json", &n);
    CHECK(jwks != NULL);
    if (!jwks || gh_jose_keyset_parse(jwks, n, &trusted, err, sizeof err)) {
        test_fail(__FILE__, __LINE__, "jwks.json: %s", err);
        exit(1);
    }
    free(jwks);
    hs_secret = test_read_file("data/jwt/hs.secret", &hs_len);
    rsa_pub_pem = test_read_file("data/jwt/rsa.pub.pem", &rsa_pub_len);
    k_rsa = priv("rsa", "rsa-1");
    k_rsa_b = priv("rsa-b", "rsa-1"); /* another key under a trusted kid */
    k_rsa512 = priv("rsa512", "rsa-weak");
    k_ec256 = priv("ec256", "ec-256");
    k_ec256_b = priv("ec256-b", "ec-256");
    k_ec384 = priv("ec384", "ec-384");
    k_ec521 = priv("ec521", "ec-521");
    k_ed = priv("ed25519", "ed-1");
    k_ed_b = priv("ed25519-b", "ed-1");
    k_enc = priv("rsa-b", "enc-1");
    k_hs = secret_key(hs_secret, hs_len, "hs-1");
    k_hs_short = secret_key("0123456789abcdef", 16, "hs-short");
    /* the classic confusion: the RSA public key's PEM text used as an HMAC secret */
    k_rsa_pub_as_secret = secret_key(rsa_pub_pem, rsa_pub_len, "rsa-1");
    gh_jose_keyset extra;
    CHECK_INT(gh_jose_keyset_from_secret(hs_secret, hs_len, &extra, err, sizeof err), 0);
    gh_jose_key_set_kid(&extra.keys[0], "hs-1", 4);
    CHECK_INT(gh_jose_keyset_append(&trusted, &extra), 0);
    CHECK_INT(gh_jose_keyset_from_secret("0123456789abcdef", 16, &extra, err, sizeof err), 0);
    gh_jose_key_set_kid(&extra.keys[0], "hs-short", 8);
    CHECK_INT(gh_jose_keyset_append(&trusted, &extra), 0);
    gh_jose_keyset_free(&extra);
}

/* ---- issuers ---- */

static const char *const auds[] = {"gatehouse", "gatehouse-admin"};
static const char *const strict_required[] = {"sub", "tenant"};
static jwt_issuer issuers[3];

static void set_issuers(void)
{
    issuers[0] = (jwt_issuer){.iss = ISS,
                              .algs = GH_JOSE_ALGS_ALL,
                              .audiences = auds,
                              .naudiences = 2,
                              .leeway_s = 30,
                              .find_key = jwt_keyset_find_key,
                              .find_key_ud = &trusted};
    issuers[1] = issuers[0];
    issuers[1].iss = "https://rs-only.example.com";
    issuers[1].algs = GH_JOSE_ALG_BIT(GH_JOSE_RS256);
    issuers[2] = issuers[0];
    issuers[2].iss = "https://strict.example.com";
    issuers[2].max_age_s = 3600;
    issuers[2].required = strict_required;
    issuers[2].nrequired = 2;
}

/* ---- tokens ---- */

/* The usual claims for issuer iss, with extra members (",\"k\":v" text) appended. */
static char *claims_for(const char *iss, const char *extra)
{
    return fmt("{\"iss\":\"%s\",\"sub\":\"alice\",\"aud\":\"gatehouse\",\"iat\":%lld,"
               "\"exp\":%lld%s}",
               iss, NOW - 10, NOW + 600, extra ? extra : "");
}

static char *claims(const char *extra)
{
    return claims_for(ISS, extra);
}

/* A token minted by jwt_sign. */
static char *mint(const gh_jose_key *k, gh_jose_alg alg, const char *claims_json)
{
    char *tok = NULL, err[200];
    if (jwt_sign(k, alg, claims_json, strlen(claims_json), &tok, err, sizeof err))
        test_fail(__FILE__, __LINE__, "jwt_sign: %s", err);
    return keep(tok);
}

/* "header.claims" of the given JSON texts, signed by k under alg (k NULL: empty signature). */
static char *hand(const char *header, const char *claims_json, const gh_jose_key *k,
                  gh_jose_alg alg)
{
    char *input = fmt("%s.%s", b64s(header), b64s(claims_json));
    if (!k) return fmt("%s.", input);
    unsigned char *sig;
    size_t sn;
    char err[200];
    if (gh_jose_sign(k, alg, (const unsigned char *)input, strlen(input), &sig, &sn, err,
                     sizeof err)) {
        test_fail(__FILE__, __LINE__, "gh_jose_sign: %s", err);
        return input;
    }
    char *t = fmt("%s.%s", input, b64(sig, sn));
    free(sig);
    return t;
}

/* The part i (0, 1, 2) of a token, and a token with part i replaced. */
static char *part(const char *tok, int i)
{
    const char *p = tok;
    for (int j = 0; j < i; j++)
        p = strchr(p, '.') + 1;
    const char *e = strchr(p, '.');
    return fmt("%.*s", (int)(e ? e - p : (long)strlen(p)), p);
}

static char *with_part(const char *tok, int i, const char *repl)
{
    const char *ps[3] = {part(tok, 0), part(tok, 1), part(tok, 2)};
    ps[i] = repl;
    return fmt("%s.%s.%s", ps[0], ps[1], ps[2]);
}

/* ---- checking ---- */

static gh_arena A;
static int nhostile;

static jwt_reason verify_n(const char *tok, size_t n, jwt_result *r)
{
    gh_arena_reset(&A);
    return jwt_verify(&A, tok, n, issuers, 3, NOW, r);
}

/* A refusal: the exact reason and detail. */
#define HOSTILE(id, tok, want, want_detail)                                                        \
    hostile(__LINE__, id, tok, strlen(tok), want, want_detail)

static void hostile(int line, const char *id, const char *tok, size_t n, jwt_reason want,
                    const char *want_detail)
{
    jwt_result r;
    jwt_reason got = verify_n(tok, n, &r);
    nhostile++;
    tests_run++;
    if (got != want || r.reason != got || strcmp(r.detail, want_detail))
        test_fail(__FILE__, line, "%s: got %s (%s), want %s (%s)", id, jwt_reason_name(got),
                  r.detail, jwt_reason_name(want), want_detail);
}

#define ACCEPT(id, tok) accept(__LINE__, id, tok)

static void accept(int line, const char *id, const char *tok)
{
    jwt_result r;
    jwt_reason got = verify_n(tok, strlen(tok), &r);
    tests_run++;
    if (got != JWT_OK) {
        test_fail(__FILE__, line, "%s: refused: %s (%s)", id, jwt_reason_name(got), r.detail);
        return;
    }
    size_t n;
    const char *sub = gh_string_ptr(gh_object_get_str(r.claims, "sub", 3), &n);
    if (!sub || strcmp(sub, "alice") || r.issuer != &issuers[0] || r.exp != NOW + 600)
        test_fail(__FILE__, line, "%s: accepted with wrong results", id);
}

/* ---- jwt-1: every algorithm accepted, minted and by hand ---- */

static void test_accepted(void)
{
    const struct {
        const char *id;
        const gh_jose_key **k;
        gh_jose_alg alg;
    } ok[] = {
        {"jwt-1.1 HS256", &k_hs, GH_JOSE_HS256},     {"jwt-1.2 HS384", &k_hs, GH_JOSE_HS384},
        {"jwt-1.3 HS512", &k_hs, GH_JOSE_HS512},     {"jwt-1.4 RS256", &k_rsa, GH_JOSE_RS256},
        {"jwt-1.5 RS384", &k_rsa, GH_JOSE_RS384},    {"jwt-1.6 RS512", &k_rsa, GH_JOSE_RS512},
        {"jwt-1.7 PS256", &k_rsa, GH_JOSE_PS256},    {"jwt-1.8 PS384", &k_rsa, GH_JOSE_PS384},
        {"jwt-1.9 PS512", &k_rsa, GH_JOSE_PS512},    {"jwt-1.10 ES256", &k_ec256, GH_JOSE_ES256},
        {"jwt-1.11 ES384", &k_ec384, GH_JOSE_ES384}, {"jwt-1.12 ES512", &k_ec521, GH_JOSE_ES512},
        {"jwt-1.13 EdDSA", &k_ed, GH_JOSE_EDDSA},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ACCEPT(ok[i].id, mint(*ok[i].k, ok[i].alg, claims(NULL)));
        /* by hand: no typ, kid first, spaces in the JSON */
        const char *h = fmt("{ \"kid\": \"%s\", \"alg\": \"%s\" }", (*ok[i].k)->kid,
                            gh_jose_alg_name(ok[i].alg));
        ACCEPT(ok[i].id, hand(h, claims(NULL), *ok[i].k, ok[i].alg));
    }
    /* the header jwt_sign writes */
    char *t = mint(k_ec256, GH_JOSE_ES256, claims(NULL));
    size_t n;
    unsigned char hb[256];
    char *h = part(t, 0);
    CHECK(gh_jose_b64url_decode(h, strlen(h), hb, &n));
    CHECK_STR(fmt("%.*s", (int)n, (char *)hb),
              "{\"alg\":\"ES256\",\"kid\":\"ec-256\",\"typ\":\"JWT\"}");
    /* within the leeway; aud as an array holding ours; iat absent; the second audience */
    ACCEPT("jwt-1.14 leeway", mint(k_hs, GH_JOSE_HS256, claims(fmt(",\"nbf\":%lld", NOW + 29))));
    ACCEPT("jwt-1.15 aud array",
           mint(k_hs, GH_JOSE_HS256,
                fmt("{\"iss\":\"" ISS "\",\"sub\":\"alice\",\"aud\":[\"x\",\"gatehouse\"],"
                    "\"exp\":%lld}",
                    NOW + 600)));
    ACCEPT("jwt-1.16 second audience",
           mint(k_hs, GH_JOSE_HS256,
                fmt("{\"iss\":\"" ISS "\",\"sub\":\"alice\",\"aud\":\"gatehouse-admin\","
                    "\"exp\":%lld.75}",
                    NOW + 600)));
    /* exp 29 s ago is still inside the 30 s leeway */
    jwt_result r;
    char *late = mint(k_hs, GH_JOSE_HS256,
                      fmt("{\"iss\":\"" ISS "\",\"aud\":\"gatehouse\",\"exp\":%lld}", NOW - 29));
    CHECK_INT(verify_n(late, strlen(late), &r), JWT_OK);
    CHECK_INT(r.exp, NOW - 29);
    /* a token without kid finds the issuer's only key that fits */
    ACCEPT("jwt-1.17 no kid", hand("{\"alg\":\"ES384\"}", claims(NULL), k_ec384, GH_JOSE_ES384));
    /* the strict issuer, with what it requires */
    char *st =
        mint(k_hs, GH_JOSE_HS256, claims_for("https://strict.example.com", ",\"tenant\":\"acme\""));
    CHECK_INT(verify_n(st, strlen(st), &r), JWT_OK);
    CHECK(r.issuer == &issuers[2]);
}

/* ---- jwt-2: hostile tokens ---- */

static void test_alg_attacks(void)
{
    const char *c = claims(NULL);
    char *good = mint(k_hs, GH_JOSE_HS256, c);
    HOSTILE("jwt-2.1 alg none", hand("{\"alg\":\"none\"}", c, NULL, 0), JWT_ALG_NONE, "alg");
    HOSTILE("jwt-2.2 alg None", hand("{\"alg\":\"None\"}", c, NULL, 0), JWT_ALG_NONE, "alg");
    HOSTILE("jwt-2.3 alg NONE", hand("{\"alg\":\"NONE\"}", c, NULL, 0), JWT_ALG_NONE, "alg");
    HOSTILE("jwt-2.4 alg nOnE", hand("{\"alg\":\"nOnE\",\"kid\":\"hs-1\"}", c, NULL, 0),
            JWT_ALG_NONE, "alg");
    HOSTILE("jwt-2.5 alg none, a real signature",
            with_part(good, 0, b64s("{\"alg\":\"none\",\"kid\":\"hs-1\"}")), JWT_ALG_NONE, "alg");
    /* HS256 signed with the RSA public key's PEM bytes, naming the RSA key's kid */
    HOSTILE("jwt-2.6 HS256 with the RSA public key",
            hand("{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", c, k_rsa_pub_as_secret, GH_JOSE_HS256),
            JWT_ALG_KEY_MISMATCH, "kty");
    HOSTILE("jwt-2.7 HS256 with the RSA public key, no kid",
            hand("{\"alg\":\"HS256\"}", c, k_rsa_pub_as_secret, GH_JOSE_HS256), JWT_BAD_SIGNATURE,
            "signature");
    HOSTILE("jwt-2.8 HS256 to an RS256-only issuer",
            hand("{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", claims_for(issuers[1].iss, NULL),
                 k_rsa_pub_as_secret, GH_JOSE_HS256),
            JWT_ALG_NOT_ALLOWED, "alg");
    HOSTILE("jwt-2.9 unknown alg HS1024", hand("{\"alg\":\"HS1024\"}", c, k_hs, GH_JOSE_HS256),
            JWT_ALG_UNKNOWN, "alg");
    HOSTILE("jwt-2.10 alg missing", hand("{\"typ\":\"JWT\"}", c, k_hs, GH_JOSE_HS256),
            JWT_BAD_HEADER, "alg");
    HOSTILE("jwt-2.11 alg a number", hand("{\"alg\":256}", c, k_hs, GH_JOSE_HS256), JWT_BAD_HEADER,
            "alg");
    HOSTILE("jwt-2.12 alg es256 (case)", hand("{\"alg\":\"es256\"}", c, k_ec256, GH_JOSE_ES256),
            JWT_ALG_UNKNOWN, "alg");
    /* PS256 and RS256 swapped: the header names the other padding */
    char *ps = mint(k_rsa, GH_JOSE_PS256, c), *rs = mint(k_rsa, GH_JOSE_RS256, c);
    HOSTILE("jwt-2.13 PS256 signature under RS256",
            with_part(ps, 0, b64s("{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}")), JWT_BAD_SIGNATURE,
            "signature");
    HOSTILE("jwt-2.14 RS256 signature under PS256",
            with_part(rs, 0, b64s("{\"alg\":\"PS256\",\"kid\":\"rsa-1\"}")), JWT_BAD_SIGNATURE,
            "signature");
    HOSTILE("jwt-2.15 HS256 signature under HS512",
            with_part(good, 0, b64s("{\"alg\":\"HS512\",\"kid\":\"hs-1\"}")), JWT_BAD_SIGNATURE,
            "signature");
    HOSTILE("jwt-2.16 RS256 with a 512-bit key",
            hand("{\"alg\":\"RS256\",\"kid\":\"rsa-weak\"}", c, k_rsa512, GH_JOSE_RS256),
            JWT_WEAK_KEY, "key");
    HOSTILE("jwt-2.17 HS256 with a 16-byte secret",
            hand("{\"alg\":\"HS256\",\"kid\":\"hs-short\"}", c, k_hs_short, GH_JOSE_HS256),
            JWT_WEAK_KEY, "key");
    HOSTILE("jwt-2.18 a use:enc key", mint(k_enc, GH_JOSE_RS256, c), JWT_ALG_KEY_MISMATCH, "use");
    HOSTILE("jwt-2.19 EdDSA with another key", mint(k_ed_b, GH_JOSE_EDDSA, c), JWT_BAD_SIGNATURE,
            "signature");
    HOSTILE("jwt-2.20 RS256 with another key under a trusted kid", mint(k_rsa_b, GH_JOSE_RS256, c),
            JWT_BAD_SIGNATURE, "signature");
}

static void test_es_signatures(void)
{
    const char *c = claims(NULL);
    char *es = mint(k_ec256, GH_JOSE_ES256, c);
    char *sig = part(es, 2);
    unsigned char raw[200];
    size_t rn;
    CHECK(gh_jose_b64url_decode(sig, strlen(sig), raw, &rn));
    CHECK_INT(rn, 64);
    HOSTILE("jwt-3.1 ES256, 63-byte signature", with_part(es, 2, b64(raw, 63)), JWT_BAD_SIGNATURE,
            "signature");
    unsigned char longer[65] = {0};
    memcpy(longer + 1, raw, 64);
    HOSTILE("jwt-3.2 ES256, 65-byte signature", with_part(es, 2, b64(longer, 65)),
            JWT_BAD_SIGNATURE, "signature");
    /* the same r and s as DER (what OpenSSL itself produces), which JWS does not use */
    unsigned char der[80];
    size_t dn = 0;
    der[dn++] = 0x30, der[dn++] = 0; /* length set below */
    for (int h = 0; h < 2; h++) {
        const unsigned char *x = raw + 32 * h;
        bool pad = x[0] & 0x80;
        der[dn++] = 0x02, der[dn++] = (unsigned char)(32 + pad);
        if (pad) der[dn++] = 0;
        memcpy(der + dn, x, 32), dn += 32;
    }
    der[1] = (unsigned char)(dn - 2);
    HOSTILE("jwt-3.3 ES256, DER signature", with_part(es, 2, b64(der, dn)), JWT_BAD_SIGNATURE,
            "signature");
    HOSTILE("jwt-3.4 ES256, empty signature", with_part(es, 2, ""), JWT_BAD_SIGNATURE, "signature");
    unsigned char zero[64] = {0};
    HOSTILE("jwt-3.5 ES256, r = s = 0", with_part(es, 2, b64(zero, 64)), JWT_BAD_SIGNATURE,
            "signature");
    HOSTILE("jwt-3.6 ES256 naming a P-384 key",
            hand("{\"alg\":\"ES256\",\"kid\":\"ec-384\"}", c, k_ec256, GH_JOSE_ES256),
            JWT_ALG_KEY_MISMATCH, "kty");
    HOSTILE("jwt-3.7 ES384 naming a P-256 key",
            with_part(mint(k_ec384, GH_JOSE_ES384, c), 0,
                      b64s("{\"alg\":\"ES384\",\"kid\":\"ec-256\"}")),
            JWT_ALG_KEY_MISMATCH, "kty");
    HOSTILE("jwt-3.8 ES256 by another P-256 key", mint(k_ec256_b, GH_JOSE_ES256, c),
            JWT_BAD_SIGNATURE, "signature");
    HOSTILE("jwt-3.9 ES512, a 64-byte signature",
            with_part(mint(k_ec521, GH_JOSE_ES512, c), 2, b64(zero, 64)), JWT_BAD_SIGNATURE,
            "signature");
}

static void test_header_attacks(void)
{
    const char *c = claims(NULL);
    HOSTILE("jwt-4.1 kid path traversal",
            hand("{\"alg\":\"HS256\",\"kid\":\"../../dev/null\"}", c, k_hs, GH_JOSE_HS256),
            JWT_UNKNOWN_KEY, "kid");
    HOSTILE("jwt-4.2 kid SQL",
            hand("{\"alg\":\"HS256\",\"kid\":\"' OR 1=1 --\"}", c, k_hs, GH_JOSE_HS256),
            JWT_UNKNOWN_KEY, "kid");
    HOSTILE("jwt-4.3 kid with a NUL",
            hand("{\"alg\":\"HS256\",\"kid\":\"hs-1\\u0000\"}", c, k_hs, GH_JOSE_HS256),
            JWT_UNKNOWN_KEY, "kid");
    HOSTILE("jwt-4.4 kid a number", hand("{\"alg\":\"HS256\",\"kid\":1}", c, k_hs, GH_JOSE_HS256),
            JWT_BAD_HEADER, "kid");
    HOSTILE("jwt-4.5 jku elsewhere",
            hand("{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"jku\":\"https://evil.example/jwks\"}", c,
                 k_rsa, GH_JOSE_RS256),
            JWT_UNTRUSTED_HEADER, "jku");
    HOSTILE("jwt-4.6 x5u elsewhere",
            hand("{\"alg\":\"RS256\",\"x5u\":\"https://evil.example/cert.pem\"}", c, k_rsa,
                 GH_JOSE_RS256),
            JWT_UNTRUSTED_HEADER, "x5u");
    HOSTILE("jwt-4.7 x5c",
            hand("{\"alg\":\"RS256\",\"x5c\":[\"MIIBIjANBgkq\"]}", c, k_rsa, GH_JOSE_RS256),
            JWT_UNTRUSTED_HEADER, "x5c");
    HOSTILE("jwt-4.8 embedded jwk",
            hand("{\"alg\":\"HS256\",\"jwk\":{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}}", c, k_hs,
                 GH_JOSE_HS256),
            JWT_UNTRUSTED_HEADER, "jwk");
    HOSTILE("jwt-4.9 crit",
            hand("{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}", c, k_hs, GH_JOSE_HS256),
            JWT_UNTRUSTED_HEADER, "crit");
    HOSTILE("jwt-4.10 duplicate alg",
            hand("{\"alg\":\"HS256\",\"alg\":\"none\"}", c, k_hs, GH_JOSE_HS256),
            JWT_DUPLICATE_MEMBER, "header");
    HOSTILE("jwt-4.11 duplicate alg, escaped",
            hand("{\"alg\":\"none\",\"\\u0061lg\":\"HS256\"}", c, k_hs, GH_JOSE_HS256),
            JWT_DUPLICATE_MEMBER, "header");
    HOSTILE("jwt-4.12 header not JSON", fmt("%s.%s.AAAA", b64s("hello"), b64s(c)), JWT_BAD_HEADER,
            "header");
    HOSTILE("jwt-4.13 header an array", hand("[\"alg\",\"HS256\"]", c, k_hs, GH_JOSE_HS256),
            JWT_BAD_HEADER, "header");
    HOSTILE("jwt-4.14 header a string", hand("\"HS256\"", c, k_hs, GH_JOSE_HS256), JWT_BAD_HEADER,
            "header");
    char deep[200] = "{\"alg\":\"HS256\",\"x\":";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    for (int i = 0; i < 40; i++)
        strcat(deep, "]");
    strcat(deep, "}");
    HOSTILE("jwt-4.15 header nested 41 deep", hand(deep, c, k_hs, GH_JOSE_HS256), JWT_BAD_HEADER,
            "header");
}

static void test_claims_attacks(void)
{
    HOSTILE("jwt-5.1 expired",
            mint(k_hs, GH_JOSE_HS256,
                 fmt("{\"iss\":\"" ISS "\",\"aud\":\"gatehouse\",\"exp\":%lld}", NOW - 31)),
            JWT_EXPIRED, "exp");
    HOSTILE("jwt-5.2 nbf in the future",
            mint(k_hs, GH_JOSE_HS256, claims(fmt(",\"nbf\":%lld", NOW + 31))), JWT_NOT_YET_VALID,
            "nbf");
    HOSTILE("jwt-5.3 iat in the future",
            mint(k_hs, GH_JOSE_HS256,
                 fmt("{\"iss\":\"" ISS "\",\"aud\":\"gatehouse\",\"iat\":%lld}", NOW + 31)),
            JWT_ISSUED_IN_FUTURE, "iat");
    HOSTILE("jwt-5.4 too old",
            mint(k_hs, GH_JOSE_HS256,
                 fmt("{\"iss\":\"https://strict.example.com\",\"sub\":\"a\",\"tenant\":\"t\","
                     "\"aud\":\"gatehouse\",\"iat\":%lld,\"exp\":%lld}",
                     NOW - 3631, NOW + 60)),
            JWT_TOO_OLD, "iat");
    HOSTILE("jwt-5.5 max age without iat",
            mint(k_hs, GH_JOSE_HS256,
                 fmt("{\"iss\":\"https://strict.example.com\",\"sub\":\"a\",\"tenant\":\"t\","
                     "\"aud\":\"gatehouse\",\"exp\":%lld}",
                     NOW + 60)),
            JWT_MISSING_CLAIM, "iat");
    HOSTILE("jwt-5.6 required claim missing",
            mint(k_hs, GH_JOSE_HS256, claims_for("https://strict.example.com", NULL)),
            JWT_MISSING_CLAIM, "tenant");
    HOSTILE("jwt-5.7 wrong iss", mint(k_hs, GH_JOSE_HS256, claims_for(ISS "/", NULL)),
            JWT_UNKNOWN_ISSUER, "iss");
    HOSTILE("jwt-5.8 iss in another case",
            mint(k_hs, GH_JOSE_HS256, claims_for("https://IDP.example.com", NULL)),
            JWT_UNKNOWN_ISSUER, "iss");
    HOSTILE("jwt-5.9 missing iss",
            mint(k_hs, GH_JOSE_HS256, "{\"sub\":\"alice\",\"aud\":\"gatehouse\"}"),
            JWT_MISSING_CLAIM, "iss");
    HOSTILE("jwt-5.10 iss a number", mint(k_hs, GH_JOSE_HS256, "{\"iss\":1,\"aud\":\"gatehouse\"}"),
            JWT_BAD_CLAIM_TYPE, "iss");
    HOSTILE("jwt-5.11 wrong aud",
            mint(k_hs, GH_JOSE_HS256, fmt("{\"iss\":\"" ISS "\",\"aud\":\"other\"}")),
            JWT_WRONG_AUDIENCE, "aud");
    HOSTILE("jwt-5.12 aud array without ours",
            mint(k_hs, GH_JOSE_HS256, fmt("{\"iss\":\"" ISS "\",\"aud\":[\"a\",\"gatehousE\"]}")),
            JWT_WRONG_AUDIENCE, "aud");
    HOSTILE("jwt-5.13 empty aud array",
            mint(k_hs, GH_JOSE_HS256, fmt("{\"iss\":\"" ISS "\",\"aud\":[]}")), JWT_WRONG_AUDIENCE,
            "aud");
    HOSTILE("jwt-5.14 aud missing", mint(k_hs, GH_JOSE_HS256, fmt("{\"iss\":\"" ISS "\"}")),
            JWT_MISSING_CLAIM, "aud");
    HOSTILE("jwt-5.15 aud array of numbers",
            mint(k_hs, GH_JOSE_HS256, fmt("{\"iss\":\"" ISS "\",\"aud\":[\"gatehouse\",1]}")),
            JWT_BAD_CLAIM_TYPE, "aud");
    HOSTILE("jwt-5.16 exp a numeric string",
            mint(k_hs, GH_JOSE_HS256,
                 fmt("{\"iss\":\"" ISS "\",\"aud\":\"gatehouse\",\"exp\":\"%lld\"}", NOW + 600)),
            JWT_BAD_CLAIM_TYPE, "exp");
    HOSTILE("jwt-5.17 nbf a numeric string", mint(k_hs, GH_JOSE_HS256, claims(",\"nbf\":\"0\"")),
            JWT_BAD_CLAIM_TYPE, "nbf");
    HOSTILE(
        "jwt-5.18 iat a numeric string",
        mint(k_hs, GH_JOSE_HS256, fmt("{\"iss\":\"" ISS "\",\"aud\":\"gatehouse\",\"iat\":\"1\"}")),
        JWT_BAD_CLAIM_TYPE, "iat");
    HOSTILE(
        "jwt-5.19 exp a bool",
        mint(k_hs, GH_JOSE_HS256, fmt("{\"iss\":\"" ISS "\",\"aud\":\"gatehouse\",\"exp\":true}")),
        JWT_BAD_CLAIM_TYPE, "exp");
    HOSTILE(
        "jwt-5.20 exp 1e400",
        mint(k_hs, GH_JOSE_HS256, fmt("{\"iss\":\"" ISS "\",\"aud\":\"gatehouse\",\"exp\":1e400}")),
        JWT_BAD_CLAIM_TYPE, "exp");
    HOSTILE("jwt-5.21 sub a number",
            mint(k_hs, GH_JOSE_HS256, fmt("{\"iss\":\"" ISS "\",\"aud\":\"gatehouse\",\"sub\":7}")),
            JWT_BAD_CLAIM_TYPE, "sub");
    /* duplicate claims, properly signed (jwt_sign refuses them, so by hand) */
    HOSTILE("jwt-5.22 duplicate claims",
            hand("{\"alg\":\"HS256\",\"kid\":\"hs-1\"}",
                 "{\"iss\":\"" ISS "\",\"aud\":\"gatehouse\",\"sub\":\"alice\",\"sub\":\"admin\"}",
                 k_hs, GH_JOSE_HS256),
            JWT_DUPLICATE_MEMBER, "claims");
    HOSTILE("jwt-5.23 claims a string",
            hand("{\"alg\":\"HS256\"}", "\"" ISS "\"", k_hs, GH_JOSE_HS256), JWT_BAD_CLAIMS,
            "claims");
    HOSTILE("jwt-5.24 claims not JSON",
            hand("{\"alg\":\"HS256\"}", "{\"iss\":", k_hs, GH_JOSE_HS256), JWT_BAD_CLAIMS,
            "claims");
    HOSTILE("jwt-5.25 claims with trailing data",
            hand("{\"alg\":\"HS256\"}", "{\"iss\":\"" ISS "\"} {}", k_hs, GH_JOSE_HS256),
            JWT_BAD_CLAIMS, "claims");
    /* expired and forged: the signature is judged first */
    char *old = mint(k_hs, GH_JOSE_HS256,
                     fmt("{\"iss\":\"" ISS "\",\"aud\":\"gatehouse\",\"exp\":%lld}", NOW - 100));
    HOSTILE("jwt-5.26 expired and forged",
            with_part(old, 2, part(mint(k_hs, GH_JOSE_HS256, claims(NULL)), 2)), JWT_BAD_SIGNATURE,
            "signature");
}

static void test_encoding_attacks(void)
{
    const char *c = claims(NULL);
    char *good = mint(k_hs, GH_JOSE_HS256, c),
         *other = mint(k_hs, GH_JOSE_HS256, claims(",\"role\":\"admin\""));
    ACCEPT("jwt-6.0 the base token", good);
    HOSTILE("jwt-6.1 signature of another token (splice)", with_part(other, 2, part(good, 2)),
            JWT_BAD_SIGNATURE, "signature");
    char *sig = part(good, 2);
    size_t sl = strlen(sig);
    HOSTILE("jwt-6.2 truncated signature", with_part(good, 2, fmt("%.*s", (int)sl - 3, sig)),
            JWT_BAD_SIGNATURE, "signature");
    HOSTILE("jwt-6.3 signature cut to 1 mod 4", with_part(good, 2, fmt("%.*s", (int)sl - 2, sig)),
            JWT_BAD_BASE64, "signature");
    HOSTILE("jwt-6.4 padded signature", with_part(good, 2, fmt("%s=", sig)), JWT_BAD_BASE64,
            "signature");
    HOSTILE("jwt-6.5 padded header",
            with_part(good, 0, fmt("%s=", b64s("{\"alg\":\"HS256\",\"kid\":\"hs-1\",\"x\":1}"))),
            JWT_BAD_BASE64, "header");
    HOSTILE("jwt-6.6 padded claims",
            with_part(good, 1, fmt("%s==", b64s("{\"iss\":\"" ISS "\",\"a\":1}"))), JWT_BAD_BASE64,
            "claims");
    char *plus = fmt("%s", sig), *slash = fmt("%s", part(good, 1));
    plus[3] = '+', slash[5] = '/';
    HOSTILE("jwt-6.7 '+' in the signature", with_part(good, 2, plus), JWT_BAD_BASE64, "signature");
    HOSTILE("jwt-6.8 '/' in the claims", with_part(good, 1, slash), JWT_BAD_BASE64, "claims");
    /* the last character of a 32-byte signature carries 2 unused bits: set one */
    char *loose = fmt("%s", sig);
    const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int v = (int)(strchr(alpha, loose[sl - 1]) - alpha);
    loose[sl - 1] = alpha[v | 1];
    HOSTILE("jwt-6.9 non-canonical base64 (unused bits set)", with_part(good, 2, loose),
            JWT_BAD_BASE64, "signature");
    HOSTILE("jwt-6.10 a newline in the claims",
            with_part(good, 1, fmt("%.8s\n%s", part(good, 1), part(good, 1) + 8)), JWT_BAD_BASE64,
            "claims");
    /* size and shape */
    size_t big = 1 << 20;
    char *mb = keep(malloc(big));
    memset(mb, 'A', big);
    mb[100] = '.', mb[200] = '.';
    hostile(__LINE__, "jwt-6.11 a 1 MB token", mb, big, JWT_TOO_LARGE, "");
    hostile(__LINE__, "jwt-6.12 one byte over the limit", mb, JWT_MAX_TOKEN + 1, JWT_TOO_LARGE, "");
    HOSTILE("jwt-6.13 2 parts", fmt("%s.%s", part(good, 0), part(good, 1)), JWT_MALFORMED, "parts");
    HOSTILE("jwt-6.14 4 parts", fmt("%s.x", good), JWT_MALFORMED, "parts");
    HOSTILE("jwt-6.15 5 parts (JWE)", fmt("%s.a.b", good), JWT_MALFORMED, "parts");
    HOSTILE("jwt-6.16 empty header", fmt(".%s.%s", part(good, 1), sig), JWT_MALFORMED, "header");
    HOSTILE("jwt-6.17 empty claims", fmt("%s..%s", part(good, 0), sig), JWT_MALFORMED, "claims");
    HOSTILE("jwt-6.18 only dots", "..", JWT_MALFORMED, "header");
    HOSTILE("jwt-6.19 no dot", "eyJhbGciOiJIUzI1NiJ9", JWT_MALFORMED, "parts");
    HOSTILE("jwt-6.20 empty signature", with_part(good, 2, ""), JWT_BAD_SIGNATURE, "signature");
    hostile(__LINE__, "jwt-6.21 empty token", "", 0, JWT_MISSING, "");
    char *nul = fmt("%s", good);
    nul[5] = '\0';
    hostile(__LINE__, "jwt-6.22 a NUL byte in the header", nul, strlen(good), JWT_BAD_BASE64,
            "header");
}

/* ---- jwt-7: jwt_sign refuses what jwt_verify would ---- */

static void test_sign_refusals(void)
{
    char *tok = NULL, err[200];
    const char *c = claims(NULL);
    size_t n = strlen(c);
    CHECK_INT(jwt_sign(k_hs, GH_JOSE_NONE, c, n, &tok, err, sizeof err), -1);
    CHECK_STR(err, "cannot sign with alg none");
    CHECK_INT(jwt_sign(k_hs, GH_JOSE_UNKNOWN, c, n, &tok, err, sizeof err), -1);
    CHECK_STR(err, "cannot sign with alg (unknown)");
    CHECK_INT(jwt_sign(k_rsa, GH_JOSE_HS256, c, n, &tok, err, sizeof err), -1);
    CHECK_STR(err, "the key's type does not fit alg HS256");
    CHECK_INT(jwt_sign(k_ec256, GH_JOSE_ES384, c, n, &tok, err, sizeof err), -1);
    CHECK_STR(err, "the key's type does not fit alg ES384");
    CHECK_INT(jwt_sign(k_rsa512, GH_JOSE_RS256, c, n, &tok, err, sizeof err), -1);
    CHECK_STR(err,
              "the key is too weak for RS256 (RSA >= 2048 bits, HMAC secret >= the hash size)");
    CHECK_INT(jwt_sign(k_hs_short, GH_JOSE_HS256, c, n, &tok, err, sizeof err), -1);
    CHECK_INT(jwt_sign(k_hs, GH_JOSE_HS256, "{\"a\":1,\"a\":2}", 13, &tok, err, sizeof err), -1);
    CHECK_STR(err, "the claims are not one JSON object without repeated members");
    CHECK_INT(jwt_sign(k_hs, GH_JOSE_HS256, "[1]", 3, &tok, err, sizeof err), -1);
    CHECK(tok == NULL);
    /* a public key cannot sign */
    const gh_jose_key *pub = gh_jose_keyset_find(&trusted, "rsa-1", 5, GH_JOSE_RS256);
    CHECK(pub && !pub->is_private);
    CHECK_INT(jwt_sign(pub, GH_JOSE_RS256, c, n, &tok, err, sizeof err), -1);
    CHECK_STR(err, "the key has no private part");
    /* the reason table */
    CHECK_STR(jwt_reason_name(JWT_EXPIRED), "EXPIRED");
    CHECK_STR(jwt_reason_class(JWT_EXPIRED), "expired");
    CHECK_STR(jwt_reason_message(JWT_ALG_NONE), "alg none is never accepted");
    CHECK_STR(jwt_reason_class(JWT_REASON_COUNT), "unknown");
}

/* ---- jose-1: base64url, names, keysets ---- */

static void test_jose(void)
{
    unsigned char out[64];
    size_t n;
    CHECK(gh_jose_b64url_decode("", 0, out, &n) && n == 0);
    CHECK(gh_jose_b64url_decode("-_8", 3, out, &n) && n == 2 && out[0] == 0xfb && out[1] == 0xff);
    CHECK(!gh_jose_b64url_decode("-_9", 3, out, &n)); /* unused bits set */
    CHECK(!gh_jose_b64url_decode("QQ==", 4, out, &n));
    CHECK(!gh_jose_b64url_decode("QUJD+A", 6, out, &n));
    CHECK(!gh_jose_b64url_decode("QUJDR", 5, out, &n));
    CHECK(!gh_jose_b64url_decode("QU JD", 5, out, &n));
    CHECK(gh_jose_b64url_decode("QUJD", 4, out, &n) && n == 3 && !memcmp(out, "ABC", 3));
    char enc[8];
    CHECK_INT(gh_jose_b64url_encode((const unsigned char *)"\xfb\xff", 2, enc), 3);
    CHECK(!memcmp(enc, "-_8", 3));
    CHECK_INT(GH_JOSE_B64URL_LEN(0), 0);
    CHECK_INT(GH_JOSE_B64URL_LEN(32), 43);
    CHECK_INT(GH_JOSE_B64URL_LEN(64), 86);
    for (int a = GH_JOSE_NONE; a < GH_JOSE_ALG_COUNT; a++) {
        const char *s = gh_jose_alg_name((gh_jose_alg)a);
        CHECK_INT(gh_jose_alg_from_name(s, strlen(s)), a);
    }
    CHECK_INT(gh_jose_alg_from_name("None", 4), GH_JOSE_UNKNOWN);
    CHECK(gh_jose_alg_name(GH_JOSE_UNKNOWN) == NULL);
    /* the JWKS: the OAEP key and the secp256k1 key skipped, the rest kept (+ 2 secrets) */
    CHECK_INT(trusted.n, 9);
    const gh_jose_key *ec = gh_jose_keyset_find(&trusted, "ec-521", 6, GH_JOSE_ES512);
    CHECK(ec && ec->kty == GH_JOSE_KTY_EC && ec->crv == GH_JOSE_CRV_P521 && ec->bits == 521);
    CHECK(gh_jose_keyset_find(&trusted, "oaep-1", 6, GH_JOSE_RS256) == NULL);
    CHECK(gh_jose_keyset_find(&trusted, "rsa-1", 5, GH_JOSE_HS256)->kty == GH_JOSE_KTY_RSA);
    const gh_jose_key *enc1 = gh_jose_keyset_find(&trusted, "enc-1", 5, GH_JOSE_RS256);
    CHECK(enc1 && enc1->use && !strcmp(enc1->use, "enc"));
    /* without SKIP_UNSUPPORTED (the builtins' way) the secp256k1 key is an error */
    gh_jose_keyset ks;
    char err[200];
    size_t jn;
    char *jwks = test_read_file("data/jwt/jwks.json", &jn);
    CHECK_INT(gh_jose_keyset_from_jwk(jwks, jn, NULL, &ks, err, sizeof err), GH_EINVAL);
    CHECK_STR(err, "failed to parse a JWK key (set): unsupported curve");
    free(jwks);
    const struct {
        const char *jwk, *err;
    } bad[] = {
        {"[1]", "failed to parse a JWK key (set): invalid JSON"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\"}", "failed to parse a JWK key (set): missing RSA n or e"},
        {"{\"kty\":\"oct\"}", "failed to parse a JWK key (set): missing \"k\""},
        {"{\"kty\":\"oct\",\"k\":\"a+b\"}",
         "failed to parse a JWK key (set): illegal base64url data"},
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}",
         "failed to parse a JWK key (set): invalid EC key"},
        {"{\"kty\":\"XYZ\"}", "failed to parse a JWK key (set): invalid key type XYZ"},
        {"{\"keys\":{}}", "failed to parse a JWK key (set): invalid \"keys\""},
        {"{\"k\":\"AA\"}", "failed to parse a JWK key (set): missing \"kty\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(
            gh_jose_keyset_from_jwk(bad[i].jwk, strlen(bad[i].jwk), NULL, &ks, err, sizeof err),
            GH_EINVAL);
        CHECK_STR(err, bad[i].err);
        CHECK(ks.n == 0 && ks.keys == NULL);
    }
    /* an oct JWK with padding is read (keys are configuration) and verifies HS256 */
    const char *oct = "{\"kty\":\"oct\",\"kid\":\"o\",\"k\":"
                      "\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0=\"}";
    CHECK_INT(gh_jose_keyset_from_jwk(oct, strlen(oct), NULL, &ks, err, sizeof err), 0);
    CHECK(ks.n == 1 && ks.keys[0].secret_len == 35 && !memcmp(ks.keys[0].secret, "secret-", 7));
    gh_jose_keyset_free(&ks);
    /* PEM: no key, and a file of parameters and a key (what openssl ecparam -genkey writes) */
    CHECK_INT(gh_jose_keyset_from_pem("hello", 5, &ks, err, sizeof err), GH_EINVAL);
    CHECK_STR(err, "no key found in the PEM text");
    size_t pn;
    char *pem = test_read_file("data/jwt/ec384.pem", &pn);
    char *both =
        fmt("-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n%s", pem);
    CHECK_INT(gh_jose_keyset_parse(both, strlen(both), &ks, err, sizeof err), 0);
    CHECK(ks.n == 1 && ks.keys[0].crv == GH_JOSE_CRV_P384 && ks.keys[0].is_private);
    gh_jose_keyset_free(&ks);
    free(pem);
    const char *broken = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    CHECK_INT(gh_jose_keyset_from_pem(broken, strlen(broken), &ks, err, sizeof err), GH_EINVAL);
    CHECK_STR(err, "malformed PEM block PUBLIC KEY");
    /* verify never errs on nonsense */
    CHECK(!gh_jose_verify(k_ec256, GH_JOSE_ES256, NULL, 0, NULL, 0));
    CHECK(!gh_jose_verify(k_hs, GH_JOSE_NONE, (const unsigned char *)"x", 1, out, 0));
    CHECK(!gh_jose_verify(k_hs, GH_JOSE_UNKNOWN, (const unsigned char *)"x", 1, out, 32));
    CHECK(!gh_jose_verify(k_rsa, GH_JOSE_RS256, (const unsigned char *)"x", 1, out, 64));
}

int main(void)
{
    gh_arena_init(&A, 1 << 20);
    load_keys();
    set_issuers();
    test_jose();
    test_accepted();
    test_alg_attacks();
    test_es_signatures();
    test_header_attacks();
    test_claims_attacks();
    test_encoding_attacks();
    test_sign_refusals();
    printf("test_jwt: %d hostile tokens\n", nhostile);
    CHECK(nhostile >= 40);
    for (size_t i = 0; i < nkept; i++)
        free(kept[i]);
    for (size_t i = 0; i < npems; i++)
        gh_jose_keyset_free(&pems[i]);
    gh_jose_keyset_free(&trusted);
    free(hs_secret);
    free(rsa_pub_pem);
    gh_arena_free(&A);
    return tests_done("test_jwt");
}
