/* The Rego front end's entry points: module, query and term parsing into an arena AST,
 * with every error reported to a gh_diags list as "file:line:col: rego_parse_error: msg".
 * The lower half declares the lexer/parser context shared by grammar/rego.re,
 * grammar/rego.y and engine/parse.c only (GH_PARSE_INTERNAL). */
#ifndef GH_PARSE_H
#define GH_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "gatehouse/arena.h"
#include "gatehouse/diag.h"
#include "gatehouse/error.h"

typedef struct gh_parse_opts {
    bool v0_compatible; /* parse Rego v0 (if/contains/in/every only when imported) */
} gh_parse_opts;

/* 0 on success; GH_EPARSE with every error appended to diags (code "rego_parse_error").
 * The AST lives in the arena. opts may be NULL (Rego v1). */
int gh_parse_module(gh_arena *a, const char *filename, const char *src, size_t len,
                    const gh_parse_opts *opts, gh_module **out, gh_diags *diags);
/* A query: body expressions separated by ';' or newlines. */
int gh_parse_query(gh_arena *a, const char *filename, const char *src, size_t len,
                   const gh_parse_opts *opts, gh_body **out, gh_diags *diags);
/* Exactly one term, e.g. "{1, {\"a\": set()}}". */
int gh_parse_term(gh_arena *a, const char *filename, const char *src, size_t len, gh_term **out,
                  gh_diags *diags);

#define GH_PARSE_MAX_ERRORS 20 /* per call; later errors are dropped */

#ifdef GH_PARSE_INTERNAL

/* Location type of the bison parser: where a symbol starts (line, col, off), where it
 * ends (end), whether a newline was skipped just before it (nl), and the token code of
 * its first token (tok), so rules can phrase "unexpected X token" messages. */
typedef struct gh_yyltype {
    int line, col;
    uint32_t off, end;
    bool nl;
    int tok;
} gh_yyltype;

typedef enum gh_parse_mode { GH_MODE_MODULE, GH_MODE_QUERY, GH_MODE_TERM } gh_parse_mode;

enum { /* keyword bits that can be switched on in v0 by imports */
    GH_KW_IF = 1,
    GH_KW_CONTAINS = 2,
    GH_KW_IN = 4,
    GH_KW_EVERY = 8,
    GH_KW_ALL = 15,
};

#define GH_TPL_MAX 64 /* nesting depth of template strings */

typedef struct gh_lexer {
    const char *src;   /* copy of the input ending in a NUL sentinel */
    const char *cur;   /* next byte to scan */
    const char *lim;   /* src + len: the sentinel */
    const char *tok;   /* start of the current token */
    const char *line_start;
    int line;
    int kw;            /* GH_KW_* enabled */
    int last;          /* previous token code (0 at start) */
    bool term_end;     /* previous token ended a term with nothing between it and cur */
    bool nl;           /* a newline was skipped since the previous token */
    int start_tok;     /* first token to hand out (selects the grammar's start), or 0 */
    bool skip_to_col1; /* error recovery: drop tokens until one starts a line */
    uint32_t ntok;     /* tokens handed out so far */
    const char *err_tok; /* token the last lexical error was reported for */
    /* template strings: for each open ${...} level, the brace depth inside it */
    int tpl_depth[GH_TPL_MAX];
    bool tpl_raw[GH_TPL_MAX];
    int ntpl;
} gh_lexer;

typedef struct gh_pctx {
    gh_arena *a;
    gh_lexer lex;
    const char *file;
    const char *src; /* the original text, for diagnostics */
    size_t len;
    gh_diags *diags;
    gh_parse_mode mode;
    bool v0;
    int nerrors;
    int wildcards;     /* next $N for `_` */
    bool lex_error;    /* the lexer just reported an error: skip the parser's echo of it */
    /* A note for a syntax error at token number hint_tok (the token after a rule
     * head's `:=`, `=` or `contains`): what was expected there, and the head. */
    uint32_t hint_tok;
    int hint_what;
    gh_term *hint_head;
    int nstmts;          /* statements seen (the first must be the package) */
    bool rego_v1_import; /* v0 module with `import rego.v1` */
    /* results */
    gh_vec stmts_imports, stmts_rules;
    gh_package *package;
    gh_body *query;
    gh_term *term;
    gh_vec comments;
} gh_pctx;

/* lexer (grammar/rego.re) */
void gh_lex_init(gh_lexer *L, const char *src, size_t len, int start_tok, int kw);
int gh_lex(gh_pctx *ctx, void *lval, gh_yyltype *lloc);
/* decodes a JSON-style string body (between the quotes) into the arena; returns NULL and
 * sets *err_at to the offending byte on a bad escape. */
char *gh_lex_unescape(gh_arena *a, const char *s, size_t n, size_t *out_len, const char **err_at);

/* parser (grammar/rego.y): 0 when the grammar accepted the input (errors may still have
 * been reported and recovered from: check ctx->nerrors). */
int gh_parse_run(gh_pctx *ctx);

/* shared by both: record one error at loc (1-based line/col). */
void gh_parse_error_at(gh_pctx *ctx, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Token name as OPA spells it in "unexpected X token" ("identifier", "plus", "eof", ...). */
const char *gh_token_desc(int tok, bool *is_keyword);

#endif /* GH_PARSE_INTERNAL */
#endif
