/* libpq on libuv: each connection has a uv_poll on its socket, kept watching for readability
 * while the connection lives (an idle connection's input is a notice or its end); a query is
 * sent in non-blocking mode and its result collected as the socket turns readable. A broken
 * connection is reset (blocking, rare) before its next query.
 *
 * Prepared statements. A statement text the pool has seen before is prepared on a connection
 * (PQsendPrepare, as gh_<n>, parameter types left to the server exactly as PQsendQueryParams
 * leaves them) and from then on run with PQsendQueryPrepared, so PostgreSQL parses, analyses
 * and plans it once per connection instead of on every run. A text seen only once runs
 * unprepared: a client that splices its values into ever new texts costs no extra round trip.
 * Each connection remembers up to `prepared` statements (a clock picks the one to forget,
 * which is deallocated before its name is reused); a reset connection has none. The
 * prepared path never changes an answer: when it fails (the prepare, or a run refused with
 * 26000 "prepared statement does not exist" or 0A000 "cached plan must not change result
 * type" after a schema change) the statement is forgotten and the job runs once more,
 * unprepared, as it would have without the cache; a batch rolls back first and is replayed
 * from its BEGIN. A job is retried at most once. */
#include "pg.h"

#include "log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_SEEN 1024               /* statement hashes the pool has seen (direct-mapped) */
#define PG_PREPARED_MAX 1024       /* slots per connection at most (looked up by a scan) */
#define PG_PREPARE_MAX_TEXT 16384  /* longer statements are never prepared (memory) */

typedef enum {
    PH_DEALLOC, /* DEALLOCATE the statement whose slot the job's statement takes */
    PH_PREPARE, /* PQsendPrepare the job's statement */
    PH_RUN      /* the statement (batch: BEGIN, the sets, COMMIT or ROLLBACK) */
} pg_phase;

typedef struct pg_job {
    struct pg_job *next;
    char *sql;
    uint64_t hash;   /* of sql */
    int nparams;
    char **values;   /* nsets * nparams */
    int nsets;       /* > 1, or batch: BEGIN, the statement per set, COMMIT */
    bool batch;
    int step;        /* batch: 0 BEGIN, 1..nsets the sets, nsets + 1 COMMIT, -1 ROLLBACK */
    PGresult *failed; /* batch: the error that made it roll back */
    pg_phase phase;
    int stmt;        /* the connection's statement slot the job runs, -1: unprepared */
    unsigned dealloc; /* PH_DEALLOC: the id of the statement to deallocate */
    bool retried;    /* the prepared path failed and the job runs unprepared: never again */
    bool replay;     /* batch: after the ROLLBACK, run again from BEGIN, unprepared */
    pg_done done;
    void *ud;
} pg_job;

/* A statement prepared on one connection as gh_<id>. Free: id 0. Live: sql set. Stale (its
 * plan refused, or the slot being reused): sql NULL and id set, so its name is deallocated
 * before the slot takes another statement. */
typedef struct pg_stmt {
    uint64_t hash;
    char *sql;
    unsigned id;
    bool used;       /* the clock's bit: run since the hand last passed */
} pg_stmt;

typedef struct pg_conn {
    pg_pool *pool;
    PGconn *conn;
    uv_poll_t *poll; /* watching conn's current socket (NULL: none); its own allocation, as a
                        reset makes a new one while the old one is still closing */
    int events;     /* what the poll handle watches now (0: stopped) */
    pg_job *job;    /* the query in flight, NULL when idle */
    PGresult *last; /* the latest result of the job */
    pg_stmt *stmts; /* pool->prepared slots */
    int hand;       /* the clock's hand over stmts */
    unsigned next_id; /* names are never reused within a session */
} pg_conn;

