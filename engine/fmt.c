/* The Rego formatter: walks a module's AST (engine/ast.h) and writes it in one canonical
 * layout into a gh_buf, interleaving the module's comments by source offset. Layout rules
 * follow `opa fmt` for v1: tab indentation, one blank line between groups of statements
 * (blank lines collapse to one, adjacent statements stay adjacent), sorted import groups,
 * `if` before every body, one literal per line, collections and comprehensions multi-line
 * when they were written over several lines, numbers/strings/templates as written.
 *
 * Comments: a comment before a node is written on its own line above it; one on the line
 * a statement ends is kept at the end of that line; one inside a construct written on a
 * single line moves below the statement. Any node the writer cannot reproduce sets an
 * error instead of being skipped; gh_fmt_source re-parses the output and compares trees. */
#include "fmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/diag.h"
#include "gatehouse/error.h"
#include "parse.h"

typedef struct fmt {
    gh_buf *out;
    const char *src;
    size_t len;
    const gh_module *m;
    const gh_comment **cm; /* the module's comments, by offset */
    size_t ncm, next;      /* next comment not yet written */
    int indent;
    int last_line; /* source line of the last statement-level item written (0: none) */
    bool blank;    /* the next statement-level item must be preceded by a blank line */
    bool v1;
    gh_buf *err;
    bool failed;
} fmt;

static void term(fmt *f, const gh_term *t);
static void expr(fmt *f, const gh_expr *e);
static void body_block(fmt *f, const gh_body *b, uint32_t end);

/* ---- small helpers ---- */

static void fail(fmt *f, const gh_loc *loc, const char *msg)
{
    if (f->failed) return;
    f->failed = true;
    gh_buf_printf(f->err, "%s:%d:%d: cannot format: %s", f->m->filename ? f->m->filename : "",
                  loc ? loc->line : 0, loc ? loc->col : 0, msg);
}

static void puts_(fmt *f, const char *s)
{
    gh_buf_puts(f->out, s);
}

static void tabs(fmt *f)
{
    for (int i = 0; i < f->indent; i++) gh_buf_putc(f->out, '\t');
}

/* 1-based line of a byte offset in the source. */
static int line_of(const fmt *f, uint32_t off)
{
    int line = 1;
    if (off > f->len) off = (uint32_t)f->len;
    for (uint32_t i = 0; i < off; i++)
        if (f->src[i] == '\n') line++;
    return line;
}

static int end_line(const fmt *f, const gh_loc *l)
{
    return line_of(f, l->end > l->off ? l->end - 1 : l->off);
}

static bool multiline(const fmt *f, const gh_loc *l)
{
    return l->end > l->off && end_line(f, l) != line_of(f, l->off);
}

/* Does the source at loc start with text s? */
static bool src_starts(const fmt *f, const gh_loc *l, const char *s)
{
    size_t n = strlen(s);
    return l->off + n <= f->len && memcmp(f->src + l->off, s, n) == 0;
}

/* ---- comments ---- */

static void comment_text(fmt *f, const gh_comment *c)
{
    gh_buf_putc(f->out, '#');
    gh_buf_append(f->out, c->text.s, c->text.len);
}

/* Blank line before an item at source line `line` when the source had one (or one is due). */
static void gap(fmt *f, int line)
{
    if (f->blank || (f->last_line && line > f->last_line + 1)) gh_buf_putc(f->out, '\n');
    f->blank = false;
}

/* Writes, each on its own line, every comment that starts before offset off. */
static void comments_before(fmt *f, uint32_t off, bool gaps)
{
    while (f->next < f->ncm && f->cm[f->next]->loc.off < off) {
        const gh_comment *c = f->cm[f->next++];
        if (gaps) gap(f, c->loc.line);
        tabs(f);
        comment_text(f, c);
        gh_buf_putc(f->out, '\n');
        f->last_line = c->loc.line;
    }
}

/* Appends the comment that sits on source line `line` after what was just written. */
static void trailing(fmt *f, int line)
{
    if (f->next < f->ncm && f->cm[f->next]->loc.line == line) {
        gh_buf_putc(f->out, ' ');
        comment_text(f, f->cm[f->next++]);
    }
}

static bool comment_within(const fmt *f, uint32_t from, uint32_t to)
{
    return f->next < f->ncm && f->cm[f->next]->loc.off >= from && f->cm[f->next]->loc.off < to;
}

