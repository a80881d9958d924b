/* GraphQL validation after vektah/gqlparser (OPA's copy): the schema as ValidateSchemaDocument
 * builds and checks it (prelude merged in, extensions applied, roots inferred), and the query
 * rules of its validator (fields, arguments, fragments, directives, variables, values), with
 * its messages. Both read the AST values graphql_parse.c builds (or a policy's objects). */
#include "builtins/graphql.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <strings.h>

/* ---- reading the AST ---- */

static const char *gstr(const gh_value *o, const char *key, size_t *n)
{
    size_t dummy;
    if (!n) n = &dummy;
    const gh_value *x = gq_get(o, key);
    const char *s = x ? gh_string_ptr(x, n) : NULL;
    if (!s) *n = 0;
    return s ? s : "";
}

/* An integer member (Kind, a position), or -1. */
static int64_t gint(const gh_value *v)
{
    int64_t x = -1;
    if (!v || !gh_number_get_int(v, &x)) return -1;
    return x;
}

static bool same(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

static size_t glen(const gh_value *o, const char *key)
{
    const gh_value *a = gq_get(o, key);
    return a && gh_value_kind(a) == GH_KIND_ARRAY ? gh_value_len(a) : 0;
}

static const gh_value *gat(const gh_value *o, const char *key, size_t i)
{
    const gh_value *a = gq_get(o, key);
    return a ? gh_array_get(a, i) : NULL;
}

/* The item of o[key] whose "Name" is name[0..n), or NULL. */
static const gh_value *by_name(const gh_value *o, const char *key, const char *name, size_t n)
{
    for (size_t i = 0; i < glen(o, key); i++) {
        size_t m;
        const char *s = gstr(gat(o, key, i), "Name", &m);
        if (same(s, m, name, n)) return gat(o, key, i);
    }
    return NULL;
}

/* A Type node's innermost name. */
static const char *type_name(const gh_value *t, size_t *n)
{
    for (int d = 0; t && d < GQ_MAX_DEPTH + 2; d++) {
        const char *s = gstr(t, "NamedType", n);
        if (*n) return s;
        t = gq_get(t, "Elem");
    }
    *n = 0;
    return "";
}

static bool nonnull(const gh_value *t)
{
    const gh_value *b = gq_get(t, "NonNull");
    return b && gh_value_get_bool(b);
}

/* Type.String(): Name, [Elem], with ! for non-null. */
static void type_text(const gh_value *t, char *buf, size_t cap)
{
    size_t o = 0;
    char tail[GQ_MAX_DEPTH * 2 + 4];
    size_t tn = 0;
    for (int d = 0; t && d < GQ_MAX_DEPTH + 2 && o + 2 < cap; d++) {
        size_t n;
        const char *s = gstr(t, "NamedType", &n);
        bool nn = nonnull(t);
        if (n || !gq_get(t, "Elem")) {
            o += (size_t)snprintf(buf + o, cap - o, "%.*s%s", (int)n, s, nn ? "!" : "");
            break;
        }
        buf[o++] = '[';
        if (tn + 2 < sizeof tail) {
            if (nn) tail[tn++] = '!';
            tail[tn++] = ']';
        }
        t = gq_get(t, "Elem");
    }
    while (tn && o + 1 < cap) buf[o++] = tail[--tn];
    buf[o < cap ? o : cap - 1] = 0;
}

/* ---- the schema ---- */

typedef struct gq_type {
    const char *name, *kind;
    size_t nlen;
    bool builtin;
    const gh_value *pos;
    const gh_value **fields, **ifaces, **types, **enums, **dirs;
    size_t nfields, nifaces, ntypes, nenums, ndirs;
} gq_type;

struct gq_schema {
    gq_type **types;
    size_t ntypes;
    const gh_value **dirs;
    size_t ndirs;
    gq_type *root[3]; /* query, mutation, subscription */
    const gh_value *meta;          /* a Definition holding __schema and __type (query root) */
    const gh_value *meta_typename; /* __typename: String, on every type */
};

typedef struct vctx {
    gh_bctx *bc;
    gq_schema *s;
    gq_error *err;
    bool failed, oom;
    size_t npre; /* the first npre types are the prelude's (BuiltIn) */
} vctx;

static void verr(vctx *v, const gh_value *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void verr(vctx *v, const gh_value *node, const char *fmt, ...)
{
    if (v->failed) return;
    v->failed = true;
    const gh_value *pos = gq_get(node, "Position");
    int64_t l = pos ? gint(gh_array_get(pos, 0)) : 0, c = pos ? gint(gh_array_get(pos, 1)) : 0;
    v->err->line = l < 0 ? 0 : (int)l, v->err->col = c < 0 ? 0 : (int)c;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->err->msg, sizeof v->err->msg, fmt, ap);
    va_end(ap);
}

/* Appends x to the arena array *arr of *n items (doubling at powers of two). */
static void add(vctx *v, const gh_value ***arr, size_t *n, const gh_value *x)
{
    if (!x) return;
    if ((*n & (*n - 1)) == 0) {
        const gh_value **na = bi_ptrs(v->bc, *n ? *n * 2 : 4);
        if (!na) {
            v->oom = true;
            return;
        }
        if (*n) memcpy(na, *arr, *n * sizeof *na);
        *arr = na;
    }
    (*arr)[(*n)++] = x;
}

static void add_all(vctx *v, const gh_value ***arr, size_t *n, const gh_value *o, const char *k)
{
    for (size_t i = 0; i < glen(o, k); i++) add(v, arr, n, gat(o, k, i));
}

static gq_type *gq_find(gq_schema *s, const char *name, size_t n)
{
    for (size_t i = 0; i < s->ntypes; i++)
        if (same(s->types[i]->name, s->types[i]->nlen, name, n)) return s->types[i];
    return NULL;
}

static const gh_value *find_dir(gq_schema *s, const char *name, size_t n)
{
    for (size_t i = 0; i < s->ndirs; i++) {
        size_t m;
        const char *d = gstr(s->dirs[i], "Name", &m);
        if (same(d, m, name, n)) return s->dirs[i];
    }
    return NULL;
}

static gq_type *new_type(vctx *v, const gh_value *def)
{
    gq_type *t = gh_arena_calloc(v->bc->arena, 1, sizeof *t);
    if (!t) {
        v->oom = true;
        return NULL;
    }
    t->name = gstr(def, "Name", &t->nlen);
    t->kind = gstr(def, "Kind", NULL);
    t->builtin = v->s->ntypes < v->npre;
    t->pos = def;
    if ((v->s->ntypes & (v->s->ntypes - 1)) == 0) {
        gq_type **nt = (gq_type **)bi_ptrs(v->bc, v->s->ntypes ? v->s->ntypes * 2 : 64);
        if (!nt) {
            v->oom = true;
            return NULL;
        }
        if (v->s->ntypes) memcpy(nt, v->s->types, v->s->ntypes * sizeof *nt);
        v->s->types = nt;
    }
    v->s->types[v->s->ntypes++] = t;
    return t;
}

static void merge_def(vctx *v, gq_type *t, const gh_value *d)
{
    add_all(v, &t->dirs, &t->ndirs, d, "Directives");
    add_all(v, &t->ifaces, &t->nifaces, d, "Interfaces");
    add_all(v, &t->fields, &t->nfields, d, "Fields");
    add_all(v, &t->types, &t->ntypes, d, "Types");
    add_all(v, &t->enums, &t->nenums, d, "EnumValues");
}

static bool kind_is(const gq_type *t, const char *k)
{
    return t && strcmp(t->kind, k) == 0;
}

static bool is_input_kind(const gq_type *t)
{
    return kind_is(t, "SCALAR") || kind_is(t, "ENUM") || kind_is(t, "INPUT_OBJECT");
}

static bool is_composite(const gq_type *t)
{
    return kind_is(t, "OBJECT") || kind_is(t, "INTERFACE") || kind_is(t, "UNION");
}

static const gh_value *field_of(const gq_type *t, const char *name, size_t n)
{
    for (size_t i = 0; t && i < t->nfields; i++) {
        size_t m;
        const char *s = gstr(t->fields[i], "Name", &m);
        if (same(s, m, name, n)) return t->fields[i];
    }
    return NULL;
}

static bool has_iface(const gq_type *t, const char *name, size_t n)
{
    for (size_t i = 0; i < t->nifaces; i++) {
        size_t m;
        const char *s = gh_string_ptr(t->ifaces[i], &m);
        if (s && same(s, m, name, n)) return true;
    }
    return false;
}

/* Whether `cand` is among the possible types of abstract type `of` (schema.PossibleTypes). */
static bool possible(vctx *v, const gq_type *of, const gq_type *cand)
{
    if (!of || !cand) return false;
    if (of == cand) return kind_is(of, "OBJECT") || kind_is(of, "INPUT_OBJECT");
    if (kind_is(of, "UNION")) {
        for (size_t i = 0; i < of->ntypes; i++) {
            size_t m;
            const char *s = gh_string_ptr(of->types[i], &m);
            if (s && same(s, m, cand->name, cand->nlen)) return true;
        }
        return false;
    }
    (void)v;
    return kind_is(of, "INTERFACE") && has_iface(cand, of->name, of->nlen);
}

/* ---- schema checks (validateDefinition and friends) ---- */

static bool check_name(vctx *v, const gh_value *node, const char *name, size_t n)
{
    if (n >= 2 && name[0] == '_' && name[1] == '_') {
        verr(v, node, "Name \"%.*s\" must not begin with \"__\", which is reserved by GraphQL introspection.",
             (int)n, name);
        return false;
    }
    return true;
}

static bool check_typeref(vctx *v, const gh_value *t)
{
    size_t n;
    const char *name = type_name(t, &n);
    if (gq_find(v->s, name, n)) return true;
    verr(v, t, "Undefined type %.*s.", (int)n, name);
    return false;
}

static bool check_directives(vctx *v, const gh_value *node, const char *loc, const gh_value *cur);

static bool check_args(vctx *v, const gh_value *owner, const gh_value *cur)
{
    for (size_t i = 0; i < glen(owner, "Arguments"); i++) {
        const gh_value *a = gat(owner, "Arguments", i);
        size_t n, tn;
        const char *name = gstr(a, "Name", &n);
        if (!check_name(v, a, name, n) || !check_typeref(v, gq_get(a, "Type"))) return false;
        const char *tname = type_name(gq_get(a, "Type"), &tn);
        gq_type *t = gq_find(v->s, tname, tn);
        if (!is_input_kind(t)) {
            char ts[256];
            type_text(gq_get(a, "Type"), ts, sizeof ts);
            verr(v, a, "cannot use %s as argument %.*s because %s is not a valid input type", ts,
                 (int)n, name, t->kind);
            return false;
        }
        if (!check_directives(v, a, "ARGUMENT_DEFINITION", cur)) return false;
    }
    return true;
}

static bool check_directives(vctx *v, const gh_value *node, const char *loc, const gh_value *cur)
{
    for (size_t i = 0; i < glen(node, "Directives"); i++) {
        const gh_value *d = gat(node, "Directives", i);
        size_t n, cn;
        const char *name = gstr(d, "Name", &n);
        if (!check_name(v, d, name, n)) return false;
        const char *cname = cur ? gstr(cur, "Name", &cn) : "";
        if (cur && same(name, n, cname, cn)) {
            verr(v, d, "Directive %.*s cannot refer to itself.", (int)cn, cname);
            return false;
        }
        const gh_value *def = find_dir(v->s, name, n);
        if (!def) {
            verr(v, d, "Undefined directive %.*s.", (int)n, name);
            return false;
        }
        bool ok = false;
        for (size_t j = 0; j < glen(def, "Locations"); j++) {
            size_t ln;
            const char *l = gh_string_ptr(gat(def, "Locations", j), &ln);
            if (l && same(l, ln, loc, strlen(loc))) ok = true;
        }
        if (!ok) {
            verr(v, d, "Directive %.*s is not applicable on %s.", (int)n, name, loc);
            return false;
        }
    }
    return true;
}

static bool covariant(vctx *v, const gh_value *req, const gh_value *act, int depth)
{
    if (!req || !act || depth > GQ_MAX_DEPTH) return false;
    if (nonnull(req) && !nonnull(act)) return false;
    size_t rn, an;
    const char *r = gstr(req, "NamedType", &rn), *a = gstr(act, "NamedType", &an);
    if (rn) {
        if (same(r, rn, a, an)) return true;
        return possible(v, gq_find(v->s, r, rn), gq_find(v->s, a, an));
    }
    if (gq_get(req, "Elem") && !gq_get(act, "Elem")) return false;
    return covariant(v, gq_get(req, "Elem"), gq_get(act, "Elem"), depth + 1);
}

/* Type.IsCompatible(other): same names and shape; a non-null `other` needs a non-null t.
 * Depth -1: the top level of `other` counts as nullable (a variable with a default). */
static bool compatible(const gh_value *t, const gh_value *other, int depth)
{
    bool relax = depth < 0;
    if (relax) depth = 0;
    if (!t || !other || depth > GQ_MAX_DEPTH) return false;
    size_t an, bn;
    const char *as = gstr(t, "NamedType", &an), *bs = gstr(other, "NamedType", &bn);
    if (!same(as, an, bs, bn)) return false;
    const gh_value *te = gq_get(t, "Elem"), *oe = gq_get(other, "Elem");
    if (te && !oe) return false;
    if (te && !compatible(te, oe, depth + 1)) return false;
    return nonnull(other) && !relax ? nonnull(t) : true;
}

static bool check_field_impl(vctx *v, gq_type *t, gq_type *it, const gh_value *rf)
{
    size_t fn;
    const char *fname = gstr(rf, "Name", &fn);
    const gh_value *ff = field_of(t, fname, fn);
    if (!ff) {
        verr(v, t->pos, "For %s to implement %s it must have a field called %.*s.", t->name,
             it->name, (int)fn, fname);
        return false;
    }
    if (!covariant(v, gq_get(rf, "Type"), gq_get(ff, "Type"), 0)) {
        char ts[256];
        type_text(gq_get(rf, "Type"), ts, sizeof ts);
        verr(v, ff, "For %s to implement %s the field %.*s must have type %s.", t->name, it->name,
             (int)fn, fname, ts);
        return false;
    }
    for (size_t i = 0; i < glen(rf, "Arguments"); i++) {
        const gh_value *ra = gat(rf, "Arguments", i);
        size_t an;
        const char *aname = gstr(ra, "Name", &an);
        const gh_value *fa = by_name(ff, "Arguments", aname, an);
        if (!fa || !compatible(gq_get(ra, "Type"), gq_get(fa, "Type"), 0)) {
            verr(v, fa ? fa : ff,
                 fa ? "For %s to implement %s the field %.*s must have the same arguments but %.*s has the wrong type."
                    : "For %s to implement %s the field %.*s must have the same arguments but it is missing %.*s.",
                 t->name, it->name, (int)fn, fname, (int)an, aname);
            return false;
        }
    }
    for (size_t i = 0; i < glen(ff, "Arguments"); i++) {
        const gh_value *fa = gat(ff, "Arguments", i);
        size_t an;
        const char *aname = gstr(fa, "Name", &an);
        if (!by_name(rf, "Arguments", aname, an) && nonnull(gq_get(fa, "Type")) &&
            !gq_get(fa, "DefaultValue")) {
            verr(v, fa, "For %s to implement %s any additional arguments on %.*s must be optional or have a default value but %.*s is required.",
                 t->name, it->name, (int)fn, fname, (int)an, aname);
            return false;
        }
    }
    return true;
}

static bool check_implements(vctx *v, gq_type *t, const gh_value *iname)
{
    size_t n;
    const char *name = gh_string_ptr(iname, &n);
    gq_type *it = name ? gq_find(v->s, name, n) : NULL;
    if (!it) {
        verr(v, t->pos, "Undefined type \"%.*s\".", (int)n, name ? name : "");
        return false;
    }
    if (!kind_is(it, "INTERFACE")) {
        verr(v, t->pos, "\"%.*s\" is a non interface type %s.", (int)n, name, it->kind);
        return false;
    }
    for (size_t i = 0; i < it->nfields; i++)
        if (!check_field_impl(v, t, it, it->fields[i])) return false;
    for (size_t i = 0; i < it->nifaces; i++) {
        size_t m;
        const char *tr = gh_string_ptr(it->ifaces[i], &m);
        if (!tr || has_iface(t, tr, m)) continue;
        if (same(tr, m, t->name, t->nlen))
            verr(v, t->pos, "Type %s cannot implement %.*s because it would create a circular reference.",
                 t->name, (int)n, name);
        else
            verr(v, t->pos, "Type %s must implement %.*s because it is implemented by %.*s.",
                 t->name, (int)m, tr, (int)n, name);
        return false;
    }
    return true;
}

static bool check_fields(vctx *v, gq_type *t)
{
    for (size_t i = 0; i < t->nfields; i++) {
        const gh_value *f = t->fields[i];
        size_t n;
        const char *name = gstr(f, "Name", &n);
        if (!check_name(v, f, name, n) || !check_typeref(v, gq_get(f, "Type")) ||
            !check_args(v, f, NULL) ||
            !check_directives(v, f, kind_is(t, "INPUT_OBJECT") ? "INPUT_FIELD_DEFINITION" : "FIELD_DEFINITION", NULL))
            return false;
    }
    for (size_t i = 0; i < t->ntypes; i++) {
        size_t n;
        const char *name = gh_string_ptr(t->types[i], &n);
        gq_type *m = name ? gq_find(v->s, name, n) : NULL;
        if (!m) {
            verr(v, t->pos, "Undefined type \"%.*s\".", (int)n, name ? name : "");
            return false;
        }
        if (!kind_is(m, "OBJECT")) {
            verr(v, t->pos, "%s type \"%.*s\" must be OBJECT.", t->kind, (int)n, name);
            return false;
        }
    }
    for (size_t i = 0; i < t->nifaces; i++)
        if (!check_implements(v, t, t->ifaces[i])) return false;
    return true;
}

static bool check_kind_rules(vctx *v, gq_type *t)
{
    bool obj = kind_is(t, "OBJECT") || kind_is(t, "INTERFACE"), in = kind_is(t, "INPUT_OBJECT");
    if ((obj || in) && !t->nfields) {
        verr(v, t->pos, "%s %s: must define one or more %s.", t->kind, t->name, in ? "input fields" : "fields");
        return false;
    }
    if (kind_is(t, "ENUM") && !t->nenums) {
        verr(v, t->pos, "%s %s: must define one or more unique enum values.", t->kind, t->name);
        return false;
    }
    for (size_t i = 0; i < t->nenums; i++) {
        size_t n;
        const char *e = gstr(t->enums[i], "Name", &n);
        if (same(e, n, "true", 4) || same(e, n, "false", 5) || same(e, n, "null", 4)) {
            verr(v, t->pos, "%s %s: non-enum value %.*s.", t->kind, t->name, (int)n, e);
            return false;
        }
    }
    for (size_t i = 0; (obj || in) && i < t->nfields; i++) {
        size_t n;
        const char *tn = type_name(gq_get(t->fields[i], "Type"), &n);
        gq_type *ft = gq_find(v->s, tn, n);
        if (!ft) continue;
        if (obj && kind_is(ft, "INPUT_OBJECT")) {
            verr(v, t->fields[i], "%s %s: field must be one of SCALAR, OBJECT, INTERFACE, UNION, ENUM.", t->kind, t->name);
            return false;
        }
        if (in && !is_input_kind(ft)) {
            size_t fn;
            const char *f = gstr(t->fields[i], "Name", &fn);
            verr(v, t->fields[i], "%s %.*s: field must be one of SCALAR, ENUM, INPUT_OBJECT.", ft->kind, (int)fn, f);
            return false;
        }
    }
    return true;
}

static bool check_def(vctx *v, gq_type *t)
{
    if (!check_fields(v, t) || !check_kind_rules(v, t)) return false;
    for (size_t i = 0; i < t->nfields; i++)
        for (size_t j = i + 1; j < t->nfields; j++) {
            size_t a, b;
            const char *x = gstr(t->fields[i], "Name", &a), *y = gstr(t->fields[j], "Name", &b);
            if (same(x, a, y, b)) {
                verr(v, t->fields[j], "Field %s.%.*s can only be defined once.", t->name, (int)b, y);
                return false;
            }
        }
    if (!t->builtin && !check_name(v, t->pos, t->name, t->nlen)) return false;
    for (size_t i = 0; i < t->ndirs; i++) {
        const gh_value *d = t->dirs[i];
        size_t n;
        const char *name = gstr(d, "Name", &n);
        const gh_value *def = find_dir(v->s, name, n);
        if (!check_name(v, d, name, n)) return false;
        if (!def) {
            verr(v, d, "Undefined directive %.*s.", (int)n, name);
            return false;
        }
        bool ok = false;
        for (size_t j = 0; j < glen(def, "Locations"); j++) {
            size_t ln;
            const char *l = gh_string_ptr(gat(def, "Locations", j), &ln);
            if (l && same(l, ln, t->kind, strlen(t->kind))) ok = true;
        }
        if (!ok) {
            verr(v, d, "Directive %.*s is not applicable on %s.", (int)n, name, t->kind);
            return false;
        }
    }
    return true;
}

static int cmp_type(const void *a, const void *b)
{
    const gq_type *x = *(gq_type *const *)a, *y = *(gq_type *const *)b;
    size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->nlen > y->nlen) - (x->nlen < y->nlen);
}

