/* sprintf: Go's fmt.Sprintf over OPA's argument conversion. OPA hands Go an int (a number
 * whose text is an int64), a *big.Int (an integer beyond int64), a float64 (any other
 * number), or a string (strings as they are; every other value as its Rego text, so `true`
 * is the string "true"). This file reimplements the parts of fmt those four types reach:
 * flags + - # 0 space, width and precision (also from `*`), explicit argument indexes, the
 * verbs v T d b o O x X c q U e E f F g G s t p..., and fmt's error forms (%!d(string=x),
 * %!d(MISSING), %!(EXTRA int=1), %!(NOVERB), %!(BADWIDTH), %!(BADPREC), %!(BADINDEX)). */
#include "builtins/bi_internal.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <wctype.h>

enum { A_INT, A_BIG, A_FLOAT, A_STR };

typedef struct farg {
    int kind;
    int64_t i;
    double f;
    const char *s; /* A_STR bytes; A_BIG decimal digits with optional '-' */
    size_t n;
} farg;

typedef struct fstate {
    gh_buf *out;
    gh_buf *tmp; /* scratch for one number or quoted string at a time */
    bool plus, minus, sharp, space, zero;
    bool wid_set, prec_set;
    int wid, prec;
} fstate;

/* ---- argument conversion (OPA's builtinSprintf) ---- */

