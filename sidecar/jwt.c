/* Bearer-token verification and minting (see jwt.h): one JWS-compact JWT checked against a
 * listener's trusted issuers, every refusal with its own reason. The order of the checks is
 * the contract jwt.h spells out: the token's shape and header first, then the issuer and
 * its key, the signature, and the claims only once they are verified. Keys and signatures
 * are gatehouse/jose.h's. */
#include "jwt.h"

#include "gatehouse/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name, *cls, *msg;
} reasons[JWT_REASON_COUNT] = {
#define JWT_X_ROW(name, cls, msg) {#name, cls, msg},
    JWT_REASON_MAP(JWT_X_ROW)
#undef JWT_X_ROW
};

const char *jwt_reason_class(jwt_reason r)
{
    return (unsigned)r < JWT_REASON_COUNT ? reasons[r].cls : "unknown";
}

const char *jwt_reason_message(jwt_reason r)
{
    return (unsigned)r < JWT_REASON_COUNT ? reasons[r].msg : "unknown reason";
}

const char *jwt_reason_name(jwt_reason r)
{
    return (unsigned)r < JWT_REASON_COUNT ? reasons[r].name : "UNKNOWN";
}

const gh_jose_key *jwt_keyset_find_key(void *ud, const char *kid, size_t kid_len, gh_jose_alg alg)
{
    return gh_jose_keyset_find(ud, kid, kid_len, alg);
}

/* Nesting allowed in a header or the claims: real tokens are shallow. */
#define JWT_MAX_DEPTH 32

/* A token being verified. */
typedef struct jwt_tok {
    const char *part[3]; /* header, claims, signature: still encoded */
    size_t len[3];
    gh_jose_alg alg;
    const char *kid; /* NULL when the header has none */
    size_t kid_len;
} jwt_tok;

static jwt_reason refuse(jwt_result *out, jwt_reason r, const char *detail)
{
    out->reason = r;
    out->detail = detail ? detail : "";
    return r;
}

/* ---- shape and decoding ---- */

static jwt_reason split(const char *s, size_t n, jwt_tok *t, jwt_result *out)
{
    const char *dot1 = memchr(s, '.', n);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t)(s + n - dot1 - 1)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', (size_t)(s + n - dot2 - 1)))
        return refuse(out, JWT_MALFORMED, "parts");
    t->part[0] = s, t->len[0] = (size_t)(dot1 - s);
    t->part[1] = dot1 + 1, t->len[1] = (size_t)(dot2 - dot1 - 1);
    t->part[2] = dot2 + 1, t->len[2] = (size_t)(s + n - dot2 - 1);
    /* an empty signature is judged later: alg none tokens have one */
    if (!t->len[0]) return refuse(out, JWT_MALFORMED, "header");
    if (!t->len[1]) return refuse(out, JWT_MALFORMED, "claims");
    return JWT_OK;
}

/* The bytes of one part, in the arena. */
static jwt_reason part_bytes(gh_arena *a, const jwt_tok *t, int i, const char *what,
                             unsigned char **b, size_t *bn, jwt_result *out)
{
    *b = gh_arena_alloc(a, t->len[i] / 4 * 3 + 3);
    if (!*b) return refuse(out, JWT_TOO_LARGE, what); /* the caller's arena cap */
    if (!gh_jose_b64url_decode(t->part[i], t->len[i], *b, bn))
        return refuse(out, JWT_BAD_BASE64, what);
    return JWT_OK;
}

/* One JSON object part (header or claims): bad is the reason for anything but an object. */
static jwt_reason part_object(gh_arena *a, const jwt_tok *t, int i, const char *what,
                              jwt_reason bad, const gh_value **v, jwt_result *out)
{
    unsigned char *b;
    size_t bn;
    jwt_reason r = part_bytes(a, t, i, what, &b, &bn, out);
    if (r) return r;
    gh_json_opts o = {.flags = GH_JSON_NO_DUPLICATES, .max_depth = JWT_MAX_DEPTH};
    gh_json_error e;
    if (gh_json_read(a, (const char *)b, bn, &o, v, &e) != 0)
        return refuse(out, e.duplicate ? JWT_DUPLICATE_MEMBER : bad, what);
    if (gh_value_kind(*v) != GH_KIND_OBJECT) return refuse(out, bad, what);
    return JWT_OK;
}

