/* AST construction helpers and small queries shared by the parser, printers and compiler. */
#include "ast.h"

#include <string.h>

void gh_vec_push(gh_arena *a, gh_vec *v, void *item)
{
    if (v->n == v->cap) {
        uint32_t cap = v->cap ? v->cap * 2 : 4;
        v->items = gh_arena_realloc(a, v->items, v->cap * sizeof(void *), cap * sizeof(void *));
        v->cap = cap;
    }
    v->items[v->n++] = item;
}

gh_term *gh_term_new(gh_arena *a, gh_term_kind kind, gh_loc loc)
{
    gh_term *t = gh_arena_alloc(a, sizeof *t);
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->loc = loc;
    return t;
}

gh_term *gh_term_str(gh_arena *a, gh_term_kind kind, gh_loc loc, const char *s, size_t len)
{
    gh_term *t = gh_term_new(a, kind, loc);
    t->u.str.s = gh_arena_strndup(a, s, len);
    t->u.str.len = len;
    return t;
}

gh_term *gh_term_bool(gh_arena *a, gh_loc loc, bool b)
{
    gh_term *t = gh_term_new(a, GH_TERM_BOOL, loc);
    t->u.b = b;
    return t;
}

gh_term *gh_term_list(gh_arena *a, gh_term_kind kind, gh_loc loc, gh_vec *items)
{
    gh_term *t = gh_term_new(a, kind, loc);
    if (items && items->n) {
        t->u.list.items = (gh_term **)items->items;
        t->u.list.n = items->n;
    }
    return t;
}

gh_term *gh_term_op(gh_arena *a, gh_loc loc, const char *name)
{
    gh_vec v = {0};
    const char *dot = strchr(name, '.');
    if (!dot) {
        gh_vec_push(a, &v, gh_term_str(a, GH_TERM_VAR, loc, name, strlen(name)));
    } else {
        gh_vec_push(a, &v, gh_term_str(a, GH_TERM_VAR, loc, name, (size_t)(dot - name)));
        gh_vec_push(a, &v, gh_term_str(a, GH_TERM_STRING, loc, dot + 1, strlen(dot + 1)));
    }
    return gh_term_list(a, GH_TERM_REF, loc, &v);
}

const char *gh_term_kind_name(gh_term_kind k)
{
    switch (k) {
    case GH_TERM_NULL: return "null";
    case GH_TERM_BOOL: return "boolean";
    case GH_TERM_NUMBER: return "number";
    case GH_TERM_STRING: return "string";
    case GH_TERM_VAR: return "var";
    case GH_TERM_REF: return "ref";
    case GH_TERM_ARRAY: return "array";
    case GH_TERM_SET: return "set";
    case GH_TERM_OBJECT: return "object";
    case GH_TERM_CALL: return "call";
    case GH_TERM_ARRAY_COMPR: return "arraycomprehension";
    case GH_TERM_SET_COMPR: return "setcomprehension";
    case GH_TERM_OBJECT_COMPR: return "objectcomprehension";
    case GH_TERM_TEMPLATE: return "templatestring";
    }
    return "term";
}

bool gh_term_is_var(const gh_term *t, const char *name)
{
    return t && t->kind == GH_TERM_VAR && strcmp(t->u.str.s, name) == 0;
}

bool gh_term_is_ground(const gh_term *t)
{
    switch (t->kind) {
    case GH_TERM_VAR: return false;
    case GH_TERM_REF: case GH_TERM_ARRAY: case GH_TERM_SET: case GH_TERM_CALL:
        for (size_t i = 0; i < t->u.list.n; i++)
            if (!gh_term_is_ground(t->u.list.items[i])) return false;
        return true;
    case GH_TERM_OBJECT:
        for (size_t i = 0; i < t->u.obj.n; i++)
            if (!gh_term_is_ground(t->u.obj.keys[i]) || !gh_term_is_ground(t->u.obj.vals[i])) return false;
        return true;
    case GH_TERM_TEMPLATE:
        for (size_t i = 0; i < t->u.tpl.n; i++)
            if (t->u.tpl.parts[i].expr) return false;
        return true;
    default: return true;
    }
}

