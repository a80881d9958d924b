/* The SQL connector's tokenizer: PostgreSQL 15's lexical rules as libpg_query 15 applies
 * them, giving each token's exact byte span so edits can be spliced into the caller's own
 * statement text (the raw parse tree gives only start offsets).
 *
 * Ownership: the token array lives in the arena it was given; the tokens point into the
 * caller's text by offset only. */
#ifndef GATEHOUSE_SQL_LEX_H
#define GATEHOUSE_SQL_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "gatehouse/arena.h"

typedef enum sql_tok_kind {
    SQL_TOK_IDENT,    /* unquoted identifier or keyword: abc, SELECT, a$b; also the N of N'x' */
    SQL_TOK_QIDENT,   /* "quoted", U&"quoted" */
    SQL_TOK_STRING,   /* 'x', E'x', B'01', X'1f', U&'x', $tag$x$tag$; 'a'\n'b' is one token */
    SQL_TOK_NUMBER,   /* 1, 1.5, .5, 1e10 */
    SQL_TOK_PARAM,    /* $1 */
    SQL_TOK_OP,       /* operators, including :: := => .. and multi-char ones */
    SQL_TOK_LPAREN,   /* ( */
    SQL_TOK_RPAREN,   /* ) */
    SQL_TOK_LBRACKET, /* [ */
    SQL_TOK_RBRACKET, /* ] */
    SQL_TOK_COMMA,    /* , */
    SQL_TOK_SEMI,     /* ; */
    SQL_TOK_DOT,      /* . */
    SQL_TOK_COLON,    /* : */
    SQL_TOK_OTHER,    /* one byte the scanner passes on alone: { } \ \v, a $ that starts
                       * nothing; PostgreSQL's grammar accepts no statement holding one */
} sql_tok_kind;

typedef struct sql_token {
    int start, end;   /* byte offsets [start, end) in the text */
    int depth;        /* nesting of ( and [ outside this token: a ( and its matching ) have the same depth */
    sql_tok_kind kind;
} sql_token;

/* Tokens of text[0..n), whitespace and comments skipped, into an array from the arena.
 * Returns 0, or -1 when the text does not lex: an unterminated quote, comment or dollar
 * quote; ( ) [ ] that do not pair up; junk right after a number or parameter (123abc, 1e,
 * $1x) or an empty "" (PostgreSQL refuses both); a NUL byte; text of 2 GiB or more; the
 * arena full. The caller then refuses the statement. */
int sql_lex(const char *text, size_t n, gh_arena *a, sql_token **out, size_t *count);

/* Index of the token starting exactly at offset, or -1 (binary search). */
long sql_token_at(const sql_token *t, size_t count, int offset);

/* An unquoted identifier equal to keyword, ASCII case-insensitively ("where" == WHERE). */
bool sql_token_is(const char *text, const sql_token *t, const char *keyword);

#endif
