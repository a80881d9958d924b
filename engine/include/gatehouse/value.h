/* Rego values: null, boolean, number, string, array, object, set, and JSON in/out.
 *
 * Ownership in one sentence: values are never freed one by one; they live as long as their
 * arena; evaluation values may point into the revision's arena, never the reverse.
 *
 * Every value is immutable once built and is handled through `const gh_value *`. A value is
 * one 64-bit word (small ints, short strings, null/true/false are stored in the word itself;
 * everything else is a tagged pointer into an arena), so a pointer returned by a lookup
 * points into its container and stays valid as long as the container's arena. Arrays hold
 * one word per element, objects two (key, value) sorted by key, sets one sorted and without
 * duplicates. Ordering and equality follow OPA: null < boolean < number < string < array <
 * object < set; numbers compare exactly by value whatever their form (1 == 1.0 == 1e0): an
 * int stands for itself, a kept text for its exact decimal, a double for the shortest
 * decimal that reads back as it, i.e. what it prints as (so 0.1 == 0.10). */
#ifndef GATEHOUSE_VALUE_H
#define GATEHOUSE_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"

/* In OPA's sort order: comparing kinds as integers orders values of different kinds. */
typedef enum gh_kind {
    GH_KIND_NULL,
    GH_KIND_BOOL,
    GH_KIND_NUMBER,
    GH_KIND_STRING,
    GH_KIND_ARRAY,
    GH_KIND_OBJECT,
    GH_KIND_SET,
} gh_kind;

/* Opaque: read it only through the functions below (the encoding is in engine/value.h). */
typedef struct gh_value {
    uint64_t bits;
} gh_value;

/* The static singletons; they belong to no arena. */
extern const gh_value gh_value_null_, gh_value_true_, gh_value_false_;
#define GH_NULL  (&gh_value_null_)
#define GH_TRUE  (&gh_value_true_)
#define GH_FALSE (&gh_value_false_)

/* ---- construction: every constructor returns NULL when the arena fails (or longjmps to
 * the arena's `oom`), and copies what it is given unless its name says otherwise ---- */

const gh_value *gh_value_bool(bool b);
const gh_value *gh_value_int(gh_arena *a, int64_t i);
/* NULL for NaN and infinities as well: Rego numbers are finite. */
const gh_value *gh_value_double(gh_arena *a, double d);
/* A number from JSON number text. The text is kept (and written back unchanged) when it
 * fits neither int64 nor a double that prints back as the same text. Returns 0, GH_EINVAL
 * when the text is not a JSON number, or GH_ENOMEM. */
int gh_value_number(gh_arena *a, const char *text, size_t len, const gh_value **out);
/* Bytes are copied and NUL-terminated. Strings are bytes: UTF-8 is not checked here. */
const gh_value *gh_value_string(gh_arena *a, const char *s, size_t n);
/* No copy: s[0..n) must outlive the arena and is not necessarily NUL-terminated. */
const gh_value *gh_value_string_ref(gh_arena *a, const char *s, size_t n);
/* items[0..n) are copied into the array (they are words; nested values are shared). */
const gh_value *gh_value_array(gh_arena *a, const gh_value *const *items, size_t n);
/* Sorts the members by key and drops exact duplicates. Two equal keys with different values
 * are a conflict (Rego's "object keys must be unique"): returns GH_EINVAL and sets
 * *conflict_key (when not NULL) to one of the keys. Returns 0 or GH_ENOMEM otherwise. */
int gh_value_object(gh_arena *a, const gh_value *const *keys, const gh_value *const *vals, size_t n,
                    const gh_value **out, const gh_value **conflict_key);
/* Sorts and de-duplicates. */
const gh_value *gh_value_set(gh_arena *a, const gh_value *const *items, size_t n);

/* ---- inspection ---- */

gh_kind gh_value_kind(const gh_value *v);
/* "null", "boolean", "number", "string", "array", "object", "set" (OPA's type names). */
const char *gh_kind_name(gh_kind k);
bool gh_value_get_bool(const gh_value *v); /* false unless v is true */
/* True when the number is integral and fits int64 (1.0 and 1e2 do); *out gets it. */
bool gh_number_get_int(const gh_value *v, int64_t *out);
/* The number as a double (nearest; may be infinite for huge kept texts). */
double gh_number_get_double(const gh_value *v);
/* The kept text of a number that has one (see gh_value_number), else NULL. */
const char *gh_number_text(const gh_value *v, size_t *len);
/* A string's bytes and length; NULL for non-strings. */
const char *gh_string_ptr(const gh_value *v, size_t *len);
/* Elements of an array or set, members of an object, bytes of a string; 0 otherwise. */
size_t gh_value_len(const gh_value *v);

