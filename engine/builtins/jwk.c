/* Keys and signatures for the crypto, io.jwt and crypto.x509 families (see bi_crypto.h):
 * PEM blocks, JWK parsing into OpenSSL 3 EVP_PKEYs (EVP_PKEY_fromdata, never the
 * deprecated RSA_* / EC_KEY_* calls), and JWS sign/verify for OPA's algorithms. */
#include "builtins/bi_crypto.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <stdarg.h>
#include <stdio.h>

/* ---- errors and sibling builtins ---- */

int bic_err(gh_bctx *bc, const char *name, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: %s", name, msg);
}

int bic_call1(gh_bctx *bc, const char *name, const char *sib, const char *prefix,
              const gh_value *arg, const gh_value **out)
{
    const gh_builtin *b = gh_builtin_lookup(sib, strlen(sib));
    if (!b || !b->fn) return GH_EINTERNAL;
    const gh_value *args[1] = {arg};
    int rc = b->fn(bc, args, out);
    if (rc == 0 || !bc->err_code) return rc;
    /* "sib: why" becomes "name: prefix why" */
    char why[sizeof bc->err_msg];
    size_t sl = strlen(sib);
    const char *w = bc->err_msg;
    if (!strncmp(w, sib, sl) && w[sl] == ':' && w[sl + 1] == ' ') w += sl + 2;
    snprintf(why, sizeof why, "%s", w);
    return bic_err(bc, name, "%s%s", prefix, why);
}

/* ---- encodings ---- */