static const char *const ops[3] = {"query", "mutation", "subscription"};

static bool set_roots(vctx *v, const gh_value *sd)
{
    for (size_t i = 0; i < glen(sd, "OperationTypes"); i++) {
        const gh_value *ot = gat(sd, "OperationTypes", i);
        size_t n, on;
        const char *tn = gstr(ot, "Type", &n), *op = gstr(ot, "Operation", &on);
        gq_type *t = gq_find(v->s, tn, n);
        if (!t) {
            verr(v, ot, "Schema root %.*s refers to a type %.*s that does not exist.", (int)on, op,
                 (int)n, tn);
            return false;
        }
        for (int k = 0; k < 3; k++)
            if (same(op, on, ops[k], strlen(ops[k]))) v->s->root[k] = t;
    }
    return true;
}

static bool load_types(vctx *v, const gh_value *doc)
{
    for (size_t i = 0; i < glen(doc, "Definitions"); i++) {
        const gh_value *d = gat(doc, "Definitions", i);
        size_t n;
        const char *name = gstr(d, "Name", &n);
        if (gq_find(v->s, name, n)) {
            verr(v, d, "Cannot redeclare type %.*s.", (int)n, name);
            return false;
        }
        gq_type *t = new_type(v, d);
        if (!t) return false;
        merge_def(v, t, d);
    }
    for (size_t i = 0; i < glen(doc, "Extensions"); i++) {
        const gh_value *e = gat(doc, "Extensions", i);
        size_t n, kn;
        const char *name = gstr(e, "Name", &n), *kind = gstr(e, "Kind", &kn);
        gq_type *t = gq_find(v->s, name, n);
        if (!t && !(t = new_type(v, e))) return false;
        if (!same(t->kind, strlen(t->kind), kind, kn)) {
            verr(v, e, "Cannot extend type %.*s because the base type is a %s, not %.*s.", (int)n,
                 name, t->kind, (int)kn, kind);
            return false;
        }
        merge_def(v, t, e);
    }
    return !v->oom;
}

