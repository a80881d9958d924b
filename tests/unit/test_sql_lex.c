/* sql_lex (connectors/sql/lex.c): table cases for each lexical rule and each refusal, then a
 * differential against libpg_query's own scanner (pg_query_scan): the table's statements,
 * every statement of tests/data/sql/ (each .txt) and generated strings must get exactly the same
 * token spans and kinds, and depths that match a recount of the brackets. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "lex.h"
#include "testlib.h"
#include "sql_cases.h"

static int ncases, ncompared, npg_refused, nfile_statements;

/* ---- rendering: one "K{text}" per token, K the kind's letter, ^d when depth > 0 ---- */

static char kind_letter(sql_tok_kind k)
{
    static const char letters[] = "IQSNPO()[],;.:?";
    return (unsigned)k < sizeof letters - 1 ? letters[k] : '!';
}

static void render(const char *sql, const sql_token *t, size_t n, gh_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        gh_buf_printf(out, "%s%c", i ? " " : "", kind_letter(t[i].kind));
        if (t[i].depth)
            gh_buf_printf(out, "^%d", t[i].depth);
        gh_buf_printf(out, "{%.*s}", t[i].end - t[i].start, sql + t[i].start);
    }
}

/* ---- the oracle: pg_query_scan's tokens, comments left out ---- */

typedef struct pg_tok {
    int start, end, token;
} pg_tok;

/* PostgreSQL's tokens of sql into *out (malloc'd), or -1 when its scanner refuses sql. */
static int pg_scan(const char *sql, pg_tok **out, size_t *n)
{
    PgQueryScanResult r = pg_query_scan(sql);
    *out = NULL, *n = 0;
    if (r.error) {
        pg_query_free_scan_result(r);
        return -1;
    }
    PgQuery__ScanResult *s = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
    *out = calloc(s ? s->n_tokens + 1 : 1, sizeof **out);
    for (size_t i = 0; s && i < s->n_tokens; i++) {
        const PgQuery__ScanToken *t = s->tokens[i];
        if (t->token != PG_QUERY__TOKEN__SQL_COMMENT && t->token != PG_QUERY__TOKEN__C_COMMENT)
            (*out)[(*n)++] = (pg_tok){t->start, t->end, t->token};
    }
    pg_query__scan_result__free_unpacked(s, NULL);
    pg_query_free_scan_result(r);
    return 0;
}

/* Our kind for one of PostgreSQL's token codes. */
static sql_tok_kind pg_kind(int tok, const char *text)
{
    switch (tok) {
    case '(': return SQL_TOK_LPAREN;
    case ')': return SQL_TOK_RPAREN;
    case '[': return SQL_TOK_LBRACKET;
    case ']': return SQL_TOK_RBRACKET;
    case ',': return SQL_TOK_COMMA;
    case ';': return SQL_TOK_SEMI;
    case '.': return SQL_TOK_DOT;
    case ':': return SQL_TOK_COLON;
    case PG_QUERY__TOKEN__IDENT: return text[0] == '"' ? SQL_TOK_QIDENT : SQL_TOK_IDENT;
    case PG_QUERY__TOKEN__UIDENT: return SQL_TOK_QIDENT;
    case PG_QUERY__TOKEN__SCONST: case PG_QUERY__TOKEN__USCONST:
    case PG_QUERY__TOKEN__BCONST: case PG_QUERY__TOKEN__XCONST: return SQL_TOK_STRING;
    case PG_QUERY__TOKEN__ICONST: case PG_QUERY__TOKEN__FCONST: return SQL_TOK_NUMBER;
    case PG_QUERY__TOKEN__PARAM: return SQL_TOK_PARAM;
    }
    if (tok == PG_QUERY__TOKEN__Op || (tok >= PG_QUERY__TOKEN__TYPECAST && tok <= PG_QUERY__TOKEN__NOT_EQUALS))
        return SQL_TOK_OP;
    if (tok >= PG_QUERY__TOKEN__ABORT_P && tok <= PG_QUERY__TOKEN__ZONE)
        return SQL_TOK_IDENT; /* keywords */
    return tok < 128 && strchr("+-*/%^<>=", tok) ? SQL_TOK_OP : SQL_TOK_OTHER;
}

