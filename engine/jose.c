/* JOSE on OpenSSL 3 (see gatehouse/jose.h): algorithm names, keys from JWK / JWK sets
 * (EVP_PKEY_fromdata, never the deprecated RSA_* / EC_KEY_* calls), PEM and secrets, strict
 * base64url, and JWS sign/verify. The io.jwt builtins (builtins/jwk.c) and the sidecar's
 * token verifier share it; error texts for JWKs are OPA's, since the builtins must keep them. */
#include "gatehouse/jose.h"

#include "gatehouse/arena.h"
#include "gatehouse/error.h"
#include "gatehouse/value.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- algorithms ---- */

static const char *const alg_names[GH_JOSE_ALG_COUNT] = {
    [GH_JOSE_NONE] = "none",   [GH_JOSE_HS256] = "HS256", [GH_JOSE_HS384] = "HS384",
    [GH_JOSE_HS512] = "HS512", [GH_JOSE_RS256] = "RS256", [GH_JOSE_RS384] = "RS384",
    [GH_JOSE_RS512] = "RS512", [GH_JOSE_PS256] = "PS256", [GH_JOSE_PS384] = "PS384",
    [GH_JOSE_PS512] = "PS512", [GH_JOSE_ES256] = "ES256", [GH_JOSE_ES384] = "ES384",
    [GH_JOSE_ES512] = "ES512", [GH_JOSE_EDDSA] = "EdDSA"};

const char *gh_jose_alg_name(gh_jose_alg alg)
{
    return alg >= 0 && alg < GH_JOSE_ALG_COUNT ? alg_names[alg] : NULL;
}

gh_jose_alg gh_jose_alg_from_name(const char *s, size_t n)
{
    for (int i = 0; i < GH_JOSE_ALG_COUNT; i++)
        if (strlen(alg_names[i]) == n && !memcmp(alg_names[i], s, n)) return (gh_jose_alg)i;
    return GH_JOSE_UNKNOWN;
}

const char *gh_jose_kty_name(gh_jose_kty kty)
{
    static const char *const names[] = {"oct", "RSA", "EC", "OKP"};
    return kty >= 0 && kty <= GH_JOSE_KTY_OKP ? names[kty] : "?";
}

/* The family of an algorithm and its digest (NULL for EdDSA, which hashes on its own). */
typedef enum { FAM_NONE, FAM_HS, FAM_RS, FAM_PS, FAM_ES, FAM_ED } alg_family;

static alg_family family(gh_jose_alg alg, const EVP_MD **md)
{
    *md = NULL;
    if (alg <= GH_JOSE_NONE || alg >= GH_JOSE_ALG_COUNT) return FAM_NONE;
    if (alg == GH_JOSE_EDDSA) return FAM_ED;
    int size = (alg - GH_JOSE_HS256) % 3; /* 256, 384, 512 in that order in each family */
    *md = size == 0 ? EVP_sha256() : size == 1 ? EVP_sha384() : EVP_sha512();
    return alg <= GH_JOSE_HS512   ? FAM_HS
           : alg <= GH_JOSE_RS512 ? FAM_RS
           : alg <= GH_JOSE_PS512 ? FAM_PS
                                  : FAM_ES;
}

/* The curve ESxxx needs (RFC 7518 section 3.4), and its field size in bytes. */
static gh_jose_crv es_curve(gh_jose_alg alg, size_t *half)
{
    *half = alg == GH_JOSE_ES256 ? 32 : alg == GH_JOSE_ES384 ? 48 : 66;
    return alg == GH_JOSE_ES256   ? GH_JOSE_CRV_P256
           : alg == GH_JOSE_ES384 ? GH_JOSE_CRV_P384
                                  : GH_JOSE_CRV_P521;
}

bool gh_jose_key_fits(const gh_jose_key *k, gh_jose_alg alg)
{
    const EVP_MD *md;
    size_t half;
    switch (family(alg, &md)) {
    case FAM_HS: return k->kty == GH_JOSE_KTY_OCT && k->secret != NULL;
    case FAM_RS: /* an RSA-PSS-only key cannot make PKCS#1 v1.5 signatures */
        return k->kty == GH_JOSE_KTY_RSA && k->pkey &&
               EVP_PKEY_get_base_id(k->pkey) == EVP_PKEY_RSA;
    case FAM_PS: return k->kty == GH_JOSE_KTY_RSA && k->pkey;
    case FAM_ES: return k->kty == GH_JOSE_KTY_EC && k->pkey && k->crv == es_curve(alg, &half);
    case FAM_ED: return k->kty == GH_JOSE_KTY_OKP && k->pkey && k->crv == GH_JOSE_CRV_ED25519;
    default: return false;
    }
}