struct pg_pool {
    uv_loop_t *loop;
    char *conninfo;
    pg_conn *conns;
    int size;
    int prepared;   /* statements remembered per connection (0: never prepare) */
    uint64_t *seen; /* PG_SEEN hashes of statements sent through the pool */
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

/* ---- prepared statements ---- */

static uint64_t hash_text(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

/* The connection's session is gone (reset) or the connection is: so are its statements. */
static void stmts_clear(pg_conn *c)
{
    for (int i = 0; c->stmts && i < c->pool->prepared; i++) {
        free(c->stmts[i].sql);
        c->stmts[i] = (pg_stmt){0};
    }
    c->hand = 0;
}

/* The statement is no longer run; its name stays taken until its slot is reused. */
static void stmt_forget(pg_conn *c, int i)
{
    free(c->stmts[i].sql);
    c->stmts[i].sql = NULL;
    c->stmts[i].used = false;
}

/* Decides how the job runs on c: a live statement (PH_RUN with stmt), a slot to prepare
 * (PH_PREPARE, after PH_DEALLOC when the slot's name is still taken) or unprepared. */
static void stmt_choose(pg_conn *c, pg_job *j)
{
    pg_pool *p = c->pool;
    j->phase = PH_RUN;
    j->stmt = -1;
    if (!c->stmts || j->retried) return;
    for (int i = 0; i < p->prepared; i++) {
        pg_stmt *s = &c->stmts[i];
        if (s->sql && s->hash == j->hash && strcmp(s->sql, j->sql) == 0) {
            s->used = true;
            j->stmt = i;
            return;
        }
    }
    uint64_t *seen = &p->seen[j->hash % PG_SEEN];
    if (*seen != j->hash) { /* the first time: unprepared */
        *seen = j->hash;
        return;
    }
    int victim = -1;
    for (int i = 0; i < p->prepared && victim < 0; i++)
        if (c->stmts[i].id == 0) victim = i;
    while (victim < 0) { /* the clock: a stale slot, or one not run since the hand passed */
        pg_stmt *s = &c->stmts[c->hand];
        if (!s->sql || !s->used) victim = c->hand;
        else s->used = false;
        c->hand = (c->hand + 1) % p->prepared;
    }
    pg_stmt *s = &c->stmts[victim];
    char *sql = strdup(j->sql);
    if (!sql) return;
    if (s->id) {
        j->dealloc = s->id;
        j->phase = PH_DEALLOC;
    } else j->phase = PH_PREPARE;
    free(s->sql);
    *s = (pg_stmt){.hash = j->hash, .sql = sql, .id = ++c->next_id, .used = true};
    j->stmt = victim;
}

/* A run refused because of the prepared statement itself, not the statement's meaning. */
static bool stmt_refused(const PGresult *r)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return st && (strcmp(st, "26000") == 0 || strcmp(st, "0A000") == 0);
}

/* ---- connections ---- */

/* PostgreSQL's notices (a function's NOTICE, a WARNING, "terminating connection" before the
 * server ends one) go to the daemon's log, not raw to stderr. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    size_t n = strlen(message);
    while (n && (message[n - 1] == '\n' || message[n - 1] == ' ')) n--;
    log_msg(LOG_INFO, NULL, "PostgreSQL: %.*s", (int)n, message);
}

static void pool_free(pg_pool *p)
{
    for (int i = 0; i < p->size; i++) {
        if (p->conns[i].conn) PQfinish(p->conns[i].conn);
        stmts_clear(&p->conns[i]);
        free(p->conns[i].stmts);
    }
    free(p->conns);
    free(p->seen);
    free(p->conninfo);
    free(p);
}

static void on_poll_closed(uv_handle_t *h)
{
    pg_conn *c = h->data;
    pg_pool *p = c->pool;
    free(h);
    if (--p->open_handles == 0 && p->closing) pool_free(p);
}

static int watch(pg_conn *c)
{
    if (c->poll) return 0;
    int fd = PQsocket(c->conn);
    uv_poll_t *h = fd < 0 ? NULL : malloc(sizeof *h);
    if (!h || uv_poll_init(c->pool->loop, h, fd) < 0) return free(h), -1;
    h->data = c;
    c->poll = h;
    c->events = 0;
    c->pool->open_handles++;
    return 0;
}

/* Watches for what the connection waits for now; libuv is told only of changes. */
static void poll_for(pg_conn *c, int events)
{
    if (events == c->events) return;
    c->events = events;
    if (events) uv_poll_start(c->poll, events, on_poll);
    else uv_poll_stop(c->poll);
}

/* After a reset the socket may be another: the poll handle is made anew. */
static void unwatch(pg_conn *c)
{
    if (!c->poll) return;
    uv_poll_stop(c->poll);
    uv_close((uv_handle_t *)c->poll, on_poll_closed);
    c->poll = NULL;
}

static bool healthy(pg_conn *c)
{
    if (PQstatus(c->conn) == CONNECTION_OK) return true;
    unwatch(c);
    stmts_clear(c); /* a new session */
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
    /* idle, a live connection stays watched (a notice, or the server going away); a broken
     * one's handle is closed at once: libpq closed its socket, and once another handle of
     * this loop takes the number, closing ours would take that one out of epoll too */
    if (c->poll && PQstatus(c->conn) == CONNECTION_OK) poll_for(c, UV_READABLE);
    else unwatch(c);
    j->done(j->ud, err ? NULL : res, err);
    if (res) PQclear(res);
    job_free(j);
}

/* Sends the job's current step: the deallocation or the prepare before it runs, the
 * statement (with its parameter set, prepared or not), or for a batch BEGIN, COMMIT or
 * ROLLBACK. */
static bool send_step(pg_conn *c)
{
    pg_job *j = c->job;
    char name[24];
    if (j->stmt >= 0) snprintf(name, sizeof name, "gh_%u", c->stmts[j->stmt].id);
    bool ok;
    if (j->phase == PH_DEALLOC) {
        char q[40];
        snprintf(q, sizeof q, "DEALLOCATE gh_%u", j->dealloc);
        ok = PQsendQuery(c->conn, q);
    } else if (j->phase == PH_PREPARE)
        ok = PQsendPrepare(c->conn, name, j->sql, j->nparams, NULL);
    else if (j->batch && (j->step == 0 || j->step == j->nsets + 1 || j->step < 0))
        ok = PQsendQuery(c->conn, j->step == 0 ? "BEGIN" : j->step < 0 ? "ROLLBACK" : "COMMIT");
    else {
        int set = j->batch ? j->step - 1 : 0;
        const char *const *values = (const char *const *)j->values + (size_t)set * (size_t)j->nparams;
        ok = j->stmt >= 0 ? PQsendQueryPrepared(c->conn, name, j->nparams, values, NULL, NULL, 0)
                          : PQsendQueryParams(c->conn, j->sql, j->nparams, NULL, values, NULL, NULL, 0);
    }
    if (!ok) return false;
    int f = PQflush(c->conn);
    poll_for(c, UV_READABLE | (f == 1 ? UV_WRITABLE : 0));
    return true;
}

static void start_job(pg_conn *c, pg_job *j)
{
    c->job = j;
    if (!healthy(c) || watch(c) < 0) {
        finish_job(c, PQerrorMessage(c->conn));
        return;
    }
    stmt_choose(c, j);
    if (!send_step(c)) finish_job(c, PQerrorMessage(c->conn));
}

/* The prepared path failed: the statement is forgotten and the job runs unprepared, once. */
static void unprepare(pg_conn *c, pg_job *j)
{
    stmt_forget(c, j->stmt);
    j->stmt = -1;
    j->retried = true;
}

/* A step is done (its results read, c->last the latest): the next one, a rollback after a
 * batch's error, or the unprepared run after the prepared path failed. True when the job
 * goes on. */
static bool next_step(pg_conn *c)
{
    pg_job *j = c->job;
    ExecStatusType st = c->last ? PQresultStatus(c->last) : PGRES_FATAL_ERROR;
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (j->phase != PH_RUN) {
        /* a failed DEALLOCATE only means the name was already gone; a failed prepare runs
         * the statement unprepared, whose answer is the one to give */
        if (j->phase == PH_PREPARE && !ok) {
            c->stmts[j->stmt].id = 0; /* not prepared: the name is free */
            unprepare(c, j);
        }
        j->phase = j->phase == PH_DEALLOC ? PH_PREPARE : PH_RUN;
        if (c->last) PQclear(c->last);
        c->last = NULL;
        return send_step(c);
    }
    if (!j->batch) {
        if (ok || j->stmt < 0 || j->retried || !stmt_refused(c->last)) return false;
        unprepare(c, j);
        PQclear(c->last);
        c->last = NULL;
        return send_step(c);
    }
    if (j->step < 0 && j->replay) { /* rolled back: the whole batch again, unprepared */
        j->replay = false;
        PQclear(j->failed);
        j->failed = NULL;
        if (c->last) PQclear(c->last);
        c->last = NULL;
        j->step = 0;
        return send_step(c);
    }
    if (j->step < 0 || j->step == j->nsets + 1) return false;
    if (!ok) {
        if (j->step >= 1 && j->stmt >= 0 && !j->retried && stmt_refused(c->last)) {
            unprepare(c, j);
            j->replay = true;
        }
        j->failed = c->last;
        c->last = NULL;
        j->step = -1;
    } else j->step++;
    return send_step(c);
}

/* Reads what arrived; the job is done when PQgetResult says there is nothing more. */
static void on_poll(uv_poll_t *h, int status, int events)
{
    pg_conn *c = h->data;
    if (!c->job) { /* idle: a notice to read, or the connection ended (reset at next use) */
        if (status < 0 || !PQconsumeInput(c->conn) || PQstatus(c->conn) != CONNECTION_OK)
            unwatch(c); /* now, while libpq's closed socket number is still nobody's */
        return;
    }
    if (status < 0) {
        finish_job(c, uv_strerror(status));
        pump(c->pool);
        return;
    }
    if (events & UV_WRITABLE) {
        int f = PQflush(c->conn);
        if (f == 0) poll_for(c, UV_READABLE);
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

pg_pool *pg_pool_new(uv_loop_t *loop, const char *conninfo, int size, int prepared, char *err,
                     size_t errlen)
{
    pg_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->conns = calloc((size_t)size, sizeof *p->conns)) || !(p->conninfo = strdup(conninfo)) ||
        (prepared > 0 && !(p->seen = calloc(PG_SEEN, sizeof *p->seen)))) {
        if (p) free(p->conns), free(p->conninfo);
        free(p);
        return snprintf(err, errlen, "out of memory"), NULL;
    }
    p->loop = loop;
    p->size = size;
    p->prepared = prepared < 0 ? 0 : prepared > PG_PREPARED_MAX ? PG_PREPARED_MAX : prepared;
    for (int i = 0; i < size; i++) {
        pg_conn *c = &p->conns[i];
        c->pool = p;
        if (p->prepared && !(c->stmts = calloc((size_t)p->prepared, sizeof *c->stmts))) {
            snprintf(err, errlen, "out of memory");
            pool_free(p);
            return NULL;
        }
        c->conn = PQconnectdb(conninfo);
        if (PQstatus(c->conn) != CONNECTION_OK && i == 0) {
            snprintf(err, errlen, "PostgreSQL: %s", PQerrorMessage(c->conn));
            pool_free(p);
            return NULL;
        }
        PQsetnonblocking(c->conn, 1);
        PQsetNoticeProcessor(c->conn, on_notice, NULL); /* kept across PQreset */
        /* watched from the start: a connection that ends before its first query is reset
         * then, not found broken by it */
        if (PQstatus(c->conn) == CONNECTION_OK && watch(c) == 0) poll_for(c, UV_READABLE);
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
    j->hash = j->sql && strlen(sql) <= PG_PREPARE_MAX_TEXT ? hash_text(sql) : 0;
    j->retried = j->hash == 0; /* too long to remember (or no memory): always unprepared */
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
        free(p->conns[i].poll); /* closed with their loop */
        p->conns[i].poll = NULL;
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
