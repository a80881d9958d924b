/* sql_rewrite: the decision's constraints made to hold in the statement itself. Reads are
 * confined by wrapping each base table in a derived table (allowed columns, masks, tenant
 * and row filters); writes get the same predicates in WHERE and checked tenant values.
 * Constraint values only ever become new bound parameters. The result is parsed and
 * described again and must stay within what the decision allows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_internal.h"

const char *const sql_default_deny_functions[] = {
    "pg_read_file", "pg_read_binary_file", "pg_ls_*", "pg_stat_file", "pg_file_*",
    "lo_*", "dblink*", "set_config", "current_setting", "pg_sleep*", "pg_terminate_backend",
    "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_promote", "pg_switch_wal",
    "pg_create_restore_point", "pg_notify", "pg_advisory*", "pg_try_advisory*",
    "query_to_xml*", "table_to_xml*", "cursor_to_xml*", "schema_to_xml*", "database_to_xml*",
    "pg_logdir_ls", "pg_import_system_collations", "pg_replication_*", "pg_logical_*",
    "pg_drop_replication_slot", "pg_create_*_replication_slot", "txid_current", "pg_current_xact_id",
    NULL};

typedef sql_policy policy;

/* ---- the decision ---- */

const gh_value *sql_field(const gh_value *obj, const char *name)
{
    return sql_kind(obj) == GH_KIND_OBJECT ? sql_get(obj, name, strlen(name)) : NULL;
}

static bool is_system(const char *table)
{
    return strncmp(table, "pg_catalog.", 11) == 0 || strncmp(table, "information_schema.", 19) == 0;
}

/* decision.<what>[table], else decision.<what>["*"] (never for system catalogs: those must
 * be named). */
static const gh_value *per_table(const sql_rewriter *rw, const char *what, const char *table)
{
    const gh_value *m = sql_field(rw->decision, what);
    const gh_value *v = sql_field(m, table);
    return v || is_system(table) ? v : sql_field(m, "*");
}

