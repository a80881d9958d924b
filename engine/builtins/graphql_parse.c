/* GraphQL lexer and recursive-descent parser, after vektah/gqlparser (OPA's copy): the same
 * tokens, the same grammar decisions and the same error texts and positions, building the
 * AST straight into Rego values in the shape OPA returns. */
#include "builtins/graphql.h"

#include <stdio.h>

/* ---- tokens ---- */

enum {
    T_INVALID, T_EOF, T_BANG, T_DOLLAR, T_AMP, T_PAREN_L, T_PAREN_R, T_SPREAD, T_COLON,
    T_EQUALS, T_AT, T_BRACKET_L, T_BRACKET_R, T_BRACE_L, T_PIPE, T_BRACE_R, T_NAME, T_INT,
    T_FLOAT, T_STRING, T_BLOCK_STRING,
};

/* Kind.String() and Kind.Name() of gqlparser's lexer. */
static const char *const tok_str[] = {"<Invalid>", "<EOF>", "!", "$", "&", "(", ")", "...", ":",
                                      "=", "@", "[", "]", "{", "|", "}", "Name", "Int",
                                      "Float", "String", "BlockString"};
static const char *const tok_name[] = {"Invalid", "EOF", "Bang", "Dollar", "Amp", "ParenL",
                                       "ParenR", "Spread", "Colon", "Equals", "At", "BracketL",
                                       "BracketR", "BraceL", "Pipe", "BraceR", "Name", "Int",
                                       "Float", "String", "BlockString"};

typedef struct tok {
    int kind;
    const char *v; /* value: name, number text, decoded string (arena) */
    size_t n;
    int line, col;
} tok;

typedef struct parser {
    gh_bctx *bc;
    const char *src;
    size_t len, end; /* byte offset of the next unread byte */
    long runes, line_start; /* rune offsets: of `end`, of the current line's start */
    int line;
    tok peek, prev;
    bool peeked, oom, with_pos;
    int depth;
    gq_error *err;
    bool failed;
} parser;

/* ---- lexer ---- */

static tok mk_tok(parser *p, int kind, const char *v, size_t n, long start_runes)
{
    return (tok){kind, v, n, p->line, (int)(start_runes - p->line_start + 1)};
}

/* An Invalid token at the lexer's current position (gqlparser's makeError). */
static tok lex_error(parser *p)
{
    return (tok){T_INVALID, "", 0, p->line, (int)(p->runes - p->line_start + 1)};
}

static void lex_ws(parser *p)
{
    const unsigned char *s = (const unsigned char *)p->src;
    while (p->end < p->len) {
        unsigned char c = s[p->end];
        if (c == '\t' || c == ' ' || c == ',') {
            p->end++, p->runes++;
        } else if (c == '\n' || c == '\r') {
            p->end++, p->runes++, p->line++;
            p->line_start = p->runes;
            if (c == '\r' && p->end < p->len && s[p->end] == '\n') p->end++, p->runes++;
        } else if (c == 0xef && p->end + 2 < p->len && s[p->end + 1] == 0xbb &&
                   s[p->end + 2] == 0xbf) {
            p->end += 3, p->runes++;
        } else if (c == '#') {
            while (p->end < p->len && (s[p->end] >= 0x20 || s[p->end] == '\t')) {
                uint32_t r;
                p->end += bi_utf8_decode(p->src + p->end, p->len - p->end, &r);
                p->runes++;
            }
        } else {
            return;
        }
    }
}

static bool is_name_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static size_t digits(parser *p)
{
    size_t k = 0;
    while (p->end < p->len && p->src[p->end] >= '0' && p->src[p->end] <= '9') p->end++, p->runes++, k++;
    return k;
}

static bool accept(parser *p, char a, char b)
{
    if (p->end < p->len && (p->src[p->end] == a || p->src[p->end] == b)) {
        p->end++, p->runes++;
        return true;
    }
    return false;
}

