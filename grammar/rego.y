/* The Rego v1 grammar (bison, LALR(1), pure). Builds the AST of engine/ast.h in the arena
 * and reports errors through gh_parse_error_at. Rule-level checks that OPA does after
 * parsing (v1 keyword requirements, default-rule values, else restrictions) live in
 * engine/parse.c; this file keeps to shapes.
 *
 * Newlines: the lexer never emits them; it marks the location of a token that follows a
 * newline (nl). Two literals of a body side by side are legal only when the second one
 * starts a line (`query: query literal`), as OPA's "expected \n or ; or }" rule wants.
 * Binary operators continue a term across lines, as in OPA.
 *
 * Precedence, lowest first (OPA's parseTermIn .. parseTermFactor): `in`, relations
 * (== != < > <= >=), `|`, `&`, `+ -`, `* / %`; all left-associative. `:=` and `=` only
 * join the two sides of a literal. `k, v in xs` is allowed where OPA parses with keyVal
 * (literals, heads, refs, parens, some/every) but not in lists or call arguments.
 *
 * Errors: a syntax error is reported once (with a hint for the common spots), then the
 * lexer drops tokens up to the next one that starts a line, sends SYNC, and
 * `stmt: error SYNC` resumes, so one run reports an error per broken statement.
 * No %destructor is needed: every semantic value lives in the parse arena, which the
 * caller frees as a whole whether the parse succeeds or not. */

%define api.pure full
%define api.prefix {gh_yy}
%define api.token.prefix {GH_T_}
%define api.location.type {gh_yyltype}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%param {gh_pctx *ctx}

%code requires {
#define GH_PARSE_INTERNAL
#include "parse.h"
}

%union {
    gh_str str;
    gh_term *term;
    gh_expr *expr;
    gh_body *body;
    gh_vec vec;
    gh_rule *rule;
    gh_head *head;
    gh_with *with;
    struct gh_rbody { gh_body *body; int kind; gh_loc loc; } rbody;
}