static bool valid_ident(const char *s, size_t n)
{
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

sql_policy *sql_rw_policy(sql_walker *w, int t)
{
    sql_rewriter *rw = w->rw;
    if ((size_t)t >= rw->npolicies) {
        size_t n = (size_t)t + 8;
        policy *p = gh_arena_realloc(w->a, rw->policies, rw->npolicies * sizeof *p, n * sizeof *p);
        if (!p)
            sql_fail(w, SQL_ENOMEM, "out of memory");
        memset(p + rw->npolicies, 0, (n - rw->npolicies) * sizeof *p);
        rw->policies = p, rw->npolicies = n;
    }
    policy *p = &rw->policies[t];
    if (p->resolved)
        return p;
    const char *name = w->d->tables[t].name;
    const gh_value *cols = sql_field(rw->decision, "columns") ? per_table(rw, "columns", name) : NULL;
    if (!sql_field(rw->decision, "columns") && !is_system(name))
        p->all = true; /* no column restriction in the decision */
    else if (!cols)
        sql_fail(w, SQL_EDENIED, "table %s is not allowed", name);
    else if (sql_kind(cols) == GH_KIND_STRING && sql_len(cols) == 1 &&
             *sql_strp(cols, &(size_t){0}) == '*')
        p->all = true;
    else if (sql_kind(cols) == GH_KIND_ARRAY)
        p->columns = cols;
    else
        sql_fail(w, SQL_EDECISION, "decision: columns[\"%s\"] must be a list of names or \"*\"", name);
    const gh_value *m = per_table(rw, "mask", name);
    if (m && sql_kind(m) != GH_KIND_OBJECT && sql_kind(m) != GH_KIND_ARRAY)
        sql_fail(w, SQL_EDECISION, "decision: mask[\"%s\"] must be an object or a list", name);
    p->masks = m && sql_len(m) ? m : NULL;
    p->filter = per_table(rw, "row_filters", name);
    p->resolved = true;
    return p;
}

/* The mask of a column: NULL when unmasked; a list of columns masks each to "null". */
static const gh_value *mask_of(const policy *p, const char *col)
{
    if (!p->masks)
        return NULL;
    if (sql_kind(p->masks) == GH_KIND_ARRAY)
        return sql_str_in(p->masks, col) ? p->masks : NULL; /* mask_expr reads a list as "null" */
    return sql_get(p->masks, col, strlen(col));
}

bool sql_policy_masks(const policy *p, const char *col)
{
    if (!p->masks)
        return false;
    if (sql_kind(p->masks) == GH_KIND_ARRAY)
        return sql_str_in(p->masks, col);
    return sql_get(p->masks, col, strlen(col)) != NULL;
}

bool sql_policy_allows(const policy *p, const char *col)
{
    return p->all || sql_str_in(p->columns, col);
}

static bool is_tenant(const sql_walker *w, const char *col)
{
    const char *tc = w->rw->opts->tenant_column;
    return tc && strcmp(tc, col) == 0;
}

/* ---- parameters ---- */

static int new_param(sql_walker *w, const gh_value *v)
{
    sql_rewriter *rw = w->rw;
    if (rw->nvalues == rw->values_cap) {
        size_t n = rw->values_cap ? rw->values_cap * 2 : 8;
        const gh_value **p = gh_arena_realloc(w->a, rw->values, rw->values_cap * sizeof *p, n * sizeof *p);
        if (!p)
            sql_fail(w, SQL_ENOMEM, "out of memory");
        rw->values = p, rw->values_cap = n;
    }
    rw->values[rw->nvalues++] = v;
    return rw->base + (int)rw->nvalues;
}

int sql_rw_tenant_param(sql_walker *w)
{
    if (!w->rw->tenant_param)
        w->rw->tenant_param = new_param(w, sql_field(w->rw->decision, "tenant"));
    return w->rw->tenant_param;
}

static int scalar_param(sql_walker *w, const gh_value *v, const char *table)
{
    gh_kind k = sql_kind(v);
    if (!v || (k != GH_KIND_STRING && k != GH_KIND_NUMBER && k != GH_KIND_BOOL))
        sql_fail(w, SQL_EDECISION, "decision: a row filter value on %s is not a string, number or boolean", table);
    return new_param(w, v);
}

/* ---- row filters ---- */

static Node *predicate(sql_walker *w, const gh_value *p, const char *qual, const char *table, int depth);

static Node *pred_list(sql_walker *w, const gh_value *items, PgQuery__BoolExprType t, const char *qual,
                       const char *table, int depth)
{
    size_t n = sql_len(items);
    if (sql_kind(items) != GH_KIND_ARRAY || n == 0)
        sql_fail(w, SQL_EDECISION, "decision: row filter on %s: \"and\"/\"or\" need a non-empty list", table);
    Node **args = sql_node_alloc(w, n * sizeof *args);
    for (size_t i = 0; i < n; i++)
        args[i] = predicate(w, sql_at(items, i), qual, table, depth + 1);
    return n == 1 ? args[0] : sql_node_bool(w, t, args, n);
}

static Node *pred_in(sql_walker *w, Node *col, const gh_value *vals, bool negate, const char *table)
{
    size_t n = sql_len(vals);
    if (sql_kind(vals) != GH_KIND_ARRAY || n == 0)
        sql_fail(w, SQL_EDECISION, "decision: row filter on %s: in/not_in need a non-empty list", table);
    PgQuery__List *list = sql_node_alloc(w, sizeof *list);
    *list = (PgQuery__List)PG_QUERY__LIST__INIT;
    list->n_items = n;
    list->items = sql_node_alloc(w, n * sizeof *list->items);
    for (size_t i = 0; i < n; i++)
        list->items[i] = sql_node_param(w, scalar_param(w, sql_at(vals, i), table));
    Node *e = sql_node_op(w, negate ? "<>" : "=", col, sql_node_wrap(w, PG_QUERY__NODE__NODE_LIST, list));
    e->a_expr->kind = PG_QUERY__A__EXPR__KIND__AEXPR_IN;
    return e;
}

/* LIKE with the prefix's own %, _ and \ escaped: the value stays data. */
static Node *pred_prefix(sql_walker *w, Node *col, const gh_value *v, const char *table)
{
    size_t n;
    const char *s = sql_strp(v, &n);
    if (!s)
        sql_fail(w, SQL_EDECISION, "decision: row filter on %s: prefix needs a string", table);
    char *pat = sql_node_alloc(w, 2 * n + 2), *o = pat;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
            *o++ = '\\';
        *o++ = s[i];
    }
    *o++ = '%';
    Node *e = sql_node_op(w, "~~", sql_node_cast(w, col, "text"),
                          sql_node_param(w, new_param(w, gh_value_string(w->a, pat, (size_t)(o - pat)))));
    e->a_expr->kind = PG_QUERY__A__EXPR__KIND__AEXPR_LIKE;
    return e;
}

