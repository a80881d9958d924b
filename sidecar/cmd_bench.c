/* gatehouse bench: loads and compiles the policy and the query once, then evaluates the
 * query over and over as opa bench does, and prints what opa bench prints: samples, ns/op,
 * B/op, allocs/op and the histogram of evaluation times, as opa's table or as the JSON of
 * Go's testing.BenchmarkResult.
 *
 * The number of evaluations grows as Go's testing.Benchmark grows b.N: one evaluation, then
 * runs predicted to last the bench time (1 s), 1.2x over, never more than 100x the previous
 * run; the last run is the result. Only the evaluations themselves are timed (opa stops its
 * timer between them too). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc_count.h"
#include "builtins/builtins.h"
#include "cli.h"
#include "cli_errors.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/diag.h"
#include "gatehouse/engine.h"
#include "gatehouse/yaml.h"
#include "loader.h"
#include "parse.h"

static const char bench_usage[] =
    "usage: gatehouse bench [-d PATH]... [-b DIR]... [--ignore PATTERN]...\n"
    "                       [-i FILE | --stdin-input] [--count N]\n"
    "                       [--benchmem[=false]] [--metrics[=false]] [--fail[=false]]\n"
    "                       [--benchtime D|Nx] [-f pretty|json|gobench] [--v0-compatible]\n"
    "                       QUERY\n\n"
    "Benchmarks QUERY as opa bench does: loads and compiles once, then evaluates QUERY\n"
    "repeatedly (as many times as fit in about a second, grown as Go's testing.Benchmark\n"
    "grows its N) and prints the number of evaluations (samples), ns/op, B/op, allocs/op\n"
    "and the histogram of evaluation times (histogram_timer_rego_query_eval_ns_*: count,\n"
    "min, max, mean, stddev, median, 75%, 90%, 95%, 99%, 99.9%, 99.99%).\n\n"
    "What is counted, per evaluation:\n"
    "  allocs/op  heap allocations (malloc, calloc, realloc calls) made while the query\n"
    "             evaluates, by the engine or any library it calls; the values an\n"
    "             evaluation builds live in its arena and are not separate allocations.\n"
    "             Not counted in sanitizer builds (the row is left out, a note goes to\n"
    "             stderr).\n"
    "  B/op       bytes taken from the evaluation arena (where every value an evaluation\n"
    "             builds lives) plus bytes requested from the heap, the arena's own growth\n"
    "             counted once.\n"
    "Percentiles come from every evaluation of the final run, or from a uniform sample of\n"
    "100000 of them when there are more; count, min, max, mean and stddev use them all.\n\n"
    "options:\n"
    "  -d, --data PATH         policy and data files or directories, as for eval\n"
    "  -b, --bundle DIR        a bundle directory (.manifest roots enforced), as for eval\n"
    "      --ignore PATTERN    skip files and directories whose name matches PATTERN\n"
    "  -i, --input FILE        the input document (JSON with comments, or YAML)\n"
    "  -I, --stdin-input       read the input document from stdin\n"
    "      --count N           repeat the whole benchmark N times (default 1)\n"
    "      --benchmem[=BOOL]   report B/op and allocs/op (default true)\n"
    "      --metrics[=BOOL]    report the evaluation-time histogram (default true)\n"
    "      --fail[=BOOL]       an undefined (empty) result is an error (default true)\n"
    "      --benchtime D|Nx    time per benchmark as a Go duration (default 1s), or exactly\n"
    "                          N evaluations (Go's -benchtime; gatehouse only)\n"
    "  -f, --format FORMAT     pretty (default; opa's table), json (Go's BenchmarkResult) or\n"
    "                          gobench (a Go benchmark line: BenchmarkOPAEval N ns/op ...)\n"
    "      --v1-compatible     Rego v1 (the default; accepted as opa does)\n"
    "      --v0-compatible     parse modules and the query as Rego v0\n"
    "  -h, --help              show this help\n\n"
    "Exit status: 0 ok; 1 load, parse, compile or evaluation errors, or an undefined result\n"
    "with --fail (as opa bench); 2 command-line usage errors.\n";

#define BENCH_SAMPLE_MAX 100000 /* evaluation times kept for the percentiles */
#define BENCH_MAX_N 1000000000  /* Go's cap on b.N */

