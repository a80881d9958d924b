/* sql_rewrite against tests/data/sql/rewrite*.txt: each adversarial statement is denied with
 * its exact reason, or rewritten to the exact SQL and parameters given; then API cases that
 * a case file cannot express (reuse of a description, $n vs ? numbering). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/value.h"
#include "sql.h"
#include "testlib.h"
#include "sql_cases.h"

/* "DENIED: reason", "ERROR NAME: message", or the SQL then "params: [...]" where a request's
 * own parameter shows as {"request": k}. */
static void format_result(gh_buf *out, gh_arena *a, int rc, const sql_error *err, const sql_rewrite_result *r)
{
    if (rc == SQL_EDENIED) {
        gh_buf_printf(out, "DENIED: %s", err->msg);
        return;
    }
    if (rc != 0) {
        gh_buf_printf(out, "ERROR %s: %s", sql_error_name(rc), err->msg);
        return;
    }
    gh_buf_printf(out, "%s\nparams: [", r->sql);
    for (size_t i = 0; i < r->nparams; i++) {
        if (i)
            gh_buf_puts(out, ", ");
        if (r->params[i].request_index)
            gh_buf_printf(out, "{\"request\": %d}", r->params[i].request_index);
        else
            gh_json_write(out, r->params[i].value, 0);
    }
    gh_buf_puts(out, "]");
    (void)a;
}

static int sql_rewrite_case(gh_arena *a, const sql_case *c, gh_buf *out)
{
    sql_error err = {0};
    sql_catalog *cat = NULL;
    const gh_value *decision;
    if (c->catalog[0] && sql_catalog_load(c->catalog, strlen(c->catalog), a, &cat, &err) != 0) {
        gh_buf_printf(out, "ERROR catalog: %s", err.msg);
        return -1;
    }
    if (gh_json_read(a, c->decision, strlen(c->decision), NULL, &decision, NULL) != 0) {
        gh_buf_puts(out, "ERROR decision JSON");
        return -1;
    }
    sql_param_style style = strcmp(c->style, "qmark") == 0 ? SQL_PARAMS_QMARK : SQL_PARAMS_DOLLAR;
    sql_description d;
    int rc = sql_describe(c->sql.data, c->sql.len, cat, c->search_path[0] ? c->search_path : NULL, style, a, &d, &err);
    sql_rewrite_result r = {0};
    if (rc == 0) {
        sql_rewrite_opts o = {.catalog = cat, .search_path = c->search_path[0] ? c->search_path : NULL,
                              .tenant_column = c->tenant[0] ? c->tenant : NULL, .style = style};
        rc = sql_rewrite(&d, decision, &o, a, &r, &err);
    }
    format_result(out, a, rc, &err, &r);
    return rc;
}

static int ncases;

static void run_case(const sql_case *c)
{
    gh_arena a;
    gh_arena_init(&a, 64 << 20);
    gh_buf out;
    gh_buf_init(&out, 0);
    sql_rewrite_case(&a, c, &out);
    tests_run++;
    if (getenv("GH_SQL_CORPUS_OUT")) /* for updating the corpus by hand: the actual outputs */
        fprintf(stderr, "\x01%s\x02%s\x03", c->id, out.data ? out.data : "");
    if (strcmp(out.data ? out.data : "", c->want.data ? c->want.data : "") != 0)
        test_fail(__FILE__, __LINE__, "[%s] %s\n   got: %s\n  want: %s", c->id, c->sql.data,
                  out.data ? out.data : "", c->want.data ? c->want.data : "");
    ncases++;
    gh_buf_free(&out);
    gh_arena_free(&a);
}

/* A rewrite edits the text, never the tree: one description serves several decisions. */
static void test_reuse(void)
{
    gh_arena a;
    gh_arena_init(&a, 1 << 20);
    sql_error err;
    sql_description d;
    const gh_value *dec;
    const char *sql = "SELECT id FROM orders";
    CHECK_INT(sql_describe(sql, strlen(sql), NULL, NULL, SQL_PARAMS_DOLLAR, &a, &d, &err), 0);
    CHECK_INT(gh_json_read(&a, "{\"allow\": true, \"tenant\": \"t1\"}", 31, NULL, &dec, NULL), 0);
    sql_rewrite_opts o = {.tenant_column = "tenant_id"};
    sql_rewrite_result r;
    CHECK_INT(sql_rewrite(&d, dec, &o, &a, &r, &err), 0);
    CHECK_STR(r.sql, "SELECT id FROM (SELECT * FROM public.orders WHERE tenant_id = $1) AS orders");
    CHECK_INT(gh_json_read(&a, "{\"allow\": true, \"tenant\": \"t2\"}", 31, NULL, &dec, NULL), 0);
    CHECK_INT(sql_rewrite(&d, dec, &o, &a, &r, &err), 0);
    CHECK_STR(r.sql, "SELECT id FROM (SELECT * FROM public.orders WHERE tenant_id = $1) AS orders");
    CHECK_STR(gh_string_ptr(r.params[0].value, &(size_t){0}), "t2");
    gh_arena_free(&a);
}

/* Arenas too small at every step of describe and rewrite: SQL_ENOMEM (or success), never a
 * crash, and never a result without its SQL. */
static void test_small_arenas(void)
{
    const char *sql = "WITH t AS (SELECT id FROM orders WHERE amount > $1) SELECT o.id, c.name FROM orders o "
                      "JOIN customers c ON c.id = o.customer_id WHERE o.id IN (SELECT id FROM t) ORDER BY 1";
    const char *dec = "{\"allow\": true, \"tenant\": \"t1\", \"columns\": {\"*\": [\"id\", \"name\", \"amount\", "
                      "\"customer_id\"]}, \"mask\": {\"public.customers\": {\"name\": \"hash\"}}, \"row_filters\": "
                      "{\"public.orders\": {\"column\": \"amount\", \"op\": \"in\", \"value\": [1, 2]}}}";
    int ok = 0;
    for (size_t cap = 256; cap < (1u << 20); cap += cap / 8) {
        gh_arena a;
        gh_arena_init(&a, cap);
        sql_error err;
        sql_description d;
        const gh_value *v;
        int rc = gh_json_read(&a, dec, strlen(dec), NULL, &v, NULL) != 0 ? SQL_ENOMEM
                 : sql_describe(sql, strlen(sql), NULL, NULL, SQL_PARAMS_DOLLAR, &a, &d, &err);
        sql_rewrite_result r = {0};
        sql_rewrite_opts o = {.tenant_column = "tenant_id"};
        if (rc == 0)
            rc = sql_rewrite(&d, v, &o, &a, &r, &err);
        if (rc != 0 && rc != SQL_ENOMEM)
            printf("cap %zu: %s %s\n", cap, sql_error_name(rc), err.msg);
        CHECK(rc == 0 || rc == SQL_ENOMEM);
        CHECK(rc != 0 || r.sql != NULL);
        ok += rc == 0;
        gh_arena_free(&a);
    }
    CHECK(ok > 0); /* the largest arenas are enough */
}

int main(void)
{
    static const char *const files[] = {"data/sql/rewrite.txt", "data/sql/rewrite_writes.txt"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        int n = sql_cases_run(files[i], run_case);
        tests_run++;
        if (n <= 0)
            test_fail(__FILE__, __LINE__, "%s: no cases read", files[i]);
    }
    test_reuse();
    test_small_arenas();
    printf("test_sql_rewrite: %d corpus cases\n", ncases);
    return tests_done("test_sql_rewrite");
}
