/* http.send over libcurl, with OPA's request object, response shape, errors and caches.
 * Blocking: the call runs on the evaluating thread.
 * libcurl is loaded with dlopen on the first call: linking it would pull its whole
 * dependency tree (TLS stacks, LDAP, SSH...) into every process start, and most policies
 * never send a request.
 *
 * Intra-query cache: the same request in one evaluation is sent once (the evaluation's
 * memo holds the answer), as OPA.
 *
 * Inter-query cache (OPA's inter_query_builtin_cache, storage in http_cache.c): requests
 * with `cache: true` or `force_cache: true` consult a process-wide cache shared by every
 * evaluator and thread, keyed by the request object's canonical JSON (minus
 * cache_ignored_headers' headers, as the intra-query key). As OPA's v1/topdown/http.go:
 *  - stored: responses with a cacheable status (200 203 204 206 300 301 404 405 410 414
 *    501) unless Cache-Control has no-store (force_cache stores anyway); what is stored is
 *    the raw response (status, body, headers), decoded again on each hit;
 *  - fresh, at the evaluation's time (bc->now_ns, OPA's bctx.Time) and only with a Date
 *    header: age = now - Date must be below force_cache_duration_seconds (force_cache),
 *    else below Cache-Control max-age, else below Expires - Date; a Date in the future
 *    or none is stale;
 *  - a stale entry is dropped; when it had an ETag or Last-Modified the request is sent
 *    with If-None-Match / If-Modified-Since: 304 answers with the stored response whose
 *    headers the 304's replace (stored again, expiry from the 304's headers), 200 answers
 *    and is stored, anything else is sent again without validators; without validators the
 *    request is simply sent;
 *  - force_cache needs force_cache_duration_seconds (an int32), as OPA's errors say;
 *    caching_mode "serialized" / "deserialized" behave the same here (entries are owned
 *    copies either way); any other caching_mode leaves the response out of the cache;
 *  - bounded to 64 MiB (bi_hcache_configure), expired entries evicted first, then the
 *    oldest inserted. The cache's mutex is never held during a network call.
 * Not yet here: `tls_server_name`, unix sockets. */
#include "builtins/bi_internal.h"

#include <ctype.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include "gatehouse/yaml.h"

#define HTTP_DEFAULT_TIMEOUT_MS 5000
#define HTTP_MAX_BODY           (64u * 1024 * 1024) /* larger responses are an error */
#define HTTP_MAX_HEADERS        256

static const char *const allowed_keys[] = {
    "body", "cache", "cache_ignored_headers", "caching_mode", "enable_redirect",
    "force_cache", "force_cache_duration_seconds", "force_json_decode", "force_yaml_decode",
    "headers", "max_retry_attempts", "method", "raise_error", "raw_body", "timeout",
    "tls_ca_cert", "tls_ca_cert_env_variable", "tls_ca_cert_file", "tls_client_cert",
    "tls_client_cert_env_variable", "tls_client_cert_file", "tls_client_key",
    "tls_client_key_env_variable", "tls_client_key_file", "tls_insecure_skip_verify",
    "tls_server_name", "tls_use_system_certs", "url",
};

/* The keys whose value must be a string when present. */
static const char *const string_keys[] = {
    "method", "url", "raw_body", "tls_ca_cert", "tls_ca_cert_file", "tls_ca_cert_env_variable",
    "tls_client_cert", "tls_client_cert_file", "tls_client_cert_env_variable", "tls_client_key",
    "tls_client_key_file", "tls_client_key_env_variable", "tls_server_name",
};

/* The libcurl entry points http.send uses, found at run time. */
static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    bool ok;
} curl;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

#define CURL_SYM(field, name) (*(void **)&curl.field = dlsym(lib, name)) != NULL

static void curl_load(void)
{
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return;
    curl.ok = CURL_SYM(global_init, "curl_global_init") && CURL_SYM(easy_init, "curl_easy_init") &&
              CURL_SYM(easy_setopt, "curl_easy_setopt") &&
              CURL_SYM(easy_perform, "curl_easy_perform") &&
              CURL_SYM(easy_getinfo, "curl_easy_getinfo") &&
              CURL_SYM(easy_cleanup, "curl_easy_cleanup") &&
              CURL_SYM(easy_strerror, "curl_easy_strerror") &&
              CURL_SYM(slist_append, "curl_slist_append") &&
              CURL_SYM(slist_free_all, "curl_slist_free_all");
    if (curl.ok) curl.ok = curl.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

/* ---- the request object ---- */

static bool key_in(const char *k, size_t n, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(list[i]) == n && memcmp(list[i], k, n) == 0) return true;
    return false;
}

/* Rego text of v for messages (bi_rego_text needs a length pointer). */
static const char *rego_text(gh_bctx *bc, const gh_value *v)
{
    size_t n;
    const char *t = bi_rego_text(bc, v, &n);
    return t ? t : "?";
}

/* "invalid request parameters(s): {"a", "b"}" or the missing-keys twin: OPA's operand
 * errors (eval_type_error), the keys as a Rego set. */
static int report_keys(gh_bctx *bc, const char *what, const gh_value **keys, size_t n)
{
    const gh_value *set = gh_value_set(bc->arena, keys, n);
    size_t len;
    const char *text = set ? bi_rego_text(bc, set, &len) : NULL;
    if (!text) return BI_NOMEM;
    return gh_builtin_error(bc, "eval_type_error", "http.send: operand 1 %s request parameters(s): %s",
                            what, text);
}

static int validate_keys(gh_bctx *bc, const gh_value *req)
{
    size_t n = gh_value_len(req), bad = 0;
    const gh_value **list = bi_ptrs(bc, n + 2);
    if (!list) return BI_NOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t kn;
        const gh_value *k = gh_object_key_at(req, i);
        const char *ks = gh_string_ptr(k, &kn);
        if (!ks || !key_in(ks, kn, allowed_keys, sizeof allowed_keys / sizeof *allowed_keys))
            list[bad++] = k;
    }
    if (bad) return report_keys(bc, "invalid", list, bad);
    static const char *const required[] = {"method", "url"};
    for (size_t i = 0; i < 2; i++)
        if (!gh_object_get_str(req, required[i], strlen(required[i])))
            list[bad++] = bi_str(bc, required[i], strlen(required[i]));
    return bad ? report_keys(bc, "missing required", list, bad) : 0;
}