typedef struct bench_args {
    char **data, **bundles, **ignore;
    int ndata, nbundles, nignore;
    const char *input_path;
    bool stdin_input, v0, benchmem, metrics, fail;
    enum { FMT_PRETTY, FMT_JSON, FMT_GOBENCH } fmt;
    long count;
    uint64_t benchtime_ns; /* time goal of a benchmark, or 0 with fixed_n */
    uint64_t fixed_n;      /* --benchtime Nx */
    const char *query;
} bench_args;

/* ---- the query: a lone expression reports its value, false included ---- */

/* opa captures the value of each expression of a query; with a single expression and no
 * further check, `data.x.allow` being false is a defined result (false), not an undefined
 * one. So a lone expression that has a value of its own (a term, or a call that is not an
 * assignment, a unification, nor a call given its output argument) is benchmarked as
 * `gh_bench_ := <expr>`, which binds false as well. */
static bool expr_has_value(const gh_expr *e)
{
    if (e->negated) return false;
    if (e->kind == GH_EXPR_TERM) return true;
    if (e->kind != GH_EXPR_CALL || e->u.call.n == 0) return false;
    gh_buf name;
    gh_buf_init(&name, 256);
    gh_term_to_rego(e->u.call.terms[0], &name);
    bool valued = !name.failed && name.data;
    if (valued && (strcmp(name.data, "eq") == 0 || strcmp(name.data, "assign") == 0))
        valued = false;
    if (valued) {
        const gh_builtin *bi = gh_builtin_lookup(name.data, name.len);
        if (bi && bi->arity >= 0 && (int)e->u.call.n - 1 > bi->arity) valued = false;
    }
    gh_buf_free(&name);
    return valued;
}

/* `gh_bench_ := QUERY` when QUERY is a lone expression with a value (see above), else
 * NULL. */
static char *capture_text(const char *q, bool v0)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_diags d;
    gh_diags_init(&d);
    gh_parse_opts po = {.v0_compatible = v0};
    gh_body *body = NULL;
    char *text = NULL;
    if (gh_parse_query(&a, "", q, strlen(q), &po, &body, &d) == 0 && body->n == 1 &&
        expr_has_value(body->items[0])) {
        const gh_expr *e = body->items[0];
        gh_buf out;
        gh_buf_init(&out, 0);
        gh_buf_append(&out, q, e->loc.off);
        gh_buf_puts(&out, "gh_bench_ := ");
        gh_buf_puts(&out, q + e->loc.off);
        text = gh_buf_take(&out, NULL);
    }
    gh_diags_free(&d);
    gh_arena_free(&a);
    return text;
}

/* Prepares QUERY as written first, so errors point where the user wrote them; then, when
 * the value is to be captured, the rewritten query replaces it. NULL with diags. */
static gh_query *prepare_query(gh_revision *rev, const char *q, bool v0, gh_diags *diags)
{
    gh_query *plain = gh_query_prepare(rev, q, strlen(q), diags);
    char *text = plain ? capture_text(q, v0) : NULL;
    if (!text) return plain;
    gh_query *captured = gh_query_prepare(rev, text, strlen(text), diags);
    free(text);
    if (!captured) return plain; /* not expected: the plain query compiled */
    gh_query_free(plain);
    return captured;
}

/* ---- loading and compiling, once ---- */

typedef struct bench_env {
    gh_arena arena; /* data and input values */
    loader l;
    const gh_value *input;
    gh_revision *rev;
    gh_query *q;
    gh_evaluator *ev;
} bench_env;