static bool all_digits(const char *s, size_t n)
{
    size_t i = (n && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (i == n) return false;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

static int convert_arg(gh_bctx *bc, const gh_value *v, farg *a)
{
    if (bi_is(v, GH_KIND_STRING)) {
        a->kind = A_STR;
        a->s = gh_string_ptr(v, &a->n);
        return 0;
    }
    if (!bi_is(v, GH_KIND_NUMBER)) {
        a->kind = A_STR;
        a->s = bi_rego_text(bc, v, &a->n);
        return a->s ? 0 : GH_ENOMEM;
    }
    char buf[512];
    size_t n = bi_num_json(v, buf, sizeof buf);
    if (all_digits(buf, n)) {
        char *end;
        errno = 0;
        long long x = strtoll(buf, &end, 10);
        if (errno == 0 && buf[0] != '+') {
            a->kind = A_INT;
            a->i = x;
            return 0;
        }
        /* *big.Int: normalise the sign and leading zeros as big.Int.String() would */
        const char *p = buf;
        bool neg = *p == '-';
        if (*p == '-' || *p == '+') p++;
        while (*p == '0' && p[1]) p++;
        char *d = bi_bytes(bc, strlen(p) + 2);
        if (!d) return GH_ENOMEM;
        bool zero = strcmp(p, "0") == 0;
        snprintf(d, strlen(p) + 2, "%s%s", neg && !zero ? "-" : "", p);
        a->kind = A_BIG;
        a->s = d;
        a->n = strlen(d);
        return 0;
    }
    char *end;
    a->f = strtod(buf, &end);
    if (*end == '\0' && isfinite(a->f)) {
        a->kind = A_FLOAT;
        return 0;
    }
    a->kind = A_STR; /* Go: v.String() */
    a->s = gh_arena_strndup(bc->arena, buf, n);
    a->n = n;
    return a->s ? 0 : GH_ENOMEM;
}

/* ---- padding ---- */

static void write_padding(fstate *st, int n)
{
    for (int i = 0; i < n; i++) gh_buf_putc(st->out, st->zero ? '0' : ' ');
}

/* fmt.pad: width counts runes. */
static void pad(fstate *st, const char *s, size_t n)
{
    if (!st->wid_set || st->wid == 0) {
        gh_buf_append(st->out, s, n);
        return;
    }
    int w = st->wid - (int)bi_utf8_count(s, n);
    if (!st->minus) {
        write_padding(st, w);
        gh_buf_append(st->out, s, n);
    } else {
        gh_buf_append(st->out, s, n);
        bool z = st->zero;
        st->zero = false;
        write_padding(st, w);
        st->zero = z;
    }
}

/* ---- integers ---- */

/* digits of |value| (decimal digit string) in base; reversed into buf from the end. */
static size_t dec_to_base(const char *dec, size_t n, int base, bool upper, char *out, size_t cap)
{
    char *num = malloc(n + 1);
    if (!num) return 0;
    memcpy(num, dec, n);
    size_t len = n, o = cap;
    const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    while (len > 0 && o > 0) {
        int rem = 0;
        size_t k = 0;
        for (size_t i = 0; i < len; i++) {
            int cur = rem * 10 + (num[i] - '0');
            int q = cur / base;
            rem = cur % base;
            if (k > 0 || q > 0) num[k++] = (char)('0' + q);
        }
        out[--o] = dig[rem];
        len = k;
    }
    free(num);
    if (o == cap) out[--o] = '0';
    memmove(out, out + o, cap - o);
    return cap - o;
}

/* Go's fmtInteger for int64 (and *big.Int's Format, which pads the same way for the verbs
 * it knows). digits are the magnitude's digits in the verb's base. */
static void fmt_integer(fstate *st, bool negative, const char *digits, size_t nd, int base,
                        int verb, bool big)
{
    char sign = negative ? '-' : st->plus ? '+' : st->space ? ' ' : 0;
    const char *prefix = "";
    if (st->sharp) {
        if (base == 2) prefix = "0b";
        else if (base == 8 && !big && digits[0] != '0') prefix = "0";
        else if (base == 8 && big) prefix = "0";
        else if (base == 16) prefix = verb == 'X' ? "0X" : "0x";
    }
    if (verb == 'O') prefix = "0o";
    bool is_zero = nd == 1 && digits[0] == '0';
    if (st->prec_set && st->prec == 0 && is_zero) {
        if (big) return;
        bool z = st->zero;
        st->zero = false;
        write_padding(st, st->wid_set ? st->wid : 0);
        st->zero = z;
        return;
    }
    int zeros = 0;
    if (st->prec_set) zeros = st->prec > (int)nd ? st->prec - (int)nd : 0;
    int length = (sign ? 1 : 0) + (int)strlen(prefix) + zeros + (int)nd;
    int left = 0, right = 0;
    if (st->wid_set && length < st->wid) {
        int d = st->wid - length;
        if (st->minus) right = d;
        else if (st->zero && !st->prec_set) zeros += d;
        else left = d;
    }
    for (int i = 0; i < left; i++) gh_buf_putc(st->out, ' ');
    if (sign) gh_buf_putc(st->out, sign);
    gh_buf_puts(st->out, prefix);
    for (int i = 0; i < zeros; i++) gh_buf_putc(st->out, '0');
    gh_buf_append(st->out, digits, nd);
    for (int i = 0; i < right; i++) gh_buf_putc(st->out, ' ');
}

static size_t u64_digits(uint64_t u, int base, bool upper, char *out)
{
    char tmp[72];
    size_t o = sizeof tmp;
    const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        tmp[--o] = dig[u % (unsigned)base];
        u /= (unsigned)base;
    } while (u);
    memcpy(out, tmp + o, sizeof tmp - o);
    return sizeof tmp - o;
}

/* Go's strconv.QuoteRune-style escaping of one rune into out (within quotes q). */
static locale_t loc;
static pthread_once_t loc_once = PTHREAD_ONCE_INIT;
static void loc_init(void)
{
    loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Go's unicode.IsPrint: graphic characters and the ASCII space only, so the other space
 * separators and the format characters are escaped. */
static bool is_print(uint32_t r)
{
    if (r < 0x80) return r >= 0x20 && r < 0x7F;
    if (r == 0xFFFD) return true;
    if (r == 0xA0 || r == 0xAD || r == 0x1680 || (r >= 0x2000 && r <= 0x200F) ||
        (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x206F) || r == 0x3000 ||
        r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) || (r >= 0x600 && r <= 0x605) || r == 0x61C ||
        r == 0x6DD || r == 0x70F || r == 0x180E)
        return false;
    pthread_once(&loc_once, loc_init);
    if (!loc) return r >= 0xA0;
    return iswprint_l((wint_t)r, loc) && r != 0xAD;
}

static void quote_rune(gh_buf *b, uint32_t r, char q, bool ascii_only)
{
    char enc[4];
    if (r == (uint32_t)q || r == '\\') {
        gh_buf_putc(b, '\\');
        gh_buf_putc(b, (char)r);
        return;
    }
    if (ascii_only ? (r < 0x80 && is_print(r)) : is_print(r)) {
        gh_buf_append(b, enc, bi_utf8_encode(r, enc));
        return;
    }
    switch (r) {
    case '\a': gh_buf_puts(b, "\\a"); return;
    case '\b': gh_buf_puts(b, "\\b"); return;
    case '\f': gh_buf_puts(b, "\\f"); return;
    case '\n': gh_buf_puts(b, "\\n"); return;
    case '\r': gh_buf_puts(b, "\\r"); return;
    case '\t': gh_buf_puts(b, "\\t"); return;
    case '\v': gh_buf_puts(b, "\\v"); return;
    }
    if (r < ' ' || r == 0x7F) gh_buf_printf(b, "\\x%02x", r);
    else if (r < 0x10000) gh_buf_printf(b, "\\u%04x", r);
    else gh_buf_printf(b, "\\U%08x", r);
}

static void fmt_int_arg(fstate *st, int64_t v, int verb)
{
    char d[72];
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
    switch (verb) {
    case 'v':
    case 'd': fmt_integer(st, v < 0, d, u64_digits(u, 10, false, d), 10, verb, false); return;
    case 'b': fmt_integer(st, v < 0, d, u64_digits(u, 2, false, d), 2, verb, false); return;
    case 'o':
    case 'O': fmt_integer(st, v < 0, d, u64_digits(u, 8, false, d), 8, verb, false); return;
    case 'x': fmt_integer(st, v < 0, d, u64_digits(u, 16, false, d), 16, verb, false); return;
    case 'X': fmt_integer(st, v < 0, d, u64_digits(u, 16, true, d), 16, verb, false); return;
    }
    gh_buf *b = st->tmp;
    gh_buf_clear(b);
    uint32_t r = (v < 0 || v > 0x10FFFF) ? 0xFFFD : (uint32_t)v;
    if (verb == 'c') {
        char enc[4];
        gh_buf_append(b, enc, bi_utf8_encode(r, enc));
    } else if (verb == 'q') {
        gh_buf_putc(b, '\'');
        quote_rune(b, r, '\'', st->plus);
        gh_buf_putc(b, '\'');
    } else { /* 'U' */
        gh_buf_printf(b, "U+%04llX", (unsigned long long)(v < 0 ? (uint64_t)v : (uint64_t)v));
        if (st->sharp && v >= 0 && v <= 0x10FFFF && is_print(r)) {
            char enc[4];
            gh_buf_puts(b, " '");
            gh_buf_append(b, enc, bi_utf8_encode(r, enc));
            gh_buf_putc(b, '\'');
        }
    }
    bool z = st->zero;
    st->zero = false;
    pad(st, b->data ? b->data : "", b->len);
    st->zero = z;
    }

static void fmt_big_arg(fstate *st, const char *s, size_t n, int verb)
{
    bool neg = s[0] == '-';
    const char *mag = neg ? s + 1 : s;
    size_t mn = neg ? n - 1 : n;
    int base = verb == 'b' ? 2 : (verb == 'o' || verb == 'O') ? 8 : (verb == 'x' || verb == 'X') ? 16 : 10;
    char *d = malloc(mn * 4 + 8);
    if (!d) {
        st->out->failed = true;
        return;
    }
    size_t nd = base == 10 ? (memcpy(d, mag, mn), mn) : dec_to_base(mag, mn, base, verb == 'X', d, mn * 4 + 8);
    fmt_integer(st, neg, d, nd, base, verb, true);
    free(d);
}

/* ---- floats ---- */

/* Shortest decimal digits that read back as d: digits in dig (no point), value =
 * 0.dig × 10^dp. */
static size_t shortest(double d, char *dig, int *dp)
{
    char e[40];
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(e, sizeof e, "%.*e", p - 1, d);
        if (strtod(e, NULL) == d) break;
    }
    size_t nd = 0;
    const char *s = e;
    if (*s == '-') s++;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') dig[nd++] = *s;
    int x = atoi(s + 1);
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    *dp = x + 1;
    if (nd == 1 && dig[0] == '0') *dp = 1;
    return nd;
}

