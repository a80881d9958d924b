/* AST to JSON, shaped like `opa parse --format json` (without locations): terms are
 * {"type": ..., "value": ...}, rules {"body", "default", "else", "head"}, heads {"name",
 * "ref", "args", "key", "value", "assign"}, expressions {"index", "negated", "terms",
 * "with"}. Written compact; `pretty` re-indents the finished text. */
#include "ast.h"

#include <string.h>

static void json_str(gh_buf *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    gh_buf_putc(o, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        gh_buf_append(o, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': gh_buf_puts(o, "\\\""); break;
        case '\\': gh_buf_puts(o, "\\\\"); break;
        case '\n': gh_buf_puts(o, "\\n"); break;
        case '\r': gh_buf_puts(o, "\\r"); break;
        case '\t': gh_buf_puts(o, "\\t"); break;
        default: {
            char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            gh_buf_puts(o, u);
        }
        }
    }
    gh_buf_append(o, s + run, n - run);
    gh_buf_putc(o, '"');
}

static void json_cstr(gh_buf *o, const char *s)
{
    json_str(o, s, strlen(s));
}

/* Rego accepts `.5`; JSON wants `0.5`. */
static void json_number(gh_buf *o, const gh_str *s)
{
    const char *p = s->s;
    if (*p == '-') {
        gh_buf_putc(o, '-');
        p++;
    }
    if (*p == '.') gh_buf_putc(o, '0');
    gh_buf_puts(o, p);
}

static void term(const gh_term *t, gh_buf *o);
static void body(const gh_body *b, gh_buf *o);

static void terms(gh_term *const *items, size_t n, gh_buf *o)
{
    gh_buf_putc(o, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) gh_buf_putc(o, ',');
        term(items[i], o);
    }
    gh_buf_putc(o, ']');
}

static void expr(const gh_expr *e, gh_buf *o);

static void term_value(const gh_term *t, gh_buf *o)
{
    switch (t->kind) {
    case GH_TERM_NULL: gh_buf_puts(o, "null"); break;
    case GH_TERM_BOOL: gh_buf_puts(o, t->u.b ? "true" : "false"); break;
    case GH_TERM_NUMBER: json_number(o, &t->u.str); break;
    case GH_TERM_STRING: case GH_TERM_VAR: json_str(o, t->u.str.s, t->u.str.len); break;
    case GH_TERM_REF: case GH_TERM_ARRAY: case GH_TERM_SET: case GH_TERM_CALL:
        terms(t->u.list.items, t->u.list.n, o);
        break;
    case GH_TERM_OBJECT:
        gh_buf_putc(o, '[');
        for (size_t i = 0; i < t->u.obj.n; i++) {
            if (i) gh_buf_putc(o, ',');
            gh_buf_putc(o, '[');
            term(t->u.obj.keys[i], o);
            gh_buf_putc(o, ',');
            term(t->u.obj.vals[i], o);
            gh_buf_putc(o, ']');
        }
        gh_buf_putc(o, ']');
        break;
    case GH_TERM_ARRAY_COMPR: case GH_TERM_SET_COMPR:
        gh_buf_puts(o, "{\"term\":");
        term(t->u.compr.value, o);
        gh_buf_puts(o, ",\"body\":");
        body(t->u.compr.body, o);
        gh_buf_putc(o, '}');
        break;
    case GH_TERM_OBJECT_COMPR:
        gh_buf_puts(o, "{\"key\":");
        term(t->u.compr.key, o);
        gh_buf_puts(o, ",\"value\":");
        term(t->u.compr.value, o);
        gh_buf_puts(o, ",\"body\":");
        body(t->u.compr.body, o);
        gh_buf_putc(o, '}');
        break;
    case GH_TERM_TEMPLATE:
        gh_buf_printf(o, "{\"multi_line\":%s,\"parts\":[", t->u.tpl.raw ? "true" : "false");
        for (size_t i = 0; i < t->u.tpl.n; i++) {
            if (i) gh_buf_putc(o, ',');
            if (t->u.tpl.parts[i].str) term(t->u.tpl.parts[i].str, o);
            else expr(t->u.tpl.parts[i].expr, o);
        }
        gh_buf_puts(o, "]}");
        break;
    }
}

static void term(const gh_term *t, gh_buf *o)
{
    gh_buf_puts(o, "{\"type\":");
    json_cstr(o, gh_term_kind_name(t->kind));
    gh_buf_puts(o, ",\"value\":");
    term_value(t, o);
    gh_buf_putc(o, '}');
}