static int read_stdin_input(gh_arena *a, const gh_value **input, cli_errors *errs)
{
    gh_buf in;
    gh_buf_init(&in, CLI_MAX_FILE);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        gh_buf_append(&in, chunk, n);
    int rc = 0;
    if (in.failed) {
        cli_errors_add(errs, "", "stdin: input too large", "", 0, 0, NULL);
        rc = -1;
    } else {
        /* JSON first, YAML when that fails (as opa's util.Unmarshal) */
        gh_json_opts jo = {.flags = GH_JSON_RELAXED};
        gh_json_error je;
        gh_yaml_error ye;
        gh_yaml_opts yo = {.flags = GH_YAML_GO_V2};
        if (gh_json_read(a, in.data ? in.data : "", in.len, &jo, input, &je) != 0 &&
            gh_yaml_read(a, in.data ? in.data : "", in.len, &yo, input, &ye) != 0) {
            char msg[256];
            snprintf(msg, sizeof msg, "stdin: %s", je.msg);
            cli_errors_add(errs, "", msg, "", 0, 0, NULL);
            rc = -1;
        }
    }
    gh_buf_free(&in);
    return rc;
}

static int load_input(const bench_args *ba, bench_env *env, cli_errors *errs)
{
    if (ba->stdin_input) return read_stdin_input(&env->arena, &env->input, errs);
    if (!ba->input_path) return 0;
    gh_buf msg;
    gh_buf_init(&msg, 0);
    int rc = loader_read_value(&env->arena, ba->input_path, &env->input, &msg);
    if (rc != 0) {
        if (msg.len)
            cli_errors_add_lines(errs, msg.data);
        else /* cli_read_file already said why on stderr */
            cli_errors_add(errs, "", "cannot read the input file", "", 0, 0, NULL);
    }
    gh_buf_free(&msg);
    return rc;
}

/* Loads, compiles and prepares everything an evaluation needs. 0, or -1 with errs. */
static int bench_prepare(const bench_args *ba, bench_env *env, cli_errors *errs)
{
    gh_buf lerr;
    gh_buf_init(&lerr, 0);
    env->l.ignore = ba->ignore;
    env->l.nignore = (size_t)ba->nignore;
    env->l.v0_compatible = ba->v0;
    int lrc = loader_load(&env->l, ba->data, ba->ndata, &lerr);
    if (loader_load_bundles(&env->l, ba->bundles, ba->nbundles, &lerr) != 0) lrc = -1;
    if (lrc != 0) {
        cli_errors_add_lines(errs, lerr.data);
        if (errs->n == 0) cli_errors_add(errs, "", "cannot load the -d paths", "", 0, 0, NULL);
    }
    gh_buf_free(&lerr);
    if (errs->n || load_input(ba, env, errs) != 0) return -1;

    gh_diags diags;
    gh_diags_init(&diags);
    /* a bundle's manifest may set the Rego version: the loader says which one applies */
    gh_load_opts lo = {.v0_compatible = env->l.v0_compatible};
    env->rev = gh_revision_load(env->l.modules, env->l.nmodules, env->l.data, &lo, &diags);
    if (env->rev) env->q = prepare_query(env->rev, ba->query, env->l.v0_compatible, &diags);
    cli_errors_add_diags(errs, &diags);
    gh_diags_free(&diags);
    if (errs->n) return -1;
    env->ev = gh_evaluator_new(NULL);
    if (!env->ev) {
        cli_errors_add(errs, "", "out of memory", "", 0, 0, NULL);
        return -1;
    }
    return 0;
}

static void bench_env_free(bench_env *env)
{
    if (env->ev) gh_evaluator_free(env->ev);
    if (env->q) gh_query_free(env->q);
    if (env->rev) gh_revision_release(env->rev);
    loader_free(&env->l);
    gh_arena_free(&env->arena);
}

/* ---- one run of N evaluations ---- */