/* ---- keys and keysets ---- */

static gh_jose_crv ec_curve(EVP_PKEY *pk)
{
    char name[64];
    size_t len = 0;
    if (EVP_PKEY_get_group_name(pk, name, sizeof name, &len) != 1) return GH_JOSE_CRV_NONE;
    int nid = OBJ_sn2nid(name);
    if (nid == NID_undef) nid = EC_curve_nist2nid(name);
    return nid == NID_X9_62_prime256v1 ? GH_JOSE_CRV_P256
           : nid == NID_secp384r1      ? GH_JOSE_CRV_P384
           : nid == NID_secp521r1      ? GH_JOSE_CRV_P521
                                       : GH_JOSE_CRV_NONE;
}

static bool has_private(EVP_PKEY *pk, int id)
{
    BIGNUM *bn = NULL;
    size_t len = 0;
    if (id == EVP_PKEY_ED25519) return EVP_PKEY_get_raw_private_key(pk, NULL, &len) == 1;
    const char *param = id == EVP_PKEY_EC ? OSSL_PKEY_PARAM_PRIV_KEY : OSSL_PKEY_PARAM_RSA_D;
    bool has = EVP_PKEY_get_bn_param(pk, param, &bn) == 1;
    BN_clear_free(bn);
    return has;
}

int gh_jose_key_wrap(gh_jose_key *k, EVP_PKEY *pk)
{
    memset(k, 0, sizeof *k);
    int id = EVP_PKEY_get_base_id(pk);
    switch (id) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS: k->kty = GH_JOSE_KTY_RSA; break;
    case EVP_PKEY_EC:
        k->kty = GH_JOSE_KTY_EC;
        k->crv = ec_curve(pk);
        break;
    case EVP_PKEY_ED25519:
        k->kty = GH_JOSE_KTY_OKP;
        k->crv = GH_JOSE_CRV_ED25519;
        break;
    default: return GH_EINVAL;
    }
    k->pkey = pk;
    k->bits = EVP_PKEY_get_bits(pk);
    k->is_private = has_private(pk, id);
    return 0;
}

