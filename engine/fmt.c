/* The Rego formatter: walks a module's AST (engine/ast.h) and writes it in `opa fmt`'s
 * layout into a gh_buf, placing the module's comments by source line. The rules, after
 * OPA's v1/format/format.go:
 *  - tabs; `package`, then a blank line; imports in groups of adjacent lines, each group
 *    sorted, with a blank line after it; imports and rules keep their relative order;
 *  - a blank line between rules, except between adjacent one-line rules;
 *  - `if` before every body; a one-literal body whose literal starts on the head's last
 *    line stays on that line (`p if x`), any other body is a block, one literal a line,
 *    blank lines between literals kept (collapsed to one);
 *  - collections, call arguments and function parameters keep their elements' line
 *    grouping: on one line if written so, else one source line per output line, each
 *    ending in `,`, closing bracket on its own line; comprehensions likewise;
 *  - infix operators inside terms parenthesize infix operands (`(x + 1) + 2`); numbers,
 *    strings and template strings as written; `_` for wildcards; `:=` for rule values;
 *  - a comment above a node stays above it (blank lines around comments kept); one at
 *    the end of a line stays at the end of that line.
 * Any node the writer cannot reproduce sets an error instead of being skipped, and
 * gh_fmt_source re-parses the output and compares syntax trees and comment counts. */
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
    bool *used;            /* cm[i] written */
    size_t ncm, next;      /* first comment that may still be unwritten */
    uint32_t *nl_off;      /* offsets of the source's newlines, ascending */
    size_t nnl;
    int indent;
    bool v1, ref_heads;
    bool ifs, contains; /* write `if` / `contains` (v1, or imported in v0) */
    bool kw_refs;       /* keywords may follow a dot in refs (v1, future imports) */
    bool tpl_verbatim;  /* template strings as written */
    gh_buf *err;
    bool failed;
} fmt;

static void term(fmt *f, const gh_term *t);
static void term_p(fmt *f, const gh_term *t, bool parens);
static void expr(fmt *f, const gh_expr *e);
static void body_block(fmt *f, const gh_body *b, int close_line);

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

static void nl(fmt *f)
{
    gh_buf_putc(f->out, '\n');
}

static void tabs(fmt *f)
{
    for (int i = 0; i < f->indent; i++) gh_buf_putc(f->out, '\t');
}

/* 1-based line of a byte offset in the source: 1 + newlines before it (binary search). */
static int line_of(const fmt *f, uint32_t off)
{
    size_t lo = 0, hi = f->nnl;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->nl_off[mid] < off) lo = mid + 1;
        else hi = mid;
    }
    return (int)lo + 1;
}

static void index_lines(fmt *f, gh_arena *a)
{
    size_t n = 0;
    for (size_t i = 0; i < f->len; i++) n += f->src[i] == '\n';
    f->nl_off = gh_arena_alloc(a, (n + 1) * sizeof *f->nl_off);
    if (!f->nl_off) {
        fail(f, NULL, "out of memory");
        return;
    }
    for (size_t i = 0; i < f->len; i++)
        if (f->src[i] == '\n') f->nl_off[f->nnl++] = (uint32_t)i;
}

static int end_line(const fmt *f, const gh_loc *l)
{
    return l->end > l->off ? line_of(f, l->end - 1) : l->line;
}

/* Offset of the next significant byte at or after off (spaces, commas and comments
 * skipped); len when none. */
static uint32_t skip_blank(const fmt *f, uint32_t off, bool commas)
{
    while (off < f->len) {
        char c = f->src[off];
        if (c == '#') {
            while (off < f->len && f->src[off] != '\n') off++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || (commas && c == ',')) {
            off++;
        } else {
            break;
        }
    }
    return off;
}

/* ---- comments ---- */

static bool is_metadata(const gh_comment *c)
{
    const char *s = c->text.s;
    size_t n = c->text.len;
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    return n == 8 && memcmp(s, "METADATA", 8) == 0;
}

static void comment_text(fmt *f, const gh_comment *c)
{
    size_t n = c->text.len;
    while (n && (c->text.s[n - 1] == ' ' || c->text.s[n - 1] == '\t' || c->text.s[n - 1] == '\r')) n--;
    gh_buf_putc(f->out, '#');
    gh_buf_append(f->out, c->text.s, n);
}

static const gh_comment *peek(fmt *f)
{
    while (f->next < f->ncm && f->used[f->next]) f->next++;
    return f->next < f->ncm ? f->cm[f->next] : NULL;
}

/* OPA's insertComments: every unwritten comment on a line before `line`, each on its own
 * line; a blank line where the source had one between comments (or before a second
 * METADATA block), and between the last comment and the node. */
static void comments_before_(fmt *f, int line, bool blank_after)
{
    const gh_comment *c, *prev = NULL;
    bool in_meta = false;
    while ((c = peek(f)) && c->loc.line < line) {
        if (prev) {
            int d = c->loc.line - prev->loc.line;
            if (d > 1) in_meta = false;
            if (d > 1 || (d == 1 && in_meta && is_metadata(c))) nl(f);
        }
        if (is_metadata(c)) in_meta = true;
        tabs(f);
        comment_text(f, c);
        nl(f);
        f->used[f->next] = true;
        prev = c;
    }
    if (prev && blank_after && line - prev->loc.line > 1) nl(f);
}

