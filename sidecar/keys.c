/* Issuer keys: loading (files), fetching (HTTPS, libcurl, one background thread), refresh
 * on schedule and on unknown kids, and hand-over to workers by reference. */
#include "keys.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "gatehouse/buf.h"
#include "log.h"

#define FETCH_TIMEOUT_MS 5000
#define FETCH_MAX_BYTES (1024 * 1024)
#define RETRY_AFTER_FAILURE_S 30

typedef struct issuer_state {
    const auth_issuer_cfg *cfg;
    keyset_ref *current;        /* guarded by the manager's mutex */
    int64_t next_fetch_ns;      /* monotonic; URL sources only */
    int64_t last_unknown_ns;    /* the last unknown-kid refresh */
    bool want_refresh;
    uint64_t fetch_seq;         /* fetch attempts finished */
} issuer_state;

struct keys_manager {
    pthread_mutex_t mu;
    pthread_cond_t wake, fetched;
    issuer_state *iss;
    size_t n;
    pthread_t thread;
    bool has_thread, stop;
    _Atomic uint64_t generation, fetches, failures, unknown_refreshes;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool is_url_source(const auth_issuer_cfg *c)
{
    return c->source == KEYS_JWKS_URL || c->source == KEYS_DISCOVERY;
}

/* ---- HTTPS ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    gh_buf *b = ud;
    return gh_buf_append(b, p, size * n) == 0 ? size * n : 0; /* 0 aborts: too large */
}

int keys_http_get(const char *url, const char *ca_file, char **body, size_t *len, char *err,
                  size_t errlen)
{
    CURL *h = curl_easy_init();
    if (!h) return snprintf(err, errlen, "curl: cannot start"), -1;
    gh_buf b;
    gh_buf_init(&b, FETCH_MAX_BYTES);
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)FETCH_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "gatehouse/" GH_VERSION);
    if (ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK || status != 200 || b.failed) {
        if (b.failed) snprintf(err, errlen, "GET %s: answer larger than %d bytes", url, FETCH_MAX_BYTES);
        else if (rc != CURLE_OK) snprintf(err, errlen, "GET %s: %s", url, cerr[0] ? cerr : curl_easy_strerror(rc));
        else snprintf(err, errlen, "GET %s: HTTP status %ld", url, status);
        gh_buf_free(&b);
        return -1;
    }
    gh_buf_puts(&b, "");
    *body = gh_buf_take(&b, len);
    return 0;
}

/* ---- loading one issuer's keys ---- */

/* The discovery document names the JWKS; its issuer must be the one configured (OIDC
 * Discovery 1.0, section 4.3). */
static int discover_jwks_uri(const auth_issuer_cfg *c, char **jwks_uri, char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (keys_http_get(c->location, c->ca_file, &text, &len, err, errlen) < 0) return -1;
    gh_arena a;
    gh_arena_init(&a, 0);
    const gh_value *doc;
    int rc = -1;
    if (gh_json_read(&a, text, len, NULL, &doc, NULL) != 0 || gh_value_kind(doc) != GH_KIND_OBJECT) {
        snprintf(err, errlen, "%s: not a JSON object", c->location);
        goto out;
    }
    size_t in, un;
    const char *iss = gh_string_ptr(gh_object_get_str(doc, "issuer", 6), &in);
    const char *uri = gh_string_ptr(gh_object_get_str(doc, "jwks_uri", 8), &un);
    if (!iss || in != strlen(c->issuer) || memcmp(iss, c->issuer, in) != 0) {
        snprintf(err, errlen, "%s: its issuer is not %s", c->location, c->issuer);
        goto out;
    }
    if (!uri || un < 8 || memcmp(uri, "https://", 8) != 0) {
        snprintf(err, errlen, "%s: jwks_uri missing or not https", c->location);
        goto out;
    }
    *jwks_uri = strndup(uri, un);
    rc = *jwks_uri ? 0 : -1;
out:
    gh_arena_free(&a);
    free(text);
    return rc;
}

static int fetch_jwks(const auth_issuer_cfg *c, gh_jose_keyset *out, char *err, size_t errlen)
{
    char *uri = NULL;
    if (c->source == KEYS_DISCOVERY && discover_jwks_uri(c, &uri, err, errlen) < 0) return -1;
    const char *url = uri ? uri : c->location;
    char *text;
    size_t len;
    int rc = keys_http_get(url, c->ca_file, &text, &len, err, errlen);
    if (rc == 0) {
        gh_jose_jwk_opts o = {.flags = GH_JOSE_SKIP_UNSUPPORTED};
        rc = gh_jose_keyset_from_jwk(text, len, &o, out, err, errlen);
        free(text);
    }
    free(uri);
    return rc;
}