/* ---- scalars and refs ---- */

static bool is_keyword(const char *s)
{
    static const char *const kw[] = {"as",  "contains", "default", "else",    "every",
                                     "false", "if",     "import",  "in",      "not",
                                     "null",  "package", "some",   "true",    "with"};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strcmp(s, kw[i]) == 0) return true;
    return false;
}

static bool is_ident(const gh_str *s)
{
    if (s->len == 0 || strlen(s->s) != s->len) return false;
    for (size_t i = 0; i < s->len; i++) {
        char c = s->s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return !is_keyword(s->s);
}

static void json_string(fmt *f, const gh_str *s)
{
    static const char hex[] = "0123456789abcdef";
    gh_buf_putc(f->out, '"');
    for (size_t i = 0; i < s->len; i++) {
        unsigned char c = (unsigned char)s->s[i];
        if (c == '"' || c == '\\') {
            gh_buf_putc(f->out, '\\');
            gh_buf_putc(f->out, (char)c);
        } else if (c == '\n') {
            puts_(f, "\\n");
        } else if (c == '\t') {
            puts_(f, "\\t");
        } else if (c == '\r') {
            puts_(f, "\\r");
        } else if (c < 0x20) {
            char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            puts_(f, u);
        } else {
            gh_buf_putc(f->out, (char)c);
        }
    }
    gh_buf_putc(f->out, '"');
}

/* A string literal as written ("..." or `...`), else JSON-quoted (e.g. `b` of `a.b`). */
static void string(fmt *f, const gh_term *t)
{
    const gh_loc *l = &t->loc;
    if (l->end > l->off && l->end <= f->len) {
        char q = f->src[l->off];
        if ((q == '"' || q == '`') && l->end - l->off >= 2 && f->src[l->end - 1] == q) {
            gh_buf_append(f->out, f->src + l->off, l->end - l->off);
            return;
        }
    }
    json_string(f, &t->u.str);
}

static void var(fmt *f, const gh_term *t)
{
    if (t->u.str.s[0] == '$') puts_(f, "_");
    else gh_buf_append(f->out, t->u.str.s, t->u.str.len);
}

static void ref_operand(fmt *f, const gh_term *t)
{
    if (t->kind == GH_TERM_STRING && is_ident(&t->u.str)) {
        gh_buf_putc(f->out, '.');
        gh_buf_append(f->out, t->u.str.s, t->u.str.len);
        return;
    }
    gh_buf_putc(f->out, '[');
    term(f, t);
    gh_buf_putc(f->out, ']');
}

static void ref_items(fmt *f, gh_term *const *items, size_t n, size_t from)
{
    for (size_t i = from; i < n; i++) ref_operand(f, items[i]);
}

static void ref(fmt *f, const gh_term *t)
{
    if (t->u.list.n == 0) {
        fail(f, &t->loc, "empty reference");
        return;
    }
    term(f, t->u.list.items[0]);
    ref_items(f, t->u.list.items, t->u.list.n, 1);
}

/* Dotted name of an operator ref (`plus`, `internal.member_2`) into buf; false if none. */
static bool op_name(const gh_term *op, char *buf, size_t cap)
{
    if (op->kind != GH_TERM_REF || op->u.list.n == 0) return false;
    size_t used = 0;
    for (size_t i = 0; i < op->u.list.n; i++) {
        const gh_term *p = op->u.list.items[i];
        if ((p->kind != GH_TERM_VAR && p->kind != GH_TERM_STRING) || (i == 0) != (p->kind == GH_TERM_VAR))
            return false;
        int w = snprintf(buf + used, cap - used, "%s%s", i ? "." : "", p->u.str.s);
        if (w < 0 || (size_t)w >= cap - used) return false;
        used += (size_t)w;
    }
    return true;
}

/* ---- calls and infix operators ---- */

typedef struct infix {
    const char *name, *text;
    int prec; /* higher binds tighter; 0: only at the top of a literal */
} infix;

static const infix infixes[] = {
    {"assign", ":=", 0},  {"eq", "=", 0},       {"internal.member_2", "in", 1},
    {"internal.member_3", "in", 1},             {"equal", "==", 2},  {"neq", "!=", 2},
    {"lt", "<", 2},       {"gt", ">", 2},       {"lte", "<=", 2},    {"gte", ">=", 2},
    {"or", "|", 3},       {"and", "&", 4},      {"plus", "+", 5},    {"minus", "-", 5},
    {"mul", "*", 6},      {"quo", "/", 6},      {"div", "/", 6},     {"rem", "%", 6},
};

/* The infix form of a call (terms[0] operator, then operands) when it was written infix. */
static const infix *call_infix(const fmt *f, gh_term *const *items, size_t n)
{
    char name[64];
    if (!op_name(items[0], name, sizeof name)) return NULL;
    for (size_t i = 0; i < sizeof infixes / sizeof infixes[0]; i++) {
        const infix *x = &infixes[i];
        if (strcmp(x->name, name) != 0) continue;
        size_t want = strcmp(name, "internal.member_3") == 0 ? 4 : 3;
        if (n != want || src_starts(f, &items[0]->loc, name)) return NULL;
        if (!src_starts(f, &items[0]->loc, x->text)) return NULL;
        return x;
    }
    return NULL;
}

static int term_prec(const fmt *f, const gh_term *t)
{
    if (t->kind != GH_TERM_CALL) return 100;
    const infix *x = call_infix(f, t->u.list.items, t->u.list.n);
    return x ? x->prec : 100;
}

static void operand(fmt *f, const gh_term *t, int min_prec)
{
    bool parens = term_prec(f, t) < min_prec;
    if (parens) gh_buf_putc(f->out, '(');
    term(f, t);
    if (parens) gh_buf_putc(f->out, ')');
}

static void infix_call(fmt *f, const infix *x, gh_term *const *items, size_t n)
{
    int p = x->prec;
    if (n == 4) { /* k, v in xs */
        operand(f, items[1], 2);
        puts_(f, ", ");
        operand(f, items[2], 2);
    } else {
        operand(f, items[1], p == 0 ? 0 : p);
    }
    gh_buf_printf(f->out, " %s ", x->text);
    operand(f, items[n - 1], p == 0 ? 0 : p + 1);
}

static void term_list(fmt *f, gh_term *const *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i) puts_(f, ", ");
        term(f, items[i]);
    }
}

