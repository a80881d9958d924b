/* The io.jwt family, with OPA's rules and error texts (v1/topdown/tokens.go): decode,
 * decode_verify (constraints cert/secret/alg/iss/aud/time), verify_hs/rs/ps/es 256/384/512
 * and verify_eddsa (keys as PEM certificates, PEM public keys or JWK sets), encode_sign and
 * encode_sign_raw. JWS compact serialization only; base64url without padding. Keys and
 * signatures are jwk.c's. */
#include "builtins/bi_crypto.h"

#include <strings.h>

/* The three dot-separated parts of a compact JWS, as given (still encoded). */
typedef struct jwt_tok {
    const char *part[3];
    size_t len[3];
    const gh_value *header; /* decoded header object, once decode_header ran */
} jwt_tok;

/* OPA's decodeJWT. */
static int tok_split(gh_bctx *bc, const char *name, const gh_value *v, jwt_tok *t)
{
    size_t n;
    const char *s = gh_string_ptr(v, &n);
    if (!s) return bi_type_err(bc, name, 1, v, "string");
    size_t dots = 0;
    for (size_t i = 0; i < n; i++)
        dots += s[i] == '.';
    if (!dots) return bic_err(bc, name, "encoded JWT had no period separators");
    if (dots != 2)
        return bic_err(bc, name, "encoded JWT must have 3 sections, found %zu", dots + 1);
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        const char *e = i < 2 ? memchr(p, '.', (size_t)(s + n - p)) : s + n;
        t->part[i] = p, t->len[i] = (size_t)(e - p);
        p = e + 1;
    }
    t->header = NULL;
    return 0;
}

/* base64url.decode of one part; errors as OPA wraps them (prefix). */
static int part_bytes(gh_bctx *bc, const char *name, const jwt_tok *t, int i, const char *prefix,
                      const gh_value **out)
{
    const gh_value *s = bi_str(bc, t->part[i], t->len[i]);
    if (!s) return GH_ENOMEM;
    return bic_call1(bc, name, "base64url.decode", prefix, s, out);
}

/* OPA's extractJSONObject, errors prefixed by `prefix`. */
static int json_object(gh_bctx *bc, const char *name, const char *prefix, const gh_value *text,
                       const gh_value **out)
{
    char pre[96];
    snprintf(pre, sizeof pre, "%sinvalid JSON: ", prefix);
    int rc = bic_call1(bc, name, "json.unmarshal", pre, text, out);
    if (rc) return rc;
    if (!bi_is(*out, GH_KIND_OBJECT))
        return bic_err(bc, name, "%sdecoded JSON type was not an Object", prefix);
    return 0;
}

static int decode_header(gh_bctx *bc, const char *name, jwt_tok *t)
{
    const gh_value *h;
    int rc = part_bytes(bc, name, t, 0, "JWT header had invalid encoding: ", &h);
    if (!rc) rc = json_object(bc, name, "bad JWT header: ", h, &t->header);
    if (rc) return rc;
    if (gh_object_get_str(t->header, "enc", 3))
        return bic_err(bc, name, "JWT is a JWE object, which is not supported");
    return 0;
}

static int decode_signature(gh_bctx *bc, const char *name, const jwt_tok *t,
                            const unsigned char **sig, size_t *sn)
{
    const gh_value *s;
    int rc = part_bytes(bc, name, t, 2, "", &s);
    if (rc) return rc;
    *sig = (const unsigned char *)gh_string_ptr(s, sn);
    return 0;
}

/* The signing input "header.payload" (contiguous in the token). */
static const unsigned char *signing_input(const jwt_tok *t, size_t *n)
{
    *n = t->len[0] + 1 + t->len[1];
    return (const unsigned char *)t->part[0];
}

/* OPA's tokenHeader: the fields it knows, and whether an unknown one is critical. */
typedef struct jwt_hdr {
    const char *alg, *kid, *cty;
    bool crit_unknown; /* some unrecognised parameter is listed in crit */
} jwt_hdr;

