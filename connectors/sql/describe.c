/* sql_describe and what surrounds it: the catalog, `?` placeholders numbered for
 * PostgreSQL's parser, and the description as the engine value input.query. */
#include "sql_internal.h"

#include <stdio.h>
#include <string.h>

const char *sql_error_name(int code)
{
#define SQL_XX_NAME(name, c, msg) if (code == (c)) return #name;
    SQL_ERROR_MAP(SQL_XX_NAME)
#undef SQL_XX_NAME
    return code == 0 ? "OK" : "UNKNOWN";
}

const char *sql_action_name(sql_action a)
{
    static const char *const names[] = {"select", "insert", "update", "delete", "merge", "ddl", "other"};
    return (unsigned)a < sizeof names / sizeof *names ? names[a] : "other";
}

/* ---- catalog ---- */

static int catalog_error(sql_error *err, int code, const char *msg, const char *key, size_t kl)
{
    err->code = code;
    snprintf(err->msg, sizeof err->msg, msg, (int)(kl > 100 ? 100 : kl), key ? key : "?");
    return code;
}

/* Each table's columns become a NUL-terminated string array once, at load. */
static int catalog_entry(gh_arena *a, const gh_value *v, size_t i, sql_catalog_entry *e, sql_error *err)
{
    size_t kl;
    const char *key = gh_string_ptr(gh_object_key_at(v, i), &kl);
    const gh_value *cols = gh_object_value_at(v, i);
    if (!key || !memchr(key, '.', kl) || gh_value_kind(cols) != GH_KIND_ARRAY)
        return catalog_error(err, SQL_ECATALOG,
                             "catalog: \"%.*s\" must be \"schema.table\" with a list of column names", key, kl);
    e->name = key;
    e->n = gh_value_len(cols);
    e->columns = gh_arena_alloc(a, (e->n ? e->n : 1) * sizeof *e->columns);
    if (!e->columns)
        return catalog_error(err, SQL_ENOMEM, "out of memory%.*s%s", "", 0);
    for (size_t j = 0; j < e->n; j++) {
        size_t l;
        e->columns[j] = gh_string_ptr(gh_array_get(cols, j), &l);
        if (!e->columns[j] || memchr(e->columns[j], 0, l))
            return catalog_error(err, SQL_ECATALOG, "catalog: a column of \"%.*s\" is not a name", key, kl);
    }
    return 0;
}

int sql_catalog_load(const char *json, size_t len, gh_arena *a, sql_catalog **out, sql_error *err)
{
    const gh_value *v;
    gh_json_error je;
    err->code = 0;
    if (gh_json_read(a, json, len, NULL, &v, &je) != 0)
        return catalog_error(err, SQL_ECATALOG, "catalog: %.*s", je.msg, strlen(je.msg));
    if (gh_value_kind(v) != GH_KIND_OBJECT)
        return catalog_error(err, SQL_ECATALOG, "catalog: expected an object of \"schema.table\": [columns]%.*s", "", 0);
    sql_catalog *c = gh_arena_alloc(a, sizeof *c);
    size_t n = gh_value_len(v);
    sql_catalog_entry *e = gh_arena_alloc(a, (n ? n : 1) * sizeof *e);
    if (!c || !e)
        return catalog_error(err, SQL_ENOMEM, "out of memory%.*s", "", 0);
    for (size_t i = 0; i < n; i++)
        if (catalog_entry(a, v, i, &e[i], err) != 0)
            return err->code;
    c->entries = e; /* in the object's order: sorted by name, bytewise */
    c->n = n;
    *out = c;
    return 0;
}

