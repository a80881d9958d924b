/* Values: construction, inspection, lookup, OPA's total order, equality and hashing.
 * The word encoding is described in value.h (the private header next to this file). */
#include "value.h"

#include "gatehouse/error.h"

#include <math.h>
#include <stdlib.h>

const gh_value gh_value_null_ = {TAG_CONST | (0u << 3)};
const gh_value gh_value_false_ = {TAG_CONST | (1u << 3)};
const gh_value gh_value_true_ = {TAG_CONST | (2u << 3)};

/* Empty containers share these boxes (8-aligned: the low bits carry the tag). */
static _Alignas(8) const vbox empty_array = {.kind = GH_KIND_ARRAY};
static _Alignas(8) const vbox empty_set = {.kind = GH_KIND_SET};
static _Alignas(8) const vobj empty_object = {.h = {.kind = GH_KIND_OBJECT}};
#if !HAVE_SSTR
static _Alignas(8) const vstr empty_str = {0};
#endif

void *vpool_alloc_slow(vpool *vp, size_t n)
{
    if (vp->block == 0 || n > vp->block / 4) return gh_arena_alloc(vp->a, n);
    char *b = gh_arena_alloc(vp->a, vp->block);
    if (!b) return NULL;
    vp->p = b + n;
    vp->end = b + vp->block;
    return b;
}

/* One value word in the arena, for constructors that hand out a pointer. */
static gh_value *word_new(gh_arena *a, gh_value v)
{
    gh_value *w = gh_arena_alloc(a, sizeof *w);
    if (w) *w = v;
    return w;
}

/* ---- construction ---- */

const gh_value *gh_value_bool(bool b)
{
    return b ? GH_TRUE : GH_FALSE;
}

bool v_string_make(vpool *vp, const char *s, size_t n, gh_value *out)
{
#if HAVE_SSTR
    if (n <= SSTR_MAX) {
        /* byte i + 1 of the word is s[i]; built in a register (a memcpy into the word and a
         * full read back stalls store forwarding on the reader's hot path) */
        uint64_t x = TAG_SSTR | ((uint64_t)n << 3);
        for (size_t i = 0; i < n; i++)
            x |= (uint64_t)(unsigned char)s[i] << (8 * (i + 1));
        out->bits = x;
        return true;
    }
#else
    if (n == 0) {
        *out = v_make_ptr(&empty_str, TAG_STR);
        return true;
    }
#endif
    if (n > VALUE_LEN_MAX) return false;
    vstr *str = vpool_alloc(vp, sizeof *str + n + 1);
    if (!str) return false;
    str->len = (uint32_t)n;
    memcpy(str->s, s, n);
    str->s[n] = '\0';
    *out = v_make_ptr(str, TAG_STR);
    return true;
}

const gh_value *gh_value_int(gh_arena *a, int64_t i)
{
    vpool vp = {.a = a};
    gh_value v;
    if (!v_int_make(&vp, i, &v)) return NULL;
    return word_new(a, v);
}

const gh_value *gh_value_double(gh_arena *a, double d)
{
    if (!isfinite(d)) return NULL;
    vbox *b = gh_arena_alloc(a, sizeof(gh_value) + sizeof *b + sizeof d);
    if (!b) return NULL;
    gh_value *w = (gh_value *)b;
    b = (vbox *)(w + 1);
    *b = (vbox){.kind = GH_KIND_NUMBER, .sub = NUM_DOUBLE};
    memcpy(b + 1, &d, sizeof d);
    *w = v_make_ptr(b, TAG_BOX);
    return w;
}

int gh_value_number(gh_arena *a, const char *text, size_t len, const gh_value **out)
{
    if (num_validate(text, len) != 0) return GH_EINVAL;
    vpool vp = {.a = a};
    gh_value v;
    if (!v_number_make(&vp, text, len, &v)) return GH_ENOMEM;
    const gh_value *w = word_new(a, v);
    if (!w) return GH_ENOMEM;
    *out = w;
    return 0;
}

const gh_value *gh_value_string(gh_arena *a, const char *s, size_t n)
{
    vpool vp = {.a = a};
    gh_value v;
    if (!v_string_make(&vp, s, n, &v)) return NULL;
    return word_new(a, v);
}