static bool known_param(const char *k)
{
    return !strcmp(k, "alg") || !strcmp(k, "kid") || !strcmp(k, "typ") || !strcmp(k, "cty") ||
           !strcmp(k, "crit");
}

static int parse_header(gh_bctx *bc, const char *name, const gh_value *h, jwt_hdr *out)
{
    memset(out, 0, sizeof *out);
    const gh_value *crit = NULL;
    for (size_t i = 0; i < gh_value_len(h); i++) {
        const char *k = gh_string_ptr(gh_object_key_at(h, i), &(size_t){0});
        const gh_value *v = gh_object_value_at(h, i);
        if (!k || !known_param(k)) continue;
        if (!strcmp(k, "crit")) {
            if (!bi_is(v, GH_KIND_ARRAY)) return bic_err(bc, name, "crit: must be a list");
            size_t strs = 0;
            for (size_t j = 0; j < gh_value_len(v); j++)
                strs += bi_is(gh_array_get(v, j), GH_KIND_STRING);
            if (!strs) return bic_err(bc, name, "crit: must be a nonempty list");
            crit = v;
            continue;
        }
        const char *s = gh_string_ptr(v, &(size_t){0});
        if (!s) return bic_err(bc, name, "%s: must be a string", k);
        if (!strcmp(k, "alg"))
            out->alg = s;
        else if (!strcmp(k, "kid"))
            out->kid = s;
        else if (!strcmp(k, "cty"))
            out->cty = s;
    }
    for (size_t j = 0; crit && j < gh_value_len(crit); j++) {
        const char *c = gh_string_ptr(gh_array_get(crit, j), &(size_t){0});
        if (c && !known_param(c) && gh_object_get_str(h, c, strlen(c))) out->crit_unknown = true;
    }
    return 0;
}

/* ---- io.jwt.decode ---- */

static int jwt_decode(gh_bctx *bc, const char *name, const gh_value *v, const gh_value **out)
{
    jwt_tok t;
    const gh_value *p, *payload, *sig;
    int rc = tok_split(bc, name, v, &t);
    if (!rc) rc = decode_header(bc, name, &t);
    if (!rc) rc = part_bytes(bc, name, &t, 1, "JWT payload had invalid encoding: ", &p);
    if (rc) return rc;
    const gh_value *cty = gh_object_get_str(t.header, "cty", 3);
    size_t cn;
    const char *cs = cty ? gh_string_ptr(cty, &cn) : NULL;
    if (cs && cn == 3 && !memcmp(cs, "JWT", 3)) {
        /* a nested token; jwt.io quotes it, so quotes are trimmed as OPA does */
        size_t pn;
        const char *ps = gh_string_ptr(p, &pn);
        while (pn && (*ps == '"' || *ps == '\''))
            ps++, pn--;
        while (pn && (ps[pn - 1] == '"' || ps[pn - 1] == '\''))
            pn--;
        const gh_value *inner = bi_str(bc, ps, pn);
        if (!inner) return GH_ENOMEM;
        return jwt_decode(bc, name, inner, out);
    }
    if ((rc = json_object(bc, name, "", p, &payload))) return rc;
    if ((rc = part_bytes(bc, name, &t, 2, "JWT signature had invalid encoding: ", &sig))) return rc;
    size_t sn;
    const char *ss = gh_string_ptr(sig, &sn);
    const gh_value *items[3] = {t.header, payload, bic_hex(bc, (const unsigned char *)ss, sn)};
    if (!items[2]) return GH_ENOMEM;
    return bi_ret(out, gh_value_array(bc->arena, items, 3));
}

static int bi_decode(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return jwt_decode(bc, "io.jwt.decode", args[0], out);
}

/* ---- io.jwt.verify_* ---- */

