/* libpq on libuv: each connection has a uv_poll on its socket; a query is sent in
 * non-blocking mode and its result collected as the socket turns readable. A broken
 * connection is reset (blocking, rare) before its next query. */
#include "pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pg_job {
    struct pg_job *next;
    char *sql;
    int nparams;
    char **values;   /* nsets * nparams */
    int nsets;       /* > 1, or batch: BEGIN, the statement per set, COMMIT */
    bool batch;
    int step;        /* batch: 0 BEGIN, 1..nsets the sets, nsets + 1 COMMIT, -1 ROLLBACK */
    PGresult *failed; /* batch: the error that made it roll back */
    pg_done done;
    void *ud;
} pg_job;

typedef struct pg_conn {
    pg_pool *pool;
    PGconn *conn;
    uv_poll_t poll;
    bool polling;   /* poll handle initialised for conn's current socket */
    pg_job *job;    /* the query in flight, NULL when idle */
    PGresult *last; /* the latest result of the job */
} pg_conn;

struct pg_pool {
    uv_loop_t *loop;
    char *conninfo;
    pg_conn *conns;
    int size;
    pg_job *head, *tail; /* waiting for a connection */
    int open_handles;
    bool closing;
};

static void job_free(pg_job *j)
{
    if (j->failed) PQclear(j->failed);
    for (int i = 0; i < j->nparams * j->nsets; i++) free(j->values[i]);
    free(j->values);
    free(j->sql);
    free(j);
}

static void on_poll(uv_poll_t *h, int status, int events);
static void pump(pg_pool *p);

/* ---- connections ---- */

static void pool_free(pg_pool *p)
{
    for (int i = 0; i < p->size; i++)
        if (p->conns[i].conn) PQfinish(p->conns[i].conn);
    free(p->conns);
    free(p->conninfo);
    free(p);
}

static void on_poll_closed(uv_handle_t *h)
{
    pg_conn *c = h->data;
    pg_pool *p = c->pool;
    if (--p->open_handles == 0 && p->closing) pool_free(p);
}

static int watch(pg_conn *c)
{
    if (c->polling) return 0;
    int fd = PQsocket(c->conn);
    if (fd < 0 || uv_poll_init(c->pool->loop, &c->poll, fd) < 0) return -1;
    c->poll.data = c;
    c->polling = true;
    c->pool->open_handles++;
    return 0;
}

/* After a reset the socket may be another: the poll handle is made anew. */
static void unwatch(pg_conn *c)
{
    if (!c->polling) return;
    c->polling = false;
    uv_poll_stop(&c->poll);
    uv_close((uv_handle_t *)&c->poll, on_poll_closed);
}

static bool healthy(pg_conn *c)
{
    if (PQstatus(c->conn) == CONNECTION_OK) return true;
    unwatch(c);
    PQreset(c->conn);
    if (PQstatus(c->conn) != CONNECTION_OK) return false;
    PQsetnonblocking(c->conn, 1);
    return true;
}

static void finish_job(pg_conn *c, const char *err)
{
    pg_job *j = c->job;
    PGresult *res = c->last;
    if (j->failed) { /* a batch rolled back: its error is the answer */
        if (res) PQclear(res);
        res = j->failed;
        j->failed = NULL;
    }
    c->job = NULL;
    c->last = NULL;
    if (c->polling) uv_poll_stop(&c->poll);
    j->done(j->ud, err ? NULL : res, err);
    if (res) PQclear(res);
    job_free(j);
}

/* Sends the job's current step: the statement (with its parameter set), or for a batch
 * BEGIN, COMMIT or ROLLBACK. */
static bool send_step(pg_conn *c)
{
    pg_job *j = c->job;
    bool ok;
    if (j->batch && (j->step == 0 || j->step == j->nsets + 1 || j->step < 0))
        ok = PQsendQuery(c->conn, j->step == 0 ? "BEGIN" : j->step < 0 ? "ROLLBACK" : "COMMIT");
    else {
        int set = j->batch ? j->step - 1 : 0;
        ok = PQsendQueryParams(c->conn, j->sql, j->nparams, NULL,
                               (const char *const *)j->values + (size_t)set * (size_t)j->nparams,
                               NULL, NULL, 0);
    }
    if (!ok) return false;
    int f = PQflush(c->conn);
    uv_poll_start(&c->poll, UV_READABLE | (f == 1 ? UV_WRITABLE : 0), on_poll);
    return true;
}

static void start_job(pg_conn *c, pg_job *j)
{
    c->job = j;
    if (!healthy(c) || watch(c) < 0 || !send_step(c)) finish_job(c, PQerrorMessage(c->conn));
}

/* A step of a batch is done: the next one, or a rollback after an error. True when the job
 * goes on. */
