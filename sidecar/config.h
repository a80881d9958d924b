/* The daemon's configuration: defaults, the JSON file (`gatehouse run -c gatehouse.json`,
 * every field documented in docs/config.md, unknown fields an error naming their path) and
 * the command-line flags that override it. */
#ifndef GH_CONFIG_H
#define GH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/value.h"
#include "http.h"

typedef enum { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG } log_level;

typedef enum { DECLOG_NONE, DECLOG_STDOUT, DECLOG_FILE } declog_output;

typedef struct str_list {
    const char **items;
    size_t n;
} str_list;

/* Where an issuer's verification keys come from. */
typedef enum { KEYS_NONE, KEYS_JWKS_URL, KEYS_DISCOVERY, KEYS_JWKS_FILE, KEYS_PEM_FILE, KEYS_HMAC } key_source;

typedef struct auth_issuer_cfg {
    const char *issuer;          /* the iss tokens carry, matched exactly */
    unsigned algs;               /* allowed algorithms: bits 1u << gh_jose_alg */
    key_source source;
    bool discovery;              /* keys via {issuer}/.well-known/openid-configuration */
    const char *location;        /* URL or file path */
    const unsigned char *secret; /* KEYS_HMAC: from {"env"} or {"file"}, never the config text */
    size_t secret_len;
    const char *ca_file;         /* CA bundle for HTTPS fetches; NULL = the system's */
    uint64_t refresh_s;          /* re-fetch URL keys this often */
    uint64_t min_refresh_interval_s; /* at most one unknown-kid re-fetch per interval */
    int64_t max_age_s;           /* 0 = no limit */
    str_list required_claims;
} auth_issuer_cfg;

typedef struct auth_cfg {
    bool enabled;                /* an "auth" section is present */
    str_list audiences;          /* a token's aud must hold one of these */
    int64_t leeway_s;
    size_t cache_size;           /* verified tokens remembered per worker */
    const char *claim_id, *claim_tenant, *claim_roles; /* claim paths for input.subject */
    auth_issuer_cfg *issuers;
    size_t nissuers;
} auth_cfg;

/* What a listener speaks. */
typedef enum {
    LISTENER_DATA_API,      /* OPA's REST Data API, /health, /metrics */
    LISTENER_EXTAUTHZ_HTTP, /* Envoy ext_authz http_service */
    LISTENER_EXTAUTHZ_GRPC, /* Envoy ext_authz gRPC (envoy.service.auth.v3.Authorization) */
    LISTENER_SQL_RDS,       /* RDS Data API ExecuteStatement, enforced, to PostgreSQL */
    LISTENER_SQL_SNOWFLAKE, /* Snowflake SQL API v2 statements, enforced, to a connector */
    LISTENER_KIND_COUNT
} listener_kind;

typedef struct listener_cfg {
    const char *name;
    listener_kind kind;
    const char *host;      /* from "addr" */
    int port;
    const char *decision;  /* "/envoy/authz/allow": the document each request evaluates */
    const char *ref;       /* the same as an engine ref: "data.envoy.authz.allow" */
    bool auth;             /* authenticate bearer tokens (needs the "auth" section) */
    str_list audiences;    /* this listener's audiences; empty: auth.audiences */
    bool dry_run;          /* ext_authz: always allow, log the real decision */
    const char *path_prefix; /* ext_authz http: stripped from the path before the policy */
    bool skip_body_parse;  /* ext_authz: no parsed_body */
    const char *tls_cert, *tls_key; /* ext_authz grpc: TLS when both are set */
    /* sql_rds */
    const char *postgres;      /* libpq conninfo (may come from {"env"}/{"file"}: passwords) */
    const char *upstream_url;  /* "http://host:port": forward to a connector service instead */
    uint64_t upstream_timeout_ms;
    int pool_size;             /* connections per worker */
    int prepared_statements;   /* statements each connection keeps prepared (256; 0: none) */
    const char *catalog_file;  /* `gatehouse catalog` output: expands SELECT * */
    const char *search_path;   /* schemas unqualified names resolve in ("public") */
    const char *tenant_column; /* the column a decision's tenant constrains ("tenant_id") */
    const gh_value *connector; /* input.connector: {name, kind, dialect, instance} */
} listener_cfg;

typedef struct gh_config {
    gh_arena arena;     /* every string and value below */
    const char *host;   /* from "addr" */
    int port;
    int workers;        /* 0 = one per core */
    str_list policy;    /* paths loaded as `gatehouse eval -d` loads them */
    str_list data;
    str_list bundles;   /* bundle directories (.manifest with revision and roots), as opa -b */
    str_list ignore;    /* file and directory name patterns skipped while loading */
    bool v0_compatible;
    const char *default_decision; /* `POST /` evaluates this path ("/system/main") */
    log_level log_level;
    http_limits limits;
    uint64_t eval_timeout_ms;     /* 0 = none */
    uint64_t eval_max_steps;      /* 0 = the engine's default */
    bool watch;                   /* reload on file changes (SIGHUP always reloads) */
    uint64_t debounce_ms;
    bool health_fail_on_reload_error; /* /health answers 500 while the last reload failed */
    struct {
        declog_output output;
        const char *path;     /* for DECLOG_FILE */
        uint64_t max_bytes;   /* rotate when the file grows past this; 0 = never */
        int max_files;        /* rotated files kept (path.1 ... path.N) */
        size_t queue_size;    /* decisions waiting for the writer */
        bool drop_when_full;  /* false: requests wait for room (nothing lost) */
        bool fsync;           /* fsync after each batch (always on shutdown) */
        str_list erase;       /* JSON pointers removed from each event ("/input/password") */
        const gh_value *mask; /* object: JSON pointer -> replacement value */
    } decision_log;
    const gh_value *labels; /* object of strings added to each decision's labels */
    auth_cfg auth;          /* bearer-token authentication of the data endpoints */
    listener_cfg *listeners; /* [0] is the Data API on "addr"; then the "listeners" array */
    size_t nlisteners;
} gh_config;

/* Defaults for everything (addr localhost:8181, one worker per core, ...). */
void config_init(gh_config *c);
void config_free(gh_config *c);

/* Reads a config file over the defaults. Returns 0, or -1 with "path: reason" in errs
 * (unknown field "limits.max_body", wrong type, malformed JSON with line:col). */
int config_load_file(gh_config *c, const char *path, gh_buf *errs);

/* After the file and the flags: listener 0 (the Data API on addr), decision refs, and the
 * checks that need everything (authentication needs audiences). -1 with errs. */
int config_finish(gh_config *c, const char *file, gh_buf *errs);

/* Parses "host:port", ":port" (all interfaces) or "localhost:port" into c. -1 when bad. */
int config_set_addr(gh_config *c, const char *addr);

/* "error", "warn", "info", "debug"; -1 when unknown. */
int config_parse_log_level(const char *s, log_level *out);

void str_list_push(gh_arena *a, str_list *l, const char *s);

#endif
