/* The C face of the RE2 shim (regex.cc): compile, match and find with Go regexp semantics.
 * A compiled bi_re is immutable and safe to use from several threads. */
#ifndef GH_BI_REGEX_SHIM_H
#define GH_BI_REGEX_SHIM_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bi_re bi_re;

/* NULL on a bad pattern (err gets Go's message: "error parsing regexp: missing closing ):
 * `(abc`") or when out of memory (err empty). */
bi_re *bi_re_compile(const char *pat, size_t n, char *err, size_t errcap);
void bi_re_free(void *re);
/* Capturing groups, not counting the whole match. */
int bi_re_ngroups(const bi_re *re);
/* Leftmost-first match in text[0..n) starting the search at pos (text before pos is context
 * for ^ and \b). m gets 2 * (ngroups + 1) byte offsets, -1 for groups that did not take
 * part. */
bool bi_re_find(const bi_re *re, const char *text, size_t n, size_t pos, long *m);
/* Whether re matches anywhere in text[0..n) (no submatches: the fast DFA path). */
bool bi_re_test(const bi_re *re, const char *text, size_t n);
/* Index of the named group, or -1. */
int bi_re_group(const bi_re *re, const char *name, size_t n);

#ifdef __cplusplus
}
#endif

#endif
