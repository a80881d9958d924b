/* regex.globs_match: whether two globs (the "regex-like" dialect of OPA's glob-intersection
 * dependency: characters, `.`, `[...]` sets with ranges, `*` and `+` flags, `\` escapes)
 * match some common non-empty string. The tokenizer's errors and the intersection walk
 * (trim the common ends, then gobble tokens under a flag) follow that library, so the
 * answers agree with OPA's, including its approximations. */
#include "builtins/bi_internal.h"

#include <stdio.h>

#define NAME       "regex.globs_match"
#define MAX_RANGES 4096 /* set ranges over both globs */

enum { GT_CHAR, GT_DOT, GT_SET };
enum { GF_NONE, GF_PLUS, GF_STAR };

typedef struct grange {
    uint32_t lo, hi;
} grange;

typedef struct gtok {
    int type, flag;
    uint32_t r;           /* GT_CHAR */
    const grange *ranges; /* GT_SET */
    size_t nr;
} gtok;

typedef struct glob {
    gtok *t;
    size_t n;
} glob;

/* ---- tokenizing ---- */

typedef struct gin {
    gh_bctx *bc;
    const char *text; /* the pattern, for messages */
    size_t len;
    uint32_t *runes;
    size_t n;
    grange *rbuf;
    size_t nr, rcap;
} gin;

static int invalid(gin *g, size_t pos, const char *what)
{
    return gh_builtin_error(g->bc, GH_ERR_BUILTIN,
                            "%s: input:%.*s, pos:%zu, %s: the input provided is invalid", NAME,
                            (int)g->len, g->text, pos, what);
}

/* Next rune at *i (honouring a backslash escape). Returns 0, 1 at the end, or an error. */
static int next_rune(gin *g, size_t *i, uint32_t *r, bool *esc)
{
    if (*i >= g->n) return 1;
    if (g->runes[*i] == '\\') {
        if (*i == g->n - 1) return invalid(g, *i, "input ends with a \\ (escape) character");
        *r = g->runes[*i + 1], *esc = true, *i += 2;
        return 0;
    }
    *r = g->runes[*i], *esc = false, *i += 1;
    return 0;
}

static int add_range(gin *g, uint32_t lo, uint32_t hi)
{
    if (g->nr == g->rcap)
        return gh_builtin_error(g->bc, GH_ERR_BUILTIN, "%s: pattern too complex", NAME);
    g->rbuf[g->nr++] = (grange){lo, hi};
    return 0;
}

/* After '[': ranges up to ']' (at *i on return, past it). */
static int token_set(gin *g, size_t *i, gtok *t)
{
    size_t start = g->nr;
    uint32_t r = 0, prev = 0;
    bool esc = false, prev_ok = false, complete = false;
    int rc;
    while ((rc = next_rune(g, i, &r, &esc)) == 0) {
        if (!esc && r == '-') {
            if (!prev_ok)
                return invalid(g, *i,
                               "range character '-' must be preceded by a Unicode character");
            if (*i >= g->n - 1)
                return invalid(g, *i,
                               "range character '-' must be followed by a Unicode character");
            if ((rc = next_rune(g, i, &r, &esc)) < 0) return rc;
            if (!esc && (r == ']' || r == '-'))
                return invalid(g, *i, "range character '-' cannot be followed by a special symbol");
            if (r < prev) {
                char m[96], a[4], b[4];
                size_t an = bi_utf8_encode(r, a), bn = bi_utf8_encode(prev, b);
                snprintf(m, sizeof m,
                         "range is out of order: '%.*s' comes before '%.*s' in Unicode", (int)an, a,
                         (int)bn, b);
                return invalid(g, *i, m);
            }
            if ((rc = add_range(g, prev, r))) return rc;
            prev_ok = false;
        } else if (!esc && r == ']') {
            complete = true;
            break;
        } else {
            if ((rc = add_range(g, r, r))) return rc;
            prev = r, prev_ok = true;
        }
    }
    if (rc < 0) return rc;
    if (!complete) return invalid(g, *i, "found [ without matching ]");
    t->type = GT_SET, t->ranges = g->rbuf + start, t->nr = g->nr - start;
    return 0;
}

