/* The SQL listener (kind sql_rds): RDS Data API ExecuteStatement (POST /Execute) and
 * BatchExecuteStatement (POST /BatchExecute, one transaction) requests
 * in front of PostgreSQL. The statement is described by PostgreSQL's own parser
 * (connectors/sql), the policy decides on what it really touches, the statement is
 * rewritten so the decision's tenant, columns, masks and row filters hold (constraint values
 * bound as parameters, never spliced), then run through the worker's libpq pool and
 * answered in the Data API's shape. Anything not understood is denied. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "decide.h"
#include "gatehouse/error.h"
#include "log.h"
#include "pg.h"
#include "sql.h"
#include "sql_plans.h"
#include "upstream.h"

#define MAX_PARAMS 1000

/* One request waiting for PostgreSQL: what the answer needs, out of the request arena
 * (which the next request on this worker resets). */
typedef struct sql_call {
    listener_rt *l;
    http_conn *conn;
    http_response resp;
    char *content_type; /* the upstream's, when forwarding */
    bool include_metadata;
    size_t batch_sets; /* BatchExecuteStatement: its parameter sets (0: ExecuteStatement) */
} sql_call;

/* ---- answers in the Data API's shapes ---- */

/* The Data API's error: {"message": ...} with x-amzn-ErrorType, as the AWS SDKs read it. */
static void rds_error(http_response *r, int status, const char *type, const char *msg)
{
    r->status = status;
    gh_buf_printf(&r->headers, "x-amzn-ErrorType: %s\r\n", type);
    gh_buf_clear(&r->body);
    gh_buf_puts(&r->body, "{\"message\":");
    gh_json_write_str(&r->body, msg, strlen(msg));
    gh_buf_puts(&r->body, "}\n");
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

/* One field as the Data API types it: integers longValue, floats doubleValue, booleans
 * booleanValue, NULL isNull, everything else (numeric, dates, text...) stringValue. */
static void put_field(gh_buf *b, const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col)) {
        gh_buf_puts(b, "{\"isNull\":true}");
        return;
    }
    const char *v = PQgetvalue(res, row, col);
    switch (PQftype(res, col)) {
    case 16: gh_buf_printf(b, "{\"booleanValue\":%s}", v[0] == 't' ? "true" : "false"); return;
    case 20:
    case 21:
    case 23: gh_buf_printf(b, "{\"longValue\":%s}", v); return;
    case 700:
    case 701:
        if (strcmp(v, "NaN") && strcmp(v, "Infinity") && strcmp(v, "-Infinity")) {
            gh_buf_printf(b, "{\"doubleValue\":%s}", v);
            return;
        }
        break;
    default: break;
    }
    gh_buf_puts(b, "{\"stringValue\":");
    gh_json_write_str(b, v, strlen(v));
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
    if (b->failed) rds_error(r, 500, "InternalServerErrorException", "the result is too large");
}

static void on_pg_done(void *ud, PGresult *res, const char *err)
{
    sql_call *call = ud;
    http_response *r = &call->resp;
    if (!res) rds_error(r, 502, "ServiceUnavailableError", err ? err : "the database did not answer");
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
        rds_error(r, 400, "BadRequestException", clean);
    }
    http_respond(call->conn, r);
    gh_buf_free(&r->headers);
    gh_buf_free(&r->body);
    free(call);
}

/* ---- the request ---- */

/* RDS names parameters (":id"); PostgreSQL numbers them ($1). Quotes, comments, dollar
 * quotes and :: casts are skipped. Returns the text with $n, or NULL with err. */