static void call(fmt *f, gh_term *const *items, size_t n)
{
    const infix *x = call_infix(f, items, n);
    if (x) {
        infix_call(f, x, items, n);
        return;
    }
    if (items[0]->kind != GH_TERM_REF) {
        fail(f, &items[0]->loc, "call operator is not a reference");
        return;
    }
    ref(f, items[0]);
    gh_buf_putc(f->out, '(');
    term_list(f, items + 1, n - 1);
    gh_buf_putc(f->out, ')');
}

/* ---- collections ---- */

static void elem_end(fmt *f, const gh_term *last)
{
    gh_buf_putc(f->out, ',');
    trailing(f, end_line(f, &last->loc));
    gh_buf_putc(f->out, '\n');
}

/* [a, b] / {a, b} / {k: v}: on one line, or one element per line when written so. */
static void collection(fmt *f, const gh_term *t, char open, char close)
{
    bool obj = t->kind == GH_TERM_OBJECT;
    size_t n = obj ? t->u.obj.n : t->u.list.n;
    bool ml = n > 0 && multiline(f, &t->loc);
    gh_buf_putc(f->out, open);
    if (ml) {
        gh_buf_putc(f->out, '\n');
        f->indent++;
    }
    for (size_t i = 0; i < n; i++) {
        const gh_term *first = obj ? t->u.obj.keys[i] : t->u.list.items[i];
        const gh_term *last = obj ? t->u.obj.vals[i] : first;
        if (ml) {
            comments_before(f, first->loc.off, false);
            tabs(f);
        } else if (i) {
            puts_(f, ", ");
        }
        term(f, first);
        if (obj) {
            puts_(f, ": ");
            term(f, last);
        }
        if (ml) elem_end(f, last);
    }
    if (ml) {
        comments_before(f, t->loc.end - 1, false);
        f->indent--;
        tabs(f);
    }
    gh_buf_putc(f->out, close);
}