static int tokenize(gin *g, glob *out)
{
    out->t = (gtok *)bi_bytes(g->bc, (g->n ? g->n : 1) * sizeof(gtok));
    out->n = 0;
    if (!out->t) return BI_NOMEM;
    size_t i = 0;
    for (;;) {
        uint32_t r = 0;
        bool esc = false;
        int rc = next_rune(g, &i, &r, &esc);
        if (rc == 1) return 0;
        if (rc) return rc;
        gtok t = {GT_CHAR, GF_NONE, r, NULL, 0};
        if (!esc && r == '.') {
            t.type = GT_DOT;
        } else if (!esc && r == ']') {
            return invalid(g, i, "set-close ']' with no preceding '['");
        } else if (!esc && r == '[') {
            if ((rc = token_set(g, &i, &t))) return rc;
        } else if (!esc && (r == '+' || r == '*')) {
            char m[64];
            snprintf(m, sizeof m, "flag '%c' must be preceded by a non-flag", (char)r);
            return invalid(g, i, m);
        }
        /* an unescaped flag right after */
        if (i < g->n && (g->runes[i] == '+' || g->runes[i] == '*')) {
            t.flag = g->runes[i] == '+' ? GF_PLUS : GF_STAR;
            i++;
        }
        out->t[out->n++] = t;
    }
}

static bool tok_equal(const gtok *a, const gtok *b)
{
    if (a->type != b->type) return false;
    if (a->type == GT_CHAR) return a->r == b->r;
    if (a->type == GT_DOT) return true;
    if (a->nr != b->nr) return false; /* sets: same ranges in the same order (conservative) */
    for (size_t i = 0; i < a->nr; i++)
        if (a->ranges[i].lo != b->ranges[i].lo || a->ranges[i].hi != b->ranges[i].hi) return false;
    return true;
}

/* Merges neighbouring flagged copies of one token when one of them is starred (x*x* is
 * x*, x*x+ and x+x* are x+): the same language, fewer branches to walk. */
static void simplify(glob *g)
{
    size_t o = 0;
    for (size_t i = 0; i < g->n; i++) {
        gtok *last = o ? &g->t[o - 1] : NULL;
        gtok *t = &g->t[i];
        if (last && last->flag != GF_NONE && t->flag != GF_NONE && tok_equal(last, t) &&
            (last->flag == GF_STAR || t->flag == GF_STAR)) {
            if (t->flag == GF_PLUS) last->flag = GF_PLUS;
            continue;
        }
        g->t[o++] = *t;
    }
    g->n = o;
}

/* ---- matching ---- */

static bool set_has(const gtok *s, uint32_t r)
{
    for (size_t i = 0; i < s->nr; i++)
        if (r >= s->ranges[i].lo && r <= s->ranges[i].hi) return true;
    return false;
}

static bool match(const gtok *a, const gtok *b)
{
    if (a->type > b->type) {
        const gtok *t = a;
        a = b, b = t;
    }
    if (a->type == GT_CHAR) {
        if (b->type == GT_CHAR) return a->r == b->r;
        if (b->type == GT_DOT) return true;
        return set_has(b, a->r);
    }
    if (a->type == GT_DOT) return true;
    for (size_t i = 0; i < a->nr; i++)
        for (size_t j = 0; j < b->nr; j++)
            if (a->ranges[i].lo <= b->ranges[j].hi && b->ranges[j].lo <= a->ranges[i].hi)
                return true;
    return false;
}

typedef struct walk {
    size_t steps; /* bounds the backtracking */
} walk;

#define MAX_STEPS 1000000

static int inter_normal(walk *w, const gtok *g1, size_t n1, const gtok *g2, size_t n2);

static int inter_star(walk *w, const gtok *st, size_t ns, const gtok *o, size_t no)
{
    const gtok *next = ns > 1 ? &st[1] : NULL;
    for (size_t i = 0; i < no; i++) {
        if (++w->steps > MAX_STEPS) return -1;
        if (next && match(&o[i], next)) {
            int r = inter_normal(w, st + 1, ns - 1, o + i, no - i);
            if (r) return r;
        }
        if (!match(&o[i], &st[0])) return 0;
    }
    return next == NULL;
}

static int inter_plus(walk *w, const gtok *pl, size_t np, const gtok *o, size_t no)
{
    if (no == 0 || !match(&pl[0], &o[0])) return 0;
    int r = inter_star(w, pl, np, o + 1, no - 1);
    if (r) return r;
    return o[0].flag != GF_NONE ? inter_normal(w, pl + 1, np - 1, o, no) : 0;
}

