/* The scoped walk over a parse tree, shared by describe and rewrite: which names in FROM are
 * base tables (not CTEs, subqueries or functions), which table each column reference reads,
 * which functions are called. Expressions are walked generically by PostgreSQL's own
 * raw_expression_tree_walker, so no node kind can hide a column, a call or a subquery from
 * us; only the nodes that open scopes are handled by hand. Statements outside DML are
 * described from libpg_query's JSON tree (their tables and calls). In rewrite mode (w->rw)
 * the same walk calls rewrite.c's hooks, which check each use and wrap each base table. */
#include "sql_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pgtls.h"

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

void *sql_alloc(sql_walker *w, size_t size)
{
    void *p = gh_arena_alloc(w->a, size ? size : 1);
    if (!p)
        sql_fail(w, SQL_ENOMEM, "out of memory");
    return p;
}

void sql_text_init(sql_text *t, sql_walker *w) { *t = (sql_text){.w = w}; }

void sql_text_put(sql_text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 128;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *p = gh_arena_realloc(t->w->a, t->p, t->cap, cap);
        if (!p)
            sql_fail(t->w, SQL_ENOMEM, "out of memory");
        t->p = p, t->cap = cap;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = 0;
}

void sql_text_puts(sql_text *t, const char *s) { sql_text_put(t, s, strlen(s)); }

void sql_text_printf(sql_text *t, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf)
        sql_fail(t->w, SQL_EINTERNAL, "a rewrite piece is too long");
    sql_text_put(t, buf, (size_t)n);
}

void sql_text_ident(sql_text *t, const char *ident)
{
    if (sql_ident_bare(ident)) {
        sql_text_puts(t, ident);
        return;
    }
    sql_text_put(t, "\"", 1);
    for (const char *p = ident; *p; p++) {
        if (*p == '"')
            sql_text_put(t, "\"", 1); /* a quote inside is written twice */
        sql_text_put(t, p, 1);
    }
    sql_text_put(t, "\"", 1);
}

const char *sql_text_str(sql_text *t) { return t->p ? t->p : ""; }

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
    return n && IsA(n, String) ? strVal(n) : NULL;
}

static bool has(const char *s) { return s && s[0]; }

/* ---- names: schema resolution and scopes ---- */