static bool load_directives(vctx *v, const gh_value *doc)
{
    for (size_t i = 0; i < glen(doc, "Directives"); i++) {
        const gh_value *d = gat(doc, "Directives", i);
        size_t n;
        const char *name = gstr(d, "Name", &n);
        if (find_dir(v->s, name, n)) {
            static const char *const builtin[] = {"include", "skip", "deprecated", "specifiedBy"};
            bool ok = false;
            for (int k = 0; k < 4; k++) ok |= same(name, n, builtin[k], strlen(builtin[k]));
            if (ok) continue;
            verr(v, d, "Cannot redeclare directive %.*s.", (int)n, name);
            return false;
        }
        add(v, &v->s->dirs, &v->s->ndirs, d);
    }
    return !v->oom;
}

static bool load_schema(vctx *v, const gh_value *doc)
{
    if (!load_types(v, doc) || !load_directives(v, doc)) return false;
    if (glen(doc, "Schema") > 1) {
        verr(v, gat(doc, "Schema", 1), "Cannot have multiple schema entry points, consider schema extensions instead.");
        return false;
    }
    if (glen(doc, "Schema") == 1 && !set_roots(v, gat(doc, "Schema", 0))) return false;
    for (size_t i = 0; i < glen(doc, "SchemaExtension"); i++)
        if (!set_roots(v, gat(doc, "SchemaExtension", i))) return false;
    gq_type **sorted = (gq_type **)bi_ptrs(v->bc, v->s->ntypes ? v->s->ntypes : 1);
    if (!sorted) return v->oom = true, false;
    memcpy(sorted, v->s->types, v->s->ntypes * sizeof *sorted);
    qsort(sorted, v->s->ntypes, sizeof *sorted, cmp_type);
    for (size_t i = 0; i < v->s->ntypes; i++)
        if (!check_def(v, sorted[i])) return false;
    for (size_t i = 0; i < v->s->ndirs; i++) {
        size_t n;
        const char *name = gstr(v->s->dirs[i], "Name", &n);
        if (!check_name(v, v->s->dirs[i], name, n) || !check_args(v, v->s->dirs[i], v->s->dirs[i]))
            return false;
    }
    if (glen(doc, "Schema") == 0)
        for (int k = 0; k < 3; k++) {
            static const char *const names[3] = {"Query", "Mutation", "Subscription"};
            if (!v->s->root[k]) v->s->root[k] = gq_find(v->s, names[k], strlen(names[k]));
        }
    return true;
}

