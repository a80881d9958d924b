/* bench/pg_direct: the baseline for bench/sql-e2e: one libpq connection running a statement
 * (with its parameters) again and again, as a client without gatehouse would, timing each.
 *   pg_direct [--prepared] CONNINFO RATE SECONDS SQL [PARAM...]
 * Without --prepared each run is PQexecParams (parse, analyze and plan every time: what an
 * application does by default); with it the statement is prepared once (PQprepare) and run
 * with PQexecPrepared (what a driver's statement cache does). Parameters are text, their
 * types left to the server, as gatehouse sends them.
 * RATE statements per second (0: back to back), so it compares with gatehouse at that rate:
 * an idle database and client wake up slower than busy ones. Paced runs are timed as
 * bench/loadgen times its requests: from the scheduled time (a timerfd woken through epoll),
 * so the client's own wake-up counts on both sides of the comparison.
 * prints "PGDIRECT n p50 p99 p99.9" (microseconds). */
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

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

/* Sleeps until the absolute time at (CLOCK_MONOTONIC ns) the way bench/loadgen does. */
static void wait_until(int ep, int tfd, int64_t at)
{
    struct itimerspec its = {.it_value = {.tv_sec = at / 1000000000, .tv_nsec = at % 1000000000}};
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
    struct epoll_event ev;
    while (now_ns() < at) {
        if (epoll_wait(ep, &ev, 1, 100) == 1) {
            uint64_t x;
            if (read(tfd, &x, sizeof x) < 0) { /* spurious */ }
        }
    }
}

int main(int argc, char **argv)
{
    int a = 1;
    bool prepared = argc > 1 && strcmp(argv[1], "--prepared") == 0;
    if (prepared) a++;
    if (argc - a < 4)
        return fprintf(stderr, "usage: pg_direct [--prepared] CONNINFO RATE SECONDS SQL [PARAM...]\n"), 2;
    PGconn *c = PQconnectdb(argv[a]);
    if (PQstatus(c) != CONNECTION_OK) return fprintf(stderr, "%s", PQerrorMessage(c)), 1;
    double rate = atof(argv[a + 1]), secs = atof(argv[a + 2]);
    const char *sql = argv[a + 3];
    int nparams = argc - a - 4;
    const char *const *params = (const char *const *)argv + a + 4;
    if (prepared) {
        PGresult *r = PQprepare(c, "pg_direct", sql, nparams, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) return fprintf(stderr, "%s", PQresultErrorMessage(r)), 1;
        PQclear(r);
    }
    int ep = epoll_create1(0), tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    int64_t interval = rate > 0 ? (int64_t)(1e9 / rate) : 0, next = now_ns() + 1000000;
    size_t cap = 1 << 20, n = 0;
    double *lat = malloc(cap * sizeof *lat);
    int64_t end = now_ns() + (int64_t)(secs * 1e9);
    while (now_ns() < end && n < cap) {
        int64_t t0;
        if (interval) {
            wait_until(ep, tfd, next);
            t0 = next;
            next += interval;
        } else t0 = now_ns();
        PGresult *r = prepared ? PQexecPrepared(c, "pg_direct", nparams, params, NULL, NULL, 0)
                               : PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
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
