/* Regular-expression builtins on RE2 (through regex.cc): regex.match (and the deprecated
 * re_match), regex.is_valid, regex.split, regex.find_n, regex.find_all_string_submatch_n,
 * regex.replace. Iteration over matches follows Go's regexp exactly (an empty match right
 * after a previous match is skipped; the search advances one rune past an empty match).
 * Compiled patterns come from the evaluator's pattern cache, so a pattern is compiled once
 * per evaluator, not per call. */
#include "builtins/bi_internal.h"
#include "builtins/regex_shim.h"

#include <stdlib.h>

/* The compiled pattern; *own is set when the cache could not keep it (free after use). */
static const bi_re *get_re(gh_bctx *bc, const char *name, const char *pat, size_t n, bi_re **own,
                           int *rc)
{
    *own = NULL;
    bi_re *re = bi_cache_get(bc, BI_CACHE_REGEX, pat, n);
    if (re) return re;
    char err[600];
    re = bi_re_compile(pat, n, err, sizeof err);
    if (!re) {
        *rc = err[0] ? bi_builtin_err(bc, name, err) : GH_ENOMEM;
        return NULL;
    }
    if (!bi_cache_put(bc, BI_CACHE_REGEX, pat, n, re, bi_re_free)) *own = re;
    return re;
}

#define RE_ARGS(name, pi, si)                                                   \
    size_t pn, sn;                                                              \
    const char *pat = gh_string_ptr(args[pi], &pn);                             \
    if (!pat) return bi_type_err(bc, name, (pi) + 1, args[pi], "string");       \
    const char *s = gh_string_ptr(args[si], &sn);                               \
    if (!s) return bi_type_err(bc, name, (si) + 1, args[si], "string")

static int match_common(gh_bctx *bc, const char *name, const gh_value *const *args,
                        const gh_value **out)
{
    RE_ARGS(name, 0, 1);
    bi_re *own;
    int rc = 0;
    const bi_re *re = get_re(bc, name, pat, pn, &own, &rc);
    if (!re) return rc;
    *out = gh_value_bool(bi_re_test(re, s, sn));
    bi_re_free(own);
    return rc;
}

static int bi_match(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return match_common(bc, "regex.match", args, out);
}

static int bi_re_match(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return match_common(bc, "re_match", args, out);
}

static int bi_is_valid(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    size_t n;
    const char *pat = gh_string_ptr(args[0], &n);
    if (!pat) return bi_ret(out, GH_FALSE);
    if (bi_cache_get(bc, BI_CACHE_REGEX, pat, n)) return bi_ret(out, GH_TRUE);
    char err[8];
    bi_re *re = bi_re_compile(pat, n, err, sizeof err);
    if (!re && !err[0]) return GH_ENOMEM;
    bi_re_free(re);
    *out = gh_value_bool(re != NULL);
    return 0;
}

/* Go's allMatches: calls fn(m) for up to `limit` matches (limit < 0: all). */
typedef int (*match_fn)(void *ud, const long *m);

static int all_matches(gh_bctx *bc, const bi_re *re, const char *s, size_t n, int64_t limit,
                       match_fn fn, void *ud)
{
    size_t ng = (size_t)bi_re_ngroups(re) + 1;
    long *m = gh_arena_alloc(bc->arena, sizeof(long) * 2 * ng);
    if (!m) return GH_ENOMEM;
    long prev_end = -1;
    int64_t count = 0;
    for (size_t pos = 0; (limit < 0 || count < limit) && pos <= n;) {
        if (!bi_re_find(re, s, n, pos, m)) break;
        bool accept = true;
        if ((size_t)m[1] == pos) { /* empty match */
            if (m[0] == prev_end) accept = false;
            if (pos < n) {
                uint32_t r;
                pos += bi_utf8_decode(s + pos, n - pos, &r);
            } else {
                pos = n + 1;
            }
        } else {
            pos = (size_t)m[1];
        }
        prev_end = m[1];
        if (accept) {
            int rc = fn(ud, m);
            if (rc) return rc;
            count++;
        }
    }
    return 0;
}

