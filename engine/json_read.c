/* JSON reader: RFC 8259 text (or relaxed: comments, trailing commas, BOM) into arena values,
 * with Go's encoding/json string semantics (bad UTF-8 and lone surrogates become U+FFFD)
 * and last-wins duplicate keys (or, with GH_JSON_NO_DUPLICATES, a repeated key is an error).
 *
 * A recursive descent over the bytes. Children are gathered on a scratch stack (heap,
 * reused) and copied into the arena in one piece when their container closes, so every
 * array, object and string is allocated exactly once at its final size. Errors and
 * allocation failures leave through one longjmp (the arena's `oom` points at it too). */
#include "value.h"

#include "gatehouse/error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Direct-mapped caches: a string or key list seen recently is found again by hash and its
 * arena copy reused. A miss only costs memory, so collisions simply overwrite. Keys of API
 * documents repeat in every record: interning them and sharing each record's sorted key
 * array (see vobj) roughly halves the memory a document of records takes, and skips sorting
 * every object's members again. */
#define KEY_SLOTS   4096
#define STR_SLOTS   16384
#define INTERN_MAX  64 /* longer strings are copied every time */
#define SHAPE_SLOTS 1024
#define SHAPE_MAX   64 /* bigger objects are sorted on their own and never share keys */

typedef struct islot {
    uint64_t h;
    gh_value v; /* 0: empty */
} islot;

typedef struct shape {
    uint64_t h;           /* of the raw key words */
    uint32_t n, m;        /* members read; distinct keys kept */
    gh_value *raw;        /* the n key words in input order (malloc, with perm after it) */
    uint32_t *perm;       /* perm[i]: which member gives sorted key i (the last of equals) */
    const gh_value *keys; /* the m sorted keys, in the arena, shared by all such objects */
} shape;

typedef struct jr {
    const char *src, *p, *end;
    vpool vp;
    bool relaxed;
    bool multi; /* GH_JSON_MULTI: a sequence of documents read into one array */
    bool no_dups; /* GH_JSON_NO_DUPLICATES: a key repeated in one object fails the read */
    int depth, max_depth;
    gh_value *st; /* scratch stack of finished children */
    size_t sp, scap;
    gh_value *tmp; /* merge-sort room for big objects */
    size_t tcap;
    char *sb; /* decoded string bytes (slow path only) */
    size_t sbcap;
    islot *keys, *strs; /* intern caches for keys and for string values */
    shape *shapes;      /* key lists seen, with their sort order */
    size_t key_slots, str_slots, shape_slots; /* table sizes, powers of two, by input size */
    uint32_t *idx;      /* scratch for sorting member indexes */
    size_t icap;
    gh_value empty_obj; /* shared by every {} of the document */
    gh_json_error *err;
    jmp_buf jmp;
} jr;

/* ---- errors ---- */

static void locate(const char *src, size_t off, int *line, int *col)
{
    int l = 1;
    size_t bol = 0;
    for (size_t i = 0; i < off; i++)
        if (src[i] == '\n') {
            l++;
            bol = i + 1;
        }
    *line = l;
    *col = (int)(off - bol) + 1;
}

