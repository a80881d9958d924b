/* Time builtins with Go's time package semantics (OPA's): time.parse_rfc3339_ns,
 * time.parse_ns (Go layouts and OPA's named ones), time.parse_duration_ns, time.format,
 * time.date, time.clock, time.weekday, time.add_date, time.diff. Zones come from the system
 * tz database (TZif files under /usr/share/zoneinfo), loaded once per evaluator into the
 * pattern cache; "" and "UTC" are UTC. Instants are int64 nanoseconds since the epoch. */
#include "builtins/bi_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define NS_PER_S 1000000000LL

/* ---- civil calendar (proleptic Gregorian; H. Hinnant's algorithms) ---- */

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static bool is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* ---- zones ---- */

typedef struct ztype {
    int32_t off;
    char abbr[8];
} ztype;

typedef struct zone {
    int64_t *at; /* transition times (seconds) */
    uint8_t *idx;
    size_t n;
    ztype *types;
    size_t ntypes;
    int first; /* type used before the first transition */
} zone;

static void zone_free(void *p)
{
    zone *z = p;
    if (!z) return;
    free(z->at);
    free(z->idx);
    free(z->types);
    free(z);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* TZif (v2+: the 64-bit section). NULL when the file cannot be read or parsed. */
static zone *zone_load_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = malloc(1 << 20);
    size_t len = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    zone *z = NULL;
    if (len < 44 || memcmp(buf, "TZif", 4) != 0) goto out;
    const uint8_t *p = buf;
    size_t off = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (off + 44 > len) goto out;
        const uint8_t *h = p + off;
        uint32_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28), tcnt = be32(h + 32),
                 tycnt = be32(h + 36), ccnt = be32(h + 40);
        size_t tsz = pass == 0 ? 4 : 8;
        size_t body = tcnt * tsz + tcnt + tycnt * 6 + ccnt + leap * (tsz + 4) + isstd + isut;
        if (pass == 0) {
            if (h[4] < '2') { /* version 1: only 32-bit data; not handled */
                goto out;
            }
            off += 44 + body;
            continue;
        }
        const uint8_t *d = h + 44;
        if (off + 44 + body > len || tycnt == 0) goto out;
        z = calloc(1, sizeof *z);
        if (!z) goto out;
        z->n = tcnt;
        z->ntypes = tycnt;
        z->at = malloc((tcnt + 1) * sizeof *z->at);
        z->idx = malloc(tcnt + 1);
        z->types = calloc(tycnt, sizeof *z->types);
        if (!z->at || !z->idx || !z->types) {
            zone_free(z);
            z = NULL;
            goto out;
        }
        for (uint32_t i = 0; i < tcnt; i++) z->at[i] = (int64_t)((uint64_t)be32(d + 8 * i) << 32 | be32(d + 8 * i + 4));
        memcpy(z->idx, d + 8 * tcnt, tcnt);
        const uint8_t *ti = d + 9 * tcnt, *chars = ti + 6 * tycnt;
        z->first = -1;
        for (uint32_t i = 0; i < tycnt; i++) {
            z->types[i].off = (int32_t)be32(ti + 6 * i);
            uint8_t ai = ti[6 * i + 5];
            if (ai < ccnt) snprintf(z->types[i].abbr, sizeof z->types[i].abbr, "%.*s", (int)(ccnt - ai), chars + ai);
            if (z->first < 0 && !ti[6 * i + 4]) z->first = (int)i; /* first standard-time type */
            if (z->idx && i < 256) {}
        }
        for (uint32_t i = 0; i < tcnt; i++)
            if (z->idx[i] >= tycnt) z->idx[i] = 0;
        if (z->first < 0) z->first = 0;
    }
out:
    free(buf);
    return z;
}

static const zone utc_zone = {.types = (ztype[]){{0, "UTC"}}, .ntypes = 1};

/* The zone for a name: NULL with an error message in err. */
static const zone *zone_get(gh_bctx *bc, const char *name, size_t n, char *err, size_t errcap)
{
    if (n == 0 || (n == 3 && !memcmp(name, "UTC", 3))) return &utc_zone;
    zone *z = bi_cache_get(bc, BI_CACHE_ZONE, name, n);
    if (z) return z;
    char path[512];
    bool bad = n > 200 || memchr(name, '\0', n) || name[0] == '/' || name[0] == '.';
    for (size_t i = 0; i + 1 < n && !bad; i++)
        if (name[i] == '.' && name[i + 1] == '.') bad = true;
    if (!bad) {
        if (n == 5 && !memcmp(name, "Local", 5)) snprintf(path, sizeof path, "/etc/localtime");
        else snprintf(path, sizeof path, "/usr/share/zoneinfo/%.*s", (int)n, name);
        z = zone_load_file(path);
        if (!z && n == 5 && !memcmp(name, "Local", 5)) return &utc_zone;
    }
    if (!z) {
        snprintf(err, errcap, bad ? "time: invalid location name" : "unknown time zone %.*s", (int)n, name);
        return NULL;
    }
    if (!bi_cache_put(bc, BI_CACHE_ZONE, name, n, z, zone_free)) {
        zone_free(z); /* no cache: load per call */
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    return z;
}

static const ztype *zone_at(const zone *z, int64_t sec)
{
    if (z->n == 0 || sec < z->at[0]) return &z->types[z->first];
    size_t lo = 0, hi = z->n; /* last transition <= sec */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (z->at[mid] <= sec) lo = mid;
        else hi = mid;
    }
    return &z->types[z->idx[lo]];
}

