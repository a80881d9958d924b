/* sql_rewrite's per-table part: the decision's policy for each table, the use checks the
 * walk calls, and the SQL text that confines a table: a derived table in place of its
 * name (allowed columns, masks, tenant and row filters). Constraint values only ever
 * become new bound parameters. */
#include "sql_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- row filters, as SQL text ---- */

static void predicate(sql_walker *w, sql_text *t, const gh_value *p, const char *qual, const char *table,
                      int depth);

static void column(sql_text *t, const char *qual, const char *col)
{
    if (qual) {
        sql_text_ident(t, qual);
        sql_text_puts(t, ".");
    }
    sql_text_ident(t, col);
}

static void param(sql_text *t, int n) { sql_text_printf(t, "$%d", n); }

static void pred_list(sql_walker *w, sql_text *t, const gh_value *items, const char *op, const char *qual,
                      const char *table, int depth)
{
    size_t n = sql_len(items);
    if (sql_kind(items) != GH_KIND_ARRAY || n == 0)
        sql_fail(w, SQL_EDECISION, "decision: row filter on %s: \"and\"/\"or\" need a non-empty list", table);
    sql_text_puts(t, "(");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sql_text_puts(t, op);
        predicate(w, t, sql_at(items, i), qual, table, depth + 1);
    }
    sql_text_puts(t, ")");
}

static void pred_in(sql_walker *w, sql_text *t, const gh_value *vals, bool negate, const char *table)
{
    size_t n = sql_len(vals);
    if (sql_kind(vals) != GH_KIND_ARRAY || n == 0)
        sql_fail(w, SQL_EDECISION, "decision: row filter on %s: in/not_in need a non-empty list", table);
    sql_text_puts(t, negate ? " NOT IN (" : " IN (");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sql_text_puts(t, ", ");
        param(t, scalar_param(w, sql_at(vals, i), table));
    }
    sql_text_puts(t, ")");
}

/* LIKE with the prefix's own %, _ and \ escaped: the value stays data. */
static void pred_prefix(sql_walker *w, sql_text *t, const gh_value *v, const char *table)
{
    size_t n;
    const char *s = sql_strp(v, &n);
    if (!s)
        sql_fail(w, SQL_EDECISION, "decision: row filter on %s: prefix needs a string", table);
    char *pat = sql_alloc(w, 2 * n + 2), *o = pat;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
            *o++ = '\\';
        *o++ = s[i];
    }
    *o++ = '%';
    const gh_value *pv = gh_value_string(w->a, pat, (size_t)(o - pat));
    if (!pv)
        sql_fail(w, SQL_ENOMEM, "out of memory");
    sql_text_puts(t, "::text LIKE ");
    param(t, new_param(w, pv));
}

static void pred_compare(sql_walker *w, sql_text *t, const gh_value *p, const char *qual, const char *table)
{
    size_t cl, ol;
    const char *col = sql_strp(sql_field(p, "column"), &cl);
    const char *op = sql_strp(sql_field(p, "op"), &ol);
    if (!col || !valid_ident(col, cl) || memchr(col, 0, cl) || !op)
        sql_fail(w, SQL_EDECISION, "decision: row filter on %s needs a valid \"column\" and an \"op\"", table);
    const gh_value *v = sql_field(p, "value");
    static const char *const cmp[][2] = {{"eq", " = "}, {"ne", " <> "}, {"lt", " < "},
                                         {"le", " <= "}, {"gt", " > "}, {"ge", " >= "}};
    const char *name = gh_arena_strndup(w->a, col, cl);
    if (!name)
        sql_fail(w, SQL_ENOMEM, "out of memory");
    column(t, qual, name);
    for (size_t i = 0; i < 6; i++)
        if (strcmp(op, cmp[i][0]) == 0) {
            sql_text_puts(t, cmp[i][1]);
            param(t, scalar_param(w, v, table));
            return;
        }
    if (strcmp(op, "in") == 0 || strcmp(op, "not_in") == 0)
        return pred_in(w, t, v, op[0] == 'n', table);
    if (strcmp(op, "prefix") == 0)
        return pred_prefix(w, t, v, table);
    if (strcmp(op, "is_null") == 0 || strcmp(op, "not_null") == 0) {
        sql_text_puts(t, op[0] == 'i' ? " IS NULL" : " IS NOT NULL");
        return;
    }
    sql_fail(w, SQL_EDECISION, "decision: row filter on %s: unknown op \"%.40s\"", table, op);
}