static int verify_hs(gh_bctx *bc, const char *name, const char *alg, const gh_value *const *args,
                     const gh_value **out)
{
    int rc;
    size_t kn;
    if (!bi_is(args[0], GH_KIND_STRING)) return bi_type_err(bc, name, 1, args[0], "string");
    const char *k = bi_str_arg(bc, name, args, 2, &kn, &rc);
    if (!k) return rc;
    jwt_tok t;
    const unsigned char *sig;
    size_t sn, mn;
    if ((rc = tok_split(bc, name, args[0], &t)) || (rc = decode_signature(bc, name, &t, &sig, &sn)))
        return rc;
    bic_key key = {.secret = (const unsigned char *)k, .secret_len = kn};
    const unsigned char *msg = signing_input(&t, &mn);
    *out = gh_value_bool(bic_jws_verify(&key, alg, msg, mn, sig, sn));
    return 0;
}

/* OPA's builtinJWTVerify: a key whose kid matches the header's decides alone; otherwise any
 * key that verifies will do (keys naming another alg than the header's are skipped). */
static bool verify_keys(const bic_keys *ks, const jwt_hdr *h, const char *alg,
                        const unsigned char *msg, size_t mn, const unsigned char *sig, size_t sn)
{
    if (h->kid && *h->kid)
        for (size_t i = 0; i < ks->n; i++)
            if (ks->k[i].kid && !strcmp(ks->k[i].kid, h->kid))
                return bic_jws_verify(&ks->k[i], alg, msg, mn, sig, sn);
    for (size_t i = 0; i < ks->n; i++) {
        const bic_key *k = &ks->k[i];
        if (k->alg && *k->alg && (!h->alg || strcmp(h->alg, k->alg))) continue;
        if (bic_jws_verify(k, alg, msg, mn, sig, sn)) return true;
    }
    return false;
}

static int verify_pk(gh_bctx *bc, const char *name, const char *alg, const gh_value *const *args,
                     const gh_value **out)
{
    jwt_tok t;
    int rc = tok_split(bc, name, args[0], &t);
    if (rc) return rc;
    size_t kn, sn, mn;
    const char *k = bi_str_arg(bc, name, args, 2, &kn, &rc);
    if (!k) return rc;
    bic_keys ks;
    if ((rc = bic_keys_from_cert_or_jwk(bc, name, k, kn, &ks))) return rc;
    const unsigned char *sig;
    jwt_hdr h;
    if (!(rc = decode_signature(bc, name, &t, &sig, &sn)) && !(rc = decode_header(bc, name, &t)))
        rc = parse_header(bc, name, t.header, &h);
    if (!rc) {
        const unsigned char *msg = signing_input(&t, &mn);
        *out = gh_value_bool(verify_keys(&ks, &h, alg, msg, mn, sig, sn));
    }
    bic_keys_free(&ks);
    return rc;
}

#define VERIFY(fn, kind, nm, alg)                                                                  \
    static int fn(gh_bctx *bc, const gh_value *const *args, const gh_value **out)                  \
    {                                                                                              \
        return verify_##kind(bc, "io.jwt." nm, alg, args, out);                                    \
    }
VERIFY(bi_verify_hs256, hs, "verify_hs256", "HS256")
VERIFY(bi_verify_hs384, hs, "verify_hs384", "HS384")
VERIFY(bi_verify_hs512, hs, "verify_hs512", "HS512")
VERIFY(bi_verify_rs256, pk, "verify_rs256", "RS256")
VERIFY(bi_verify_rs384, pk, "verify_rs384", "RS384")
VERIFY(bi_verify_rs512, pk, "verify_rs512", "RS512")
VERIFY(bi_verify_ps256, pk, "verify_ps256", "PS256")
VERIFY(bi_verify_ps384, pk, "verify_ps384", "PS384")
VERIFY(bi_verify_ps512, pk, "verify_ps512", "PS512")
VERIFY(bi_verify_es256, pk, "verify_es256", "ES256")
VERIFY(bi_verify_es384, pk, "verify_es384", "ES384")
VERIFY(bi_verify_es512, pk, "verify_es512", "ES512")
VERIFY(bi_verify_eddsa, pk, "verify_eddsa", "EdDSA")

