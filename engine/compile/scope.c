/* Pass 2: name resolution. A name in a body is a local (declared with `some`/`:=`, a
 * function parameter, or bound by an earlier literal), else `input`/`data`, an import
 * alias, a rule of the current package, and otherwise a new local the body must bind. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "compile/compile.h"

void comp_error(gh_comp *c, const gh_loc *loc, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->nerr++;
    const char *src = c->mod ? c->mod->src : NULL;
    size_t len = c->mod ? c->mod->len : 0;
    gh_diags_add(c->diags, loc && loc->file ? loc->file : "", src, len, loc ? loc->line : 0,
                 loc ? loc->col : 0, code, "%s", msg);
}

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h | 1; /* 0 marks an empty slot */
}

gh_name *name_entry(gh_comp *c, const char *name, bool add)
{
    uint32_t h = name_hash(name);
    if (c->capnames) {
        for (uint32_t i = h & (c->capnames - 1);; i = (i + 1) & (c->capnames - 1)) {
            gh_name *e = &c->names[i];
            if (!e->hash) break;
            if (e->hash == h && strcmp(e->s, name) == 0) return e;
        }
    }
    if (!add) return NULL;
    if (2 * (c->nnames + 1) > c->capnames) {
        uint32_t cap = c->capnames ? 2 * c->capnames : 256;
        gh_name *t = gh_arena_calloc(&c->scratch, cap, sizeof *t);
        for (uint32_t i = 0; i < c->capnames; i++) {
            if (!c->names[i].hash) continue;
            uint32_t j = c->names[i].hash & (cap - 1);
            while (t[j].hash)
                j = (j + 1) & (cap - 1);
            t[j] = c->names[i];
        }
        c->names = t;
        c->capnames = cap;
    }
    uint32_t i = h & (c->capnames - 1);
    while (c->names[i].hash)
        i = (i + 1) & (c->capnames - 1);
    gh_name *e = &c->names[i];
    e->s = name;
    e->hash = h;
    e->top = -1;
    e->bound_at = 0;
    c->nnames++;
    return e;
}

void scope_push(gh_comp *c, uint32_t *mark)
{
    *mark = c->nvars;
}

void scope_pop(gh_comp *c, uint32_t mark)
{
    while (c->nvars > mark) {
        gh_cvar *v = &c->vars[--c->nvars];
        gh_name *e = name_entry(c, v->name, false);
        if (e) e->top = v->prev;
    }
}

gh_cvar *scope_find(gh_comp *c, const char *name)
{
    gh_name *e = name_entry(c, name, false);
    return e && e->top >= 0 ? &c->vars[e->top] : NULL;
}

gh_cvar *scope_declare(gh_comp *c, const char *name)
{
    if (c->nvars == c->capvars) {
        uint32_t cap = c->capvars ? c->capvars * 2 : 32;
        c->vars = gh_arena_realloc(&c->scratch, c->vars, c->capvars * sizeof *c->vars,
                                   cap * sizeof *c->vars);
        c->capvars = cap;
    }
    gh_name *e = name_entry(c, name, true);
    gh_cvar *v = &c->vars[c->nvars];
    v->name = e->s;
    v->reg = GH_NOREG;
    v->bound = false;
    v->depth = c->depth;
    v->decl = c->decl_at;
    v->prev = e->top;
    e->top = (int32_t)c->nvars++;
    return v;
}

static const char *import_alias(const gh_import *im)
{
    if (im->alias) return im->alias;
    const gh_term *p = im->path;
    if (p->kind == GH_TERM_VAR) return p->u.str.s;
    if (p->kind != GH_TERM_REF || p->u.list.n == 0) return NULL;
    const gh_term *last = p->u.list.items[p->u.list.n - 1];
    return last->u.str.s;
}

static bool import_is_keyword(const gh_import *im)
{
    const gh_term *p = im->path;
    const gh_term *h = p->kind == GH_TERM_REF ? p->u.list.items[0] : p;
    return gh_term_is_var(h, "future") || gh_term_is_var(h, "rego");
}

gh_name_kind name_resolve(gh_comp *c, const char *name, gh_cvar **var, gh_rnode **rule,
                          const gh_import **imp)
{
    gh_cvar *v = scope_find(c, name);
    if (v) {
        if (var) *var = v;
        return GH_NAME_LOCAL;
    }
    if (name[0] == '$') return GH_NAME_UNKNOWN;
    if (strcmp(name, "input") == 0) return GH_NAME_INPUT;
    if (strcmp(name, "data") == 0) return GH_NAME_DATA;
    if (c->mod) {
        const gh_module *m = c->mod->m;
        for (size_t i = 0; i < m->nimports; i++) {
            const gh_import *im = m->imports[i];
            if (import_is_keyword(im)) continue;
            const char *al = import_alias(im);
            if (al && strcmp(al, name) == 0) {
                if (imp) *imp = im;
                return GH_NAME_IMPORT;
            }
        }
        gh_rnode *r = tree_child(c, c->mod->pkg, name, strlen(name), false);
        if (r) {
            if (rule) *rule = r;
            return GH_NAME_RULE;
        }
    }
    return GH_NAME_UNKNOWN;
}

bool name_is_local(gh_comp *c, const char *name)
{
    gh_name_kind k = name_resolve(c, name, NULL, NULL, NULL);
    return k == GH_NAME_LOCAL || k == GH_NAME_UNKNOWN;
}

bool name_is_bound(gh_comp *c, const char *name)
{
    gh_cvar *v = scope_find(c, name);
    if (v) return v->bound;
    return !name_is_local(c, name);
}

const char *call_name(gh_comp *c, const gh_term *op)
{
    if (op->kind == GH_TERM_VAR) return op->u.str.s;
    if (op->kind != GH_TERM_REF) return NULL;
    size_t total = 0;
    for (size_t i = 0; i < op->u.list.n; i++) {
        const gh_term *t = op->u.list.items[i];
        if (i == 0 ? t->kind != GH_TERM_VAR : t->kind != GH_TERM_STRING) return NULL;
        total += t->u.str.len + 1;
    }
    char *s = gh_arena_alloc(&c->scratch, total + 1), *p = s;
    for (size_t i = 0; i < op->u.list.n; i++) {
        const gh_term *t = op->u.list.items[i];
        if (i) *p++ = '.';
        memcpy(p, t->u.str.s, t->u.str.len);
        p += t->u.str.len;
    }
    *p = 0;
    return s;
}
