/* sql_rewrite's statement level: which statements may pass at all, the write rules (WHERE
 * predicates for UPDATE/DELETE, tenant values for INSERT, ON CONFLICT), the final check of
 * the rewritten text, and the parameter list in the caller's placeholder style. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_internal.h"

/* ---- statements denied before anything else, each with its own reason ---- */

static const char *set_target(const PgQuery__VariableSetStmt *v)
{
    static const char *const guarded[] = {"role", "session_authorization", "search_path"};
    for (size_t i = 0; i < 3; i++)
        if (v->name && strcmp(v->name, guarded[i]) == 0)
            return guarded[i];
    return v->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL ? "all" : NULL;
}

static bool explain_analyze(const PgQuery__ExplainStmt *e)
{
    for (size_t i = 0; i < e->n_options; i++) {
        const Node *o = e->options[i];
        if (o->node_case != PG_QUERY__NODE__NODE_DEF_ELEM || strcmp(o->def_elem->defname, "analyze") != 0)
            continue;
        const Node *arg = o->def_elem->arg;
        bool off = arg && arg->node_case == PG_QUERY__NODE__NODE_BOOLEAN && !arg->boolean->boolval;
        if (!off)
            return true;
    }
    return false;
}

static Node *statement_gate(sql_walker *w, const sql_description *d, Node *n)
{
    if (d->several)
        sql_fail(w, SQL_EDENIED, "several statements in one request are not allowed");
    if (d->writes_in_with)
        sql_fail(w, SQL_EDENIED, "a data-modifying statement in WITH is not allowed");
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_SELECT_STMT:
    case PG_QUERY__NODE__NODE_INSERT_STMT:
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
    case PG_QUERY__NODE__NODE_DELETE_STMT: return n;
    case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
        if (explain_analyze(n->explain_stmt))
            sql_fail(w, SQL_EDENIED, "EXPLAIN ANALYZE is not allowed (it runs the statement)");
        return statement_gate(w, d, n->explain_stmt->query);
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT: {
        const char *t = set_target(n->variable_set_stmt);
        if (t)
            sql_fail(w, SQL_EDENIED, "SET/RESET of %s is not allowed", t);
        sql_fail(w, SQL_EDENIED, "SET/RESET is not allowed (the session is shared)");
    }
    case PG_QUERY__NODE__NODE_COPY_STMT: sql_fail(w, SQL_EDENIED, "COPY is not allowed");
    case PG_QUERY__NODE__NODE_DO_STMT: sql_fail(w, SQL_EDENIED, "DO is not allowed");
    case PG_QUERY__NODE__NODE_CALL_STMT: sql_fail(w, SQL_EDENIED, "CALL is not allowed");
    case PG_QUERY__NODE__NODE_PREPARE_STMT: sql_fail(w, SQL_EDENIED, "PREPARE is not allowed");
    case PG_QUERY__NODE__NODE_EXECUTE_STMT: sql_fail(w, SQL_EDENIED, "EXECUTE is not allowed");
    case PG_QUERY__NODE__NODE_MERGE_STMT: sql_fail(w, SQL_EDENIED, "MERGE is not allowed: it cannot be constrained yet");
    default: break;
    }
    if (d->action == SQL_DDL)
        sql_fail(w, SQL_EDENIED, "DDL is not allowed");
    sql_fail(w, SQL_EDENIED, "%s is not allowed", ((ProtobufCMessage *)n->range_var)->descriptor->short_name);
}

/* ---- writes ---- */

static const char *target_name(const PgQuery__RangeVar *rv)
{
    return rv->alias ? rv->alias->aliasname : rv->relname;
}

static int target_table(sql_walker *w, const PgQuery__RangeVar *rv, const char *verb)
{
    for (size_t i = 0; i < w->d->ntables; i++) {
        const char *name = w->d->tables[i].name;
        size_t n = strlen(name), r = strlen(rv->relname);
        if (n > r && strcmp(name + n - r, rv->relname) == 0 && name[n - r - 1] == '.' &&
            (!rv->schemaname[0] || (strncmp(name, rv->schemaname, n - r - 1) == 0 && strlen(rv->schemaname) == n - r - 1)))
            return (int)i;
    }
    sql_fail(w, SQL_EINTERNAL, "the target of %s was not described", verb);
}