%code {
#include <stdio.h>
#include <string.h>

#include "gatehouse/error.h"

static int gh_yylex(GH_YYSTYPE *lval, gh_yyltype *lloc, gh_pctx *ctx)
{
    return gh_lex(ctx, lval, lloc);
}
static void gh_yyerror(gh_yyltype *loc, gh_pctx *ctx, const char *msg);

/* Bison's stack lives in the parse arena too, so an out-of-memory longjmp leaks nothing. */
static _Thread_local gh_arena *yy_arena;
#define YYMALLOC(n) gh_arena_alloc(yy_arena, (n))
#define YYFREE(p) ((void)(p))
#define YYMAXDEPTH 20000
#define YYINITDEPTH 256

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                  \
    do {                                                             \
        if (N) {                                                     \
            (Cur) = YYRHSLOC(Rhs, 1);                                \
            (Cur).end = YYRHSLOC(Rhs, N).end;                        \
        } else {                                                     \
            (Cur) = YYRHSLOC(Rhs, 0);                                \
            (Cur).off = (Cur).end;                                   \
            (Cur).nl = false;                                        \
            (Cur).tok = 0;                                           \
        }                                                            \
    } while (0)

#define A (ctx->a)

static gh_loc LOC(gh_pctx *ctx, gh_yyltype l)
{
    gh_loc r = {ctx->file, l.line, l.col, l.off, l.end};
    return r;
}

static void perr(gh_pctx *ctx, gh_loc l, const char *msg)
{
    gh_parse_error_at(ctx, l.line, l.col, "%s", msg);
}

/* "unexpected X token: note" at the location of a token, as OPA's p.illegal does. */
static void illegal(gh_pctx *ctx, gh_yyltype l, const char *note)
{
    bool kw;
    const char *d = gh_token_desc(l.tok, &kw);
    if (note && *note)
        gh_parse_error_at(ctx, l.line, l.col, "unexpected %s %s: %s", d, kw ? "keyword" : "token", note);
    else
        gh_parse_error_at(ctx, l.line, l.col, "unexpected %s %s", d, kw ? "keyword" : "token");
}

static gh_term *var_term(gh_pctx *ctx, gh_loc l, gh_str s)
{
    if (s.len == 1 && s.s[0] == '_') {
        char buf[24];
        int n = snprintf(buf, sizeof buf, "$%d", ctx->wildcards++);
        return gh_term_str(A, GH_TERM_VAR, l, buf, (size_t)n);
    }
    return gh_term_str(A, GH_TERM_VAR, l, s.s, s.len);
}

static gh_term *string_term(gh_pctx *ctx, gh_loc l, gh_str s)
{
    gh_term *t = gh_term_new(A, GH_TERM_STRING, l);
    t->u.str = s;
    return t;
}

/* `data` and `input` alone are refs, as in OPA. */
static gh_term *finish_term(gh_pctx *ctx, gh_term *t)
{
    if (t->kind == GH_TERM_VAR && (gh_term_is_var(t, "data") || gh_term_is_var(t, "input"))) {
        gh_vec v = {0};
        gh_vec_push(A, &v, t);
        return gh_term_list(A, GH_TERM_REF, t->loc, &v);
    }
    return t;
}

static void check_ref_head(gh_pctx *ctx, gh_term *h)
{
    switch (h->kind) {
    case GH_TERM_VAR: case GH_TERM_ARRAY: case GH_TERM_OBJECT: case GH_TERM_SET:
    case GH_TERM_ARRAY_COMPR: case GH_TERM_SET_COMPR: case GH_TERM_OBJECT_COMPR:
    case GH_TERM_CALL:
        return;
    default: {
        char msg[80];
        snprintf(msg, sizeof msg, "illegal ref (head cannot be %s)", gh_term_kind_name(h->kind));
        perr(ctx, h->loc, msg);
    }
    }
}

static gh_vec ref_start(gh_pctx *ctx, gh_term *head, gh_term *op)
{
    gh_vec v = {0};
    check_ref_head(ctx, head);
    gh_vec_push(A, &v, head);
    gh_vec_push(A, &v, op);
    return v;
}

static gh_term *call_term(gh_pctx *ctx, gh_loc l, gh_term *opref, gh_vec *args)
{
    if (opref->kind == GH_TERM_REF && opref->u.list.n == 1 && gh_term_is_var(opref->u.list.items[0], "set")
        && (!args || args->n == 0))
        return gh_term_list(A, GH_TERM_SET, l, NULL);
    gh_vec v = {0};
    gh_vec_push(A, &v, opref);
    if (args)
        for (uint32_t i = 0; i < args->n; i++) gh_vec_push(A, &v, args->items[i]);
    return gh_term_list(A, GH_TERM_CALL, l, &v);
}

static gh_term *binop(gh_pctx *ctx, gh_yyltype opl, const char *name, gh_term *a, gh_term *b)
{
    gh_vec v = {0};
    gh_vec_push(A, &v, gh_term_op(A, LOC(ctx, opl), name));
    gh_vec_push(A, &v, a);
    gh_vec_push(A, &v, b);
    gh_loc l = a->loc;
    l.end = b->loc.end;
    return gh_term_list(A, GH_TERM_CALL, l, &v);
}

static gh_term *member3(gh_pctx *ctx, gh_yyltype opl, gh_term *k, gh_term *v, gh_term *d)
{
    gh_vec vec = {0};
    gh_vec_push(A, &vec, gh_term_op(A, LOC(ctx, opl), "internal.member_3"));
    gh_vec_push(A, &vec, k);
    gh_vec_push(A, &vec, v);
    gh_vec_push(A, &vec, d);
    gh_loc l = k->loc;
    l.end = d->loc.end;
    return gh_term_list(A, GH_TERM_CALL, l, &vec);
}

static gh_term *object_term(gh_pctx *ctx, gh_loc l, gh_vec *pairs)
{
    gh_term *t = gh_term_new(A, GH_TERM_OBJECT, l);
    size_t n = pairs ? pairs->n / 2 : 0;
    t->u.obj.n = n;
    if (n) {
        t->u.obj.keys = gh_arena_alloc(A, n * sizeof(gh_term *));
        t->u.obj.vals = gh_arena_alloc(A, n * sizeof(gh_term *));
        for (size_t i = 0; i < n; i++) {
            t->u.obj.keys[i] = pairs->items[2 * i];
            t->u.obj.vals[i] = pairs->items[2 * i + 1];
        }
    }
    return t;
}

static gh_term *compr(gh_pctx *ctx, gh_term_kind k, gh_loc l, gh_term *key, gh_term *val, gh_body *b)
{
    gh_term *t = gh_term_new(A, k, l);
    t->u.compr.key = key;
    t->u.compr.value = val;
    t->u.compr.body = b;
    return t;
}

static gh_expr *expr_new(gh_pctx *ctx, gh_expr_kind k, gh_loc l)
{
    gh_expr *e = gh_arena_calloc(A, 1, sizeof *e);
    e->kind = k;
    e->loc = l;
    return e;
}

/* A literal from a term: a top-level call becomes a call expression (OPA's parseExpr). */
static gh_expr *expr_of_term(gh_pctx *ctx, gh_loc l, gh_term *t)
{
    if (t->kind == GH_TERM_CALL) {
        gh_expr *e = expr_new(ctx, GH_EXPR_CALL, l);
        e->u.call.terms = t->u.list.items;
        e->u.call.n = t->u.list.n;
        return e;
    }
    gh_expr *e = expr_new(ctx, GH_EXPR_TERM, l);
    e->u.term = t;
    return e;
}

static gh_expr *expr_binary(gh_pctx *ctx, gh_loc l, gh_yyltype opl, const char *op, gh_term *a, gh_term *b)
{
    gh_expr *e = expr_new(ctx, GH_EXPR_CALL, l);
    e->u.call.terms = gh_arena_alloc(A, 3 * sizeof(gh_term *));
    e->u.call.terms[0] = gh_term_op(A, LOC(ctx, opl), op);
    e->u.call.terms[1] = a;
    e->u.call.terms[2] = b;
    e->u.call.n = 3;
    return e;
}

static gh_body *body_new(gh_pctx *ctx, gh_loc l, gh_vec *v)
{
    gh_body *b = gh_arena_calloc(A, 1, sizeof *b);
    b->loc = l;
    b->items = (gh_expr **)v->items;
    b->n = v->n;
    for (size_t i = 0; i < b->n; i++) b->items[i]->index = (uint32_t)i;
    return b;
}

static gh_expr *with_attach(gh_pctx *ctx, gh_expr *e, gh_vec *w, gh_yyltype end)
{
    (void)ctx;
    if (w && w->n) {
        e->with = (gh_with **)w->items;
        e->nwith = w->n;
        e->loc.end = end.end;
    }
    return e;
}

static gh_expr *some_in(gh_pctx *ctx, gh_loc l, gh_yyltype inl, gh_vec *lhs, gh_term *dom, gh_yyltype lhsl)
{
    gh_expr *e = expr_new(ctx, GH_EXPR_SOME, l);
    gh_term *call;
    if (lhs->n == 1) {
        call = binop(ctx, inl, "internal.member_2", lhs->items[0], dom);
    } else if (lhs->n == 2) {
        call = member3(ctx, inl, lhs->items[0], lhs->items[1], dom);
    } else {
        illegal(ctx, lhsl, "illegal domain");
        call = binop(ctx, inl, "internal.member_2", lhs->items[0], dom);
    }
    e->u.some.symbols = gh_arena_alloc(A, sizeof(gh_term *));
    e->u.some.symbols[0] = call;
    e->u.some.n = 1;
    return e;
}

static gh_expr *some_vars(gh_pctx *ctx, gh_loc l, gh_vec *vars)
{
    gh_expr *e = expr_new(ctx, GH_EXPR_SOME, l);
    for (uint32_t i = 0; i < vars->n; i++) {
        gh_term *t = vars->items[i];
        if (t->kind != GH_TERM_VAR) {
            char msg[96];
            bool kw;
            snprintf(msg, sizeof msg, "unexpected %s token: expected var", gh_term_kind_name(t->kind));
            (void)kw;
            perr(ctx, t->loc, msg);
            break;
        }
    }
    e->u.some.symbols = (gh_term **)vars->items;
    e->u.some.n = vars->n;
    return e;
}

static gh_expr *every_expr(gh_pctx *ctx, gh_loc l, gh_yyltype lhsl, gh_vec *lhs, gh_term *dom, gh_body *b, gh_yyltype after)
{
    gh_expr *e = expr_new(ctx, GH_EXPR_EVERY, l);
    if (lhs->n == 1) {
        e->u.every.value = lhs->items[0];
    } else if (lhs->n == 2) {
        e->u.every.key = lhs->items[0];
        e->u.every.value = lhs->items[1];
        if (e->u.every.key->kind != GH_TERM_VAR) {
            illegal(ctx, after, "expected key to be a variable");
            return e;
        }
    } else {
        illegal(ctx, lhsl, "illegal domain");
        e->u.every.value = lhs->items[0];
    }
    if (e->u.every.value->kind != GH_TERM_VAR) illegal(ctx, after, "expected value to be a variable");
    e->u.every.domain = dom;
    e->u.every.body = b;
    return e;
}

static gh_term *template_term(gh_pctx *ctx, gh_loc l, gh_vec *parts, bool raw)
{
    gh_term *t = gh_term_new(A, GH_TERM_TEMPLATE, l);
    t->u.tpl.raw = raw;
    t->u.tpl.n = parts ? parts->n : 0;
    t->u.tpl.parts = gh_arena_alloc(A, (t->u.tpl.n ? t->u.tpl.n : 1) * sizeof(gh_tpl_part));
    for (size_t i = 0; i < t->u.tpl.n; i++) t->u.tpl.parts[i] = *(gh_tpl_part *)parts->items[i];
    return t;
}

static void tpl_add_str(gh_pctx *ctx, gh_vec *parts, gh_loc l, gh_str s)
{
    if (!s.len) return; /* OPA drops empty pieces */
    gh_tpl_part *p = gh_arena_calloc(A, 1, sizeof *p);
    p->str = string_term(ctx, l, s);
    gh_vec_push(A, parts, p);
}

static void tpl_add_expr(gh_pctx *ctx, gh_vec *parts, gh_expr *e)
{
    const char *bad = NULL;
    if (e->negated) bad = "unexpected negation ('not') in template-string expression";
    else if (e->kind == GH_EXPR_CALL && gh_term_is_var(e->u.call.terms[0]->u.list.items[0], "eq"))
        bad = "unexpected unification ('=') in template-string expression";
    else if (e->kind == GH_EXPR_CALL && gh_term_is_var(e->u.call.terms[0]->u.list.items[0], "assign"))
        bad = "unexpected assignment (':=') in template-string expression";
    else if (e->kind == GH_EXPR_EVERY) bad = "unexpected 'every' in template-string expression";
    else if (e->kind == GH_EXPR_SOME) bad = "unexpected 'some' in template-string expression";
    if (bad) perr(ctx, e->loc, bad);
    gh_tpl_part *p = gh_arena_calloc(A, 1, sizeof *p);
    if (e->kind == GH_EXPR_TERM && !e->nwith) {
        switch (e->u.term->kind) {
        case GH_TERM_STRING: case GH_TERM_NUMBER: case GH_TERM_BOOL: case GH_TERM_NULL:
            p->str = e->u.term;
            break;
        default: break;
        }
    }
    if (!p->str) p->expr = e;
    gh_vec_push(A, parts, p);
}

/* Where a note for the next syntax error applies (the token after a rule's `:=`). */
static void hint_next(gh_pctx *ctx, gh_term *head, int what)
{
    ctx->hint_tok = ctx->lex.ntok + 1;
    ctx->hint_what = what;
    ctx->hint_head = head;
}

/* defined in engine/parse.c */
gh_head *gh_parse_make_head(gh_pctx *ctx, gh_term *ref, int how, gh_term *val, gh_yyltype kwloc);
void gh_parse_add_rule(gh_pctx *ctx, gh_loc l, gh_head *h, struct gh_rbody *rb, gh_vec *elses,
                       gh_vec *extra, bool is_default);
gh_rule *gh_parse_else(gh_pctx *ctx, gh_loc l, int how, gh_term *val, struct gh_rbody *rb);
void gh_parse_package(gh_pctx *ctx, gh_loc l, gh_term *path);
void gh_parse_import(gh_pctx *ctx, gh_loc l, gh_term *path, gh_str *alias, gh_yyltype aliasl);
}