/* libpg_query 15 reports U&'x' as [start, start) and U&"x" as [start, start+1): for those
 * only the start is compared, and the end must not reach past the next token. */
static bool pg_end_broken(int tok)
{
    return tok == PG_QUERY__TOKEN__USCONST || tok == PG_QUERY__TOKEN__UIDENT;
}

static bool pg_balanced(const pg_tok *p, size_t n)
{
    char stack[4096];
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        int c = p[i].token;
        if ((c == '(' || c == '[') && depth < sizeof stack)
            stack[depth++] = (char)c;
        else if (c == ')' || c == ']') {
            if (!depth || stack[--depth] != (c == ')' ? '(' : '['))
                return false;
        }
    }
    return depth == 0;
}

/* Depth recounted from the tokens alone: openers raise it after themselves, closers lower
 * it before. */
static bool depths_ok(const sql_token *t, size_t n)
{
    int d = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i].kind == SQL_TOK_RPAREN || t[i].kind == SQL_TOK_RBRACKET)
            d--;
        if (d < 0 || t[i].depth != d)
            return false;
        if (t[i].kind == SQL_TOK_LPAREN || t[i].kind == SQL_TOK_LBRACKET)
            d++;
    }
    return d == 0;
}

/* Index of the first token where ours and PostgreSQL's differ, or -1 when they agree. */
static long first_difference(const char *sql, const sql_token *t, const pg_tok *p, size_t n, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        int limit = i + 1 < n ? p[i + 1].start : (int)len;
        bool end_ok = pg_end_broken(p[i].token) ? t[i].end > t[i].start && t[i].end <= limit : t[i].end == p[i].end;
        if (t[i].start != p[i].start || !end_ok || t[i].kind != pg_kind(p[i].token, sql + p[i].start))
            return (long)i;
    }
    return -1;
}

static void report(const char *where, const char *sql, const sql_token *t, size_t nt, const pg_tok *p,
                   size_t np, long at)
{
    gh_buf ours;
    gh_buf_init(&ours, 0);
    render(sql, t, nt, &ours);
    test_fail(__FILE__, __LINE__, "%s: %s\n  differs from pg_query_scan at token %ld (pg: [%d,%d) code %d; %zu tokens, ours %zu)\n  ours: %s",
              where, sql, at, at >= 0 && (size_t)at < np ? p[at].start : -1, at >= 0 && (size_t)at < np ? p[at].end : -1,
              at >= 0 && (size_t)at < np ? p[at].token : -1, np, nt, ours.data ? ours.data : "");
    gh_buf_free(&ours);
}

/* sql against pg_query_scan: when PostgreSQL's scanner takes it, the same spans and kinds (or
 * a refusal of ours for brackets that do not pair up); either way depths that recount. */
static void compare(const char *where, const char *sql)
{
    size_t len = strlen(sql), nt = 0, np = 0;
    gh_arena a;
    gh_arena_init(&a, 64 << 20);
    sql_token *t;
    pg_tok *p;
    int rc = sql_lex(sql, len, &a, &t, &nt);
    tests_run++;
    if (pg_scan(sql, &p, &np) != 0) {
        npg_refused++;
    } else if (rc != 0) {
        ncompared++;
        if (pg_balanced(p, np))
            test_fail(__FILE__, __LINE__, "%s: sql_lex refuses what pg_query_scan takes: %s", where, sql);
    } else {
        ncompared++;
        long at = nt == np ? first_difference(sql, t, p, np, len) : (long)(nt < np ? nt : np);
        if (at >= 0)
            report(where, sql, t, nt, p, np, at);
    }
    if (rc == 0 && !depths_ok(t, nt))
        test_fail(__FILE__, __LINE__, "%s: depths do not recount: %s", where, sql);
    free(p);
    gh_arena_free(&a);
}

/* ---- table cases ---- */

typedef struct lex_case {
    const char *sql;
    const char *want; /* rendered tokens; NULL: sql_lex refuses the text */
} lex_case;

