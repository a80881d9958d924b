/* The SQL tokenizer (lex.h): a hand-written scanner for PostgreSQL 15's lexical rules with
 * standard_conforming_strings on, as libpg_query 15's pg_query_scan applies them; the unit
 * test and fuzz target (test_sql_lex.c, fuzz_sql_lex.c) hold it to that scanner's spans. */
#include <limits.h>
#include <string.h>

#include "lex.h"

#define LEX_ERR (-1L)

typedef struct lexer {
    const unsigned char *s; /* the text; no NUL inside, so at() returns 0 only past its end */
    long n;                 /* its length */
    gh_arena *a;            /* where the arrays grow */
    sql_token *tok;         /* tokens so far */
    size_t ntok, captok;
    char *open;             /* '(' or '[' of each bracket still open, innermost last */
    size_t nopen, capopen;
} lexer;

/* How a quoted body treats its own quote and backslashes. */
enum { Q_STD, /* '' or "" stands for one quote: 'x', U&'x', "x" */
       Q_ESC, /* the same, and \ escapes any byte: E'x' */
       Q_BITS /* the first quote ends it: B'01', X'1f' */ };

static int at(const lexer *lx, long i)
{
    return i < lx->n ? lx->s[i] : 0;
}

/* ---- character classes (scan.l's space, newline, ident_start, ident_cont, op_chars) ---- */