static char *memdup0(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        if (n) memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

int gh_jose_key_set_kid(gh_jose_key *k, const char *kid, size_t n)
{
    char *d = memdup0(kid, n);
    if (!d) return GH_ENOMEM;
    free(k->kid);
    k->kid = d, k->kid_len = n;
    return 0;
}

static void key_free(gh_jose_key *k)
{
    EVP_PKEY_free(k->pkey);
    if (k->secret) OPENSSL_cleanse(k->secret, k->secret_len);
    free(k->secret);
    free(k->kid);
    free(k->alg_name);
    free(k->use);
    memset(k, 0, sizeof *k);
}

void gh_jose_keyset_free(gh_jose_keyset *ks)
{
    for (size_t i = 0; ks->keys && i < ks->n; i++)
        key_free(&ks->keys[i]);
    free(ks->keys);
    ks->keys = NULL, ks->n = 0;
}

/* Appends *k (moved: k is zeroed). On failure k is released. */
static int keyset_push(gh_jose_keyset *ks, gh_jose_key *k)
{
    gh_jose_key *g = realloc(ks->keys, (ks->n + 1) * sizeof *g);
    if (!g) {
        key_free(k);
        return GH_ENOMEM;
    }
    ks->keys = g;
    g[ks->n++] = *k;
    memset(k, 0, sizeof *k);
    return 0;
}

int gh_jose_keyset_append(gh_jose_keyset *dst, gh_jose_keyset *src)
{
    if (!src->n) return 0;
    gh_jose_key *g = realloc(dst->keys, (dst->n + src->n) * sizeof *g);
    if (!g) return GH_ENOMEM;
    memcpy(g + dst->n, src->keys, src->n * sizeof *g);
    dst->keys = g, dst->n += src->n;
    free(src->keys);
    src->keys = NULL, src->n = 0;
    return 0;
}

static bool kid_is(const gh_jose_key *k, const char *kid, size_t n)
{
    return k->kid && k->kid_len == n && !memcmp(k->kid, kid, n);
}

const gh_jose_key *gh_jose_keyset_find(const gh_jose_keyset *ks, const char *kid, size_t kid_len,
                                       gh_jose_alg alg)
{
    const gh_jose_key *same_kid = NULL;
    for (size_t i = 0; kid && i < ks->n; i++) {
        if (!kid_is(&ks->keys[i], kid, kid_len)) continue;
        if (gh_jose_key_fits(&ks->keys[i], alg)) return &ks->keys[i];
        if (!same_kid) same_kid = &ks->keys[i];
    }
    if (same_kid) return same_kid;
    for (size_t i = 0; i < ks->n; i++)
        if ((!kid || !ks->keys[i].kid) && gh_jose_key_fits(&ks->keys[i], alg)) return &ks->keys[i];
    return NULL;
}

/* ---- errors ---- */

static int errf(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int errf(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

#define NOMEM(err, errlen) errf(err, errlen, GH_ENOMEM, "out of memory")

/* ---- base64url ---- */

static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static inline int b64u_digit(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

size_t gh_jose_b64url_encode(const unsigned char *s, size_t n, char *d)
{
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        d[o++] = b64u[v >> 18], d[o++] = b64u[v >> 12 & 63];
        d[o++] = b64u[v >> 6 & 63], d[o++] = b64u[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
        d[o++] = b64u[v >> 18], d[o++] = b64u[v >> 12 & 63];
        if (i + 1 < n) d[o++] = b64u[v >> 6 & 63];
    }
    return o;
}

bool gh_jose_b64url_decode(const char *s, size_t n, unsigned char *out, size_t *outn)
{
    if (n % 4 == 1) return false; /* 6 bits cannot end a byte */
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64u_digit((unsigned char)s[i]);
        if (v < 0) return false;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* left-over bits must be zero: otherwise several texts would decode alike */
    if (bits && (acc & ((1u << bits) - 1))) return false;
    *outn = o;
    return true;
}

/* The default decoder of JWK members: base64url, '=' padding tolerated (keys are
 * configuration, not attacker input, and some providers pad). */
static bool b64_lenient(void *ud, const char *s, size_t n, unsigned char *out, size_t *outn,
                        char *err, size_t errlen)
{
    (void)ud;
    size_t m = n;
    while (m > 0 && n - m < 2 && s[m - 1] == '=')
        m--;
    if ((m < n && n % 4 != 0) || !gh_jose_b64url_decode(s, m, out, outn)) {
        errf(err, errlen, GH_EINVAL, "illegal base64url data");
        return false;
    }
    return true;
}

/* ---- JWK ---- */

typedef struct jwk_rd {
    gh_arena arena; /* the JSON and decoded members */
    const gh_jose_jwk_opts *o;
    char *err;
    size_t errlen;
} jwk_rd;

static int jwk_err(jwk_rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int jwk_err(jwk_rd *r, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return errf(r->err, r->errlen, GH_EINVAL, "failed to parse a JWK key (set): %s", why);
}

/* A member's string (NUL-ended in the arena), NULL when absent or not a string. */
static const char *jwk_str(const gh_value *jwk, const char *field, size_t *n)
{
    const gh_value *v = gh_object_get_str(jwk, field, strlen(field));
    size_t len = 0;
    const char *s = v ? gh_string_ptr(v, &len) : NULL;
    if (n) *n = len;
    return s;
}

/* A member's decoded bytes (in the arena); *b NULL when absent. */
static int jwk_bytes(jwk_rd *r, const gh_value *jwk, const char *field, const unsigned char **b,
                     size_t *bn)
{
    const gh_value *v = gh_object_get_str(jwk, field, strlen(field));
    *b = NULL, *bn = 0;
    if (!v) return 0;
    size_t n;
    const char *s = gh_string_ptr(v, &n);
    if (!s) return jwk_err(r, "invalid %s", field);
    unsigned char *d = gh_arena_alloc(&r->arena, n + 4);
    if (!d) return NOMEM(r->err, r->errlen);
    char why[200] = "";
    gh_jose_b64_fn dec = r->o && r->o->decode ? r->o->decode : b64_lenient;
    if (!dec(r->o ? r->o->decode_ud : NULL, s, n, d, bn, why, sizeof why) || *bn > n + 4)
        return jwk_err(r, "%s", why);
    *b = d;
    return 0;
}

/* Pushes big-endian bytes as a BIGNUM parameter (the BIGNUM is freed by the caller). */
static bool push_bn(OSSL_PARAM_BLD *bld, const char *key, const unsigned char *b, size_t n,
                    BIGNUM **keep)
{
    if (!b) return true;
    if (n > INT_MAX) return false;
    *keep = BN_bin2bn(b, (int)n, NULL);
    return *keep && OSSL_PARAM_BLD_push_BN(bld, key, *keep);
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld, bool priv)
{
    EVP_PKEY *pk = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (params && ctx && EVP_PKEY_fromdata_init(ctx) > 0)
        if (EVP_PKEY_fromdata(ctx, &pk, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <= 0)
            pk = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pk;
}

enum { RSA_NF = 8 };
static const char *const rsa_fields[RSA_NF] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
static const char *const rsa_params[RSA_NF] = {
    OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,           OSSL_PKEY_PARAM_RSA_D,
    OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,     OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};

static int jwk_rsa(jwk_rd *r, const gh_value *jwk, EVP_PKEY **pk)
{
    const unsigned char *b[RSA_NF];
    size_t bn[RSA_NF];
    for (int i = 0; i < RSA_NF; i++) {
        int rc = jwk_bytes(r, jwk, rsa_fields[i], &b[i], &bn[i]);
        if (rc) return rc;
    }
    if (!b[0] || !b[1]) return jwk_err(r, "missing RSA n or e");
    /* OpenSSL wants all CRT parameters or none */
    int last = b[2] && b[3] && b[4] && b[5] && b[6] && b[7] ? RSA_NF : b[2] ? 3 : 2;
    BIGNUM *bns[RSA_NF] = {0};
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    bool ok = bld != NULL;
    for (int i = 0; ok && i < last; i++)
        ok = push_bn(bld, rsa_params[i], b[i], bn[i], &bns[i]);
    *pk = ok ? from_params("RSA", bld, b[2] != NULL) : NULL;
    OSSL_PARAM_BLD_free(bld);
    for (int i = 0; i < RSA_NF; i++)
        BN_clear_free(bns[i]);
    return *pk ? 0 : jwk_err(r, "invalid RSA key");
}

/* The field size of a JWK curve name; 0 when not one of JOSE's. */
static size_t ec_field(const char *crv)
{
    return !crv                    ? 0
           : !strcmp(crv, "P-256") ? 32
           : !strcmp(crv, "P-384") ? 48
           : !strcmp(crv, "P-521") ? 66
                                   : 0;
}

static int jwk_ec(jwk_rd *r, const gh_value *jwk, EVP_PKEY **pk)
{
    const char *crv = jwk_str(jwk, "crv", NULL);
    size_t fl = ec_field(crv);
    if (!fl) return jwk_err(r, "unsupported curve");
    const unsigned char *x, *y, *d;
    size_t xn, yn, dn;
    int rc;
    if ((rc = jwk_bytes(r, jwk, "x", &x, &xn)) || (rc = jwk_bytes(r, jwk, "y", &y, &yn)) ||
        (rc = jwk_bytes(r, jwk, "d", &d, &dn)))
        return rc;
    if (!x || !y || xn > fl || yn > fl) return jwk_err(r, "invalid EC key");
    unsigned char pub[1 + 2 * 66] = {4}; /* uncompressed point: 04 || x || y */
    memcpy(pub + 1 + fl - xn, x, xn);
    memcpy(pub + 1 + 2 * fl - yn, y, yn);
    BIGNUM *bd = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    bool ok = bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, crv, 0) &&
              OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * fl) &&
              push_bn(bld, OSSL_PKEY_PARAM_PRIV_KEY, d, dn, &bd);
    *pk = ok ? from_params("EC", bld, d != NULL) : NULL;
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(bd);
    return *pk ? 0 : jwk_err(r, "invalid EC key");
}

static int jwk_okp(jwk_rd *r, const gh_value *jwk, EVP_PKEY **pk)
{
    const char *crv = jwk_str(jwk, "crv", NULL);
    if (!crv || strcmp(crv, "Ed25519")) return jwk_err(r, "unsupported curve");
    const unsigned char *x, *d;
    size_t xn, dn;
    int rc;
    if ((rc = jwk_bytes(r, jwk, "x", &x, &xn)) || (rc = jwk_bytes(r, jwk, "d", &d, &dn))) return rc;
    *pk = d   ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, dn)
          : x ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xn)
              : NULL;
    return *pk ? 0 : jwk_err(r, "invalid OKP key");
}

static int jwk_oct(jwk_rd *r, const gh_value *jwk, gh_jose_key *k)
{
    const unsigned char *b;
    size_t bn;
    int rc = jwk_bytes(r, jwk, "k", &b, &bn);
    if (rc) return rc;
    if (!b) return jwk_err(r, "missing \"k\"");
    if (!(k->secret = malloc(bn ? bn : 1))) return NOMEM(r->err, r->errlen);
    memcpy(k->secret, b, bn);
    k->secret_len = bn;
    k->bits = bn > INT_MAX / 8 ? INT_MAX : (int)bn * 8;
    k->is_private = true;
    return 0;
}

/* kid, alg and use, copied as written. */
static int jwk_names(jwk_rd *r, const gh_value *jwk, gh_jose_key *k)
{
    size_t kn, an, un;
    const char *kid = jwk_str(jwk, "kid", &kn), *alg = jwk_str(jwk, "alg", &an),
               *use = jwk_str(jwk, "use", &un);
    if ((kid && !(k->kid = memdup0(kid, kn))) || (alg && !(k->alg_name = memdup0(alg, an))) ||
        (use && !(k->use = memdup0(use, un))))
        return NOMEM(r->err, r->errlen);
    k->kid_len = kn;
    k->alg = !alg ? GH_JOSE_NONE : gh_jose_alg_from_name(alg, an);
    if (alg && k->alg == GH_JOSE_NONE) k->alg = GH_JOSE_UNKNOWN; /* "none" names no key's alg */
    return 0;
}

/* One JWK into *k (released by the caller on failure). */
static int jwk_one(jwk_rd *r, const gh_value *jwk, gh_jose_key *k)
{
    memset(k, 0, sizeof *k);
    if (gh_value_kind(jwk) != GH_KIND_OBJECT) return jwk_err(r, "invalid key");
    int rc = jwk_names(r, jwk, k);
    if (rc) return rc;
    const char *kty = jwk_str(jwk, "kty", NULL);
    if (!kty) return jwk_err(r, "missing \"kty\"");
    EVP_PKEY *pk = NULL;
    if (!strcmp(kty, "oct")) {
        k->kty = GH_JOSE_KTY_OCT;
        return jwk_oct(r, jwk, k);
    }
    if (!strcmp(kty, "RSA"))
        rc = jwk_rsa(r, jwk, &pk);
    else if (!strcmp(kty, "EC"))
        rc = jwk_ec(r, jwk, &pk);
    else if (!strcmp(kty, "OKP"))
        rc = jwk_okp(r, jwk, &pk);
    else
        return jwk_err(r, "invalid key type %s", kty);
    if (rc) return rc;
    gh_jose_key named = *k;
    if (gh_jose_key_wrap(k, pk)) { /* not reached: the three types above all classify */
        EVP_PKEY_free(pk);
        *k = named;
        return jwk_err(r, "invalid key");
    }
    k->kid = named.kid, k->kid_len = named.kid_len;
    k->alg = named.alg, k->alg_name = named.alg_name, k->use = named.use;
    return 0;
}

/* Whether a set member is of a type and curve this module supports (for skipping). */
static bool jwk_supported(const gh_value *jwk)
{
    const char *kty = jwk_str(jwk, "kty", NULL), *crv = jwk_str(jwk, "crv", NULL);
    if (!kty) return true; /* an error, reported as such */
    if (!strcmp(kty, "oct") || !strcmp(kty, "RSA")) return true;
    if (!strcmp(kty, "EC")) return ec_field(crv) != 0;
    if (!strcmp(kty, "OKP")) return crv && !strcmp(crv, "Ed25519");
    return false;
}

static int jwk_set(jwk_rd *r, const gh_value *v, gh_jose_keyset *out)
{
    const gh_value *set = gh_object_get_str(v, "keys", 4);
    if (set && gh_value_kind(set) != GH_KIND_ARRAY) return jwk_err(r, "invalid \"keys\"");
    size_t cnt = set ? gh_value_len(set) : 1;
    bool skip = r->o && (r->o->flags & GH_JOSE_SKIP_UNSUPPORTED);
    for (size_t i = 0; i < cnt; i++) {
        const gh_value *jwk = set ? gh_array_get(set, i) : v;
        if (set && skip && gh_value_kind(jwk) == GH_KIND_OBJECT && !jwk_supported(jwk)) continue;
        gh_jose_key k;
        int rc = jwk_one(r, jwk, &k);
        if (rc) {
            key_free(&k);
            return rc;
        }
        /* keys naming an algorithm that is not a JWS one are skipped, as OPA does */
        if (set && k.alg == GH_JOSE_UNKNOWN) {
            key_free(&k);
            continue;
        }
        if ((rc = keyset_push(out, &k))) return NOMEM(r->err, r->errlen);
    }
    return 0;
}

int gh_jose_keyset_from_jwk(const char *json, size_t n, const gh_jose_jwk_opts *opts,
                            gh_jose_keyset *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    jwk_rd r = {.o = opts, .err = err, .errlen = errlen};
    gh_arena_init(&r.arena, 0);
    const gh_value *v = NULL;
    gh_json_error je;
    int rc = gh_json_read(&r.arena, json, n, NULL, &v, &je);
    if (rc == GH_EJSON || (!rc && gh_value_kind(v) != GH_KIND_OBJECT))
        rc = jwk_err(&r, "invalid JSON");
    else if (rc) /* GH_ENOMEM, or GH_ELIMIT for nesting too deep */
        rc = errf(err, errlen, rc, "failed to parse a JWK key (set): %s", je.msg);
    else
        rc = jwk_set(&r, v, out);
    if (rc) gh_jose_keyset_free(out);
    gh_arena_free(&r.arena);
    return rc;
}

/* ---- PEM ---- */

static const char *find(const char *s, const char *end, const char *pat)
{
    size_t pl = strlen(pat);
    for (const char *p = s; p + pl <= end; p++)
        if (!memcmp(p, pat, pl)) return p;
    return NULL;
}

static int b64std_val(char c)
{
    static const char b64s[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(b64s, c) : NULL;
    return p ? (int)(p - b64s) : -1;
}

/* Decodes the base64 body of a PEM block, whitespace ignored; false when malformed. */
static bool pem_body(const char *s, const char *end, unsigned char *d, size_t *dn)
{
    uint32_t acc = 0;
    int bits = 0, pads = 0;
    size_t o = 0;
    for (; s < end; s++) {
        char c = *s;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        if (c == '=') {
            pads++;
            continue;
        }
        int v = b64std_val(c);
        if (v < 0 || pads) return false;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            d[o++] = (unsigned char)(acc >> bits);
        }
    }
    if (pads > 2) return false;
    *dn = o;
    return true;
}

int gh_jose_pem_decode(const char *s, size_t n, gh_jose_pem *blk, size_t *rest)
{
    const char *end = s + n, *p = s;
    while ((p = find(p, end, "-----BEGIN ")) != NULL) {
        const char *t = p + 11, *te = find(t, end, "-----");
        if (!te) return 0;
        const char *nl = te + 5;
        if (nl < end && *nl == '\r') nl++;
        if (nl < end && *nl != '\n') {
            p = t;
            continue;
        }
        const char *body = nl < end ? nl + 1 : nl;
        char endline[128];
        size_t tl = (size_t)(te - t);
        if (tl > 100) return 0;
        snprintf(endline, sizeof endline, "-----END %.*s-----", (int)tl, t);
        const char *be = find(body, end, endline);
        if (!be) {
            p = t;
            continue;
        }
        unsigned char *d = malloc((size_t)(be - body) + 1);
        if (!d) return GH_ENOMEM;
        if (!pem_body(body, be, d, &blk->der_len)) {
            free(d);
            p = t;
            continue;
        }
        blk->type = t, blk->type_len = tl, blk->der = d;
        const char *r = be + strlen(endline);
        while (r < end && (*r == ' ' || *r == '\t'))
            r++;
        if (r < end && *r == '\r') r++;
        if (r < end && *r == '\n') r++;
        *rest = (size_t)(r - s);
        return 1;
    }
    return 0;
}

bool gh_jose_pem_is(const gh_jose_pem *b, const char *type)
{
    return strlen(type) == b->type_len && !memcmp(b->type, type, b->type_len);
}

EVP_PKEY *gh_jose_pem_key(const gh_jose_pem *b)
{
    const unsigned char *p = b->der;
    long n = b->der_len > LONG_MAX ? LONG_MAX : (long)b->der_len;
    if (gh_jose_pem_is(b, "CERTIFICATE")) {
        X509 *x = d2i_X509(NULL, &p, n);
        EVP_PKEY *pk = x ? X509_get_pubkey(x) : NULL;
        X509_free(x);
        return pk;
    }
    if (gh_jose_pem_is(b, "PUBLIC KEY")) return d2i_PUBKEY(NULL, &p, n);
    if (gh_jose_pem_is(b, "RSA PUBLIC KEY")) return d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, n);
    if (gh_jose_pem_is(b, "RSA PRIVATE KEY")) return d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, n);
    if (gh_jose_pem_is(b, "EC PRIVATE KEY")) return d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, n);
    if (gh_jose_pem_is(b, "PRIVATE KEY")) return d2i_AutoPrivateKey(NULL, &p, n);
    return NULL;
}

