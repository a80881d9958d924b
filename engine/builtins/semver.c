/* semver.is_valid and semver.compare, as OPA's (coreos go-semver derived) parser: MAJOR.
 * MINOR.PATCH as base-10 integers, an optional -prerelease and +metadata of dot-separated
 * [0-9A-Za-z-] identifiers; precedence per SemVer 2.0 (metadata ignored). */
#include "builtins/bi_internal.h"

#include <errno.h>
#include <stdlib.h>

typedef struct semver {
    int64_t v[3];
    const char *pre; /* prerelease, "" when none */
    size_t pre_n;
} semver;

static bool ident_ok(const char *s, size_t n)
{
    if (n == 0) return true;
    bool empty_part = true;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (empty_part) return false;
            empty_part = true;
            continue;
        }
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) return false;
        empty_part = false;
    }
    return !empty_part;
}

/* strconv.ParseInt(s, 10, 64). */
static bool parse_int64(const char *s, size_t n, int64_t *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf) return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    size_t i = buf[0] == '+' || buf[0] == '-';
    if (i == n) return false;
    for (size_t j = i; j < n; j++)
        if (buf[j] < '0' || buf[j] > '9') return false;
    errno = 0;
    long long v = strtoll(buf, NULL, 10);
    if (errno) return false;
    *out = v;
    return true;
}

static bool semver_parse(const char *s, size_t n, semver *out)
{
    const char *plus = memchr(s, '+', n);
    size_t vn = plus ? (size_t)(plus - s) : n; /* metadata split off first */
    if (plus && !ident_ok(plus + 1, n - vn - 1)) return false;
    const char *dash = memchr(s, '-', vn);
    out->pre = dash ? dash + 1 : "";
    out->pre_n = dash ? vn - (size_t)(dash - s) - 1 : 0;
    if (dash) vn = (size_t)(dash - s);
    if (!ident_ok(out->pre, out->pre_n)) return false;
    /* SplitN(version, ".", 3): the third part keeps any further dots (and fails ParseInt) */
    const char *p = s, *end = s + vn;
    for (int i = 0; i < 3; i++) {
        const char *dot = i < 2 ? memchr(p, '.', (size_t)(end - p)) : NULL;
        if (i < 2 && !dot) return false;
        const char *e = dot ? dot : end;
        if (!parse_int64(p, (size_t)(e - p), &out->v[i])) return false;
        p = e + 1;
    }
    return true;
}

/* One prerelease identifier: strconv.Atoi succeeds -> numeric. */
static bool numeric_ident(const char *s, size_t n, int64_t *v)
{
    return parse_int64(s, n, v);
}

static int pre_compare(const char *a, size_t an, const char *b, size_t bn)
{
    if (an == 0 && bn > 0) return 1;
    if (bn == 0 && an > 0) return -1;
    while (an > 0 || bn > 0) {
        if (an == 0) return -1;
        if (bn == 0) return 1;
        const char *ad = memchr(a, '.', an), *bd = memchr(b, '.', bn);
        size_t al = ad ? (size_t)(ad - a) : an, bl = bd ? (size_t)(bd - b) : bn;
        int64_t ai, bi;
        bool an_ = numeric_ident(a, al, &ai), bn_ = numeric_ident(b, bl, &bi);
        if (an_ && !bn_) return -1;
        if (!an_ && bn_) return 1;
        if (an_ && bn_ && ai != bi) return ai > bi ? 1 : -1;
        int c = memcmp(a, b, al < bl ? al : bl);
        if (c == 0 && al != bl) c = al < bl ? -1 : 1;
        if (c) return c > 0 ? 1 : -1;
        a += al + (ad ? 1 : 0);
        an -= al + (ad ? 1 : 0);
        b += bl + (bd ? 1 : 0);
        bn -= bl + (bd ? 1 : 0);
        if ((ad && an == 0) || (bd && bn == 0)) { /* a trailing dot: an empty last identifier */
            if (an == 0 && bn == 0) return 0;
        }
    }
    return 0;
}

static int bi_is_valid(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    (void)bc;
    size_t n;
    const char *s = gh_string_ptr(args[0], &n);
    semver v;
    *out = gh_value_bool(s && semver_parse(s, n, &v));
    return 0;
}

static int bi_compare(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    semver v[2];
    for (int i = 0; i < 2; i++) {
        size_t n;
        const char *s = gh_string_ptr(args[i], &n);
        if (!s) return bi_type_err(bc, "semver.compare", i + 1, args[i], "string");
        if (!semver_parse(s, n, &v[i]))
            return gh_builtin_error(bc, GH_ERR_BUILTIN,
                                    "semver.compare: operand %d: string %.*s is not a valid SemVer", i + 1,
                                    (int)(n > 200 ? 200 : n), s);
    }
    int c = 0;
    for (int k = 0; k < 3 && !c; k++) c = (v[0].v[k] > v[1].v[k]) - (v[0].v[k] < v[1].v[k]);
    if (!c) c = pre_compare(v[0].pre, v[0].pre_n, v[1].pre, v[1].pre_n);
    return bi_ret(out, bi_int(bc, c));
}

static const gh_builtin table[] = {
    BI_FN("semver.is_valid", 1, "(any) => boolean", bi_is_valid),
    BI_FN("semver.compare", 2, "(string, string) => number", bi_compare),
};
BI_FAMILY(semver, table);
