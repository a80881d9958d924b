/* OPA's declaration checks and strict mode, run over the syntax tree before any other pass.
 *
 * OPA reports these in compiler stages and stops after the first stage that fails, so the
 * findings are collected first, tagged with their stage, and only the earliest failing
 * stage is reported:
 *   1. resolve:  function args named `input`/`data` (always);
 *                unused imports (strict);
 *   2. keywords: rules and `:=` assignments named `input`/`data` (Rego v1 modules, or strict);
 *   3. imports:  two imports of one name (Rego v1 modules, or strict);
 *   4. locals:   `some x` / `every x` never used (always); `x := ...` never used and
 *                function arguments never used (strict).
 * Deprecated builtins are checked while lowering calls (lower.c), as OPA checks them late.
 *
 * "Used" follows OPA's local-variable rewriting: a variable declared in a body is used when
 * it occurs again later in that body or in a body nested in it (comprehensions, `every`),
 * or anywhere in the rule head (the comprehension's term, for a comprehension body). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "compile/compile.h"

typedef enum strict_stage {
    STAGE_RESOLVE,
    STAGE_KEYWORDS,
    STAGE_IMPORTS,
    STAGE_LOCALS,
    STAGE_COUNT,
} strict_stage;

typedef struct finding {
    strict_stage stage;
    const gh_cmod *mod;
    gh_loc loc;
    const char *msg;
} finding;

typedef enum local_kind { LOCAL_ARG, LOCAL_ASSIGNED, LOCAL_DECLARED } local_kind;

/* A variable declared in the rule being checked. */
typedef struct local {
    const char *name;
    local_kind kind;
    uint32_t uses;       /* occurrences after the declaration */
    const gh_expr *decl; /* declaring expression; NULL for arguments and `every` */
} local;

typedef struct strict_ctx {
    gh_comp *c;
    const gh_cmod *mod;
    bool strict;
    gh_vec findings; /* finding * */
    gh_vec locals;   /* local *, innermost last */
    uint32_t scope;  /* index in locals where the innermost body's declarations start */
    uint32_t floor;  /* locals below this are invisible (head comprehensions start fresh) */
    bool *import_used;
    bool link_failed; /* a finding or a bad declaration in this rule body: OPA checks no more */
} strict_ctx;

static void walk_term(strict_ctx *s, const gh_term *t);
static void check_body(strict_ctx *s, const gh_body *b, const gh_vec *used);

/* A copy of text[0..len) in the compile's scratch arena, NUL-terminated. */
static const char *scratch_copy(strict_ctx *s, const char *text, size_t len)
{
    char *out = gh_arena_alloc(&s->c->scratch, len + 1);
    memcpy(out, text, len);
    out[len] = '\0';
    return out;
}

static void add_finding(strict_ctx *s, strict_stage stage, const gh_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_finding(strict_ctx *s, strict_stage stage, const gh_loc *loc, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    finding *f = gh_arena_calloc(&s->c->scratch, 1, sizeof *f);
    *f = (finding){
        .stage = stage, .mod = s->mod, .loc = *loc, .msg = scratch_copy(s, text, strlen(text))};
    gh_vec_push(&s->c->scratch, &s->findings, f);
}

static bool is_wildcard(const char *name)
{
    return name[0] == '$';
}

/* `input` or `data` as written: a one-item ref (or a bare var) naming a root document. */
static const char *root_doc_name(const gh_term *t)
{
    if (t->kind == GH_TERM_REF && t->u.list.n == 1) t = t->u.list.items[0];
    if (t->kind != GH_TERM_VAR) return NULL;
    if (strcmp(t->u.str.s, "input") == 0 || strcmp(t->u.str.s, "data") == 0) return t->u.str.s;
    return NULL;
}

static bool is_call_to(const gh_term *op, const char *name)
{
    if (op->kind == GH_TERM_REF && op->u.list.n == 1) op = op->u.list.items[0];
    return gh_term_is_var(op, name);
}

static bool is_assignment(const gh_expr *e)
{
    return e->kind == GH_EXPR_CALL && e->u.call.n == 3 && is_call_to(e->u.call.terms[0], "assign");
}

/* ---- imports ---- */

/* The name an import binds: its alias, else the last key of its path. */
static const char *import_name(const gh_import *imp)
{
    if (imp->alias) return imp->alias;
    const gh_term *p = imp->path;
    if (p->kind == GH_TERM_REF) p = p->u.list.items[p->u.list.n - 1];
    return p->u.str.s;
}

/* `future.keywords...` and `rego.v1` enable syntax; OPA never calls them unused. */
static bool import_is_feature(const gh_import *imp)
{
    const gh_term *p = imp->path;
    if (p->kind == GH_TERM_REF) p = p->u.list.items[0];
    return gh_term_is_var(p, "future") || gh_term_is_var(p, "rego");
}

/* "import data.a.b as c", as OPA prints an import in messages. */
static const char *import_text(strict_ctx *s, const gh_import *imp)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_buf_puts(&b, "import ");
    gh_term_to_rego(imp->path, &b);
    if (imp->alias) gh_buf_printf(&b, " as %s", imp->alias);
    bool ok = b.data && !b.failed; /* out of memory: the message still reads */
    const char *out = scratch_copy(s, ok ? b.data : "import", ok ? b.len : strlen("import"));
    gh_buf_free(&b);
    return out;
}