static tok lex_number(parser *p, size_t start, long start_runes)
{
    bool is_float = false;
    accept(p, '-', '-');
    if (accept(p, '0', '0')) {
        size_t k = digits(p);
        if (k) {
            p->end -= k, p->runes -= (long)k;
            return lex_error(p);
        }
    } else if (!digits(p)) {
        return lex_error(p);
    }
    if (accept(p, '.', '.')) {
        is_float = true;
        if (!digits(p)) return lex_error(p);
    }
    if (accept(p, 'e', 'E')) {
        is_float = true;
        accept(p, '-', '+');
        if (!digits(p)) return lex_error(p);
    }
    return mk_tok(p, is_float ? T_FLOAT : T_INT, p->src + start, p->end - start, start_runes);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* One escape at p->end (a backslash); appends its text to b. False: invalid. */
static bool lex_escape(parser *p, gh_buf *b)
{
    if (p->end + 1 >= p->len) return false;
    char e = p->src[p->end + 1];
    if (e == 'u') {
        if (p->end + 6 >= p->len) return false;
        uint32_t r = 0;
        for (int i = 2; i < 6; i++) {
            int h = hexval(p->src[p->end + i]);
            if (h < 0) return false;
            r = r << 4 | (uint32_t)h;
        }
        if (r >= 0xd800 && r < 0xe000) r = 0xfffd; /* Go's WriteRune */
        char u[4];
        gh_buf_append(b, u, bi_utf8_encode(r, u));
        p->end += 6, p->runes += 6;
        return true;
    }
    static const char from[] = "\"/\\bfnrt", to[] = "\"/\\\b\f\n\r\t";
    const char *f = strchr(from, e);
    if (!f || !e) return false;
    gh_buf_putc(b, to[f - from]);
    p->end += 2, p->runes += 2;
    return true;
}

static tok lex_string(parser *p, long start_runes)
{
    gh_buf *b = bi_scratch(p->bc, BI_SCRATCH_TMP);
    if (!b) {
        p->oom = true;
        return lex_error(p);
    }
    while (p->end < p->len) {
        unsigned char c = (unsigned char)p->src[p->end];
        if (c == '\n' || c == '\r') break;
        if (c < 0x20 && c != '\t') return lex_error(p);
        if (c == '"') {
            tok t = mk_tok(p, T_STRING, "", 0, start_runes + 1); /* column after the quote */
            t.v = gh_arena_strndup(p->bc->arena, b->data ? b->data : "", b->len);
            t.n = b->len;
            if (!t.v) p->oom = true;
            p->end++, p->runes++;
            return t;
        }
        if (c == '\\') {
            if (!lex_escape(p, b)) {
                p->end++, p->runes++;
                return lex_error(p);
            }
            continue;
        }
        uint32_t r;
        size_t w = bi_utf8_decode(p->src + p->end, p->len - p->end, &r);
        if (c < 0x80) gh_buf_putc(b, (char)c);
        else {
            char u[4];
            gh_buf_append(b, u, bi_utf8_encode(r, u));
        }
        p->end += w, p->runes++;
    }
    return lex_error(p);
}

/* gqlparser's leadingWhitespace: -1 when the line is all blanks. */
static long lead_ws(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') return (long)i;
    return -1;
}

/* blockStringValue: common indentation removed, blank first/last lines dropped. */
static const char *block_value(parser *p, const char *raw, size_t n, size_t *out_n)
{
    long common = -1;
    size_t first_end = 0;
    while (first_end < n && raw[first_end] != '\n') first_end++;
    for (size_t i = first_end; i < n;) {
        size_t s = i + 1, e = s;
        while (e < n && raw[e] != '\n') e++;
        long ind = lead_ws(raw + s, e - s);
        if (ind >= 0 && (common < 0 || ind < common)) common = ind;
        i = e;
    }
    char *o = bi_bytes(p->bc, n + 1);
    if (!o) {
        p->oom = true;
        return "";
    }
    size_t on = 0, keep_start = 0, keep_end = 0;
    bool any = false;
    for (size_t i = 0, ln = 0; i <= n; ln++) {
        size_t e = i;
        while (e < n && raw[e] != '\n') e++;
        const char *s = raw + i;
        size_t len = e - i;
        if (ln > 0 && common > 0) {
            if (len < (size_t)common) len = 0;
            else s += common, len -= (size_t)common;
        }
        size_t line_at = on;
        if (ln > 0) o[on++] = '\n';
        memcpy(o + on, s, len);
        on += len;
        if (lead_ws(s, len) >= 0) {
            if (!any) keep_start = line_at + (ln > 0);
            any = true;
            keep_end = on;
        }
        i = e + 1;
    }
    if (!any) {
        *out_n = 0;
        return "";
    }
    *out_n = keep_end - keep_start;
    o[keep_end] = 0;
    return o + keep_start;
}

static tok lex_block(parser *p, long start_runes)
{
    gh_buf *b = bi_scratch(p->bc, BI_SCRATCH_TMP);
    if (!b) {
        p->oom = true;
        return lex_error(p);
    }
    p->end += 2, p->runes += 2;
    while (p->end < p->len) {
        unsigned char c = (unsigned char)p->src[p->end];
        if (c == '"' && p->end + 3 <= p->len && memcmp(p->src + p->end, "\"\"\"", 3) == 0) {
            /* gqlparser's position: the closing line, the column counted from the opening */
            tok t = mk_tok(p, T_BLOCK_STRING, "", 0, start_runes + 3);
            t.v = block_value(p, b->data ? b->data : "", b->len, &t.n);
            p->end += 3, p->runes += 3;
            return t;
        }
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return lex_error(p);
        if (c == '\\' && p->end + 4 <= p->len && memcmp(p->src + p->end, "\\\"\"\"", 4) == 0) {
            gh_buf_append(b, "\"\"\"", 3);
            p->end += 4, p->runes += 4;
        } else if (c == '\r') {
            if (p->end + 1 < p->len && p->src[p->end + 1] == '\n') p->end++, p->runes++;
            gh_buf_putc(b, '\n');
            p->end++, p->runes++, p->line++;
            p->line_start = p->runes;
        } else {
            uint32_t r;
            size_t w = bi_utf8_decode(p->src + p->end, p->len - p->end, &r);
            char u[4];
            gh_buf_append(b, u, bi_utf8_encode(r, u));
            p->end += w, p->runes++;
            if (c == '\n') p->line++, p->line_start = p->runes;
        }
    }
    return lex_error(p);
}

static tok lex(parser *p)
{
    lex_ws(p);
    size_t start = p->end;
    long sr = p->runes;
    if (p->end >= p->len) return mk_tok(p, T_EOF, "", 0, sr);
    char c = p->src[p->end];
    static const char punct[] = "!$&():=@[]{|}";
    static const int pkind[] = {T_BANG, T_DOLLAR, T_AMP, T_PAREN_L, T_PAREN_R, T_COLON, T_EQUALS,
                                T_AT, T_BRACKET_L, T_BRACKET_R, T_BRACE_L, T_PIPE, T_BRACE_R};
    const char *pc = c ? strchr(punct, c) : NULL;
    if (pc) {
        p->end++, p->runes++;
        return mk_tok(p, pkind[pc - punct], "", 0, sr);
    }
    if (c == '.' && p->end + 3 <= p->len && memcmp(p->src + p->end, "...", 3) == 0) {
        p->end += 3, p->runes += 3;
        return mk_tok(p, T_SPREAD, "", 0, sr);
    }
    if (is_name_char(c) && !(c >= '0' && c <= '9')) {
        while (p->end < p->len && is_name_char(p->src[p->end])) p->end++, p->runes++;
        return mk_tok(p, T_NAME, p->src + start, p->end - start, sr);
    }
    if (c == '-' || (c >= '0' && c <= '9')) return lex_number(p, start, sr);
    if (c == '"') {
        p->end++, p->runes++;
        if (p->end + 1 < p->len && p->src[p->end] == '"' && p->src[p->end + 1] == '"')
            return lex_block(p, sr);
        return lex_string(p, sr);
    }
    return lex_error(p);
}

/* ---- parser primitives (gqlparser's parser.go) ---- */

static void perror_at(parser *p, const tok *t, const char *fmt, const char *a, const char *b)
{
    if (p->failed) return;
    p->failed = true;
    p->err->line = t->line;
    p->err->col = t->col;
    snprintf(p->err->msg, sizeof p->err->msg, fmt, a, b);
}

static const tok *peek(parser *p)
{
    if (p->failed) return &p->prev;
    if (!p->peeked) {
        p->peek = lex(p);
        p->peeked = true;
    }
    return &p->peek;
}

static tok next(parser *p)
{
    if (p->failed) return p->prev;
    if (!p->peeked) peek(p);
    p->peeked = false;
    p->prev = p->peek;
    if (p->prev.kind == T_INVALID) perror_at(p, &p->prev, "Unexpected %s%s", "<Invalid>", "");
    return p->prev;
}

static bool tok_is(const tok *t, int kind, const char *v)
{
    return t->kind == kind && (!v || (t->n == strlen(v) && memcmp(t->v, v, t->n) == 0));
}

/* Token.String(): `Name "foo"` when it has a value, else the kind ("{", "<EOF>"). */
static const char *tok_text(parser *p, const tok *t, char *buf, size_t cap)
{
    if (!t->n) return tok_str[t->kind];
    size_t o = (size_t)snprintf(buf, cap, "%s \"", tok_name[t->kind]);
    for (size_t i = 0; i < t->n && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)t->v[i];
        if (c == '"' || c == '\\') o += (size_t)snprintf(buf + o, cap - o, "\\%c", c);
        else if (c == '\n') o += (size_t)snprintf(buf + o, cap - o, "\\n");
        else if (c == '\t') o += (size_t)snprintf(buf + o, cap - o, "\\t");
        else if (c == '\r') o += (size_t)snprintf(buf + o, cap - o, "\\r");
        else if (c < 0x20 || c == 0x7f) o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
        else buf[o++] = (char)c;
    }
    snprintf(buf + o, cap - o, "\"");
    (void)p;
    return buf;
}