static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b64s[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64_write(char *d, const unsigned char *s, size_t n, const char *alpha, bool pad)
{
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        d[o++] = alpha[v >> 18], d[o++] = alpha[v >> 12 & 63];
        d[o++] = alpha[v >> 6 & 63], d[o++] = alpha[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
        d[o++] = alpha[v >> 18], d[o++] = alpha[v >> 12 & 63];
        if (i + 1 < n)
            d[o++] = alpha[v >> 6 & 63];
        else if (pad)
            d[o++] = '=';
        if (pad) d[o++] = '=';
    }
    return o;
}

const gh_value *bic_b64url(gh_bctx *bc, const unsigned char *s, size_t n)
{
    char *d = bi_bytes(bc, (n + 2) / 3 * 4 + 1);
    if (!d) return NULL;
    return bi_str(bc, d, b64_write(d, s, n, b64u, false));
}

char *bic_b64std(gh_bctx *bc, const unsigned char *s, size_t n, size_t *len)
{
    char *d = bi_bytes(bc, (n + 2) / 3 * 4 + 1);
    if (!d) return NULL;
    *len = b64_write(d, s, n, b64s, true);
    d[*len] = '\0';
    return d;
}

const gh_value *bic_hex(gh_bctx *bc, const unsigned char *s, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    char *d = bi_bytes(bc, 2 * n + 1);
    if (!d) return NULL;
    for (size_t i = 0; i < n; i++)
        d[2 * i] = hx[s[i] >> 4], d[2 * i + 1] = hx[s[i] & 15];
    return bi_str(bc, d, 2 * n);
}

/* ---- PEM (Go's pem.Decode, minus headers, which no caller here needs) ---- */

static const char *find(const char *s, const char *end, const char *pat)
{
    size_t pl = strlen(pat);
    for (const char *p = s; p + pl <= end; p++)
        if (!memcmp(p, pat, pl)) return p;
    return NULL;
}

static int b64_val(char c)
{
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
        int v = b64_val(c);
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

bool bic_pem_decode(gh_bctx *bc, const char *s, size_t n, bic_pem *blk, size_t *rest)
{
    const char *end = s + n, *p = s;
    while ((p = find(p, end, "-----BEGIN ")) != NULL) {
        const char *t = p + 11, *te = find(t, end, "-----");
        if (!te) return false;
        const char *nl = te + 5;
        if (nl < end && *nl == '\r') nl++;
        if (nl < end && *nl != '\n') {
            p = t;
            continue;
        }
        const char *body = nl < end ? nl + 1 : nl;
        char endline[128];
        size_t tl = (size_t)(te - t);
        if (tl > 100) return false;
        snprintf(endline, sizeof endline, "-----END %.*s-----", (int)tl, t);
        const char *be = find(body, end, endline);
        if (!be) {
            p = t;
            continue;
        }
        unsigned char *d = (unsigned char *)bi_bytes(bc, (size_t)(be - body) + 1);
        if (!d || !pem_body(body, be, d, &blk->der_len)) {
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
        return true;
    }
    return false;
}

bool bic_pem_is(const bic_pem *b, const char *type)
{
    return strlen(type) == b->type_len && !memcmp(b->type, type, b->type_len);
}

/* ---- keys ---- */

void bic_keys_free(bic_keys *ks)
{
    for (size_t i = 0; ks->k && i < ks->n; i++)
        EVP_PKEY_free(ks->k[i].pkey);
    ks->k = NULL;
    ks->n = 0;
}

static const char *const algs[] = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
                                   "ES384", "ES512", "HS256", "HS384", "HS512", "EdDSA"};

bool bic_alg_known(const char *alg, size_t n)
{
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
        if (strlen(algs[i]) == n && !memcmp(algs[i], alg, n)) return true;
    return false;
}

static int one_key(gh_bctx *bc, EVP_PKEY *pk, bic_keys *out)
{
    out->k = (bic_key *)bi_bytes(bc, sizeof *out->k);
    if (!out->k) {
        EVP_PKEY_free(pk);
        return GH_ENOMEM;
    }
    memset(out->k, 0, sizeof *out->k);
    out->k[0].pkey = pk;
    out->n = 1;
    return 0;
}

int bic_keys_from_cert_or_jwk(gh_bctx *bc, const char *name, const char *s, size_t n, bic_keys *out)
{
    bic_pem b;
    size_t rest;
    out->k = NULL, out->n = 0;
    if (!bic_pem_decode(bc, s, n, &b, &rest)) return bic_jwk_parse(bc, name, s, n, out);
    if (rest < n) return bic_err(bc, name, "extra data after a PEM certificate block");
    const unsigned char *p = b.der;
    if (bic_pem_is(&b, "CERTIFICATE")) {
        X509 *x = d2i_X509(NULL, &p, (long)b.der_len);
        EVP_PKEY *pk = x ? X509_get_pubkey(x) : NULL;
        X509_free(x);
        if (!pk)
            return bic_err(bc, name,
                           "failed to parse a PEM certificate: x509: malformed certificate");
        return one_key(bc, pk, out);
    }
    if (bic_pem_is(&b, "PUBLIC KEY")) {
        EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)b.der_len);
        if (!pk)
            return bic_err(bc, name, "failed to parse a PEM public key: asn1: structure error");
        return one_key(bc, pk, out);
    }
    return bic_err(bc, name, "failed to extract a Key from the PEM certificate");
}

/* A JWK member as decoded bytes (base64url); NULL when absent. */
static int jwk_bytes(gh_bctx *bc, const char *name, const gh_value *jwk, const char *field,
                     const unsigned char **b, size_t *bn)
{
    const gh_value *v = gh_object_get_str(jwk, field, strlen(field)), *d = NULL;
    *b = NULL, *bn = 0;
    if (!v) return 0;
    if (!bi_is(v, GH_KIND_STRING))
        return bic_err(bc, name, "failed to parse a JWK key (set): invalid %s", field);
    int rc = bic_call1(bc, name, "base64url.decode", "failed to parse a JWK key (set): ", v, &d);
    if (rc) return rc;
    *b = (const unsigned char *)gh_string_ptr(d, bn);
    return 0;
}

static const char *jwk_str(const gh_value *jwk, const char *field)
{
    const gh_value *v = gh_object_get_str(jwk, field, strlen(field));
    return v ? gh_string_ptr(v, &(size_t){0}) : NULL;
}

