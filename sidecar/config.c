/* Configuration: defaults, then the JSON file read through one table of fields per section
 * (name, kind, where it goes), so an unknown or mistyped field is reported with its path. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "gatehouse/error.h"
#include "gatehouse/jose.h"

void str_list_push(gh_arena *a, str_list *l, const char *s)
{
    const char **items = gh_arena_alloc(a, (l->n + 1) * sizeof *items);
    if (l->n) memcpy(items, l->items, l->n * sizeof *items);
    items[l->n++] = gh_arena_strndup(a, s, strlen(s));
    l->items = items;
}

void config_init(gh_config *c)
{
    memset(c, 0, sizeof *c);
    gh_arena_init(&c->arena, 0);
    c->host = "127.0.0.1";
    c->port = 8181;
    c->default_decision = "/system/main";
    c->log_level = LOG_INFO;
    c->limits = (http_limits){
        .max_header_bytes = 16 * 1024,
        .max_headers = 100,
        .max_body_bytes = 4 * 1024 * 1024,
        .read_timeout_ms = 10000,
        .idle_timeout_ms = 60000,
        .max_connections = 10000,
    };
    c->watch = true;
    c->debounce_ms = 100;
    c->decision_log.output = DECLOG_NONE;
    c->decision_log.max_bytes = 100u * 1024 * 1024;
    c->decision_log.max_files = 5;
    c->decision_log.queue_size = 16384;
    c->auth.leeway_s = 30;
    c->auth.cache_size = 4096;
    c->auth.claim_id = "sub";
}

void config_free(gh_config *c)
{
    gh_arena_free(&c->arena);
}

int config_set_addr(gh_config *c, const char *addr)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || !colon[1]) return -1;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535) return -1;
    size_t hl = (size_t)(colon - addr);
    const char *host = gh_arena_strndup(&c->arena, addr, hl);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') host = gh_arena_strndup(&c->arena, addr + 1, hl - 2);
    if (hl == 0) host = "0.0.0.0";
    else if (strcmp(host, "localhost") == 0) host = "127.0.0.1";
    c->host = host;
    c->port = (int)port;
    return 0;
}

int config_parse_log_level(const char *s, log_level *out)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) return *out = (log_level)i, 0;
    return -1;
}

/* ---- the field tables ---- */

typedef enum {
    F_STR, F_INT, F_U64, F_SIZE, F_BOOL, F_STRLIST, F_OBJECT, F_LABELS, F_ADDR, F_LOGLEVEL,
    F_DECLOG_OUTPUT, F_SECTION, F_I64, F_ALGS, F_SECRET, F_ISSUERS, F_URL, F_AUTH, F_LISTENERS,
    F_LISTENER_KIND, F_LISTENER_ADDR, F_STR_OR_SECRET
} field_kind;

typedef struct field {
    const char *name;
    field_kind kind;
    size_t off;                  /* into gh_config, or the issuer for issuer fields */
    const struct field *section; /* for F_SECTION */
} field;

#define AT(member) offsetof(gh_config, member)
#define ISS(member) offsetof(auth_issuer_cfg, member)

static const field issuer_fields[] = {
    {"issuer", F_STR, ISS(issuer), NULL},
    {"algorithms", F_ALGS, ISS(algs), NULL},
    {"jwks_url", F_URL, ISS(location), NULL},
    {"discovery", F_BOOL, ISS(discovery), NULL},
    {"jwks_file", F_STR, ISS(location), NULL},
    {"pem_file", F_STR, ISS(location), NULL},
    {"hmac_secret", F_SECRET, ISS(secret), NULL},
    {"ca_file", F_STR, ISS(ca_file), NULL},
    {"refresh_s", F_U64, ISS(refresh_s), NULL},
    {"min_refresh_interval_s", F_U64, ISS(min_refresh_interval_s), NULL},
    {"max_age_s", F_I64, ISS(max_age_s), NULL},
    {"required_claims", F_STRLIST, ISS(required_claims), NULL},
    {NULL, 0, 0, NULL},
};

#define LST(member) offsetof(listener_cfg, member)

