/* Diagnostics: a list of located messages ("file:line:col: code: message") with the source
 * line they point into, printed with a caret under the column like OPA's errors. The list
 * owns its strings (heap), so it outlives the arenas of whatever produced it. */
#ifndef GATEHOUSE_DIAG_H
#define GATEHOUSE_DIAG_H

#include <stddef.h>

#include "gatehouse/buf.h"

typedef struct gh_diag {
    char *file;      /* file name as given, or "" */
    int line, col;   /* 1-based; 0 when unknown */
    const char *code; /* static: "rego_parse_error", "rego_compile_error", ... */
    char *msg;       /* the message, without location or code */
    char *src_line;  /* the source line the location points into, or NULL */
} gh_diag;

typedef struct gh_diags {
    gh_diag *items;
    size_t n, cap;
    size_t max; /* at most this many are kept (0: 100); `dropped` counts the rest */
    size_t dropped;
} gh_diags;

void gh_diags_init(gh_diags *d);
void gh_diags_free(gh_diags *d);

/* Adds one diagnostic. src/len (may be NULL/0) is the whole source text, from which the
 * line is copied for the caret display. Returns 0 or GH_ENOMEM. */
int gh_diags_add(gh_diags *d, const char *file, const char *src, size_t len, int line, int col,
                 const char *code, const char *fmt, ...) __attribute__((format(printf, 8, 9)));

/* "file:line:col: code: msg" for one item. */
void gh_diag_format_short(const gh_diag *g, gh_buf *out);
/* Every item as short form + newline + tab-indented source line + caret line. */
void gh_diags_format(const gh_diags *d, gh_buf *out);

#endif
