/* gh_buf: growable, capped byte buffer. */
#include "gatehouse/buf.h"
#include "gatehouse/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gh_buf_init(gh_buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void gh_buf_free(gh_buf *b)
{
    free(b->data);
    size_t max = b->max;
    gh_buf_init(b, max);
}

void gh_buf_clear(gh_buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data) b->data[0] = '\0';
}

char *gh_buf_take(gh_buf *b, size_t *len)
{
    char *p = b->data;
    if (len) *len = b->len;
    if (!p) p = calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = false;
    return p;
}

static int buf_fail(gh_buf *b, int code)
{
    b->failed = true;
    return code;
}

char *gh_buf_reserve(gh_buf *b, size_t n)
{
    if (b->failed) return NULL;
    if (n > (size_t)-1 / 2 - b->len || (b->max && b->len + n > b->max)) {
        buf_fail(b, GH_ELIMIT);
        return NULL;
    }
    size_t need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need) cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            buf_fail(b, GH_ENOMEM);
            return NULL;
        }
        b->data = p;
        b->cap = cap;
    }
    return b->data + b->len;
}

void gh_buf_commit(gh_buf *b, size_t n)
{
    b->len += n;
    b->data[b->len] = '\0';
}

int gh_buf_append(gh_buf *b, const void *p, size_t n)
{
    char *dst = gh_buf_reserve(b, n);
    if (!dst) return b->max && b->len + n > b->max ? GH_ELIMIT : GH_ENOMEM;
    if (n) memcpy(dst, p, n);
    gh_buf_commit(b, n);
    return 0;
}

int gh_buf_puts(gh_buf *b, const char *s)
{
    return gh_buf_append(b, s, strlen(s));
}

int gh_buf_putc(gh_buf *b, char c)
{
    return gh_buf_append(b, &c, 1);
}

int gh_buf_vprintf(gh_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return buf_fail(b, GH_EINVAL);
    char *dst = gh_buf_reserve(b, (size_t)n);
    if (!dst) return GH_ENOMEM;
    vsnprintf(dst, (size_t)n + 1, fmt, ap);
    gh_buf_commit(b, (size_t)n);
    return 0;
}

int gh_buf_printf(gh_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = gh_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}