static void predicate(sql_walker *w, sql_text *t, const gh_value *p, const char *qual, const char *table,
                      int depth)
{
    if (depth > 32 || sql_kind(p) != GH_KIND_OBJECT)
        sql_fail(w, SQL_EDECISION, "decision: row filter on %s is not a predicate object", table);
    const gh_value *v;
    if ((v = sql_field(p, "and")))
        return pred_list(w, t, v, " AND ", qual, table, depth);
    if ((v = sql_field(p, "or")))
        return pred_list(w, t, v, " OR ", qual, table, depth);
    if ((v = sql_field(p, "not"))) {
        sql_text_puts(t, "NOT (");
        predicate(w, t, v, qual, table, depth + 1);
        sql_text_puts(t, ")");
        return;
    }
    pred_compare(w, t, p, qual, table);
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

const char *sql_rw_constraint(sql_walker *w, int t, const char *qual)
{
    const char *table = w->d->tables[t].name;
    policy *p = sql_rw_policy(w, t);
    const char *tc = w->rw->opts->tenant_column;
    if (!tc && !p->filter)
        return NULL;
    sql_text c;
    sql_text_init(&c, w);
    if (tc) {
        column(&c, qual, tc);
        sql_text_puts(&c, " = ");
        param(&c, sql_rw_tenant_param(w));
    }
    if (tc && p->filter)
        sql_text_puts(&c, " AND ");
    if (p->filter)
        predicate(w, &c, p->filter, qual, table, 0);
    return sql_text_str(&c);
}

/* ---- masks ---- */

static void as_text(sql_text *t, const char *col)
{
    sql_text_ident(t, col);
    sql_text_puts(t, "::text");
}

static void mask_expr(sql_walker *w, sql_text *t, const gh_value *m, const char *col, const char *table)
{
    if (sql_kind(m) == GH_KIND_OBJECT && sql_field(m, "value"))
        return param(t, scalar_param(w, sql_field(m, "value"), table));
    size_t n;
    const char *k = sql_kind(m) == GH_KIND_ARRAY ? "null" : sql_strp(m, &n);
    if (!k)
        k = "";
    if (strcmp(k, "null") == 0) {
        sql_text_puts(t, "NULL");
    } else if (strcmp(k, "redact") == 0) {
        sql_text_puts(t, "translate(");
        as_text(t, col);
        sql_text_puts(t, ", 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', "
                         "'xxxxxxxxxxxxxxxxxxxxxxxxxxXXXXXXXXXXXXXXXXXXXXXXXXXX0000000000')");
    } else if (strcmp(k, "show_first_4") == 0 || strcmp(k, "show_last_4") == 0) {
        bool first = k[5] == 'f';
        sql_text_puts(t, first ? "rpad(left(" : "lpad(right(");
        as_text(t, col);
        sql_text_puts(t, ", 4), length(");
        as_text(t, col);
        sql_text_puts(t, "), '*')");
    } else if (strcmp(k, "hash") == 0) {
        sql_text_puts(t, "encode(sha256(convert_to(");
        as_text(t, col);
        sql_text_puts(t, ", 'UTF8')), 'hex')");
    } else if (strcmp(k, "year_only") == 0) {
        sql_text_puts(t, "date_trunc('year', ");
        sql_text_ident(t, col);
        sql_text_puts(t, ")::date");
    } else {
        sql_fail(w, SQL_EDECISION, "decision: unknown mask \"%.40s\" for %s.%s", k, table, col);
    }
}

/* ---- the derived table ---- */

typedef struct targets {
    sql_text text;
    size_t n;
} targets;

static void column_target(sql_walker *w, targets *ts, const policy *p, const char *col, const char *table)
{
    const gh_value *m = mask_of(p, col);
    if (!valid_ident(col, strlen(col)))
        sql_fail(w, SQL_EDECISION, "decision: \"%.63s\" on %s is not a column name", col, table);
    if (ts->n++)
        sql_text_puts(&ts->text, ", ");
    if (m) {
        mask_expr(w, &ts->text, m, col, table);
        sql_text_puts(&ts->text, " AS ");
    }
    sql_text_ident(&ts->text, col);
}

static bool in_list(const char *const *cols, size_t n, const char *c)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cols[i], c) == 0) return true;
    return false;
}

