/* The scoped walk over a parse tree, shared by describe and rewrite: which names in FROM are
 * base tables (not CTEs, subqueries or functions), which table each column reference reads,
 * which functions are called. Expressions are walked generically through protobuf-c's
 * descriptors, so no node kind can hide a column, a call or a subquery from us; only the
 * nodes that open scopes are handled by hand. In rewrite mode (w->rw) the same walk calls
 * rewrite.c's hooks, which check each use and wrap each base table. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sql_internal.h"

#define MAX_DEPTH 400 /* nesting deeper than libpg_query's own stack check lets through */

void sql_fail(sql_walker *w, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    w->err->code = code;
    vsnprintf(w->err->msg, sizeof w->err->msg, fmt, ap);
    va_end(ap);
    longjmp(*w->fail, 1);
}

const char *sql_strdup(sql_walker *w, const char *s)
{
    char *p = gh_arena_strndup(w->a, s, strlen(s));
    if (!p)
        sql_fail(w, SQL_ENOMEM, "out of memory");
    return p;
}

static void *grow(sql_walker *w, void *arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = gh_arena_realloc(w->a, arr, *cap * size, ncap * size);
    if (!p)
        sql_fail(w, SQL_ENOMEM, "out of memory");
    *cap = ncap;
    return p;
}

bool sql_str_in(const gh_value *arr, const char *s)
{
    size_t n = sql_len(arr), len = strlen(s);
    for (size_t i = 0; i < n; i++) {
        size_t l;
        const char *p = sql_strp(sql_at(arr, i), &l);
        if (p && l == len && memcmp(p, s, l) == 0)
            return true;
    }
    return false;
}

/* ---- the description being filled ---- */

int sql_table_index(sql_walker *w, const char *name)
{
    for (size_t i = 0; i < w->d->ntables; i++)
        if (strcmp(w->d->tables[i].name, name) == 0)
            return (int)i;
    return -1;
}

static size_t g_unused;

/* Description arrays grow from 8 by doubling, so their capacity follows from their count. */
static size_t implied_cap(size_t n)
{
    size_t c = 8;
    while (n && c < n)
        c *= 2;
    return n ? c : 0;
}

static int add_table(sql_walker *w, const char *name)
{
    int i = sql_table_index(w, name);
    if (i >= 0)
        return i;
    sql_description *d = w->d;
    size_t cap = implied_cap(d->ntables);
    d->tables = grow(w, d->tables, &cap, d->ntables, sizeof *d->tables);
    d->tables[d->ntables] = (sql_table){.name = sql_strdup(w, name)};
    return (int)d->ntables++;
}

static void add_column(sql_walker *w, int table, const char *col)
{
    sql_table *t = &w->d->tables[table];
    for (size_t i = 0; i < t->ncolumns; i++)
        if (strcmp(t->columns[i], col) == 0)
            return;
    size_t cap = implied_cap(t->ncolumns);
    t->columns = grow(w, t->columns, &cap, t->ncolumns, sizeof *t->columns);
    t->columns[t->ncolumns++] = sql_strdup(w, col);
}

static void add_function(sql_walker *w, const char *name)
{
    sql_description *d = w->d;
    for (size_t i = 0; i < d->nfunctions; i++)
        if (strcmp(d->functions[i], name) == 0)
            return;
    size_t cap = implied_cap(d->nfunctions);
    d->functions = grow(w, d->functions, &cap, d->nfunctions, sizeof *d->functions);
    d->functions[d->nfunctions++] = sql_strdup(w, name);
}

