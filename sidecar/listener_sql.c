/* The SQL listeners' flow (kinds sql_rds and sql_snowflake): a request (sql_requests.c) is
 * described by PostgreSQL's own parser (connectors/sql), authenticated, decided by the policy
 * on what it really touches, rewritten so the decision's tenant, columns, masks and row
 * filters hold (constraint values bound as parameters, never spliced; descriptions and
 * rewrites remembered per worker), then run through the worker's libpq pool and answered in
 * the Data API's shape here, or forwarded to a connector service (sql_forward.c). Anything
 * not understood is denied. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gatehouse/error.h"
#include "log.h"
#include "pg.h"
#include "sql_listener.h"
#include "sql_plans.h"
#include "upstream.h"

/* ---- answers in the Data API's shapes ---- */

/* The Data API's error: {"message": ...} with x-amzn-ErrorType, as the AWS SDKs read it. */
static void rds_error(http_response *r, sql_failure f, const char *msg)
{
    static const struct { int status; const char *type; } shape[] = {
        [SQL_FAIL_BAD_REQUEST] = {400, "BadRequestException"},
        [SQL_FAIL_NOT_FOUND] = {404, "NotFoundException"},
        [SQL_FAIL_BAD_SQL] = {400, "BadRequestException"},
        [SQL_FAIL_DENIED] = {403, "ForbiddenException"},
        [SQL_FAIL_DATABASE] = {400, "BadRequestException"},
        [SQL_FAIL_UPSTREAM] = {502, "ServiceUnavailableError"},
        [SQL_FAIL_INTERNAL] = {500, "InternalServerErrorException"},
    };
    r->status = shape[f].status;
    gh_buf_printf(&r->headers, "x-amzn-ErrorType: %s\r\n", shape[f].type);
    gh_buf_clear(&r->body);
    gh_buf_puts(&r->body, "{\"message\":");
    gh_json_write_str(&r->body, msg, strlen(msg));
    gh_buf_puts(&r->body, "}\n");
}

/* The SQL API's QueryFailureStatus. Snowflake's own codes where it has the same failure
 * (001003 syntax error, 003001 insufficient privileges), else GH and the HTTP status. */
static void snowflake_error(http_response *r, sql_failure f, const char *msg, const char *sqlstate,
                            const char *handle)
{
    static const struct { int status; const char *code, *sqlstate; } shape[] = {
        [SQL_FAIL_BAD_REQUEST] = {400, "GH0400", NULL},
        [SQL_FAIL_NOT_FOUND] = {404, "GH0404", NULL},
        [SQL_FAIL_BAD_SQL] = {422, "001003", "42000"},
        [SQL_FAIL_DENIED] = {422, "003001", "42501"},
        [SQL_FAIL_DATABASE] = {422, "GH0422", "XX000"},
        [SQL_FAIL_UPSTREAM] = {502, "GH0502", NULL},
        [SQL_FAIL_INTERNAL] = {500, "GH0500", NULL},
    };
    r->status = shape[f].status;
    r->content_type = "application/json";
    gh_buf *b = &r->body;
    gh_buf_clear(b);
    gh_buf_printf(b, "{\"code\":\"%s\",", shape[f].code);
    const char *state = sqlstate && *sqlstate ? sqlstate : shape[f].sqlstate;
    if (state) {
        gh_buf_puts(b, "\"sqlState\":");
        gh_json_write_str(b, state, strlen(state));
        gh_buf_putc(b, ',');
    }
    gh_buf_puts(b, "\"message\":");
    gh_json_write_str(b, msg, strlen(msg));
    gh_buf_printf(b, ",\"statementHandle\":\"%s\",\"createdOn\":%llu}\n", handle,
                  (unsigned long long)(log_now_unix_ns() / 1000000));
}