%token START_MODULE START_QUERY START_TERM
%token PACKAGE IMPORT AS DEFAULT ELSE NOT SOME WITH NULL TRUE FALSE IF CONTAINS IN EVERY
%token <str> IDENT NUMBER STRING TPL_FULL RTPL_FULL TPL_START RTPL_START TPL_MID TPL_END
%token LBRACK ALBRACK RBRACK LBRACE IFBRACE RBRACE LPAREN ALPAREN RPAREN COMMA COLON SEMI DOT
%token ASSIGN UNIFY EQUAL NEQ LT GT LTE GTE PLUS MINUS STAR SLASH PERCENT AMP PIPE
%token SYNC ILLEGAL
%token EOF 0

%precedence LOW
%precedence LBRACE
%left EQUAL NEQ LT GT LTE GTE
%left PIPE
%left AMP
%left PLUS MINUS
%left STAR SLASH PERCENT

%type <term> kv_in term_p primary in_expr kv_expr bin array set_or_object template call_term ref_head
%type <vec> ref_chain term_list pair_list some_list query with_list args tpl_parts elses extra_bodies
%type <expr> literal expr_lit
%type <body> block
%type <with> with
%type <head> head_part
%type <rbody> rule_body
%type <rule> else_clause

%start top

%%

top: START_MODULE module
   | START_QUERY query_top
   | START_TERM term_top
   ;