static void unexpected_tok(parser *p, const tok *t)
{
    char buf[200];
    perror_at(p, t, "Unexpected %s%s", tok_text(p, t, buf, sizeof buf), "");
}

static void unexpected(parser *p)
{
    unexpected_tok(p, peek(p));
}

static tok expect(parser *p, int kind)
{
    const tok *t = peek(p);
    if (t->kind == kind) return next(p);
    perror_at(p, t, "Expected %s, found %s", tok_str[kind], tok_str[t->kind]);
    return *t;
}

static void expect_kw(parser *p, const char *kw)
{
    const tok *t = peek(p);
    if (tok_is(t, T_NAME, kw)) {
        next(p);
        return;
    }
    char buf[200], q[64];
    snprintf(q, sizeof q, "\"%s\"", kw);
    perror_at(p, t, "Expected %s, found %s", q, tok_text(p, t, buf, sizeof buf));
}

static bool skip(parser *p, int kind)
{
    if (p->failed || peek(p)->kind != kind) return false;
    next(p);
    return true;
}

/* ---- building values ---- */

#define OBJ_MAX 12
typedef struct obj {
    const gh_value *k[OBJ_MAX], *v[OBJ_MAX];
    size_t n;
} obj;

typedef struct list {
    const gh_value **items;
    size_t n, cap;
} list;

