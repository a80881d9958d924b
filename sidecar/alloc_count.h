/* Heap allocation counting for `gatehouse bench` (allocs/op, B/op), the way Go's benchmarks
 * count: alloc_count.c interposes malloc, calloc and realloc for the whole binary and counts
 * calls and requested bytes, but only while armed, so every other command pays one predictable
 * branch per allocation and nothing else. Builds with a sanitizer (which owns malloc) or
 * without glibc have no counter: alloc_count_available() says so. */
#ifndef GH_ALLOC_COUNT_H
#define GH_ALLOC_COUNT_H

#include <stdbool.h>
#include <stdint.h>

/* False when this build cannot count (sanitizers, non-glibc). */
bool alloc_count_available(void);
/* Starts or stops counting (allocations from every thread count while armed). */
void alloc_count_arm(bool on);
/* Totals counted while armed since the program started. */
void alloc_count_read(uint64_t *calls, uint64_t *bytes);

#endif
