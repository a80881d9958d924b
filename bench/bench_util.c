/* Shared benchmark helpers; the executable's own malloc/calloc/realloc win over libc's, so
 * counting them here sees every allocation, the engine's included. */
#include "bench_util.h"

#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

volatile unsigned long bench_mallocs;

void *malloc(size_t n)
{
    bench_mallocs++;
    return __libc_malloc(n);
}

void *calloc(size_t c, size_t n)
{
    bench_mallocs++;
    return __libc_calloc(c, n);
}

void *realloc(void *p, size_t n)
{
    bench_mallocs++;
    return __libc_realloc(p, n);
}

int bench_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
