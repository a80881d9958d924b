/* Shared helpers of the builtin families: OPA-worded operand errors, result constructors in
 * the evaluation arena, OPA's number model (ints exact, else a 64-bit-mantissa float), and
 * Go-compatible UTF-8 decoding. */
#include "builtins/bi_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

/* ---- errors ---- */

int bi_type_err(gh_bctx *bc, const char *name, int pos, const gh_value *got, const char *want)
{
    const char *k = gh_kind_name(gh_value_kind(got));
    if (strchr(want, ','))
        return gh_builtin_error(bc, GH_ERR_TYPE, "%s: operand %d must be one of {%s} but got %s",
                                name, pos, want, k);
    return gh_builtin_error(bc, GH_ERR_TYPE, "%s: operand %d must be %s but got %s", name, pos,
                            want, k);
}

int bi_elem_err(gh_bctx *bc, const char *name, int pos, const gh_value *coll, const gh_value *got,
                const char *want)
{
    const char *c = gh_kind_name(gh_value_kind(coll)), *k = gh_kind_name(gh_value_kind(got));
    if (strchr(want, ','))
        return gh_builtin_error(bc, GH_ERR_TYPE,
                                "%s: operand %d must be %s of (any of) {%s} but got %s containing %s",
                                name, pos, c, want, c, k);
    return gh_builtin_error(bc, GH_ERR_TYPE, "%s: operand %d must be %s of %ss but got %s containing %s",
                            name, pos, c, want, c, k);
}

int bi_operand_err(gh_bctx *bc, const char *name, int pos, const char *msg)
{
    return gh_builtin_error(bc, GH_ERR_TYPE, "%s: operand %d %s", name, pos, msg);
}

int bi_builtin_err(gh_bctx *bc, const char *name, const char *msg)
{
    return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: %s", name, msg);
}

/* ---- operands ---- */

const char *bi_str_arg(gh_bctx *bc, const char *name, const gh_value *const *args, int pos,
                       size_t *len, int *rc)
{
    const char *s = gh_string_ptr(args[pos - 1], len);
    if (!s) *rc = bi_type_err(bc, name, pos, args[pos - 1], "string");
    return s;
}

int bi_int_arg(gh_bctx *bc, const char *name, const gh_value *v, int pos, int64_t *out)
{
    if (!bi_is(v, GH_KIND_NUMBER)) return bi_type_err(bc, name, pos, v, "number");
    if (!gh_number_get_int(v, out))
        return bi_operand_err(bc, name, pos, "must be integer number but got floating-point number");
    return 0;
}

/* ---- results ---- */

const gh_value *bi_str(gh_bctx *bc, const char *s, size_t n)
{
    return gh_value_string(bc->arena, s, n);
}

const gh_value *bi_int(gh_bctx *bc, int64_t i)
{
    return gh_value_int(bc->arena, i);
}

const gh_value *bi_num_text(gh_bctx *bc, const char *s, size_t n)
{
    const gh_value *v = NULL;
    return gh_value_number(bc->arena, s, n, &v) == 0 ? v : NULL;
}

const gh_value **bi_ptrs(gh_bctx *bc, size_t n)
{
    if (n > SIZE_MAX / sizeof(gh_value *)) return NULL;
    return gh_arena_alloc(bc->arena, (n ? n : 1) * sizeof(gh_value *));
}

char *bi_bytes(gh_bctx *bc, size_t n)
{
    return gh_arena_alloc(bc->arena, n ? n : 1);
}

const char *bi_rego_text(gh_bctx *bc, const gh_value *v, size_t *len)
{
    gh_buf *b = bi_scratch(bc, BI_SCRATCH_TMP);
    if (!b || gh_value_to_rego(b, v) != 0) return NULL;
    if (len) *len = b->len; /* callers that only want the text pass NULL */
    return gh_arena_strndup(bc->arena, b->data ? b->data : "", b->len);
}

/* ---- per-evaluation memo: a short list in the evaluation arena ---- */

typedef struct memo_entry {
    struct memo_entry *next;
    const char *name;
    const gh_value *key, *val;
} memo_entry;

const gh_value *bi_memo_get(gh_bctx *bc, const char *name, const gh_value *key)
{
    for (memo_entry *e = bc->memo; e; e = e->next)
        if (e->name == name && gh_value_equal(e->key, key)) return e->val;
    return NULL;
}