/* SET may not move a row out of the tenant or out of its row filter. */
static void check_set_list(sql_walker *w, Node **items, size_t n, int t)
{
    const sql_policy *p = sql_rw_policy(w, t);
    const char *tc = w->rw->opts->tenant_column;
    for (size_t i = 0; i < n; i++) {
        const char *col = items[i]->res_target->name;
        if (tc && strcmp(col, tc) == 0)
            sql_fail(w, SQL_EDENIED, "the tenant column %s of %s cannot be updated", col, w->d->tables[t].name);
        if (sql_pred_mentions(p->filter, col, 0))
            sql_fail(w, SQL_EDENIED, "column %s.%s is in the row filter: it cannot be updated",
                     w->d->tables[t].name, col);
    }
}

static void constrain_update(sql_walker *w, PgQuery__UpdateStmt *u)
{
    int t = target_table(w, u->relation, "UPDATE");
    check_set_list(w, u->target_list, u->n_target_list, t);
    u->where_clause = sql_node_and(w, u->where_clause, sql_rw_constraint(w, t, target_name(u->relation)));
}

static void constrain_delete(sql_walker *w, PgQuery__DeleteStmt *d)
{
    int t = target_table(w, d->relation, "DELETE");
    d->where_clause = sql_node_and(w, d->where_clause, sql_rw_constraint(w, t, target_name(d->relation)));
}

static bool const_is_tenant(const Node *n, const gh_value *tenant)
{
    if (!n || n->node_case != PG_QUERY__NODE__NODE_A_CONST || n->a_const->isnull)
        return false;
    const PgQuery__AConst *c = n->a_const;
    size_t tl;
    const char *ts = sql_strp(tenant, &tl);
    int64_t ti;
    if (c->val_case == PG_QUERY__A__CONST__VAL_SVAL && ts)
        return strlen(c->sval->sval) == tl && memcmp(c->sval->sval, ts, tl) == 0;
    if (c->val_case == PG_QUERY__A__CONST__VAL_IVAL && gh_number_get_int(tenant, &ti))
        return c->ival->ival == ti;
    return false;
}

/* The tenant column of every new row: a literal equal to the tenant becomes the tenant
 * parameter; absent, it is added; anything else is denied. */
static void tenant_value(sql_walker *w, Node **slot, const char *table)
{
    const gh_value *tenant = sql_field(w->rw->decision, "tenant");
    Node *v = *slot;
    if (v->node_case == PG_QUERY__NODE__NODE_RES_TARGET)
        slot = &v->res_target->val, v = *slot;
    if (!const_is_tenant(v, tenant))
        sql_fail(w, SQL_EDENIED, "INSERT into %s: the tenant column must be the tenant (a literal equal to it, or left out)",
                 table);
    *slot = sql_node_param(w, sql_rw_tenant_param(w));
}

static Node **append_node(sql_walker *w, Node **items, size_t n, Node *x)
{
    Node **p = sql_node_alloc(w, (n + 1) * sizeof *p);
    if (n)
        memcpy(p, items, n * sizeof *p);
    p[n] = x;
    return p;
}

