/* Bump allocation in chunks, with a cap and an optional longjmp on failure. */
#include "gatehouse/arena.h"
#include "gatehouse/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN      16
#define ARENA_MIN_CHUNK  (64 * 1024)
#define ARENA_KEEP_MAX   (1024 * 1024)
#define ARENA_POISON     0xA5

struct gh_arena_chunk {
    gh_arena_chunk *next;
    size_t size; /* usable bytes in data[] */
    size_t fill; /* bytes handed out from data[] */
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

void gh_arena_init(gh_arena *a, size_t cap)
{
    memset(a, 0, sizeof *a);
    a->cap = cap;
}

void gh_arena_free(gh_arena *a)
{
    gh_arena_chunk *c = a->head;
    while (c) {
        gh_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->reserved = a->used = 0;
}

/* The chunk a reset keeps: the largest up to ARENA_KEEP_MAX, so an arena reused for
 * requests of one size settles into one chunk and allocates nothing per request, while a
 * huge request does not pin its memory for good. */
static gh_arena_chunk *chunk_to_keep(gh_arena_chunk *c)
{
    gh_arena_chunk *keep = NULL;
    for (; c; c = c->next)
        if (c->size <= ARENA_KEEP_MAX && (!keep || c->size > keep->size)) keep = c;
    return keep;
}

void gh_arena_reset(gh_arena *a)
{
    gh_arena_chunk *keep = chunk_to_keep(a->head);
    for (gh_arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        if (c != keep) free(c);
    }
    a->head = keep;
    a->reserved = keep ? keep->size : 0;
    a->used = 0;
    if (keep) {
#ifndef NDEBUG
        memset(keep->data, ARENA_POISON, keep->fill);
#endif
        keep->fill = 0;
        keep->next = NULL;
    }
}

static void *arena_fail(gh_arena *a)
{
    if (a->oom) longjmp(*a->oom, GH_ENOMEM);
    return NULL;
}

static gh_arena_chunk *arena_grow(gh_arena *a, size_t n)
{
    size_t size = a->head ? a->head->size * 2 : ARENA_MIN_CHUNK;
    if (size < n) size = n;
    if (size > 64u * 1024 * 1024 && n <= 64u * 1024 * 1024) size = 64u * 1024 * 1024;
    if (a->cap && a->reserved + size > a->cap) {
        if (a->reserved + n > a->cap) return NULL;
        size = a->cap - a->reserved; /* last chunk: whatever the cap leaves */
    }
    gh_arena_chunk *c = malloc(sizeof *c + size);
    if (!c) return NULL;
    c->next = a->head;
    c->size = size;
    c->fill = 0;
    a->head = c;
    a->reserved += size;
    if (a->reserved > a->peak) a->peak = a->reserved;
    return c;
}

void *gh_arena_alloc(gh_arena *a, size_t n)
{
    if (n > SIZE_MAX - ARENA_ALIGN) return arena_fail(a);
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (n == 0) n = ARENA_ALIGN;
    gh_arena_chunk *c = a->head;
    if (!c || c->size - c->fill < n) {
        c = arena_grow(a, n);
        if (!c) return arena_fail(a);
    }
    void *p = c->data + c->fill;
    c->fill += n;
    a->used += n;
    return p;
}

void *gh_arena_calloc(gh_arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return arena_fail(a);
    void *p = gh_arena_alloc(a, count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

char *gh_arena_strndup(gh_arena *a, const char *s, size_t n)
{
    char *p = gh_arena_alloc(a, n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void *gh_arena_realloc(gh_arena *a, void *p, size_t old_n, size_t new_n)
{
    gh_arena_chunk *c = a->head;
    size_t old_al = (old_n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (p && c && (unsigned char *)p + old_al == c->data + c->fill) {
        size_t new_al = (new_n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
        size_t start = (size_t)((unsigned char *)p - c->data);
        if (new_al <= c->size - start) { /* last allocation of the chunk: grow in place */
            c->fill = start + new_al;
            a->used = a->used - old_al + new_al;
            return p;
        }
    }
    void *q = gh_arena_alloc(a, new_n);
    if (q && p && old_n) memcpy(q, p, old_n < new_n ? old_n : new_n);
    return q;
}
