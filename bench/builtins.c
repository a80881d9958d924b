/* bench/builtins: nanoseconds per call of the hot builtins, called as the VM calls them
 * (gh_builtin_lookup once, then gh_builtin_call with one gh_bctx whose evaluator-like cache
 * comes from gh_bcache_new, so patterns are compiled once), plus the seed policy's decision
 * time again (bench/engine's first workload) for scale. Mallocs per call after warm-up are
 * counted by interposing malloc. The evaluation arena is reset every ARENA_BATCH calls, as an
 * evaluation would; the reset is in the timing.
 * Usage: builtins [SEED_DIR]. Prints a Markdown table. Not a test. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builtins/builtins.h"
#include "bench_util.h"
#include "gatehouse/engine.h"

#define CALLS       200000 /* timed calls per run */
#define RUNS        5      /* runs per row; the median is reported */
#define ARENA_BATCH 256    /* calls between two resets of the evaluation arena */

typedef struct bench_case {
    const char *name;   /* builtin */
    const char *shown;  /* the call as the table shows it */
    const char *args;   /* JSON array of the arguments */
} bench_case;

/* A 1 KB JSON document (as a string argument) for json.unmarshal. */
static char *kilobyte_json(void)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_buf_puts(&b, "{\"items\":[");
    for (int i = 0; b.len < 960; i++)
        gh_buf_printf(&b, "%s{\"id\":%d,\"name\":\"item-%d\",\"ok\":%s,\"w\":%d.5}", i ? "," : "",
                      i, i, i % 2 ? "true" : "false", i * 3);
    gh_buf_puts(&b, "],\"total\":1}");
    gh_buf out;
    gh_buf_init(&out, 0);
    gh_buf_putc(&out, '[');
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_json_write(&out, gh_value_string(&a, b.data, b.len), 0);
    gh_buf_putc(&out, ']');
    gh_arena_free(&a);
    gh_buf_free(&b);
    size_t len;
    return gh_buf_take(&out, &len);
}

/* Times one builtin: RUNS runs of CALLS calls; prints a row. */
static void run_case(const bench_case *c, gh_bctx *bc, gh_arena *eval_arena)
{
    gh_arena args_arena;
    gh_arena_init(&args_arena, 0);
    const gh_value *argv = NULL;
    gh_json_error e;
    const gh_builtin *b = gh_builtin_lookup(c->name, strlen(c->name));
    if (!b || gh_json_read(&args_arena, c->args, strlen(c->args), NULL, &argv, &e) != 0) {
        printf("| %s | `%s` | not available | | |\n", c->name, c->shown);
        gh_arena_free(&args_arena);
        return;
    }
    size_t n = gh_value_len(argv);
    const gh_value *args[8];
    for (size_t i = 0; i < n && i < 8; i++) args[i] = gh_array_get(argv, i);
    double ns[RUNS];
    unsigned long m0 = 0, errors = 0;
    for (int r = -1; r < RUNS; r++) { /* run -1 warms the cache up */
        if (r == 0) m0 = bench_mallocs;
        uint64_t t0 = bench_now_ns();
        for (int i = 0; i < CALLS; i++) {
            const gh_value *out;
            if (gh_builtin_call(b, bc, args, n, &out) != 0) errors++;
            if (i % ARENA_BATCH == ARENA_BATCH - 1) gh_arena_reset(eval_arena);
        }
        if (r >= 0) ns[r] = (double)(bench_now_ns() - t0) / CALLS;
    }
    double per_call_mallocs = (double)(bench_mallocs - m0) / ((double)CALLS * RUNS);
    qsort(ns, RUNS, sizeof ns[0], bench_cmp_double);
    printf("| %s | `%s` | %.0f | %.3f | %s |\n", c->name, c->shown, ns[RUNS / 2], per_call_mallocs,
           errors ? "errors!" : "");
    gh_arena_free(&args_arena);
}