typedef struct collect {
    gh_bctx *bc;
    const char *s;
    const gh_value **items;
    size_t n, cap;
    int ngroups; /* -1: whole matches as strings; else arrays of groups */
} collect;

static int collect_push(collect *c, const gh_value *v)
{
    if (!v) return GH_ENOMEM;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        const gh_value **ni = gh_arena_realloc(c->bc->arena, c->items, c->cap * sizeof *ni, nc * sizeof *ni);
        if (!ni) return GH_ENOMEM;
        c->items = ni;
        c->cap = nc;
    }
    c->items[c->n++] = v;
    return 0;
}

static int on_match(void *ud, const long *m)
{
    collect *c = ud;
    if (c->ngroups < 0) return collect_push(c, bi_str(c->bc, c->s + m[0], (size_t)(m[1] - m[0])));
    size_t ng = (size_t)c->ngroups + 1;
    const gh_value **g = bi_ptrs(c->bc, ng);
    if (!g) return GH_ENOMEM;
    for (size_t i = 0; i < ng; i++) {
        g[i] = m[2 * i] < 0 ? bi_str(c->bc, "", 0)
                            : bi_str(c->bc, c->s + m[2 * i], (size_t)(m[2 * i + 1] - m[2 * i]));
        if (!g[i]) return GH_ENOMEM;
    }
    return collect_push(c, gh_value_array(c->bc->arena, g, ng));
}

static int find_common(gh_bctx *bc, const char *name, bool groups, const gh_value *const *args,
                       const gh_value **out)
{
    RE_ARGS(name, 0, 1);
    int64_t limit;
    int rc = bi_int_arg(bc, name, args[2], 3, &limit);
    if (rc) return rc;
    bi_re *own;
    const bi_re *re = get_re(bc, name, pat, pn, &own, &rc);
    if (!re) return rc;
    collect c = {.bc = bc, .s = s, .ngroups = groups ? bi_re_ngroups(re) : -1};
    if (limit != 0) rc = all_matches(bc, re, s, sn, limit, on_match, &c);
    bi_re_free(own);
    if (rc) return rc;
    return bi_ret(out, gh_value_array(bc->arena, c.items, c.n));
}

static int bi_find_n(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return find_common(bc, "regex.find_n", false, args, out);
}

static int bi_find_all_submatch(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return find_common(bc, "regex.find_all_string_submatch_n", true, args, out);
}

typedef struct splitter {
    collect c;
    size_t beg, end;
} splitter;

static int on_split(void *ud, const long *m)
{
    splitter *sp = ud;
    sp->end = (size_t)m[0];
    if (m[1] != 0) {
        int rc = collect_push(&sp->c, bi_str(sp->c.bc, sp->c.s + sp->beg, sp->end - sp->beg));
        if (rc) return rc;
    }
    sp->beg = (size_t)m[1];
    return 0;
}

/* Go's Regexp.Split(s, -1). */
static int bi_split(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    RE_ARGS("regex.split", 0, 1);
    int rc = 0;
    if (pn > 0 && sn == 0) {
        const gh_value *one[1] = {args[1]};
        return bi_ret(out, gh_value_array(bc->arena, one, 1));
    }
    bi_re *own;
    const bi_re *re = get_re(bc, "regex.split", pat, pn, &own, &rc);
    if (!re) return rc;
    splitter sp = {.c = {.bc = bc, .s = s, .ngroups = -1}};
    rc = all_matches(bc, re, s, sn, -1, on_split, &sp);
    bi_re_free(own);
    if (!rc && sp.end != sn) rc = collect_push(&sp.c, bi_str(bc, s + sp.beg, sn - sp.beg));
    if (rc) return rc;
    return bi_ret(out, gh_value_array(bc->arena, sp.c.items, sp.c.n));
}