static const lex_case cases[] = {
    /* whitespace and comments (\v is not whitespace to PostgreSQL 15: it stands alone) */
    {"a\f\tb\r\nc  ", "I{a} I{b} I{c}"},
    {"a\vb", "I{a} ?{\v} I{b}"},
    {"", ""},
    {"  -- only a comment", ""},
    {"a -- c\nb --c", "I{a} I{b}"},
    {"a /* x /* y */ z */ b", "I{a} I{b}"},
    {"/*/**/*/a/**/b", "I{a} I{b}"},
    {"a /* x", NULL},
    {"/* /* */", NULL},
    {"*/", "O{*/}"},
    /* identifiers and quoted identifiers */
    {"SELECT abc, a$b$, _x1, \xc3\xa9t\xc3\xa9", "I{SELECT} I{abc} ,{,} I{a$b$} ,{,} I{_x1} ,{,} I{\xc3\xa9t\xc3\xa9}"},
    {"\"a\"\"b\" \"x y\".\"z\"", "Q{\"a\"\"b\"} Q{\"x y\"} .{.} Q{\"z\"}"},
    {"U&\"x\" u&\"d\\0061\" y", "Q{U&\"x\"} Q{u&\"d\\0061\"} I{y}"},
    {"\"\"", NULL},
    {"U&\"\"", NULL},
    {"\"abc", NULL},
    {"U&x aU&'x'", "I{U} O{&} I{x} I{aU} O{&} S{'x'}"},
    /* strings */
    {"'it''s' 'a\\'", "S{'it''s'} S{'a\\'}"},
    {"E'a\\'b' e'\\\\' E'\\u0041'", "S{E'a\\'b'} S{e'\\\\'} S{E'\\u0041'}"},
    {"E'abc\\'", NULL},
    {"'abc", NULL},
    {"'a''", NULL},
    {"B'01' b'1' X'1f' x'AB'", "S{B'01'} S{b'1'} S{X'1f'} S{x'AB'}"},
    {"B'01''10'", "S{B'01'} S{'10'}"},
    {"N'x' n'y'", "I{N} S{'x'} I{n} S{'y'}"},
    {"U&'d\\0061t' UESCAPE '!'", "S{U&'d\\0061t'} I{UESCAPE} S{'!'}"},
    {"'a'\n'b'", "S{'a'\n'b'}"},
    {"'a' \n\t 'b'\r'c' d", "S{'a' \n\t 'b'\r'c'} I{d}"},
    {"'a' 'b'", "S{'a'} S{'b'}"},
    {"'a' -- c\n'b'", "S{'a'} S{'b'}"},
    {"'a'\n/* c */'b'", "S{'a'} S{'b'}"},
    {"E'a'\n'\\''", "S{E'a'\n'\\''}"},
    {"B'1'\n'0' U&'a'\n'b'", "S{B'1'\n'0'} S{U&'a'\n'b'}"},
    {"$$a$$ $t$x$$y$t$ $a_1$q$a_1$", "S{$$a$$} S{$t$x$$y$t$} S{$a_1$q$a_1$}"},
    {"$q$a$q$\n'b'", "S{$q$a$q$} S{'b'}"},
    {"$\xc3\xa9$x$\xc3\xa9$", "S{$\xc3\xa9$x$\xc3\xa9$}"},
    {"$$x", NULL},
    {"$q$x$Q$", NULL},
    {"$a$b$ab$", NULL},
    /* parameters and lone dollars */
    {"$1 $23", "P{$1} P{$23}"},
    {"$ $a $1$", "?{$} ?{$} I{a} P{$1} ?{$}"},
    {"$1.5", "P{$1} N{.5}"},
    {"$1a", NULL},
    {"$1e5", NULL},
    /* numbers, and PostgreSQL 15's trailing junk */
    {"1 1.5 .5 1. 1e10 1.5E-3 1e+2 .5e1 1.e5", "N{1} N{1.5} N{.5} N{1.} N{1e10} N{1.5E-3} N{1e+2} N{.5e1} N{1.e5}"},
    {"1..10", "N{1} O{..} N{10}"},
    {"1...", "N{1} O{..} .{.}"},
    {"1.2.3", "N{1.2} N{.3}"},
    {"1.5.x 1e5.x", "N{1.5} .{.} I{x} N{1e5} .{.} I{x}"},
    {"123abc", NULL},
    {"1e", NULL},
    {"1e+", NULL},
    {"1.5e", NULL},
    {"1.x", NULL},
    {"0x1F", NULL},
    {"1_000", NULL},
    {".5x", NULL},
    {"a.b .e5", "I{a} .{.} I{b} .{.} I{e5}"},
    /* operators */
    {"a::int", "I{a} O{::} I{int}"},
    {"x := 1", "I{x} O{:=} N{1}"},
    {"f(a => 1)", "I{f} ({(} I^1{a} O^1{=>} N^1{1} ){)}"},
    {"a<=b>=c<>d!=e", "I{a} O{<=} I{b} O{>=} I{c} O{<>} I{d} O{!=} I{e}"},
    {"=-1", "O{=} O{-} N{1}"},
    {"?-1 @- %- ^- `-", "O{?-} N{1} O{@-} O{%-} O{^-} O{`-}"},
    {"a+-b -+", "I{a} O{+} O{-} I{b} O{-} O{+}"},
    {"<=> !=- ~+- =>>", "O{<=>} O{!=-} O{~+-} O{=>>}"},
    {"*--x\n+/*c*/-", "O{*} O{+} O{-}"},
    {"::= :=>", "O{::} O{=} O{:=} O{>}"},
    {"... ..5", "O{..} .{.} O{..} N{5}"},
    {"a ||/ b |/ c", "I{a} O{||/} I{b} O{|/} I{c}"},
    {"` \\ {}", "O{`} ?{\\} ?{{} ?{}}"},
    /* punctuation and depth */
    {"a, b; c: d", "I{a} ,{,} I{b} ;{;} I{c} :{:} I{d}"},
    {"(a[(1)])", "({(} I^1{a} [^1{[} (^2{(} N^3{1} )^2{)} ]^1{]} ){)}"},
    {"a[1:2]", "I{a} [{[} N^1{1} :^1{:} N^1{2} ]{]}"},
    {")", NULL},
    {"(]", NULL},
    {"(", NULL},
    {"[)", NULL},
    {"((a)", NULL},
};

