/* Numbers: classifying JSON number text (int, double or kept text), exact comparison across
 * the three forms, and Go's encoding/json rendering of doubles. Assumes the C numeric locale
 * (strtod/snprintf read and write '.'), which the engine never changes. */
#include "value.h"

#include "gatehouse/error.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int num_validate(const char *t, size_t len)
{
    const char *p = t, *end = t + len;
    if (p < end && *p == '-') p++;
    if (p == end || !is_digit(*p)) return GH_EINVAL;
    if (*p == '0') {
        p++;
    } else {
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && *p == '.') {
        p++;
        if (p == end || !is_digit(*p)) return GH_EINVAL;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p == end || !is_digit(*p)) return GH_EINVAL;
        while (p < end && is_digit(*p))
            p++;
    }
    return p == end ? 0 : GH_EINVAL;
}

/* ---- building ---- */

bool v_int_make(vpool *vp, int64_t i, gh_value *out)
{
    if (i >= SMALLINT_MIN && i <= SMALLINT_MAX) {
        *out = v_make_int(i);
        return true;
    }
    vbox *b = vpool_alloc(vp, sizeof *b + sizeof i);
    if (!b) return false;
    *b = (vbox){.kind = GH_KIND_NUMBER, .sub = NUM_INT64};
    memcpy(b + 1, &i, sizeof i);
    *out = v_make_ptr(b, TAG_BOX);
    return true;
}

static bool make_double(vpool *vp, double d, gh_value *out)
{
    vbox *b = vpool_alloc(vp, sizeof *b + sizeof d);
    if (!b) return false;
    *b = (vbox){.kind = GH_KIND_NUMBER, .sub = NUM_DOUBLE};
    memcpy(b + 1, &d, sizeof d);
    *out = v_make_ptr(b, TAG_BOX);
    return true;
}

static bool make_text(vpool *vp, const char *t, size_t len, gh_value *out)
{
    if (len > VALUE_LEN_MAX) return false;
    vbox *b = vpool_alloc(vp, sizeof *b + sizeof(double) + len + 1);
    if (!b) return false;
    *b = (vbox){.kind = GH_KIND_NUMBER, .sub = NUM_TEXT, .len = (uint32_t)len};
    char *text = (char *)(b + 1) + sizeof(double);
    memcpy(text, t, len);
    text[len] = '\0';
    double d = strtod(text, NULL); /* correctly rounded; +-HUGE_VAL for huge exponents */
    memcpy(b + 1, &d, sizeof d);
    *out = v_make_ptr(b, TAG_BOX);
    return true;
}