typedef struct http_req {
    char method[16];
    const char *url;
    const char *body; /* raw_body, or body marshalled as JSON */
    size_t body_len;
    bool has_body;
    struct curl_slist *headers;
    bool has_ua, has_ctype;
    long timeout_ms;
    long retries;
    bool redirect, insecure, json_decode, yaml_decode;
    const char *ca_pem, *ca_file, *cert_pem, *key_pem, *cert_file, *key_file;
} http_req;

/* A message for an eval_builtin_error, "http.send: " prefixed by the caller. */
typedef struct http_err {
    char msg[400];
    bool network; /* a transport error (eval_http_send_network_error when not raised) */
} http_err;

static const char *str_field(const gh_value *req, const char *key)
{
    const gh_value *v = gh_object_get_str(req, key, strlen(key));
    return v ? gh_string_ptr(v, NULL) : NULL;
}

/* A boolean field; absent is false. -1 when present but not a boolean. */
static int bool_field(const gh_value *req, const char *key)
{
    const gh_value *v = gh_object_get_str(req, key, strlen(key));
    if (!v) return 0;
    if (!bi_is(v, GH_KIND_BOOL)) return -1;
    return gh_value_get_bool(v);
}

/* Go's time.ParseDuration for the forms policies use ("5s", "1.5s", "300ms", "1m30s"). */
static bool parse_go_duration(const char *s, double *ns)
{
    static const struct { const char *u; double mul; } units[] = {
        {"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
    };
    double total = 0;
    if (!*s) return false;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s) return false;
        s = end;
        size_t best = 0, blen = 0;
        for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
            size_t l = strlen(units[i].u);
            if (strncmp(s, units[i].u, l) == 0 && l > blen) best = i, blen = l;
        }
        if (!blen) return false;
        total += v * units[best].mul;
        s += blen;
    }
    *ns = total;
    return true;
}

static int parse_timeout(gh_bctx *bc, const gh_value *v, long *ms, http_err *e)
{
    double ns;
    if (bi_is(v, GH_KIND_NUMBER)) {
        int64_t i;
        if (!gh_number_get_int(v, &i)) {
            snprintf(e->msg, sizeof e->msg, "invalid timeout number value %s, must be int64",
                     rego_text(bc, v));
            return -1;
        }
        ns = (double)i;
    } else if (bi_is(v, GH_KIND_STRING)) {
        const char *s = gh_string_ptr(v, NULL);
        char *end;
        long long i = strtoll(s, &end, 10);
        if (*s && !*end) ns = (double)i;
        else if (!parse_go_duration(s, &ns)) {
            snprintf(e->msg, sizeof e->msg, "invalid timeout value \"%s\": time: invalid duration",
                     s);
            return -1;
        }
    } else {
        return bi_operand_err(bc, "http.send", 1, "'timeout' must be one of {string, number}");
    }
    /* 0 means no timeout in Go; curl's 0 means the same. */
    *ms = ns <= 0 ? 0 : (long)(ns / 1e6) + (ns > 0 && ns < 1e6);
    return 0;
}

/* Header names in Go's canonical form ("content-type" -> "Content-Type"). */
static void canonical_header(char *dst, const char *src, size_t n)
{
    bool up = true;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        dst[i] = up ? (char)toupper((unsigned char)c) : (char)tolower((unsigned char)c);
        up = c == '-';
    }
    dst[n] = '\0';
}

static int add_headers(gh_bctx *bc, http_req *r, const gh_value *hv, http_err *e)
{
    if (!bi_is(hv, GH_KIND_OBJECT)) {
        snprintf(e->msg, sizeof e->msg, "invalid type for headers key");
        return -1;
    }
    for (size_t i = 0; i < gh_value_len(hv); i++) {
        size_t kn, vn;
        const char *k = gh_string_ptr(gh_object_key_at(hv, i), &kn);
        const char *v = gh_string_ptr(gh_object_value_at(hv, i), &vn);
        if (!k || kn > 200) continue;
        if (!v) {
            snprintf(e->msg, sizeof e->msg, "invalid type for headers value %s",
                     rego_text(bc, gh_object_value_at(hv, i)));
            return -1;
        }
        char *line = bi_bytes(bc, kn + vn + 4);
        if (!line) return BI_NOMEM;
        canonical_header(line, k, kn);
        r->has_ua |= strcmp(line, "User-Agent") == 0;
        r->has_ctype |= strcmp(line, "Content-Type") == 0;
        /* "Name;" is curl's way to send a header with an empty value */
        if (vn) snprintf(line + kn, vn + 3, ": %s", v);
        else snprintf(line + kn, 2, ";");
        struct curl_slist *l = curl.slist_append(r->headers, line);
        if (!l) return BI_NOMEM;
        r->headers = l;
    }
    return 0;
}

static const char *env_field(const gh_value *req, const char *key)
{
    const char *name = str_field(req, key);
    return name && *name ? getenv(name) : NULL;
}

/* PEM given inline with literal "\n" sequences (as OPA accepts) made real newlines. */
static const char *unescape_pem(gh_bctx *bc, const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s);
    char *o = bi_bytes(bc, n + 1), *p = o;
    if (!o) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && s[i + 1] == 'n') *p++ = '\n', i++;
        else *p++ = s[i];
    }
    *p = '\0';
    return o;
}

