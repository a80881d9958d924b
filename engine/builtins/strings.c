/* String builtins with Go's semantics (OPA calls Go's strings package): concat contains
 * startswith endswith lower upper replace strings.replace_n split trim trim_left trim_right
 * trim_prefix trim_suffix trim_space indexof indexof_n substring format_int strings.count
 * strings.reverse strings.split_n strings.any_prefix_match strings.any_suffix_match. Positions and lengths
 * that OPA counts in runes are counted in runes here (invalid UTF-8 bytes are one rune,
 * U+FFFD, as in Go). */
#include "builtins/bi_internal.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <wctype.h>

#define STR_ARG(var, len, pos, name)                                   \
    size_t len;                                                        \
    const char *var = gh_string_ptr(args[(pos) - 1], &len);            \
    if (!var) return bi_type_err(bc, name, pos, args[(pos) - 1], "string")

/* A string result that may be the argument itself when unchanged (no copy). */
static int ret_str(gh_bctx *bc, const gh_value *orig, const char *s, size_t n, const gh_value **out)
{
    size_t on;
    const char *os = orig ? gh_string_ptr(orig, &on) : NULL;
    if (os && on == n && memcmp(os, s, n) == 0) return bi_ret(out, orig);
    return bi_ret(out, bi_str(bc, s, n));
}

/* ---- growable output in the arena ---- */
typedef struct sbuf {
    gh_bctx *bc;
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom || n == 0) return;
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        while (nc < b->len + n) nc *= 2;
        char *np = gh_arena_realloc(b->bc->arena, b->p, b->cap, nc);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* ---- search ---- */

static const char *find(const char *s, size_t n, const char *sub, size_t m)
{
    if (m == 0) return s;
    if (m > n) return NULL;
    return memmem(s, n, sub, m);
}

static int bi_contains(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR_ARG(s, n, 1, "contains");
    STR_ARG(sub, m, 2, "contains");
    *out = gh_value_bool(find(s, n, sub, m) != NULL);
    return 0;
}

static int bi_startswith(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR_ARG(s, n, 1, "startswith");
    STR_ARG(p, m, 2, "startswith");
    *out = gh_value_bool(m <= n && memcmp(s, p, m) == 0);
    return 0;
}

static int bi_endswith(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR_ARG(s, n, 1, "endswith");
    STR_ARG(p, m, 2, "endswith");
    *out = gh_value_bool(m <= n && memcmp(s + n - m, p, m) == 0);
    return 0;
}

/* strings.Count: non-overlapping occurrences; an empty needle counts runes + 1. */
static int bi_count(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR_ARG(s, n, 1, "strings.count");
    STR_ARG(sub, m, 2, "strings.count");
    if (m == 0) return bi_ret(out, bi_int(bc, (int64_t)bi_utf8_count(s, n) + 1));
    int64_t c = 0;
    for (const char *p = s, *end = s + n; (p = find(p, (size_t)(end - p), sub, m)); p += m) c++;
    return bi_ret(out, bi_int(bc, c));
}

/* Runes of s into the arena (invalid bytes become U+FFFD, as Go's []rune(s)). */
static uint32_t *runes_of(gh_bctx *bc, const char *s, size_t n, size_t *count)
{
    uint32_t *r = gh_arena_alloc(bc->arena, (n ? n : 1) * sizeof *r);
    size_t k = 0;
    for (size_t i = 0; r && i < n; k++) i += bi_utf8_decode(s + i, n - i, &r[k]);
    *count = k;
    return r;
}

static bool runes_at(const uint32_t *h, const uint32_t *nd, size_t m)
{
    return memcmp(h, nd, m * sizeof *h) == 0;
}