static const char *str_member(const gh_value *o, const char *name, size_t *n)
{
    const gh_value *v = gh_object_get_str(o, name, strlen(name));
    return v ? gh_string_ptr(v, n) : NULL;
}

/* ---- the header ---- */

/* RFC 8725 section 3.1 and 3.10: headers that would have us fetch or trust a key the token
 * brings itself, and critical extensions we do not implement, are refused outright. */
static const char *const untrusted[] = {"jku", "x5u", "x5c", "jwk", "crit"};

static jwt_reason check_header(const gh_value *h, jwt_tok *t, jwt_result *out)
{
    size_t an;
    const char *alg = str_member(h, "alg", &an);
    if (!alg) return refuse(out, JWT_BAD_HEADER, "alg");
    if (an == 4 && !strncasecmp(alg, "none", 4)) return refuse(out, JWT_ALG_NONE, "alg");
    t->alg = gh_jose_alg_from_name(alg, an);
    if (t->alg <= GH_JOSE_NONE) return refuse(out, JWT_ALG_UNKNOWN, "alg");
    for (size_t i = 0; i < sizeof untrusted / sizeof untrusted[0]; i++)
        if (gh_object_get_str(h, untrusted[i], strlen(untrusted[i])))
            return refuse(out, JWT_UNTRUSTED_HEADER, untrusted[i]);
    const gh_value *kid = gh_object_get_str(h, "kid", 3);
    t->kid = kid ? gh_string_ptr(kid, &t->kid_len) : NULL;
    if (kid && !t->kid) return refuse(out, JWT_BAD_HEADER, "kid");
    return JWT_OK;
}

/* ---- issuer, key, signature ---- */

static jwt_reason find_issuer(const gh_value *claims, const jwt_issuer *issuers, size_t n,
                              jwt_result *out)
{
    const gh_value *v = gh_object_get_str(claims, "iss", 3);
    if (!v) return refuse(out, JWT_MISSING_CLAIM, "iss");
    size_t len;
    const char *iss = gh_string_ptr(v, &len);
    if (!iss) return refuse(out, JWT_BAD_CLAIM_TYPE, "iss");
    for (size_t i = 0; i < n; i++)
        if (issuers[i].iss && strlen(issuers[i].iss) == len && !memcmp(issuers[i].iss, iss, len)) {
            out->issuer = &issuers[i];
            return JWT_OK;
        }
    return refuse(out, JWT_UNKNOWN_ISSUER, "iss");
}

/* RFC 7518 sections 3.2 and 3.3: HMAC secrets at least as long as the hash, RSA keys of
 * 2048 bits or more. */
static bool strong_enough(const gh_jose_key *k, gh_jose_alg alg)
{
    if (k->kty == GH_JOSE_KTY_RSA) return k->bits >= 2048;
    if (k->kty != GH_JOSE_KTY_OCT) return true;
    size_t need = alg == GH_JOSE_HS256 ? 32 : alg == GH_JOSE_HS384 ? 48 : 64;
    return k->secret_len >= need;
}

/* Whether k may serve alg: its type, its JWK's own alg and use, its strength. */
static jwt_reason key_usable(const gh_jose_key *k, gh_jose_alg alg, jwt_result *out)
{
    if (!gh_jose_key_fits(k, alg)) return refuse(out, JWT_ALG_KEY_MISMATCH, "kty");
    if (k->alg != GH_JOSE_NONE && k->alg != alg) return refuse(out, JWT_ALG_KEY_MISMATCH, "alg");
    if (k->use && strcmp(k->use, "sig")) return refuse(out, JWT_ALG_KEY_MISMATCH, "use");
    if (!strong_enough(k, alg)) return refuse(out, JWT_WEAK_KEY, "key");
    return JWT_OK;
}

static jwt_reason check_signature(gh_arena *a, const jwt_tok *t, const jwt_issuer *is,
                                  jwt_result *out)
{
    if (!(is->algs & GH_JOSE_ALG_BIT(t->alg))) return refuse(out, JWT_ALG_NOT_ALLOWED, "alg");
    const gh_jose_key *k =
        is->find_key ? is->find_key(is->find_key_ud, t->kid, t->kid_len, t->alg) : NULL;
    if (!k) return refuse(out, JWT_UNKNOWN_KEY, "kid");
    jwt_reason r = key_usable(k, t->alg, out);
    if (r) return r;
    unsigned char *sig;
    size_t sn;
    if ((r = part_bytes(a, t, 2, "signature", &sig, &sn, out))) return r;
    size_t mn = t->len[0] + 1 + t->len[1]; /* "header.claims", contiguous in the token */
    if (!gh_jose_verify(k, t->alg, (const unsigned char *)t->part[0], mn, sig, sn))
        return refuse(out, JWT_BAD_SIGNATURE, "signature");
    return JWT_OK;
}