static _Noreturn void fail_code(jr *r, int code, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static _Noreturn void fail_code(jr *r, int code, const char *at, const char *fmt, ...)
{
    if (r->err) {
        gh_json_error *e = r->err;
        e->code = code;
        e->offset = (size_t)(at - r->src);
        locate(r->src, e->offset, &e->line, &e->col);
        int n = snprintf(e->msg, sizeof e->msg, "json: %d:%d: ", e->line, e->col);
        va_list ap;
        va_start(ap, fmt);
        if (n > 0 && (size_t)n < sizeof e->msg)
            vsnprintf(e->msg + n, sizeof e->msg - (size_t)n, fmt, ap);
        va_end(ap);
    }
    longjmp(r->jmp, code);
}

#define fail(r, at, ...) fail_code(r, GH_EJSON, at, __VA_ARGS__)

/* "'x'" for printable ASCII, "byte 0xNN" otherwise, for messages. */
static const char *describe(unsigned char c, char buf[16])
{
    if (c > 0x20 && c < 0x7f) {
        snprintf(buf, 16, "'%c'", c);
    } else {
        snprintf(buf, 16, "byte 0x%02X", c);
    }
    return buf;
}

/* What was expected at r->p, which is either the end or a wrong byte. */
static _Noreturn void fail_expect(jr *r, const char *what)
{
    if (r->p == r->end) fail(r, r->p, "unexpected end of input, expected %s", what);
    fail(r, r->p, "expected %s", what);
}

static _Noreturn void fail_nomem(jr *r)
{
    fail_code(r, GH_ENOMEM, r->p, "out of memory");
}

/* A key met twice in one object (GH_JSON_NO_DUPLICATES), located at the object's closing
 * brace: keys are compared once the object is complete. At most 40 bytes of the key are
 * shown, bytes outside printable ASCII as '?'. */
static _Noreturn void fail_duplicate(jr *r, const gh_value *key)
{
    size_t n;
    const char *s = v_str(key, &n);
    char shown[41];
    size_t k = n < 40 ? n : 40;
    for (size_t i = 0; i < k; i++)
        shown[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    shown[k] = '\0';
    if (r->err) r->err->duplicate = true;
    fail(r, r->p - 1, "duplicate key \"%s%s\" in object", shown, n > k ? "..." : "");
}

/* ---- whitespace and comments ---- */

static const unsigned char ws_tab[256] = {[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1};

static void skip_comments(jr *r);

static inline void skip_ws(jr *r)
{
    const char *p = r->p;
    while (p < r->end && ws_tab[(unsigned char)*p])
        p++;
    r->p = p;
    if (p < r->end && *p == '/') skip_comments(r);
}

static void skip_comments(jr *r)
{
    while (r->p < r->end && *r->p == '/') {
        const char *start = r->p;
        if (!r->relaxed) fail(r, start, "comments are not allowed (only in relaxed mode)");
        if (r->end - start >= 2 && start[1] == '/') {
            const char *nl = memchr(start, '\n', (size_t)(r->end - start));
            r->p = nl ? nl + 1 : r->end;
        } else if (r->end - start >= 2 && start[1] == '*') {
            const char *p = start + 2;
            while (p + 1 < r->end && !(p[0] == '*' && p[1] == '/'))
                p++;
            if (p + 1 >= r->end) fail(r, start, "unterminated block comment");
            r->p = p + 2;
        } else {
            fail(r, start, "unexpected '/', expected a comment");
        }
        while (r->p < r->end && ws_tab[(unsigned char)*r->p])
            r->p++;
    }
}

/* ---- scratch stack ---- */

static void push(jr *r, gh_value v)
{
    if (r->sp == r->scap) {
        size_t cap = r->scap ? r->scap * 2 : 256;
        gh_value *st = realloc(r->st, cap * sizeof *st);
        if (!st) fail_nomem(r);
        r->st = st;
        r->scap = cap;
    }
    r->st[r->sp++] = v;
}

static void *grow(jr *r, void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(p, c * elem);
    if (!q) fail_nomem(r);
    *cap = c;
    return q;
}

/* ---- strings ---- */

/* Length of the well-formed UTF-8 sequence at p (Go's utf8.DecodeRune rules: no overlongs,
 * no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return n;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = (unsigned char)p[i], d;
        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            d = (c | 0x20) - 'a' + 10;
        } else {
            return -1;
        }
        v = v * 16 + d;
    }
    return v;
}

static size_t utf8_put(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* \uXXXX at p (p[0] == '\\'); a high surrogate takes a following low one with it. Anything
 * else surrogate-shaped is U+FFFD, and its partner is left for the next round (Go). */
static unsigned read_u_escape(jr *r, const char **pp)
{
    const char *p = *pp;
    int cp = r->end - p >= 6 ? hex4(p + 2) : -1;
    if (cp < 0) fail(r, p, "invalid \\u escape, expected 4 hex digits");
    *pp = p + 6;
    if (cp < 0xD800 || cp > 0xDFFF) return (unsigned)cp;
    if (cp <= 0xDBFF && r->end - p >= 12 && p[6] == '\\' && p[7] == 'u') {
        int lo = hex4(p + 8);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            *pp = p + 12;
            return 0x10000 + (((unsigned)cp - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
        }
    }
    return 0xFFFD;
}

static char simple_escape(char c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    }
    return 0;
}

static gh_value finish_string(jr *r, const char *s, size_t n, const char *open, bool key)
{
    gh_value v;
    if (n > VALUE_LEN_MAX) fail_code(r, GH_ELIMIT, open, "string longer than 4 GiB");
    if (n <= SSTR_MAX || n > INTERN_MAX) {
        v_string_make(&r->vp, s, n, &v); /* allocation failure longjmps */
        return v;
    }
    islot **cache = key ? &r->keys : &r->strs;
    size_t slots = key ? r->key_slots : r->str_slots;
    if (!*cache && !(*cache = calloc(slots, sizeof **cache))) fail_nomem(r);
    uint64_t h = hash_bytes(s, n, 0);
    islot *e = &(*cache)[h & (slots - 1)];
    if (e->v.bits && e->h == h) {
        size_t en;
        const char *es = v_str(&e->v, &en);
        if (en == n && memcmp(es, s, n) == 0) return e->v;
    }
    v_string_make(&r->vp, s, n, &v);
    e->h = h;
    e->v = v;
    return v;
}

/* The slow path, for strings with escapes, control bytes or bad UTF-8: decode into r->sb. */
static gh_value parse_string_slow(jr *r, const char *open, bool key)
{
    const char *p = open + 1, *end = r->end;
    size_t n = 0;
    for (;;) {
        r->sb = grow(r, r->sb, &r->sbcap, n + 4, 1);
        if (p == end) fail(r, open, "unterminated string");
        unsigned char c = (unsigned char)*p;
        if (c == '"') break;
        if (c == '\\') {
            if (p + 1 == end) fail(r, open, "unterminated string");
            if (p[1] == 'u') {
                n += utf8_put(r->sb + n, read_u_escape(r, &p));
                continue;
            }
            char e = simple_escape(p[1]);
            if (!e) {
                char d[16];
                fail(r, p, "invalid escape %s in string", describe((unsigned char)p[1], d));
            }
            r->sb[n++] = e;
            p += 2;
        } else if (c < 0x20) {
            fail(r, p, "unescaped control character 0x%02X in string", c);
        } else if (c < 0x80) {
            r->sb[n++] = (char)c;
            p++;
        } else {
            size_t k = utf8_seq((const unsigned char *)p, (const unsigned char *)end);
            if (k) {
                memcpy(r->sb + n, p, k);
                n += k;
                p += k;
            } else {
                n += utf8_put(r->sb + n, 0xFFFD);
                p++;
            }
        }
    }
    r->p = p + 1;
    return finish_string(r, r->sb, n, open, key);
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* High bit set in each byte that is '"', '\\', below 0x20 or above 0x7F (the lowest flagged
 * byte is exact; borrows can only flag bytes above a real hit). */
static inline uint64_t special_bytes(uint64_t x)
{
    uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');
    return (((q - ONES) & ~q) | ((b - ONES) & ~b) | (x - ONES * 0x20) | x) & HIGHS;
}

static inline bool special_byte(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

static gh_value parse_string(jr *r, bool key)
{
    const char *open = r->p, *p = open + 1, *end = r->end;
    for (;;) {
#if HAVE_SSTR
        while (end - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            uint64_t m = special_bytes(x);
            if (m) {
                p += __builtin_ctzll(m) >> 3;
                goto found;
            }
            p += 8;
        }
#endif
        while (p < end && !special_byte((unsigned char)*p))
            p++;
#if HAVE_SSTR
    found:
#endif
        if (p == end) fail(r, open, "unterminated string");
        if (*p == '"') break;
        if ((unsigned char)*p < 0x80) return parse_string_slow(r, open, key);
        size_t k = utf8_seq((const unsigned char *)p, (const unsigned char *)end);
        if (!k) return parse_string_slow(r, open, key);
        p += k;
    }
    r->p = p + 1;
    return finish_string(r, open + 1, (size_t)(p - open - 1), open, key);
}

/* ---- numbers and literals ---- */

static bool digit(const char *p, const char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

static gh_value parse_number(jr *r)
{
    const char *s = r->p, *p = s, *end = r->end;
    bool neg = *p == '-';
    if (neg && !digit(++p, end)) fail(r, p, "invalid number: expected a digit after '-'");
    uint64_t u = 0;
    size_t nd = 0;
    if (*p == '0') {
        if (digit(++p, end)) fail(r, p - 1, "invalid number: leading zeros are not allowed");
    } else {
        for (; digit(p, end); p++, nd++)
            u = u * 10 + (uint64_t)(*p - '0');
    }
    bool plain_int = true;
    if (p < end && *p == '.') {
        plain_int = false;
        if (!digit(++p, end)) fail(r, p, "invalid number: expected a digit after '.'");
        while (digit(p, end))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        plain_int = false;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (!digit(p, end)) fail(r, p, "invalid number: expected a digit in the exponent");
        while (digit(p, end))
            p++;
    }
    r->p = p;
    gh_value v;
    if (plain_int && nd <= 18 && !(neg && u == 0)) { /* 18 digits cannot overflow */
        v_int_make(&r->vp, neg ? -(int64_t)u : (int64_t)u, &v);
    } else {
        v_number_make(&r->vp, s, (size_t)(p - s), &v);
    }
    return v;
}

static gh_value parse_literal(jr *r, const char *word, const gh_value *v)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        fail(r, r->p, "invalid literal, expected '%s'", word);
    r->p += n;
    return *v;
}

/* ---- containers ---- */

static gh_value parse_value(jr *r);

static void enter(jr *r)
{
    if (++r->depth > r->max_depth)
        fail_code(r, GH_ELIMIT, r->p, "nesting too deep (more than %d levels)", r->max_depth);
}

/* After a ',': true when the container closes here (a trailing comma, relaxed only). */
static bool trailing_comma(jr *r, char close, const char *what)
{
    skip_ws(r);
    if (r->p == r->end || *r->p != close) return false;
    if (!r->relaxed) fail(r, r->p, "trailing comma in %s (only allowed in relaxed mode)", what);
    r->p++;
    return true;
}

static gh_value make_array(jr *r, size_t base)
{
    size_t n = r->sp - base;
    if (n > VALUE_LEN_MAX) fail_code(r, GH_ELIMIT, r->p, "too many elements in one array");
    vbox *b = vpool_alloc(&r->vp, sizeof *b + n * sizeof(gh_value));
    *b = (vbox){.kind = GH_KIND_ARRAY, .len = (uint32_t)n};
    memcpy(b + 1, r->st + base, n * sizeof(gh_value));
    r->sp = base;
    r->depth--;
    return v_make_ptr(b, TAG_BOX);
}

static gh_value parse_array(jr *r)
{
    enter(r);
    size_t base = r->sp;
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
    } else {
        for (;;) {
            push(r, parse_value(r));
            skip_ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                if (trailing_comma(r, ']', "array")) break;
                continue;
            }
            if (r->p < r->end && *r->p == ']') {
                r->p++;
                break;
            }
            fail_expect(r, "',' or ']' after array element");
        }
    }
    return make_array(r, base);
}

static int key_cmp(const gh_value *a, const gh_value *b)
{
    size_t na, nb;
    const char *sa = v_str(a, &na), *sb = v_str(b, &nb);
    return str_cmp(sa, na, sb, nb);
}

static gh_value *alloc_keys(jr *r, size_t m)
{
    return vpool_alloc(&r->vp, m * sizeof(gh_value));
}

/* Works out the sorted key order of the n members at kv (key, value pairs): a stable
 * insertion sort of indexes, then of equal keys the last one is kept (Go's last-wins). */
static void shape_build(jr *r, shape *sh, const gh_value *kv, size_t n, uint64_t h)
{
    r->idx = grow(r, r->idx, &r->icap, n, sizeof *r->idx);
    uint32_t *idx = r->idx;
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j > 0 && key_cmp(&kv[2 * idx[j - 1]], &kv[2 * i]) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = (uint32_t)i;
    }
    free(sh->raw);
    sh->raw = malloc(n * sizeof(gh_value) + n * sizeof(uint32_t));
    if (!sh->raw) {
        sh->n = 0;
        fail_nomem(r);
    }
    sh->perm = (uint32_t *)(sh->raw + n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        sh->raw[i] = kv[2 * i];
        if (i + 1 < n && key_cmp(&kv[2 * idx[i]], &kv[2 * idx[i + 1]]) == 0) continue;
        sh->perm[m++] = idx[i];
    }
    gh_value *keys = alloc_keys(r, m);
    for (size_t i = 0; i < m; i++)
        keys[i] = kv[2 * sh->perm[i]];
    sh->keys = keys;
    sh->h = h;
    sh->n = (uint32_t)n;
    sh->m = (uint32_t)m;
}

static gh_value object_from_shape(jr *r, const shape *sh, const gh_value *kv)
{
    vobj *o = vpool_alloc(&r->vp, sizeof *o + sh->m * sizeof(gh_value));
    o->h = (vbox){.kind = GH_KIND_OBJECT, .len = sh->m};
    o->keys = sh->keys;
    for (size_t i = 0; i < sh->m; i++)
        o->vals[i] = kv[2 * sh->perm[i] + 1];
    return v_make_ptr(o, TAG_BOX);
}

/* Big objects (maps keyed by id, say): merge sort the pairs, keep the last of equal keys. */
static gh_value object_sorted(jr *r, gh_value *kv, size_t n)
{
    r->tmp = grow(r, r->tmp, &r->tcap, 2 * n, sizeof(gh_value));
    v_sort(kv, n, 2, r->tmp); /* stable: equal keys keep their input order */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && key_cmp(&kv[2 * i], &kv[2 * (i + 1)]) == 0) {
            if (r->no_dups) fail_duplicate(r, &kv[2 * i]);
            continue;
        }
        kv[2 * m] = kv[2 * i];
        kv[2 * m + 1] = kv[2 * i + 1];
        m++;
    }
    gh_value *keys = alloc_keys(r, m);
    vobj *o = vpool_alloc(&r->vp, sizeof *o + m * sizeof(gh_value));
    o->h = (vbox){.kind = GH_KIND_OBJECT, .len = (uint32_t)m};
    o->keys = keys;
    for (size_t i = 0; i < m; i++) {
        keys[i] = kv[2 * i];
        o->vals[i] = kv[2 * i + 1];
    }
    return v_make_ptr(o, TAG_BOX);
}

