/* The Rego lexer (re2c). Turns the source into the tokens of grammar/rego.y, with a location
 * for every token. Context it keeps so the grammar can stay LALR(1) and newline-free:
 *  - adjacency: `[`, `(` right after a term (no space) are ALBRACK/ALPAREN (refs, calls);
 *  - keywords followed directly by `.`/`[`, or right after a `.`, are identifiers
 *    (`input.if`, `import.foo`), and `contains(` is the builtin;
 *  - `{` right after `if` is IFBRACE (a rule body, never a set/object literal);
 *  - a newline skipped before a token sets lloc->nl (bodies split on newlines);
 *  - template strings `$"..{expr}.."`: after a part ending in `{` the lexer counts braces
 *    and resumes the string at the matching `}`.
 * Input ends in a NUL sentinel; re2c's eof rule with YYLIMIT keeps it from reading past it
 * and tells a real NUL byte from the end. */
#define GH_PARSE_INTERNAL
#include "parse.h"
#include "rego.tab.h"

#include <string.h>

#define TOK(t) GH_T_##t

static void lex_error(gh_pctx *ctx, const char *at, const char *msg)
{
    gh_lexer *L = &ctx->lex;
    if (L->err_tok == at) return; /* one message per token is enough */
    L->err_tok = at;
    /* `at` may be on another line than line_start (inside a raw string): recount */
    int line = L->line;
    if (at >= L->line_start) {
        for (const char *q = L->line_start; q < at; q++) line += *q == '\n';
    } else {
        for (const char *q = at; q < L->line_start; q++) line -= *q == '\n';
    }
    const char *ls = at;
    while (ls > L->src && ls[-1] != '\n') ls--;
    gh_parse_error_at(ctx, line, (int)(at - ls) + 1, "%s", msg);
    ctx->lex_error = true;
}

void gh_lex_init(gh_lexer *L, const char *src, size_t len, int start_tok, int kw)
{
    memset(L, 0, sizeof *L);
    L->src = L->cur = L->line_start = src;
    L->lim = src + len;
    L->line = 1;
    L->start_tok = start_tok;
    L->kw = kw;
    if (len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0) L->cur = L->line_start = src + 3;
}

static void newline(gh_lexer *L, const char *after)
{
    L->line++;
    L->line_start = after;
    L->nl = true;
}

/* Counts the newlines of a token that may span lines (raw strings). */
static void track_lines(gh_lexer *L, const char *from, const char *to)
{
    for (const char *p = memchr(from, '\n', (size_t)(to - from)); p;
         p = memchr(p + 1, '\n', (size_t)(to - p - 1)))
        newline(L, p + 1);
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)s[i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

static char *put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) {
        *d++ = (char)cp;
    } else if (cp < 0x800) {
        *d++ = (char)(0xC0 | (cp >> 6));
        *d++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *d++ = (char)(0xE0 | (cp >> 12));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *d++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *d++ = (char)(0xF0 | (cp >> 18));
        *d++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *d++ = (char)(0x80 | (cp & 0x3F));
    }
    return d;
}

/* JSON unescaping (plus `\{` for template strings). Lone surrogates become U+FFFD as Go's
 * encoding/json does. The output is never longer than the input. */
char *gh_lex_unescape(gh_arena *a, const char *s, size_t n, size_t *out_len, const char **err_at)
{
    char *out = gh_arena_alloc(a, n + 1), *d = out;
    const char *e = s + n;
    *err_at = NULL;
    while (s < e) {
        const char *bs = memchr(s, '\\', (size_t)(e - s));
        size_t run = bs ? (size_t)(bs - s) : (size_t)(e - s);
        memcpy(d, s, run);
        d += run;
        s += run;
        if (!bs) break;
        if (s + 1 >= e) {
            *err_at = s;
            break;
        }
        char c = s[1];
        s += 2;
        switch (c) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '/': *d++ = '/'; break;
        case 'b': *d++ = '\b'; break;
        case 'f': *d++ = '\f'; break;
        case 'n': *d++ = '\n'; break;
        case 'r': *d++ = '\r'; break;
        case 't': *d++ = '\t'; break;
        case '{': *d++ = '{'; break;
        case 'u': {
            int cp = e - s >= 4 ? hex4(s) : -1;
            if (cp < 0) {
                *err_at = s - 2;
                goto done;
            }
            s += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                int lo = (e - s >= 6 && s[0] == '\\' && s[1] == 'u') ? hex4(s + 2) : -1;
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s += 6;
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                cp = 0xFFFD;
            }
            d = put_utf8(d, (unsigned)cp);
            break;
        }
        default: *err_at = s - 2; goto done;
        }
    }