static int bi_indexof(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR_ARG(s, n, 1, "indexof");
    STR_ARG(sub, m, 2, "indexof");
    if (m == 0) return bi_builtin_err(bc, "indexof", "empty search character");
    if (bi_is_ascii(s, n) && bi_is_ascii(sub, m)) {
        const char *p = find(s, n, sub, m);
        return bi_ret(out, bi_int(bc, p ? (int64_t)(p - s) : -1));
    }
    size_t hn, nn;
    uint32_t *h = runes_of(bc, s, n, &hn), *nd = runes_of(bc, sub, m, &nn);
    if (!h || !nd) return GH_ENOMEM;
    for (size_t i = 0; i + nn <= hn; i++)
        if (runes_at(h + i, nd, nn)) return bi_ret(out, bi_int(bc, (int64_t)i));
    return bi_ret(out, bi_int(bc, -1));
}

static int bi_indexof_n(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR_ARG(s, n, 1, "indexof_n");
    STR_ARG(sub, m, 2, "indexof_n");
    if (m == 0) return bi_builtin_err(bc, "indexof_n", "empty search character");
    size_t hn, nn, k = 0;
    uint32_t *h = runes_of(bc, s, n, &hn), *nd = runes_of(bc, sub, m, &nn);
    const gh_value **items = bi_ptrs(bc, hn);
    if (!h || !nd || !items) return GH_ENOMEM;
    for (size_t i = 0; i + nn <= hn; i++)
        if (runes_at(h + i, nd, nn) && !(items[k++] = bi_int(bc, (int64_t)i))) return GH_ENOMEM;
    return bi_ret(out, gh_value_array(bc->arena, items, k));
}

/* Byte offset of rune number r in s (n when past the end). */
static size_t rune_offset(const char *s, size_t n, int64_t r)
{
    size_t i = 0;
    for (; i < n && r > 0; r--) {
        uint32_t c;
        i += bi_utf8_decode(s + i, n - i, &c);
    }
    return i;
}

static int bi_substring(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR_ARG(s, n, 1, "substring");
    int64_t start, len;
    int rc = bi_int_arg(bc, "substring", args[1], 2, &start);
    if (!rc) rc = bi_int_arg(bc, "substring", args[2], 3, &len);
    if (rc) return rc;
    if (start < 0) return bi_builtin_err(bc, "substring", "negative offset");
    if (n == 0) return bi_ret(out, args[0]);
    if (bi_is_ascii(s, n)) {
        if ((uint64_t)start >= n) return bi_ret(out, bi_str(bc, "", 0));
        size_t end = len < 0 || (uint64_t)len >= n - (size_t)start ? n : (size_t)(start + len);
        return ret_str(bc, args[0], s + start, end - (size_t)start, out);
    }
    size_t runes = bi_utf8_count(s, n);
    if (start == 0 && len >= 0 && (uint64_t)len >= runes) return bi_ret(out, args[0]);
    if ((uint64_t)start >= runes) return bi_ret(out, bi_str(bc, "", 0));
    size_t b0 = rune_offset(s, n, start);
    size_t b1 = len < 0 || (uint64_t)len >= runes - (size_t)start
                    ? n
                    : b0 + rune_offset(s + b0, n - b0, len);
    /* Go's string([]rune) turns invalid bytes into U+FFFD; re-encode when there are any */
    sbuf b = {.bc = bc};
    for (size_t i = b0; i < b1;) {
        uint32_t c;
        size_t w = bi_utf8_decode(s + i, b1 - i, &c);
        char enc[4];
        if (c == 0xFFFD && w == 1) sb_put(&b, enc, bi_utf8_encode(c, enc));
        else sb_put(&b, s + i, w);
        i += w;
    }
    if (b.oom) return GH_ENOMEM;
    return ret_str(bc, args[0], b.p ? b.p : "", b.len, out);
}

/* ---- case ---- */

static locale_t utf8_loc;
static pthread_once_t loc_once = PTHREAD_ONCE_INIT;

