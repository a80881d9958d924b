/* units.parse and units.parse_bytes, as OPA: an amount (decimal, exponent up to 6 digits)
 * and an SI or binary unit. units.parse is exact (OPA's big.Rat: an integer when the
 * product is one, else ten decimals, and `m` is the float64 0.001 taken exactly);
 * units.parse_bytes truncates a 64-bit-mantissa product to an integer (OPA's big.Float). */
#include "builtins/bi_internal.h"

#include <math.h>
#include <stdlib.h>

/* OPA builds these messages with the name and its error wrapper adds it again. */
#define UNITS_ERR(bc, name, msg) gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: %s: %s", name, name, msg)

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* extractNumAndUnit: false when an exponent has more than 6 digits. */
static bool split_num_unit(const char *s, size_t n, size_t *num_len)
{
    size_t i = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (!is_digit(c) && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-') break;
        if (c == 'e' || c == 'E') {
            if (i == n - 1 || (!is_digit(s[i + 1]) && s[i + 1] != '+' && s[i + 1] != '-')) break;
            if (s[i + 1] == '+' || s[i + 1] == '-') i++;
            size_t e = i + 1;
            while (e < n && is_digit(s[e])) e++;
            if (e - (i + 1) > 6) return false;
        }
    }
    *num_len = i;
    return true;
}

/* The string without double quotes, lowercased when asked, into the arena. */
static char *clean(gh_bctx *bc, const char *s, size_t n, bool lower, size_t *out_n)
{
    char *d = bi_bytes(bc, n + 1);
    if (!d) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"') continue;
        if (lower && c >= 'A' && c <= 'Z') c = (char)(c + 32);
        d[o++] = c;
    }
    d[o] = '\0';
    *out_n = o;
    return d;
}

/* ---- decimal digit strings (most significant first, values 0..9) ---- */

typedef struct dnum {
    uint8_t *d;
    size_t n;
} dnum;

static bool dmul(gh_bctx *bc, dnum *x, uint64_t m)
{
    uint8_t *r = gh_arena_alloc(bc->arena, x->n + 21);
    if (!r) return false;
    size_t o = x->n + 21;
    unsigned __int128 carry = 0;
    for (size_t i = x->n; i-- > 0;) {
        carry += (unsigned __int128)x->d[i] * m;
        r[--o] = (uint8_t)(carry % 10);
        carry /= 10;
    }
    while (carry) {
        r[--o] = (uint8_t)(carry % 10);
        carry /= 10;
    }
    x->d = r + o;
    x->n = x->n + 21 - o;
    return true;
}

/* x /= d (d < 2^32); returns the remainder. */
static uint64_t ddiv(dnum *x, uint32_t d)
{
    uint64_t rem = 0;
    for (size_t i = 0; i < x->n; i++) {
        uint64_t cur = rem * 10 + x->d[i];
        x->d[i] = (uint8_t)(cur / d);
        rem = cur % d;
    }
    return rem;
}

static void dtrim(dnum *x)
{
    while (x->n > 1 && x->d[0] == 0) x->d++, x->n--;
}

static bool dzero(const dnum *x)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->d[i]) return false;
    return true;
}

/* big.Rat.SetString for sign, digits, optional fraction and exponent: value = D × 10^e. */
static bool parse_rat(gh_bctx *bc, const char *s, size_t n, bool *neg, dnum *D, long *e)
{
    size_t i = 0;
    *neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) *neg = s[i++] == '-';
    D->d = gh_arena_alloc(bc->arena, n + 1);
    if (!D->d) return false;
    D->n = 0;
    *e = 0;
    bool digits = false, point = false;
    for (; i < n && (is_digit(s[i]) || (s[i] == '.' && !point)); i++) {
        if (s[i] == '.') {
            point = true;
            continue;
        }
        D->d[D->n++] = (uint8_t)(s[i] - '0');
        digits = true;
        if (point) (*e)--;
    }
    if (!digits) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        long x = 0;
        size_t start = i;
        for (; i < n && is_digit(s[i]); i++) x = x * 10 + (s[i] - '0');
        if (i == start) return false;
        *e += eneg ? -x : x;
    }
    return i == n;
}