static void run_table_case(const lex_case *c)
{
    gh_arena a;
    gh_arena_init(&a, 1 << 20);
    sql_token *t;
    size_t n;
    int rc = sql_lex(c->sql, strlen(c->sql), &a, &t, &n);
    gh_buf out;
    gh_buf_init(&out, 0);
    if (rc == 0)
        render(c->sql, t, n, &out);
    const char *got = rc == 0 ? (out.data ? out.data : "") : "(refused)";
    tests_run++, ncases++;
    if (strcmp(got, c->want ? c->want : "(refused)") != 0)
        test_fail(__FILE__, __LINE__, "[%s]\n   got: %s\n  want: %s", c->sql, got, c->want ? c->want : "(refused)");
    gh_buf_free(&out);
    gh_arena_free(&a);
    compare("table", c->sql);
}

static void test_table(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        run_table_case(&cases[i]);
}

/* Refusals the table cannot spell: a NUL inside the text; a full arena. */
static void test_edges(void)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    sql_token *t;
    size_t n;
    CHECK_INT(sql_lex("a\0b", 3, &a, &t, &n), -1);
    CHECK_INT(sql_lex("a b", 1, &a, &t, &n), 0); /* only text[0..n) */
    CHECK_INT(n, 1);
    CHECK_INT(sql_lex(NULL, 0, &a, &t, &n), 0);
    CHECK_INT(n, 0);
    gh_arena_free(&a);
    gh_arena small;
    gh_arena_init(&small, 256);
    char big[4000];
    memset(big, 'x', sizeof big);
    for (size_t i = 1; i < sizeof big; i += 2)
        big[i] = ' ';
    CHECK_INT(sql_lex(big, sizeof big, &small, &t, &n), -1);
    gh_arena_free(&small);
}

