/* The AST as a readable indented tree, in the spirit of `opa parse`'s default output: one
 * node per line, children indented by two spaces, terms written back as Rego. */
#include "ast.h"

static void ind(gh_buf *o, int d)
{
    gh_buf_printf(o, "%*s", d * 2, "");
}

static void term_line(gh_buf *o, int d, const char *label, const gh_term *t)
{
    ind(o, d);
    gh_buf_printf(o, "%s%s%s ", label, *label ? " " : "", gh_term_kind_name(t->kind));
    gh_term_to_rego(t, o);
    gh_buf_printf(o, "  @%d:%d\n", t->loc.line, t->loc.col);
}

static void body(gh_buf *o, int d, const gh_body *b);

static void term_tree(gh_buf *o, int d, const char *label, const gh_term *t)
{
    term_line(o, d, label, t);
    switch (t->kind) {
    case GH_TERM_ARRAY_COMPR: case GH_TERM_SET_COMPR: case GH_TERM_OBJECT_COMPR:
        if (t->u.compr.key) term_tree(o, d + 1, "key", t->u.compr.key);
        term_tree(o, d + 1, "term", t->u.compr.value);
        body(o, d + 1, t->u.compr.body);
        break;
    case GH_TERM_TEMPLATE:
        for (size_t i = 0; i < t->u.tpl.n; i++) {
            if (t->u.tpl.parts[i].str) {
                term_line(o, d + 1, "part", t->u.tpl.parts[i].str);
            } else {
                gh_body one = {.items = &((gh_tpl_part *)t->u.tpl.parts)[i].expr, .n = 1};
                body(o, d + 1, &one);
            }
        }
        break;
    default: break;
    }
}

static void expr(gh_buf *o, int d, const gh_expr *e)
{
    ind(o, d);
    gh_buf_printf(o, "expr %u%s  @%d:%d\n", e->index, e->negated ? " not" : "", e->loc.line, e->loc.col);
    switch (e->kind) {
    case GH_EXPR_TERM: term_tree(o, d + 1, "", e->u.term); break;
    case GH_EXPR_CALL:
        term_line(o, d + 1, "operator", e->u.call.terms[0]);
        for (size_t i = 1; i < e->u.call.n; i++) term_tree(o, d + 1, "operand", e->u.call.terms[i]);
        break;
    case GH_EXPR_SOME:
        ind(o, d + 1);
        gh_buf_puts(o, "some\n");
        for (size_t i = 0; i < e->u.some.n; i++) term_tree(o, d + 2, "", e->u.some.symbols[i]);
        break;
    case GH_EXPR_EVERY:
        ind(o, d + 1);
        gh_buf_puts(o, "every\n");
        if (e->u.every.key) term_line(o, d + 2, "key", e->u.every.key);
        term_line(o, d + 2, "value", e->u.every.value);
        term_tree(o, d + 2, "domain", e->u.every.domain);
        if (e->u.every.body) body(o, d + 2, e->u.every.body);
        break;
    }
    for (size_t i = 0; i < e->nwith; i++) {
        ind(o, d + 1);
        gh_buf_puts(o, "with ");
        gh_term_to_rego(e->with[i]->target, o);
        gh_buf_puts(o, " as ");
        gh_term_to_rego(e->with[i]->value, o);
        gh_buf_putc(o, '\n');
    }
}

static void body(gh_buf *o, int d, const gh_body *b)
{
    ind(o, d);
    gh_buf_puts(o, "body\n");
    for (size_t i = 0; i < b->n; i++) expr(o, d + 1, b->items[i]);
}

static void rule(gh_buf *o, int d, const gh_rule *r, const char *what)
{
    const gh_head *h = r->head;
    ind(o, d);
    gh_buf_printf(o, "%s%s  @%d:%d\n", r->is_default ? "default " : "", what, r->loc.line, r->loc.col);
    ind(o, d + 1);
    gh_buf_puts(o, "head ");
    gh_term ref = {.kind = GH_TERM_REF};
    ref.u.list.items = h->ref;
    ref.u.list.n = h->nref;
    gh_term_to_rego(&ref, o);
    if (h->nargs) {
        gh_buf_putc(o, '(');
        for (size_t i = 0; i < h->nargs; i++) {
            if (i) gh_buf_puts(o, ", ");
            gh_term_to_rego(h->args[i], o);
        }
        gh_buf_putc(o, ')');
    }
    gh_buf_putc(o, '\n');
    if (h->key) term_tree(o, d + 2, "key", h->key);
    if (h->value) term_tree(o, d + 2, h->assign ? "value :=" : "value =", h->value);
    body(o, d + 1, r->body);
    if (r->else_rule) rule(o, d + 1, r->else_rule, "else");
}

void gh_ast_module_print(const gh_module *m, gh_buf *out)
{
    gh_buf_puts(out, "module\n");
    if (m->package) term_line(out, 1, "package", m->package->path);
    for (size_t i = 0; i < m->nimports; i++) {
        term_line(out, 1, "import", m->imports[i]->path);
        if (m->imports[i]->alias) {
            ind(out, 2);
            gh_buf_printf(out, "as %s\n", m->imports[i]->alias);
        }
    }
    for (size_t i = 0; i < m->nannotations; i++) {
        const gh_annotations *a = m->annotations[i];
        ind(out, 1);
        gh_buf_printf(out, "annotations%s%s  @%d:%d\n", a->scope_text ? " scope " : "", a->scope_text ? a->scope_text : "",
                      a->loc.line, a->loc.col);
        if (a->has_title) {
            ind(out, 2);
            gh_buf_printf(out, "title %.*s\n", (int)a->title.len, a->title.s);
        }
    }
    for (size_t i = 0; i < m->nrules; i++) rule(out, 1, m->rules[i], "rule");
}