static const gh_value *str(parser *p, const char *s, size_t n)
{
    const gh_value *v = gh_value_string(p->bc->arena, s, n);
    if (!v) p->oom = true;
    return v;
}

static const gh_value *cstr(parser *p, const char *s)
{
    return str(p, s, strlen(s));
}

/* Adds key: v; a NULL v (absent, or an empty list) is left out as OPA's pruning does. */
static void put(parser *p, obj *o, const char *key, const gh_value *v)
{
    if (!v || o->n >= OBJ_MAX) return;
    o->k[o->n] = cstr(p, key);
    o->v[o->n++] = v;
}

static void put_str(parser *p, obj *o, const char *key, const tok *t)
{
    put(p, o, key, str(p, t->v ? t->v : "", t->n));
}

static void put_pos(parser *p, obj *o, const tok *t)
{
    if (!p->with_pos) return;
    const gh_value *lc[2] = {gh_value_int(p->bc->arena, t->line), gh_value_int(p->bc->arena, t->col)};
    if (!lc[0] || !lc[1]) {
        p->oom = true;
        return;
    }
    put(p, o, "Position", gh_value_array(p->bc->arena, lc, 2));
}

static const gh_value *obj_end(parser *p, obj *o)
{
    const gh_value *out = NULL;
    if (p->oom || gh_value_object(p->bc->arena, o->k, o->v, o->n, &out, NULL) != 0) {
        p->oom = true;
        return NULL;
    }
    return out;
}

static void push(parser *p, list *l, const gh_value *v)
{
    if (!v) return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        const gh_value **it = bi_ptrs(p->bc, cap);
        if (!it) {
            p->oom = true;
            return;
        }
        if (l->n) memcpy(it, l->items, l->n * sizeof *it);
        l->items = it, l->cap = cap;
    }
    l->items[l->n++] = v;
}

static const gh_value *list_end(parser *p, list *l)
{
    if (!l->n || p->oom) return NULL;
    const gh_value *v = gh_value_array(p->bc->arena, l->items, l->n);
    if (!v) p->oom = true;
    return v;
}

static bool enter(parser *p)
{
    if (++p->depth <= GQ_MAX_DEPTH) return true;
    char lim[32];
    snprintf(lim, sizeof lim, "%d", GQ_MAX_DEPTH);
    perror_at(p, peek(p), "Nesting too deep (limit is %s)%s", lim, "");
    return false;
}

/* ---- shared productions (query.go) ---- */

static const gh_value *parse_name(parser *p)
{
    tok t = expect(p, T_NAME);
    return p->failed ? str(p, "", 0) : str(p, t.v, t.n);
}

static const gh_value *parse_value(parser *p, bool is_const);

static const gh_value *value_node(parser *p, const tok *pos, const char *raw, size_t n, int kind,
                                  const gh_value *children)
{
    obj o = {0};
    put(p, &o, "Raw", str(p, raw, n));
    put(p, &o, "Kind", gh_value_int(p->bc->arena, kind));
    put(p, &o, "ExpectedTypeHasDefault", GH_FALSE);
    put(p, &o, "Children", children);
    put_pos(p, &o, pos);
    return obj_end(p, &o);
}

static const gh_value *parse_compound(parser *p, bool is_const, bool is_list)
{
    tok pos = *peek(p);
    list l = {0};
    int end = is_list ? T_BRACKET_R : T_BRACE_R;
    if (!enter(p)) return NULL;
    skip(p, is_list ? T_BRACKET_L : T_BRACE_L);
    while (!p->failed && peek(p)->kind != end) {
        obj c = {0};
        if (is_list) {
            put(p, &c, "Name", str(p, "", 0));
        } else {
            tok at = *peek(p);
            put(p, &c, "Name", parse_name(p));
            put_pos(p, &c, &at);
            expect(p, T_COLON);
        }
        put(p, &c, "Value", parse_value(p, is_const));
        push(p, &l, obj_end(p, &c));
    }
    next(p);
    p->depth--;
    return value_node(p, &pos, "", 0, is_list ? 8 : 9, list_end(p, &l));
}

static const gh_value *parse_variable(parser *p)
{
    expect(p, T_DOLLAR);
    return parse_name(p);
}