static Node *pred_compare(sql_walker *w, const gh_value *p, const char *qual, const char *table)
{
    size_t cl, ol;
    const char *col = sql_strp(sql_field(p, "column"), &cl);
    const char *op = sql_strp(sql_field(p, "op"), &ol);
    if (!col || !valid_ident(col, cl) || memchr(col, 0, cl) || !op)
        sql_fail(w, SQL_EDECISION, "decision: row filter on %s needs a valid \"column\" and an \"op\"", table);
    Node *c = sql_node_column(w, qual, col);
    const gh_value *v = sql_field(p, "value");
    static const char *const cmp[][2] = {{"eq", "="}, {"ne", "<>"}, {"lt", "<"},
                                         {"le", "<="}, {"gt", ">"}, {"ge", ">="}};
    for (size_t i = 0; i < 6; i++)
        if (strcmp(op, cmp[i][0]) == 0)
            return sql_node_op(w, cmp[i][1], c, sql_node_param(w, scalar_param(w, v, table)));
    if (strcmp(op, "in") == 0 || strcmp(op, "not_in") == 0)
        return pred_in(w, c, v, op[0] == 'n', table);
    if (strcmp(op, "prefix") == 0)
        return pred_prefix(w, c, v, table);
    if (strcmp(op, "is_null") == 0 || strcmp(op, "not_null") == 0)
        return sql_node_nulltest(w, c, op[0] == 'i');
    sql_fail(w, SQL_EDECISION, "decision: row filter on %s: unknown op \"%.40s\"", table, op);
}

static Node *predicate(sql_walker *w, const gh_value *p, const char *qual, const char *table, int depth)
{
    if (depth > 32 || sql_kind(p) != GH_KIND_OBJECT)
        sql_fail(w, SQL_EDECISION, "decision: row filter on %s is not a predicate object", table);
    const gh_value *v;
    if ((v = sql_field(p, "and")))
        return pred_list(w, v, PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR, qual, table, depth);
    if ((v = sql_field(p, "or")))
        return pred_list(w, v, PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR, qual, table, depth);
    if ((v = sql_field(p, "not"))) {
        Node *arg = predicate(w, v, qual, table, depth + 1);
        return sql_node_bool(w, PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR, &arg, 1);
    }
    return pred_compare(w, p, qual, table);
}

bool sql_pred_mentions(const gh_value *p, const char *col, int depth)
{
    if (!p || depth > 32)
        return false;
    if (sql_kind(p) == GH_KIND_ARRAY) {
        for (size_t i = 0; i < sql_len(p); i++)
            if (sql_pred_mentions(sql_at(p, i), col, depth + 1))
                return true;
        return false;
    }
    size_t n;
    const char *c = sql_strp(sql_field(p, "column"), &n);
    if (c && n == strlen(col) && memcmp(c, col, n) == 0)
        return true;
    return sql_pred_mentions(sql_field(p, "and"), col, depth + 1) || sql_pred_mentions(sql_field(p, "or"), col, depth + 1) ||
           sql_pred_mentions(sql_field(p, "not"), col, depth + 1);
}

