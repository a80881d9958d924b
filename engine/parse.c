/* The front end's public entry points (gh_parse_module/query/term) and the semantic side
 * of the grammar: rule heads and their v0/v1 shapes, else chains, package and import
 * checks, OPA's Rego v1 rule checks, error collection and ordering. */
#define GH_PARSE_INTERNAL
#include "parse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/error.h"
#include "rego.tab.h"

/* engine/parse_annot.c: METADATA comment blocks to gh_annotations */
void gh_annotations_collect(gh_pctx *ctx, gh_module *m);

void gh_parse_error_at(gh_pctx *ctx, int line, int col, const char *fmt, ...)
{
    ctx->nerrors++;
    if (ctx->nerrors > GH_PARSE_MAX_ERRORS) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gh_diags_add(ctx->diags, ctx->file, ctx->src, ctx->len, line, col, "rego_parse_error", "%s", msg);
}

static void err_loc(gh_pctx *ctx, gh_loc l, const char *fmt, const char *arg)
{
    gh_parse_error_at(ctx, l.line, l.col, fmt, arg);
}

static gh_term *true_term(gh_pctx *ctx, gh_loc l)
{
    return gh_term_bool(ctx->a, l, true);
}

static gh_body *true_body(gh_pctx *ctx, gh_loc l)
{
    gh_body *b = gh_arena_calloc(ctx->a, 1, sizeof *b);
    gh_expr *e = gh_arena_calloc(ctx->a, 1, sizeof *e);
    e->kind = GH_EXPR_TERM;
    e->loc = l;
    e->u.term = true_term(ctx, l);
    b->loc = l;
    b->items = gh_arena_alloc(ctx->a, sizeof(gh_expr *));
    b->items[0] = e;
    b->n = 1;
    return b;
}

static const char *const keywords[] = {"package", "import", "as", "default", "else", "not", "some",
                                       "with", "null", "true", "false", "if", "contains", "in",
                                       "every", NULL};

static bool is_keyword(const char *s)
{
    for (int i = 0; keywords[i]; i++)
        if (strcmp(s, keywords[i]) == 0) return true;
    return false;
}

static char *ref_text(gh_pctx *ctx, gh_term **items, size_t n)
{
    gh_term t = {.kind = GH_TERM_REF};
    t.u.list.items = items;
    t.u.list.n = n;
    gh_buf b;
    gh_buf_init(&b, 4096);
    gh_term_to_rego(&t, &b);
    char *s = gh_arena_strndup(ctx->a, b.data ? b.data : "", b.len);
    gh_buf_free(&b);
    return s;
}

static void note_stmt(gh_pctx *ctx, gh_loc l, bool is_package)
{
    if (ctx->nstmts++ == 0 && !is_package) gh_parse_error_at(ctx, l.line, l.col, "package expected");
}

/* ---- rule heads ---- */

gh_head *gh_parse_make_head(gh_pctx *ctx, gh_term *t, int how, gh_term *val, gh_yyltype kwloc)
{
    gh_head *h = gh_arena_calloc(ctx->a, 1, sizeof *h);
    h->loc = t->loc;
    switch (t->kind) {
    case GH_TERM_VAR:
        h->ref = gh_arena_alloc(ctx->a, sizeof(gh_term *));
        h->ref[0] = t;
        h->nref = 1;
        h->name = t->u.str.s;
        break;
    case GH_TERM_REF:
        h->ref = t->u.list.items;
        h->nref = t->u.list.n;
        break;
    case GH_TERM_CALL: {
        gh_term *op = t->u.list.items[0];
        h->ref = op->u.list.items;
        h->nref = op->u.list.n;
        h->args = t->u.list.items + 1;
        h->nargs = t->u.list.n - 1;
        if (h->nref == 1) h->name = h->ref[0]->u.str.s;
        break;
    }
    default:
        err_loc(ctx, t->loc, "%s cannot be used for rule name", gh_term_kind_name(t->kind));
        h->ref = gh_arena_alloc(ctx->a, sizeof(gh_term *));
        h->ref[0] = gh_term_str(ctx->a, GH_TERM_VAR, t->loc, "$error", 6);
        h->nref = 1;
        h->invalid = true;
        return h;
    }
    if (h->ref[0]->kind != GH_TERM_VAR) {
        gh_parse_error_at(ctx, t->loc.line, t->loc.col, "rule head ref %s invalid",
                          ref_text(ctx, h->ref, h->nref));
    }
    if (h->nref == 1 && !h->name && h->ref[0]->kind == GH_TERM_VAR) h->name = h->ref[0]->u.str.s;
    switch (how) {
    case GH_T_CONTAINS:
        h->has_contains = true;
        h->key = val;
        if (h->nargs) {
            char note[300];
            snprintf(note, sizeof note,
                     "unexpected contains keyword: the contains keyword can only be used with "
                     "multi-value rule definitions (e.g., %s contains <VALUE> { ... })",
                     ref_text(ctx, h->ref, h->nref));
            gh_parse_error_at(ctx, kwloc.line, kwloc.col, "%s", note);
        }
        break;
    case GH_T_ASSIGN: h->assign = true; h->value = val; break;
    case GH_T_UNIFY: h->value = val; break;
    default: break;
    }
    if (!h->value && !h->key && (h->nref != 2 || h->nargs > 0)) {
        h->value = true_term(ctx, h->loc);
        h->generated_value = true;
    }
    h->written = t;
    return h;
}