/* [v | body], {v | body}, {k: v | body}: inline with `; ` or a block when multi-line. */
static void comprehension(fmt *f, const gh_term *t, char open, char close)
{
    gh_buf_putc(f->out, open);
    if (t->u.compr.key) {
        term(f, t->u.compr.key);
        puts_(f, ": ");
    }
    term(f, t->u.compr.value);
    puts_(f, " |");
    const gh_body *b = t->u.compr.body;
    if (multiline(f, &t->loc)) {
        body_block(f, b, t->loc.end - 1);
        gh_buf_putc(f->out, close);
        return;
    }
    gh_buf_putc(f->out, ' ');
    for (size_t i = 0; i < b->n; i++) {
        if (i) puts_(f, "; ");
        expr(f, b->items[i]);
    }
    gh_buf_putc(f->out, close);
}

static void verbatim(fmt *f, const gh_loc *l)
{
    if (l->end <= l->off || l->end > f->len) {
        fail(f, l, "node without source text");
        return;
    }
    gh_buf_append(f->out, f->src + l->off, l->end - l->off);
}

static void term(fmt *f, const gh_term *t)
{
    if (!t) {
        fail(f, NULL, "missing term");
        return;
    }
    switch (t->kind) {
    case GH_TERM_NULL: puts_(f, "null"); break;
    case GH_TERM_BOOL: puts_(f, t->u.b ? "true" : "false"); break;
    case GH_TERM_NUMBER: gh_buf_append(f->out, t->u.str.s, t->u.str.len); break;
    case GH_TERM_STRING: string(f, t); break;
    case GH_TERM_VAR: var(f, t); break;
    case GH_TERM_REF: ref(f, t); break;
    case GH_TERM_ARRAY: collection(f, t, '[', ']'); break;
    case GH_TERM_SET:
        if (t->u.list.n == 0) puts_(f, "set()");
        else collection(f, t, '{', '}');
        break;
    case GH_TERM_OBJECT: collection(f, t, '{', '}'); break;
    case GH_TERM_CALL:
        if (t->u.list.n == 0) fail(f, &t->loc, "call without operator");
        else call(f, t->u.list.items, t->u.list.n);
        break;
    case GH_TERM_ARRAY_COMPR: comprehension(f, t, '[', ']'); break;
    case GH_TERM_SET_COMPR:
    case GH_TERM_OBJECT_COMPR: comprehension(f, t, '{', '}'); break;
    case GH_TERM_TEMPLATE: verbatim(f, &t->loc); break;
    default: fail(f, &t->loc, "unknown term kind"); break;
    }
}

/* ---- expressions and bodies ---- */

static void some_decl(fmt *f, const gh_expr *e)
{
    puts_(f, "some ");
    const gh_term *s0 = e->u.some.n ? e->u.some.symbols[0] : NULL;
    if (e->u.some.n == 1 && s0->kind == GH_TERM_CALL) {
        const gh_term *const *it = (const gh_term *const *)s0->u.list.items;
        size_t n = s0->u.list.n;
        char name[64];
        if (!op_name(it[0], name, sizeof name) ||
            !((n == 3 && strcmp(name, "internal.member_2") == 0) ||
              (n == 4 && strcmp(name, "internal.member_3") == 0))) {
            fail(f, &e->loc, "unexpected `some` declaration");
            return;
        }
        term_list(f, (gh_term *const *)it + 1, n - 2);
        puts_(f, " in ");
        term(f, it[n - 1]);
        return;
    }
    term_list(f, e->u.some.symbols, e->u.some.n);
}

static void every(fmt *f, const gh_expr *e)
{
    puts_(f, "every ");
    if (e->u.every.key) {
        term(f, e->u.every.key);
        puts_(f, ", ");
    }
    term(f, e->u.every.value);
    puts_(f, " in ");
    term(f, e->u.every.domain);
    puts_(f, " {");
    body_block(f, e->u.every.body, e->loc.end - 1);
    gh_buf_putc(f->out, '}');
}

static void expr(fmt *f, const gh_expr *e)
{
    if (e->negated) puts_(f, "not ");
    switch (e->kind) {
    case GH_EXPR_TERM: term(f, e->u.term); break;
    case GH_EXPR_CALL:
        if (e->u.call.n == 0) fail(f, &e->loc, "call without operator");
        else call(f, e->u.call.terms, e->u.call.n);
        break;
    case GH_EXPR_SOME: some_decl(f, e); break;
    case GH_EXPR_EVERY: every(f, e); break;
    default: fail(f, &e->loc, "unknown expression kind"); break;
    }
    for (size_t i = 0; i < e->nwith; i++) {
        puts_(f, " with ");
        term(f, e->with[i]->target);
        puts_(f, " as ");
        term(f, e->with[i]->value);
    }
}