void sql_refuse(const listener_rt *l, http_response *r, sql_failure f, const char *msg, const char *sqlstate,
                const char *handle)
{
    if (l->cfg->kind != LISTENER_SQL_SNOWFLAKE) return rds_error(r, f, msg);
    char fresh[40];
    if (!handle || !*handle) /* no decision id (the decision log is off): a handle of its own */
        decide_uuid(l->w, fresh), handle = fresh;
    snowflake_error(r, f, msg, sqlstate, handle);
}

static const char *pg_type_name(Oid oid)
{
    switch (oid) {
    case 16: return "bool";
    case 17: return "bytea";
    case 20: return "int8";
    case 21: return "int2";
    case 23: return "int4";
    case 25: return "text";
    case 700: return "float4";
    case 701: return "float8";
    case 1042: return "bpchar";
    case 1043: return "varchar";
    case 1082: return "date";
    case 1114: return "timestamp";
    case 1184: return "timestamptz";
    case 1700: return "numeric";
    case 2950: return "uuid";
    case 114: return "json";
    case 3802: return "jsonb";
    default: return NULL;
    }
}

/* A JSON string: printable ASCII without quote or backslash (most values) goes out as it
 * is, in one piece; anything else through the engine's writer. */
static void put_string(gh_buf *b, const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
            gh_json_write_str(b, v, n);
            return;
        }
    }
    gh_buf_putc(b, '"');
    gh_buf_append(b, v, n);
    gh_buf_putc(b, '"');
}

/* One field as the Data API types it: integers longValue, floats doubleValue, booleans
 * booleanValue, NULL isNull, everything else (numeric, dates, text...) stringValue. */
static void put_field(gh_buf *b, const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col)) {
        gh_buf_puts(b, "{\"isNull\":true}");
        return;
    }
    const char *v = PQgetvalue(res, row, col);
    size_t n = (size_t)PQgetlength(res, row, col);
    const char *key = "{\"stringValue\":";
    switch (PQftype(res, col)) {
    case 16: gh_buf_puts(b, v[0] == 't' ? "{\"booleanValue\":true}" : "{\"booleanValue\":false}"); return;
    case 20:
    case 21:
    case 23: key = "{\"longValue\":"; break;
    case 700:
    case 701:
        if (strcmp(v, "NaN") && strcmp(v, "Infinity") && strcmp(v, "-Infinity")) key = "{\"doubleValue\":";
        break;
    default: break;
    }
    gh_buf_puts(b, key);
    if (key[2] == 's') put_string(b, v, n);
    else gh_buf_append(b, v, n);
    gh_buf_putc(b, '}');
}

static void put_metadata(gh_buf *b, const PGresult *res)
{
    gh_buf_puts(b, ",\"columnMetadata\":[");
    for (int c = 0; c < PQnfields(res); c++) {
        const char *name = PQfname(res, c), *type = pg_type_name(PQftype(res, c));
        gh_buf_puts(b, c ? ",{\"name\":" : "{\"name\":");
        gh_json_write_str(b, name, strlen(name));
        gh_buf_puts(b, ",\"label\":");
        gh_json_write_str(b, name, strlen(name));
        if (type) gh_buf_printf(b, ",\"typeName\":\"%s\"", type);
        else gh_buf_printf(b, ",\"typeName\":\"oid:%u\"", PQftype(res, c));
        gh_buf_putc(b, '}');
    }
    gh_buf_putc(b, ']');
}

static void rds_result(http_response *r, const PGresult *res, bool include_metadata)
{
    gh_buf *b = &r->body;
    gh_buf_clear(b);
    const char *n = PQcmdTuples((PGresult *)res);
    gh_buf_printf(b, "{\"numberOfRecordsUpdated\":%s", n && *n && PQresultStatus(res) == PGRES_COMMAND_OK ? n : "0");
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        if (include_metadata) put_metadata(b, res);
        gh_buf_puts(b, ",\"records\":[");
        for (int row = 0; row < PQntuples(res); row++) {
            gh_buf_puts(b, row ? ",[" : "[");
            for (int c = 0; c < PQnfields(res); c++) {
                if (c) gh_buf_putc(b, ',');
                put_field(b, res, row, c);
            }
            gh_buf_putc(b, ']');
        }
        gh_buf_putc(b, ']');
    }
    gh_buf_puts(b, "}\n");
    if (b->failed) rds_error(r, SQL_FAIL_INTERNAL, "the result is too large");
}

