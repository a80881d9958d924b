/* YAML reader: libyaml's event stream into arena values (see gatehouse/yaml.h for the
 * resolution rules), plus the block-scalar tab workaround for libyaml 0.2.5.
 *
 * A recursive walk over parser events. Finished children wait on one scratch stack (heap,
 * reused) until their container ends, so every array and object is built once at its final
 * size; mappings keep a priority per member so explicit keys beat `<<` merged ones. */
#include "gatehouse/yaml.h"

#include "gatehouse/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct anchor {
    char *name; /* heap copy */
    const gh_value *v;
} anchor;

typedef struct member {
    const gh_value *key, *val;
    int prio; /* 2 explicit, 1 merged */
    size_t pos;
} member;

typedef struct yr {
    gh_arena *a;
    yaml_parser_t p;
    yaml_event_t ev;
    bool have_ev;
    int depth, max_depth;
    const gh_value **st; /* scratch stack of finished sequence items */
    size_t sp, scap;
    member *ms; /* scratch stack of finished mapping members */
    size_t msp, mcap;
    anchor *anchors;
    size_t nanchors, acap;
    gh_yaml_error *err;
    bool tab_problem; /* libyaml failed on a tab in indentation: worth the retry */
    bool go_v2;       /* GH_YAML_GO_V2: go-yaml v2's YAML 1.1 resolution */
} yr;

/* ---- errors ---- */

static int fail_at(yr *r, int code, yaml_mark_t m, const char *fmt, const char *arg)
{
    if (!r->err) return code;
    r->err->code = code;
    r->err->line = (int)m.line + 1;
    r->err->col = (int)m.column + 1;
    char what[160];
    snprintf(what, sizeof what, fmt, arg ? arg : "");
    snprintf(r->err->msg, sizeof r->err->msg, "yaml: %d:%d: %s", r->err->line, r->err->col, what);
    return code;
}

static int fail_here(yr *r, int code, const char *fmt, const char *arg)
{
    return fail_at(r, code, r->ev.start_mark, fmt, arg);
}

static int fail_nomem(yr *r)
{
    return fail_here(r, GH_ENOMEM, "out of memory%s", NULL);
}

static int next(yr *r)
{
    if (r->have_ev) yaml_event_delete(&r->ev);
    r->have_ev = false;
    if (!yaml_parser_parse(&r->p, &r->ev)) {
        const char *problem = r->p.problem ? r->p.problem : "malformed YAML";
        if (strstr(problem, "tab")) r->tab_problem = true;
        yaml_mark_t m = r->p.problem_mark;
        if (r->p.error == YAML_MEMORY_ERROR)
            return fail_at(r, GH_ENOMEM, m, "out of memory%s", NULL);
        return fail_at(r, GH_EPARSE, m, "%s", problem);
    }
    r->have_ev = true;
    return 0;
}

/* ---- scalars ---- */

static bool is_digits(const char *s, const char *end, const char *set)
{
    if (s == end) return false;
    for (; s < end; s++)
        if (!strchr(set, *s)) return false;
    return true;
}

static bool one_of(const char *s, size_t n, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == n && memcmp(*words, s, n) == 0) return true;
    return false;
}

static const char *const null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"true", "True", "TRUE", NULL};
static const char *const false_words[] = {"false", "False", "FALSE", NULL};
static const char *const inf_words[] = {".inf", ".Inf", ".INF", NULL};
static const char *const nan_words[] = {".nan", ".NaN", ".NAN", NULL};

/* [-+]? [0-9]+ */
static bool is_dec_int(const char *s, size_t n)
{
    if (n && (*s == '-' || *s == '+')) s++, n--;
    return is_digits(s, s + n, "0123456789");
}

/* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
static bool is_float(const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    if (p < end && (*p == '-' || *p == '+')) p++;
    const char *int_start = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    bool int_digits = p > int_start, frac_digits = false;
    if (p < end && *p == '.') {
        const char *f = ++p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        frac_digits = p > f;
        if (!int_digits && !frac_digits) return false;
    } else if (!int_digits) {
        return false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '-' || *p == '+')) p++;
        const char *e = p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == e) return false;
    }
    return p == end;
}

/* The JSON spelling of a core-schema number: no '+', no leading zeros, digits on both sides
 * of a '.'. Fits in n + 3 bytes. */