/* Writes "\n", the body's literals one per line one level deeper, then the closing
 * brace's indentation (the caller writes the brace). end: offset of the closing brace. */
static void body_block(fmt *f, const gh_body *b, uint32_t end)
{
    gh_buf_putc(f->out, '\n');
    f->indent++;
    int saved = f->last_line;
    f->last_line = 0;
    for (size_t i = 0; i < b->n; i++) {
        const gh_expr *e = b->items[i];
        comments_before(f, e->loc.off, true);
        gap(f, e->loc.line);
        tabs(f);
        expr(f, e);
        int el = end_line(f, &e->loc);
        trailing(f, el);
        gh_buf_putc(f->out, '\n');
        f->last_line = el;
    }
    comments_before(f, end, true);
    f->indent--;
    f->last_line = saved;
    tabs(f);
}

/* ---- rules ---- */

static void head(fmt *f, const gh_rule *r, bool is_else)
{
    const gh_head *h = r->head;
    if (!h || h->invalid) {
        fail(f, &r->loc, "rule without a usable head");
        return;
    }
    if (!is_else) {
        if (h->nref == 0) {
            fail(f, &h->loc, "rule head without a name");
            return;
        }
        term(f, h->ref[0]);
        ref_items(f, h->ref, h->nref, 1);
        if (h->nargs) {
            gh_buf_putc(f->out, '(');
            term_list(f, h->args, h->nargs);
            gh_buf_putc(f->out, ')');
        }
        if (h->has_contains || (h->key && !h->value)) {
            if (!h->has_contains && f->v1) fail(f, &h->loc, "partial set rule without `contains`");
            else if (h->has_contains) {
                puts_(f, " contains ");
                term(f, h->key);
            }
        }
    }
    if (h->value && !h->generated_value) {
        puts_(f, h->assign ? " := " : " = ");
        term(f, h->value);
    }
}

static bool one_liner(const fmt *f, const gh_rule *r)
{
    const gh_body *b = r->body;
    return !r->else_rule && b->n == 1 && (r->head->has_if || f->v1) &&
           b->items[0]->loc.line == r->loc.line && !comment_within(f, r->loc.off, r->loc.end);
}

/* The rule body after the head: ` if x`, ` if {...}`, or nothing when implied. */
static void rule_body(fmt *f, const gh_rule *r, uint32_t end)
{
    if (r->generated_body) return;
    bool kw_if = f->v1 || r->head->has_if;
    if (one_liner(f, r)) {
        puts_(f, " if ");
        expr(f, r->body->items[0]);
        return;
    }
    puts_(f, kw_if ? " if {" : " {");
    body_block(f, r->body, end);
    gh_buf_putc(f->out, '}');
}

/* Offset of the closing brace of r's own body: the `else` keyword bounds it. */
static uint32_t body_end(const fmt *f, const gh_rule *r)
{
    uint32_t end = r->else_rule ? r->else_rule->loc.off : r->loc.end;
    while (end > r->loc.off && end <= f->len && f->src[end - 1] != '}') end--;
    return end > r->loc.off ? end - 1 : r->loc.end;
}

static void rule(fmt *f, const gh_rule *r)
{
    if (r->is_default) puts_(f, "default ");
    head(f, r, false);
    if (r->is_default) return; /* `default h := v` never has a body of its own */
    rule_body(f, r, body_end(f, r));
    for (const gh_rule *e = r->else_rule; e && !f->failed; e = e->else_rule) {
        if (r->generated_body) {
            fail(f, &e->loc, "else after a rule without body");
            return;
        }
        puts_(f, " else");
        head(f, e, true);
        if (e->generated_body) continue;
        puts_(f, f->v1 || e->head->has_if ? " if {" : " {");
        body_block(f, e->body, body_end(f, e));
        gh_buf_putc(f->out, '}');
    }
}

/* ---- module ---- */