static const gh_value *parse_value(parser *p, bool is_const)
{
    const tok *t = peek(p);
    int kind;
    switch (t->kind) {
    case T_BRACKET_L: return parse_compound(p, is_const, true);
    case T_BRACE_L: return parse_compound(p, is_const, false);
    case T_DOLLAR: {
        if (is_const) {
            unexpected(p);
            return NULL;
        }
        tok pos = *t;
        const gh_value *name = parse_variable(p);
        size_t n = 0;
        const char *s = name ? gh_string_ptr(name, &n) : "";
        return value_node(p, &pos, s, n, 0, NULL);
    }
    case T_INT: kind = 1; break;
    case T_FLOAT: kind = 2; break;
    case T_STRING: kind = 3; break;
    case T_BLOCK_STRING: kind = 4; break;
    case T_NAME:
        kind = tok_is(t, T_NAME, "true") || tok_is(t, T_NAME, "false") ? 5
               : tok_is(t, T_NAME, "null")                             ? 6
                                                                       : 7;
        break;
    default: unexpected(p); return NULL;
    }
    tok v = next(p);
    return value_node(p, &v, v.v, v.n, kind, NULL);
}

static const gh_value *parse_arguments(parser *p, bool is_const)
{
    list l = {0};
    if (!skip(p, T_PAREN_L)) return NULL;
    while (!p->failed && peek(p)->kind != T_PAREN_R) {
        obj o = {0};
        tok at = *peek(p);
        put(p, &o, "Name", parse_name(p));
        expect(p, T_COLON);
        put(p, &o, "Value", parse_value(p, is_const));
        put_pos(p, &o, &at);
        push(p, &l, obj_end(p, &o));
    }
    next(p);
    return list_end(p, &l);
}

static const gh_value *parse_directives(parser *p, bool is_const)
{
    list l = {0};
    while (!p->failed && peek(p)->kind == T_AT) {
        expect(p, T_AT);
        obj o = {0};
        tok at = *peek(p);
        put(p, &o, "Name", parse_name(p));
        put(p, &o, "Arguments", parse_arguments(p, is_const));
        put(p, &o, "Location", str(p, "", 0));
        put_pos(p, &o, &at);
        push(p, &l, obj_end(p, &o));
    }
    return list_end(p, &l);
}

static const gh_value *parse_type(parser *p)
{
    obj o = {0};
    if (!enter(p)) return NULL;
    tok at = *peek(p);
    if (skip(p, T_BRACKET_L)) {
        at = *peek(p);
        put(p, &o, "Elem", parse_type(p));
        put(p, &o, "NamedType", str(p, "", 0));
        expect(p, T_BRACKET_R);
    } else {
        put(p, &o, "NamedType", parse_name(p));
    }
    bool bang = skip(p, T_BANG);
    if (bang) at = *peek(p); /* gqlparser moves the position past the `!` */
    put(p, &o, "NonNull", gh_value_bool(bang));
    put_pos(p, &o, &at);
    p->depth--;
    return obj_end(p, &o);
}

/* ---- query documents ---- */

static const gh_value *parse_selection_set(parser *p, bool required);

static const gh_value *parse_var_defs(parser *p)
{
    list l = {0};
    if (!skip(p, T_PAREN_L)) return NULL;
    while (!p->failed && peek(p)->kind != T_PAREN_R) {
        obj o = {0};
        tok at = *peek(p);
        put(p, &o, "Variable", parse_variable(p));
        expect(p, T_COLON);
        put(p, &o, "Type", parse_type(p));
        if (skip(p, T_EQUALS)) put(p, &o, "DefaultValue", parse_value(p, true));
        put(p, &o, "Directives", parse_directives(p, false));
        put(p, &o, "Used", GH_FALSE);
        put_pos(p, &o, &at);
        push(p, &l, obj_end(p, &o));
    }
    next(p);
    return list_end(p, &l);
}

static const gh_value *parse_fragment_name(parser *p)
{
    if (tok_is(peek(p), T_NAME, "on")) {
        unexpected(p);
        return str(p, "", 0);
    }
    return parse_name(p);
}

static const gh_value *parse_field(parser *p)
{
    obj o = {0};
    tok at = *peek(p);
    const gh_value *alias = parse_name(p), *name = alias;
    if (skip(p, T_COLON)) name = parse_name(p);
    put(p, &o, "Alias", alias);
    put(p, &o, "Name", name);
    put(p, &o, "Arguments", parse_arguments(p, false));
    put(p, &o, "Directives", parse_directives(p, false));
    if (peek(p)->kind == T_BRACE_L) put(p, &o, "SelectionSet", parse_selection_set(p, false));
    put_pos(p, &o, &at);
    return obj_end(p, &o);
}

static const gh_value *parse_fragment(parser *p)
{
    obj o = {0};
    expect(p, T_SPREAD);
    tok at = *peek(p);
    if (at.kind == T_NAME && !tok_is(&at, T_NAME, "on")) {
        put(p, &o, "Name", parse_fragment_name(p));
        put(p, &o, "Directives", parse_directives(p, false));
        put_pos(p, &o, &at);
        return obj_end(p, &o);
    }
    if (tok_is(&at, T_NAME, "on")) {
        next(p);
        put(p, &o, "TypeCondition", parse_name(p));
    } else {
        put(p, &o, "TypeCondition", str(p, "", 0));
    }
    put(p, &o, "Directives", parse_directives(p, false));
    put(p, &o, "SelectionSet", parse_selection_set(p, true));
    put_pos(p, &o, &at);
    return obj_end(p, &o);
}