static int inter_special(walk *w, const gtok *g1, size_t n1, const gtok *g2, size_t n2)
{
    if (g1[0].flag != GF_NONE)
        return g1[0].flag == GF_PLUS ? inter_plus(w, g1, n1, g2, n2)
                                     : inter_star(w, g1, n1, g2, n2);
    return g2[0].flag == GF_PLUS ? inter_plus(w, g2, n2, g1, n1) : inter_star(w, g2, n2, g1, n1);
}

/* 1 when the globs intersect, 0 when not, -1 when the walk took too long. */
static int inter_normal(walk *w, const gtok *g1, size_t n1, const gtok *g2, size_t n2)
{
    size_t i = 0, j = 0;
    for (; i < n1 && j < n2; i++, j++) {
        if (++w->steps > MAX_STEPS) return -1;
        if (g1[i].flag == GF_NONE && g2[j].flag == GF_NONE) {
            if (!match(&g1[i], &g2[j])) return 0;
        } else {
            return inter_special(w, g1 + i, n1 - i, g2 + j, n2 - j);
        }
    }
    return i == n1 && j == n2;
}

/* Drops the unflagged common prefix and suffix (keeping one token of each), or says the
 * globs cannot intersect. */
static bool trim(glob *a, glob *b)
{
    size_t l = 0;
    for (; l < a->n && l < b->n && a->t[l].flag == GF_NONE && b->t[l].flag == GF_NONE; l++)
        if (!match(&a->t[l], &b->t[l])) return false;
    if (l > 0) l--;
    ptrdiff_t r1 = (ptrdiff_t)a->n - 1, r2 = (ptrdiff_t)b->n - 1;
    for (; r1 >= (ptrdiff_t)l && r2 >= (ptrdiff_t)l && a->t[r1].flag == GF_NONE &&
           b->t[r2].flag == GF_NONE;
         r1--, r2--)
        if (!match(&a->t[r1], &b->t[r2])) return false;
    if (r1 < (ptrdiff_t)a->n - 1) r1++, r2++;
    /* Go slices g[l : r+1]; r+1 < l would panic there, it cannot happen for r1 >= l - 1 */
    a->t += l, a->n = r1 + 1 > (ptrdiff_t)l ? (size_t)(r1 + 1) - l : 0;
    b->t += l, b->n = r2 + 1 > (ptrdiff_t)l ? (size_t)(r2 + 1) - l : 0;
    return true;
}

static int load(gh_bctx *bc, const char *s, size_t n, grange *rbuf, size_t *nr, glob *out)
{
    gin g = {bc, s, n, NULL, 0, rbuf, *nr, MAX_RANGES};
    g.runes = (uint32_t *)bi_bytes(bc, (n ? n : 1) * sizeof(uint32_t));
    if (!g.runes) return BI_NOMEM;
    for (size_t i = 0; i < n;) {
        uint32_t r;
        i += bi_utf8_decode(s + i, n - i, &r);
        g.runes[g.n++] = r;
    }
    int rc = tokenize(&g, out);
    *nr = g.nr;
    if (!rc) simplify(out);
    return rc;
}

static int bi_globs_match(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int rc = 0;
    size_t n1, n2;
    const char *s1 = bi_str_arg(bc, NAME, args, 1, &n1, &rc);
    if (!s1) return rc;
    const char *s2 = bi_str_arg(bc, NAME, args, 2, &n2, &rc);
    if (!s2) return rc;
    grange *rbuf = (grange *)bi_bytes(bc, MAX_RANGES * sizeof(grange));
    if (!rbuf) return BI_NOMEM;
    size_t nr = 0;
    glob a, b;
    if ((rc = load(bc, s1, n1, rbuf, &nr, &a)) || (rc = load(bc, s2, n2, rbuf, &nr, &b))) return rc;
    bool res = false;
    if (trim(&a, &b)) {
        walk w = {0};
        int r = a.n && b.n ? inter_normal(&w, a.t, a.n, b.t, b.n) : a.n == b.n;
        if (r < 0)
            return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: globs too complex to intersect", NAME);
        res = r == 1;
    }
    *out = gh_value_bool(res);
    return 0;
}

static const gh_builtin table[] = {
    BI_FN("regex.globs_match", 2, "(string, string) => boolean", bi_globs_match),
};

BI_FAMILY(globs, table);
