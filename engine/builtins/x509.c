/* The crypto.x509 family and the private-key parsers, with OPA's input rules (PEM, or base64
 * of PEM or DER) and error texts (v1/topdown/crypto.go): parse_certificates,
 * parse_and_verify_certificates(_with_options), parse_certificate_request, parse_keypair,
 * parse_rsa_private_key, crypto.parse_private_keys. Certificates come out shaped as Go's
 * encoding/json marshals x509.Certificate (the commonly read fields: names, SANs, validity,
 * key usages, basic constraints, raw DER as base64), keys as Go marshals rsa/ecdsa/ed25519
 * keys; numbers too large for int64 are kept exact. */
#include "builtins/bi_crypto.h"

#include <openssl/core_names.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <time.h>

/* ---- building objects ---- */

enum { OB_MAX = 40 };
typedef struct ob {
    gh_bctx *bc;
    const gh_value *k[OB_MAX], *v[OB_MAX];
    size_t n;
    bool oom;
} ob;

static void ob_add(ob *o, const char *key, const gh_value *v)
{
    if (o->n == OB_MAX) return;
    const gh_value *k = bi_str(o->bc, key, strlen(key));
    if (!k || !v) o->oom = true;
    o->k[o->n] = k, o->v[o->n++] = v ? v : GH_NULL;
}

static const gh_value *ob_done(ob *o)
{
    const gh_value *out = NULL;
    if (o->oom || gh_value_object(o->bc->arena, o->k, o->v, o->n, &out, NULL)) return NULL;
    return out;
}

/* A Go []string: null when empty (a nil slice). */
static const gh_value *str_list(gh_bctx *bc, const gh_value **items, size_t n)
{
    return n ? gh_value_array(bc->arena, items, n) : GH_NULL;
}

static const gh_value *bn_num(gh_bctx *bc, const BIGNUM *bn)
{
    if (!bn) return GH_NULL;
    char *s = BN_bn2dec(bn);
    const gh_value *v = s ? bi_num_text(bc, s, strlen(s)) : NULL;
    OPENSSL_free(s);
    return v;
}

static const gh_value *b64_val(gh_bctx *bc, const unsigned char *s, size_t n)
{
    size_t l;
    char *t = bic_b64std(bc, s, n, &l);
    return t ? bi_str(bc, t, l) : NULL;
}

/* DER from an i2d call (length dl, buffer *der, freed here) as a base64 string: Go's
 * []byte in JSON. Called as der_val(bc, i2d_X(x, &d), &d). */
static const gh_value *der_val(gh_bctx *bc, int dl, unsigned char **der)
{
    const gh_value *v = dl > 0 ? b64_val(bc, *der, (size_t)dl) : GH_NULL;
    OPENSSL_free(*der);
    *der = NULL;
    return v;
}

/* ---- names (pkix.Name) ---- */

static const gh_value *oid_ints(gh_bctx *bc, const ASN1_OBJECT *obj)
{
    char txt[128];
    int l = OBJ_obj2txt(txt, sizeof txt, obj, 1);
    const gh_value *arcs[32];
    size_t n = 0;
    for (char *p = txt; l > 0 && *p && n < 32;) {
        arcs[n++] = bi_int(bc, strtoll(p, &p, 10));
        if (*p == '.') p++;
    }
    return gh_value_array(bc->arena, arcs, n);
}

static const gh_value *asn1_str(gh_bctx *bc, const ASN1_STRING *s)
{
    unsigned char *u = NULL;
    int l = ASN1_STRING_to_UTF8(&u, s);
    const gh_value *v = l >= 0 ? bi_str(bc, (const char *)u, (size_t)l) : bi_str(bc, "", 0);
    OPENSSL_free(u);
    return v;
}

static const struct {
    int nid;
    const char *field;
} name_fields[] = {
    {NID_countryName, "Country"},
    {NID_organizationName, "Organization"},
    {NID_organizationalUnitName, "OrganizationalUnit"},
    {NID_localityName, "Locality"},
    {NID_stateOrProvinceName, "Province"},
    {NID_streetAddress, "StreetAddress"},
    {NID_postalCode, "PostalCode"},
};
enum { NF = sizeof name_fields / sizeof name_fields[0] };

static const gh_value *name_obj(gh_bctx *bc, const X509_NAME *nm)
{
    int cnt = nm ? X509_NAME_entry_count(nm) : 0;
    const gh_value **all = bi_ptrs(bc, (size_t)cnt + 1), **lists[NF];
    size_t ln[NF] = {0};
    const gh_value *cn = bi_str(bc, "", 0), *serial = cn;
    if (!all) return NULL;
    for (size_t f = 0; f < NF; f++)
        if (!(lists[f] = bi_ptrs(bc, (size_t)cnt + 1))) return NULL;
    for (int i = 0; i < cnt; i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
        const ASN1_OBJECT *o = X509_NAME_ENTRY_get_object(e);
        const gh_value *val = asn1_str(bc, X509_NAME_ENTRY_get_data(e));
        ob t = {.bc = bc};
        ob_add(&t, "Type", oid_ints(bc, o));
        ob_add(&t, "Value", val);
        all[i] = ob_done(&t);
        int nid = OBJ_obj2nid(o);
        if (nid == NID_commonName)
            cn = val; /* the last one wins, as in Go */
        else if (nid == NID_serialNumber)
            serial = val;
        for (size_t f = 0; f < NF; f++)
            if (nid == name_fields[f].nid) lists[f][ln[f]++] = val;
    }
    ob o = {.bc = bc};
    for (size_t f = 0; f < NF; f++)
        ob_add(&o, name_fields[f].field, str_list(bc, lists[f], ln[f]));
    ob_add(&o, "SerialNumber", serial);
    ob_add(&o, "CommonName", cn);
    ob_add(&o, "Names", cnt ? gh_value_array(bc->arena, all, (size_t)cnt) : GH_NULL);
    ob_add(&o, "ExtraNames", GH_NULL);
    return ob_done(&o);
}

/* ---- subject alternative names ---- */

typedef struct sans {
    const gh_value *dns, *email, *ip, *uri;
} sans;