static void expr(const gh_expr *e, gh_buf *o)
{
    gh_buf_printf(o, "{\"index\":%u", e->index);
    if (e->negated) gh_buf_puts(o, ",\"negated\":true");
    gh_buf_puts(o, ",\"terms\":");
    switch (e->kind) {
    case GH_EXPR_TERM: term(e->u.term, o); break;
    case GH_EXPR_CALL: terms(e->u.call.terms, e->u.call.n, o); break;
    case GH_EXPR_SOME:
        gh_buf_puts(o, "{\"symbols\":");
        terms(e->u.some.symbols, e->u.some.n, o);
        gh_buf_putc(o, '}');
        break;
    case GH_EXPR_EVERY:
        gh_buf_putc(o, '{');
        if (e->u.every.key) {
            gh_buf_puts(o, "\"key\":");
            term(e->u.every.key, o);
            gh_buf_putc(o, ',');
        }
        gh_buf_puts(o, "\"value\":");
        term(e->u.every.value, o);
        gh_buf_puts(o, ",\"domain\":");
        term(e->u.every.domain, o);
        gh_buf_puts(o, ",\"body\":");
        if (e->u.every.body) body(e->u.every.body, o);
        else gh_buf_puts(o, "[]");
        gh_buf_putc(o, '}');
        break;
    }
    if (e->nwith) {
        gh_buf_puts(o, ",\"with\":[");
        for (size_t i = 0; i < e->nwith; i++) {
            if (i) gh_buf_putc(o, ',');
            gh_buf_puts(o, "{\"target\":");
            term(e->with[i]->target, o);
            gh_buf_puts(o, ",\"value\":");
            term(e->with[i]->value, o);
            gh_buf_putc(o, '}');
        }
        gh_buf_putc(o, ']');
    }
    gh_buf_putc(o, '}');
}

static void body(const gh_body *b, gh_buf *o)
{
    gh_buf_putc(o, '[');
    for (size_t i = 0; i < b->n; i++) {
        if (i) gh_buf_putc(o, ',');
        expr(b->items[i], o);
    }
    gh_buf_putc(o, ']');
}

static void head(const gh_head *h, gh_buf *o)
{
    gh_buf_putc(o, '{');
    if (h->name) {
        gh_buf_puts(o, "\"name\":");
        json_cstr(o, h->name);
        gh_buf_putc(o, ',');
    }
    gh_buf_puts(o, "\"ref\":");
    terms(h->ref, h->nref, o);
    if (h->nargs) {
        gh_buf_puts(o, ",\"args\":");
        terms(h->args, h->nargs, o);
    }
    if (h->key) {
        gh_buf_puts(o, ",\"key\":");
        term(h->key, o);
    }
    if (h->value) {
        gh_buf_puts(o, ",\"value\":");
        term(h->value, o);
    }
    if (h->assign) gh_buf_puts(o, ",\"assign\":true");
    gh_buf_putc(o, '}');
}

static void rule(const gh_rule *r, gh_buf *o)
{
    gh_buf_puts(o, "{\"body\":");
    body(r->body, o);
    if (r->is_default) gh_buf_puts(o, ",\"default\":true");
    if (r->else_rule) {
        gh_buf_puts(o, ",\"else\":");
        rule(r->else_rule, o);
    }
    gh_buf_puts(o, ",\"head\":");
    head(r->head, o);
    gh_buf_putc(o, '}');
}

static void yaml(const gh_yaml *y, gh_buf *o)
{
    if (!y) {
        gh_buf_puts(o, "null");
        return;
    }
    switch (y->kind) {
    case GH_YAML_NULL: gh_buf_puts(o, "null"); break;
    case GH_YAML_SCALAR: json_str(o, y->scalar.s, y->scalar.len); break;
    case GH_YAML_LIST:
        gh_buf_putc(o, '[');
        for (size_t i = 0; i < y->n; i++) {
            if (i) gh_buf_putc(o, ',');
            yaml(y->items[i], o);
        }
        gh_buf_putc(o, ']');
        break;
    case GH_YAML_MAP:
        gh_buf_putc(o, '{');
        for (size_t i = 0; i < y->n; i++) {
            if (i) gh_buf_putc(o, ',');
            json_str(o, y->keys[i].s, y->keys[i].len);
            gh_buf_putc(o, ':');
            yaml(y->items[i], o);
        }
        gh_buf_putc(o, '}');
        break;
    }
}