int bi_memo_put(gh_bctx *bc, const char *name, const gh_value *key, const gh_value *val)
{
    memo_entry *e = gh_arena_alloc(bc->arena, sizeof *e);
    if (!e) return GH_ENOMEM;
    *e = (memo_entry){.next = bc->memo, .name = name, .key = key, .val = val};
    bc->memo = e;
    return 0;
}

bool bi_random(void *buf, size_t n)
{
    return getrandom(buf, n, 0) == (ssize_t)n;
}

/* ---- numbers ---- */

/* Shortest decimal digits of a finite double: value = 0.dig × 10^dp. */
static size_t shortest_digits(double d, char dig[24], int *dp)
{
    char e[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(e, sizeof e, "%.*e", p - 1, d);
        if (strtod(e, NULL) == d) break;
    }
    size_t nd = 0;
    const char *s = e + (e[0] == '-');
    for (; *s && *s != 'e'; s++)
        if (*s != '.') dig[nd++] = *s;
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    *dp = atoi(s + 1) + 1;
    return nd;
}

/* Go's encoding/json text of a double (what OPA would hold for it): plain decimal for
 * 1e-6 <= |d| < 1e21, else d.ddde±X. */
static size_t double_json(double d, char *out, size_t cap)
{
    if (d == 0) return (size_t)snprintf(out, cap, "0");
    char dig[24];
    int dp;
    size_t nd = shortest_digits(d, dig, &dp), o = 0;
    if (d < 0) out[o++] = '-';
    double ad = fabs(d);
    if (ad < 1e-6 || ad >= 1e21) {
        out[o++] = dig[0];
        if (nd > 1) {
            out[o++] = '.';
            memcpy(out + o, dig + 1, nd - 1);
            o += nd - 1;
        }
        return o + (size_t)snprintf(out + o, cap - o, "e%c%d", dp - 1 < 0 ? '-' : '+', abs(dp - 1));
    }
    if (dp <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = dp; i < 0; i++) out[o++] = '0';
        memcpy(out + o, dig, nd);
        return o + nd;
    }
    for (int i = 0; i < dp; i++) out[o++] = (size_t)i < nd ? dig[i] : '0';
    if (nd > (size_t)dp) {
        out[o++] = '.';
        memcpy(out + o, dig + dp, nd - (size_t)dp);
        o += nd - (size_t)dp;
    }
    return o;
}

size_t bi_num_json(const gh_value *v, char *buf, size_t cap)
{
    size_t n = 0;
    const char *t = gh_number_text(v, &n);
    if (t) {
        if (n >= cap) n = cap - 1;
        memcpy(buf, t, n);
        buf[n] = '\0';
        return n;
    }
    int64_t i;
    if (gh_number_get_int(v, &i)) {
        int k = snprintf(buf, cap, "%lld", (long long)i);
        return k < 0 ? 0 : (size_t)k;
    }
    if (cap < 40) {
        buf[0] = '\0';
        return 0;
    }
    n = double_json(gh_number_get_double(v), buf, cap);
    buf[n] = '\0';
    return n;
}

void bi_num_get(const gh_value *v, bnum *out)
{
    out->is_int = gh_number_get_int(v, &out->i);
    if (out->is_int) {
        out->f = (long double)out->i;
        return;
    }
    /* OPA reads the number's decimal text at 64-bit precision (big.Float.SetString), so a
     * double is read back from its shortest text, not widened: 0.1 is the 64-bit 0.1 */
    char buf[128];
    size_t n = bi_num_json(v, buf, sizeof buf);
    if (n < sizeof buf - 1) {
        out->f = strtold(buf, NULL);
        return;
    }
    size_t tl;
    const char *t = gh_number_text(v, &tl);
    char *p = t ? strndup(t, tl) : NULL;
    out->f = p ? strtold(p, NULL) : (long double)gh_number_get_double(v);
    free(p);
}