/* A head for the next link of an else chain or an extra v0 body: the parent's path and
 * parameters (wildcard parameters renamed, as OPA does), its own value. */
static gh_head *copy_head(gh_pctx *ctx, const gh_head *p, gh_loc l)
{
    gh_head *h = gh_arena_alloc(ctx->a, sizeof *h);
    *h = *p;
    h->loc = l;
    if (p->nargs) {
        h->args = gh_arena_alloc(ctx->a, p->nargs * sizeof(gh_term *));
        for (size_t i = 0; i < p->nargs; i++) {
            gh_term *a = p->args[i];
            if (a->kind == GH_TERM_VAR && a->u.str.s[0] == '$') {
                char buf[24];
                int n = snprintf(buf, sizeof buf, "$%d", ctx->wildcards++);
                a = gh_term_str(ctx->a, GH_TERM_VAR, a->loc, buf, (size_t)n);
            }
            h->args[i] = a;
        }
    }
    return h;
}

gh_rule *gh_parse_else(gh_pctx *ctx, gh_loc l, int how, gh_term *val, struct gh_rbody *rb)
{
    gh_rule *r = gh_arena_calloc(ctx->a, 1, sizeof *r);
    gh_head *h = gh_arena_calloc(ctx->a, 1, sizeof *h);
    r->loc = l;
    r->head = h;
    h->loc = l;
    if (val) {
        h->value = val;
        h->assign = how == GH_T_ASSIGN;
    } else {
        h->value = true_term(ctx, l);
        h->generated_value = true;
    }
    if (rb) {
        r->body = rb->body;
        h->has_if = rb->kind == GH_T_IF;
    } else {
        r->body = true_body(ctx, l);
        r->generated_body = true;
    }
    return r;
}

static bool has_var_ref_call(gh_term *t, const char **what)
{
    switch (t->kind) {
    case GH_TERM_VAR: case GH_TERM_REF: case GH_TERM_CALL:
        *what = gh_term_kind_name(t->kind);
        return true;
    case GH_TERM_ARRAY: case GH_TERM_SET:
        for (size_t i = 0; i < t->u.list.n; i++)
            if (has_var_ref_call(t->u.list.items[i], what)) return true;
        return false;
    case GH_TERM_OBJECT:
        for (size_t i = 0; i < t->u.obj.n; i++)
            if (has_var_ref_call(t->u.obj.keys[i], what) || has_var_ref_call(t->u.obj.vals[i], what))
                return true;
        return false;
    case GH_TERM_TEMPLATE:
        for (size_t i = 0; i < t->u.tpl.n; i++)
            if (t->u.tpl.parts[i].expr) {
                *what = "templatestring";
                return true;
            }
        return false;
    default: return false;
    }
}

static void check_default(gh_pctx *ctx, gh_rule *r)
{
    gh_head *h = r->head;
    const char *what;
    if (!h->value || h->generated_value) {
        err_loc(ctx, r->loc, "%s", "illegal default rule (must have a value)");
        return;
    }
    if (has_var_ref_call(h->value, &what)) {
        err_loc(ctx, r->loc, "illegal default rule (value cannot contain %s)", what);
        return;
    }
    for (size_t i = 0; i < h->nargs; i++) {
        gh_term *a = h->args[i];
        if (a->kind != GH_TERM_VAR) {
            err_loc(ctx, r->loc, "illegal default rule (arguments cannot contain %s)", gh_term_kind_name(a->kind));
            return;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(h->args[j]->u.str.s, a->u.str.s) == 0) {
                err_loc(ctx, r->loc, "illegal default rule (arguments cannot be repeated %s)", a->u.str.s);
                return;
            }
    }
}

