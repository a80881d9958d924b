/* providers.aws.sign_req: AWS Signature Version 4 over an http.send request object, as OPA's
 * topdown/providers.go and internal/providers/aws/signing_v4.go do it (argument checks and
 * their words, Go's url.Parse for host, escaped path and raw query, header canonicalisation,
 * x-amz-content-sha256 for s3/glacier, UNSIGNED-PAYLOAD, the session token header).
 * Digests and HMACs on OpenSSL 3. Scratch text lives in bc->arena. */
#include "builtins/bi_internal.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <time.h>

#define NAME "providers.aws.sign_req"

/* http.send's request keys (OPA validates sign_req's request with http.send's rules). */
static const char *const allowed_keys[] = {
    "body", "cache", "cache_ignored_headers", "caching_mode", "enable_redirect",
    "force_cache", "force_cache_duration_seconds", "force_json_decode", "force_yaml_decode",
    "headers", "max_retry_attempts", "method", "raise_error", "raw_body", "timeout",
    "tls_ca_cert", "tls_ca_cert_env_variable", "tls_ca_cert_file", "tls_client_cert",
    "tls_client_cert_env_variable", "tls_client_cert_file", "tls_client_key",
    "tls_client_key_env_variable", "tls_client_key_file", "tls_insecure_skip_verify",
    "tls_server_name", "tls_use_system_certs", "url",
};
static const char *const config_keys[] = {"aws_access_key", "aws_region",
                                          "aws_secret_access_key", "aws_service"};
/* Headers a proxy may change: never signed (aws-sdk-go's ignore list). */
static const char *const ignored_headers[] = {"authorization", "user-agent", "x-amzn-trace-id"};

#define NKEYS(a) (sizeof a / sizeof a[0])

typedef struct text {
    const char *s;
    size_t n;
} text;

static bool text_is(text t, const char *s)
{
    return strlen(s) == t.n && memcmp(s, t.s, t.n) == 0;
}

static bool in_list(text t, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (text_is(t, list[i])) return true;
    return false;
}

/* A string member's text, or "" (OPA's stringFromTerm). */
static text member(const gh_value *obj, const char *key)
{
    text t = {"", 0};
    const gh_value *v = gh_object_get_str(obj, key, strlen(key));
    const char *s = v ? gh_string_ptr(v, &t.n) : NULL;
    if (s) t.s = s;
    else t.n = 0;
    return t;
}

/* ---- argument checks, in OPA's order and words ---- */

/* "operand POS WHAT ...(s): {"a", "b"}" with the keys as a Rego set. */
static int key_set_err(gh_bctx *bc, int pos, const char *what, const gh_value **keys, size_t n)
{
    const gh_value *set = gh_value_set(bc->arena, keys, n);
    size_t len;
    const char *t = set ? bi_rego_text(bc, set, &len) : NULL;
    if (!t) return BI_NOMEM;
    return gh_builtin_error(bc, GH_ERR_TYPE, "%s: operand %d %s: %.*s", NAME, pos, what, (int)len,
                            t);
}

static int check_config(gh_bctx *bc, const gh_value *cfg)
{
    const gh_value *missing[NKEYS(config_keys)], *invalid[NKEYS(config_keys)];
    size_t nm = 0, ni = 0;
    for (size_t i = 0; i < NKEYS(config_keys); i++) {
        const gh_value *v = gh_object_get_str(cfg, config_keys[i], strlen(config_keys[i]));
        const gh_value *k = bi_str(bc, config_keys[i], strlen(config_keys[i]));
        if (!k) return BI_NOMEM;
        if (!v) missing[nm++] = k;
        else if (!bi_is(v, GH_KIND_STRING)) invalid[ni++] = k;
    }
    if (nm) return key_set_err(bc, 2, "missing required AWS config parameters(s)", missing, nm);
    if (ni) return key_set_err(bc, 2, "invalid values for required AWS config parameters(s)",
                               invalid, ni);
    return 0;
}