static bool is_ident(const gh_str *s)
{
    if (!s->len) return false;
    for (size_t i = 0; i < s->len; i++) {
        char c = s->s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

static void quote(const gh_str *s, gh_buf *out)
{
    gh_buf_putc(out, '"');
    for (size_t i = 0; i < s->len; i++) {
        unsigned char c = (unsigned char)s->s[i];
        switch (c) {
        case '"': gh_buf_puts(out, "\\\""); break;
        case '\\': gh_buf_puts(out, "\\\\"); break;
        case '\n': gh_buf_puts(out, "\\n"); break;
        case '\t': gh_buf_puts(out, "\\t"); break;
        case '\r': gh_buf_puts(out, "\\r"); break;
        default:
            if (c < 0x20) gh_buf_printf(out, "\\u%04x", c);
            else gh_buf_putc(out, (char)c);
        }
    }
    gh_buf_putc(out, '"');
}

static void list_to_rego(gh_term **items, size_t n, gh_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (i) gh_buf_puts(out, ", ");
        gh_term_to_rego(items[i], out);
    }
}

void gh_term_to_rego(const gh_term *t, gh_buf *out)
{
    switch (t->kind) {
    case GH_TERM_NULL: gh_buf_puts(out, "null"); break;
    case GH_TERM_BOOL: gh_buf_puts(out, t->u.b ? "true" : "false"); break;
    case GH_TERM_NUMBER: case GH_TERM_VAR: gh_buf_append(out, t->u.str.s, t->u.str.len); break;
    case GH_TERM_STRING: quote(&t->u.str, out); break;
    case GH_TERM_REF:
        for (size_t i = 0; i < t->u.list.n; i++) {
            const gh_term *e = t->u.list.items[i];
            if (i == 0) gh_term_to_rego(e, out);
            else if (e->kind == GH_TERM_STRING && is_ident(&e->u.str)) {
                gh_buf_putc(out, '.');
                gh_buf_append(out, e->u.str.s, e->u.str.len);
            } else {
                gh_buf_putc(out, '[');
                gh_term_to_rego(e, out);
                gh_buf_putc(out, ']');
            }
        }
        break;
    case GH_TERM_ARRAY:
        gh_buf_putc(out, '[');
        list_to_rego(t->u.list.items, t->u.list.n, out);
        gh_buf_putc(out, ']');
        break;
    case GH_TERM_SET:
        if (!t->u.list.n) {
            gh_buf_puts(out, "set()");
            break;
        }
        gh_buf_putc(out, '{');
        list_to_rego(t->u.list.items, t->u.list.n, out);
        gh_buf_putc(out, '}');
        break;
    case GH_TERM_OBJECT:
        gh_buf_putc(out, '{');
        for (size_t i = 0; i < t->u.obj.n; i++) {
            if (i) gh_buf_puts(out, ", ");
            gh_term_to_rego(t->u.obj.keys[i], out);
            gh_buf_puts(out, ": ");
            gh_term_to_rego(t->u.obj.vals[i], out);
        }
        gh_buf_putc(out, '}');
        break;
    case GH_TERM_CALL:
        gh_term_to_rego(t->u.list.items[0], out);
        gh_buf_putc(out, '(');
        list_to_rego(t->u.list.items + 1, t->u.list.n - 1, out);
        gh_buf_putc(out, ')');
        break;
    case GH_TERM_ARRAY_COMPR: gh_buf_puts(out, "[... | ...]"); break;
    case GH_TERM_SET_COMPR: gh_buf_puts(out, "{... | ...}"); break;
    case GH_TERM_OBJECT_COMPR: gh_buf_puts(out, "{...: ... | ...}"); break;
    case GH_TERM_TEMPLATE: gh_buf_puts(out, "$\"...\""); break;
    }
}