/* ---- io.jwt.decode_verify ---- */

typedef struct jwt_cons {
    const char *secret, *alg, *iss, *aud; /* "" when not given */
    size_t secret_len;
    bic_keys keys;
    bool has_keys;
    double time; /* ns */
} jwt_cons;

static int cons_time(gh_bctx *bc, const char *name, const gh_value *v, double *t)
{
    if (!bi_is(v, GH_KIND_NUMBER))
        return bic_err(bc, name, "token time constraint: must be a number");
    *t = gh_number_get_double(v);
    if (*t < 0) return bic_err(bc, name, "token time constraint: must not be negative");
    return 0;
}

static int cons_parse(gh_bctx *bc, const char *name, const gh_value *o, jwt_cons *c)
{
    static const char *const strs[] = {"secret", "alg", "iss", "aud"};
    const char **dst[] = {&c->secret, &c->alg, &c->iss, &c->aud};
    bool timed = false;
    for (size_t i = 0; i < gh_value_len(o); i++) {
        size_t kn, vn;
        const char *k = gh_string_ptr(gh_object_key_at(o, i), &kn);
        const gh_value *v = gh_object_value_at(o, i);
        if (k && !strcmp(k, "cert")) {
            const char *s = gh_string_ptr(v, &vn);
            if (!s) return bic_err(bc, name, "cert constraint: must be a string");
            bic_keys_free(&c->keys);
            int rc = bic_keys_from_cert_or_jwk(bc, name, s, vn, &c->keys);
            if (rc) return rc;
            c->has_keys = true;
            continue;
        }
        if (k && !strcmp(k, "time")) {
            int rc = cons_time(bc, name, v, &c->time);
            if (rc) return rc;
            timed = true;
            continue;
        }
        size_t j = 0;
        while (k && j < 4 && strcmp(k, strs[j]))
            j++;
        if (!k || j == 4) {
            size_t tl;
            const char *txt = k ? k : bi_rego_text(bc, gh_object_key_at(o, i), &tl);
            return bic_err(bc, name, "unknown token validation constraint: %s", txt ? txt : "");
        }
        const char *s = gh_string_ptr(v, &vn);
        if (!s) return bic_err(bc, name, "%s constraint: must be a string", strs[j]);
        *dst[j] = s;
        if (j == 0) c->secret_len = vn;
    }
    if (!timed) c->time = (double)bc->now_ns;
    int nkeys = c->has_keys + (*c->secret != '\0');
    if (nkeys > 1) return bic_err(bc, name, "duplicate key constraints");
    if (nkeys < 1) return bic_err(bc, name, "no key constraint");
    return 0;
}

static bool cons_verify(const jwt_cons *c, const jwt_hdr *h, const jwt_tok *t,
                        const unsigned char *sig, size_t sn)
{
    size_t mn;
    const unsigned char *msg = signing_input(t, &mn);
    if (c->has_keys) return verify_keys(&c->keys, h, h->alg, msg, mn, sig, sn);
    bic_key k = {.secret = (const unsigned char *)c->secret, .secret_len = c->secret_len};
    return bic_jws_verify(&k, h->alg, msg, mn, sig, sn);
}

static bool valid_aud(const jwt_cons *c, const gh_value *aud)
{
    size_t n;
    const char *s = gh_string_ptr(aud, &n);
    if (s) return !strcmp(s, c->aud) && strlen(c->aud) == n;
    if (!bi_is(aud, GH_KIND_ARRAY)) return false;
    for (size_t i = 0; i < gh_value_len(aud); i++)
        if ((s = gh_string_ptr(gh_array_get(aud, i), &n)) && strlen(c->aud) == n &&
            !strcmp(s, c->aud))
            return true;
    return false;
}