static const char *name_at(sql_walker *w, const gh_value *v, const char *table)
{
    size_t n;
    const char *c = sql_strp(v, &n);
    if (!c)
        sql_fail(w, SQL_EDECISION, "decision: columns[\"%s\"] must hold names", table);
    char *s = gh_arena_strndup(w->a, c, n);
    if (!s)
        sql_fail(w, SQL_ENOMEM, "out of memory");
    return s;
}

/* With the table in the catalog: its allowed and masked columns in the table's own order (a
 * SELECT * over the constrained table lists them as over the table itself, which clients
 * reading columns by position rely on), then what the decision names that the catalog does
 * not list (the database will say it does not exist). */
static void catalog_targets(sql_walker *w, targets *ts, const policy *p, const char *table,
                            const char *const *cols, size_t ncols)
{
    for (size_t i = 0; i < ncols; i++)
        if (sql_policy_allows(p, cols[i]) || sql_policy_masks(p, cols[i]))
            column_target(w, ts, p, cols[i], table);
    for (size_t i = 0; !p->all && i < sql_len(p->columns); i++) {
        const char *c = name_at(w, sql_at(p->columns, i), table);
        if (!in_list(cols, ncols, c))
            column_target(w, ts, p, c, table);
    }
}

/* Allowed columns, then masked ones not listed: in the catalog's order when the table is in
 * it, else in the decision's. */
static void derived_targets(sql_walker *w, targets *ts, const policy *p, const char *table)
{
    size_t n;
    if (p->all && !p->masks) {
        sql_text_puts(&ts->text, "*");
        return;
    }
    const char *const *cols = sql_catalog_columns(w->catalog, table, &n);
    if (cols)
        catalog_targets(w, ts, p, table, cols, n);
    else if (p->all)
        sql_fail(w, SQL_ECATALOG, "masking columns of %s needs its columns: %s is not in the catalog", table, table);
    else
        for (size_t i = 0; i < sql_len(p->columns); i++)
            column_target(w, ts, p, name_at(w, sql_at(p->columns, i), table), table);
    size_t ncat = cols ? n : 0;
    for (size_t i = 0; sql_kind(p->masks) == GH_KIND_OBJECT && i < sql_len(p->masks); i++) {
        const char *c = name_at(w, gh_object_key_at(p->masks, i), table);
        if (!sql_policy_allows(p, c) && !(cols && in_list(cols, ncat, c)))
            column_target(w, ts, p, c, table);
    }
    for (size_t i = 0; sql_kind(p->masks) == GH_KIND_ARRAY && i < sql_len(p->masks); i++) {
        size_t l;
        const char *c = sql_strp(sql_at(p->masks, i), &l) ? name_at(w, sql_at(p->masks, i), table) : NULL;
        if (c && !sql_policy_allows(p, c) && !(cols && in_list(cols, ncat, c)))
            column_target(w, ts, p, c, table);
    }
    if (ts->n == 0)
        sql_fail(w, SQL_EDENIED, "no column of %s is allowed", table);
}

/* ---- spans in the statement text ---- */

void sql_rw_edit(sql_walker *w, int start, int end, const char *text, bool wraps)
{
    sql_rewriter *rw = w->rw;
    if (rw->nedits == rw->edits_cap) {
        size_t n = rw->edits_cap ? rw->edits_cap * 2 : 16;
        sql_edit *e = gh_arena_realloc(w->a, rw->edits, rw->edits_cap * sizeof *e, n * sizeof *e);
        if (!e)
            sql_fail(w, SQL_ENOMEM, "out of memory");
        rw->edits = e, rw->edits_cap = n;
    }
    rw->edits[rw->nedits] = (sql_edit){start, end, text, (int)rw->nedits, wraps};
    rw->nedits++;
}