static const gh_value *ip_text(gh_bctx *bc, const ASN1_OCTET_STRING *s)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    const unsigned char *d = ASN1_STRING_get0_data(s);
    int n = ASN1_STRING_length(s);
    char buf[INET6_ADDRSTRLEN] = "";
    /* Go's net.IP.String: IPv4 (also IPv4-mapped IPv6) dotted, IPv6 per RFC 5952 */
    if (n == 16 && !memcmp(d, mapped, 12)) d += 12, n = 4;
    if (n == 4)
        inet_ntop(AF_INET, d, buf, sizeof buf);
    else if (n == 16)
        inet_ntop(AF_INET6, d, buf, sizeof buf);
    else if (n > 0 && n < 24) { /* Go: "?" and the bytes in hex */
        buf[0] = '?';
        for (int i = 0; i < n; i++)
            snprintf(buf + 1 + 2 * i, 3, "%02x", d[i]);
    }
    return bi_str(bc, buf, strlen(buf));
}

static void sans_of(gh_bctx *bc, const GENERAL_NAMES *gens, sans *out)
{
    int n = gens ? sk_GENERAL_NAME_num(gens) : 0;
    const gh_value **l[4];
    size_t c[4] = {0};
    for (int k = 0; k < 4; k++)
        l[k] = bi_ptrs(bc, (size_t)n + 1);
    for (int i = 0; i < n && l[0] && l[1] && l[2] && l[3]; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        int k = g->type == GEN_DNS     ? 0
                : g->type == GEN_EMAIL ? 1
                : g->type == GEN_IPADD ? 2
                : g->type == GEN_URI   ? 3
                                       : -1;
        if (k < 0) continue;
        l[k][c[k]++] = k == 2 ? ip_text(bc, g->d.iPAddress) : asn1_str(bc, g->d.ia5);
    }
    out->dns = str_list(bc, l[0], c[0]);
    out->email = str_list(bc, l[1], c[1]);
    out->ip = str_list(bc, l[2], c[2]);
    out->uri = str_list(bc, l[3], c[3]);
}

/* ---- keys as Go marshals them ---- */

static const gh_value *bn_param(gh_bctx *bc, const EVP_PKEY *pk, const char *param)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(pk, param, &bn) <= 0) return GH_NULL;
    const gh_value *v = bn_num(bc, bn);
    BN_clear_free(bn);
    return v;
}

static const gh_value *pubkey_obj(gh_bctx *bc, const EVP_PKEY *pk)
{
    ob o = {.bc = bc};
    switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
        ob_add(&o, "N", bn_param(bc, pk, OSSL_PKEY_PARAM_RSA_N));
        ob_add(&o, "E", bn_param(bc, pk, OSSL_PKEY_PARAM_RSA_E));
        return ob_done(&o);
    case EVP_PKEY_EC:
        ob_add(&o, "Curve", ob_done(&(ob){.bc = bc}));
        ob_add(&o, "X", bn_param(bc, pk, OSSL_PKEY_PARAM_EC_PUB_X));
        ob_add(&o, "Y", bn_param(bc, pk, OSSL_PKEY_PARAM_EC_PUB_Y));
        return ob_done(&o);
    case EVP_PKEY_ED25519: {
        unsigned char raw[32];
        size_t rl = sizeof raw;
        return EVP_PKEY_get_raw_public_key(pk, raw, &rl) ? b64_val(bc, raw, rl) : GH_NULL;
    }
    default: return GH_NULL;
    }
}

static const gh_value *privkey_obj(gh_bctx *bc, const EVP_PKEY *pk)
{
    ob o = {.bc = bc};
    switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS: {
        const gh_value *primes[2] = {bn_param(bc, pk, OSSL_PKEY_PARAM_RSA_FACTOR1),
                                     bn_param(bc, pk, OSSL_PKEY_PARAM_RSA_FACTOR2)};
        ob pre = {.bc = bc};
        ob_add(&pre, "Dp", bn_param(bc, pk, OSSL_PKEY_PARAM_RSA_EXPONENT1));
        ob_add(&pre, "Dq", bn_param(bc, pk, OSSL_PKEY_PARAM_RSA_EXPONENT2));
        ob_add(&pre, "Qinv", bn_param(bc, pk, OSSL_PKEY_PARAM_RSA_COEFFICIENT1));
        ob_add(&pre, "CRTValues", gh_value_array(bc->arena, NULL, 0));
        ob_add(&o, "PublicKey", pubkey_obj(bc, pk));
        ob_add(&o, "D", bn_param(bc, pk, OSSL_PKEY_PARAM_RSA_D));
        ob_add(&o, "Primes", gh_value_array(bc->arena, primes, 2));
        ob_add(&o, "Precomputed", ob_done(&pre));
        return ob_done(&o);
    }
    case EVP_PKEY_EC:
        ob_add(&o, "Curve", ob_done(&(ob){.bc = bc}));
        ob_add(&o, "X", bn_param(bc, pk, OSSL_PKEY_PARAM_EC_PUB_X));
        ob_add(&o, "Y", bn_param(bc, pk, OSSL_PKEY_PARAM_EC_PUB_Y));
        ob_add(&o, "D", bn_param(bc, pk, OSSL_PKEY_PARAM_PRIV_KEY));
        return ob_done(&o);
    case EVP_PKEY_ED25519: {
        /* Go's ed25519.PrivateKey is seed || public key */
        unsigned char raw[64];
        size_t sl = 32, pl = 32;
        if (!EVP_PKEY_get_raw_private_key(pk, raw, &sl) ||
            !EVP_PKEY_get_raw_public_key(pk, raw + 32, &pl))
            return GH_NULL;
        return b64_val(bc, raw, 64);
    }
    default: return GH_NULL;
    }
}

/* ---- certificates ---- */

/* Go's x509.SignatureAlgorithm and PublicKeyAlgorithm enumerations. */
static int go_sig_alg(int nid)
{
    switch (nid) {
    case NID_md5WithRSAEncryption: return 2;
    case NID_sha1WithRSAEncryption: return 3;
    case NID_sha256WithRSAEncryption: return 4;
    case NID_sha384WithRSAEncryption: return 5;
    case NID_sha512WithRSAEncryption: return 6;
    case NID_dsaWithSHA1: return 7;
    case NID_dsa_with_SHA256: return 8;
    case NID_ecdsa_with_SHA1: return 9;
    case NID_ecdsa_with_SHA256: return 10;
    case NID_ecdsa_with_SHA384: return 11;
    case NID_ecdsa_with_SHA512: return 12;
    case NID_rsassaPss: return 13;
    case NID_ED25519: return 16;
    default: return 0;
    }
}