/* The statement forms OPA parses as a body and turns into a rule (ParseRuleFromExpr):
 * `p := 1`, `p[k] = v`, `f(x) = y`, `a.b`, `a.b.c`, `f(x)`. */
static bool bodiless_head(gh_pctx *ctx, gh_rule *r, gh_term *headterm)
{
    gh_head *h = r->head;
    if (h->has_contains) return true;
    if (h->generated_value && headterm->kind == GH_TERM_VAR) {
        err_loc(ctx, r->loc, "%s cannot be used for rule name", "var");
        return false;
    }
    if (headterm->kind == GH_TERM_CALL) {
        h->generated_value = false; /* f(x) alone: a function returning true */
        return true;
    }
    if (h->nref == 2 && headterm->kind == GH_TERM_REF) {
        h->name = h->ref[0]->kind == GH_TERM_VAR ? h->ref[0]->u.str.s : NULL;
        h->key = h->ref[1];
        if (!h->value) h->nref = 1; /* `a.b` alone: a multi-value rule a contains "b" */
    }
    return true;
}

void gh_parse_add_rule(gh_pctx *ctx, gh_loc l, gh_head *h, struct gh_rbody *rb, gh_vec *elses,
                       gh_vec *extra, bool is_default)
{
    gh_term *headterm = h->written;
    gh_rule *r = gh_arena_calloc(ctx->a, 1, sizeof *r);
    note_stmt(ctx, l, false);
    if (h->invalid) return; /* already reported */
    r->loc = l;
    r->head = h;
    r->is_default = is_default;
    if (is_default) {
        r->body = true_body(ctx, l);
        check_default(ctx, r);
        gh_vec_push(ctx->a, &ctx->stmts_rules, r);
        return;
    }
    if (!rb) {
        r->body = true_body(ctx, h->value ? h->value->loc : l);
        r->generated_body = true;
        if (bodiless_head(ctx, r, headterm)) gh_vec_push(ctx->a, &ctx->stmts_rules, r);
        return;
    }
    r->body = rb->body;
    bool has_if = rb->kind == GH_T_IF;
    h->has_if = has_if;
    if (has_if && !h->has_contains && h->nref == 2) {
        gh_term *v = h->ref[1];
        if ((!gh_term_is_ground(v) || v->kind == GH_TERM_REF) && h->nargs == 0) h->key = v;
        if (!h->value) {
            h->value = true_term(ctx, h->loc);
            h->generated_value = true;
        } else if (h->ref[0]->kind == GH_TERM_VAR) {
            h->name = h->ref[0]->u.str.s;
        }
    }
    if (!has_if && !h->has_contains && h->nargs == 0 && h->nref == 2) {
        h->name = h->ref[0]->kind == GH_TERM_VAR ? h->ref[0]->u.str.s : NULL;
        h->key = h->ref[1];
        if (!h->value) h->nref = 1;
    }
    /* else chain */
    gh_rule *prev = r;
    for (uint32_t i = 0; elses && i < elses->n; i++) {
        gh_rule *e = elses->items[i];
        if (i == 0) {
            bool ground = true; /* like OPA's Ref.IsGround, the head var does not count */
            for (size_t k = 1; k < h->nref; k++) ground = ground && gh_term_is_ground(h->ref[k]);
            if (!ground) {
                err_loc(ctx, e->loc, "%s", "else keyword cannot be used on rules with variables in head");
                break;
            }
            if (h->key) {
                err_loc(ctx, e->loc, "%s", "else keyword cannot be used on multi-value rules");
                break;
            }
        }
        gh_head *eh = copy_head(ctx, h, e->loc);
        eh->value = e->head->value;
        eh->assign = e->head->assign;
        eh->generated_value = e->head->generated_value;
        eh->has_if = e->head->has_if;
        eh->has_contains = false;
        e->head = eh;
        prev->else_rule = e;
        prev = e;
    }
    gh_vec_push(ctx->a, &ctx->stmts_rules, r);
    /* v0: `p { a } { b }` defines p twice */
    for (uint32_t i = 0; extra && i < extra->n; i++) {
        gh_body *b = extra->items[i];
        if (elses && elses->n) {
            err_loc(ctx, b->loc, "%s", "expected else keyword");
            return;
        }
        gh_rule *n = gh_arena_calloc(ctx->a, 1, sizeof *n);
        n->loc = b->loc;
        n->head = copy_head(ctx, h, b->loc);
        n->body = b;
        gh_vec_push(ctx->a, &ctx->stmts_rules, n);
    }
}