static int read_tls(gh_bctx *bc, http_req *r, const gh_value *req, http_err *e)
{
    int insecure = bool_field(req, "tls_insecure_skip_verify");
    if (insecure < 0) {
        snprintf(e->msg, sizeof e->msg, "strconv.ParseBool: parsing \"%s\": invalid syntax",
                 rego_text(bc, gh_object_get_str(req, "tls_insecure_skip_verify", 24)));
        return -1;
    }
    r->insecure = insecure;
    r->ca_pem = unescape_pem(bc, str_field(req, "tls_ca_cert"));
    if (!r->ca_pem) r->ca_pem = env_field(req, "tls_ca_cert_env_variable");
    r->ca_file = str_field(req, "tls_ca_cert_file");
    r->cert_pem = str_field(req, "tls_client_cert");
    r->key_pem = str_field(req, "tls_client_key");
    if (!r->cert_pem) r->cert_pem = env_field(req, "tls_client_cert_env_variable");
    if (!r->key_pem) r->key_pem = env_field(req, "tls_client_key_env_variable");
    r->cert_file = str_field(req, "tls_client_cert_file");
    r->key_file = str_field(req, "tls_client_key_file");
    const char *sni = str_field(req, "tls_server_name");
    if (sni && *sni) {
        snprintf(e->msg, sizeof e->msg, "tls_server_name is not supported by gatehouse yet");
        return -1;
    }
    return 0;
}

/* Fills r from the request object. Returns 0, -1 with e->msg (a builtin error), or a
 * negative code already reported (type errors, out of memory). */
static int read_request(gh_bctx *bc, const gh_value *req, http_req *r, http_err *e)
{
    for (size_t i = 0; i < sizeof string_keys / sizeof *string_keys; i++) {
        const gh_value *v = gh_object_get_str(req, string_keys[i], strlen(string_keys[i]));
        if (v && !bi_is(v, GH_KIND_STRING)) {
            snprintf(e->msg, sizeof e->msg, "\"%s\" must be a string", string_keys[i]);
            return -1;
        }
    }
    const char *m = str_field(req, "method");
    size_t i = 0;
    for (; m[i] && i < sizeof r->method - 1; i++) r->method[i] = (char)toupper((unsigned char)m[i]);
    r->method[i] = '\0';
    r->url = str_field(req, "url");
    r->timeout_ms = HTTP_DEFAULT_TIMEOUT_MS;
    const gh_value *tv = gh_object_get_str(req, "timeout", 7);
    int rc;
    if (tv && (rc = parse_timeout(bc, tv, &r->timeout_ms, e)) != 0) return rc;
    const gh_value *retry = gh_object_get_str(req, "max_retry_attempts", 18);
    int64_t n = 0;
    if (retry && (!gh_number_get_int(retry, &n) || n < 0)) {
        snprintf(e->msg, sizeof e->msg, "invalid value %s for field \"max_retry_attempts\"",
                 rego_text(bc, retry));
        return -1;
    }
    r->retries = (long)(n > 10 ? 10 : n);
    int redirect = bool_field(req, "enable_redirect"), jd = bool_field(req, "force_json_decode"),
        yd = bool_field(req, "force_yaml_decode");
    if (redirect < 0 || jd < 0 || yd < 0) {
        snprintf(e->msg, sizeof e->msg, "invalid value for %s field",
                 redirect < 0 ? "\"enable_redirect\"" : jd < 0 ? "\"force_json_decode\"" : "\"force_yaml_decode\"");
        return -1;
    }
    r->redirect = redirect, r->json_decode = jd, r->yaml_decode = yd;
    const char *raw = str_field(req, "raw_body");
    const gh_value *body = gh_object_get_str(req, "body", 4);
    if (raw) {
        r->body = raw, r->body_len = strlen(raw), r->has_body = true;
    } else if (body) {
        gh_buf *b = bi_scratch(bc, BI_SCRATCH_OUT); /* Go's json.Marshal escapes HTML */
        if (!b || gh_json_write(b, body, GH_JSON_ESCAPE_HTML) != 0) return BI_NOMEM;
        char *copy = bi_bytes(bc, b->len + 1);
        if (!copy) return BI_NOMEM;
        memcpy(copy, b->data, b->len + 1);
        r->body = copy, r->body_len = b->len, r->has_body = true;
    }
    const gh_value *hv = gh_object_get_str(req, "headers", 7);
    if (hv && (rc = add_headers(bc, r, hv, e)) != 0) return rc;
    return read_tls(bc, r, req, e);
}

/* ---- the exchange ---- */

typedef struct http_resp {
    long status_code;
    char status[128];  /* "200 OK", Go's resp.Status */
    gh_buf body;
    gh_buf names, values; /* header lines, NUL-separated, lower-case names */
    size_t nheaders;
} http_resp;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    http_resp *r = ud;
    return gh_buf_append(&r->body, p, size * n) == 0 ? size * n : 0;
}

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1])) (*n)--;
}

/* Status lines start a fresh set of headers (after redirects and 100-continue). */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    http_resp *r = ud;
    size_t len = size * n;
    const char *s = p;
    if (len >= 5 && memcmp(s, "HTTP/", 5) == 0) {
        gh_buf_clear(&r->names);
        gh_buf_clear(&r->values);
        r->nheaders = 0;
        const char *sp = memchr(s, ' ', len);
        size_t rest = sp ? len - (size_t)(sp + 1 - s) : 0;
        const char *st = sp ? sp + 1 : s;
        trim(&st, &rest);
        snprintf(r->status, sizeof r->status, "%.*s", (int)rest, st);
        return len;
    }
    const char *colon = memchr(s, ':', len);
    if (!colon || r->nheaders >= HTTP_MAX_HEADERS) return len;
    size_t kn = (size_t)(colon - s), vn = len - kn - 1;
    const char *v = colon + 1;
    trim(&v, &vn);
    for (size_t i = 0; i < kn; i++) gh_buf_putc(&r->names, (char)tolower((unsigned char)s[i]));
    gh_buf_putc(&r->names, '\0');
    gh_buf_append(&r->values, v, vn);
    gh_buf_putc(&r->values, '\0');
    r->nheaders++;
    return len;
}

static void set_tls(CURL *c, const http_req *r)
{
    if (r->insecure) {
        curl.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (r->ca_pem) {
        struct curl_blob b = {(void *)r->ca_pem, strlen(r->ca_pem), CURL_BLOB_COPY};
        curl.easy_setopt(c, CURLOPT_CAINFO_BLOB, &b);
    }
    if (r->ca_file) curl.easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
    if (r->cert_pem && r->key_pem) {
        struct curl_blob cb = {(void *)r->cert_pem, strlen(r->cert_pem), CURL_BLOB_COPY};
        struct curl_blob kb = {(void *)r->key_pem, strlen(r->key_pem), CURL_BLOB_COPY};
        curl.easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cb);
        curl.easy_setopt(c, CURLOPT_SSLKEY_BLOB, &kb);
    }
    if (r->cert_file && r->key_file) {
        curl.easy_setopt(c, CURLOPT_SSLCERT, r->cert_file);
        curl.easy_setopt(c, CURLOPT_SSLKEY, r->key_file);
    }
}