/* ---- access: all return NULL when out of range, absent, or of the wrong kind ---- */

const gh_value *gh_array_get(const gh_value *arr, size_t i);
/* Iteration in sorted order: i in [0, gh_value_len). */
const gh_value *gh_object_key_at(const gh_value *obj, size_t i);
const gh_value *gh_object_value_at(const gh_value *obj, size_t i);
const gh_value *gh_set_item_at(const gh_value *set, size_t i);
/* Lookups: binary search today; large objects may get a hashed index behind this API. */
const gh_value *gh_object_get(const gh_value *obj, const gh_value *key);
const gh_value *gh_object_get_str(const gh_value *obj, const char *key, size_t n);
bool gh_set_contains(const gh_value *set, const gh_value *v);

/* ---- order, equality, hashing (OPA semantics; hash agrees with equal) ---- */

int gh_value_compare(const gh_value *a, const gh_value *b); /* <0, 0, >0 */
bool gh_value_equal(const gh_value *a, const gh_value *b);
uint64_t gh_value_hash(const gh_value *v);

/* ---- JSON in ---- */

#define GH_JSON_MAX_DEPTH 512 /* default nesting limit of gh_json_read */

enum {
    GH_JSON_RELAXED = 1u << 0, /* read: allow // and block comments, trailing commas, BOM */
    GH_JSON_MULTI = 1u << 1,   /* read: zero or more documents one after another (separated
                                  by whitespace or comments), returned as one array */
    GH_JSON_NO_DUPLICATES = 1u << 2, /* read: a key repeated in one object is an error (for
                                        untrusted documents whose readers may disagree on
                                        which one wins, such as JWT headers and claims) */
};

typedef struct gh_json_opts {
    unsigned flags; /* GH_JSON_RELAXED */
    int max_depth;  /* arrays + objects open at once; 0 = GH_JSON_MAX_DEPTH */
} gh_json_opts;

typedef struct gh_json_error {
    int code;      /* GH_EJSON, GH_ENOMEM or GH_ELIMIT; 0 when all went well */
    int line, col; /* 1-based; col counts bytes */
    size_t offset; /* byte offset of the error in the input */
    char msg[160]; /* "json: 3:17: expected ',' or '}' after object member" */
    bool duplicate; /* GH_JSON_NO_DUPLICATES: the error is a repeated key */
} gh_json_error;

/* Parses src[0..len) (RFC 8259; need not be NUL-terminated) into values allocated from `a`.
 * opts may be NULL (strict, default depth). Duplicate object keys: the last one wins, or
 * with GH_JSON_NO_DUPLICATES the read fails ("duplicate key \"alg\" in object", located at
 * the object's closing brace, err->duplicate set).
 * Invalid UTF-8 and lone surrogates become U+FFFD, as Go's encoding/json does. Returns 0,
 * or a GH_E* code with `err` (may be NULL) filled. On failure the arena keeps whatever was
 * allocated until it is reset. */
int gh_json_read(gh_arena *a, const char *src, size_t len, const gh_json_opts *opts,
                 const gh_value **out, gh_json_error *err);

/* ---- JSON and Rego text out ---- */

enum {
    GH_JSON_PRETTY = 1u << 0,      /* write: 2-space indent, like Go's json.MarshalIndent */
    GH_JSON_ESCAPE_HTML = 1u << 1, /* write: < > & as \u003c \u003e \u0026 */
};

/* Appends v as JSON: object keys sorted, sets as sorted arrays, numbers as OPA prints them.
 * Non-string object keys are written as the string of their JSON text. Returns 0,
 * GH_EINVAL (a NaN or infinite double), or the buffer's GH_ENOMEM/GH_ELIMIT. */
int gh_json_write(gh_buf *out, const gh_value *v, unsigned flags);
/* Appends s[0..n) as a JSON string (quoted, escaped as gh_json_write does). Same returns. */
int gh_json_write_str(gh_buf *out, const char *s, size_t n);
/* Appends v as Rego source text: {"a": 1}, [1, 2], {1, 2}, set(). Same returns. */
int gh_value_to_rego(gh_buf *out, const gh_value *v);

#endif