static void test_lookups(void)
{
    const char *sql = "select a FROM t where (x) = 1";
    gh_arena a;
    gh_arena_init(&a, 0);
    sql_token *t;
    size_t n;
    CHECK_INT(sql_lex(sql, strlen(sql), &a, &t, &n), 0);
    CHECK_INT(n, 10);
    for (size_t i = 0; i < n; i++)
        CHECK_INT(sql_token_at(t, n, t[i].start), (long)i);
    CHECK_INT(sql_token_at(t, n, 1), -1);
    CHECK_INT(sql_token_at(t, n, 1000), -1);
    CHECK_INT(sql_token_at(t, 0, 0), -1);
    CHECK(sql_token_is(sql, &t[0], "SELECT"));
    CHECK(sql_token_is(sql, &t[2], "from"));
    CHECK(sql_token_is(sql, &t[4], "WHERE"));
    CHECK(!sql_token_is(sql, &t[4], "WHER"));
    CHECK(!sql_token_is(sql, &t[1], "select"));
    CHECK(!sql_token_is(sql, &t[5], "("));
    const char *q = "\"select\" selectx";
    CHECK_INT(sql_lex(q, strlen(q), &a, &t, &n), 0);
    CHECK(!sql_token_is(q, &t[0], "select")); /* quoted: an identifier, never a keyword */
    CHECK(!sql_token_is(q, &t[1], "select"));
    gh_arena_free(&a);
}

/* ---- the corpus files and generated strings ---- */

static void run_file_case(const sql_case *c)
{
    char where[160];
    snprintf(where, sizeof where, "[%s]", c->id);
    nfile_statements++;
    compare(where, c->sql.data ? c->sql.data : "");
}

static void test_corpus_files(void)
{
    DIR *d = opendir("data/sql");
    tests_run++;
    if (!d) {
        test_fail(__FILE__, __LINE__, "data/sql: cannot open");
        return;
    }
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        char path[512];
        if (l < 4 || strcmp(e->d_name + l - 4, ".txt") != 0)
            continue;
        snprintf(path, sizeof path, "data/sql/%s", e->d_name);
        if (sql_cases_run(path, run_file_case) <= 0)
            test_fail(__FILE__, __LINE__, "%s: no cases read", path);
    }
    closedir(d);
}

static const char *const fragments[] = {
    "'a'", "'it''s'", "E'\\''", "e'\\\\'", "B'01'", "X'1f'", "N'x'", "U&'x'", "U&\"x\"", "\"q\"\"x\"",
    "$$x$$", "$t$a$$b$t$", "$1", "$", "$a", "a$b", "abc", "SELECT", "\xc3\xa9", "_", "1", "1.5",
    ".5", "1e3", "1.", "..", "...", "::", ":=", "=>", ":", ".", ",", ";", "(", ")", "[", "]",
    "+", "-", "*", "/", "<", ">", "=", "~", "!", "@", "#", "%", "^", "&", "|", "`", "?", "\\",
    "{", "\v", "-- c\n", "/* c */", "/*/**/*/", "\n", " ", "\t", "\r\n", "'", "\"", "e", "u&",
    "--", "/*", "*/", "e+", "1e", "\f", "'\n'", "$a$", "$1$", "x'", "b'",
};

static uint64_t rng = 0x9e3779b97f4a7c15u;

static unsigned next_rand(unsigned bound)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % bound);
}

/* Strings of 1 to 8 fragments run together, some with a space or newline between. */
static void test_generated(int count)
{
    static const char *const seps[] = {"", "", "", " ", "\n"};
    const size_t nfrag = sizeof fragments / sizeof *fragments;
    for (int k = 0; k < count; k++) {
        char sql[256] = "";
        int parts = 1 + (int)next_rand(8);
        for (int p = 0; p < parts; p++) {
            strcat(sql, fragments[next_rand((unsigned)nfrag)]);
            strcat(sql, seps[next_rand(5)]);
        }
        compare("generated", sql);
    }
}

/* argv[1], when given: how many generated strings (20000 by default), for longer hunts. */
int main(int argc, char **argv)
{
    test_table();
    test_edges();
    test_lookups();
    test_corpus_files();
    test_generated(argc > 1 ? atoi(argv[1]) : 20000);
    printf("test_sql_lex: %d table cases, %d corpus statements, %d strings compared with pg_query_scan, %d it refused\n",
           ncases, nfile_statements, ncompared, npg_refused);
    return tests_done("test_sql_lex");
}