/* Pushes big-endian bytes as a BIGNUM parameter (the BIGNUM is freed by the caller). */
static bool push_bn(OSSL_PARAM_BLD *bld, const char *key, const unsigned char *b, size_t n,
                    BIGNUM **keep)
{
    if (!b) return true;
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

static int jwk_rsa(gh_bctx *bc, const char *name, const gh_value *jwk, EVP_PKEY **pk)
{
    const unsigned char *b[RSA_NF];
    size_t bn[RSA_NF];
    for (int i = 0; i < RSA_NF; i++) {
        int rc = jwk_bytes(bc, name, jwk, rsa_fields[i], &b[i], &bn[i]);
        if (rc) return rc;
    }
    if (!b[0] || !b[1])
        return bic_err(bc, name, "failed to parse a JWK key (set): missing RSA n or e");
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
        BN_free(bns[i]);
    return *pk ? 0 : bic_err(bc, name, "failed to parse a JWK key (set): invalid RSA key");
}

static int jwk_ec(gh_bctx *bc, const char *name, const gh_value *jwk, EVP_PKEY **pk)
{
    const char *crv = jwk_str(jwk, "crv");
    size_t fl = !crv                    ? 0
                : !strcmp(crv, "P-256") ? 32
                : !strcmp(crv, "P-384") ? 48
                : !strcmp(crv, "P-521") ? 66
                                        : 0;
    if (!fl) return bic_err(bc, name, "failed to parse a JWK key (set): unsupported curve");
    const unsigned char *x, *y, *d;
    size_t xn, yn, dn;
    int rc;
    if ((rc = jwk_bytes(bc, name, jwk, "x", &x, &xn)) ||
        (rc = jwk_bytes(bc, name, jwk, "y", &y, &yn)) ||
        (rc = jwk_bytes(bc, name, jwk, "d", &d, &dn)))
        return rc;
    if (!x || !y || xn > fl || yn > fl)
        return bic_err(bc, name, "failed to parse a JWK key (set): invalid EC key");
    unsigned char pub[1 + 2 * 66] = {4};
    memcpy(pub + 1 + fl - xn, x, xn);
    memcpy(pub + 1 + 2 * fl - yn, y, yn);
    BIGNUM *bd = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    bool ok = bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, crv, 0) &&
              OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * fl) &&
              push_bn(bld, OSSL_PKEY_PARAM_PRIV_KEY, d, dn, &bd);
    *pk = ok ? from_params("EC", bld, d != NULL) : NULL;
    OSSL_PARAM_BLD_free(bld);
    BN_free(bd);
    return *pk ? 0 : bic_err(bc, name, "failed to parse a JWK key (set): invalid EC key");
}

static int jwk_okp(gh_bctx *bc, const char *name, const gh_value *jwk, EVP_PKEY **pk)
{
    const char *crv = jwk_str(jwk, "crv");
    if (!crv || strcmp(crv, "Ed25519"))
        return bic_err(bc, name, "failed to parse a JWK key (set): unsupported curve");
    const unsigned char *x, *d;
    size_t xn, dn;
    int rc;
    if ((rc = jwk_bytes(bc, name, jwk, "x", &x, &xn)) ||
        (rc = jwk_bytes(bc, name, jwk, "d", &d, &dn)))
        return rc;
    *pk = d   ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, dn)
          : x ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xn)
              : NULL;
    return *pk ? 0 : bic_err(bc, name, "failed to parse a JWK key (set): invalid OKP key");
}

