/* The SQL corpus against a real PostgreSQL 15: a throwaway cluster in a temp dir (unix socket
 * only, no TCP), a small multi-tenant schema with sentinel values in forbidden and masked
 * columns, then every read in tests/data/sql/rewrite.txt that the main decision lets
 * through is rewritten by sql_rewrite and run through libpq with its bound parameters.
 * Checks per statement: it runs; no returned cell holds a forbidden or unmasked value; and
 * its result is the same with every other tenant's row (and every row outside the row
 * filter) deleted first, i.e. nothing of them reached it. Then 2,000 generated SELECTs (joins,
 * filters, subqueries, aggregates, UNION over the same schema) get the same checks, and the
 * allowed writes of rewrite_writes.txt must leave every row outside the decision as it was
 * (each in a transaction rolled back). Exits 77 (skipped) without
 * PostgreSQL's binaries. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gatehouse/value.h"
#include "sql.h"
#include "testlib.h"
#include "../unit/sql_cases.h"

#define PG_BIN "/usr/lib/postgresql/15/bin"

static char dir[] = "/tmp/gh-sql-pg-XXXXXX";
static PGconn *conn;
static char main_decision[8192];
static int ran, denied;

static const char schema[] =
    "CREATE TABLE orders (id int, tenant_id text, customer_id int, amount numeric, region text,"
    " secret text, created_at date);"
    "CREATE TABLE customers (id int, tenant_id text, name text, email text, card text, born date);"
    "CREATE TABLE audit (id int PRIMARY KEY, tenant_id text, msg text);"
    "INSERT INTO audit VALUES (1, 'evil', 'evil one'), (2, 'acme', 'acme two'), (3, 'evil', 'evil three');"
    "CREATE VIEW order_summary AS SELECT tenant_id, count(*) AS n FROM orders GROUP BY tenant_id;"
    "INSERT INTO customers SELECT i, CASE WHEN i % 2 = 0 THEN 'acme' ELSE 'evil' END, 'name' || i,"
    " 'RAWMAIL' || i || '@x.org', 'RAWCARD-4111-' || (1000 + i), date '1980-06-15' + i FROM generate_series(1, 20) i;"
    "INSERT INTO orders SELECT i, CASE WHEN i % 3 = 0 THEN 'evil' ELSE 'acme' END, 1 + i % 20, i * 10,"
    " (ARRAY['eu', 'uk', 'us'])[1 + (i / 3) % 3], 'SECRET' || i, date '2024-01-01' + i FROM generate_series(1, 60) i;";

static int sh(const char *cmd)
{
    int rc = system(cmd);
    return rc == 0 ? 0 : -1;
}

/* PostgreSQL refuses to run as root: then the cluster belongs to the postgres user. */
static const char *as_user(void) { return geteuid() == 0 ? "runuser -u postgres -- " : ""; }

static int start_cluster(void)
{
    char cmd[1024];
    if (!mkdtemp(dir))
        return -1;
    if (geteuid() == 0) {
        snprintf(cmd, sizeof cmd, "chown postgres %s", dir);
        if (sh(cmd) != 0)
            return -1;
    }
    snprintf(cmd, sizeof cmd, "%s" PG_BIN "/initdb -D %s/data -U postgres -A trust --no-sync >/dev/null 2>&1",
             as_user(), dir);
    if (sh(cmd) != 0)
        return -1;
    snprintf(cmd, sizeof cmd,
             "%s" PG_BIN "/pg_ctl -D %s/data -l %s/pg.log -w -o \"-k %s -c listen_addresses='' -F\" start >/dev/null",
             as_user(), dir, dir, dir);
    if (sh(cmd) != 0)
        return -1;
    char conninfo[256];
    snprintf(conninfo, sizeof conninfo, "host=%s dbname=postgres user=postgres", dir);
    conn = PQconnectdb(conninfo);
    return PQstatus(conn) == CONNECTION_OK ? 0 : -1;
}