static size_t json_number_text(const char *s, size_t n, char *out)
{
    const char *p = s, *end = s + n;
    char *o = out;
    if (*p == '-')
        *o++ = *p++;
    else if (*p == '+')
        p++;
    const char *digits = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    const char *d = digits;
    while (d + 1 < p && *d == '0')
        d++; /* keep one digit */
    if (d == p) *o++ = '0';
    memcpy(o, d, (size_t)(p - d));
    o += p - d;
    if (p < end && *p == '.') {
        *o++ = *p++;
        const char *f = p;
        while (p < end && *p >= '0' && *p <= '9')
            *o++ = *p++;
        if (p == f) *o++ = '0';
    }
    memcpy(o, p, (size_t)(end - p)); /* exponent as written: e, sign, digits are all JSON */
    o += end - p;
    return (size_t)(o - out);
}

static int make_number(yr *r, const char *s, size_t n, const gh_value **out)
{
    char stack[64], *buf = n + 4 <= sizeof stack ? stack : malloc(n + 4);
    if (!buf) return fail_nomem(r);
    size_t len = json_number_text(s, n, buf);
    int rc = gh_value_number(r->a, buf, len, out);
    if (buf != stack) free(buf);
    if (rc == GH_ENOMEM) return fail_nomem(r);
    if (rc != 0) return fail_here(r, GH_EPARSE, "invalid number '%s'", NULL);
    return 0;
}

/* 0x[0-9a-fA-F]+ or 0o[0-7]+; beyond int64 is an error rather than a silent rounding. */
static int make_radix_int(yr *r, const char *s, size_t n, const gh_value **out)
{
    unsigned base = s[1] == 'x' ? 16 : 8;
    uint64_t v = 0;
    for (size_t i = 2; i < n; i++) {
        unsigned c = (unsigned char)s[i];
        unsigned d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
        if (v > (UINT64_C(0x7fffffffffffffff) - d) / base)
            return fail_here(r, GH_EPARSE, "integer out of range%s", NULL);
        v = v * base + d;
    }
    *out = gh_value_int(r->a, (int64_t)v);
    return *out ? 0 : fail_nomem(r);
}

typedef enum { RES_ANY, RES_STR, RES_NULL, RES_BOOL, RES_INT, RES_FLOAT } res_want;

static res_want tag_want(const char *tag)
{
    static const char pre[] = "tag:yaml.org,2002:";
    if (!tag) return RES_ANY;
    if (strcmp(tag, "!") == 0) return RES_STR; /* the non-specific tag of "!" scalars */
    if (strncmp(tag, pre, sizeof pre - 1) != 0) return RES_ANY;
    tag += sizeof pre - 1;
    if (strcmp(tag, "str") == 0) return RES_STR;
    if (strcmp(tag, "null") == 0) return RES_NULL;
    if (strcmp(tag, "bool") == 0) return RES_BOOL;
    if (strcmp(tag, "int") == 0) return RES_INT;
    if (strcmp(tag, "float") == 0) return RES_FLOAT;
    return RES_ANY;
}

/* ---- go-yaml v2 (GH_YAML_GO_V2) ---- */

static const char *const v2_true_words[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
                                            "on", "On", "ON", NULL};
static const char *const v2_false_words[] = {"n", "N", "no", "No", "NO", "false", "False", "FALSE",
                                             "off", "Off", "OFF", NULL};

/* Go's strconv.ParseUint(s, 0, 64) on an unsigned digit string: 0b/0o/0x prefixes (either
 * case), a leading 0 alone meaning octal. */
