/* Bearer tokens to input.subject: header parsing, the per-worker cache of verified tokens,
 * key lookup by kid (with one rate-limited re-fetch for an unknown kid), the subject
 * document, 401 answers and their metrics. */
#include "authn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "metrics.h"

#define MAX_ISSUERS 16
#define UNKNOWN_KID_WAIT_MS 2000

struct authn {
    const auth_cfg *cfg;
    keys_manager *keys;
    jwt_issuer issuers[MAX_ISSUERS]; /* find_key_ud is set per call */
    size_t nissuers;
};

typedef struct cache_slot {
    uint64_t hash;
    char *token;
    size_t token_len;
    int64_t valid_until;  /* wall-clock seconds */
    uint64_t generation;  /* keys_generation() when verified */
    char *subject_json;
    size_t subject_len;
} cache_slot;

struct authn_cache {
    cache_slot *slots;
    size_t mask;
    _Atomic uint64_t outcomes[JWT_REASON_COUNT];
    _Atomic uint64_t hits;
};

/* ---- setup ---- */

static const gh_jose_key *find_key(void *ud, const char *kid, size_t kid_len, gh_jose_alg alg);

authn *authn_new(const auth_cfg *cfg, char *err, size_t errlen)
{
    if (cfg->nissuers > MAX_ISSUERS)
        return snprintf(err, errlen, "auth.issuers: at most %d issuers", MAX_ISSUERS), NULL;
    authn *a = calloc(1, sizeof *a);
    if (!a) return snprintf(err, errlen, "out of memory"), NULL;
    a->cfg = cfg;
    a->keys = keys_start(cfg, err, errlen);
    if (!a->keys) {
        free(a);
        return NULL;
    }
    a->nissuers = cfg->nissuers;
    for (size_t i = 0; i < cfg->nissuers; i++) {
        const auth_issuer_cfg *c = &cfg->issuers[i];
        a->issuers[i] = (jwt_issuer){
            .iss = c->issuer,
            .algs = c->algs,
            .audiences = cfg->audiences.items,
            .naudiences = cfg->audiences.n,
            .leeway_s = cfg->leeway_s,
            .max_age_s = c->max_age_s,
            .required = c->required_claims.items,
            .nrequired = c->required_claims.n,
            .find_key = find_key,
        };
    }
    return a;
}

void authn_free(authn *a)
{
    if (!a) return;
    keys_stop(a->keys);
    free(a);
}

authn_cache *authn_cache_new(const authn *a)
{
    authn_cache *c = calloc(1, sizeof *c);
    size_t n = 1;
    while (n < a->cfg->cache_size) n <<= 1;
    if (!c || !(c->slots = calloc(n, sizeof *c->slots))) {
        free(c);
        return NULL;
    }
    c->mask = n - 1;
    return c;
}

static void slot_clear(cache_slot *s)
{
    free(s->token);
    free(s->subject_json);
    memset(s, 0, sizeof *s);
}

void authn_cache_free(authn_cache *c)
{
    if (!c) return;
    for (size_t i = 0; i <= c->mask; i++) slot_clear(&c->slots[i]);
    free(c->slots);
    free(c);
}

/* ---- keys by kid ---- */

typedef struct lookup {
    authn *a;
    size_t issuer;
    keyset_ref *held; /* released after jwt_verify returns */
    bool refreshed;
} lookup;

static const gh_jose_key *key_in(const keyset_ref *r, const char *kid, size_t kid_len,
                                 gh_jose_alg alg)
{
    if (!r) return NULL;
    const gh_jose_key *only = NULL;
    size_t fitting = 0;
    for (size_t i = 0; i < r->set.n; i++) {
        const gh_jose_key *k = &r->set.keys[i];
        if (kid) {
            if (k->kid && k->kid_len == kid_len && memcmp(k->kid, kid, kid_len) == 0) return k;
        } else if (gh_jose_key_fits(k, alg)) {
            only = k;
            fitting++;
        }
    }
    return fitting == 1 ? only : NULL; /* without a kid, only an unambiguous key will do */
}