static void loc_init(void)
{
    utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static uint32_t map_rune(uint32_t r, bool upper)
{
    if (r < 0x80) {
        if (upper && r >= 'a' && r <= 'z') return r - 32;
        if (!upper && r >= 'A' && r <= 'Z') return r + 32;
        return r;
    }
    pthread_once(&loc_once, loc_init);
    if (!utf8_loc) return r;
    return (uint32_t)(upper ? towupper_l((wint_t)r, utf8_loc) : towlower_l((wint_t)r, utf8_loc));
}

static int change_case(gh_bctx *bc, const char *name, bool upper, const gh_value *const *args,
                       const gh_value **out)
{
    STR_ARG(s, n, 1, name);
    /* the common case, nothing to change in ASCII text, allocates nothing */
    size_t k = 0;
    for (; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c >= 0x80 || (upper ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z'))) break;
    }
    if (k == n) return bi_ret(out, args[0]);
    char *dst = bi_bytes(bc, n * 3 + 1);
    if (!dst) return GH_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            dst[o++] = (char)map_rune(c, upper);
            i++;
            continue;
        }
        uint32_t r;
        i += bi_utf8_decode(s + i, n - i, &r);
        o += bi_utf8_encode(map_rune(r, upper), dst + o);
    }
    return ret_str(bc, args[0], dst, o, out);
}

static int bi_lower(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return change_case(bc, "lower", false, args, out);
}

static int bi_upper(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return change_case(bc, "upper", true, args, out);
}

/* ---- replace ---- */

/* Go's strings.Replacer over pairs olds[i] -> news[i]: left to right, no overlaps; at each
 * position the first pair (in argument order) that matches wins; an empty old string
 * matches at every rune boundary, the end included. */
static int replacer(gh_bctx *bc, const char *s, size_t n, const char *const *olds,
                    const size_t *oldn, const char *const *news, const size_t *newn, size_t np,
                    sbuf *b)
{
    size_t i = 0;
    for (;;) {
        size_t hit = np;
        for (size_t k = 0; k < np; k++)
            if (oldn[k] <= n - i && memcmp(s + i, olds[k], oldn[k]) == 0) {
                hit = k;
                break;
            }
        if (hit < np) {
            sb_put(b, news[hit], newn[hit]);
            if (oldn[hit] > 0) {
                i += oldn[hit];
                continue;
            }
        }
        if (i >= n) break;
        uint32_t r;
        size_t w = bi_utf8_decode(s + i, n - i, &r);
        sb_put(b, s + i, w);
        i += w;
    }
    (void)bc;
    return b->oom ? GH_ENOMEM : 0;
}

static int bi_replace(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR_ARG(s, n, 1, "replace");
    STR_ARG(old, on, 2, "replace");
    STR_ARG(nw, nn, 3, "replace");
    if (on > 0 && !find(s, n, old, on)) return bi_ret(out, args[0]);
    sbuf b = {.bc = bc};
    int rc = replacer(bc, s, n, &old, &on, &nw, &nn, 1, &b);
    if (rc) return rc;
    return ret_str(bc, args[0], b.p ? b.p : "", b.len, out);
}

static int bi_replace_n(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    const gh_value *pat = args[0];
    if (!bi_is(pat, GH_KIND_OBJECT)) return bi_type_err(bc, "strings.replace_n", 1, pat, "object");
    STR_ARG(s, n, 2, "strings.replace_n");
    size_t np = gh_value_len(pat);
    const char **olds = gh_arena_alloc(bc->arena, (np + 1) * sizeof *olds);
    const char **news = gh_arena_alloc(bc->arena, (np + 1) * sizeof *news);
    size_t *oldn = gh_arena_alloc(bc->arena, (np + 1) * sizeof *oldn);
    size_t *newn = gh_arena_alloc(bc->arena, (np + 1) * sizeof *newn);
    if (!olds || !news || !oldn || !newn) return GH_ENOMEM;
    for (size_t i = 0; i < np; i++) {
        olds[i] = gh_string_ptr(gh_object_key_at(pat, i), &oldn[i]);
        if (!olds[i]) return bi_operand_err(bc, "strings.replace_n", 1, "non-string key found in pattern object");
        news[i] = gh_string_ptr(gh_object_value_at(pat, i), &newn[i]);
        if (!news[i]) return bi_operand_err(bc, "strings.replace_n", 1, "non-string value found in pattern object");
    }
    sbuf b = {.bc = bc};
    int rc = replacer(bc, s, n, olds, oldn, news, newn, np, &b);
    if (rc) return rc;
    return ret_str(bc, args[1], b.p ? b.p : "", b.len, out);
}