static const gh_value *parse_selection_set(parser *p, bool required)
{
    const tok *t = peek(p);
    if (required && t->kind != T_BRACE_L) {
        perror_at(p, t, "Expected %s, found %s", "{", tok_str[t->kind]);
        return NULL;
    }
    if (!skip(p, T_BRACE_L) || !enter(p)) return NULL;
    list l = {0};
    bool called = false;
    while (!p->failed && peek(p)->kind != T_BRACE_R) {
        called = true;
        push(p, &l, peek(p)->kind == T_SPREAD ? parse_fragment(p) : parse_field(p));
    }
    p->depth--;
    if (!called) {
        perror_at(p, peek(p), "expected at least one definition, found %s%s",
                  tok_str[peek(p)->kind], "");
        return NULL;
    }
    next(p);
    return list_end(p, &l);
}

static const char *op_type(parser *p)
{
    tok t = next(p);
    if (tok_is(&t, T_NAME, "query")) return "query";
    if (tok_is(&t, T_NAME, "mutation")) return "mutation";
    if (tok_is(&t, T_NAME, "subscription")) return "subscription";
    unexpected_tok(p, &t);
    return "";
}

static const gh_value *parse_operation(parser *p)
{
    obj o = {0};
    tok at = *peek(p);
    put_pos(p, &o, &at);
    if (at.kind == T_BRACE_L) {
        put(p, &o, "Operation", cstr(p, "query"));
        put(p, &o, "Name", str(p, "", 0));
        put(p, &o, "SelectionSet", parse_selection_set(p, true));
        return obj_end(p, &o);
    }
    put(p, &o, "Operation", cstr(p, op_type(p)));
    const tok *t = peek(p);
    if (t->kind == T_NAME) {
        tok n = next(p);
        put_str(p, &o, "Name", &n);
    } else {
        put(p, &o, "Name", str(p, "", 0));
    }
    put(p, &o, "VariableDefinitions", parse_var_defs(p));
    put(p, &o, "Directives", parse_directives(p, false));
    put(p, &o, "SelectionSet", parse_selection_set(p, true));
    return obj_end(p, &o);
}

static const gh_value *parse_fragment_def(parser *p)
{
    obj o = {0};
    tok at = *peek(p);
    put_pos(p, &o, &at);
    expect_kw(p, "fragment");
    put(p, &o, "Name", parse_fragment_name(p));
    put(p, &o, "VariableDefinition", parse_var_defs(p));
    expect_kw(p, "on");
    put(p, &o, "TypeCondition", parse_name(p));
    put(p, &o, "Directives", parse_directives(p, false));
    put(p, &o, "SelectionSet", parse_selection_set(p, true));
    return obj_end(p, &o);
}

static const gh_value *parse_query_doc(parser *p)
{
    list ops = {0}, frags = {0};
    while (!p->failed && !p->oom && peek(p)->kind != T_EOF) {
        const tok *t = peek(p);
        if (t->kind == T_BRACE_L || tok_is(t, T_NAME, "query") || tok_is(t, T_NAME, "mutation") ||
            tok_is(t, T_NAME, "subscription"))
            push(p, &ops, parse_operation(p));
        else if (tok_is(t, T_NAME, "fragment"))
            push(p, &frags, parse_fragment_def(p));
        else
            unexpected(p);
    }
    obj o = {0};
    put(p, &o, "Operations", list_end(p, &ops));
    put(p, &o, "Fragments", list_end(p, &frags));
    return obj_end(p, &o);
}

/* ---- schema documents (schema.go) ---- */

static const gh_value *parse_description(parser *p)
{
    const tok *t = peek(p);
    if (t->kind != T_STRING && t->kind != T_BLOCK_STRING) return str(p, "", 0);
    tok d = next(p);
    return str(p, d.v, d.n);
}

/* `some`: { item+ }, the error when empty */
typedef const gh_value *(*item_fn)(parser *p);

static const gh_value *some(parser *p, int open, int close, item_fn item)
{
    if (!skip(p, open)) return NULL;
    list l = {0};
    bool called = false;
    while (!p->failed && peek(p)->kind != close) {
        called = true;
        push(p, &l, item(p));
    }
    if (!called) {
        perror_at(p, peek(p), "expected at least one definition, found %s%s",
                  tok_str[peek(p)->kind], "");
        return NULL;
    }
    next(p);
    return list_end(p, &l);
}

static const gh_value *parse_input_value_def(parser *p)
{
    obj o = {0};
    tok at = *peek(p);
    put_pos(p, &o, &at);
    put(p, &o, "Description", parse_description(p));
    put(p, &o, "Name", parse_name(p));
    expect(p, T_COLON);
    put(p, &o, "Type", parse_type(p));
    if (skip(p, T_EQUALS)) put(p, &o, "DefaultValue", parse_value(p, true));
    put(p, &o, "Directives", parse_directives(p, true));
    return obj_end(p, &o);
}

