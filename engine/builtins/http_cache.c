/* http.send's inter-query cache (OPA's inter_query_builtin_cache): one per process, shared
 * by every evaluator on every thread. Entries are keyed by the request object's canonical
 * JSON and hold owned copies of a response (status, raw body, header lines) in one malloc'd
 * block each, never pointers into an evaluation arena. The HTTP semantics (what may be
 * stored, freshness, revalidation) live in http.c; this file only stores.
 *
 * Concurrency: one mutex, held only to find, link or unlink entries and to move reference
 * counts; copying a response out and the network call happen outside it. Entries are
 * immutable once stored; a lookup takes a reference, so an entry evicted or replaced while a
 * reader copies it is freed by the last reader.
 *
 * Bounded in bytes (key + response): when an insertion would exceed the bound, entries
 * already expired at the inserting evaluation's time go first, then the oldest inserted
 * (OPA evicts in insertion order too). An entry larger than the whole bound is not stored. */
#include "builtins/bi_internal.h"

#include <pthread.h>
#include <stdlib.h>

#define HC_DEFAULT_LIMIT (64u * 1024 * 1024)
#define HC_MIN_BUCKETS   64

typedef struct hentry hentry;
struct hentry {
    hentry *next_hash;         /* bucket chain */
    hentry *older, *newer;     /* insertion order */
    uint64_t hash;
    size_t refs;               /* the table's reference + readers' */
    bool linked;               /* still in the table */
    size_t size;               /* bytes charged against the bound */
    int64_t expires_ns;
    bi_hresp r;                /* pointers into the block after the struct */
    const char *key;
    size_t key_len;
};

static struct {
    pthread_mutex_t mu;
    hentry **buckets;
    size_t nbuckets, count;
    hentry *oldest, *newest;
    size_t usage, limit;
} hc = {.mu = PTHREAD_MUTEX_INITIALIZER, .limit = HC_DEFAULT_LIMIT};

static uint64_t hc_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static hentry **hc_slot(const char *key, size_t n, uint64_t h)
{
    if (!hc.nbuckets) return NULL;
    hentry **p = &hc.buckets[h & (hc.nbuckets - 1)];
    while (*p && !((*p)->hash == h && (*p)->key_len == n && memcmp((*p)->key, key, n) == 0))
        p = &(*p)->next_hash;
    return p;
}

/* Unlinks e from the table (mutex held); true when the caller must free it. */
static bool hc_unlink(hentry *e)
{
    hentry **p = &hc.buckets[e->hash & (hc.nbuckets - 1)];
    while (*p != e) p = &(*p)->next_hash;
    *p = e->next_hash;
    if (e->older) e->older->newer = e->newer;
    else hc.oldest = e->newer;
    if (e->newer) e->newer->older = e->older;
    else hc.newest = e->older;
    e->linked = false;
    hc.usage -= e->size;
    hc.count--;
    return --e->refs == 0;
}

/* Doubles the bucket array when the load passes 1 (mutex held); out of memory only makes
 * chains longer. */