typedef struct run_stats {
    uint64_t n;          /* evaluations done */
    uint64_t total_ns;   /* time spent inside them */
    uint64_t min_ns, max_ns;
    double mean, m2;     /* running mean and sum of squared deviations (Welford) */
    uint64_t *sample;    /* evaluation times, a uniform sample once there are too many */
    size_t nsample;
    uint64_t rng;        /* xorshift state for the sample */
    uint64_t allocs;     /* heap allocations */
    uint64_t bytes;      /* arena + heap bytes */
} run_stats;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void stats_reset(run_stats *s)
{
    uint64_t *sample = s->sample;
    *s = (run_stats){.sample = sample, .rng = 0x9e3779b97f4a7c15u, .min_ns = UINT64_MAX};
}

/* Reservoir sampling (Algorithm R): each of the n times has the same chance to be kept. */
static void stats_add_time(run_stats *s, uint64_t ns)
{
    s->n++;
    s->total_ns += ns;
    if (ns < s->min_ns) s->min_ns = ns;
    if (ns > s->max_ns) s->max_ns = ns;
    double d = (double)ns - s->mean;
    s->mean += d / (double)s->n;
    s->m2 += d * ((double)ns - s->mean);
    if (s->nsample < BENCH_SAMPLE_MAX) {
        s->sample[s->nsample++] = ns;
        return;
    }
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    uint64_t j = s->rng % s->n;
    if (j < BENCH_SAMPLE_MAX) s->sample[j] = ns;
}

/* One evaluation: timed, its heap allocations counted while armed, its arena use read
 * afterwards. The arena is reset before the clock starts (the evaluation would reset it
 * first thing anyway), so what it reserves beyond its kept chunk is this evaluation's growth,
 * already counted among the heap bytes. Returns 0, or -1 with errs. */
static int eval_once(const bench_args *ba, bench_env *env, run_stats *s, cli_errors *errs)
{
    gh_arena *arena = gh_evaluator_arena(env->ev);
    gh_arena_reset(arena);
    size_t reserved_before = arena->reserved;
    uint64_t calls0, bytes0, calls1, bytes1;
    alloc_count_read(&calls0, &bytes0);
    const gh_value *rows = NULL;
    gh_eval_error err;
    alloc_count_arm(true);
    uint64_t t0 = now_ns();
    int rc = gh_query_eval(env->ev, env->q, env->input, &rows, &err);
    uint64_t t1 = now_ns();
    alloc_count_arm(false);
    alloc_count_read(&calls1, &bytes1);
    if (rc != 0) {
        cli_errors_add(errs, err.code ? err.code : "eval_internal_error", err.msg, err.file,
                       err.line, err.col, NULL);
        return -1;
    }
    if (ba->fail && gh_value_len(rows) == 0) {
        cli_errors_add(errs, "", "undefined result", "", 0, 0, NULL);
        return -1;
    }
    size_t growth = arena->reserved > reserved_before ? arena->reserved - reserved_before : 0;
    uint64_t heap = bytes1 - bytes0;
    stats_add_time(s, t1 - t0);
    s->allocs += calls1 - calls0;
    s->bytes += arena->used + (heap > growth ? heap - growth : 0);
    return 0;
}

static int run_n(const bench_args *ba, bench_env *env, uint64_t n, run_stats *s, cli_errors *errs)
{
    stats_reset(s);
    for (uint64_t i = 0; i < n; i++)
        if (eval_once(ba, env, s, errs) != 0) return -1;
    return 0;
}

/* Go's testing.B.launch: run once, then grow N toward the time goal. */
static int run_benchmark(const bench_args *ba, bench_env *env, run_stats *s, cli_errors *errs)
{
    if (run_n(ba, env, 1, s, errs) != 0) return -1;
    if (ba->fixed_n) return ba->fixed_n > 1 ? run_n(ba, env, ba->fixed_n, s, errs) : 0;
    uint64_t n = 1;
    while (s->total_ns < ba->benchtime_ns && n < BENCH_MAX_N) {
        uint64_t last = n, prev_ns = s->total_ns ? s->total_ns : 1;
        n = ba->benchtime_ns * s->n / prev_ns;
        n += n / 5;
        if (n > 100 * last) n = 100 * last;
        if (n < last + 1) n = last + 1;
        if (n > BENCH_MAX_N) n = BENCH_MAX_N;
        if (run_n(ba, env, n, s, errs) != 0) return -1;
    }
    return 0;
}