long sql_rw_token_at(sql_walker *w, int location)
{
    long i = location >= 0 ? sql_token_at(w->rw->tokens, w->rw->ntokens, location) : -1;
    if (i < 0)
        sql_fail(w, SQL_EINTERNAL, "no token at offset %d of the statement", location);
    return i;
}

static bool tok_kind(const sql_rewriter *rw, long i, sql_tok_kind k)
{
    return i >= 0 && (size_t)i < rw->ntokens && rw->tokens[i].kind == k;
}

static bool tok_word(const sql_rewriter *rw, long i, const char *kw)
{
    return i >= 0 && (size_t)i < rw->ntokens && sql_token_is(rw->text, &rw->tokens[i], kw);
}

static bool tok_name(const sql_rewriter *rw, long i)
{
    return tok_kind(rw, i, SQL_TOK_IDENT) || tok_kind(rw, i, SQL_TOK_QIDENT);
}

static bool tok_star(const sql_rewriter *rw, long i)
{
    return tok_kind(rw, i, SQL_TOK_OP) && rw->tokens[i].end - rw->tokens[i].start == 1 &&
           rw->text[rw->tokens[i].start] == '*';
}

void sql_rw_name_tokens(sql_walker *w, const RangeVar *rv, long *first, long *last)
{
    const sql_rewriter *rw = w->rw;
    long i = sql_rw_token_at(w, rv->location), j = i;
    if (!tok_name(rw, i))
        sql_fail(w, SQL_EINTERNAL, "no name at offset %d of the statement", rv->location);
    while (tok_kind(rw, j + 1, SQL_TOK_DOT) && tok_name(rw, j + 2))
        j += 2;
    *first = i, *last = j;
}

void sql_rw_name_span(sql_walker *w, const RangeVar *rv, long *first, long *last)
{
    const sql_rewriter *rw = w->rw;
    long i, j;
    sql_rw_name_tokens(w, rv, &i, &j);
    if (tok_star(rw, j + 1)) /* t * : with its descendants, as without */
        j++;
    if (!rv->inh && tok_word(rw, i - 1, "only"))
        i--;
    else if (!rv->inh && tok_kind(rw, i - 1, SQL_TOK_LPAREN) && tok_word(rw, i - 2, "only") &&
             tok_kind(rw, j + 1, SQL_TOK_RPAREN))
        i -= 2, j++;
    *first = i, *last = j;
}

/* The base table's name becomes (SELECT <columns> FROM [ONLY] schema.table WHERE <constraint>),
 * under its alias, or under its own name when it had none. */
void sql_rw_from_table(sql_walker *w, const RangeVar *rv, int t)
{
    const char *table = w->d->tables[t].name;
    policy *p = sql_rw_policy(w, t);
    targets ts = {.n = 0};
    sql_text_init(&ts.text, w);
    sql_text_puts(&ts.text, "(SELECT ");
    derived_targets(w, &ts, p, table);
    sql_text_puts(&ts.text, rv->inh ? " FROM " : " FROM ONLY ");
    size_t sl = strlen(table) - strlen(rv->relname) - 1;
    char *schema = gh_arena_strndup(w->a, table, sl);
    if (!schema)
        sql_fail(w, SQL_ENOMEM, "out of memory");
    column(&ts.text, schema, rv->relname);
    const char *c = sql_rw_constraint(w, t, NULL);
    if (c) {
        sql_text_puts(&ts.text, " WHERE ");
        sql_text_puts(&ts.text, c);
    }
    sql_text_puts(&ts.text, ")");
    if (!rv->alias) {
        sql_text_puts(&ts.text, " AS ");
        sql_text_ident(&ts.text, rv->relname);
    }
    long first, last;
    sql_rw_name_span(w, rv, &first, &last);
    const char *text = sql_text_str(&ts.text);
    if (tok_word(w->rw, first - 1, "table")) { /* TABLE t is SELECT * FROM t */
        sql_text cmd;
        sql_text_init(&cmd, w);
        sql_text_puts(&cmd, "SELECT * FROM ");
        sql_text_puts(&cmd, text);
        text = sql_text_str(&cmd), first--;
    }
    sql_rw_edit(w, w->rw->tokens[first].start, w->rw->tokens[last].end, text, true);
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