/* ---- split ---- */

static int bi_split(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR_ARG(s, n, 1, "split");
    STR_ARG(d, dn, 2, "split");
    if (dn > 0 && !find(s, n, d, dn)) {
        const gh_value *one[1] = {args[0]};
        return bi_ret(out, gh_value_array(bc->arena, one, 1));
    }
    size_t cap = dn == 0 ? n : n / dn + 1, k = 0;
    const gh_value **items = bi_ptrs(bc, cap + 1);
    if (!items) return GH_ENOMEM;
    if (dn == 0) { /* one element per rune (UTF-8 sequence or invalid byte) */
        for (size_t i = 0; i < n;) {
            uint32_t r;
            size_t w = bi_utf8_decode(s + i, n - i, &r);
            if (!(items[k++] = bi_str(bc, s + i, w))) return GH_ENOMEM;
            i += w;
        }
        return bi_ret(out, gh_value_array(bc->arena, items, k));
    }
    const char *p = s, *end = s + n, *q;
    while ((q = find(p, (size_t)(end - p), d, dn))) {
        if (!(items[k++] = bi_str(bc, p, (size_t)(q - p)))) return GH_ENOMEM;
        p = q + dn;
    }
    if (!(items[k++] = bi_str(bc, p, (size_t)(end - p)))) return GH_ENOMEM;
    return bi_ret(out, gh_value_array(bc->arena, items, k));
}

/* strings.split_n: n >= 0 keeps the first n pieces of Go's strings.SplitN(s, d, n + 1) (the
 * remainder after the n-th separator is dropped); n < 0 keeps the last -n pieces of
 * strings.Split(s, d). An empty separator splits into runes (invalid bytes one by one). */
static int bi_split_n(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR_ARG(s, n, 1, "strings.split_n");
    STR_ARG(d, dn, 2, "strings.split_n");
    int64_t lim;
    int rc = bi_int_arg(bc, "strings.split_n", args[2], 3, &lim);
    if (rc) return rc;
    /* every piece boundary: piece i is s[b[2i] .. b[2i+1]) */
    size_t cap = dn == 0 ? n : n / dn + 1, k = 0;
    size_t *b = (size_t *)(void *)bi_bytes(bc, (2 * cap + 2) * sizeof *b);
    if (!b) return GH_ENOMEM;
    if (dn == 0) {
        for (size_t i = 0; i < n;) {
            uint32_t r;
            size_t w = bi_utf8_decode(s + i, n - i, &r);
            b[2 * k] = i;
            b[2 * k + 1] = i + w;
            k++;
            i += w;
        }
    } else {
        const char *p = s, *end = s + n, *q;
        while ((q = find(p, (size_t)(end - p), d, dn))) {
            b[2 * k] = (size_t)(p - s);
            b[2 * k + 1] = (size_t)(q - s);
            k++;
            p = q + dn;
        }
        b[2 * k] = (size_t)(p - s);
        b[2 * k + 1] = n;
        k++;
    }
    size_t from = 0, to = k;
    if (lim >= 0) {
        if ((uint64_t)lim < k) to = (size_t)lim;
    } else if ((uint64_t)(-(lim + 1)) + 1 < k) {
        from = k - ((size_t)(-(lim + 1)) + 1);
    }
    const gh_value **items = bi_ptrs(bc, to - from + 1);
    if (!items) return GH_ENOMEM;
    for (size_t i = from; i < to; i++)
        if (!(items[i - from] = bi_str(bc, s + b[2 * i], b[2 * i + 1] - b[2 * i]))) return GH_ENOMEM;
    return bi_ret(out, gh_value_array(bc->arena, items, to - from));
}