static const field listener_fields[] = {
    {"name", F_STR, LST(name), NULL},
    {"kind", F_LISTENER_KIND, LST(kind), NULL},
    {"addr", F_LISTENER_ADDR, 0, NULL},
    {"decision", F_STR, LST(decision), NULL},
    {"auth", F_BOOL, LST(auth), NULL},
    {"audiences", F_STRLIST, LST(audiences), NULL},
    {"dry_run", F_BOOL, LST(dry_run), NULL},
    {"path_prefix", F_STR, LST(path_prefix), NULL},
    {"skip_request_body_parse", F_BOOL, LST(skip_body_parse), NULL},
    {"tls_cert_file", F_STR, LST(tls_cert), NULL},
    {"tls_key_file", F_STR, LST(tls_key), NULL},
    {"postgres", F_STR_OR_SECRET, LST(postgres), NULL},
    {"upstream_url", F_STR, LST(upstream_url), NULL},
    {"upstream_timeout_ms", F_U64, LST(upstream_timeout_ms), NULL},
    {"pool_size", F_INT, LST(pool_size), NULL},
    {"prepared_statements", F_INT, LST(prepared_statements), NULL},
    {"catalog_file", F_STR, LST(catalog_file), NULL},
    {"search_path", F_STR, LST(search_path), NULL},
    {"tenant_column", F_STR, LST(tenant_column), NULL},
    {"connector", F_OBJECT, LST(connector), NULL},
    {NULL, 0, 0, NULL},
};

static const field subject_fields[] = {
    {"id", F_STR, AT(auth.claim_id), NULL},
    {"tenant", F_STR, AT(auth.claim_tenant), NULL},
    {"roles", F_STR, AT(auth.claim_roles), NULL},
    {NULL, 0, 0, NULL},
};

static const field auth_fields[] = {
    {"audiences", F_STRLIST, AT(auth.audiences), NULL},
    {"leeway_s", F_I64, AT(auth.leeway_s), NULL},
    {"cache_size", F_SIZE, AT(auth.cache_size), NULL},
    {"subject", F_SECTION, 0, subject_fields},
    {"issuers", F_ISSUERS, 0, NULL},
    {NULL, 0, 0, NULL},
};

static const field limits_fields[] = {
    {"max_header_bytes", F_SIZE, AT(limits.max_header_bytes), NULL},
    {"max_headers", F_SIZE, AT(limits.max_headers), NULL},
    {"max_body_bytes", F_SIZE, AT(limits.max_body_bytes), NULL},
    {"read_timeout_ms", F_U64, AT(limits.read_timeout_ms), NULL},
    {"idle_timeout_ms", F_U64, AT(limits.idle_timeout_ms), NULL},
    {"max_connections", F_SIZE, AT(limits.max_connections), NULL},
    {NULL, 0, 0, NULL},
};

static const field eval_fields[] = {
    {"timeout_ms", F_U64, AT(eval_timeout_ms), NULL},
    {"max_steps", F_U64, AT(eval_max_steps), NULL},
    {NULL, 0, 0, NULL},
};

static const field reload_fields[] = {
    {"watch", F_BOOL, AT(watch), NULL},
    {"debounce_ms", F_U64, AT(debounce_ms), NULL},
    {NULL, 0, 0, NULL},
};

static const field health_fields[] = {
    {"fail_on_reload_error", F_BOOL, AT(health_fail_on_reload_error), NULL},
    {NULL, 0, 0, NULL},
};

static const field declog_fields[] = {
    {"output", F_DECLOG_OUTPUT, AT(decision_log.output), NULL},
    {"path", F_STR, AT(decision_log.path), NULL},
    {"max_bytes", F_U64, AT(decision_log.max_bytes), NULL},
    {"max_files", F_INT, AT(decision_log.max_files), NULL},
    {"queue_size", F_SIZE, AT(decision_log.queue_size), NULL},
    {"drop_when_full", F_BOOL, AT(decision_log.drop_when_full), NULL},
    {"fsync", F_BOOL, AT(decision_log.fsync), NULL},
    {"erase", F_STRLIST, AT(decision_log.erase), NULL},
    {"mask", F_OBJECT, AT(decision_log.mask), NULL},
    {NULL, 0, 0, NULL},
};