static void stop_cluster(void)
{
    char cmd[1024];
    if (conn)
        PQfinish(conn);
    snprintf(cmd, sizeof cmd, "%s" PG_BIN "/pg_ctl -D %s/data -m immediate stop >/dev/null 2>&1; rm -rf %s",
             as_user(), dir, dir);
    (void)sh(cmd);
}

static bool exec_ok(const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "%s: %s\n", sql, PQerrorMessage(conn));
    PQclear(r);
    return ok;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The result as sorted "a|b|c" rows, one per line; NULL on error (message in err). */
static char *run(const sql_rewrite_result *rw, gh_arena *a, char *err, size_t errn)
{
    const char *values[64];
    if (rw->nparams > 64)
        return snprintf(err, errn, "too many parameters"), NULL;
    for (size_t i = 0; i < rw->nparams; i++) {
        gh_buf b;
        gh_buf_init(&b, 0);
        const gh_value *v = rw->params[i].value;
        size_t n;
        const char *s = v && gh_value_kind(v) == GH_KIND_STRING ? gh_string_ptr(v, &n) : NULL;
        if (s)
            gh_buf_append(&b, s, n);
        else if (v)
            gh_json_write(&b, v, 0);
        values[i] = gh_arena_strndup(a, b.data ? b.data : "", b.len);
        gh_buf_free(&b);
    }
    PGresult *r = PQexecParams(conn, rw->sql, (int)rw->nparams, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errn, "%s", PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    int rows = PQntuples(r), cols = PQnfields(r);
    char **lines = gh_arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof *lines);
    gh_buf all;
    gh_buf_init(&all, 0);
    for (int i = 0; i < rows; i++) {
        gh_buf line;
        gh_buf_init(&line, 0);
        for (int j = 0; j < cols; j++)
            gh_buf_printf(&line, "%s%s", j ? "|" : "", PQgetisnull(r, i, j) ? "<null>" : PQgetvalue(r, i, j));
        lines[i] = gh_arena_strndup(a, line.data ? line.data : "", line.len);
        gh_buf_free(&line);
    }
    qsort(lines, (size_t)rows, sizeof *lines, cmp_str);
    for (int i = 0; i < rows; i++)
        gh_buf_printf(&all, "%s\n", lines[i]);
    char *out = gh_arena_strndup(a, all.data ? all.data : "", all.len);
    gh_buf_free(&all);
    PQclear(r);
    return out;
}

static char corpus_catalog[8192];

/* The case's statement rewritten under its own catalog and decision; false when it is
 * denied or needs the request's own parameter values (nothing here to bind them). */
static bool rewrite_case(const sql_case *c, gh_arena *a, sql_rewrite_result *rw)
{
    sql_error err;
    sql_catalog *cat;
    const gh_value *dec;
    sql_description d;
    if (sql_catalog_load(c->catalog, strlen(c->catalog), a, &cat, &err) != 0 ||
        gh_json_read(a, c->decision, strlen(c->decision), NULL, &dec, NULL) != 0)
        abort();
    sql_rewrite_opts o = {.catalog = cat, .tenant_column = "tenant_id"};
    return sql_describe(c->sql.data, c->sql.len, cat, NULL, SQL_PARAMS_DOLLAR, a, &d, &err) == 0 &&
           sql_rewrite(&d, dec, &o, a, rw, &err) == 0 && d.nparams == 0;
}