const gh_value *gh_value_string_ref(gh_arena *a, const char *s, size_t n)
{
    if (n > VALUE_LEN_MAX) return NULL;
    gh_value *w = gh_arena_alloc(a, sizeof *w + sizeof(vstrref));
    if (!w) return NULL;
    vstrref *r = (vstrref *)(w + 1);
    r->len = (uint32_t)n;
    r->s = s;
    *w = v_make_ptr(r, TAG_STRREF);
    return w;
}

/* A handle word followed by an array or set box with room for n items. */
static gh_value *container_new(gh_arena *a, gh_kind kind, size_t n)
{
    if (n == 0)
        return word_new(a, v_make_ptr(kind == GH_KIND_SET ? &empty_set : &empty_array, TAG_BOX));
    if (n > VALUE_LEN_MAX) return NULL;
    gh_value *w = gh_arena_alloc(a, sizeof *w + sizeof(vbox) + n * sizeof(gh_value));
    if (!w) return NULL;
    vbox *b = (vbox *)(w + 1);
    *b = (vbox){.kind = (uint8_t)kind, .len = (uint32_t)n};
    *w = v_make_ptr(b, TAG_BOX);
    return w;
}

const gh_value *gh_value_array(gh_arena *a, const gh_value *const *items, size_t n)
{
    gh_value *w = container_new(a, GH_KIND_ARRAY, n);
    if (!w || n == 0) return w;
    gh_value *dst = box_items(v_box(w));
    for (size_t i = 0; i < n; i++)
        dst[i] = *items[i];
    return w;
}

/* Sorts runs of w words with a temporary buffer when big enough to need one. */
static int sort_items(gh_value *items, size_t n, size_t w)
{
    gh_value *tmp = NULL;
    if (n > 12) {
        tmp = malloc(n * w * sizeof *tmp);
        if (!tmp) return GH_ENOMEM;
    }
    v_sort(items, n, w, tmp);
    free(tmp);
    return 0;
}

/* Members are sorted as (key, value) pairs in a scratch buffer, then split into the key
 * array and the values; one arena block holds handle word, vobj, values and keys. */
int gh_value_object(gh_arena *a, const gh_value *const *keys, const gh_value *const *vals, size_t n,
                    const gh_value **out, const gh_value **conflict_key)
{
    if (n == 0) {
        gh_value *w = word_new(a, v_make_ptr(&empty_object, TAG_BOX));
        *out = w;
        return w ? 0 : GH_ENOMEM;
    }
    if (n > VALUE_LEN_MAX) return GH_ELIMIT;
    gh_value *kv = malloc(2 * n * sizeof *kv);
    if (!kv) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        kv[2 * i] = *keys[i];
        kv[2 * i + 1] = *vals[i];
    }
    int rc = sort_items(kv, n, 2);
    size_t m = 1;
    for (size_t i = 1; i < n && rc == 0; i++) {
        gh_value *prev = &kv[2 * (m - 1)], *cur = &kv[2 * i];
        if (gh_value_equal(&prev[0], &cur[0])) {
            if (gh_value_equal(&prev[1], &cur[1])) continue;
            rc = GH_EINVAL;
            /* point the caller at its own argument, not at our scratch copy */
            for (size_t j = 0; j < n && conflict_key; j++)
                if (gh_value_equal(keys[j], &cur[0])) *conflict_key = keys[j];
            break;
        }
        kv[2 * m] = cur[0];
        kv[2 * m + 1] = cur[1];
        m++;
    }
    gh_value *w = NULL;
    if (rc == 0) {
        w = gh_arena_alloc(a, sizeof *w + sizeof(vobj) + 2 * m * sizeof(gh_value));
        if (!w) rc = GH_ENOMEM;
    }
    if (rc == 0) {
        vobj *o = (vobj *)(w + 1);
        gh_value *karr = o->vals + m;
        o->h = (vbox){.kind = GH_KIND_OBJECT, .len = (uint32_t)m};
        o->keys = karr;
        for (size_t i = 0; i < m; i++) {
            karr[i] = kv[2 * i];
            o->vals[i] = kv[2 * i + 1];
        }
        *w = v_make_ptr(o, TAG_BOX);
        *out = w;
    }
    free(kv);
    return rc;
}