static const gh_value *parse_field_def(parser *p)
{
    obj o = {0};
    tok at = *peek(p);
    put_pos(p, &o, &at);
    put(p, &o, "Description", parse_description(p));
    put(p, &o, "Name", parse_name(p));
    put(p, &o, "Arguments", some(p, T_PAREN_L, T_PAREN_R, parse_input_value_def));
    expect(p, T_COLON);
    put(p, &o, "Type", parse_type(p));
    put(p, &o, "Directives", parse_directives(p, true));
    return obj_end(p, &o);
}

static const gh_value *parse_enum_value_def(parser *p)
{
    obj o = {0};
    tok at = *peek(p);
    put_pos(p, &o, &at);
    put(p, &o, "Description", parse_description(p));
    put(p, &o, "Name", parse_name(p));
    put(p, &o, "Directives", parse_directives(p, true));
    return obj_end(p, &o);
}

static const gh_value *parse_op_type_def(parser *p)
{
    obj o = {0};
    tok at = *peek(p);
    put_pos(p, &o, &at);
    put(p, &o, "Operation", cstr(p, op_type(p)));
    expect(p, T_COLON);
    put(p, &o, "Type", parse_name(p));
    return obj_end(p, &o);
}

/* A list of names after `implements` (sep '&') or `=` (sep '|'). */
static const gh_value *parse_names(parser *p, int sep)
{
    list l = {0};
    skip(p, sep);
    push(p, &l, parse_name(p));
    while (skip(p, sep) && !p->failed) push(p, &l, parse_name(p));
    return list_end(p, &l);
}

static const char *const kinds[][2] = {{"scalar", "SCALAR"}, {"type", "OBJECT"},
                                       {"interface", "INTERFACE"}, {"union", "UNION"},
                                       {"enum", "ENUM"}, {"input", "INPUT_OBJECT"}};

static int kind_of(const tok *t)
{
    for (int i = 0; i < 6; i++)
        if (tok_is(t, T_NAME, kinds[i][0])) return i;
    return -1;
}

/* A type definition or extension (ext): the body by kind, then extension's emptiness check. */
static const gh_value *parse_type_def(parser *p, const gh_value *desc, bool ext)
{
    int k = kind_of(peek(p));
    obj o = {0};
    expect_kw(p, kinds[k][0]);
    tok at = *peek(p);
    put_pos(p, &o, &at);
    put(p, &o, "Kind", cstr(p, kinds[k][1]));
    put(p, &o, "Description", desc ? desc : str(p, "", 0));
    put(p, &o, "Name", parse_name(p));
    put(p, &o, "BuiltIn", GH_FALSE);
    const gh_value *ifaces = NULL, *dirs = NULL, *body = NULL;
    if ((k == 1 || (k == 2 && !ext)) && tok_is(peek(p), T_NAME, "implements")) {
        next(p);
        ifaces = parse_names(p, T_AMP);
    }
    dirs = parse_directives(p, !(ext && k == 5));
    if (k == 1 || k == 2) body = some(p, T_BRACE_L, T_BRACE_R, parse_field_def);
    else if (k == 5) body = some(p, T_BRACE_L, T_BRACE_R, parse_input_value_def);
    else if (k == 4) body = some(p, T_BRACE_L, T_BRACE_R, parse_enum_value_def);
    else if (k == 3 && skip(p, T_EQUALS)) body = parse_names(p, T_PIPE);
    put(p, &o, "Interfaces", ifaces);
    put(p, &o, "Directives", dirs);
    put(p, &o, k == 4 ? "EnumValues" : k == 3 ? "Types" : "Fields", body);
    if (ext && !ifaces && !dirs && !body) unexpected(p);
    return obj_end(p, &o);
}

static const gh_value *parse_schema_def(parser *p, const gh_value *desc, bool ext)
{
    obj o = {0};
    expect_kw(p, "schema");
    tok at = *peek(p);
    put_pos(p, &o, &at);
    put(p, &o, "Description", desc ? desc : str(p, "", 0));
    const gh_value *dirs = parse_directives(p, true);
    const gh_value *ops = some(p, T_BRACE_L, T_BRACE_R, parse_op_type_def);
    put(p, &o, "Directives", dirs);
    put(p, &o, "OperationTypes", ops);
    if (ext && !dirs && !ops) unexpected(p);
    return obj_end(p, &o);
}

static const char *const locations[] = {
    "QUERY", "MUTATION", "SUBSCRIPTION", "FIELD", "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD",
    "INLINE_FRAGMENT", "VARIABLE_DEFINITION", "SCHEMA", "SCALAR", "OBJECT", "FIELD_DEFINITION",
    "ARGUMENT_DEFINITION", "INTERFACE", "UNION", "ENUM", "ENUM_VALUE", "INPUT_OBJECT",
    "INPUT_FIELD_DEFINITION"};

static const gh_value *parse_location(parser *p)
{
    tok t = expect(p, T_NAME);
    if (p->failed) return NULL;
    for (size_t i = 0; i < sizeof locations / sizeof *locations; i++)
        if (tok_is(&t, T_NAME, locations[i])) return cstr(p, locations[i]);
    unexpected_tok(p, &t);
    return NULL;
}