static const gh_jose_key *find_key(void *ud, const char *kid, size_t kid_len, gh_jose_alg alg)
{
    lookup *l = ud;
    if (!l->held) l->held = keys_acquire(l->a->keys, l->issuer);
    const gh_jose_key *k = key_in(l->held, kid, kid_len, alg);
    if (k || !kid || l->refreshed) return k;
    l->refreshed = true;
    if (!keys_refresh_for_unknown_kid(l->a->keys, l->issuer, UNKNOWN_KID_WAIT_MS)) return NULL;
    keys_release(l->held);
    l->held = keys_acquire(l->a->keys, l->issuer);
    return key_in(l->held, kid, kid_len, alg);
}

/* ---- the subject ---- */

/* A claim by name, or by a dotted path when no claim has the whole name ("realm.roles";
 * "cognito:groups" and "https://x.example/tenant" are names). */
static const gh_value *claim_at(const gh_value *claims, const char *path)
{
    const gh_value *v = gh_object_get_str(claims, path, strlen(path));
    if (v) return v;
    const char *p = path;
    v = claims;
    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        v = gh_value_kind(v) == GH_KIND_OBJECT ? gh_object_get_str(v, p, n) : NULL;
        p += n + (dot ? 1 : 0);
    }
    return v;
}

/* Roles as an array of strings: an array claim as it is (strings only), a string claim
 * split on spaces (OAuth's "scope"). */
static const gh_value *roles_of(gh_arena *a, const gh_value *v)
{
    const gh_value *items[256];
    size_t n = 0;
    if (gh_value_kind(v) == GH_KIND_ARRAY) {
        for (size_t i = 0; i < gh_value_len(v) && n < 256; i++)
            if (gh_value_kind(gh_array_get(v, i)) == GH_KIND_STRING) items[n++] = gh_array_get(v, i);
    } else if (gh_value_kind(v) == GH_KIND_STRING) {
        size_t len;
        const char *s = gh_string_ptr(v, &len);
        for (size_t i = 0; i < len && n < 256;) {
            while (i < len && s[i] == ' ') i++;
            size_t j = i;
            while (j < len && s[j] != ' ') j++;
            if (j > i) items[n++] = gh_value_string(a, s + i, j - i);
            i = j;
        }
    } else return NULL;
    return gh_value_array(a, items, n);
}

const gh_value *authn_subject(const auth_cfg *cfg, gh_arena *a, const gh_value *claims)
{
    const gh_value *keys[5], *vals[5];
    size_t n = 0;
#define PUT(k, v)                                                                              \
    do {                                                                                       \
        if (v) keys[n] = gh_value_string_ref(a, k, strlen(k)), vals[n++] = (v);                \
    } while (0)
    PUT("claims", claims);
    if (cfg->claim_id) PUT("id", claim_at(claims, cfg->claim_id));
    PUT("issuer", gh_object_get_str(claims, "iss", 3));
    if (cfg->claim_roles) {
        const gh_value *r = claim_at(claims, cfg->claim_roles);
        PUT("roles", r ? roles_of(a, r) : NULL);
    }
    if (cfg->claim_tenant) PUT("tenant", claim_at(claims, cfg->claim_tenant));
#undef PUT
    const gh_value *out;
    return gh_value_object(a, keys, vals, n, &out, NULL) == 0 ? out : NULL;
}

const gh_value *authn_add_subject(gh_arena *a, const gh_value *input, const gh_value *subject)
{
    if (input && gh_value_kind(input) != GH_KIND_OBJECT) return NULL;
    size_t n = input ? gh_value_len(input) : 0;
    const gh_value **keys = gh_arena_alloc(a, (n + 1) * sizeof *keys);
    const gh_value **vals = gh_arena_alloc(a, (n + 1) * sizeof *vals);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t kn;
        const char *k = gh_string_ptr(gh_object_key_at(input, i), &kn);
        if (k && kn == 7 && memcmp(k, "subject", 7) == 0) continue; /* the client's own */
        keys[m] = gh_object_key_at(input, i);
        vals[m++] = gh_object_value_at(input, i);
    }
    keys[m] = gh_value_string_ref(a, "subject", 7);
    vals[m++] = subject;
    const gh_value *out;
    return gh_value_object(a, keys, vals, m, &out, NULL) == 0 ? out : NULL;
}

/* ---- the request ---- */

static uint64_t token_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