done:
    *d = '\0';
    *out_len = (size_t)(d - out);
    return out;
}

/*!re2c
    re2c:api:style = free-form;
    re2c:define:YYCTYPE = "unsigned char";
    re2c:define:YYCURSOR = "cur";
    re2c:define:YYMARKER = "mar";
    re2c:define:YYLIMIT = "lim";
    re2c:define:YYFILL = "0";
    re2c:define:YYFILL:naked = 1;
    re2c:yyfill:enable = 1;
    re2c:eof = 0;

    u8_2 = [\xc2-\xdf][\x80-\xbf];
    u8_3 = "\xe0"[\xa0-\xbf][\x80-\xbf] | [\xe1-\xec\xee\xef][\x80-\xbf]{2}
         | "\xed"[\x80-\x9f][\x80-\xbf];
    u8_4 = "\xf0"[\x90-\xbf][\x80-\xbf]{2} | [\xf1-\xf3][\x80-\xbf]{3}
         | "\xf4"[\x80-\x8f][\x80-\xbf]{2};
    u8 = u8_2 | u8_3 | u8_4;
    ident = [a-zA-Z_][a-zA-Z0-9_]*;
    digits = [0-9]+;
*/

/* Scans a "..." or template string body from cur. Returns the token (STRING, or a template
 * part) with *end after the closing delimiter; escapes are validated here and decoded by the
 * caller. tpl: 0 plain string, 1 template. *brace is set when the part ended at `{`. */
typedef enum { STR_OK, STR_UNTERMINATED } str_status;

static str_status scan_quoted(gh_pctx *ctx, const char **pcur, bool tpl, bool *brace, bool *esc)
{
    const char *cur = *pcur, *lim = ctx->lex.lim, *mar = NULL;
    (void)mar;
    *brace = false;
    *esc = false;
    for (;;) {
        const char *at = cur;
        /*!re2c
            ["]  { *pcur = cur; return STR_OK; }
            [{]  { if (tpl) { *brace = true; *pcur = cur; return STR_OK; } continue; }
            [^"{\\\n\x00\x80-\xff]+ { continue; }
            "\\" ["\\/bfnrt] { *esc = true; continue; }
            "\\{" { if (!tpl) lex_error(ctx, ctx->lex.tok, "illegal escape sequence"); *esc = true; continue; }
            "\\u" [0-9a-fA-F]{4} { *esc = true; continue; }
            "\\" { lex_error(ctx, ctx->lex.tok, "illegal escape sequence"); *esc = true; continue; }
            u8   { continue; }
            "\n" { *pcur = at; return STR_UNTERMINATED; }
            [\x00] { lex_error(ctx, ctx->lex.tok, "illegal null character"); continue; }
            $    { *pcur = at; return STR_UNTERMINATED; }
            *    { lex_error(ctx, ctx->lex.tok, "illegal utf-8 character"); continue; }
        */
    }
}

/* Scans a `...` raw string (or raw template part when tpl) body; may span lines. */
static str_status scan_raw(gh_pctx *ctx, const char **pcur, bool tpl, bool *brace, bool *esc)
{
    const char *cur = *pcur, *lim = ctx->lex.lim, *mar = NULL;
    (void)mar;
    *brace = false;
    *esc = false;
    for (;;) {
        const char *at = cur;
        /*!re2c
            "`"  { *pcur = cur; return STR_OK; }
            [{]  { if (tpl) { *brace = true; *pcur = cur; return STR_OK; } continue; }
            "\\{" { if (tpl) *esc = true; continue; }
            [^`{\\\x00\x80-\xff]+ { continue; }
            "\\" { continue; }
            u8   { continue; }
            [\x00] { lex_error(ctx, ctx->lex.tok, "illegal null character"); continue; }
            $    { *pcur = at; return STR_UNTERMINATED; }
            *    { lex_error(ctx, ctx->lex.tok, "illegal utf-8 character"); continue; }
        */
    }
}