static bool go_parse_uint(const char *s, size_t n, uint64_t *out)
{
    unsigned base = 10;
    if (n == 0) return false;
    if (s[0] == '0') {
        char c = n >= 3 ? (char)(s[1] | 0x20) : 0;
        base = c == 'b' ? 2 : c == 'o' ? 8 : c == 'x' ? 16 : 8;
        size_t skip = c == 'b' || c == 'o' || c == 'x' ? 2 : 1;
        s += skip, n -= skip;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') d = (c | 0x20) - 'a' + 10;
        else return false;
        if (d >= base || v > (UINT64_MAX - d) / base) return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

/* go-yaml v2's integer step: strconv.ParseInt(s, 0, 64), then ParseUint(s, 0, 64). */
static bool v2_int(yr *r, const char *s, size_t n, const gh_value **out, int *rc)
{
    bool neg = n && s[0] == '-', sign = n && (s[0] == '-' || s[0] == '+');
    uint64_t mag;
    if (!go_parse_uint(s + sign, n - sign, &mag)) return false;
    if (sign && mag > (neg ? UINT64_C(1) << 63 : (UINT64_C(1) << 63) - 1)) return false;
    if (neg) {
        *out = gh_value_int(r->a, mag == UINT64_C(1) << 63 ? INT64_MIN : -(int64_t)mag);
    } else if (mag <= INT64_MAX) {
        *out = gh_value_int(r->a, (int64_t)mag);
    } else {
        char buf[24];
        int len = snprintf(buf, sizeof buf, "%llu", (unsigned long long)mag);
        *rc = gh_value_number(r->a, buf, (size_t)len, out);
        if (*rc == GH_ENOMEM) *rc = fail_nomem(r);
        return true;
    }
    *rc = *out ? 0 : fail_nomem(r);
    return true;
}

/* A float as strconv.ParseFloat takes it: what overflows float64 is no float (a string). */
static bool v2_float(yr *r, const char *s, size_t n, const gh_value **out, int *rc)
{
    char stack[64], *buf = n + 1 <= sizeof stack ? stack : malloc(n + 1);
    if (!buf) return *rc = fail_nomem(r), true;
    memcpy(buf, s, n);
    buf[n] = 0;
    double d = strtod(buf, NULL);
    if (buf != stack) free(buf);
    if (d > 1.7976931348623157e308 || d < -1.7976931348623157e308) return false;
    *rc = make_number(r, s, n, out);
    return true;
}

/* Drops every '_' of s[0..n) into a malloc'd copy (go-yaml v2 does before reading numbers). */
static char *strip_underscores(const char *s, size_t n, size_t *len)
{
    char *p = malloc(n + 1);
    if (!p) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '_') p[k++] = s[i];
    p[k] = 0;
    *len = k;
    return p;
}

/* Numbers behind a digit or sign: ints (underscores dropped, Go's base prefixes), then floats
 * of the YAML-style pattern. Returns false when the text is none of them. */
static bool v2_number(yr *r, const char *s, size_t n, const gh_value **out, int *rc)
{
    size_t len;
    char *plain = strip_underscores(s, n, &len);
    if (!plain) return *rc = fail_nomem(r), true;
    bool done = v2_int(r, plain, len, out, rc) || (is_float(plain, len) && v2_float(r, plain, len, out, rc));
    free(plain);
    return done;
}

/* go-yaml v2's resolve(): the first character picks what a plain scalar may be. */
static bool v2_resolve(yr *r, const char *s, size_t n, const gh_value **out, int *rc)
{
    *rc = 0;
    if (one_of(s, n, null_words)) return *out = GH_NULL, true;
    if (one_of(s, n, v2_true_words)) return *out = GH_TRUE, true;
    if (one_of(s, n, v2_false_words)) return *out = GH_FALSE, true;
    const char *t = n && (*s == '-' || *s == '+') ? s + 1 : s;
    if (one_of(t, n - (size_t)(t - s), inf_words) || (t == s && one_of(s, n, nan_words))) {
        *rc = fail_here(r, GH_EPARSE, "%s is not a Rego number (Rego numbers are finite)",
                        one_of(s, n, nan_words) ? ".nan" : ".inf");
        return true;
    }
    if (s[0] == '.') return is_float(s, n) && v2_float(r, s, n, out, rc);
    if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+') return v2_number(r, s, n, out, rc);
    return false;
}

static bool kind_wanted(const gh_value *v, res_want want)
{
    switch (gh_value_kind(v)) {
    case GH_KIND_NULL: return want == RES_NULL;
    case GH_KIND_BOOL: return want == RES_BOOL;
    case GH_KIND_NUMBER: return want == RES_INT || want == RES_FLOAT;
    default: return false;
    }
}

static int resolve_v2(yr *r, const char *s, size_t n, res_want want, const gh_value **out)
{
    int rc = 0;
    if (v2_resolve(r, s, n, out, &rc)) {
        if (rc != 0 || want == RES_ANY || kind_wanted(*out, want)) return rc;
    } else if (want == RES_ANY) {
        *out = gh_value_string(r->a, s, n);
        return *out ? 0 : fail_nomem(r);
    }
    static const char *const names[] = {"", "", "null", "bool", "int", "float"};
    return fail_here(r, GH_EPARSE, "value does not match its tag !!%s", names[want]);
}

/* Resolves a plain (or explicitly tagged) scalar; want says what a tag demands. */
static int resolve_scalar(yr *r, const char *s, size_t n, res_want want, const gh_value **out)
{
    if (r->go_v2) return resolve_v2(r, s, n, want, out);
    if ((want == RES_ANY || want == RES_NULL) && one_of(s, n, null_words)) {
        *out = GH_NULL;
        return 0;
    }
    if (want == RES_ANY || want == RES_BOOL) {
        if (one_of(s, n, true_words)) return *out = GH_TRUE, 0;
        if (one_of(s, n, false_words)) return *out = GH_FALSE, 0;
    }
    if (want == RES_ANY || want == RES_INT || want == RES_FLOAT) {
        if (n > 2 && s[0] == '0' && s[1] == 'x' &&
            is_digits(s + 2, s + n, "0123456789abcdefABCDEF"))
            return make_radix_int(r, s, n, out);
        if (n > 2 && s[0] == '0' && s[1] == 'o' && is_digits(s + 2, s + n, "01234567"))
            return make_radix_int(r, s, n, out);
        if (is_dec_int(s, n) || is_float(s, n)) return make_number(r, s, n, out);
        const char *t = n && (*s == '-' || *s == '+') ? s + 1 : s;
        if (one_of(t, n - (size_t)(t - s), inf_words) || one_of(s, n, nan_words))
            return fail_here(r, GH_EPARSE, "%s is not a Rego number (Rego numbers are finite)",
                             one_of(s, n, nan_words) ? ".nan" : ".inf");
    }
    if (want != RES_ANY && want != RES_STR) {
        static const char *const names[] = {"", "", "null", "bool", "int", "float"};
        return fail_here(r, GH_EPARSE, "value does not match its tag !!%s", names[want]);
    }
    *out = gh_value_string(r->a, s, n);
    return *out ? 0 : fail_nomem(r);
}

static int scalar_value(yr *r, const gh_value **out)
{
    const char *s = (const char *)r->ev.data.scalar.value;
    size_t n = r->ev.data.scalar.length;
    res_want want = tag_want((const char *)r->ev.data.scalar.tag);
    if (r->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE && want == RES_ANY) want = RES_STR;
    if (want == RES_STR) {
        *out = gh_value_string(r->a, s, n);
        return *out ? 0 : fail_nomem(r);
    }
    return resolve_scalar(r, s, n, want, out);
}

/* ---- anchors ---- */

static int anchor_add(yr *r, const unsigned char *name, const gh_value *v)
{
    if (!name) return 0;
    if (r->nanchors == r->acap) {
        size_t cap = r->acap ? r->acap * 2 : 16;
        anchor *g = realloc(r->anchors, cap * sizeof *g);
        if (!g) return fail_nomem(r);
        r->anchors = g;
        r->acap = cap;
    }
    char *copy = strdup((const char *)name);
    if (!copy) return fail_nomem(r);
    r->anchors[r->nanchors++] = (anchor){copy, v};
    return 0;
}

/* The latest definition wins: YAML lets an anchor be redefined further down. */
static const gh_value *anchor_find(yr *r, const char *name)
{
    for (size_t i = r->nanchors; i-- > 0;)
        if (strcmp(r->anchors[i].name, name) == 0) return r->anchors[i].v;
    return NULL;
}

/* ---- collections ---- */

static int parse_node(yr *r, const gh_value **out);

static int push_item(yr *r, const gh_value *v)
{
    if (r->sp == r->scap) {
        size_t cap = r->scap ? r->scap * 2 : 64;
        const gh_value **g = realloc(r->st, cap * sizeof *g);
        if (!g) return fail_nomem(r);
        r->st = g;
        r->scap = cap;
    }
    r->st[r->sp++] = v;
    return 0;
}

static int push_member(yr *r, const gh_value *k, const gh_value *v, int prio)
{
    if (r->msp == r->mcap) {
        size_t cap = r->mcap ? r->mcap * 2 : 64;
        member *g = realloc(r->ms, cap * sizeof *g);
        if (!g) return fail_nomem(r);
        r->ms = g;
        r->mcap = cap;
    }
    r->ms[r->msp] = (member){k, v, prio, r->msp};
    r->msp++;
    return 0;
}

static int enter(yr *r)
{
    if (++r->depth > r->max_depth) {
        char lim[16];
        snprintf(lim, sizeof lim, "%d", r->max_depth);
        return fail_here(r, GH_ELIMIT, "nesting deeper than %s levels", lim);
    }
    return 0;
}

static int parse_sequence(yr *r, const gh_value **out)
{
    yaml_char_t *anchor_name = r->ev.data.sequence_start.anchor;
    char *name = anchor_name ? strdup((char *)anchor_name) : NULL;
    size_t base = r->sp;
    int rc = enter(r);
    while (rc == 0 && (rc = next(r)) == 0 && r->ev.type != YAML_SEQUENCE_END_EVENT) {
        const gh_value *v;
        if ((rc = parse_node(r, &v)) == 0) rc = push_item(r, v);
    }
    if (rc == 0) {
        *out = gh_value_array(r->a, r->st + base, r->sp - base);
        rc = *out ? anchor_add(r, (unsigned char *)name, *out) : fail_nomem(r);
    }
    r->sp = base;
    r->depth--;
    free(name);
    return rc;
}

/* A map key as Go's YAML to JSON conversion spells it. */
static int key_string(yr *r, const gh_value *k, const gh_value **out)
{
    gh_buf b;
    switch (gh_value_kind(k)) {
    case GH_KIND_STRING: *out = k; return 0;
    case GH_KIND_BOOL:
        *out = gh_value_string(r->a, gh_value_get_bool(k) ? "true" : "false",
                               gh_value_get_bool(k) ? 4 : 5);
        return *out ? 0 : fail_nomem(r);
    case GH_KIND_NUMBER:
        gh_buf_init(&b, 0);
        gh_json_write(&b, k, 0);
        *out = b.failed ? NULL : gh_value_string(r->a, b.data, b.len);
        gh_buf_free(&b);
        return *out ? 0 : fail_nomem(r);
    default:
        return fail_here(r, GH_EPARSE, "unsupported map key of type %s (keys must be scalars)",
                         gh_kind_name(gh_value_kind(k)));
    }
}

/* `<<: *base` or `<<: [*a, *b]`: the members of the merged mappings, below explicit keys. */
static int merge_into(yr *r, const gh_value *v)
{
    if (gh_value_kind(v) == GH_KIND_OBJECT) {
        for (size_t i = 0; i < gh_value_len(v); i++) {
            int rc = push_member(r, gh_object_key_at(v, i), gh_object_value_at(v, i), 1);
            if (rc) return rc;
        }
        return 0;
    }
    if (gh_value_kind(v) == GH_KIND_ARRAY) {
        for (size_t i = 0; i < gh_value_len(v); i++) {
            if (gh_value_kind(gh_array_get(v, i)) != GH_KIND_OBJECT)
                return fail_here(r, GH_EPARSE, "map merge requires a map or a list of maps%s",
                                 NULL);
            int rc = merge_into(r, gh_array_get(v, i));
            if (rc) return rc;
        }
        return 0;
    }
    return fail_here(r, GH_EPARSE, "map merge requires a map or a list of maps%s", NULL);
}

static int cmp_member(const void *pa, const void *pb)
{
    const member *a = pa, *b = pb;
    int c = gh_value_compare(a->key, b->key);
    if (c) return c;
    if (a->prio != b->prio) return b->prio - a->prio; /* explicit first */
    /* explicit: the last one written wins; merged: the first mapping listed wins */
    if (a->prio == 2) return a->pos < b->pos ? 1 : -1;
    return a->pos < b->pos ? -1 : 1;
}

static int build_object(yr *r, size_t base, const gh_value **out)
{
    size_t n = r->msp - base;
    member *m = r->ms + base;
    qsort(m, n, sizeof *m, cmp_member);
    const gh_value **kv = malloc((2 * n + 1) * sizeof *kv);
    if (!kv) return fail_nomem(r);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && gh_value_equal(m[i].key, m[i - 1].key)) continue; /* the winner sorted first */
        kv[k] = m[i].key;
        kv[n + k] = m[i].val;
        k++;
    }
    int rc = gh_value_object(r->a, kv, kv + n, k, out, NULL);
    free(kv);
    return rc == 0 ? 0 : fail_nomem(r);
}

