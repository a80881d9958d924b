/* Fuzz target for the SQL connector's core (connectors/sql): the input is a statement, described
 * and rewritten under one fixed catalog and decision (tenant, a column list, every mask kind,
 * a row filter). A first byte '?' switches to Snowflake-style placeholders. Oracles, beside
 * "never a crash": a rewrite that succeeds is described again here, independently of
 * sql_rewrite's own check, and must name only the decision's tables and only columns that
 * are allowed, masked, the tenant column or the row filter's; it must have as many parameters
 * as the result lists; a rewrite that fails its own re-check (SQL_EINTERNAL: the spliced
 * text did not parse or describe as meant) is a finding too. Any violation abort()s. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

static const char catalog_json[] =
    "{\"public.orders\": [\"id\", \"tenant_id\", \"customer_id\", \"amount\", \"region\", \"secret\"],"
    " \"public.customers\": [\"id\", \"tenant_id\", \"name\", \"email\", \"card\", \"born\"]}";
static const char decision_json[] =
    "{\"allow\": true, \"tenant\": \"acme\","
    " \"columns\": {\"public.orders\": [\"id\", \"customer_id\", \"amount\", \"region\"], \"public.customers\": \"*\"},"
    " \"mask\": {\"public.customers\": {\"email\": \"hash\", \"card\": \"show_last_4\", \"born\": \"year_only\","
    " \"name\": {\"value\": \"n/a\"}}, \"public.orders\": {\"amount\": \"redact\"}},"
    " \"row_filters\": {\"public.orders\": {\"or\": [{\"column\": \"region\", \"op\": \"in\", \"value\": [\"eu\"]},"
    " {\"column\": \"customer_id\", \"op\": \"is_null\"}]}}}";

/* What the decision lets a rewritten statement read, per table. */
static const char *const orders_ok[] = {"id", "customer_id", "amount", "region", "tenant_id", NULL};
static const char *const customers_ok[] = {"id", "tenant_id", "name", "email", "card", "born", NULL};

static gh_arena fixed;
static sql_catalog *catalog;
static const gh_value *decision;

static void setup(void)
{
    sql_error err;
    gh_arena_init(&fixed, 0);
    if (sql_catalog_load(catalog_json, sizeof catalog_json - 1, &fixed, &catalog, &err) != 0 ||
        gh_json_read(&fixed, decision_json, sizeof decision_json - 1, NULL, &decision, NULL) != 0)
        abort();
}

static bool listed(const char *const *ok, const char *col)
{
    for (; *ok; ok++)
        if (strcmp(*ok, col) == 0)
            return true;
    return false;
}

static void check_rewrite(const sql_rewrite_result *r, sql_param_style style, gh_arena *a)
{
    sql_description d;
    sql_error err;
    if (sql_describe(r->sql, strlen(r->sql), catalog, NULL, style, a, &d, &err) != 0) {
        fprintf(stderr, "rewrite does not describe: %s\n%s\n", err.msg, r->sql);
        abort();
    }
    if (d.several || d.nparams > (int)r->nparams) {
        fprintf(stderr, "rewrite: several=%d params %d > %zu\n%s\n", d.several, d.nparams, r->nparams, r->sql);
        abort();
    }
    for (size_t i = 0; i < d.ntables; i++) {
        const sql_table *t = &d.tables[i];
        const char *const *ok = strcmp(t->name, "public.orders") == 0      ? orders_ok
                                : strcmp(t->name, "public.customers") == 0 ? customers_ok
                                                                           : NULL;
        if (!ok) {
            fprintf(stderr, "rewrite reads table %s\n%s\n", t->name, r->sql);
            abort();
        }
        for (size_t j = 0; j < t->ncolumns; j++)
            if (!listed(ok, t->columns[j])) {
                fprintf(stderr, "rewrite reads %s.%s\n%s\n", t->name, t->columns[j], r->sql);
                abort();
            }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready)
        setup(), ready = true;
    if (size > 1 << 16)
        return 0;
    sql_param_style style = SQL_PARAMS_DOLLAR;
    if (size && data[0] == '?')
        style = SQL_PARAMS_QMARK, data++, size--;
    gh_arena a;
    gh_arena_init(&a, 64 << 20);
    sql_description d;
    sql_error err;
    if (sql_describe((const char *)data, size, catalog, NULL, style, &a, &d, &err) == 0) {
        (void)sql_description_value(&d, &a);
        sql_rewrite_opts o = {.catalog = catalog, .tenant_column = "tenant_id", .style = style};
        sql_rewrite_result r;
        if (sql_rewrite(&d, decision, &o, &a, &r, &err) == 0)
            check_rewrite(&r, style, &a);
        else if (!err.msg[0])
            abort(); /* every refusal has a reason */
        else if (err.code == SQL_EINTERNAL) { /* the rewrite failed its own check: a bug */
            fprintf(stderr, "INTERNAL: %s\n", err.msg);
            abort();
        }
    } else if (!err.msg[0]) {
        abort();
    }
    gh_arena_free(&a);
    return 0;
}
