/* Helpers shared by the builtin families (private to engine/builtins/): operand errors in
 * OPA's words, result constructors in the evaluation arena, numbers as OPA's arithmetic sees
 * them, UTF-8 runes, and the per-family tables the registry (builtins.c) collects. */
#ifndef GH_BI_INTERNAL_H
#define GH_BI_INTERNAL_H

#include "builtins/builtins.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- family tables: each family file defines one, builtins.c lists them ---- */
typedef struct bi_family {
    const gh_builtin *items;
    size_t n;
} bi_family;

#define BI_FAMILY(name, table) \
    const bi_family bi_family_##name = {table, sizeof table / sizeof table[0]}

extern const bi_family bi_family_arith, bi_family_compare, bi_family_aggregates,
    bi_family_strings, bi_family_sprintf, bi_family_regex, bi_family_objects, bi_family_sets,
    bi_family_arrays, bi_family_types, bi_family_print, bi_family_glob, bi_family_bits,
    bi_family_casts, bi_family_encoding, bi_family_numbers, bi_family_graph, bi_family_uuid, bi_family_net,
    bi_family_units, bi_family_jsonpath, bi_family_semver, bi_family_time;
extern const bi_family bi_family_crypto, bi_family_jwt; /* crypto.c, jwt.c */
extern const bi_family bi_family_x509; /* x509.c */
extern const bi_family bi_family_http; /* http.c */
extern const bi_family bi_family_aws; /* aws.c */
extern const bi_family bi_family_misc; /* misc.c */
extern const bi_family bi_family_jsonschema; /* jsonschema.c */
extern const bi_family bi_family_globs; /* globs.c */
extern const bi_family bi_family_template; /* template.c */
extern const bi_family bi_family_yaml; /* yaml_bi.c */
extern const bi_family bi_family_graphql; /* graphql.c */
extern const bi_family bi_family_uri; /* uri.c */

/* Function-like entry helpers for the tables. */
#define BI_FN(nm, ar, dc, f)         {.name = nm, .arity = ar, .decl = dc, .fn = f}
#define BI_OP(nm, ix, ar, dc, f)     {.name = nm, .infix = ix, .arity = ar, .decl = dc, .fn = f}
#define BI_FNF(nm, ar, dc, f, fl)    {.name = nm, .arity = ar, .decl = dc, .fn = f, .flags = fl}

/* The builtin being called, for error messages ("count: operand 1 ..."). The registry
 * wrapper does not know it, so each function names itself. */

/* ---- errors (all return the negative code to hand back) ---- */

/* "NAME: operand POS must be WANT but got KIND" (one expected kind), or
 * "NAME: operand POS must be one of {A, B} but got KIND" (want is "A, B" with a comma). */
int bi_type_err(gh_bctx *bc, const char *name, int pos, const gh_value *got, const char *want);
/* "NAME: operand POS must be KIND of WANTs but got KIND containing GOTKIND". */
int bi_elem_err(gh_bctx *bc, const char *name, int pos, const gh_value *coll, const gh_value *got,
                const char *want);
/* "NAME: operand POS " + message (a type error). */
int bi_operand_err(gh_bctx *bc, const char *name, int pos, const char *msg);
/* "NAME: " + message, as eval_builtin_error. */
int bi_builtin_err(gh_bctx *bc, const char *name, const char *msg);
/* Out of memory (or the arena cap): no err_code, the VM reports it. */
#define BI_NOMEM GH_ENOMEM

/* ---- operands ---- */

static inline bool bi_is(const gh_value *v, gh_kind k)
{
    return gh_value_kind(v) == k;
}

/* String operand: NULL after reporting a type error (rc set). */
const char *bi_str_arg(gh_bctx *bc, const char *name, const gh_value *const *args, int pos,
                       size_t *len, int *rc);
/* OPA's IntOperand: an integral number that fits int64 ("must be integer number but got
 * floating-point number" otherwise). */
int bi_int_arg(gh_bctx *bc, const char *name, const gh_value *v, int pos, int64_t *out);

/* ---- results ---- */

const gh_value *bi_str(gh_bctx *bc, const char *s, size_t n);   /* copies */
const gh_value *bi_int(gh_bctx *bc, int64_t i);
/* A number from decimal text (JSON number syntax); NULL when out of memory. */
const gh_value *bi_num_text(gh_bctx *bc, const char *s, size_t n);
/* Scratch array of n pointers: from the arena (no malloc); NULL when out of memory. */
const gh_value **bi_ptrs(gh_bctx *bc, size_t n);
/* Arena bytes (uninitialised). */
char *bi_bytes(gh_bctx *bc, size_t n);
/* Sets *out and returns 0, or GH_ENOMEM when v is NULL. */
static inline int bi_ret(const gh_value **out, const gh_value *v)
{
    if (!v) return GH_ENOMEM;
    *out = v;
    return 0;
}