/* ---- broken-down time ---- */

typedef struct tm_go {
    int64_t year;
    int month, day, hour, min, sec, yday, wday;
    int32_t nsec;
    int32_t off;
    const char *abbr;
} tm_go;

static void split_time(int64_t ns, const zone *z, tm_go *t)
{
    int64_t sec = floor_div(ns, NS_PER_S), rem_ns = ns % NS_PER_S;
    /* the remainder taken directly: sec * NS_PER_S overflows near INT64_MIN */
    t->nsec = (int32_t)(rem_ns < 0 ? rem_ns + NS_PER_S : rem_ns);
    const ztype *ty = zone_at(z, sec);
    t->off = ty->off;
    t->abbr = ty->abbr;
    int64_t local = sec + ty->off, days = floor_div(local, 86400), rem = local - days * 86400;
    civil_from_days(days, &t->year, &t->month, &t->day);
    t->hour = (int)(rem / 3600);
    t->min = (int)(rem % 3600 / 60);
    t->sec = (int)(rem % 60);
    t->wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    t->yday = (int)(days - days_from_civil(t->year, 1, 1)) + 1;
}

/* Go's Date(): normalise and resolve a local time in a zone; false on overflow. */
static bool make_time(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t min, int64_t sec,
                      int64_t nsec, const zone *z, __int128 *ns_out)
{
    int64_t m0 = month - 1;
    year += floor_div(m0, 12);
    m0 -= floor_div(m0, 12) * 12;
    if (year > 300000000 || year < -300000000) return false;
    __int128 s = (__int128)days_from_civil(year, m0 + 1, 1) + day - 1;
    s = s * 86400 + (__int128)hour * 3600 + (__int128)min * 60 + sec;
    s += floor_div(nsec, NS_PER_S);
    nsec -= floor_div(nsec, NS_PER_S) * NS_PER_S;
    if (s > ((__int128)1 << 62) || s < -((__int128)1 << 62)) return false;
    /* the zone offset in effect at that local time (Go: look up at unix - offset, twice) */
    int64_t local = (int64_t)s;
    int32_t off = zone_at(z, local)->off;
    int32_t off2 = zone_at(z, local - off)->off;
    if (off2 != off) {
        int32_t off3 = zone_at(z, local - off2)->off;
        off = off3 == off2 ? off2 : off;
    }
    *ns_out = ((__int128)(local - off)) * NS_PER_S + nsec;
    return true;
}

/* ---- operands ---- */

/* tzTime: ns, or [ns, tz] or [ns, tz, layout]. */
static int time_operand(gh_bctx *bc, const char *name, const gh_value *v, int64_t *ns,
                        const zone **z, const char **layout, size_t *layout_n)
{
    const gh_value *num = v;
    *z = &utc_zone;
    if (layout) *layout = NULL, *layout_n = 0;
    if (bi_is(v, GH_KIND_ARRAY)) {
        size_t n = gh_value_len(v);
        if (n == 0) goto bad;
        num = gh_array_get(v, 0);
        if (!bi_is(num, GH_KIND_NUMBER)) return bi_type_err(bc, name, 1, num, "number");
        if (n > 1) {
            size_t tl;
            const char *tz = gh_string_ptr(gh_array_get(v, 1), &tl);
            if (!tz) return bi_type_err(bc, name, 1, gh_array_get(v, 1), "string");
            char err[300];
            if (!(*z = zone_get(bc, tz, tl, err, sizeof err))) return bi_builtin_err(bc, name, err);
        }
        if (n > 2) {
            const char *l = gh_string_ptr(gh_array_get(v, 2), layout_n);
            if (!l) return bi_type_err(bc, name, 1, gh_array_get(v, 2), "string");
            if (layout) *layout = l;
        }
    } else if (!bi_is(v, GH_KIND_NUMBER)) {
        goto bad;
    }
    if (!gh_number_get_int(num, ns)) return bi_builtin_err(bc, name, "timestamp too big");
    return 0;
bad: /* one expected "type" that happens to contain a comma: not the one-of form */
    return gh_builtin_error(bc, GH_ERR_TYPE,
                            "%s: operand 1 must be either number (ns) or [number (ns), string (tz)] but got %s",
                            name, gh_kind_name(gh_value_kind(v)));
}

static int ret_ns(gh_bctx *bc, const char *name, __int128 ns, const gh_value **out)
{
    if (ns > INT64_MAX || ns < INT64_MIN) return bi_builtin_err(bc, name, "time outside of valid range");
    return bi_ret(out, bi_int(bc, (int64_t)ns));
}

/* ---- layouts (Go's nextStdChunk) ---- */

enum {
    S_NONE, S_LONGMONTH, S_MONTH, S_NUMMONTH, S_ZEROMONTH, S_LONGWEEKDAY, S_WEEKDAY, S_DAY,
    S_UNDERDAY, S_ZERODAY, S_UNDERYEARDAY, S_ZEROYEARDAY, S_HOUR, S_HOUR12, S_ZEROHOUR12, S_MINUTE,
    S_ZEROMINUTE, S_SECOND, S_ZEROSECOND, S_LONGYEAR, S_YEAR, S_PM, S_pm, S_TZ,
    S_ISO_TZ, S_ISO_SHORT, S_ISO_COLON, S_ISO_SEC, S_ISO_COLON_SEC,
    S_NUM_TZ, S_NUM_SHORT, S_NUM_COLON, S_NUM_SEC, S_NUM_COLON_SEC, S_FRAC0, S_FRAC9,
};