/* ---- trim ---- */

static bool in_cutset(uint32_t r, const char *cut, size_t cn)
{
    for (size_t i = 0; i < cn;) {
        uint32_t c;
        i += bi_utf8_decode(cut + i, cn - i, &c);
        if (c == r) return true;
    }
    return false;
}

/* Go's unicode.IsSpace. */
static bool is_space(uint32_t r)
{
    switch (r) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000: return true;
    default: return r >= 0x2000 && r <= 0x200A;
    }
}

/* Length of the last rune of s[0..n) (1 for an invalid byte), decoding as Go does. */
static size_t last_rune(const char *s, size_t n, uint32_t *r)
{
    size_t start = n - 1, lim = n >= 4 ? n - 4 : 0;
    while (start > lim && ((unsigned char)s[start] & 0xC0) == 0x80) start--;
    size_t w = bi_utf8_decode(s + start, n - start, r);
    if (start + w != n) {
        *r = 0xFFFD;
        return 1;
    }
    return w;
}

/* Trims runes matching (cutset, or white space when cut is NULL) from the left/right. */
static void trim_span(const char *s, size_t n, const char *cut, size_t cn, bool left, bool right,
                      size_t *b0, size_t *b1)
{
    size_t i = 0, j = n;
    while (left && i < j) {
        uint32_t r;
        size_t w = bi_utf8_decode(s + i, j - i, &r);
        if (cut ? !in_cutset(r, cut, cn) : !is_space(r)) break;
        i += w;
    }
    while (right && j > i) {
        uint32_t r;
        size_t w = last_rune(s + i, j - i, &r);
        if (cut ? !in_cutset(r, cut, cn) : !is_space(r)) break;
        j -= w;
    }
    *b0 = i;
    *b1 = j;
}

static int trim_common(gh_bctx *bc, const char *name, const gh_value *const *args, bool left,
                       bool right, bool space, const gh_value **out)
{
    STR_ARG(s, n, 1, name);
    const char *cut = NULL;
    size_t cn = 0, b0, b1;
    if (!space) {
        cut = gh_string_ptr(args[1], &cn);
        if (!cut) return bi_type_err(bc, name, 2, args[1], "string");
    }
    trim_span(s, n, cut, cn, left, right, &b0, &b1);
    return ret_str(bc, args[0], s + b0, b1 - b0, out);
}

static int bi_trim(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return trim_common(bc, "trim", args, true, true, false, out);
}

static int bi_trim_left(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return trim_common(bc, "trim_left", args, true, false, false, out);
}

static int bi_trim_right(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return trim_common(bc, "trim_right", args, false, true, false, out);
}

static int bi_trim_space(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return trim_common(bc, "trim_space", args, true, true, true, out);
}

static int bi_trim_prefix(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR_ARG(s, n, 1, "trim_prefix");
    STR_ARG(p, m, 2, "trim_prefix");
    if (m > n || memcmp(s, p, m) != 0 || m == 0) return bi_ret(out, args[0]);
    return bi_ret(out, bi_str(bc, s + m, n - m));
}

static int bi_trim_suffix(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR_ARG(s, n, 1, "trim_suffix");
    STR_ARG(p, m, 2, "trim_suffix");
    if (m > n || memcmp(s + n - m, p, m) != 0 || m == 0) return bi_ret(out, args[0]);
    return bi_ret(out, bi_str(bc, s, n - m));
}

/* ---- concat, reverse, prefix/suffix matching ---- */

static const gh_value *coll_at(const gh_value *c, size_t i)
{
    return bi_is(c, GH_KIND_SET) ? gh_set_item_at(c, i) : gh_array_get(c, i);
}