static const gh_value *digits_value(gh_bctx *bc, bool neg, const dnum *q, long point)
{
    /* point: digits after the decimal point (0 = an integer) */
    size_t n = q->n;
    char *s = bi_bytes(bc, n + (size_t)point + 4);
    if (!s) return NULL;
    size_t o = 0;
    if (neg) s[o++] = '-';
    size_t ip = n > (size_t)point ? n - (size_t)point : 0;
    if (ip == 0) s[o++] = '0';
    for (size_t i = 0; i < ip; i++) s[o++] = (char)('0' + q->d[i]);
    if (point > 0) {
        s[o++] = '.';
        for (long i = 0; i < point; i++) {
            long k = (long)n - point + i;
            s[o++] = k >= 0 ? (char)('0' + q->d[k]) : '0';
        }
    }
    return bi_num_text(bc, s, o);
}

static int bi_units_parse(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "units.parse";
    size_t rn, n, nl;
    const char *raw = gh_string_ptr(args[0], &rn);
    if (!raw) return bi_type_err(bc, name, 1, args[0], "string");
    char *s = clean(bc, raw, rn, false, &n);
    if (!s) return GH_ENOMEM;
    if (memchr(s, ' ', n)) return UNITS_ERR(bc, name, "spaces not allowed in resource strings");
    if (!split_num_unit(s, n, &nl)) return UNITS_ERR(bc, name, "exponent too large");
    if (nl == 0) return UNITS_ERR(bc, name, "no amount provided");
    char unit[64];
    size_t ul = n - nl;
    if (ul >= sizeof unit) ul = sizeof unit - 1;
    memcpy(unit, s + nl, ul);
    unit[ul] = '\0';
    for (size_t i = 1; i < ul; i++)
        if (unit[i] >= 'A' && unit[i] <= 'Z') unit[i] = (char)(unit[i] + 32);
    static const struct { const char *u; uint64_t num; } units[] = {
        {"", 1}, {"k", 1000ull}, {"K", 1000ull}, {"ki", 1ull << 10}, {"Ki", 1ull << 10},
        {"M", 1000000ull}, {"mi", 1ull << 20}, {"Mi", 1ull << 20}, {"g", 1000000000ull},
        {"G", 1000000000ull}, {"gi", 1ull << 30}, {"Gi", 1ull << 30}, {"t", 1000000000000ull},
        {"T", 1000000000000ull}, {"ti", 1ull << 40}, {"Ti", 1ull << 40},
        {"p", 1000000000000000ull}, {"P", 1000000000000000ull}, {"pi", 1ull << 50},
        {"Pi", 1ull << 50}, {"e", 1000000000000000000ull}, {"E", 1000000000000000000ull},
        {"ei", 1ull << 60}, {"Ei", 1ull << 60},
        {"m", 1152921504606847ull}, /* float64(0.001) = 1152921504606847 / 2^60 */
    };
    uint64_t mul = 0;
    bool milli = false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(unit, units[i].u) == 0) {
            mul = units[i].num;
            milli = unit[0] == 'm' && unit[1] == '\0';
        }
    if (!mul)
        return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: %s: unit %s not recognized", name, name, unit);
    bool neg;
    dnum D;
    long e;
    if (!parse_rat(bc, s, nl, &neg, &D, &e)) {
        if (!D.d) return GH_ENOMEM;
        return UNITS_ERR(bc, name, "could not parse amount to a number");
    }
    if (!dmul(bc, &D, mul)) return GH_ENOMEM;
    if (e > 0) { /* × 10^e: append zeros */
        uint8_t *d = gh_arena_alloc(bc->arena, D.n + (size_t)e);
        if (!d) return GH_ENOMEM;
        memcpy(d, D.d, D.n);
        memset(d + D.n, 0, (size_t)e);
        D.d = d;
        D.n += (size_t)e;
        e = 0;
    }
    long k = -e; /* divide by 10^k (and by 2^60 for milli) */
    for (int pass = 0; pass < 2; pass++) { /* pass 0: is it an integer? pass 1: ten decimals */
        dnum q = {gh_arena_alloc(bc->arena, D.n + 11), D.n};
        if (!q.d) return GH_ENOMEM;
        memcpy(q.d, D.d, D.n);
        if (pass == 1) {
            memset(q.d + q.n, 0, 10);
            q.n += 10;
        }
        unsigned __int128 r1 = 0;
        if (milli) {
            uint64_t lo = ddiv(&q, 1u << 30), hi = ddiv(&q, 1u << 30);
            r1 = (unsigned __int128)hi << 30 | lo;
        }
        /* split off the last k digits: the remainder of the division by 10^k */
        bool rem_zero = r1 == 0, round_up;
        dnum r2 = {q.d, 0};
        if (k > 0) {
            size_t kk = (size_t)k;
            if (kk >= q.n) { /* everything is remainder */
                uint8_t *pad = gh_arena_calloc(bc->arena, kk + 1, 1);
                if (!pad) return GH_ENOMEM;
                memcpy(pad + kk - q.n, q.d, q.n);
                r2 = (dnum){pad, kk};
                q.n = 1;
                q.d = pad + kk; /* a single 0 digit */
            } else {
                r2 = (dnum){q.d + q.n - kk, kk};
                q.n -= kk;
            }
            rem_zero = rem_zero && dzero(&r2);
            round_up = r2.d[0] >= 5;
        } else {
            round_up = milli && 2 * r1 >= ((unsigned __int128)1 << 60);
        }
        if (pass == 0 && !rem_zero) continue;
        if (pass == 1 && round_up) { /* + 1 in the last place, carrying */
            size_t i = q.n;
            while (i > 0 && q.d[i - 1] == 9) q.d[--i] = 0;
            if (i == 0) {
                uint8_t *d = gh_arena_alloc(bc->arena, q.n + 1);
                if (!d) return GH_ENOMEM;
                d[0] = 1;
                memcpy(d + 1, q.d, q.n);
                q.d = d;
                q.n++;
            } else {
                q.d[i - 1]++;
            }
        }
        dtrim(&q);
        bool z = dzero(&q);
        return bi_ret(out, digits_value(bc, neg && !(pass == 0 && z), &q, pass == 0 ? 0 : 10));
    }
    return GH_EINTERNAL;
}