typedef struct chunk {
    size_t pre;  /* literal bytes before the token */
    int std;     /* S_*; S_NONE at the end */
    size_t len;  /* token length */
    int digits;  /* fraction digits */
    char sep;    /* fraction separator */
} chunk;

static bool has(const char *l, size_t n, size_t i, const char *s)
{
    size_t k = strlen(s);
    return i + k <= n && memcmp(l + i, s, k) == 0;
}

static chunk next_chunk(const char *l, size_t n, size_t start)
{
    for (size_t i = start; i < n; i++) {
        chunk c = {.pre = i - start};
        switch (l[i]) {
        case 'J':
            if (has(l, n, i, "January")) return c.std = S_LONGMONTH, c.len = 7, c;
            if (has(l, n, i, "Jan")) return c.std = S_MONTH, c.len = 3, c;
            break;
        case 'M':
            if (has(l, n, i, "Monday")) return c.std = S_LONGWEEKDAY, c.len = 6, c;
            if (has(l, n, i, "Mon")) return c.std = S_WEEKDAY, c.len = 3, c;
            if (has(l, n, i, "MST")) return c.std = S_TZ, c.len = 3, c;
            break;
        case '0':
            if (i + 1 < n && l[i + 1] >= '1' && l[i + 1] <= '6') {
                static const int z[6] = {S_ZEROMONTH, S_ZERODAY, S_ZEROHOUR12, S_ZEROMINUTE, S_ZEROSECOND, S_YEAR};
                return c.std = z[l[i + 1] - '1'], c.len = 2, c;
            }
            if (has(l, n, i, "002")) return c.std = S_ZEROYEARDAY, c.len = 3, c;
            break;
        case '1':
            if (i + 1 < n && l[i + 1] == '5') return c.std = S_HOUR, c.len = 2, c;
            return c.std = S_NUMMONTH, c.len = 1, c;
        case '2':
            if (has(l, n, i, "2006")) return c.std = S_LONGYEAR, c.len = 4, c;
            return c.std = S_DAY, c.len = 1, c;
        case '_':
            if (i + 1 < n && l[i + 1] == '2') {
                if (has(l, n, i + 1, "2006")) return c.pre++, c.std = S_LONGYEAR, c.len = 4, c;
                return c.std = S_UNDERDAY, c.len = 2, c;
            }
            if (has(l, n, i, "__2")) return c.std = S_UNDERYEARDAY, c.len = 3, c;
            break;
        case '3': return c.std = S_HOUR12, c.len = 1, c;
        case '4': return c.std = S_MINUTE, c.len = 1, c;
        case '5': return c.std = S_SECOND, c.len = 1, c;
        case 'P':
            if (has(l, n, i, "PM")) return c.std = S_PM, c.len = 2, c;
            break;
        case 'p':
            if (has(l, n, i, "pm")) return c.std = S_pm, c.len = 2, c;
            break;
        case '-':
            if (has(l, n, i, "-070000")) return c.std = S_NUM_SEC, c.len = 7, c;
            if (has(l, n, i, "-07:00:00")) return c.std = S_NUM_COLON_SEC, c.len = 9, c;
            if (has(l, n, i, "-0700")) return c.std = S_NUM_TZ, c.len = 5, c;
            if (has(l, n, i, "-07:00")) return c.std = S_NUM_COLON, c.len = 6, c;
            if (has(l, n, i, "-07")) return c.std = S_NUM_SHORT, c.len = 3, c;
            break;
        case 'Z':
            if (has(l, n, i, "Z070000")) return c.std = S_ISO_SEC, c.len = 7, c;
            if (has(l, n, i, "Z07:00:00")) return c.std = S_ISO_COLON_SEC, c.len = 9, c;
            if (has(l, n, i, "Z0700")) return c.std = S_ISO_TZ, c.len = 5, c;
            if (has(l, n, i, "Z07:00")) return c.std = S_ISO_COLON, c.len = 6, c;
            if (has(l, n, i, "Z07")) return c.std = S_ISO_SHORT, c.len = 3, c;
            break;
        case '.':
        case ',':
            if (i + 1 < n && (l[i + 1] == '0' || l[i + 1] == '9')) {
                char ch = l[i + 1];
                size_t j = i + 1;
                while (j < n && l[j] == ch) j++;
                if (!(j < n && l[j] >= '0' && l[j] <= '9')) {
                    c.std = ch == '0' ? S_FRAC0 : S_FRAC9;
                    c.len = j - i;
                    c.digits = (int)(j - i - 1);
                    c.sep = l[i];
                    return c;
                }
            }
            break;
        }
    }
    chunk end = {.pre = n - start, .std = S_NONE};
    return end;
}

static const char *const long_months[12] = {"January", "February", "March", "April", "May", "June", "July",
                                            "August", "September", "October", "November", "December"};
static const char *const long_days[7] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

static void put_int(gh_buf *b, int64_t v, int width)
{
    if (v < 0) {
        gh_buf_putc(b, '-');
        v = -v;
    }
    gh_buf_printf(b, "%0*lld", width, (long long)v);
}

