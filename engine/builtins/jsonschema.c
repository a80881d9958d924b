/* JSON Schema builtins: json.verify_schema and json.match_schema, validating drafts 4, 6 and 7
 * as OPA's copy of gojsonschema does: the same keyword order, the same error objects
 * ({"error", "type", "field", "desc"} with gojsonschema's English texts), anyOf/oneOf
 * reporting the closest branch by its score, local $ref (JSON pointers into the root).
 * Documents and schemas are strings of JSON or objects (marshalled to JSON first, as OPA
 * does, so sets are arrays). Properties are visited in key order (Go's map order is random).
 * Formats checked: date-time, date, time, email, hostname, ipv4, ipv6, uuid, regex; other
 * formats pass, as gojsonschema passes formats it does not know. */
#include "builtins/bi_internal.h"
#include "builtins/regex_shim.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_DEPTH 256
#define MAX_STEPS 1000000

typedef struct jerr {
    const char *type, *field, *desc;
} jerr;

typedef struct jres {
    jerr *e;
    size_t n, cap;
    long score;
} jres;

typedef struct jpath {
    const char *seg;
    size_t n;
    const struct jpath *up;
} jpath;

typedef struct jctx {
    gh_bctx *bc;
    const gh_value *root;
    int depth;
    int rc;     /* out of memory, or GH_ELIMIT: too deep or too costly */
    long steps; /* validate calls (MAX_STEPS) */
} jctx;

/* ---- helpers ---- */

static const gh_value *kw(const gh_value *s, const char *name)
{
    return bi_is(s, GH_KIND_OBJECT) ? gh_object_get_str(s, name, strlen(name)) : NULL;
}

static const char *field_of(jctx *J, const jpath *p)
{
    if (!p) return "(root)";
    size_t len = 0, nseg = 0;
    for (const jpath *q = p; q; q = q->up)
        len += q->n + 1, nseg++;
    char *s = bi_bytes(J->bc, len + 1);
    if (!s) {
        J->rc = GH_ENOMEM;
        return "";
    }
    size_t o = len - 1;
    s[len - 1] = 0;
    for (const jpath *q = p; q; q = q->up) {
        o -= q->n;
        memcpy(s + o, q->seg, q->n);
        if (q->up) s[--o] = '.';
    }
    (void)nseg;
    return s + o;
}

static void add_err(jctx *J, jres *r, const char *type, const jpath *p, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void add_err(jctx *J, jres *r, const char *type, const jpath *p, const char *fmt, ...)
{
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 8;
        jerr *ne = (jerr *)bi_bytes(J->bc, nc * sizeof *ne);
        if (!ne) {
            J->rc = GH_ENOMEM;
            return;
        }
        if (r->n) memcpy(ne, r->e, r->n * sizeof *ne);
        r->e = ne, r->cap = nc;
    }
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *d = bi_bytes(J->bc, strlen(buf) + 1);
    if (!d) {
        J->rc = GH_ENOMEM;
        return;
    }
    strcpy(d, buf);
    r->e[r->n++] = (jerr){type, field_of(J, p), d};
}

static void merge(jctx *J, jres *into, const jres *from)
{
    for (size_t i = 0; i < from->n && !J->rc; i++) {
        if (into->n == into->cap) {
            size_t nc = into->cap ? into->cap * 2 : 8;
            while (nc < into->n + from->n)
                nc *= 2;
            jerr *ne = (jerr *)bi_bytes(J->bc, nc * sizeof *ne);
            if (!ne) {
                J->rc = GH_ENOMEM;
                return;
            }
            if (into->n) memcpy(ne, into->e, into->n * sizeof *ne);
            into->e = ne, into->cap = nc;
        }
        into->e[into->n++] = from->e[i];
    }
    into->score += from->score;
}

/* Compact JSON text of v (for const, enum and messages); "" when out of memory. */
static const char *json_text(jctx *J, const gh_value *v)
{
    gh_buf *b = bi_scratch(J->bc, BI_SCRATCH_TMP);
    if (!b || gh_json_write(b, v, 0) || b->failed) return "";
    char *s = bi_bytes(J->bc, b->len + 1);
    if (!s) return "";
    memcpy(s, b->data, b->len);
    s[b->len] = 0;
    return s;
}

static const char *num_text(const gh_value *v, char *buf, size_t cap)
{
    size_t l = bi_num_json(v, buf, cap);
    if (l >= cap) l = cap - 1;
    buf[l] = 0;
    return buf;
}

static long double num_ld(const gh_value *v)
{
    bnum b;
    bi_num_get(v, &b);
    return b.is_int ? (long double)b.i : b.f;
}

static bool is_integer(const gh_value *v)
{
    bnum b;
    bi_num_get(v, &b);
    return b.is_int || (isfinite(b.f) && b.f == floorl(b.f));
}

static const char *type_of(const gh_value *v)
{
    switch (gh_value_kind(v)) {
    case GH_KIND_NULL: return "null";
    case GH_KIND_BOOL: return "boolean";
    case GH_KIND_NUMBER: return is_integer(v) ? "integer" : "number";
    case GH_KIND_STRING: return "string";
    case GH_KIND_ARRAY: return "array";
    default: return "object";
    }
}

