/* The pattern cache (gh_bcache): compiled regular expressions and globs keyed by their
 * text. An evaluator owns one (one thread at a time, so no locks); builtins called without
 * one use a small thread-local cache instead. Bounded, least recently used out. */
#include "builtins/bi_internal.h"

#include <pthread.h>
#include <stdlib.h>

#define CACHE_SLOTS 128

typedef struct centry {
    uint64_t hash, stamp;
    int kind;
    char *key;
    size_t n;
    void *obj;
    void (*free_fn)(void *);
} centry;

struct gh_bcache {
    centry slots[CACHE_SLOTS];
    uint64_t clock;
    gh_buf scratch[BI_SCRATCH_N]; /* reused text buffers: no malloc per call once warm */
};

/* The fallback cache of threads that call builtins without an evaluator cache; freed when
 * the thread exits. */
static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static bool tl_ok;

static void tl_free(void *p)
{
    gh_bcache_free(p);
}

static void tl_init(void)
{
    tl_ok = pthread_key_create(&tl_key, tl_free) == 0;
}

gh_bcache *gh_bcache_new(void)
{
    gh_bcache *c = calloc(1, sizeof(gh_bcache));
    for (size_t i = 0; c && i < BI_SCRATCH_N; i++) gh_buf_init(&c->scratch[i], 1u << 28);
    return c;
}

void gh_bcache_free(gh_bcache *c)
{
    if (!c) return;
    for (size_t i = 0; i < BI_SCRATCH_N; i++) gh_buf_free(&c->scratch[i]);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        if (c->slots[i].obj) {
            c->slots[i].free_fn(c->slots[i].obj);
            free(c->slots[i].key);
        }
    free(c);
}

static gh_bcache *cache_of(gh_bctx *bc)
{
    if (bc->cache) return bc->cache;
    pthread_once(&tl_once, tl_init);
    if (!tl_ok) return NULL;
    gh_bcache *c = pthread_getspecific(tl_key);
    if (!c && (c = gh_bcache_new()) && pthread_setspecific(tl_key, c) != 0) {
        gh_bcache_free(c);
        c = NULL;
    }
    return c;
}

static uint64_t hash_key(int kind, const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

gh_buf *bi_scratch(gh_bctx *bc, int which)
{
    gh_bcache *c = cache_of(bc);
    if (!c || which < 0 || which >= BI_SCRATCH_N) return NULL;
    gh_buf *b = &c->scratch[which];
    gh_buf_clear(b);
    /* a buffer that once grew huge is given back rather than kept for the evaluator's life */
    if (b->cap > (1u << 20)) {
        gh_buf_free(b);
        gh_buf_init(b, 1u << 28);
    }
    return b;
}

void *bi_cache_get(gh_bctx *bc, int kind, const char *key, size_t n)
{
    gh_bcache *c = cache_of(bc);
    if (!c) return NULL;
    uint64_t h = hash_key(kind, key, n);
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        centry *e = &c->slots[i];
        if (e->obj && e->hash == h && e->kind == kind && e->n == n && memcmp(e->key, key, n) == 0) {
            e->stamp = ++c->clock;
            return e->obj;
        }
    }
    return NULL;
}

void *bi_cache_put(gh_bctx *bc, int kind, const char *key, size_t n, void *obj,
                   void (*free_fn)(void *))
{
    gh_bcache *c = cache_of(bc);
    char *k = c ? malloc(n ? n : 1) : NULL;
    if (!k) return NULL;
    memcpy(k, key, n);
    centry *victim = &c->slots[0];
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        centry *e = &c->slots[i];
        if (!e->obj) {
            victim = e;
            break;
        }
        if (e->stamp < victim->stamp) victim = e;
    }
    if (victim->obj) {
        victim->free_fn(victim->obj);
        free(victim->key);
    }
    *victim = (centry){.hash = hash_key(kind, key, n), .stamp = ++c->clock, .kind = kind,
                       .key = k, .n = n, .obj = obj, .free_fn = free_fn};
    return obj;
}