static bool pem_key_type(const gh_jose_pem *b)
{
    static const char *const types[] = {"CERTIFICATE",     "PUBLIC KEY",     "RSA PUBLIC KEY",
                                        "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (gh_jose_pem_is(b, types[i])) return true;
    return false;
}

/* The key of one block appended to out; blocks of other types are skipped. */
static int pem_add(const gh_jose_pem *b, gh_jose_keyset *out, char *err, size_t errlen)
{
    if (!pem_key_type(b)) return 0;
    EVP_PKEY *pk = gh_jose_pem_key(b);
    if (!pk)
        return errf(err, errlen, GH_EINVAL, "malformed PEM block %.*s", (int)b->type_len, b->type);
    gh_jose_key k;
    if (gh_jose_key_wrap(&k, pk)) {
        EVP_PKEY_free(pk);
        return errf(err, errlen, GH_EINVAL, "PEM block %.*s: key type not usable for JWS",
                    (int)b->type_len, b->type);
    }
    if (k.kty == GH_JOSE_KTY_EC && k.crv == GH_JOSE_CRV_NONE) {
        EVP_PKEY_free(pk);
        return errf(err, errlen, GH_EINVAL,
                    "PEM block %.*s: EC curve not usable for JWS (P-256, P-384, P-521 only)",
                    (int)b->type_len, b->type);
    }
    return keyset_push(out, &k) ? NOMEM(err, errlen) : 0;
}

int gh_jose_keyset_from_pem(const char *pem, size_t n, gh_jose_keyset *out, char *err,
                            size_t errlen)
{
    memset(out, 0, sizeof *out);
    gh_jose_pem b;
    size_t rest;
    int found, rc = 0;
    while (rc == 0 && n > 0 && (found = gh_jose_pem_decode(pem, n, &b, &rest)) != 0) {
        if (found < 0) {
            rc = NOMEM(err, errlen);
            break;
        }
        rc = pem_add(&b, out, err, errlen);
        free(b.der);
        pem += rest, n -= rest;
    }
    if (!rc && !out->n) rc = errf(err, errlen, GH_EINVAL, "no key found in the PEM text");
    if (rc) gh_jose_keyset_free(out);
    return rc;
}

int gh_jose_keyset_from_secret(const void *secret, size_t n, gh_jose_keyset *out, char *err,
                               size_t errlen)
{
    memset(out, 0, sizeof *out);
    gh_jose_key k = {.kty = GH_JOSE_KTY_OCT, .is_private = true, .secret_len = n};
    k.bits = n > INT_MAX / 8 ? INT_MAX : (int)n * 8;
    if (!(k.secret = malloc(n ? n : 1))) return NOMEM(err, errlen);
    if (n) memcpy(k.secret, secret, n);
    return keyset_push(out, &k) ? NOMEM(err, errlen) : 0;
}

int gh_jose_keyset_parse(const char *text, size_t n, gh_jose_keyset *out, char *err, size_t errlen)
{
    if (find(text, text + n, "-----BEGIN "))
        return gh_jose_keyset_from_pem(text, n, out, err, errlen);
    gh_jose_jwk_opts o = {.flags = GH_JOSE_SKIP_UNSUPPORTED};
    return gh_jose_keyset_from_jwk(text, n, &o, out, err, errlen);
}

/* ---- JWS ---- */

/* Raw r||s (each half of sig) as the DER ECDSA-Sig-Value OpenSSL verifies. */
static unsigned char *es_der(const unsigned char *sig, size_t sn, int *dl)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)(sn / 2), NULL),
           *s = BN_bin2bn(sig + sn / 2, (int)(sn / 2), NULL);
    unsigned char *der = NULL;
    *dl = 0;
    if (es && r && s && ECDSA_SIG_set0(es, r, s)) {
        r = s = NULL; /* owned by es now */
        *dl = i2d_ECDSA_SIG(es, &der);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return *dl > 0 ? der : NULL;
}