static int jwk_one(gh_bctx *bc, const char *name, const gh_value *jwk, bic_key *k)
{
    memset(k, 0, sizeof *k);
    if (!bi_is(jwk, GH_KIND_OBJECT))
        return bic_err(bc, name, "failed to parse a JWK key (set): invalid key");
    const char *kty = jwk_str(jwk, "kty");
    k->alg = jwk_str(jwk, "alg");
    k->kid = jwk_str(jwk, "kid");
    if (!kty) return bic_err(bc, name, "failed to parse a JWK key (set): missing \"kty\"");
    if (!strcmp(kty, "RSA")) return jwk_rsa(bc, name, jwk, &k->pkey);
    if (!strcmp(kty, "EC")) return jwk_ec(bc, name, jwk, &k->pkey);
    if (!strcmp(kty, "OKP")) return jwk_okp(bc, name, jwk, &k->pkey);
    if (!strcmp(kty, "oct")) {
        int rc = jwk_bytes(bc, name, jwk, "k", &k->secret, &k->secret_len);
        if (!rc && !k->secret)
            return bic_err(bc, name, "failed to parse a JWK key (set): missing \"k\"");
        return rc;
    }
    return bic_err(bc, name, "failed to parse a JWK key (set): invalid key type %s", kty);
}

int bic_jwk_parse(gh_bctx *bc, const char *name, const char *s, size_t n, bic_keys *out)
{
    out->k = NULL, out->n = 0;
    const gh_value *v = NULL;
    gh_json_error e;
    int rc = gh_json_read(bc->arena, s, n, NULL, &v, &e);
    if (rc == GH_EJSON || (!rc && !bi_is(v, GH_KIND_OBJECT)))
        return bic_err(bc, name, "failed to parse a JWK key (set): invalid JSON");
    if (rc) return rc;
    const gh_value *set = gh_object_get_str(v, "keys", 4);
    size_t cnt = set ? gh_value_len(set) : 1;
    if (set && !bi_is(set, GH_KIND_ARRAY))
        return bic_err(bc, name, "failed to parse a JWK key (set): invalid \"keys\"");
    out->k = (bic_key *)bi_bytes(bc, (cnt + 1) * sizeof *out->k);
    if (!out->k) return GH_ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        bic_key k;
        rc = jwk_one(bc, name, set ? gh_array_get(set, i) : v, &k);
        if (rc) {
            EVP_PKEY_free(k.pkey);
            bic_keys_free(out);
            return rc;
        }
        /* keys naming an algorithm OPA does not know are skipped, as OPA does */
        if (set && k.alg && !bic_alg_known(k.alg, strlen(k.alg))) {
            EVP_PKEY_free(k.pkey);
            continue;
        }
        out->k[out->n++] = k;
    }
    return 0;
}

/* ---- JWS ---- */

typedef enum { JWS_HS, JWS_RS, JWS_PS, JWS_ES, JWS_ED, JWS_NONE } jws_kind;

static jws_kind alg_kind(const char *alg, const EVP_MD **md)
{
    *md = NULL;
    if (!strcmp(alg, "EdDSA")) return JWS_ED;
    if (strlen(alg) != 5 || !bic_alg_known(alg, 5)) return JWS_NONE;
    *md = !strcmp(alg + 2, "256")   ? EVP_sha256()
          : !strcmp(alg + 2, "384") ? EVP_sha384()
                                    : EVP_sha512();
    switch (alg[0]) {
    case 'H': return JWS_HS;
    case 'R': return JWS_RS;
    case 'P': return JWS_PS;
    default: return JWS_ES;
    }
}

/* Whether the key's type suits the algorithm ("incorrect public key type" in OPA). */
static bool key_fits(const bic_key *k, jws_kind kind)
{
    if (kind == JWS_HS) return k->secret != NULL;
    if (!k->pkey) return false;
    int id = EVP_PKEY_get_base_id(k->pkey);
    if (kind == JWS_RS || kind == JWS_PS) return id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS;
    if (kind == JWS_ES) return id == EVP_PKEY_EC;
    return id == EVP_PKEY_ED25519;
}

/* Raw r||s (each half of sig) as the DER ECDSA-Sig-Value OpenSSL verifies. */
static unsigned char *es_der(const unsigned char *sig, size_t sn, int *dl)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)(sn / 2), NULL),
           *s = BN_bin2bn(sig + sn / 2, (int)(sn - sn / 2), NULL);
    unsigned char *der = NULL;
    if (es && r && s && ECDSA_SIG_set0(es, r, s)) {
        r = s = NULL; /* owned by es now */
        *dl = i2d_ECDSA_SIG(es, &der);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return *dl > 0 ? der : NULL;
}