static int check_request(gh_bctx *bc, const gh_value *req)
{
    size_t n = gh_value_len(req), bad = 0;
    const gh_value **list = bi_ptrs(bc, n + 2);
    if (!list) return BI_NOMEM;
    for (size_t i = 0; i < n; i++) {
        text k;
        const gh_value *key = gh_object_key_at(req, i);
        k.s = gh_string_ptr(key, &k.n);
        if (!k.s || !in_list(k, allowed_keys, NKEYS(allowed_keys))) list[bad++] = key;
    }
    if (bad) return key_set_err(bc, 1, "invalid request parameters(s)", list, bad);
    static const char *const required[] = {"method", "url"};
    for (size_t i = 0; i < 2; i++)
        if (!gh_object_get_str(req, required[i], strlen(required[i])))
            if (!(list[bad++] = bi_str(bc, required[i], strlen(required[i])))) return BI_NOMEM;
    if (bad) return key_set_err(bc, 1, "missing required request parameters(s)", list, bad);
    list[0] = gh_object_get_str(req, "method", 6);
    list[1] = gh_object_get_str(req, "url", 3);
    const gh_value *badv[2];
    for (size_t i = 0; i < 2; i++)
        if (!bi_is(list[i], GH_KIND_STRING))
            if (!(badv[bad++] = bi_str(bc, required[i], strlen(required[i])))) return BI_NOMEM;
    if (bad) return key_set_err(bc, 1, "invalid values for required request parameters(s)", badv,
                                bad);
    return 0;
}

/* OPA's Number.Int64: the number's text must read as a Go int64 (ParseInt), so 1e9 and 1.0
 * do not. */
static int time_arg(gh_bctx *bc, const gh_value *v, int64_t *ns)
{
    if (!bi_is(v, GH_KIND_NUMBER)) return bi_type_err(bc, NAME, 1, v, "number");
    char buf[64];
    size_t n = bi_num_json(v, buf, sizeof buf);
    size_t i = buf[0] == '-' || buf[0] == '+';
    bool ok = n > i && n < sizeof buf - 1;
    for (size_t j = i; ok && j < n; j++) ok = isdigit((unsigned char)buf[j]);
    if (ok && gh_number_get_int(v, ns)) return 0;
    return bi_operand_err(bc, NAME, 3, "could not convert time_ns value into a unix timestamp");
}

/* ---- Go's net/url, as far as signing needs it ---- */

typedef struct url_parts {
    text host, path, query; /* Host, EscapedPath(), RawQuery */
} url_parts;

static int unhex(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* url.shouldEscape(c, encodePath) */
static bool path_escapes(unsigned char c)
{
    if (isalnum(c) || strchr("-_.~$&+,/:;=@", c)) return c == 0;
    return true;
}

/* url.validEncoded(s, encodePath) */
static bool path_valid_encoded(text t)
{
    for (size_t i = 0; i < t.n; i++) {
        unsigned char c = (unsigned char)t.s[i];
        if (c && strchr("!$&'()*+,;=:@[]%", c)) continue;
        if (path_escapes(c)) return false;
    }
    return true;
}

/* `parse "URL": MSG` as Go's url.Error prints (the URL quoted, roughly strconv.Quote). */
static int url_err(gh_bctx *bc, text u, const char *msg)
{
    char q[256];
    size_t k = 0;
    for (size_t i = 0; i < u.n && k < sizeof q - 8; i++) {
        unsigned char c = (unsigned char)u.s[i];
        if (c == '"' || c == '\\') k += (size_t)snprintf(q + k, sizeof q - k, "\\%c", c);
        else if (c < 0x20 || c == 0x7f) k += (size_t)snprintf(q + k, sizeof q - k, "\\x%02x", c);
        else q[k++] = (char)c;
    }
    q[k] = '\0';
    return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: parse \"%s\": %s", NAME, q, msg);
}