static void check_case(const sql_case *c)
{
    if (!main_decision[0]) {
        snprintf(main_decision, sizeof main_decision, "%s", c->decision);
        snprintf(corpus_catalog, sizeof corpus_catalog, "%s", c->catalog);
    }
    if (strcmp(c->decision, main_decision) != 0 || strcmp(c->style, "dollar") != 0 || c->search_path[0])
        return; /* other decisions name tables this schema does not have */
    gh_arena a;
    gh_arena_init(&a, 64 << 20);
    sql_rewrite_result rw;
    if (!rewrite_case(c, &a, &rw)) {
        denied++; /* denied, or needs the request's own parameter values */
        gh_arena_free(&a);
        return;
    }
    char msg[512];
    char *full = run(&rw, &a, msg, sizeof msg);
    tests_run++;
    if (!full) {
        test_fail(__FILE__, __LINE__, "[%s] %s\n  error: %s", c->id, rw.sql, msg);
        gh_arena_free(&a);
        return;
    }
    ran++;
    tests_run++;
    if (strstr(full, "SECRET") || strstr(full, "RAWMAIL") || strstr(full, "RAWCARD"))
        test_fail(__FILE__, __LINE__, "[%s] returned a forbidden or unmasked value:\n%s", c->id, full);
    /* the same statement with only what the decision allows left in the tables */
    exec_ok("BEGIN");
    exec_ok("DELETE FROM orders WHERE tenant_id <> 'acme' OR region NOT IN ('eu', 'uk')");
    exec_ok("DELETE FROM customers WHERE tenant_id <> 'acme'");
    char *confined = run(&rw, &a, msg, sizeof msg);
    exec_ok("ROLLBACK");
    tests_run++;
    if (!confined || strcmp(full, confined) != 0)
        test_fail(__FILE__, __LINE__, "[%s] rows of another tenant or outside the filter reached\n  %s\n  full:\n%s  confined:\n%s",
                  c->id, rw.sql, full, confined ? confined : msg);
    gh_arena_free(&a);
}

/* ---- writes: what lies outside the decision must not change ---- */

static const char *const outside[] = {
    "SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM orders x WHERE tenant_id <> 'acme' OR region IS DISTINCT FROM 'eu'",
    "SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM customers x WHERE tenant_id <> 'acme'",
    "SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM audit x WHERE tenant_id IS DISTINCT FROM 'acme'",
};

static void fingerprint(gh_buf *b)
{
    for (size_t i = 0; i < 3; i++) {
        PGresult *r = PQexec(conn, outside[i]);
        gh_buf_printf(b, "%s ", PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "error");
        PQclear(r);
    }
}

static char writes_decision[8192];
static int writes_ran;

static void check_write(const sql_case *c)
{
    if (!writes_decision[0])
        snprintf(writes_decision, sizeof writes_decision, "%s", c->decision);
    if (strcmp(c->decision, writes_decision) != 0)
        return;
    gh_arena a;
    gh_arena_init(&a, 64 << 20);
    sql_rewrite_result rw;
    if (!rewrite_case(c, &a, &rw)) {
        gh_arena_free(&a);
        return;
    }
    gh_buf before, after;
    gh_buf_init(&before, 0), gh_buf_init(&after, 0);
    exec_ok("BEGIN");
    fingerprint(&before);
    char msg[512];
    const char *values[16];
    for (size_t i = 0; i < rw.nparams && i < 16; i++)
        values[i] = gh_string_ptr(rw.params[i].value, NULL);
    exec_ok("SAVEPOINT w");
    PGresult *r = PQexecParams(conn, rw.sql, (int)rw.nparams, NULL, values, NULL, NULL, 0);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        PQclear(PQexec(conn, "ROLLBACK TO SAVEPOINT w"));
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    bool duplicate = state && strcmp(state, "23505") == 0; /* id 1 is another tenant's: refused, fine */
    snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
    PQclear(r);
    fingerprint(&after);
    exec_ok("ROLLBACK");
    tests_run += 2;
    if (!ok && !duplicate)
        test_fail(__FILE__, __LINE__, "[%s] %s\n  error: %s", c->id, rw.sql, msg);
    else if (strcmp(before.data, after.data) != 0)
        test_fail(__FILE__, __LINE__, "[%s] changed rows outside the decision: %s", c->id, rw.sql);
    writes_ran += ok || duplicate;
    gh_buf_free(&before), gh_buf_free(&after);
    gh_arena_free(&a);
}

/* ---- generated SELECTs: random shapes over the schema, under the corpus' main decision ---- */

static const char *pick(const char *const *xs, size_t n) { return xs[(size_t)rand() % n]; }
#define PICK(xs) pick(xs, sizeof xs / sizeof *xs)