/* The first key of the n members at kv (at most SHAPE_MAX) that an earlier one equals. */
static const gh_value *first_repeat(const gh_value *kv, size_t n)
{
    for (size_t j = 1; j < n; j++)
        for (size_t i = 0; i < j; i++)
            if (key_cmp(&kv[2 * i], &kv[2 * j]) == 0) return &kv[2 * j];
    return &kv[0]; /* not reached: called only when the shape dropped a key */
}

static gh_value make_object(jr *r, size_t base)
{
    size_t n = (r->sp - base) / 2;
    gh_value *kv = r->st + base;
    gh_value v;
    if (n > VALUE_LEN_MAX) fail_code(r, GH_ELIMIT, r->p, "too many members in one object");
    if (n == 0) {
        if (!r->empty_obj.bits) { /* one for the whole document: they are all alike */
            vobj *o = vpool_alloc(&r->vp, sizeof *o);
            *o = (vobj){.h = {.kind = GH_KIND_OBJECT}};
            r->empty_obj = v_make_ptr(o, TAG_BOX);
        }
        v = r->empty_obj;
    } else if (n > SHAPE_MAX) {
        v = object_sorted(r, kv, n);
    } else {
        uint64_t h = n;
        for (size_t i = 0; i < n; i++)
            h = (h ^ kv[2 * i].bits) * 0x100000001b3ULL;
        h ^= h >> 29;
        if (!r->shapes && !(r->shapes = calloc(r->shape_slots, sizeof *r->shapes)))
            fail_nomem(r);
        shape *sh = &r->shapes[h & (r->shape_slots - 1)];
        bool hit = sh->h == h && sh->n == n && sh->raw;
        for (size_t i = 0; hit && i < n; i++)
            hit = sh->raw[i].bits == kv[2 * i].bits;
        if (!hit) shape_build(r, sh, kv, n, h);
        if (r->no_dups && sh->m < sh->n) fail_duplicate(r, first_repeat(kv, n));
        v = object_from_shape(r, sh, kv);
    }
    r->sp = base;
    r->depth--;
    return v;
}

