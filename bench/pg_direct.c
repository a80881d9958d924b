/* bench/pg_direct: the baseline for bench/sql-e2e: one libpq connection running a statement
 * (with its parameters) again and again, as a client without gatehouse would, timing each.
 *   pg_direct CONNINFO RATE SECONDS SQL [PARAM...]
 * RATE statements per second (0: back to back), so it compares with gatehouse at that rate:
 * an idle database and client wake up slower than busy ones.
 * prints "PGDIRECT n p50 p99 p99.9" (microseconds). */
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 5) return fprintf(stderr, "usage: pg_direct CONNINFO RATE SECONDS SQL [PARAM...]\n"), 2;
    PGconn *c = PQconnectdb(argv[1]);
    if (PQstatus(c) != CONNECTION_OK) return fprintf(stderr, "%s", PQerrorMessage(c)), 1;
    double rate = atof(argv[2]), secs = atof(argv[3]);
    int64_t interval = rate > 0 ? (int64_t)(1e9 / rate) : 0, next = now_ns();
    size_t cap = 1 << 20, n = 0;
    double *lat = malloc(cap * sizeof *lat);
    int64_t end = now_ns() + (int64_t)(secs * 1e9);
    while (now_ns() < end && n < cap) {
        if (interval) {
            next += interval;
            struct timespec ts = {.tv_sec = next / 1000000000, .tv_nsec = next % 1000000000};
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        }
        int64_t t0 = now_ns();
        PGresult *r = PQexecParams(c, argv[4], argc - 5, NULL, (const char *const *)argv + 5, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
            return fprintf(stderr, "%s", PQresultErrorMessage(r)), 1;
        PQclear(r);
        lat[n++] = (double)(now_ns() - t0) / 1000.0;
    }
    qsort(lat, n, sizeof *lat, cmp);
    printf("PGDIRECT %zu %.0f %.0f %.0f\n", n, lat[n / 2], lat[(size_t)(n * 0.99)], lat[(size_t)(n * 0.999)]);
    PQfinish(c);
    free(lat);
    return 0;
}