/* tenant = $t AND <row filter>, columns qualified by `qual` (NULL: unqualified). */
Node *sql_rw_constraint(sql_walker *w, int t, const char *qual)
{
    const char *table = w->d->tables[t].name;
    policy *p = sql_rw_policy(w, t);
    Node *c = NULL;
    if (w->rw->opts->tenant_column)
        c = sql_node_op(w, "=", sql_node_column(w, qual, w->rw->opts->tenant_column),
                        sql_node_param(w, sql_rw_tenant_param(w)));
    if (p->filter)
        c = sql_node_and(w, c, predicate(w, p->filter, qual, table, 0));
    return c;
}

/* ---- masks ---- */

static Node *call1(sql_walker *w, const char *fn, Node *a) { return sql_node_call(w, fn, &a, 1); }
static Node *call2(sql_walker *w, const char *fn, Node *a, Node *b)
{
    Node *args[2] = {a, b};
    return sql_node_call(w, fn, args, 2);
}
static Node *call3(sql_walker *w, const char *fn, Node *a, Node *b, Node *c)
{
    Node *args[3] = {a, b, c};
    return sql_node_call(w, fn, args, 3);
}

static Node *as_text(sql_walker *w, const char *col) { return sql_node_cast(w, sql_node_column(w, NULL, col), "text"); }

static Node *mask_expr(sql_walker *w, const gh_value *m, const char *col, const char *table)
{
    if (sql_kind(m) == GH_KIND_OBJECT && sql_field(m, "value"))
        return sql_node_param(w, scalar_param(w, sql_field(m, "value"), table));
    size_t n;
    const char *k = sql_kind(m) == GH_KIND_ARRAY ? "null" : sql_strp(m, &n);
    if (!k)
        k = "";
    if (strcmp(k, "null") == 0)
        return sql_node_null(w);
    if (strcmp(k, "redact") == 0)
        return call3(w, "translate", as_text(w, col),
                     sql_node_const_str(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
                     sql_node_const_str(w, "xxxxxxxxxxxxxxxxxxxxxxxxxxXXXXXXXXXXXXXXXXXXXXXXXXXX0000000000"));
    if (strcmp(k, "show_first_4") == 0 || strcmp(k, "show_last_4") == 0) {
        bool first = k[5] == 'f';
        Node *part = call2(w, first ? "left" : "right", as_text(w, col), sql_node_const_int(w, 4));
        return call3(w, first ? "rpad" : "lpad", part, call1(w, "length", as_text(w, col)),
                     sql_node_const_str(w, "*"));
    }
    if (strcmp(k, "hash") == 0)
        return call2(w, "encode", call1(w, "sha256", call2(w, "convert_to", as_text(w, col), sql_node_const_str(w, "UTF8"))),
                     sql_node_const_str(w, "hex"));
    if (strcmp(k, "year_only") == 0)
        return sql_node_cast(w, call2(w, "date_trunc", sql_node_const_str(w, "year"), sql_node_column(w, NULL, col)), "date");
    sql_fail(w, SQL_EDECISION, "decision: unknown mask \"%.40s\" for %s.%s", k, table, col);
}

/* ---- the derived table ---- */

static void add_target(sql_walker *w, PgQuery__SelectStmt *sel, Node *t, size_t *cap)
{
    if (sel->n_target_list == *cap) {
        size_t n = *cap ? *cap * 2 : 8;
        Node **p = gh_arena_realloc(w->a, sel->target_list, *cap * sizeof *p, n * sizeof *p);
        if (!p)
            sql_fail(w, SQL_ENOMEM, "out of memory");
        sel->target_list = p, *cap = n;
    }
    sel->target_list[sel->n_target_list++] = t;
}

static void column_target(sql_walker *w, PgQuery__SelectStmt *sel, size_t *cap, const policy *p,
                          const char *col, const char *table)
{
    const gh_value *m = mask_of(p, col);
    if (!valid_ident(col, strlen(col)))
        sql_fail(w, SQL_EDECISION, "decision: \"%.63s\" on %s is not a column name", col, table);
    add_target(w, sel, m ? sql_node_res_target(w, col, mask_expr(w, m, col, table))
                         : sql_node_res_target(w, NULL, sql_node_column(w, NULL, col)), cap);
}

static bool in_list(const char *const *cols, size_t n, const char *c)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cols[i], c) == 0) return true;
    return false;
}