/* ---- package and imports ---- */

void gh_parse_package(gh_pctx *ctx, gh_loc l, gh_term *path)
{
    if (ctx->package) {
        err_loc(ctx, l, "%s", "unexpected package");
        return;
    }
    note_stmt(ctx, l, true);
    gh_vec v = {0};
    gh_term *head = path->kind == GH_TERM_REF ? path->u.list.items[0] : path;
    gh_vec_push(ctx->a, &v, gh_term_str(ctx->a, GH_TERM_VAR, head->loc, "data", 4));
    if (head->kind != GH_TERM_VAR) {
        err_loc(ctx, head->loc, "unexpected %s token: expecting var", gh_term_kind_name(head->kind));
        return;
    }
    gh_vec_push(ctx->a, &v, gh_term_str(ctx->a, GH_TERM_STRING, head->loc, head->u.str.s, head->u.str.len));
    if (path->kind == GH_TERM_REF) {
        for (size_t i = 1; i < path->u.list.n; i++) {
            gh_term *e = path->u.list.items[i];
            if (e->kind != GH_TERM_STRING) {
                err_loc(ctx, e->loc, "unexpected %s token: expecting string", gh_term_kind_name(e->kind));
                return;
            }
            gh_vec_push(ctx->a, &v, e);
        }
    }
    gh_package *p = gh_arena_calloc(ctx->a, 1, sizeof *p);
    p->loc = l;
    p->path = gh_term_list(ctx->a, GH_TERM_REF, path->loc, &v);
    ctx->package = p;
}

static const char *str_at(gh_term *ref, size_t i)
{
    return ref->u.list.n > i && ref->u.list.items[i]->kind == GH_TERM_STRING ? ref->u.list.items[i]->u.str.s : NULL;
}

static void future_import(gh_pctx *ctx, gh_term *path, bool aliased)
{
    const char *kw = str_at(path, 1);
    if (!kw || strcmp(kw, "keywords") != 0) {
        err_loc(ctx, path->loc, "%s", "invalid import, must be `future.keywords`");
        return;
    }
    if (aliased) {
        err_loc(ctx, path->loc, "%s", "`future` imports cannot be aliased");
        return;
    }
    if (path->u.list.n == 2) {
        ctx->lex.kw |= GH_KW_ALL;
        return;
    }
    const char *k = str_at(path, 2);
    int bit = !k ? 0 : !strcmp(k, "if") ? GH_KW_IF : !strcmp(k, "contains") ? GH_KW_CONTAINS
                  : !strcmp(k, "in") ? GH_KW_IN : !strcmp(k, "every") ? GH_KW_EVERY | GH_KW_IN : 0;
    if (path->u.list.n > 3 || !bit) {
        if (!k && path->u.list.n == 3)
            err_loc(ctx, path->loc, "%s", "invalid import, must be `future.keywords.x`, e.g. `import future.keywords.in`");
        else
            err_loc(ctx, path->loc, "%s", "unexpected keyword, must be one of [contains every if in]");
        return;
    }
    ctx->lex.kw |= bit;
}