static const field top_fields[] = {
    {"addr", F_ADDR, 0, NULL},
    {"workers", F_INT, AT(workers), NULL},
    {"policy", F_STRLIST, AT(policy), NULL},
    {"data", F_STRLIST, AT(data), NULL},
    {"bundles", F_STRLIST, AT(bundles), NULL},
    {"ignore", F_STRLIST, AT(ignore), NULL},
    {"v0_compatible", F_BOOL, AT(v0_compatible), NULL},
    {"default_decision", F_STR, AT(default_decision), NULL},
    {"log_level", F_LOGLEVEL, AT(log_level), NULL},
    {"labels", F_LABELS, AT(labels), NULL},
    {"limits", F_SECTION, 0, limits_fields},
    {"eval", F_SECTION, 0, eval_fields},
    {"reload", F_SECTION, 0, reload_fields},
    {"health", F_SECTION, 0, health_fields},
    {"decision_log", F_SECTION, 0, declog_fields},
    {"auth", F_AUTH, 0, auth_fields},
    {"listeners", F_LISTENERS, 0, NULL},
    {NULL, 0, 0, NULL},
};

/* ---- reading one value into its field ---- */

typedef struct reader {
    gh_config *c;
    const char *file;
    gh_buf *errs;
    int failed;
} reader;

static void bad(reader *r, const char *path, const char *why)
{
    gh_buf_printf(r->errs, "%s: %s: %s\n", r->file, path, why);
    r->failed = 1;
}

/* A NUL-terminated copy: short strings live inside the value word, unterminated. */
static bool as_str(gh_arena *a, const gh_value *v, const char **out)
{
    size_t n;
    const char *s = gh_string_ptr(v, &n);
    if (!s) return false;
    *out = gh_arena_strndup(a, s, n);
    return true;
}

static bool as_u64(const gh_value *v, uint64_t *out)
{
    int64_t i;
    if (gh_value_kind(v) != GH_KIND_NUMBER || !gh_number_get_int(v, &i) || i < 0) return false;
    *out = (uint64_t)i;
    return true;
}

static void read_strlist(reader *r, const char *path, const gh_value *v, str_list *out)
{
    if (gh_value_kind(v) != GH_KIND_ARRAY) return bad(r, path, "expected an array of strings");
    out->n = 0;
    for (size_t i = 0; i < gh_value_len(v); i++) {
        const char *s;
        if (!as_str(&r->c->arena, gh_array_get(v, i), &s)) return bad(r, path, "expected an array of strings");
        str_list_push(&r->c->arena, out, s);
    }
}

static void read_labels(reader *r, const char *path, const gh_value *v, const gh_value **out)
{
    if (gh_value_kind(v) != GH_KIND_OBJECT) return bad(r, path, "expected an object of strings");
    for (size_t i = 0; i < gh_value_len(v); i++)
        if (gh_value_kind(gh_object_value_at(v, i)) != GH_KIND_STRING)
            return bad(r, path, "expected an object of strings");
    *out = v;
}

static void read_section(reader *r, const char *prefix, const gh_value *obj, const field *fields,
                         void *base);
static void read_issuers(reader *r, const char *path, const gh_value *v);
static void read_listeners(reader *r, const char *path, const gh_value *v);
static const char *kind_names[LISTENER_KIND_COUNT] = {"data_api", "ext_authz_http",
                                                       "ext_authz_grpc", "sql_rds",
                                                       "sql_snowflake"};
static void read_algs(reader *r, const char *path, const gh_value *v, unsigned *out);
static void read_secret(reader *r, const char *path, const gh_value *v, auth_issuer_cfg *iss);