/* The types and directives every schema has (gqlparser's prelude.graphql). */
static const char prelude[] =
    "scalar Int\nscalar Float\nscalar String\nscalar Boolean\nscalar ID\n"
    "directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
    "directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
    "directive @deprecated(reason: String = \"No longer supported\") on FIELD_DEFINITION | "
    "ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE\n"
    "directive @specifiedBy(url: String!) on SCALAR\n"
    "type __Schema { description: String types: [__Type!]! queryType: __Type! mutationType: __Type "
    "subscriptionType: __Type directives: [__Directive!]! }\n"
    "type __Type { kind: __TypeKind! name: String description: String "
    "fields(includeDeprecated: Boolean = false): [__Field!] interfaces: [__Type!] "
    "possibleTypes: [__Type!] enumValues(includeDeprecated: Boolean = false): [__EnumValue!] "
    "inputFields: [__InputValue!] ofType: __Type specifiedByURL: String }\n"
    "type __Field { name: String! description: String args: [__InputValue!]! type: __Type! "
    "isDeprecated: Boolean! deprecationReason: String }\n"
    "type __InputValue { name: String! description: String type: __Type! defaultValue: String }\n"
    "type __EnumValue { name: String! description: String isDeprecated: Boolean! "
    "deprecationReason: String }\n"
    "enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }\n"
    "type __Directive { name: String! description: String locations: [__DirectiveLocation!]! "
    "args: [__InputValue!]! isRepeatable: Boolean! }\n"
    "enum __DirectiveLocation { QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION "
    "FRAGMENT_SPREAD INLINE_FRAGMENT VARIABLE_DEFINITION SCHEMA SCALAR OBJECT FIELD_DEFINITION "
    "ARGUMENT_DEFINITION INTERFACE UNION ENUM ENUM_VALUE INPUT_OBJECT INPUT_FIELD_DEFINITION }\n";

/* The prelude document (its definitions marked BuiltIn) merged before doc's. */
static const gh_value *merged_doc(vctx *v, const gh_value *doc, const gh_value *pre)
{
    static const char *const keys[] = {"Schema", "SchemaExtension", "Directives", "Definitions",
                                       "Extensions"};
    const gh_value *k[5], *val[5];
    size_t n = 0;
    for (int i = 0; i < 5; i++) {
        size_t a = glen(pre, keys[i]), b = glen(doc, keys[i]);
        if (!a && !b) continue;
        const gh_value **items = bi_ptrs(v->bc, a + b);
        if (!items) return NULL;
        for (size_t j = 0; j < a; j++) items[j] = gat(pre, keys[i], j);
        for (size_t j = 0; j < b; j++) items[a + j] = gat(doc, keys[i], j);
        k[n] = gh_value_string(v->bc->arena, keys[i], strlen(keys[i]));
        val[n++] = gh_value_array(v->bc->arena, items, a + b);
        if (!k[n - 1] || !val[n - 1]) return NULL;
    }
    const gh_value *out = NULL;
    return gh_value_object(v->bc->arena, k, val, n, &out, NULL) == 0 ? out : NULL;
}

/* The prelude and the meta fields, parsed once per process into their own arena (never
 * changed afterwards, so shared by every thread). */
static gh_arena fixed_arena;
static const gh_value *prelude_doc, *meta_def;
static pthread_once_t fixed_once = PTHREAD_ONCE_INIT;

static void fixed_init(void)
{
    static const char meta[] =
        "type M { __schema: __Schema! __type(name: String!): __Type __typename: String }";
    gh_arena_init(&fixed_arena, 0);
    gh_bctx bc = {.arena = &fixed_arena};
    gq_error e;
    const gh_value *mdoc = NULL;
    if (gq_parse(&bc, GQ_SCHEMA, prelude, sizeof prelude - 1, false, &prelude_doc, &e) ||
        gq_parse(&bc, GQ_SCHEMA, meta, sizeof meta - 1, false, &mdoc, &e))
        prelude_doc = NULL;
    meta_def = mdoc ? gat(mdoc, "Definitions", 0) : NULL;
}

int gq_schema_build(gh_bctx *bc, const gh_value *doc, gq_schema **schema, gq_error *err)
{
    pthread_once(&fixed_once, fixed_init);
    const gh_value *pre = prelude_doc;
    if (!pre || !meta_def) return GH_ENOMEM;
    vctx v = {.bc = bc, .err = err};
    v.s = gh_arena_calloc(bc->arena, 1, sizeof *v.s);
    const gh_value *all = v.s ? merged_doc(&v, doc, pre) : NULL;
    if (!all) return GH_ENOMEM;
    v.s->meta = meta_def;
    v.s->meta_typename = by_name(v.s->meta, "Fields", "__typename", 10);
    v.npre = glen(pre, "Definitions"); /* BuiltIn: no reserved-name checks */
    load_schema(&v, all);
    if (v.oom) return GH_ENOMEM;
    if (v.failed) return GH_EINVAL;
    *schema = v.s;
    return 0;
}

/* ---- query rules (gqlparser's walker and validator/rules) ---- */

typedef struct walk {
    vctx *v;
    const gh_value *doc, *op; /* op: the operation being walked, NULL inside a fragment */
    bool from_text;           /* selections parsed here (a policy's objects are all fields) */
    bool *seen;               /* fragments walked into during this top-level walk */
    bool *var_used;           /* the op's variables seen */
    bool *frag_used;          /* fragments spread from some operation */
    struct fname *fidx;       /* fragment names, sorted (frag_index) */
    size_t nfidx;
    int depth;
} walk;

enum { SEL_FIELD, SEL_SPREAD, SEL_INLINE };

static int sel_kind(const walk *w, const gh_value *sel)
{
    if (!w->from_text) return SEL_FIELD;
    if (gq_get(sel, "TypeCondition")) return SEL_INLINE;
    return gq_get(sel, "Alias") ? SEL_FIELD : SEL_SPREAD;
}

/* Value.String() */
static void value_text(gh_buf *b, const gh_value *val, int depth)
{
    int64_t kind = gint(gq_get(val, "Kind"));
    size_t n;
    const char *raw = gstr(val, "Raw", &n);
    if (depth > GQ_MAX_DEPTH) return;
    if (kind == 0) gh_buf_printf(b, "$%.*s", (int)n, raw);
    else if (kind == 3 || kind == 4) {
        gh_buf_putc(b, '"');
        for (size_t i = 0; i < n; i++) {
            char c = raw[i];
            if (c == '"' || c == '\\') gh_buf_putc(b, '\\'), gh_buf_putc(b, c);
            else if (c == '\n') gh_buf_puts(b, "\\n");
            else if (c == '\t') gh_buf_puts(b, "\\t");
            else gh_buf_putc(b, c);
        }
        gh_buf_putc(b, '"');
    } else if (kind == 8 || kind == 9) {
        gh_buf_putc(b, kind == 8 ? '[' : '{');
        for (size_t i = 0; i < glen(val, "Children"); i++) {
            const gh_value *c = gat(val, "Children", i);
            if (i) gh_buf_puts(b, ", ");
            if (kind == 9) {
                size_t cn;
                const char *cs = gstr(c, "Name", &cn);
                gh_buf_printf(b, "%.*s: ", (int)cn, cs);
            }
            value_text(b, gq_get(c, "Value"), depth + 1);
        }
        gh_buf_putc(b, kind == 8 ? ']' : '}');
    } else gh_buf_append(b, raw, n);
}

static const char *vtext(walk *w, const gh_value *val)
{
    gh_buf *b = bi_scratch(w->v->bc, BI_SCRATCH_TMP);
    if (!b) return "";
    value_text(b, val, 0);
    return b->data ? b->data : "";
}

static bool named_one_of(const gq_type *t, const char *list)
{
    char buf[16];
    for (const char *p = list; t && *p;) {
        size_t k = strcspn(p, ",");
        snprintf(buf, sizeof buf, "%.*s", (int)k, p);
        if (same(t->name, t->nlen, buf, k)) return true;
        p += k + (p[k] == ',');
    }
    return false;
}