static char *number_params(gh_arena *a, const char *sql, const char *const *names, size_t n,
                           char *err, size_t errlen)
{
    gh_buf out;
    gh_buf_init(&out, 0);
    size_t len = strlen(sql);
    for (size_t i = 0; i < len;) {
        char ch = sql[i];
        size_t j = i + 1;
        if (ch == '\'' || ch == '"') { /* '' and "" escape themselves */
            while (j < len && !(sql[j] == ch && (j + 1 >= len || sql[j + 1] != ch))) j += sql[j] == ch ? 2 : 1;
            j = j < len ? j + 1 : len;
        } else if (ch == '-' && i + 1 < len && sql[i + 1] == '-') {
            while (j < len && sql[j] != '\n') j++;
        } else if (ch == '/' && i + 1 < len && sql[i + 1] == '*') {
            const char *e = strstr(sql + i + 2, "*/");
            j = e ? (size_t)(e - sql) + 2 : len;
        } else if (ch == '$' && i + 1 < len && (sql[i + 1] == '$' || isalpha((unsigned char)sql[i + 1]) || sql[i + 1] == '_')) {
            size_t t = i + 1;
            while (t < len && (isalnum((unsigned char)sql[t]) || sql[t] == '_')) t++;
            if (t < len && sql[t] == '$') { /* $tag$ ... $tag$ */
                size_t tl = t - i + 1;
                const char *e = strstr(sql + t + 1, gh_arena_strndup(a, sql + i, tl));
                j = e ? (size_t)(e - sql) + tl : len;
            }
        } else if (ch == ':' && i + 1 < len && sql[i + 1] == ':') {
            j = i + 2;
        } else if (ch == ':' && i + 1 < len && (isalpha((unsigned char)sql[i + 1]) || sql[i + 1] == '_')) {
            size_t e = i + 1;
            while (e < len && (isalnum((unsigned char)sql[e]) || sql[e] == '_')) e++;
            size_t k = 0;
            while (k < n && !(strlen(names[k]) == e - i - 1 && memcmp(names[k], sql + i + 1, e - i - 1) == 0)) k++;
            if (k == n) {
                snprintf(err, errlen, "the statement uses :%.*s, which parameters do not name",
                         (int)(e - i - 1), sql + i + 1);
                gh_buf_free(&out);
                return NULL;
            }
            gh_buf_printf(&out, "$%zu", k + 1);
            i = e;
            continue;
        }
        gh_buf_append(&out, sql + i, j - i);
        i = j;
    }
    char *text = out.failed ? NULL : gh_arena_strndup(a, out.data ? out.data : "", out.len);
    gh_buf_free(&out);
    if (!text) snprintf(err, errlen, "out of memory");
    return text;
}

/* A parameter's value as PostgreSQL's text input (NULL for SQL NULL). */
static int rds_value_text(gh_arena *a, const gh_value *v, const char **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!v || gh_value_kind(v) != GH_KIND_OBJECT || gh_value_len(v) != 1)
        return snprintf(err, errlen, "a parameter value must be one of stringValue, longValue, "
                                     "doubleValue, booleanValue, isNull"), -1;
    size_t kn;
    const char *k = gh_string_ptr(gh_object_key_at(v, 0), &kn);
    const gh_value *x = gh_object_value_at(v, 0);
    size_t n;
    if (kn == 11 && !memcmp(k, "stringValue", 11) && gh_value_kind(x) == GH_KIND_STRING) {
        const char *s = gh_string_ptr(x, &n);
        if (memchr(s, 0, n)) return snprintf(err, errlen, "a string value holds a NUL byte"), -1;
        *out = gh_arena_strndup(a, s, n);
    } else if ((kn == 9 && !memcmp(k, "longValue", 9)) || (kn == 11 && !memcmp(k, "doubleValue", 11))) {
        if (gh_value_kind(x) != GH_KIND_NUMBER) return snprintf(err, errlen, "%.*s must be a number", (int)kn, k), -1;
        const char *t = gh_number_text(x, &n);
        if (t) *out = gh_arena_strndup(a, t, n);
        else {
            int64_t i;
            char buf[64];
            if (gh_number_get_int(x, &i)) snprintf(buf, sizeof buf, "%lld", (long long)i);
            else snprintf(buf, sizeof buf, "%.17g", gh_number_get_double(x));
            *out = gh_arena_strndup(a, buf, strlen(buf));
        }
    } else if (kn == 12 && !memcmp(k, "booleanValue", 12) && gh_value_kind(x) == GH_KIND_BOOL) {
        *out = gh_value_get_bool(x) ? "true" : "false";
    } else if (kn == 6 && !memcmp(k, "isNull", 6)) {
        *out = NULL;
    } else return snprintf(err, errlen, "unsupported parameter value %.*s", (int)kn, k), -1;
    return 0;
}

/* A constraint value from the decision as text: strings as they are, numbers and booleans
 * printed, arrays as PostgreSQL array literals (for `in` filters). */
static const char *constraint_text(gh_arena *a, const gh_value *v)
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
            const char *t = constraint_text(a, e);
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