static void read_field(reader *r, const char *path, const field *f, const gh_value *v,
                       void *base)
{
    void *at = (char *)base + f->off;
    const char *s;
    uint64_t u;
    switch (f->kind) {
    case F_STR:
        if (!as_str(&r->c->arena, v, &s)) return bad(r, path, "expected a string");
        *(const char **)at = s;
        return;
    case F_INT:
        if (!as_u64(v, &u) || u > 1u << 20) return bad(r, path, "expected a non-negative integer");
        *(int *)at = (int)u;
        return;
    case F_U64:
        if (!as_u64(v, &u)) return bad(r, path, "expected a non-negative integer");
        *(uint64_t *)at = u;
        return;
    case F_SIZE:
        if (!as_u64(v, &u) || u == 0) return bad(r, path, "expected a positive integer");
        *(size_t *)at = (size_t)u;
        return;
    case F_BOOL:
        if (gh_value_kind(v) != GH_KIND_BOOL) return bad(r, path, "expected true or false");
        *(bool *)at = gh_value_get_bool(v);
        return;
    case F_STRLIST: return read_strlist(r, path, v, at);
    case F_OBJECT:
        if (gh_value_kind(v) != GH_KIND_OBJECT) return bad(r, path, "expected an object");
        *(const gh_value **)at = v;
        return;
    case F_LABELS: return read_labels(r, path, v, at);
    case F_ADDR:
        if (!as_str(&r->c->arena, v, &s) || config_set_addr(r->c, s) < 0)
            return bad(r, path, "expected \"host:port\" (e.g. \"localhost:8181\" or \":8181\")");
        return;
    case F_LOGLEVEL:
        if (!as_str(&r->c->arena, v, &s) || config_parse_log_level(s, at) < 0)
            return bad(r, path, "expected \"error\", \"warn\", \"info\" or \"debug\"");
        return;
    case F_DECLOG_OUTPUT:
        if (!as_str(&r->c->arena, v, &s)) s = "";
        if (strcmp(s, "none") == 0) *(declog_output *)at = DECLOG_NONE;
        else if (strcmp(s, "stdout") == 0) *(declog_output *)at = DECLOG_STDOUT;
        else if (strcmp(s, "file") == 0) *(declog_output *)at = DECLOG_FILE;
        else bad(r, path, "expected \"none\", \"stdout\" or \"file\"");
        return;
    case F_SECTION:
        if (gh_value_kind(v) != GH_KIND_OBJECT) return bad(r, path, "expected an object");
        return read_section(r, path, v, f->section, base);
    case F_AUTH:
        if (gh_value_kind(v) != GH_KIND_OBJECT) return bad(r, path, "expected an object");
        r->c->auth.enabled = true;
        return read_section(r, path, v, f->section, base);
    case F_I64:
        if (!as_u64(v, &u) || u > (uint64_t)1 << 40)
            return bad(r, path, "expected a non-negative integer (seconds)");
        *(int64_t *)at = (int64_t)u;
        return;
    case F_URL:
        if (!as_str(&r->c->arena, v, &s) || strncmp(s, "https://", 8) != 0)
            return bad(r, path, "expected an https:// URL");
        *(const char **)at = s;
        return;
    case F_ALGS: return read_algs(r, path, v, at);
    case F_SECRET: return read_secret(r, path, v, base);
    case F_ISSUERS: return read_issuers(r, path, v);
    case F_LISTENERS: return read_listeners(r, path, v);
    case F_LISTENER_KIND:
        if (as_str(&r->c->arena, v, &s))
            for (int k = 0; k < LISTENER_KIND_COUNT; k++)
                if (strcmp(s, kind_names[k]) == 0) return (void)(*(listener_kind *)at = (listener_kind)k);
        return bad(r, path, "expected \"data_api\", \"ext_authz_http\", \"ext_authz_grpc\", \"sql_rds\" or \"sql_snowflake\"");
    case F_STR_OR_SECRET: { /* a plain string, or {"env"}/{"file"} when it holds a password */
        if (as_str(&r->c->arena, v, &s)) return (void)(*(const char **)at = s);
        auth_issuer_cfg tmp = {0};
        read_secret(r, path, v, &tmp);
        if (tmp.secret) *(const char **)at = (const char *)tmp.secret;
        return;
    }
    case F_LISTENER_ADDR: {
        listener_cfg *l = base;
        const char *host = r->c->host;
        int port = r->c->port;
        if (!as_str(&r->c->arena, v, &s) || config_set_addr(r->c, s) < 0)
            return bad(r, path, "expected \"host:port\"");
        l->host = r->c->host, l->port = r->c->port;
        r->c->host = host, r->c->port = port; /* config_set_addr wrote the top-level addr */
        return;
    }
    }
}