static int bi_units_parse_bytes(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "units.parse_bytes";
    size_t rn, n, nl;
    const char *raw = gh_string_ptr(args[0], &rn);
    if (!raw) return bi_type_err(bc, name, 1, args[0], "string");
    char *s = clean(bc, raw, rn, true, &n);
    if (!s) return GH_ENOMEM;
    if (memchr(s, ' ', n)) return UNITS_ERR(bc, name, "spaces not allowed in resource strings");
    if (!split_num_unit(s, n, &nl)) return UNITS_ERR(bc, name, "exponent too large");
    if (nl == 0) return UNITS_ERR(bc, name, "no byte amount provided");
    static const struct { const char *u, *u2; uint64_t m; } units[] = {
        {"", "", 1}, {"kb", "k", 1000ull}, {"kib", "ki", 1ull << 10}, {"mb", "m", 1000000ull},
        {"mib", "mi", 1ull << 20}, {"gb", "g", 1000000000ull}, {"gib", "gi", 1ull << 30},
        {"tb", "t", 1000000000000ull}, {"tib", "ti", 1ull << 40}, {"pb", "p", 1000000000000000ull},
        {"pib", "pi", 1ull << 50}, {"eb", "e", 1000000000000000000ull}, {"eib", "ei", 1ull << 60},
    };
    const char *unit = s + nl;
    uint64_t m = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0] && !m; i++)
        if (!strcmp(unit, units[i].u) || !strcmp(unit, units[i].u2)) m = units[i].m;
    if (!m)
        return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: %s: byte unit %s not recognized", name, name, unit);
    /* big.Float.SetString: the same decimal syntax as the rational one */
    bool neg;
    dnum D;
    long e;
    if (!parse_rat(bc, s, nl, &neg, &D, &e)) {
        if (!D.d) return GH_ENOMEM;
        return UNITS_ERR(bc, name, "could not parse byte amount to a number");
    }
    char save = s[nl];
    s[nl] = '\0';
    long double f = strtold(s, NULL) * (long double)m;
    s[nl] = save;
    if (!isfinite(f)) return UNITS_ERR(bc, name, "could not parse byte amount to a number");
    f = truncl(f);
    if (f == 0) f = 0; /* big.Int has no negative zero */
    return bi_ret(out, bi_num_from_ld(bc, f));
}

static const gh_builtin table[] = {
    BI_FN("units.parse", 1, "(string) => number", bi_units_parse),
    BI_FN("units.parse_bytes", 1, "(string) => number", bi_units_parse_bytes),
};
BI_FAMILY(units, table);