static const double pow10_tab[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A plain decimal like 12.5 or 0.001 with at most 15 significant digits, no trailing zero
 * and no exponent is exactly what Go prints for the double nearest to it (15 digits always
 * survive decimal -> double -> shortest decimal), so it needs no kept text. Its double is
 * m / 10^k, exact by Clinger's fast path (m < 2^53, k <= 22). */
static bool plain_decimal(const char *ip, size_t ni, const char *fp, size_t nf, double *d)
{
    if (nf == 0 || fp[nf - 1] == '0') return false;
    size_t lead = 0;
    if (ni == 1 && ip[0] == '0') {
        ni = 0;
        while (lead < nf && fp[lead] == '0')
            lead++;
        if (lead > 5) return false; /* below 1e-6 Go switches to exponent form */
    }
    if (ni + nf - lead > 15) return false;
    uint64_t m = 0;
    for (size_t i = 0; i < ni; i++)
        m = m * 10 + (uint64_t)(ip[i] - '0');
    for (size_t i = 0; i < nf; i++)
        m = m * 10 + (uint64_t)(fp[i] - '0');
    *d = (double)m / pow10_tab[nf];
    return true;
}

bool v_number_make(vpool *vp, const char *t, size_t len, gh_value *out)
{
    const char *p = t, *end = t + len;
    bool neg = p < end && *p == '-';
    if (neg) p++;
    const char *ip = p;
    while (p < end && is_digit(*p))
        p++;
    size_t ni = (size_t)(p - ip);
    const char *fp = p;
    size_t nf = 0;
    if (p < end && *p == '.') {
        fp = ++p;
        while (p < end && is_digit(*p))
            p++;
        nf = (size_t)(p - fp);
    }
    bool has_exp = p < end;
    if (!has_exp && nf == 0 && ni <= 19 && !(neg && ni == 1 && ip[0] == '0')) {
        uint64_t u = 0;
        for (size_t i = 0; i < ni; i++)
            u = u * 10 + (uint64_t)(ip[i] - '0');
        /* 19 digits never overflow uint64; the int64 range is checked here ("-0" stays
         * text so it prints back as "-0") */
        if (!neg && u <= (uint64_t)INT64_MAX) return v_int_make(vp, (int64_t)u, out);
        if (neg && u <= (uint64_t)INT64_MAX + 1) return v_int_make(vp, (int64_t)(0 - u), out);
    }
    double d;
    if (!has_exp && plain_decimal(ip, ni, fp, nf, &d)) return make_double(vp, neg ? -d : d, out);
    return make_text(vp, t, len, out);
}

double num_double(const gh_value *v)
{
    if (v_tag(v) == TAG_INT) return (double)v_int(v);
    const vbox *b = v_box(v);
    if (b->sub == NUM_INT64) {
        int64_t i;
        memcpy(&i, b + 1, sizeof i);
        return (double)i;
    }
    return box_double(b); /* NUM_DOUBLE, or NUM_TEXT's nearest double */
}

/* ---- exact comparison ----
 * Every number stands for a decimal: an int for itself, a kept text for its exact value, a
 * double for the shortest decimal that reads back as it (what it prints as), so that 0.1
 * equals 0.10 and output text and equality agree. Ints and doubles compare directly where
 * that gives the same answer; otherwise the nearest doubles are compared first (rounding is
 * monotonic, so differing doubles decide) and only on a tie both sides are compared as
 * decimals digit by digit. */

typedef struct dec {
    bool neg;
    const char *ip, *fp; /* integer and fraction digits */
    size_t ni, nf;
    int64_t exp; /* the value is ip.fp x 10^exp */
} dec;

#define DEC_EXP_MAX ((int64_t)1 << 50) /* saturation: far beyond any text we could hold */

static void dec_parse(dec *x, const char *p, const char *end)
{
    x->neg = p < end && *p == '-';
    if (x->neg) p++;
    x->ip = p;
    while (p < end && is_digit(*p))
        p++;
    x->ni = (size_t)(p - x->ip);
    x->fp = p;
    x->nf = 0;
    if (p < end && *p == '.') {
        x->fp = ++p;
        while (p < end && is_digit(*p))
            p++;
        x->nf = (size_t)(p - x->fp);
    }
    x->exp = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = p < end && *p == '-';
        if (p < end && (*p == '-' || *p == '+')) p++;
        int64_t e = 0;
        for (; p < end && is_digit(*p); p++)
            if (e < DEC_EXP_MAX) e = e * 10 + (*p - '0');
        x->exp = eneg ? -e : e;
    }
}

static char dec_digit(const dec *x, size_t k)
{
    return k < x->ni ? x->ip[k] : x->fp[k - x->ni];
}

/* Normalises to 0.D1D2...Dn x 10^e with D1 != 0 and Dn != 0: *first is the index of D1. */
static size_t dec_norm(const dec *x, size_t *first, int64_t *e)
{
    size_t total = x->ni + x->nf, s = 0;
    while (s < total && dec_digit(x, s) == '0')
        s++;
    size_t last = total;
    while (last > s && dec_digit(x, last - 1) == '0')
        last--;
    *first = s;
    *e = (int64_t)x->ni - (int64_t)s + x->exp;
    return last - s;
}