static gh_value parse_object(jr *r)
{
    enter(r);
    size_t base = r->sp;
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
    } else {
        for (;;) {
            if (r->p == r->end || *r->p != '"') fail_expect(r, "string for object key");
            push(r, parse_string(r, true));
            skip_ws(r);
            if (r->p == r->end || *r->p != ':') fail_expect(r, "':' after object key");
            r->p++;
            skip_ws(r);
            push(r, parse_value(r));
            skip_ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                if (trailing_comma(r, '}', "object")) break;
                continue;
            }
            if (r->p < r->end && *r->p == '}') {
                r->p++;
                break;
            }
            fail_expect(r, "',' or '}' after object member");
        }
    }
    return make_object(r, base);
}

/* Expects whitespace skipped. */
static gh_value parse_value(jr *r)
{
    if (r->p == r->end) fail(r, r->p, "unexpected end of input, expected a value");
    switch (*r->p) {
    case '{': return parse_object(r);
    case '[': return parse_array(r);
    case '"': return parse_string(r, false);
    case 't': return parse_literal(r, "true", GH_TRUE);
    case 'f': return parse_literal(r, "false", GH_FALSE);
    case 'n': return parse_literal(r, "null", GH_NULL);
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9': return parse_number(r);
    }
    char d[16];
    fail(r, r->p, "unexpected %s, expected a value", describe((unsigned char)*r->p, d));
}