static int go_pk_alg(const EVP_PKEY *pk)
{
    switch (pk ? EVP_PKEY_get_base_id(pk) : 0) {
    case EVP_PKEY_RSA: return 1;
    case EVP_PKEY_DSA: return 2;
    case EVP_PKEY_EC: return 3;
    case EVP_PKEY_ED25519: return 4;
    default: return 0;
    }
}

static const gh_value *time_val(gh_bctx *bc, const ASN1_TIME *t)
{
    struct tm tm;
    char buf[40];
    if (!t || !ASN1_TIME_to_tm(t, &tm)) return bi_str(bc, "0001-01-01T00:00:00Z", 20);
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return bi_str(bc, buf, n);
}

/* Go's KeyUsage bits are the X.509 bit numbers; OpenSSL's flags are byte-reversed. */
static int64_t go_key_usage(X509 *x)
{
    uint32_t ku = X509_get_key_usage(x);
    if (ku == UINT32_MAX) return 0;
    int64_t go = 0;
    for (int i = 0; i < 8; i++)
        if (ku & (0x80u >> i)) go |= 1 << i;
    if (ku & KU_DECIPHER_ONLY) go |= 1 << 8;
    return go;
}

/* Go's ExtKeyUsage numbering, by OID; -1 for usages Go files under UnknownExtKeyUsage. */
static int go_eku(const ASN1_OBJECT *o)
{
    static const struct {
        int nid, go;
    } m[] = {{NID_anyExtendedKeyUsage, 0}, {NID_server_auth, 1},   {NID_client_auth, 2},
             {NID_code_sign, 3},           {NID_email_protect, 4}, {NID_ipsecEndSystem, 5},
             {NID_ipsecTunnel, 6},         {NID_ipsecUser, 7},     {NID_time_stamp, 8},
             {NID_OCSP_sign, 9},           {NID_ms_sgc, 10},       {NID_ns_sgc, 11},
             {NID_ms_code_com, 12}};
    int nid = OBJ_obj2nid(o);
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (m[i].nid == nid) return m[i].go;
    char txt[64];
    OBJ_obj2txt(txt, sizeof txt, o, 1);
    return strcmp(txt, "1.3.6.1.4.1.311.61.1.1") ? -1 : 13; /* Microsoft kernel code signing */
}

/* The certificate's extended key usages in Go's numbering, in order; *n them, *unknown the
 * count of OIDs Go does not name. false when the extension is absent. */
static bool cert_ekus(X509 *x, int *out, size_t cap, size_t *n, size_t *unknown)
{
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    *n = *unknown = 0;
    if (!eku) return false;
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
        int g = go_eku(sk_ASN1_OBJECT_value(eku, i));
        if (g < 0)
            ++*unknown;
        else if (*n < cap)
            out[(*n)++] = g;
    }
    EXTENDED_KEY_USAGE_free(eku);
    return true;
}

static const gh_value *ext_key_usage(gh_bctx *bc, X509 *x)
{
    int ekus[32];
    size_t n, unknown;
    const gh_value *items[32];
    cert_ekus(x, ekus, 32, &n, &unknown);
    for (size_t i = 0; i < n; i++)
        items[i] = bi_int(bc, ekus[i]);
    return str_list(bc, items, n);
}

/* Go's Extensions: every extension as {Id, Critical, Value (base64 DER)}. */
static const gh_value *extensions(gh_bctx *bc, X509 *x)
{
    int n = X509_get_ext_count(x);
    const gh_value **items = bi_ptrs(bc, (size_t)n + 1);
    if (!items) return NULL;
    for (int i = 0; i < n; i++) {
        X509_EXTENSION *e = X509_get_ext(x, i);
        const ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(e);
        ob o = {.bc = bc};
        ob_add(&o, "Id", oid_ints(bc, X509_EXTENSION_get_object(e)));
        ob_add(&o, "Critical", gh_value_bool(X509_EXTENSION_get_critical(e) > 0));
        ob_add(&o, "Value", b64_val(bc, ASN1_STRING_get0_data(d), (size_t)ASN1_STRING_length(d)));
        if (!(items[i] = ob_done(&o))) return NULL;
    }
    return str_list(bc, items, (size_t)n);
}

/* Authority information access: OCSPServer and IssuingCertificateURL (URIs only, as Go). */
static void aia(gh_bctx *bc, X509 *x, const gh_value **ocsp, const gh_value **issuers)
{
    AUTHORITY_INFO_ACCESS *a = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
    int n = a ? sk_ACCESS_DESCRIPTION_num(a) : 0;
    const gh_value **o = bi_ptrs(bc, (size_t)n + 1), **is = bi_ptrs(bc, (size_t)n + 1);
    size_t on = 0, in = 0;
    for (int i = 0; o && is && i < n; i++) {
        ACCESS_DESCRIPTION *d = sk_ACCESS_DESCRIPTION_value(a, i);
        if (d->location->type != GEN_URI) continue;
        int nid = OBJ_obj2nid(d->method);
        if (nid == NID_ad_OCSP)
            o[on++] = asn1_str(bc, d->location->d.uniformResourceIdentifier);
        else if (nid == NID_ad_ca_issuers)
            is[in++] = asn1_str(bc, d->location->d.uniformResourceIdentifier);
    }
    AUTHORITY_INFO_ACCESS_free(a);
    *ocsp = o ? str_list(bc, o, on) : NULL;
    *issuers = is ? str_list(bc, is, in) : NULL;
}

/* CRLDistributionPoints: the full-name URIs of each point, as Go collects them. */
static const gh_value *crl_points(gh_bctx *bc, X509 *x)
{
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
    const gh_value *items[64];
    size_t n = 0;
    for (int i = 0; dps && i < sk_DIST_POINT_num(dps); i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (!dp->distpoint || dp->distpoint->type != 0) continue;
        GENERAL_NAMES *g = dp->distpoint->name.fullname;
        for (int j = 0; j < sk_GENERAL_NAME_num(g) && n < 64; j++) {
            GENERAL_NAME *gn = sk_GENERAL_NAME_value(g, j);
            if (gn->type == GEN_URI) items[n++] = asn1_str(bc, gn->d.uniformResourceIdentifier);
        }
    }
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    return str_list(bc, items, n);
}

