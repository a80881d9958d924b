/* Heap allocation counting for gatehouse bench (see alloc_count.h). The executable's own
 * malloc/calloc/realloc win over libc's for every library in the process (the engine, RE2,
 * OpenSSL, libcurl), so counting here sees each heap allocation an evaluation makes; they
 * forward to glibc's __libc_* entry points, and free stays glibc's. */
#include "alloc_count.h"

#include <stddef.h>
#include <stdlib.h> /* defines __GLIBC__ */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || !defined(__GLIBC__)
#define GH_ALLOC_COUNT 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define GH_ALLOC_COUNT 0
#endif
#endif
#ifndef GH_ALLOC_COUNT
#define GH_ALLOC_COUNT 1
#endif

#if GH_ALLOC_COUNT
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

/* Written only by alloc_count_arm, before and after the measured code runs: a plain read
 * is enough to decide whether to count. The totals are atomic because any thread may
 * allocate while armed. */
static volatile bool armed;
static uint64_t n_calls, n_bytes;

static inline void count(size_t bytes)
{
    if (!armed) return;
    __atomic_fetch_add(&n_calls, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&n_bytes, (uint64_t)bytes, __ATOMIC_RELAXED);
}

void *malloc(size_t n)
{
    count(n);
    return __libc_malloc(n);
}

void *calloc(size_t c, size_t n)
{
    count(c * n); /* an overflowing product fails inside calloc; the count is only a count */
    return __libc_calloc(c, n);
}

void *realloc(void *p, size_t n)
{
    count(n);
    return __libc_realloc(p, n);
}

bool alloc_count_available(void)
{
    return true;
}

void alloc_count_arm(bool on)
{
    armed = on;
}

void alloc_count_read(uint64_t *calls, uint64_t *bytes)
{
    *calls = __atomic_load_n(&n_calls, __ATOMIC_RELAXED);
    *bytes = __atomic_load_n(&n_bytes, __ATOMIC_RELAXED);
}
#else
bool alloc_count_available(void)
{
    return false;
}

void alloc_count_arm(bool on)
{
    (void)on;
}

void alloc_count_read(uint64_t *calls, uint64_t *bytes)
{
    *calls = *bytes = 0;
}
#endif