static bool is_merge_key(const yaml_event_t *ev)
{
    return ev->type == YAML_SCALAR_EVENT && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           ev->data.scalar.length == 2 && memcmp(ev->data.scalar.value, "<<", 2) == 0 &&
           tag_want((const char *)ev->data.scalar.tag) != RES_STR;
}

static int parse_mapping(yr *r, const gh_value **out)
{
    yaml_char_t *anchor_name = r->ev.data.mapping_start.anchor;
    char *name = anchor_name ? strdup((char *)anchor_name) : NULL;
    size_t base = r->msp;
    int rc = enter(r);
    while (rc == 0 && (rc = next(r)) == 0 && r->ev.type != YAML_MAPPING_END_EVENT) {
        bool merge = is_merge_key(&r->ev);
        const gh_value *k = NULL, *v;
        if (!merge && (rc = parse_node(r, &k)) == 0) rc = key_string(r, k, &k);
        if (rc == 0 && (rc = next(r)) == 0) rc = parse_node(r, &v);
        if (rc == 0) rc = merge ? merge_into(r, v) : push_member(r, k, v, 2);
    }
    if (rc == 0 && (rc = build_object(r, base, out)) == 0)
        rc = anchor_add(r, (unsigned char *)name, *out);
    r->msp = base;
    r->depth--;
    free(name);
    return rc;
}