const gh_value *gh_value_set(gh_arena *a, const gh_value *const *items, size_t n)
{
    gh_value *w = container_new(a, GH_KIND_SET, n);
    if (!w || n == 0) return w;
    vbox *b = (vbox *)v_box(w);
    gh_value *it = box_items(b);
    for (size_t i = 0; i < n; i++)
        it[i] = *items[i];
    if (sort_items(it, n, 1) != 0) return NULL;
    size_t m = 1;
    for (size_t i = 1; i < n; i++)
        if (!gh_value_equal(&it[m - 1], &it[i])) it[m++] = it[i];
    b->len = (uint32_t)m;
    return w;
}

/* ---- sorting: stable merge sort of n records of w words, keyed by their first word ---- */

static void insertion_sort(gh_value *it, size_t n, size_t w)
{
    for (size_t i = 1; i < n; i++) {
        gh_value rec[2];
        memcpy(rec, &it[i * w], w * sizeof *rec);
        size_t j = i;
        while (j > 0 && gh_value_compare(&it[(j - 1) * w], &rec[0]) > 0) {
            memcpy(&it[j * w], &it[(j - 1) * w], w * sizeof *rec);
            j--;
        }
        memcpy(&it[j * w], rec, w * sizeof *rec);
    }
}

void v_sort(gh_value *it, size_t n, size_t w, gh_value *tmp)
{
    if (n <= 12 || !tmp) {
        insertion_sort(it, n, w);
        return;
    }
    size_t h = n / 2;
    v_sort(it, h, w, tmp);
    v_sort(it + h * w, n - h, w, tmp);
    if (gh_value_compare(&it[(h - 1) * w], &it[h * w]) <= 0) return; /* already in order */
    memcpy(tmp, it, h * w * sizeof *tmp);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        /* ties take the left run first: that keeps the sort stable */
        if (gh_value_compare(&it[j * w], &tmp[i * w]) < 0) {
            memcpy(&it[k++ * w], &it[j++ * w], w * sizeof *tmp);
        } else {
            memcpy(&it[k++ * w], &tmp[i++ * w], w * sizeof *tmp);
        }
    }
    memcpy(&it[k * w], &tmp[i * w], (h - i) * w * sizeof *tmp);
}

/* ---- inspection ---- */

gh_kind gh_value_kind(const gh_value *v)
{
    switch (v_tag(v)) {
    case TAG_BOX: return (gh_kind)v_box(v)->kind;
    case TAG_INT: return GH_KIND_NUMBER;
    case TAG_CONST: return (v->bits >> 3) == 0 ? GH_KIND_NULL : GH_KIND_BOOL;
    default: return GH_KIND_STRING;
    }
}

const char *gh_kind_name(gh_kind k)
{
    static const char *const names[] = {"null",  "boolean", "number", "string",
                                        "array", "object",  "set"};
    return (unsigned)k <= GH_KIND_SET ? names[k] : "unknown";
}

bool gh_value_get_bool(const gh_value *v)
{
    return v->bits == gh_value_true_.bits;
}

bool gh_number_get_int(const gh_value *v, int64_t *out)
{
    return gh_value_kind(v) == GH_KIND_NUMBER && num_to_int(v, out);
}

double gh_number_get_double(const gh_value *v)
{
    return gh_value_kind(v) == GH_KIND_NUMBER ? num_double(v) : 0.0;
}

const char *gh_number_text(const gh_value *v, size_t *len)
{
    if (v_tag(v) != TAG_BOX || v_box(v)->sub != NUM_TEXT) return NULL;
    if (len) *len = v_box(v)->len;
    return box_text(v_box(v));
}

const char *gh_string_ptr(const gh_value *v, size_t *len)
{
    size_t n;
    const char *s = v_str(v, &n);
    if (len) *len = n;
    return s;
}

