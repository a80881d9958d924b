/* The private half of gatehouse/value.h: how a value word is encoded, the boxes it points
 * to, and the helpers value.c, number.c and json_*.c share. Nothing outside those files
 * should include this.
 *
 * A value is one 64-bit word; its low 3 bits are a tag:
 *
 *   TAG_BOX    pointer to a vbox (8-aligned): number (int64/double/text), array, object, set
 *   TAG_INT    int in the upper 61 bits (arithmetic shift), [-2^60, 2^60)
 *   TAG_SSTR   short string in the word: bits 3..5 = length 0..6, bytes 1..7 = the bytes,
 *              zero-padded so they stay NUL-terminated (little-endian hosts only)
 *   TAG_CONST  null (0), false (1), true (2) in the upper bits
 *   TAG_STR    pointer to a vstr {len, bytes..., NUL}
 *   TAG_STRREF pointer to a vstrref {len, ptr}: bytes owned by someone else
 *
 * An object is a vobj: its sorted keys live in a separate array that objects of the same
 * shape share (the JSON reader makes one per distinct key list: a 50 MB document of records
 * needs a handful), followed by the values in key order.
 *
 * The word 0 is never a valid value. Invariants the rest relies on: an object's keys and a
 * set's items are sorted by gh_value_compare and unique; an int that fits TAG_INT is never
 * boxed; a double is finite. A number may still have several forms (int 1, double 1.0,
 * text "1.0"): compare and hash look through them. */
#ifndef GH_VALUE_INTERNAL_H
#define GH_VALUE_INTERNAL_H

#include "gatehouse/value.h"

#include <string.h>

enum {
    TAG_BOX = 0,
    TAG_INT = 1,
    TAG_SSTR = 2,
    TAG_CONST = 3,
    TAG_STR = 4,
    TAG_STRREF = 5,
};
#define TAG_MASK 7u

#define SMALLINT_MIN  (-((int64_t)1 << 60))
#define SMALLINT_MAX  (((int64_t)1 << 60) - 1)
#define SSTR_MAX      6
#define VALUE_LEN_MAX UINT32_MAX /* most elements, members or string bytes in one value */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HAVE_SSTR 1
#else
#define HAVE_SSTR 0
#endif

enum { NUM_INT64 = 1, NUM_DOUBLE = 2, NUM_TEXT = 3 }; /* vbox.sub for GH_KIND_NUMBER */

typedef struct vbox {
    uint8_t kind;   /* gh_kind: NUMBER, ARRAY, OBJECT or SET */
    uint8_t sub;    /* numbers: NUM_*; 0 otherwise */
    uint16_t flags; /* reserved (e.g. "has hashed index" for big objects) */
    uint32_t len;   /* elements, members (objects), or text bytes (NUM_TEXT) */
} vbox;
/* After the header: gh_value items[len] (array, set), int64_t or double (NUM_INT64,
 * NUM_DOUBLE), or double + char[len + 1] (NUM_TEXT: nearest double, then the text).
 * Objects are vobj. */

typedef struct vobj {
    vbox h;
    const gh_value *keys; /* h.len sorted keys, possibly shared with other objects */
    gh_value vals[];      /* vals[i] belongs to keys[i] */
} vobj;

static inline const vobj *v_obj(const gh_value *v)
{
    return (const vobj *)(uintptr_t)v->bits;
}

typedef struct vstr {
    uint32_t len;
    char s[]; /* len bytes + NUL */
} vstr;

typedef struct vstrref {
    uint32_t len;
    const char *s;
} vstrref;

static inline unsigned v_tag(const gh_value *v)
{
    return (unsigned)(v->bits & TAG_MASK);
}

static inline const vbox *v_box(const gh_value *v)
{
    return (const vbox *)(uintptr_t)v->bits;
}

static inline gh_value v_make_ptr(const void *p, unsigned tag)
{
    gh_value v = {(uint64_t)(uintptr_t)p | tag};
    return v;
}

static inline gh_value v_make_int(int64_t i)
{
    gh_value v = {((uint64_t)i << 3) | TAG_INT};
    return v;
}

static inline int64_t v_int(const gh_value *v)
{
    return (int64_t)v->bits >> 3; /* gcc and clang shift signed values arithmetically */
}

static inline gh_value *box_items(const vbox *b)
{
    return (gh_value *)(uintptr_t)(b + 1);
}

static inline double box_double(const vbox *b)
{
    double d;
    memcpy(&d, b + 1, sizeof d);
    return d;
}

static inline const char *box_text(const vbox *b)
{
    return (const char *)(b + 1) + sizeof(double);
}

/* String bytes and length for any string form; NULL when v is not a string. */
static inline const char *v_str(const gh_value *v, size_t *len)
{
    switch (v_tag(v)) {
    case TAG_SSTR: *len = (v->bits >> 3) & 7; return (const char *)v + 1;
    case TAG_STR: {
        const vstr *s = (const vstr *)(uintptr_t)(v->bits & ~(uint64_t)TAG_MASK);
        *len = s->len;
        return s->s;
    }
    case TAG_STRREF: {
        const vstrref *s = (const vstrref *)(uintptr_t)(v->bits & ~(uint64_t)TAG_MASK);
        *len = s->len;
        return s->s;
    }
    }
    *len = 0;
    return NULL;
}

static inline bool v_is_str(const gh_value *v)
{
    unsigned t = v_tag(v);
    return t == TAG_SSTR || t == TAG_STR || t == TAG_STRREF;
}

/* Bytewise, then shorter first: OPA's string order. */
static inline int str_cmp(const char *a, size_t na, const char *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    if (c) return c;
    return na < nb ? -1 : na > nb;
}

/* ---- vpool: 8-aligned allocation carved from big arena blocks, so small boxes do not pay
 * the arena's 16-byte alignment. block == 0 means "straight from the arena" (constructors
 * outside the parser, where one value at a time is made). ---- */
typedef struct vpool {
    gh_arena *a;
    char *p, *end;
    size_t block;
} vpool;

void *vpool_alloc_slow(vpool *vp, size_t n);

static inline void *vpool_alloc(vpool *vp, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if ((size_t)(vp->end - vp->p) >= n) {
        void *r = vp->p;
        vp->p += n;
        return r;
    }
    return vpool_alloc_slow(vp, n);
}

/* Builders shared by the constructors and the JSON reader; NULL on allocation failure. */
bool v_string_make(vpool *vp, const char *s, size_t n, gh_value *out);
bool v_int_make(vpool *vp, int64_t i, gh_value *out);
/* Classifies JSON number text (already validated) into int, double or kept text. */
bool v_number_make(vpool *vp, const char *text, size_t len, gh_value *out);
/* 0 when text[0..len) is a JSON number, else GH_EINVAL. */
int num_validate(const char *text, size_t len);

/* Sorting used by objects and sets: stable merge sort of `n` runs of `w` words by their first
 * word; tmp has room for n * w words (or is NULL: insertion sort). */
void v_sort(gh_value *items, size_t n, size_t w, gh_value *tmp);

/* ---- numbers (number.c) ---- */
int num_compare(const gh_value *a, const gh_value *b);
bool num_to_int(const gh_value *v, int64_t *out);
double num_double(const gh_value *v);
/* Go's encoding/json rendering of a finite double ("1e-7", "0.1", "1e+21"); returns the
 * length written to out (at most 32 bytes with the NUL). */
size_t num_format_double(double d, char out[32]);

/* 64-bit hash of bytes. */
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);

#endif