static const gh_value *key_id(gh_bctx *bc, const ASN1_OCTET_STRING *s)
{
    return s ? b64_val(bc, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s)) : GH_NULL;
}

static const gh_value *cert_obj(gh_bctx *bc, X509 *x, bool uri_strings)
{
    ob o = {.bc = bc};
    unsigned char *d = NULL;
    EVP_PKEY *pk = X509_get0_pubkey(x);
    const ASN1_BIT_STRING *sig = NULL;
    X509_get0_signature(&sig, NULL, x);
    BASIC_CONSTRAINTS *bcons = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    sans s;
    sans_of(bc, gens, &s);
    GENERAL_NAMES_free(gens);
    BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    ob_add(&o, "Raw", der_val(bc, i2d_X509(x, &d), &d));
    ob_add(&o, "RawSubjectPublicKeyInfo",
           der_val(bc, i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &d), &d));
    ob_add(&o, "RawSubject", der_val(bc, i2d_X509_NAME(X509_get_subject_name(x), &d), &d));
    ob_add(&o, "RawIssuer", der_val(bc, i2d_X509_NAME(X509_get_issuer_name(x), &d), &d));
    ob_add(&o, "Signature", sig ? b64_val(bc, sig->data, (size_t)sig->length) : GH_NULL);
    ob_add(&o, "SignatureAlgorithm", bi_int(bc, go_sig_alg(X509_get_signature_nid(x))));
    ob_add(&o, "PublicKeyAlgorithm", bi_int(bc, go_pk_alg(pk)));
    ob_add(&o, "PublicKey", pk ? pubkey_obj(bc, pk) : GH_NULL);
    ob_add(&o, "Version", bi_int(bc, X509_get_version(x) + 1));
    ob_add(&o, "SerialNumber", bn_num(bc, serial));
    ob_add(&o, "Issuer", name_obj(bc, X509_get_issuer_name(x)));
    ob_add(&o, "Subject", name_obj(bc, X509_get_subject_name(x)));
    ob_add(&o, "NotBefore", time_val(bc, X509_get0_notBefore(x)));
    ob_add(&o, "NotAfter", time_val(bc, X509_get0_notAfter(x)));
    ob_add(&o, "KeyUsage", bi_int(bc, go_key_usage(x)));
    ob_add(&o, "ExtKeyUsage", ext_key_usage(bc, x));
    ob_add(&o, "Extensions", extensions(bc, x));
    const gh_value *ocsp, *issuers;
    aia(bc, x, &ocsp, &issuers);
    ob_add(&o, "OCSPServer", ocsp);
    ob_add(&o, "IssuingCertificateURL", issuers);
    ob_add(&o, "CRLDistributionPoints", crl_points(bc, x));
    ob_add(&o, "BasicConstraintsValid", gh_value_bool(bcons != NULL));
    ob_add(&o, "IsCA", gh_value_bool(bcons && bcons->ca));
    int64_t mpl = bcons ? (bcons->pathlen ? ASN1_INTEGER_get(bcons->pathlen) : -1) : 0;
    ob_add(&o, "MaxPathLen", bi_int(bc, mpl));
    ob_add(&o, "MaxPathLenZero", gh_value_bool(bcons && bcons->pathlen && mpl == 0));
    ob_add(&o, "SubjectKeyId", key_id(bc, X509_get0_subject_key_id(x)));
    ob_add(&o, "AuthorityKeyId", key_id(bc, X509_get0_authority_key_id(x)));
    ob_add(&o, "DNSNames", s.dns);
    ob_add(&o, "EmailAddresses", s.email);
    ob_add(&o, "IPAddresses", s.ip);
    if (uri_strings) ob_add(&o, "URIStrings", s.uri);
    BASIC_CONSTRAINTS_free(bcons);
    BN_free(serial);
    return ob_done(&o);
}

/* ---- reading certificates ---- */

typedef struct certs {
    X509 **x;
    size_t n;
} certs;

static void certs_free(certs *c)
{
    for (size_t i = 0; c->x && i < c->n; i++)
        X509_free(c->x[i]);
    c->n = 0;
}

/* Go's x509.ParseCertificates: DER certificates back to back. */
static int parse_der_certs(gh_bctx *bc, const char *name, const unsigned char *d, size_t n,
                           certs *out)
{
    size_t cap = n / 16 + 1; /* no certificate is that short */
    out->x = (X509 **)bi_bytes(bc, cap * sizeof *out->x);
    out->n = 0;
    if (!out->x) return GH_ENOMEM;
    while (n > 0) {
        const unsigned char *p = d;
        X509 *x = out->n < cap ? d2i_X509(NULL, &p, (long)n) : NULL;
        if (!x) {
            certs_free(out);
            return bic_err(bc, name, "x509: malformed certificate");
        }
        out->x[out->n++] = x;
        n -= (size_t)(p - d);
        d = p;
    }
    return 0;
}

static bool has_prefix(const char *s, size_t n, const char *pre)
{
    size_t pl = strlen(pre);
    return n >= pl && !memcmp(s, pre, pl);
}

static int certs_from_pem(gh_bctx *bc, const char *name, const char *s, size_t n, certs *out)
{
    gh_buf der = {0};
    bic_pem b;
    size_t rest;
    while (n > 0 && bic_pem_decode(bc, s, n, &b, &rest)) {
        if (!bic_pem_is(&b, "CERTIFICATE")) {
            gh_buf_free(&der);
            return bic_err(bc, name, "PEM block type is '%.*s', expected CERTIFICATE",
                           (int)b.type_len, b.type);
        }
        gh_buf_append(&der, (const char *)b.der, b.der_len);
        s += rest, n -= rest;
    }
    int rc = der.failed ? GH_ENOMEM
                        : parse_der_certs(bc, name, (const unsigned char *)der.data, der.len, out);
    gh_buf_free(&der);
    return rc;
}

/* base64.decode's bytes, its error as OPA returns it (unwrapped). */
static int b64_decode(gh_bctx *bc, const char *name, const char *s, size_t n, const char **d,
                      size_t *dn)
{
    const gh_value *in = bi_str(bc, s, n), *out;
    if (!in) return GH_ENOMEM;
    int rc = bic_call1(bc, name, "base64.decode", "", in, &out);
    if (!rc) *d = gh_string_ptr(out, dn);
    return rc;
}