/* One parameter list; every set of a batch names the same parameters in the same order. */
static int read_params(gh_arena *a, const gh_value *ps, rds_request *out, size_t set, char *err,
                       size_t errlen)
{
    size_t n = ps && gh_value_kind(ps) == GH_KIND_ARRAY ? gh_value_len(ps) : 0;
    if (set == 0) {
        out->nparams = n;
        if (n > MAX_PARAMS) return snprintf(err, errlen, "too many parameters"), -1;
        out->names = gh_arena_calloc(a, n + 1, sizeof *out->names);
        out->values = gh_arena_calloc(a, n * out->nsets + 1, sizeof *out->values);
    } else if (n != out->nparams)
        return snprintf(err, errlen, "parameterSets[%zu] has %zu parameters, the first %zu", set, n, out->nparams), -1;
    for (size_t i = 0; i < n; i++) {
        const gh_value *p = gh_array_get(ps, i);
        size_t nl;
        const char *name = p ? gh_string_ptr(gh_object_get_str(p, "name", 4), &nl) : NULL;
        if (!name || nl == 0) return snprintf(err, errlen, "parameters[%zu]: name is required", i), -1;
        if (set == 0) out->names[i] = gh_arena_strndup(a, name, nl);
        else if (strlen(out->names[i]) != nl || memcmp(out->names[i], name, nl) != 0)
            return snprintf(err, errlen, "parameterSets[%zu][%zu] is not named %s", set, i, out->names[i]), -1;
        if (rds_value_text(a, gh_object_get_str(p, "value", 5), &out->values[set * n + i], err, errlen) < 0)
            return -1;
        if (set == 0 && i == 0) out->own = gh_arena_calloc(a, n * out->nsets + 1, sizeof *out->own);
        out->own[set * n + i] = gh_object_get_str(p, "value", 5);
    }
    return 0;
}

/* Snowflake SQL API v2: {"statement", "bindings": {"1": {"type", "value"}, ...}, ...}. */
static int read_snowflake_request(gh_arena *a, const http_request *req, rds_request *out, char *err,
                                  size_t errlen)
{
    const gh_value *doc;
    if (!req->body || gh_json_read(a, req->body, req->body_len, NULL, &doc, NULL) != 0 ||
        gh_value_kind(doc) != GH_KIND_OBJECT)
        return snprintf(err, errlen, "the body must be a Snowflake statement JSON object"), -1;
    size_t n;
    const char *sql = gh_string_ptr(gh_object_get_str(doc, "statement", 9), &n);
    if (!sql) return snprintf(err, errlen, "statement is required"), -1;
    out->sql = gh_arena_strndup(a, sql, n);
    if (strlen(out->sql) != n) return snprintf(err, errlen, "statement holds a NUL byte"), -1;
    out->doc = doc;
    out->style = SQL_PARAMS_QMARK;
    out->nsets = 1;
    const gh_value *b = gh_object_get_str(doc, "bindings", 8);
    out->nparams = b && gh_value_kind(b) == GH_KIND_OBJECT ? gh_value_len(b) : 0;
    if (out->nparams > MAX_PARAMS) return snprintf(err, errlen, "too many bindings"), -1;
    out->own = gh_arena_calloc(a, out->nparams + 1, sizeof *out->own);
    out->values = gh_arena_calloc(a, out->nparams + 1, sizeof *out->values);
    for (size_t i = 0; i < out->nparams; i++) { /* bindings are "1".."n", each once */
        char key[24];
        snprintf(key, sizeof key, "%zu", i + 1);
        const gh_value *v = gh_object_get_str(b, key, strlen(key));
        if (!v || gh_value_kind(v) != GH_KIND_OBJECT)
            return snprintf(err, errlen, "bindings must be numbered 1 to %zu", out->nparams), -1;
        out->own[i] = v;
        size_t vl;
        const char *text = gh_string_ptr(gh_object_get_str(v, "value", 5), &vl);
        out->values[i] = text ? gh_arena_strndup(a, text, vl) : NULL;
    }
    return 0;
}