/* With the table in the catalog: its allowed and masked columns in the table's own order (a
 * SELECT * over the constrained table lists them as over the table itself, which clients
 * reading columns by position rely on), then what the decision names that the catalog does
 * not list (the database will say it does not exist). */
static void catalog_targets(sql_walker *w, PgQuery__SelectStmt *sel, size_t *cap, const policy *p,
                            const char *table, const char *const *cols, size_t ncols)
{
    size_t n;
    for (size_t i = 0; i < ncols; i++)
        if (sql_policy_allows(p, cols[i]) || sql_policy_masks(p, cols[i]))
            column_target(w, sel, cap, p, cols[i], table);
    for (size_t i = 0; !p->all && i < sql_len(p->columns); i++) {
        const char *c = sql_strp(sql_at(p->columns, i), &n);
        if (!c)
            sql_fail(w, SQL_EDECISION, "decision: columns[\"%s\"] must hold names", table);
        if (!in_list(cols, ncols, c)) column_target(w, sel, cap, p, c, table);
    }
}

/* Allowed columns, then masked ones not listed: in the catalog's order when the table is in
 * it, else in the decision's. */
static void derived_targets(sql_walker *w, PgQuery__SelectStmt *sel, const policy *p, const char *table)
{
    size_t cap = 0, n;
    if (p->all && !p->masks) {
        add_target(w, sel, sql_node_res_target(w, NULL, sql_node_star(w)), &cap);
        return;
    }
    const char *const *cols = sql_catalog_columns(w->catalog, table, &n);
    if (cols) {
        catalog_targets(w, sel, &cap, p, table, cols, n);
    } else if (p->all) {
        sql_fail(w, SQL_ECATALOG, "masking columns of %s needs its columns: %s is not in the catalog", table, table);
    } else {
        for (size_t i = 0; i < sql_len(p->columns); i++) {
            const char *c = sql_strp(sql_at(p->columns, i), &n);
            if (!c)
                sql_fail(w, SQL_EDECISION, "decision: columns[\"%s\"] must hold names", table);
            column_target(w, sel, &cap, p, c, table);
        }
    }
    size_t ncat = cols ? n : 0;
    for (size_t i = 0; sql_kind(p->masks) == GH_KIND_OBJECT && i < sql_len(p->masks); i++) {
        const char *c = sql_strp(gh_object_key_at(p->masks, i), &n);
        if (!sql_policy_allows(p, c) && !(cols && in_list(cols, ncat, c)))
            column_target(w, sel, &cap, p, c, table);
    }
    for (size_t i = 0; sql_kind(p->masks) == GH_KIND_ARRAY && i < sql_len(p->masks); i++) {
        const char *c = sql_strp(sql_at(p->masks, i), &n);
        if (c && !sql_policy_allows(p, c) && !(cols && in_list(cols, ncat, c)))
            column_target(w, sel, &cap, p, c, table);
    }
    if (sel->n_target_list == 0)
        sql_fail(w, SQL_EDENIED, "no column of %s is allowed", table);
}