/* The value of the node whose first event is r->ev; leaves r->ev at its last event. */
static int parse_node(yr *r, const gh_value **out)
{
    switch (r->ev.type) {
    case YAML_ALIAS_EVENT:
        *out = anchor_find(r, (const char *)r->ev.data.alias.anchor);
        if (!*out)
            return fail_here(r, GH_EPARSE, "unknown anchor '%s' referenced",
                             (const char *)r->ev.data.alias.anchor);
        return 0;
    case YAML_SCALAR_EVENT: {
        int rc = scalar_value(r, out);
        return rc ? rc : anchor_add(r, r->ev.data.scalar.anchor, *out);
    }
    case YAML_SEQUENCE_START_EVENT: return parse_sequence(r, out);
    case YAML_MAPPING_START_EVENT: return parse_mapping(r, out);
    default: return fail_here(r, GH_EPARSE, "unexpected YAML event%s", NULL);
    }
}

/* ---- documents ---- */

static int parse_stream(yr *r, unsigned flags, const gh_value **out)
{
    int rc = next(r); /* STREAM-START */
    size_t base = r->sp, docs = 0;
    while (rc == 0 && (rc = next(r)) == 0 && r->ev.type == YAML_DOCUMENT_START_EVENT) {
        if (docs++ && !(flags & GH_YAML_MULTI)) {
            rc = fail_here(r, GH_EPARSE, "more than one YAML document in the stream%s", NULL);
            break;
        }
        const gh_value *v;
        if ((rc = next(r)) == 0 && (rc = parse_node(r, &v)) == 0 && (rc = push_item(r, v)) == 0)
            rc = next(r); /* DOCUMENT-END */
        for (size_t i = 0; i < r->nanchors; i++)
            free(r->anchors[i].name);
        r->nanchors = 0; /* anchors do not cross documents */
    }
    if (rc == 0) {
        if (flags & GH_YAML_MULTI)
            *out = gh_value_array(r->a, r->st + base, r->sp - base);
        else
            *out = docs ? r->st[base] : GH_NULL;
        if (!*out) rc = fail_nomem(r);
    }
    r->sp = base;
    return rc;
}