/* Checks the %XX escapes of s (url.unescape) and returns the decoded length. */
static int path_unescape(gh_bctx *bc, text u, text s, char *dec, size_t *dn)
{
    size_t k = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.s[i] != '%') {
            dec[k++] = s.s[i];
            continue;
        }
        if (i + 2 >= s.n + 0 || unhex(s.s[i + 1]) < 0 || unhex(s.s[i + 2]) < 0) {
            char m[64];
            size_t l = s.n - i < 3 ? s.n - i : 3;
            snprintf(m, sizeof m, "invalid URL escape \"%.*s\"", (int)l, s.s + i);
            return url_err(bc, u, m);
        }
        dec[k++] = (char)(unhex(s.s[i + 1]) << 4 | unhex(s.s[i + 2]));
        i += 2;
    }
    *dn = k;
    return 0;
}

/* EscapedPath(): the raw path when it is validly encoded, else the decoded path escaped. */
static int escaped_path(gh_bctx *bc, text u, text raw, text *out)
{
    char *dec = bi_bytes(bc, raw.n + 1);
    if (!dec) return BI_NOMEM;
    size_t dn = 0;
    int rc = path_unescape(bc, u, raw, dec, &dn);
    if (rc) return rc;
    if (path_valid_encoded(raw)) {
        *out = raw;
        return 0;
    }
    char *e = bi_bytes(bc, dn * 3 + 1);
    if (!e) return BI_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < dn; i++) {
        unsigned char c = (unsigned char)dec[i];
        if (path_escapes(c)) k += (size_t)snprintf(e + k, 4, "%%%02X", c);
        else e[k++] = (char)c;
    }
    *out = (text){e, k};
    return 0;
}

/* url.getScheme: the length of "scheme:" (0 when there is none), or -1 for a leading ':'. */
static ptrdiff_t scheme_len(text u)
{
    for (size_t i = 0; i < u.n; i++) {
        unsigned char c = (unsigned char)u.s[i];
        if (isalpha(c)) continue;
        if (isdigit(c) || c == '+' || c == '-' || c == '.') {
            if (i == 0) return 0;
            continue;
        }
        if (c == ':') return i == 0 ? -1 : (ptrdiff_t)i + 1;
        return 0;
    }
    return 0;
}

/* url.parseHost's port check: after the last ':' (or after ']'), digits only. */
static int check_port(gh_bctx *bc, text u, text host)
{
    const char *start = host.s;
    size_t n = host.n;
    if (n && host.s[0] == '[') {
        const char *rb = memrchr(host.s, ']', n);
        if (!rb) return url_err(bc, u, "missing ']' in host");
        n -= (size_t)(rb + 1 - host.s);
        start = rb + 1;
    } else {
        const char *c = memrchr(host.s, ':', n);
        if (!c) return 0;
        n -= (size_t)(c - host.s);
        start = c;
    }
    bool ok = n == 0 || start[0] == ':';
    for (size_t i = 1; ok && i < n; i++) ok = isdigit((unsigned char)start[i]);
    if (ok) return 0;
    char m[128];
    snprintf(m, sizeof m, "invalid port \"%.*s\" after host", (int)(n > 64 ? 64 : n), start);
    return url_err(bc, u, m);
}