/* OPA's getX509CertsFromString. */
static int certs_from_string(gh_bctx *bc, const char *name, const char *s, size_t n, certs *out)
{
    out->x = NULL, out->n = 0;
    if (has_prefix(s, n, "-----BEGIN")) return certs_from_pem(bc, name, s, n, out);
    const char *d;
    size_t dn;
    int rc = b64_decode(bc, name, s, n, &d, &dn);
    if (rc) return rc;
    if (has_prefix(d, dn, "-----BEGIN")) return certs_from_pem(bc, name, d, dn, out);
    return parse_der_certs(bc, name, (const unsigned char *)d, dn, out);
}

static const gh_value *certs_array(gh_bctx *bc, X509 *const *xs, size_t n, bool uri_strings)
{
    const gh_value **items = bi_ptrs(bc, n + 1);
    if (!items) return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(items[i] = cert_obj(bc, xs[i], uri_strings))) return NULL;
    return gh_value_array(bc->arena, items, n);
}

static int bi_parse_certificates(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "crypto.x509.parse_certificates";
    int rc;
    size_t n;
    const char *s = bi_str_arg(bc, name, args, 1, &n, &rc);
    if (!s) return rc;
    certs c;
    if ((rc = certs_from_string(bc, name, s, n, &c))) return rc;
    const gh_value *v = certs_array(bc, c.x, c.n, true);
    certs_free(&c);
    return bi_ret(out, v);
}

/* ---- verification ---- */

typedef struct vopts {
    const char *dns;
    bool has_time;
    int64_t time_ns;
    int usages[16]; /* Go's ExtKeyUsage values asked for; none means ServerAuth, as in Go */
    size_t nusages;
} vopts;

/* OPA's names, indexed by Go's ExtKeyUsage value. */
static const char *const key_usages[] = {
    "KeyUsageAny",
    "KeyUsageServerAuth",
    "KeyUsageClientAuth",
    "KeyUsageCodeSigning",
    "KeyUsageEmailProtection",
    "KeyUsageIPSECEndSystem",
    "KeyUsageIPSECTunnel",
    "KeyUsageIPSECUser",
    "KeyUsageTimeStamping",
    "KeyUsageOCSPSigning",
    "KeyUsageMicrosoftServerGatedCrypto",
    "KeyUsageNetscapeServerGatedCrypto",
    "KeyUsageMicrosoftCommercialCodeSigning",
    "KeyUsageMicrosoftKernelCodeSigning",
};

static int key_usage_opt(gh_bctx *bc, const char *name, const gh_value *v, vopts *o)
{
    if (!bi_is(v, GH_KIND_ARRAY) && !bi_is(v, GH_KIND_SET))
        return bic_err(bc, name, "'KeyUsages' should be an Array or Set");
    gh_buf bad = {0};
    for (size_t i = 0; i < gh_value_len(v); i++) {
        const gh_value *it = bi_is(v, GH_KIND_SET) ? gh_set_item_at(v, i) : gh_array_get(v, i);
        const char *s = gh_string_ptr(it, &(size_t){0});
        if (!s) continue;
        size_t k = 0;
        while (k < sizeof key_usages / sizeof key_usages[0] && strcmp(s, key_usages[k]))
            k++;
        if (k == sizeof key_usages / sizeof key_usages[0]) {
            gh_buf_append(&bad, bad.len ? " " : "", bad.len ? 1 : 0);
            gh_buf_append(&bad, s, strlen(s));
        } else if (o->nusages < sizeof o->usages / sizeof o->usages[0]) {
            o->usages[o->nusages++] = (int)k;
        }
    }
    int rc = 0;
    if (bad.len)
        rc = bic_err(bc, name, "invalid entries for 'KeyUsages' found: [%.*s]", (int)bad.len,
                     bad.data);
    gh_buf_free(&bad);
    return rc;
}

static int verify_opts(gh_bctx *bc, const char *name, const gh_value *obj, vopts *o)
{
    for (size_t i = 0; i < gh_value_len(obj); i++) {
        const char *k = gh_string_ptr(gh_object_key_at(obj, i), &(size_t){0});
        const gh_value *v = gh_object_value_at(obj, i);
        int rc = 0;
        if (!k) continue;
        if (!strcmp(k, "DNSName")) {
            if (!(o->dns = gh_string_ptr(v, &(size_t){0})))
                return bic_err(bc, name, "'DNSName' should be a string");
        } else if (!strcmp(k, "CurrentTime")) {
            if (!bi_is(v, GH_KIND_NUMBER))
                return bic_err(bc, name, "'CurrentTime' should be a number");
            if (!gh_number_get_int(v, &o->time_ns))
                return bic_err(bc, name, "'CurrentTime' should be a valid int64 number");
            o->has_time = true;
        } else if (!strcmp(k, "MaxConstraintComparisons")) {
            int64_t m;
            if (!bi_is(v, GH_KIND_NUMBER))
                return bic_err(bc, name, "'MaxConstraintComparisons' should be a number");
            if (!gh_number_get_int(v, &m))
                return bic_err(bc, name, "'MaxConstraintComparisons' should be a valid number");
        } else if (!strcmp(k, "KeyUsages")) {
            rc = key_usage_opt(bc, name, v, o);
        } else {
            return bic_err(bc, name, "invalid key option");
        }
        if (rc) return rc;
    }
    return 0;
}

/* Go's checkChainForKeyUsage: walking from the root, each certificate that lists extended
 * key usages (and not "any") must allow every usage still asked for, else that usage drops;
 * the chain fails when none is left. No usage asked means ServerAuth; "any" asked: no check. */
static bool chain_usages_ok(STACK_OF(X509) * chain, const vopts *o)
{
    int want[16] = {1};
    size_t nwant = o->nusages ? o->nusages : 1, left = nwant;
    for (size_t i = 0; i < o->nusages; i++)
        if ((want[i] = o->usages[i]) == 0) return true;
    for (int c = sk_X509_num(chain) - 1; c >= 0; c--) {
        int have[32];
        size_t nh, unknown;
        if (!cert_ekus(sk_X509_value(chain, c), have, 32, &nh, &unknown) || (!nh && !unknown))
            continue;
        bool any = false;
        for (size_t h = 0; h < nh; h++)
            any |= have[h] == 0;
        if (any) continue;
        for (size_t w = 0; w < nwant; w++) {
            if (want[w] < 0) continue;
            bool found = false;
            for (size_t h = 0; h < nh; h++)
                found |= have[h] == want[w];
            if (found) continue;
            want[w] = -1;
            if (--left == 0) return false;
        }
    }
    return true;
}