/* ---- entry point ---- */

static void parse_document(jr *r, const gh_value **out)
{
    r->st = grow(r, r->st, &r->scap, 256, sizeof *r->st); /* never NULL below */
    if (r->end - r->p >= 3 && memcmp(r->p, "\xEF\xBB\xBF", 3) == 0) {
        if (!r->relaxed) fail(r, r->p, "byte order mark (only allowed in relaxed mode)");
        r->p += 3;
    }
    skip_ws(r);
    gh_value v;
    if (r->multi) {
        /* a stream of documents (as `jq` reads them): each one pushed, then one array */
        while (r->p != r->end) {
            push(r, parse_value(r));
            skip_ws(r);
        }
        r->depth++; /* make_array closes one level */
        v = make_array(r, 0);
    } else {
        v = parse_value(r);
        skip_ws(r);
        if (r->p != r->end) fail(r, r->p, "unexpected data after the top-level value");
    }
    gh_value *w = vpool_alloc(&r->vp, sizeof *w);
    *w = v;
    *out = w;
}

/* Cache tables grow with the input (one slot per ~32 bytes, within bounds): a 1 KB input
 * must not pay for zeroing the hundreds of KB a 50 MB document wants. */
static size_t pow2_within(size_t want, size_t lo, size_t hi)
{
    size_t n = lo;
    while (n < want && n < hi) n *= 2;
    return n;
}