void gh_parse_import(gh_pctx *ctx, gh_loc l, gh_term *path, gh_str *alias, gh_yyltype aliasl)
{
    note_stmt(ctx, l, false);
    if (path->kind == GH_TERM_VAR) {
        gh_vec v = {0};
        gh_vec_push(ctx->a, &v, path);
        path = gh_term_list(ctx->a, GH_TERM_REF, path->loc, &v);
    }
    if (path->kind != GH_TERM_REF || path->u.list.items[0]->kind != GH_TERM_VAR) {
        err_loc(ctx, path->loc, "%s", "expected path");
        return;
    }
    for (size_t i = 1; i < path->u.list.n; i++) {
        gh_term *e = path->u.list.items[i];
        if (e->kind != GH_TERM_STRING) {
            err_loc(ctx, e->loc, "unexpected %s token: expecting string", gh_term_kind_name(e->kind));
            return;
        }
    }
    gh_term *head = path->u.list.items[0];
    const char *root = head->u.str.s;
    if (strcmp(root, "data") && strcmp(root, "input") && strcmp(root, "future") && strcmp(root, "rego")) {
        err_loc(ctx, path->loc,
                "unexpected import path, must begin with one of: {data, future, input, rego}, got: %s "
                "(hint: if this is unexpected, try updating OPA)", root);
        return;
    }
    (void)aliasl;
    if (!strcmp(root, "future")) {
        future_import(ctx, path, alias != NULL);
    } else if (!strcmp(root, "rego")) {
        const char *v = str_at(path, 1);
        if (path->u.list.n != 2 || !v || strcmp(v, "v1") != 0) {
            char *t = ref_text(ctx, path->u.list.items, path->u.list.n);
            err_loc(ctx, path->loc, "invalid import `%s`, must be `rego.v1`", t);
            return;
        }
        if (ctx->v0) {
            if (alias) {
                err_loc(ctx, path->loc, "%s", "`rego` imports cannot be aliased");
                return;
            }
            ctx->lex.kw |= GH_KW_ALL;
            ctx->rego_v1_import = true;
        }
    } else if (!alias) {
        const char *last = path->u.list.n == 1 ? root : str_at(path, path->u.list.n - 1);
        gh_term *lt = path->u.list.items[path->u.list.n - 1];
        if (last && is_keyword(last)) {
            gh_parse_error_at(ctx, lt->loc.line, lt->loc.col,
                              "unexpected import path, must not end with a keyword, got: %s "
                              "(hint: import a different path or use an alias)", last);
        }
    }
    gh_import *imp = gh_arena_calloc(ctx->a, 1, sizeof *imp);
    imp->loc = l;
    imp->path = path;
    imp->alias = alias ? gh_arena_strndup(ctx->a, alias->s, alias->len) : NULL;
    gh_vec_push(ctx->a, &ctx->stmts_imports, imp);
}

/* ---- Rego v1 checks (OPA's checkRegoV1Rule) ---- */

static void check_v1_rule(gh_pctx *ctx, gh_rule *r)
{
    gh_head *h = r->head;
    const char *t = h->nargs ? "function" : "rule";
    if (h->name && h->nref == 1 && is_keyword(h->name)) err_loc(ctx, r->loc, "%s keyword cannot be used for rule name", h->name);
    if (r->generated_body && h->generated_value)
        err_loc(ctx, r->loc, "%s must have value assignment and/or body declaration", t);
    if (r->body && !r->generated_body && !h->has_if && !r->is_default)
        err_loc(ctx, r->loc, "`if` keyword is required before %s body", t);
    if (h->key && !h->value && !h->has_contains)
        err_loc(ctx, r->loc, "%s", "`contains` keyword is required for partial set rules");
}

/* ---- entry points ---- */

static int diag_cmp(const void *a, const void *b)
{
    const gh_diag *x = a, *y = b;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    if (x->col != y->col) return x->col < y->col ? -1 : 1;
    return x < y ? -1 : 1;
}

/* Errors come in file order, as a reader expects (the parser reports rule checks late). */
static void sort_diags(gh_diags *d, size_t from)
{
    if (d->n - from < 2) return;
    /* qsort is not stable; tie-break on the original index via a copy of positions */
    size_t n = d->n - from;
    gh_diag *items = d->items + from;
    for (size_t i = 1; i < n; i++) { /* insertion sort: lists are short and this is stable */
        gh_diag x = items[i];
        size_t j = i;
        while (j > 0 && (items[j - 1].line > x.line || (items[j - 1].line == x.line && items[j - 1].col > x.col))) {
            items[j] = items[j - 1];
            j--;
        }
        items[j] = x;
    }
    (void)diag_cmp;
}

static void ctx_init(gh_pctx *ctx, gh_arena *a, const char *filename, const char *src, size_t len,
                     const gh_parse_opts *opts, gh_diags *diags, gh_parse_mode mode)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->a = a;
    ctx->file = gh_arena_strndup(a, filename ? filename : "", filename ? strlen(filename) : 0);
    ctx->src = src;
    ctx->len = len;
    ctx->diags = diags;
    ctx->mode = mode;
    ctx->v0 = opts && opts->v0_compatible;
    /* the lexer wants a NUL sentinel after the text */
    char *copy = gh_arena_alloc(a, len + 1);
    if (len) memcpy(copy, src, len);
    copy[len] = '\0';
    int start = mode == GH_MODE_MODULE ? GH_T_START_MODULE : mode == GH_MODE_QUERY ? GH_T_START_QUERY : GH_T_START_TERM;
    gh_lex_init(&ctx->lex, copy, len, start, ctx->v0 ? 0 : GH_KW_ALL);
}