static int read_rds_request(gh_arena *a, const http_request *req, rds_request *out, char *err,
                            size_t errlen)
{
    const gh_value *doc;
    gh_json_error je;
    if (!req->body || gh_json_read(a, req->body, req->body_len, NULL, &doc, &je) != 0 ||
        gh_value_kind(doc) != GH_KIND_OBJECT)
        return snprintf(err, errlen, "the body must be an ExecuteStatement JSON object"), -1;
    if (gh_object_get_str(doc, "transactionId", 13))
        return snprintf(err, errlen, "transactions are not supported through gatehouse"), -1;
    out->doc = doc;
    out->style = SQL_PARAMS_DOLLAR;
    size_t n;
    const char *sql = gh_string_ptr(gh_object_get_str(doc, "sql", 3), &n);
    if (!sql) return snprintf(err, errlen, "sql is required"), -1;
    out->sql = gh_arena_strndup(a, sql, n);
    if (strlen(out->sql) != n) return snprintf(err, errlen, "sql holds a NUL byte"), -1;
    const gh_value *md = gh_object_get_str(doc, "includeResultMetadata", 21);
    out->include_metadata = md && gh_value_get_bool(md);
    if (!out->batch) {
        out->nsets = 1;
        return read_params(a, gh_object_get_str(doc, "parameters", 10), out, 0, err, errlen);
    }
    const gh_value *sets = gh_object_get_str(doc, "parameterSets", 13);
    out->nsets = sets && gh_value_kind(sets) == GH_KIND_ARRAY ? gh_value_len(sets) : 0;
    if (out->nsets == 0) out->nsets = 1; /* a batch of one statement without parameters */
    if (out->nsets > MAX_PARAMS) return snprintf(err, errlen, "too many parameter sets"), -1;
    for (size_t s = 0; s < out->nsets; s++)
        if (read_params(a, sets ? gh_array_get(sets, s) : NULL, out, s, err, errlen) < 0) return -1;
    return 0;
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

static void deny_from_decision(http_response *resp, const gh_value *result)
{
    const gh_value *reason = result && gh_value_kind(result) == GH_KIND_OBJECT
                                 ? gh_object_get_str(result, "reason", 6) : NULL;
    size_t n;
    const char *s = reason ? gh_string_ptr(reason, &n) : NULL;
    char msg[512];
    snprintf(msg, sizeof msg, "denied: %.*s", s ? (int)n : 20, s ? s : "the policy denies it");
    rds_error(resp, 403, "ForbiddenException", msg);
}

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

static int describe(sql_ctx *x, const char *numbered, sql_description *desc)
{
    sql_error se = {0};
    if (sql_describe(numbered, strlen(numbered), x->l->sql_catalog, x->l->cfg->search_path,
                     x->style, &x->w->req, desc, &se) == 0)
        return 0;
    x->dec = DEC_DENY;
    rds_error(x->resp, se.code == SQL_EPARSE ? 400 : 403,
              se.code == SQL_EPARSE ? "BadRequestException" : "ForbiddenException", se.msg);
    return -1;
}

/* input.query for the statement: remembered, or described now (desc then filled). */
static const gh_value *query_of(sql_ctx *x, const char *numbered, sql_description *desc,
                                bool *described)
{
    gh_arena *a = &x->w->req;
    const char *known = sql_plans_query(x->l->sql_plans, numbered);
    const gh_value *q;
    if (known && gh_json_read(a, known, strlen(known), NULL, &q, NULL) == 0) return q;
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
        rds_error(x->resp, 403, "ForbiddenException", msg);
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
            fresh->constraint[i] = (char *)constraint_text(a, v);
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
                         : number_params(a, rr->sql, rr->names, rr->nparams, err, sizeof err);
    if (!numbered) return rds_error(x->resp, 400, "BadRequestException", err), -1;
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
    if (!x->d.input) return rds_error(x->resp, 500, "InternalServerErrorException", "out of memory"), -1;
    decide_eval(x->w, false, &x->d);
    decide_new_id(x->w, &x->d);
    x->dec = decide_classify(&x->d);
    const gh_value *decision = x->d.rc ? NULL : allowing(a, x->d.result);
    if (!decision) {
        if (x->dec == DEC_ALLOW) x->dec = DEC_DENY;
        return deny_from_decision(x->resp, x->d.rc ? NULL : x->d.result), -1;
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
            else return rds_error(x->resp, 400, "BadRequestException", "a parameter is missing"), -1;
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


/* ---- forwarding to a connector service ---- */

/* $n -> :name: the request's own parameters keep their names, constraints get gh_cN.
 * Quotes, comments and dollar quotes are skipped, as in number_params. */
static char *rename_params(gh_arena *a, const char *sql, const char *const *names, size_t nown)
{
    gh_buf out;
    gh_buf_init(&out, 0);
    size_t len = strlen(sql);
    for (size_t i = 0; i < len;) {
        char ch = sql[i];
        size_t j = i + 1;
        if (ch == '\'' || ch == '"') {
            while (j < len && !(sql[j] == ch && (j + 1 >= len || sql[j + 1] != ch))) j += sql[j] == ch ? 2 : 1;
            j = j < len ? j + 1 : len;
        } else if (ch == '$' && i + 1 < len && isdigit((unsigned char)sql[i + 1])) {
            size_t e = i + 1;
            unsigned long n = 0;
            while (e < len && isdigit((unsigned char)sql[e])) n = n * 10 + (unsigned long)(sql[e++] - '0');
            if (n >= 1 && n <= nown) gh_buf_printf(&out, ":%s", names[n - 1]);
            else gh_buf_printf(&out, ":gh_c%lu", n);
            i = e;
            continue;
        }
        gh_buf_append(&out, sql + i, j - i);
        i = j;
    }
    char *text = gh_arena_strndup(a, out.data ? out.data : "", out.len);
    gh_buf_free(&out);
    return text;
}

static void put_typed(gh_buf *b, char kind, const char *text, bool snowflake)
{
    if (snowflake) {
        const char *type = kind == 'n' ? "FIXED" : kind == 'b' ? "BOOLEAN" : "TEXT";
        gh_buf_printf(b, "{\"type\":\"%s\",\"value\":", type);
        if (kind == '0' || !text) gh_buf_puts(b, "null");
        else gh_json_write_str(b, text, strlen(text));
        gh_buf_putc(b, '}');
        return;
    }
    if (kind == '0' || !text) gh_buf_puts(b, "{\"isNull\":true}");
    else if (kind == 'b') gh_buf_printf(b, "{\"booleanValue\":%s}", text);
    else if (kind == 'n') {
        gh_buf_printf(b, strchr(text, '.') || strchr(text, 'e') ? "{\"doubleValue\":%s}" : "{\"longValue\":%s}", text);
    } else {
        gh_buf_puts(b, "{\"stringValue\":");
        gh_json_write_str(b, text, strlen(text));
        gh_buf_putc(b, '}');
    }
}

/* The request's other members as they came (database, schema, resourceArn, role...). */
static void put_other_members(gh_buf *b, const gh_value *doc, const char *const *skip)
{
    for (size_t i = 0; i < gh_value_len(doc); i++) {
        size_t kn;
        const char *k = gh_string_ptr(gh_object_key_at(doc, i), &kn);
        bool skipped = false;
        for (const char *const *s = skip; *s && !skipped; s++) skipped = strlen(*s) == kn && !memcmp(*s, k, kn);
        if (skipped) continue;
        gh_json_write_str(b, k, kn);
        gh_buf_putc(b, ':');
        gh_json_write(b, gh_object_value_at(doc, i), 0);
        gh_buf_putc(b, ',');
    }
}

static void put_rds_params(gh_buf *b, const rds_request *rr, const sql_plan_out *plan, size_t set)
{
    gh_buf_putc(b, '[');
    for (size_t i = 0; i < plan->nparams; i++) {
        int ri = plan->request_index[i];
        if (i) gh_buf_putc(b, ',');
        gh_buf_puts(b, "{\"name\":");
        if (ri >= 1) {
            gh_json_write_str(b, rr->names[ri - 1], strlen(rr->names[ri - 1]));
            gh_buf_puts(b, ",\"value\":");
            gh_json_write(b, rr->own[set * rr->nparams + (size_t)ri - 1], 0);
        } else {
            gh_buf_printf(b, "\"gh_c%zu\",\"value\":", i + 1);
            put_typed(b, plan->kinds[i], plan->constraint[i], false);
        }
        gh_buf_putc(b, '}');
    }
    gh_buf_putc(b, ']');
}

/* The request to forward: the same shape, the rewritten statement, the parameters it
 * binds (the request's own as sent, then the constraints, typed). */
static int forward_body(gh_arena *a, const rds_request *rr, const sql_plan_out *plan, gh_buf *b)
{
    gh_buf_putc(b, '{');
    if (rr->style == SQL_PARAMS_QMARK) {
        static const char *const skip[] = {"statement", "bindings", NULL};
        put_other_members(b, rr->doc, skip);
        gh_buf_puts(b, "\"statement\":");
        gh_json_write_str(b, plan->sql, strlen(plan->sql));
        gh_buf_puts(b, ",\"bindings\":{");
        for (size_t i = 0; i < plan->nparams; i++) {
            int ri = plan->request_index[i];
            gh_buf_printf(b, "%s\"%zu\":", i ? "," : "", i + 1);
            if (ri >= 1) gh_json_write(b, rr->own[ri - 1], 0);
            else put_typed(b, plan->kinds[i], plan->constraint[i], true);
        }
        gh_buf_puts(b, "}}");
        return b->failed ? -1 : 0;
    }
    static const char *const skip[] = {"sql", "parameters", "parameterSets", NULL};
    put_other_members(b, rr->doc, skip);
    char *sql = rename_params(a, plan->sql, rr->names, rr->nparams);
    gh_buf_puts(b, "\"sql\":");
    gh_json_write_str(b, sql, strlen(sql));
    if (rr->batch) {
        gh_buf_puts(b, ",\"parameterSets\":[");
        for (size_t set = 0; set < rr->nsets; set++) {
            if (set) gh_buf_putc(b, ',');
            put_rds_params(b, rr, plan, set);
        }
        gh_buf_putc(b, ']');
    } else {
        gh_buf_puts(b, ",\"parameters\":");
        put_rds_params(b, rr, plan, 0);
    }
    gh_buf_putc(b, '}');
    return b->failed ? -1 : 0;
}

static void on_upstream(void *ud, const upstream_reply *reply)
{
    sql_call *call = ud;
    http_response *r = &call->resp;
    if (reply->err) {
        rds_error(r, 502, "ServiceUnavailableError", reply->err);
    } else {
        r->status = reply->status;
        gh_buf_clear(&r->body);
        gh_buf_append(&r->body, reply->body, reply->body_len);
        call->content_type = reply->content_type ? strdup(reply->content_type) : NULL;
        r->content_type = call->content_type ? call->content_type : "";
    }
    http_respond(call->conn, r);
    gh_buf_free(&r->headers);
    gh_buf_free(&r->body);
    free(call->content_type);
    free(call);
}

static void forward(sql_ctx *x, const rds_request *rr, const sql_plan_out *plan, sql_call *call)
{
    const listener_cfg *c = x->l->cfg;
    gh_buf body;
    gh_buf_init(&body, 0);
    char host[256];
    int port;
    if (forward_body(&x->w->req, rr, plan, &body) < 0 ||
        upstream_parse_url(c->upstream_url, host, sizeof host, &port) < 0) {
        gh_buf_free(&body);
        on_pg_done(call, NULL, "cannot build the forwarded request");
        return;
    }
    char headers[200];
    snprintf(headers, sizeof headers, "Content-Type: application/json\r\n%s%s%s", /* the id when logged */
             x->d.id[0] ? "X-Gatehouse-Decision-Id: " : "", x->d.id, x->d.id[0] ? "\r\n" : "");
    char path[256];
    snprintf(path, sizeof path, "%.*s", (int)(x->req->path_len < 255 ? x->req->path_len : 255), x->req->path);
    if (upstream_post(&x->w->loop, host, port, path, headers, body.data, body.len,
                      c->upstream_timeout_ms, on_upstream, call) < 0)
        on_pg_done(call, NULL, "cannot reach the upstream");
    gh_buf_free(&body);
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
        rds_error(resp, 404, "NotFoundException",
                  snowflake ? "this listener answers POST /api/v2/statements"
                            : "this listener answers POST /Execute and POST /BatchExecute");
    } else if ((snowflake ? read_snowflake_request : read_rds_request)(&w->req, req, &rr, err, sizeof err) < 0) {
        rds_error(resp, 400, "BadRequestException", err);
    } else {
        x.style = rr.style;
        sql_plan_out plan;
        int rc = sql_decide(&x, &rr, &plan);
        if (x.d.input) decide_log(w, &x.d, req->peer, req->start_ns);
        sql_call *call = rc == 0 ? calloc(1, sizeof *call) : NULL;
        if (call) {
            call->l = l;
            call->include_metadata = rr.include_metadata;
            call->batch_sets = rr.batch ? rr.nsets : 0;
            gh_buf_init(&call->resp.headers, 0);
            gh_buf_init(&call->resp.body, 0);
            call->resp.status = 200;
            call->conn = http_defer(req);
            if (l->cfg->upstream_url) forward(&x, &rr, &plan, call);
            else if (pg_query_batch(l->pg, plan.sql, (int)plan.nparams, (int)rr.nsets, rr.batch,
                                    plan.values, on_pg_done, call) < 0)
                on_pg_done(call, NULL, "out of memory");
        } else if (rc == 0) rds_error(resp, 500, "InternalServerErrorException", "out of memory");
    }
    metric_add(&w->metrics.requests[EP_SQL][x.dec], 1);
}

int sql_rds_listen(listener_rt *l, char *err, size_t errlen)
{
    const listener_cfg *c = l->cfg;
    const gh_config *cfg = l->w->srv->cfg;
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
        l->pg = pg_pool_new(&l->w->loop, c->postgres, c->pool_size, err, errlen);
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