/* The token of an Authorization value "Bearer <token>"; JWT_MISSING otherwise. */
static jwt_reason bearer_token(const char *v, size_t n, const char **tok, size_t *len)
{
    if (!v) return JWT_MISSING;
    if (n < 7 || strncasecmp(v, "bearer ", 7) != 0) return JWT_MISSING;
    v += 7, n -= 7;
    while (n && *v == ' ') v++, n--;
    while (n && v[n - 1] == ' ') n--;
    if (n == 0) return JWT_MISSING;
    *tok = v;
    *len = n;
    return JWT_OK;
}

static bool cache_lookup(authn *a, authn_cache *c, gh_arena *arena, const char *tok, size_t len,
                         uint64_t h, int64_t now, authn_result *out)
{
    cache_slot *s = &c->slots[h & c->mask];
    if (!s->token || s->hash != h || s->token_len != len || memcmp(s->token, tok, len) != 0)
        return false;
    if (now >= s->valid_until || s->generation != keys_generation(a->keys)) {
        slot_clear(s);
        return false;
    }
    if (gh_json_read(arena, s->subject_json, s->subject_len, NULL, &out->subject, NULL) != 0)
        return false;
    out->reason = JWT_OK;
    out->cached = true;
    return true;
}

static void cache_store(authn *a, authn_cache *c, const char *tok, size_t len, uint64_t h,
                        const jwt_result *jr, const gh_value *subject, uint64_t generation)
{
    if (jr->exp <= 0) return; /* a token without exp is verified every time */
    int64_t until = jr->exp + a->cfg->leeway_s;
    const gh_value *iat = gh_object_get_str(jr->claims, "iat", 3);
    int64_t iat_s;
    if (jr->issuer && jr->issuer->max_age_s && iat && gh_number_get_int(iat, &iat_s) &&
        iat_s + jr->issuer->max_age_s + a->cfg->leeway_s < until)
        until = iat_s + jr->issuer->max_age_s + a->cfg->leeway_s;
    gh_buf b;
    gh_buf_init(&b, 64 * 1024);
    gh_json_write(&b, subject, 0);
    cache_slot *s = &c->slots[h & c->mask];
    char *t = malloc(len);
    if (b.failed || !t) {
        free(t);
        gh_buf_free(&b);
        return;
    }
    slot_clear(s);
    memcpy(t, tok, len);
    *s = (cache_slot){.hash = h, .token = t, .token_len = len, .valid_until = until,
                      .generation = generation};
    s->subject_json = gh_buf_take(&b, &s->subject_len);
}

jwt_reason authn_request(authn *a, authn_cache *c, gh_arena *arena, const http_request *req,
                         const str_list *audiences, int64_t now, authn_result *out)
{
    const http_header *found = NULL;
    for (size_t i = 0; i < req->nheaders; i++) {
        const http_header *h = &req->headers[i];
        if (h->name_len != 13 || strncasecmp(h->name, "authorization", 13) != 0) continue;
        if (found) { /* two Authorization headers: ambiguous */
            *out = (authn_result){.reason = JWT_MALFORMED, .detail = "two Authorization headers"};
            metric_add(&c->outcomes[JWT_MALFORMED], 1);
            return JWT_MALFORMED;
        }
        found = h;
    }
    return authn_header(a, c, arena, found ? found->value : NULL, found ? found->value_len : 0,
                        audiences, now, out);
}

jwt_reason authn_header(authn *a, authn_cache *c, gh_arena *arena, const char *value,
                        size_t value_len, const str_list *audiences, int64_t now,
                        authn_result *out)
{
    *out = (authn_result){.detail = ""};
    const char *tok = NULL;
    size_t len = 0;
    out->reason = bearer_token(value, value_len, &tok, &len);
    /* the cache is keyed by token and audiences: a token good for one listener is not
       thereby good for another */
    uint64_t h = out->reason == JWT_OK ? token_hash(tok, len) ^ (uintptr_t)audiences : 0;
    if (out->reason == JWT_OK && cache_lookup(a, c, arena, tok, len, h, now, out)) {
        metric_add(&c->hits, 1);
        metric_add(&c->outcomes[JWT_OK], 1);
        return JWT_OK;
    }
    if (out->reason == JWT_OK) {
        uint64_t generation = keys_generation(a->keys);
        lookup ctx[MAX_ISSUERS];
        jwt_issuer iss[MAX_ISSUERS];
        for (size_t i = 0; i < a->nissuers; i++) {
            ctx[i] = (lookup){.a = a, .issuer = i};
            iss[i] = a->issuers[i];
            iss[i].find_key_ud = &ctx[i];
            if (audiences) {
                iss[i].audiences = audiences->items;
                iss[i].naudiences = audiences->n;
            }
        }
        jwt_result jr;
        out->reason = jwt_verify(arena, tok, len, iss, a->nissuers, now, &jr);
        out->detail = jr.detail ? jr.detail : "";
        if (out->reason == JWT_OK) {
            out->subject = authn_subject(a->cfg, arena, jr.claims);
            if (!out->subject) out->reason = JWT_BAD_CLAIMS;
            else cache_store(a, c, tok, len, h, &jr, out->subject, generation);
        }
        for (size_t i = 0; i < a->nissuers; i++) keys_release(ctx[i].held);
    }
    metric_add(&c->outcomes[out->reason], 1);
    return out->reason;
}

