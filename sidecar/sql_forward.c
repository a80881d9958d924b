/* Forwarding to a connector service: the request in its own shape with the rewritten
 * statement and the constraints as extra typed parameters, the answer relayed to the client
 * as it arrives (the upstream waits while the client is behind). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_listener.h"
#include "upstream.h"


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

/* ---- the answer, relayed ---- */

#define RELAY_IN_FLIGHT (256 * 1024) /* bytes queued to the client before the upstream waits */

typedef struct relay {
    sql_call *call;
    upstream_exchange *up;
    bool started; /* the head has gone to the client */
} relay;

static void relay_drained(void *ud) { upstream_resume(((relay *)ud)->up); }

static void relay_head(void *ud, int status, const char *content_type)
{
    relay *r = ud;
    r->started = true;
    http_stream_begin(r->call->conn, status, content_type ? content_type : "");
}

static bool relay_body(void *ud, const char *data, size_t len)
{
    relay *r = ud;
    if (!http_stream_write(r->call->conn, data, len))
        return false; /* the client has gone: stop reading the upstream */
    if (http_stream_pending(r->call->conn) > RELAY_IN_FLIGHT) {
        upstream_pause(r->up);
        http_stream_on_drain(r->call->conn, relay_drained, r);
    }
    return true;
}

static void relay_end(void *ud, const char *err)
{
    relay *r = ud;
    sql_call *call = r->call;
    if (!r->started) { /* nothing sent yet: a proper error answer */
        sql_refuse(call->l, &call->resp, SQL_FAIL_UPSTREAM, err ? err : "no answer from the upstream", NULL,
                   call->handle);
        http_respond(call->conn, &call->resp);
    } else {
        http_stream_end(call->conn, err == NULL); /* cut short: the connection closes */
    }
    gh_buf_free(&call->resp.headers);
    gh_buf_free(&call->resp.body);
    free(call);
    free(r);
}

static const upstream_stream relay_callbacks = {relay_head, relay_body, relay_end};

void sql_forward(sql_ctx *x, const rds_request *rr, const sql_plan_out *plan, sql_call *call)
{
    const listener_cfg *c = x->l->cfg;
    if (!x->l->upstream) /* this worker's connections to the service, made on first use */
        x->l->upstream = upstream_pool_new(&x->w->loop, c->upstream_url);
    gh_buf body;
    gh_buf_init(&body, 0);
    if (!x->l->upstream || forward_body(&x->w->req, rr, plan, &body) < 0) {
        gh_buf_free(&body);
        sql_on_pg_done(call, NULL, "cannot build the forwarded request");
        return;
    }
    char headers[200];
    snprintf(headers, sizeof headers, "Content-Type: application/json\r\n%s%s%s", /* the id when logged */
             x->d.id[0] ? "X-Gatehouse-Decision-Id: " : "", x->d.id, x->d.id[0] ? "\r\n" : "");
    char path[256];
    snprintf(path, sizeof path, "%.*s", (int)(x->req->path_len < 255 ? x->req->path_len : 255), x->req->path);
    relay *r = calloc(1, sizeof *r);
    if (r) r->call = call;
    if (!r || upstream_post(x->l->upstream, path, headers, body.data, body.len, c->upstream_timeout_ms,
                            &relay_callbacks, r, &r->up) < 0) {
        free(r);
        sql_on_pg_done(call, NULL, "cannot reach the upstream");
    }
    gh_buf_free(&body);
}