static int bi_concat(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR_ARG(d, dn, 1, "concat");
    const gh_value *c = args[1];
    if (!bi_is(c, GH_KIND_ARRAY) && !bi_is(c, GH_KIND_SET))
        return bi_type_err(bc, "concat", 2, c, "set, array");
    size_t n = gh_value_len(c), total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l;
        if (!gh_string_ptr(coll_at(c, i), &l)) return bi_elem_err(bc, "concat", 2, c, coll_at(c, i), "string");
        total += l + (i ? dn : 0);
    }
    if (n == 1) return bi_ret(out, coll_at(c, 0));
    char *dst = bi_bytes(bc, total);
    if (!dst) return GH_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l;
        const char *s = gh_string_ptr(coll_at(c, i), &l);
        if (i) {
            memcpy(dst + o, d, dn);
            o += dn;
        }
        memcpy(dst + o, s, l);
        o += l;
    }
    return bi_ret(out, bi_str(bc, dst, o));
}

/* Runes reversed; an invalid byte stays itself (Go would write U+FFFD). */
static void reverse_into(const char *s, size_t n, char *dst)
{
    for (size_t i = 0; i < n;) {
        uint32_t r;
        size_t w = bi_utf8_decode(s + i, n - i, &r);
        memcpy(dst + n - i - w, s + i, w);
        i += w;
    }
}

static int bi_reverse(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR_ARG(s, n, 1, "strings.reverse");
    char *dst = bi_bytes(bc, n);
    if (!dst) return GH_ENOMEM;
    reverse_into(s, n, dst);
    return bi_ret(out, bi_str(bc, dst, n));
}

/* A string, or an array/set of strings, as a list (reversed when `rev`). */
static int str_list(gh_bctx *bc, const char *name, int pos, const gh_value *v, bool rev,
                    const char ***strs, size_t **lens, size_t *count)
{
    size_t n = 1;
    bool single = bi_is(v, GH_KIND_STRING);
    if (!single) {
        if (!bi_is(v, GH_KIND_ARRAY) && !bi_is(v, GH_KIND_SET))
            return bi_type_err(bc, name, pos, v, "string, set, array");
        n = gh_value_len(v);
    }
    *strs = gh_arena_alloc(bc->arena, (n + 1) * sizeof **strs);
    *lens = gh_arena_alloc(bc->arena, (n + 1) * sizeof **lens);
    if (!*strs || !*lens) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const gh_value *x = single ? v : coll_at(v, i);
        const char *s = gh_string_ptr(x, &(*lens)[i]);
        if (!s) return bi_elem_err(bc, name, pos, v, x, "string");
        if (rev) {
            char *d = bi_bytes(bc, (*lens)[i]);
            if (!d) return GH_ENOMEM;
            reverse_into(s, (*lens)[i], d);
            s = d;
        }
        (*strs)[i] = s;
    }
    *count = n;
    return 0;
}

static int any_match(gh_bctx *bc, const char *name, bool suffix, const gh_value *const *args,
                     const gh_value **out)
{
    const char **a, **b;
    size_t *al, *bl, na, nb;
    int rc = str_list(bc, name, 1, args[0], suffix, &a, &al, &na);
    if (!rc) rc = str_list(bc, name, 2, args[1], suffix, &b, &bl, &nb);
    if (rc) return rc;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (bl[j] <= al[i] && memcmp(a[i], b[j], bl[j]) == 0) return bi_ret(out, GH_TRUE);
    return bi_ret(out, GH_FALSE);
}

static int bi_any_prefix(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return any_match(bc, "strings.any_prefix_match", false, args, out);
}

static int bi_any_suffix(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return any_match(bc, "strings.any_suffix_match", true, args, out);
}

/* ---- format_int ---- */

static size_t utoa_base(unsigned __int128 u, int base, char *end)
{
    char *p = end;
    do {
        *--p = "0123456789abcdef"[(int)(u % (unsigned)base)];
        u /= (unsigned)base;
    } while (u);
    return (size_t)(end - p);
}

