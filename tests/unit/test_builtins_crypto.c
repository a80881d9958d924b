/* Unit tests of the crypto, io.jwt and crypto.x509 builtins (engine/builtins/crypto.c,
 * jwt.c, x509.c, jwk.c) against fixed keys in data/crypto/ (made once with the openssl CLI;
 * make-jwk.sh derives the JWK files): known answers for digests and HMAC (RFC 4231), a
 * sign-then-verify round trip for every JWS algorithm, tampered signatures, decode_verify's
 * constraints, certificate parsing and chain verification, and malformed input giving OPA's
 * error rather than a crash. */
#include "builtins/builtins.h"
#include "gatehouse/error.h"
#include "gatehouse/value.h"

#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gh_arena A;
static gh_bctx BC;

/* ---- helpers ---- */

static const gh_value *S(const char *s)
{
    return gh_value_string(&A, s, strlen(s));
}

static const gh_value *J(const char *json)
{
    const gh_value *v = NULL;
    gh_json_error e;
    if (gh_json_read(&A, json, strlen(json), NULL, &v, &e))
        test_fail(__FILE__, __LINE__, "bad JSON %s", json);
    return v;
}

/* A fixture file as a string value (empty string when missing, which fails the checks). */
static const gh_value *F(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "data/crypto/%s", name);
    size_t n = 0;
    char *s = test_read_file(path, &n);
    if (!s) test_fail(__FILE__, __LINE__, "cannot read %s", path);
    const gh_value *v = gh_value_string(&A, s ? s : "", s ? n : 0);
    free(s);
    return v;
}

/* A fixture file holding JSON, as its value. */
static const gh_value *FJ(const char *name)
{
    size_t n;
    const char *s = gh_string_ptr(F(name), &n);
    const gh_value *v = NULL;
    gh_json_error e;
    if (gh_json_read(&A, s, n, NULL, &v, &e)) test_fail(__FILE__, __LINE__, "bad JSON in %s", name);
    return v ? v : GH_NULL;
}

/* Calls NAME on the arguments; *out gets the result. Returns the builtin's code. */
static int callv(const char *name, const gh_value **out, size_t n, const gh_value *const *args)
{
    const gh_builtin *b = gh_builtin_lookup(name, strlen(name));
    if (!b) {
        test_fail(__FILE__, __LINE__, "no builtin %s", name);
        return GH_EINTERNAL;
    }
    BC = (gh_bctx){.arena = &A, .now_ns = 1700000000000000000};
    *out = NULL;
    return gh_builtin_call(b, &BC, args, n, out);
}
#define CALL(name, out, ...)                                                                       \
    callv(name, out, sizeof((const gh_value *[]){__VA_ARGS__}) / sizeof(gh_value *),               \
          (const gh_value *[]){__VA_ARGS__})

static const char *rego(const gh_value *v)
{
    static gh_buf b;
    gh_buf_free(&b);
    if (!v) return "(no value)";
    gh_value_to_rego(&b, v);
    return b.data ? b.data : "";
}

/* The string result of a call, or its error message. */
static const char *str_of(int rc, const gh_value *v)
{
    if (rc) return BC.err_msg;
    size_t n;
    const char *s = gh_string_ptr(v, &n);
    return s ? s : rego(v);
}

#define CHECK_CALL_STR(want, name, ...)                                                            \
    do {                                                                                           \
        const gh_value *o_;                                                                        \
        int rc_ = CALL(name, &o_, __VA_ARGS__);                                                    \
        CHECK_STR(str_of(rc_, o_), want);                                                          \
    } while (0)

/* The error message of a call that must fail with eval_builtin_error. */
#define CHECK_ERR(want, name, ...)                                                                 \
    do {                                                                                           \
        const gh_value *o_;                                                                        \
        int rc_ = CALL(name, &o_, __VA_ARGS__);                                                    \
        CHECK_INT(rc_, GH_EBUILTIN);                                                               \
        CHECK_STR(rc_ ? BC.err_msg : rego(o_), want);                                              \
    } while (0)

static const gh_value *get(const gh_value *o, const char *path)
{
    char key[64];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        char *end;
        long i = strtol(key, &end, 10);
        o = *end == '\0' && gh_value_kind(o) == GH_KIND_ARRAY ? gh_array_get(o, (size_t)i)
                                                              : gh_object_get_str(o, key, n);
        path += n + (path[n] == '.');
    }
    return o;
}