static bool next_step(pg_conn *c)
{
    pg_job *j = c->job;
    if (!j->batch || j->step < 0 || j->step == j->nsets + 1) return false;
    ExecStatusType st = c->last ? PQresultStatus(c->last) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        j->failed = c->last;
        c->last = NULL;
        j->step = -1;
    } else j->step++;
    if (send_step(c)) return true;
    return false;
}

/* Reads what arrived; the job is done when PQgetResult says there is nothing more. */
static void on_poll(uv_poll_t *h, int status, int events)
{
    pg_conn *c = h->data;
    if (!c->job) return;
    if (status < 0) {
        finish_job(c, uv_strerror(status));
        pump(c->pool);
        return;
    }
    if (events & UV_WRITABLE) {
        int f = PQflush(c->conn);
        if (f == 0) uv_poll_start(&c->poll, UV_READABLE, on_poll);
        if (f < 0) {
            finish_job(c, PQerrorMessage(c->conn));
            pump(c->pool);
            return;
        }
    }
    if (!(events & UV_READABLE)) return;
    if (!PQconsumeInput(c->conn)) {
        finish_job(c, PQerrorMessage(c->conn));
        pump(c->pool);
        return;
    }
    while (!PQisBusy(c->conn)) {
        PGresult *r = PQgetResult(c->conn);
        if (!r) {
            if (next_step(c)) return;
            finish_job(c, c->last || c->job->failed ? NULL : "no result");
            pump(c->pool);
            return;
        }
        if (c->last) PQclear(c->last);
        c->last = r;
    }
}

/* Hands waiting jobs to idle connections. */
static void pump(pg_pool *p)
{
    for (int i = 0; i < p->size && p->head; i++) {
        pg_conn *c = &p->conns[i];
        if (c->job) continue;
        pg_job *j = p->head;
        p->head = j->next;
        if (!p->head) p->tail = NULL;
        start_job(c, j);
    }
}

/* ---- the pool ---- */

pg_pool *pg_pool_new(uv_loop_t *loop, const char *conninfo, int size, char *err, size_t errlen)
{
    pg_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->conns = calloc((size_t)size, sizeof *p->conns)) || !(p->conninfo = strdup(conninfo))) {
        if (p) free(p->conns);
        free(p);
        return snprintf(err, errlen, "out of memory"), NULL;
    }
    p->loop = loop;
    p->size = size;
    for (int i = 0; i < size; i++) {
        pg_conn *c = &p->conns[i];
        c->pool = p;
        c->conn = PQconnectdb(conninfo);
        if (PQstatus(c->conn) != CONNECTION_OK && i == 0) {
            snprintf(err, errlen, "PostgreSQL: %s", PQerrorMessage(c->conn));
            for (int k = 0; k <= i; k++) PQfinish(p->conns[k].conn);
            free(p->conns);
            free(p->conninfo);
            free(p);
            return NULL;
        }
        PQsetnonblocking(c->conn, 1);
    }
    return p;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int pg_query(pg_pool *p, const char *sql, int nparams, const char *const *values, pg_done done,
             void *ud)
{
    return pg_query_batch(p, sql, nparams, 1, false, values, done, ud);
}

int pg_query_batch(pg_pool *p, const char *sql, int nparams, int nsets, bool batch,
                   const char *const *values, pg_done done, void *ud)
{
    pg_job *j = calloc(1, sizeof *j);
    if (!j) return -1;
    j->sql = strdup(sql);
    j->nparams = nparams;
    j->nsets = nsets;
    j->batch = batch;
    size_t nvalues = (size_t)nparams * (size_t)nsets;
    j->values = calloc(nvalues ? nvalues : 1, sizeof *j->values);
    j->done = done;
    j->ud = ud;
    bool ok = j->sql && j->values;
    for (int i = 0; ok && i < nparams * nsets; i++) {
        j->values[i] = dup_or_null(values[i]);
        if (values[i] && !j->values[i]) ok = false;
    }
    if (!ok) {
        job_free(j);
        return -1;
    }
    if (p->tail) p->tail->next = j;
    else p->head = j;
    p->tail = j;
    pump(p);
    return 0;
}

void pg_pool_discard(pg_pool *p)
{
    for (int i = 0; i < p->size; i++) {
        p->conns[i].polling = false; /* closed with their loop */
        if (p->conns[i].job) finish_job(&p->conns[i], "shutting down");
    }
    pool_free(p);
}

void pg_pool_close(pg_pool *p)
{
    p->closing = true;
    for (pg_job *j = p->head, *next; j; j = next) {
        next = j->next;
        j->done(j->ud, NULL, "shutting down");
        job_free(j);
    }
    p->head = p->tail = NULL;
    for (int i = 0; i < p->size; i++) {
        pg_conn *c = &p->conns[i];
        if (c->job) finish_job(c, "shutting down");
        unwatch(c);
    }
    if (p->open_handles == 0) pool_free(p); /* no poll handle left to wait for */
}
