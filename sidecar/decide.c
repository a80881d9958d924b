/* Evaluating, counting, naming and logging one decision on a worker. */
#include "decide.h"

#include <stdio.h>
#include <string.h>

#include "event.h"
#include "gatehouse/error.h"

void decide_eval(worker *w, bool strict, decision *d)
{
    uint64_t t0 = http_now_ns();
    gh_evaluator *ev = strict ? worker_strict_evaluator(w) : w->ev;
    if (!ev) {
        d->rc = GH_ENOMEM;
        d->err = (gh_eval_error){.code = "eval_internal_error", .msg = "out of memory"};
        return;
    }
    d->rc = gh_eval(ev, w->snap->rev, d->ref, d->input, &d->result, &d->err);
    if (d->rc) d->result = NULL;
    d->eval_ns = http_now_ns() - t0;
    histogram_observe(&w->metrics.eval_ns, d->eval_ns);
}

metric_decision decide_classify(const decision *d)
{
    if (d->rc) return DEC_ERROR;
    const gh_value *result = d->result;
    if (!result) return DEC_DENY;
    gh_kind k = gh_value_kind(result);
    if (k == GH_KIND_BOOL) return gh_value_get_bool(result) ? DEC_ALLOW : DEC_DENY;
    if (k == GH_KIND_OBJECT) {
        const gh_value *a = gh_object_get_str(result, "allow", 5);
        if (!a) a = gh_object_get_str(result, "allowed", 7);
        if (a && gh_value_kind(a) == GH_KIND_BOOL)
            return gh_value_get_bool(a) ? DEC_ALLOW : DEC_DENY;
    }
    return DEC_VALUE;
}

void decide_uuid(worker *w, char out[40])
{
    /* xorshift128+ seeded per worker from getrandom: ids need to be unique, not secret */
    uint64_t v[2];
    for (int i = 0; i < 2; i++) {
        uint64_t s1 = w->rng[0], s0 = w->rng[1];
        w->rng[0] = s0;
        s1 ^= s1 << 23;
        w->rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
        v[i] = w->rng[1] + s0;
    }
    uint64_t a = (v[0] & ~0xf000ull) | 0x4000ull;                     /* version 4 */
    uint64_t b = (v[1] & 0x3fffffffffffffffull) | 0x8000000000000000ull; /* RFC 4122 variant */
    snprintf(out, 40, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
             (unsigned)a & 0xffff, (unsigned)(b >> 48), (unsigned long long)(b & 0xffffffffffffull));
}

void decide_new_id(worker *w, decision *d)
{
    if (w->srv->log) decide_uuid(w, d->id);
}

/* The decision's path as OPA logs it: "authz/allow" for data.authz.allow. */
static const char *log_path(gh_arena *a, const char *ref)
{
    const char *p = ref[4] ? ref + 5 : "";
    char *out = gh_arena_strndup(a, p, strlen(p));
    for (char *c = out; *c; c++)
        if (*c == '.') *c = '/';
    return out;
}

void decide_log(worker *w, const decision *d, const char *requested_by, uint64_t start_ns)
{
    if (!w->srv->log) return;
    event_fields ev = {
        .decision_id = d->id,
        .path = log_path(&w->req, d->ref),
        .input = d->input,
        .result = d->rc ? NULL : d->result,
        .err = d->rc ? &d->err : NULL,
        .requested_by = requested_by,
        .revision = w->snap->id,
        .eval_ns = d->eval_ns,
        .parse_ns = d->parse_ns,
        .latency_ns = http_now_ns() - start_ns,
        .erase_always = d->never_log,
    };
    event_log(w, &ev);
}