/* ---------------- modules ---------------- */

module: %empty
      | module stmt
      ;

stmt: PACKAGE term_p               { gh_parse_package(ctx, LOC(ctx, @$), $2); }
    | IMPORT term_p                { gh_parse_import(ctx, LOC(ctx, @$), $2, NULL, @2); }
    | IMPORT term_p AS IDENT       { gh_parse_import(ctx, LOC(ctx, @$), $2, &$4, @4); }
    | rule
    | error SYNC                   { }
    ;

rule: head_part %prec LOW                      { gh_parse_add_rule(ctx, LOC(ctx, @$), $1, NULL, NULL, NULL, false); }
    | head_part rule_body elses extra_bodies %prec LOW { gh_parse_add_rule(ctx, LOC(ctx, @$), $1, &$2, &$3, &$4, false); }
    | DEFAULT term_p                           { gh_parse_add_rule(ctx, LOC(ctx, @$), gh_parse_make_head(ctx, $2, 0, NULL, @2), NULL, NULL, NULL, true); }
    | DEFAULT term_p ASSIGN { hint_next(ctx, $2, 4); } kv_expr
        { gh_parse_add_rule(ctx, LOC(ctx, @$), gh_parse_make_head(ctx, $2, GH_T_ASSIGN, $5, @3), NULL, NULL, NULL, true); }
    | DEFAULT term_p UNIFY { hint_next(ctx, $2, 4); } kv_expr
        { gh_parse_add_rule(ctx, LOC(ctx, @$), gh_parse_make_head(ctx, $2, GH_T_UNIFY, $5, @3), NULL, NULL, NULL, true); }
    ;

head_part: term_p                              { $$ = gh_parse_make_head(ctx, $1, 0, NULL, @1); }
         | term_p CONTAINS { hint_next(ctx, $1, GH_T_CONTAINS); } kv_expr { $$ = gh_parse_make_head(ctx, $1, GH_T_CONTAINS, $4, @2); }
         | term_p ASSIGN { hint_next(ctx, $1, GH_T_ASSIGN); } kv_expr     { $$ = gh_parse_make_head(ctx, $1, GH_T_ASSIGN, $4, @2); }
         | term_p UNIFY { hint_next(ctx, $1, GH_T_UNIFY); } kv_expr       { $$ = gh_parse_make_head(ctx, $1, GH_T_UNIFY, $4, @2); }
         ;