static bool hs_mac(const EVP_MD *md, const bic_key *k, const unsigned char *msg, size_t n,
                   unsigned char *mac, unsigned *ml)
{
    return HMAC(md, k->secret_len ? k->secret : (const unsigned char *)"", (int)k->secret_len, msg,
                n, mac, ml) != NULL;
}

bool bic_jws_verify(const bic_key *k, const char *alg, const unsigned char *msg, size_t n,
                    const unsigned char *sig, size_t sn)
{
    const EVP_MD *md;
    jws_kind kind = alg_kind(alg, &md);
    if (kind == JWS_NONE || !key_fits(k, kind)) return false;
    if (kind == JWS_HS) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned ml = 0;
        return hs_mac(md, k, msg, n, mac, &ml) && ml == sn && CRYPTO_memcmp(mac, sig, ml) == 0;
    }
    unsigned char *der = NULL;
    int dl = 0;
    if (kind == JWS_ES) {
        if (sn == 0 || !(der = es_der(sig, sn, &dl))) return false;
        sig = der, sn = (size_t)dl;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    bool ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, md, NULL, k->pkey) > 0;
    if (ok && kind == JWS_PS)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) > 0;
    ok = ok && EVP_DigestVerify(ctx, sig, sn, msg, n) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    return ok;
}

/* DER ECDSA-Sig-Value to raw r||s, each padded to the key's size. */
static bool es_raw(EVP_PKEY *pk, const unsigned char *der, size_t dl, unsigned char *out,
                   size_t *on)
{
    size_t half = (size_t)(EVP_PKEY_get_bits(pk) + 7) / 8;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &der, (long)dl);
    bool ok = es && BN_bn2binpad(ECDSA_SIG_get0_r(es), out, (int)half) > 0 &&
              BN_bn2binpad(ECDSA_SIG_get0_s(es), out + half, (int)half) > 0;
    ECDSA_SIG_free(es);
    *on = 2 * half;
    return ok;
}

int bic_jws_sign(gh_bctx *bc, const char *name, const bic_key *k, const char *alg,
                 const unsigned char *msg, size_t n, unsigned char **sig, size_t *sn)
{
    const EVP_MD *md;
    jws_kind kind = alg_kind(alg, &md);
    if (kind == JWS_NONE) return bic_err(bc, name, "unknown JWS algorithm: %s", alg);
    if (!key_fits(k, kind))
        return bic_err(bc, name, "failed to sign payload: invalid key type for %s", alg);
    if (kind == JWS_HS) {
        *sig = (unsigned char *)bi_bytes(bc, EVP_MAX_MD_SIZE);
        unsigned ml = 0;
        if (!*sig) return GH_ENOMEM;
        if (!hs_mac(md, k, msg, n, *sig, &ml)) return bic_err(bc, name, "failed to sign payload");
        *sn = ml;
        return 0;
    }
    size_t cap = (size_t)EVP_PKEY_get_size(k->pkey) + 16, got = cap;
    unsigned char *buf = (unsigned char *)bi_bytes(bc, cap);
    if (!buf) return GH_ENOMEM;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    bool ok = ctx && EVP_DigestSignInit(ctx, &pctx, md, NULL, k->pkey) > 0;
    if (ok && kind == JWS_PS)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
    ok = ok && EVP_DigestSign(ctx, buf, &got, msg, n) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) return bic_err(bc, name, "failed to sign payload");
    if (kind != JWS_ES) {
        *sig = buf, *sn = got;
        return 0;
    }
    *sig = (unsigned char *)bi_bytes(bc, 2 * 66);
    if (!*sig) return GH_ENOMEM;
    if (!es_raw(k->pkey, buf, got, *sig, sn)) return bic_err(bc, name, "failed to sign payload");
    return 0;
}