static const char *qualify(sql_walker *w, const RangeVar *rv)
{
    if (has(rv->catalogname))
        sql_fail(w, SQL_EUNSUPPORTED, "cross-database reference %s.%s.%s is not supported",
                 rv->catalogname, rv->schemaname, rv->relname);
    char buf[300];
    if (has(rv->schemaname)) {
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

static void column_ref(sql_walker *w, const ColumnRef *c, const sql_scope *s)
{
    if (w->utility)
        return; /* MERGE: only its tables and calls are described */
    size_t n = (size_t)list_length(c->fields);
    bool star = n && IsA(llast(c->fields), A_Star);
    const char *col = star ? NULL : str_node(llast(c->fields));
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
    const char *qual = str_node(list_nth(c->fields, (int)n - 2));
    const sql_range *r = qual ? find_range(s, qual) : NULL;
    if (!r)
        sql_fail(w, SQL_EUNSUPPORTED, "column reference %s.%s names no table in FROM",
                 qual ? qual : "?", col ? col : "*");
    if (r->table < 0)
        return;
    if (n == 3) {
        const char *schema = str_node(linitial(c->fields));
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

static void walk_select(sql_walker *w, SelectStmt *sel, sql_scope *up, const sql_cte *ctes);
static void walk_stmt(sql_walker *w, Node *n, sql_scope *up, const sql_cte *ctes, bool top);

static void function_call(sql_walker *w, const FuncCall *f)
{
    const char *name = f->funcname ? str_node(llast(f->funcname)) : NULL;
    if (!name)
        sql_fail(w, SQL_EUNSUPPORTED, "a function call without a name");
    add_function(w, name);
    if (w->rw)
        sql_rw_function(w, name);
}

typedef struct visit_ctx {
    sql_walker *w;
    sql_scope *s;
    const sql_cte *ctes;
} visit_ctx;

static void param_ref(sql_walker *w, const ParamRef *p)
{
    if (p->number > w->d->nparams)
        w->d->nparams = p->number;
    if (w->collect_params) {
        w->params = grow(w, w->params, &w->params_cap, w->nparams_seen, sizeof *w->params);
        w->params[w->nparams_seen++] = (sql_param_at){p->number, p->location};
    }
}

static bool visit(Node *n, void *arg)
{
    visit_ctx *c = arg;
    sql_walker *w = c->w;
    if (!n)
        return false;
    if (++w->depth > MAX_DEPTH)
        sql_fail(w, SQL_EUNSUPPORTED, "the statement nests deeper than %d", MAX_DEPTH);
    switch (nodeTag(n)) {
    case T_ColumnRef: column_ref(w, (ColumnRef *)n, c->s); break;
    case T_SelectStmt: walk_select(w, (SelectStmt *)n, c->s, c->ctes); break;
    case T_InsertStmt:
    case T_UpdateStmt:
    case T_DeleteStmt: walk_stmt(w, n, c->s, c->ctes, false); break;
    case T_RangeVar: /* a table outside FROM (MERGE); never rewritten */
        if (w->rw)
            sql_fail(w, SQL_EUNSUPPORTED, "table %s in a position that cannot be constrained",
                     ((RangeVar *)n)->relname);
        add_table(w, qualify(w, (RangeVar *)n));
        break;
    case T_LockingClause: break; /* FOR UPDATE OF a: names FROM items, not tables */
    case T_ParamRef: param_ref(w, (ParamRef *)n); break;
    case T_RangeTableSample:
        if (w->rw)
            sql_fail(w, SQL_EUNSUPPORTED, "TABLESAMPLE is not supported");
        raw_expression_tree_walker(n, visit, c);
        break;
    case T_FuncCall:
        function_call(w, (FuncCall *)n);
        raw_expression_tree_walker(n, visit, c);
        break;
    default: raw_expression_tree_walker(n, visit, c);
    }
    w->depth--;
    return false;
}

static void walk_expr(sql_walker *w, Node *n, sql_scope *s, const sql_cte *ctes)
{
    visit_ctx c = {w, s, ctes};
    visit(n, &c);
}

static void walk_list(sql_walker *w, List *items, sql_scope *s, const sql_cte *ctes)
{
    ListCell *lc;
    foreach (lc, items)
        walk_expr(w, lfirst(lc), s, ctes);
}

/* ---- FROM ---- */

/* The re-check: a base table in FROM must be one of the rewrite's derived tables. */
static bool inside_wrapped(const sql_walker *w, int location)
{
    for (size_t i = 0; i < w->nwrapped; i++)
        if (location >= w->wrapped[i].start && location < w->wrapped[i].end)
            return true;
    return false;
}

static void base_table(sql_walker *w, RangeVar *rv, sql_scope *s, const sql_cte *ctes)
{
    const char *alias = rv->alias ? rv->alias->aliasname : NULL;
    if (!has(rv->schemaname) && cte_visible(ctes, rv->relname)) {
        add_range(w, s, alias ? alias : rv->relname, -1, false);
        return;
    }
    int t = add_table(w, qualify(w, rv));
    if (w->wrapped && !inside_wrapped(w, rv->location))
        sql_fail(w, SQL_EINTERNAL, "table %s is read without its constraints", rv->relname);
    if (rv->alias && rv->alias->colnames && w->rw)
        sql_fail(w, SQL_EUNSUPPORTED, "column aliases on table %s are not supported", rv->relname);
    add_range(w, s, alias ? alias : rv->relname, t, false);
    if (w->rw) {
        sql_rw_system_check(w, t);
        sql_rw_from_table(w, rv, t);
    }
}

static const char *function_range_name(const RangeFunction *rf)
{
    if (rf->alias)
        return rf->alias->aliasname;
    const List *first = rf->functions ? linitial(rf->functions) : NULL; /* (call, coldefs) */
    const Node *call = first && IsA(first, List) && first->length ? linitial(first) : NULL;
    if (call && IsA(call, FuncCall) && ((const FuncCall *)call)->funcname)
        return str_node(llast(((const FuncCall *)call)->funcname));
    return "";
}

static void from_item(sql_walker *w, Node *n, sql_scope *s, sql_scope *up, const sql_cte *ctes)
{
    switch (nodeTag(n)) {
    case T_RangeVar: base_table(w, (RangeVar *)n, s, ctes); break;
    case T_RangeSubselect: {
        RangeSubselect *rs = (RangeSubselect *)n;
        walk_stmt(w, rs->subquery, rs->lateral ? s : up, ctes, false);
        add_range(w, s, rs->alias ? rs->alias->aliasname : "", -1, false);
        break;
    }
    case T_RangeFunction: {
        RangeFunction *rf = (RangeFunction *)n;
        walk_list(w, rf->functions, s, ctes); /* functions see earlier items */
        const char *name = function_range_name(rf);
        add_range(w, s, name ? name : "", -1, false);
        break;
    }
    case T_JoinExpr: {
        JoinExpr *j = (JoinExpr *)n;
        if (j->alias)
            sql_fail(w, SQL_EUNSUPPORTED, "an alias on a JOIN (%s) is not supported", j->alias->aliasname);
        from_item(w, j->larg, s, up, ctes);
        from_item(w, j->rarg, s, up, ctes);
        ListCell *lc;
        foreach (lc, j->usingClause)
            if (str_node(lfirst(lc)))
                resolve_unqualified(w, s, str_node(lfirst(lc)));
        walk_expr(w, j->quals, s, ctes);
        break;
    }
    default:
        if (w->rw)
            sql_fail(w, SQL_EUNSUPPORTED, "FROM item %s is not supported",
                     IsA(n, RangeTableSample) ? "RangeTableSample" : "RangeTableFunc");
        walk_expr(w, n, s, ctes);
    }
}

/* ---- statements ---- */

static const sql_cte *walk_with(sql_walker *w, WithClause *with, sql_scope *up, const sql_cte *ctes)
{
    if (!with)
        return ctes;
    const sql_cte *all = ctes;
    ListCell *lc;
    foreach (lc, with->ctes) { /* a recursive WITH sees all its names */
        sql_cte *c = sql_alloc(w, sizeof *c);
        *c = (sql_cte){((CommonTableExpr *)lfirst(lc))->ctename, all};
        all = c;
    }
    const sql_cte *seen = ctes;
    foreach (lc, with->ctes) {
        CommonTableExpr *cte = lfirst(lc);
        Node *q = cte->ctequery;
        if (q && !IsA(q, SelectStmt))
            w->d->writes_in_with = true;
        walk_stmt(w, q, up, with->recursive ? all : seen, false);
        sql_cte *c = sql_alloc(w, sizeof *c);
        *c = (sql_cte){cte->ctename, seen}; /* later CTEs see earlier ones only */
        seen = c;
    }
    return all;
}

static void walk_select(sql_walker *w, SelectStmt *sel, sql_scope *up, const sql_cte *ctes)
{
    if (++w->depth > MAX_DEPTH)
        sql_fail(w, SQL_EUNSUPPORTED, "the statement nests deeper than %d", MAX_DEPTH);
    ctes = walk_with(w, sel->withClause, up, ctes);
    if (sel->intoClause) {
        if (w->rw)
            sql_fail(w, SQL_EDENIED, "SELECT ... INTO is not allowed");
        add_table(w, qualify(w, sel->intoClause->rel));
    }
    if (sel->op != SETOP_NONE) {
        walk_select(w, sel->larg, up, ctes);
        walk_select(w, sel->rarg, up, ctes);
        sql_scope outer = {.up = up};
        walk_list(w, sel->sortClause, &outer, ctes);
    } else {
        sql_scope s = {.up = up};
        ListCell *lc;
        foreach (lc, sel->fromClause)
            from_item(w, lfirst(lc), &s, up, ctes);
        walk_list(w, sel->targetList, &s, ctes);
        walk_expr(w, sel->whereClause, &s, ctes);
        walk_list(w, sel->groupClause, &s, ctes);
        walk_expr(w, sel->havingClause, &s, ctes);
        walk_list(w, sel->windowClause, &s, ctes);
        walk_list(w, sel->distinctClause, &s, ctes);
        walk_list(w, sel->valuesLists, &s, ctes);
        walk_list(w, sel->sortClause, &s, ctes);
    }
    walk_expr(w, sel->limitCount, up, ctes);
    walk_expr(w, sel->limitOffset, up, ctes);
    w->depth--;
}

static sql_range *dml_target(sql_walker *w, RangeVar *rv, sql_scope *s)
{
    int t = add_table(w, qualify(w, rv));
    const char *alias = rv->alias ? rv->alias->aliasname : rv->relname;
    if (w->rw)
        sql_rw_system_check(w, t);
    return add_range(w, s, alias, t, true);
}

static void walk_set_list(sql_walker *w, List *items, int range_index, sql_scope *s, const sql_cte *ctes)
{
    ListCell *lc;
    foreach (lc, items) {
        ResTarget *rt = lfirst(lc);
        use_column(w, &s->ranges[range_index], rt->name, true);
        walk_list(w, rt->indirection, s, ctes);
        walk_expr(w, rt->val, s, ctes);
    }
}

static void walk_insert(sql_walker *w, InsertStmt *ins, sql_scope *up, const sql_cte *ctes)
{
    ctes = walk_with(w, ins->withClause, up, ctes);
    sql_scope s = {.up = up};
    dml_target(w, ins->relation, &s);
    ListCell *lc;
    foreach (lc, ins->cols)
        use_column(w, &s.ranges[0], ((ResTarget *)lfirst(lc))->name, true);
    walk_stmt(w, ins->selectStmt, up, ctes, false); /* VALUES or SELECT: the target is not in scope */
    OnConflictClause *oc = ins->onConflictClause;
    if (oc) {
        walk_expr(w, (Node *)oc->infer, &s, ctes);
        sql_scope ex = s;
        ex.ranges = NULL, ex.n = ex.cap = 0;
        add_range(w, &ex, s.ranges[0].name, s.ranges[0].table, true);
        add_range(w, &ex, "excluded", -1, false);
        walk_set_list(w, oc->targetList, 0, &ex, ctes);
        walk_expr(w, oc->whereClause, &ex, ctes);
    }
    walk_list(w, ins->returningList, &s, ctes);
}

/* UPDATE (set: its SET list; from: FROM) and DELETE (set NIL; from: USING): the target in
 * scope for every clause, the other tables as FROM items. */
static void walk_modify(sql_walker *w, WithClause *with, RangeVar *target, List *from, List *set, Node *where,
                        List *returning, sql_scope *up, const sql_cte *ctes)
{
    ctes = walk_with(w, with, up, ctes);
    sql_scope s = {.up = up};
    dml_target(w, target, &s);
    ListCell *lc;
    foreach (lc, from)
        from_item(w, lfirst(lc), &s, up, ctes);
    walk_set_list(w, set, 0, &s, ctes);
    walk_expr(w, where, &s, ctes);
    walk_list(w, returning, &s, ctes);
}

static void walk_stmt(sql_walker *w, Node *n, sql_scope *up, const sql_cte *ctes, bool top)
{
    if (!n)
        return;
    if (++w->depth > MAX_DEPTH)
        sql_fail(w, SQL_EUNSUPPORTED, "the statement nests deeper than %d", MAX_DEPTH);
    switch (nodeTag(n)) {
    case T_SelectStmt: walk_select(w, (SelectStmt *)n, up, ctes); break;
    case T_InsertStmt: walk_insert(w, (InsertStmt *)n, up, ctes); break;
    case T_UpdateStmt: {
        UpdateStmt *u = (UpdateStmt *)n;
        walk_modify(w, u->withClause, u->relation, u->fromClause, u->targetList, u->whereClause, u->returningList,
                    up, ctes);
        break;
    }
    case T_DeleteStmt: {
        DeleteStmt *d = (DeleteStmt *)n;
        walk_modify(w, d->withClause, d->relation, d->usingClause, NIL, d->whereClause, d->returningList, up, ctes);
        break;
    }
    case T_ExplainStmt:
        if (!top)
            sql_fail(w, SQL_EUNSUPPORTED, "EXPLAIN inside a statement");
        walk_stmt(w, ((ExplainStmt *)n)->query, up, ctes, false);
        break;
    case T_MergeStmt:
        if (w->rw)
            sql_fail(w, SQL_EUNSUPPORTED, "MergeStmt is not supported here");
        w->utility = true;
        walk_expr(w, n, up, ctes); /* its tables and calls, generically */
        w->utility = false;
        break;
    default: sql_fail(w, SQL_EUNSUPPORTED, "a statement inside a statement is not understood");
    }
    w->depth--;
}

/* ---- statements outside DML: tables and calls from the JSON tree ---- */

static const char *json_str(const gh_value *obj, const char *key)
{
    size_t n;
    const char *s = sql_strp(sql_get(obj, key, strlen(key)), &n);
    return s && n ? s : NULL;
}

static void json_walk(sql_walker *w, const gh_value *v, int depth)
{
    if (depth > MAX_DEPTH)
        sql_fail(w, SQL_EUNSUPPORTED, "the statement nests deeper than %d", MAX_DEPTH);
    if (sql_kind(v) == GH_KIND_ARRAY) {
        for (size_t i = 0; i < sql_len(v); i++)
            json_walk(w, sql_at(v, i), depth + 1);
        return;
    }
    if (sql_kind(v) != GH_KIND_OBJECT)
        return;
    if (json_str(v, "relname")) { /* a RangeVar, as a node or as a typed field */
        RangeVar rv = {.catalogname = (char *)json_str(v, "catalogname"),
                       .schemaname = (char *)json_str(v, "schemaname"),
                       .relname = (char *)json_str(v, "relname")};
        add_table(w, qualify(w, &rv));
        return;
    }
    const gh_value *call = sql_get(v, "FuncCall", 8);
    const gh_value *name = sql_field(call, "funcname");
    if (sql_len(name)) {
        const gh_value *last = sql_field(sql_at(name, sql_len(name) - 1), "String");
        if (json_str(last, "sval"))
            add_function(w, sql_strdup(w, json_str(last, "sval")));
    }
    for (size_t i = 0; i < sql_len(v); i++)
        json_walk(w, gh_object_value_at(v, i), depth + 1);
}

/* The node name of a statement's JSON form ("CreateStmt"), its action by that name. */
static const char *json_kind(const gh_value *stmt)
{
    const gh_value *inner = sql_field(stmt, "stmt");
    size_t n;
    const char *k = sql_len(inner) ? sql_strp(gh_object_key_at(inner, 0), &n) : NULL;
    return k ? k : "";
}

static sql_action action_by_name(const char *name)
{
    static const char *const ddl[] = {"Create", "Alter", "Drop", "Truncate", "Rename", "Grant",
                                      "Comment", "Index", "View", "Rule", "Reindex", "Define",
                                      "CompositeType", "SecLabel", "AlterDefaultPrivileges"};
    for (size_t i = 0; i < sizeof ddl / sizeof *ddl; i++)
        if (strncmp(name, ddl[i], strlen(ddl[i])) == 0)
            return SQL_DDL;
    return SQL_OTHER;
}

/* DML (and EXPLAIN of it) is walked on the raw tree; anything else from the JSON tree. */
static bool is_dml(const Node *n)
{
    switch (nodeTag(n)) {
    case T_SelectStmt:
    case T_InsertStmt:
    case T_UpdateStmt:
    case T_DeleteStmt:
    case T_MergeStmt: return true;
    case T_ExplainStmt: return ((const ExplainStmt *)n)->query && is_dml(((const ExplainStmt *)n)->query);
    default: return false;
    }
}

static sql_action stmt_action(const Node *n)
{
    switch (nodeTag(n)) {
    case T_SelectStmt: return SQL_SELECT;
    case T_InsertStmt: return SQL_INSERT;
    case T_UpdateStmt: return SQL_UPDATE;
    case T_DeleteStmt: return SQL_DELETE;
    case T_MergeStmt: return SQL_MERGE;
    default: return SQL_OTHER;
    }
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

static void walk_generic(sql_walker *w, sql_tree *t, size_t i, bool first)
{
    if (!t->json) {
        sql_error e;
        if (!(t->json = sql_tree_json(t->text, w->a, &e)))
            sql_fail(w, e.code, "%s", e.msg);
    }
    const gh_value *stmt = sql_at(sql_field(t->json, "stmts"), i);
    if (!stmt)
        sql_fail(w, SQL_EINTERNAL, "the statement's JSON tree does not match its parse");
    if (first) {
        t->kind = sql_strdup(w, json_kind(stmt));
        w->d->action = action_by_name(t->kind);
    }
    json_walk(w, stmt, 0);
}

typedef struct walk_job {
    sql_walker *w;
    sql_tree *t;
} walk_job;

static void walk_all(void *arg)
{
    walk_job *job = arg;
    sql_walker *w = job->w;
    jmp_buf *outer = w->fail, inner;
    if (setjmp(inner)) { /* our own failures end here, inside PostgreSQL's error guard */
        w->fail = outer;
        return;
    }
    w->fail = &inner;
    size_t i = 0;
    ListCell *lc;
    foreach (lc, job->t->stmts) {
        Node *n = ((RawStmt *)lfirst(lc))->stmt;
        if (i == 0)
            w->d->action = stmt_action(n);
        if (is_dml(n))
            walk_stmt(w, n, NULL, NULL, true);
        else
            walk_generic(w, job->t, i, i == 0);
        i++;
    }
    w->fail = outer;
}

void sql_walk_statements(sql_walker *w, sql_tree *t)
{
    w->d->several = list_length(t->stmts) > 1;
    w->d->action = SQL_OTHER;
    w->err->code = 0;
    walk_job job = {w, t};
    jmp_buf *oom = w->a->oom;
    w->a->oom = NULL; /* no longjmp may cross PostgreSQL's error guard */
    int rc = sql_pg_guarded(walk_all, &job);
    w->a->oom = oom;
    if (rc != 0)
        sql_fail(w, SQL_EUNSUPPORTED, "the statement holds a construct the walk does not know");
    if (w->err->code)
        longjmp(*w->fail, 1);
}
