/* Decision-log events: masking by JSON pointer, then one JSON line in OPA's field order. */
#include "event.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Next token of a JSON pointer ("~1" is '/', "~0" is '~') into tok; returns the rest, or
 * NULL at the end. */
static const char *pointer_next(const char *p, char *tok, size_t size)
{
    if (*p != '/') return NULL;
    p++;
    size_t k = 0;
    while (*p && *p != '/' && k + 1 < size) {
        if (p[0] == '~' && p[1] == '1') tok[k++] = '/', p += 2;
        else if (p[0] == '~' && p[1] == '0') tok[k++] = '~', p += 2;
        else tok[k++] = *p++;
    }
    tok[k] = 0;
    return p;
}

static const gh_value *object_with(gh_arena *a, const gh_value *obj, size_t at,
                                   const gh_value *val)
{
    size_t n = gh_value_len(obj);
    const gh_value **k = gh_arena_alloc(a, (n ? n : 1) * sizeof *k);
    const gh_value **v = gh_arena_alloc(a, (n ? n : 1) * sizeof *v);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == at && !val) continue;
        k[m] = gh_object_key_at(obj, i);
        v[m++] = i == at ? val : gh_object_value_at(obj, i);
    }
    const gh_value *out;
    return gh_value_object(a, k, v, m, &out, NULL) == 0 ? out : obj;
}

static const gh_value *array_with(gh_arena *a, const gh_value *arr, size_t at,
                                  const gh_value *val)
{
    size_t n = gh_value_len(arr);
    const gh_value **items = gh_arena_alloc(a, (n ? n : 1) * sizeof *items);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == at && !val) continue;
        items[m++] = i == at ? val : gh_array_get(arr, i);
    }
    return gh_value_array(a, items, m);
}

const gh_value *event_apply_pointer(gh_arena *a, const gh_value *doc, const char *pointer,
                                    const gh_value *replacement, bool *hit)
{
    char tok[256];
    const char *rest = pointer_next(pointer, tok, sizeof tok);
    if (!rest || !doc) return doc;
    size_t at = (size_t)-1;
    const gh_value *child = NULL;
    if (gh_value_kind(doc) == GH_KIND_OBJECT) {
        for (size_t i = 0; i < gh_value_len(doc); i++) {
            size_t kn;
            const char *k = gh_string_ptr(gh_object_key_at(doc, i), &kn);
            if (k && kn == strlen(tok) && memcmp(k, tok, kn) == 0) {
                at = i;
                child = gh_object_value_at(doc, i);
                break;
            }
        }
    } else if (gh_value_kind(doc) == GH_KIND_ARRAY) {
        char *end;
        unsigned long i = strtoul(tok, &end, 10);
        if (*tok && !*end && i < gh_value_len(doc)) {
            at = i;
            child = gh_array_get(doc, i);
        }
    }
    if (!child) return doc;
    const gh_value *nv = replacement;
    if (*rest) {
        nv = event_apply_pointer(a, child, rest, replacement, hit);
        if (nv == child) return doc;
    } else *hit = true;
    return gh_value_kind(doc) == GH_KIND_OBJECT ? object_with(a, doc, at, nv)
                                                : array_with(a, doc, at, nv);
}

/* Applies the configured erase and mask paths to {"input", "result"}; appends the paths
 * that took effect to the erased and masked lists (JSON arrays of strings, in b). */
/* Removes the member at pointer p from doc; lists p in erased when it was there. */
static const gh_value *erase_one(gh_arena *a, const gh_value *doc, const char *p, gh_buf *erased)
{
    bool hit = false;
    doc = event_apply_pointer(a, doc, p, NULL, &hit);
    if (hit) {
        gh_buf_putc(erased, erased->len ? ',' : '[');
        gh_json_write_str(erased, p, strlen(p));
    }
    return doc;
}

static void mask_event(worker *w, const event_fields *ev, const gh_value **input,
                       const gh_value **result, gh_buf *erased, gh_buf *masked)
{
    const gh_config *c = w->srv->cfg;
    gh_arena *a = &w->req;
    const gh_value *keys[2] = {gh_value_string_ref(a, "input", 5),
                               gh_value_string_ref(a, "result", 6)};
    const gh_value *vals[2] = {*input ? *input : GH_NULL, *result ? *result : GH_NULL};
    const gh_value *doc;
    if (gh_value_object(a, keys, vals, 2, &doc, NULL) != 0) return;
    if (ev->erase_always) doc = erase_one(a, doc, ev->erase_always, erased);
    for (size_t i = 0; i < c->decision_log.erase.n; i++)
        doc = erase_one(a, doc, c->decision_log.erase.items[i], erased);
    const gh_value *m = c->decision_log.mask;
    for (size_t i = 0; m && i < gh_value_len(m); i++) {
        bool hit = false;
        size_t pn;
        const char *ps = gh_string_ptr(gh_object_key_at(m, i), &pn);
        char *p = gh_arena_strndup(a, ps, pn);
        doc = event_apply_pointer(a, doc, p, gh_object_value_at(m, i), &hit);
        if (hit) {
            gh_buf_putc(masked, masked->len ? ',' : '[');
            gh_json_write_str(masked, p, pn);
        }
    }
    if (*input) *input = gh_object_get_str(doc, "input", 5);
    if (*result) *result = gh_object_get_str(doc, "result", 6);
}

