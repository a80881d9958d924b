/* PostgreSQL through libpq on a worker's libuv loop: a small pool of connections per worker,
 * queries sent with PQsendQueryParams, or prepared once per connection and then run with
 * PQsendQueryPrepared (parameters always bound, never spliced; text values, their types left
 * to the server either way), and their answers read as the socket becomes readable, so a
 * slow query never blocks the loop. Queries beyond the pool's size wait in order. */
#ifndef GH_PG_H
#define GH_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct pg_pool pg_pool;

/* res is NULL when err says why (connection lost, send failed); otherwise PQresultStatus
 * tells success or the database's error. The pool clears res after the call. */
typedef void (*pg_done)(void *ud, PGresult *res, const char *err);

/* Connects `size` connections with conninfo (blocking: at the worker's start). Each keeps up
 * to `prepared` (at most 1024) statements prepared (a statement is prepared the second time
 * the pool sees its text; 0: never prepare, every statement goes as PQsendQueryParams). NULL
 * with err when the first cannot connect. */
pg_pool *pg_pool_new(uv_loop_t *loop, const char *conninfo, int size, int prepared, char *err,
                     size_t errlen);

/* Sends sql with nparams text values (NULL entries are SQL NULL). done runs later on the
 * loop, exactly once. The strings are copied. 0, or -1 when out of memory. */
int pg_query(pg_pool *p, const char *sql, int nparams, const char *const *values, pg_done done,
             void *ud);

/* The same statement once per parameter set (values: nsets rows of nparams), in one
 * transaction when batch (BEGIN ... COMMIT on one connection; the first error rolls it back
 * and is the answer). */
int pg_query_batch(pg_pool *p, const char *sql, int nparams, int nsets, bool batch,
                   const char *const *values, pg_done done, void *ud);

/* Closes every connection (queries in flight get done(ud, NULL, "shutting down")); the
 * pool frees itself once its handles are closed. */
void pg_pool_close(pg_pool *p);

/* Frees a pool whose loop is gone (its handles closed by the loop's owner). */
void pg_pool_discard(pg_pool *p);

#endif