void sql_rw_from_table(sql_walker *w, Node *node, PgQuery__RangeVar *rv, int t)
{
    const char *table = w->d->tables[t].name;
    policy *p = sql_rw_policy(w, t);
    PgQuery__SelectStmt *sel = sql_node_alloc(w, sizeof *sel);
    *sel = (PgQuery__SelectStmt)PG_QUERY__SELECT_STMT__INIT;
    sel->op = PG_QUERY__SET_OPERATION__SETOP_NONE;
    sel->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
    derived_targets(w, sel, p, table);
    PgQuery__RangeVar *base = sql_node_alloc(w, sizeof *base);
    *base = (PgQuery__RangeVar)PG_QUERY__RANGE_VAR__INIT;
    size_t sl = strlen(table) - strlen(rv->relname) - 1;
    base->schemaname = (char *)gh_arena_strndup(w->a, table, sl);
    base->relname = rv->relname;
    base->inh = rv->inh;
    base->relpersistence = "p";
    base->location = -1;
    if (!base->schemaname)
        sql_fail(w, SQL_ENOMEM, "out of memory");
    sel->n_from_clause = 1;
    sel->from_clause = sql_node_alloc(w, sizeof(Node *));
    sel->from_clause[0] = sql_node_wrap(w, PG_QUERY__NODE__NODE_RANGE_VAR, base);
    sel->where_clause = sql_rw_constraint(w, t, NULL);
    PgQuery__RangeSubselect *rs = sql_node_alloc(w, sizeof *rs);
    *rs = (PgQuery__RangeSubselect)PG_QUERY__RANGE_SUBSELECT__INIT;
    rs->subquery = sql_node_wrap(w, PG_QUERY__NODE__NODE_SELECT_STMT, sel);
    rs->alias = sql_node_alloc(w, sizeof *rs->alias);
    *rs->alias = (PgQuery__Alias)PG_QUERY__ALIAS__INIT;
    rs->alias->aliasname = rv->alias ? rv->alias->aliasname : rv->relname;
    node->node_case = PG_QUERY__NODE__NODE_RANGE_SUBSELECT;
    node->range_subselect = rs;
}

/* ---- hooks for each use the walk finds ---- */

void sql_rw_system_check(sql_walker *w, int t) { sql_rw_policy(w, t); }

void sql_rw_column(sql_walker *w, const sql_range *r, const char *col, bool write)
{
    const char *table = w->d->tables[r->table].name;
    policy *p = sql_rw_policy(w, r->table);
    size_t n;
    const char *const *known = sql_catalog_columns(w->catalog, table, &n);
    bool found = !known;
    for (size_t i = 0; known && i < n && !found; i++)
        found = strcmp(known[i], col) == 0;
    if (!found) /* "*" in a decision means the catalog's columns, not any name */
        sql_fail(w, SQL_EDENIED, "column %s.%s is not in the catalog", table, col);
    if (write && is_tenant(w, col))
        return; /* its value is checked by the INSERT rules; SET of it is denied */
    if (r->target || write) {
        if (!sql_policy_allows(p, col))
            sql_fail(w, SQL_EDENIED, "column %s.%s is not allowed", table, col);
        if (sql_policy_masks(p, col))
            sql_fail(w, SQL_EDENIED, "column %s.%s is masked: it cannot be %s here", table, col,
                     write ? "written" : "read unmasked");
        return;
    }
    if (!sql_policy_allows(p, col) && !sql_policy_masks(p, col))
        sql_fail(w, SQL_EDENIED, "column %s.%s is not allowed", table, col);
}

void sql_rw_star(sql_walker *w, const sql_range *r)
{
    if (!r->target)
        return; /* a derived table's * is its allowed columns */
    size_t n;
    const char *const *cols = sql_catalog_columns(w->catalog, w->d->tables[r->table].name, &n);
    for (size_t i = 0; cols && i < n; i++)
        sql_rw_column(w, r, cols[i], false);
}

static bool name_matches(const char *pattern, const char *name)
{
    size_t n = strlen(pattern);
    if (n && pattern[n - 1] == '*')
        return strncmp(pattern, name, n - 1) == 0;
    return strcmp(pattern, name) == 0;
}

void sql_rw_function(sql_walker *w, const char *name)
{
    const char *const *deny = w->rw->opts->deny_functions ? w->rw->opts->deny_functions
                                                          : sql_default_deny_functions;
    for (size_t i = 0; deny[i]; i++) {
        if (!name_matches(deny[i], name))
            continue;
        const gh_value *allowed = sql_field(w->rw->decision, "functions");
        if (sql_kind(allowed) == GH_KIND_ARRAY && sql_str_in(allowed, name))
            return;
        sql_fail(w, SQL_EDENIED, "function %s is not allowed", name);
    }
}