/* ---- the seed policy, as bench/engine's first workload measures it ---- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    gh_buf b;
    gh_buf_init(&b, 0);
    char chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) gh_buf_append(&b, chunk, k);
    fclose(f);
    return gh_buf_take(&b, len);
}

static const gh_value *read_json(gh_arena *a, const char *text, size_t len, unsigned flags)
{
    gh_json_opts o = {.flags = flags};
    const gh_value *v = NULL;
    gh_json_error e;
    return text && gh_json_read(a, text, len, &o, &v, &e) == 0 ? v : NULL;
}

/* Median microseconds of one Decision + Message pair (two evaluations), cycling inputs. */
static double seed_decision_us(const gh_revision *rev, const gh_value *inputs)
{
    enum { ROUNDS = 20000, WARMUP = 2000 };
    gh_evaluator *ev = gh_evaluator_new(NULL);
    static uint64_t lat[ROUNDS];
    size_t ninputs = gh_value_len(inputs);
    const char *refs[] = {"data.authz.Decision", "data.authz.Message"};
    for (int i = -WARMUP; i < ROUNDS; i++) {
        const gh_value *input = gh_array_get(inputs, (size_t)(i + WARMUP) % ninputs);
        uint64_t t0 = bench_now_ns();
        for (int r = 0; r < 2; r++) {
            const gh_value *out;
            gh_eval_error err;
            gh_eval(ev, rev, refs[r], input, &out, &err);
        }
        if (i >= 0) lat[i] = bench_now_ns() - t0;
    }
    gh_evaluator_free(ev);
    qsort(lat, ROUNDS, sizeof lat[0], bench_cmp_u64);
    return (double)lat[ROUNDS / 2] / 1e3;
}

static void seed_row(const char *dir)
{
    char path[4096];
    size_t plen = 0, dlen = 0, ilen = 0;
    snprintf(path, sizeof path, "%s/policy.rego", dir);
    char *policy = slurp(path, &plen);
    snprintf(path, sizeof path, "%s/data.json", dir);
    char *data = slurp(path, &dlen);
    snprintf(path, sizeof path, "%s/inputs.json", dir);
    char *inputs = slurp(path, &ilen);
    gh_arena a;
    gh_arena_init(&a, 0);
    const gh_value *dv = read_json(&a, data, dlen, GH_JSON_RELAXED);
    const gh_value *iv = read_json(&a, inputs, ilen, GH_JSON_RELAXED | GH_JSON_MULTI);
    gh_revision *rev = NULL;
    if (policy && dv && iv) {
        gh_diags d;
        gh_diags_init(&d);
        gh_source src = {.name = "policy.rego", .text = policy, .len = plen};
        rev = gh_revision_load(&src, 1, dv, NULL, &d);
        gh_diags_free(&d);
    }
    if (rev) {
        printf("\n| seed policy (bench/engine's first workload) | median us per decision |\n"
               "|---|---|\n| Decision + Message, two evaluations, %zu inputs cycled | %.2f |\n",
               gh_value_len(iv), seed_decision_us(rev, iv));
        gh_revision_release(rev);
    } else {
        printf("\n(seed policy: %s not found or does not load)\n", dir);
    }
    gh_arena_free(&a);
    free(policy);
    free(data);
    free(inputs);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/seed-policies/data-master";
    char *kb = kilobyte_json();
    const bench_case cases[] = {
        {"sprintf", "sprintf(\"%s has %d items at %.2f\", [\"cart\", 3, 9.99])",
         "[\"%s has %d items at %.2f\", [\"cart\", 3, 9.99]]"},
        {"regex.match", "regex.match(\"^[a-z]+-[0-9]{3}$\", \"abc-123\")",
         "[\"^[a-z]+-[0-9]{3}$\", \"abc-123\"]"},
        {"glob.match", "glob.match(\"api.*.example.com\", [\".\"], \"api.v1.example.com\")",
         "[\"api.*.example.com\", [\".\"], \"api.v1.example.com\"]"},
        {"object.get", "object.get({\"a\": {\"b\": {\"c\": 1}}}, [\"a\", \"b\", \"c\"], 0)",
         "[{\"a\": {\"b\": {\"c\": 1}}}, [\"a\", \"b\", \"c\"], 0]"},
        {"object.get", "object.get({\"a\": 1, \"b\": 2}, \"b\", 0)",
         "[{\"a\": 1, \"b\": 2}, \"b\", 0]"},
        {"lower", "lower(\"Hello World, MIXED Case\")", "[\"Hello World, MIXED Case\"]"},
        {"json.unmarshal", "json.unmarshal(<1 KB object>)", kb},
    };
    gh_arena eval_arena;
    gh_arena_init(&eval_arena, 0);
    gh_bctx bc = {.arena = &eval_arena, .cache = gh_bcache_new()};
    printf("| builtin | call | ns/call (median of %d x %d) | mallocs/call | notes |\n", RUNS,
           CALLS);
    printf("|---|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i], &bc, &eval_arena);
    gh_bcache_free(bc.cache);
    gh_arena_free(&eval_arena);
    free(kb);
    seed_row(dir);
    return 0;
}