void sql_on_pg_done(void *ud, PGresult *res, const char *err)
{
    sql_call *call = ud;
    http_response *r = &call->resp;
    if (!res) sql_refuse(call->l, r, SQL_FAIL_UPSTREAM, err ? err : "the database did not answer", NULL, call->handle);
    else if ((PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK) &&
             call->batch_sets) { /* one updateResult per set, as the Data API answers */
        gh_buf_clear(&r->body);
        gh_buf_puts(&r->body, "{\"updateResults\":[");
        for (size_t i = 0; i < call->batch_sets; i++)
            gh_buf_puts(&r->body, i ? ",{\"generatedFields\":[]}" : "{\"generatedFields\":[]}");
        gh_buf_puts(&r->body, "]}\n");
    } else if (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK)
        rds_result(r, res, call->include_metadata);
    else {
        const char *msg = PQresultErrorMessage(res);
        char clean[512];
        snprintf(clean, sizeof clean, "%s", msg);
        size_t n = strlen(clean);
        while (n && (clean[n - 1] == '\n' || clean[n - 1] == ' ')) clean[--n] = 0;
        sql_refuse(call->l, r, SQL_FAIL_DATABASE, clean, PQresultErrorField(res, PG_DIAG_SQLSTATE), call->handle);
    }
    http_respond(call->conn, r);
    gh_buf_free(&r->headers);
    gh_buf_free(&r->body);
    free(call);
}

/* ---- the request ---- */

/* A constraint value from the decision as text: strings as they are, numbers and booleans
 * printed, arrays as PostgreSQL array literals (for `in` filters). */
const char *sql_constraint_text(gh_arena *a, const gh_value *v)
{
    gh_buf b;
    gh_buf_init(&b, 1u << 20);
    size_t n;
    const char *s;
    switch (gh_value_kind(v)) {
    case GH_KIND_NULL: gh_buf_free(&b); return NULL;
    case GH_KIND_BOOL: gh_buf_free(&b); return gh_value_get_bool(v) ? "true" : "false";
    case GH_KIND_STRING: s = gh_string_ptr(v, &n); gh_buf_append(&b, s, n); break;
    case GH_KIND_ARRAY:
    case GH_KIND_SET:
        gh_buf_putc(&b, '{');
        for (size_t i = 0; i < gh_value_len(v); i++) {
            const gh_value *e = gh_value_kind(v) == GH_KIND_ARRAY ? gh_array_get(v, i) : gh_set_item_at(v, i);
            if (i) gh_buf_putc(&b, ',');
            const char *t = sql_constraint_text(a, e);
            if (!t) { gh_buf_puts(&b, "NULL"); continue; }
            gh_buf_putc(&b, '"');
            for (; *t; t++) {
                if (*t == '"' || *t == '\\') gh_buf_putc(&b, '\\');
                gh_buf_putc(&b, *t);
            }
            gh_buf_putc(&b, '"');
        }
        gh_buf_putc(&b, '}');
        break;
    default: gh_json_write(&b, v, 0); break; /* numbers (and objects, which fail in SQL) */
    }
    const char *out = gh_arena_strndup(a, b.data ? b.data : "", b.len);
    gh_buf_free(&b);
    return out;
}

