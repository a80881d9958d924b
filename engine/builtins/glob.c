/* glob.match and glob.quote_meta with the semantics of gobwas/glob (which OPA uses):
 * `*` any run of non-delimiter characters, `**` any run at all, `?` one non-delimiter
 * character, `[abc]` `[a-z]` `[!...]` classes, `{a,b}` alternatives (nesting), `\` escapes;
 * the whole string must match. A pattern is translated once to an RE2 expression and kept in
 * the pattern cache. Delimiters: null = none, [] = ["."]. */
#include "builtins/bi_internal.h"
#include "builtins/regex_shim.h"

#include <stdio.h>

typedef struct gbuf {
    gh_bctx *bc;
    char *p;
    size_t len, cap;
    bool oom;
} gbuf;

static void gput(gbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 128;
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

static void gputs(gbuf *b, const char *s)
{
    gput(b, s, strlen(s));
}

/* A rune as an RE2 literal (inside or outside a class). */
static void put_lit(gbuf *b, uint32_t r)
{
    char tmp[16];
    if (r < 0x80 && !((r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))) {
        snprintf(tmp, sizeof tmp, "\\x{%x}", r);
        gputs(b, tmp);
        return;
    }
    size_t n = bi_utf8_encode(r, tmp);
    gput(b, tmp, n);
}

typedef struct gparse {
    const char *s;
    size_t n, i;
    const uint32_t *delims;
    size_t nd;
    const char *err;
} gparse;

static void put_not_delims(gbuf *b, const gparse *g)
{
    if (g->nd == 0) {
        gputs(b, "(?s:.)");
        return;
    }
    gputs(b, "[^");
    for (size_t k = 0; k < g->nd; k++) put_lit(b, g->delims[k]);
    gputs(b, "]");
}

static uint32_t next_rune(gparse *g)
{
    uint32_t r;
    g->i += bi_utf8_decode(g->s + g->i, g->n - g->i, &r);
    return r;
}

static void parse_class(gparse *g, gbuf *b)
{
    gputs(b, "[");
    if (g->i < g->n && g->s[g->i] == '!') {
        gputs(b, "^");
        g->i++;
    }
    bool any = false;
    while (g->i < g->n && g->s[g->i] != ']') {
        uint32_t lo = next_rune(g);
        if (lo == '\\' && g->i < g->n) lo = next_rune(g);
        put_lit(b, lo);
        if (g->i + 1 < g->n && g->s[g->i] == '-' && g->s[g->i + 1] != ']') {
            g->i++;
            uint32_t hi = next_rune(g);
            if (hi < lo) g->err = "hi character should be greater than lo character";
            gputs(b, "-");
            put_lit(b, hi);
        }
        any = true;
    }
    if (g->i >= g->n) g->err = "unexpected end of input";
    else g->i++;
    if (!any && !g->err) g->err = "unexpected length of lo character";
    gputs(b, "]");
}

/* Translates until the end, or (inside braces) until an unbalanced ',' or '}'. */
static void parse_seq(gparse *g, gbuf *b, int depth)
{
    while (g->i < g->n && !g->err) {
        char c = g->s[g->i];
        if (depth > 0 && (c == ',' || c == '}')) return;
        if (c == '*') {
            g->i++;
            if (g->i < g->n && g->s[g->i] == '*') {
                while (g->i < g->n && g->s[g->i] == '*') g->i++;
                gputs(b, "(?s:.*)");
            } else {
                put_not_delims(b, g);
                gputs(b, "*");
            }
        } else if (c == '?') {
            g->i++;
            put_not_delims(b, g);
        } else if (c == '[') {
            g->i++;
            parse_class(g, b);
        } else if (c == '{') {
            g->i++;
            gputs(b, "(?:");
            for (;;) {
                parse_seq(g, b, depth + 1);
                if (g->err) return;
                if (g->i >= g->n) {
                    g->err = "unexpected end of input";
                    return;
                }
                if (g->s[g->i++] == '}') break;
                gputs(b, "|");
            }
            gputs(b, ")");
        } else {
            uint32_t r = next_rune(g);
            if (r == '\\') {
                if (g->i >= g->n) {
                    g->err = "unexpected end of input";
                    return;
                }
                r = next_rune(g);
            }
            put_lit(b, r);
        }
    }
}

static int bi_glob_match(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    size_t pn, sn;
    const char *pat = gh_string_ptr(args[0], &pn);
    if (!pat) return bi_type_err(bc, "glob.match", 1, args[0], "string");
    uint32_t delims[64];
    size_t nd = 0;
    const gh_value *dv = args[1];
    if (bi_is(dv, GH_KIND_ARRAY)) {
        size_t n = gh_value_len(dv);
        for (size_t i = 0; i < n; i++) {
            const gh_value *d = gh_array_get(dv, i);
            size_t dl;
            const char *ds = gh_string_ptr(d, &dl);
            if (!ds) return bi_elem_err(bc, "glob.match", 2, dv, d, "string");
            uint32_t r;
            if (dl == 0 || bi_utf8_decode(ds, dl, &r) != dl) return bi_elem_err(bc, "glob.match", 2, dv, d, "rune");
            if (nd < 64) delims[nd++] = r;
        }
        if (n == 0) delims[nd++] = '.';
    } else if (!bi_is(dv, GH_KIND_NULL)) {
        return bi_type_err(bc, "glob.match", 2, dv, "array, null");
    }
    const char *s = gh_string_ptr(args[2], &sn);
    if (!s) return bi_type_err(bc, "glob.match", 3, args[2], "string");

    /* cache key: pattern, NUL, the delimiters */
    char *key = bi_bytes(bc, pn + 1 + nd * 4);
    if (!key) return GH_ENOMEM;
    memcpy(key, pat, pn);
    key[pn] = '\0';
    size_t kn = pn + 1;
    for (size_t i = 0; i < nd; i++) kn += bi_utf8_encode(delims[i], key + kn);
    bi_re *re = bi_cache_get(bc, BI_CACHE_GLOB, key, kn), *own = NULL;
    if (!re) {
        gbuf b = {.bc = bc};
        gparse g = {.s = pat, .n = pn, .delims = delims, .nd = nd};
        gputs(&b, "^(?:");
        parse_seq(&g, &b, 0);
        gputs(&b, ")$");
        if (g.err) return bi_builtin_err(bc, "glob.match", g.err);
        if (b.oom) return GH_ENOMEM;
        char err[600];
        re = bi_re_compile(b.p, b.len, err, sizeof err);
        if (!re) return err[0] ? bi_builtin_err(bc, "glob.match", err) : GH_ENOMEM;
        if (!bi_cache_put(bc, BI_CACHE_GLOB, key, kn, re, bi_re_free)) own = re;
    }
    *out = gh_value_bool(bi_re_test(re, s, sn));
    bi_re_free(own);
    return 0;
}

/* gobwas's QuoteMeta: a backslash before each of * ? [ ] { } \ , ! - */
static int bi_quote_meta(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    size_t n;
    const char *s = gh_string_ptr(args[0], &n);
    if (!s) return bi_type_err(bc, "glob.quote_meta", 1, args[0], "string");
    char *d = bi_bytes(bc, 2 * n);
    if (!d) return GH_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (strchr("*?[]{}\\,!-", s[i]) && s[i]) d[o++] = '\\';
        d[o++] = s[i];
    }
    return bi_ret(out, bi_str(bc, d, o));
}

static const gh_builtin table[] = {
    BI_FN("glob.match", 3, "(string, any<array[string], null>, string) => boolean", bi_glob_match),
    BI_FN("glob.quote_meta", 1, "(string) => string", bi_quote_meta),
};
BI_FAMILY(glob, table);