static void put_tz(gh_buf *b, int std, int32_t off)
{
    bool iso = std >= S_ISO_TZ && std <= S_ISO_COLON_SEC;
    if (iso && off == 0) {
        gh_buf_putc(b, 'Z');
        return;
    }
    int zs = iso ? std - S_ISO_TZ : std - S_NUM_TZ; /* 0 tz, 1 short, 2 colon, 3 sec, 4 colon sec */
    int32_t a = off < 0 ? -off : off;
    gh_buf_putc(b, off < 0 ? '-' : '+');
    gh_buf_printf(b, "%02d", a / 3600);
    if (zs != 1) {
        if (zs == 2 || zs == 4) gh_buf_putc(b, ':');
        gh_buf_printf(b, "%02d", a / 60 % 60);
    }
    if (zs >= 3) {
        if (zs == 4) gh_buf_putc(b, ':');
        gh_buf_printf(b, "%02d", a % 60);
    }
}

static void format_time(gh_buf *b, const char *l, size_t n, const tm_go *t)
{
    for (size_t i = 0; i <= n;) {
        chunk c = next_chunk(l, n, i);
        gh_buf_append(b, l + i, c.pre);
        i += c.pre;
        if (c.std == S_NONE) break;
        i += c.len;
        int h12 = t->hour % 12 == 0 ? 12 : t->hour % 12;
        switch (c.std) {
        case S_LONGYEAR: put_int(b, t->year, 4); break;
        case S_YEAR: gh_buf_printf(b, "%02d", (int)((t->year % 100 + 100) % 100)); break;
        case S_MONTH: gh_buf_append(b, long_months[t->month - 1], 3); break;
        case S_LONGMONTH: gh_buf_puts(b, long_months[t->month - 1]); break;
        case S_NUMMONTH: gh_buf_printf(b, "%d", t->month); break;
        case S_ZEROMONTH: gh_buf_printf(b, "%02d", t->month); break;
        case S_WEEKDAY: gh_buf_append(b, long_days[t->wday], 3); break;
        case S_LONGWEEKDAY: gh_buf_puts(b, long_days[t->wday]); break;
        case S_DAY: gh_buf_printf(b, "%d", t->day); break;
        case S_UNDERDAY: gh_buf_printf(b, "%2d", t->day); break;
        case S_ZERODAY: gh_buf_printf(b, "%02d", t->day); break;
        case S_UNDERYEARDAY: gh_buf_printf(b, "%3d", t->yday); break;
        case S_ZEROYEARDAY: gh_buf_printf(b, "%03d", t->yday); break;
        case S_HOUR: gh_buf_printf(b, "%02d", t->hour); break;
        case S_HOUR12: gh_buf_printf(b, "%d", h12); break;
        case S_ZEROHOUR12: gh_buf_printf(b, "%02d", h12); break;
        case S_MINUTE: gh_buf_printf(b, "%d", t->min); break;
        case S_ZEROMINUTE: gh_buf_printf(b, "%02d", t->min); break;
        case S_SECOND: gh_buf_printf(b, "%d", t->sec); break;
        case S_ZEROSECOND: gh_buf_printf(b, "%02d", t->sec); break;
        case S_PM: gh_buf_puts(b, t->hour >= 12 ? "PM" : "AM"); break;
        case S_pm: gh_buf_puts(b, t->hour >= 12 ? "pm" : "am"); break;
        case S_TZ:
            if (t->abbr && t->abbr[0]) gh_buf_puts(b, t->abbr);
            else put_tz(b, S_NUM_TZ, t->off);
            break;
        case S_FRAC0:
        case S_FRAC9: {
            char d[10];
            snprintf(d, sizeof d, "%09d", t->nsec);
            int k = c.digits > 9 ? 9 : c.digits;
            if (c.std == S_FRAC9) {
                while (k > 0 && d[k - 1] == '0') k--;
                if (k == 0) break;
            }
            gh_buf_putc(b, c.sep);
            gh_buf_append(b, d, (size_t)k);
            break;
        }
        default: put_tz(b, c.std, t->off); break;
        }
    }
}

static const struct { const char *name, *layout; } named_layouts[] = {
    {"ANSIC", "Mon Jan _2 15:04:05 2006"},
    {"UnixDate", "Mon Jan _2 15:04:05 MST 2006"},
    {"RubyDate", "Mon Jan 02 15:04:05 -0700 2006"},
    {"RFC822", "02 Jan 06 15:04 MST"},
    {"RFC822Z", "02 Jan 06 15:04 -0700"},
    {"RFC850", "Monday, 02-Jan-06 15:04:05 MST"},
    {"RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"},
    {"RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"},
    {"RFC3339", "2006-01-02T15:04:05Z07:00"},
    {"RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00"},
};

static void named_layout(const char **l, size_t *n)
{
    for (size_t i = 0; i < sizeof named_layouts / sizeof named_layouts[0]; i++)
        if (strlen(named_layouts[i].name) == *n && !memcmp(named_layouts[i].name, *l, *n)) {
            *l = named_layouts[i].layout;
            *n = strlen(*l);
            return;
        }
}

/* ---- parsing (Go's time.Parse) ---- */

/* Go's %q of a string, into b. */
static void go_quote(gh_buf *b, const char *s, size_t n)
{
    gh_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') gh_buf_printf(b, "\\%c", c);
        else if (c < 0x20 || c == 0x7f) gh_buf_printf(b, "\\x%02x", c);
        else gh_buf_putc(b, (char)c);
    }
    gh_buf_putc(b, '"');
}