/* Removes the `\{` escapes of a raw template part. */
static char *raw_unescape(gh_arena *a, const char *s, size_t n, size_t *out_len)
{
    char *out = gh_arena_alloc(a, n + 1), *d = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && s[i + 1] == '{') continue;
        *d++ = s[i];
    }
    *d = '\0';
    *out_len = (size_t)(d - out);
    return out;
}

static void set_str(gh_pctx *ctx, gh_str *v, const char *s, size_t n, bool esc)
{
    if (!esc) {
        v->s = gh_arena_strndup(ctx->a, s, n);
        v->len = n;
        return;
    }
    const char *bad;
    v->s = gh_lex_unescape(ctx->a, s, n, &v->len, &bad);
}

/* The body of a string-ish token starting at L->cur (just past its opening delimiter).
 * kind: '"' string, '`' raw string, 't' template part, 'r' raw template part. */
static int lex_string(gh_pctx *ctx, int kind, bool start, gh_str *val)
{
    gh_lexer *L = &ctx->lex;
    const char *body = L->cur, *cur = L->cur;
    bool brace, esc, raw = kind == '`' || kind == 'r', tpl = kind == 't' || kind == 'r';
    str_status st = raw ? scan_raw(ctx, &cur, tpl, &brace, &esc)
                        : scan_quoted(ctx, &cur, tpl, &brace, &esc);
    if (raw) track_lines(L, body, cur);
    L->cur = cur;
    if (st == STR_UNTERMINATED) {
        lex_error(ctx, ctx->lex.tok, "non-terminated string");
        val->s = "";
        val->len = 0;
        return TOK(ILLEGAL);
    }
    size_t n = (size_t)(cur - body - 1);
    if (kind == 'r')
        val->s = raw_unescape(ctx->a, body, n, &val->len);
    else if (raw)
        set_str(ctx, val, body, n, false);
    else
        set_str(ctx, val, body, n, esc);
    if (!tpl) return TOK(STRING);
    if (brace) {
        if (L->ntpl == GH_TPL_MAX) {
            lex_error(ctx, ctx->lex.tok, "template strings nested too deeply");
            return TOK(ILLEGAL);
        }
        L->tpl_depth[L->ntpl] = 0;
        L->tpl_raw[L->ntpl++] = raw;
        return start ? (raw ? TOK(RTPL_START) : TOK(TPL_START)) : TOK(TPL_MID);
    }
    return start ? (raw ? TOK(RTPL_FULL) : TOK(TPL_FULL)) : TOK(TPL_END);
}

static void add_comment(gh_pctx *ctx, const char *s, const char *e)
{
    gh_lexer *L = &ctx->lex;
    gh_comment *c = gh_arena_alloc(ctx->a, sizeof *c);
    if (e > s && e[-1] == '\r') e--;
    c->loc.file = ctx->file;
    c->loc.line = L->line;
    c->loc.col = (int)(s - L->line_start) + 1;
    c->loc.off = (uint32_t)(s - L->src);
    c->loc.end = (uint32_t)(e - L->src);
    c->text.s = gh_arena_strndup(ctx->a, s + 1, (size_t)(e - s - 1));
    c->text.len = (size_t)(e - s - 1);
    gh_vec_push(ctx->a, &ctx->comments, c);
}

/* A keyword that is an identifier here: after a `.`, before `.`/`[`, or not enabled. */
static int keyword(gh_lexer *L, int tok, int bit, const char *cur)
{
    if (bit && !(L->kw & bit)) return TOK(IDENT);
    if (L->last == TOK(DOT)) return TOK(IDENT);
    if (*cur == '.' || *cur == '[') return TOK(IDENT);
    if (tok == TOK(CONTAINS) && *cur == '(') return TOK(IDENT);
    return tok;
}

static bool is_word(unsigned char c)
{
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' || (c >= '0' && c <= '9');
}