static void read_section(reader *r, const char *prefix, const gh_value *obj, const field *fields,
                         void *base)
{
    for (size_t i = 0; i < gh_value_len(obj); i++) {
        size_t kn;
        const char *key = gh_string_ptr(gh_object_key_at(obj, i), &kn);
        char path[256];
        snprintf(path, sizeof path, "%s%s%.*s", prefix, *prefix ? "." : "", (int)kn, key);
        key = path + strlen(prefix) + (*prefix ? 1 : 0);
        const field *f = fields;
        while (f->name && strcmp(f->name, key) != 0) f++;
        if (!f->name) {
            bad(r, path, "unknown field");
            continue;
        }
        read_field(r, path, f, gh_object_value_at(obj, i), base);
    }
}

/* ---- the auth section ---- */

static void read_algs(reader *r, const char *path, const gh_value *v, unsigned *out)
{
    if (gh_value_kind(v) != GH_KIND_ARRAY || gh_value_len(v) == 0)
        return bad(r, path, "expected a non-empty array of algorithm names (\"RS256\", ...)");
    *out = 0;
    for (size_t i = 0; i < gh_value_len(v); i++) {
        size_t n;
        const char *s = gh_string_ptr(gh_array_get(v, i), &n);
        int alg = s ? gh_jose_alg_from_name(s, n) : -1;
        if (alg <= GH_JOSE_NONE)
            return bad(r, path, "unknown or refused algorithm (none is never allowed)");
        *out |= 1u << alg;
    }
}

/* Secrets come from the environment or a file, never from the config text itself. */
static void read_secret(reader *r, const char *path, const gh_value *v, auth_issuer_cfg *iss)
{
    const char *why = "expected {\"env\": \"NAME\"} or {\"file\": \"/path\"} (secrets are never written in the config)";
    if (gh_value_kind(v) != GH_KIND_OBJECT || gh_value_len(v) != 1) return bad(r, path, why);
    const char *src;
    size_t kn;
    const char *k = gh_string_ptr(gh_object_key_at(v, 0), &kn);
    if (!as_str(&r->c->arena, gh_object_value_at(v, 0), &src)) return bad(r, path, why);
    if (kn == 3 && memcmp(k, "env", 3) == 0) {
        const char *val = getenv(src);
        if (!val || !*val) return bad(r, path, "the environment variable is unset or empty");
        iss->secret = (const unsigned char *)gh_arena_strndup(&r->c->arena, val, strlen(val));
        iss->secret_len = strlen(val);
        return;
    }
    if (kn != 4 || memcmp(k, "file", 4) != 0) return bad(r, path, why);
    char *text;
    size_t len;
    if (cli_read_file(src, &text, &len) < 0) return bad(r, path, "cannot read the secret file");
    if (len && text[len - 1] == '\n') len--; /* files written by echo or editors end in one */
    iss->secret = (const unsigned char *)gh_arena_strndup(&r->c->arena, text, len);
    iss->secret_len = len;
    free(text);
    if (len == 0) bad(r, path, "the secret file is empty");
}

static const char *source_keys[] = {"jwks_url", "discovery", "jwks_file", "pem_file",
                                    "hmac_secret"};
static const key_source source_kinds[] = {KEYS_JWKS_URL, KEYS_DISCOVERY, KEYS_JWKS_FILE,
                                          KEYS_PEM_FILE, KEYS_HMAC};

/* Which key source an issuer names: exactly one of source_keys. */
static void issuer_source(reader *r, const char *path, const gh_value *obj, auth_issuer_cfg *iss)
{
    int found = 0;
    for (size_t k = 0; k < 5; k++)
        if (gh_object_get_str(obj, source_keys[k], strlen(source_keys[k]))) {
            iss->source = source_kinds[k];
            found++;
        }
    if (found != 1)
        return bad(r, path, "give exactly one of jwks_url, discovery, jwks_file, pem_file, hmac_secret");
    if (!iss->issuer) return bad(r, path, "issuer is required");
    if (iss->source == KEYS_DISCOVERY) {
        if (!iss->discovery) return bad(r, path, "discovery must be true when given");
        if (strncmp(iss->issuer, "https://", 8) != 0)
            return bad(r, path, "discovery needs an https:// issuer");
        size_t n = strlen(iss->issuer);
        while (n && iss->issuer[n - 1] == '/') n--;
        char *url = gh_arena_alloc(&r->c->arena, n + 40);
        snprintf(url, n + 40, "%.*s/.well-known/openid-configuration", (int)n, iss->issuer);
        iss->location = url;
    }
    if (!iss->algs) /* a default that fits the key source; HMAC keys never verify RS* */
        iss->algs = iss->source == KEYS_HMAC ? 1u << GH_JOSE_HS256 : 1u << GH_JOSE_RS256;
}

