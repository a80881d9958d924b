/* OPA's type language for builtin declarations: parses each table entry's decl string once
 * (at registry build time) into gh_btype trees, and answers the compiler's questions about
 * them (can two types meet, does a value have a type, how OPA prints a type). */
#include "builtins/bi_internal.h"

#include <stdio.h>
#include <stdlib.h>

static gh_arena type_arena; /* lives for the process: the parsed declarations */
static gh_bsig *sigs;

static const gh_btype t_any = {.mask = GH_TM_ANY, .is_any = true};

typedef struct tparser {
    const char *p;
    bool bad;
} tparser;

static void skip_ws(tparser *tp)
{
    while (*tp->p == ' ') tp->p++;
}

static bool eat(tparser *tp, const char *tok)
{
    skip_ws(tp);
    size_t n = strlen(tok);
    if (strncmp(tp->p, tok, n) != 0) return false;
    tp->p += n;
    return true;
}

static gh_btype *tnew(void)
{
    return gh_arena_calloc(&type_arena, 1, sizeof(gh_btype));
}

static const gh_btype *parse_type(tparser *tp);

/* Comma-separated list up to `close`, parsed with item(). */
static size_t parse_list(tparser *tp, const char *close, const gh_btype **items, size_t max,
                         const char **names)
{
    size_t n = 0;
    if (eat(tp, close)) return 0;
    do {
        if (n == max) {
            tp->bad = true;
            return n;
        }
        if (names) { /* object<name: type, ...> */
            skip_ws(tp);
            const char *s = tp->p;
            while (*tp->p && *tp->p != ':') tp->p++;
            names[n] = gh_arena_strndup(&type_arena, s, (size_t)(tp->p - s));
            if (!eat(tp, ":")) tp->bad = true;
        }
        items[n++] = parse_type(tp);
    } while (!tp->bad && eat(tp, ","));
    if (!eat(tp, close)) tp->bad = true;
    return n;
}

static void set_items(gh_btype *t, const gh_btype **items, size_t n, const char **names)
{
    t->n = n;
    const gh_btype **it = gh_arena_alloc(&type_arena, (n ? n : 1) * sizeof *it);
    memcpy(it, items, n * sizeof *it);
    t->items = (const gh_btype *const *)it;
    if (names) {
        const char **nm = gh_arena_alloc(&type_arena, (n ? n : 1) * sizeof *nm);
        memcpy(nm, names, n * sizeof *nm);
        t->names = (const char *const *)nm;
    }
}

static const gh_btype *parse_type(tparser *tp)
{
    const gh_btype *items[16];
    const char *names[16];
    gh_btype *t;
    if (eat(tp, "any<")) {
        t = tnew();
        size_t n = parse_list(tp, ">", items, 16, NULL);
        t->is_union = true;
        for (size_t i = 0; i < n; i++) t->mask |= items[i]->mask;
        set_items(t, items, n, NULL);
        return t;
    }
    if (eat(tp, "any")) return &t_any;
    static const struct { const char *name; gh_kind k; } scalars[] = {
        {"null", GH_KIND_NULL}, {"boolean", GH_KIND_BOOL}, {"number", GH_KIND_NUMBER},
        {"string", GH_KIND_STRING},
    };
    for (size_t i = 0; i < 4; i++)
        if (eat(tp, scalars[i].name)) {
            t = tnew();
            t->mask = GH_TM(scalars[i].k);
            return t;
        }
    t = tnew();
    if (eat(tp, "array")) {
        t->mask = GH_TM(GH_KIND_ARRAY);
        if (eat(tp, "<")) set_items(t, items, parse_list(tp, ">", items, 16, NULL), NULL);
        if (eat(tp, "[")) {
            t->elem = parse_type(tp);
            if (!eat(tp, "]")) tp->bad = true;
        }
    } else if (eat(tp, "set[")) {
        t->mask = GH_TM(GH_KIND_SET);
        t->elem = parse_type(tp);
        if (!eat(tp, "]")) tp->bad = true;
    } else if (eat(tp, "object")) {
        t->mask = GH_TM(GH_KIND_OBJECT);
        if (eat(tp, "<")) set_items(t, items, parse_list(tp, ">", items, 16, names), names);
        if (eat(tp, "[")) {
            t->key = parse_type(tp);
            if (!eat(tp, ":")) tp->bad = true;
            t->elem = parse_type(tp);
            if (!eat(tp, "]")) tp->bad = true;
        }
    } else {
        tp->bad = true;
        return &t_any;
    }
    return t;
}