/* {"method", "path", "headers"} with lower-case names and without Authorization. */
static const gh_value *request_value(gh_arena *a, const http_request *req)
{
    const gh_value **hk = gh_arena_alloc(a, (req->nheaders + 1) * sizeof *hk);
    const gh_value **hv = gh_arena_alloc(a, (req->nheaders + 1) * sizeof *hv);
    size_t m = 0;
    for (size_t i = 0; i < req->nheaders; i++) {
        const http_header *h = &req->headers[i];
        char *name = gh_arena_strndup(a, h->name, h->name_len);
        for (char *c = name; *c; c++) *c = (char)tolower((unsigned char)*c);
        if (strcmp(name, "authorization") == 0) continue;
        size_t k = 0;
        while (k < m && strcmp(gh_string_ptr(hk[k], NULL), name) != 0) k++;
        if (k < m) continue; /* the first of repeated headers */
        hk[m] = gh_value_string(a, name, strlen(name));
        hv[m++] = gh_value_string(a, h->value, h->value_len);
    }
    const gh_value *headers, *out;
    if (gh_value_object(a, hk, hv, m, &headers, NULL) != 0) return NULL;
    const gh_value *k[3] = {gh_value_string_ref(a, "headers", 7), gh_value_string_ref(a, "method", 6),
                            gh_value_string_ref(a, "path", 4)};
    const gh_value *v[3] = {headers, gh_value_string(a, req->method, strlen(req->method)),
                            gh_value_string(a, req->path, req->path_len)};
    return gh_value_object(a, k, v, 3, &out, NULL) == 0 ? out : NULL;
}

static const gh_value *input_value(gh_arena *a, const listener_cfg *c, const http_request *req,
                                   const gh_value *query, const gh_value *subject)
{
    const gh_value *k[4], *v[4];
    size_t n = 0;
    k[n] = gh_value_string_ref(a, "connector", 9);
    v[n++] = c->connector ? c->connector : GH_NULL;
    k[n] = gh_value_string_ref(a, "query", 5);
    v[n++] = query;
    k[n] = gh_value_string_ref(a, "request", 7);
    v[n++] = request_value(a, req);
    if (subject) k[n] = gh_value_string_ref(a, "subject", 7), v[n++] = subject;
    for (size_t i = 0; i < n; i++)
        if (!v[i]) return NULL;
    const gh_value *out;
    return gh_value_object(a, k, v, n, &out, NULL) == 0 ? out : NULL;
}

/* true allows as {"allow": true}; an object must say allow: true. */
static const gh_value *allowing(gh_arena *a, const gh_value *result)
{
    if (!result) return NULL;
    if (gh_value_kind(result) == GH_KIND_BOOL) {
        if (!gh_value_get_bool(result)) return NULL;
        const gh_value *k = gh_value_string_ref(a, "allow", 5), *v = GH_TRUE, *o;
        return gh_value_object(a, &k, &v, 1, &o, NULL) == 0 ? o : NULL;
    }
    if (gh_value_kind(result) != GH_KIND_OBJECT) return NULL;
    const gh_value *allow = gh_object_get_str(result, "allow", 5);
    return allow && gh_value_kind(allow) == GH_KIND_BOOL && gh_value_get_bool(allow) ? result : NULL;
}

static void deny_from_decision(sql_ctx *x, const gh_value *result)
{
    const gh_value *reason = result && gh_value_kind(result) == GH_KIND_OBJECT
                                 ? gh_object_get_str(result, "reason", 6) : NULL;
    size_t n;
    const char *s = reason ? gh_string_ptr(reason, &n) : NULL;
    char msg[512];
    snprintf(msg, sizeof msg, "denied: %.*s", s ? (int)n : 20, s ? s : "the policy denies it");
    sql_refuse(x->l, x->resp, SQL_FAIL_DENIED, msg, NULL, x->d.id);
}

