/* Keys and signatures for the crypto, io.jwt and crypto.x509 families (see bi_crypto.h),
 * in the builtins' terms (evaluation arena, OPA's error texts) over the JOSE module
 * (gatehouse/jose.h), which does the work: PEM blocks, JWKs into OpenSSL 3 EVP_PKEYs, and
 * JWS sign/verify. */
#include "builtins/bi_crypto.h"

#include "gatehouse/jose.h"

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

/* Go's StdEncoding (padded), which the x509 family prints. */
static size_t b64std_write(char *d, const unsigned char *s, size_t n)
{
    static const char b64s[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        d[o++] = b64s[v >> 18], d[o++] = b64s[v >> 12 & 63];
        d[o++] = b64s[v >> 6 & 63], d[o++] = b64s[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
        d[o++] = b64s[v >> 18], d[o++] = b64s[v >> 12 & 63];
        d[o++] = i + 1 < n ? b64s[v >> 6 & 63] : '=';
        d[o++] = '=';
    }
    return o;
}

const gh_value *bic_b64url(gh_bctx *bc, const unsigned char *s, size_t n)
{
    char *d = bi_bytes(bc, GH_JOSE_B64URL_LEN(n) + 1);
    if (!d) return NULL;
    return bi_str(bc, d, gh_jose_b64url_encode(s, n, d));
}

char *bic_b64std(gh_bctx *bc, const unsigned char *s, size_t n, size_t *len)
{
    char *d = bi_bytes(bc, (n + 2) / 3 * 4 + 1);
    if (!d) return NULL;
    *len = b64std_write(d, s, n);
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

/* ---- PEM: jose's blocks, copied into the arena ---- */

bool bic_pem_decode(gh_bctx *bc, const char *s, size_t n, bic_pem *blk, size_t *rest)
{
    gh_jose_pem b;
    if (gh_jose_pem_decode(s, n, &b, rest) != 1) return false;
    unsigned char *d = (unsigned char *)bi_bytes(bc, b.der_len + 1);
    if (d) memcpy(d, b.der, b.der_len);
    free(b.der);
    if (!d) return false;
    blk->type = b.type, blk->type_len = b.type_len, blk->der = d, blk->der_len = b.der_len;
    return true;
}

bool bic_pem_is(const bic_pem *b, const char *type)
{
    return strlen(type) == b->type_len && !memcmp(b->type, type, b->type_len);
}

static EVP_PKEY *pem_key(const bic_pem *b)
{
    gh_jose_pem jb = {
        .type = b->type, .type_len = b->type_len, .der = b->der, .der_len = b->der_len};
    return gh_jose_pem_key(&jb);
}

/* ---- keys ---- */

void bic_keys_free(bic_keys *ks)
{
    for (size_t i = 0; ks->k && i < ks->n; i++)
        EVP_PKEY_free(ks->k[i].pkey);
    ks->k = NULL;
    ks->n = 0;
}

bool bic_alg_known(const char *alg, size_t n)
{
    return gh_jose_alg_from_name(alg, n) > GH_JOSE_NONE;
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
    if (bic_pem_is(&b, "CERTIFICATE")) {
        EVP_PKEY *pk = pem_key(&b);
        if (!pk)
            return bic_err(bc, name,
                           "failed to parse a PEM certificate: x509: malformed certificate");
        return one_key(bc, pk, out);
    }
    if (bic_pem_is(&b, "PUBLIC KEY")) {
        EVP_PKEY *pk = pem_key(&b);
        if (!pk)
            return bic_err(bc, name, "failed to parse a PEM public key: asn1: structure error");
        return one_key(bc, pk, out);
    }
    return bic_err(bc, name, "failed to extract a Key from the PEM certificate");
}

/* JWK members decoded by OPA's own base64url.decode, for its leniency and its error texts;
 * an arena failure is kept apart so that it stays GH_ENOMEM. */
typedef struct opa_b64 {
    gh_bctx *bc;
    int rc;
} opa_b64;

static bool opa_b64_decode(void *ud, const char *s, size_t n, unsigned char *out, size_t *outn,
                           char *err, size_t errlen)
{
    opa_b64 *o = ud;
    const gh_builtin *b = gh_builtin_lookup("base64url.decode", 16);
    const gh_value *in = bi_str(o->bc, s, n), *d = NULL;
    int rc = !in            ? GH_ENOMEM
             : !b || !b->fn ? GH_EINTERNAL
                            : b->fn(o->bc, (const gh_value *const[]){in}, &d);
    size_t dn = 0;
    const char *ds = rc ? NULL : gh_string_ptr(d, &dn);
    if (ds && dn <= n) {
        memcpy(out, ds, dn);
        *outn = dn;
        return true;
    }
    if (rc && o->bc->err_code) { /* "base64url.decode: why" gives "why" */
        const char *w = o->bc->err_msg, *pre = "base64url.decode: ";
        if (!strncmp(w, pre, strlen(pre))) w += strlen(pre);
        snprintf(err, errlen, "%s", w);
    } else {
        o->rc = rc ? rc : GH_EINTERNAL;
        snprintf(err, errlen, "%s", gh_strerror(o->rc));
    }
    return false;
}

/* s[0..n) NUL-ended in the arena. */
static const char *arena_cstr(gh_bctx *bc, const char *s, size_t n)
{
    char *d = bi_bytes(bc, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Moves the keys of a JWK set into the arena's bic_keys (EVP_PKEYs change owner). */
static int keys_to_arena(gh_bctx *bc, gh_jose_keyset *ks, bic_keys *out)
{
    out->k = (bic_key *)bi_bytes(bc, (ks->n + 1) * sizeof *out->k);
    if (!out->k) return GH_ENOMEM;
    for (size_t i = 0; i < ks->n; i++) {
        gh_jose_key *j = &ks->keys[i];
        bic_key *k = &out->k[out->n];
        memset(k, 0, sizeof *k);
        k->alg = j->alg_name ? arena_cstr(bc, j->alg_name, strlen(j->alg_name)) : NULL;
        k->kid = j->kid ? arena_cstr(bc, j->kid, j->kid_len) : NULL;
        if (j->secret) {
            unsigned char *sec = (unsigned char *)bi_bytes(bc, j->secret_len + 1);
            if (!sec) return GH_ENOMEM;
            memcpy(sec, j->secret, j->secret_len);
            k->secret = sec, k->secret_len = j->secret_len;
        }
        if ((j->alg_name && !k->alg) || (j->kid && !k->kid)) return GH_ENOMEM;
        k->pkey = j->pkey, j->pkey = NULL;
        out->n++;
    }
    return 0;
}

int bic_jwk_parse(gh_bctx *bc, const char *name, const char *s, size_t n, bic_keys *out)
{
    out->k = NULL, out->n = 0;
    opa_b64 dec = {.bc = bc};
    gh_jose_jwk_opts opts = {.decode = opa_b64_decode, .decode_ud = &dec};
    gh_jose_keyset ks;
    char err[400];
    int rc = gh_jose_keyset_from_jwk(s, n, &opts, &ks, err, sizeof err);
    if (dec.rc)
        rc = dec.rc;
    else if (rc == GH_EINVAL)
        return bic_err(bc, name, "%s", err);
    if (!rc) rc = keys_to_arena(bc, &ks, out);
    if (rc) bic_keys_free(out);
    gh_jose_keyset_free(&ks);
    return rc;
}

/* ---- JWS ---- */

/* The jose view of a builtin key (borrowed); false when the key cannot be one. */
static bool jose_key(const bic_key *k, gh_jose_key *j)
{
    if (k->pkey) return gh_jose_key_wrap(j, k->pkey) == 0;
    memset(j, 0, sizeof *j);
    j->kty = GH_JOSE_KTY_OCT;
    j->secret = (unsigned char *)k->secret;
    j->secret_len = k->secret_len;
    j->is_private = true;
    return k->secret != NULL;
}

bool bic_jws_verify(const bic_key *k, const char *alg, const unsigned char *msg, size_t n,
                    const unsigned char *sig, size_t sn)
{
    gh_jose_key j;
    return jose_key(k, &j) &&
           gh_jose_verify(&j, gh_jose_alg_from_name(alg, strlen(alg)), msg, n, sig, sn);
}

int bic_jws_sign(gh_bctx *bc, const char *name, const bic_key *k, const char *alg,
                 const unsigned char *msg, size_t n, unsigned char **sig, size_t *sn)
{
    gh_jose_alg a = gh_jose_alg_from_name(alg, strlen(alg));
    gh_jose_key j;
    if (a <= GH_JOSE_NONE) return bic_err(bc, name, "unknown JWS algorithm: %s", alg);
    if (!jose_key(k, &j) || !gh_jose_key_fits(&j, a))
        return bic_err(bc, name, "failed to sign payload: invalid key type for %s", alg);
    unsigned char *s;
    char err[200];
    if (gh_jose_sign(&j, a, msg, n, &s, sn, err, sizeof err))
        return bic_err(bc, name, "failed to sign payload");
    *sig = (unsigned char *)bi_bytes(bc, *sn + 1);
    if (*sig) memcpy(*sig, s, *sn);
    free(s);
    return *sig ? 0 : GH_ENOMEM;
}