static int bi_format_int(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    if (!bi_is(args[0], GH_KIND_NUMBER)) return bi_type_err(bc, "format_int", 1, args[0], "number");
    if (!bi_is(args[1], GH_KIND_NUMBER)) return bi_type_err(bc, "format_int", 2, args[1], "number");
    char bt[64];
    bi_num_json(args[1], bt, sizeof bt); /* OPA compares the base's text: 10.0 is not 10 */
    int base = !strcmp(bt, "2") ? 2 : !strcmp(bt, "8") ? 8 : !strcmp(bt, "10") ? 10 : !strcmp(bt, "16") ? 16 : 0;
    if (!base) return bi_operand_err(bc, "format_int", 2, "must be one of {2, 8, 10, 16}");
    bnum x;
    bi_num_get(args[0], &x);
    long double t = x.is_int ? (long double)x.i : truncl(x.f);
    char buf[200], *end = buf + sizeof buf;
    if (!x.is_int && fabsl(t) >= 1.7e38L) { /* beyond 128 bits: decimal digits of the float */
        int n = snprintf(buf, sizeof buf, "%.0Lf", t);
        return bi_ret(out, bi_str(bc, buf, n > 0 && (size_t)n < sizeof buf ? (size_t)n : 0));
    }
    __int128 v = x.is_int ? x.i : (__int128)t;
    unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
    size_t n = utoa_base(u, base, end);
    if (v < 0) {
        *(end - n - 1) = '-';
        n++;
    }
    return bi_ret(out, bi_str(bc, end - n, n));
}

static const gh_builtin table[] = {
    BI_FN("concat", 2, "(string, any<set[string], array[string]>) => string", bi_concat),
    BI_FN("contains", 2, "(string, string) => boolean", bi_contains),
    BI_FN("startswith", 2, "(string, string) => boolean", bi_startswith),
    BI_FN("endswith", 2, "(string, string) => boolean", bi_endswith),
    BI_FN("lower", 1, "(string) => string", bi_lower),
    BI_FN("upper", 1, "(string) => string", bi_upper),
    BI_FN("replace", 3, "(string, string, string) => string", bi_replace),
    BI_FN("strings.replace_n", 2, "(object[string: string], string) => string", bi_replace_n),
    BI_FN("split", 2, "(string, string) => array[string]", bi_split),
    BI_FN("strings.split_n", 3, "(string, string, number) => array[string]", bi_split_n),
    BI_FN("trim", 2, "(string, string) => string", bi_trim),
    BI_FN("trim_left", 2, "(string, string) => string", bi_trim_left),
    BI_FN("trim_right", 2, "(string, string) => string", bi_trim_right),
    BI_FN("trim_prefix", 2, "(string, string) => string", bi_trim_prefix),
    BI_FN("trim_suffix", 2, "(string, string) => string", bi_trim_suffix),
    BI_FN("trim_space", 1, "(string) => string", bi_trim_space),
    BI_FN("indexof", 2, "(string, string) => number", bi_indexof),
    BI_FN("indexof_n", 2, "(string, string) => array[number]", bi_indexof_n),
    BI_FN("substring", 3, "(string, number, number) => string", bi_substring),
    BI_FN("format_int", 2, "(number, number) => string", bi_format_int),
    BI_FN("strings.count", 2, "(string, string) => number", bi_count),
    BI_FN("strings.reverse", 1, "(string) => string", bi_reverse),
    BI_FN("strings.any_prefix_match", 2,
          "(any<string, set[string], array[string]>, any<string, set[string], array[string]>) => boolean",
          bi_any_prefix),
    BI_FN("strings.any_suffix_match", 2,
          "(any<string, set[string], array[string]>, any<string, set[string], array[string]>) => boolean",
          bi_any_suffix),
};
BI_FAMILY(strings, table);