static int lex_token(gh_pctx *ctx, gh_str *val)
{
    gh_lexer *L = &ctx->lex;
    const char *cur = L->cur, *lim = L->lim, *mar = NULL;
    (void)mar;
    for (;;) {
        L->tok = cur;
#define RET(t)          \
    do {                \
        L->cur = cur;   \
        return (t);     \
    } while (0)
        /*!re2c
            $ { L->cur = cur; return TOK(EOF); }
            [ \t\r]+ { L->term_end = false; continue; }
            "\n" { L->term_end = false; newline(L, cur); continue; }
            "#" ([^\n\x00\x80-\xff] | u8)* {
                add_comment(ctx, L->tok, cur);
                L->term_end = false;
                if (cur < lim && *cur != '\n') {
                    while (cur < lim && *cur != '\n') cur++; /* one error per comment */
                    L->cur = cur;
                    lex_error(ctx, ctx->lex.tok, *cur ? "illegal utf-8 character" : "illegal null character");
                    RET(TOK(ILLEGAL));
                }
                continue;
            }

            "package" { RET(keyword(L, TOK(PACKAGE), 0, cur)); }
            "import"  { RET(keyword(L, TOK(IMPORT), 0, cur)); }
            "as"      { RET(keyword(L, TOK(AS), 0, cur)); }
            "default" { RET(keyword(L, TOK(DEFAULT), 0, cur)); }
            "else"    { RET(keyword(L, TOK(ELSE), 0, cur)); }
            "not"     { RET(keyword(L, TOK(NOT), 0, cur)); }
            "some"    { RET(keyword(L, TOK(SOME), 0, cur)); }
            "with"    { RET(keyword(L, TOK(WITH), 0, cur)); }
            "null"    { RET(keyword(L, TOK(NULL), 0, cur)); }
            "true"    { RET(keyword(L, TOK(TRUE), 0, cur)); }
            "false"   { RET(keyword(L, TOK(FALSE), 0, cur)); }
            "if"      { RET(keyword(L, TOK(IF), GH_KW_IF, cur)); }
            "contains" { RET(keyword(L, TOK(CONTAINS), GH_KW_CONTAINS, cur)); }
            "in"      { RET(keyword(L, TOK(IN), GH_KW_IN, cur)); }
            "every"   { RET(keyword(L, TOK(EVERY), GH_KW_EVERY, cur)); }
            ident     { RET(TOK(IDENT)); }

            digits ("." digits)? ([eE] [+-]? digits)? {
                const char *t = L->tok;
                if (t[0] == '0' && cur - t > 1 && t[1] != '.' && t[1] != 'e' && t[1] != 'E') {
                    L->cur = cur;
                    lex_error(ctx, ctx->lex.tok, "expected number without leading zero");
                    RET(TOK(ILLEGAL));
                }
                if (cur < lim && is_word(*cur) && !(*cur >= '0' && *cur <= '9')) {
                    while (cur < lim && is_word(*cur)) cur++;
                    L->cur = cur;
                    lex_error(ctx, ctx->lex.tok, "illegal number format");
                    RET(TOK(ILLEGAL));
                }
                RET(TOK(NUMBER));
            }
            digits "." {
                L->cur = cur;
                lex_error(ctx, ctx->lex.tok, "expected fraction");
                RET(TOK(ILLEGAL));
            }
            digits ("." digits)? [eE] [+-]? {
                L->cur = cur;
                lex_error(ctx, ctx->lex.tok, "expected exponent");
                RET(TOK(ILLEGAL));
            }
            "." digits ([eE] [+-]? digits)? {
                if (L->term_end) { cur = L->tok + 1; RET(TOK(DOT)); }
                RET(TOK(NUMBER));
            }

            ["]  { L->cur = cur; return lex_string(ctx, '"', true, val); }
            "`"  { L->cur = cur; return lex_string(ctx, '`', true, val); }
            "$\"" { L->cur = cur; return lex_string(ctx, 't', true, val); }
            "$`" { L->cur = cur; return lex_string(ctx, 'r', true, val); }

            "["  { RET(L->term_end ? TOK(ALBRACK) : TOK(LBRACK)); }
            "]"  { RET(TOK(RBRACK)); }
            "("  { RET(L->term_end ? TOK(ALPAREN) : TOK(LPAREN)); }
            ")"  { RET(TOK(RPAREN)); }
            "{"  {
                if (L->ntpl) L->tpl_depth[L->ntpl - 1]++;
                RET(L->last == TOK(IF) ? TOK(IFBRACE) : TOK(LBRACE));
            }
            "}"  {
                if (L->ntpl) {
                    if (L->tpl_depth[L->ntpl - 1] == 0) {
                        bool raw = L->tpl_raw[--L->ntpl];
                        L->cur = cur;
                        return lex_string(ctx, raw ? 'r' : 't', false, val);
                    }
                    L->tpl_depth[L->ntpl - 1]--;
                }
                RET(TOK(RBRACE));
            }
            ","  { RET(TOK(COMMA)); }
            ":=" { RET(TOK(ASSIGN)); }
            ":"  { RET(TOK(COLON)); }
            ";"  { RET(TOK(SEMI)); }
            "."  { RET(TOK(DOT)); }
            "==" { RET(TOK(EQUAL)); }
            "="  { RET(TOK(UNIFY)); }
            "!=" { RET(TOK(NEQ)); }
            "<=" { RET(TOK(LTE)); }
            ">=" { RET(TOK(GTE)); }
            "<"  { RET(TOK(LT)); }
            ">"  { RET(TOK(GT)); }
            "+"  { RET(TOK(PLUS)); }
            "-"  { RET(TOK(MINUS)); }
            "*"  { RET(TOK(STAR)); }
            "/"  { RET(TOK(SLASH)); }
            "%"  { RET(TOK(PERCENT)); }
            "&"  { RET(TOK(AMP)); }
            "|"  { RET(TOK(PIPE)); }
            "!"  { L->cur = cur; lex_error(ctx, ctx->lex.tok, "illegal ! character"); RET(TOK(ILLEGAL)); }
            "$"  { L->cur = cur; lex_error(ctx, ctx->lex.tok, "illegal $ character"); RET(TOK(ILLEGAL)); }
            "\xEF\xBB\xBF" { L->cur = cur; lex_error(ctx, ctx->lex.tok, "illegal byte-order mark"); RET(TOK(ILLEGAL)); }
            [\x00] { L->cur = cur; lex_error(ctx, ctx->lex.tok, "illegal null character"); RET(TOK(ILLEGAL)); }
            u8   { L->cur = cur; lex_error(ctx, ctx->lex.tok, "illegal token"); RET(TOK(ILLEGAL)); }
            [\x80-\xff] { L->cur = cur; lex_error(ctx, ctx->lex.tok, "illegal utf-8 character"); RET(TOK(ILLEGAL)); }
            *    { L->cur = cur; lex_error(ctx, ctx->lex.tok, "illegal token"); RET(TOK(ILLEGAL)); }
        */
#undef RET
    }
}