size_t gh_value_len(const gh_value *v)
{
    size_t n;
    if (v_str(v, &n)) return n;
    if (v_tag(v) != TAG_BOX || v_box(v)->kind == GH_KIND_NUMBER) return 0;
    return v_box(v)->len;
}

/* ---- access ---- */

static const vbox *box_of_kind(const gh_value *v, gh_kind kind)
{
    if (v_tag(v) != TAG_BOX || v_box(v)->kind != kind) return NULL;
    return v_box(v);
}

const gh_value *gh_array_get(const gh_value *arr, size_t i)
{
    const vbox *b = box_of_kind(arr, GH_KIND_ARRAY);
    return b && i < b->len ? &box_items(b)[i] : NULL;
}

const gh_value *gh_object_key_at(const gh_value *obj, size_t i)
{
    const vobj *o = (const vobj *)box_of_kind(obj, GH_KIND_OBJECT);
    return o && i < o->h.len ? &o->keys[i] : NULL;
}

const gh_value *gh_object_value_at(const gh_value *obj, size_t i)
{
    const vobj *o = (const vobj *)box_of_kind(obj, GH_KIND_OBJECT);
    return o && i < o->h.len ? &o->vals[i] : NULL;
}

const gh_value *gh_set_item_at(const gh_value *set, size_t i)
{
    const vbox *b = box_of_kind(set, GH_KIND_SET);
    return b && i < b->len ? &box_items(b)[i] : NULL;
}

/* Index of key in sorted items[0..n), or -1. */
static ptrdiff_t search(const gh_value *it, size_t n, const gh_value *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = gh_value_compare(&it[mid], key);
        if (c == 0) return (ptrdiff_t)mid;
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return -1;
}

const gh_value *gh_object_get(const gh_value *obj, const gh_value *key)
{
    const vobj *o = (const vobj *)box_of_kind(obj, GH_KIND_OBJECT);
    ptrdiff_t i = o ? search(o->keys, o->h.len, key) : -1;
    return i >= 0 ? &o->vals[i] : NULL;
}

/* Order of a key word against a string, without building a value for the string. */
static int cmp_key_str(const gh_value *k, const char *s, size_t n)
{
    size_t kn;
    const char *ks = v_str(k, &kn);
    if (ks) return str_cmp(ks, kn, s, n);
    return gh_value_kind(k) < GH_KIND_STRING ? -1 : 1;
}