static void read_issuers(reader *r, const char *path, const gh_value *v)
{
    if (gh_value_kind(v) != GH_KIND_ARRAY || gh_value_len(v) == 0)
        return bad(r, path, "expected a non-empty array of issuers");
    auth_cfg *a = &r->c->auth;
    a->nissuers = gh_value_len(v);
    a->issuers = gh_arena_calloc(&r->c->arena, a->nissuers, sizeof *a->issuers);
    for (size_t i = 0; i < a->nissuers; i++) {
        const gh_value *obj = gh_array_get(v, i);
        char ipath[300];
        snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
        if (gh_value_kind(obj) != GH_KIND_OBJECT) {
            bad(r, ipath, "expected an object");
            continue;
        }
        auth_issuer_cfg *iss = &a->issuers[i];
        iss->refresh_s = 300;
        iss->min_refresh_interval_s = 10;
        read_section(r, ipath, obj, issuer_fields, iss);
        issuer_source(r, ipath, obj, iss);
    }
}

static void read_listeners(reader *r, const char *path, const gh_value *v)
{
    if (gh_value_kind(v) != GH_KIND_ARRAY) return bad(r, path, "expected an array of listeners");
    size_t n = gh_value_len(v);
    listener_cfg *ls = gh_arena_calloc(&r->c->arena, n + 1, sizeof *ls);
    ls[0].auth = true; /* the Data API on addr, completed in check_listeners */
    for (size_t i = 0; i < n; i++) {
        const gh_value *obj = gh_array_get(v, i);
        char lpath[300];
        snprintf(lpath, sizeof lpath, "%s[%zu]", path, i);
        if (gh_value_kind(obj) != GH_KIND_OBJECT) {
            bad(r, lpath, "expected an object");
            continue;
        }
        listener_cfg *l = &ls[i + 1];
        l->auth = true; /* with an "auth" section, every listener authenticates unless told */
        l->prepared_statements = 256;
        read_section(r, lpath, obj, listener_fields, l);
        if (!l->name) bad(r, lpath, "name is required");
        if (!l->host && l->kind == LISTENER_EXTAUTHZ_GRPC) { /* opa-envoy-plugin's default */
            l->host = "0.0.0.0";
            l->port = 9191;
        }
        if (!l->host) bad(r, lpath, "addr is required");
    }
    r->c->listeners = ls;
    r->c->nlisteners = n + 1;
}

/* "/a/b" -> "data.a.b"; NULL when a segment is empty or holds a '.'. */
static const char *decision_ref(gh_arena *a, const char *path)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_buf_puts(&b, "data");
    for (const char *p = path; *p;) {
        while (*p == '/') p++;
        const char *e = p;
        while (*e && *e != '/') e++;
        if (e == p) break;
        if (memchr(p, '.', (size_t)(e - p))) {
            gh_buf_free(&b);
            return NULL;
        }
        gh_buf_putc(&b, '.');
        gh_buf_append(&b, p, (size_t)(e - p));
        p = e;
    }
    const char *ref = gh_arena_strndup(a, b.data, b.len);
    gh_buf_free(&b);
    return ref;
}