/* ---- numbers as OPA's arithmetic sees them ----
 * OPA computes on ints exactly and otherwise on big.Float with a 64-bit mantissa, which is
 * exactly x87 long double (64-bit significand, round to nearest even). A bnum is either an
 * int64 or such a long double. */
typedef struct bnum {
    bool is_int;
    int64_t i;
    long double f;
} bnum;

void bi_num_get(const gh_value *v, bnum *out);
/* Formats a long double as OPA's FloatToNumber does (integers in full, others the shortest
 * big.Float %g text at 64 bits) and builds the number. NULL when out of memory or not
 * finite. */
const gh_value *bi_num_from_ld(gh_bctx *bc, long double f);
/* The text OPA would hold for this number (kept text, or the int/double printed as JSON). */
size_t bi_num_json(const gh_value *v, char *buf, size_t cap);
/* Same result from a 128-bit integer (exact). */
const gh_value *bi_num_from_i128(gh_bctx *bc, __int128 x);

/* ---- UTF-8, decoded as Go does (invalid bytes are U+FFFD, width 1) ---- */
size_t bi_utf8_decode(const char *s, size_t n, uint32_t *rune);
size_t bi_utf8_encode(uint32_t r, char out[4]);
size_t bi_utf8_count(const char *s, size_t n);
bool bi_is_ascii(const char *s, size_t n);

/* ---- pattern cache (regex.cc, glob.c) ---- */
/* Looks up (kind, key) in the evaluator's cache or the thread-local fallback. */
void *bi_cache_get(gh_bctx *bc, int kind, const char *key, size_t n);
/* Stores obj (taking ownership; free_fn releases it on eviction). Returns obj, or NULL
 * when the cache could not take it (then the caller frees it after use). */
void *bi_cache_put(gh_bctx *bc, int kind, const char *key, size_t n, void *obj,
                   void (*free_fn)(void *));
enum { BI_CACHE_REGEX = 1, BI_CACHE_GLOB = 2, BI_CACHE_ZONE = 3 };
/* Reusable text buffers of the evaluator (or thread), cleared; NULL when out of memory.
 * Two, for a leaf use inside another: BI_SCRATCH_OUT for a builtin's result text,
 * BI_SCRATCH_TMP for short-lived pieces (one number, one quoted string, Rego text). A caller
 * must be done with a buffer before anything it calls takes the same one. */
enum { BI_SCRATCH_OUT = 0, BI_SCRATCH_TMP = 1, BI_SCRATCH_N = 2 };
gh_buf *bi_scratch(gh_bctx *bc, int which);

/* Per-evaluation memo (bc->memo): the value stored for (name, key), or NULL. */
const gh_value *bi_memo_get(gh_bctx *bc, const char *name, const gh_value *key);
int bi_memo_put(gh_bctx *bc, const char *name, const gh_value *key, const gh_value *val);
/* ---- http.send's inter-query cache (http_cache.c): process-wide, thread-safe ---- */
typedef struct bi_hresp {
    long status_code;
    const char *status;              /* "200 OK" */
    const char *body;                /* raw body, body_len bytes */
    size_t body_len;
    const char *names, *values;      /* header lines: NUL-terminated names / values */
    size_t names_len, values_len, nheaders;
} bi_hresp;
typedef struct bi_hcache_ref {
    void *entry;
    const bi_hresp *resp; /* valid until bi_hcache_release */
    int64_t expires_ns;
} bi_hcache_ref;
/* The entry stored under key (a reference the caller releases), or false. */
bool bi_hcache_get(const char *key, size_t n, bi_hcache_ref *ref);
void bi_hcache_release(bi_hcache_ref *ref);
void bi_hcache_delete(const char *key, size_t n);
/* Stores a copy of r under key (replacing any), evicting expired-at-now_ns then oldest
 * entries to stay within the bound. 0 (also when not stored) or BI_NOMEM. */
int bi_hcache_put(const char *key, size_t n, const bi_hresp *r, int64_t expires_ns,
                  int64_t now_ns);
/* The bound in bytes (0 = the default, 64 MiB); shrinking evicts oldest entries. */
void bi_hcache_configure(size_t limit_bytes);
void bi_hcache_clear(void);
void bi_hcache_stats(size_t *entries, size_t *bytes);

/* n random bytes from the system; false when none could be had. */
bool bi_random(void *buf, size_t n);

/* Rego text of v (gh_value_to_rego) into arena memory; NULL when out of memory. len may be
 * NULL. */
const char *bi_rego_text(gh_bctx *bc, const gh_value *v, size_t *len);

#endif