static const gh_value *parse_directive_def(parser *p, const gh_value *desc)
{
    obj o = {0};
    expect_kw(p, "directive");
    expect(p, T_AT);
    tok at = *peek(p);
    put_pos(p, &o, &at);
    put(p, &o, "Description", desc ? desc : str(p, "", 0));
    put(p, &o, "Name", parse_name(p));
    put(p, &o, "Arguments", some(p, T_PAREN_L, T_PAREN_R, parse_input_value_def));
    bool rep = tok_is(peek(p), T_NAME, "repeatable");
    if (rep) next(p);
    put(p, &o, "IsRepeatable", gh_value_bool(rep));
    expect_kw(p, "on");
    list l = {0};
    skip(p, T_PIPE);
    push(p, &l, parse_location(p));
    while (skip(p, T_PIPE) && !p->failed) push(p, &l, parse_location(p));
    put(p, &o, "Locations", list_end(p, &l));
    return obj_end(p, &o);
}

typedef struct schema_lists {
    list schema, schema_ext, directives, defs, exts;
} schema_lists;

static void parse_extension(parser *p, schema_lists *s)
{
    expect_kw(p, "extend");
    const tok *t = peek(p);
    if (tok_is(t, T_NAME, "schema")) push(p, &s->schema_ext, parse_schema_def(p, NULL, true));
    else if (kind_of(t) >= 0) push(p, &s->exts, parse_type_def(p, NULL, true));
    else unexpected(p);
}

static const gh_value *parse_schema_doc(parser *p)
{
    schema_lists s = {0};
    while (!p->failed && !p->oom && peek(p)->kind != T_EOF) {
        const gh_value *desc = NULL;
        bool has_desc = false;
        if (peek(p)->kind == T_STRING || peek(p)->kind == T_BLOCK_STRING) {
            has_desc = peek(p)->n > 0;
            desc = parse_description(p);
        }
        const tok *t = peek(p);
        if (t->kind != T_NAME) unexpected(p);
        else if (kind_of(t) >= 0) push(p, &s.defs, parse_type_def(p, desc, false));
        else if (tok_is(t, T_NAME, "schema")) push(p, &s.schema, parse_schema_def(p, desc, false));
        else if (tok_is(t, T_NAME, "directive")) push(p, &s.directives, parse_directive_def(p, desc));
        else if (tok_is(t, T_NAME, "extend")) {
            if (has_desc) unexpected_tok(p, &p->prev);
            parse_extension(p, &s);
        } else unexpected(p);
    }
    obj o = {0};
    put(p, &o, "Schema", list_end(p, &s.schema));
    put(p, &o, "SchemaExtension", list_end(p, &s.schema_ext));
    put(p, &o, "Directives", list_end(p, &s.directives));
    put(p, &o, "Definitions", list_end(p, &s.defs));
    put(p, &o, "Extensions", list_end(p, &s.exts));
    return obj_end(p, &o);
}

int gq_parse(gh_bctx *bc, int what, const char *src, size_t n, bool with_pos,
             const gh_value **out, gq_error *err)
{
    parser p = {.bc = bc, .src = src, .len = n, .line = 1, .with_pos = with_pos, .err = err};
    p.prev = (tok){T_EOF, "", 0, 1, 1};
    const gh_value *doc = what == GQ_SCHEMA ? parse_schema_doc(&p) : parse_query_doc(&p);
    if (p.oom) return GH_ENOMEM;
    if (p.failed) return GH_EINVAL;
    if (!doc) return GH_ENOMEM;
    *out = doc;
    return 0;
}

/* ---- removing positions ---- */

static const gh_value *strip(gh_bctx *bc, const gh_value *v, int depth)
{
    gh_kind k = gh_value_kind(v);
    if ((k != GH_KIND_ARRAY && k != GH_KIND_OBJECT) || depth > 4 * GQ_MAX_DEPTH) return v;
    size_t n = gh_value_len(v), m = 0;
    const gh_value **a = bi_ptrs(bc, n ? n : 1), **b = bi_ptrs(bc, n ? n : 1);
    if (!a || !b) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (k == GH_KIND_ARRAY) {
            if (!(a[m++] = strip(bc, gh_array_get(v, i), depth + 1))) return NULL;
            continue;
        }
        const gh_value *key = gh_object_key_at(v, i);
        size_t kn;
        const char *ks = gh_string_ptr(key, &kn);
        if (ks && kn == 8 && memcmp(ks, "Position", 8) == 0) continue;
        a[m] = key;
        if (!(b[m++] = strip(bc, gh_object_value_at(v, i), depth + 1))) return NULL;
    }
    if (k == GH_KIND_ARRAY) return gh_value_array(bc->arena, a, m);
    const gh_value *out = NULL;
    return gh_value_object(bc->arena, a, b, m, &out, NULL) == 0 ? out : NULL;
}

const gh_value *gq_strip_pos(gh_bctx *bc, const gh_value *v)
{
    return strip(bc, v, 0);
}
