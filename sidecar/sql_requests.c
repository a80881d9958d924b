/* Reading the SQL listener's request shapes: the RDS Data API's ExecuteStatement and
 * BatchExecuteStatement (named, typed parameters) and the Snowflake SQL API's statements
 * (positional bindings), and turning RDS names into PostgreSQL's $n. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_listener.h"

#define MAX_PARAMS 1000

/* RDS names parameters (":id"); PostgreSQL numbers them ($1). Quotes, comments, dollar
 * quotes and :: casts are skipped. Returns the text with $n, or NULL with err. */
char *sql_number_params(gh_arena *a, const char *sql, const char *const *names, size_t n,
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
int sql_read_snowflake_request(gh_arena *a, const http_request *req, rds_request *out, char *err,
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

int sql_read_rds_request(gh_arena *a, const http_request *req, rds_request *out, char *err,
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