static const char *str_node(const Node *n)
{
    return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

/* ---- names: schema resolution and scopes ---- */

static const char *qualify(sql_walker *w, const PgQuery__RangeVar *rv)
{
    if (rv->catalogname && rv->catalogname[0])
        sql_fail(w, SQL_EUNSUPPORTED, "cross-database reference %s.%s.%s is not supported",
                 rv->catalogname, rv->schemaname, rv->relname);
    char buf[300];
    if (rv->schemaname && rv->schemaname[0]) {
        snprintf(buf, sizeof buf, "%s.%s", rv->schemaname, rv->relname);
        return sql_strdup(w, buf);
    }
    /* PostgreSQL searches pg_catalog first; every system relation is named pg_* */
    if (strncmp(rv->relname, "pg_", 3) == 0) {
        snprintf(buf, sizeof buf, "pg_catalog.%s", rv->relname);
        return sql_strdup(w, buf);
    }
    for (size_t i = 0; w->catalog && i < w->nsearch; i++) {
        snprintf(buf, sizeof buf, "%s.%s", w->search_path[i], rv->relname);
        if (sql_catalog_columns(w->catalog, buf, &g_unused))
            return sql_strdup(w, buf);
    }
    snprintf(buf, sizeof buf, "%s.%s", w->nsearch ? w->search_path[0] : "public", rv->relname);
    return sql_strdup(w, buf);
}

static bool cte_visible(const sql_cte *c, const char *name)
{
    for (; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return true;
    return false;
}

static sql_range *add_range(sql_walker *w, sql_scope *s, const char *name, int table, bool target)
{
    s->ranges = grow(w, s->ranges, &s->cap, s->n, sizeof *s->ranges);
    s->ranges[s->n] = (sql_range){.name = name, .table = table, .target = target};
    return &s->ranges[s->n++];
}

static const sql_range *find_range(const sql_scope *s, const char *name)
{
    for (; s; s = s->up)
        for (size_t i = s->n; i-- > 0;)
            if (strcmp(s->ranges[i].name, name) == 0)
                return &s->ranges[i];
    return NULL;
}

/* ---- column uses ---- */

static void use_column(sql_walker *w, const sql_range *r, const char *col, bool write)
{
    add_column(w, r->table, col);
    if (w->rw)
        sql_rw_column(w, r, col, write);
}

static void use_star(sql_walker *w, const sql_range *r)
{
    size_t n;
    const char *name = w->d->tables[r->table].name;
    const char *const *cols = w->catalog ? sql_catalog_columns(w->catalog, name, &n) : NULL;
    if (!cols) {
        if (!w->star_unknown_ok)
            sql_fail(w, SQL_ECATALOG, "* on %s needs its columns: %s is not in the catalog", name, name);
        add_column(w, r->table, "*");
    }
    for (size_t i = 0; cols && i < n; i++)
        add_column(w, r->table, cols[i]);
    if (w->rw)
        sql_rw_star(w, r);
}

static bool catalog_has(const sql_walker *w, int table, const char *col, bool *known)
{
    size_t n;
    const char *const *cols =
        w->catalog ? sql_catalog_columns(w->catalog, w->d->tables[table].name, &n) : NULL;
    *known = cols != NULL;
    for (size_t i = 0; cols && i < n; i++)
        if (strcmp(cols[i], col) == 0)
            return true;
    return false;
}

/* An unqualified column: the innermost level with a base table that has it (per catalog)
 * wins; a base table missing from the catalog might have it, so it is charged to every such
 * table of that level (over-reporting, never under-reporting). Nothing found: an output
 * alias, or a column of a subquery, CTE or function. */
static void resolve_unqualified(sql_walker *w, const sql_scope *s, const char *col)
{
    for (; s; s = s->up) {
        int found = 0, unknown = 0, other = 0;
        for (size_t i = 0; i < s->n; i++) {
            bool known;
            if (s->ranges[i].table < 0)
                other++;
            else if (catalog_has(w, s->ranges[i].table, col, &known))
                use_column(w, &s->ranges[i], col, false), found++;
            else if (!known)
                unknown++;
        }
        if (found)
            return;
        for (size_t i = 0; unknown && i < s->n; i++) {
            bool known;
            if (s->ranges[i].table >= 0 && (catalog_has(w, s->ranges[i].table, col, &known), !known))
                use_column(w, &s->ranges[i], col, false);
        }
        if (unknown || other)
            return;
    }
}

static void column_ref(sql_walker *w, const PgQuery__ColumnRef *c, const sql_scope *s)
{
    if (w->utility)
        return; /* DDL, MERGE, utility statements: only their tables and calls are described */
    size_t n = c->n_fields;
    bool star = n && c->fields[n - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR;
    const char *col = star ? NULL : str_node(c->fields[n - 1]);
    if (n == 1 && star) {
        for (size_t i = 0; s && i < s->n; i++)
            if (s->ranges[i].table >= 0)
                use_star(w, &s->ranges[i]);
        return;
    }
    if (n == 1) {
        if (col)
            resolve_unqualified(w, s, col);
        return;
    }
    if (n > 3)
        sql_fail(w, SQL_EUNSUPPORTED, "column reference with %zu parts is not supported", n);
    const char *qual = str_node(c->fields[n - 2]);
    const sql_range *r = qual ? find_range(s, qual) : NULL;
    if (!r)
        sql_fail(w, SQL_EUNSUPPORTED, "column reference %s.%s names no table in FROM",
                 qual ? qual : "?", col ? col : "*");
    if (r->table < 0)
        return;
    if (n == 3) {
        const char *schema = str_node(c->fields[0]);
        const char *full = w->d->tables[r->table].name;
        size_t sl = schema ? strlen(schema) : 0;
        if (!schema || strncmp(full, schema, sl) != 0 || full[sl] != '.')
            sql_fail(w, SQL_EUNSUPPORTED, "column reference %s.%s.%s names no table in FROM",
                     schema ? schema : "?", qual, col ? col : "*");
    }
    if (star)
        use_star(w, r);
    else if (col)
        use_column(w, r, col, false);
}

/* ---- the generic expression walk ---- */

static void walk_select(sql_walker *w, PgQuery__SelectStmt *sel, sql_scope *up, const sql_cte *ctes);
static void walk_stmt(sql_walker *w, Node *n, sql_scope *up, const sql_cte *ctes, bool top);

static void function_call(sql_walker *w, const PgQuery__FuncCall *f)
{
    const char *name = f->n_funcname ? str_node(f->funcname[f->n_funcname - 1]) : NULL;
    if (!name)
        sql_fail(w, SQL_EUNSUPPORTED, "a function call without a name");
    add_function(w, name);
    if (w->rw)
        sql_rw_function(w, name);
}

static void walk_msg(sql_walker *w, ProtobufCMessage *m, sql_scope *s, const sql_cte *ctes);

static void walk_field(sql_walker *w, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                       sql_scope *s, const sql_cte *ctes)
{
    char *base = (char *)m;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        if (*(uint32_t *)(base + f->quantifier_offset) != f->id)
            return;
    }
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t n = *(size_t *)(base + f->quantifier_offset);
        ProtobufCMessage **items = *(ProtobufCMessage ***)(base + f->offset);
        for (size_t i = 0; i < n; i++)
            walk_msg(w, items[i], s, ctes);
    } else {
        walk_msg(w, *(ProtobufCMessage **)(base + f->offset), s, ctes);
    }
}

static void walk_msg(sql_walker *w, ProtobufCMessage *m, sql_scope *s, const sql_cte *ctes)
{
    if (!m)
        return;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    if (++w->depth > MAX_DEPTH)
        sql_fail(w, SQL_EUNSUPPORTED, "the statement nests deeper than %d", MAX_DEPTH);
    if (d == &pg_query__column_ref__descriptor) {
        column_ref(w, (PgQuery__ColumnRef *)m, s);
    } else if (d == &pg_query__select_stmt__descriptor) {
        walk_select(w, (PgQuery__SelectStmt *)m, s, ctes);
    } else if (d == &pg_query__range_var__descriptor) {
        /* a table outside FROM: DDL, utility statements; never rewritten */
        PgQuery__RangeVar *rv = (PgQuery__RangeVar *)m;
        if (w->rw)
            sql_fail(w, SQL_EUNSUPPORTED, "table %s in a position that cannot be constrained",
                     rv->relname);
        add_table(w, qualify(w, rv));
    } else if (d == &pg_query__locking_clause__descriptor) {
        /* FOR UPDATE OF a: names FROM items, not tables */
    } else if (d == &pg_query__param_ref__descriptor) {
        PgQuery__ParamRef *p = (PgQuery__ParamRef *)m;
        if (p->number > w->d->nparams)
            w->d->nparams = p->number;
        if (w->collect_params) {
            w->params = grow(w, w->params, &w->params_cap, w->nparams_seen, sizeof *w->params);
            w->params[w->nparams_seen++] = (sql_param_at){p->number, p->location};
        }
    } else {
        if (d == &pg_query__func_call__descriptor)
            function_call(w, (PgQuery__FuncCall *)m);
        if (d == &pg_query__range_table_sample__descriptor && w->rw)
            sql_fail(w, SQL_EUNSUPPORTED, "TABLESAMPLE is not supported");
        if (d == &pg_query__node__descriptor) { /* one of ~250 kinds: straight to it */
            const ProtobufCFieldDescriptor *f =
                protobuf_c_message_descriptor_get_field(d, ((Node *)m)->node_case);
            if (f)
                walk_field(w, m, f, s, ctes);
        } else {
            for (unsigned i = 0; i < d->n_fields; i++)
                if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
                    walk_field(w, m, &d->fields[i], s, ctes);
        }
    }
    w->depth--;
}

static void walk_expr(sql_walker *w, Node *n, sql_scope *s, const sql_cte *ctes)
{
    walk_msg(w, (ProtobufCMessage *)n, s, ctes);
}

static void walk_list(sql_walker *w, Node **items, size_t n, sql_scope *s, const sql_cte *ctes)
{
    for (size_t i = 0; i < n; i++)
        walk_expr(w, items[i], s, ctes);
}

/* ---- FROM ---- */

static void base_table(sql_walker *w, Node *node, PgQuery__RangeVar *rv, sql_scope *s,
                       const sql_cte *ctes)
{
    const char *alias = rv->alias ? rv->alias->aliasname : NULL;
    if (!(rv->schemaname && rv->schemaname[0]) && cte_visible(ctes, rv->relname)) {
        add_range(w, s, alias ? alias : rv->relname, -1, false);
        return;
    }
    int t = add_table(w, qualify(w, rv));
    if (rv->alias && rv->alias->n_colnames && w->rw)
        sql_fail(w, SQL_EUNSUPPORTED, "column aliases on table %s are not supported", rv->relname);
    add_range(w, s, alias ? alias : rv->relname, t, false);
    if (w->rw) {
        sql_rw_system_check(w, t);
        sql_rw_from_table(w, node, rv, t);
    }
}

static void from_item(sql_walker *w, Node *n, sql_scope *s, sql_scope *up, const sql_cte *ctes)
{
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_RANGE_VAR:
        base_table(w, n, n->range_var, s, ctes);
        break;
    case PG_QUERY__NODE__NODE_RANGE_SUBSELECT: {
        PgQuery__RangeSubselect *rs = n->range_subselect;
        walk_stmt(w, rs->subquery, rs->lateral ? s : up, ctes, false);
        add_range(w, s, rs->alias ? rs->alias->aliasname : "", -1, false);
        break;
    }
    case PG_QUERY__NODE__NODE_RANGE_FUNCTION: {
        PgQuery__RangeFunction *rf = n->range_function;
        walk_list(w, rf->functions, rf->n_functions, s, ctes); /* functions see earlier items */
        const char *name = rf->alias ? rf->alias->aliasname : "";
        if (!rf->alias && rf->n_functions) {
            Node *list = rf->functions[0];
            Node *call = list->node_case == PG_QUERY__NODE__NODE_LIST && list->list->n_items
                             ? list->list->items[0] : NULL;
            if (call && call->node_case == PG_QUERY__NODE__NODE_FUNC_CALL && call->func_call->n_funcname)
                name = str_node(call->func_call->funcname[call->func_call->n_funcname - 1]);
        }
        add_range(w, s, name ? name : "", -1, false);
        break;
    }
    case PG_QUERY__NODE__NODE_JOIN_EXPR: {
        PgQuery__JoinExpr *j = n->join_expr;
        if (j->alias)
            sql_fail(w, SQL_EUNSUPPORTED, "an alias on a JOIN (%s) is not supported", j->alias->aliasname);
        from_item(w, j->larg, s, up, ctes);
        from_item(w, j->rarg, s, up, ctes);
        for (size_t i = 0; i < j->n_using_clause; i++)
            if (str_node(j->using_clause[i]))
                resolve_unqualified(w, s, str_node(j->using_clause[i]));
        walk_expr(w, j->quals, s, ctes);
        break;
    }
    default:
        if (w->rw)
            sql_fail(w, SQL_EUNSUPPORTED, "FROM item %s is not supported",
                     ((ProtobufCMessage *)n->range_var)->descriptor->short_name);
        walk_expr(w, n, s, ctes);
    }
}