/* Follows nested tokens (cty JWT) down to the payload; *ok false when unverified. */
static int dv_token(gh_bctx *bc, const char *name, const gh_value *a, const jwt_cons *c, bool *ok,
                    const gh_value **header, const gh_value **payload)
{
    for (;;) {
        jwt_tok t;
        jwt_hdr h;
        const unsigned char *sig;
        size_t sn;
        const gh_value *p;
        int rc;
        if ((rc = tok_split(bc, name, a, &t)) || (rc = decode_header(bc, name, &t)) ||
            (rc = parse_header(bc, name, t.header, &h)))
            return rc;
        *ok = false;
        if (!h.alg || !*h.alg || h.crit_unknown) return 0;
        if (*c->alg && strcmp(c->alg, h.alg)) return 0;
        if ((rc = decode_signature(bc, name, &t, &sig, &sn))) return rc;
        if (!cons_verify(c, &h, &t, sig, sn)) return 0;
        if ((rc = part_bytes(bc, name, &t, 1, "JWT payload had invalid encoding: ", &p))) return rc;
        if (h.cty && !strcasecmp(h.cty, "JWT")) {
            a = p;
            continue;
        }
        *header = t.header;
        *ok = true;
        return json_object(bc, name, "", p, payload);
    }
}

/* The registered claims: iss, aud, exp, nbf (RFC 7519 4.1), checked as OPA does. */
static int dv_claims(gh_bctx *bc, const char *name, const jwt_cons *c, const gh_value *payload,
                     bool *ok)
{
    *ok = false;
    const gh_value *iss = gh_object_get_str(payload, "iss", 3);
    if (*c->iss) {
        size_t n;
        const char *s = iss ? gh_string_ptr(iss, &n) : NULL;
        if (!s || strlen(c->iss) != n || strcmp(s, c->iss)) return 0;
    }
    const gh_value *aud = gh_object_get_str(payload, "aud", 3);
    if (aud ? !valid_aud(c, aud) : *c->aud != '\0') return 0;
    const gh_value *now = gh_value_double(bc->arena, c->time / 1e9);
    if (!now) return GH_ENOMEM;
    const gh_value *exp = gh_object_get_str(payload, "exp", 3);
    if (exp) {
        if (!bi_is(exp, GH_KIND_NUMBER)) return bic_err(bc, name, "exp value must be a number");
        if (gh_value_compare(now, exp) >= 0) return 0;
    }
    const gh_value *nbf = gh_object_get_str(payload, "nbf", 3);
    if (nbf) {
        if (!bi_is(nbf, GH_KIND_NUMBER)) return bic_err(bc, name, "nbf value must be a number");
        if (gh_value_compare(now, nbf) < 0) return 0;
    }
    *ok = true;
    return 0;
}

static int bi_decode_verify(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "io.jwt.decode_verify";
    if (!bi_is(args[1], GH_KIND_OBJECT)) return bi_type_err(bc, name, 2, args[1], "object");
    jwt_cons c = {.secret = "", .alg = "", .iss = "", .aud = ""};
    const gh_value *header = NULL, *payload = NULL;
    bool ok = false;
    int rc = cons_parse(bc, name, args[1], &c);
    if (!rc) rc = dv_token(bc, name, args[0], &c, &ok, &header, &payload);
    if (!rc && ok) rc = dv_claims(bc, name, &c, payload, &ok);
    bic_keys_free(&c.keys);
    if (rc) return rc;
    const gh_value *empty = NULL;
    if (!ok && gh_value_object(bc->arena, NULL, NULL, 0, &empty, NULL)) return GH_ENOMEM;
    const gh_value *items[3] = {gh_value_bool(ok), ok ? header : empty, ok ? payload : empty};
    return bi_ret(out, gh_value_array(bc->arena, items, 3));
}

/* ---- io.jwt.encode_sign(_raw) ---- */