static bool is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool is_newline(int c)
{
    return c == '\n' || c == '\r';
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool ident_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool ident_cont(int c)
{
    return ident_start(c) || is_digit(c) || c == '$';
}

static bool op_char(int c)
{
    return c && strchr("~!@#^&|`?+-*/%<>=", c);
}

/* An operator holding one of these may end in + or - (?-); others may not (=- is = and -). */
static bool op_nonsql(int c)
{
    return c && strchr("~!@#^&|`?%", c);
}

static bool comment_at(const lexer *lx, long i)
{
    return (at(lx, i) == '-' && at(lx, i + 1) == '-') || (at(lx, i) == '/' && at(lx, i + 1) == '*');
}

/* ---- blanks ---- */

/* Past a nested C comment opening at i, or -1 when it is not closed. */
static long skip_c_comment(const lexer *lx, long i)
{
    long depth = 0;
    while (i < lx->n) {
        if (at(lx, i) == '/' && at(lx, i + 1) == '*') {
            depth++, i += 2;
        } else if (at(lx, i) == '*' && at(lx, i + 1) == '/') {
            i += 2;
            if (--depth == 0)
                return i;
        } else {
            i++;
        }
    }
    return LEX_ERR;
}

/* Past whitespace and comments from i, or -1 for an unterminated comment. */
static long skip_blank(const lexer *lx, long i)
{
    for (;;) {
        int c = at(lx, i);
        if (is_space(c))
            i++;
        else if (c == '-' && at(lx, i + 1) == '-')
            while (i < lx->n && !is_newline(at(lx, i)))
                i++;
        else if (c == '/' && at(lx, i + 1) == '*') {
            if ((i = skip_c_comment(lx, i)) < 0)
                return LEX_ERR;
        } else
            return i;
    }
}

/* ---- quoted things ---- */

/* Past the closing quote q of a body starting at i, or -1 when it never closes. */
static long quote_body(const lexer *lx, long i, int q, int mode)
{
    while (i < lx->n) {
        int c = at(lx, i);
        if (c == '\\' && mode == Q_ESC)
            i += 2;
        else if (c != q)
            i++;
        else if (mode != Q_BITS && at(lx, i + 1) == q)
            i += 2;
        else
            return i + 1;
    }
    return LEX_ERR;
}

/* Past the quote that continues a string closed just before i ('a'\n'b'): only whitespace
 * between, with a newline in it; or -1. PostgreSQL's server also lets -- comments in there;
 * libpg_query (and so the connector's parser) does not, and this follows libpg_query. */
static long continuation(const lexer *lx, long i)
{
    bool newline = false;
    for (; is_space(at(lx, i)); i++)
        newline |= is_newline(at(lx, i));
    return newline && at(lx, i) == '\'' ? i + 1 : LEX_ERR;
}

/* Past a '-quoted string whose body starts at i, continuations included, or -1. */
static long string_end(const lexer *lx, long i, int mode)
{
    for (;;) {
        if ((i = quote_body(lx, i, '\'', mode)) < 0)
            return LEX_ERR;
        long next = continuation(lx, i);
        if (next < 0)
            return i;
        i = next;
    }
}

/* Past a "quoted identifier" opening at i, or -1; "" names nothing and PostgreSQL refuses it. */
static long quoted_ident(const lexer *lx, long i, sql_tok_kind *kind)
{
    long end = quote_body(lx, i + 1, '"', Q_STD);
    *kind = SQL_TOK_QIDENT;
    return end == i + 2 ? LEX_ERR : end;
}

/* Length of the $tag$ at i (the tag: identifier characters but $, maybe none), or 0. */
static long dollar_delim(const lexer *lx, long i)
{
    long j = i + 1;
    if (ident_start(at(lx, j)))
        while (ident_start(at(lx, j)) || is_digit(at(lx, j)))
            j++;
    return at(lx, j) == '$' ? j + 1 - i : 0;
}

/* ---- numbers, words, operators ---- */

static long digits(const lexer *lx, long i)
{
    while (is_digit(at(lx, i)))
        i++;
    return i;
}

/* Past the number at i (a digit, or a dot before one), or -1 where PostgreSQL 15 finds
 * "trailing junk": an identifier character right after it (123abc, 1.x), or a dangling
 * exponent (1e, 1e+). 1..10 is 1 .. 10, for ranges. */
static long scan_number(const lexer *lx, long i)
{
    i = digits(lx, i);
    if (at(lx, i) == '.' && at(lx, i + 1) == '.')
        return i;
    if (at(lx, i) == '.')
        i = digits(lx, i + 1);
    if (at(lx, i) == 'e' || at(lx, i) == 'E') {
        long j = i + 1;
        if (at(lx, j) == '+' || at(lx, j) == '-')
            j++;
        if (!is_digit(at(lx, j)))
            return LEX_ERR;
        i = digits(lx, j);
    }
    return ident_start(at(lx, i)) ? LEX_ERR : i;
}

/* Past what starts with $ at i: a parameter, a dollar-quoted string (-1 when unterminated),
 * or the $ alone when it starts neither. */
static long scan_dollar(const lexer *lx, long i, sql_tok_kind *kind)
{
    if (is_digit(at(lx, i + 1))) {
        long end = digits(lx, i + 1);
        *kind = SQL_TOK_PARAM;
        return ident_start(at(lx, end)) ? LEX_ERR : end; /* $1a: junk after a parameter */
    }
    long len = dollar_delim(lx, i);
    *kind = len ? SQL_TOK_STRING : SQL_TOK_OTHER;
    if (!len)
        return i + 1;
    const unsigned char *close = memmem(lx->s + i + len, (size_t)(lx->n - i - len), lx->s + i, (size_t)len);
    return close ? close - lx->s + len : LEX_ERR;
}

/* Past the word at i: an identifier or keyword, or a prefixed quote (U&' U&" E' B' X'). N'x'
 * is two tokens, N then the string, as PostgreSQL reads it (NCHAR and a constant). */
static long scan_word(const lexer *lx, long i, sql_tok_kind *kind)
{
    int c = at(lx, i) | 0x20, q = at(lx, i + 1);
    if (c == 'u' && q == '&' && at(lx, i + 2) == '"')
        return quoted_ident(lx, i + 2, kind);
    *kind = SQL_TOK_STRING;
    if (c == 'u' && q == '&' && at(lx, i + 2) == '\'')
        return string_end(lx, i + 3, Q_STD);
    if (q == '\'' && (c == 'e' || c == 'b' || c == 'x'))
        return string_end(lx, i + 2, c == 'e' ? Q_ESC : Q_BITS);
    *kind = SQL_TOK_IDENT;
    if (q == '\'' && c == 'n')
        return i + 1;
    for (i++; ident_cont(at(lx, i)); i++)
        ;
    return i;
}

/* Past the operator at i: the run of operator characters, cut where a comment starts in it,
 * then shorn of trailing + and - unless it holds a character no SQL operator has. */
static long scan_operator(const lexer *lx, long i)
{
    long end = i + 1;
    while (op_char(at(lx, end)) && !comment_at(lx, end))
        end++;
    bool nonsql = false;
    for (long k = i; k < end - 1; k++)
        nonsql |= op_nonsql(at(lx, k));
    while (!nonsql && end - i > 1 && (at(lx, end - 1) == '+' || at(lx, end - 1) == '-'))
        end--;
    return end;
}

/* Past the one-byte punctuation at i (kind set), or i when c is none. */
static long scan_punct(long i, int c, sql_tok_kind *kind)
{
    static const char chars[] = "()[],;";
    static const sql_tok_kind kinds[] = {SQL_TOK_LPAREN, SQL_TOK_RPAREN, SQL_TOK_LBRACKET,
                                         SQL_TOK_RBRACKET, SQL_TOK_COMMA, SQL_TOK_SEMI};
    const char *p = c ? strchr(chars, c) : NULL;
    if (!p)
        return i;
    *kind = kinds[p - chars];
    return i + 1;
}

/* Past the token at i (not a blank), its kind in *kind; -1 when it does not lex. */
static long scan_token(const lexer *lx, long i, sql_tok_kind *kind)
{
    int c = at(lx, i), d = at(lx, i + 1);
    long end = scan_punct(i, c, kind);
    if (end > i)
        return end;
    *kind = SQL_TOK_OP;
    if ((c == '.' && d == '.') || (c == ':' && (d == ':' || d == '=')))
        return i + 2; /* .. :: := */
    if (op_char(c))
        return scan_operator(lx, i);
    *kind = SQL_TOK_NUMBER;
    if (is_digit(c) || (c == '.' && is_digit(d)))
        return scan_number(lx, i);
    *kind = SQL_TOK_STRING;
    if (c == '\'')
        return string_end(lx, i + 1, Q_STD);
    if (c == '"')
        return quoted_ident(lx, i, kind);
    if (c == '$')
        return scan_dollar(lx, i, kind);
    if (ident_start(c))
        return scan_word(lx, i, kind);
    *kind = c == '.' ? SQL_TOK_DOT : c == ':' ? SQL_TOK_COLON : SQL_TOK_OTHER;
    return i + 1;
}

/* ---- the token array ---- */

/* p with room for one more element past used, or NULL when the arena is full. */
static void *grow(gh_arena *a, void *p, size_t *cap, size_t used, size_t size)
{
    if (used < *cap)
        return p;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *q = gh_arena_realloc(a, p, *cap * size, ncap * size);
    if (q)
        *cap = ncap;
    return q;
}

/* Tracks the brackets (-1 when a closer does not match the innermost opener) and appends. */
static int push(lexer *lx, long start, long end, sql_tok_kind kind)
{
    int depth = (int)lx->nopen;
    if (kind == SQL_TOK_RPAREN || kind == SQL_TOK_RBRACKET) {
        char want = kind == SQL_TOK_RPAREN ? '(' : '[';
        if (!lx->nopen || lx->open[lx->nopen - 1] != want)
            return -1;
        depth = (int)--lx->nopen;
    } else if (kind == SQL_TOK_LPAREN || kind == SQL_TOK_LBRACKET) {
        if (!(lx->open = grow(lx->a, lx->open, &lx->capopen, lx->nopen, 1)))
            return -1;
        lx->open[lx->nopen++] = kind == SQL_TOK_LPAREN ? '(' : '[';
    }
    if (!(lx->tok = grow(lx->a, lx->tok, &lx->captok, lx->ntok, sizeof *lx->tok)))
        return -1;
    lx->tok[lx->ntok++] = (sql_token){.start = (int)start, .end = (int)end, .depth = depth, .kind = kind};
    return 0;
}

int sql_lex(const char *text, size_t n, gh_arena *a, sql_token **out, size_t *count)
{
    *out = NULL, *count = 0;
    if (n >= INT_MAX || (n && memchr(text, 0, n)))
        return -1;
    lexer lx = {.s = (const unsigned char *)text, .n = (long)n, .a = a};
    for (long i = skip_blank(&lx, 0); i < lx.n; i = skip_blank(&lx, i)) {
        sql_tok_kind kind = SQL_TOK_OTHER;
        long end = i < 0 ? LEX_ERR : scan_token(&lx, i, &kind);
        if (end < 0 || push(&lx, i, end, kind) != 0)
            return -1;
        i = end;
    }
    if (lx.nopen)
        return -1;
    *out = lx.tok, *count = lx.ntok;
    return 0;
}

long sql_token_at(const sql_token *t, size_t count, int offset)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid].start < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < count && t[lo].start == offset ? (long)lo : -1;
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

bool sql_token_is(const char *text, const sql_token *t, const char *keyword)
{
    size_t len = strlen(keyword);
    if (t->kind != SQL_TOK_IDENT || (size_t)(t->end - t->start) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (ascii_lower((unsigned char)text[t->start + i]) != ascii_lower((unsigned char)keyword[i]))
            return false;
    return true;
}
