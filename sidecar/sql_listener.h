/* What the SQL listener's files share (listener_sql.c: the flow and the answers;
 * sql_requests.c: reading the request shapes; sql_forward.c: forwarding to a connector
 * service). Internal to the sidecar. */
#ifndef GH_SQL_LISTENER_H
#define GH_SQL_LISTENER_H

#include <libpq-fe.h>

#include "decide.h"
#include "sql.h"

/* One request waiting for its upstream: what the answer needs, out of the request arena
 * (which the next request on this worker resets). */
typedef struct sql_call {
    listener_rt *l;
    http_conn *conn;
    char handle[40];    /* the decision id, or a fresh UUID: Snowflake's statementHandle */
    http_response resp;
    bool include_metadata;
    size_t batch_sets; /* BatchExecuteStatement: its parameter sets (0: ExecuteStatement) */
} sql_call;

typedef struct rds_request {
    const char *sql;
    const char **names;
    const char **values; /* text, by position: nsets rows of nparams */
    size_t nparams, nsets;
    bool include_metadata;
    bool batch;          /* BatchExecuteStatement: parameterSets, one transaction */
    sql_param_style style;  /* RDS names parameters (turned into $n); Snowflake binds ? */
    const gh_value *doc;    /* the request body, for forwarding */
    const gh_value **own;   /* the request's own parameter values as sent (nsets * nparams) */
} rds_request;

typedef struct sql_ctx {
    sql_param_style style;
    listener_rt *l;
    worker *w;
    const http_request *req;
    http_response *resp;
    decision d;
    metric_decision dec;
} sql_ctx;

typedef struct sql_plan_out {
    const char *sql;     /* the statement to run */
    size_t nparams;
    const char **values; /* text values, NULL for SQL NULL: one row of nparams per set */
    const int *request_index; /* per placeholder, as in sql_plan (for forwarding) */
    const char *kinds;
    const char *const *constraint;
} sql_plan_out;

/* The Data API's error answer ({"message"} with x-amzn-ErrorType). */
/* Why a request gets no result. Each listener answers in its API's own error shape:
 * sql_rds the Data API's ({"message"} with x-amzn-ErrorType; denials 403), sql_snowflake
 * the SQL API's QueryFailureStatus ({"code", "sqlState", "message", "statementHandle",
 * "createdOn"}; statements it refuses or the database fails are 422, as Snowflake answers
 * them). */
typedef enum sql_failure {
    SQL_FAIL_BAD_REQUEST, /* the request itself is malformed */
    SQL_FAIL_NOT_FOUND,   /* not an endpoint of the listener */
    SQL_FAIL_BAD_SQL,     /* the statement does not parse */
    SQL_FAIL_DENIED,      /* the policy, or the rewrite, refuses it */
    SQL_FAIL_DATABASE,    /* the database refused or failed it (sqlstate: its SQLSTATE) */
    SQL_FAIL_UPSTREAM,    /* no answer from the database or the connector service */
    SQL_FAIL_INTERNAL,    /* out of memory, an answer too large */
} sql_failure;
/* handle: the statement's id for Snowflake (the decision id, or a fresh UUID). */
void sql_refuse(const listener_rt *l, http_response *r, sql_failure f, const char *msg, const char *sqlstate,
                const char *handle);
/* Answers a deferred request from PostgreSQL's result (or err), then frees the call. */
void sql_on_pg_done(void *ud, PGresult *res, const char *err);
/* A decision's constraint value as text (NULL for SQL NULL). */
const char *sql_constraint_text(gh_arena *a, const gh_value *v);

/* sql_requests.c: an ExecuteStatement/BatchExecuteStatement or Snowflake body. -1 with err. */
int sql_read_rds_request(gh_arena *a, const http_request *req, rds_request *out, char *err,
                         size_t errlen);
int sql_read_snowflake_request(gh_arena *a, const http_request *req, rds_request *out, char *err,
                               size_t errlen);
/* RDS names parameters (":id"); PostgreSQL numbers them ($1): the text with $n, or NULL. */
char *sql_number_params(gh_arena *a, const char *sql, const char *const *names, size_t n,
                        char *err, size_t errlen);

/* sql_forward.c: sends the rewritten request to the listener's upstream_url; the answer (or
 * a 502) completes call. */
void sql_forward(sql_ctx *x, const rds_request *rr, const sql_plan_out *plan, sql_call *call);

#endif