static CURL *make_handle(http_req *r, http_resp *resp, char *errbuf)
{
    CURL *c = curl.easy_init();
    if (!c) return NULL;
    curl.easy_setopt(c, CURLOPT_URL, r->url);
    curl.easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
    if (strcmp(r->method, "HEAD") == 0) curl.easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (r->has_body) {
        curl.easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
        curl.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    }
    curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, r->redirect ? 1L : 0L);
    curl.easy_setopt(c, CURLOPT_MAXREDIRS, 10L); /* Go's client stops after 10 too */
    curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
    curl.easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_MAX_BODY);
    curl.easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
    curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl.easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl.easy_setopt(c, CURLOPT_HEADERDATA, resp);
    curl.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    set_tls(c, r);
    return c;
}

/* Headers curl would add on its own and Go does not: removed unless the policy set them. */
static int finish_headers(http_req *r)
{
    static const char *const drop[] = {"Accept:", "Expect:"};
    for (size_t i = 0; i < 2; i++) {
        struct curl_slist *l = curl.slist_append(r->headers, drop[i]);
        if (!l) return BI_NOMEM;
        r->headers = l;
    }
    if (r->has_body && !r->has_ctype) { /* curl would say form-urlencoded */
        struct curl_slist *l = curl.slist_append(r->headers, "Content-Type:");
        if (!l) return BI_NOMEM;
        r->headers = l;
    }
    if (!r->has_ua) {
        struct curl_slist *l = curl.slist_append(r->headers, "User-Agent: gatehouse/" GH_VERSION);
        if (!l) return BI_NOMEM;
        r->headers = l;
    }
    return 0;
}

/* Go's url.Error text: `Get "http://x/": <cause>`. */
static void network_error(const http_req *r, CURLcode rc, const char *errbuf, http_err *e)
{
    char op[16];
    snprintf(op, sizeof op, "%s", r->method);
    for (size_t i = 1; op[i]; i++) op[i] = (char)tolower((unsigned char)op[i]);
    if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf(e->msg, sizeof e->msg, "%s %s: request timed out", op, r->url);
    else
        snprintf(e->msg, sizeof e->msg, "%s \"%s\": %s", op, r->url,
                 *errbuf ? errbuf : curl.easy_strerror(rc));
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Sends the request (with retries on transport errors). 0, or -1 with e->msg (a network
 * error), or BI_NOMEM. */
static int exchange(http_req *r, http_resp *resp, http_err *e)
{
    int rc = finish_headers(r);
    if (rc) return rc;
    char errbuf[CURL_ERROR_SIZE];
    for (long attempt = 0;; attempt++) {
        errbuf[0] = '\0';
        gh_buf_clear(&resp->body);
        CURL *c = make_handle(r, resp, errbuf);
        if (!c) return BI_NOMEM;
        CURLcode cc = curl.easy_perform(c);
        curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status_code);
        curl.easy_cleanup(c);
        if (cc == CURLE_OK) return 0;
        if (resp->body.failed || cc == CURLE_FILESIZE_EXCEEDED) {
            snprintf(e->msg, sizeof e->msg, "response body larger than %u MiB", HTTP_MAX_BODY >> 20);
            return -1;
        }
        if (attempt >= r->retries) {
            network_error(r, cc, errbuf, e);
            e->network = true;
            return -1;
        }
        long delay = 100L << (attempt < 9 ? attempt : 9); /* OPA: 100 ms doubling, 60 s cap */
        sleep_ms(delay > 60000 ? 60000 : delay);
    }
}

/* ---- the response object ---- */

static bool is_json_type(const char *ct)
{
    if (!ct) return false;
    size_t n = strcspn(ct, ";");
    while (n && isspace((unsigned char)ct[n - 1])) n--;
    if (n < 12 || strncasecmp(ct, "application/", 12) != 0) return false;
    const char *sub = ct + 12;
    size_t sn = n - 12;
    return (sn == 4 && strncasecmp(sub, "json", 4) == 0) ||
           (sn >= 5 && strncasecmp(sub + sn - 5, "+json", 5) == 0);
}

/* A view of a response (the one just received, or a cached one). */
static void resp_view(const http_resp *resp, bi_hresp *v)
{
    *v = (bi_hresp){
        .status_code = resp->status_code,
        .status = resp->status,
        .body = resp->body.data ? resp->body.data : "",
        .body_len = resp->body.len,
        .names = resp->names.data ? resp->names.data : "",
        .values = resp->values.data ? resp->values.data : "",
        .names_len = resp->names.len,
        .values_len = resp->values.len,
        .nheaders = resp->nheaders,
    };
}

static const char *header_value(const bi_hresp *resp, const char *name)
{
    const char *k = resp->names, *v = resp->values;
    for (size_t i = 0; i < resp->nheaders; i++) {
        if (strcmp(k, name) == 0) return v;
        k += strlen(k) + 1;
        v += strlen(v) + 1;
    }
    return NULL;
}

/* {name: [values...]} with names lower-cased, values in arrival order. */
static const gh_value *headers_object(gh_bctx *bc, const bi_hresp *resp)
{
    size_t n = resp->nheaders;
    const gh_value **keys = bi_ptrs(bc, n + 1), **vals = bi_ptrs(bc, n + 1), **items = bi_ptrs(bc, n + 1);
    if (!keys || !vals || !items) return NULL;
    const char *k = resp->names;
    size_t nk = 0;
    for (size_t i = 0; i < n; i++, k += strlen(k) + 1) {
        bool seen = false;
        for (size_t j = 0; j < nk && !seen; j++) seen = strcmp(gh_string_ptr(keys[j], NULL), k) == 0;
        if (seen) continue;
        size_t m = 0;
        const char *k2 = resp->names, *v2 = resp->values;
        for (size_t j = 0; j < n; j++, k2 += strlen(k2) + 1, v2 += strlen(v2) + 1)
            if (strcmp(k2, k) == 0) items[m++] = bi_str(bc, v2, strlen(v2));
        keys[nk] = bi_str(bc, k, strlen(k));
        vals[nk++] = gh_value_array(bc->arena, items, m);
    }
    const gh_value *out = NULL;
    if (gh_value_object(bc->arena, keys, vals, nk, &out, NULL) != 0) return NULL;
    return out;
}