static void mark_import_used(strict_ctx *s, const char *name)
{
    const gh_module *m = s->mod->m;
    for (size_t i = 0; i < m->nimports; i++)
        if (strcmp(import_name(m->imports[i]), name) == 0) s->import_used[i] = true;
}

static void check_unused_imports(strict_ctx *s)
{
    const gh_module *m = s->mod->m;
    for (size_t i = 0; i < m->nimports; i++) {
        const gh_import *imp = m->imports[i];
        if (!s->import_used[i] && !import_is_feature(imp))
            add_finding(s, STAGE_RESOLVE, &imp->loc, "%s unused", import_text(s, imp));
    }
}

static void check_duplicate_imports(strict_ctx *s)
{
    const gh_module *m = s->mod->m;
    for (size_t i = 0; i < m->nimports; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(import_name(m->imports[i]), import_name(m->imports[j])) == 0) {
                add_finding(s, STAGE_IMPORTS, &m->imports[i]->loc, "import must not shadow %s",
                            import_text(s, m->imports[j]));
                break;
            }
}

/* ---- locals ---- */

static local *local_find(strict_ctx *s, const char *name)
{
    for (uint32_t i = s->locals.n; i > s->floor; i--) {
        local *l = s->locals.items[i - 1];
        if (strcmp(l->name, name) == 0) return l;
    }
    return NULL;
}

/* An occurrence of a name that is not a declaration. */
static void reference(strict_ctx *s, const char *name)
{
    if (is_wildcard(name)) return;
    local *l = local_find(s, name);
    if (l)
        l->uses++;
    else
        mark_import_used(s, name);
}

/* Declares a name in the innermost body. Declaring it twice there is an error the lowering
 * reports ("var x assigned above"); OPA then skips the unused checks of the rule. */
static void declare(strict_ctx *s, const char *name, local_kind kind, const gh_expr *decl)
{
    if (is_wildcard(name)) return;
    for (uint32_t i = s->scope; i < s->locals.n; i++) {
        local *l = s->locals.items[i];
        if (strcmp(l->name, name) == 0) {
            if (kind == LOCAL_ARG)
                l->uses++; /* f(x, x): the second is a use, as OPA counts it */
            else
                s->link_failed = true;
            return;
        }
    }
    local *l = gh_arena_calloc(&s->c->scratch, 1, sizeof *l);
    *l = (local){.name = name, .kind = kind, .decl = decl};
    gh_vec_push(&s->c->scratch, &s->locals, l);
}

