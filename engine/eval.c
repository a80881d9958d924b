/* The public evaluation API: evaluators, gh_eval on a document path, prepared queries,
 * and the rendering of evaluation errors. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compile/driver.h"
#include "gatehouse/error.h"
#include "parse.h"
#include "vm.h"

gh_evaluator *gh_evaluator_new(const gh_eval_opts *opts)
{
    gh_evaluator *ev = calloc(1, sizeof *ev);
    if (!ev) return NULL;
    if (opts) ev->opts = *opts;
    gh_arena_init(&ev->arena, ev->opts.arena_cap ? ev->opts.arena_cap : (size_t)256 << 20);
    ev->bc.cache = gh_bcache_new();
    ev->trace = getenv("GH_VM_TRACE") != NULL; /* debugging aid: every instruction to stderr */
    return ev;
}

void gh_evaluator_free(gh_evaluator *ev)
{
    if (!ev) return;
    gh_arena_free(&ev->arena);
    if (ev->bc.cache) gh_bcache_free(ev->bc.cache);
    free(ev->stack);
    free(ev->memo);
    free(ev->fmemo);
    gh_hook_free(ev);
    free(ev);
}

gh_arena *gh_evaluator_arena(gh_evaluator *ev)
{
    return &ev->arena;
}

void gh_evaluator_set_trace(gh_evaluator *ev, bool on)
{
    ev->trace = on;
}

void gh_eval_error_format(const gh_eval_error *err, char *buf, size_t size)
{
    if (err->file[0] && err->line)
        snprintf(buf, size, "%s:%d: %s: %s", err->file, err->line, err->code ? err->code : "error",
                 err->msg);
    else
        snprintf(buf, size, "%s: %s", err->code ? err->code : "error", err->msg);
}

static int oom_error(gh_evaluator *ev)
{
    return gh_vm_error(ev, GH_ENOMEM, "eval_internal_error", NULL,
                       "evaluation ran out of memory (arena limit %zu bytes)", ev->arena.cap);
}

static const gh_value *dot_str(const gh_value *v, const char *s, size_t n)
{
    if (!v) return NULL;
    if (gh_value_kind(v) == GH_KIND_OBJECT) return gh_object_get_str(v, s, n);
    if (gh_value_kind(v) == GH_KIND_ARRAY) {
        size_t i = 0;
        if (n == 0) return NULL;
        for (size_t j = 0; j < n; j++) {
            if (s[j] < '0' || s[j] > '9') return NULL;
            i = i * 10 + (size_t)(s[j] - '0');
        }
        return gh_array_get(v, i);
    }
    return NULL;
}

static int eval_path(gh_evaluator *ev, const gh_revision *rev, const char *ref,
                     const gh_value **out)
{
    const char *p = ref;
    size_t len = strlen(ref);
    if (len < 4 || memcmp(p, "data", 4) != 0 || (len > 4 && p[4] != '.'))
        return gh_vm_error(ev, GH_EINVAL, "eval_internal_error", NULL, "not a data ref: %s", ref);
    p += 4;
    const gh_rnode *n = rev->root;
    const gh_value *v = NULL;
    bool in_tree = true;
    while (*p == '.') {
        p++;
        const char *e = strchr(p, '.');
        size_t sl = e ? (size_t)(e - p) : strlen(p);
        if (in_tree && !n->proc) {
            const gh_rnode *k = gh_rnode_kid(n, p, sl);
            if (k) {
                n = k;
                p += sl;
                continue;
            }
            in_tree = false;
            v = n->base;
            if (ev->nwith_data == 0 && n->nkids) { /* a key beside the rules: base data only */
            }
        } else if (in_tree) {
            int rc = gh_vm_node_value(ev, n, &v);
            if (rc) return rc;
            in_tree = false;
        }
        v = dot_str(v, p, sl);
        if (!v) {
            *out = NULL;
            return 0;
        }
        p += sl;
    }
    if (in_tree) return gh_vm_node_value(ev, n, out);
    *out = v;
    return 0;
}

int gh_eval_many(gh_evaluator *ev, const gh_revision *rev, const char *const *refs, size_t n,
                 const gh_value *input, const gh_value **outs, gh_eval_error *err)
{
    gh_eval_error local;
    if (!err) err = &local;
    for (size_t i = 0; i < n; i++)
        outs[i] = NULL;
    int rc = gh_vm_begin(ev, rev, input, err);
    if (rc) return rc;
    jmp_buf jb;
    ev->arena.oom = &jb;
    if (setjmp(jb)) {
        ev->arena.oom = NULL;
        for (size_t i = 0; i < n; i++)
            outs[i] = NULL;
        return oom_error(ev);
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = eval_path(ev, rev, refs[i], &outs[i]);
    ev->arena.oom = NULL;
    if (rc)
        for (size_t i = 0; i < n; i++)
            outs[i] = NULL;
    return rc;
}

int gh_eval(gh_evaluator *ev, const gh_revision *rev, const char *ref, const gh_value *input,
            const gh_value **out, gh_eval_error *err)
{
    return gh_eval_many(ev, rev, &ref, 1, input, out, err);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void gh_query_timings(const gh_query *q, uint64_t *parse_ns, uint64_t *compile_ns)
{
    *parse_ns = q->parse_ns;
    *compile_ns = q->compile_ns;
}

gh_query *gh_query_prepare(gh_revision *rev, const char *text, size_t len, gh_diags *diags)
{
    gh_query *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    gh_arena_init(&q->arena, 0);
    gh_body *body = NULL;
    gh_parse_opts po = {.v0_compatible = rev->v0};
    uint64_t t0 = mono_ns(), t1 = 0;
    if (gh_parse_query(&q->arena, "query", text, len, &po, &body, diags) != 0 ||
        (t1 = mono_ns(), !(q->proc = gh_compile_query(rev, &q->arena, body, diags)))) {
        gh_arena_free(&q->arena);
        free(q);
        return NULL;
    }
    q->parse_ns = t1 - t0;
    q->compile_ns = mono_ns() - t1;
    gh_revision_retain(rev);
    q->rev = rev;
    return q;
}

void gh_query_free(gh_query *q)
{
    if (!q) return;
    gh_revision_release(q->rev);
    gh_arena_free(&q->arena);
    free(q);
}

int gh_query_eval(gh_evaluator *ev, const gh_query *q, const gh_value *input, const gh_value **rows,
                  gh_eval_error *err)
{
    gh_eval_error local;
    if (!err) err = &local;
    *rows = NULL;
    int rc = gh_vm_begin(ev, q->rev, input, err);
    if (rc) return rc;
    jmp_buf jb;
    ev->arena.oom = &jb;
    if (setjmp(jb)) {
        ev->arena.oom = NULL;
        *rows = NULL;
        return oom_error(ev);
    }
    rc = gh_vm_call(ev, q->proc, NULL, rows);
    ev->arena.oom = NULL;
    if (rc) *rows = NULL;
    return rc;
}

void gh_query_disasm(const gh_query *q, gh_buf *out)
{
    gh_vm_disasm(q->proc, out);
    for (uint32_t i = 0; i < q->rev->nprocs; i++)
        gh_vm_disasm(q->rev->procs[i], out);
}