rule_body: IF literal                    { gh_vec v = {0}; gh_vec_push(A, &v, $2);
                                           $$.body = body_new(ctx, LOC(ctx, @2), &v); $$.kind = GH_T_IF; $$.loc = LOC(ctx, @$); }
         | IF IFBRACE query RBRACE       { $$.body = body_new(ctx, LOC(ctx, @2), &$3); $$.kind = GH_T_IF; $$.loc = LOC(ctx, @$); }
         | IF IFBRACE RBRACE             { perr(ctx, LOC(ctx, @3), "found empty body");
                                           gh_vec v = {0}; $$.body = body_new(ctx, LOC(ctx, @2), &v); $$.kind = GH_T_IF; $$.loc = LOC(ctx, @$); }
         | IF IFBRACE in_expr COLON term_p PIPE query RBRACE {
            /* `if {k: v | ...}` is an object comprehension literal, as OPA tries first */
            gh_loc l = LOC(ctx, @2);
            l.end = @8.end;
            gh_term *t = compr(ctx, GH_TERM_OBJECT_COMPR, l, $3, $5, body_new(ctx, LOC(ctx, @7), &$7));
            gh_vec v = {0}; gh_vec_push(A, &v, expr_of_term(ctx, l, t));
            $$.body = body_new(ctx, l, &v); $$.kind = GH_T_IF; $$.loc = LOC(ctx, @$);
        }
         | IF IFBRACE pair_list RBRACE   {
            gh_loc l = LOC(ctx, @2);
            l.end = @4.end;
            gh_vec v = {0}; gh_vec_push(A, &v, expr_of_term(ctx, l, object_term(ctx, l, &$3)));
            $$.body = body_new(ctx, l, &v); $$.kind = GH_T_IF; $$.loc = LOC(ctx, @$);
        }
         | block                         { $$.body = $1; $$.kind = GH_T_LBRACE; $$.loc = LOC(ctx, @$); }
         ;

elses: %empty                 { $$ = (gh_vec){0}; }
     | elses else_clause      { $$ = $1; gh_vec_push(A, &$$, $2); }
     ;

else_clause: ELSE rule_body                     { $$ = gh_parse_else(ctx, LOC(ctx, @$), 0, NULL, &$2); }
           | ELSE ASSIGN kv_expr %prec LOW      { $$ = gh_parse_else(ctx, LOC(ctx, @$), GH_T_ASSIGN, $3, NULL); }
           | ELSE UNIFY kv_expr %prec LOW       { $$ = gh_parse_else(ctx, LOC(ctx, @$), GH_T_UNIFY, $3, NULL); }
           | ELSE ASSIGN kv_expr rule_body      { $$ = gh_parse_else(ctx, LOC(ctx, @$), GH_T_ASSIGN, $3, &$4); }
           | ELSE UNIFY kv_expr rule_body       { $$ = gh_parse_else(ctx, LOC(ctx, @$), GH_T_UNIFY, $3, &$4); }
           ;

extra_bodies: %empty %prec LOW        { $$ = (gh_vec){0}; }
            | extra_bodies block      { $$ = $1; gh_vec_push(A, &$$, $2); }
            ;

block: LBRACE query RBRACE      { $$ = body_new(ctx, LOC(ctx, @$), &$2); }
     | LBRACE RBRACE            { perr(ctx, LOC(ctx, @2), "found empty body"); gh_vec v = {0}; $$ = body_new(ctx, LOC(ctx, @$), &v); }
     ;

/* ---------------- queries and literals ---------------- */

query_top: query                { ctx->query = body_new(ctx, LOC(ctx, @$), &$1); }
         ;

term_top: kv_expr               { ctx->term = $1; }
        ;

query: literal                  { $$ = (gh_vec){0}; gh_vec_push(A, &$$, $1); }
     | query SEMI literal       { $$ = $1; gh_vec_push(A, &$$, $3); }
     | query literal            {
            if (!@2.nl && ctx->mode != GH_MODE_QUERY) illegal(ctx, @2, "expected \\n or ; or }");
            $$ = $1; gh_vec_push(A, &$$, $2);
        }
     ;

literal: expr_lit                       { $$ = $1; }
       | expr_lit with_list             { $$ = with_attach(ctx, $1, &$2, @2); }
       | NOT expr_lit                   { $$ = $2; $$->negated = true; $$->loc.line = @1.line; $$->loc.col = @1.col; $$->loc.off = @1.off; }
       | NOT expr_lit with_list         { $$ = with_attach(ctx, $2, &$3, @3); $$->negated = true;
                                          $$->loc.line = @1.line; $$->loc.col = @1.col; $$->loc.off = @1.off; }
       | SOME some_list %prec LOW       { $$ = some_vars(ctx, LOC(ctx, @$), &$2); }
       | SOME some_list IN bin %prec LOW { $$ = some_in(ctx, LOC(ctx, @$), @3, &$2, $4, @2); }
       | SOME some_list IN bin with_list { $$ = with_attach(ctx, some_in(ctx, LOC(ctx, @$), @3, &$2, $4, @2), &$5, @5); }
       | EVERY some_list IN bin block   { $$ = every_expr(ctx, LOC(ctx, @$), @2, &$2, $4, $5, @5); }
       | EVERY some_list IN bin block with_list { $$ = with_attach(ctx, every_expr(ctx, LOC(ctx, @$), @2, &$2, $4, $5, @5), &$6, @6); }
       | EVERY some_list IN bin %prec LOW { illegal(ctx, @$, "missing body"); $$ = every_expr(ctx, LOC(ctx, @$), @2, &$2, $4, NULL, @4); }
       | NOT SOME some_list %prec LOW   { illegal(ctx, @2, "illegal negation of 'some'"); $$ = some_vars(ctx, LOC(ctx, @$), &$3); }
       | NOT SOME some_list IN bin %prec LOW { illegal(ctx, @2, "illegal negation of 'some'"); $$ = some_in(ctx, LOC(ctx, @$), @4, &$3, $5, @3); }
       | NOT EVERY some_list IN bin block { illegal(ctx, @2, "illegal negation of 'every'"); $$ = every_expr(ctx, LOC(ctx, @$), @3, &$3, $5, $6, @6); }
       ;