static size_t insert_width(sql_walker *w, PgQuery__SelectStmt *s, const char *table)
{
    if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
        sql_fail(w, SQL_EDENIED, "INSERT into %s from a UNION/INTERSECT/EXCEPT is not allowed", table);
    if (s->n_values_lists)
        return s->values_lists[0]->list->n_items;
    for (size_t i = 0; i < s->n_target_list; i++) {
        const Node *v = s->target_list[i]->res_target->val;
        if (v && v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
            v->column_ref->fields[v->column_ref->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR)
            sql_fail(w, SQL_EDENIED, "INSERT into %s from SELECT *: name the columns", table);
    }
    return s->n_target_list;
}

/* INSERT without a column list: the catalog's first columns, named explicitly. */
static void insert_columns(sql_walker *w, PgQuery__InsertStmt *ins, size_t width, const char *table)
{
    size_t n;
    const char *const *cols = sql_catalog_columns(w->catalog, table, &n);
    if (!cols)
        sql_fail(w, SQL_EDENIED, "INSERT into %s without a column list needs %s in the catalog", table, table);
    if (width > n)
        sql_fail(w, SQL_EDENIED, "INSERT into %s has more values than the table has columns", table);
    ins->cols = sql_node_alloc(w, (width ? width : 1) * sizeof *ins->cols);
    ins->n_cols = width;
    for (size_t i = 0; i < width; i++) {
        ins->cols[i] = sql_node_res_target(w, cols[i], NULL);
        sql_rw_column(w, &(sql_range){.name = "", .table = target_table(w, ins->relation, "INSERT"), .target = true},
                      cols[i], true);
    }
}

static void constrain_rows(sql_walker *w, PgQuery__InsertStmt *ins, const char *table)
{
    PgQuery__SelectStmt *s = ins->select_stmt->select_stmt;
    const char *tc = w->rw->opts->tenant_column;
    size_t ti = ins->n_cols;
    for (size_t i = 0; i < ins->n_cols; i++)
        if (strcmp(ins->cols[i]->res_target->name, tc) == 0)
            ti = i;
    if (ti == ins->n_cols)
        ins->cols = append_node(w, ins->cols, ins->n_cols++, sql_node_res_target(w, tc, NULL));
    for (size_t r = 0; r < s->n_values_lists; r++) {
        PgQuery__List *row = s->values_lists[r]->list;
        if (ti < row->n_items)
            tenant_value(w, &row->items[ti], table);
        else
            row->items = append_node(w, row->items, row->n_items++, sql_node_param(w, sql_rw_tenant_param(w)));
    }
    if (!s->n_values_lists) {
        if (ti < s->n_target_list)
            tenant_value(w, &s->target_list[ti], table);
        else
            s->target_list = append_node(w, s->target_list, s->n_target_list++,
                                         sql_node_res_target(w, NULL, sql_node_param(w, sql_rw_tenant_param(w))));
    }
}

static void constrain_insert(sql_walker *w, PgQuery__InsertStmt *ins)
{
    int t = target_table(w, ins->relation, "INSERT");
    const char *table = w->d->tables[t].name;
    const sql_policy *p = sql_rw_policy(w, t);
    if (p->filter)
        sql_fail(w, SQL_EDENIED, "INSERT into %s: its row filter cannot be checked on new rows", table);
    if (!ins->select_stmt) {
        if (w->rw->opts->tenant_column)
            sql_fail(w, SQL_EDENIED, "INSERT into %s with DEFAULT VALUES cannot set the tenant", table);
        return;
    }
    size_t width = insert_width(w, ins->select_stmt->select_stmt, table);
    if (!ins->n_cols)
        insert_columns(w, ins, width, table);
    else if (width != ins->n_cols)
        sql_fail(w, SQL_EDENIED, "INSERT into %s: %zu columns but %zu values", table, ins->n_cols, width);
    if (w->rw->opts->tenant_column)
        constrain_rows(w, ins, table);
    PgQuery__OnConflictClause *oc = ins->on_conflict_clause;
    if (oc && oc->action == PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_UPDATE) {
        /* the conflicting row may be another tenant's: update it only when it is ours */
        check_set_list(w, oc->target_list, oc->n_target_list, t);
        oc->where_clause = sql_node_and(w, oc->where_clause, sql_rw_constraint(w, t, target_name(ins->relation)));
    }
}

static void constrain_writes(sql_walker *w, Node *n)
{
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_EXPLAIN_STMT: constrain_writes(w, n->explain_stmt->query); break;
    case PG_QUERY__NODE__NODE_UPDATE_STMT: constrain_update(w, n->update_stmt); break;
    case PG_QUERY__NODE__NODE_DELETE_STMT: constrain_delete(w, n->delete_stmt); break;
    case PG_QUERY__NODE__NODE_INSERT_STMT: constrain_insert(w, n->insert_stmt); break;
    default: break;
    }
}

