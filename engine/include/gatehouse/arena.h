/* Arenas: bump allocators with a byte cap. Nothing allocated from an arena is freed on its
 * own; everything lives until gh_arena_reset or gh_arena_free. Exceeding the cap (or running
 * out of memory) returns NULL, or longjmps to the arena's `oom` target when one is set, so
 * deep code such as the parser need not check every allocation. */
#ifndef GATEHOUSE_ARENA_H
#define GATEHOUSE_ARENA_H

#include <setjmp.h>
#include <stddef.h>

typedef struct gh_arena_chunk gh_arena_chunk;

typedef struct gh_arena {
    gh_arena_chunk *head;  /* chunk being filled; older chunks follow via ->next */
    size_t cap;            /* most bytes all chunks together may hold; 0 = unlimited */
    size_t reserved;       /* bytes held in chunks (sum of chunk sizes) */
    size_t used;           /* bytes handed out since the last reset */
    size_t peak;           /* largest `reserved` seen */
    jmp_buf *oom;          /* when set, allocation failure longjmps here with GH_ENOMEM */
} gh_arena;

/* A fresh arena with the given cap in bytes (0: no cap). Never fails: no memory is taken
 * until the first allocation. */
void gh_arena_init(gh_arena *a, size_t cap);
/* Releases every chunk. The arena can be used again afterwards. */
void gh_arena_free(gh_arena *a);
/* Forgets all allocations but keeps one chunk for reuse: the largest up to 1 MB, so an
 * arena reset per request stops allocating once it has seen the usual size. Debug builds
 * poison the memory so stale pointers show up. */
void gh_arena_reset(gh_arena *a);

/* n bytes aligned for any scalar type, or NULL (see above). */
void *gh_arena_alloc(gh_arena *a, size_t n);
/* Same, zero-filled. */
void *gh_arena_calloc(gh_arena *a, size_t count, size_t size);
/* Copy of s[0..n) with a terminating NUL. */
char *gh_arena_strndup(gh_arena *a, const char *s, size_t n);
/* Grows the most recent allocation in place when possible, otherwise copies. */
void *gh_arena_realloc(gh_arena *a, void *p, size_t old_n, size_t new_n);

#endif