static bool str_eq(const gh_value *v, const char *s)
{
    size_t n;
    const char *p = gh_string_ptr(v, &n);
    return p && n == strlen(s) && !memcmp(p, s, n);
}

/* "type": whether t allows `name`; *typed says whether there is a type at all. */
static bool types_contain(const gh_value *t, const char *name)
{
    if (!t) return true;
    if (bi_is(t, GH_KIND_STRING)) return str_eq(t, name);
    for (size_t i = 0; i < gh_value_len(t); i++)
        if (str_eq(gh_array_get(t, i), name)) return true;
    return false;
}

/* gojsonschema's Types.String(): "string", or "[string,null]". */
static const char *types_text(jctx *J, const gh_value *t)
{
    if (bi_is(t, GH_KIND_STRING)) {
        size_t n;
        const char *s = gh_string_ptr(t, &n);
        char *d = bi_bytes(J->bc, n + 1);
        if (!d) return "";
        memcpy(d, s, n);
        d[n] = 0;
        return d;
    }
    char buf[256];
    size_t o = 0;
    buf[o++] = '[';
    for (size_t i = 0; i < gh_value_len(t) && o < sizeof buf - 20; i++) {
        size_t n;
        const char *s = gh_string_ptr(gh_array_get(t, i), &n);
        if (!s) continue;
        if (i) buf[o++] = ',';
        if (n > sizeof buf - o - 4) n = sizeof buf - o - 4;
        memcpy(buf + o, s, n);
        o += n;
    }
    buf[o++] = ']';
    char *d = bi_bytes(J->bc, o + 1);
    if (!d) return "";
    memcpy(d, buf, o);
    d[o] = 0;
    return d;
}

/* ---- $ref: local JSON pointers ---- */

static const gh_value *resolve_ref(jctx *J, const gh_value *ref)
{
    size_t n;
    const char *s = gh_string_ptr(ref, &n);
    if (!s || n == 0 || s[0] != '#') return NULL;
    const gh_value *cur = J->root;
    size_t i = 1;
    if (i < n && s[i] == '/')
        i++;
    else if (i < n)
        return NULL;
    while (i < n && cur) {
        size_t j = i;
        while (j < n && s[j] != '/')
            j++;
        char seg[256];
        size_t o = 0;
        for (size_t k = i; k < j && o < sizeof seg - 1; k++) {
            if (s[k] == '~' && k + 1 < j && (s[k + 1] == '0' || s[k + 1] == '1')) {
                seg[o++] = s[k + 1] == '0' ? '~' : '/';
                k++;
            } else if (s[k] == '%' && k + 2 < j) {
                char h[3] = {s[k + 1], s[k + 2], 0};
                seg[o++] = (char)strtol(h, NULL, 16);
                k += 2;
            } else {
                seg[o++] = s[k];
            }
        }
        if (bi_is(cur, GH_KIND_OBJECT)) {
            cur = gh_object_get_str(cur, seg, o);
        } else if (bi_is(cur, GH_KIND_ARRAY)) {
            seg[o] = 0;
            char *end;
            long idx = strtol(seg, &end, 10);
            cur = (*end || idx < 0 || (size_t)idx >= gh_value_len(cur))
                      ? NULL
                      : gh_array_get(cur, (size_t)idx);
        } else {
            cur = NULL;
        }
        i = j + 1;
    }
    return cur;
}

/* ---- formats ---- */

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return n > 0;
}

static bool is_date(const char *s, size_t n)
{
    if (n != 10 || s[4] != '-' || s[7] != '-' || !all_digits(s, 4) || !all_digits(s + 5, 2) ||
        !all_digits(s + 8, 2))
        return false;
    int y = atoi(s), m = (s[5] - '0') * 10 + s[6] - '0', d = (s[8] - '0') * 10 + s[9] - '0';
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

/* HH:MM:SS[.frac](Z|±HH:MM) */
static bool is_time(const char *s, size_t n)
{
    if (n < 9 || s[2] != ':' || s[5] != ':' || !all_digits(s, 2) || !all_digits(s + 3, 2) ||
        !all_digits(s + 6, 2))
        return false;
    if ((s[0] - '0') * 10 + s[1] - '0' > 23 || (s[3] - '0') * 10 + s[4] - '0' > 59 ||
        (s[6] - '0') * 10 + s[7] - '0' > 60)
        return false;
    size_t i = 8;
    if (i < n && s[i] == '.') {
        size_t st = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == st) return false;
    }
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) return i + 1 == n;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        return n - i == 6 && s[i + 3] == ':' && all_digits(s + i + 1, 2) &&
               all_digits(s + i + 4, 2);
    return false;
}

static bool is_hostname(const char *s, size_t n)
{
    if (n == 0 || n > 255) return false;
    size_t lab = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (lab == 0 || s[i - 1] == '-') return false;
            lab = 0;
            continue;
        }
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok || (lab == 0 && c == '-') || ++lab > 63) return false;
    }
    return s[n - 1] != '-';
}