static int finish(gh_pctx *ctx, size_t diag_from, int rc)
{
    if (rc != 0 && ctx->nerrors == 0) gh_parse_error_at(ctx, 1, 1, "parse failed");
    if (ctx->nerrors > GH_PARSE_MAX_ERRORS)
        ctx->diags->dropped += (size_t)(ctx->nerrors - GH_PARSE_MAX_ERRORS);
    sort_diags(ctx->diags, diag_from);
    return ctx->nerrors ? GH_EPARSE : 0;
}

/* Runs the grammar with the arena's out-of-memory exit pointed here. */
static int run(gh_pctx *ctx)
{
    jmp_buf jb, *saved = ctx->a->oom;
    volatile int rc;
    ctx->a->oom = &jb;
    if (setjmp(jb) == 0) {
        rc = gh_parse_run(ctx);
    } else {
        rc = GH_ENOMEM;
    }
    ctx->a->oom = saved;
    return rc;
}

int gh_parse_module(gh_arena *a, const char *filename, const char *src, size_t len,
                    const gh_parse_opts *opts, gh_module **out, gh_diags *diags)
{
    gh_pctx ctx;
    size_t from = diags->n;
    *out = NULL;
    ctx_init(&ctx, a, filename, src, len, opts, diags, GH_MODE_MODULE);
    int rc = run(&ctx);
    if (rc == GH_ENOMEM) return GH_ENOMEM;
    if (ctx.nstmts == 0 && ctx.nerrors == 0) gh_parse_error_at(&ctx, 0, 0, "empty module");
    if (ctx.nerrors == 0 || rc == 0) {
        gh_module *m = gh_arena_calloc(a, 1, sizeof *m);
        m->filename = ctx.file;
        m->package = ctx.package;
        m->imports = (gh_import **)ctx.stmts_imports.items;
        m->nimports = ctx.stmts_imports.n;
        m->rules = (gh_rule **)ctx.stmts_rules.items;
        m->nrules = ctx.stmts_rules.n;
        m->rego_version = !ctx.v0 ? GH_REGO_V1 : ctx.rego_v1_import ? GH_REGO_V0_COMPAT_V1 : GH_REGO_V0;
        m->ncomments = ctx.comments.n;
        if (m->ncomments) {
            m->comments = gh_arena_alloc(a, m->ncomments * sizeof(gh_comment));
            for (size_t i = 0; i < m->ncomments; i++) m->comments[i] = *(gh_comment *)ctx.comments.items[i];
        }
        if (m->rego_version != GH_REGO_V0)
            for (size_t i = 0; i < m->nrules; i++)
                for (gh_rule *r = m->rules[i]; r; r = r->else_rule) check_v1_rule(&ctx, r);
        jmp_buf jb, *saved = a->oom;
        a->oom = &jb;
        if (setjmp(jb) == 0) gh_annotations_collect(&ctx, m);
        else rc = GH_ENOMEM;
        a->oom = saved;
        if (rc == GH_ENOMEM) return GH_ENOMEM;
        *out = m;
    }
    rc = finish(&ctx, from, rc);
    if (rc) *out = NULL;
    return rc;
}

int gh_parse_query(gh_arena *a, const char *filename, const char *src, size_t len,
                   const gh_parse_opts *opts, gh_body **out, gh_diags *diags)
{
    gh_pctx ctx;
    size_t from = diags->n;
    *out = NULL;
    ctx_init(&ctx, a, filename, src, len, opts, diags, GH_MODE_QUERY);
    int rc = run(&ctx);
    if (rc == GH_ENOMEM) return GH_ENOMEM;
    rc = finish(&ctx, from, rc);
    if (rc == 0) *out = ctx.query;
    return rc;
}

int gh_parse_term(gh_arena *a, const char *filename, const char *src, size_t len, gh_term **out,
                  gh_diags *diags)
{
    gh_pctx ctx;
    size_t from = diags->n;
    *out = NULL;
    ctx_init(&ctx, a, filename, src, len, NULL, diags, GH_MODE_TERM);
    int rc = run(&ctx);
    if (rc == GH_ENOMEM) return GH_ENOMEM;
    if (rc == 0 && ctx.nerrors == 0 && ctx.term && ctx.term->kind == GH_TERM_CALL)
        gh_parse_error_at(&ctx, ctx.term->loc.line, ctx.term->loc.col, "expected term but got call");
    rc = finish(&ctx, from, rc);
    if (rc == 0) *out = ctx.term;
    return rc;
}