static bool hmac(const EVP_MD *md, const gh_jose_key *k, const unsigned char *msg, size_t n,
                 unsigned char *mac, unsigned *ml)
{
    if (k->secret_len > INT_MAX) return false;
    static const unsigned char empty[1];
    return HMAC(md, k->secret_len ? k->secret : empty, (int)k->secret_len, msg, n, mac, ml) != NULL;
}

/* A digest-sign or digest-verify context for k under the family (PSS padding set up). */
static EVP_MD_CTX *pk_ctx(const gh_jose_key *k, alg_family fam, const EVP_MD *md, bool sign)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    bool ok = ctx && (sign ? EVP_DigestSignInit(ctx, &pctx, md, NULL, k->pkey)
                           : EVP_DigestVerifyInit(ctx, &pctx, md, NULL, k->pkey)) > 0;
    /* RFC 7518 3.5: the salt is as long as the digest; verifying accepts any length, as
       OPA does (a longer or shorter salt is no forgery) */
    if (ok && fam == FAM_PS)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, sign ? RSA_PSS_SALTLEN_DIGEST
                                                         : RSA_PSS_SALTLEN_AUTO) > 0;
    if (!ok) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

bool gh_jose_verify(const gh_jose_key *k, gh_jose_alg alg, const unsigned char *msg, size_t n,
                    const unsigned char *sig, size_t sn)
{
    const EVP_MD *md;
    alg_family fam = family(alg, &md);
    if (fam == FAM_NONE || !gh_jose_key_fits(k, alg)) return false;
    if (fam == FAM_HS) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned ml = 0;
        return hmac(md, k, msg, n, mac, &ml) && ml == sn && CRYPTO_memcmp(mac, sig, ml) == 0;
    }
    unsigned char *der = NULL;
    if (fam == FAM_ES) {
        size_t half;
        es_curve(alg, &half);
        int dl;
        if (sn != 2 * half || !(der = es_der(sig, sn, &dl))) return false;
        sig = der, sn = (size_t)dl;
    }
    EVP_MD_CTX *ctx = pk_ctx(k, fam, md, false);
    bool ok = ctx && EVP_DigestVerify(ctx, sig, sn, msg, n) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    return ok;
}