typedef struct perr {
    const char *value, *layout;
    size_t vn, ln;
    const char *rest, *elem; /* cannot parse rest as elem */
    size_t restn, elemn;
    const char *msg;         /* or ": msg" form */
} perr;

static int parse_error(gh_bctx *bc, const char *name, const perr *e)
{
    gh_buf *b = bi_scratch(bc, BI_SCRATCH_TMP);
    if (!b) return GH_ENOMEM;
    gh_buf_puts(b, "parsing time ");
    go_quote(b, e->value, e->vn);
    if (e->msg) {
        gh_buf_puts(b, e->msg);
    } else {
        gh_buf_puts(b, " as ");
        go_quote(b, e->layout, e->ln);
        gh_buf_puts(b, ": cannot parse ");
        go_quote(b, e->rest, e->restn);
        gh_buf_puts(b, " as ");
        go_quote(b, e->elem, e->elemn);
    }
    return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: %.*s", name, (int)(b->len > 400 ? 400 : b->len), b->data);
}

/* getnum: 1 or 2 digits (exactly 2 when fixed). */
static bool getnum(const char **v, const char *end, bool fixed, int *out)
{
    const char *p = *v;
    if (p >= end || *p < '0' || *p > '9') return false;
    if (p + 1 >= end || p[1] < '0' || p[1] > '9') {
        if (fixed) return false;
        *out = *p - '0';
        *v = p + 1;
        return true;
    }
    *out = (p[0] - '0') * 10 + (p[1] - '0');
    *v = p + 2;
    return true;
}

static bool lookup_name(const char **v, const char *end, const char *const *tab, size_t count, size_t len, int *out)
{
    for (size_t i = 0; i < count; i++) {
        size_t k = len ? len : strlen(tab[i]);
        if ((size_t)(end - *v) >= k && !strncasecmp(*v, tab[i], k)) {
            *out = (int)i;
            *v += k;
            return true;
        }
    }
    return false;
}

static bool parse_offset(const char **v, const char *end, int zs, int32_t *off)
{
    const char *p = *v;
    if (p >= end || (*p != '+' && *p != '-')) return false;
    int sign = *p == '-' ? -1 : 1, hh, mm = 0, ss = 0;
    p++;
    if (!getnum(&p, end, true, &hh)) return false;
    if (zs != 1) {
        if ((zs == 2 || zs == 4) && (p >= end || *p++ != ':')) return false;
        if (!getnum(&p, end, true, &mm)) return false;
    }
    if (zs >= 3) {
        if (zs == 4 && (p >= end || *p++ != ':')) return false;
        if (!getnum(&p, end, true, &ss)) return false;
    }
    if (hh > 24 || mm > 60 || ss > 60) return false;
    *off = sign * (hh * 3600 + mm * 60 + ss);
    *v = p;
    return true;
}