static int load_file_keys(const auth_issuer_cfg *c, gh_jose_keyset *out, char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (cli_read_file(c->location, &text, &len) < 0)
        return snprintf(err, errlen, "%s: cannot read", c->location), -1;
    gh_jose_jwk_opts o = {.flags = GH_JOSE_SKIP_UNSUPPORTED};
    int rc = c->source == KEYS_PEM_FILE ? gh_jose_keyset_from_pem(text, len, out, err, errlen)
                                        : gh_jose_keyset_from_jwk(text, len, &o, out, err, errlen);
    free(text);
    return rc;
}

int keys_load_issuer(const auth_issuer_cfg *c, gh_jose_keyset *out, char *err, size_t errlen)
{
    switch (c->source) {
    case KEYS_JWKS_URL:
    case KEYS_DISCOVERY: return fetch_jwks(c, out, err, errlen);
    case KEYS_JWKS_FILE:
    case KEYS_PEM_FILE: return load_file_keys(c, out, err, errlen);
    case KEYS_HMAC: return gh_jose_keyset_from_secret(c->secret, c->secret_len, out, err, errlen);
    case KEYS_NONE: break;
    }
    return snprintf(err, errlen, "issuer %s has no key source", c->issuer), -1;
}

/* ---- references ---- */

keyset_ref *keys_acquire(keys_manager *m, size_t issuer)
{
    pthread_mutex_lock(&m->mu);
    keyset_ref *r = m->iss[issuer].current;
    if (r) atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&m->mu);
    return r;
}

void keys_release(keyset_ref *r)
{
    if (!r || atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1) return;
    gh_jose_keyset_free(&r->set);
    free(r);
}

/* Makes set the issuer's current keys (the manager's mutex held); takes set's keys. */
static void install(keys_manager *m, issuer_state *s, gh_jose_keyset *set)
{
    keyset_ref *r = calloc(1, sizeof *r);
    if (!r) {
        gh_jose_keyset_free(set);
        return;
    }
    atomic_init(&r->refs, 1);
    r->set = *set;
    *set = (gh_jose_keyset){0};
    r->generation = atomic_fetch_add(&m->generation, 1) + 1;
    keys_release(s->current);
    s->current = r;
}

uint64_t keys_generation(keys_manager *m) { return atomic_load(&m->generation); }

/* ---- the fetcher ---- */

static void fetch_one(keys_manager *m, issuer_state *s)
{
    const auth_issuer_cfg *c = s->cfg;
    pthread_mutex_unlock(&m->mu);
    gh_jose_keyset set = {0};
    char err[512];
    int rc = fetch_jwks(c, &set, err, sizeof err);
    atomic_fetch_add(&m->fetches, 1);
    if (rc < 0) {
        atomic_fetch_add(&m->failures, 1);
        log_msg(LOG_WARN, NULL, "keys for %s: %s (keeping the last good set)", c->issuer, err);
    } else log_msg(LOG_DEBUG, NULL, "keys for %s: %zu key(s) fetched", c->issuer, set.n);
    pthread_mutex_lock(&m->mu);
    if (rc == 0) install(m, s, &set);
    int64_t next = (int64_t)(rc == 0 ? c->refresh_s : (c->refresh_s < RETRY_AFTER_FAILURE_S ? c->refresh_s : RETRY_AFTER_FAILURE_S));
    s->next_fetch_ns = mono_ns() + next * 1000000000;
    s->want_refresh = false;
    s->fetch_seq++;
    pthread_cond_broadcast(&m->fetched);
}