/* strconv's %e/%f layout from digits. */
static void put_e(gh_buf *b, const char *dig, size_t nd, int dp, int prec, char ech)
{
    gh_buf_putc(b, dig[0]);
    if (prec > 0) {
        gh_buf_putc(b, '.');
        for (int i = 1; i <= prec; i++) gh_buf_putc(b, (size_t)i < nd ? dig[i] : '0');
    }
    int exp = (nd == 1 && dig[0] == '0') ? 0 : dp - 1;
    gh_buf_printf(b, "%c%c%02d", ech, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

static void put_f(gh_buf *b, const char *dig, size_t nd, int dp, int prec)
{
    if (dp > 0) {
        for (int i = 0; i < dp; i++) gh_buf_putc(b, (size_t)i < nd ? dig[i] : '0');
    } else {
        gh_buf_putc(b, '0');
    }
    if (prec > 0) {
        gh_buf_putc(b, '.');
        for (int i = 0; i < prec; i++) {
            int k = dp + i;
            gh_buf_putc(b, k >= 0 && (size_t)k < nd ? dig[k] : '0');
        }
    }
}

/* strconv.AppendFloat(d, verb, prec, 64) for e E f F g G (prec -1 = shortest), without
 * the sign. */
static void append_float(gh_buf *b, double d, int verb, int prec)
{
    d = fabs(d);
    char dig[40];
    int dp;
    size_t nd;
    bool shortest_mode = prec < 0;
    if (shortest_mode) {
        nd = shortest(d, dig, &dp);
    } else {
        /* round to the needed digits with C's correctly rounded printf */
        char e[400];
        int digits = verb == 'f' || verb == 'F' ? 0 : (verb == 'g' || verb == 'G') ? (prec == 0 ? 1 : prec) : prec + 1;
        if (verb == 'f' || verb == 'F') {
            snprintf(e, sizeof e, "%.*e", 0, d);
            int x = atoi(strchr(e, 'e') + 1);
            digits = x + 1 + prec;
            if (digits <= 0) { /* rounds to zero or one unit in the last place */
                char f[400];
                snprintf(f, sizeof f, "%.*f", prec, d);
                gh_buf_puts(b, f);
                return;
            }
        }
        if (digits > 350) digits = 350;
        snprintf(e, sizeof e, "%.*e", digits - 1, d);
        nd = 0;
        const char *s = e;
        for (; *s && *s != 'e'; s++)
            if (*s != '.') dig[nd < sizeof dig - 1 ? nd++ : nd] = *s;
        dp = atoi(s + 1) + 1;
        if (d == 0) dp = 1;
        if (verb == 'f' || verb == 'F') {
            /* recompute with the final exponent (rounding may have carried) */
            char f[400];
            snprintf(f, sizeof f, "%.*f", prec, d);
            gh_buf_puts(b, f);
            return;
        }
    }
    switch (verb) {
    case 'e':
    case 'E': put_e(b, dig, nd, dp, shortest_mode ? (int)nd - 1 : prec, (char)verb); return;
    case 'f':
    case 'F': put_f(b, dig, nd, dp, shortest_mode ? ((int)nd - dp > 0 ? (int)nd - dp : 0) : prec); return;
    default: { /* g G */
        int p = shortest_mode ? (int)nd : (prec == 0 ? 1 : prec);
        int eprec = p;
        if (eprec > (int)nd && (int)nd >= dp) eprec = (int)nd;
        if (shortest_mode) eprec = 6;
        int exp = dp - 1;
        if (d == 0) exp = 0;
        if (exp < -4 || exp >= eprec) {
            int ep = p > (int)nd ? (int)nd : p;
            while (ep > 1 && dig[ep - 1] == '0') ep--;
            put_e(b, dig, nd, dp, ep - 1, verb == 'G' ? 'E' : 'e');
            return;
        }
        int fp = p > dp ? (int)nd : p;
        int frac = fp - dp > 0 ? fp - dp : 0;
        /* %g drops trailing zeros */
        while (frac > 0 && (dp + frac - 1 >= (int)nd || dig[dp + frac - 1] == '0')) frac--;
        put_f(b, dig, nd, dp, frac);
    }
    }
}

static void fmt_float_arg(fstate *st, double v, int verb)
{
    gh_buf *num = st->tmp;
    gh_buf_clear(num);
    int prec = -1;
    switch (verb) {
    case 'v': verb = 'g'; break;
    case 'e': case 'E': case 'f': case 'F': prec = 6; break;
    }
    if (st->prec_set) prec = st->prec;
    bool neg = signbit(v);
    gh_buf_putc(num, neg ? '-' : '+');
    if (verb == 'x' || verb == 'X') {
        char a[64];
        if (prec >= 0) snprintf(a, sizeof a, verb == 'x' ? "%.*a" : "%.*A", prec, fabs(v));
        else snprintf(a, sizeof a, verb == 'x' ? "%a" : "%A", fabs(v));
        char *p = strchr(a, verb == 'x' ? 'p' : 'P');
        if (p && (p[2] && !p[3])) { /* Go writes at least two exponent digits */
            gh_buf_append(num, a, (size_t)(p - a) + 2);
            gh_buf_putc(num, '0');
            gh_buf_puts(num, p + 2);
        } else {
            gh_buf_puts(num, a);
        }
    } else if (verb == 'b') {
        int e;
        double m = frexp(fabs(v), &e);
        uint64_t mant = (uint64_t)ldexp(m, 53);
        gh_buf_printf(num, "%llup%+d", (unsigned long long)mant, v == 0 ? -1074 : e - 53);
    } else {
        append_float(num, v, verb, prec);
    }
    if (st->sharp && verb != 'b') { /* force a decimal point; keep %g's zeros */
        bool has_point = false;
        for (size_t i = 1; i < num->len; i++)
            if (num->data[i] == '.') has_point = true;
            else if (num->data[i] == 'e' || num->data[i] == 'E' || num->data[i] == 'p') break;
        if (!has_point) {
            char *e = NULL;
            for (size_t i = 1; i < num->len && !e; i++)
                if (num->data[i] == 'e' || num->data[i] == 'E' || num->data[i] == 'p') e = num->data + i;
            if (e) {
                size_t at = (size_t)(e - num->data);
                char tail[64];
                snprintf(tail, sizeof tail, "%s", e);
                num->len = at;
                gh_buf_putc(num, '.');
                gh_buf_puts(num, tail);
            } else {
                gh_buf_putc(num, '.');
            }
        }
    }
    char *s = num->data;
    size_t n = num->len;
    if (st->space && s[0] == '+' && !st->plus) s[0] = ' ';
    if (st->plus || s[0] != '+') {
        if (st->zero && !st->minus && st->wid_set && st->wid > (int)n) {
            gh_buf_putc(st->out, s[0]);
            write_padding(st, st->wid - (int)n);
            gh_buf_append(st->out, s + 1, n - 1);
        } else {
            pad(st, s, n);
        }
    } else {
        pad(st, s + 1, n - 1);
    }
}

/* ---- strings ---- */

static void fmt_str_arg(fstate *st, const char *s, size_t n, int verb)
{
    if (verb == 'v' || verb == 's') {
        if (st->prec_set) { /* truncate to prec runes */
            size_t i = 0;
            for (int r = 0; i < n && r < st->prec; r++) {
                uint32_t c;
                i += bi_utf8_decode(s + i, n - i, &c);
            }
            n = i;
        }
        pad(st, s, n);
        return;
    }
    gh_buf *b = st->tmp;
    gh_buf_clear(b);
    if (verb == 'q') {
        gh_buf_putc(b, '"');
        for (size_t i = 0; i < n;) {
            uint32_t r;
            size_t w = bi_utf8_decode(s + i, n - i, &r);
            if (r == 0xFFFD && w == 1) gh_buf_printf(b, "\\x%02x", (unsigned char)s[i]);
            else quote_rune(b, r, '"', st->plus);
            i += w;
        }
        gh_buf_putc(b, '"');
    } else { /* x X: hex of the bytes */
        size_t lim = st->prec_set && (size_t)st->prec < n ? (size_t)st->prec : n;
        const char *dig = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
        for (size_t i = 0; i < lim; i++) {
            if (st->space && i > 0) gh_buf_putc(b, ' ');
            if (st->sharp && (st->space || i == 0)) gh_buf_puts(b, verb == 'X' ? "0X" : "0x");
            gh_buf_putc(b, dig[(unsigned char)s[i] >> 4]);
            gh_buf_putc(b, dig[(unsigned char)s[i] & 15]);
        }
    }
    pad(st, b->data ? b->data : "", b->len);
}

/* ---- dispatch ---- */

static const char *type_name(const farg *a)
{
    static const char *const names[] = {"int", "*big.Int", "float64", "string"};
    return names[a->kind];
}

static void print_arg(fstate *st, const farg *a, int verb);

static void bad_verb(fstate *st, const farg *a, int verb)
{
    char enc[4];
    gh_buf_puts(st->out, "%!");
    gh_buf_append(st->out, enc, bi_utf8_encode((uint32_t)verb, enc));
    gh_buf_putc(st->out, '(');
    if (a) {
        gh_buf_puts(st->out, a->kind == A_BIG ? "big.Int" : type_name(a));
        gh_buf_putc(st->out, '=');
        fstate plain = {.out = st->out, .tmp = st->tmp};
        print_arg(&plain, a, 'v');
    } else {
        gh_buf_puts(st->out, "MISSING");
    }
    gh_buf_putc(st->out, ')');
}

static void print_arg(fstate *st, const farg *a, int verb)
{
    if (verb == 'v' && st->sharp) { /* %#v: Go syntax; for our types only strings change */
        st->sharp = false;
        if (a->kind == A_STR) {
            fmt_str_arg(st, a->s, a->n, 'q');
            return;
        }
    }
    if (verb == 'T') {
        const char *t = type_name(a);
        fmt_str_arg(st, t, strlen(t), 's');
        return;
    }
    switch (a->kind) {
    case A_INT:
        if (strchr("vdboOxXcqU", verb)) fmt_int_arg(st, a->i, verb);
        else bad_verb(st, a, verb);
        return;
    case A_BIG:
        if (strchr("bdosvxXO", verb)) fmt_big_arg(st, a->s, a->n, verb);
        else bad_verb(st, a, verb);
        return;
    case A_FLOAT:
        if (strchr("vbgGxXfeEF", verb)) fmt_float_arg(st, a->f, verb);
        else bad_verb(st, a, verb);
        return;
    default:
        if (strchr("vsxXq", verb)) fmt_str_arg(st, a->s, a->n, verb);
        else bad_verb(st, a, verb);
        return;
    }
}

/* Go's parsenum: digits at fmt[*i], at most 1e6. */
static bool parse_num(const char *f, size_t n, size_t *i, int *out)
{
    int v = 0;
    bool any = false;
    while (*i < n && f[*i] >= '0' && f[*i] <= '9') {
        if (v > 1000000) return false;
        v = v * 10 + (f[*i] - '0');
        (*i)++;
        any = true;
    }
    *out = v;
    return any;
}

/* [n] argument index; returns the new arg number or -1 when bad. */
static int arg_index(const char *f, size_t n, size_t *i, size_t nargs, bool *reordered, bool *ok)
{
    if (*i >= n || f[*i] != '[') return -2;
    *reordered = true;
    size_t j = *i + 1;
    int v;
    if (!parse_num(f, n, &j, &v) || j >= n || f[j] != ']' || v < 1 || (size_t)v > nargs) {
        /* skip to the closing bracket */
        while (*i < n && f[*i] != ']') (*i)++;
        if (*i < n) (*i)++;
        *ok = false;
        return -1;
    }
    *i = j + 1;
    return v - 1;
}

static int do_printf(gh_buf *out, gh_buf *tmp, const char *f, size_t n, const farg *args, size_t nargs)
{
    size_t argn = 0;
    bool reordered = false;
    for (size_t i = 0; i < n;) {
        size_t lit = i;
        while (i < n && f[i] != '%') i++;
        gh_buf_append(out, f + lit, i - lit);
        if (i >= n) break;
        i++; /* % */
        fstate st = {.out = out, .tmp = tmp};
        for (; i < n; i++) {
            char c = f[i];
            if (c == '#') st.sharp = true;
            else if (c == '0') st.zero = !st.minus;
            else if (c == '+') st.plus = true;
            else if (c == '-') st.minus = true, st.zero = false;
            else if (c == ' ') st.space = true;
            else break;
        }
        bool good_index = true;
        int idx = arg_index(f, n, &i, nargs, &reordered, &good_index);
        if (idx >= 0) argn = (size_t)idx;
        /* width */
        if (i < n && f[i] == '*') {
            i++;
            if (argn < nargs && args[argn].kind == A_INT && args[argn].i >= -1000000 &&
                args[argn].i <= 1000000) {
                st.wid = (int)args[argn].i;
                st.wid_set = true;
                if (st.wid < 0) {
                    st.minus = true;
                    st.zero = false;
                    st.wid = -st.wid;
                }
            } else {
                gh_buf_puts(out, "%!(BADWIDTH)");
            }
            argn++;
        } else {
            st.wid_set = parse_num(f, n, &i, &st.wid);
            if (!st.wid_set) st.wid = 0;
        }
        /* precision */
        if (i + 1 <= n && i < n && f[i] == '.') {
            i++;
            idx = arg_index(f, n, &i, nargs, &reordered, &good_index);
            if (idx >= 0) argn = (size_t)idx;
            if (i < n && f[i] == '*') {
                i++;
                if (argn < nargs && args[argn].kind == A_INT && args[argn].i <= 1000000 &&
                    args[argn].i >= -1000000) {
                    st.prec = (int)args[argn].i;
                    st.prec_set = st.prec >= 0;
                    if (st.prec < 0) st.prec = 0;
                } else {
                    gh_buf_puts(out, "%!(BADPREC)");
                }
                argn++;
            } else {
                parse_num(f, n, &i, &st.prec);
                st.prec_set = true;
            }
        }
        idx = arg_index(f, n, &i, nargs, &reordered, &good_index);
        if (idx >= 0) argn = (size_t)idx;
        if (i >= n) {
            gh_buf_puts(out, "%!(NOVERB)");
            break;
        }
        uint32_t verb;
        i += bi_utf8_decode(f + i, n - i, &verb);
        if (verb == '%') {
            gh_buf_putc(out, '%');
            continue;
        }
        if (!good_index) {
            char enc[4];
            gh_buf_puts(out, "%!");
            gh_buf_append(out, enc, bi_utf8_encode(verb, enc));
            gh_buf_puts(out, "(BADINDEX)");
            continue;
        }
        if (argn >= nargs) {
            char enc[4];
            gh_buf_puts(out, "%!");
            gh_buf_append(out, enc, bi_utf8_encode(verb, enc));
            gh_buf_puts(out, "(MISSING)");
            continue;
        }
        print_arg(&st, &args[argn++], (int)verb);
    }
    if (!reordered && argn < nargs) {
        gh_buf_puts(out, "%!(EXTRA ");
        for (size_t k = argn; k < nargs; k++) {
            if (k > argn) gh_buf_puts(out, ", ");
            gh_buf_puts(out, type_name(&args[k]));
            gh_buf_putc(out, '=');
            fstate plain = {.out = out, .tmp = tmp};
            print_arg(&plain, &args[k], 'v');
        }
        gh_buf_putc(out, ')');
    }
    return out->failed ? GH_ENOMEM : 0;
}

static int bi_sprintf(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    size_t fn;
    const char *f = gh_string_ptr(args[0], &fn);
    if (!f) return bi_type_err(bc, "sprintf", 1, args[0], "string");
    const gh_value *arr = args[1];
    if (!bi_is(arr, GH_KIND_ARRAY)) return bi_type_err(bc, "sprintf", 2, arr, "array");
    size_t nargs = gh_value_len(arr);
    farg *fa = gh_arena_alloc(bc->arena, (nargs ? nargs : 1) * sizeof *fa);
    if (!fa) return GH_ENOMEM;
    for (size_t i = 0; i < nargs; i++) {
        int rc = convert_arg(bc, gh_array_get(arr, i), &fa[i]);
        if (rc) return rc;
    }
    gh_buf *b = bi_scratch(bc, BI_SCRATCH_OUT), *tmp = bi_scratch(bc, BI_SCRATCH_TMP);
    if (!b || !tmp) return GH_ENOMEM;
    int rc = do_printf(b, tmp, f, fn, fa, nargs);
    if (!rc) rc = bi_ret(out, bi_str(bc, b->data ? b->data : "", b->len));
    return rc;
}

static const gh_builtin table[] = {
    BI_FN("sprintf", 2, "(string, array[any]) => string", bi_sprintf),
};
BI_FAMILY(sprintf, table);
