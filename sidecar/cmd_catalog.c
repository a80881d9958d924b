/* `gatehouse catalog --pg CONNINFO`: the schema catalog the SQL listener expands `SELECT *`
 * and `RETURNING *` from, read from a live PostgreSQL's information_schema: one JSON object
 * {"schema.table": [columns in their order]}. */
#include <getopt.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gatehouse/buf.h"
#include "gatehouse/value.h"

static const char catalog_usage[] =
    "usage: gatehouse catalog --pg CONNINFO [-o FILE]\n\n"
    "Writes the tables and columns of a PostgreSQL database (every schema but pg_catalog,\n"
    "information_schema and pg_toast) as the SQL listener's catalog_file:\n"
    "{\"schema.table\": [\"column\", ...]}. Views are included.\n\n"
    "  --pg CONNINFO   a libpq connection string (\"host=/run/postgresql dbname=app\") or URI\n"
    "  -o FILE         write there instead of stdout\n\n"
    "Exit status: 0 written, 1 the database could not be read, 2 usage errors.\n";

static const char columns_sql[] =
    "SELECT table_schema || '.' || table_name, column_name FROM information_schema.columns "
    "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
    "AND table_schema NOT LIKE 'pg_toast%' "
    "ORDER BY table_schema, table_name, ordinal_position";

/* Rows come ordered by table, so each table's columns are one run. */
static void put_catalog(gh_buf *b, PGresult *res)
{
    const char *table = NULL;
    gh_buf_putc(b, '{');
    for (int i = 0; i < PQntuples(res); i++) {
        const char *t = PQgetvalue(res, i, 0), *c = PQgetvalue(res, i, 1);
        if (!table || strcmp(table, t) != 0) {
            gh_buf_puts(b, table ? "],\n  " : "\n  ");
            gh_json_write_str(b, t, strlen(t));
            gh_buf_puts(b, ": [");
            table = t;
        } else gh_buf_puts(b, ", ");
        gh_json_write_str(b, c, strlen(c));
    }
    gh_buf_puts(b, table ? "]\n}\n" : "}\n");
}

int cmd_catalog(int argc, char **argv)
{
    static const struct option opts[] = {{"pg", required_argument, NULL, 'p'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *conninfo = NULL, *out_path = NULL;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "p:o:h", opts, NULL)) != -1) {
        if (opt == 'p') conninfo = optarg;
        else if (opt == 'o') out_path = optarg;
        else if (opt == 'h') return printf("%s", catalog_usage), CLI_OK;
        else return fprintf(stderr, "%s", catalog_usage), CLI_USAGE;
    }
    if (!conninfo || optind != argc) return fprintf(stderr, "%s", catalog_usage), CLI_USAGE;
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "gatehouse catalog: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return CLI_FAIL;
    }
    PGresult *res = PQexecParams(conn, columns_sql, 0, NULL, NULL, NULL, NULL, 0);
    int rc = CLI_FAIL;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "gatehouse catalog: %s", PQresultErrorMessage(res));
    } else {
        gh_buf b;
        gh_buf_init(&b, 0);
        put_catalog(&b, res);
        FILE *f = out_path ? fopen(out_path, "w") : stdout;
        if (!f) perror(out_path);
        else if (fwrite(b.data, 1, b.len, f) == b.len && (f == stdout || fclose(f) == 0)) rc = CLI_OK;
        else fprintf(stderr, "gatehouse catalog: cannot write %s\n", out_path ? out_path : "stdout");
        gh_buf_free(&b);
    }
    PQclear(res);
    PQfinish(conn);
    return rc;
}