static void unexpected_type(walk *w, const gh_value *val, const char *ts, gq_type *def)
{
    const char *vs = vtext(w, val);
    static const char *const msgs[][2] = {
        {"Int", "Int cannot represent non-integer value: %s"},
        {"String", "String cannot represent a non string value: %s"},
        {"Boolean", "Boolean cannot represent a non boolean value: %s"},
        {"Float", "Float cannot represent non numeric value: %s"},
        {"ID", "ID cannot represent a non-string and non-integer value: %s"}};
    for (int i = 0; i < 5; i++) {
        size_t k = strlen(msgs[i][0]);
        if (strncmp(ts, msgs[i][0], k) == 0 && (!ts[k] || (ts[k] == '!' && !ts[k + 1])) ) {
            verr(w->v, val, msgs[i][1], vs);
            return;
        }
    }
    if (strcmp(ts, "[String]") == 0) verr(w->v, val, "String cannot represent a non string value: %s", vs);
    else if (kind_is(def, "ENUM")) verr(w->v, val, "Enum \"%s\" cannot represent non-enum value: %s.", ts, vs);
    else verr(w->v, val, "Expected value of type \"%s\", found %s.", ts, vs);
}

static void check_variable(walk *w, const gh_value *val, const gh_value *expect);

/* ValuesOfCorrectType for one value against its expected type (after its children). */
static void check_literal(walk *w, const gh_value *val, const gh_value *expect, gq_type *def)
{
    int64_t kind = gint(gq_get(val, "Kind"));
    char ts[256];
    type_text(expect, ts, sizeof ts);
    if (kind == 6 && nonnull(expect))
        return verr(w->v, val, "Expected value of type \"%s\", found %s.", ts, vtext(w, val));
    if (kind_is(def, "SCALAR") && !named_one_of(def, "Int,Float,String,Boolean,ID")) return;
    size_t n;
    const char *raw = gstr(val, "Raw", &n);
    switch (kind) {
    case 8:
        if (!gq_get(expect, "Elem")) unexpected_type(w, val, ts, def);
        return;
    case 1: {
        char num[32];
        snprintf(num, sizeof num, "%.*s", (int)(n < 31 ? n : 31), raw);
        long long x = strtoll(num, NULL, 10);
        if (!named_one_of(def, "Int,Float,ID")) unexpected_type(w, val, ts, def);
        else if (named_one_of(def, "Int") && (n > 11 || x > INT32_MAX || x < INT32_MIN))
            verr(w->v, val, "Int cannot represent non 32-bit signed integer value: %s", vtext(w, val));
        return;
    }
    case 2:
        if (!named_one_of(def, "Float")) unexpected_type(w, val, ts, def);
        return;
    case 3: case 4:
        if (kind_is(def, "ENUM"))
            verr(w->v, val, "Enum \"%s\" cannot represent non-enum value: %s.", ts, vtext(w, val));
        else if (!named_one_of(def, "String,ID")) unexpected_type(w, val, ts, def);
        return;
    case 7:
        if (!kind_is(def, "ENUM")) unexpected_type(w, val, ts, def);
        else {
            bool found = false;
            for (size_t i = 0; i < def->nenums; i++) {
                size_t m;
                const char *e = gstr(def->enums[i], "Name", &m);
                found |= same(e, m, raw, n);
            }
            if (!found)
                verr(w->v, val, "Value \"%s\" does not exist in \"%s\" enum.", vtext(w, val), ts);
        }
        return;
    case 5:
        if (!named_one_of(def, "Boolean")) unexpected_type(w, val, ts, def);
        return;
    case 9:
        for (size_t i = 0; def && i < def->nfields; i++) {
            const gh_value *f = def->fields[i];
            size_t fn;
            const char *fname = gstr(f, "Name", &fn);
            if (nonnull(gq_get(f, "Type")) && !by_name(val, "Children", fname, fn) &&
                !gq_get(f, "DefaultValue")) {
                char fts[256];
                type_text(gq_get(f, "Type"), fts, sizeof fts);
                return verr(w->v, val, "Field \"%s.%.*s\" of required type \"%s\" was not provided.",
                            def->name, (int)fn, fname, fts);
            }
        }
        for (size_t i = 0; i < glen(val, "Children"); i++) {
            size_t cn;
            const char *cname = gstr(gat(val, "Children", i), "Name", &cn);
            if (def && !field_of(def, cname, cn))
                return verr(w->v, gat(val, "Children", i), "Field \"%.*s\" is not defined by type \"%s\".",
                            (int)cn, cname, def->name);
        }
        return;
    default: return;
    }
}

/* walkValue: children first with their expected types, then the value's own rules. */
static void walk_value(walk *w, const gh_value *val, const gh_value *expect, gq_type *def)
{
    int64_t kind = gint(gq_get(val, "Kind"));
    if (w->v->failed || ++w->depth > GQ_MAX_DEPTH) {
        w->depth--;
        return;
    }
    for (size_t i = 0; (kind == 8 || kind == 9) && i < glen(val, "Children"); i++) {
        const gh_value *c = gat(val, "Children", i);
        const gh_value *ce = NULL;
        gq_type *cd = NULL;
        if (kind == 9 && def) {
            size_t cn;
            const char *cname = gstr(c, "Name", &cn);
            const gh_value *fd = field_of(def, cname, cn);
            if (fd) {
                ce = gq_get(fd, "Type");
                size_t tn;
                const char *t = type_name(ce, &tn);
                cd = gq_find(w->v->s, t, tn);
            }
            for (size_t j = 0; j < i; j++) {
                size_t pn;
                const char *pname = gstr(gat(val, "Children", j), "Name", &pn);
                if (same(pname, pn, cname, cn))
                    verr(w->v, c, "There can be only one input field named \"%.*s\".", (int)cn, cname);
            }
        } else if (kind == 8 && expect && gq_get(expect, "Elem")) {
            ce = gq_get(expect, "Elem");
            cd = def;
        }
        walk_value(w, gq_get(c, "Value"), ce, cd);
    }
    if (kind == 0) check_variable(w, val, expect);
    else if (expect && def) check_literal(w, val, expect, def);
    w->depth--;
}

static const gh_value *op_var(walk *w, const char *name, size_t n, size_t *idx)
{
    for (size_t i = 0; w->op && i < glen(w->op, "VariableDefinitions"); i++) {
        size_t m;
        const char *s = gstr(gat(w->op, "VariableDefinitions", i), "Variable", &m);
        if (same(s, m, name, n)) {
            *idx = i;
            return gat(w->op, "VariableDefinitions", i);
        }
    }
    return NULL;
}

static void check_variable(walk *w, const gh_value *val, const gh_value *expect)
{
    if (!w->op) return;
    size_t n, idx = 0, on;
    const char *name = gstr(val, "Raw", &n), *opname = gstr(w->op, "Name", &on);
    const gh_value *vd = op_var(w, name, n, &idx);
    if (!vd) {
        if (on) verr(w->v, val, "Variable \"$%.*s\" is not defined by operation \"%.*s\".", (int)n, name, (int)on, opname);
        else verr(w->v, val, "Variable \"$%.*s\" is not defined.", (int)n, name);
        return;
    }
    w->var_used[idx] = true;
    if (!expect) return;
    /* VariablesInAllowedPosition: a non-null default lets a nullable variable fill a non-null slot */
    const gh_value *dv = gq_get(vd, "DefaultValue");
    int64_t dk = gint(gq_get(dv, "Kind"));
    bool relax = dv && dk != 6;
    bool ok = compatible(gq_get(vd, "Type"), expect, relax ? -1 : 0);
    if (!ok) {
        char vt[256], et[256];
        type_text(gq_get(vd, "Type"), vt, sizeof vt);
        type_text(expect, et, sizeof et);
        verr(w->v, val, "Variable \"$%.*s\" of type \"%s\" used in position expecting type \"%s\".",
             (int)n, name, vt, et);
    }
}

/* ---- "Did you mean" (gqlparser's SuggestionList and QuotedOrList) ---- */