static int parse_time(gh_bctx *bc, const char *name, const char *l, size_t ln, const char *val, size_t vn,
                      int64_t *ns_out)
{
    perr e = {.value = val, .vn = vn, .layout = l, .ln = ln};
    const char *v = val, *end = val + vn;
    int64_t year = 1;
    int month = -1, day = -1, yday = -1, hour = 0, min = 0, sec = 0, nsec = 0;
    bool pm = false, pm_set = false, am_set = false, z_set = false;
    int32_t off = 0;
    for (size_t i = 0;;) {
        chunk c = next_chunk(l, ln, i);
        /* skip the literal prefix: spaces match runs of spaces */
        const char *pre = l + i, *pend = pre + c.pre;
        while (pre < pend) {
            if (*pre == ' ') {
                if (v < end && *v != ' ') goto bad_lit;
                while (pre < pend && *pre == ' ') pre++;
                while (v < end && *v == ' ') v++;
                continue;
            }
            if (v >= end || *v != *pre) goto bad_lit;
            pre++, v++;
        }
        i += c.pre;
        if (c.std == S_NONE) {
            if (v != end) {
                e.msg = NULL;
                gh_buf *b = bi_scratch(bc, BI_SCRATCH_TMP);
                if (!b) return GH_ENOMEM;
                gh_buf_puts(b, ": extra text: ");
                go_quote(b, v, (size_t)(end - v));
                char *m = gh_arena_strndup(bc->arena, b->data, b->len);
                if (!m) return GH_ENOMEM;
                e.msg = m;
                return parse_error(bc, name, &e);
            }
            break;
        }
        const char *elem = l + i, *start = v;
        size_t elemn = c.len;
        i += c.len;
        bool ok = true;
        const char *range = NULL;
        int x = 0;
        switch (c.std) {
        case S_LONGYEAR: {
            if (end - v < 4) { ok = false; break; }
            year = 0;
            for (int k = 0; k < 4; k++) {
                if (v[k] < '0' || v[k] > '9') ok = false;
                year = year * 10 + (v[k] - '0');
            }
            v += 4;
            break;
        }
        case S_YEAR:
            ok = getnum(&v, end, true, &x) && (v - start) == 2;
            year = x >= 69 ? 1900 + x : 2000 + x;
            break;
        case S_MONTH: ok = lookup_name(&v, end, long_months, 12, 3, &month); month++; break;
        case S_LONGMONTH: ok = lookup_name(&v, end, long_months, 12, 0, &month); month++; break;
        case S_NUMMONTH:
        case S_ZEROMONTH:
            ok = getnum(&v, end, c.std == S_ZEROMONTH, &month);
            if (ok && (month <= 0 || month > 12)) range = "month";
            break;
        case S_WEEKDAY: ok = lookup_name(&v, end, long_days, 7, 3, &x); break;
        case S_LONGWEEKDAY: ok = lookup_name(&v, end, long_days, 7, 0, &x); break;
        case S_DAY:
        case S_UNDERDAY:
        case S_ZERODAY:
            if (c.std == S_UNDERDAY && v < end && *v == ' ') v++;
            ok = getnum(&v, end, c.std == S_ZERODAY, &day);
            break;
        case S_UNDERYEARDAY:
        case S_ZEROYEARDAY: {
            for (int k = 0; k < 2 && c.std == S_UNDERYEARDAY && v < end && *v == ' '; k++) v++;
            yday = 0;
            int digits = 0;
            while (v < end && *v >= '0' && *v <= '9' && digits < 3) yday = yday * 10 + (*v++ - '0'), digits++;
            ok = digits == 3 || (c.std == S_UNDERYEARDAY && digits > 0);
            if (ok && (yday < 1 || yday > 366)) range = "day-of-year";
            break;
        }
        case S_HOUR:
            ok = getnum(&v, end, false, &hour);
            if (ok && hour > 23) range = "hour";
            break;
        case S_HOUR12:
        case S_ZEROHOUR12:
            ok = getnum(&v, end, c.std == S_ZEROHOUR12, &hour);
            if (ok && (hour < 0 || hour > 12)) range = "hour";
            break;
        case S_MINUTE:
        case S_ZEROMINUTE:
            ok = getnum(&v, end, c.std == S_ZEROMINUTE, &min);
            if (ok && min > 59) range = "minute";
            break;
        case S_SECOND:
        case S_ZEROSECOND:
            ok = getnum(&v, end, c.std == S_ZEROSECOND, &sec);
            if (ok && sec > 59) range = "second";
            /* a fractional second may follow even when the layout has none */
            if (ok && v + 1 < end && (*v == '.' || *v == ',') && v[1] >= '0' && v[1] <= '9') {
                chunk nx = next_chunk(l, ln, i);
                if (!(nx.pre == 0 && (nx.std == S_FRAC0 || nx.std == S_FRAC9))) {
                    v++;
                    int digits = 0;
                    nsec = 0;
                    while (v < end && *v >= '0' && *v <= '9') {
                        if (digits < 9) nsec = nsec * 10 + (*v - '0');
                        digits++, v++;
                    }
                    for (int k = digits; k < 9; k++) nsec *= 10;
                }
            }
            break;
        case S_PM:
        case S_pm:
            if (end - v < 2) { ok = false; break; }
            if ((c.std == S_PM && !strncmp(v, "PM", 2)) || (c.std == S_pm && !strncmp(v, "pm", 2))) pm_set = true;
            else if ((c.std == S_PM && !strncmp(v, "AM", 2)) || (c.std == S_pm && !strncmp(v, "am", 2))) am_set = true;
            else ok = false;
            v += 2;
            break;
        case S_TZ:
            if (end - v >= 3 && !strncmp(v, "UTC", 3)) {
                v += 3;
                z_set = true;
                off = 0;
                break;
            }
            {
                int k = 0;
                while (v + k < end && v[k] >= 'A' && v[k] <= 'Z') k++;
                ok = k >= 3;
                v += k;
                z_set = true; /* an unknown abbreviation: a zero offset, as Go */
                off = 0;
            }
            break;
        case S_FRAC0:
        case S_FRAC9: {
            if (v >= end || (*v != '.' && *v != ',')) {
                if (c.std == S_FRAC9) break; /* optional */
                ok = false;
                break;
            }
            v++;
            int digits = 0;
            nsec = 0;
            while (v < end && *v >= '0' && *v <= '9' && (c.std == S_FRAC9 || digits < c.digits)) {
                if (digits < 9) nsec = nsec * 10 + (*v - '0');
                digits++, v++;
            }
            if (c.std == S_FRAC0 && digits != c.digits) ok = false;
            for (int k = digits; k < 9; k++) nsec *= 10;
            break;
        }
        default: { /* numeric and ISO offsets */
            bool iso = c.std >= S_ISO_TZ && c.std <= S_ISO_COLON_SEC;
            if (iso && v < end && *v == 'Z') {
                v++;
                z_set = true;
                off = 0;
                break;
            }
            ok = parse_offset(&v, end, iso ? c.std - S_ISO_TZ : c.std - S_NUM_TZ, &off);
            z_set = true;
        }
        }
        if (range) {
            char m[64];
            snprintf(m, sizeof m, ": %s out of range", range);
            e.msg = gh_arena_strndup(bc->arena, m, strlen(m));
            if (!e.msg) return GH_ENOMEM;
            return parse_error(bc, name, &e);
        }
        if (!ok) {
            e.rest = start;
            e.restn = (size_t)(end - start);
            e.elem = elem;
            e.elemn = elemn;
            return parse_error(bc, name, &e);
        }
        continue;
    bad_lit:
        e.rest = v;
        e.restn = (size_t)(end - v);
        e.elem = l + i;
        e.elemn = c.pre;
        return parse_error(bc, name, &e);
    }
    if (pm_set && hour < 12) hour += 12;
    else if (am_set && hour == 12) hour = 0;
    (void)pm;
    if (yday >= 0) {
        int m = 1, d = yday;
        while (m <= 12 && d > days_in_month(year, m)) d -= days_in_month(year, m++);
        if (m > 12 || (month >= 0 && month != m) || (day >= 0 && day != d)) {
            e.msg = ": day-of-year does not match month";
            return parse_error(bc, name, &e);
        }
        month = m, day = d;
    }
    if (month < 0) month = 1;
    if (day < 0) day = 1;
    if (day < 1 || day > days_in_month(year, month)) {
        e.msg = ": day out of range";
        return parse_error(bc, name, &e);
    }
    __int128 ns = ((__int128)days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec - (z_set ? off : 0)) *
                      NS_PER_S + nsec;
    if (ns > INT64_MAX || ns < INT64_MIN) return bi_builtin_err(bc, name, "time outside of valid range");
    *ns_out = (int64_t)ns;
    return 0;
}