static bool dropped_import(const fmt *f, const gh_import *im)
{
    if (!f->v1) return false;
    const gh_term *p = im->path;
    if (p->kind != GH_TERM_REF || p->u.list.n < 2) return false;
    const gh_term *h = p->u.list.items[0], *s = p->u.list.items[1];
    if (s->kind != GH_TERM_STRING || im->alias) return false;
    if (gh_term_is_var(h, "rego")) return p->u.list.n == 2 && strcmp(s->u.str.s, "v1") == 0;
    return gh_term_is_var(h, "future") && strcmp(s->u.str.s, "keywords") == 0;
}

static void import_text(const gh_import *im, gh_buf *b)
{
    gh_term_to_rego(im->path, b);
    if (im->alias) gh_buf_printf(b, " as %s", im->alias);
}

static int cmp_import(const void *a, const void *b)
{
    gh_buf x, y;
    gh_buf_init(&x, 0);
    gh_buf_init(&y, 0);
    import_text(*(const gh_import *const *)a, &x);
    import_text(*(const gh_import *const *)b, &y);
    int c = strcmp(x.data ? x.data : "", y.data ? y.data : "");
    gh_buf_free(&x);
    gh_buf_free(&y);
    return c;
}

static void one_import(fmt *f, const gh_import *im)
{
    puts_(f, "import ");
    term(f, im->path);
    if (im->alias) gh_buf_printf(f->out, " as %s", im->alias);
}

/* Imports in groups of adjacent lines; a group without comments inside is sorted. */
static void imports(fmt *f, gh_arena *a)
{
    const gh_import **v = gh_arena_alloc(a, (f->m->nimports + 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < f->m->nimports; i++)
        if (!dropped_import(f, f->m->imports[i])) v[n++] = f->m->imports[i];
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && v[j]->loc.line <= end_line(f, &v[j - 1]->loc) + 1) j++;
        if (!comment_within(f, v[i]->loc.off, v[j - 1]->loc.end)) qsort(v + i, j - i, sizeof *v, cmp_import);
        for (size_t k = i; k < j; k++) {
            comments_before(f, v[k]->loc.off, true);
            gap(f, v[k]->loc.line);
            one_import(f, v[k]);
            trailing(f, end_line(f, &v[k]->loc));
            gh_buf_putc(f->out, '\n');
            f->last_line = end_line(f, &v[k]->loc);
        }
        i = j;
    }
    if (n) f->blank = true;
}

static void package(fmt *f)
{
    const gh_package *p = f->m->package;
    if (!p || !p->path || p->path->kind != GH_TERM_REF || p->path->u.list.n < 2) {
        fail(f, p ? &p->loc : NULL, "module without a package");
        return;
    }
    comments_before(f, p->loc.off, true);
    puts_(f, "package ");
    const gh_term *first = p->path->u.list.items[1];
    if (first->kind != GH_TERM_STRING) {
        fail(f, &first->loc, "package path does not start with a name");
        return;
    }
    gh_buf_append(f->out, first->u.str.s, first->u.str.len);
    ref_items(f, p->path->u.list.items, p->path->u.list.n, 2);
    trailing(f, end_line(f, &p->loc));
    gh_buf_putc(f->out, '\n');
    f->last_line = end_line(f, &p->loc);
    f->blank = true;
}

static void rules(fmt *f)
{
    for (size_t i = 0; i < f->m->nrules && !f->failed; i++) {
        const gh_rule *r = f->m->rules[i];
        comments_before(f, r->loc.off, true);
        gap(f, r->loc.line);
        rule(f, r);
        uint32_t end = r->loc.end;
        for (const gh_rule *e = r->else_rule; e; e = e->else_rule)
            if (e->loc.end > end) end = e->loc.end;
        gh_loc span = {.off = r->loc.off, .end = end};
        int el = end_line(f, &span);
        trailing(f, el);
        gh_buf_putc(f->out, '\n');
        f->last_line = el;
    }
}

static int cmp_comment(const void *a, const void *b)
{
    uint32_t x = (*(const gh_comment *const *)a)->loc.off, y = (*(const gh_comment *const *)b)->loc.off;
    return x < y ? -1 : x > y;
}