/* ---- results ---- */

/* go-metrics' SamplePercentiles over a sorted sample: position p*(n+1), interpolated. */
static double percentile(const uint64_t *sorted, size_t n, double p)
{
    if (n == 0) return 0;
    double pos = p * (double)(n + 1);
    if (pos < 1.0) return (double)sorted[0];
    if (pos >= (double)n) return (double)sorted[n - 1];
    double lower = (double)sorted[(size_t)pos - 1], upper = (double)sorted[(size_t)pos];
    return lower + (pos - floor(pos)) * (upper - lower);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

#define HIST_PREFIX "histogram_timer_rego_query_eval_ns_"
#define N_HIST 12

typedef struct hist_row {
    const char *name; /* after HIST_PREFIX */
    double value;
} hist_row;

/* The histogram's rows in byte order of their names, as opa prints them (sorted keys). */
static void histogram(run_stats *s, hist_row rows[N_HIST])
{
    qsort(s->sample, s->nsample, sizeof *s->sample, cmp_u64);
    static const char *const pnames[] = {"75%", "90%", "95%", "99%", "99.9%", "99.99%"};
    static const double ps[] = {0.75, 0.9, 0.95, 0.99, 0.999, 0.9999};
    for (int i = 0; i < 6; i++)
        rows[i] = (hist_row){pnames[i], percentile(s->sample, s->nsample, ps[i])};
    rows[6] = (hist_row){"count", (double)s->n};
    rows[7] = (hist_row){"max", (double)s->max_ns};
    rows[8] = (hist_row){"mean", s->mean};
    rows[9] = (hist_row){"median", percentile(s->sample, s->nsample, 0.5)};
    rows[10] = (hist_row){"min", (double)(s->n ? s->min_ns : 0)};
    rows[11] = (hist_row){"stddev", s->n ? sqrt(s->m2 / (double)s->n) : 0};
}

/* Go's testing package float layout (opa's prettyFormatFloat): 10 places before the point,
 * three significant digits for small numbers. */
static void pretty_float(char *out, size_t size, double x)
{
    double y = fabs(x);
    int width = 17, prec = 6;
    if (y == 0 || y >= 99.95)
        width = 10, prec = 0;
    else if (y >= 9.995)
        width = 12, prec = 1;
    else if (y >= 0.9995)
        width = 13, prec = 2;
    else if (y >= 0.09995)
        width = 14, prec = 3;
    else if (y >= 0.009995)
        width = 15, prec = 4;
    else if (y >= 0.0009995)
        width = 16, prec = 5;
    snprintf(out, size, "%*.*f", width, prec, x);
}

typedef struct table_row {
    char key[64];
    char value[32];
} table_row;

static void put_rule(size_t kw, size_t vw)
{
    putchar('+');
    for (size_t i = 0; i < kw + 2; i++)
        putchar('-');
    putchar('+');
    for (size_t i = 0; i < vw + 2; i++)
        putchar('-');
    puts("+");
}

/* opa's table: keys left-aligned, values right-aligned, +---+ borders, no header. */
static void print_table(const table_row *rows, size_t n)
{
    size_t kw = 0, vw = 0;
    for (size_t i = 0; i < n; i++) {
        if (strlen(rows[i].key) > kw) kw = strlen(rows[i].key);
        if (strlen(rows[i].value) > vw) vw = strlen(rows[i].value);
    }
    put_rule(kw, vw);
    for (size_t i = 0; i < n; i++)
        printf("| %-*s | %*s |\n", (int)kw, rows[i].key, (int)vw, rows[i].value);
    put_rule(kw, vw);
}

static void print_pretty(const bench_args *ba, run_stats *s)
{
    table_row rows[4 + N_HIST];
    size_t n = 0;
    snprintf(rows[n].key, sizeof rows[n].key, "samples");
    snprintf(rows[n++].value, sizeof rows[0].value, "%" PRIu64, s->n);
    snprintf(rows[n].key, sizeof rows[n].key, "ns/op");
    pretty_float(rows[n++].value, sizeof rows[0].value, (double)s->total_ns / (double)s->n);
    if (ba->benchmem) {
        snprintf(rows[n].key, sizeof rows[n].key, "B/op");
        snprintf(rows[n++].value, sizeof rows[0].value, "%" PRIu64, s->bytes / s->n);
        if (alloc_count_available()) {
            snprintf(rows[n].key, sizeof rows[n].key, "allocs/op");
            snprintf(rows[n++].value, sizeof rows[0].value, "%" PRIu64, s->allocs / s->n);
        }
    }
    if (ba->metrics) {
        hist_row h[N_HIST];
        histogram(s, h);
        for (int i = 0; i < N_HIST; i++) {
            snprintf(rows[n].key, sizeof rows[n].key, HIST_PREFIX "%s", h[i].name);
            pretty_float(rows[n++].value, sizeof rows[0].value, h[i].value);
        }
    }
    print_table(rows, n);
}

/* Go's BenchmarkResult.String (and MemString with --benchmem) after opa's
 * "BenchmarkOPAEval\t": N, ns/op, then the extra metrics sorted by name, each "value unit". */
static void print_gobench(const bench_args *ba, run_stats *s)
{
    char num[32];
    printf("BenchmarkOPAEval\t%8" PRIu64, s->n);
    pretty_float(num, sizeof num, (double)s->total_ns / (double)s->n);
    printf("\t%s ns/op", num);
    if (ba->metrics) {
        hist_row h[N_HIST];
        histogram(s, h);
        for (int i = 0; i < N_HIST; i++) {
            pretty_float(num, sizeof num, h[i].value);
            printf("\t%s " HIST_PREFIX "%s", num, h[i].name);
        }
    }
    if (ba->benchmem) printf("\t%8" PRIu64 " B/op", s->bytes / s->n);
    if (ba->benchmem && alloc_count_available()) printf("\t%8" PRIu64 " allocs/op", s->allocs / s->n);
    putchar('\n');
}

/* A float as Go's encoding/json writes a float64 (the engine's number writer does that). */
static void put_json_float(gh_buf *b, double x)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    const gh_value *v = gh_value_double(&a, x);
    if (v)
        gh_json_write(b, v, 0);
    else
        gh_buf_puts(b, "0");
    gh_arena_free(&a);
}