static bool ends_term(int t)
{
    switch (t) {
    case TOK(IDENT): case TOK(NUMBER): case TOK(STRING): case TOK(RBRACK): case TOK(RPAREN):
    case TOK(RBRACE): case TOK(TRUE): case TOK(FALSE): case TOK(NULL): case TOK(TPL_FULL):
    case TOK(RTPL_FULL): case TOK(TPL_END):
        return true;
    default:
        return false;
    }
}

int gh_lex(gh_pctx *ctx, void *lvalp, gh_yyltype *lloc)
{
    gh_lexer *L = &ctx->lex;
    GH_YYSTYPE *lval = lvalp;
    ctx->lex_error = false;
    if (L->start_tok) {
        int t = L->start_tok;
        L->start_tok = 0;
        memset(lloc, 0, sizeof *lloc);
        lloc->line = 1;
        lloc->col = 1;
        lloc->tok = t;
        return t;
    }
    for (;;) {
        gh_str sv = {"", 0};
        int t = lex_token(ctx, &sv);
        lloc->line = L->line;
        lloc->col = (int)(L->tok - L->line_start) + 1;
        if (L->tok < L->line_start) { /* a raw string spanning lines: locate its start */
            const char *p = L->tok;
            int lines = 0;
            for (const char *q = L->tok; q < L->line_start; q++) lines += *q == '\n';
            while (p > L->src && p[-1] != '\n') p--;
            lloc->line = L->line - lines;
            lloc->col = (int)(L->tok - p) + 1;
        }
        lloc->off = (uint32_t)(L->tok - L->src);
        lloc->end = (uint32_t)(L->cur - L->src);
        lloc->nl = L->nl || lloc->off == 0;
        lloc->tok = t;
        if (L->skip_to_col1) {
            /* error recovery: hand out SYNC before the first token that opens a line */
            if (t != TOK(EOF) && lloc->col != 1) {
                L->last = t;
                L->term_end = false;
                L->nl = false;
                continue;
            }
            L->skip_to_col1 = false;
            L->ntpl = 0;
            L->cur = L->tok; /* rescan this token after the SYNC */
            L->last = TOK(SYNC);
            L->term_end = false;
            lloc->end = lloc->off;
            lloc->tok = TOK(SYNC);
            L->ntok++;
            return TOK(SYNC);
        }
        L->last = t;
        L->term_end = ends_term(t);
        L->nl = false;
        L->ntok++;
        switch (t) {
        case TOK(IDENT): case TOK(NUMBER):
            lval->str.s = L->tok;
            lval->str.len = (size_t)(L->cur - L->tok);
            break;
        case TOK(STRING): case TOK(TPL_FULL): case TOK(RTPL_FULL): case TOK(TPL_START):
        case TOK(RTPL_START): case TOK(TPL_MID): case TOK(TPL_END):
            lval->str = sv;
            break;
        default: break;
        }
        return t;
    }
}