int gh_fmt_module(const gh_module *m, const char *src, size_t len, const gh_fmt_opts *o,
                  gh_buf *out, gh_buf *err)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    fmt f = {.out = out, .src = src, .len = len, .m = m, .err = err};
    f.v1 = !(o && o->v0_compatible);
    f.ncm = m->ncomments;
    f.cm = gh_arena_alloc(&a, (f.ncm + 1) * sizeof *f.cm);
    for (size_t i = 0; i < f.ncm; i++) f.cm[i] = &m->comments[i];
    qsort(f.cm, f.ncm, sizeof *f.cm, cmp_comment);
    package(&f);
    if (!f.failed) imports(&f, &a);
    if (!f.failed) rules(&f);
    if (!f.failed) comments_before(&f, UINT32_MAX, true);
    gh_arena_free(&a);
    if (!f.failed && f.next != f.ncm) fail(&f, NULL, "a comment could not be placed");
    if (!f.failed && out->failed) fail(&f, NULL, "out of memory");
    return f.failed ? GH_EINVAL : 0;
}

/* ---- parse, format, verify ---- */

/* Drops the imports v1 output leaves out, so the trees can be compared. */
static void drop_imports(gh_module *m, const gh_fmt_opts *o)
{
    fmt f = {.m = m, .v1 = !(o && o->v0_compatible)};
    size_t n = 0;
    for (size_t i = 0; i < m->nimports; i++)
        if (!dropped_import(&f, m->imports[i])) m->imports[n++] = m->imports[i];
    m->nimports = n;
}

static void first_diff(const gh_buf *x, const gh_buf *y, gh_buf *err)
{
    size_t i = 0;
    while (i < x->len && i < y->len && x->data[i] == y->data[i]) i++;
    size_t from = i > 40 ? i - 40 : 0;
    gh_buf_printf(err, " (syntax trees differ at byte %zu: ...%.*s... vs ...%.*s...)", i,
                  (int)((x->len - from) > 80 ? 80 : x->len - from), x->data + from,
                  (int)((y->len - from) > 80 ? 80 : y->len - from), y->data + from);
}

static int verify(const char *file, gh_module *m1, const gh_buf *out, const gh_fmt_opts *o,
                  gh_arena *a, gh_buf *err)
{
    gh_diags d;
    gh_diags_init(&d);
    gh_parse_opts po = {.v0_compatible = o && o->v0_compatible};
    gh_module *m2 = NULL;
    int rc = gh_parse_module(a, file, out->data ? out->data : "", out->len, &po, &m2, &d);
    if (rc != 0) {
        gh_buf_printf(err, "%s: internal error: formatted text does not parse:\n", file);
        gh_diags_format(&d, err);
        gh_diags_free(&d);
        return GH_EINTERNAL;
    }
    gh_diags_free(&d);
    size_t nc = m1->ncomments;
    drop_imports(m1, o);
    gh_buf x, y;
    gh_buf_init(&x, 0);
    gh_buf_init(&y, 0);
    gh_ast_module_to_json(m1, &x, false);
    gh_ast_module_to_json(m2, &y, false);
    rc = 0;
    if (x.failed || y.failed || x.len != y.len || memcmp(x.data, y.data, x.len) != 0) {
        gh_buf_printf(err, "%s: internal error: formatting would change the module", file);
        if (!x.failed && !y.failed) first_diff(&x, &y, err);
        rc = GH_EINTERNAL;
    } else if (m2->ncomments != nc) {
        gh_buf_printf(err, "%s: internal error: formatting would lose comments (%zu of %zu kept)",
                      file, m2->ncomments, nc);
        rc = GH_EINTERNAL;
    }
    gh_buf_free(&x);
    gh_buf_free(&y);
    return rc;
}

int gh_fmt_source(const char *file, const char *src, size_t len, const gh_fmt_opts *o,
                  gh_buf *out, gh_buf *err)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_diags d;
    gh_diags_init(&d);
    gh_parse_opts po = {.v0_compatible = o && o->v0_compatible};
    gh_module *m = NULL;
    int rc = gh_parse_module(&a, file, src, len, &po, &m, &d);
    if (rc != 0) {
        gh_diags_format(&d, err);
        rc = GH_EPARSE;
    } else {
        rc = gh_fmt_module(m, src, len, o, out, err);
        if (rc == 0) rc = verify(file, m, out, o, &a, err);
    }
    gh_diags_free(&d);
    gh_arena_free(&a);
    return rc;
}
