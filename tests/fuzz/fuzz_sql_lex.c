/* Fuzz target for the SQL tokenizer (connectors/sql/lex.c): any bytes. Oracles, beside "never
 * a crash": tokens are in order, inside the text, with depths that recount; a NUL inside
 * means a refusal; and whenever libpg_query's scanner (pg_query_scan) takes the text up to
 * its first NUL, sql_lex gives the same token spans and kinds, or refuses only because the
 * brackets do not pair up. Any violation abort()s. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "lex.h"

/* Our kind for one of PostgreSQL's token codes (as tests/unit/test_sql_lex.c maps them). */
static sql_tok_kind pg_kind(int tok, const char *text)
{
    static const char punct[] = "()[],;.:";
    static const sql_tok_kind kinds[] = {SQL_TOK_LPAREN, SQL_TOK_RPAREN, SQL_TOK_LBRACKET, SQL_TOK_RBRACKET,
                                         SQL_TOK_COMMA, SQL_TOK_SEMI, SQL_TOK_DOT, SQL_TOK_COLON};
    if (tok > 0 && tok < 128 && strchr(punct, tok))
        return kinds[strchr(punct, tok) - punct];
    if (tok == PG_QUERY__TOKEN__IDENT)
        return text[0] == '"' ? SQL_TOK_QIDENT : SQL_TOK_IDENT;
    if (tok == PG_QUERY__TOKEN__UIDENT)
        return SQL_TOK_QIDENT;
    if (tok == PG_QUERY__TOKEN__SCONST || tok == PG_QUERY__TOKEN__USCONST || tok == PG_QUERY__TOKEN__BCONST ||
        tok == PG_QUERY__TOKEN__XCONST)
        return SQL_TOK_STRING;
    if (tok == PG_QUERY__TOKEN__ICONST || tok == PG_QUERY__TOKEN__FCONST)
        return SQL_TOK_NUMBER;
    if (tok == PG_QUERY__TOKEN__PARAM)
        return SQL_TOK_PARAM;
    if (tok == PG_QUERY__TOKEN__Op || (tok >= PG_QUERY__TOKEN__TYPECAST && tok <= PG_QUERY__TOKEN__NOT_EQUALS) ||
        (tok > 0 && tok < 128 && strchr("+-*/%^<>=", tok)))
        return SQL_TOK_OP;
    return tok >= PG_QUERY__TOKEN__ABORT_P && tok <= PG_QUERY__TOKEN__ZONE ? SQL_TOK_IDENT : SQL_TOK_OTHER;
}

static void fail(const char *why, const char *sql)
{
    fprintf(stderr, "sql_lex: %s\n%s\n", why, sql);
    abort();
}

/* Order, bounds and depths of our own tokens. */
static void check_shape(const char *sql, size_t len, const sql_token *t, size_t n)
{
    int d = 0, prev = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i].start < prev || t[i].end <= t[i].start || (size_t)t[i].end > len)
            fail("token out of order or bounds", sql);
        prev = t[i].end;
        d -= t[i].kind == SQL_TOK_RPAREN || t[i].kind == SQL_TOK_RBRACKET;
        if (t[i].depth != d || d < 0)
            fail("depth does not recount", sql);
        d += t[i].kind == SQL_TOK_LPAREN || t[i].kind == SQL_TOK_LBRACKET;
    }
    if (d)
        fail("brackets left open", sql);
}

static bool pg_balanced(const PgQuery__ScanResult *s)
{
    char stack[1 << 16];
    size_t depth = 0;
    for (size_t i = 0; i < s->n_tokens; i++) {
        int c = s->tokens[i]->token;
        if ((c == '(' || c == '[') && depth < sizeof stack)
            stack[depth++] = (char)c;
        else if ((c == ')' || c == ']') && (!depth || stack[--depth] != (c == ')' ? '(' : '[')))
            return false;
    }
    return depth == 0;
}

/* Ours against PostgreSQL's, comments skipped. libpg_query reports U&'x' and U&"x" with a
 * wrong end: for those only the start counts, and ours must end before the next token. */
static void check_against(const char *sql, size_t len, int rc, const sql_token *t, size_t n,
                          const PgQuery__ScanResult *s)
{
    if (rc != 0) {
        if (pg_balanced(s))
            fail("refuses what pg_query_scan takes", sql);
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < s->n_tokens; i++) {
        const PgQuery__ScanToken *p = s->tokens[i];
        if (p->token == PG_QUERY__TOKEN__SQL_COMMENT || p->token == PG_QUERY__TOKEN__C_COMMENT)
            continue;
        if (k == n || t[k].start != p->start || t[k].kind != pg_kind(p->token, sql + p->start))
            fail("token start or kind differs from pg_query_scan", sql);
        bool broken = p->token == PG_QUERY__TOKEN__USCONST || p->token == PG_QUERY__TOKEN__UIDENT;
        int limit = i + 1 < s->n_tokens ? s->tokens[i + 1]->start : (int)len;
        if (broken ? t[k].end > limit : t[k].end != p->end)
            fail("token end differs from pg_query_scan", sql);
        k++;
    }
    if (k != n)
        fail("more tokens than pg_query_scan", sql);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    char *sql = malloc(size + 1);
    memcpy(sql, data, size);
    sql[size] = 0;
    size_t len = strlen(sql), n;
    gh_arena a;
    gh_arena_init(&a, 64 << 20);
    sql_token *t;
    if (len < size && sql_lex(sql, size, &a, &t, &n) != -1)
        fail("a NUL inside is not refused", sql);
    int rc = sql_lex(sql, len, &a, &t, &n);
    if (rc == 0)
        check_shape(sql, len, t, n);
    PgQueryScanResult r = pg_query_scan(sql);
    if (!r.error) {
        PgQuery__ScanResult *s = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
        if (!s)
            abort();
        check_against(sql, len, rc, t, n, s);
        pg_query__scan_result__free_unpacked(s, NULL);
    }
    pg_query_free_scan_result(r);
    gh_arena_free(&a);
    free(sql);
    return 0;
}