/* OPA's verifyX509CertificateChain: the first certificate is the root, the last the leaf,
 * the ones between intermediates. The verified chain (leaf first) goes to *chain. */
static bool verify_chain(const certs *c, const vopts *o, STACK_OF(X509) * *chain)
{
    if (c->n < 2) return false;
    X509_STORE *store = X509_STORE_new();
    STACK_OF(X509) *mid = sk_X509_new_null();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    bool ok = store && mid && ctx && X509_STORE_add_cert(store, c->x[0]);
    for (size_t i = 1; ok && i + 1 < c->n; i++)
        ok = sk_X509_push(mid, c->x[i]) > 0;
    ok = ok && X509_STORE_CTX_init(ctx, store, c->x[c->n - 1], mid);
    if (ok) {
        X509_VERIFY_PARAM *p = X509_STORE_CTX_get0_param(ctx);
        if (o->has_time) X509_VERIFY_PARAM_set_time(p, (time_t)(o->time_ns / 1000000000));
        if (o->dns && *o->dns) ok = X509_VERIFY_PARAM_set1_host(p, o->dns, 0);
        /* every certificate in Go's roots pool is a trust anchor, self-signed or not */
        X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_PARTIAL_CHAIN);
    }
    ok = ok && X509_verify_cert(ctx) == 1;
    if (ok) *chain = X509_STORE_CTX_get1_chain(ctx);
    if (ok && *chain && !chain_usages_ok(*chain, o)) {
        sk_X509_pop_free(*chain, X509_free);
        *chain = NULL;
    }
    X509_STORE_CTX_free(ctx);
    sk_X509_free(mid); /* the certificates stay c's */
    X509_STORE_free(store);
    return ok && *chain;
}

static int parse_and_verify(gh_bctx *bc, const char *name, const gh_value *const *args,
                            const gh_value *opts, const gh_value **out)
{
    int rc;
    size_t n;
    const char *s = bi_str_arg(bc, name, args, 1, &n, &rc);
    if (!s) return rc;
    if (opts && !bi_is(opts, GH_KIND_OBJECT)) return bi_type_err(bc, name, 2, opts, "object");
    const gh_value *empty = gh_value_array(bc->arena, NULL, 0), *res = NULL;
    const gh_value *no[2] = {GH_FALSE, empty};
    certs c;
    vopts o = {0};
    if (certs_from_string(bc, name, s, n, &c)) {
        bc->err_code = NULL; /* unreadable input is "not valid", not an error */
        return bi_ret(out, gh_value_array(bc->arena, no, 2));
    }
    if (opts && (rc = verify_opts(bc, name, opts, &o))) {
        certs_free(&c);
        return rc;
    }
    STACK_OF(X509) *chain = NULL;
    if (verify_chain(&c, &o, &chain)) {
        int cn = sk_X509_num(chain);
        X509 **xs = (X509 **)bi_bytes(bc, ((size_t)cn + 1) * sizeof *xs);
        for (int i = 0; xs && i < cn; i++)
            xs[i] = sk_X509_value(chain, i);
        const gh_value *arr = xs ? certs_array(bc, xs, (size_t)cn, opts == NULL) : NULL;
        const gh_value *yes[2] = {GH_TRUE, arr};
        res = arr ? gh_value_array(bc->arena, yes, 2) : NULL;
    } else {
        res = gh_value_array(bc->arena, no, 2);
    }
    sk_X509_pop_free(chain, X509_free);
    certs_free(&c);
    return bi_ret(out, res);
}

static int bi_parse_and_verify(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return parse_and_verify(bc, "crypto.x509.parse_and_verify_certificates", args, NULL, out);
}

static int bi_parse_and_verify_opts(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return parse_and_verify(bc, "crypto.x509.parse_and_verify_certificates_with_options", args,
                            args[1], out);
}

/* ---- certificate requests ---- */

static const gh_value *csr_obj(gh_bctx *bc, X509_REQ *r)
{
    ob o = {.bc = bc};
    unsigned char *d = NULL;
    EVP_PKEY *pk = X509_REQ_get0_pubkey(r);
    const ASN1_BIT_STRING *sig = NULL;
    X509_REQ_get0_signature(r, &sig, NULL);
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(r);
    GENERAL_NAMES *gens = exts ? X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL) : NULL;
    sans s;
    sans_of(bc, gens, &s);
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    ob_add(&o, "Raw", der_val(bc, i2d_X509_REQ(r, &d), &d));
    ob_add(&o, "RawSubject", der_val(bc, i2d_X509_NAME(X509_REQ_get_subject_name(r), &d), &d));
    ob_add(&o, "Version", bi_int(bc, X509_REQ_get_version(r)));
    ob_add(&o, "Signature", sig ? b64_val(bc, sig->data, (size_t)sig->length) : GH_NULL);
    ob_add(&o, "SignatureAlgorithm", bi_int(bc, go_sig_alg(X509_REQ_get_signature_nid(r))));
    ob_add(&o, "PublicKeyAlgorithm", bi_int(bc, go_pk_alg(pk)));
    ob_add(&o, "PublicKey", pk ? pubkey_obj(bc, pk) : GH_NULL);
    ob_add(&o, "Subject", name_obj(bc, X509_REQ_get_subject_name(r)));
    ob_add(&o, "DNSNames", s.dns);
    ob_add(&o, "EmailAddresses", s.email);
    ob_add(&o, "IPAddresses", s.ip);
    return ob_done(&o);
}

static int bi_parse_csr(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "crypto.x509.parse_certificate_request";
    int rc;
    size_t n;
    const char *s = bi_str_arg(bc, name, args, 1, &n, &rc);
    if (!s) return rc;
    if (!has_prefix(s, n, "-----BEGIN CERTIFICATE REQUEST-----") &&
        (rc = b64_decode(bc, name, s, n, &s, &n)))
        return rc;
    const unsigned char *der = (const unsigned char *)s;
    size_t dn = n, rest;
    bic_pem b;
    if (bic_pem_decode(bc, s, n, &b, &rest)) {
        if (!bic_pem_is(&b, "CERTIFICATE REQUEST"))
            return bic_err(bc, name, "invalid PEM-encoded certificate signing request");
        der = b.der, dn = b.der_len;
    }
    X509_REQ *r = d2i_X509_REQ(NULL, &der, (long)dn);
    if (!r) return bic_err(bc, name, "asn1: structure error: malformed certificate request");
    const gh_value *v = csr_obj(bc, r);
    X509_REQ_free(r);
    return bi_ret(out, v);
}