/* The left side of `:=`: vars, arrays of patterns, object values; `input`/`data` too. */
static void declare_pattern(strict_ctx *s, const gh_term *t, const gh_expr *e)
{
    const char *root = root_doc_name(t);
    if (root) {
        declare(s, root, LOCAL_ASSIGNED, e);
        return;
    }
    switch (t->kind) {
    case GH_TERM_VAR: declare(s, t->u.str.s, LOCAL_ASSIGNED, e); break;
    case GH_TERM_ARRAY:
        for (size_t i = 0; i < t->u.list.n; i++)
            declare_pattern(s, t->u.list.items[i], e);
        break;
    case GH_TERM_OBJECT:
        for (size_t i = 0; i < t->u.obj.n; i++)
            declare_pattern(s, t->u.obj.vals[i], e);
        break;
    default: s->link_failed = true; break; /* "cannot assign to ..." */
    }
}

static void collect_vars(strict_ctx *s, const gh_term *t, gh_vec *out);

static void collect_body_vars(strict_ctx *s, const gh_body *b, gh_vec *out)
{
    for (size_t i = 0; i < b->n; i++) {
        const gh_expr *e = b->items[i];
        switch (e->kind) {
        case GH_EXPR_TERM: collect_vars(s, e->u.term, out); break;
        case GH_EXPR_CALL:
            for (size_t j = 0; j < e->u.call.n; j++)
                collect_vars(s, e->u.call.terms[j], out);
            break;
        case GH_EXPR_SOME:
            for (size_t j = 0; j < e->u.some.n; j++)
                collect_vars(s, e->u.some.symbols[j], out);
            break;
        case GH_EXPR_EVERY:
            collect_vars(s, e->u.every.key, out);
            collect_vars(s, e->u.every.value, out);
            collect_vars(s, e->u.every.domain, out);
            collect_body_vars(s, e->u.every.body, out);
            break;
        }
        for (size_t j = 0; j < e->nwith; j++) {
            collect_vars(s, e->with[j]->target, out);
            collect_vars(s, e->with[j]->value, out);
        }
    }
}

/* Every variable name in a term, comprehensions included (OPA's Vars()). */
static void collect_vars(strict_ctx *s, const gh_term *t, gh_vec *out)
{
    if (!t) return;
    switch (t->kind) {
    case GH_TERM_VAR: gh_vec_push(&s->c->scratch, out, (void *)t->u.str.s); break;
    case GH_TERM_REF:
    case GH_TERM_ARRAY:
    case GH_TERM_SET:
    case GH_TERM_CALL:
        for (size_t i = 0; i < t->u.list.n; i++)
            collect_vars(s, t->u.list.items[i], out);
        break;
    case GH_TERM_OBJECT:
        for (size_t i = 0; i < t->u.obj.n; i++) {
            collect_vars(s, t->u.obj.keys[i], out);
            collect_vars(s, t->u.obj.vals[i], out);
        }
        break;
    case GH_TERM_ARRAY_COMPR:
    case GH_TERM_SET_COMPR:
    case GH_TERM_OBJECT_COMPR:
        collect_vars(s, t->u.compr.key, out);
        collect_vars(s, t->u.compr.value, out);
        collect_body_vars(s, t->u.compr.body, out);
        break;
    default: break;
    }
}

static bool in_names(const gh_vec *names, const char *name)
{
    for (uint32_t i = 0; names && i < names->n; i++)
        if (strcmp(names->items[i], name) == 0) return true;
    return false;
}

/* ---- walking bodies ---- */

/* Comprehension: its own body; the collected term counts as using the body's locals. */
static void walk_comprehension(strict_ctx *s, const gh_term *t)
{
    gh_vec used = {0};
    collect_vars(s, t->u.compr.key, &used);
    collect_vars(s, t->u.compr.value, &used);
    check_body(s, t->u.compr.body, &used);
    if (t->u.compr.key) walk_term(s, t->u.compr.key);
    walk_term(s, t->u.compr.value);
}

static void walk_expr_terms(strict_ctx *s, const gh_expr *e);