const gh_value *gh_object_get_str(const gh_value *obj, const char *key, size_t n)
{
    const vobj *o = (const vobj *)box_of_kind(obj, GH_KIND_OBJECT);
    if (!o) return NULL;
    size_t lo = 0, hi = o->h.len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_key_str(&o->keys[mid], key, n);
        if (c == 0) return &o->vals[mid];
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

bool gh_set_contains(const gh_value *set, const gh_value *v)
{
    const vbox *b = box_of_kind(set, GH_KIND_SET);
    return b && search(box_items(b), b->len, v) >= 0;
}

/* ---- order and equality ---- */

static int seq_compare(const gh_value *a, size_t na, const gh_value *b, size_t nb)
{
    size_t n = na < nb ? na : nb;
    for (size_t i = 0; i < n; i++) {
        int c = gh_value_compare(&a[i], &b[i]);
        if (c) return c;
    }
    return na < nb ? -1 : na > nb;
}

/* OPA: sorted keys and their values pairwise (key i, then value i), then length. */
static int obj_compare(const vobj *a, const vobj *b)
{
    size_t n = a->h.len < b->h.len ? a->h.len : b->h.len;
    for (size_t i = 0; i < n; i++) {
        int c = gh_value_compare(&a->keys[i], &b->keys[i]);
        if (c) return c;
        c = gh_value_compare(&a->vals[i], &b->vals[i]);
        if (c) return c;
    }
    return a->h.len < b->h.len ? -1 : a->h.len > b->h.len;
}

int gh_value_compare(const gh_value *a, const gh_value *b)
{
    if (a->bits == b->bits) return 0;
    gh_kind ka = gh_value_kind(a), kb = gh_value_kind(b);
    if (ka != kb) return ka < kb ? -1 : 1;
    switch (ka) {
    case GH_KIND_NULL: return 0;
    case GH_KIND_BOOL: return a->bits < b->bits ? -1 : 1; /* false's word is below true's */
    case GH_KIND_NUMBER: return num_compare(a, b);
    case GH_KIND_STRING: {
        size_t na, nb;
        const char *sa = v_str(a, &na), *sb = v_str(b, &nb);
        return str_cmp(sa, na, sb, nb);
    }
    case GH_KIND_OBJECT: return obj_compare(v_obj(a), v_obj(b));
    default: /* arrays and sets: element-wise, then length */
        return seq_compare(box_items(v_box(a)), v_box(a)->len, box_items(v_box(b)), v_box(b)->len);
    }
}

bool gh_value_equal(const gh_value *a, const gh_value *b)
{
    if (a->bits == b->bits) return true;
    gh_kind k = gh_value_kind(a);
    if (k != gh_value_kind(b)) return false;
    switch (k) {
    case GH_KIND_NULL:
    case GH_KIND_BOOL: return false; /* equal words were caught above */
    case GH_KIND_NUMBER: return num_compare(a, b) == 0;
    case GH_KIND_STRING: {
        size_t na, nb;
        const char *sa = v_str(a, &na), *sb = v_str(b, &nb);
        return na == nb && memcmp(sa, sb, na) == 0;
    }
    case GH_KIND_OBJECT: {
        const vobj *oa = v_obj(a), *ob = v_obj(b);
        if (oa->h.len != ob->h.len) return false;
        for (size_t i = 0; i < oa->h.len; i++)
            if (!gh_value_equal(&oa->vals[i], &ob->vals[i])) return false;
        if (oa->keys == ob->keys) return true; /* shared shape */
        for (size_t i = 0; i < oa->h.len; i++)
            if (!gh_value_equal(&oa->keys[i], &ob->keys[i])) return false;
        return true;
    }
    default: {
        const vbox *ba = v_box(a), *bb = v_box(b);
        if (ba->len != bb->len) return false;
        for (size_t i = 0; i < ba->len; i++)
            if (!gh_value_equal(&box_items(ba)[i], &box_items(bb)[i])) return false;
        return true;
    }
    }
}

/* ---- hashing ---- */

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
    while (n >= 8) {
        uint64_t k;
        memcpy(&k, s, 8);
        h = (h ^ mix64(k)) * 0x100000001b3ULL;
        s += 8;
        n -= 8;
    }
    uint64_t k = 0;
    memcpy(&k, s, n);
    return mix64(h ^ k);
}

enum { SEED_NULL = 1, SEED_BOOL, SEED_NUM, SEED_STR, SEED_ARR, SEED_OBJ, SEED_SET };

uint64_t gh_value_hash(const gh_value *v)
{
    gh_kind k = gh_value_kind(v);
    switch (k) {
    case GH_KIND_NULL: return mix64(SEED_NULL);
    case GH_KIND_BOOL: return mix64(SEED_BOOL + v->bits);
    case GH_KIND_NUMBER: {
        /* equal numbers have the same nearest double (1, 1.0 and 1e0 alike); -0 is 0 */
        double d = num_double(v);
        if (d == 0) d = 0;
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        return mix64(bits ^ SEED_NUM);
    }
    case GH_KIND_STRING: {
        size_t n;
        const char *s = v_str(v, &n);
        return hash_bytes(s, n, SEED_STR);
    }
    case GH_KIND_OBJECT: {
        const vobj *o = v_obj(v);
        uint64_t h = mix64(SEED_OBJ + o->h.len);
        for (size_t i = 0; i < o->h.len; i++) {
            h = mix64(h ^ gh_value_hash(&o->keys[i])) + i;
            h = mix64(h ^ gh_value_hash(&o->vals[i]));
        }
        return h;
    }
    default: {
        const vbox *b = v_box(v);
        uint64_t h = mix64((uint64_t)k * 0x9e3779b97f4a7c15ULL + b->len);
        for (size_t i = 0; i < b->len; i++)
            h = mix64(h ^ gh_value_hash(&box_items(b)[i])) + i;
        return h;
    }
    }
}