/* DER ECDSA-Sig-Value to raw r||s, each left-padded to half bytes. */
static bool es_raw(const unsigned char *der, size_t dl, size_t half, unsigned char *out)
{
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &der, (long)dl);
    bool ok = es && BN_bn2binpad(ECDSA_SIG_get0_r(es), out, (int)half) > 0 &&
              BN_bn2binpad(ECDSA_SIG_get0_s(es), out + half, (int)half) > 0;
    ECDSA_SIG_free(es);
    return ok;
}

static int sign_pk(const gh_jose_key *k, gh_jose_alg alg, alg_family fam, const EVP_MD *md,
                   const unsigned char *msg, size_t n, unsigned char **sig, size_t *sn, char *err,
                   size_t errlen)
{
    size_t cap = (size_t)EVP_PKEY_get_size(k->pkey) + 16, got = cap;
    unsigned char *buf = malloc(cap);
    if (!buf) return NOMEM(err, errlen);
    EVP_MD_CTX *ctx = pk_ctx(k, fam, md, true);
    bool ok = ctx && EVP_DigestSign(ctx, buf, &got, msg, n) == 1;
    EVP_MD_CTX_free(ctx);
    if (ok && fam == FAM_ES) {
        size_t half;
        es_curve(alg, &half);
        unsigned char *raw = malloc(2 * half);
        ok = raw && es_raw(buf, got, half, raw);
        free(buf);
        buf = raw, got = 2 * half;
    }
    if (!ok) {
        free(buf);
        return errf(err, errlen, GH_EINVAL, "signing with %s failed", gh_jose_alg_name(alg));
    }
    *sig = buf, *sn = got;
    return 0;
}