static void walk_term(strict_ctx *s, const gh_term *t)
{
    switch (t->kind) {
    case GH_TERM_VAR: reference(s, t->u.str.s); break;
    case GH_TERM_REF:
    case GH_TERM_ARRAY:
    case GH_TERM_SET:
    case GH_TERM_CALL:
        for (size_t i = 0; i < t->u.list.n; i++)
            walk_term(s, t->u.list.items[i]);
        break;
    case GH_TERM_OBJECT:
        for (size_t i = 0; i < t->u.obj.n; i++) {
            walk_term(s, t->u.obj.keys[i]);
            walk_term(s, t->u.obj.vals[i]);
        }
        break;
    case GH_TERM_ARRAY_COMPR:
    case GH_TERM_SET_COMPR:
    case GH_TERM_OBJECT_COMPR: walk_comprehension(s, t); break;
    case GH_TERM_TEMPLATE:
        for (size_t i = 0; i < t->u.tpl.n; i++)
            if (t->u.tpl.parts[i].expr) walk_expr_terms(s, t->u.tpl.parts[i].expr);
        break;
    default: break;
    }
}

static void walk_withs(strict_ctx *s, const gh_expr *e, bool targets)
{
    for (size_t i = 0; i < e->nwith; i++) {
        if (targets) walk_term(s, e->with[i]->target);
        walk_term(s, e->with[i]->value);
    }
}

static void walk_every(strict_ctx *s, const gh_expr *e);

/* An expression that declares nothing (or, in a template, whatever it holds). */
static void walk_expr_terms(strict_ctx *s, const gh_expr *e)
{
    switch (e->kind) {
    case GH_EXPR_TERM: walk_term(s, e->u.term); break;
    case GH_EXPR_CALL:
        for (size_t i = 0; i < e->u.call.n; i++)
            walk_term(s, e->u.call.terms[i]);
        break;
    case GH_EXPR_EVERY: walk_every(s, e); break;
    case GH_EXPR_SOME: break;
    }
    walk_withs(s, e, true);
}

/* `x := v`: v first (it cannot see x), then x is declared. */
static void walk_assignment(strict_ctx *s, const gh_expr *e)
{
    const gh_term *lhs = e->u.call.terms[1];
    const char *root = root_doc_name(lhs);
    if (root && (s->strict || s->mod->m->rego_version != GH_REGO_V0))
        add_finding(s, STAGE_KEYWORDS, &e->loc,
                    "variables must not shadow %s (use a different variable name)", root);
    walk_term(s, e->u.call.terms[2]);
    walk_withs(s, e, false);
    if (e->negated)
        s->link_failed = true; /* "cannot assign vars inside negated expression" */
    else
        declare_pattern(s, lhs, e);
}

/* `some x, y` declares; `some k, v in xs` declares and uses at once (OPA rewrites it to
 * `v = xs[k]`, so its variables always count as used). */
static void walk_some(strict_ctx *s, const gh_expr *e)
{
    for (size_t i = 0; i < e->u.some.n; i++) {
        const gh_term *sym = e->u.some.symbols[i];
        if (sym->kind == GH_TERM_VAR) {
            declare(s, sym->u.str.s, LOCAL_DECLARED, e);
            continue;
        }
        if (sym->kind != GH_TERM_CALL || sym->u.list.n < 3) continue;
        size_t n = sym->u.list.n;
        walk_term(s, sym->u.list.items[n - 1]);
        gh_vec vars = {0};
        for (size_t j = 1; j + 1 < n; j++)
            collect_vars(s, sym->u.list.items[j], &vars);
        for (uint32_t j = 0; j < vars.n; j++) {
            declare(s, vars.items[j], LOCAL_DECLARED, e);
            reference(s, vars.items[j]);
        }
    }
    walk_withs(s, e, true);
}

static void walk_body_exprs(strict_ctx *s, const gh_body *b)
{
    for (size_t i = 0; i < b->n; i++) {
        const gh_expr *e = b->items[i];
        if (is_assignment(e))
            walk_assignment(s, e);
        else if (e->kind == GH_EXPR_SOME)
            walk_some(s, e);
        else
            walk_expr_terms(s, e);
    }
}