static int describe(sql_ctx *x, const char *numbered, sql_description *desc)
{
    sql_error se = {0};
    if (sql_describe(numbered, strlen(numbered), x->l->sql_catalog, x->l->cfg->search_path,
                     x->style, &x->w->req, desc, &se) == 0)
        return 0;
    x->dec = DEC_DENY;
    sql_refuse(x->l, x->resp, se.code == SQL_EPARSE ? SQL_FAIL_BAD_SQL : SQL_FAIL_DENIED, se.msg, NULL, x->d.id);
    return -1;
}

/* input.query for the statement: remembered, or described now (desc then filled). */
static const gh_value *query_of(sql_ctx *x, const char *numbered, sql_description *desc,
                                bool *described)
{
    gh_arena *a = &x->w->req;
    const gh_value *q = sql_plans_query(x->l->sql_plans, numbered);
    if (q) return q; /* lives in the plan memory, which this request does not change */
    if (describe(x, numbered, desc) < 0) return NULL;
    *described = true;
    q = sql_description_value(desc, a);
    gh_buf b;
    gh_buf_init(&b, 0);
    if (q && gh_json_write(&b, q, 0) == 0) sql_plans_put_query(x->l->sql_plans, numbered, b.data, b.len);
    gh_buf_free(&b);
    return q;
}

/* Rewrites the statement for the decision (or takes the remembered plan). */
static const sql_plan *plan_for(sql_ctx *x, const char *numbered, sql_description *desc,
                                bool described, const gh_value *decision, sql_plan *fresh)
{
    gh_arena *a = &x->w->req;
    gh_buf dj;
    gh_buf_init(&dj, 0);
    gh_json_write(&dj, decision, 0);
    char *djson = gh_arena_strndup(a, dj.data ? dj.data : "", dj.len);
    gh_buf_free(&dj);
    const sql_plan *known = sql_plans_get(x->l->sql_plans, numbered, djson);
    if (known) return known;
    if (!described && describe(x, numbered, desc) < 0) return NULL;
    sql_rewrite_opts ro = {.catalog = x->l->sql_catalog, .search_path = x->l->cfg->search_path,
                           .tenant_column = x->l->cfg->tenant_column, .style = x->style};
    sql_rewrite_result rw;
    sql_error se = {0};
    if (sql_rewrite(desc, decision, &ro, a, &rw, &se) != 0) {
        x->dec = DEC_DENY;
        char msg[400];
        snprintf(msg, sizeof msg, "denied: %s", se.msg);
        sql_refuse(x->l, x->resp, SQL_FAIL_DENIED, msg, NULL, x->d.id);
        return NULL;
    }
    *fresh = (sql_plan){.decision = djson, .sql = (char *)rw.sql, .nparams = rw.nparams,
                        .request_index = gh_arena_calloc(a, rw.nparams + 1, sizeof(int)),
                        .constraint = gh_arena_calloc(a, rw.nparams + 1, sizeof(char *)),
                        .kinds = gh_arena_calloc(a, rw.nparams + 1, 1)};
    for (size_t i = 0; i < rw.nparams; i++) {
        fresh->request_index[i] = rw.params[i].request_index;
        fresh->kinds[i] = 'r';
        if (rw.params[i].request_index == 0) {
            const gh_value *v = rw.params[i].value;
            fresh->constraint[i] = (char *)sql_constraint_text(a, v);
            gh_kind k = gh_value_kind(v);
            fresh->kinds[i] = k == GH_KIND_NUMBER ? 'n' : k == GH_KIND_BOOL ? 'b' : k == GH_KIND_NULL ? '0' : 's';
        }
    }
    sql_plans_put(x->l->sql_plans, numbered, fresh);
    return fresh;
}

