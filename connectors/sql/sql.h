/* The SQL connector's core: describe a statement (what it touches) and rewrite it so a
 * decision's tenant, column, mask and row-filter constraints hold. Pure functions over
 * text and engine values: no HTTP, no sockets, no clock.
 *
 * Ownership: everything a function returns lives in the arena it was given and is valid
 * until that arena is reset; nothing is freed one by one. */
#ifndef GATEHOUSE_SQL_H
#define GATEHOUSE_SQL_H

#include <stdbool.h>
#include <stddef.h>

#include "gatehouse/arena.h"
#include "gatehouse/value.h"

/* Error codes: every one comes with sql_error.msg, a sentence for the caller and the log. */
#define SQL_ERROR_MAP(XX)                                                  \
    XX(PARSE, -1, "the statement does not parse")                         \
    XX(UNSUPPORTED, -2, "the statement is not understood")                \
    XX(DENIED, -3, "the statement is not allowed")                        \
    XX(CATALOG, -4, "a catalog entry is missing or malformed")            \
    XX(DECISION, -5, "the decision is malformed")                         \
    XX(NOMEM, -6, "out of memory")                                        \
    XX(INTERNAL, -7, "the rewrite failed its own check")
#define SQL_XX_ENUM(name, code, msg) SQL_E##name = (code),
enum { SQL_ERROR_MAP(SQL_XX_ENUM) };
#undef SQL_XX_ENUM

typedef struct sql_error {
    int code;      /* SQL_E*; 0 when all went well */
    char msg[256]; /* "column public.orders.secret is not allowed" */
} sql_error;

/* The code's name ("DENIED"), for logs and tests. */
const char *sql_error_name(int code);

typedef enum sql_action {
    SQL_SELECT,
    SQL_INSERT,
    SQL_UPDATE,
    SQL_DELETE,
    SQL_MERGE,
    SQL_DDL,
    SQL_OTHER,
} sql_action;

const char *sql_action_name(sql_action a); /* "select" ... "other" */

/* Checks PostgreSQL's parser as this build links it: a known statement's tree reads as the
 * node headers describe it, and an error raised inside a tree walk is caught. 0, or -1
 * with why in msg; run before a SQL listener starts. */
int sql_selfcheck(char *msg, size_t n);

/* ---- catalog: {"schema.table": ["col", ...]}, as `gatehouse catalog` writes it ---- */

typedef struct sql_catalog sql_catalog;

/* Reads the JSON document json[0..len) into the arena. Errors: SQL_ECATALOG with the JSON
 * position or the key whose value is not a list of strings. */
int sql_catalog_load(const char *json, size_t len, gh_arena *a, sql_catalog **out, sql_error *err);
/* The columns of "schema.table" in catalog order, or NULL (absent table). */
const char *const *sql_catalog_columns(const sql_catalog *c, const char *table, size_t *n);

/* ---- describe ---- */

typedef struct sql_table {
    const char *name;     /* "schema.table", as PostgreSQL resolves it */
    const char **columns; /* every column read or written, first use first, no repeats */
    size_t ncolumns;
} sql_table;

typedef struct sql_tree sql_tree; /* private: the parse tree, reused by sql_rewrite */

typedef struct sql_description {
    sql_action action;     /* of the first statement */
    bool several;          /* more than one statement */
    bool writes_in_with;   /* a data-modifying statement inside WITH */
    sql_table *tables;     /* base tables and views; no CTEs, subqueries or functions */
    size_t ntables;
    const char **functions; /* called functions, lower case as the parser folds them, unqualified */
    size_t nfunctions;
    int nparams;           /* the request's own parameters ($1..$n, or ? counted in order) */
    const char *statement; /* the text described (with ? already numbered as $n) */
    sql_tree *tree;
} sql_description;

typedef enum sql_param_style {
    SQL_PARAMS_DOLLAR, /* PostgreSQL: $1, $2 ... */
    SQL_PARAMS_QMARK,  /* Snowflake: ? bound in order of appearance */
} sql_param_style;

/* Parses text[0..len) with PostgreSQL's parser and fills *out. search_path: schemas
 * separated by commas (NULL: "public"); unqualified names resolve to the first schema
 * where the catalog has the table, else to the first schema; names starting with pg_
 * resolve to pg_catalog, as PostgreSQL searches it first. catalog may be NULL: then `*`
 * is an error naming its table. style tells how the text writes its parameters. */
int sql_describe(const char *text, size_t len, const sql_catalog *catalog, const char *search_path,
                 sql_param_style style, gh_arena *a, sql_description *out, sql_error *err);

/* input.query: {"action", "tables", "columns": {table: [cols]}, "functions", "statement",
 * "several"}. NULL when the arena fails. */
const gh_value *sql_description_value(const sql_description *d, gh_arena *a);

/* ---- rewrite ---- */

typedef struct sql_param {
    int request_index;     /* >= 1: the request's own parameter of that number; 0: new */
    const gh_value *value; /* the constraint value of a new parameter (NULL otherwise) */
} sql_param;

typedef struct sql_rewrite_result {
    const char *sql;   /* the statement to send, NUL-terminated */
    sql_param *params; /* what each placeholder binds, in placeholder order ($1.., or ? order);
                          the request's own come first and keep their numbers */
    size_t nparams;
} sql_rewrite_result;

typedef struct sql_rewrite_opts {
    const sql_catalog *catalog;   /* may be NULL */
    const char *search_path;      /* as for sql_describe; NULL: "public" */
    const char *tenant_column;    /* NULL: no tenant isolation (then a decision's tenant is
                                     an error: it could not be enforced) */
    sql_param_style style;
    const char *const *deny_functions; /* NULL: sql_default_deny_functions; entries ending
                                          in '*' match a prefix */
} sql_rewrite_opts;

/* The default deny list, NULL-terminated (README lists it with reasons). */
extern const char *const sql_default_deny_functions[];

/* Rewrites the described statement so that `decision` holds (DESIGN.md's contract: tenant,
 * columns, mask, row_filters, and `functions`: deny-listed functions it allows). Denials
 * return SQL_EDENIED with the reason in err->msg. The description must come from
 * sql_describe, with its arena still alive; the tree is only read, so one description
 * may be rewritten for several decisions. */
int sql_rewrite(const sql_description *d, const gh_value *decision, const sql_rewrite_opts *opts,
                gh_arena *a, sql_rewrite_result *out, sql_error *err);

#endif