expr_lit: kv_expr                       { $$ = expr_of_term(ctx, LOC(ctx, @$), $1); }
        | kv_expr ASSIGN kv_expr        { $$ = expr_binary(ctx, LOC(ctx, @$), @2, "assign", $1, $3); }
        | kv_expr UNIFY kv_expr         { $$ = expr_binary(ctx, LOC(ctx, @$), @2, "eq", $1, $3); }
        ;

with_list: with                 { $$ = (gh_vec){0}; gh_vec_push(A, &$$, $1); }
         | with_list with       { $$ = $1; gh_vec_push(A, &$$, $2); }
         ;

with: WITH term_p AS kv_expr {
            $$ = gh_arena_calloc(A, 1, sizeof *$$);
            $$->loc = LOC(ctx, @$);
            $$->target = $2;
            $$->value = $4;
            if (@2.tok != GH_T_IDENT) illegal(ctx, @2, "expected ident");
            else if ($2->kind != GH_TERM_VAR && $2->kind != GH_TERM_REF) illegal(ctx, @3, "expected with target path");
        }
    ;

some_list: bin %prec LOW        { $$ = (gh_vec){0}; gh_vec_push(A, &$$, $1); }
         | some_list COMMA bin %prec LOW { $$ = $1; gh_vec_push(A, &$$, $3); }
         ;

/* ---------------- terms ---------------- */

kv_expr: in_expr                        { $$ = $1; }
       | kv_in                          { $$ = $1; }
       ;

kv_in: bin COMMA bin IN bin %prec LOW   { $$ = member3(ctx, @4, $1, $3, $5); }
     | kv_in IN bin %prec LOW           { $$ = binop(ctx, @2, "internal.member_2", $1, $3); }
     ;

in_expr: bin %prec LOW                  { $$ = $1; }
       | in_expr IN bin %prec LOW       { $$ = binop(ctx, @2, "internal.member_2", $1, $3); }
       ;

bin: term_p %prec LOW           { $$ = $1; }
   | bin EQUAL bin              { $$ = binop(ctx, @2, "equal", $1, $3); }
   | bin NEQ bin                { $$ = binop(ctx, @2, "neq", $1, $3); }
   | bin LT bin                 { $$ = binop(ctx, @2, "lt", $1, $3); }
   | bin GT bin                 { $$ = binop(ctx, @2, "gt", $1, $3); }
   | bin LTE bin                { $$ = binop(ctx, @2, "lte", $1, $3); }
   | bin GTE bin                { $$ = binop(ctx, @2, "gte", $1, $3); }
   | bin PIPE bin               { $$ = binop(ctx, @2, "or", $1, $3); }
   | bin AMP bin                { $$ = binop(ctx, @2, "and", $1, $3); }
   | bin PLUS bin               { $$ = binop(ctx, @2, "plus", $1, $3); }
   | bin MINUS bin              { $$ = binop(ctx, @2, "minus", $1, $3); }
   | bin STAR bin               { $$ = binop(ctx, @2, "mul", $1, $3); }
   | bin SLASH bin              { $$ = binop(ctx, @2, "div", $1, $3); }
   | bin PERCENT bin            { $$ = binop(ctx, @2, "rem", $1, $3); }
   ;

term_p: primary                 { $$ = finish_term(ctx, $1); }
      | ref_chain               { $$ = gh_term_list(A, GH_TERM_REF, LOC(ctx, @$), &$1); }
      | call_term               { $$ = $1; }
      ;

ref_head: primary               { $$ = $1; }
        | call_term             { $$ = $1; }
        ;

ref_chain: ref_head DOT IDENT                   { $$ = ref_start(ctx, $1, string_term(ctx, LOC(ctx, @3), (gh_str){gh_arena_strndup(A, $3.s, $3.len), $3.len})); }
         | ref_head ALBRACK kv_expr RBRACK      { $$ = ref_start(ctx, $1, $3); }
         | ref_chain DOT IDENT                  { $$ = $1; gh_vec_push(A, &$$, string_term(ctx, LOC(ctx, @3), (gh_str){gh_arena_strndup(A, $3.s, $3.len), $3.len})); }
         | ref_chain ALBRACK kv_expr RBRACK     { $$ = $1; gh_vec_push(A, &$$, $3); }
         ;