const gh_value *bi_num_from_i128(gh_bctx *bc, __int128 x)
{
    if (x >= INT64_MIN && x <= INT64_MAX) return bi_int(bc, (int64_t)x);
    char buf[48], *p = buf + sizeof buf;
    bool neg = x < 0;
    unsigned __int128 u = neg ? -(unsigned __int128)x : (unsigned __int128)x;
    do {
        *--p = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (neg) *--p = '-';
    return bi_num_text(bc, p, (size_t)(buf + sizeof buf - p));
}

/* big.Float's Text('g', -1) at 64-bit precision for a finite non-integer, and Text('f', -1)
 * for an integer (exact digits). */
static size_t format_ld(long double f, char *out, size_t cap)
{
    if (f == floorl(f)) {
        int n = snprintf(out, cap, "%.0Lf", f);
        return n < 0 ? 0 : (size_t)n;
    }
    char e[64];
    int p;
    for (p = 1; p <= 21; p++) {
        snprintf(e, sizeof e, "%.*Le", p - 1, f);
        if (strtold(e, NULL) == f) break;
    }
    /* e = [-]d[.ddd]e±X: collect digits and the decimal exponent */
    const char *s = e;
    bool neg = *s == '-';
    if (neg) s++;
    char dig[32];
    size_t nd = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') dig[nd++] = *s;
    int exp10 = atoi(s + 1); /* value = d.ddd × 10^exp10 */
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    size_t o = 0;
    if (neg) out[o++] = '-';
    if (exp10 < -4 || exp10 >= 6) { /* %e with at least two exponent digits */
        out[o++] = dig[0];
        if (nd > 1) {
            out[o++] = '.';
            memcpy(out + o, dig + 1, nd - 1);
            o += nd - 1;
        }
        o += (size_t)snprintf(out + o, cap - o, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
        return o;
    }
    if (exp10 < 0) { /* 0.000ddd */
        out[o++] = '0';
        out[o++] = '.';
        for (int i = -1; i > exp10; i--) out[o++] = '0';
        memcpy(out + o, dig, nd);
        return o + nd;
    }
    size_t ip = (size_t)exp10 + 1; /* digits before the point */
    for (size_t i = 0; i < ip; i++) out[o++] = i < nd ? dig[i] : '0';
    if (nd > ip) {
        out[o++] = '.';
        memcpy(out + o, dig + ip, nd - ip);
        o += nd - ip;
    }
    return o;
}

const gh_value *bi_num_from_ld(gh_bctx *bc, long double f)
{
    if (!isfinite(f)) return NULL;
    if (f == floorl(f) && fabsl(f) < 9.2e18L) {
        if (f == 0 && signbit(f)) return bi_num_text(bc, "-0", 2);
        return bi_int(bc, (int64_t)f);
    }
    char buf[5000];
    size_t n = format_ld(f, buf, sizeof buf);
    if (n == 0 || n >= sizeof buf) return NULL;
    return bi_num_text(bc, buf, n);
}

/* ---- UTF-8 ---- */

size_t bi_utf8_decode(const char *s, size_t n, uint32_t *rune)
{
    const unsigned char *p = (const unsigned char *)s;
    if (n == 0) {
        *rune = 0xFFFD;
        return 0;
    }
    unsigned c = p[0];
    if (c < 0x80) {
        *rune = c;
        return 1;
    }
    size_t len;
    uint32_t r, min;
    if (c >= 0xC2 && c <= 0xDF) len = 2, r = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, r = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, r = c & 0x07, min = 0x10000;
    else goto bad;
    if (n < len) goto bad;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) goto bad;
        r = (r << 6) | (p[i] & 0x3F);
    }
    if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) goto bad;
    *rune = r;
    return len;
bad:
    *rune = 0xFFFD;
    return 1;
}

size_t bi_utf8_encode(uint32_t r, char out[4])
{
    if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = 0xFFFD;
    if (r < 0x80) {
        out[0] = (char)r;
        return 1;
    }
    if (r < 0x800) {
        out[0] = (char)(0xC0 | (r >> 6));
        out[1] = (char)(0x80 | (r & 0x3F));
        return 2;
    }
    if (r < 0x10000) {
        out[0] = (char)(0xE0 | (r >> 12));
        out[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        out[2] = (char)(0x80 | (r & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (r >> 18));
    out[1] = (char)(0x80 | ((r >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((r >> 6) & 0x3F));
    out[3] = (char)(0x80 | (r & 0x3F));
    return 4;
}

size_t bi_utf8_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; count++) {
        uint32_t r;
        i += bi_utf8_decode(s + i, n - i, &r);
    }
    return count;
}

bool bi_is_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return false;
    return true;
}
