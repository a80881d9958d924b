/* Private to connectors/sql: the parse tree (libpg_query's protobuf tree unpacked into the
 * arena), the scoped walker shared by describe and rewrite, and node builders. */
#ifndef GATEHOUSE_SQL_INTERNAL_H
#define GATEHOUSE_SQL_INTERNAL_H

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <setjmp.h>

#include "sql.h"

typedef PgQuery__Node Node;

struct sql_tree {
    PgQuery__ParseResult *root;
    bool consumed; /* a rewrite has changed it */
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

/* ---- tree.c ---- */
extern ProtobufCAllocator *sql_pb_allocator(gh_arena *a, ProtobufCAllocator *out);
int sql_tree_parse(const char *text, gh_arena *a, sql_tree **out, sql_error *err);
PgQuery__ParseResult *sql_unpack(const uint8_t *data, size_t len, gh_arena *a); /* unpack.c */
uint8_t *sql_pack(const ProtobufCMessage *root, gh_arena *a, size_t *len); /* pack.c */
int sql_tree_deparse(const sql_tree *t, gh_arena *a, const char **out, sql_error *err);
void *sql_node_alloc(sql_walker *w, size_t size);
Node *sql_node_wrap(sql_walker *w, PgQuery__Node__NodeCase kind, void *msg);
Node *sql_node_string(sql_walker *w, const char *s);
Node *sql_node_column(sql_walker *w, const char *qualifier, const char *column);
Node *sql_node_param(sql_walker *w, int number);
Node *sql_node_const_str(sql_walker *w, const char *s);
Node *sql_node_const_int(sql_walker *w, int v);
Node *sql_node_null(sql_walker *w);
Node *sql_node_op(sql_walker *w, const char *op, Node *l, Node *r);
Node *sql_node_bool(sql_walker *w, PgQuery__BoolExprType t, Node **args, size_t n);
Node *sql_node_call(sql_walker *w, const char *fn, Node **args, size_t n);
Node *sql_node_cast(sql_walker *w, Node *arg, const char *type);
Node *sql_node_res_target(sql_walker *w, const char *name, Node *val);
Node *sql_node_nulltest(sql_walker *w, Node *arg, bool is_null);
Node *sql_node_star(sql_walker *w);
Node *sql_node_and(sql_walker *w, Node *l, Node *r); /* l may be NULL */

/* ---- describe.c ---- */
int sql_count_qmarks(const char *s, size_t n); /* ? outside quotes and comments */

/* ---- walk.c ---- */
_Noreturn void sql_fail(sql_walker *w, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sql_walk_init(sql_walker *w, gh_arena *a, const sql_catalog *c, const char *search_path,
                   sql_description *d, sql_error *err, jmp_buf *fail);
void sql_walk_statements(sql_walker *w, PgQuery__ParseResult *root);
const char *sql_strdup(sql_walker *w, const char *s);
bool sql_str_in(const gh_value *arr, const char *s); /* s among an array's strings */
int sql_table_index(sql_walker *w, const char *name);

/* ---- rewrite.c: hooks the walker calls in rewrite mode ---- */
void sql_rw_from_table(sql_walker *w, Node *node, PgQuery__RangeVar *rv, int table);
void sql_rw_column(sql_walker *w, const sql_range *r, const char *column, bool write);
void sql_rw_star(sql_walker *w, const sql_range *r);
void sql_rw_function(sql_walker *w, const char *name);
void sql_rw_system_check(sql_walker *w, int table);
/* rewrite.c, for rewrite_stmt.c */
struct sql_rewriter {
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
Node *sql_rw_constraint(sql_walker *w, int table, const char *qualifier);
int sql_rw_tenant_param(sql_walker *w);
const gh_value *sql_field(const gh_value *obj, const char *name);
bool sql_policy_allows(const sql_policy *p, const char *col);
bool sql_policy_masks(const sql_policy *p, const char *col);
bool sql_pred_mentions(const gh_value *p, const char *col, int depth);

#endif