static const gh_value *decode_body(gh_bctx *bc, bool json_decode, bool yaml_decode,
                                   const bi_hresp *resp)
{
    const char *ct = header_value(resp, "content-type");
    const gh_value *v = NULL;
    const char *text = resp->body;
    if (json_decode || is_json_type(ct)) {
        if (gh_json_read(bc->arena, text, resp->body_len, NULL, &v, NULL) != 0) v = NULL;
    } else if (yaml_decode ||
               (ct && (strstr(ct, "application/yaml") || strstr(ct, "application/x-yaml")))) {
        if (gh_yaml_read(bc->arena, text, resp->body_len, NULL, &v, NULL) != 0) v = NULL;
    }
    return v ? v : GH_NULL; /* undecodable bodies are null, as in OPA */
}

static const gh_value *response_object(gh_bctx *bc, bool json_decode, bool yaml_decode,
                                       const bi_hresp *resp)
{
    static const char *const names[] = {"body", "headers", "raw_body", "status", "status_code"};
    char status[160];
    if (resp->status[0]) snprintf(status, sizeof status, "%s", resp->status);
    else snprintf(status, sizeof status, "%ld", resp->status_code);
    const gh_value *vals[5] = {
        decode_body(bc, json_decode, yaml_decode, resp),
        headers_object(bc, resp),
        bi_str(bc, resp->body, resp->body_len),
        bi_str(bc, status, strlen(status)),
        bi_int(bc, resp->status_code),
    };
    const gh_value *keys[5];
    for (int i = 0; i < 5; i++) {
        keys[i] = bi_str(bc, names[i], strlen(names[i]));
        if (!keys[i] || !vals[i]) return NULL;
    }
    const gh_value *out = NULL;
    return gh_value_object(bc->arena, keys, vals, 5, &out, NULL) == 0 ? out : NULL;
}

/* {"status_code": 0, "error": {"code": ..., "message": ...}} for raise_error: false. */
static const gh_value *error_object(gh_bctx *bc, const char *code, const char *msg)
{
    const gh_value *ek[2] = {bi_str(bc, "code", 4), bi_str(bc, "message", 7)};
    const gh_value *ev[2] = {bi_str(bc, code, strlen(code)), bi_str(bc, msg, strlen(msg))};
    const gh_value *err = NULL, *out = NULL;
    if (gh_value_object(bc->arena, ek, ev, 2, &err, NULL) != 0) return NULL;
    const gh_value *k[2] = {bi_str(bc, "error", 5), bi_str(bc, "status_code", 11)};
    const gh_value *v[2] = {err, bi_int(bc, 0)};
    return gh_value_object(bc->arena, k, v, 2, &out, NULL) == 0 ? out : NULL;
}

/* ---- the builtin ---- */

/* The intra-query cache key: the request with cache_ignored_headers' headers left out. */
static const gh_value *cache_key(gh_bctx *bc, const gh_value *req)
{
    const gh_value *ign = gh_object_get_str(req, "cache_ignored_headers", 21);
    const gh_value *hv = gh_object_get_str(req, "headers", 7);
    if (!ign || !hv || !bi_is(ign, GH_KIND_ARRAY) || !bi_is(hv, GH_KIND_OBJECT)) return req;
    size_t n = gh_value_len(hv), m = 0;
    const gh_value **k = bi_ptrs(bc, n + 1), **v = bi_ptrs(bc, n + 1);
    if (!k || !v) return NULL;
    for (size_t i = 0; i < n; i++) {
        bool drop = false;
        for (size_t j = 0; j < gh_value_len(ign) && !drop; j++)
            drop = gh_value_equal(gh_array_get(ign, j), gh_object_key_at(hv, i));
        if (!drop) k[m] = gh_object_key_at(hv, i), v[m++] = gh_object_value_at(hv, i);
    }
    const gh_value *headers = NULL;
    if (gh_value_object(bc->arena, k, v, m, &headers, NULL) != 0) return NULL;
    size_t rn = gh_value_len(req);
    const gh_value **rk = bi_ptrs(bc, rn + 1), **rv = bi_ptrs(bc, rn + 1);
    if (!rk || !rv) return NULL;
    for (size_t i = 0; i < rn; i++) {
        rk[i] = gh_object_key_at(req, i);
        size_t kn;
        const char *ks = gh_string_ptr(rk[i], &kn);
        rv[i] = ks && kn == 7 && memcmp(ks, "headers", 7) == 0 ? headers
                : ks && kn == 21 && memcmp(ks, "cache_ignored_headers", 21) == 0 ? GH_NULL
                                                                                 : gh_object_value_at(req, i);
    }
    const gh_value *key = NULL;
    return gh_value_object(bc->arena, rk, rv, rn, &key, NULL) == 0 ? key : NULL;
}