call_term: primary ALPAREN args RPAREN {
                check_ref_head(ctx, $1);
                gh_vec v = {0}; gh_vec_push(A, &v, $1);
                $$ = call_term(ctx, LOC(ctx, @$), gh_term_list(A, GH_TERM_REF, $1->loc, &v), &$3);
            }
         | primary ALPAREN RPAREN {
                check_ref_head(ctx, $1);
                gh_vec v = {0}; gh_vec_push(A, &v, $1);
                $$ = call_term(ctx, LOC(ctx, @$), gh_term_list(A, GH_TERM_REF, $1->loc, &v), NULL);
            }
         | ref_chain ALPAREN args RPAREN   { $$ = call_term(ctx, LOC(ctx, @$), gh_term_list(A, GH_TERM_REF, LOC(ctx, @1), &$1), &$3); }
         | ref_chain ALPAREN RPAREN        { $$ = call_term(ctx, LOC(ctx, @$), gh_term_list(A, GH_TERM_REF, LOC(ctx, @1), &$1), NULL); }
         ;

args: term_list                 { $$ = $1; }
    | term_list COMMA           { $$ = $1; }
    ;

primary: NULL                   { $$ = gh_term_new(A, GH_TERM_NULL, LOC(ctx, @$)); }
       | TRUE                   { $$ = gh_term_bool(A, LOC(ctx, @$), true); }
       | FALSE                  { $$ = gh_term_bool(A, LOC(ctx, @$), false); }
       | NUMBER                 { $$ = gh_term_str(A, GH_TERM_NUMBER, LOC(ctx, @$), $1.s, $1.len); }
       | MINUS NUMBER           {
            char *s = gh_arena_alloc(A, $2.len + 2);
            s[0] = '-';
            memcpy(s + 1, $2.s, $2.len);
            s[$2.len + 1] = '\0';
            $$ = gh_term_new(A, GH_TERM_NUMBER, LOC(ctx, @$));
            $$->u.str.s = s;
            $$->u.str.len = $2.len + 1;
        }
       | STRING                 { $$ = string_term(ctx, LOC(ctx, @$), $1); }
       | IDENT                  { $$ = var_term(ctx, LOC(ctx, @$), $1); }
       | array                  { $$ = $1; }
       | set_or_object          { $$ = $1; }
       | template               { $$ = $1; }
       | LPAREN kv_expr RPAREN  { $$ = $2; }
       ;

array: LBRACK RBRACK                            { $$ = gh_term_list(A, GH_TERM_ARRAY, LOC(ctx, @$), NULL); }
     | LBRACK term_list RBRACK                  { $$ = gh_term_list(A, GH_TERM_ARRAY, LOC(ctx, @$), &$2); }
     | LBRACK term_list COMMA RBRACK            { $$ = gh_term_list(A, GH_TERM_ARRAY, LOC(ctx, @$), &$2); }
     | LBRACK term_p PIPE RBRACK                { perr(ctx, LOC(ctx, @4), "found empty body"); $$ = gh_term_list(A, GH_TERM_ARRAY, LOC(ctx, @$), NULL); }
     | LBRACK term_p PIPE query RBRACK          { $$ = compr(ctx, GH_TERM_ARRAY_COMPR, LOC(ctx, @$), NULL, $2, body_new(ctx, LOC(ctx, @4), &$4)); }
     ;

set_or_object: LBRACE RBRACE                    { $$ = object_term(ctx, LOC(ctx, @$), NULL); }
     | LBRACE term_list RBRACE                  { $$ = gh_term_list(A, GH_TERM_SET, LOC(ctx, @$), &$2); }
     | LBRACE term_list COMMA RBRACE            { $$ = gh_term_list(A, GH_TERM_SET, LOC(ctx, @$), &$2); }
     | LBRACE pair_list RBRACE                  { $$ = object_term(ctx, LOC(ctx, @$), &$2); }
     | LBRACE pair_list COMMA RBRACE            { $$ = object_term(ctx, LOC(ctx, @$), &$2); }
     | LBRACE term_p PIPE RBRACE                { perr(ctx, LOC(ctx, @4), "found empty body"); $$ = gh_term_list(A, GH_TERM_SET, LOC(ctx, @$), NULL); }
     | LBRACE term_p PIPE query RBRACE          { $$ = compr(ctx, GH_TERM_SET_COMPR, LOC(ctx, @$), NULL, $2, body_new(ctx, LOC(ctx, @4), &$4)); }
     | LBRACE in_expr COLON term_p PIPE query RBRACE { $$ = compr(ctx, GH_TERM_OBJECT_COMPR, LOC(ctx, @$), $2, $4, body_new(ctx, LOC(ctx, @6), &$6)); }
     ;

term_list: in_expr                      { $$ = (gh_vec){0}; gh_vec_push(A, &$$, $1); }
         | term_list COMMA in_expr      { $$ = $1; gh_vec_push(A, &$$, $3); }
         ;

pair_list: in_expr COLON in_expr                  { $$ = (gh_vec){0}; gh_vec_push(A, &$$, $1); gh_vec_push(A, &$$, $3); }
         | pair_list COMMA in_expr COLON in_expr  { $$ = $1; gh_vec_push(A, &$$, $3); gh_vec_push(A, &$$, $5); }
         ;

