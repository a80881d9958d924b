/* The SQL connector's core: microseconds to describe, and to describe + rewrite, a short
 * (~100 B), a typical (~1 KB) and a large (~20 KB) statement under a decision with a tenant,
 * column lists, masks and a row filter. Prints a table (median of RUNS batches); the
 * mallocs column counts libpg_query's own allocations (the parse trees live in our arena). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "gatehouse/buf.h"
#include "sql.h"

#define RUNS 15

static const char catalog_json[] =
    "{\"public.orders\": [\"id\", \"tenant_id\", \"customer_id\", \"amount\", \"region\", \"status\", \"created_at\"],"
    " \"public.customers\": [\"id\", \"tenant_id\", \"name\", \"email\", \"country\"],"
    " \"public.items\": [\"id\", \"tenant_id\", \"order_id\", \"sku\", \"qty\", \"price\"]}";
static const char decision_json[] =
    "{\"allow\": true, \"tenant\": \"acme\", \"columns\": {\"public.orders\": [\"id\", \"customer_id\", \"amount\","
    " \"region\", \"status\", \"created_at\"], \"public.customers\": [\"id\", \"name\", \"country\"],"
    " \"public.items\": \"*\"}, \"mask\": {\"public.customers\": {\"email\": \"hash\"}},"
    " \"row_filters\": {\"public.orders\": {\"column\": \"region\", \"op\": \"in\", \"value\": [\"eu\", \"uk\"]}}}";

static const char short_sql[] =
    "SELECT o.id, o.amount FROM orders o WHERE o.customer_id = $1 AND o.status = 'open' LIMIT 50";

/* ~1 KB: a CTE, three joined tables, a correlated subquery, grouping, a window. */
static const char typical_sql[] =
    "WITH recent AS (SELECT id, customer_id, amount, created_at FROM orders WHERE created_at > now() - "
    "interval '30 days' AND status IN ('open', 'paid', 'shipped')), big AS (SELECT customer_id, sum(amount) AS "
    "total FROM recent GROUP BY customer_id HAVING sum(amount) > 1000) SELECT c.id, c.name, c.country, b.total, "
    "count(i.id) AS n_items, sum(i.qty * i.price) AS item_value, rank() OVER (PARTITION BY c.country ORDER BY "
    "b.total DESC) AS country_rank, (SELECT max(o2.amount) FROM orders o2 WHERE o2.customer_id = c.id AND "
    "o2.region = $1) AS max_amount FROM customers c JOIN big b ON b.customer_id = c.id JOIN recent r ON "
    "r.customer_id = c.id LEFT JOIN items i ON i.order_id = r.id WHERE c.country <> 'XX' AND c.name NOT LIKE "
    "'test%' AND EXISTS (SELECT 1 FROM orders o3 WHERE o3.customer_id = c.id AND o3.status = 'paid' AND "
    "o3.amount > $2) GROUP BY c.id, c.name, c.country, b.total HAVING count(i.id) > 0 ORDER BY b.total DESC, "
    "c.name ASC LIMIT 100 OFFSET $3";

/* ~20 KB: the typical statement's shape, UNION ALL'd with variations. */
static char *large_sql(size_t *len)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    for (int i = 0; b.len < 20000; i++) {
        if (i)
            gh_buf_puts(&b, " UNION ALL ");
        gh_buf_printf(&b,
                      "(SELECT c.id, c.name, o.amount + %d AS amount, i.sku FROM customers c JOIN orders o ON "
                      "o.customer_id = c.id LEFT JOIN items i ON i.order_id = o.id WHERE o.status = 'v%d' AND "
                      "o.amount BETWEEN %d AND %d AND c.country IN ('DE', 'FR', 'IT') AND EXISTS (SELECT 1 FROM "
                      "items i2 WHERE i2.order_id = o.id AND i2.qty > %d) ORDER BY o.amount DESC LIMIT 10)",
                      i, i, i * 10, i * 10 + 500, i % 7);
    }
    return gh_buf_take(&b, len);
}

typedef struct result {
    double describe_us, total_us, mallocs;
    size_t out_len;
} result;

static int one(const char *sql, size_t len, const sql_catalog *cat, const gh_value *dec, gh_arena *a,
               bool rewrite, size_t *out_len)
{
    sql_description d;
    sql_error err;
    if (sql_describe(sql, len, cat, NULL, SQL_PARAMS_DOLLAR, a, &d, &err) != 0) {
        fprintf(stderr, "describe: %s\n", err.msg);
        return -1;
    }
    if (!rewrite)
        return 0;
    sql_rewrite_opts o = {.catalog = cat, .tenant_column = "tenant_id"};
    sql_rewrite_result r;
    if (sql_rewrite(&d, dec, &o, a, &r, &err) != 0) {
        fprintf(stderr, "rewrite: %s\n", err.msg);
        return -1;
    }
    *out_len = strlen(r.sql);
    return 0;
}

static double median_us(const char *sql, size_t len, const sql_catalog *cat, const gh_value *dec,
                        bool rewrite, int iters, size_t *out_len, double *mallocs)
{
    double runs[RUNS];
    gh_arena a;
    gh_arena_init(&a, 0);
    for (int r = 0; r < RUNS; r++) {
        unsigned long m0 = bench_mallocs;
        uint64_t t0 = bench_now_ns();
        for (int i = 0; i < iters; i++) {
            if (one(sql, len, cat, dec, &a, rewrite, out_len) != 0)
                exit(1);
            gh_arena_reset(&a);
        }
        runs[r] = (double)(bench_now_ns() - t0) / 1e3 / iters;
        *mallocs = (double)(bench_mallocs - m0) / iters;
    }
    gh_arena_free(&a);
    qsort(runs, RUNS, sizeof *runs, bench_cmp_double);
    return runs[RUNS / 2];
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL; /* one statement, for profiling: short, typical, large */
    gh_arena fixed;
    gh_arena_init(&fixed, 0);
    sql_catalog *cat;
    sql_error err;
    const gh_value *dec;
    if (sql_catalog_load(catalog_json, sizeof catalog_json - 1, &fixed, &cat, &err) != 0 ||
        gh_json_read(&fixed, decision_json, sizeof decision_json - 1, NULL, &dec, NULL) != 0)
        return 1;
    size_t large_len;
    char *large = large_sql(&large_len);
    struct {
        const char *name, *sql;
        size_t len;
        int iters;
    } cases[] = {{"short", short_sql, sizeof short_sql - 1, 2000},
                 {"typical", typical_sql, sizeof typical_sql - 1, 500},
                 {"large", large, large_len, 20}};
    printf("| statement | bytes in | bytes out | describe us | describe+rewrite us | mallocs/stmt |\n"
           "|---|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < 3; i++) {
        if (only && strcmp(only, cases[i].name) != 0)
            continue;
        size_t out_len = 0;
        double m_describe, m_total;
        double d = median_us(cases[i].sql, cases[i].len, cat, dec, false, cases[i].iters, &out_len, &m_describe);
        double t = median_us(cases[i].sql, cases[i].len, cat, dec, true, cases[i].iters, &out_len, &m_total);
        printf("| %s | %zu | %zu | %.1f | %.1f | %.0f |\n", cases[i].name, cases[i].len, out_len, d, t, m_total);
    }
    free(large);
    gh_arena_free(&fixed);
    return 0;
}