static int url_parse(gh_bctx *bc, text u, url_parts *p)
{
    for (size_t i = 0; i < u.n; i++)
        if ((unsigned char)u.s[i] < 0x20 || u.s[i] == 0x7f)
            return url_err(bc, u, "net/url: invalid control character in URL");
    text rest = u;
    const char *hash = memchr(rest.s, '#', rest.n);
    if (hash) rest.n = (size_t)(hash - rest.s);
    ptrdiff_t sl = scheme_len(rest);
    if (sl < 0) return url_err(bc, u, "missing protocol scheme");
    rest.s += sl;
    rest.n -= (size_t)sl;
    memset(p, 0, sizeof *p);
    p->host.s = p->path.s = p->query.s = "";
    const char *q = memchr(rest.s, '?', rest.n);
    if (q) {
        p->query = (text){q + 1, rest.n - (size_t)(q + 1 - rest.s)};
        rest.n = (size_t)(q - rest.s);
    }
    if (!(rest.n && rest.s[0] == '/')) {
        if (sl) return 0; /* opaque: no host, no path */
        const char *colon = memchr(rest.s, ':', rest.n), *slash = memchr(rest.s, '/', rest.n);
        if (colon && (!slash || colon < slash))
            return url_err(bc, u, "first path segment in URL cannot contain colon");
    }
    if ((sl || !(rest.n >= 3 && memcmp(rest.s, "///", 3) == 0)) && rest.n >= 2 &&
        memcmp(rest.s, "//", 2) == 0) {
        text auth = {rest.s + 2, rest.n - 2};
        const char *slash = memchr(auth.s, '/', auth.n);
        if (slash) auth.n = (size_t)(slash - auth.s);
        rest = (text){auth.s + auth.n, rest.n - 2 - auth.n};
        const char *at = memrchr(auth.s, '@', auth.n);
        p->host = at ? (text){at + 1, auth.n - (size_t)(at + 1 - auth.s)} : auth;
        int rc = check_port(bc, u, p->host);
        if (rc) return rc;
    }
    return escaped_path(bc, u, rest, &p->path);
}

/* ---- the signature ---- */