/* ---- claims ---- */

/* A NumericDate claim (RFC 7519 section 2): a JSON number, finite; *has false when absent. */
static jwt_reason time_claim(const gh_value *claims, const char *name, double *t, bool *has,
                             jwt_result *out)
{
    const gh_value *v = gh_object_get_str(claims, name, strlen(name));
    *has = v != NULL;
    if (!v) return JWT_OK;
    if (gh_value_kind(v) != GH_KIND_NUMBER) return refuse(out, JWT_BAD_CLAIM_TYPE, name);
    *t = gh_number_get_double(v);
    if (!isfinite(*t)) return refuse(out, JWT_BAD_CLAIM_TYPE, name);
    return JWT_OK;
}

/* aud: a string or an array of strings (RFC 7519 section 4.1.3). */
static jwt_reason check_audience(const gh_value *claims, const jwt_issuer *is, jwt_result *out)
{
    const gh_value *aud = gh_object_get_str(claims, "aud", 3);
    if (!aud) return is->naudiences ? refuse(out, JWT_MISSING_CLAIM, "aud") : JWT_OK;
    bool one = gh_value_kind(aud) == GH_KIND_STRING;
    if (!one && gh_value_kind(aud) != GH_KIND_ARRAY) return refuse(out, JWT_BAD_CLAIM_TYPE, "aud");
    size_t cnt = one ? 1 : gh_value_len(aud);
    for (size_t i = 0; i < cnt; i++)
        if (!gh_string_ptr(one ? aud : gh_array_get(aud, i), &(size_t){0}))
            return refuse(out, JWT_BAD_CLAIM_TYPE, "aud");
    if (!is->naudiences) return JWT_OK;
    for (size_t i = 0; i < cnt; i++) {
        size_t n;
        const char *s = gh_string_ptr(one ? aud : gh_array_get(aud, i), &n);
        for (size_t j = 0; j < is->naudiences; j++)
            if (strlen(is->audiences[j]) == n && !memcmp(is->audiences[j], s, n)) return JWT_OK;
    }
    return refuse(out, JWT_WRONG_AUDIENCE, "aud");
}

static int64_t clamp_i64(double d)
{
    if (d >= 9.2e18) return INT64_MAX;
    if (d <= -9.2e18) return INT64_MIN;
    return (int64_t)floor(d);
}

static jwt_reason check_claims(const gh_value *c, const jwt_issuer *is, int64_t now,
                               jwt_result *out)
{
    double exp = 0, nbf = 0, iat = 0, t = (double)now, lee = (double)is->leeway_s;
    bool has_exp, has_nbf, has_iat;
    jwt_reason r;
    if ((r = time_claim(c, "exp", &exp, &has_exp, out)) ||
        (r = time_claim(c, "nbf", &nbf, &has_nbf, out)) ||
        (r = time_claim(c, "iat", &iat, &has_iat, out)))
        return r;
    const gh_value *sub = gh_object_get_str(c, "sub", 3);
    if (sub && gh_value_kind(sub) != GH_KIND_STRING) return refuse(out, JWT_BAD_CLAIM_TYPE, "sub");
    for (size_t i = 0; i < is->nrequired; i++)
        if (!gh_object_get_str(c, is->required[i], strlen(is->required[i])))
            return refuse(out, JWT_MISSING_CLAIM, is->required[i]);
    if (has_exp) out->exp = clamp_i64(exp);
    if (has_exp && t >= exp + lee) return refuse(out, JWT_EXPIRED, "exp");
    if (has_nbf && t + lee < nbf) return refuse(out, JWT_NOT_YET_VALID, "nbf");
    if (has_iat && t + lee < iat) return refuse(out, JWT_ISSUED_IN_FUTURE, "iat");
    if (is->max_age_s > 0) {
        if (!has_iat) return refuse(out, JWT_MISSING_CLAIM, "iat");
        if (t - iat > (double)is->max_age_s + lee) return refuse(out, JWT_TOO_OLD, "iat");
    }
    return check_audience(c, is, out);
}

/* ---- verify ---- */