/* ---- regex.replace: Go's ReplaceAllString with $1 / ${name} expansion ---- */

typedef struct obuf {
    gh_bctx *bc;
    char *p;
    size_t len, cap;
} obuf;

static int ob_put(obuf *b, const char *s, size_t n)
{
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        while (nc < b->len + n) nc *= 2;
        char *np = gh_arena_realloc(b->bc->arena, b->p, b->cap, nc);
        if (!np) return GH_ENOMEM;
        b->p = np;
        b->cap = nc;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

static bool is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Go's Regexp.expand for a string template. */
static int expand(obuf *b, const bi_re *re, const char *tpl, size_t tn, const char *src, const long *m)
{
    int ng = bi_re_ngroups(re);
    for (size_t i = 0; i < tn;) {
        const char *d = memchr(tpl + i, '$', tn - i);
        size_t lit = d ? (size_t)(d - (tpl + i)) : tn - i;
        int rc = ob_put(b, tpl + i, lit);
        if (rc || !d) return rc;
        i += lit + 1;
        if (i < tn && tpl[i] == '$') {
            rc = ob_put(b, "$", 1);
            i++;
            if (rc) return rc;
            continue;
        }
        size_t ns, ne, next;
        bool ok = false;
        if (i < tn && tpl[i] == '{') {
            ns = i + 1;
            ne = ns;
            while (ne < tn && is_word(tpl[ne])) ne++;
            ok = ne > ns && ne < tn && tpl[ne] == '}';
            next = ne + 1;
        } else {
            ns = i;
            ne = ns;
            while (ne < tn && is_word(tpl[ne])) ne++;
            ok = ne > ns;
            next = ne;
        }
        if (!ok) {
            rc = ob_put(b, "$", 1);
            if (rc) return rc;
            continue;
        }
        i = next;
        int g = -1;
        bool digits = true;
        long num = 0;
        for (size_t k = ns; k < ne; k++) {
            if (tpl[k] < '0' || tpl[k] > '9') digits = false;
            else if (num < 100000000) num = num * 10 + (tpl[k] - '0');
        }
        if (digits) g = num <= ng ? (int)num : -1;
        else g = bi_re_group(re, tpl + ns, ne - ns);
        if (g >= 0 && m[2 * g] >= 0) {
            rc = ob_put(b, src + m[2 * g], (size_t)(m[2 * g + 1] - m[2 * g]));
            if (rc) return rc;
        }
    }
    return 0;
}

static int bi_replace(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    size_t sn, pn, tn;
    const char *s = gh_string_ptr(args[0], &sn);
    if (!s) return bi_type_err(bc, "regex.replace", 1, args[0], "string");
    const char *pat = gh_string_ptr(args[1], &pn);
    if (!pat) return bi_type_err(bc, "regex.replace", 2, args[1], "string");
    const char *tpl = gh_string_ptr(args[2], &tn);
    if (!tpl) return bi_type_err(bc, "regex.replace", 3, args[2], "string");
    int rc = 0;
    bi_re *own;
    const bi_re *re = get_re(bc, "regex.replace", pat, pn, &own, &rc);
    if (!re) return rc;
    long *m = gh_arena_alloc(bc->arena, sizeof(long) * 2 * (size_t)(bi_re_ngroups(re) + 1));
    obuf b = {.bc = bc};
    size_t last = 0, pos = 0;
    bool any = false;
    if (!m) rc = GH_ENOMEM;
    while (!rc && pos <= sn && bi_re_find(re, s, sn, pos, m)) {
        any = true;
        rc = ob_put(&b, s + last, (size_t)m[0] - last);
        if (!rc && ((size_t)m[1] > last || m[0] == 0)) rc = expand(&b, re, tpl, tn, s, m);
        last = (size_t)m[1];
        uint32_t r;
        size_t w = pos < sn ? bi_utf8_decode(s + pos, sn - pos, &r) : 0;
        if (pos + w > (size_t)m[1]) pos += w;
        else if (pos + 1 > (size_t)m[1]) pos++;
        else pos = (size_t)m[1];
    }
    if (!rc) rc = ob_put(&b, s + last, sn - last);
    bi_re_free(own);
    if (rc) return rc;
    if (!any) return bi_ret(out, args[0]);
    return bi_ret(out, bi_str(bc, b.p ? b.p : "", b.len));
}

/* ---- regex.template_match: literal text with delimited regular expressions ---- */

/* Go's regexp.QuoteMeta into b. */
static int quote_meta(obuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = 0;
        if (strchr("\\.+*?()|[]{}^$", s[i]) && s[i]) rc = ob_put(b, "\\", 1);
        if (!rc) rc = ob_put(b, s + i, 1);
        if (rc) return rc;
    }
    return 0;
}