/* ---- builtins ---- */

static int bi_parse_rfc3339(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "time.parse_rfc3339_ns";
    size_t n;
    const char *s = gh_string_ptr(args[0], &n);
    if (!s) return bi_type_err(bc, name, 1, args[0], "string");
    static const char l[] = "2006-01-02T15:04:05Z07:00";
    int64_t ns;
    int rc = parse_time(bc, name, l, sizeof l - 1, s, n, &ns);
    return rc ? rc : bi_ret(out, bi_int(bc, ns));
}

static int bi_parse_ns(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "time.parse_ns";
    size_t ln, n;
    const char *l = gh_string_ptr(args[0], &ln), *s;
    if (!l) return bi_type_err(bc, name, 1, args[0], "string");
    if (!(s = gh_string_ptr(args[1], &n))) return bi_type_err(bc, name, 2, args[1], "string");
    named_layout(&l, &ln);
    int64_t ns;
    int rc = parse_time(bc, name, l, ln, s, n, &ns);
    return rc ? rc : bi_ret(out, bi_int(bc, ns));
}

/* Go's time.ParseDuration. */
static int bi_parse_duration(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "time.parse_duration_ns";
    size_t n;
    const char *s = gh_string_ptr(args[0], &n);
    if (!s) return bi_type_err(bc, name, 1, args[0], "string");
    gh_buf *q = bi_scratch(bc, BI_SCRATCH_TMP);
    if (!q) return GH_ENOMEM;
    go_quote(q, s, n);
    const char *p = s, *end = s + n;
    bool neg = false;
    if (p < end && (*p == '-' || *p == '+')) neg = *p++ == '-';
    if (end - p == 1 && *p == '0') return bi_ret(out, bi_int(bc, 0));
    if (p == end) goto invalid;
    unsigned __int128 total = 0;
    while (p < end) {
        if (!(*p == '.' || (*p >= '0' && *p <= '9'))) goto invalid;
        unsigned __int128 v = 0, f = 0, scale = 1;
        const char *st = p;
        while (p < end && *p >= '0' && *p <= '9') {
            v = v * 10 + (unsigned)(*p++ - '0');
            if (v > ((unsigned __int128)1 << 63)) goto invalid;
        }
        bool pre = p > st, post = false;
        if (p < end && *p == '.') {
            p++;
            const char *fs = p;
            while (p < end && *p >= '0' && *p <= '9') {
                if (scale < (unsigned __int128)1e30) f = f * 10 + (unsigned)(*p - '0'), scale *= 10;
                p++;
            }
            post = p > fs;
        }
        if (!pre && !post) goto invalid;
        const char *us = p;
        while (p < end && *p != '.' && !(*p >= '0' && *p <= '9')) p++;
        size_t ul = (size_t)(p - us);
        if (ul == 0)
            return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: time: missing unit in duration %s", name, q->data);
        static const struct { const char *u; uint64_t ns; } units[] = {
            {"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000}, {"ms", 1000000},
            {"s", 1000000000ull}, {"m", 60000000000ull}, {"h", 3600000000000ull},
        };
        uint64_t unit = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strlen(units[i].u) == ul && !memcmp(units[i].u, us, ul)) unit = units[i].ns;
        if (!unit) {
            gh_buf *uq = bi_scratch(bc, BI_SCRATCH_OUT);
            if (!uq) return GH_ENOMEM;
            go_quote(uq, us, ul);
            return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: time: unknown unit %s in duration %s", name, uq->data, q->data);
        }
        unsigned __int128 part = v * unit;
        if (v > ((unsigned __int128)1 << 63) / unit) goto invalid;
        if (f) part += (unsigned __int128)((long double)f * (long double)unit / (long double)scale);
        total += part;
        if (total > ((unsigned __int128)1 << 63)) goto invalid;
    }
    if (!neg && total > (unsigned __int128)INT64_MAX) goto invalid;
    return bi_ret(out, bi_int(bc, neg ? (int64_t)(0 - (uint64_t)total) : (int64_t)total));
invalid:
    return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: time: invalid duration %s", name, q->data);
}