static int read_once(gh_arena *a, const char *text, size_t len, const gh_yaml_opts *opts,
                     const gh_value **out, gh_yaml_error *err, bool *tab_problem)
{
    yr r = {.a = a, .err = err};
    r.max_depth = opts && opts->max_depth > 0 ? opts->max_depth : GH_YAML_MAX_DEPTH;
    r.go_v2 = opts && (opts->flags & GH_YAML_GO_V2);
    if (!yaml_parser_initialize(&r.p)) {
        if (err) *err = (gh_yaml_error){.code = GH_ENOMEM, .msg = "yaml: out of memory"};
        return GH_ENOMEM;
    }
    yaml_parser_set_input_string(&r.p, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&r.p, YAML_UTF8_ENCODING);
    /* never NULL, so `st + base` is always defined */
    r.scap = 64;
    r.st = malloc(r.scap * sizeof *r.st);
    int rc = r.st ? parse_stream(&r, opts ? opts->flags : 0, out) : GH_ENOMEM;
    if (r.have_ev) yaml_event_delete(&r.ev);
    yaml_parser_delete(&r.p);
    for (size_t i = 0; i < r.nanchors; i++)
        free(r.anchors[i].name);
    free(r.anchors);
    free(r.st);
    free(r.ms);
    *tab_problem = r.tab_problem;
    return rc;
}