static void comments_before(fmt *f, int line)
{
    comments_before_(f, line, true);
}

/* Comments before a closing bracket or brace: no blank line before it. */
static void comments_before_close(fmt *f, int line)
{
    comments_before_(f, line, false);
}

/* Appends ` #...` for an unwritten comment on source line `line`. */
static void trailing(fmt *f, int line)
{
    if (!peek(f)) return;
    for (size_t i = f->next; i < f->ncm && f->cm[i]->loc.line <= line; i++) {
        if (f->used[i] || f->cm[i]->loc.line != line) continue;
        gh_buf_putc(f->out, ' ');
        comment_text(f, f->cm[i]);
        f->used[i] = true;
        return;
    }
}

/* After a statement written from output offset out_start, covering source lines
 * [from, to]: when it came out on one line and exactly one unwritten comment sits
 * inside those source lines, that comment ends the line (as OPA keeps it); otherwise
 * only a comment on the last line does. */
static void end_comment(fmt *f, size_t out_start, int from, int to)
{
    if (!peek(f)) return;
    bool one_line = f->out->len <= out_start ||
                    !memchr(f->out->data + out_start, '\n', f->out->len - out_start);
    size_t hit = f->ncm, count = 0;
    for (size_t i = f->next; one_line && i < f->ncm && f->cm[i]->loc.line <= to; i++) {
        if (f->used[i] || f->cm[i]->loc.line < from) continue;
        if (count++ == 0) hit = i;
    }
    if (count != 1) {
        trailing(f, to);
        return;
    }
    gh_buf_putc(f->out, ' ');
    comment_text(f, f->cm[hit]);
    f->used[hit] = true;
}