static const gh_value *obj1(const char *k, const gh_value *v)
{
    const gh_value *ks[1] = {S(k)}, *vs[1] = {v}, *o = NULL;
    gh_value_object(&A, ks, vs, 1, &o, NULL);
    return o;
}

static const gh_value *obj2(const char *k1, const gh_value *v1, const char *k2, const gh_value *v2)
{
    const gh_value *ks[2] = {S(k1), S(k2)}, *vs[2] = {v1, v2}, *o = NULL;
    gh_value_object(&A, ks, vs, 2, &o, NULL);
    return o;
}

/* ---- digests and HMAC ---- */

static void test_digests(void)
{
    CHECK_CALL_STR("900150983cd24fb0d6963f7d28e17f72", "crypto.md5", S("abc"));
    CHECK_CALL_STR("a9993e364706816aba3e25717850c26c9cd0d89d", "crypto.sha1", S("abc"));
    CHECK_CALL_STR("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                   "crypto.sha256", S("abc"));
    CHECK_CALL_STR("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                   "crypto.sha256", S(""));
    /* RFC 4231 test cases 1 and 2 (RFC 2202's for MD5 and SHA-1) */
    const gh_value *k1 = gh_value_string(
        &A, "\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b", 20);
    CHECK_CALL_STR("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                   "crypto.hmac.sha256", S("Hi There"), k1);
    CHECK_CALL_STR("87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a70"
                   "2038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
                   "crypto.hmac.sha512", S("Hi There"), k1);
    const gh_value *m2 = S("what do ya want for nothing?");
    CHECK_CALL_STR("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                   "crypto.hmac.sha256", m2, S("Jefe"));
    CHECK_CALL_STR("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994"
                   "a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
                   "crypto.hmac.sha512", m2, S("Jefe"));
    CHECK_CALL_STR("750c783e6ab0b503eaa86e310a5db738", "crypto.hmac.md5", m2, S("Jefe"));
    CHECK_CALL_STR("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", "crypto.hmac.sha1", m2, S("Jefe"));
    CHECK_CALL_STR("true", "crypto.hmac.equal", S("abc"), S("abc"));
    CHECK_CALL_STR("false", "crypto.hmac.equal", S("abc"), S("abd"));
    CHECK_CALL_STR("false", "crypto.hmac.equal", S("abc"), S("abcd"));
    /* operand types as OPA reports them */
    const gh_value *o;
    CHECK_INT(CALL("crypto.md5", &o, J("1")), GH_ETYPE);
    CHECK_STR(BC.err_msg, "crypto.md5: operand 1 must be string but got number");
    CHECK_INT(CALL("crypto.hmac.sha256", &o, S("m"), J("[]")), GH_ETYPE);
    CHECK_STR(BC.err_msg, "crypto.hmac.sha256: operand 2 must be string but got array");
}

/* ---- JWS round trips ---- */

static const gh_value *sign(const char *alg, const gh_value *payload, const gh_value *jwk)
{
    char h[64];
    snprintf(h, sizeof h, "{\"alg\": \"%s\", \"typ\": \"JWT\"}", alg);
    const gh_value *tok = NULL;
    int rc = CALL("io.jwt.encode_sign", &tok, J(h), payload, jwk);
    if (rc) test_fail(__FILE__, __LINE__, "sign %s: %s", alg, BC.err_msg);
    return rc ? S("x.y.z") : tok;
}

/* The token with one character of its signature changed. */
static const gh_value *tamper(const gh_value *tok)
{
    size_t n;
    const char *s = gh_string_ptr(tok, &n);
    char *t = gh_arena_alloc(&A, n + 1);
    memcpy(t, s, n);
    t[n - 3] = t[n - 3] == 'A' ? 'B' : 'A';
    return gh_value_string(&A, t, n);
}

/* Signs with jwk under alg; key verifies (PEM or secret), wrong must not. */
static void round_trip(const char *alg, const gh_value *jwk, const gh_value *key,
                       const gh_value *wrong, bool secret)
{
    char vname[40];
    snprintf(vname, sizeof vname, "io.jwt.verify_%s", alg);
    for (char *p = vname + 14; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    const gh_value *tok = sign(alg, J("{\"iss\": \"gatehouse\", \"sub\": \"alice\"}"), jwk), *o;
    CHECK_CALL_STR("true", vname, tok, key);
    CHECK_CALL_STR("false", vname, tamper(tok), key);
    CHECK_CALL_STR("false", vname, tok, wrong);
    /* decode_verify takes the algorithm from the header */
    CHECK_INT(CALL("io.jwt.decode_verify", &o, tok, obj1(secret ? "secret" : "cert", key)), 0);
    CHECK_STR(rego(get(o, "0")), "true");
    CHECK_STR(rego(get(o, "2.sub")), "\"alice\"");
    CHECK_STR(gh_string_ptr(get(o, "1.alg"), &(size_t){0}), alg);
    CHECK_INT(CALL("io.jwt.decode_verify", &o, tamper(tok), obj1(secret ? "secret" : "cert", key)),
              0);
    CHECK_STR(rego(o), "[false, {}, {}]");
    CHECK_INT(CALL("io.jwt.decode_verify", &o, tok,
                   obj2(secret ? "secret" : "cert", key, "alg", S("none"))),
              0);
    CHECK_STR(rego(o), "[false, {}, {}]");
}

static void test_round_trips(void)
{
    const gh_value *o, *rsa_jwk = NULL;
    /* RSA's JWK from parse_rsa_private_key (which this also tests) */
    CHECK_INT(CALL("crypto.x509.parse_rsa_private_key", &rsa_jwk, F("rsa-pkcs1.key")), 0);
    CHECK_STR(rego(get(rsa_jwk, "kty")), "\"RSA\"");
    CHECK_STR(rego(get(rsa_jwk, "e")), "\"AQAB\"");
    const gh_value *rsa_pub = F("rsa.pub"), *ec256 = F("ec-p256.pub"), *leaf = F("leaf.crt");
    static const char *const rs[] = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"};
    for (size_t i = 0; i < 6; i++) {
        round_trip(rs[i], rsa_jwk, rsa_pub, ec256, false);
        round_trip(rs[i], rsa_jwk, leaf, ec256, false); /* the leaf certificate holds rsa.pub */
    }
    round_trip("ES256", FJ("ec-p256.jwk"), ec256, F("ec-p384.pub"), false);
    round_trip("ES384", FJ("ec-p384.jwk"), F("ec-p384.pub"), ec256, false);
    round_trip("ES512", FJ("ec-p521.jwk"), F("ec-p521.pub"), rsa_pub, false);
    round_trip("EdDSA", FJ("ed25519.jwk"), F("ed25519.pub"), ec256, false);
    const gh_value *oct = J("{\"kty\": \"oct\", \"k\": \"c2VjcmV0\"}"); /* "secret" */
    round_trip("HS256", oct, S("secret"), S("Secret"), true);
    round_trip("HS384", oct, S("secret"), S(""), true);
    round_trip("HS512", oct, S("secret"), S("secrets"), true);
    /* a JWK set verifies too; the key named by kid decides alone */
    const gh_value *tok = sign("ES256", J("{}"), FJ("ec-p256.jwk"));
    size_t n;
    const char *jwk = gh_string_ptr(F("ec-p256.jwk"), &n);
    char set[1024];
    snprintf(set, sizeof set, "{\"keys\": [%.*s]}", (int)n - 1, jwk);
    CHECK_CALL_STR("true", "io.jwt.verify_es256", tok, S(set));
    /* ECDSA in JWS is raw r||s: 64 bytes for P-256 */
    CHECK_INT(CALL("io.jwt.decode", &o, tok), 0);
    CHECK_INT(strlen(gh_string_ptr(get(o, "2"), &n)), 128);
    /* RFC 7515 A.1's HS256 example, byte for byte */
    CHECK_CALL_STR(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.6cvao8lnOu6FAdK68jQFcDMXOmaWNwWiYhCgijd-AD8",
        "io.jwt.encode_sign_raw", S("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"), S("{}"),
        S("{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
          "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}"));
}

/* ---- decode_verify's constraints ---- */

static const gh_value *hs(const char *payload)
{
    return sign("HS256", J(payload), J("{\"kty\": \"oct\", \"k\": \"c2VjcmV0\"}"));
}

static const char *dv(const gh_value *tok, const char *cons)
{
    const gh_value *o;
    int rc = CALL("io.jwt.decode_verify", &o, tok, J(cons));
    return rc ? BC.err_msg : rego(get(o, "0"));
}

static void test_decode_verify(void)
{
    const gh_value *t =
        hs("{\"iss\": \"a\", \"aud\": [\"x\", \"y\"], \"exp\": 2000, \"nbf\": 1000}");
    /* time is in ns, exp and nbf in s; exp is exclusive, nbf inclusive */
    CHECK_STR(dv(t, "{\"secret\": \"secret\", \"aud\": \"x\", \"time\": 1500e9}"), "true");
    CHECK_STR(dv(t, "{\"secret\": \"secret\", \"aud\": \"y\", \"time\": 1000e9}"), "true");
    CHECK_STR(dv(t, "{\"secret\": \"secret\", \"aud\": \"x\", \"time\": 999e9}"), "false");
    CHECK_STR(dv(t, "{\"secret\": \"secret\", \"aud\": \"x\", \"time\": 2000e9}"), "false");
    CHECK_STR(dv(t, "{\"secret\": \"secret\", \"aud\": \"x\"}"),
              "false"); /* now is 2023: expired */
    CHECK_STR(dv(t, "{\"secret\": \"secret\", \"aud\": \"z\", \"time\": 1500e9}"), "false");
    CHECK_STR(dv(t, "{\"secret\": \"secret\", \"time\": 1500e9}"),
              "false"); /* aud without constraint */
    CHECK_STR(dv(t, "{\"secret\": \"secret\", \"aud\": \"x\", \"iss\": \"a\", \"time\": 1500e9}"),
              "true");
    CHECK_STR(dv(t, "{\"secret\": \"secret\", \"aud\": \"x\", \"iss\": \"b\", \"time\": 1500e9}"),
              "false");
    CHECK_STR(
        dv(t, "{\"secret\": \"secret\", \"aud\": \"x\", \"alg\": \"HS256\", \"time\": 1500e9}"),
        "true");
    CHECK_STR(
        dv(t, "{\"secret\": \"secret\", \"aud\": \"x\", \"alg\": \"RS256\", \"time\": 1500e9}"),
        "false");
    CHECK_STR(dv(t, "{\"secret\": \"wrong\", \"aud\": \"x\", \"time\": 1500e9}"), "false");
    const gh_value *plain = hs("{\"sub\": \"bob\"}");
    CHECK_STR(dv(plain, "{\"secret\": \"secret\"}"), "true");
    CHECK_STR(dv(plain, "{\"secret\": \"secret\", \"aud\": \"x\"}"), "false");
    CHECK_STR(dv(plain, "{\"secret\": \"secret\", \"iss\": \"a\"}"), "false");
    /* constraint errors, in OPA's words */
    CHECK_STR(dv(plain, "{}"), "io.jwt.decode_verify: no key constraint");
    CHECK_STR(dv(plain, "{\"secret\": \"s\", \"cert\": \"{\\\"keys\\\": []}\"}"),
              "io.jwt.decode_verify: duplicate key constraints");
    CHECK_STR(dv(plain, "{\"secret\": \"s\", \"foo\": 1}"),
              "io.jwt.decode_verify: unknown token validation constraint: foo");
    CHECK_STR(dv(plain, "{\"secret\": 1}"),
              "io.jwt.decode_verify: secret constraint: must be a string");
    CHECK_STR(dv(plain, "{\"secret\": \"s\", \"time\": \"now\"}"),
              "io.jwt.decode_verify: token time constraint: must be a number");
    CHECK_STR(dv(plain, "{\"secret\": \"s\", \"time\": -1}"),
              "io.jwt.decode_verify: token time constraint: must not be negative");
    CHECK_STR(dv(hs("{\"exp\": \"soon\"}"), "{\"secret\": \"secret\"}"),
              "io.jwt.decode_verify: exp value must be a number");
    CHECK_STR(dv(hs("{\"nbf\": null}"), "{\"secret\": \"secret\"}"),
              "io.jwt.decode_verify: nbf value must be a number");
    const gh_value *o;
    CHECK_INT(CALL("io.jwt.decode_verify", &o, plain, S("x")), GH_ETYPE);
    CHECK_STR(BC.err_msg, "io.jwt.decode_verify: operand 2 must be object but got string");
    /* alg none never verifies */
    const gh_value *none = S("eyJhbGciOiJub25lIn0.eyJzdWIiOiJib2IifQ.");
    CHECK_STR(dv(none, "{\"secret\": \"secret\"}"), "false");
    CHECK_CALL_STR("false", "io.jwt.verify_hs256", none, S("secret"));
    CHECK_CALL_STR("false", "io.jwt.verify_rs256", none, F("rsa.pub"));
}

/* ---- malformed tokens and keys ---- */

static void test_malformed(void)
{
    CHECK_ERR("io.jwt.decode: encoded JWT had no period separators", "io.jwt.decode", S("abc"));
    CHECK_ERR("io.jwt.decode: encoded JWT must have 3 sections, found 4", "io.jwt.decode",
              S("a.b.c.d"));
    CHECK_ERR("io.jwt.decode: JWT header had invalid encoding: illegal base64 data at input byte 0",
              "io.jwt.decode", S("!!!!.e30.e30"));
    CHECK_ERR("io.jwt.decode: bad JWT header: decoded JSON type was not an Object", "io.jwt.decode",
              S("WzFd.e30."));
    CHECK_ERR("io.jwt.decode: JWT is a JWE object, which is not supported", "io.jwt.decode",
              S("eyJlbmMiOiJ4In0.e30."));
    const gh_value *tok = hs("{}"), *o;
    const char *bad_cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    CHECK_ERR("io.jwt.verify_rs256: failed to parse a PEM certificate: x509: malformed certificate",
              "io.jwt.verify_rs256", tok, S(bad_cert));
    CHECK_ERR("io.jwt.verify_rs256: failed to extract a Key from the PEM certificate",
              "io.jwt.verify_rs256", tok, S("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n"));
    CHECK_ERR("io.jwt.verify_es256: extra data after a PEM certificate block",
              "io.jwt.verify_es256", tok,
              S("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\nmore"));
    CHECK_ERR("io.jwt.verify_es256: failed to parse a JWK key (set): invalid JSON",
              "io.jwt.verify_es256", tok, S("not a key"));
    CHECK_INT(CALL("io.jwt.verify_hs256", &o, J("1"), S("k")), GH_ETYPE);
    CHECK_STR(BC.err_msg, "io.jwt.verify_hs256: operand 1 must be string but got number");
    CHECK_ERR("io.jwt.encode_sign_raw: unknown JWS algorithm: none", "io.jwt.encode_sign_raw",
              S("{\"alg\":\"none\"}"), S("{}"), S("{\"kty\":\"oct\",\"k\":\"AA\"}"));
    CHECK_ERR("io.jwt.encode_sign_raw: no keys found in JWK set", "io.jwt.encode_sign_raw",
              S("{\"alg\":\"HS256\"}"), S("{}"), S("{\"keys\":[]}"));
    CHECK_ERR("io.jwt.encode_sign_raw: type is JWT but payload is not JSON",
              "io.jwt.encode_sign_raw", S("{\"alg\":\"HS256\"}"), S("{"),
              S("{\"kty\":\"oct\",\"k\":\"AA\"}"));
    /* a payload that is not JSON is fine when typ says it is not a JWT */
    CHECK_INT(CALL("io.jwt.encode_sign_raw", &o, S("{\"alg\":\"HS256\",\"typ\":\"text\"}"),
                   S("hello"), S("{\"kty\":\"oct\",\"k\":\"AA\"}")),
              0);
    /* signing with a key of the wrong kind is an error, not a crash */
    CHECK_INT(CALL("io.jwt.encode_sign", &o, J("{\"alg\":\"RS256\"}"), J("{}"),
                   J("{\"kty\":\"oct\",\"k\":\"AA\"}")),
              GH_EBUILTIN);
}

/* ---- x509 ---- */

static const gh_value *cat2(const gh_value *a, const gh_value *b)
{
    size_t an, bn;
    const char *as = gh_string_ptr(a, &an), *bs = gh_string_ptr(b, &bn);
    char *t = gh_arena_alloc(&A, an + bn + 1);
    memcpy(t, as, an);
    memcpy(t + an, bs, bn);
    return gh_value_string(&A, t, an + bn);
}

static void test_x509(void)
{
    const gh_value *o, *ca = F("ca.crt"), *leaf = F("leaf.crt");
    CHECK_INT(CALL("crypto.x509.parse_certificates", &o, cat2(leaf, ca)), 0);
    CHECK_INT(gh_value_len(o), 2);
    CHECK_STR(rego(get(o, "0.Subject.CommonName")), "\"leaf.gatehouse.test\"");
    CHECK_STR(rego(get(o, "0.Subject.Country")), "[\"US\"]");
    CHECK_STR(rego(get(o, "0.Issuer.CommonName")), "\"Gatehouse Test Root CA\"");
    CHECK_STR(rego(get(o, "0.DNSNames")), "[\"leaf.gatehouse.test\", \"alt.gatehouse.test\"]");
    CHECK_STR(rego(get(o, "0.IPAddresses")), "[\"127.0.0.1\"]");
    CHECK_STR(rego(get(o, "0.URIStrings")), "[\"spiffe://gatehouse.test/leaf\"]");
    CHECK_STR(rego(get(o, "0.SerialNumber")), "4242");
    CHECK_STR(rego(get(o, "0.IsCA")), "false");
    CHECK_STR(rego(get(o, "0.ExtKeyUsage")), "[1]");
    CHECK_STR(rego(get(o, "0.KeyUsage")), "5"); /* digitalSignature | keyEncipherment */
    CHECK_STR(rego(get(o, "0.PublicKeyAlgorithm")), "1");
    CHECK_STR(rego(get(o, "0.SignatureAlgorithm")), "10");
    CHECK_STR(rego(get(o, "1.IsCA")), "true");
    CHECK_STR(rego(get(o, "1.DNSNames")), "null");
    CHECK_STR(rego(get(o, "1.URIStrings")), "null");
    /* base64 of PEM, and errors */
    CHECK_INT(CALL("base64.encode", &o, ca), 0);
    CHECK_INT(CALL("crypto.x509.parse_certificates", &o, o), 0);
    CHECK_STR(rego(get(o, "0.Subject.Organization")), "[\"Gatehouse\"]");
    CHECK_ERR("crypto.x509.parse_certificates: x509: malformed certificate",
              "crypto.x509.parse_certificates", S("YmFkc3RyaW5n"));
    CHECK_ERR("crypto.x509.parse_certificates: illegal base64 data at input byte 4",
              "crypto.x509.parse_certificates", S("foobar"));
    CHECK_ERR(
        "crypto.x509.parse_certificates: PEM block type is 'PUBLIC KEY', expected CERTIFICATE",
        "crypto.x509.parse_certificates", F("rsa.pub"));

    /* chains: root first, leaf last; the verified chain comes back leaf first */
    CHECK_INT(CALL("crypto.x509.parse_and_verify_certificates", &o, cat2(ca, leaf)), 0);
    CHECK_STR(rego(get(o, "0")), "true");
    CHECK_STR(rego(get(o, "1.0.Subject.CommonName")), "\"leaf.gatehouse.test\"");
    CHECK_STR(rego(get(o, "1.1.Subject.CommonName")), "\"Gatehouse Test Root CA\"");
    CHECK_CALL_STR("[false, []]", "crypto.x509.parse_and_verify_certificates",
                   cat2(F("other.crt"), leaf));
    CHECK_CALL_STR("[false, []]", "crypto.x509.parse_and_verify_certificates", leaf);
    CHECK_CALL_STR("[false, []]", "crypto.x509.parse_and_verify_certificates", S("garbage"));
    const char *wo = "crypto.x509.parse_and_verify_certificates_with_options";
    CHECK_INT(
        CALL(wo, &o, cat2(ca, leaf),
             J("{\"DNSName\": \"alt.gatehouse.test\", \"KeyUsages\": [\"KeyUsageServerAuth\"]}")),
        0);
    CHECK_STR(rego(get(o, "0")), "true");
    CHECK_CALL_STR("[false, []]", wo, cat2(ca, leaf), J("{\"DNSName\": \"evil.test\"}"));
    /* 2001: before the certificates' validity */
    CHECK_CALL_STR("[false, []]", wo, cat2(ca, leaf), J("{\"CurrentTime\": 1000000000000000000}"));
    CHECK_ERR("crypto.x509.parse_and_verify_certificates_with_options: invalid key option", wo,
              cat2(ca, leaf), J("{\"Foo\": 1}"));
    CHECK_ERR("crypto.x509.parse_and_verify_certificates_with_options: invalid entries for "
              "'KeyUsages' found: [Nope]",
              wo, cat2(ca, leaf), J("{\"KeyUsages\": [\"Nope\"]}"));

    /* extended key usage along the chain, as Go: none asked means ServerAuth */
    const gh_value *client = F("client.crt");
    CHECK_CALL_STR("[false, []]", "crypto.x509.parse_and_verify_certificates", cat2(ca, client));
    CHECK_INT(CALL(wo, &o, cat2(ca, client), J("{\"KeyUsages\": [\"KeyUsageClientAuth\"]}")), 0);
    CHECK_STR(rego(get(o, "0")), "true");
    CHECK_INT(CALL(wo, &o, cat2(ca, client), J("{\"KeyUsages\": [\"KeyUsageAny\"]}")), 0);
    CHECK_STR(rego(get(o, "0")), "true");
    CHECK_CALL_STR("[false, []]", wo, cat2(ca, client),
                   J("{\"KeyUsages\": [\"KeyUsageCodeSigning\"]}"));
    /* IPs as Go prints them; AIA and CRL URLs; extensions */
    CHECK_INT(CALL("crypto.x509.parse_certificates", &o, client), 0);
    CHECK_STR(rego(get(o, "0.IPAddresses")), "[\"::1\", \"10.0.0.1\", \"2001:db8::5\"]");
    CHECK_STR(rego(get(o, "0.ExtKeyUsage")), "[2]");
    CHECK_STR(rego(get(o, "0.OCSPServer")), "[\"http://ocsp.gatehouse.test\"]");
    CHECK_STR(rego(get(o, "0.IssuingCertificateURL")), "[\"http://pki.gatehouse.test/root.crt\"]");
    CHECK_STR(rego(get(o, "0.CRLDistributionPoints")), "[\"http://crl.gatehouse.test/root.crl\"]");
    CHECK_STR(rego(get(o, "0.PublicKeyAlgorithm")), "4");
    CHECK_STR(rego(get(o, "0.Extensions.0.Id")), "[2, 5, 29, 17]");
    CHECK_STR(rego(get(o, "0.Extensions.0.Critical")), "false");

    /* certificate requests */
    CHECK_INT(CALL("crypto.x509.parse_certificate_request", &o, F("leaf.csr")), 0);
    CHECK_STR(rego(get(o, "Subject.CommonName")), "\"leaf.gatehouse.test\"");
    CHECK_STR(rego(get(o, "EmailAddresses")), "[\"ops@gatehouse.test\"]");
    CHECK_ERR("crypto.x509.parse_certificate_request: asn1: structure error: malformed certificate "
              "request",
              "crypto.x509.parse_certificate_request", S("YmFkc3RyaW5n"));
    const gh_value *ca64;
    CHECK_INT(CALL("base64.encode", &ca64, ca), 0);
    CHECK_ERR(
        "crypto.x509.parse_certificate_request: invalid PEM-encoded certificate signing request",
        "crypto.x509.parse_certificate_request", ca64);

    /* key pairs */
    CHECK_INT(CALL("crypto.x509.parse_keypair", &o, leaf, F("rsa.key")), 0);
    CHECK_STR(rego(get(o, "Leaf.Subject.CommonName")), "\"leaf.gatehouse.test\"");
    CHECK_STR(rego(get(o, "PrivateKey.PublicKey.E")), "65537");
    CHECK(get(o, "Certificate.0") && gh_value_kind(get(o, "Certificate.0")) == GH_KIND_STRING);
    CHECK_ERR("crypto.x509.parse_keypair: tls: private key does not match public key",
              "crypto.x509.parse_keypair", leaf, F("ec-p256.key"));
    CHECK_ERR("crypto.x509.parse_keypair: tls: failed to find any PEM data in key input",
              "crypto.x509.parse_keypair", leaf, F("rsa.pub"));

    /* private keys */
    CHECK_INT(CALL("crypto.parse_private_keys", &o,
                   cat2(cat2(F("rsa.key"), F("ec-p384.key")), F("ed25519.key"))),
              0);
    CHECK_INT(gh_value_len(o), 3);
    CHECK_STR(rego(get(o, "0.PublicKey.E")), "65537");
    CHECK(get(o, "1.D") != NULL);
    CHECK_CALL_STR("[]", "crypto.parse_private_keys", S("nope"));
    CHECK_CALL_STR("null", "crypto.parse_private_keys", S(""));
    CHECK_ERR("crypto.parse_private_keys: x509: failed to parse private key",
              "crypto.parse_private_keys",
              S("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"));
    /* EC and Ed25519 keys come back as JWKs too, equal to the fixtures make-jwk.sh wrote */
    CHECK_INT(CALL("crypto.x509.parse_rsa_private_key", &o, F("ec-p521.key")), 0);
    CHECK(gh_value_equal(o, FJ("ec-p521.jwk")));
    CHECK_INT(CALL("crypto.x509.parse_rsa_private_key", &o, F("ed25519.key")), 0);
    CHECK(gh_value_equal(o, FJ("ed25519.jwk")));
    CHECK_CALL_STR("null", "crypto.x509.parse_rsa_private_key", S("bm9wZQ=="));
    CHECK_ERR("crypto.x509.parse_rsa_private_key: input PEM data was empty",
              "crypto.x509.parse_rsa_private_key", S(""));
}

/* ---- truncated and corrupted input: an answer or OPA's error, never a crash ---- */

static bool sane(int rc)
{
    return rc == 0 || (rc == GH_EBUILTIN && BC.err_code && BC.err_msg[0]);
}

static void test_mangled(void)
{
    static const char *const files[] = {"leaf.crt",    "ca.crt",      "leaf.csr", "rsa.key",
                                        "ec-p384.key", "ed25519.key", "rsa.pub",  "ec-p256.jwk"};
    static const char *const one_arg[] = {
        "crypto.x509.parse_certificates",        "crypto.x509.parse_and_verify_certificates",
        "crypto.x509.parse_certificate_request", "crypto.parse_private_keys",
        "crypto.x509.parse_rsa_private_key",     "io.jwt.decode"};
    const gh_value *tok = sign("ES256", J("{\"a\": 1}"), FJ("ec-p256.jwk")), *o;
    int bad = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t n;
        const char *full = gh_string_ptr(F(files[f]), &n);
        char *buf = gh_arena_alloc(&A, n + 1);
        for (size_t cut = 0; cut <= n; cut += 7) {
            for (int flip = 0; flip < 2; flip++) {
                memcpy(buf, full, n);
                if (flip && cut < n) buf[cut] ^= 0x21;
                const gh_value *v = gh_value_string(&A, buf, flip ? n : cut);
                for (size_t b = 0; b < sizeof one_arg / sizeof one_arg[0]; b++)
                    bad += !sane(CALL(one_arg[b], &o, v));
                bad += !sane(CALL("crypto.x509.parse_keypair", &o, F("leaf.crt"), v));
                bad += !sane(CALL("io.jwt.verify_es256", &o, tok, v));
                bad += !sane(CALL("io.jwt.decode_verify", &o, tok, obj1("cert", v)));
                bad +=
                    !sane(CALL("io.jwt.encode_sign_raw", &o, S("{\"alg\":\"ES256\"}"), S("{}"), v));
            }
        }
    }
    CHECK_INT(bad, 0);
    /* corrupted tokens */
    size_t tn;
    const char *ts = gh_string_ptr(tok, &tn);
    char *t = gh_arena_alloc(&A, tn + 1);
    for (size_t i = 0; i < tn; i++) {
        memcpy(t, ts, tn);
        t[i] = t[i] == '.' ? 'x' : '.';
        const gh_value *v = gh_value_string(&A, t, tn);
        bad += !sane(CALL("io.jwt.decode", &o, v));
        bad += !sane(CALL("io.jwt.verify_es256", &o, v, F("ec-p256.pub")));
        bad += !sane(CALL("io.jwt.decode_verify", &o, v, obj1("cert", F("ec-p256.pub"))));
    }
    CHECK_INT(bad, 0);
}

int main(void)
{
    gh_arena_init(&A, 0);
    test_digests();
    test_round_trips();
    test_decode_verify();
    test_malformed();
    test_x509();
    test_mangled();
    gh_arena_free(&A);
    return tests_done("builtins_crypto");
}