/* ---- the decision's top level ---- */

static void decision_gate(sql_walker *w, const gh_value *dec, const sql_rewrite_opts *o)
{
    if (sql_kind(dec) == GH_KIND_BOOL && sql_true(dec) && !o->tenant_column)
        return;
    const gh_value *allow = sql_field(dec, "allow");
    if (sql_kind(dec) != GH_KIND_OBJECT && sql_kind(dec) != GH_KIND_BOOL)
        sql_fail(w, SQL_EDECISION, "decision: expected an object or a boolean");
    if (!allow || !sql_true(allow)) {
        size_t n;
        const char *r = sql_strp(sql_field(dec, "reason"), &n);
        sql_fail(w, SQL_EDENIED, "%.*s", r ? (int)(n > 200 ? 200 : n) : 19, r ? r : "the decision denies");
    }
    const gh_value *tenant = sql_field(dec, "tenant");
    gh_kind k = sql_kind(tenant);
    if (o->tenant_column && (!tenant || (k != GH_KIND_STRING && k != GH_KIND_NUMBER)))
        sql_fail(w, SQL_EDECISION, "decision: no tenant (a string or number) to confine %s to", o->tenant_column);
    if (!o->tenant_column && tenant)
        sql_fail(w, SQL_EDECISION, "decision: a tenant, but no tenant column is configured to enforce it");
    if (o->tenant_column && !(strlen(o->tenant_column) && strlen(o->tenant_column) <= 63))
        sql_fail(w, SQL_EDECISION, "the tenant column name is not a valid identifier");
}

/* ---- the final check: the rewritten text, parsed and described again ---- */

static void check_table(sql_walker *w, const sql_table *t2)
{
    int t = sql_table_index(w, t2->name);
    if (t < 0)
        sql_fail(w, SQL_EINTERNAL, "the rewrite reads %s, which the request did not name", t2->name);
    const sql_policy *p = sql_rw_policy(w, t);
    for (size_t i = 0; i < t2->ncolumns; i++) {
        const char *c = t2->columns[i];
        bool ok = strcmp(c, "*") == 0 ? p->all && !p->masks
                                      : sql_policy_allows(p, c) || sql_policy_masks(p, c) ||
                                            (w->rw->opts->tenant_column && strcmp(c, w->rw->opts->tenant_column) == 0) ||
                                            sql_pred_mentions(p->filter, c, 0);
        if (!ok)
            sql_fail(w, SQL_EINTERNAL, "the rewrite reads %s.%s, which is not allowed", t2->name, c);
    }
}

static int compare_location(const void *a, const void *b)
{
    const sql_param_at *x = a, *y = b;
    return (x->location > y->location) - (x->location < y->location);
}

/* Parses `sql` again; fills w2 (a fresh walk) and checks it against the policies of w. */
static void recheck(sql_walker *w, const char *sql, sql_walker *w2, sql_description *d2, jmp_buf *fail2)
{
    sql_tree *tree;
    int rc = sql_tree_parse(sql, w->a, &tree, w->err);
    if (rc != 0)
        sql_fail(w, rc == SQL_ENOMEM ? rc : SQL_EINTERNAL, "the rewritten statement does not parse again");
    sql_error err2;
    if (setjmp(*fail2))
        sql_fail(w, err2.code == SQL_ENOMEM ? SQL_ENOMEM : SQL_EINTERNAL,
                 "the rewritten statement does not describe again: %s", err2.msg);
    sql_walk_init(w2, w->a, w->catalog, NULL, d2, &err2, fail2);
    w2->search_path = w->search_path, w2->nsearch = w->nsearch;
    w2->star_unknown_ok = true;
    w2->collect_params = true;
    sql_walk_statements(w2, tree->root);
    if (d2->several)
        sql_fail(w, SQL_EINTERNAL, "the rewrite made several statements");
    for (size_t i = 0; i < d2->ntables; i++)
        check_table(w, &d2->tables[i]);
    int expect = w->rw->base + (int)w->rw->nvalues;
    if (d2->nparams > expect)
        sql_fail(w, SQL_EINTERNAL, "the rewrite has $%d, more parameters than it made", d2->nparams);
}