static int dec_compare(const dec *a, const dec *b)
{
    size_t fa, fb;
    int64_t ea, eb;
    size_t na = dec_norm(a, &fa, &ea), nb = dec_norm(b, &fb, &eb);
    int sa = na == 0 ? 0 : a->neg ? -1 : 1;
    int sb = nb == 0 ? 0 : b->neg ? -1 : 1;
    if (sa != sb) return sa < sb ? -1 : 1;
    if (sa == 0) return 0;
    int mag = 0;
    if (ea != eb) {
        mag = ea < eb ? -1 : 1;
    } else {
        size_t n = na > nb ? na : nb;
        for (size_t k = 0; k < n && !mag; k++) {
            char da = k < na ? dec_digit(a, fa + k) : '0';
            char db = k < nb ? dec_digit(b, fb + k) : '0';
            if (da != db) mag = da < db ? -1 : 1;
        }
    }
    return sa > 0 ? mag : -mag;
}

#define DEC_BUF 32 /* an int64 or a double's shortest form */

static void dec_of(const gh_value *v, dec *x, char *buf)
{
    int n;
    if (v_tag(v) == TAG_INT) {
        n = snprintf(buf, DEC_BUF, "%" PRId64, v_int(v));
    } else {
        const vbox *b = v_box(v);
        if (b->sub == NUM_TEXT) {
            dec_parse(x, box_text(b), box_text(b) + b->len);
            return;
        }
        if (b->sub == NUM_INT64) {
            int64_t i;
            memcpy(&i, b + 1, sizeof i);
            n = snprintf(buf, DEC_BUF, "%" PRId64, i);
        } else {
            n = (int)num_format_double(box_double(b), buf);
        }
    }
    dec_parse(x, buf, buf + (n > 0 ? n : 0));
}

static bool num_is_int(const gh_value *v, int64_t *i)
{
    if (v_tag(v) == TAG_INT) {
        *i = v_int(v);
        return true;
    }
    const vbox *b = v_box(v);
    if (b->sub != NUM_INT64) return false;
    memcpy(i, b + 1, sizeof *i);
    return true;
}

static int cmp_int_double(int64_t i, double d)
{
    if (d >= 9223372036854775808.0) return -1;
    if (d < -9223372036854775808.0) return 1;
    double t = trunc(d);
    int64_t ti = (int64_t)t;
    if (i != ti) return i < ti ? -1 : 1;
    return d > t ? -1 : d < t ? 1 : 0;
}

/* The number as an int64 when it is integral and in range, judged on its decimal. */
bool num_to_int(const gh_value *v, int64_t *out)
{
    if (num_is_int(v, out)) return true;
    char buf[DEC_BUF];
    dec x;
    size_t first;
    int64_t e;
    dec_of(v, &x, buf);
    size_t n = dec_norm(&x, &first, &e);
    if (n == 0) {
        *out = 0;
        return true;
    }
    if (e < (int64_t)n || e > 19) return false; /* a fraction, or 20 digits and more */
    uint64_t u = 0;
    for (int64_t k = 0; k < e; k++) {
        unsigned d = k < (int64_t)n ? (unsigned)(dec_digit(&x, first + (size_t)k) - '0') : 0;
        if (u > (UINT64_MAX - d) / 10) return false;
        u = u * 10 + d;
    }
    if (!x.neg && u <= (uint64_t)INT64_MAX) {
        *out = (int64_t)u;
        return true;
    }
    if (x.neg && u <= (uint64_t)INT64_MAX + 1) {
        *out = (int64_t)(0 - u);
        return true;
    }
    return false;
}

#define TWO53 9007199254740992.0 /* below it every integral double is its own shortest form */

int num_compare(const gh_value *a, const gh_value *b)
{
    int64_t ia = 0, ib = 0;
    bool a_int = num_is_int(a, &ia), b_int = num_is_int(b, &ib);
    if (a_int && b_int) return ia < ib ? -1 : ia > ib;
    bool a_dbl = !a_int && v_box(a)->sub == NUM_DOUBLE;
    bool b_dbl = !b_int && v_box(b)->sub == NUM_DOUBLE;
    double da = num_double(a), db = num_double(b);
    if (a_int && b_dbl && fabs(db) < TWO53) return cmp_int_double(ia, db);
    if (a_dbl && b_int && fabs(da) < TWO53) return -cmp_int_double(ib, da);
    if (da < db) return -1;
    if (da > db) return 1;
    if (a_dbl && b_dbl) return 0;
    char ba[DEC_BUF], bb[DEC_BUF];
    dec xa, xb;
    dec_of(a, &xa, ba);
    dec_of(b, &xb, bb);
    return dec_compare(&xa, &xb);
}