static void hex(const unsigned char *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static void sha256_hex(const char *s, size_t n, char out[65])
{
    unsigned char d[32];
    unsigned dl = 0;
    EVP_Digest(s, n, d, &dl, EVP_sha256(), NULL);
    hex(d, 32, out);
}

/* key = HMAC-SHA256(key, msg); key is 32 bytes after the first round. */
static bool mac(unsigned char *key, size_t kn, const char *msg, size_t n, unsigned char out[32])
{
    unsigned ol = 0;
    return HMAC(EVP_sha256(), kn ? key : (unsigned char *)"", (int)kn, (const unsigned char *)msg,
                n, out, &ol) != NULL;
}

typedef struct header {
    text key, val; /* key lowercased for signing, as given for the result */
} header;

typedef struct signer {
    url_parts url;
    text method, service, access, secret, region, token, body;
    bool unsigned_payload;
    header *sign;     /* headers to sign, keys lowercased, unique */
    size_t nsign;
    header aws[4];    /* host, x-amz-date, x-amz-content-sha256, x-amz-security-token */
    size_t naws;
    char date[16], stamp[32], payload[65]; /* 20060102, 20060102T150405Z */
} signer;

/* Sets key to val in list (replacing an equal key). */
static void hdr_put(header *list, size_t *n, text key, text val)
{
    for (size_t i = 0; i < *n; i++)
        if (list[i].key.n == key.n && memcmp(list[i].key.s, key.s, key.n) == 0) {
            list[i].val = val;
            return;
        }
    list[(*n)++] = (header){key, val};
}

static int cmp_header(const void *a, const void *b)
{
    const header *x = a, *y = b;
    size_t n = x->key.n < y->key.n ? x->key.n : y->key.n;
    int c = memcmp(x->key.s, y->key.s, n);
    return c ? c : (x->key.n > y->key.n) - (x->key.n < y->key.n);
}

static void format_time(signer *sg, int64_t ns)
{
    int64_t secs = ns / 1000000000 - (ns % 1000000000 < 0);
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(sg->date, sizeof sg->date, "%Y%m%d", &tm);
    strftime(sg->stamp, sizeof sg->stamp, "%Y%m%dT%H%M%SZ", &tm);
}

/* The AWS headers, then the request's (lowercased, ignored ones left out). */
static int collect_headers(gh_bctx *bc, signer *sg, const gh_value *hdrs)
{
    size_t n = hdrs ? gh_value_len(hdrs) : 0;
    sg->sign = (header *)bi_bytes(bc, (n + 4) * sizeof(header));
    if (!sg->sign) return BI_NOMEM;
    for (size_t i = 0; i < sg->naws; i++) hdr_put(sg->sign, &sg->nsign, sg->aws[i].key, sg->aws[i].val);
    for (size_t i = 0; i < n; i++) {
        text k = {"", 0}, v = {"", 0};
        const char *s = gh_string_ptr(gh_object_key_at(hdrs, i), &k.n);
        k.s = s ? s : "";
        if (!s) k.n = 0;
        s = gh_string_ptr(gh_object_value_at(hdrs, i), &v.n);
        v.s = s ? s : "";
        if (!s) v.n = 0;
        char *low = bi_bytes(bc, k.n + 1);
        if (!low) return BI_NOMEM;
        for (size_t j = 0; j < k.n; j++) low[j] = (char)tolower((unsigned char)k.s[j]);
        text lk = {low, k.n};
        if (!in_list(lk, ignored_headers, NKEYS(ignored_headers))) hdr_put(sg->sign, &sg->nsign, lk, v);
    }
    qsort(sg->sign, sg->nsign, sizeof *sg->sign, cmp_header);
    return 0;
}

static int put(gh_buf *b, text t)
{
    return gh_buf_append(b, t.s, t.n);
}

/* The canonical request, then its SHA-256 in hex; the signed header list goes in *list. */
static int canonical_hash(signer *sg, gh_buf *b, char out[65], gh_buf *list)
{
    int rc = put(b, sg->method) | gh_buf_putc(b, '\n') | put(b, sg->url.path) |
             gh_buf_putc(b, '\n') | put(b, sg->url.query) | gh_buf_putc(b, '\n');
    for (size_t i = 0; i < sg->nsign; i++) {
        rc |= put(b, sg->sign[i].key) | gh_buf_putc(b, ':') | put(b, sg->sign[i].val) |
              gh_buf_putc(b, '\n');
        rc |= (i ? gh_buf_putc(list, ';') : 0) | put(list, sg->sign[i].key);
    }
    rc |= gh_buf_putc(b, '\n') | gh_buf_append(list, "", 0);
    rc |= gh_buf_append(b, list->data ? list->data : "", list->len) | gh_buf_putc(b, '\n') |
          gh_buf_puts(b, sg->payload);
    if (rc) return GH_ENOMEM;
    sha256_hex(b->data, b->len, out);
    return 0;
}

/* The Authorization header's value, in arena text. */
static int authorization(gh_bctx *bc, signer *sg, text *out)
{
    gh_buf b, list;
    gh_buf_init(&b, 0);
    gh_buf_init(&list, 0);
    char creq[65], sig[65];
    int rc = canonical_hash(sg, &b, creq, &list);
    gh_buf_clear(&b);
    rc |= gh_buf_printf(&b, "AWS4-HMAC-SHA256\n%s\n%s/%.*s/%.*s/aws4_request\n%s", sg->stamp,
                        sg->date, (int)sg->region.n, sg->region.s, (int)sg->service.n,
                        sg->service.s, creq);
    unsigned char *k = (unsigned char *)bi_bytes(bc, sg->secret.n + 4);
    unsigned char key[32];
    bool ok = !rc && k;
    if (ok) {
        memcpy(k, "AWS4", 4);
        memcpy(k + 4, sg->secret.s, sg->secret.n);
        ok = mac(k, sg->secret.n + 4, sg->date, 8, key) &&
             mac(key, 32, sg->region.s, sg->region.n, key) &&
             mac(key, 32, sg->service.s, sg->service.n, key) &&
             mac(key, 32, "aws4_request", 12, key) && mac(key, 32, b.data, b.len, key);
    }
    if (ok) {
        hex(key, 32, sig);
        gh_buf_clear(&b);
        ok = gh_buf_printf(&b, "AWS4-HMAC-SHA256 Credential=%.*s/%s/%.*s/%.*s/aws4_request,"
                               "SignedHeaders=%.*s,Signature=%s",
                           (int)sg->access.n, sg->access.s, sg->date, (int)sg->region.n,
                           sg->region.s, (int)sg->service.n, sg->service.s, (int)list.len,
                           list.data ? list.data : "", sig) == 0;
    }
    char *t = ok ? bi_bytes(bc, b.len + 1) : NULL;
    if (t) memcpy(t, b.data, b.len);
    *out = (text){t, b.len};
    gh_buf_free(&b);
    gh_buf_free(&list);
    return t ? 0 : GH_ENOMEM;
}

/* ---- the builtin ---- */

/* The payload: raw_body's text, else body as json.marshal writes it, else "". */
static int body_bytes(gh_bctx *bc, const gh_value *req, text *out)
{
    const gh_value *raw = gh_object_get_str(req, "raw_body", 8);
    const gh_value *body = gh_object_get_str(req, "body", 4);
    *out = (text){"", 0};
    if (raw) *out = member(req, "raw_body");
    if (raw || !body) return 0;
    const gh_builtin *m = gh_builtin_lookup("json.marshal", 12);
    const gh_value *js = NULL;
    const gh_value *args[1] = {body};
    int rc = m ? m->fn(bc, args, &js) : GH_EINTERNAL;
    if (rc) return rc;
    out->s = gh_string_ptr(js, &out->n);
    return 0;
}

static int aws_headers(gh_bctx *bc, signer *sg)
{
    char *h = bi_bytes(bc, 65);
    if (!h) return BI_NOMEM;
    if (sg->unsigned_payload) strcpy(h, "UNSIGNED-PAYLOAD");
    else sha256_hex(sg->body.s, sg->body.n, h);
    strcpy(sg->payload, h);
    char *stamp = bi_bytes(bc, sizeof sg->stamp);
    if (!stamp) return BI_NOMEM;
    strcpy(stamp, sg->stamp);
    sg->aws[sg->naws++] = (header){{"host", 4}, sg->url.host};
    sg->aws[sg->naws++] = (header){{"x-amz-date", 10}, {stamp, strlen(stamp)}};
    if (text_is(sg->service, "s3") || text_is(sg->service, "glacier"))
        sg->aws[sg->naws++] = (header){{"x-amz-content-sha256", 20}, {h, strlen(h)}};
    if (sg->token.n) sg->aws[sg->naws++] = (header){{"x-amz-security-token", 20}, sg->token};
    return 0;
}

/* The result's headers: the request's (keys as given), Authorization, the AWS ones. */
static const gh_value *result_headers(gh_bctx *bc, signer *sg, const gh_value *hdrs, text auth)
{
    size_t n = hdrs ? gh_value_len(hdrs) : 0, m = 0;
    header *list = (header *)bi_bytes(bc, (n + 5) * sizeof(header));
    const gh_value **ks = bi_ptrs(bc, n + 5), **vs = bi_ptrs(bc, n + 5);
    if (!list || !ks || !vs) return NULL;
    for (size_t i = 0; i < n; i++) {
        text k, v;
        k.s = gh_string_ptr(gh_object_key_at(hdrs, i), &k.n);
        v.s = gh_string_ptr(gh_object_value_at(hdrs, i), &v.n);
        if (!k.s) k = (text){"", 0};
        if (!v.s) v = (text){"", 0};
        hdr_put(list, &m, k, v);
    }
    hdr_put(list, &m, (text){"Authorization", 13}, auth);
    for (size_t i = 0; i < sg->naws; i++) hdr_put(list, &m, sg->aws[i].key, sg->aws[i].val);
    for (size_t i = 0; i < m; i++)
        if (!(ks[i] = bi_str(bc, list[i].key.s, list[i].key.n)) ||
            !(vs[i] = bi_str(bc, list[i].val.s, list[i].val.n)))
            return NULL;
    const gh_value *obj = NULL;
    return gh_value_object(bc->arena, ks, vs, m, &obj, NULL) == 0 ? obj : NULL;
}

/* The request with its headers replaced by the signed ones. */
static int signed_request(gh_bctx *bc, const gh_value *req, const gh_value *hdrs, const gh_value **out)
{
    size_t n = gh_value_len(req), m = 0;
    const gh_value **ks = bi_ptrs(bc, n + 1), **vs = bi_ptrs(bc, n + 1);
    if (!ks || !vs) return BI_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const gh_value *k = gh_object_key_at(req, i);
        size_t kn;
        const char *s = gh_string_ptr(k, &kn);
        if (s && kn == 7 && memcmp(s, "headers", 7) == 0) continue;
        ks[m] = k;
        vs[m++] = gh_object_value_at(req, i);
    }
    ks[m] = bi_str(bc, "headers", 7);
    vs[m++] = hdrs;
    if (!ks[m - 1]) return BI_NOMEM;
    int rc = gh_value_object(bc->arena, ks, vs, m, out, NULL);
    return rc == GH_EINVAL ? GH_EINTERNAL : rc;
}