static void annotation(const gh_annotations *a, gh_buf *o)
{
    static const char *const scopes[] = {"", "rule", "document", "package", "subpackages"};
    gh_buf_putc(o, '{');
    bool first = true;
#define SEP() (first ? (void)(first = false) : (void)gh_buf_putc(o, ','))
    if (a->scope != GH_SCOPE_NONE || a->scope_text) {
        SEP();
        gh_buf_puts(o, "\"scope\":");
        json_cstr(o, a->scope != GH_SCOPE_NONE ? scopes[a->scope] : a->scope_text);
    }
    if (a->has_title) {
        SEP();
        gh_buf_puts(o, "\"title\":");
        json_str(o, a->title.s, a->title.len);
    }
    if (a->has_description) {
        SEP();
        gh_buf_puts(o, "\"description\":");
        json_str(o, a->description.s, a->description.len);
    }
    if (a->entrypoint) {
        SEP();
        gh_buf_puts(o, "\"entrypoint\":true");
    }
    if (a->custom) {
        SEP();
        gh_buf_puts(o, "\"custom\":");
        yaml(a->custom, o);
    }
    if (a->schemas) {
        SEP();
        gh_buf_puts(o, "\"schemas\":");
        yaml(a->schemas, o);
    }
#undef SEP
    gh_buf_putc(o, '}');
}

void gh_ast_term_to_json(const gh_term *t, gh_buf *out)
{
    term(t, out);
}

void gh_ast_body_to_json(const gh_body *b, gh_buf *out)
{
    body(b, out);
}

/* Indents compact JSON by two spaces per level (strings are copied untouched). */
static void reindent(const char *s, size_t n, gh_buf *o)
{
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"') {
            size_t j = i + 1;
            while (j < n && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
            gh_buf_append(o, s + i, j + 1 - i);
            i = j;
            continue;
        }
        if ((c == '{' || c == '[') && i + 1 < n && (s[i + 1] == '}' || s[i + 1] == ']')) {
            gh_buf_putc(o, c);
            gh_buf_putc(o, s[++i]);
            continue;
        }
        if (c == '}' || c == ']') {
            depth--;
            gh_buf_printf(o, "\n%*s", depth * 2, "");
        }
        gh_buf_putc(o, c);
        if (c == ':') gh_buf_putc(o, ' ');
        if (c == '{' || c == '[' || c == ',') {
            if (c != ',') depth++;
            gh_buf_printf(o, "\n%*s", depth * 2, "");
        }
    }
}

void gh_ast_module_to_json(const gh_module *m, gh_buf *out, bool pretty)
{
    gh_buf tmp, *o = out;
    if (pretty) {
        gh_buf_init(&tmp, out->max);
        o = &tmp;
    }
    gh_buf_putc(o, '{');
    bool first = true;
    if (m->package) {
        gh_buf_puts(o, "\"package\":{\"path\":");
        terms(m->package->path->u.list.items, m->package->path->u.list.n, o);
        gh_buf_putc(o, '}');
        first = false;
    }
    if (m->nimports) {
        gh_buf_puts(o, first ? "\"imports\":[" : ",\"imports\":[");
        first = false;
        for (size_t i = 0; i < m->nimports; i++) {
            if (i) gh_buf_putc(o, ',');
            gh_buf_puts(o, "{\"path\":");
            term(m->imports[i]->path, o);
            if (m->imports[i]->alias) {
                gh_buf_puts(o, ",\"alias\":");
                json_cstr(o, m->imports[i]->alias);
            }
            gh_buf_putc(o, '}');
        }
        gh_buf_putc(o, ']');
    }
    if (m->nannotations) {
        gh_buf_puts(o, first ? "\"annotations\":[" : ",\"annotations\":[");
        first = false;
        for (size_t i = 0; i < m->nannotations; i++) {
            if (i) gh_buf_putc(o, ',');
            annotation(m->annotations[i], o);
        }
        gh_buf_putc(o, ']');
    }
    if (m->nrules) {
        gh_buf_puts(o, first ? "\"rules\":[" : ",\"rules\":[");
        for (size_t i = 0; i < m->nrules; i++) {
            if (i) gh_buf_putc(o, ',');
            rule(m->rules[i], o);
        }
        gh_buf_putc(o, ']');
    }
    gh_buf_putc(o, '}');
    if (pretty) {
        if (tmp.failed) out->failed = true;
        else reindent(tmp.data, tmp.len, out);
        gh_buf_free(&tmp);
    }
}
