/* A per-worker memory of what the SQL listener worked out for a statement text: its
 * description (input.query), and for each decision it met (the decision's exact
 * JSON) the rewritten statement and where each placeholder's value comes from. Applications
 * send the same statements again and again with other parameters, so parsing, describing and
 * rewriting are paid once per (statement, decision). Keyed by the exact texts, so a hit can
 * only return what a fresh describe and rewrite would. Not shared between threads. */
#ifndef GH_SQL_PLANS_H
#define GH_SQL_PLANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/value.h"

typedef struct sql_plan {
    char *decision;        /* the decision as JSON (the key) */
    char *sql;             /* the rewritten statement */
    size_t nparams;
    int *request_index;    /* >= 1: the request's own parameter; 0: constraint_text[i] */
    char **constraint;     /* the constraint's text (NULL: SQL NULL) for request_index 0 */
    char *kinds;           /* per placeholder: 's' string, 'n' number, 'b' boolean, '0' null,
                              'r' the request's own (for forwarding typed values) */
} sql_plan;

typedef struct sql_plans sql_plans;

sql_plans *sql_plans_new(size_t slots);
void sql_plans_free(sql_plans *p);

/* The description (input.query) remembered for sql, or NULL; valid until the slot is
 * reused by another statement's sql_plans_put_query. */
const gh_value *sql_plans_query(sql_plans *p, const char *sql);
/* Remembers sql's description (read from its JSON once); forgets what the slot held before. */
void sql_plans_put_query(sql_plans *p, const char *sql, const char *query_json, size_t len);

/* The plan for (sql, decision JSON), or NULL. */
const sql_plan *sql_plans_get(sql_plans *p, const char *sql, const char *decision);
/* Remembers a plan for (sql, decision) (everything copied); sql must have been put. */
void sql_plans_put(sql_plans *p, const char *sql, const sql_plan *plan);

typedef struct sql_plans_stats {
    uint64_t query_hits, query_misses, plan_hits, plan_misses;
} sql_plans_stats;
void sql_plans_stats_get(const sql_plans *p, sql_plans_stats *out);

#endif