/* Go's testing.BenchmarkResult as opa's presentation.JSON writes it (struct order; Extra's
 * keys sorted). */
static void print_json(const bench_args *ba, run_stats *s)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_buf_printf(&b,
                  "{\n  \"N\": %" PRIu64 ",\n  \"T\": %" PRIu64 ",\n  \"Bytes\": 0,\n"
                  "  \"MemAllocs\": %" PRIu64 ",\n  \"MemBytes\": %" PRIu64 ",\n  \"Extra\": ",
                  s->n, s->total_ns, s->allocs, s->bytes);
    if (!ba->metrics) {
        gh_buf_puts(&b, "{}\n}\n");
    } else {
        hist_row h[N_HIST];
        histogram(s, h);
        gh_buf_puts(&b, "{\n");
        for (int i = 0; i < N_HIST; i++) {
            gh_buf_printf(&b, "    \"" HIST_PREFIX "%s\": ", h[i].name);
            put_json_float(&b, h[i].value);
            gh_buf_puts(&b, i + 1 < N_HIST ? ",\n" : "\n");
        }
        gh_buf_puts(&b, "  }\n}\n");
    }
    if (b.data) fputs(b.data, stdout);
    gh_buf_free(&b);
}

static int run_bench(const bench_args *ba)
{
    bench_env env = {0};
    gh_arena_init(&env.arena, 0);
    loader_init(&env.l, &env.arena);
    cli_errors errs = {0};
    run_stats s = {0};
    int status = CLI_OK;
    if (bench_prepare(ba, &env, &errs) == 0) {
        s.sample = malloc(BENCH_SAMPLE_MAX * sizeof *s.sample);
        if (!s.sample) cli_errors_add(&errs, "", "out of memory", "", 0, 0, NULL);
    }
    if (ba->benchmem && !alloc_count_available() && errs.n == 0)
        fprintf(stderr, "gatehouse bench: allocs/op is not counted in this build (sanitizers "
                        "own malloc); B/op counts the evaluation arena only\n");
    for (long i = 0; i < ba->count && errs.n == 0; i++) {
        if (run_benchmark(ba, &env, &s, &errs) != 0) break;
        if (ba->fmt == FMT_JSON)
            print_json(ba, &s);
        else if (ba->fmt == FMT_GOBENCH)
            print_gobench(ba, &s);
        else
            print_pretty(ba, &s);
        fflush(stdout);
    }
    if (errs.n) {
        cli_errors_print(&errs, ba->fmt == FMT_JSON);
        status = CLI_FAIL;
    }
    free(s.sample);
    cli_errors_free(&errs);
    bench_env_free(&env);
    return status;
}