static void put_key(gh_buf *b, const char *key)
{
    gh_buf_printf(b, ",\"%s\":", key);
}

static void put_str_field(gh_buf *b, const char *key, const char *s)
{
    put_key(b, key);
    gh_json_write_str(b, s, strlen(s));
}

static void put_labels(gh_buf *b, const server *srv)
{
    gh_buf_puts(b, "{\"labels\":{\"id\":");
    gh_json_write_str(b, srv->instance_id, strlen(srv->instance_id));
    const gh_value *l = srv->cfg->labels;
    for (size_t i = 0; l && i < gh_value_len(l); i++) {
        size_t kn, vn;
        const char *k = gh_string_ptr(gh_object_key_at(l, i), &kn);
        const char *v = gh_string_ptr(gh_object_value_at(l, i), &vn);
        if ((kn == 2 && memcmp(k, "id", 2) == 0) || (kn == 7 && memcmp(k, "version", 7) == 0))
            continue;
        gh_buf_putc(b, ',');
        gh_json_write_str(b, k, kn);
        gh_buf_putc(b, ':');
        gh_json_write_str(b, v, vn);
    }
    gh_buf_puts(b, ",\"version\":\"" GH_VERSION "\"}");
}

/* gatehouse's own fields: the result's reason (when it gives one as a string) and the
 * subject's id from the input contract (DESIGN.md). */
static void put_extras(gh_buf *b, const gh_value *input, const gh_value *result)
{
    const gh_value *reason = result && gh_value_kind(result) == GH_KIND_OBJECT
                                 ? gh_object_get_str(result, "reason", 6)
                                 : NULL;
    if (reason && gh_value_kind(reason) == GH_KIND_STRING) {
        put_key(b, "reason");
        gh_json_write(b, reason, 0);
    }
    const gh_value *subj = input && gh_value_kind(input) == GH_KIND_OBJECT
                               ? gh_object_get_str(input, "subject", 7)
                               : NULL;
    const gh_value *id = subj && gh_value_kind(subj) == GH_KIND_OBJECT
                             ? gh_object_get_str(subj, "id", 2)
                             : NULL;
    if (id && gh_value_kind(id) == GH_KIND_STRING) {
        put_key(b, "subject");
        gh_json_write(b, id, 0);
    }
}

void event_log(worker *w, const event_fields *ev)
{
    gh_buf *b = &w->scratch;
    gh_buf_clear(b);
    const gh_value *input = ev->input, *result = ev->result;
    gh_buf erased, masked;
    gh_buf_init(&erased, 0);
    gh_buf_init(&masked, 0);
    mask_event(w, ev, &input, &result, &erased, &masked);
    put_labels(b, w->srv);
    put_str_field(b, "decision_id", ev->decision_id);
    put_str_field(b, "revision", ev->revision);
    put_str_field(b, "path", ev->path);
    if (input) put_key(b, "input"), gh_json_write(b, input, 0);
    if (result) put_key(b, "result"), gh_json_write(b, result, 0);
    if (erased.len) put_key(b, "erased"), gh_buf_append(b, erased.data, erased.len), gh_buf_putc(b, ']');
    if (masked.len) put_key(b, "masked"), gh_buf_append(b, masked.data, masked.len), gh_buf_putc(b, ']');
    gh_buf_free(&erased);
    gh_buf_free(&masked);
    if (ev->err) {
        char msg[1024];
        gh_eval_error_format(ev->err, msg, sizeof msg);
        gh_buf_printf(b, ",\"error\":{\"code\":\"%s\",\"message\":", ev->err->code);
        gh_json_write_str(b, msg, strlen(msg));
        gh_buf_putc(b, '}');
    }
    put_str_field(b, "requested_by", ev->requested_by);
    char when[48];
    log_format_time(log_now_unix_ns(), when, sizeof when);
    put_str_field(b, "timestamp", when);
    gh_buf_printf(b,
                  ",\"metrics\":{\"timer_rego_input_parse_ns\":%llu,"
                  "\"timer_rego_query_eval_ns\":%llu,\"timer_server_handler_ns\":%llu}",
                  (unsigned long long)ev->parse_ns, (unsigned long long)ev->eval_ns,
                  (unsigned long long)ev->latency_ns);
    put_extras(b, input, result);
    gh_buf_printf(b, ",\"latency_ns\":%llu}\n", (unsigned long long)ev->latency_ns);
    if (b->failed) {
        log_msg(LOG_ERROR, NULL, "decision log: cannot build event %s", ev->decision_id);
        declog_note_dropped(w->srv->log);
        return;
    }
    char *line = malloc(b->len);
    if (!line) {
        declog_note_dropped(w->srv->log);
        return;
    }
    memcpy(line, b->data, b->len);
    declog_push(w->srv->log, line, b->len);
}