/* Describe, authenticate, decide, rewrite; on success the statement and its values. */
static int sql_decide(sql_ctx *x, const rds_request *rr, sql_plan_out *out)
{
    gh_arena *a = &x->w->req;
    const listener_cfg *c = x->l->cfg;
    char err[300];
    char *numbered = rr->style == SQL_PARAMS_QMARK
                         ? (char *)rr->sql
                         : sql_number_params(a, rr->sql, rr->names, rr->nparams, err, sizeof err);
    if (!numbered) return sql_refuse(x->l, x->resp, SQL_FAIL_BAD_REQUEST, err, NULL, x->d.id), -1;
    sql_description desc;
    bool described = false;
    const gh_value *query = query_of(x, numbered, &desc, &described);
    if (!query) return -1;
    const gh_value *subject = NULL;
    if (c->auth && x->w->srv->auth) {
        authn_result ar;
        const str_list *aud = c->audiences.n ? &c->audiences : NULL;
        if (authn_request(x->w->srv->auth, x->w->auth_cache, a, x->req, aud,
                          log_now_unix_ns() / 1000000000, &ar) != JWT_OK) {
            x->dec = DEC_DENY;
            authn_refuse(x->resp, &ar);
            return -1;
        }
        subject = ar.subject;
    }
    x->d.input = input_value(a, c, x->req, query, subject);
    if (!x->d.input) return sql_refuse(x->l, x->resp, SQL_FAIL_INTERNAL, "out of memory", NULL, x->d.id), -1;
    decide_eval(x->w, false, &x->d);
    decide_new_id(x->w, &x->d);
    x->dec = decide_classify(&x->d);
    const gh_value *decision = x->d.rc ? NULL : allowing(a, x->d.result);
    if (!decision) {
        if (x->dec == DEC_ALLOW) x->dec = DEC_DENY;
        return deny_from_decision(x, x->d.rc ? NULL : x->d.result), -1;
    }
    sql_plan fresh;
    const sql_plan *plan = plan_for(x, numbered, &desc, described, decision, &fresh);
    if (!plan) return -1;
    if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, NULL, "sql %s: rewritten: %s", x->d.id, plan->sql);
    const char **vals = gh_arena_calloc(a, plan->nparams * rr->nsets + 1, sizeof *vals);
    for (size_t s = 0; s < rr->nsets; s++)
        for (size_t i = 0; i < plan->nparams; i++) {
            int ri = plan->request_index[i];
            const char **v = &vals[s * plan->nparams + i];
            if (ri >= 1 && (size_t)ri <= rr->nparams) *v = rr->values[s * rr->nparams + (size_t)ri - 1];
            else if (ri == 0) *v = plan->constraint[i];
            else return sql_refuse(x->l, x->resp, SQL_FAIL_BAD_REQUEST, "a parameter is missing", NULL, x->d.id), -1;
        }
    /* the plan may be the cache's: copy what the query needs past this request */
    int *ri = gh_arena_alloc(a, (plan->nparams + 1) * sizeof *ri);
    char **ct = gh_arena_calloc(a, plan->nparams + 1, sizeof *ct);
    for (size_t i = 0; i < plan->nparams; i++) {
        ri[i] = plan->request_index[i];
        if (plan->constraint[i]) ct[i] = gh_arena_strndup(a, plan->constraint[i], strlen(plan->constraint[i]));
    }
    *out = (sql_plan_out){.sql = gh_arena_strndup(a, plan->sql, strlen(plan->sql)),
                          .nparams = plan->nparams, .values = vals, .request_index = ri,
                          .kinds = gh_arena_strndup(a, plan->kinds, plan->nparams),
                          .constraint = (const char *const *)ct};
    return 0;
}