jwt_reason jwt_verify(gh_arena *a, const char *token, size_t len, const jwt_issuer *issuers,
                      size_t nissuers, int64_t now, jwt_result *out)
{
    memset(out, 0, sizeof *out);
    out->detail = "";
    if (!token || !len) return refuse(out, JWT_MISSING, "");
    if (len > JWT_MAX_TOKEN) return refuse(out, JWT_TOO_LARGE, "");
    jwt_tok t = {0};
    jwt_reason r;
    if ((r = split(token, len, &t, out)) ||
        (r = part_object(a, &t, 0, "header", JWT_BAD_HEADER, &out->header, out)) ||
        (r = check_header(out->header, &t, out)) ||
        (r = part_object(a, &t, 1, "claims", JWT_BAD_CLAIMS, &out->claims, out)) ||
        (r = find_issuer(out->claims, issuers, nissuers, out)) ||
        (r = check_signature(a, &t, out->issuer, out)) ||
        (r = check_claims(out->claims, out->issuer, now, out)))
        return r;
    return refuse(out, JWT_OK, "");
}

/* ---- sign ---- */

static int sign_err(char *err, size_t errlen, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg);
    return -1;
}

/* {"alg":..,"kid":..,"typ":"JWT"} into b. */
static void header_json(gh_buf *b, const gh_jose_key *k, gh_jose_alg alg)
{
    gh_buf_puts(b, "{\"alg\":");
    gh_json_write_str(b, gh_jose_alg_name(alg), strlen(gh_jose_alg_name(alg)));
    if (k->kid) {
        gh_buf_puts(b, ",\"kid\":");
        gh_json_write_str(b, k->kid, k->kid_len);
    }
    gh_buf_puts(b, ",\"typ\":\"JWT\"}");
}

static void append_b64url(gh_buf *b, const void *s, size_t n)
{
    char *enc = malloc(GH_JOSE_B64URL_LEN(n) + 1);
    if (!enc) {
        b->failed = true;
        return;
    }
    gh_buf_append(b, enc, gh_jose_b64url_encode(s, n, enc));
    free(enc);
}

/* Whether claims_json is one JSON object without repeated members. */
static bool claims_ok(const char *s, size_t n)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    const gh_value *v = NULL;
    gh_json_opts o = {.flags = GH_JSON_NO_DUPLICATES, .max_depth = JWT_MAX_DEPTH};
    gh_json_error e;
    bool ok = gh_json_read(&a, s, n, &o, &v, &e) == 0 && gh_value_kind(v) == GH_KIND_OBJECT;
    gh_arena_free(&a);
    return ok;
}

int jwt_sign(const gh_jose_key *k, gh_jose_alg alg, const char *claims_json, size_t n, char **out,
             char *err, size_t errlen)
{
    *out = NULL;
    const char *name = gh_jose_alg_name(alg);
    if (alg <= GH_JOSE_NONE || !name)
        return sign_err(err, errlen, "cannot sign with alg %s", name ? name : "(unknown)");
    if (!gh_jose_key_fits(k, alg))
        return sign_err(err, errlen, "the key's type does not fit alg %s", name);
    if (!strong_enough(k, alg))
        return sign_err(err, errlen,
                        "the key is too weak for %s (RSA >= 2048 bits, HMAC secret >= the hash "
                        "size)",
                        name);
    if (!claims_ok(claims_json, n))
        return sign_err(err, errlen, "%s",
                        "the claims are not one JSON object without repeated members");
    gh_buf hdr, b;
    gh_buf_init(&hdr, 0);
    gh_buf_init(&b, 0);
    header_json(&hdr, k, alg);
    append_b64url(&b, hdr.data, hdr.len);
    gh_buf_putc(&b, '.');
    append_b64url(&b, claims_json, n);
    bool built = !hdr.failed && !b.failed;
    gh_buf_free(&hdr);
    unsigned char *sig = NULL;
    size_t sn = 0;
    char why[200] = "out of memory";
    if (!built ||
        gh_jose_sign(k, alg, (const unsigned char *)b.data, b.len, &sig, &sn, why, sizeof why)) {
        gh_buf_free(&b);
        return sign_err(err, errlen, "%s", why);
    }
    gh_buf_putc(&b, '.');
    append_b64url(&b, sig, sn);
    free(sig);
    if (b.failed) {
        gh_buf_free(&b);
        return sign_err(err, errlen, "%s", "out of memory");
    }
    *out = gh_buf_take(&b, NULL);
    return 0;
}