/* Reads the request and config into sg, after the checks providers.go makes first. */
static int prepare(gh_bctx *bc, const gh_value *const *args, signer *sg, const gh_value **hdrs)
{
    const gh_value *req = args[0], *cfg = args[1];
    if (!bi_is(req, GH_KIND_OBJECT)) return bi_type_err(bc, NAME, 1, req, "object");
    if (!bi_is(cfg, GH_KIND_OBJECT)) return bi_type_err(bc, NAME, 1, cfg, "object");
    int rc = check_config(bc, cfg);
    int64_t ns = 0;
    if (!rc) rc = time_arg(bc, args[2], &ns);
    if (!rc) rc = check_request(bc, req);
    if (rc) return rc;
    memset(sg, 0, sizeof *sg);
    *hdrs = gh_object_get_str(req, "headers", 7);
    if (*hdrs && !bi_is(*hdrs, GH_KIND_OBJECT)) return bi_type_err(bc, NAME, 0, *hdrs, "object");
    text u = member(req, "url");
    if ((rc = url_parse(bc, u, &sg->url)) || (rc = body_bytes(bc, req, &sg->body))) return rc;
    const gh_value *dps = gh_object_get_str(cfg, "disable_payload_signing", 23);
    if (dps && !bi_is(dps, GH_KIND_BOOL))
        return bi_operand_err(bc, NAME, 2, "invalid value for 'disable_payload_signing' in AWS config");
    sg->unsigned_payload = dps && gh_value_get_bool(dps);
    sg->method = member(req, "method");
    sg->service = member(cfg, "aws_service");
    sg->access = member(cfg, "aws_access_key");
    sg->secret = member(cfg, "aws_secret_access_key");
    sg->region = member(cfg, "aws_region");
    sg->token = member(cfg, "aws_session_token");
    format_time(sg, ns);
    return 0;
}

static int bi_sign_req(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    signer sg;
    const gh_value *hdrs = NULL;
    text auth;
    int rc = prepare(bc, args, &sg, &hdrs);
    if (!rc) rc = aws_headers(bc, &sg);
    if (!rc) rc = collect_headers(bc, &sg, hdrs);
    if (!rc) rc = authorization(bc, &sg, &auth);
    if (rc) return rc;
    const gh_value *h = result_headers(bc, &sg, hdrs, auth);
    return h ? signed_request(bc, args[0], h, out) : BI_NOMEM;
}

static const gh_builtin table[] = {
    BI_FN("providers.aws.sign_req", 3,
          "(object[string: any], object[string: any], number) => object[any: any]", bi_sign_req),
};
BI_FAMILY(aws, table);