template: TPL_FULL              { gh_vec v = {0}; tpl_add_str(ctx, &v, LOC(ctx, @$), $1); $$ = template_term(ctx, LOC(ctx, @$), &v, false); }
        | RTPL_FULL             { gh_vec v = {0}; tpl_add_str(ctx, &v, LOC(ctx, @$), $1); $$ = template_term(ctx, LOC(ctx, @$), &v, true); }
        | TPL_START tpl_parts TPL_END {
            tpl_add_str(ctx, &$2, LOC(ctx, @3), $3);
            $$ = template_term(ctx, LOC(ctx, @$), &$2, false);
        }
        | RTPL_START tpl_parts TPL_END {
            tpl_add_str(ctx, &$2, LOC(ctx, @3), $3);
            $$ = template_term(ctx, LOC(ctx, @$), &$2, true);
        }
        ;

tpl_parts: literal                      {
            $$ = (gh_vec){0};
            tpl_add_str(ctx, &$$, LOC(ctx, @0), $<str>0);
            tpl_add_expr(ctx, &$$, $1);
        }
         | tpl_parts TPL_MID literal    {
            $$ = $1;
            tpl_add_str(ctx, &$$, LOC(ctx, @2), $2);
            tpl_add_expr(ctx, &$$, $3);
        }
         ;

%%

static void gh_yyerror(gh_yyltype *loc, gh_pctx *ctx, const char *msg)
{
    if (strstr(msg, "memory exhausted"))
        gh_parse_error_at(ctx, loc->line, loc->col, "max parsing recursion depth exceeded");
    else
        gh_parse_error_at(ctx, loc->line, loc->col, "%s", msg);
    ctx->lex.skip_to_col1 = true;
}

static bool expects(const yysymbol_kind_t *exp, int n, yysymbol_kind_t k)
{
    for (int i = 0; i < n; i++)
        if (exp[i] == k) return true;
    return false;
}

/* The note OPA would add for the common spots, phrased like its messages. */
static void syntax_note(const yypcontext_t *yyctx, gh_pctx *ctx, char *note, size_t cap)
{
    yysymbol_kind_t exp[YYNTOKENS];
    int n = yypcontext_expected_tokens(yyctx, exp, YYNTOKENS);
    note[0] = '\0';
    if (ctx->hint_tok == ctx->lex.ntok && ctx->hint_head) {
        gh_buf name;
        gh_buf_init(&name, 256);
        gh_term *h = ctx->hint_head;
        if (h->kind == GH_TERM_CALL) h = h->u.list.items[0];
        gh_term_to_rego(h, &name);
        const char *nm = name.data ? name.data : "";
        bool fn = ctx->hint_head->kind == GH_TERM_CALL;
        switch (ctx->hint_what) {
        case GH_T_CONTAINS: snprintf(note, cap, "expected rule key term (e.g., %s contains <VALUE> { ... })", nm); break;
        case GH_T_UNIFY: snprintf(note, cap, "expected rule value term (e.g., %s[%s] = <VALUE> { ... })", nm, "<nil>"); break;
        case 4: snprintf(note, cap, "expected default rule value term (e.g., default %s := <VALUE>)", nm); break;
        default:
            if (fn) snprintf(note, cap, "expected function value term (e.g., %s(...) := <VALUE> { ... })", nm);
            else snprintf(note, cap, "expected rule value term (e.g., %s := <VALUE> { ... })", nm);
        }
        gh_buf_free(&name);
        return;
    }
    if (n <= 0) return;
    if (expects(exp, n, YYSYMBOL_SEMI) && expects(exp, n, YYSYMBOL_RBRACE))
        snprintf(note, cap, "expected \\n or ; or }");
    else if (expects(exp, n, YYSYMBOL_COMMA) && expects(exp, n, YYSYMBOL_RBRACK))
        snprintf(note, cap, "expected \",\" or \"]\"");
    else if (expects(exp, n, YYSYMBOL_COMMA) && expects(exp, n, YYSYMBOL_RPAREN))
        snprintf(note, cap, "expected \",\" or \")\"");
    else if (expects(exp, n, YYSYMBOL_COMMA) && expects(exp, n, YYSYMBOL_RBRACE))
        snprintf(note, cap, "expected \",\" or \"}\"");
    else if (n == 1 && exp[0] == YYSYMBOL_IDENT)
        snprintf(note, cap, "expected identifier");
    else if (n == 1 && exp[0] == YYSYMBOL_AS)
        snprintf(note, cap, "expected as keyword");
    else if (n == 1 && exp[0] == YYSYMBOL_NUMBER)
        snprintf(note, cap, "expected number");
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, gh_pctx *ctx)
{
    ctx->lex.skip_to_col1 = true;
    if (ctx->lex_error) return 0; /* the lexer has said what is wrong with this token */
    const gh_yyltype *l = yypcontext_location(yyctx);
    char note[200];
    syntax_note(yyctx, ctx, note, sizeof note);
    illegal(ctx, *l, note);
    return 0;
}

int gh_parse_run(gh_pctx *ctx)
{
    yy_arena = ctx->a;
    int rc = gh_yyparse(ctx);
    yy_arena = NULL;
    return rc;
}