int gh_jose_sign(const gh_jose_key *k, gh_jose_alg alg, const unsigned char *msg, size_t n,
                 unsigned char **sig, size_t *sn, char *err, size_t errlen)
{
    const EVP_MD *md;
    alg_family fam = family(alg, &md);
    *sig = NULL, *sn = 0;
    if (fam == FAM_NONE)
        return errf(err, errlen, GH_EINVAL, "cannot sign with alg %s",
                    alg == GH_JOSE_NONE ? "none" : "(unknown)");
    if (!gh_jose_key_fits(k, alg))
        return errf(err, errlen, GH_EINVAL, "a %s key cannot sign %s", gh_jose_kty_name(k->kty),
                    gh_jose_alg_name(alg));
    if (!k->is_private) return errf(err, errlen, GH_EINVAL, "the key has no private part");
    if (fam != FAM_HS) return sign_pk(k, alg, fam, md, msg, n, sig, sn, err, errlen);
    unsigned ml = 0;
    if (!(*sig = malloc(EVP_MAX_MD_SIZE))) return NOMEM(err, errlen);
    if (!hmac(md, k, msg, n, *sig, &ml)) {
        free(*sig);
        *sig = NULL;
        return errf(err, errlen, GH_EINVAL, "signing with %s failed", gh_jose_alg_name(alg));
    }
    *sn = ml;
    return 0;
}
