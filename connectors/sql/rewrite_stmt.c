/* sql_rewrite's statement level: which statements may pass at all, the write rules (WHERE
 * predicates for UPDATE/DELETE, tenant values for INSERT, ON CONFLICT), the edits spliced
 * into the caller's own text, the final check of the result (parsed and described again)
 * and the parameter list in the caller's placeholder style. */
#include "sql_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- statements denied before anything else, each with its own reason ---- */

static const char *set_target(const VariableSetStmt *v)
{
    static const char *const guarded[] = {"role", "session_authorization", "search_path"};
    for (size_t i = 0; i < 3; i++)
        if (v->name && strcmp(v->name, guarded[i]) == 0)
            return guarded[i];
    return v->kind == VAR_RESET_ALL ? "all" : NULL;
}

static bool explain_analyze(const ExplainStmt *e)
{
    ListCell *lc;
    foreach (lc, e->options) {
        const DefElem *o = lfirst(lc);
        if (!IsA(o, DefElem) || strcmp(o->defname, "analyze") != 0)
            continue;
        const Node *arg = o->arg;
        bool off = arg && IsA(arg, Boolean) && !boolVal(arg);
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
    switch (nodeTag(n)) {
    case T_SelectStmt:
    case T_InsertStmt:
    case T_UpdateStmt:
    case T_DeleteStmt: return n;
    case T_ExplainStmt:
        if (explain_analyze((ExplainStmt *)n))
            sql_fail(w, SQL_EDENIED, "EXPLAIN ANALYZE is not allowed (it runs the statement)");
        return statement_gate(w, d, ((ExplainStmt *)n)->query);
    case T_VariableSetStmt: {
        const char *t = set_target((VariableSetStmt *)n);
        if (t)
            sql_fail(w, SQL_EDENIED, "SET/RESET of %s is not allowed", t);
        sql_fail(w, SQL_EDENIED, "SET/RESET is not allowed (the session is shared)");
    }
    case T_CopyStmt: sql_fail(w, SQL_EDENIED, "COPY is not allowed");
    case T_DoStmt: sql_fail(w, SQL_EDENIED, "DO is not allowed");
    case T_CallStmt: sql_fail(w, SQL_EDENIED, "CALL is not allowed");
    case T_PrepareStmt: sql_fail(w, SQL_EDENIED, "PREPARE is not allowed");
    case T_ExecuteStmt: sql_fail(w, SQL_EDENIED, "EXECUTE is not allowed");
    case T_MergeStmt: sql_fail(w, SQL_EDENIED, "MERGE is not allowed: it cannot be constrained yet");
    default: break;
    }
    if (d->action == SQL_DDL)
        sql_fail(w, SQL_EDENIED, "DDL is not allowed");
    sql_fail(w, SQL_EDENIED, "%s is not allowed", d->tree->kind ? d->tree->kind : "the statement");
}

/* ---- tokens around the tree: where clauses begin and end ---- */

static bool word_at(const sql_rewriter *rw, long i, const char *kw)
{
    return i >= 0 && (size_t)i < rw->ntokens && sql_token_is(rw->text, &rw->tokens[i], kw);
}

/* The first token after `from` at `depth` that is the keyword kw, before the level ends
 * (a token shallower than depth, a ; at it, or the end), or -1. */
static long find_word(const sql_rewriter *rw, long from, int depth, const char *kw)
{
    for (long i = from + 1; (size_t)i < rw->ntokens; i++) {
        const sql_token *t = &rw->tokens[i];
        if (t->depth < depth || (t->depth == depth && t->kind == SQL_TOK_SEMI))
            return -1;
        if (t->depth == depth && word_at(rw, i, kw))
            return i;
    }
    return -1;
}

/* The last token of the level `from` is on. */
static long level_end(const sql_rewriter *rw, long from)
{
    int depth = rw->tokens[from].depth;
    long last = from;
    for (long i = from + 1; (size_t)i < rw->ntokens; i++) {
        const sql_token *t = &rw->tokens[i];
        if (t->depth < depth || (t->depth == depth && t->kind == SQL_TOK_SEMI))
            break;
        last = i;
    }
    return last;
}

/* The matching ) of the ( at index open. */
static long closing(sql_walker *w, long open)
{
    const sql_rewriter *rw = w->rw;
    for (long i = open + 1; (size_t)i < rw->ntokens; i++)
        if (rw->tokens[i].depth == rw->tokens[open].depth && rw->tokens[i].kind == SQL_TOK_RPAREN)
            return i;
    sql_fail(w, SQL_EINTERNAL, "unbalanced parentheses in the statement");
}

/* ANDs the constraint into the WHERE of the clause starting after token `from` (UPDATE's
 * SET, DELETE's target, ON CONFLICT's SET): `WHERE (<theirs>) AND <ours>`, or a new WHERE
 * before RETURNING or at the end of the level. */
static void and_where(sql_walker *w, long from, bool returning, const char *constraint)
{
    if (!constraint)
        return;
    const sql_rewriter *rw = w->rw;
    int depth = rw->tokens[from].depth;
    long where = find_word(rw, from, depth, "where");
    long ret = returning ? find_word(rw, where >= 0 ? where : from, depth, "returning") : -1;
    if (returning && ret < 0)
        sql_fail(w, SQL_EINTERNAL, "RETURNING not found in the statement");
    long end = ret >= 0 ? ret - 1 : level_end(rw, from);
    sql_text t;
    sql_text_init(&t, w);
    if (where >= 0) {
        if (where == end)
            sql_fail(w, SQL_EINTERNAL, "WHERE without a condition");
        sql_rw_edit(w, rw->tokens[where + 1].start, rw->tokens[where + 1].start, "(", false);
        sql_text_puts(&t, ") AND ");
    } else {
        sql_text_puts(&t, " WHERE ");
    }
    sql_text_puts(&t, constraint);
    sql_rw_edit(w, rw->tokens[end].end, rw->tokens[end].end, sql_text_str(&t), false);
}

/* ---- writes ---- */

static const char *target_name(const RangeVar *rv)
{
    return rv->alias ? rv->alias->aliasname : rv->relname;
}

static int target_table(sql_walker *w, const RangeVar *rv, const char *verb)
{
    const char *schema = rv->schemaname ? rv->schemaname : "";
    for (size_t i = 0; i < w->d->ntables; i++) {
        const char *name = w->d->tables[i].name;
        size_t n = strlen(name), r = strlen(rv->relname);
        if (n > r && strcmp(name + n - r, rv->relname) == 0 && name[n - r - 1] == '.' &&
            (!schema[0] || (strncmp(name, schema, n - r - 1) == 0 && strlen(schema) == n - r - 1)))
            return (int)i;
    }
    sql_fail(w, SQL_EINTERNAL, "the target of %s was not described", verb);
}

/* The target names its schema: the table the policy judged, whatever the session's
 * search_path. Returns the index of the name's last token. */
static long qualify_target(sql_walker *w, const RangeVar *rv, int t)
{
    long first, last;
    sql_rw_name_tokens(w, rv, &first, &last); /* ONLY and * stay as they are */
    if (rv->schemaname && rv->schemaname[0])
        return last;
    const char *table = w->d->tables[t].name;
    sql_text q;
    sql_text_init(&q, w);
    char *schema = gh_arena_strndup(w->a, table, strlen(table) - strlen(rv->relname) - 1);
    if (!schema)
        sql_fail(w, SQL_ENOMEM, "out of memory");
    sql_text_ident(&q, schema);
    sql_text_puts(&q, ".");
    sql_text_ident(&q, rv->relname);
    sql_rw_edit(w, w->rw->tokens[first].start, w->rw->tokens[last].end, sql_text_str(&q), false);
    return last;
}

/* SET may not move a row out of the tenant or out of its row filter. */
static void check_set_list(sql_walker *w, List *items, int t)
{
    const sql_policy *p = sql_rw_policy(w, t);
    const char *tc = w->rw->opts->tenant_column;
    ListCell *lc;
    foreach (lc, items) {
        const char *col = ((ResTarget *)lfirst(lc))->name;
        if (tc && strcmp(col, tc) == 0)
            sql_fail(w, SQL_EDENIED, "the tenant column %s of %s cannot be updated", col, w->d->tables[t].name);
        if (sql_pred_mentions(p->filter, col, 0))
            sql_fail(w, SQL_EDENIED, "column %s.%s is in the row filter: it cannot be updated",
                     w->d->tables[t].name, col);
    }
}

static void constrain_update(sql_walker *w, UpdateStmt *u)
{
    int t = target_table(w, u->relation, "UPDATE");
    check_set_list(w, u->targetList, t);
    if (u->whereClause && IsA(u->whereClause, CurrentOfExpr))
        sql_fail(w, SQL_EDENIED, "WHERE CURRENT OF is not allowed");
    long name = qualify_target(w, u->relation, t);
    and_where(w, name, u->returningList != NIL, sql_rw_constraint(w, t, target_name(u->relation)));
}

static void constrain_delete(sql_walker *w, DeleteStmt *d)
{
    int t = target_table(w, d->relation, "DELETE");
    if (d->whereClause && IsA(d->whereClause, CurrentOfExpr))
        sql_fail(w, SQL_EDENIED, "WHERE CURRENT OF is not allowed");
    long name = qualify_target(w, d->relation, t);
    and_where(w, name, d->returningList != NIL, sql_rw_constraint(w, t, target_name(d->relation)));
}

static bool const_is_tenant(const Node *n, const gh_value *tenant)
{
    if (!n || !IsA(n, A_Const) || ((const A_Const *)n)->isnull)
        return false;
    const A_Const *c = (const A_Const *)n;
    size_t tl;
    const char *ts = sql_strp(tenant, &tl);
    int64_t ti;
    if (IsA(&c->val, String) && ts)
        return strlen(c->val.sval.sval) == tl && memcmp(c->val.sval.sval, ts, tl) == 0;
    if (IsA(&c->val, Integer) && gh_number_get_int(tenant, &ti))
        return c->val.ival.ival == ti;
    return false;
}

static const char *tenant_param_text(sql_walker *w)
{
    sql_text t;
    sql_text_init(&t, w);
    sql_text_printf(&t, "$%d", sql_rw_tenant_param(w));
    return sql_text_str(&t);
}

static void deny_tenant_value(sql_walker *w, const char *table)
{
    sql_fail(w, SQL_EDENIED, "INSERT into %s: the tenant column must be the tenant (a literal equal to it, or left out)",
             table);
}

static size_t insert_width(sql_walker *w, SelectStmt *s, const char *table)
{
    if (s->op != SETOP_NONE)
        sql_fail(w, SQL_EDENIED, "INSERT into %s from a UNION/INTERSECT/EXCEPT is not allowed", table);
    if (s->valuesLists)
        return (size_t)list_length(linitial(s->valuesLists));
    ListCell *lc;
    foreach (lc, s->targetList) {
        const Node *v = ((ResTarget *)lfirst(lc))->val;
        if (v && IsA(v, ColumnRef) && IsA(llast(((ColumnRef *)v)->fields), A_Star))
            sql_fail(w, SQL_EDENIED, "INSERT into %s from SELECT *: name the columns", table);
    }
    return (size_t)list_length(s->targetList);
}

/* INSERT without a column list: the catalog's first columns, named explicitly (and the
 * tenant column after them when the rows leave it out). */
static void insert_columns(sql_walker *w, long after, size_t width, const char *table, int t, bool add_tenant)
{
    size_t n;
    const char *const *cols = sql_catalog_columns(w->catalog, table, &n);
    if (!cols)
        sql_fail(w, SQL_EDENIED, "INSERT into %s without a column list needs %s in the catalog", table, table);
    if (width > n)
        sql_fail(w, SQL_EDENIED, "INSERT into %s has more values than the table has columns", table);
    sql_text list;
    sql_text_init(&list, w);
    sql_text_puts(&list, " (");
    for (size_t i = 0; i < width; i++) {
        sql_rw_column(w, &(sql_range){.name = "", .table = t, .target = true}, cols[i], true);
        if (i)
            sql_text_puts(&list, ", ");
        sql_text_ident(&list, cols[i]);
    }
    if (add_tenant) {
        sql_text_puts(&list, width ? ", " : "");
        sql_text_ident(&list, w->rw->opts->tenant_column);
    }
    sql_text_puts(&list, ")");
    sql_rw_edit(w, w->rw->tokens[after].end, w->rw->tokens[after].end, sql_text_str(&list), false);
}

/* The position of the tenant column among the inserted ones (width when absent). */
static size_t tenant_index(sql_walker *w, const InsertStmt *ins, size_t width, const char *table)
{
    const char *tc = w->rw->opts->tenant_column;
    if (!ins->cols) {
        size_t n;
        const char *const *cols = sql_catalog_columns(w->catalog, table, &n);
        for (size_t i = 0; cols && i < width && i < n; i++)
            if (strcmp(cols[i], tc) == 0)
                return i;
        return width;
    }
    size_t i = 0;
    ListCell *lc;
    foreach (lc, ins->cols) {
        if (strcmp(((ResTarget *)lfirst(lc))->name, tc) == 0)
            return i;
        i++;
    }
    return width;
}

/* Each VALUES row: its tenant value becomes $t, or $t is appended. */
static void constrain_values(sql_walker *w, SelectStmt *s, long from, size_t ti, const char *table)
{
    const sql_rewriter *rw = w->rw;
    const gh_value *tenant = sql_field(rw->decision, "tenant");
    int depth = rw->tokens[from].depth;
    long i = find_word(rw, from, depth, "values");
    if (i < 0)
        sql_fail(w, SQL_EINTERNAL, "VALUES not found in the INSERT");
    ListCell *lc;
    foreach (lc, s->valuesLists) {
        long open = i + 1;
        if (!(open < (long)rw->ntokens && rw->tokens[open].kind == SQL_TOK_LPAREN && rw->tokens[open].depth == depth))
            sql_fail(w, SQL_EINTERNAL, "a VALUES row not found in the INSERT");
        long close = closing(w, open);
        List *row = lfirst(lc);
        if (ti < (size_t)list_length(row)) {
            if (!const_is_tenant(list_nth(row, (int)ti), tenant))
                deny_tenant_value(w, table);
            long a = open + 1, k = 0; /* the ti-th element: tokens between commas of the row */
            for (; k < (long)ti; a++)
                if (rw->tokens[a].depth == depth + 1 && rw->tokens[a].kind == SQL_TOK_COMMA)
                    k++;
            long b = a;
            while (b + 1 < close && !(rw->tokens[b + 1].depth == depth + 1 && rw->tokens[b + 1].kind == SQL_TOK_COMMA))
                b++;
            sql_rw_edit(w, rw->tokens[a].start, rw->tokens[b].end, tenant_param_text(w), false);
        } else {
            sql_text t;
            sql_text_init(&t, w);
            sql_text_printf(&t, ", %s", tenant_param_text(w));
            sql_rw_edit(w, rw->tokens[close].start, rw->tokens[close].start, sql_text_str(&t), false);
        }
        i = close + 1; /* a comma before the next row */
    }
}

/* The last token of a select-list item starting at token i: before the comma that ends it,
 * or before the clause that follows the list. */
static long item_end(const sql_rewriter *rw, long i)
{
    static const char *const stops[] = {"from", "where", "group", "having", "window", "order", "limit",
                                        "offset", "fetch", "for", "union", "intersect", "except", "into",
                                        "on", "returning"};
    int depth = rw->tokens[i].depth;
    long last = i;
    for (long k = i + 1; (size_t)k < rw->ntokens; k++) {
        const sql_token *t = &rw->tokens[k];
        if (t->depth < depth || (t->depth == depth && (t->kind == SQL_TOK_COMMA || t->kind == SQL_TOK_SEMI)))
            break;
        bool stop = false;
        for (size_t s = 0; t->depth == depth && s < sizeof stops / sizeof *stops && !stop; s++)
            stop = word_at(rw, k, stops[s]);
        if (stop)
            break;
        last = k;
    }
    return last;
}

/* INSERT ... SELECT: the tenant item becomes $t, or $t is appended to the select list. */
static void constrain_select_source(sql_walker *w, SelectStmt *s, size_t ti, const char *table)
{
    const sql_rewriter *rw = w->rw;
    const gh_value *tenant = sql_field(rw->decision, "tenant");
    size_t i = 0, n = (size_t)list_length(s->targetList);
    ListCell *lc;
    foreach (lc, s->targetList) {
        ResTarget *rt = lfirst(lc);
        long first = sql_rw_token_at(w, rt->location), last = item_end(rw, first);
        if (i == ti) {
            if (!const_is_tenant(rt->val, tenant))
                deny_tenant_value(w, table);
            sql_rw_edit(w, rw->tokens[first].start, rw->tokens[last].end, tenant_param_text(w), false);
        } else if (i + 1 == n && ti >= n) {
            sql_text t;
            sql_text_init(&t, w);
            sql_text_printf(&t, ", %s", tenant_param_text(w));
            sql_rw_edit(w, rw->tokens[last].end, rw->tokens[last].end, sql_text_str(&t), false);
        }
        i++;
    }
}

/* The ) that closes the INSERT's column list. */
static long column_list_end(sql_walker *w, const InsertStmt *ins)
{
    long open = sql_rw_token_at(w, ((ResTarget *)linitial(ins->cols))->location) - 1;
    if (open < 0 || w->rw->tokens[open].kind != SQL_TOK_LPAREN)
        sql_fail(w, SQL_EINTERNAL, "the INSERT's column list not found");
    return closing(w, open);
}

static void constrain_rows(sql_walker *w, InsertStmt *ins, long after, size_t width, const char *table)
{
    SelectStmt *s = (SelectStmt *)ins->selectStmt;
    size_t ti = tenant_index(w, ins, width, table);
    if (ins->cols && ti == width) { /* the column list gains the tenant column */
        long close = column_list_end(w, ins);
        sql_text t;
        sql_text_init(&t, w);
        sql_text_puts(&t, ", ");
        sql_text_ident(&t, w->rw->opts->tenant_column);
        sql_rw_edit(w, w->rw->tokens[close].start, w->rw->tokens[close].start, sql_text_str(&t), false);
    }
    if (s->valuesLists)
        constrain_values(w, s, after, ti, table);
    else
        constrain_select_source(w, s, ti, table);
}

static void constrain_insert(sql_walker *w, InsertStmt *ins)
{
    int t = target_table(w, ins->relation, "INSERT");
    const char *table = w->d->tables[t].name;
    const sql_policy *p = sql_rw_policy(w, t);
    const char *tc = w->rw->opts->tenant_column;
    if (p->filter)
        sql_fail(w, SQL_EDENIED, "INSERT into %s: its row filter cannot be checked on new rows", table);
    long name = qualify_target(w, ins->relation, t), after = name;
    if (ins->relation->alias) /* INSERT INTO t AS a */
        after = name + 2;
    if (!ins->selectStmt) {
        if (tc)
            sql_fail(w, SQL_EDENIED, "INSERT into %s with DEFAULT VALUES cannot set the tenant", table);
        return;
    }
    size_t width = insert_width(w, (SelectStmt *)ins->selectStmt, table);
    if (width == 0) /* INSERT ... SELECT with an empty select list */
        sql_fail(w, SQL_EDENIED, "INSERT into %s without values is not allowed", table);
    if (!ins->cols) {
        insert_columns(w, after, width, table, t, tc && tenant_index(w, ins, width, table) == width);
    } else {
        if (width != (size_t)list_length(ins->cols))
            sql_fail(w, SQL_EDENIED, "INSERT into %s: %d columns but %zu values", table, list_length(ins->cols), width);
        after = column_list_end(w, ins); /* the rows come after the column list */
    }
    if (tc)
        constrain_rows(w, ins, after, width, table);
    OnConflictClause *oc = ins->onConflictClause;
    if (oc && oc->action == ONCONFLICT_UPDATE) {
        /* the conflicting row may be another tenant's: update it only when it is ours */
        check_set_list(w, oc->targetList, t);
        long set = sql_rw_token_at(w, ((ResTarget *)linitial(oc->targetList))->location);
        and_where(w, set, ins->returningList != NIL, sql_rw_constraint(w, t, target_name(ins->relation)));
    }
}

static void constrain_writes(sql_walker *w, Node *n)
{
    switch (nodeTag(n)) {
    case T_ExplainStmt: constrain_writes(w, ((ExplainStmt *)n)->query); break;
    case T_UpdateStmt: constrain_update(w, (UpdateStmt *)n); break;
    case T_DeleteStmt: constrain_delete(w, (DeleteStmt *)n); break;
    case T_InsertStmt: constrain_insert(w, (InsertStmt *)n); break;
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

/* ---- the re-check of writes: the tenant where the rewrite put it ---- */

static const char *col_part(const List *fields, int i)
{
    const Node *n = list_nth(fields, i);
    return IsA(n, String) ? strVal(n) : NULL;
}

/* qual.tenant_col = $param, alone or among the arguments of an AND. */
static bool has_tenant_eq(const Node *n, const char *qual, const char *tc, int param)
{
    if (!n)
        return false;
    if (IsA(n, BoolExpr) && ((const BoolExpr *)n)->boolop == AND_EXPR) {
        ListCell *lc;
        foreach (lc, ((const BoolExpr *)n)->args)
            if (has_tenant_eq(lfirst(lc), qual, tc, param))
                return true;
        return false;
    }
    if (!IsA(n, A_Expr) || ((const A_Expr *)n)->kind != AEXPR_OP)
        return false;
    const A_Expr *e = (const A_Expr *)n;
    const Node *op = llast(e->name), *l = e->lexpr, *r = e->rexpr;
    if (!IsA(op, String) || strcmp(strVal(op), "=") != 0 || !l || !r || !IsA(l, ColumnRef) || !IsA(r, ParamRef))
        return false;
    const List *f = ((const ColumnRef *)l)->fields;
    const char *q = list_length(f) == 2 ? col_part(f, 0) : NULL, *c = list_length(f) == 2 ? col_part(f, 1) : NULL;
    return q && c && strcmp(q, qual) == 0 && strcmp(c, tc) == 0 && ((const ParamRef *)r)->number == param;
}

static bool is_tenant_param(const Node *n, int param)
{
    if (n && IsA(n, ResTarget))
        n = ((const ResTarget *)n)->val;
    return n && IsA(n, ParamRef) && ((const ParamRef *)n)->number == param;
}

/* Every new row's tenant value is the tenant parameter. */
static void check_insert_rows(sql_walker *w, const InsertStmt *ins, const char *tc, int param)
{
    int ti = -1, i = 0;
    ListCell *lc;
    foreach (lc, ins->cols) {
        if (strcmp(((ResTarget *)lfirst(lc))->name, tc) == 0)
            ti = i;
        i++;
    }
    const SelectStmt *s = (const SelectStmt *)ins->selectStmt;
    if (ti < 0 || !s)
        sql_fail(w, SQL_EINTERNAL, "the rewritten INSERT does not set the tenant column");
    foreach (lc, s->valuesLists)
        if (list_length(lfirst(lc)) <= ti || !is_tenant_param(list_nth(lfirst(lc), ti), param))
            sql_fail(w, SQL_EINTERNAL, "a row of the rewritten INSERT does not take the tenant");
    if (!s->valuesLists && (list_length(s->targetList) <= ti || !is_tenant_param(list_nth(s->targetList, ti), param)))
        sql_fail(w, SQL_EINTERNAL, "the rewritten INSERT ... SELECT does not take the tenant");
}

/* The rewritten write, read back from its own tree: UPDATE and DELETE (and ON CONFLICT DO
 * UPDATE) have target.tenant = $t in their WHERE, and INSERT rows carry $t. */
static void check_write(sql_walker *w, const sql_tree *tree)
{
    const char *tc = w->rw->opts->tenant_column;
    int param = w->rw->tenant_param;
    Node *n = ((RawStmt *)linitial(tree->stmts))->stmt;
    if (IsA(n, ExplainStmt))
        n = ((ExplainStmt *)n)->query;
    if (!tc || !n)
        return;
    const RangeVar *rv = NULL;
    const Node *where = NULL;
    if (IsA(n, UpdateStmt))
        rv = ((UpdateStmt *)n)->relation, where = ((UpdateStmt *)n)->whereClause;
    else if (IsA(n, DeleteStmt))
        rv = ((DeleteStmt *)n)->relation, where = ((DeleteStmt *)n)->whereClause;
    else if (IsA(n, InsertStmt)) {
        const InsertStmt *ins = (const InsertStmt *)n;
        if (ins->selectStmt)
            check_insert_rows(w, ins, tc, param);
        if (!ins->onConflictClause || ins->onConflictClause->action != ONCONFLICT_UPDATE)
            return;
        rv = ins->relation, where = ins->onConflictClause->whereClause;
    } else {
        return;
    }
    if (!has_tenant_eq(where, rv->alias ? rv->alias->aliasname : rv->relname, tc, param))
        sql_fail(w, SQL_EINTERNAL, "the rewritten %s does not hold the tenant in its WHERE",
                 IsA(n, InsertStmt) ? "ON CONFLICT DO UPDATE" : IsA(n, UpdateStmt) ? "UPDATE" : "DELETE");
}

/* Parses `sql` again; fills w2 (a fresh walk) and checks it against the policies of w:
 * every table one the request named, every column one the decision lets through, every
 * table read in FROM inside one of the derived tables the rewrite wrote, and every write
 * confined to the tenant (check_write). */
static void recheck(sql_walker *w, const char *sql, sql_walker *w2, sql_description *d2, jmp_buf *fail2)
{
    sql_tree *tree;
    sql_error perr;
    int rc = sql_tree_parse(sql, w->a, &tree, &perr);
    if (rc != 0)
        sql_fail(w, rc == SQL_ENOMEM ? rc : SQL_EINTERNAL, "the rewritten statement does not parse again (%.180s)",
                 perr.msg);
    sql_error err2;
    if (setjmp(*fail2))
        sql_fail(w, err2.code == SQL_ENOMEM ? SQL_ENOMEM : SQL_EINTERNAL,
                 "the rewritten statement does not describe again: %s", err2.msg);
    sql_walk_init(w2, w->a, w->catalog, NULL, d2, &err2, fail2);
    w2->search_path = w->search_path, w2->nsearch = w->nsearch;
    w2->star_unknown_ok = true;
    w2->collect_params = true;
    w2->wrapped = w->wrapped, w2->nwrapped = w->nwrapped;
    sql_walk_statements(w2, tree);
    if (d2->several)
        sql_fail(w, SQL_EINTERNAL, "the rewrite made several statements");
    for (size_t i = 0; i < d2->ntables; i++)
        check_table(w, &d2->tables[i]);
    check_write(w, tree);
    int expect = w->rw->base + (int)w->rw->nvalues;
    if (d2->nparams > expect)
        sql_fail(w, SQL_EINTERNAL, "the rewrite has $%d, more parameters than it made", d2->nparams);
}

/* ---- the edits, spliced into the statement ---- */

static int compare_edit(const void *a, const void *b)
{
    const sql_edit *x = a, *y = b;
    if (x->start != y->start)
        return (x->start > y->start) - (x->start < y->start);
    return (x->seq > y->seq) - (x->seq < y->seq); /* insertions at one place keep their order */
}

/* Characters that would run into a name, number, parameter or quoted word next to them. */
static bool word_char(char c)
{
    unsigned char u = (unsigned char)c;
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_' ||
           u == '$' || u == '"' || u == '\'' || u >= 0x80;
}

/* The statement with every edit applied; the output span of each derived table is noted
 * in w->wrapped for the final check. */
static const char *apply_edits(sql_walker *w)
{
    sql_rewriter *rw = w->rw;
    qsort(rw->edits, rw->nedits, sizeof *rw->edits, compare_edit);
    sql_edit *spans = sql_alloc(w, (rw->nedits ? rw->nedits : 1) * sizeof *spans);
    size_t nspans = 0;
    sql_text out;
    sql_text_init(&out, w);
    int at = 0;
    for (size_t i = 0; i < rw->nedits; i++) {
        const sql_edit *e = &rw->edits[i];
        if (e->start < at || e->end < e->start)
            sql_fail(w, SQL_EINTERNAL, "two edits of the statement overlap");
        sql_text_put(&out, rw->text + at, (size_t)(e->start - at));
        size_t n = strlen(e->text);
        if (n && out.len && word_char(out.p[out.len - 1]) && word_char(e->text[0]))
            sql_text_puts(&out, " "); /* never glue our text onto a neighbouring word */
        int from = (int)out.len;
        sql_text_puts(&out, e->text);
        if (n && word_char(e->text[n - 1]) && word_char(rw->text[e->end]))
            sql_text_puts(&out, " ");
        if (e->wraps)
            spans[nspans++] = (sql_edit){.start = from, .end = (int)out.len};
        at = e->end;
    }
    sql_text_puts(&out, rw->text + at);
    w->wrapped = spans, w->nwrapped = nspans;
    return sql_text_str(&out);
}

static void fill_params(sql_walker *w, const sql_walker *w2, const char *sql, sql_param_style style,
                        sql_rewrite_result *out)
{
    const sql_rewriter *rw = w->rw;
    size_t n = style == SQL_PARAMS_QMARK ? w2->nparams_seen : (size_t)rw->base + rw->nvalues;
    out->params = sql_alloc(w, (n ? n : 1) * sizeof *out->params);
    out->nparams = n;
    out->sql = sql;
    if (style == SQL_PARAMS_DOLLAR) {
        for (size_t i = 0; i < n; i++)
            out->params[i] = (int)i < rw->base ? (sql_param){.request_index = (int)i + 1}
                                               : (sql_param){.value = rw->values[i - (size_t)rw->base]};
        return;
    }
    /* ? binds by position: each $k of the rewritten text, left to right, becomes ? */
    sql_param_at *at = sql_alloc(w, (n ? n : 1) * sizeof *at);
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
    if (!d->tree) {
        err->code = SQL_EINTERNAL;
        snprintf(err->msg, sizeof err->msg, "sql_rewrite needs a description from sql_describe");
        return err->code;
    }
    jmp_buf fail, fail2;
    sql_walker w, w2;
    sql_description scratch, d2;
    sql_rewriter rw = {.decision = decision, .opts = opts, .orig = d, .base = d->nparams,
                       .text = d->tree->text};
    memset(&scratch, 0, sizeof scratch);
    memset(&d2, 0, sizeof d2);
    if (setjmp(fail))
        return err->code;
    sql_walk_init(&w, a, opts->catalog, opts->search_path, &scratch, err, &fail);
    decision_gate(&w, decision, opts);
    if (list_length(d->tree->stmts) == 0)
        sql_fail(&w, SQL_EDENIED, "the request holds no statement");
    Node *stmt = ((RawStmt *)linitial(d->tree->stmts))->stmt;
    statement_gate(&w, d, stmt);
    size_t len = strlen(rw.text);
    if (sql_lex(rw.text, len, a, &rw.tokens, &rw.ntokens) != 0) {
        /* an arena that cannot hold even one token per byte: memory, not the text */
        if (!gh_arena_alloc(a, (len + 1) * sizeof(sql_token)))
            sql_fail(&w, SQL_ENOMEM, "out of memory");
        sql_fail(&w, SQL_EUNSUPPORTED, "the statement's text is not understood token by token");
    }
    w.rw = &rw;
    sql_walk_statements(&w, d->tree);
    constrain_writes(&w, stmt);
    const char *sql = apply_edits(&w);
    recheck(&w, sql, &w2, &d2, &fail2);
    fill_params(&w, &w2, sql, opts->style, out);
    return 0;
}