/* The header's alg as jwsbb reads it (its errors are quoted by OPA). */
static int header_alg(gh_bctx *bc, const char *name, const char *h, size_t hn, const char **alg)
{
    static const char *const pre = "missing or invalid 'alg' header: ";
    size_t i = 0;
    while (i < hn && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
        i++;
    if (i == hn) return bic_err(bc, name, "%scannot parse JSON: cannot parse empty string", pre);
    const gh_value *v = NULL;
    gh_json_error e;
    int rc = gh_json_read(bc->arena, h, hn, NULL, &v, &e);
    if (rc && rc != GH_EJSON) return rc;
    if (rc && h[i] == '{') return bic_err(bc, name, "%scannot parse JSON", pre);
    const gh_value *a = !rc && bi_is(v, GH_KIND_OBJECT) ? gh_object_get_str(v, "alg", 3) : NULL;
    if (!a || !(*alg = gh_string_ptr(a, &(size_t){0})))
        return bic_err(bc, name, "%sjwsbb: header \"alg\" not found", pre);
    return 0;
}

/* typ as the header gives it; NULL when absent or not a string. */
static const char *header_typ(gh_bctx *bc, const char *h, size_t hn)
{
    const gh_value *v = NULL;
    gh_json_error e;
    if (gh_json_read(bc->arena, h, hn, NULL, &v, &e) || !bi_is(v, GH_KIND_OBJECT)) return NULL;
    const gh_value *t = gh_object_get_str(v, "typ", 3);
    return t ? gh_string_ptr(t, &(size_t){0}) : NULL;
}

static bool json_valid(gh_bctx *bc, const char *s, size_t n)
{
    const gh_value *v;
    gh_json_error e;
    return gh_json_read(bc->arena, s, n, NULL, &v, &e) == 0;
}

static int encode_sign(gh_bctx *bc, const char *name, const char *h, size_t hn, const char *p,
                       size_t pn, const char *jwk, size_t jn, const gh_value **out)
{
    bic_keys ks;
    int rc = bic_jwk_parse(bc, name, jwk, jn, &ks);
    if (rc) return rc;
    const char *alg = NULL, *typ;
    unsigned char *sig = NULL;
    size_t sn = 0;
    gh_buf *b = bi_scratch(bc, BI_SCRATCH_OUT);
    if (!ks.n)
        rc = bic_err(bc, name, "no keys found in JWK set");
    else if (!b)
        rc = GH_ENOMEM;
    if (!rc) rc = header_alg(bc, name, h, hn, &alg);
    if (!rc && !bic_alg_known(alg, strlen(alg)))
        rc = bic_err(bc, name, "unknown JWS algorithm: %s", alg);
    if (!rc && (!(typ = header_typ(bc, h, hn)) || !strcmp(typ, "JWT")) && !json_valid(bc, p, pn))
        rc = bic_err(bc, name, "type is JWT but payload is not JSON");
    const gh_value *he = rc ? NULL : bic_b64url(bc, (const unsigned char *)h, hn);
    const gh_value *pe = rc ? NULL : bic_b64url(bc, (const unsigned char *)p, pn);
    if (!rc && (!he || !pe)) rc = GH_ENOMEM;
    if (!rc) {
        size_t l1, l2;
        const char *s1 = gh_string_ptr(he, &l1), *s2 = gh_string_ptr(pe, &l2);
        gh_buf_append(b, s1, l1);
        gh_buf_putc(b, '.');
        gh_buf_append(b, s2, l2);
        rc = b->failed ? GH_ENOMEM
                       : bic_jws_sign(bc, name, &ks.k[0], alg, (const unsigned char *)b->data,
                                      b->len, &sig, &sn);
    }
    bic_keys_free(&ks);
    if (rc) return rc;
    const gh_value *se = bic_b64url(bc, sig, sn);
    if (!se) return GH_ENOMEM;
    size_t l3;
    const char *s3 = gh_string_ptr(se, &l3);
    gh_buf_putc(b, '.');
    gh_buf_append(b, s3, l3);
    if (b->failed) return GH_ENOMEM;
    return bi_ret(out, bi_str(bc, b->data, b->len));
}

static int bi_encode_sign_raw(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "io.jwt.encode_sign_raw";
    int rc;
    size_t hn, pn, jn;
    const char *j = bi_str_arg(bc, name, args, 3, &jn, &rc), *h, *p;
    if (!j || !(h = bi_str_arg(bc, name, args, 1, &hn, &rc)) ||
        !(p = bi_str_arg(bc, name, args, 2, &pn, &rc)))
        return rc;
    return encode_sign(bc, name, h, hn, p, pn, j, jn, out);
}

/* Go's json.Marshal of v (sets become arrays) into arena text. */
static const char *marshal(gh_bctx *bc, const gh_value *v, size_t *n)
{
    gh_buf *b = bi_scratch(bc, BI_SCRATCH_TMP);
    if (!b || gh_json_write(b, v, GH_JSON_ESCAPE_HTML)) return NULL;
    char *d = bi_bytes(bc, b->len + 1);
    if (!d) return NULL;
    memcpy(d, b->data ? b->data : "", b->len);
    d[b->len] = '\0';
    *n = b->len;
    return d;
}

static int bi_encode_sign(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "io.jwt.encode_sign";
    const char *what[3] = {"headers", "payload", "signature"};
    const char *s[3];
    size_t n[3];
    for (int i = 0; i < 3; i++)
        if (!(s[i] = marshal(bc, args[i], &n[i])))
            return bic_err(bc, name, "failed to marshal JWT %s", what[i]);
    return encode_sign(bc, name, s[0], n[0], s[1], n[1], s[2], n[2], out);
}

#define VDECL "(string, string) => boolean"
static const gh_builtin table[] = {
    BI_FN("io.jwt.decode", 1, "(string) => array<object[any: any], object[any: any], string>",
          bi_decode),
    BI_FNF("io.jwt.decode_verify", 2,
           "(string, object[string: any]) => array<boolean, object[any: any], object[any: any]>",
           bi_decode_verify, GH_BI_NONDETERMINISTIC), /* the clock */
    BI_FN("io.jwt.verify_hs256", 2, VDECL, bi_verify_hs256),
    BI_FN("io.jwt.verify_hs384", 2, VDECL, bi_verify_hs384),
    BI_FN("io.jwt.verify_hs512", 2, VDECL, bi_verify_hs512),
    BI_FN("io.jwt.verify_rs256", 2, VDECL, bi_verify_rs256),
    BI_FN("io.jwt.verify_rs384", 2, VDECL, bi_verify_rs384),
    BI_FN("io.jwt.verify_rs512", 2, VDECL, bi_verify_rs512),
    BI_FN("io.jwt.verify_ps256", 2, VDECL, bi_verify_ps256),
    BI_FN("io.jwt.verify_ps384", 2, VDECL, bi_verify_ps384),
    BI_FN("io.jwt.verify_ps512", 2, VDECL, bi_verify_ps512),
    BI_FN("io.jwt.verify_es256", 2, VDECL, bi_verify_es256),
    BI_FN("io.jwt.verify_es384", 2, VDECL, bi_verify_es384),
    BI_FN("io.jwt.verify_es512", 2, VDECL, bi_verify_es512),
    BI_FN("io.jwt.verify_eddsa", 2, VDECL, bi_verify_eddsa),
    BI_FNF("io.jwt.encode_sign", 3,
           "(object[string: any], object[string: any], object[string: any]) => string",
           bi_encode_sign, GH_BI_NONDETERMINISTIC), /* ECDSA, PSS: random */
    BI_FNF("io.jwt.encode_sign_raw", 3, "(string, string, string) => string", bi_encode_sign_raw,
           GH_BI_NONDETERMINISTIC),
};
BI_FAMILY(jwt, table);