static void random_select(gh_buf *b)
{
    static const char *const ocols[] = {"o.id", "o.amount", "o.region", "o.customer_id", "o.created_at"};
    static const char *const ccols[] = {"c.id", "c.name", "c.email", "c.card", "c.born"};
    static const char *const conds[] = {"o.amount > 100", "o.region = 'us'", "o.region <> 'eu'", "c.name LIKE 'name1%'",
                                        "c.email IS NOT NULL", "o.customer_id IN (SELECT id FROM customers WHERE id < 9)",
                                        "EXISTS (SELECT 1 FROM orders x WHERE x.customer_id = c.id)", "c.born > '1980-06-20'"};
    static const char *const aggs[] = {"count(*)", "sum(o.amount)", "max(c.name)", "min(o.created_at)", "count(DISTINCT c.email)"};
    int shape = rand() % 4;
    gh_buf_puts(b, "SELECT ");
    if (shape == 3) {
        const char *g = rand() % 2 ? PICK(ocols) : PICK(ccols);
        gh_buf_printf(b, "%s, %s", g, PICK(aggs));
        gh_buf_printf(b, " FROM orders o JOIN customers c ON c.id = o.customer_id WHERE %s GROUP BY %s", PICK(conds), g);
        return;
    }
    int n = 1 + rand() % 3;
    gh_buf list;
    gh_buf_init(&list, 0);
    for (int i = 0; i < n; i++)
        gh_buf_printf(&list, "%s%s", i ? ", " : "", shape == 0 ? PICK(ocols) : shape == 1 ? PICK(ccols) : (rand() % 2 ? PICK(ocols) : PICK(ccols)));
    gh_buf_puts(b, list.data);
    gh_buf_puts(b, shape == 0 ? " FROM orders o JOIN customers c ON true" : shape == 1 ? " FROM customers c, orders o"
                                                                              : " FROM orders o LEFT JOIN customers c ON c.id = o.customer_id");
    if (rand() % 3)
        gh_buf_printf(b, " WHERE %s", PICK(conds));
    if (rand() % 4 == 0) /* the same columns from another join: UNION's types match */
        gh_buf_printf(b, " UNION SELECT %s FROM customers c JOIN orders o ON o.customer_id = c.id WHERE %s", list.data,
                      PICK(conds));
    gh_buf_free(&list);
}

static void run_generated(int count, const char *catalog)
{
    srand(20261123);
    for (int i = 0; i < count; i++) {
        static sql_case c;
        snprintf(c.id, sizeof c.id, "gen-%d", i);
        snprintf(c.decision, sizeof c.decision, "%s", main_decision);
        snprintf(c.catalog, sizeof c.catalog, "%s", catalog);
        snprintf(c.style, sizeof c.style, "dollar");
        gh_buf_init(&c.sql, 0);
        random_select(&c.sql);
        check_case(&c);
        gh_buf_free(&c.sql);
    }
}

int main(void)
{
    if (access(PG_BIN "/initdb", X_OK) != 0) {
        printf("skipped: PostgreSQL 15 not found in " PG_BIN "\n");
        return 77;
    }
    if (start_cluster() != 0 || !exec_ok(schema)) {
        fprintf(stderr, "could not start the cluster (see %s)\n", dir);
        stop_cluster();
        return 1;
    }
    int n = sql_cases_run("data/sql/rewrite.txt", check_case);
    tests_run++;
    if (n <= 0 || ran < 20)
        test_fail(__FILE__, __LINE__, "only %d statements ran (%d cases)", ran, n);
    int nw = sql_cases_run("data/sql/rewrite_writes.txt", check_write);
    tests_run++;
    if (nw <= 0 || writes_ran < 10)
        test_fail(__FILE__, __LINE__, "only %d writes ran (%d cases)", writes_ran, nw);
    int corpus_ran = ran;
    run_generated(2000, corpus_catalog);
    tests_run++;
    if (ran - corpus_ran < 1000)
        test_fail(__FILE__, __LINE__, "only %d of 2000 generated statements ran", ran - corpus_ran);
    printf("sql_postgres: %d reads (corpus and 2000 generated) and %d writes run against PostgreSQL, %d denied or "
           "skipped\n", ran, writes_ran, denied);
    stop_cluster();
    return tests_done("sql_postgres");
}