/* The Data API listener on the top-level "addr" is always listener 0. */
static int check_listeners(gh_config *c, const char *file, gh_buf *errs)
{
    if (!c->listeners) {
        c->listeners = gh_arena_calloc(&c->arena, 1, sizeof *c->listeners);
        c->nlisteners = 1;
        c->listeners[0].auth = true;
    }
    listener_cfg *api = &c->listeners[0];
    api->name = "api";
    api->kind = LISTENER_DATA_API;
    api->host = c->host;
    api->port = c->port;
    for (size_t i = 0; i < c->nlisteners; i++) {
        listener_cfg *l = &c->listeners[i];
        if (!c->auth.enabled) l->auth = false;
        if (!l->decision)
            l->decision = l->kind == LISTENER_DATA_API ? c->default_decision
                          : l->kind == LISTENER_SQL_RDS || l->kind == LISTENER_SQL_SNOWFLAKE
                              ? "/gatehouse/authz/decision"
                              : "/envoy/authz/allow";
        if (l->kind == LISTENER_SQL_RDS || l->kind == LISTENER_SQL_SNOWFLAKE) {
            if (!l->upstream_timeout_ms) l->upstream_timeout_ms = 30000;
            if (l->kind == LISTENER_SQL_SNOWFLAKE ? !l->upstream_url : !l->postgres == !l->upstream_url) {
                gh_buf_printf(errs, "%s: listener %s: give %s\n", file, l->name,
                              l->kind == LISTENER_SQL_SNOWFLAKE
                                  ? "\"upstream_url\" (the Snowflake connector service)"
                                  : "either \"postgres\" (a libpq conninfo) or \"upstream_url\"");
                return -1;
            }
            if (!l->pool_size) l->pool_size = 4;
            if (!l->search_path) l->search_path = "public";
            if (!l->tenant_column) l->tenant_column = "tenant_id";
            else if (!*l->tenant_column) l->tenant_column = NULL; /* "": no tenant isolation */
        }
        l->ref = decision_ref(&c->arena, l->decision);
        if (!l->ref || l->decision[0] != '/') {
            gh_buf_printf(errs, "%s: listener %s: decision must be a path like \"/envoy/authz/allow\"\n",
                          file, l->name);
            return -1;
        }
        if (l->auth && c->auth.audiences.n == 0 && l->audiences.n == 0) {
            gh_buf_printf(errs, "%s: listener %s: authentication needs audiences (auth.audiences "
                                "or the listener's): a token for another service must not pass\n",
                          file, l->name);
            return -1;
        }
    }
    return 0;
}

static int check_auth(gh_config *c, const char *file, gh_buf *errs)
{
    if (!c->auth.enabled) return 0;
    if (c->auth.nissuers == 0) {
        gh_buf_printf(errs, "%s: auth.issuers: at least one issuer is required\n", file);
        return -1;
    }
    return 0;
}

int config_finish(gh_config *c, const char *file, gh_buf *errs)
{
    return check_listeners(c, file, errs);
}

static int check_config(gh_config *c, const char *file, gh_buf *errs)
{
    if (check_auth(c, file, errs) < 0) return -1;
    if (c->decision_log.output == DECLOG_FILE && !c->decision_log.path) {
        gh_buf_printf(errs, "%s: decision_log.path: required when output is \"file\"\n", file);
        return -1;
    }
    if (c->default_decision[0] != '/') {
        gh_buf_printf(errs, "%s: default_decision: must start with '/' (\"/system/main\")\n",
                      file);
        return -1;
    }
    return 0;
}

int config_load_file(gh_config *c, const char *path, gh_buf *errs)
{
    char *text;
    size_t len;
    if (cli_read_file(path, &text, &len) < 0) {
        gh_buf_printf(errs, "%s: cannot read the config file\n", path);
        return -1;
    }
    const gh_value *root;
    gh_json_error je;
    gh_json_opts jo = {.flags = GH_JSON_RELAXED};
    int rc = gh_json_read(&c->arena, text, len, &jo, &root, &je);
    free(text);
    if (rc) {
        gh_buf_printf(errs, "%s:%d:%d: %s\n", path, je.line, je.col, je.msg);
        return -1;
    }
    if (gh_value_kind(root) != GH_KIND_OBJECT) {
        gh_buf_printf(errs, "%s: the config must be a JSON object\n", path);
        return -1;
    }
    reader r = {.c = c, .file = path, .errs = errs};
    read_section(&r, "", root, top_fields, c);
    if (r.failed) return -1;
    return check_config(c, path, errs);
}
