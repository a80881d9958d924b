/* The Rego formatter (`gatehouse fmt`): one canonical layout for a parsed module, aiming
 * at `opa fmt`'s output for Rego v1 (tabs, blank-line groups, one literal per line,
 * comments kept where they were). gh_fmt_source is the safe entry point: it refuses to
 * return text whose syntax tree or comments differ from the input's (fail closed). */
#ifndef GH_FMT_H
#define GH_FMT_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "gatehouse/buf.h"

typedef struct gh_fmt_opts {
    bool v0_compatible;   /* input and output are Rego v0 */
    bool drop_v0_imports; /* v1: leave out `import rego.v1` (and so `future.keywords`) */
    bool verbatim_templates; /* template strings exactly as written (gh_fmt_source falls
                                back to this when re-rendering them would change the tree) */
} gh_fmt_opts;

/* Writes m (parsed from src[0..len)) formatted into out. 0, or GH_EINVAL with the reason
 * ("file:line:col: ...") in err when some node cannot be written faithfully. */
int gh_fmt_module(const gh_module *m, const char *src, size_t len, const gh_fmt_opts *o,
                  gh_buf *out, gh_buf *err);

/* Parses src, formats it, parses the result again and checks that both trees (without
 * locations, without the `rego.v1`/`future.keywords` imports v1 output drops, and with
 * `=` and `:=` rule values alike) and all
 * comments are the same. 0 with the text in out; GH_EPARSE when src does not parse
 * (diagnostics in err); GH_EINVAL/GH_EINTERNAL when the formatter would change the
 * module (reason in err). opts may be NULL. */
int gh_fmt_source(const char *file, const char *src, size_t len, const gh_fmt_opts *o,
                  gh_buf *out, gh_buf *err);

#endif