static bool comment_above(fmt *f, int line)
{
    const gh_comment *c = peek(f);
    return c && c->loc.line < line;
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
    return true;
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

static bool src_quoted(const fmt *f, const gh_loc *l)
{
    return l->end > l->off && l->end <= f->len && (f->src[l->off] == '"' || f->src[l->off] == '`') &&
           l->end - l->off >= 2 && f->src[l->end - 1] == f->src[l->off];
}

/* A string literal as written ("..." or `...`), else JSON-quoted (e.g. `b` of `a.b`). */
static void string(fmt *f, const gh_term *t)
{
    if (src_quoted(f, &t->loc)) gh_buf_append(f->out, f->src + t->loc.off, t->loc.end - t->loc.off);
    else json_string(f, &t->u.str);
}

static void var(fmt *f, const gh_term *t)
{
    if (t->u.str.s[0] == '$') puts_(f, "_");
    else gh_buf_append(f->out, t->u.str.s, t->u.str.len);
}

/* `.name` when the string is a name (keywords too in v1, unless written quoted). */
static void ref_operand(fmt *f, const gh_term *t)
{
    if (t->kind == GH_TERM_STRING && is_ident(&t->u.str) &&
        !(is_keyword(t->u.str.s) && (!f->kw_refs || src_quoted(f, &t->loc)))) {
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
    {"mul", "*", 6},      {"div", "/", 6},      {"rem", "%", 6},
};

/* The infix form of a call (items[0] operator, then operands), when its arity fits. */
static const infix *call_infix(gh_term *const *items, size_t n)
{
    char name[64];
    if (!op_name(items[0], name, sizeof name)) return NULL;
    for (size_t i = 0; i < sizeof infixes / sizeof infixes[0]; i++) {
        const infix *x = &infixes[i];
        if (strcmp(x->name, name) != 0) continue;
        size_t want = strcmp(name, "internal.member_3") == 0 ? 4 : 3;
        return n == want ? x : NULL;
    }
    return NULL;
}

static const infix *term_infix(const gh_term *t)
{
    return t->kind == GH_TERM_CALL && t->u.list.n ? call_infix(t->u.list.items, t->u.list.n) : NULL;
}

static bool is_union(const gh_term *t)
{
    const infix *x = term_infix(t);
    return x && strcmp(x->name, "or") == 0;
}

/* An operand of an infix operator: inside a term every infix operand is parenthesized
 * (as OPA does); at the top of a literal only where precedence needs it. */
static void operand(fmt *f, const gh_term *t, bool in_term, int min_prec)
{
    const infix *x = term_infix(t);
    term_p(f, t, x && (in_term || x->prec < min_prec));
}

static void infix_call(fmt *f, const infix *x, gh_term *const *items, size_t n, bool in_term)
{
    int p = x->prec;
    if (n == 4) { /* k, v in xs */
        operand(f, items[1], true, 2);
        puts_(f, ", ");
        operand(f, items[2], true, 2);
    } else {
        operand(f, items[1], in_term || p == 1, p);
    }
    gh_buf_printf(f->out, " %s ", x->text);
    operand(f, items[n - 1], in_term || p == 1, p == 0 ? 0 : p + 1);
}

/* ---- iterables: collections, call arguments, parameters ---- */

typedef struct elems {
    gh_term *const *a; /* first term of each element (the key of an object entry) */
    gh_term *const *b; /* object values, or NULL */
    size_t n;
    bool paren_union;  /* parenthesize `x | y` elements (collections) */
} elems;

static void elem(fmt *f, const elems *e, size_t i)
{
    term_p(f, e->a[i], e->paren_union && is_union(e->a[i]));
    if (!e->b) return;
    puts_(f, ": ");
    term_p(f, e->b[i], is_union(e->b[i]));
}

static int elem_end_line(const fmt *f, const elems *e, size_t i)
{
    return end_line(f, &(e->b ? e->b[i] : e->a[i])->loc);
}

/* Elements after an opening bracket on open_line (0: call arguments, where as in OPA only
 * elements on different lines count): one line if written on one line, else
 * a line per source line, each ending in ',', and the closing bracket (on close_line)
 * on a line of its own. The caller writes both brackets. */
static void iterable(fmt *f, const elems *e, int open_line, int close_line)
{
    bool ml = e->n && open_line && e->a[0]->loc.line > open_line;
    for (size_t i = 1; i < e->n; i++)
        if (e->a[i]->loc.line > e->a[i - 1]->loc.line) ml = true;
    for (size_t i = 0; i < e->n; i++) {
        if (!ml) {
            if (i) puts_(f, ", ");
        } else if (i == 0 || e->a[i]->loc.line > e->a[i - 1]->loc.line) {
            if (i) {
                gh_buf_putc(f->out, ',');
                trailing(f, elem_end_line(f, e, i - 1));
            } else {
                f->indent++;
            }
            nl(f);
            comments_before(f, e->a[i]->loc.line);
            tabs(f);
        } else {
            puts_(f, ", ");
        }
        elem(f, e, i);
    }
    if (!ml) return;
    gh_buf_putc(f->out, ',');
    trailing(f, elem_end_line(f, e, e->n - 1));
    nl(f);
    comments_before_close(f, close_line);
    f->indent--;
    tabs(f);
}

/* Line of the bracket `close` that ends a list whose last element ends at off. */
static int close_line_after(const fmt *f, uint32_t off, char close)
{
    uint32_t p = skip_blank(f, off, true);
    return p < f->len && f->src[p] == close ? line_of(f, p) : line_of(f, off);
}

static void call(fmt *f, gh_term *const *items, size_t n, bool in_term)
{
    const infix *x = call_infix(items, n);
    if (x) {
        infix_call(f, x, items, n, in_term);
        return;
    }
    if (items[0]->kind != GH_TERM_REF) {
        fail(f, &items[0]->loc, "call operator is not a reference");
        return;
    }
    ref(f, items[0]);
    gh_buf_putc(f->out, '(');
    elems e = {.a = items + 1, .n = n - 1};
    uint32_t last = n > 1 ? items[n - 1]->loc.end : items[0]->loc.end;
    iterable(f, &e, 0, close_line_after(f, last, ')'));
    gh_buf_putc(f->out, ')');
}

static void collection(fmt *f, const gh_term *t, char open, char close)
{
    bool obj = t->kind == GH_TERM_OBJECT;
    elems e = {.a = obj ? t->u.obj.keys : t->u.list.items, .b = obj ? t->u.obj.vals : NULL,
               .n = obj ? t->u.obj.n : t->u.list.n, .paren_union = true};
    gh_buf_putc(f->out, open);
    iterable(f, &e, t->loc.line, end_line(f, &t->loc));
    gh_buf_putc(f->out, close);
}

/* Is a body written over several lines (after the term on line `from`)? */
static bool body_multiline(const gh_body *b, int from)
{
    if (b->n && b->items[0]->loc.line > from) return true;
    for (size_t i = 1; i < b->n; i++)
        if (b->items[i]->loc.line > b->items[i - 1]->loc.line) return true;
    return false;
}

/* A comprehension's or `every`'s body: inline after `|`/`{` with `; `, or a block. */
static void compr_body(fmt *f, const gh_body *b, int from, int close_line, bool brace)
{
    if (body_multiline(b, from)) {
        if (b->n && b->items[0]->loc.line > from) trailing(f, from);
        body_block(f, b, close_line);
        return;
    }
    gh_buf_putc(f->out, ' ');
    for (size_t i = 0; i < b->n; i++) {
        if (i) puts_(f, "; ");
        expr(f, b->items[i]);
    }
    if (brace && b->n == 1) gh_buf_putc(f->out, ' ');
}

static void comprehension(fmt *f, const gh_term *t, char open, char close)
{
    gh_buf_putc(f->out, open);
    if (t->u.compr.key) {
        term_p(f, t->u.compr.key, is_union(t->u.compr.key));
        puts_(f, ": ");
    }
    const gh_term *v = t->u.compr.value;
    term_p(f, v, is_union(v));
    puts_(f, " |");
    compr_body(f, t->u.compr.body, (t->u.compr.key ? t->u.compr.key : v)->loc.line,
               end_line(f, &t->loc), false);
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

/* Literal text of a template string: `{` escaped; JSON escapes unless raw. */
static void tpl_text(fmt *f, const gh_str *s, bool raw)
{
    if (raw) {
        for (size_t i = 0; i < s->len; i++) {
            if (s->s[i] == '{') gh_buf_putc(f->out, '\\');
            gh_buf_putc(f->out, s->s[i]);
        }
        return;
    }
    size_t start = f->out->len;
    json_string(f, s);
    f->out->len--; /* the closing quote */
    size_t n = f->out->len - start - 1;
    char *q = malloc(n + 1);
    if (!q) {
        fail(f, NULL, "out of memory");
        return;
    }
    memcpy(q, f->out->data + start + 1, n);
    f->out->len = start;
    for (size_t i = 0; i < n; i++) {
        if (q[i] == '{') gh_buf_putc(f->out, '\\');
        gh_buf_putc(f->out, q[i]);
    }
    free(q);
}

/* $"...{expr}..." / $`...`: literal parts re-escaped, expressions formatted (as opa fmt).
 * Written as in the source when asked to, or when a part is not plain text. */
static void template(fmt *f, const gh_term *t)
{
    bool plain = !f->tpl_verbatim;
    for (size_t i = 0; i < t->u.tpl.n; i++) {
        const gh_tpl_part *p = &t->u.tpl.parts[i];
        if ((p->str && p->str->kind != GH_TERM_STRING) || (!p->str && !p->expr)) plain = false;
    }
    if (!plain) {
        verbatim(f, &t->loc);
        return;
    }
    bool raw = t->u.tpl.raw;
    puts_(f, raw ? "$`" : "$\"");
    for (size_t i = 0; i < t->u.tpl.n; i++) {
        const gh_tpl_part *p = &t->u.tpl.parts[i];
        if (p->str) {
            tpl_text(f, &p->str->u.str, raw);
        } else {
            gh_buf_putc(f->out, '{');
            expr(f, p->expr);
            gh_buf_putc(f->out, '}');
        }
    }
    gh_buf_putc(f->out, raw ? '`' : '"');
}

static void term_body(fmt *f, const gh_term *t, bool in_term)
{
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
        else call(f, t->u.list.items, t->u.list.n, in_term);
        break;
    case GH_TERM_ARRAY_COMPR: comprehension(f, t, '[', ']'); break;
    case GH_TERM_SET_COMPR:
    case GH_TERM_OBJECT_COMPR: comprehension(f, t, '{', '}'); break;
    case GH_TERM_TEMPLATE: template(f, t); break;
    default: fail(f, &t->loc, "unknown term kind"); break;
    }
}

/* A term; parens: wrap it in (...). Calls inside terms parenthesize infix operands. */
static void term_p(fmt *f, const gh_term *t, bool parens)
{
    if (!t) {
        fail(f, NULL, "missing term");
        return;
    }
    if (parens) gh_buf_putc(f->out, '(');
    term_body(f, t, true);
    if (parens) gh_buf_putc(f->out, ')');
}

static void term(fmt *f, const gh_term *t)
{
    term_p(f, t, false);
}

/* ---- expressions and bodies ---- */

static void some_decl(fmt *f, const gh_expr *e)
{
    puts_(f, "some ");
    const gh_term *s0 = e->u.some.n ? e->u.some.symbols[0] : NULL;
    if (e->u.some.n == 1 && s0->kind == GH_TERM_CALL) {
        gh_term *const *it = s0->u.list.items;
        size_t n = s0->u.list.n;
        char name[64];
        if (!op_name(it[0], name, sizeof name) ||
            !((n == 3 && strcmp(name, "internal.member_2") == 0) ||
              (n == 4 && strcmp(name, "internal.member_3") == 0))) {
            fail(f, &e->loc, "unexpected `some` declaration");
            return;
        }
        for (size_t i = 1; i + 1 < n; i++) {
            if (i > 1) puts_(f, ", ");
            operand(f, it[i], true, 2);
        }
        puts_(f, " in ");
        operand(f, it[n - 1], true, 2);
        return;
    }
    for (size_t i = 0; i < e->u.some.n; i++) {
        if (i) puts_(f, ", ");
        term(f, e->u.some.symbols[i]);
    }
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
    uint32_t end = e->nwith ? e->with[0]->loc.off : e->loc.end;
    while (end > e->loc.off && f->src[end - 1] != '}') end--;
    compr_body(f, e->u.every.body, e->loc.line, end ? line_of(f, end - 1) : e->loc.line, true);
    gh_buf_putc(f->out, '}');
}

/* Source line where the literal's own text ends (before its first `with`). */
static int terms_end_line(const fmt *f, const gh_expr *e)
{
    uint32_t end = e->with[0]->loc.off;
    while (end > e->loc.off && strchr(" \t\r\n", f->src[end - 1])) end--;
    return line_of(f, end > e->loc.off ? end - 1 : end);
}

/* ` with x as y` on the literal's line when written there, else indented below it. */
static void withs(fmt *f, const gh_expr *e)
{
    if (!e->nwith) return;
    int last = terms_end_line(f, e);
    bool indented = false;
    for (size_t i = 0; i < e->nwith; i++) {
        const gh_with *w = e->with[i];
        if (w->loc.line > last) {
            if (!indented) f->indent++, indented = true;
            nl(f);
            tabs(f);
            last = w->loc.line;
        } else {
            gh_buf_putc(f->out, ' ');
        }
        puts_(f, "with ");
        term(f, w->target);
        puts_(f, " as ");
        term(f, w->value);
    }
    if (indented) f->indent--;
}

static void expr(fmt *f, const gh_expr *e)
{
    if (e->negated) puts_(f, "not ");
    switch (e->kind) {
    case GH_EXPR_TERM: term_body(f, e->u.term, false); break;
    case GH_EXPR_CALL:
        if (e->u.call.n == 0) fail(f, &e->loc, "call without operator");
        else call(f, e->u.call.terms, e->u.call.n, false);
        break;
    case GH_EXPR_SOME: some_decl(f, e); break;
    case GH_EXPR_EVERY: every(f, e); break;
    default: fail(f, &e->loc, "unknown expression kind"); break;
    }
    withs(f, e);
}

/* Writes "\n", the body's literals one per line one level deeper, the comments before
 * the closing brace's line, then that line's indentation (the caller writes the brace). */
static void body_block(fmt *f, const gh_body *b, int close_line)
{
    nl(f);
    f->indent++;
    for (size_t i = 0; i < b->n; i++) {
        const gh_expr *e = b->items[i];
        if (i && e->loc.line > end_line(f, &b->items[i - 1]->loc) + 1) nl(f);
        comments_before(f, e->loc.line);
        tabs(f);
        size_t start = f->out->len;
        expr(f, e);
        end_comment(f, start, e->loc.line, end_line(f, &e->loc));
        nl(f);
    }
    comments_before_close(f, close_line);
    f->indent--;
    tabs(f);
}

/* ---- rules ---- */

/* Offset where the head's text ends (its last written part). */
static uint32_t head_end(const gh_head *h)
{
    uint32_t end = h->loc.end;
    for (size_t i = 0; i < h->nref; i++)
        if (h->ref[i]->loc.end > end) end = h->ref[i]->loc.end;
    for (size_t i = 0; i < h->nargs; i++)
        if (h->args[i]->loc.end > end) end = h->args[i]->loc.end;
    if (h->key && h->key->loc.end > end) end = h->key->loc.end;
    if (h->value && !h->generated_value && h->value->loc.end > end) end = h->value->loc.end;
    return end;
}

static void head_ref(fmt *f, const gh_head *h)
{
    if (f->ref_heads || h->nref == 1) {
        term(f, h->ref[0]);
        ref_items(f, h->ref, h->nref, 1);
        return;
    }
    term(f, h->ref[0]); /* OPA writes two-part heads as p[x] unless ref heads are in use */
    gh_buf_putc(f->out, '[');
    term(f, h->ref[1]);
    gh_buf_putc(f->out, ']');
}

/* OPA's "expanded const": a body of just `true` (written `if true`, or implied) is not
 * written; `p if true` becomes `p := true` as in opa fmt. Not for functions. Unlike OPA,
 * kept for two-part heads with a non-string key (`q[1] = y if true`). */
static bool expanded_const(const gh_rule *r)
{
    if (r->generated_body) return true;
    const gh_body *b = r->body;
    const gh_head *h = r->head;
    if (r->else_rule || r->is_default || !b || b->n != 1 || h->nargs) return false;
    /* `q[1] := y` would parse as the v0 key form: keep `q[1] := y if true` */
    if (h->nref == 2 && h->value && h->ref[1]->kind != GH_TERM_STRING) return false;
    const gh_expr *e = b->items[0];
    return e->kind == GH_EXPR_TERM && !e->negated && !e->nwith && e->u.term->kind == GH_TERM_BOOL &&
           e->u.term->u.b;
}

static void head(fmt *f, const gh_rule *r, bool is_else)
{
    const gh_head *h = r->head;
    if (!h || h->invalid || (!is_else && h->nref == 0)) {
        fail(f, &r->loc, "rule without a usable head");
        return;
    }
    if (!is_else) {
        head_ref(f, h);
        if (h->nargs) {
            gh_buf_putc(f->out, '(');
            elems e = {.a = h->args, .n = h->nargs};
            iterable(f, &e, h->loc.line, close_line_after(f, h->args[h->nargs - 1]->loc.end, ')'));
            gh_buf_putc(f->out, ')');
        }
        if (h->key && !h->value) {
            puts_(f, f->contains ? " contains " : "[");
            term(f, h->key);
            if (!f->contains) gh_buf_putc(f->out, ']');
        }
    }
    bool ref_const = f->v1 && !is_else && !h->key && expanded_const(r) && !r->generated_body;
    if (h->value && (!h->generated_value || r->is_default || ref_const)) {
        puts_(f, h->assign || f->v1 ? " := " : " = ");
        term(f, h->value);
    }
}

static bool set_literal(const gh_expr *e)
{
    return !e->negated && e->kind == GH_EXPR_TERM && e->u.term->kind == GH_TERM_SET && e->u.term->u.list.n;
}

static void else_chain(fmt *f, const gh_rule *r, int close_line);

/* The line of the `{` that opens r's body block, or 0. */
static int brace_line(const fmt *f, const gh_rule *r)
{
    uint32_t p = skip_blank(f, head_end(r->head), false);
    if (p + 2 <= f->len && memcmp(f->src + p, "if", 2) == 0) p = skip_blank(f, p + 2, false);
    return p < f->len && f->src[p] == '{' ? line_of(f, p) : 0;
}

/* Line of the `}` closing r's own body (before its `else`). */
static int close_line_of(const fmt *f, const gh_rule *r)
{
    uint32_t end = r->else_rule ? r->else_rule->loc.off : r->loc.end;
    while (end > r->loc.off && f->src[end - 1] != '}') end--;
    return end > r->loc.off ? line_of(f, end - 1) : end_line(f, &r->loc);
}

/* `if` is written where OPA writes it: not for a v0 partial set `p[x] { ... }`. */
static bool use_if(const fmt *f, const gh_rule *r)
{
    return f->ifs && (f->contains || r->head->value);
}

/* After the head: nothing when there is no body, ` if x`, or ` if {...}`; then else. */
static void rule_body(fmt *f, const gh_rule *r)
{
    if (r->generated_body || r->is_default || (f->v1 && expanded_const(r))) return;
    const gh_body *b = r->body;
    puts_(f, use_if(f, r) ? " if" : "");
    int hend = line_of(f, head_end(r->head) ? head_end(r->head) - 1 : 0);
    if (b->n == 1 && b->items[0]->loc.line == hend && !set_literal(b->items[0]) && use_if(f, r)) {
        gh_buf_putc(f->out, ' ');
        expr(f, b->items[0]);
        if (r->else_rule) {
            trailing(f, end_line(f, &b->items[0]->loc));
            nl(f);
            else_chain(f, r, 0);
        }
        return;
    }
    puts_(f, " {");
    int bl = brace_line(f, r);
    if (bl && b->n && b->items[0]->loc.line > bl) trailing(f, bl);
    int cl = close_line_of(f, r);
    body_block(f, b, cl);
    gh_buf_putc(f->out, '}');
    if (r->else_rule) else_chain(f, r, cl);
}

/* ` else ...` after r's closing brace (on close_line; 0 when r was a one-liner and its
 * line is already ended): inline when written inline, else after a blank line. */
static void else_chain(fmt *f, const gh_rule *r, int close_line)
{
    const gh_rule *e = r->else_rule;
    bool inline_ = false;
    if (e->loc.line > r->loc.line) {
        uint32_t p = e->loc.off;
        while (p > 0 && f->src[p - 1] != '\n') p--;
        p = skip_blank(f, p, false);
        inline_ = !(p + 4 <= f->len && memcmp(f->src + p, "else", 4) == 0);
    }
    if (!comment_above(f, e->loc.line) && inline_) {
        gh_buf_putc(f->out, ' ');
    } else {
        if (close_line) {
            trailing(f, close_line);
            nl(f);
        }
        nl(f);
        comments_before(f, e->loc.line);
        tabs(f);
    }
    puts_(f, "else");
    head(f, e, true);
    rule_body(f, e);
}

static void rule(fmt *f, const gh_rule *r)
{
    if (r->is_default) puts_(f, "default ");
    head(f, r, false);
    if (!f->failed) rule_body(f, r);
}

/* OPA's groupableOneLiner: rules of at most one literal that may sit on adjacent lines.
 * Unlike OPA, not a rule with `else`: its output spans lines, so grouping it would not
 * be stable under a second run. */
static bool groupable(const fmt *f, const gh_rule *r)
{
    return !r->is_default && !r->else_rule && (r->generated_body || r->body->n <= 1) && use_if(f, r);
}

static int rule_end_line(const fmt *f, const gh_rule *r)
{
    uint32_t end = r->loc.end;
    for (const gh_rule *e = r->else_rule; e; e = e->else_rule)
        if (e->loc.end > end) end = e->loc.end;
    gh_loc span = {.line = r->loc.line, .off = r->loc.off, .end = end};
    return end_line(f, &span);
}

/* ---- module ---- */

static bool is_rego_v1(const gh_import *im)
{
    const gh_term *p = im->path;
    return p->kind == GH_TERM_REF && p->u.list.n == 2 && gh_term_is_var(p->u.list.items[0], "rego") &&
           p->u.list.items[1]->kind == GH_TERM_STRING && strcmp(p->u.list.items[1]->u.str.s, "v1") == 0;
}

static bool is_future(const gh_import *im)
{
    const gh_term *p = im->path;
    return p->kind == GH_TERM_REF && p->u.list.n >= 2 && gh_term_is_var(p->u.list.items[0], "future");
}

/* Imports v1 output leaves out: `rego.v1` with --drop-v0-imports, and `future.keywords`
 * ones when `rego.v1` is imported or dropped (OPA's filter). */
static bool dropped_import(const gh_module *m, const gh_fmt_opts *o, const gh_import *im)
{
    if (o && o->v0_compatible) return false;
    bool drop_v0 = o && o->drop_v0_imports, has_v1 = false;
    for (size_t i = 0; i < m->nimports; i++)
        if (is_rego_v1(m->imports[i])) has_v1 = true;
    if (is_rego_v1(im)) return drop_v0;
    return is_future(im) && (drop_v0 || has_v1);
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

/* A comment on an import's line goes with the import when groups are sorted. */
static void import_line(fmt *f, const gh_import *im)
{
    puts_(f, "import ");
    bool kw = f->kw_refs;
    f->kw_refs = kw || is_future(im);
    term(f, im->path);
    f->kw_refs = kw;
    if (im->alias) gh_buf_printf(f->out, " as %s", im->alias);
    for (size_t i = 0; i < f->ncm; i++) {
        if (f->used[i] || f->cm[i]->loc.line != im->loc.line) continue;
        gh_buf_putc(f->out, ' ');
        comment_text(f, f->cm[i]);
        f->used[i] = true;
        break;
    }
    nl(f);
}

/* A run of imports: groups of adjacent lines, each sorted and followed by a blank line. */
static void imports(fmt *f, const gh_import **v, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && v[j]->loc.line - v[j - 1]->loc.line <= 1) j++;
        comments_before(f, v[i]->loc.line);
        qsort(v + i, j - i, sizeof *v, cmp_import);
        for (size_t k = i; k < j; k++) import_line(f, v[k]);
        nl(f);
        i = j;
    }
}

/* A run of rules: a blank line after each, except between adjacent one-liners. */
static void rules(fmt *f, const gh_rule **v, size_t n)
{
    for (size_t i = 0; i < n && !f->failed; i++) {
        const gh_rule *r = v[i];
        comments_before(f, r->loc.line);
        size_t start = f->out->len;
        rule(f, r);
        end_comment(f, start, r->loc.line, rule_end_line(f, r));
        nl(f);
        if (i + 1 < n && groupable(f, r) && groupable(f, v[i + 1]) &&
            v[i + 1]->loc.line == r->loc.line + 1 && rule_end_line(f, r) == r->loc.line)
            continue;
        nl(f);
    }
}

static void package(fmt *f)
{
    const gh_package *p = f->m->package;
    if (!p || !p->path || p->path->kind != GH_TERM_REF || p->path->u.list.n < 2 ||
        p->path->u.list.items[1]->kind != GH_TERM_STRING) {
        fail(f, p ? &p->loc : NULL, "module without a usable package");
        return;
    }
    comments_before(f, p->loc.line);
    puts_(f, "package ");
    const gh_term *first = p->path->u.list.items[1];
    gh_buf_append(f->out, first->u.str.s, first->u.str.len);
    ref_items(f, p->path->u.list.items, p->path->u.list.n, 2);
    trailing(f, end_line(f, &p->loc));
    nl(f);
    nl(f);
}

/* Imports and rules in source order, as alternating runs. */
static void statements(fmt *f, gh_arena *a, const gh_fmt_opts *o)
{
    const gh_module *m = f->m;
    const gh_import **im = gh_arena_alloc(a, (m->nimports + 1) * sizeof *im);
    const gh_rule **ru = gh_arena_alloc(a, (m->nrules + 1) * sizeof *ru);
    if (!im || !ru) {
        fail(f, NULL, "out of memory");
        return;
    }
    size_t ni = 0, nr = 0;
    for (size_t i = 0; i < m->nimports; i++)
        if (!dropped_import(m, o, m->imports[i])) im[ni++] = m->imports[i];
    for (size_t i = 0; i < m->nrules; i++) ru[nr++] = m->rules[i];
    size_t i = 0, r = 0;
    while ((i < ni || r < nr) && !f->failed) {
        size_t i0 = i, r0 = r;
        while (i < ni && (r == nr || im[i]->loc.off < ru[r]->loc.off)) i++;
        imports(f, im + i0, i - i0);
        while (r < nr && (i == ni || ru[r]->loc.off < im[i]->loc.off)) r++;
        rules(f, ru + r0, r - r0);
    }
}

/* future.keywords.NAME or all of future.keywords (name NULL) imported? */
static bool imports_future(const gh_module *m, const char *name)
{
    for (size_t i = 0; i < m->nimports; i++) {
        const gh_import *im = m->imports[i];
        if (is_rego_v1(im)) return true;
        if (!is_future(im)) continue;
        const gh_term *p = im->path;
        if (p->u.list.n == 2) return true; /* future.keywords */
        if (p->u.list.n == 3 && p->u.list.items[2]->kind == GH_TERM_STRING &&
            strcmp(p->u.list.items[2]->u.str.s, name) == 0)
            return true;
    }
    return false;
}

static void compute_ref_heads(fmt *f)
{
    for (size_t i = 0; i < f->m->nrules; i++) {
        const gh_head *h = f->m->rules[i]->head;
        if (h && (h->nref > 2 || (h->nref == 2 && h->key && !h->value))) f->ref_heads = true;
    }
}

static void trailing_comments(fmt *f)
{
    for (const gh_comment *c; (c = peek(f));) {
        comment_text(f, c);
        nl(f);
        f->used[f->next] = true;
    }
    while (f->out->len && f->out->data[f->out->len - 1] == '\n') f->out->len--;
    if (f->out->data) f->out->data[f->out->len] = 0;
    nl(f);
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
    f.ifs = f.v1 || imports_future(m, "if");
    f.contains = f.v1 || imports_future(m, "contains");
    f.kw_refs = f.v1;
    f.tpl_verbatim = o && o->verbatim_templates;
    f.ncm = m->ncomments;
    f.cm = gh_arena_alloc(&a, (f.ncm + 1) * sizeof *f.cm);
    f.used = gh_arena_calloc(&a, f.ncm + 1, sizeof *f.used);
    if (!f.cm || !f.used) {
        gh_arena_free(&a);
        gh_buf_puts(err, "gatehouse fmt: out of memory");
        return GH_ENOMEM;
    }
    for (size_t i = 0; i < f.ncm; i++) f.cm[i] = &m->comments[i];
    if (f.ncm) qsort(f.cm, f.ncm, sizeof *f.cm, cmp_comment);
    compute_ref_heads(&f);
    index_lines(&f, &a);
    size_t start = out->len;
    if (!f.failed) package(&f);
    if (!f.failed) statements(&f, &a, o);
    if (!f.failed) trailing_comments(&f);
    gh_arena_free(&a);
    if (!f.failed && out->len == start) fail(&f, NULL, "nothing written");
    if (!f.failed && out->failed) fail(&f, NULL, "out of memory");
    return f.failed ? GH_EINVAL : 0;
}

/* ---- parse, format, verify ---- */

/* Drops the imports v1 output leaves out, so the trees can be compared. */
static void drop_imports(gh_module *m, const gh_fmt_opts *o, gh_arena *a)
{
    bool *drop = gh_arena_calloc(a, m->nimports + 1, sizeof *drop);
    if (!drop) return;
    for (size_t i = 0; i < m->nimports; i++) drop[i] = dropped_import(m, o, m->imports[i]);
    size_t n = 0;
    for (size_t i = 0; i < m->nimports; i++)
        if (!drop[i]) m->imports[n++] = m->imports[i];
    m->nimports = n;
}

/* v1 output writes every rule value with `:=`; `=` and `:=` heads mean the same. */
static void same_assign(gh_module *m)
{
    for (size_t i = 0; i < m->nrules; i++)
        for (gh_rule *r = m->rules[i]; r; r = r->else_rule)
            if (r->head) r->head->assign = false;
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
    drop_imports(m1, o, a);
    if (!(o && o->v0_compatible)) same_assign(m1), same_assign(m2);
    if (m1->nimports) qsort(m1->imports, m1->nimports, sizeof *m1->imports, cmp_import);
    if (m2->nimports) qsort(m2->imports, m2->nimports, sizeof *m2->imports, cmp_import);
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

/* Formats and verifies; when the check fails and template strings were re-rendered,
 * tries once more with them as written. */
static int format_verified(const char *file, gh_module *m, const char *src, size_t len,
                           const gh_fmt_opts *o, gh_buf *out, gh_buf *err, gh_arena *a)
{
    gh_fmt_opts o2 = o ? *o : (gh_fmt_opts){0};
    size_t out0 = out->len, err0 = err->len;
    gh_module saved = *m;
    gh_import **imports = gh_arena_alloc(a, (m->nimports + 1) * sizeof *imports);
    if (!imports) return GH_ENOMEM;
    if (m->nimports) memcpy(imports, m->imports, m->nimports * sizeof *imports);
    int rc = gh_fmt_module(m, src, len, &o2, out, err);
    if (rc == 0) rc = verify(file, m, out, &o2, a, err);
    if (rc != GH_EINTERNAL || o2.verbatim_templates || !memmem(src, len, "$", 1)) return rc;
    /* verify() normalized m (imports filtered and sorted): put them back first */
    *m = saved;
    m->imports = imports; /* rule `assign` flags were cleared too: v1 output writes := anyway */
    out->len = out0, err->len = err0;
    if (out->data) out->data[out0] = 0;
    if (err->data) err->data[err0] = 0;
    o2.verbatim_templates = true;
    rc = gh_fmt_module(m, src, len, &o2, out, err);
    if (rc == 0) rc = verify(file, m, out, &o2, a, err);
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
        rc = format_verified(file, m, src, len, o, out, err, &a);
    }
    gh_diags_free(&d);
    gh_arena_free(&a);
    return rc;
}
