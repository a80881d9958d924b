/* Private to connectors/sql: the parse tree (PostgreSQL's own raw parse tree, built in the
 * arena by pgparse.c), the scoped walker shared by describe and rewrite, and the rewrite's
 * text edits. */
#ifndef GATEHOUSE_SQL_INTERNAL_H
#define GATEHOUSE_SQL_INTERNAL_H

/* PostgreSQL's headers first, as its own code does (Debian's postgresql-server-dev-15:
 * the node layouts of the parser libpg_query 15 carries) */
#include "postgres.h"
#include "nodes/parsenodes.h"
#include "nodes/nodeFuncs.h"

#include <pg_query.h>
#include <setjmp.h>

#include "gatehouse/buf.h"
#include "lex.h"
#include "sql.h"

struct sql_tree {
    List *stmts;      /* RawStmt nodes, read only: a rewrite edits the text, not the tree */
    const char *text; /* the text parsed (locations are offsets into it) */
    const gh_value *json; /* libpg_query's JSON tree, made when a statement is not DML */
    const char *kind;     /* the first statement's node name when it is not DML ("CopyStmt") */
};

typedef struct sql_catalog_entry {
    const char *name;           /* "schema.table" */
    const char **columns; /* in the database's order */
    size_t n;
} sql_catalog_entry;

struct sql_catalog {
    sql_catalog_entry *entries; /* sorted by name (strcmp) */
    size_t n;
};

/* One FROM item visible by name at one query level. */
typedef struct sql_range {
    const char *name; /* alias, or the relation or function name */
    int table;        /* index into the description's tables; -1: CTE, subquery, function */
    bool target;      /* the table an INSERT/UPDATE/DELETE writes: read raw, never wrapped */
} sql_range;

/* One query level; `up` is the enclosing level (correlated references). */
typedef struct sql_scope {
    struct sql_scope *up;
    sql_range *ranges;
    size_t n, cap;
} sql_scope;

/* CTE names visible at a point, innermost first. */
typedef struct sql_cte {
    const char *name;
    const struct sql_cte *next;
} sql_cte;

typedef struct sql_rewriter sql_rewriter; /* rewrite.c */

typedef struct sql_param_at {
    int number, location;
} sql_param_at;

typedef struct sql_walker {
    gh_arena *a;
    const sql_catalog *catalog;
    const char **search_path;
    size_t nsearch;
    sql_description *d;
    sql_error *err;
    jmp_buf *fail;        /* every error longjmps here after filling err */
    int depth;
    bool star_unknown_ok; /* record "*" for a table missing from the catalog (the re-check) */
    sql_param_at *params; /* every ParamRef seen (collect_params) */
    size_t nparams_seen, params_cap;
    bool collect_params;
    bool utility;         /* inside a statement described generically (no scopes) */
    sql_rewriter *rw;     /* NULL: describe only */
    const struct sql_edit *wrapped; /* the re-check: where the derived tables are in the text; */
    size_t nwrapped;                /* a base table in FROM anywhere else was not constrained */
} sql_walker;

/* NULL-safe readers of decision values (an absent field is NULL). */
static inline int sql_kind(const gh_value *v) { return v ? (int)gh_value_kind(v) : -1; }
static inline size_t sql_len(const gh_value *v) { return v ? gh_value_len(v) : 0; }
static inline const char *sql_strp(const gh_value *v, size_t *n)
{
    return v && gh_value_kind(v) == GH_KIND_STRING ? gh_string_ptr(v, n) : NULL;
}
static inline bool sql_true(const gh_value *v) { return v && gh_value_get_bool(v); }
static inline const gh_value *sql_at(const gh_value *v, size_t i) { return v ? gh_array_get(v, i) : NULL; }
static inline const gh_value *sql_get(const gh_value *v, const char *k, size_t n)
{
    return v && gh_value_kind(v) == GH_KIND_OBJECT ? gh_object_get_str(v, k, n) : NULL;
}

/* ---- pgparse.c ---- */
/* PostgreSQL's raw parse of text (NUL-terminated) into the arena. */
int sql_tree_parse(const char *text, gh_arena *a, sql_tree **out, sql_error *err);
/* The same text as libpg_query's JSON tree, for statements described generically. */
const gh_value *sql_tree_json(const char *text, gh_arena *a, sql_error *err);
/* True when PostgreSQL would write ident bare (quote_identifier's rule). */
bool sql_ident_bare(const char *ident);