/* ---- command line ---- */

/* A Go duration ("1s", "250ms", "1m30s", "500us") in ns, or "Nx" (*fixed = N). */
static int parse_benchtime(const char *s, uint64_t *ns, uint64_t *fixed)
{
    char *end;
    size_t len = strlen(s);
    if (len > 1 && s[len - 1] == 'x') {
        errno = 0;
        unsigned long long n = strtoull(s, &end, 10);
        if (errno || end != s + len - 1 || n == 0 || n > BENCH_MAX_N) return -1;
        *fixed = n, *ns = 0;
        return 0;
    }
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6},
                 {"s", 1e9},  {"m", 60e9}, {"h", 3600e9}};
    double total = 0;
    const char *p = s;
    while (*p) {
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || v < 0) return -1;
        p = end;
        size_t best = 0, best_len = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t ul = strlen(units[i].unit);
            if (strncmp(p, units[i].unit, ul) == 0 && ul > best_len) best = i, best_len = ul;
        }
        if (!best_len) return -1;
        total += v * units[best].ns;
        p += best_len;
    }
    if (total < 1 || total > 3600e9) return -1;
    *ns = (uint64_t)total, *fixed = 0;
    return 0;
}

/* --flag or --flag=true|false (Go's bool flags). */
static int parse_bool_opt(const char *arg, bool *out)
{
    if (!arg || strcmp(arg, "true") == 0 || strcmp(arg, "1") == 0) return *out = true, 0;
    if (strcmp(arg, "false") == 0 || strcmp(arg, "0") == 0) return *out = false, 0;
    return -1;
}

enum {
    OPT_COUNT = 256,
    OPT_BENCHMEM,
    OPT_METRICS,
    OPT_FAIL,
    OPT_BENCHTIME,
    OPT_V0,
    OPT_V1,
    OPT_IGNORE
};

