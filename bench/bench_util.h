/* Pieces every benchmark shares: a monotonic clock, sorting helpers, and a count of malloc,
 * calloc and realloc calls (bench_util.c interposes them for the whole executable). */
#ifndef GH_BENCH_UTIL_H
#define GH_BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

/* Calls to malloc, calloc and realloc since the program started. */
extern volatile unsigned long bench_mallocs;

static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* qsort comparators. */
int bench_cmp_u64(const void *a, const void *b);
int bench_cmp_double(const void *a, const void *b);

#endif