/* ---- walk.c: arena helpers that fail the walk ---- */
void *sql_alloc(sql_walker *w, size_t size);

/* Text built in the arena (the rewrite's pieces); every append fails the walk when the
 * arena does. */
typedef struct sql_text {
    sql_walker *w;
    char *p;
    size_t len, cap;
} sql_text;
void sql_text_init(sql_text *t, sql_walker *w);
void sql_text_put(sql_text *t, const char *s, size_t n);
void sql_text_puts(sql_text *t, const char *s);
void sql_text_printf(sql_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sql_text_ident(sql_text *t, const char *ident); /* quoted as PostgreSQL needs */
const char *sql_text_str(sql_text *t);               /* NUL-terminated, in the arena */

/* ---- describe.c ---- */
int sql_count_qmarks(const char *s, size_t n); /* ? outside quotes and comments */

/* ---- walk.c ---- */
_Noreturn void sql_fail(sql_walker *w, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sql_walk_init(sql_walker *w, gh_arena *a, const sql_catalog *c, const char *search_path,
                   sql_description *d, sql_error *err, jmp_buf *fail);
void sql_walk_statements(sql_walker *w, sql_tree *t);
const char *sql_strdup(sql_walker *w, const char *s);
bool sql_str_in(const gh_value *arr, const char *s); /* s among an array's strings */
int sql_table_index(sql_walker *w, const char *name);

/* ---- rewrite.c: hooks the walker calls in rewrite mode ---- */
void sql_rw_from_table(sql_walker *w, const RangeVar *rv, int table);
void sql_rw_column(sql_walker *w, const sql_range *r, const char *column, bool write);
void sql_rw_star(sql_walker *w, const sql_range *r);
void sql_rw_function(sql_walker *w, const char *name);
void sql_rw_system_check(sql_walker *w, int table);
/* rewrite.c, for rewrite_stmt.c */
/* Replace [start, end) of the statement text with text (start == end: insert). */
typedef struct sql_edit {
    int start, end;
    const char *text;
    int seq;    /* order of making: insertions at one offset stay in it */
    bool wraps; /* a derived table in place of a base table */
} sql_edit;

struct sql_rewriter {
    const char *text;   /* the statement being rewritten; locations point into it */
    sql_token *tokens;  /* its tokens (lex.c), for the spans the tree does not give */
    size_t ntokens;
    sql_edit *edits;
    size_t nedits, edits_cap;
    const gh_value *decision;
    const sql_rewrite_opts *opts;
    const sql_description *orig;
    struct sql_policy *policies; /* by the walk's table index */
    size_t npolicies;
    const gh_value **values; /* new parameters, numbered after the request's own */
    size_t nvalues, values_cap;
    int base;         /* the request's own parameter count */
    int tenant_param; /* 0 until first used */
};
typedef struct sql_policy {
    bool resolved;
    bool all;                /* columns "*" */
    const gh_value *columns; /* array of allowed names (when !all) */
    const gh_value *masks;   /* object column -> mask, a list of columns masked to null, or NULL */
    const gh_value *filter;  /* predicate, or NULL */
} sql_policy;
sql_policy *sql_rw_policy(sql_walker *w, int table);
/* "tenant = $t AND <row filter>" with columns qualified by `qualifier` (NULL: bare), or
 * NULL when the table has neither. */
const char *sql_rw_constraint(sql_walker *w, int table, const char *qualifier);
void sql_rw_edit(sql_walker *w, int start, int end, const char *text, bool wraps);
/* The tokens [first, last] of a relation name at rv->location (schema, dots, a trailing
 * `*`), and a leading ONLY with its parentheses when the reference has one. */
void sql_rw_name_span(sql_walker *w, const RangeVar *rv, long *first, long *last);
void sql_rw_name_tokens(sql_walker *w, const RangeVar *rv, long *first, long *last); /* the name alone */
long sql_rw_token_at(sql_walker *w, int location);
int sql_rw_tenant_param(sql_walker *w);
const gh_value *sql_field(const gh_value *obj, const char *name);
bool sql_policy_allows(const sql_policy *p, const char *col);
bool sql_policy_masks(const sql_policy *p, const char *col);
bool sql_pred_mentions(const gh_value *p, const char *col, int depth);

#endif