/* Reports the unused locals of one kind declared in the innermost body; true if any. */
static bool report_unused(strict_ctx *s, const gh_body *b, const gh_vec *used, local_kind kind,
                          const char *how)
{
    bool found = false;
    for (uint32_t i = s->scope; i < s->locals.n; i++) {
        local *l = s->locals.items[i];
        if (l->kind != kind || l->uses || in_names(used, l->name)) continue;
        /* `every` variables have no declaring expression: OPA points at the body */
        const gh_loc *at = l->decl ? &l->decl->loc : b->n ? &b->items[0]->loc : &b->loc;
        add_finding(s, STAGE_LOCALS, at, "%s var %s unused", how, l->name);
        found = true;
    }
    return found;
}

/* The findings for the body that ends here. As OPA, once the rule body has one finding (or
 * a bad declaration) nothing more is checked in it, and unused assignments hide unused
 * declarations. */
static void check_scope(strict_ctx *s, const gh_body *b, const gh_vec *used)
{
    if (s->link_failed) return;
    bool found = s->strict && report_unused(s, b, used, LOCAL_ASSIGNED, "assigned");
    if (!found) found = report_unused(s, b, used, LOCAL_DECLARED, "declared");
    if (found) s->link_failed = true;
}

/* A nested body (comprehension): a new scope over the enclosing ones. */
static void check_body(strict_ctx *s, const gh_body *b, const gh_vec *used)
{
    uint32_t outer = s->scope, mark = s->locals.n;
    s->scope = mark;
    walk_body_exprs(s, b);
    check_scope(s, b, used);
    s->locals.n = mark;
    s->scope = outer;
}

/* `every k, v in xs { ... }`: k and v are declared in the body's scope. */
static void walk_every(strict_ctx *s, const gh_expr *e)
{
    walk_term(s, e->u.every.domain);
    uint32_t outer = s->scope, mark = s->locals.n;
    s->scope = mark;
    if (e->u.every.key && e->u.every.key->kind == GH_TERM_VAR)
        declare(s, e->u.every.key->u.str.s, LOCAL_DECLARED, NULL);
    if (e->u.every.value->kind == GH_TERM_VAR)
        declare(s, e->u.every.value->u.str.s, LOCAL_DECLARED, NULL);
    walk_body_exprs(s, e->u.every.body);
    check_scope(s, e->u.every.body, NULL);
    s->locals.n = mark;
    s->scope = outer;
}

/* ---- rules ---- */

/* The head terms that may hold variables: ref items after the name, key, value. */
static size_t head_term_count(const gh_head *h)
{
    return (h->nref ? h->nref - 1 : 0) + (h->key != NULL) + (h->value != NULL);
}

static const gh_term *head_term(const gh_head *h, size_t i)
{
    size_t nref = h->nref ? h->nref - 1 : 0;
    if (i < nref) return h->ref[i + 1];
    if (i == nref && h->key) return h->key;
    return h->value;
}

/* One link of a rule (an else chain has several): head comprehensions start from an empty
 * scope, as OPA rewrites them apart; the body sees the arguments; head variables are uses. */
static void walk_link(strict_ctx *s, const gh_rule *r, gh_vec *value_vars)
{
    const gh_head *h = r->head;
    size_t nterms = head_term_count(h);
    uint32_t floor = s->floor;
    s->floor = s->locals.n;
    s->link_failed = false;
    for (size_t i = 0; i < nterms; i++)
        walk_term(s, head_term(h, i));
    s->floor = floor;
    gh_vec used = {0};
    for (size_t i = 0; i < nterms; i++)
        collect_vars(s, head_term(h, i), &used);
    collect_vars(s, h->value, value_vars);
    s->link_failed = false;
    uint32_t mark = s->locals.n;
    walk_body_exprs(s, r->body);
    check_scope(s, r->body, &used);
    s->locals.n = mark;
}

static void declare_args(strict_ctx *s, const gh_term *t)
{
    switch (t->kind) {
    case GH_TERM_VAR: declare(s, t->u.str.s, LOCAL_ARG, NULL); break;
    case GH_TERM_REF:
    case GH_TERM_ARRAY:
        for (size_t i = 0; i < t->u.list.n; i++)
            declare_args(s, t->u.list.items[i]);
        break;
    case GH_TERM_OBJECT:
        for (size_t i = 0; i < t->u.obj.n; i++)
            declare_args(s, t->u.obj.vals[i]);
        break;
    default: break;
    }
}