static bool cacheable_status(long code)
{
    static const long codes[] = {200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (codes[i] == code) return true;
    return false;
}

/* ---- the inter-query cache (storage in http_cache.c) ---- */

/* The request's cache settings. */
typedef struct icache {
    bool on;          /* cache or force_cache: the inter-query cache is consulted */
    bool force;       /* OPA's forceCaching: force_cache with a duration > 0 */
    int64_t force_s;  /* force_cache_duration_seconds */
    bool mode_ok;     /* caching_mode absent, "serialized" or "deserialized" */
    const char *key;  /* the key's canonical JSON, in the arena */
    size_t key_len;
} icache;

/* OPA's useInterQueryCache: 0, or -1 with e->msg. */
static int read_cache_params(gh_bctx *bc, const gh_value *req, icache *ic, http_err *e)
{
    int cache = bool_field(req, "cache"), force = bool_field(req, "force_cache");
    if (cache < 0 || force < 0) {
        snprintf(e->msg, sizeof e->msg, "invalid value for \"%s\" field",
                 cache < 0 ? "cache" : "force_cache");
        return -1;
    }
    ic->on = cache || force;
    if (force) {
        const gh_value *d = gh_object_get_str(req, "force_cache_duration_seconds", 28);
        if (!d) {
            snprintf(e->msg, sizeof e->msg,
                     "'force_cache' set but 'force_cache_duration_seconds' parameter is missing");
            return -1;
        }
        /* Go: strconv.ParseInt(term.String(), 10, 32) */
        int64_t secs;
        if (!bi_is(d, GH_KIND_NUMBER) || !gh_number_get_int(d, &secs) || secs < INT32_MIN ||
            secs > INT32_MAX) {
            const char *t = rego_text(bc, d);
            bool range = bi_is(d, GH_KIND_NUMBER) && strspn(t, "-0123456789") == strlen(t);
            gh_buf *b = bi_scratch(bc, BI_SCRATCH_TMP);
            if (!b || gh_json_write(b, bi_str(bc, t, strlen(t)), 0) != 0) return BI_NOMEM;
            snprintf(e->msg, sizeof e->msg, "strconv.ParseInt: parsing %s: %s", b->data,
                     range ? "value out of range" : "invalid syntax");
            return -1;
        }
        ic->force = secs > 0;
        ic->force_s = secs;
    }
    const gh_value *mode = gh_object_get_str(req, "caching_mode", 12);
    const char *ms = mode ? gh_string_ptr(mode, NULL) : NULL;
    ic->mode_ok = !mode || (ms && (strcmp(ms, "serialized") == 0 || strcmp(ms, "deserialized") == 0));
    return 0;
}

/* Go's http.ParseTime (RFC 1123 with GMT, RFC 850, ANSI C) as seconds since the epoch. */
static bool parse_http_time(const char *s, int64_t *out)
{
    static const char *const layouts[] = {
        "%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"};
    if (!s) return false;
    for (size_t i = 0; i < 3; i++) {
        struct tm tm = {0};
        const char *end = strptime(s, layouts[i], &tm);
        if (end && !*end) {
            *out = (int64_t)timegm(&tm);
            return true;
        }
    }
    return false;
}

/* What OPA's parseResponseHeaders reads from a response. */
typedef struct cache_headers {
    bool has_date, has_expires, no_store;
    int64_t date_s, expires_s;
    int64_t max_age;          /* -1 = none */
    bool max_age_bad;         /* max-age that is not a number: parse error */
    char max_age_text[64];
    const char *etag, *last_modified;
} cache_headers;

/* Go's parseCacheControlHeader over the first Cache-Control value. */
static void read_cache_control(const char *cc, cache_headers *h)
{
    h->max_age = -1;
    while (cc && *cc) {
        size_t n = strcspn(cc, ",");
        const char *p = cc;
        cc += n + (cc[n] == ',');
        while (n && *p == ' ') p++, n--;
        while (n && p[n - 1] == ' ') n--;
        if (!n) continue;
        const char *eq = memchr(p, '=', n);
        if (!eq) {
            if (n == 8 && memcmp(p, "no-store", 8) == 0) h->no_store = true;
            continue;
        }
        if (memchr(eq + 1, '=', n - (size_t)(eq + 1 - p))) continue; /* a=b=c: skipped */
        size_t kn = (size_t)(eq - p);
        while (kn && p[kn - 1] == ' ') kn--;
        if (kn == 8 && memcmp(p, "no-store", 8) == 0) h->no_store = true;
        if (kn != 7 || memcmp(p, "max-age", 7) != 0) continue;
        const char *v = eq + 1;
        size_t vn = n - (size_t)(v - p);
        /* ParseUint(v, 10, 32): too large is MaxInt32, anything else not digits an error */
        bool digits = vn > 0 && strspn(v, "0123456789") >= vn;
        h->max_age_bad = !digits;
        snprintf(h->max_age_text, sizeof h->max_age_text, "%.*s", (int)(vn < 60 ? vn : 60), v);
        if (!digits) {
            h->max_age = -1;
            continue;
        }
        int64_t x = 0;
        for (size_t i = 0; i < vn && x <= INT32_MAX; i++) x = x * 10 + (v[i] - '0');
        h->max_age = x > INT32_MAX ? INT32_MAX : x;
    }
}

static void read_cache_headers(const bi_hresp *r, cache_headers *h)
{
    *h = (cache_headers){.max_age = -1};
    read_cache_control(header_value(r, "cache-control"), h);
    h->has_date = parse_http_time(header_value(r, "date"), &h->date_s);
    h->has_expires = parse_http_time(header_value(r, "expires"), &h->expires_s);
    h->etag = header_value(r, "etag");
    h->last_modified = header_value(r, "last-modified");
    if (h->etag && !*h->etag) h->etag = NULL;
    if (h->last_modified && !*h->last_modified) h->last_modified = NULL;
}

#define NS_PER_S 1000000000LL

static int64_t clamp_ns(__int128 x)
{
    return x > INT64_MAX ? INT64_MAX : x < INT64_MIN ? INT64_MIN : (int64_t)x;
}

/* OPA's expiryFromHeaders: the time the response goes stale. false (e->msg) when max-age
 * is set but unusable (no or a bad Date header, a max-age that is not a number). */
static bool expiry_from_headers(const bi_hresp *r, int64_t *expires_ns, http_err *e)
{
    cache_headers h;
    read_cache_headers(r, &h);
    if (h.max_age_bad) {
        snprintf(e->msg, sizeof e->msg, "strconv.ParseUint: parsing \"%s\": invalid syntax",
                 h.max_age_text);
        return false;
    }
    if (h.max_age != -1) {
        if (!h.has_date) {
            const char *d = header_value(r, "date");
            if (!d || !*d) snprintf(e->msg, sizeof e->msg, "no date header");
            else snprintf(e->msg, sizeof e->msg, "parsing time \"%.200s\": invalid Date header", d);
            return false;
        }
        *expires_ns = clamp_ns(((__int128)h.date_s + h.max_age) * NS_PER_S);
    } else {
        *expires_ns = h.has_expires ? clamp_ns((__int128)h.expires_s * NS_PER_S) : INT64_MIN;
    }
    return true;
}

/* OPA's isCachedResponseFresh, at the evaluation's time. */
static bool response_fresh(const gh_bctx *bc, const bi_hresp *r, const icache *ic)
{
    cache_headers h;
    read_cache_headers(r, &h);
    if (!h.has_date) return false;
    __int128 age = (__int128)bc->now_ns - (__int128)h.date_s * NS_PER_S;
    if (age < 0) return false; /* a Date in the future: stale */
    if (ic->force) return (__int128)ic->force_s * NS_PER_S > age;
    if (h.max_age != -1) return (__int128)h.max_age * NS_PER_S > age;
    if (!h.has_expires) return false;
    return ((__int128)h.expires_s - h.date_s) * NS_PER_S > age;
}

/* OPA's insertIntoHTTPSendInterQueryCache: stores r when its status is cacheable and it
 * may be stored (no-store is honoured unless forced). Failures leave the cache as it was
 * (OPA ignores them too: the intra-query cache still has the answer). */
static void cache_store(gh_bctx *bc, const icache *ic, const bi_hresp *r)
{
    if (!ic->on || !ic->mode_ok || !cacheable_status(r->status_code)) return;
    cache_headers h;
    read_cache_headers(r, &h);
    if (!ic->force && h.no_store) return;
    int64_t expires;
    http_err e;
    if (ic->force) expires = clamp_ns((__int128)bc->now_ns + (__int128)ic->force_s * NS_PER_S);
    else if (!expiry_from_headers(r, &expires, &e)) return;
    (void)bi_hcache_put(ic->key, ic->key_len, r, expires, bc->now_ns);
}

/* The cached response copied into the arena (to outlive the cache's reference). */
static bool copy_resp(gh_bctx *bc, const bi_hresp *src, bi_hresp *dst)
{
    char *st = bi_bytes(bc, strlen(src->status) + 1), *b = bi_bytes(bc, src->body_len + 1),
         *n = bi_bytes(bc, src->names_len + 1), *v = bi_bytes(bc, src->values_len + 1);
    if (!st || !b || !n || !v) return false;
    *dst = *src;
    dst->status = memcpy(st, src->status, strlen(src->status) + 1);
    dst->body = memcpy(b, src->body, src->body_len + 1);
    dst->names = memcpy(n, src->names, src->names_len + 1);
    dst->values = memcpy(v, src->values, src->values_len + 1);
    return true;
}

static bool has_header_name(const bi_hresp *r, const char *name)
{
    return header_value(r, name) != NULL;
}

/* The cached response with every header the 304 carries replaced by the 304's values (Go:
 * Del then Add per name); into the arena. */
static bool merge_headers(gh_bctx *bc, const bi_hresp *cached, const bi_hresp *fresh,
                          bi_hresp *out)
{
    size_t nn = cached->names_len + fresh->names_len + 1,
           vn = cached->values_len + fresh->values_len + 1;
    char *names = bi_bytes(bc, nn), *values = bi_bytes(bc, vn);
    if (!names || !values) return false;
    *out = *cached;
    size_t ni = 0, vi = 0, count = 0;
    const char *k = cached->names, *v = cached->values;
    for (size_t i = 0; i < cached->nheaders; i++, k += strlen(k) + 1, v += strlen(v) + 1) {
        if (has_header_name(fresh, k)) continue;
        memcpy(names + ni, k, strlen(k) + 1), ni += strlen(k) + 1;
        memcpy(values + vi, v, strlen(v) + 1), vi += strlen(v) + 1;
        count++;
    }
    memcpy(names + ni, fresh->names, fresh->names_len), ni += fresh->names_len;
    memcpy(values + vi, fresh->values, fresh->values_len), vi += fresh->values_len;
    names[ni] = values[vi] = '\0';
    out->names = names, out->names_len = ni;
    out->values = values, out->values_len = vi;
    out->nheaders = count + fresh->nheaders;
    return true;
}

static int http_fail(gh_bctx *bc, bool raise, bool network, const char *msg,
                     const gh_value **out)
{
    if (raise) return gh_builtin_error(bc, "eval_builtin_error", "http.send: %s", msg);
    const gh_value *v = error_object(
        bc, network ? "eval_http_send_network_error" : "eval_http_send_internal_error", msg);
    return bi_ret(out, v);
}

/* One exchange for the request object, with extra header lines (NULL-terminated list, may
 * be NULL). 0 with *out set, or what http_fail / the request checks return. With rc 0,
 * cacheable responses go into the inter-query cache when ic asks for it; *status tells
 * the caller the status code received (0 on failure). `cached` (revalidation only): a 304
 * answers with it, its headers refreshed, and *out is that. */
static int send_request(gh_bctx *bc, const gh_value *req, bool raise, const icache *ic,
                        const char *const *extra, const bi_hresp *cached, long *status,
                        const gh_value **out)
{
    http_req r = {0};
    http_err e = {{0}, false};
    http_resp resp = {0};
    gh_buf_init(&resp.body, HTTP_MAX_BODY);
    gh_buf_init(&resp.names, 0);
    gh_buf_init(&resp.values, 0);
    *status = 0;
    int rc = read_request(bc, req, &r, &e);
    for (size_t i = 0; rc == 0 && extra && extra[i]; i++) {
        struct curl_slist *l = curl.slist_append(r.headers, extra[i]);
        if (!l) rc = BI_NOMEM;
        else r.headers = l;
    }
    if (rc == 0) rc = exchange(&r, &resp, &e);
    if (rc == 0) {
        bi_hresp view, merged;
        resp_view(&resp, &view);
        *status = resp.status_code;
        if (cached && resp.status_code == 304) {
            /* OPA: the stored response with the 304's headers, its expiry from them */
            if (!merge_headers(bc, cached, &view, &merged)) {
                rc = BI_NOMEM;
            } else {
                int64_t expires;
                bool ok = true;
                if (ic->force)
                    expires = clamp_ns((__int128)bc->now_ns + (__int128)ic->force_s * NS_PER_S);
                else
                    ok = expiry_from_headers(&view, &expires, &e);
                if (!ok) {
                    rc = http_fail(bc, raise, false, e.msg, out);
                    *status = 0;
                } else {
                    if (ic->mode_ok)
                        (void)bi_hcache_put(ic->key, ic->key_len, &merged, expires, bc->now_ns);
                    rc = bi_ret(out, response_object(bc, r.json_decode, r.yaml_decode, &merged));
                    *status = merged.status_code;
                }
            }
        } else {
            rc = bi_ret(out, response_object(bc, r.json_decode, r.yaml_decode, &view));
            if (rc == 0 && (!cached || resp.status_code == 200)) cache_store(bc, ic, &view);
        }
    } else if (rc == -1) {
        rc = http_fail(bc, raise, e.network, e.msg, out);
    }
    curl.slist_free_all(r.headers);
    gh_buf_free(&resp.body);
    gh_buf_free(&resp.names);
    gh_buf_free(&resp.values);
    return rc;
}

/* OPA's checkHTTPSendInterQueryCache. 1 when answered (*out set: a fresh entry, a
 * revalidated one, the server's new answer or the revalidation's error), 0 when the request
 * is to be sent as usual, negative on errors already reported. */
static int cache_lookup(gh_bctx *bc, const gh_value *req, bool raise, const icache *ic,
                        const gh_value **out)
{
    bi_hcache_ref ref;
    if (!bi_hcache_get(ic->key, ic->key_len, &ref)) return 0;
    int jd = bool_field(req, "force_json_decode"), yd = bool_field(req, "force_yaml_decode");
    if (jd < 0 || yd < 0) { /* the send reports it */
        bi_hcache_release(&ref);
        return 0;
    }
    if (response_fresh(bc, ref.resp, ic)) {
        const gh_value *v = response_object(bc, jd, yd, ref.resp);
        bi_hcache_release(&ref);
        return v ? (*out = v, 1) : BI_NOMEM;
    }
    /* stale: dropped, then revalidated with the server when it gave a validator */
    bi_hresp cached;
    bool copied = copy_resp(bc, ref.resp, &cached);
    bi_hcache_release(&ref);
    bi_hcache_delete(ic->key, ic->key_len);
    if (!copied) return BI_NOMEM;
    cache_headers h;
    read_cache_headers(&cached, &h);
    if ((!h.etag && !h.last_modified) || !curl.ok) return 0;
    const char *extra[3] = {NULL, NULL, NULL};
    size_t n = 0;
    if (h.etag) {
        char *line = bi_bytes(bc, strlen(h.etag) + 16);
        if (!line) return BI_NOMEM;
        sprintf(line, "If-None-Match: %s", h.etag);
        extra[n++] = line;
    }
    if (h.last_modified) {
        char *line = bi_bytes(bc, strlen(h.last_modified) + 20);
        if (!line) return BI_NOMEM;
        sprintf(line, "If-Modified-Since: %s", h.last_modified);
        extra[n++] = line;
    }
    long status;
    const gh_value *v = NULL;
    int rc = send_request(bc, req, raise, ic, extra, &cached, &status, &v);
    if (rc < 0) return rc;
    /* 200 and 304 answer; an error answers as OPA returns it; anything else: sent again */
    if (status == 200 || status == 304 || status == 0) {
        *out = v;
        return 1;
    }
    return 0;
}

static int bi_http_send(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    const gh_value *req = args[0];
    if (!bi_is(req, GH_KIND_OBJECT)) return bi_type_err(bc, "http.send", 1, req, "object");
    const gh_value *rv = gh_object_get_str(req, "raise_error", 11);
    if (rv && !bi_is(rv, GH_KIND_BOOL))
        return bi_builtin_err(bc, "http.send", "invalid value for raise_error field");
    bool raise = !rv || gh_value_get_bool(rv);
    int rc = validate_keys(bc, req);
    if (rc != 0) {
        if (raise || !bc->err_code) return rc;
        const gh_value *v = error_object(bc, "eval_http_send_internal_error", bc->err_msg);
        bc->err_code = NULL;
        return bi_ret(out, v);
    }
    icache ic = {0};
    http_err e = {{0}, false};
    if ((rc = read_cache_params(bc, req, &ic, &e)) != 0)
        return rc == -1 ? http_fail(bc, raise, false, e.msg, out) : rc;
    const gh_value *key = cache_key(bc, req);
    if (!key) return BI_NOMEM;
    const gh_value *hit = bi_memo_get(bc, "http.send", key);
    if (hit) return bi_ret(out, hit);
    if (ic.on) {
        gh_buf *b = bi_scratch(bc, BI_SCRATCH_OUT);
        if (!b || gh_json_write(b, key, 0) != 0) return BI_NOMEM;
        char *k = bi_bytes(bc, b->len + 1);
        if (!k) return BI_NOMEM;
        memcpy(k, b->data, b->len + 1);
        ic.key = k, ic.key_len = b->len;
    }
    pthread_once(&curl_once, curl_load);
    if (!curl.ok && !ic.on)
        return http_fail(bc, raise, false, "libcurl (libcurl.so.4) could not be loaded", out);
    rc = 0;
    if (ic.on) rc = cache_lookup(bc, req, raise, &ic, out);
    if (rc < 0) return rc;
    if (rc == 0) {
        if (!curl.ok)
            return http_fail(bc, raise, false, "libcurl (libcurl.so.4) could not be loaded", out);
        long status;
        rc = send_request(bc, req, raise, &ic, NULL, NULL, &status, out);
        if (rc != 0) return rc;
    } else {
        rc = 0;
    }
    /* the intra-query cache: the same answer for the rest of this evaluation */
    const gh_value *code = gh_object_get_str(*out, "status_code", 11);
    int64_t sc = 0;
    gh_number_get_int(code, &sc);
    if ((cacheable_status((long)sc) || !gh_object_get_str(*out, "status", 6)) &&
        bi_memo_put(bc, "http.send", key, *out) != 0)
        return BI_NOMEM;
    return rc;
}
static const gh_builtin http_builtins[] = {
    BI_FNF("http.send", 1, "(object[string: any]) => object[any: any]", bi_http_send,
           GH_BI_NONDETERMINISTIC),
};

BI_FAMILY(http, http_builtins);