/* ---- Go's float formatting ----
 * encoding/json prints a float64 with strconv's shortest round-trip digits, in 'f' form
 * unless |x| < 1e-6 or |x| >= 1e21, where it uses 'e' form and trims "e-07" to "e-7".
 * Shortest digits: the correctly rounded 15-, 16- then 17-digit forms are tried in turn;
 * when a shorter one round-trips, the 15-digit form ends in zeros that %e strips below. */
/* The fast path for doubles with at most 15 significant digits in [1e-6, 1e15), which is
 * what JSON documents carry: the smallest k such that some integer m < 10^15 has
 * m / 10^k == d (exact operands, correctly rounded division: m x 10^-k reads back as d)
 * gives Go's shortest digits. m is tried next to the rounded product as well, in case the
 * product's own rounding moved it. Returns 0 when the slow path must decide. */
static size_t format_short(double d, char out[32])
{
    double ad = fabs(d);
    if (!(ad >= 1e-6 && ad < 1e15)) return 0;
    for (int k = 0; k <= 21; k++) {
        double x = nearbyint(ad * pow10_tab[k]);
        if (x >= 1e15) return 0;
        static const double nudge[3] = {0, -1, 1};
        for (int t = 0; t < 3; t++) {
            double m = x + nudge[t];
            if (m <= 0 || m / pow10_tab[k] != ad) continue;
            char dig[24];
            int nd = snprintf(dig, sizeof dig, "%.0f", m), o = 0;
            if (d < 0) out[o++] = '-';
            if (nd <= k) { /* 0.000ddd */
                out[o++] = '0';
                out[o++] = '.';
                for (int z = 0; z < k - nd; z++)
                    out[o++] = '0';
                memcpy(out + o, dig, (size_t)nd);
                o += nd;
            } else {
                memcpy(out + o, dig, (size_t)(nd - k));
                o += nd - k;
                if (k) {
                    out[o++] = '.';
                    memcpy(out + o, dig + nd - k, (size_t)k);
                    o += k;
                }
            }
            out[o] = '\0';
            return (size_t)o;
        }
    }
    return 0;
}

size_t num_format_double(double d, char out[32])
{
    if (d == 0) return (size_t)snprintf(out, 32, "%s", signbit(d) ? "-0" : "0");
    size_t n = format_short(d, out);
    if (n) return n;
    char buf[40];
    /* subnormals carry fewer digits than 15, so their search starts from one */
    for (int p = fabs(d) < 2.2250738585072014e-308 ? 1 : 15; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, d);
        if (strtod(buf, NULL) == d) break;
    }
    char dig[20];
    size_t nd = 0;
    const char *p = buf + (buf[0] == '-');
    for (; *p != 'e'; p++)
        if (is_digit(*p)) dig[nd++] = *p;
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    int exp = atoi(p + 1); /* d = D.DDD x 10^exp */
    char *o = out;
    if (d < 0) *o++ = '-';
    double ad = fabs(d);
    if (ad < 1e-6 || ad >= 1e21) {
        *o++ = dig[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, dig + 1, nd - 1);
            o += nd - 1;
        }
        int n = snprintf(o, 8, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
        if (exp < 0 && exp > -10) { /* e-07 -> e-7 */
            o[2] = o[3];
            n--;
        }
        o += n;
    } else if (exp >= 0) {
        for (int i = 0; i <= exp; i++)
            *o++ = (size_t)i < nd ? dig[i] : '0';
        if (nd > (size_t)exp + 1) {
            *o++ = '.';
            memcpy(o, dig + exp + 1, nd - (size_t)exp - 1);
            o += nd - (size_t)exp - 1;
        }
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > exp; i--)
            *o++ = '0';
        memcpy(o, dig, nd);
        o += nd;
    }
    *o = '\0';
    return (size_t)(o - out);
}