/* Levenshtein distance of the lowercased names, as lexicalDistance computes it. */
static int lex_distance(const char *a, size_t an, const char *b, size_t bn)
{
    if (same(a, an, b, bn)) return 0;
    if (an == bn && strncasecmp(a, b, an) == 0) return 1;
    if (an > 128 || bn > 128) return 1 << 20;
    int row[130];
    for (size_t j = 0; j <= bn; j++) row[j] = (int)j;
    for (size_t i = 1; i <= an; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= bn; j++) {
            int up = row[j];
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int best = diag + cost;
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[bn];
}

/* Appends " Did you mean \"a\", \"b\", or \"c\"?" to msg for the names[0..n) close to
 * `in` (distance at most 40% of its length + 1, nearest first, at most five). */
static void did_you_mean(char *msg, size_t cap, const char *in, size_t inn,
                         const gh_value *const *items, size_t n)
{
    enum { MAXS = 64 };
    const char *name[MAXS];
    size_t len[MAXS];
    int dist[MAXS], k = 0;
    int threshold = (int)(inn * 4 / 10) + 1;
    for (size_t i = 0; i < n && k < MAXS; i++) {
        size_t m;
        const char *s = gstr(items[i], "Name", &m);
        int d = lex_distance(in, inn, s, m);
        if (d > threshold) continue;
        int j = k++;
        for (; j > 0 && dist[j - 1] > d; j--) name[j] = name[j - 1], len[j] = len[j - 1], dist[j] = dist[j - 1];
        name[j] = s, len[j] = m, dist[j] = d;
    }
    if (!k) return;
    if (k > 5) k = 5;
    size_t o = strlen(msg);
    o += (size_t)snprintf(msg + o, o < cap ? cap - o : 0, " Did you mean ");
    for (int i = 0; i < k && o < cap; i++) {
        const char *sep = i == 0 ? "" : k == 2 ? " or " : i == k - 1 ? ", or " : ", ";
        o += (size_t)snprintf(msg + o, cap - o, "%s\"%.*s\"", sep, (int)len[i], name[i]);
    }
    if (o < cap) snprintf(msg + o, cap - o, "?");
}

/* Arguments of a field or directive against its definition (KnownArgumentNames,
 * UniqueArgumentNames, ProvidedRequiredArguments), walking their values. */
static void walk_args(walk *w, const gh_value *node, const gh_value *def, const char *owner,
                      const char *ownname, size_t ownn, bool is_dir)
{
    for (size_t i = 0; i < glen(node, "Arguments") && !w->v->failed; i++) {
        const gh_value *a = gat(node, "Arguments", i);
        size_t n;
        const char *name = gstr(a, "Name", &n);
        const gh_value *ad = def ? by_name(def, "Arguments", name, n) : NULL;
        for (size_t j = 0; j < i; j++) {
            size_t m;
            const char *pn = gstr(gat(node, "Arguments", j), "Name", &m);
            if (same(pn, m, name, n)) verr(w->v, a, "There can be only one argument named \"%.*s\".", (int)n, name);
        }
        if (def && !ad && !w->v->failed) {
            if (is_dir) verr(w->v, a, "Unknown argument \"%.*s\" on directive \"@%.*s\".", (int)n, name, (int)ownn, ownname);
            else {
                verr(w->v, a, "Unknown argument \"%.*s\" on field \"%s.%.*s\".", (int)n, name, owner, (int)ownn, ownname);
                const gh_value *const *args = NULL;
                const gh_value *list = gq_get(def, "Arguments");
                size_t na = list ? gh_value_len(list) : 0;
                const gh_value **tmp = bi_ptrs(w->v->bc, na ? na : 1);
                for (size_t j = 0; tmp && j < na; j++) tmp[j] = gh_array_get(list, j);
                args = tmp;
                if (args) did_you_mean(w->v->err->msg, sizeof w->v->err->msg, name, n, args, na);
            }
        }
        const gh_value *at = ad ? gq_get(ad, "Type") : NULL;
        size_t tn;
        const char *t = at ? type_name(at, &tn) : "";
        walk_value(w, gq_get(a, "Value"), at, at ? gq_find(w->v->s, t, tn) : NULL);
    }
    for (size_t i = 0; def && i < glen(def, "Arguments") && !w->v->failed; i++) {
        const gh_value *ad = gat(def, "Arguments", i);
        size_t n;
        const char *name = gstr(ad, "Name", &n);
        if (!nonnull(gq_get(ad, "Type")) || gq_get(ad, "DefaultValue") || by_name(node, "Arguments", name, n))
            continue;
        char ts[256];
        type_text(gq_get(ad, "Type"), ts, sizeof ts);
        verr(w->v, node, "%s \"%s%.*s\" argument \"%.*s\" of type \"%s\" is required, but it was not provided.",
             is_dir ? "Directive" : "Field", is_dir ? "@" : "", (int)ownn, ownname, (int)n, name, ts);
    }
}

/* KnownDirectives, UniqueDirectivesPerLocation, and their arguments. */
static void walk_directives(walk *w, const gh_value *node, const char *loc)
{
    for (size_t i = 0; i < glen(node, "Directives") && !w->v->failed; i++) {
        const gh_value *d = gat(node, "Directives", i);
        size_t n;
        const char *name = gstr(d, "Name", &n);
        const gh_value *def = find_dir(w->v->s, name, n);
        if (!def) {
            verr(w->v, d, "Unknown directive \"@%.*s\".", (int)n, name);
            continue;
        }
        bool ok = false;
        for (size_t j = 0; j < glen(def, "Locations"); j++) {
            size_t ln;
            const char *l = gh_string_ptr(gat(def, "Locations", j), &ln);
            ok |= l && same(l, ln, loc, strlen(loc));
        }
        if (!ok) verr(w->v, d, "Directive \"@%.*s\" may not be used on %s.", (int)n, name, loc);
        for (size_t j = 0; j < i && !(gq_get(def, "IsRepeatable") && gh_value_get_bool(gq_get(def, "IsRepeatable"))); j++) {
            size_t m;
            const char *pn = gstr(gat(node, "Directives", j), "Name", &m);
            if (same(pn, m, name, n))
                verr(w->v, d, "The directive \"@%.*s\" can only be used once at this location.", (int)n, name);
        }
        walk_args(w, d, def, "", name, n, true);
    }
}

static void walk_selset(walk *w, const gh_value *node, gq_type *parent);

/* The field definition for `name` on parent (meta fields included), or NULL. */
static const gh_value *field_def(walk *w, gq_type *parent, const char *name, size_t n)
{
    static const char meta[] = "__typename";
    if (same(name, n, meta, sizeof meta - 1)) return w->v->s->meta_typename;
    if (!parent) return NULL;
    if (parent == w->v->s->root[0] && n > 2 && name[0] == '_' && name[1] == '_') {
        const gh_value *m = by_name(w->v->s->meta, "Fields", name, n);
        if (m) return m;
    }
    return field_of(parent, name, n);
}

/* FieldsOnCorrectType's hint: names of parent's fields (gqlparser first suggests inline
 * fragments on abstract types whose implementations have the field: left out here). */
static void suggest_fields(walk *w, gq_type *parent, const char *name, size_t n)
{
    if (!kind_is(parent, "OBJECT")) {
        for (size_t i = 0; i < w->v->s->ntypes; i++)
            if (possible(w->v, parent, w->v->s->types[i]) && field_of(w->v->s->types[i], name, n)) return;
    }
    size_t nm = parent == w->v->s->root[0] ? 2 : 0, nf = parent->nfields;
    const gh_value **all = bi_ptrs(w->v->bc, nf + nm + 1);
    if (!all) return;
    memcpy(all, parent->fields, nf * sizeof *all);
    for (size_t i = 0; i < nm; i++) all[nf + i] = gat(w->v->s->meta, "Fields", i);
    did_you_mean(w->v->err->msg, sizeof w->v->err->msg, name, n, all, nf + nm);
}

static void walk_field(walk *w, const gh_value *f, gq_type *parent)
{
    size_t n;
    const char *name = gstr(f, "Name", &n);
    const gh_value *def = field_def(w, parent, name, n);
    if (parent && !def && !w->v->failed) {
        verr(w->v, f, "Cannot query field \"%.*s\" on type \"%s\".", (int)n, name, parent->name);
        suggest_fields(w, parent, name, n);
    }
    walk_args(w, f, def, parent ? parent->name : "", name, n, false);
    walk_directives(w, f, "FIELD");
    gq_type *ft = NULL;
    if (def) {
        size_t tn;
        const char *t = type_name(gq_get(def, "Type"), &tn);
        ft = gq_find(w->v->s, t, tn);
    }
    bool leaf = kind_is(ft, "SCALAR") || kind_is(ft, "ENUM");
    if (ft && leaf && glen(f, "SelectionSet"))
        verr(w->v, f, "Field \"%.*s\" must not have a selection since type \"%s\" has no subfields.",
             (int)n, name, ft->name);
    if (ft && !leaf && !glen(f, "SelectionSet")) {
        char ts[256];
        type_text(gq_get(def, "Type"), ts, sizeof ts);
        verr(w->v, f, "Field \"%.*s\" of type \"%s\" must have a selection of subfields.", (int)n, name, ts);
    }
    walk_selset(w, f, ft);
}

typedef struct fname {
    const char *s;
    size_t n, i;
} fname;

static int cmp_name(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static int cmp_fname(const void *a, const void *b)
{
    const fname *x = a, *y = b;
    int c = cmp_name(x->s, x->n, y->s, y->n);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

static bool index_fragments(walk *w)
{
    w->nfidx = glen(w->doc, "Fragments");
    w->fidx = gh_arena_alloc(w->v->bc->arena, (w->nfidx + 1) * sizeof *w->fidx);
    if (!w->fidx) return false;
    for (size_t i = 0; i < w->nfidx; i++) {
        w->fidx[i].s = gstr(gat(w->doc, "Fragments", i), "Name", &w->fidx[i].n);
        w->fidx[i].i = i;
    }
    qsort(w->fidx, w->nfidx, sizeof *w->fidx, cmp_fname);
    return true;
}

/* The first fragment called name (Fragments.ForName), or -1. */
static size_t frag_index(walk *w, const char *name, size_t n)
{
    size_t lo = 0, hi = w->nfidx;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_name(w->fidx[mid].s, w->fidx[mid].n, name, n) < 0) lo = mid + 1;
        else hi = mid;
    }
    if (lo < w->nfidx && same(w->fidx[lo].s, w->fidx[lo].n, name, n)) return w->fidx[lo].i;
    return (size_t)-1;
}

/* Concrete object types an abstract (or object) type may be. */
static bool overlaps(vctx *v, gq_type *a, gq_type *b)
{
    if (!a || !b || a == b) return true;
    for (size_t i = 0; i < v->s->ntypes; i++) {
        gq_type *t = v->s->types[i];
        if (!kind_is(t, "OBJECT")) continue;
        bool in_a = t == a || possible(v, a, t), in_b = t == b || possible(v, b, t);
        if (in_a && in_b) return true;
    }
    return false;
}

static void walk_spread(walk *w, const gh_value *s, gq_type *parent)
{
    size_t n;
    const char *name = gstr(s, "Name", &n);
    size_t i = frag_index(w, name, n);
    walk_directives(w, s, "FRAGMENT_SPREAD");
    if (i == (size_t)-1) {
        verr(w->v, s, "Unknown fragment \"%.*s\".", (int)n, name);
        return;
    }
    if (w->op) w->frag_used[i] = true;
    const gh_value *fd = gat(w->doc, "Fragments", i);
    size_t tn;
    const char *tc = gstr(fd, "TypeCondition", &tn);
    gq_type *ft = gq_find(w->v->s, tc, tn);
    if (parent && ft && is_composite(ft) && !overlaps(w->v, parent, ft))
        verr(w->v, s, "Fragment \"%.*s\" cannot be spread here as objects of type \"%s\" can never be of type \"%s\".",
             (int)n, name, parent->name, ft->name);
    if (w->seen[i]) return;
    w->seen[i] = true;
    walk_selset(w, fd, ft);
}

static void walk_inline(walk *w, const gh_value *f, gq_type *parent)
{
    size_t tn;
    const char *tc = gstr(f, "TypeCondition", &tn);
    gq_type *t = parent;
    if (tn) {
        t = gq_find(w->v->s, tc, tn);
        if (!t) verr(w->v, f, "Unknown type \"%.*s\".", (int)tn, tc);
        else if (!is_composite(t))
            verr(w->v, f, "Fragment cannot condition on non composite type \"%.*s\".", (int)tn, tc);
        else if (parent && !overlaps(w->v, parent, t))
            verr(w->v, f, "Fragment cannot be spread here as objects of type \"%s\" can never be of type \"%s\".",
                 parent->name, t->name);
    }
    walk_directives(w, f, "INLINE_FRAGMENT");
    walk_selset(w, f, t);
}

/* ---- OverlappingFieldsCanBeMerged, the common part: two fields of one type answering
 * under the same name must be the same field with the same arguments (gqlparser also
 * merges their sub-selections and compares shapes across types; not done here). */

typedef struct fld {
    const gh_value *f;
    gq_type *parent;
    const char *key; /* response name: alias, else name */
    size_t klen, order;
} fld;

typedef struct flds {
    fld *a;
    size_t n, cap;
    int budget; /* selection sets visited: bounds fragment fan-out */
} flds;

#define OVERLAP_MAX 2000 /* fields compared per selection set */

static const char *response_name(const gh_value *f, size_t *n)
{
    const char *s = gstr(f, "Alias", n);
    return *n ? s : gstr(f, "Name", n);
}

static void collect(walk *w, const gh_value *node, gq_type *parent, flds *out, int depth)
{
    if (depth > 16 || --out->budget < 0) return;
    for (size_t i = 0; i < glen(node, "SelectionSet") && out->n < OVERLAP_MAX; i++) {
        const gh_value *sel = gat(node, "SelectionSet", i);
        int k = sel_kind(w, sel);
        if (k == SEL_FIELD) {
            if (out->n == out->cap) {
                size_t cap = out->cap ? out->cap * 2 : 16;
                fld *na = gh_arena_realloc(w->v->bc->arena, out->a, out->cap * sizeof *na, cap * sizeof *na);
                if (!na) return (void)(w->v->oom = true);
                out->a = na, out->cap = cap;
            }
            fld *x = &out->a[out->n];
            *x = (fld){sel, parent, NULL, 0, out->n};
            x->key = response_name(sel, &x->klen);
            out->n++;
            continue;
        }
        size_t n;
        const char *name = gstr(sel, k == SEL_INLINE ? "TypeCondition" : "Name", &n);
        const gh_value *sub = sel;
        if (k == SEL_SPREAD) {
            size_t fi = frag_index(w, name, n);
            if (fi == (size_t)-1) continue;
            sub = gat(w->doc, "Fragments", fi);
            name = gstr(sub, "TypeCondition", &n);
        }
        collect(w, sub, n ? gq_find(w->v->s, name, n) : parent, out, depth + 1);
    }
}

static bool value_same(const gh_value *a, const gh_value *b, int depth)
{
    size_t an, bn;
    const char *ar = gstr(a, "Raw", &an), *br = gstr(b, "Raw", &bn);
    if (!a || !b || depth > GQ_MAX_DEPTH) return a == b;
    if (gint(gq_get(a, "Kind")) != gint(gq_get(b, "Kind")) || !same(ar, an, br, bn) ||
        glen(a, "Children") != glen(b, "Children"))
        return false;
    for (size_t i = 0; i < glen(a, "Children"); i++) {
        const gh_value *x = gat(a, "Children", i), *y = gat(b, "Children", i);
        const char *xn = gstr(x, "Name", &an), *yn = gstr(y, "Name", &bn);
        if (!same(xn, an, yn, bn) || !value_same(gq_get(x, "Value"), gq_get(y, "Value"), depth + 1))
            return false;
    }
    return true;
}

static bool args_same(const gh_value *f, const gh_value *g)
{
    if (glen(f, "Arguments") != glen(g, "Arguments")) return false;
    for (size_t i = 0; i < glen(f, "Arguments"); i++) {
        const gh_value *a = gat(f, "Arguments", i);
        size_t n;
        const char *name = gstr(a, "Name", &n);
        const gh_value *b = by_name(g, "Arguments", name, n);
        if (!b || !value_same(gq_get(a, "Value"), gq_get(b, "Value"), 0)) return false;
    }
    return true;
}

static int cmp_fld(const void *a, const void *b)
{
    const fld *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    if (c || x->klen != y->klen) return c ? c : (x->klen > y->klen ? 1 : -1);
    if (x->parent != y->parent) return (uintptr_t)x->parent > (uintptr_t)y->parent ? 1 : -1;
    return (x->order > y->order) - (x->order < y->order);
}

/* Fields sorted by (response name, type, document order): each is compared with the first
 * of its run, which is enough as "same name and same arguments" is an equivalence. */
static void check_overlap(walk *w, const gh_value *node, gq_type *parent)
{
    flds fs = {.budget = 1000};
    collect(w, node, parent, &fs, 0);
    if (fs.n < 2) return;
    qsort(fs.a, fs.n, sizeof *fs.a, cmp_fld);
    size_t lead = 0;
    for (size_t j = 1; j < fs.n && !w->v->failed; j++) {
        const fld *x = &fs.a[lead], *y = &fs.a[j];
        if (!same(x->key, x->klen, y->key, y->klen) || x->parent != y->parent) {
            lead = j;
            continue;
        }
        if (!x->parent) continue;
        size_t fn, gn;
        const char *f = gstr(x->f, "Name", &fn), *g = gstr(y->f, "Name", &gn);
        if (!same(f, fn, g, gn))
            verr(w->v, x->f, "Fields \"%.*s\" conflict because %.*s and %.*s are different fields. "
                 "Use different aliases on the fields to fetch both if this was intentional.",
                 (int)x->klen, x->key, (int)fn, f, (int)gn, g);
        else if (!args_same(x->f, y->f))
            verr(w->v, x->f, "Fields \"%.*s\" conflict because they have differing arguments. "
                 "Use different aliases on the fields to fetch both if this was intentional.",
                 (int)x->klen, x->key);
    }
}

static void walk_selset(walk *w, const gh_value *node, gq_type *parent)
{
    if (++w->depth > GQ_MAX_DEPTH) { /* fragments spread in a chain: fail closed */
        verr(w->v, node, "Nesting too deep (limit is %d)", GQ_MAX_DEPTH);
        w->depth--;
        return;
    }
    if (glen(node, "SelectionSet") > 1) check_overlap(w, node, parent);
    for (size_t i = 0; i < glen(node, "SelectionSet") && !w->v->failed; i++) {
        const gh_value *sel = gat(node, "SelectionSet", i);
        switch (sel_kind(w, sel)) {
        case SEL_FIELD: walk_field(w, sel, parent); break;
        case SEL_SPREAD: walk_spread(w, sel, parent); break;
        default: walk_inline(w, sel, parent); break;
        }
    }
    w->depth--;
}

/* Variable definitions: unique, known input types, defaults of the right type. */
static void walk_var_defs(walk *w, const gh_value *op)
{
    for (size_t i = 0; i < glen(op, "VariableDefinitions") && !w->v->failed; i++) {
        const gh_value *vd = gat(op, "VariableDefinitions", i);
        size_t n, tn;
        const char *name = gstr(vd, "Variable", &n);
        for (size_t j = 0; j < i; j++) {
            size_t m;
            const char *pn = gstr(gat(op, "VariableDefinitions", j), "Variable", &m);
            if (same(pn, m, name, n)) verr(w->v, vd, "There can be only one variable named \"$%.*s\".", (int)n, name);
        }
        const char *t = type_name(gq_get(vd, "Type"), &tn);
        gq_type *def = gq_find(w->v->s, t, tn);
        if (!def) verr(w->v, vd, "Unknown type \"%.*s\".", (int)tn, t);
        else if (!is_input_kind(def)) {
            char ts[256];
            type_text(gq_get(vd, "Type"), ts, sizeof ts);
            verr(w->v, vd, "Variable \"$%.*s\" cannot be non-input type \"%s\".", (int)n, name, ts);
        }
        if (gq_get(vd, "DefaultValue")) walk_value(w, gq_get(vd, "DefaultValue"), gq_get(vd, "Type"), def);
        walk_directives(w, vd, "VARIABLE_DEFINITION");
    }
}

static bool reset_seen(walk *w)
{
    size_t nf = glen(w->doc, "Fragments");
    w->seen = gh_arena_calloc(w->v->bc->arena, nf + 1, 1);
    return w->seen != NULL;
}

static void walk_operation(walk *w, const gh_value *op)
{
    size_t on, nn;
    const char *kind = gstr(op, "Operation", &on), *name = gstr(op, "Name", &nn);
    gq_type *root = NULL;
    for (int k = 0; k < 3; k++)
        if (same(kind, on, ops[k], strlen(ops[k])) || (k == 0 && !on)) root = w->v->s->root[k];
    if (!root) verr(w->v, op, "Schema does not support operation type \"%.*s\"", (int)on, kind);
    w->op = op;
    w->var_used = gh_arena_calloc(w->v->bc->arena, glen(op, "VariableDefinitions") + 1, 1);
    if (!reset_seen(w) || !w->var_used) return (void)(w->v->oom = true);
    walk_var_defs(w, op);
    walk_directives(w, op, same(kind, on, "mutation", 8)         ? "MUTATION"
                           : same(kind, on, "subscription", 12) ? "SUBSCRIPTION"
                                                                : "QUERY");
    walk_selset(w, op, root);
    if (same(kind, on, "subscription", 12) && glen(op, "SelectionSet") > 1) {
        if (nn) verr(w->v, op, "Subscription \"%.*s\" must select only one top level field.", (int)nn, name);
        else verr(w->v, op, "Anonymous Subscription must select only one top level field.");
    }
    for (size_t i = 0; i < glen(op, "VariableDefinitions"); i++) {
        if (w->var_used[i]) continue;
        const gh_value *vd = gat(op, "VariableDefinitions", i);
        size_t n;
        const char *vn = gstr(vd, "Variable", &n);
        if (nn) verr(w->v, vd, "Variable \"$%.*s\" is never used in operation \"%.*s\".", (int)n, vn, (int)nn, name);
        else verr(w->v, vd, "Variable \"$%.*s\" is never used.", (int)n, vn);
    }
    w->op = NULL;
}

/* Operation-level rules: unique names, a lone anonymous operation. */
static void check_operations(walk *w)
{
    size_t nops = glen(w->doc, "Operations");
    for (size_t i = 0; i < nops; i++) {
        const gh_value *op = gat(w->doc, "Operations", i);
        size_t n;
        const char *name = gstr(op, "Name", &n);
        if (!n && nops > 1) verr(w->v, op, "This anonymous operation must be the only defined operation.");
        for (size_t j = 0; n && j < i; j++) {
            size_t m;
            const char *pn = gstr(gat(w->doc, "Operations", j), "Name", &m);
            if (same(pn, m, name, n)) verr(w->v, op, "There can be only one operation named \"%.*s\".", (int)n, name);
        }
    }
}

/* NoFragmentCycles: does fragment `target` spread itself, directly or not? */
static bool spreads_to(walk *w, const gh_value *node, size_t target, bool *stack, int depth)
{
    if (depth > GQ_MAX_DEPTH) return false;
    for (size_t i = 0; i < glen(node, "SelectionSet"); i++) {
        const gh_value *sel = gat(node, "SelectionSet", i);
        if (sel_kind(w, sel) != SEL_SPREAD) {
            if (spreads_to(w, sel, target, stack, depth + 1)) return true;
            continue;
        }
        size_t n;
        const char *name = gstr(sel, "Name", &n);
        size_t k = frag_index(w, name, n);
        if (k == (size_t)-1 || stack[k]) continue;
        if (k == target) return true;
        stack[k] = true;
        if (spreads_to(w, gat(w->doc, "Fragments", k), target, stack, depth + 1)) return true;
    }
    return false;
}

static void walk_fragment(walk *w, size_t i)
{
    const gh_value *fd = gat(w->doc, "Fragments", i);
    size_t n, tn;
    const char *name = gstr(fd, "Name", &n), *tc = gstr(fd, "TypeCondition", &tn);
    for (size_t j = 0; j < i; j++) {
        size_t m;
        const char *pn = gstr(gat(w->doc, "Fragments", j), "Name", &m);
        if (same(pn, m, name, n)) verr(w->v, fd, "There can be only one fragment named \"%.*s\".", (int)n, name);
    }
    if (!w->frag_used[i]) verr(w->v, fd, "Fragment \"%.*s\" is never used.", (int)n, name);
    gq_type *t = gq_find(w->v->s, tc, tn);
    if (!t) verr(w->v, fd, "Unknown type \"%.*s\".", (int)tn, tc);
    else if (!is_composite(t))
        verr(w->v, fd, "Fragment \"%.*s\" cannot condition on non composite type \"%.*s\".", (int)n, name, (int)tn, tc);
    bool *stack = gh_arena_calloc(w->v->bc->arena, glen(w->doc, "Fragments") + 1, 1);
    if (!stack || !reset_seen(w)) return (void)(w->v->oom = true);
    if (spreads_to(w, fd, i, stack, 0))
        verr(w->v, fd, "Cannot spread fragment \"%.*s\" within itself.", (int)n, name);
    walk_directives(w, fd, "FRAGMENT_DEFINITION");
    w->seen[i] = true;
    walk_selset(w, fd, t);
}

int gq_validate(gh_bctx *bc, gq_schema *schema, const gh_value *query, bool from_text,
                gq_error *err)
{
    vctx v = {.bc = bc, .s = schema, .err = err};
    walk w = {.v = &v, .doc = query, .from_text = from_text};
    w.frag_used = gh_arena_calloc(bc->arena, glen(query, "Fragments") + 1, 1);
    if (!w.frag_used || !index_fragments(&w)) return GH_ENOMEM;
    check_operations(&w);
    for (size_t i = 0; i < glen(query, "Operations") && !v.failed && !v.oom; i++)
        walk_operation(&w, gat(query, "Operations", i));
    for (size_t i = 0; i < glen(query, "Fragments") && !v.failed && !v.oom; i++) walk_fragment(&w, i);
    if (v.oom) return GH_ENOMEM;
    return v.failed ? GH_EINVAL : 0;
}