static const struct option bench_options[] = {
    {"data", required_argument, NULL, 'd'},
    {"bundle", required_argument, NULL, 'b'},
    {"ignore", required_argument, NULL, OPT_IGNORE},
    {"input", required_argument, NULL, 'i'},
    {"stdin-input", no_argument, NULL, 'I'},
    {"format", required_argument, NULL, 'f'},
    {"count", required_argument, NULL, OPT_COUNT},
    {"benchmem", optional_argument, NULL, OPT_BENCHMEM},
    {"metrics", optional_argument, NULL, OPT_METRICS},
    {"fail", optional_argument, NULL, OPT_FAIL},
    {"benchtime", required_argument, NULL, OPT_BENCHTIME},
    {"v0-compatible", no_argument, NULL, OPT_V0},
    {"v1-compatible", no_argument, NULL, OPT_V1},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* One option; returns -1 to go on, or an exit status. */
static int bench_option(int c, bench_args *ba)
{
    char *end;
    switch (c) {
    case 'd': ba->data[ba->ndata++] = optarg; return -1;
    case 'b': ba->bundles[ba->nbundles++] = optarg; return -1;
    case OPT_IGNORE: ba->ignore[ba->nignore++] = optarg; return -1;
    case 'i': ba->input_path = optarg; return -1;
    case 'I': ba->stdin_input = true; return -1;
    case 'f':
        if (strcmp(optarg, "pretty") == 0) return ba->fmt = FMT_PRETTY, -1;
        if (strcmp(optarg, "json") == 0) return ba->fmt = FMT_JSON, -1;
        if (strcmp(optarg, "gobench") == 0) return ba->fmt = FMT_GOBENCH, -1;
        fprintf(stderr, "gatehouse bench: unknown format '%s' (pretty, json or gobench)\n",
                optarg);
        return CLI_USAGE;
    case OPT_COUNT:
        errno = 0;
        ba->count = strtol(optarg, &end, 10);
        if (!errno && *end == '\0' && ba->count >= 1) return -1;
        fprintf(stderr, "gatehouse bench: --count wants a positive number, not '%s'\n", optarg);
        return CLI_USAGE;
    case OPT_BENCHMEM:
    case OPT_METRICS:
    case OPT_FAIL: {
        bool *flag = c == OPT_BENCHMEM ? &ba->benchmem : c == OPT_METRICS ? &ba->metrics : &ba->fail;
        if (parse_bool_opt(optarg, flag) == 0) return -1;
        fprintf(stderr, "gatehouse bench: a flag takes true or false, not '%s'\n", optarg);
        return CLI_USAGE;
    }
    case OPT_BENCHTIME:
        if (parse_benchtime(optarg, &ba->benchtime_ns, &ba->fixed_n) == 0) return -1;
        fprintf(stderr,
                "gatehouse bench: --benchtime wants a duration (1s, 250ms) or Nx, not '%s'\n",
                optarg);
        return CLI_USAGE;
    case OPT_V0: ba->v0 = true; return -1;
    case OPT_V1: ba->v0 = false; return -1;
    case 'h': fputs(bench_usage, stdout); return CLI_OK;
    default: fputs(bench_usage, stderr); return CLI_USAGE;
    }
}

int cmd_bench(int argc, char **argv)
{
    bench_args ba = {.count = 1,
                     .benchmem = true,
                     .metrics = true,
                     .fail = true,
                     .benchtime_ns = 1000000000u};
    /* one array, three parts of argc + 1 slots: -d paths, -b directories, --ignore patterns */
    ba.data = calloc(3 * ((size_t)argc + 1), sizeof *ba.data);
    if (!ba.data) return CLI_USAGE;
    ba.bundles = ba.data + argc + 1;
    ba.ignore = ba.data + 2 * (argc + 1);
    int c, status = -1;
    optind = 1;
    while (status < 0 && (c = getopt_long(argc, argv, "d:b:i:If:h", bench_options, NULL)) != -1)
        status = bench_option(c, &ba);
    if (status < 0 && ba.input_path && ba.stdin_input) {
        fprintf(stderr, "gatehouse bench: -i and --stdin-input exclude each other\n");
        status = CLI_USAGE;
    }
    if (status < 0 && optind != argc - 1) {
        fprintf(stderr, "gatehouse bench: expected exactly one QUERY\n\n%s", bench_usage);
        status = CLI_USAGE;
    }
    if (status < 0) {
        ba.query = argv[optind];
        status = run_bench(&ba);
    }
    free(ba.data);
    return status;
}