/* ---- statements ---- */

static const sql_cte *walk_with(sql_walker *w, PgQuery__WithClause *with, sql_scope *up,
                                const sql_cte *ctes)
{
    if (!with)
        return ctes;
    const sql_cte *all = ctes;
    for (size_t i = 0; i < with->n_ctes; i++) { /* a recursive WITH sees all its names */
        sql_cte *c = sql_node_alloc(w, sizeof *c);
        *c = (sql_cte){with->ctes[i]->common_table_expr->ctename, all};
        all = c;
    }
    const sql_cte *seen = ctes;
    for (size_t i = 0; i < with->n_ctes; i++) {
        PgQuery__CommonTableExpr *cte = with->ctes[i]->common_table_expr;
        Node *q = cte->ctequery;
        if (q && q->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
            w->d->writes_in_with = true;
        walk_stmt(w, q, up, with->recursive ? all : seen, false);
        sql_cte *c = sql_node_alloc(w, sizeof *c);
        *c = (sql_cte){cte->ctename, seen}; /* later CTEs see earlier ones only */
        seen = c;
    }
    return all;
}

static void walk_select(sql_walker *w, PgQuery__SelectStmt *sel, sql_scope *up, const sql_cte *ctes)
{
    if (++w->depth > MAX_DEPTH)
        sql_fail(w, SQL_EUNSUPPORTED, "the statement nests deeper than %d", MAX_DEPTH);
    ctes = walk_with(w, sel->with_clause, up, ctes);
    if (sel->into_clause) {
        if (w->rw)
            sql_fail(w, SQL_EDENIED, "SELECT ... INTO is not allowed");
        add_table(w, qualify(w, sel->into_clause->rel));
    }
    if (sel->op != PG_QUERY__SET_OPERATION__SETOP_NONE) {
        walk_select(w, sel->larg, up, ctes);
        walk_select(w, sel->rarg, up, ctes);
        sql_scope outer = {.up = up};
        walk_list(w, sel->sort_clause, sel->n_sort_clause, &outer, ctes);
    } else {
        sql_scope s = {.up = up};
        for (size_t i = 0; i < sel->n_from_clause; i++)
            from_item(w, sel->from_clause[i], &s, up, ctes);
        walk_list(w, sel->target_list, sel->n_target_list, &s, ctes);
        walk_expr(w, sel->where_clause, &s, ctes);
        walk_list(w, sel->group_clause, sel->n_group_clause, &s, ctes);
        walk_expr(w, sel->having_clause, &s, ctes);
        walk_list(w, sel->window_clause, sel->n_window_clause, &s, ctes);
        walk_list(w, sel->distinct_clause, sel->n_distinct_clause, &s, ctes);
        walk_list(w, sel->values_lists, sel->n_values_lists, &s, ctes);
        walk_list(w, sel->sort_clause, sel->n_sort_clause, &s, ctes);
    }
    walk_expr(w, sel->limit_count, up, ctes);
    walk_expr(w, sel->limit_offset, up, ctes);
    w->depth--;
}

static sql_range *dml_target(sql_walker *w, PgQuery__RangeVar *rv, sql_scope *s)
{
    const char *name = qualify(w, rv);
    int t = add_table(w, name);
    const char *alias = rv->alias ? rv->alias->aliasname : rv->relname;
    if (w->rw) {
        sql_rw_system_check(w, t);
        /* the table the policy judged, whatever the session's search_path */
        if (!rv->schemaname[0]) {
            size_t sl = strlen(name) - strlen(rv->relname) - 1;
            char *schema = gh_arena_strndup(w->a, name, sl);
            if (!schema)
                sql_fail(w, SQL_ENOMEM, "out of memory");
            rv->schemaname = schema;
        }
    }
    return add_range(w, s, alias, t, true);
}

static void walk_set_list(sql_walker *w, Node **items, size_t n, int range_index, sql_scope *s,
                          const sql_cte *ctes)
{
    for (size_t i = 0; i < n; i++) {
        PgQuery__ResTarget *rt = items[i]->res_target;
        use_column(w, &s->ranges[range_index], rt->name, true);
        walk_list(w, rt->indirection, rt->n_indirection, s, ctes);
        walk_expr(w, rt->val, s, ctes);
    }
}

static void walk_insert(sql_walker *w, PgQuery__InsertStmt *ins, sql_scope *up, const sql_cte *ctes)
{
    ctes = walk_with(w, ins->with_clause, up, ctes);
    sql_scope s = {.up = up};
    dml_target(w, ins->relation, &s);
    for (size_t i = 0; i < ins->n_cols; i++)
        use_column(w, &s.ranges[0], ins->cols[i]->res_target->name, true);
    walk_stmt(w, ins->select_stmt, up, ctes, false); /* VALUES or SELECT: the target is not in scope */
    PgQuery__OnConflictClause *oc = ins->on_conflict_clause;
    if (oc) {
        walk_expr(w, (Node *)oc->infer, &s, ctes);
        sql_scope ex = s;
        ex.ranges = NULL, ex.n = ex.cap = 0;
        add_range(w, &ex, s.ranges[0].name, s.ranges[0].table, true);
        add_range(w, &ex, "excluded", -1, false);
        walk_set_list(w, oc->target_list, oc->n_target_list, 0, &ex, ctes);
        walk_expr(w, oc->where_clause, &ex, ctes);
    }
    walk_list(w, ins->returning_list, ins->n_returning_list, &s, ctes);
}

static void walk_update(sql_walker *w, PgQuery__UpdateStmt *up_, sql_scope *up, const sql_cte *ctes)
{
    ctes = walk_with(w, up_->with_clause, up, ctes);
    sql_scope s = {.up = up};
    dml_target(w, up_->relation, &s);
    for (size_t i = 0; i < up_->n_from_clause; i++)
        from_item(w, up_->from_clause[i], &s, up, ctes);
    walk_set_list(w, up_->target_list, up_->n_target_list, 0, &s, ctes);
    walk_expr(w, up_->where_clause, &s, ctes);
    walk_list(w, up_->returning_list, up_->n_returning_list, &s, ctes);
}

static void walk_delete(sql_walker *w, PgQuery__DeleteStmt *del, sql_scope *up, const sql_cte *ctes)
{
    ctes = walk_with(w, del->with_clause, up, ctes);
    sql_scope s = {.up = up};
    dml_target(w, del->relation, &s);
    for (size_t i = 0; i < del->n_using_clause; i++)
        from_item(w, del->using_clause[i], &s, up, ctes);
    walk_expr(w, del->where_clause, &s, ctes);
    walk_list(w, del->returning_list, del->n_returning_list, &s, ctes);
}

static sql_action stmt_action(const Node *n)
{
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_SELECT_STMT: return SQL_SELECT;
    case PG_QUERY__NODE__NODE_INSERT_STMT: return SQL_INSERT;
    case PG_QUERY__NODE__NODE_UPDATE_STMT: return SQL_UPDATE;
    case PG_QUERY__NODE__NODE_DELETE_STMT: return SQL_DELETE;
    case PG_QUERY__NODE__NODE_MERGE_STMT: return SQL_MERGE;
    default: break;
    }
    static const char *const ddl[] = {"Create", "Alter", "Drop", "Truncate", "Rename", "Grant",
                                      "Comment", "Index", "View", "Rule", "Reindex", "Define",
                                      "CompositeType", "SecLabel", "AlterDefaultPrivileges"};
    const char *name = ((const ProtobufCMessage *)n->range_var)->descriptor->short_name;
    for (size_t i = 0; i < sizeof ddl / sizeof *ddl; i++)
        if (strncmp(name, ddl[i], strlen(ddl[i])) == 0)
            return SQL_DDL;
    return SQL_OTHER;
}