static bool is_uuid(const char *s, size_t n)
{
    if (n != 36) return false;
    for (size_t i = 0; i < n; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        if (dash ? c != '-'
                 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

static bool format_ok(const char *fmt, const gh_value *v)
{
    size_t n;
    const char *s = gh_string_ptr(v, &n);
    if (!s) return true; /* formats only constrain strings */
    char z[64];
    if (!strcmp(fmt, "date")) return is_date(s, n);
    if (!strcmp(fmt, "time")) return is_time(s, n);
    if (!strcmp(fmt, "date-time"))
        return n > 11 && (s[10] == 'T' || s[10] == 't') && is_date(s, 10) &&
               is_time(s + 11, n - 11);
    if (!strcmp(fmt, "hostname")) return is_hostname(s, n);
    if (!strcmp(fmt, "uuid")) return is_uuid(s, n);
    if (!strcmp(fmt, "email")) {
        const char *at = memchr(s, '@', n);
        return at && at > s && at < s + n - 1 && !memchr(s, ' ', n);
    }
    if (!strcmp(fmt, "ipv4") || !strcmp(fmt, "ipv6")) {
        if (n >= sizeof z || memchr(s, 0, n)) return false;
        memcpy(z, s, n);
        z[n] = 0;
        unsigned char a[16];
        return inet_pton(fmt[3] == '4' ? AF_INET : AF_INET6, z, a) == 1;
    }
    if (!strcmp(fmt, "regex")) {
        char err[200];
        bi_re *re = bi_re_compile(s, n, err, sizeof err);
        if (re) bi_re_free(re);
        return re != NULL;
    }
    return true;
}

/* ---- validation (gojsonschema's validateRecursive and friends) ---- */

static void validate(jctx *J, const gh_value *s, const gh_value *v, jres *r, const jpath *p);

static void sub_validate(jctx *J, const gh_value *s, const gh_value *v, const jpath *p, jres *out)
{
    *out = (jres){0};
    validate(J, s, v, out, p);
}

static void v_schema(jctx *J, const gh_value *s, const gh_value *v, jres *r, const jpath *p)
{
    const gh_value *a;
    if ((a = kw(s, "anyOf")) && bi_is(a, GH_KIND_ARRAY) && gh_value_len(a)) {
        bool ok = false;
        jres best = {0}, cur;
        bool have = false;
        for (size_t i = 0; i < gh_value_len(a) && !ok; i++) {
            sub_validate(J, gh_array_get(a, i), v, p, &cur);
            ok = cur.n == 0;
            if (!ok && (!have || cur.score > best.score)) best = cur, have = true;
        }
        if (!ok) {
            add_err(J, r, "number_any_of", p, "Must validate at least one schema (anyOf)");
            if (have) merge(J, r, &best);
        }
    }
    if ((a = kw(s, "oneOf")) && bi_is(a, GH_KIND_ARRAY) && gh_value_len(a)) {
        int nb = 0;
        jres best = {0}, cur;
        bool have = false;
        for (size_t i = 0; i < gh_value_len(a); i++) {
            sub_validate(J, gh_array_get(a, i), v, p, &cur);
            if (cur.n == 0)
                nb++;
            else if (nb == 0 && (!have || cur.score > best.score))
                best = cur, have = true;
        }
        if (nb != 1) {
            add_err(J, r, "number_one_of", p, "Must validate one and only one schema (oneOf)");
            if (nb == 0 && have) merge(J, r, &best);
        }
    }
    if ((a = kw(s, "allOf")) && bi_is(a, GH_KIND_ARRAY) && gh_value_len(a)) {
        size_t nb = 0;
        jres cur;
        for (size_t i = 0; i < gh_value_len(a); i++) {
            sub_validate(J, gh_array_get(a, i), v, p, &cur);
            if (cur.n == 0) nb++;
            merge(J, r, &cur);
        }
        if (nb != gh_value_len(a))
            add_err(J, r, "number_all_of", p, "Must validate all the schemas (allOf)");
    }
    if ((a = kw(s, "not"))) {
        jres cur;
        sub_validate(J, a, v, p, &cur);
        if (cur.n == 0) add_err(J, r, "number_not", p, "Must not validate the schema (not)");
    }
    if ((a = kw(s, "dependencies")) && bi_is(a, GH_KIND_OBJECT) && bi_is(v, GH_KIND_OBJECT)) {
        for (size_t i = 0; i < gh_value_len(v); i++) {
            const gh_value *dep = gh_object_get(a, gh_object_key_at(v, i));
            if (!dep) continue;
            if (bi_is(dep, GH_KIND_ARRAY)) {
                for (size_t j = 0; j < gh_value_len(dep); j++) {
                    const gh_value *k = gh_array_get(dep, j);
                    size_t kn;
                    const char *ks = gh_string_ptr(k, &kn);
                    if (ks && !gh_object_get(v, k))
                        add_err(J, r, "missing_dependency", p, "Has a dependency on %.*s", (int)kn,
                                ks);
                }
            } else {
                validate(J, dep, v, r, p);
            }
        }
    }
    if ((a = kw(s, "if"))) {
        jres ri, rt;
        sub_validate(J, a, v, p, &ri);
        const gh_value *t = kw(s, "then"), *e = kw(s, "else");
        if (t && ri.n == 0) {
            sub_validate(J, t, v, p, &rt);
            if (rt.n) {
                add_err(J, r, "condition_then", p, "Must validate \"then\" as \"if\" was valid");
                merge(J, r, &rt);
            }
        }
        if (e && ri.n != 0) {
            sub_validate(J, e, v, p, &rt);
            if (rt.n) {
                add_err(J, r, "condition_else", p,
                        "Must validate \"else\" as \"if\" was not valid");
                merge(J, r, &rt);
            }
        }
    }
    r->score++;
}

static void v_common(jctx *J, const gh_value *s, const gh_value *v, jres *r, const jpath *p)
{
    const gh_value *a;
    const char *field = NULL;
    if ((a = kw(s, "const")) && !gh_value_equal(a, v)) {
        field = field_of(J, p);
        add_err(J, r, "const", p, "%s does not match: %s", field, json_text(J, a));
    }
    if ((a = kw(s, "enum")) && bi_is(a, GH_KIND_ARRAY) && gh_value_len(a)) {
        bool found = false;
        for (size_t i = 0; i < gh_value_len(a) && !found; i++)
            found = gh_value_equal(gh_array_get(a, i), v);
        if (!found) {
            gh_buf b;
            gh_buf_init(&b, 4096);
            for (size_t i = 0; i < gh_value_len(a); i++) {
                if (i) gh_buf_puts(&b, ", ");
                gh_json_write(&b, gh_array_get(a, i), 0);
            }
            if (!field) field = field_of(J, p);
            add_err(J, r, "enum", p, "%s must be one of the following: %.*s", field, (int)b.len,
                    b.data ? b.data : "");
            gh_buf_free(&b);
        }
    }
    size_t fn;
    const char *f;
    if ((a = kw(s, "format")) && (f = gh_string_ptr(a, &fn))) {
        char fz[64];
        snprintf(fz, sizeof fz, "%.*s", (int)fn, f);
        if (!format_ok(fz, v)) add_err(J, r, "format", p, "Does not match format '%s'", fz);
    }
    r->score++;
}

static bool get_count(const gh_value *s, const char *name, int64_t *out)
{
    const gh_value *a = kw(s, name);
    return a && bi_is(a, GH_KIND_NUMBER) && gh_number_get_int(a, out);
}

static void v_array(jctx *J, const gh_value *s, const gh_value *v, jres *r, const jpath *p)
{
    size_t nv = gh_value_len(v);
    const gh_value *items = kw(s, "items");
    char idx[24];
    jres cur;
    if (items && !bi_is(items, GH_KIND_ARRAY)) {
        for (size_t i = 0; i < nv && !J->rc; i++) {
            int l = snprintf(idx, sizeof idx, "%zu", i);
            char *seg = bi_bytes(J->bc, (size_t)l + 1);
            if (!seg) {
                J->rc = GH_ENOMEM;
                return;
            }
            memcpy(seg, idx, (size_t)l + 1);
            jpath sp = {seg, (size_t)l, p};
            sub_validate(J, items, gh_array_get(v, i), &sp, &cur);
            merge(J, r, &cur);
        }
    } else if (items && gh_value_len(items)) {
        size_t ni = gh_value_len(items);
        const gh_value *add = kw(s, "additionalItems");
        for (size_t i = 0; i < nv && !J->rc; i++) {
            const gh_value *sch = i < ni ? gh_array_get(items, i) : add;
            if (!sch || (i >= ni && bi_is(sch, GH_KIND_BOOL))) continue;
            int l = snprintf(idx, sizeof idx, "%zu", i);
            char *seg = bi_bytes(J->bc, (size_t)l + 1);
            if (!seg) {
                J->rc = GH_ENOMEM;
                return;
            }
            memcpy(seg, idx, (size_t)l + 1);
            jpath sp = {seg, (size_t)l, p};
            sub_validate(J, sch, gh_array_get(v, i), &sp, &cur);
            merge(J, r, &cur);
        }
        if (ni < nv && add && bi_is(add, GH_KIND_BOOL) && !gh_value_get_bool(add))
            add_err(J, r, "array_no_additional_items", p, "No additional items allowed on array");
    }
    int64_t k;
    if (get_count(s, "minItems", &k) && (int64_t)nv < k)
        add_err(J, r, "array_min_items", p, "Array must have at least %lld items", (long long)k);
    if (get_count(s, "maxItems", &k) && (int64_t)nv > k)
        add_err(J, r, "array_max_items", p, "Array must have at most %lld items", (long long)k);
    const gh_value *u = kw(s, "uniqueItems");
    if (u && gh_value_get_bool(u)) {
        for (size_t j = 1; j < nv; j++)
            for (size_t i = 0; i < j; i++)
                if (gh_value_equal(gh_array_get(v, i), gh_array_get(v, j))) {
                    add_err(J, r, "unique", p, "array items[%zu,%zu] must be unique", i, j);
                    i = j; /* one error per duplicate item */
                }
    }
    const gh_value *c = kw(s, "contains");
    if (c) {
        bool one = false, have = false;
        jres best = {0};
        for (size_t i = 0; i < nv && !one; i++) {
            int l = snprintf(idx, sizeof idx, "%zu", i);
            char *seg = bi_bytes(J->bc, (size_t)l + 1);
            if (!seg) {
                J->rc = GH_ENOMEM;
                return;
            }
            memcpy(seg, idx, (size_t)l + 1);
            jpath sp = {seg, (size_t)l, p};
            sub_validate(J, c, gh_array_get(v, i), &sp, &cur);
            if (cur.n == 0)
                one = true;
            else if (!have || cur.score > best.score)
                best = cur, have = true;
        }
        if (!one) {
            add_err(J, r, "contains", p, "At least one of the items must match");
            if (have) merge(J, r, &best);
        }
    }
    r->score++;
}

static bool matches(jctx *J, const char *pat, size_t pn, const char *s, size_t n)
{
    bi_re *re = bi_cache_get(J->bc, BI_CACHE_REGEX, pat, pn);
    bool own = false;
    if (!re) {
        char err[200];
        re = bi_re_compile(pat, pn, err, sizeof err);
        if (!re) return false;
        own = !bi_cache_put(J->bc, BI_CACHE_REGEX, pat, pn, re, bi_re_free);
    }
    bool m = bi_re_test(re, s, n);
    if (own) bi_re_free(re);
    return m;
}

static void v_object(jctx *J, const gh_value *s, const gh_value *v, jres *r, const jpath *p)
{
    int64_t k;
    size_t nv = gh_value_len(v);
    if (get_count(s, "minProperties", &k) && (int64_t)nv < k)
        add_err(J, r, "array_min_properties", p, "Must have at least %lld properties",
                (long long)k);
    if (get_count(s, "maxProperties", &k) && (int64_t)nv > k)
        add_err(J, r, "array_max_properties", p, "Must have at most %lld properties", (long long)k);
    const gh_value *req = kw(s, "required");
    if (req && bi_is(req, GH_KIND_ARRAY)) {
        for (size_t i = 0; i < gh_value_len(req); i++) {
            size_t n;
            const char *name = gh_string_ptr(gh_array_get(req, i), &n);
            if (!name) continue;
            if (gh_object_get_str(v, name, n))
                r->score++;
            else
                add_err(J, r, "required", p, "%.*s is required", (int)n, name);
        }
    }
    const gh_value *props = kw(s, "properties"), *pp = kw(s, "patternProperties"),
                   *ap = kw(s, "additionalProperties");
    for (size_t i = 0; i < nv && !J->rc; i++) {
        size_t kn;
        const char *key = gh_string_ptr(gh_object_key_at(v, i), &kn);
        if (!key) continue;
        const gh_value *val = gh_object_value_at(v, i);
        bool found = props && bi_is(props, GH_KIND_OBJECT) && gh_object_get_str(props, key, kn);
        bool ppm = false;
        jpath sp = {key, kn, p};
        if (pp && bi_is(pp, GH_KIND_OBJECT)) {
            for (size_t j = 0; j < gh_value_len(pp); j++) {
                size_t pn;
                const char *pat = gh_string_ptr(gh_object_key_at(pp, j), &pn);
                if (!pat || !matches(J, pat, pn, key, kn)) continue;
                ppm = true;
                jres cur;
                sub_validate(J, gh_object_value_at(pp, j), val, &sp, &cur);
                merge(J, r, &cur);
            }
            if (ppm) r->score++;
        }
        if (found || ppm || !ap) continue;
        if (bi_is(ap, GH_KIND_BOOL)) {
            if (!gh_value_get_bool(ap))
                add_err(J, r, "additional_property_not_allowed", p,
                        "Additional property %.*s is not allowed", (int)kn, key);
        } else {
            jres cur;
            sub_validate(J, ap, val, &sp, &cur);
            merge(J, r, &cur);
        }
    }
    const gh_value *pnames = kw(s, "propertyNames");
    if (pnames) {
        for (size_t i = 0; i < nv && !J->rc; i++) {
            const gh_value *key = gh_object_key_at(v, i);
            jres cur;
            sub_validate(J, pnames, key, p, &cur);
            if (cur.n) {
                size_t kn;
                const char *ks = gh_string_ptr(key, &kn);
                add_err(J, r, "invalid_property_name", p,
                        "Property name of \"%.*s\" does not match", (int)kn, ks ? ks : "");
                merge(J, r, &cur);
            }
        }
    }
    r->score++;
}

static void v_string(jctx *J, const gh_value *s, const gh_value *v, jres *r, const jpath *p)
{
    size_t n;
    const char *str = gh_string_ptr(v, &n);
    if (!str) return;
    int64_t k;
    size_t runes = bi_utf8_count(str, n);
    if (get_count(s, "minLength", &k) && (int64_t)runes < k)
        add_err(J, r, "string_gte", p, "String length must be greater than or equal to %lld",
                (long long)k);
    if (get_count(s, "maxLength", &k) && (int64_t)runes > k)
        add_err(J, r, "string_lte", p, "String length must be less than or equal to %lld",
                (long long)k);
    const gh_value *pat = kw(s, "pattern");
    size_t pn;
    const char *ps = pat ? gh_string_ptr(pat, &pn) : NULL;
    if (ps && !matches(J, ps, pn, str, n))
        add_err(J, r, "pattern", p, "Does not match pattern '%.*s'", (int)pn, ps);
    r->score++;
}

static void v_number(jctx *J, const gh_value *s, const gh_value *v, jres *r, const jpath *p)
{
    if (!bi_is(v, GH_KIND_NUMBER)) return;
    long double x = num_ld(v);
    char nb[128];
    const gh_value *a;
    if ((a = kw(s, "multipleOf")) && bi_is(a, GH_KIND_NUMBER)) {
        long double m = num_ld(a), q = x / m;
        if (m != 0 && fabsl(q - roundl(q)) > 1e-12L * (fabsl(q) > 1 ? fabsl(q) : 1))
            add_err(J, r, "multiple_of", p, "Must be a multiple of %s", num_text(a, nb, sizeof nb));
    }
    /* draft 4: exclusiveMaximum/exclusiveMinimum are booleans modifying maximum/minimum */
    const gh_value *mx = kw(s, "maximum"), *xmx = kw(s, "exclusiveMaximum");
    const gh_value *mn = kw(s, "minimum"), *xmn = kw(s, "exclusiveMinimum");
    bool xmax4 = xmx && bi_is(xmx, GH_KIND_BOOL) && gh_value_get_bool(xmx);
    bool xmin4 = xmn && bi_is(xmn, GH_KIND_BOOL) && gh_value_get_bool(xmn);
    if (mx && bi_is(mx, GH_KIND_NUMBER)) {
        long double m = num_ld(mx);
        if (xmax4 ? x >= m : x > m)
            add_err(J, r, xmax4 ? "number_lt" : "number_lte", p,
                    xmax4 ? "Must be less than %s" : "Must be less than or equal to %s",
                    num_text(mx, nb, sizeof nb));
    }
    if (xmx && bi_is(xmx, GH_KIND_NUMBER) && x >= num_ld(xmx))
        add_err(J, r, "number_lt", p, "Must be less than %s", num_text(xmx, nb, sizeof nb));
    if (mn && bi_is(mn, GH_KIND_NUMBER)) {
        long double m = num_ld(mn);
        if (xmin4 ? x <= m : x < m)
            add_err(J, r, xmin4 ? "number_gt" : "number_gte", p,
                    xmin4 ? "Must be greater than %s" : "Must be greater than or equal to %s",
                    num_text(mn, nb, sizeof nb));
    }
    if (xmn && bi_is(xmn, GH_KIND_NUMBER) && x <= num_ld(xmn))
        add_err(J, r, "number_gt", p, "Must be greater than %s", num_text(xmn, nb, sizeof nb));
    r->score++;
}

static void validate(jctx *J, const gh_value *s, const gh_value *v, jres *r, const jpath *p)
{
    if (J->rc) return;
    if (bi_is(s, GH_KIND_BOOL)) {
        if (!gh_value_get_bool(s)) add_err(J, r, "false", p, "False always fails validation");
        return;
    }
    if (!bi_is(s, GH_KIND_OBJECT)) return;
    if (++J->depth > MAX_DEPTH || ++J->steps > MAX_STEPS) {
        J->rc = GH_ELIMIT;
        J->depth--;
        return;
    }
    const gh_value *ref = kw(s, "$ref");
    if (ref) {
        const gh_value *t = resolve_ref(J, ref);
        if (t) validate(J, t, v, r, p);
        J->depth--;
        return;
    }
    const gh_value *types = kw(s, "type");
    const char *given = type_of(v);
    bool ok = bi_is(v, GH_KIND_NUMBER)
                  ? types_contain(types, "number") ||
                        (!strcmp(given, "integer") && types_contain(types, "integer"))
                  : types_contain(types, given);
    if (!ok) {
        add_err(J, r, "invalid_type", p, "Invalid type. Expected: %s, given: %s",
                types_text(J, types), given);
        J->depth--;
        return;
    }
    v_schema(J, s, v, r, p);
    switch (gh_value_kind(v)) {
    case GH_KIND_ARRAY:
        v_array(J, s, v, r, p);
        v_common(J, s, v, r, p);
        break;
    case GH_KIND_OBJECT: {
        v_object(J, s, v, r, p);
        v_common(J, s, v, r, p);
        const gh_value *props = kw(s, "properties");
        if (props && bi_is(props, GH_KIND_OBJECT))
            for (size_t i = 0; i < gh_value_len(props) && !J->rc; i++) {
                size_t kn;
                const char *key = gh_string_ptr(gh_object_key_at(props, i), &kn);
                const gh_value *nv = key ? gh_object_get_str(v, key, kn) : NULL;
                if (!nv) continue;
                jpath sp = {key, kn, p};
                validate(J, gh_object_value_at(props, i), nv, r, &sp);
            }
        break;
    }
    case GH_KIND_NULL: v_common(J, s, v, r, p); break;
    default:
        v_number(J, s, v, r, p);
        v_common(J, s, v, r, p);
        v_string(J, s, v, r, p);
    }
    r->score++;
    J->depth--;
}

/* ---- schema checks (NewSchema's errors, the common ones) ---- */

static const char *const type_names[] = {"array", "boolean", "integer", "number",
                                         "null",  "object",  "string"};

static int check_schema(jctx *J, const gh_value *s, char *msg, size_t cap, int depth);

static int check_sub(jctx *J, const gh_value *s, const char *key, char *msg, size_t cap, int depth)
{
    const gh_value *a = kw(s, key);
    if (!a) return 0;
    if (!bi_is(a, GH_KIND_OBJECT) && !bi_is(a, GH_KIND_BOOL)) {
        snprintf(msg, cap, "Invalid type. Expected: %s, given: %s", "object", type_of(a));
        return -1;
    }
    return check_schema(J, a, msg, cap, depth + 1);
}

static int check_schema(jctx *J, const gh_value *s, char *msg, size_t cap, int depth)
{
    if (depth > MAX_DEPTH) {
        snprintf(msg, cap, "schema nested too deeply");
        return -1;
    }
    if (bi_is(s, GH_KIND_BOOL)) return 0;
    if (!bi_is(s, GH_KIND_OBJECT)) {
        snprintf(msg, cap, "Invalid type. Expected: %s, given: %s", "object", type_of(s));
        return -1;
    }
    const gh_value *t = kw(s, "type");
    if (t) {
        size_t nt = bi_is(t, GH_KIND_ARRAY) ? gh_value_len(t) : 1;
        if (!bi_is(t, GH_KIND_ARRAY) && !bi_is(t, GH_KIND_STRING)) {
            snprintf(msg, cap, "Invalid type. Expected: %s, given: %s", "string/array of strings",
                     type_of(t));
            return -1;
        }
        for (size_t i = 0; i < nt; i++) {
            const gh_value *e = bi_is(t, GH_KIND_ARRAY) ? gh_array_get(t, i) : t;
            bool known = false;
            for (size_t j = 0; j < sizeof type_names / sizeof type_names[0]; j++)
                known |= str_eq(e, type_names[j]);
            if (!known) {
                snprintf(msg, cap,
                         "has a primitive type that is NOT VALID -- given: %s Expected valid "
                         "values are:[array boolean integer number null object string]",
                         json_text(J, e));
                return -1;
            }
        }
    }
    static const char *const counts[] = {"minLength", "maxLength",     "minItems",
                                         "maxItems",  "minProperties", "maxProperties"};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        const gh_value *a = kw(s, counts[i]);
        if (!a) continue;
        int64_t k;
        if (!bi_is(a, GH_KIND_NUMBER) || !is_integer(a) || !gh_number_get_int(a, &k)) {
            snprintf(msg, cap, "%s must be of an integer", counts[i]);
            return -1;
        }
        if (k < 0) {
            snprintf(msg, cap, "%s must be greater than or equal to 0", counts[i]);
            return -1;
        }
    }
    const gh_value *a;
    if ((a = kw(s, "pattern"))) {
        size_t pn;
        const char *ps = gh_string_ptr(a, &pn);
        char err[200];
        bi_re *re = ps ? bi_re_compile(ps, pn, err, sizeof err) : NULL;
        if (!re) {
            snprintf(msg, cap, "Invalid regex pattern '%.*s'", ps ? (int)pn : 0, ps ? ps : "");
            return -1;
        }
        bi_re_free(re);
    }
    if ((a = kw(s, "required")) && !bi_is(a, GH_KIND_ARRAY)) {
        snprintf(msg, cap, "required must be of an array");
        return -1;
    }
    if ((a = kw(s, "enum")) && !bi_is(a, GH_KIND_ARRAY)) {
        snprintf(msg, cap, "enum must be of an array");
        return -1;
    }
    if ((a = kw(s, "$ref")) && (!gh_string_ptr(a, &(size_t){0}) || !resolve_ref(J, a))) {
        snprintf(msg, cap, "Object has no key '%s'", json_text(J, a));
        return -1;
    }
    static const char *const subs[] = {
        "not", "additionalProperties", "additionalItems", "contains", "propertyNames", "if", "then",
        "else"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (check_sub(J, s, subs[i], msg, cap, depth)) return -1;
    static const char *const maps[] = {"properties", "patternProperties", "definitions"};
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++) {
        if (!(a = kw(s, maps[i]))) continue;
        if (!bi_is(a, GH_KIND_OBJECT)) {
            snprintf(msg, cap, "%s must be of an object", maps[i]);
            return -1;
        }
        for (size_t j = 0; j < gh_value_len(a); j++)
            if (check_schema(J, gh_object_value_at(a, j), msg, cap, depth + 1)) return -1;
    }
    static const char *const lists[] = {"anyOf", "oneOf", "allOf"};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        if (!(a = kw(s, lists[i]))) continue;
        if (!bi_is(a, GH_KIND_ARRAY) || gh_value_len(a) == 0) {
            snprintf(msg, cap, "%s must be of an array", lists[i]);
            return -1;
        }
        for (size_t j = 0; j < gh_value_len(a); j++)
            if (check_schema(J, gh_array_get(a, j), msg, cap, depth + 1)) return -1;
    }
    if ((a = kw(s, "items"))) {
        if (bi_is(a, GH_KIND_ARRAY)) {
            for (size_t j = 0; j < gh_value_len(a); j++)
                if (check_schema(J, gh_array_get(a, j), msg, cap, depth + 1)) return -1;
        } else if (check_schema(J, a, msg, cap, depth + 1)) {
            return -1;
        }
    }
    return 0;
}

/* ---- loading the operands ---- */

/* A string is JSON text; an object is marshalled to JSON and read back. 0, 1 with msg set
 * (bad operand or JSON), or a GH_E* code. */
static int load(gh_bctx *bc, const gh_value *op, const gh_value **out, char *msg, size_t cap)
{
    size_t n;
    const char *s = gh_string_ptr(op, &n);
    gh_buf *b = NULL;
    if (!s) {
        if (!bi_is(op, GH_KIND_OBJECT)) {
            snprintf(msg, cap, "wrong type, expected string or object");
            return 1;
        }
        b = bi_scratch(bc, BI_SCRATCH_OUT);
        if (!b) return GH_ENOMEM;
        int rc = gh_json_write(b, op, 0);
        if (rc == GH_EINVAL) {
            snprintf(msg, cap, "json: unsupported value");
            return 1;
        }
        if (rc || b->failed) return GH_ENOMEM;
        s = b->data, n = b->len;
    }
    gh_json_error e;
    int rc = gh_json_read(bc->arena, s, n, NULL, out, &e);
    if (rc == GH_EJSON) {
        snprintf(msg, cap, "%s", e.msg);
        return 1;
    }
    return rc;
}

static const gh_value *pair(gh_bctx *bc, bool ok, const gh_value *second)
{
    const gh_value *items[2] = {gh_value_bool(ok), second};
    return second ? gh_value_array(bc->arena, items, 2) : NULL;
}

static int bi_verify_schema(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    char msg[400], full[420];
    const gh_value *schema = NULL;
    int rc = load(bc, args[0], &schema, msg, sizeof msg);
    if (rc < 0) return rc;
    jctx J = {bc, schema, 0, 0, 0};
    if (rc == 0 && check_schema(&J, schema, msg, sizeof msg, 0) == 0)
        return bi_ret(out, pair(bc, true, GH_NULL));
    snprintf(full, sizeof full, "jsonschema: %s", msg);
    return bi_ret(out, pair(bc, false, bi_str(bc, full, strlen(full))));
}

static const gh_value *err_object(gh_bctx *bc, const jerr *e)
{
    const gh_value *k[4] = {bi_str(bc, "desc", 4), bi_str(bc, "error", 5), bi_str(bc, "field", 5),
                            bi_str(bc, "type", 4)};
    char buf[700];
    snprintf(buf, sizeof buf, "%s: %s", e->field, e->desc);
    const gh_value *v[4] = {bi_str(bc, e->desc, strlen(e->desc)), bi_str(bc, buf, strlen(buf)),
                            bi_str(bc, e->field, strlen(e->field)),
                            bi_str(bc, e->type, strlen(e->type))};
    for (int i = 0; i < 4; i++)
        if (!k[i] || !v[i]) return NULL;
    const gh_value *o = NULL;
    return gh_value_object(bc->arena, k, v, 4, &o, NULL) ? NULL : o;
}

static int bi_match_schema(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "json.match_schema";
    char msg[400];
    const gh_value *doc = NULL, *schema = NULL;
    int rc = load(bc, args[0], &doc, msg, sizeof msg);
    if (rc < 0) return rc;
    if (rc == 1) return bi_builtin_err(bc, name, msg);
    rc = load(bc, args[1], &schema, msg, sizeof msg);
    if (rc < 0) return rc;
    if (rc == 1) return bi_builtin_err(bc, name, msg);
    jctx J = {bc, schema, 0, 0, 0};
    if (check_schema(&J, schema, msg, sizeof msg, 0)) return bi_builtin_err(bc, name, msg);
    jres r = {0};
    validate(&J, schema, doc, &r, NULL);
    if (J.rc == GH_ELIMIT)
        return bi_builtin_err(bc, name, "schema too deep or too costly to evaluate ($ref cycle?)");
    if (J.rc) return J.rc;
    const gh_value **items = bi_ptrs(bc, r.n ? r.n : 1);
    if (!items) return BI_NOMEM;
    for (size_t i = 0; i < r.n; i++)
        if (!(items[i] = err_object(bc, &r.e[i]))) return BI_NOMEM;
    return bi_ret(out, pair(bc, r.n == 0, gh_value_array(bc->arena, items, r.n)));
}

static const gh_builtin table[] = {
    BI_FN("json.verify_schema", 1,
          "(any<string, object[any: any]>) => array<boolean, any<null, string>>", bi_verify_schema),
    BI_FN("json.match_schema", 2,
          "(any<string, object[any: any]>, any<string, object[any: any]>) => array<boolean, "
          "array[object<desc: string, error: string, field: string, type: string>]>",
          bi_match_schema),
};

BI_FAMILY(jsonschema, table);