/* "(T, T...) => R", "(T...) => R" (variadic), R may be "void". */
static void parse_sig(const char *decl, gh_bsig *sig)
{
    tparser tp = {.p = decl ? decl : "", .bad = false};
    const gh_btype *args[16];
    size_t n = 0;
    if (!eat(&tp, "(")) tp.bad = true;
    if (!tp.bad && !eat(&tp, ")")) {
        do {
            const gh_btype *t = parse_type(&tp);
            if (eat(&tp, "...")) {
                sig->variadic = t;
                break;
            }
            if (n < 16) args[n++] = t;
        } while (!tp.bad && eat(&tp, ","));
        if (!eat(&tp, ")")) tp.bad = true;
    }
    if (!eat(&tp, "=>")) tp.bad = true;
    sig->result = eat(&tp, "void") ? NULL : parse_type(&tp);
    const gh_btype **a = gh_arena_alloc(&type_arena, (n ? n : 1) * sizeof *a);
    memcpy(a, args, n * sizeof *a);
    sig->args = (const gh_btype *const *)a;
    sig->nargs = n;
    if (tp.bad) /* a table bug: keep the arity, accept anything */
        fprintf(stderr, "gatehouse: builtin declaration does not parse: %s\n", decl);
}

void bi_btype_init(const gh_builtin *const *bs, size_t n)
{
    gh_arena_init(&type_arena, 0);
    sigs = gh_arena_calloc(&type_arena, n ? n : 1, sizeof *sigs);
    for (size_t i = 0; i < n; i++) parse_sig(bs[i]->decl, &sigs[i]);
}

const gh_bsig *bi_btype_sig(size_t i)
{
    return &sigs[i];
}

/* ---- questions ---- */

static bool alt_meets(const gh_btype *a, const gh_btype *b);

bool gh_btype_meets(const gh_btype *a, const gh_btype *b)
{
    if (!a || !b || a->is_any || b->is_any) return true;
    if (a->is_union) {
        for (size_t i = 0; i < a->n; i++)
            if (gh_btype_meets(a->items[i], b)) return true;
        return false;
    }
    if (b->is_union) {
        for (size_t i = 0; i < b->n; i++)
            if (gh_btype_meets(a, b->items[i])) return true;
        return false;
    }
    return alt_meets(a, b);
}

/* Two single-kind types: same kind, and element types that can meet. Static parts are
 * checked loosely (a static array meets a dynamic one when every item meets the element). */
static bool alt_meets(const gh_btype *a, const gh_btype *b)
{
    if (!(a->mask & b->mask)) return false;
    if (a->mask == GH_TM(GH_KIND_ARRAY)) {
        if (a->n && b->n) {
            if (a->n != b->n && !(a->elem || b->elem)) return false;
            for (size_t i = 0; i < a->n && i < b->n; i++)
                if (!gh_btype_meets(a->items[i], b->items[i])) return false;
            return true;
        }
        const gh_btype *st = a->n ? a : b, *dy = a->n ? b : a;
        for (size_t i = 0; i < st->n; i++)
            if (dy->elem && !gh_btype_meets(st->items[i], dy->elem)) return false;
        if (a->elem && b->elem) return gh_btype_meets(a->elem, b->elem);
        return true;
    }
    if (a->mask == GH_TM(GH_KIND_SET)) return gh_btype_meets(a->elem, b->elem);
    if (a->mask == GH_TM(GH_KIND_OBJECT)) {
        if (a->key && b->key && !gh_btype_meets(a->key, b->key)) return false;
        if (a->elem && b->elem && !gh_btype_meets(a->elem, b->elem)) return false;
        return true;
    }
    return true;
}