static int bi_format(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int64_t ns;
    const zone *z;
    const char *l;
    size_t ln;
    int rc = time_operand(bc, "time.format", args[0], &ns, &z, &l, &ln);
    if (rc) return rc;
    if (!l || ln == 0) l = "2006-01-02T15:04:05.999999999Z07:00", ln = strlen(l);
    else named_layout(&l, &ln);
    tm_go t;
    split_time(ns, z, &t);
    gh_buf *b = bi_scratch(bc, BI_SCRATCH_OUT);
    if (!b) return GH_ENOMEM;
    format_time(b, l, ln, &t);
    return b->failed ? GH_ENOMEM : bi_ret(out, bi_str(bc, b->data ? b->data : "", b->len));
}

static int broken(gh_bctx *bc, const char *name, const gh_value *v, tm_go *t)
{
    int64_t ns;
    const zone *z;
    int rc = time_operand(bc, name, v, &ns, &z, NULL, NULL);
    if (!rc) split_time(ns, z, t);
    return rc;
}

static int bi_date(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    tm_go t;
    int rc = broken(bc, "time.date", args[0], &t);
    if (rc) return rc;
    const gh_value *r[3] = {bi_int(bc, t.year), bi_int(bc, t.month), bi_int(bc, t.day)};
    if (!r[0] || !r[1] || !r[2]) return GH_ENOMEM;
    return bi_ret(out, gh_value_array(bc->arena, r, 3));
}

static int bi_clock(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    tm_go t;
    int rc = broken(bc, "time.clock", args[0], &t);
    if (rc) return rc;
    const gh_value *r[3] = {bi_int(bc, t.hour), bi_int(bc, t.min), bi_int(bc, t.sec)};
    if (!r[0] || !r[1] || !r[2]) return GH_ENOMEM;
    return bi_ret(out, gh_value_array(bc->arena, r, 3));
}

static int bi_weekday(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    tm_go t;
    int rc = broken(bc, "time.weekday", args[0], &t);
    if (rc) return rc;
    return bi_ret(out, bi_str(bc, long_days[t.wday], strlen(long_days[t.wday])));
}

static int bi_add_date(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "time.add_date";
    int64_t ns, y, m, d;
    const zone *z;
    int rc = time_operand(bc, name, args[0], &ns, &z, NULL, NULL);
    if (!rc) rc = bi_int_arg(bc, name, args[1], 2, &y);
    if (!rc) rc = bi_int_arg(bc, name, args[2], 3, &m);
    if (!rc) rc = bi_int_arg(bc, name, args[3], 4, &d);
    if (rc) return rc;
    tm_go t;
    split_time(ns, z, &t);
    __int128 r;
    if (y > INT32_MAX || y < INT32_MIN || m > INT32_MAX || m < INT32_MIN || d > INT32_MAX || d < INT32_MIN ||
        !make_time(t.year + y, t.month + m, t.day + d, t.hour, t.min, t.sec, t.nsec, z, &r))
        return bi_builtin_err(bc, name, "time outside of valid range");
    return ret_ns(bc, name, r, out);
}

static int bi_diff(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int64_t n1, n2;
    const zone *z1, *z2;
    int rc = time_operand(bc, "time.diff", args[0], &n1, &z1, NULL, NULL);
    if (!rc) rc = time_operand(bc, "time.diff", args[1], &n2, &z2, NULL, NULL);
    if (rc) return rc;
    if (n1 > n2) {
        int64_t tmp = n1;
        n1 = n2;
        n2 = tmp;
    }
    tm_go a, b; /* both in the first operand's zone */
    split_time(n1, z1, &a);
    split_time(n2, z1, &b);
    int64_t year = b.year - a.year, month = b.month - a.month, day = b.day - a.day, hour = b.hour - a.hour,
            min = b.min - a.min, sec = b.sec - a.sec;
    if (sec < 0) sec += 60, min--;
    if (min < 0) min += 60, hour--;
    if (hour < 0) hour += 24, day--;
    if (day < 0) { /* days in a's month: Date(y1, M1, 32) overflows into the next */
        day += days_in_month(a.year, a.month);
        month--;
    }
    if (month < 0) month += 12, year--;
    const gh_value *r[6] = {bi_int(bc, year), bi_int(bc, month), bi_int(bc, day),
                            bi_int(bc, hour), bi_int(bc, min), bi_int(bc, sec)};
    for (int i = 0; i < 6; i++)
        if (!r[i]) return GH_ENOMEM;
    return bi_ret(out, gh_value_array(bc->arena, r, 6));
}

#define TIME_ARG "any<number, array<number, string>>"

static const gh_builtin table[] = {
    BI_FN("time.parse_rfc3339_ns", 1, "(string) => number", bi_parse_rfc3339),
    BI_FN("time.parse_ns", 2, "(string, string) => number", bi_parse_ns),
    BI_FN("time.parse_duration_ns", 1, "(string) => number", bi_parse_duration),
    BI_FN("time.format", 1, "(any<number, array<number, string>, array<number, string, string>>) => string", bi_format),
    BI_FN("time.date", 1, "(" TIME_ARG ") => array<number, number, number>", bi_date),
    BI_FN("time.clock", 1, "(" TIME_ARG ") => array<number, number, number>", bi_clock),
    BI_FN("time.weekday", 1, "(" TIME_ARG ") => string", bi_weekday),
    BI_FN("time.add_date", 4, "(number, number, number, number) => number", bi_add_date),
    BI_FN("time.diff", 2, "(" TIME_ARG ", " TIME_ARG ") => array<number, number, number, number, number, number>", bi_diff),
};
BI_FAMILY(time, table);
