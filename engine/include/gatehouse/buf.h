/* gh_buf: a growable byte buffer on the heap with a hard cap (as curl's dynbuf). A failed
 * append sets `failed`, leaves the contents as they were, and makes later appends no-ops,
 * so a writer may append freely and check once at the end. The text is always NUL-ended. */
#ifndef GATEHOUSE_BUF_H
#define GATEHOUSE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct gh_buf {
    char *data;  /* NUL-terminated contents, NULL until the first append */
    size_t len;  /* bytes used, without the NUL */
    size_t cap;  /* bytes allocated */
    size_t max;  /* largest len allowed; 0 = no limit */
    bool failed; /* an append ran out of memory or hit max */
} gh_buf;

void gh_buf_init(gh_buf *b, size_t max);
void gh_buf_free(gh_buf *b);
void gh_buf_clear(gh_buf *b); /* len = 0, failed = false; keeps the memory */
/* Hands the contents to the caller (free() them); the buffer is empty afterwards. */
char *gh_buf_take(gh_buf *b, size_t *len);

/* Each returns 0, or GH_ENOMEM/GH_ELIMIT (and sets failed). */
int gh_buf_append(gh_buf *b, const void *p, size_t n);
int gh_buf_puts(gh_buf *b, const char *s);
int gh_buf_putc(gh_buf *b, char c);
int gh_buf_printf(gh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int gh_buf_vprintf(gh_buf *b, const char *fmt, va_list ap);
/* Makes room for n more bytes and returns where they go (commit with gh_buf_commit). */
char *gh_buf_reserve(gh_buf *b, size_t n);
void gh_buf_commit(gh_buf *b, size_t n);

#endif
