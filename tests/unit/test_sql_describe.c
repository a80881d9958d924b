/* sql_describe against tests/data/sql/describe.txt: action, tables (schema-qualified),
 * columns per table, functions, as the engine value input.query (statement left out);
 * errors as "ERROR NAME: message". Then the catalog loader's errors. */
#include <stdio.h>
#include <string.h>

#include "gatehouse/value.h"
#include "sql.h"
#include "testlib.h"
#include "sql_cases.h"

static int ncases;

static void describe_case(gh_arena *a, const sql_case *c, gh_buf *out)
{
    sql_error err = {0};
    sql_catalog *cat = NULL;
    if (c->catalog[0] && sql_catalog_load(c->catalog, strlen(c->catalog), a, &cat, &err) != 0) {
        gh_buf_printf(out, "ERROR catalog: %s", err.msg);
        return;
    }
    sql_param_style style = strcmp(c->style, "qmark") == 0 ? SQL_PARAMS_QMARK : SQL_PARAMS_DOLLAR;
    sql_description d;
    int rc = sql_describe(c->sql.data, c->sql.len, cat, c->search_path[0] ? c->search_path : NULL, style, a, &d, &err);
    if (rc != 0) {
        gh_buf_printf(out, "ERROR %s: %s", sql_error_name(rc), err.msg);
        return;
    }
    const gh_value *v = sql_description_value(&d, a);
    const char *keys[] = {"action", "tables", "columns", "functions", "several"};
    for (size_t i = 0; i < 5; i++) {
        gh_buf_printf(out, "%s%s=", i ? " " : "", keys[i]);
        gh_json_write(out, gh_object_get_str(v, keys[i], strlen(keys[i])), 0);
    }
    if (d.nparams)
        gh_buf_printf(out, " params=%d", d.nparams);
}

static void run_case(const sql_case *c)
{
    gh_arena a;
    gh_arena_init(&a, 64 << 20);
    gh_buf out;
    gh_buf_init(&out, 0);
    describe_case(&a, c, &out);
    tests_run++;
    if (strcmp(out.data ? out.data : "", c->want.data ? c->want.data : "") != 0)
        test_fail(__FILE__, __LINE__, "[%s] %s\n   got: %s\n  want: %s", c->id, c->sql.data,
                  out.data ? out.data : "", c->want.data ? c->want.data : "");
    ncases++;
    gh_buf_free(&out);
    gh_arena_free(&a);
}

static void catalog_error(const char *json, const char *want)
{
    gh_arena a;
    gh_arena_init(&a, 1 << 20);
    sql_catalog *c;
    sql_error err = {0};
    CHECK_INT(sql_catalog_load(json, strlen(json), &a, &c, &err), SQL_ECATALOG);
    CHECK_STR(err.msg, want);
    gh_arena_free(&a);
}

static void test_catalog(void)
{
    catalog_error("[1]", "catalog: expected an object of \"schema.table\": [columns]");
    catalog_error("{\"orders\": [\"id\"]}", "catalog: \"orders\" must be \"schema.table\" with a list of column names");
    catalog_error("{\"public.t\": [1]}", "catalog: a column of \"public.t\" is not a name");
    catalog_error("{\"public.t\": ", "catalog: json: 1:14: unexpected end of input, expected a value");
    gh_arena a;
    gh_arena_init(&a, 1 << 20);
    sql_catalog *c;
    sql_error err;
    const char *json = "{\"public.t\": [\"b\", \"a\"], \"app.t\": []}";
    CHECK_INT(sql_catalog_load(json, strlen(json), &a, &c, &err), 0);
    size_t n = 9;
    const char *const *cols = sql_catalog_columns(c, "public.t", &n);
    CHECK_INT(n, 2);
    CHECK_STR(cols ? cols[0] : NULL, "b"); /* the database's order, not sorted */
    CHECK(sql_catalog_columns(c, "app.t", &n) && n == 0);
    CHECK(!sql_catalog_columns(c, "public.u", &n));
    gh_arena_free(&a);
}

/* An arena too small for the statement: an error, never a crash. */
static void test_small_arena(void)
{
    const char *sql = "SELECT a, b, c, d FROM t1 JOIN t2 ON t1.x = t2.y WHERE a IN (SELECT z FROM t3)";
    for (size_t cap = 64; cap < 65536; cap *= 2) {
        gh_arena a;
        gh_arena_init(&a, cap);
        sql_description d;
        sql_error err;
        int rc = sql_describe(sql, strlen(sql), NULL, NULL, SQL_PARAMS_DOLLAR, &a, &d, &err);
        CHECK(rc == 0 || rc == SQL_ENOMEM);
        gh_arena_free(&a);
    }
}

int main(void)
{
    int n = sql_cases_run("data/sql/describe.txt", run_case);
    tests_run++;
    if (n <= 0)
        test_fail(__FILE__, __LINE__, "data/sql/describe.txt: no cases read");
    test_catalog();
    test_small_arena();
    char why[200] = "";
    CHECK_INT(sql_selfcheck(why, sizeof why), 0); /* node layout and the error guard */
    CHECK_STR(why, "");
    printf("test_sql_describe: %d corpus cases\n", ncases);
    return tests_done("test_sql_describe");
}