static void hc_grow(void)
{
    if (hc.count < hc.nbuckets) return;
    size_t nb = hc.nbuckets ? hc.nbuckets * 2 : HC_MIN_BUCKETS;
    hentry **b = calloc(nb, sizeof *b);
    if (!b) return;
    for (size_t i = 0; i < hc.nbuckets; i++)
        for (hentry *e = hc.buckets[i], *next; e; e = next) {
            next = e->next_hash;
            e->next_hash = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    free(hc.buckets);
    hc.buckets = b;
    hc.nbuckets = nb;
}

/* Frees entries unlinked under the mutex, after it is released. */
typedef struct hc_garbage {
    hentry *list[8];
    size_t n;
    hentry *overflow; /* chained through next_hash */
} hc_garbage;

static void hc_discard(hc_garbage *g, hentry *e)
{
    if (g->n < 8) g->list[g->n++] = e;
    else e->next_hash = g->overflow, g->overflow = e;
}

static void hc_collect(hc_garbage *g)
{
    for (size_t i = 0; i < g->n; i++) free(g->list[i]);
    for (hentry *e = g->overflow, *next; e; e = next) next = e->next_hash, free(e);
}

/* Makes room for `need` more bytes (mutex held): expired entries first, then oldest. */
static void hc_make_room(size_t need, int64_t now_ns, hc_garbage *g)
{
    if (hc.usage + need <= hc.limit) return;
    for (hentry *e = hc.oldest, *next; e && hc.usage + need > hc.limit; e = next) {
        next = e->newer;
        if (e->expires_ns <= now_ns && hc_unlink(e)) hc_discard(g, e);
    }
    while (hc.oldest && hc.usage + need > hc.limit) {
        hentry *e = hc.oldest;
        if (hc_unlink(e)) hc_discard(g, e);
    }
}

bool bi_hcache_get(const char *key, size_t n, bi_hcache_ref *ref)
{
    uint64_t h = hc_hash(key, n);
    pthread_mutex_lock(&hc.mu);
    hentry **p = hc_slot(key, n, h);
    hentry *e = p ? *p : NULL;
    if (e) e->refs++;
    pthread_mutex_unlock(&hc.mu);
    if (!e) return false;
    ref->entry = e;
    ref->resp = &e->r;
    ref->expires_ns = e->expires_ns;
    return true;
}

void bi_hcache_release(bi_hcache_ref *ref)
{
    hentry *e = ref->entry;
    if (!e) return;
    pthread_mutex_lock(&hc.mu);
    bool last = --e->refs == 0;
    pthread_mutex_unlock(&hc.mu);
    if (last) free(e);
    ref->entry = NULL;
    ref->resp = NULL;
}

void bi_hcache_delete(const char *key, size_t n)
{
    uint64_t h = hc_hash(key, n);
    pthread_mutex_lock(&hc.mu);
    hentry **p = hc_slot(key, n, h);
    hentry *e = p ? *p : NULL;
    bool last = e && hc_unlink(e);
    pthread_mutex_unlock(&hc.mu);
    if (last) free(e);
}

static char *put_bytes(char **at, const void *p, size_t n)
{
    char *dst = *at;
    if (n) memcpy(dst, p, n);
    dst[n] = '\0';
    *at += n + 1;
    return dst;
}

int bi_hcache_put(const char *key, size_t n, const bi_hresp *r, int64_t expires_ns,
                  int64_t now_ns)
{
    size_t status_len = strlen(r->status);
    size_t extra = n + r->body_len + r->names_len + r->values_len + status_len + 5;
    if (extra < n || extra > SIZE_MAX - sizeof(hentry)) return 0;
    size_t size = sizeof(hentry) + extra;
    pthread_mutex_lock(&hc.mu);
    size_t limit = hc.limit;
    pthread_mutex_unlock(&hc.mu);
    if (size > limit) return 0; /* could never fit: not stored, as OPA */
    hentry *e = malloc(size);
    if (!e) return BI_NOMEM;
    char *at = (char *)(e + 1);
    *e = (hentry){.hash = hc_hash(key, n), .refs = 1, .linked = true, .size = size,
                  .expires_ns = expires_ns, .key_len = n};
    e->key = put_bytes(&at, key, n);
    e->r.status_code = r->status_code;
    e->r.status = put_bytes(&at, r->status, status_len);
    e->r.body = put_bytes(&at, r->body, r->body_len);
    e->r.body_len = r->body_len;
    e->r.names = put_bytes(&at, r->names, r->names_len);
    e->r.names_len = r->names_len;
    e->r.values = put_bytes(&at, r->values, r->values_len);
    e->r.values_len = r->values_len;
    e->r.nheaders = r->nheaders;

    hc_garbage g = {.n = 0};
    pthread_mutex_lock(&hc.mu);
    hc_grow();
    hentry **p = hc_slot(key, n, e->hash);
    hentry *old = p ? *p : NULL;
    if (old && hc_unlink(old)) hc_discard(&g, old); /* replaced */
    hc_make_room(size, now_ns, &g);
    if (!hc.nbuckets || size > hc.limit) { /* no table, or the bound shrank meanwhile */
        pthread_mutex_unlock(&hc.mu);
        hc_collect(&g);
        free(e);
        return 0;
    }
    p = hc_slot(key, n, e->hash);
    *p = e;
    e->older = hc.newest;
    if (hc.newest) hc.newest->newer = e;
    else hc.oldest = e;
    hc.newest = e;
    hc.usage += size;
    hc.count++;
    pthread_mutex_unlock(&hc.mu);
    hc_collect(&g);
    return 0;
}

void bi_hcache_configure(size_t limit_bytes)
{
    hc_garbage g = {.n = 0};
    pthread_mutex_lock(&hc.mu);
    hc.limit = limit_bytes ? limit_bytes : HC_DEFAULT_LIMIT;
    while (hc.oldest && hc.usage > hc.limit) {
        hentry *e = hc.oldest;
        if (hc_unlink(e)) hc_discard(&g, e);
    }
    pthread_mutex_unlock(&hc.mu);
    hc_collect(&g);
}

void bi_hcache_clear(void)
{
    hc_garbage g = {.n = 0};
    pthread_mutex_lock(&hc.mu);
    while (hc.oldest) {
        hentry *e = hc.oldest;
        if (hc_unlink(e)) hc_discard(&g, e);
    }
    pthread_mutex_unlock(&hc.mu);
    hc_collect(&g);
}

void bi_hcache_stats(size_t *entries, size_t *bytes)
{
    pthread_mutex_lock(&hc.mu);
    if (entries) *entries = hc.count;
    if (bytes) *bytes = hc.usage;
    pthread_mutex_unlock(&hc.mu);
}