static void walk_stmt(sql_walker *w, Node *n, sql_scope *up, const sql_cte *ctes, bool top)
{
    if (!n)
        return;
    if (++w->depth > MAX_DEPTH)
        sql_fail(w, SQL_EUNSUPPORTED, "the statement nests deeper than %d", MAX_DEPTH);
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_SELECT_STMT: walk_select(w, n->select_stmt, up, ctes); break;
    case PG_QUERY__NODE__NODE_INSERT_STMT: walk_insert(w, n->insert_stmt, up, ctes); break;
    case PG_QUERY__NODE__NODE_UPDATE_STMT: walk_update(w, n->update_stmt, up, ctes); break;
    case PG_QUERY__NODE__NODE_DELETE_STMT: walk_delete(w, n->delete_stmt, up, ctes); break;
    case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
        if (!top)
            sql_fail(w, SQL_EUNSUPPORTED, "EXPLAIN inside a statement");
        walk_stmt(w, n->explain_stmt->query, up, ctes, false);
        break;
    default:
        if (w->rw)
            sql_fail(w, SQL_EUNSUPPORTED, "%s is not supported here",
                     ((ProtobufCMessage *)n->range_var)->descriptor->short_name);
        w->utility = true;
        walk_expr(w, n, up, ctes); /* utility and DDL: tables and calls, generically */
        w->utility = false;
    }
    w->depth--;
}

void sql_walk_init(sql_walker *w, gh_arena *a, const sql_catalog *c, const char *search_path,
                   sql_description *d, sql_error *err, jmp_buf *fail)
{
    memset(w, 0, sizeof *w);
    w->a = a, w->catalog = c, w->d = d, w->err = err, w->fail = fail;
    const char *p = search_path && *search_path ? search_path : "public";
    size_t cap = 0;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        if (e > p) {
            w->search_path = grow(w, w->search_path, &cap, w->nsearch, sizeof *w->search_path);
            char *s = gh_arena_strndup(a, p, (size_t)(e - p));
            if (!s)
                sql_fail(w, SQL_ENOMEM, "out of memory");
            w->search_path[w->nsearch++] = s;
        }
        p = e;
    }
}

void sql_walk_statements(sql_walker *w, PgQuery__ParseResult *root)
{
    w->d->several = root->n_stmts > 1;
    w->d->action = root->n_stmts ? stmt_action(root->stmts[0]->stmt) : SQL_OTHER;
    for (size_t i = 0; i < root->n_stmts; i++)
        walk_stmt(w, root->stmts[i]->stmt, NULL, NULL, true);
}