void authn_refuse(http_response *resp, const authn_result *r)
{
    const char *cls = jwt_reason_class(r->reason), *msg = jwt_reason_message(r->reason);
    resp->status = 401;
    gh_buf_puts(&resp->headers, "WWW-Authenticate: Bearer realm=\"gatehouse\"");
    if (r->reason != JWT_MISSING) /* RFC 6750 3.1: no error code when no token was sent */
        gh_buf_printf(&resp->headers, ", error=\"invalid_token\", error_description=\"%s\"", msg);
    gh_buf_puts(&resp->headers, "\r\n");
    gh_buf_clear(&resp->body);
    gh_buf_printf(&resp->body, "{\"code\":\"unauthenticated\",\"reason\":\"%s\",\"message\":", cls);
    char full[300];
    if (r->detail && *r->detail) snprintf(full, sizeof full, "%s (%s)", msg, r->detail);
    else snprintf(full, sizeof full, "%s", msg);
    gh_json_write_str(&resp->body, full, strlen(full));
    gh_buf_puts(&resp->body, "}\n");
}

void authn_render_metrics(authn *a, authn_cache *const *caches, int n, gh_buf *out)
{
    gh_buf_puts(out, "# HELP gatehouse_authn_total Bearer-token checks by outcome.\n"
                     "# TYPE gatehouse_authn_total counter\n");
    for (int r = 0; r < JWT_REASON_COUNT; r++) {
        uint64_t v = 0;
        for (int i = 0; i < n; i++) v += atomic_load_explicit(&caches[i]->outcomes[r], memory_order_relaxed);
        if (v || r == JWT_OK)
            gh_buf_printf(out, "gatehouse_authn_total{result=\"%s\",reason=\"%s\"} %llu\n",
                          jwt_reason_class((jwt_reason)r), jwt_reason_name((jwt_reason)r),
                          (unsigned long long)v);
    }
    uint64_t hits = 0;
    for (int i = 0; i < n; i++) hits += atomic_load_explicit(&caches[i]->hits, memory_order_relaxed);
    gh_buf_printf(out, "# HELP gatehouse_authn_cache_hits_total Tokens accepted from the "
                       "verified-token cache.\n# TYPE gatehouse_authn_cache_hits_total counter\n"
                       "gatehouse_authn_cache_hits_total %llu\n", (unsigned long long)hits);
    keys_stats ks;
    keys_stats_get(a->keys, &ks);
    gh_buf_printf(out, "# HELP gatehouse_keys_fetches_total JWKS fetches.\n"
                       "# TYPE gatehouse_keys_fetches_total counter\n"
                       "gatehouse_keys_fetches_total %llu\n"
                       "# HELP gatehouse_keys_fetch_failures_total JWKS fetches that failed.\n"
                       "# TYPE gatehouse_keys_fetch_failures_total counter\n"
                       "gatehouse_keys_fetch_failures_total %llu\n"
                       "# HELP gatehouse_keys_unknown_kid_refreshes_total Re-fetches for a "
                       "token's unknown kid.\n"
                       "# TYPE gatehouse_keys_unknown_kid_refreshes_total counter\n"
                       "gatehouse_keys_unknown_kid_refreshes_total %llu\n",
                  (unsigned long long)ks.fetches, (unsigned long long)ks.fetch_failures,
                  (unsigned long long)ks.unknown_kid_refreshes);
}