void sql_rds_handle(void *ud, const http_request *req, http_response *resp)
{
    listener_rt *l = ud;
    worker *w = l->w;
    gh_arena_reset(&w->req);
    sql_ctx x = {.l = l, .w = w, .req = req, .resp = resp, .d = {.ref = l->cfg->ref}, .dec = DEC_NONE};
    rds_request rr = {0};
    char err[300];
    bool snowflake = l->cfg->kind == LISTENER_SQL_SNOWFLAKE;
    bool execute = snowflake ? req->path_len == 18 && memcmp(req->path, "/api/v2/statements", 18) == 0
                             : req->path_len == 8 && memcmp(req->path, "/Execute", 8) == 0;
    rr.batch = !snowflake && req->path_len == 13 && memcmp(req->path, "/BatchExecute", 13) == 0;
    if (strcmp(req->method, "POST") != 0 || (!execute && !rr.batch)) {
        sql_refuse(l, resp, SQL_FAIL_NOT_FOUND,
                   snowflake ? "this listener answers POST /api/v2/statements"
                             : "this listener answers POST /Execute and POST /BatchExecute",
                   NULL, x.d.id);
    } else if ((snowflake ? sql_read_snowflake_request : sql_read_rds_request)(&w->req, req, &rr, err, sizeof err) < 0) {
        sql_refuse(l, resp, SQL_FAIL_BAD_REQUEST, err, NULL, x.d.id);
    } else {
        x.style = rr.style;
        sql_plan_out plan;
        int rc = sql_decide(&x, &rr, &plan);
        if (x.d.input) decide_log(w, &x.d, req->peer, req->start_ns);
        sql_call *call = rc == 0 ? calloc(1, sizeof *call) : NULL;
        if (call) {
            call->l = l;
            memcpy(call->handle, x.d.id, sizeof call->handle);
            call->include_metadata = rr.include_metadata;
            call->batch_sets = rr.batch ? rr.nsets : 0;
            gh_buf_init(&call->resp.headers, 0);
            gh_buf_init(&call->resp.body, 0);
            call->resp.status = 200;
            call->conn = http_defer(req);
            if (l->cfg->upstream_url) sql_forward(&x, &rr, &plan, call);
            else if (pg_query_batch(l->pg, plan.sql, (int)plan.nparams, (int)rr.nsets, rr.batch,
                                    plan.values, sql_on_pg_done, call) < 0)
                sql_on_pg_done(call, NULL, "out of memory");
        } else if (rc == 0) sql_refuse(l, resp, SQL_FAIL_INTERNAL, "out of memory", NULL, x.d.id);
    }
    metric_add(&w->metrics.requests[EP_SQL][x.dec], 1);
}

int sql_rds_listen(listener_rt *l, char *err, size_t errlen)
{
    const listener_cfg *c = l->cfg;
    const gh_config *cfg = l->w->srv->cfg;
    char why[200];
    if (sql_selfcheck(why, sizeof why) != 0) /* this build's parser, before any statement */
        return snprintf(err, errlen, "listener %s: %s", c->name, why), -1;
    if (c->catalog_file && !l->sql_catalog) {
        char *text;
        size_t len;
        sql_error se = {0};
        gh_arena_init(&l->sql_arena, 0);
        if (cli_read_file(c->catalog_file, &text, &len) < 0)
            return snprintf(err, errlen, "listener %s: cannot read %s", c->name, c->catalog_file), -1;
        int rc = sql_catalog_load(text, len, &l->sql_arena, &l->sql_catalog, &se);
        free(text);
        if (rc != 0) return snprintf(err, errlen, "listener %s: %s: %s", c->name, c->catalog_file, se.msg), -1;
    }
    l->sql_plans = sql_plans_new(1024);
    if (!l->sql_plans) return snprintf(err, errlen, "out of memory"), -1;
    if (c->postgres) {
        l->pg = pg_pool_new(&l->w->loop, c->postgres, c->pool_size, c->prepared_statements, err,
                            errlen);
        if (!l->pg) return -1;
    } else {
        char host[256];
        int port;
        if (upstream_parse_url(c->upstream_url, host, sizeof host, &port) < 0)
            return snprintf(err, errlen, "listener %s: upstream_url must be http://IP:port", c->name), -1;
    }
    return http_server_listen(&l->http, &l->w->loop, c->host, c->port, true, &cfg->limits,
                              sql_rds_handle, l, err, errlen) < 0 ? -1 : 0;
}