const char *const *sql_catalog_columns(const sql_catalog *c, const char *table, size_t *n)
{
    size_t lo = 0, hi = c ? c->n : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(c->entries[mid].name, table);
        if (cmp == 0) {
            *n = c->entries[mid].n;
            return c->entries[mid].columns;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- `?` placeholders: PostgreSQL lexes `=?` as one operator, so each `?` outside quotes
 * and comments becomes $k (in order of appearance) before parsing ---- */

static size_t skip_quoted(const char *s, size_t i, size_t n, char q, bool backslash)
{
    for (i++; i < n; i++) {
        if (backslash && s[i] == '\\' && i + 1 < n)
            i++;
        else if (s[i] == q) {
            if (i + 1 < n && s[i + 1] == q)
                i++;
            else
                return i + 1;
        }
    }
    return n;
}

static size_t skip_dollar(const char *s, size_t i, size_t n)
{
    size_t j = i + 1;
    while (j < n && (s[j] == '_' || (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
                     (j > i + 1 && s[j] >= '0' && s[j] <= '9') || (unsigned char)s[j] >= 0x80))
        j++;
    if (j >= n || s[j] != '$')
        return i + 1; /* not a dollar quote ($1, or an identifier's $) */
    size_t tag = j + 1 - i;
    for (size_t k = j + 1; k + tag <= n; k++)
        if (memcmp(s + k, s + i, tag) == 0)
            return k + tag;
    return n;
}

static size_t skip_comment(const char *s, size_t i, size_t n)
{
    int depth = 0;
    for (; i + 1 < n; i++) {
        if (s[i] == '/' && s[i + 1] == '*')
            depth++, i++;
        else if (s[i] == '*' && s[i + 1] == '/' && --depth == 0)
            return i + 2;
        else if (s[i] == '*' && s[i + 1] == '/')
            i++;
    }
    return n;
}

static size_t skip_token(const char *s, size_t i, size_t n)
{
    char c = s[i];
    /* PostgreSQL identifiers go on with digits and $: x$$ is a name, not a dollar quote */
    unsigned char b = i > 0 ? (unsigned char)s[i - 1] : 0;
    bool ident_before = b == '_' || b == '$' || b >= 0x80 || (b >= '0' && b <= '9') ||
                        ((b | 0x20) >= 'a' && (b | 0x20) <= 'z');
    if (c == '\'')
        return skip_quoted(s, i, n, '\'', i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e'));
    if (c == '"')
        return skip_quoted(s, i, n, '"', false);
    if (c == '$' && !ident_before)
        return skip_dollar(s, i, n);
    if (c == '-' && i + 1 < n && s[i + 1] == '-') {
        const char *nl = memchr(s + i, '\n', n - i);
        return nl ? (size_t)(nl - s) : n;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*')
        return skip_comment(s, i, n);
    return i + 1;
}

int sql_count_qmarks(const char *s, size_t n)
{
    int count = 0;
    for (size_t i = 0; i < n;)
        if (s[i] == '?')
            count++, i++;
        else
            i = skip_token(s, i, n);
    return count;
}

static bool ident_char(char c)
{
    unsigned char u = (unsigned char)c;
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_' ||
           u == '$' || u >= 0x80;
}

static const char *number_qmarks(const char *s, size_t n, gh_arena *a, int *count)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    *count = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '?') { /* spaced only where a neighbour would run into $n */
            bool before = i > 0 && ident_char(s[i - 1]), after = i + 1 < n && ident_char(s[i + 1]);
            gh_buf_printf(&b, "%s$%d%s", before ? " " : "", ++*count, after ? " " : "");
            i++;
            continue;
        }
        size_t j = skip_token(s, i, n);
        gh_buf_append(&b, s + i, j - i);
        i = j;
    }
    const char *out = b.failed ? NULL : gh_arena_strndup(a, b.data ? b.data : "", b.len);
    gh_buf_free(&b);
    return out;
}

/* ---- describe ---- */

static int describe_tree(sql_tree *t, const sql_catalog *c, const char *search_path, gh_arena *a,
                         sql_description *out, sql_error *err)
{
    jmp_buf fail;
    sql_walker w;
    jmp_buf *old_oom = a->oom;
    if (setjmp(fail)) {
        a->oom = old_oom;
        return err->code;
    }
    sql_walk_init(&w, a, c, search_path, out, err, &fail);
    sql_walk_statements(&w, t);
    a->oom = old_oom;
    return 0;
}

int sql_describe(const char *text, size_t len, const sql_catalog *catalog, const char *search_path,
                 sql_param_style style, gh_arena *a, sql_description *out, sql_error *err)
{
    memset(out, 0, sizeof *out);
    err->code = 0;
    err->msg[0] = 0;
    if (memchr(text, 0, len)) {
        err->code = SQL_EPARSE;
        snprintf(err->msg, sizeof err->msg, "the statement contains a NUL byte");
        return err->code;
    }
    int qmarks = 0;
    const char *sql = style == SQL_PARAMS_QMARK ? number_qmarks(text, len, a, &qmarks)
                                                : gh_arena_strndup(a, text, len);
    if (!sql) {
        err->code = SQL_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return err->code;
    }
    out->statement = sql;
    int rc = sql_tree_parse(sql, a, &out->tree, err);
    if (rc == 0)
        rc = describe_tree(out->tree, catalog, search_path, a, out, err);
    if (rc == 0 && style == SQL_PARAMS_QMARK && out->nparams > qmarks) {
        err->code = rc = SQL_EPARSE;
        snprintf(err->msg, sizeof err->msg, "$%d in a statement written with ? placeholders", out->nparams);
    }
    return rc;
}

/* ---- input.query ---- */

static const gh_value *strings(gh_arena *a, const char *const *s, size_t n)
{
    const gh_value **items = gh_arena_alloc(a, (n ? n : 1) * sizeof *items);
    if (!items)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(items[i] = gh_value_string(a, s[i], strlen(s[i]))))
            return NULL;
    return gh_value_array(a, items, n);
}

static const gh_value *str(gh_arena *a, const char *s) { return gh_value_string(a, s, strlen(s)); }

const gh_value *sql_description_value(const sql_description *d, gh_arena *a)
{
    size_t nt = d->ntables;
    const gh_value **names = gh_arena_alloc(a, (nt ? nt : 1) * sizeof *names);
    const gh_value **cols = gh_arena_alloc(a, (nt ? nt : 1) * sizeof *cols);
    if (!names || !cols)
        return NULL;
    for (size_t i = 0; i < nt; i++) {
        names[i] = str(a, d->tables[i].name);
        cols[i] = strings(a, d->tables[i].columns, d->tables[i].ncolumns);
        if (!names[i] || !cols[i])
            return NULL;
    }
    const gh_value *columns, *obj;
    if (gh_value_object(a, names, cols, nt, &columns, NULL) != 0)
        return NULL;
    const gh_value *keys[] = {str(a, "action"), str(a, "columns"), str(a, "functions"),
                              str(a, "several"), str(a, "statement"), str(a, "tables")};
    const gh_value *vals[] = {str(a, sql_action_name(d->action)), columns,
                              strings(a, d->functions, d->nfunctions), gh_value_bool(d->several),
                              str(a, d->statement ? d->statement : ""), gh_value_array(a, names, nt)};
    for (size_t i = 0; i < 6; i++)
        if (!keys[i] || !vals[i])
            return NULL;
    return gh_value_object(a, keys, vals, 6, &obj, NULL) == 0 ? obj : NULL;
}