static void size_slots(jr *r, size_t len)
{
    r->key_slots = pow2_within(len / 32, 64, KEY_SLOTS);
    r->str_slots = pow2_within(len / 32, 64, STR_SLOTS);
    r->shape_slots = pow2_within(len / 256, 16, SHAPE_SLOTS);
}

/* setjmp lives here, apart from `r`'s frame, so r's fields are reliable after a longjmp. */
static int read_protected(jr *r, const gh_value **out)
{
    int rc = setjmp(r->jmp);
    if (rc == 0) parse_document(r, out);
    return rc;
}

int gh_json_read(gh_arena *a, const char *src, size_t len, const gh_json_opts *opts,
                 const gh_value **out, gh_json_error *err)
{
    if (!src) src = ""; /* (NULL, 0) is an empty document */
    jr r = {.src = src, .p = src, .end = src + len, .err = err};
    r.vp.a = a;
    r.vp.block = len < 65536 ? 4096 : 65536;
    r.relaxed = opts && (opts->flags & GH_JSON_RELAXED);
    r.multi = opts && (opts->flags & GH_JSON_MULTI);
    r.no_dups = opts && (opts->flags & GH_JSON_NO_DUPLICATES);
    size_slots(&r, len);
    r.max_depth = opts && opts->max_depth > 0 ? opts->max_depth : GH_JSON_MAX_DEPTH;
    if (err) memset(err, 0, sizeof *err);
    jmp_buf *saved = a->oom;
    a->oom = &r.jmp;
    int rc = read_protected(&r, out);
    a->oom = saved;
    if (rc == GH_ENOMEM && err && !err->msg[0]) {
        err->code = GH_ENOMEM; /* from the arena: no location worth giving */
        snprintf(err->msg, sizeof err->msg, "json: out of memory");
    }
    free(r.st);
    free(r.tmp);
    free(r.sb);
    free(r.idx);
    free(r.keys);
    free(r.strs);
    for (size_t i = 0; r.shapes && i < r.shape_slots; i++)
        free(r.shapes[i].raw);
    free(r.shapes);
    return rc;
}