const char *gh_token_desc(int tok, bool *is_keyword)
{
    *is_keyword = false;
    switch (tok) {
    case TOK(EOF): return "eof";
    case TOK(IDENT): return "identifier";
    case TOK(NUMBER): return "number";
    case TOK(STRING): return "string";
    case TOK(TPL_FULL): case TOK(RTPL_FULL): case TOK(TPL_START): case TOK(RTPL_START):
        return "template-string-part";
    case TOK(TPL_MID): return "template-string-part";
    case TOK(TPL_END): return "template-string-end";
    case TOK(LBRACK): case TOK(ALBRACK): return "[";
    case TOK(RBRACK): return "]";
    case TOK(LBRACE): case TOK(IFBRACE): return "{";
    case TOK(RBRACE): return "}";
    case TOK(LPAREN): case TOK(ALPAREN): return "(";
    case TOK(RPAREN): return ")";
    case TOK(COMMA): return ",";
    case TOK(COLON): return ":";
    case TOK(SEMI): return ";";
    case TOK(DOT): return ".";
    case TOK(PLUS): return "plus";
    case TOK(MINUS): return "minus";
    case TOK(STAR): return "mul";
    case TOK(SLASH): return "div";
    case TOK(PERCENT): return "rem";
    case TOK(AMP): return "and";
    case TOK(PIPE): return "or";
    case TOK(UNIFY): return "eq";
    case TOK(EQUAL): return "equal";
    case TOK(ASSIGN): return "assign";
    case TOK(NEQ): return "neq";
    case TOK(GT): return "gt";
    case TOK(LT): return "lt";
    case TOK(GTE): return "gte";
    case TOK(LTE): return "lte";
    case TOK(ILLEGAL): case TOK(SYNC): return "illegal";
    default: break;
    }
    *is_keyword = true;
    switch (tok) {
    case TOK(PACKAGE): return "package";
    case TOK(IMPORT): return "import";
    case TOK(AS): return "as";
    case TOK(DEFAULT): return "default";
    case TOK(ELSE): return "else";
    case TOK(NOT): return "not";
    case TOK(SOME): return "some";
    case TOK(WITH): return "with";
    case TOK(NULL): return "null";
    case TOK(TRUE): return "true";
    case TOK(FALSE): return "false";
    case TOK(IF): return "if";
    case TOK(CONTAINS): return "contains";
    case TOK(IN): return "in";
    case TOK(EVERY): return "every";
    default: break;
    }
    *is_keyword = false;
    return "illegal";
}