static int bi_template_match(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "regex.template_match";
    size_t tn, sn, dsn, den;
    const char *tpl = gh_string_ptr(args[0], &tn), *s, *ds, *de;
    if (!tpl) return bi_type_err(bc, name, 1, args[0], "string");
    if (!(s = gh_string_ptr(args[1], &sn))) return bi_type_err(bc, name, 2, args[1], "string");
    if (!(ds = gh_string_ptr(args[2], &dsn))) return bi_type_err(bc, name, 3, args[2], "string");
    if (!(de = gh_string_ptr(args[3], &den))) return bi_type_err(bc, name, 4, args[3], "string");
    if (dsn != 1)
        return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: start delimiter has to be exactly one character long but is %zu long", name, dsn);
    if (den != 1) /* OPA reports the start delimiter's length here too */
        return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: end delimiter has to be exactly one character long but is %zu long", name, dsn);
    /* the pattern: ^ literal (re) literal (re) ... literal $ */
    obuf b = {.bc = bc};
    int level = 0, rc = ob_put(&b, "^", 1);
    size_t lit = 0, open = 0;
    for (size_t i = 0; i < tn && !rc; i++) {
        if (tpl[i] == ds[0]) {
            if (++level == 1) open = i;
        } else if (tpl[i] == de[0]) {
            if (--level == 0) {
                rc = quote_meta(&b, tpl + lit, open - lit);
                if (!rc) rc = ob_put(&b, "(", 1);
                if (!rc) rc = ob_put(&b, tpl + open + 1, i - open - 1);
                if (!rc) rc = ob_put(&b, ")", 1);
                lit = i + 1;
            } else if (level < 0) {
                level = -1;
                break;
            }
        }
    }
    if (rc) return rc;
    if (level != 0)
        return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: unbalanced braces in \"%.*s\"", name, (int)(tn > 300 ? 300 : tn), tpl);
    rc = quote_meta(&b, tpl + lit, tn - lit);
    if (!rc) rc = ob_put(&b, "$", 1);
    if (rc) return rc;
    bi_re *own;
    const bi_re *re = get_re(bc, name, b.p, b.len, &own, &rc);
    if (!re) return rc;
    *out = gh_value_bool(bi_re_test(re, s, sn));
    bi_re_free(own);
    return 0;
}

static const gh_builtin table[] = {
    BI_FN("regex.template_match", 4, "(string, string, string, string) => boolean", bi_template_match),
    BI_FN("regex.match", 2, "(string, string) => boolean", bi_match),
    BI_FNF("re_match", 2, "(string, string) => boolean", bi_re_match, GH_BI_DEPRECATED),
    BI_FN("regex.is_valid", 1, "(string) => boolean", bi_is_valid),
    BI_FN("regex.split", 2, "(string, string) => array[string]", bi_split),
    BI_FN("regex.find_n", 3, "(string, string, number) => array[string]", bi_find_n),
    BI_FN("regex.find_all_string_submatch_n", 3,
          "(string, string, number) => array[array[string]]", bi_find_all_submatch),
    BI_FN("regex.replace", 3, "(string, string, string) => string", bi_replace),
};
BI_FAMILY(regex, table);