/* ---- private keys ---- */

static EVP_PKEY *parse_key_block(const bic_pem *b)
{
    const unsigned char *p = b->der;
    if (bic_pem_is(b, "RSA PRIVATE KEY"))
        return d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, (long)b->der_len);
    if (bic_pem_is(b, "EC PRIVATE KEY"))
        return d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, (long)b->der_len);
    return d2i_AutoPrivateKey(NULL, &p, (long)b->der_len);
}

static bool is_key_block(const bic_pem *b)
{
    return bic_pem_is(b, "RSA PRIVATE KEY") || bic_pem_is(b, "EC PRIVATE KEY") ||
           bic_pem_is(b, "PRIVATE KEY");
}

/* OPA's getPrivateKeysFromPEMData: keys[] (caller frees) from every key block. */
static int keys_from_pem(gh_bctx *bc, const char *name, const char *s, size_t n, bic_keys *out)
{
    const char *d;
    size_t dn;
    const gh_value *in = bi_str(bc, s, n), *dec;
    if (!in) return GH_ENOMEM;
    const gh_builtin *b64 = gh_builtin_lookup("base64.decode", 13);
    if (b64 && b64->fn(bc, (const gh_value *const[]){in}, &dec) == 0 &&
        (d = gh_string_ptr(dec, &dn)))
        s = d, n = dn;
    bc->err_code = NULL;
    size_t cap = n / 32 + 1; /* a key block is longer */
    out->k = (bic_key *)bi_bytes(bc, cap * sizeof *out->k);
    out->n = 0;
    if (!out->k) return GH_ENOMEM;
    bic_pem blk;
    size_t rest;
    while (n > 0 && out->n < cap && bic_pem_decode(bc, s, n, &blk, &rest)) {
        s += rest, n -= rest;
        if (!is_key_block(&blk)) continue;
        EVP_PKEY *pk = parse_key_block(&blk);
        if (!pk) {
            bic_keys_free(out);
            return bic_err(bc, name, "x509: failed to parse private key");
        }
        memset(&out->k[out->n], 0, sizeof out->k[0]);
        out->k[out->n++].pkey = pk;
    }
    return 0;
}

static int bi_parse_private_keys(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "crypto.parse_private_keys";
    int rc;
    size_t n;
    const char *s = bi_str_arg(bc, name, args, 1, &n, &rc);
    if (!s) return rc;
    if (!n) return bi_ret(out, GH_NULL);
    bic_keys ks;
    if ((rc = keys_from_pem(bc, name, s, n, &ks))) return rc;
    const gh_value **items = bi_ptrs(bc, ks.n + 1), *res = NULL;
    bool ok = items != NULL;
    for (size_t i = 0; ok && i < ks.n; i++)
        ok = (items[i] = privkey_obj(bc, ks.k[i].pkey)) != NULL;
    if (ok) res = gh_value_array(bc->arena, items, ks.n);
    bic_keys_free(&ks);
    return bi_ret(out, res);
}

/* A BIGNUM parameter as base64url, left-padded with zeros to pad bytes (0: minimal). */
static const gh_value *bn_b64url(gh_bctx *bc, const EVP_PKEY *pk, const char *param, int pad)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(pk, param, &bn) <= 0) return GH_NULL;
    int bl = BN_num_bytes(bn), n = pad > bl ? pad : bl;
    unsigned char *buf = (unsigned char *)bi_bytes(bc, (size_t)n + 1);
    const gh_value *v =
        buf && BN_bn2binpad(bn, buf, n) == n ? bic_b64url(bc, buf, (size_t)n) : NULL;
    BN_clear_free(bn);
    return v;
}

/* The key as a JWK (what OPA's jwk.New marshals): RSA with its CRT parameters, EC with
 * fixed-width coordinates, Ed25519 as OKP. */