static void fill_params(sql_walker *w, const sql_walker *w2, const char *sql, sql_param_style style,
                        sql_rewrite_result *out)
{
    const sql_rewriter *rw = w->rw;
    size_t n = style == SQL_PARAMS_QMARK ? w2->nparams_seen : (size_t)rw->base + rw->nvalues;
    out->params = sql_node_alloc(w, (n ? n : 1) * sizeof *out->params);
    out->nparams = n;
    out->sql = sql;
    if (style == SQL_PARAMS_DOLLAR) {
        for (size_t i = 0; i < n; i++)
            out->params[i] = (int)i < rw->base ? (sql_param){.request_index = (int)i + 1}
                                               : (sql_param){.value = rw->values[i - (size_t)rw->base]};
        return;
    }
    /* ? binds by position: each $k of the deparsed text, left to right, becomes ? */
    sql_param_at *at = sql_node_alloc(w, (n ? n : 1) * sizeof *at);
    if (n)
        memcpy(at, w2->params, n * sizeof *at);
    qsort(at, n, sizeof *at, compare_location);
    gh_buf b;
    gh_buf_init(&b, 0);
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        size_t loc = (size_t)at[i].location, end = loc + 1;
        while (sql[end] >= '0' && sql[end] <= '9')
            end++;
        gh_buf_append(&b, sql + from, loc - from);
        gh_buf_putc(&b, '?');
        from = end;
        int k = at[i].number;
        out->params[i] = k <= rw->base ? (sql_param){.request_index = k}
                                       : (sql_param){.value = rw->values[k - rw->base - 1]};
    }
    gh_buf_puts(&b, sql + from);
    out->sql = b.failed ? NULL : gh_arena_strndup(w->a, b.data ? b.data : "", b.len);
    gh_buf_free(&b);
    if (!out->sql)
        sql_fail(w, SQL_ENOMEM, "out of memory");
    /* a ? that is not a placeholder (an operator) would shift every binding after it */
    if (sql_count_qmarks(out->sql, strlen(out->sql)) != (int)n)
        sql_fail(w, SQL_EDENIED, "a ? operator cannot be used with ? placeholders");
}

int sql_rewrite(const sql_description *d, const gh_value *decision, const sql_rewrite_opts *opts,
                gh_arena *a, sql_rewrite_result *out, sql_error *err)
{
    memset(out, 0, sizeof *out);
    err->code = 0;
    err->msg[0] = 0;
    if (!d->tree || d->tree->consumed) {
        err->code = SQL_EINTERNAL;
        snprintf(err->msg, sizeof err->msg, "sql_rewrite needs a fresh description");
        return err->code;
    }
    d->tree->consumed = true;
    jmp_buf fail, fail2;
    sql_walker w, w2;
    sql_description scratch, d2;
    sql_rewriter rw = {.decision = decision, .opts = opts, .orig = d, .base = d->nparams};
    memset(&scratch, 0, sizeof scratch);
    memset(&d2, 0, sizeof d2);
    if (setjmp(fail))
        return err->code;
    sql_walk_init(&w, a, opts->catalog, opts->search_path, &scratch, err, &fail);
    decision_gate(&w, decision, opts);
    if (d->tree->root->n_stmts == 0)
        sql_fail(&w, SQL_EDENIED, "the request holds no statement");
    statement_gate(&w, d, d->tree->root->stmts[0]->stmt);
    w.rw = &rw;
    sql_walk_statements(&w, d->tree->root);
    constrain_writes(&w, d->tree->root->stmts[0]->stmt);
    const char *sql;
    if (sql_tree_deparse(d->tree, a, &sql, err) != 0)
        return err->code;
    recheck(&w, sql, &w2, &d2, &fail2);
    fill_params(&w, &w2, sql, opts->style, out);
    return 0;
}