/* OPA's resolver refuses arguments named after a root document (first one per rule). */
static const gh_term *shadowing_arg(const gh_term *t)
{
    if (root_doc_name(t)) return t;
    const gh_term *found = NULL;
    if (t->kind == GH_TERM_ARRAY)
        for (size_t i = 0; !found && i < t->u.list.n; i++)
            found = shadowing_arg(t->u.list.items[i]);
    if (t->kind == GH_TERM_OBJECT)
        for (size_t i = 0; !found && i < t->u.obj.n; i++)
            found = shadowing_arg(t->u.obj.vals[i]);
    return found;
}

static void check_args(strict_ctx *s, const gh_rule *r, const gh_vec *value_vars)
{
    for (uint32_t i = 0; i < s->locals.n; i++) {
        local *l = s->locals.items[i];
        if (l->uses || in_names(value_vars, l->name)) continue;
        add_finding(s, STAGE_LOCALS, &r->head->loc,
                    "unused argument %s. (hint: use _ (wildcard variable) instead)", l->name);
    }
}

static void check_rule(strict_ctx *s, const gh_rule *r)
{
    const gh_head *h = r->head;
    if (!h || h->invalid || !r->body) return;
    for (size_t i = 0; i < h->nargs; i++) {
        const gh_term *bad = shadowing_arg(h->args[i]);
        if (bad) {
            add_finding(s, STAGE_RESOLVE, &r->loc,
                        "args must not shadow %s (use a different variable name)",
                        root_doc_name(bad));
            break;
        }
    }
    s->locals.n = s->scope = s->floor = 0;
    for (size_t i = 0; i < h->nargs; i++)
        declare_args(s, h->args[i]);
    gh_vec value_vars = {0};
    for (const gh_rule *link = r; link; link = link->else_rule)
        if (link->head && link->body) walk_link(s, link, &value_vars);
    if (s->strict) check_args(s, r, &value_vars);
    s->locals.n = 0;
}

static void check_rule_names(strict_ctx *s)
{
    const gh_module *m = s->mod->m;
    if (!s->strict && m->rego_version == GH_REGO_V0) return;
    for (size_t i = 0; i < m->nrules; i++)
        for (const gh_rule *r = m->rules[i]; r; r = r->else_rule) {
            const gh_head *h = r->head;
            const char *root = h && h->nref ? root_doc_name(h->ref[0]) : NULL;
            if (root)
                add_finding(s, STAGE_KEYWORDS, &r->loc,
                            "rules must not shadow %s (use a different rule name)", root);
        }
}

static void check_module(strict_ctx *s, const gh_cmod *mod)
{
    s->mod = mod;
    const gh_module *m = mod->m;
    s->import_used = gh_arena_calloc(&s->c->scratch, m->nimports ? m->nimports : 1, sizeof(bool));
    check_rule_names(s);
    if (s->strict || m->rego_version != GH_REGO_V0) check_duplicate_imports(s);
    for (size_t i = 0; i < m->nrules; i++)
        check_rule(s, m->rules[i]);
    if (s->strict) check_unused_imports(s);
}

/* Reports the findings of the first stage that has any (OPA stops there). */
static void report(strict_ctx *s)
{
    for (int stage = 0; stage < STAGE_COUNT; stage++) {
        bool any = false;
        for (uint32_t i = 0; i < s->findings.n; i++) {
            const finding *f = s->findings.items[i];
            if ((int)f->stage != stage) continue;
            s->c->mod = f->mod;
            comp_error(s->c, &f->loc, "rego_compile_error", "%s", f->msg);
            any = true;
        }
        if (any) break;
    }
    s->c->mod = NULL;
}

int strict_check(gh_comp *c)
{
    strict_ctx s = {.c = c, .strict = c->rev && c->rev->strict};
    int before = c->nerr;
    for (size_t i = 0; i < c->nmods; i++)
        check_module(&s, &c->mods[i]);
    report(&s);
    return c->nerr - before;
}