static const gh_value *jwk_obj(gh_bctx *bc, const EVP_PKEY *pk)
{
    static const char *const rsa_j[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
    static const char *const rsa_p[] = {
        OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
        OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
        OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
        OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    ob o = {.bc = bc};
    switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_RSA:
        ob_add(&o, "kty", bi_str(bc, "RSA", 3));
        for (size_t i = 0; i < 8; i++)
            ob_add(&o, rsa_j[i], bn_b64url(bc, pk, rsa_p[i], 0));
        return ob_done(&o);
    case EVP_PKEY_EC: {
        int bits = EVP_PKEY_get_bits(pk), w = (bits + 7) / 8;
        const char *crv = bits == 256   ? "P-256"
                          : bits == 384 ? "P-384"
                          : bits == 521 ? "P-521"
                                        : "";
        ob_add(&o, "kty", bi_str(bc, "EC", 2));
        ob_add(&o, "crv", bi_str(bc, crv, strlen(crv)));
        ob_add(&o, "x", bn_b64url(bc, pk, OSSL_PKEY_PARAM_EC_PUB_X, w));
        ob_add(&o, "y", bn_b64url(bc, pk, OSSL_PKEY_PARAM_EC_PUB_Y, w));
        ob_add(&o, "d", bn_b64url(bc, pk, OSSL_PKEY_PARAM_PRIV_KEY, w));
        return ob_done(&o);
    }
    case EVP_PKEY_ED25519: {
        unsigned char d[32], x[32];
        size_t dl = 32, xl = 32;
        if (!EVP_PKEY_get_raw_private_key(pk, d, &dl) || !EVP_PKEY_get_raw_public_key(pk, x, &xl))
            return GH_NULL;
        ob_add(&o, "kty", bi_str(bc, "OKP", 3));
        ob_add(&o, "crv", bi_str(bc, "Ed25519", 7));
        ob_add(&o, "x", bic_b64url(bc, x, xl));
        ob_add(&o, "d", bic_b64url(bc, d, dl));
        return ob_done(&o);
    }
    default: return privkey_obj(bc, pk);
    }
}

static int bi_parse_rsa_private_key(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "crypto.x509.parse_rsa_private_key";
    int rc;
    size_t n;
    const char *s = bi_str_arg(bc, name, args, 1, &n, &rc);
    if (!s) return rc;
    if (!n) return bic_err(bc, name, "input PEM data was empty");
    if (!has_prefix(s, n, "-----BEGIN") && (rc = b64_decode(bc, name, s, n, &s, &n))) return rc;
    bic_keys ks;
    if ((rc = keys_from_pem(bc, name, s, n, &ks))) return rc;
    const gh_value *v = ks.n ? jwk_obj(bc, ks.k[0].pkey) : GH_NULL;
    bic_keys_free(&ks);
    return bi_ret(out, v);
}

/* ---- key pairs (Go's tls.X509KeyPair) ---- */

static int pem_or_b64(gh_bctx *bc, const char *name, const gh_value *v, int pos, const char *type,
                      const char **s, size_t *n)
{
    int rc;
    const gh_value *const args[1] = {v};
    if (!(*s = bi_str_arg(bc, name, args, 1, n, &rc)))
        return bi_type_err(bc, name, pos, v, "string");
    if (!has_prefix(*s, *n, "-----BEGIN ") && (rc = b64_decode(bc, name, *s, *n, s, n))) return rc;
    if (has_prefix(*s, *n, "-----BEGIN")) return 0;
    /* DER: wrapped in a PEM block of the expected type, as OPA does */
    size_t bl;
    char *b = bic_b64std(bc, (const unsigned char *)*s, *n, &bl);
    size_t cap = bl + 2 * strlen(type) + 64;
    char *p = b ? bi_bytes(bc, cap) : NULL;
    if (!p) return GH_ENOMEM;
    *n = (size_t)snprintf(p, cap, "-----BEGIN %s-----\n%s\n-----END %s-----\n", type, b, type);
    *s = p;
    return 0;
}

static int keypair(gh_bctx *bc, const char *name, const char *cs, size_t cn, const char *ks,
                   size_t kn, certs *c, EVP_PKEY **key)
{
    bic_pem b;
    size_t rest;
    size_t cap = cn / 64 + 1; /* a certificate's PEM is longer */
    c->x = (X509 **)bi_bytes(bc, cap * sizeof *c->x);
    c->n = 0;
    if (!c->x) return GH_ENOMEM;
    while (cn > 0 && c->n < cap && bic_pem_decode(bc, cs, cn, &b, &rest)) {
        cs += rest, cn -= rest;
        if (!bic_pem_is(&b, "CERTIFICATE")) continue;
        const unsigned char *p = b.der;
        X509 *x = d2i_X509(NULL, &p, (long)b.der_len);
        if (!x) return bic_err(bc, name, "x509: malformed certificate");
        c->x[c->n++] = x;
    }
    if (!c->n) return bic_err(bc, name, "tls: failed to find any PEM data in certificate input");
    while (kn > 0 && bic_pem_decode(bc, ks, kn, &b, &rest)) {
        ks += rest, kn -= rest;
        if (bic_pem_is(&b, "PRIVATE KEY") ||
            (b.type_len > 12 && !memcmp(b.type + b.type_len - 12, " PRIVATE KEY", 12))) {
            if (!(*key = parse_key_block(&b)))
                return bic_err(bc, name, "tls: failed to parse private key");
            break;
        }
    }
    if (!*key) return bic_err(bc, name, "tls: failed to find any PEM data in key input");
    if (EVP_PKEY_eq(X509_get0_pubkey(c->x[0]), *key) != 1)
        return bic_err(bc, name, "tls: private key does not match public key");
    return 0;
}

static int bi_parse_keypair(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "crypto.x509.parse_keypair";
    const char *cs, *ks;
    size_t cn, kn;
    int rc;
    if ((rc = pem_or_b64(bc, name, args[0], 1, "CERTIFICATE", &cs, &cn)) ||
        (rc = pem_or_b64(bc, name, args[1], 1, "PRIVATE KEY", &ks, &kn))) /* sic: OPA says 1 */
        return rc;
    certs c = {0};
    EVP_PKEY *key = NULL;
    const gh_value *res = NULL;
    rc = keypair(bc, name, cs, cn, ks, kn, &c, &key);
    if (!rc) {
        const gh_value **ders = bi_ptrs(bc, c.n + 1);
        for (size_t i = 0; ders && i < c.n; i++) {
            unsigned char *d = NULL;
            ders[i] = der_val(bc, i2d_X509(c.x[i], &d), &d);
        }
        ob o = {.bc = bc};
        ob_add(&o, "Certificate", ders ? gh_value_array(bc->arena, ders, c.n) : NULL);
        ob_add(&o, "PrivateKey", privkey_obj(bc, key));
        ob_add(&o, "Leaf", cert_obj(bc, c.x[0], false));
        ob_add(&o, "OCSPStaple", GH_NULL);
        ob_add(&o, "SignedCertificateTimestamps", GH_NULL);
        ob_add(&o, "SupportedSignatureAlgorithms", GH_NULL);
        if (!(res = ob_done(&o))) rc = GH_ENOMEM;
    }
    EVP_PKEY_free(key);
    certs_free(&c);
    return rc ? rc : bi_ret(out, res);
}

#define CERTS_OUT "array[object[string: any]]"
static const gh_builtin table[] = {
    BI_FN("crypto.x509.parse_certificates", 1, "(string) => " CERTS_OUT, bi_parse_certificates),
    BI_FN("crypto.x509.parse_and_verify_certificates", 1,
          "(string) => array<boolean, " CERTS_OUT ">", bi_parse_and_verify),
    BI_FN("crypto.x509.parse_and_verify_certificates_with_options", 2,
          "(string, object[string: any]) => array<boolean, " CERTS_OUT ">",
          bi_parse_and_verify_opts),
    BI_FN("crypto.x509.parse_certificate_request", 1, "(string) => object[string: any]",
          bi_parse_csr),
    BI_FN("crypto.x509.parse_keypair", 2, "(string, string) => object[string: any]",
          bi_parse_keypair),
    BI_FN("crypto.x509.parse_rsa_private_key", 1, "(string) => object[string: any]",
          bi_parse_rsa_private_key),
    BI_FN("crypto.parse_private_keys", 1, "(string) => " CERTS_OUT, bi_parse_private_keys),
};
BI_FAMILY(x509, table);