/* The fetcher sleeps until the earliest scheduled fetch or a wake-up. */
static void *fetcher_main(void *arg)
{
    keys_manager *m = arg;
    pthread_mutex_lock(&m->mu);
    while (!m->stop) {
        int64_t now = mono_ns(), earliest = INT64_MAX;
        issuer_state *due = NULL;
        for (size_t i = 0; i < m->n && !due; i++) {
            issuer_state *s = &m->iss[i];
            if (!is_url_source(s->cfg)) continue;
            if (s->want_refresh || s->next_fetch_ns <= now) due = s;
            else if (s->next_fetch_ns < earliest) earliest = s->next_fetch_ns;
        }
        if (due) {
            fetch_one(m, due);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        int64_t wait = earliest == INT64_MAX ? 3600ll * 1000000000 : earliest - now;
        until.tv_sec += wait / 1000000000;
        until.tv_nsec += wait % 1000000000;
        if (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
        pthread_cond_timedwait(&m->wake, &m->mu, &until);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

bool keys_refresh_for_unknown_kid(keys_manager *m, size_t issuer, uint64_t wait_ms)
{
    issuer_state *s = &m->iss[issuer];
    if (!is_url_source(s->cfg)) return false;
    pthread_mutex_lock(&m->mu);
    int64_t now = mono_ns();
    bool allowed = s->last_unknown_ns == 0 ||
                   now - s->last_unknown_ns >= (int64_t)s->cfg->min_refresh_interval_s * 1000000000;
    if (!allowed) {
        pthread_mutex_unlock(&m->mu);
        return false;
    }
    s->last_unknown_ns = now;
    s->want_refresh = true;
    atomic_fetch_add(&m->unknown_refreshes, 1);
    uint64_t seq = s->fetch_seq;
    uint64_t gen = s->current ? s->current->generation : 0;
    pthread_cond_signal(&m->wake);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(wait_ms / 1000);
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
    while (s->fetch_seq == seq && !m->stop)
        if (pthread_cond_timedwait(&m->fetched, &m->mu, &until) != 0) break;
    bool changed = s->current && s->current->generation != gen;
    pthread_mutex_unlock(&m->mu);
    return changed;
}

void keys_stats_get(keys_manager *m, keys_stats *out)
{
    out->fetches = atomic_load(&m->fetches);
    out->fetch_failures = atomic_load(&m->failures);
    out->unknown_kid_refreshes = atomic_load(&m->unknown_refreshes);
}

/* ---- start and stop ---- */

static void init_sync(keys_manager *m)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->wake, &ca);
    pthread_cond_init(&m->fetched, &ca);
    pthread_condattr_destroy(&ca);
}

keys_manager *keys_start(const auth_cfg *cfg, char *err, size_t errlen)
{
    keys_manager *m = calloc(1, sizeof *m);
    if (!m || !(m->iss = calloc(cfg->nissuers, sizeof *m->iss))) {
        free(m);
        return snprintf(err, errlen, "out of memory"), NULL;
    }
    init_sync(m);
    m->n = cfg->nissuers;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    bool any_url = false;
    for (size_t i = 0; i < m->n; i++) {
        issuer_state *s = &m->iss[i];
        s->cfg = &cfg->issuers[i];
        if (is_url_source(s->cfg)) {
            any_url = true;
            s->want_refresh = true; /* the first fetch, below */
            continue;
        }
        gh_jose_keyset set = {0};
        char e[400];
        if (keys_load_issuer(s->cfg, &set, e, sizeof e) < 0) {
            snprintf(err, errlen, "auth.issuers[%zu] (%s): %s", i, s->cfg->issuer, e);
            keys_stop(m);
            return NULL;
        }
        install(m, s, &set);
    }
    if (any_url) {
        if (pthread_create(&m->thread, NULL, fetcher_main, m) != 0) {
            snprintf(err, errlen, "cannot start the key fetcher");
            keys_stop(m);
            return NULL;
        }
        m->has_thread = true;
        /* wait (bounded) for the first fetches so the first requests find keys */
        pthread_mutex_lock(&m->mu);
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += FETCH_TIMEOUT_MS / 1000 + 1;
        for (size_t i = 0; i < m->n; i++)
            while (is_url_source(m->iss[i].cfg) && m->iss[i].fetch_seq == 0)
                if (pthread_cond_timedwait(&m->fetched, &m->mu, &until) != 0) break;
        pthread_mutex_unlock(&m->mu);
    }
    return m;
}

void keys_stop(keys_manager *m)
{
    if (!m) return;
    if (m->has_thread) {
        pthread_mutex_lock(&m->mu);
        m->stop = true;
        pthread_cond_broadcast(&m->wake);
        pthread_cond_broadcast(&m->fetched);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->thread, NULL);
    }
    for (size_t i = 0; i < m->n; i++) keys_release(m->iss[i].current);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->wake);
    pthread_cond_destroy(&m->fetched);
    free(m->iss);
    free(m);
    curl_global_cleanup();
}