int gh_yaml_read(gh_arena *a, const char *text, size_t len, const gh_yaml_opts *opts,
                 const gh_value **out, gh_yaml_error *err)
{
    gh_yaml_error scratch;
    if (!err) err = &scratch;
    memset(err, 0, sizeof *err);
    *out = NULL;
    if (!text) text = "", len = 0;
    bool tab_problem = false;
    int rc = read_once(a, text, len, opts, out, err, &tab_problem);
    if (rc != GH_EPARSE || !tab_problem) return rc;
    size_t fixed_len;
    char *fixed = gh_yaml_fix_block_tabs(text, len, &fixed_len);
    if (!fixed) return rc;
    gh_yaml_error first = *err;
    rc = read_once(a, fixed, fixed_len, opts, out, err, &tab_problem);
    free(fixed);
    if (rc != 0) *err = first; /* the original text's error reads better */
    return rc;
}

/* ---- the block-scalar tab workaround ---- */

static size_t line_indent(const char *s, const char *end)
{
    size_t n = 0;
    while (s + n < end && s[n] == ' ')
        n++;
    return n;
}

/* The column a block scalar's indentation is counted from: the key's on "key: |" and
 * "- key: |" lines, the dash's on "- |" lines (as libyaml's scanner sees it). */
static size_t header_indent(const char *line, const char *eol)
{
    size_t c = line_indent(line, eol);
    if (line + c + 1 < eol && line[c] == '-' && line[c + 1] == ' ') {
        size_t k = c + 2;
        while (line + k < eol && line[k] == ' ')
            k++;
        if (line + k < eol && line[k] != '|' && line[k] != '>') return k;
    }
    return c;
}

static bool is_block_header(const char *p, const char *last)
{
    if (last <= p) return false;
    if (last[-1] == '|' || last[-1] == '>') return true;
    return (last[-1] == '-' || last[-1] == '+') && last - 1 > p &&
           (last[-2] == '|' || last[-2] == '>');
}

char *gh_yaml_fix_block_tabs(const char *src, size_t len, size_t *out_len)
{
    /* at most one byte is added per line */
    char *out = malloc(len + len / 2 + 16), *o = out;
    const char *p = src, *end = src + len;
    if (!out) return NULL;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        const char *last = eol;
        while (last > p && (last[-1] == ' ' || last[-1] == '\r'))
            last--;
        memcpy(o, p, (size_t)(last - p));
        o += last - p;
        if (is_block_header(p, last)) {
            const char *nx = eol < end ? eol + 1 : end;
            size_t content = line_indent(nx, end), base = header_indent(p, eol);
            if (nx + content < end && nx[content] == '\t' && content > base && content - base <= 9)
                *o++ = (char)('0' + (content - base));
        }
        memcpy(o, last, (size_t)(eol - last));
        o += eol - last;
        if (eol < end) *o++ = '\n';
        p = eol < end ? eol + 1 : end;
    }
    *out_len = (size_t)(o - out);
    return out;
}