bool gh_btype_accepts(const gh_btype *t, const gh_value *v)
{
    if (!t || t->is_any) return true;
    if (t->is_union) {
        for (size_t i = 0; i < t->n; i++)
            if (gh_btype_accepts(t->items[i], v)) return true;
        return false;
    }
    gh_kind k = gh_value_kind(v);
    if (!(t->mask & GH_TM(k))) return false;
    size_t n = gh_value_len(v);
    switch (k) {
    case GH_KIND_ARRAY:
        if (t->n && !t->elem && n != t->n) return false;
        for (size_t i = 0; i < n; i++) {
            const gh_btype *et = i < t->n ? t->items[i] : t->elem;
            if (et && !gh_btype_accepts(et, gh_array_get(v, i))) return false;
        }
        return true;
    case GH_KIND_SET:
        for (size_t i = 0; i < n && t->elem; i++)
            if (!gh_btype_accepts(t->elem, gh_set_item_at(v, i))) return false;
        return true;
    case GH_KIND_OBJECT:
        for (size_t i = 0; i < n; i++) {
            const gh_value *key = gh_object_key_at(v, i), *val = gh_object_value_at(v, i);
            size_t kl;
            const char *ks = gh_string_ptr(key, &kl);
            const gh_btype *vt = t->elem;
            bool found = false;
            for (size_t j = 0; ks && j < t->n; j++)
                if (strlen(t->names[j]) == kl && memcmp(t->names[j], ks, kl) == 0) {
                    vt = t->items[j];
                    found = true;
                }
            if (!found && t->key && !gh_btype_accepts(t->key, key)) return false;
            if (!found && t->n && !t->key && !t->elem) return false;
            if (vt && !gh_btype_accepts(vt, val)) return false;
        }
        return true;
    default: return true;
    }
}

static void write_list(gh_buf *out, const gh_btype *t)
{
    for (size_t i = 0; i < t->n; i++) {
        if (i) gh_buf_puts(out, ", ");
        if (t->names) {
            gh_buf_puts(out, t->names[i]);
            gh_buf_puts(out, ": ");
        }
        gh_btype_write(out, t->items[i]);
    }
}

int gh_btype_write(gh_buf *out, const gh_btype *t)
{
    if (!t || t->is_any) return gh_buf_puts(out, "any");
    if (t->is_union) {
        gh_buf_puts(out, "any<");
        write_list(out, t);
        return gh_buf_puts(out, ">");
    }
    switch (t->mask) {
    case GH_TM(GH_KIND_NULL): return gh_buf_puts(out, "null");
    case GH_TM(GH_KIND_BOOL): return gh_buf_puts(out, "boolean");
    case GH_TM(GH_KIND_NUMBER): return gh_buf_puts(out, "number");
    case GH_TM(GH_KIND_STRING): return gh_buf_puts(out, "string");
    case GH_TM(GH_KIND_SET):
        gh_buf_puts(out, "set[");
        gh_btype_write(out, t->elem);
        return gh_buf_puts(out, "]");
    case GH_TM(GH_KIND_ARRAY):
    case GH_TM(GH_KIND_OBJECT): {
        bool obj = t->mask == GH_TM(GH_KIND_OBJECT);
        gh_buf_puts(out, obj ? "object" : "array");
        if (t->n || (!t->elem && !t->key)) {
            gh_buf_puts(out, "<");
            write_list(out, t);
            gh_buf_puts(out, ">");
        }
        if (t->elem || t->key) {
            gh_buf_puts(out, "[");
            if (obj) {
                gh_btype_write(out, t->key);
                gh_buf_puts(out, ": ");
            }
            gh_btype_write(out, t->elem);
            gh_buf_puts(out, "]");
        }
        return out->failed ? GH_ENOMEM : 0;
    }
    }
    return gh_buf_puts(out, "any");
}
