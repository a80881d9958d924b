/* gatehouse test: loads policies and data as opa test does, runs every test_ rule through the
 * harness (engine/testing.c) and reports like opa test (pretty text, JSON) or as JUnit XML.
 * The text follows OPA's streaming reporter (v1/tester/reporter.go, 2026): a file:row: line
 * above each printed test, print() output under its test, FAILURES with -v, then counts. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_errors.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/diag.h"
#include "gatehouse/engine.h"
#include "gatehouse/testing.h"
#include "loader.h"

static const char test_usage[] =
    "usage: gatehouse test [-v] [--run REGEX] [--format pretty|json|junit] [--timeout D]\n"
    "                      [--count N] [--bench] [--var-values] [--v0-compatible] [--strict]\n"
    "                      [--coverage] [--threshold N] [-p N] [-b] [--ignore PATTERN]...\n"
    "                      PATH...\n\n"
    "Runs the Rego tests under each PATH, as opa test does. Every rule whose name starts with\n"
    "test_ is a test: it passes when its value is true, fails when it is undefined or anything\n"
    "else, and is an error when its evaluation fails (conflict, timeout...). Rules named\n"
    "todo_test_... are reported as SKIPPED. Each test is its own evaluation; tests run in\n"
    "parallel, one worker per core. .rego files are modules; .json, .yaml and .yml files are\n"
    "data placed by their directory below PATH (PATH/a/b/data.json is data.a.b).\n\n"
    "options:\n"
    "  -v, --verbose         print every test (not only failures), print() output, FAILURES\n"
    "  -r, --run REGEX       run only tests whose full name (data.pkg.test_x) matches REGEX\n"
    "  -f, --format FORMAT   pretty (default), json (opa test --format json), junit (XML),\n"
    "                        or gobench (with --bench: Go benchmark names and format)\n"
    "  -t, --timeout D       per-test time limit, a Go duration (default 5s; 30s with --bench)\n"
    "      --count N         run the tests N times (default 1)\n"
    "      --bench           time each passing test: iterations and ns/op\n"
    "      --var-values      with failures, print the FAILURES section: where each test\n"
    "                        failed (file:row), the expression, its variables' values\n"
    "      --v0-compatible   parse modules as Rego v0 (--v1-compatible: the default)\n"
    "  -S, --strict          compile in OPA's strict mode (unused locals, arguments and\n"
    "                        imports are errors; see gatehouse check)\n"
    "      --explain MODE    the trace under each failure: fails, full, notes or debug (as\n"
    "                        full); turns on -v (default with -v: notes and failures)\n"
    "  -p, --parallel N      worker threads (default: one per core)\n"
    "  -c, --coverage        print OPA's coverage report (JSON) instead of the test report:\n"
    "                        covered and not covered lines per file, percentages\n"
    "      --threshold N     exit 2 when coverage is below N percent (implies --coverage)\n"
    "  -b, --bundle          load each PATH as a bundle directory (OPA's bundle format:\n"
    "                        .manifest roots enforced, only data.json/data.yaml as data)\n"
    "      --ignore PATTERN  skip files and directories whose name matches PATTERN (a glob);\n"
    "                        repeatable\n"
    "  -z, --exit-zero-on-skipped  skipped tests do not make the exit status 2\n"
    "      --fail-on-empty   exit 1 when no test ran\n"
    "  -h, --help            show this help\n\n"
    "Exit status: 0 all tests passed, 2 a test failed, errored or was skipped (or coverage\n"
    "below --threshold), 1 load, compile or usage errors (as opa test).\n";

enum fmt { FMT_PRETTY, FMT_JSON, FMT_JUNIT, FMT_GOBENCH };

typedef struct test_args {
    bool verbose, bench, var_values, v0, coverage, skip_exit_zero, fail_on_empty, bundle;
    bool strict; /* -S: OPA's compiler strict mode */
    char **ignore; /* --ignore patterns (the array is malloc'd, the strings are argv's) */
    int nignore;
    const char *run;
    enum fmt fmt;
    int explain; /* gh_explain_mode of the traces under FAILURES */
    uint64_t timeout_ns;
    long count;
    unsigned parallel;
    double threshold;
    char **paths;
    int npaths;
} test_args;

enum {
    OPT_COUNT = 256,
    OPT_BENCH,
    OPT_VARS,
    OPT_V0,
    OPT_THRESHOLD,
    OPT_EMPTY,
    OPT_V1,
    OPT_EXPLAIN,
    OPT_IGNORE
};

static const struct option test_options[] = {
    {"verbose", no_argument, NULL, 'v'},
    {"run", required_argument, NULL, 'r'},
    {"format", required_argument, NULL, 'f'},
    {"timeout", required_argument, NULL, 't'},
    {"count", required_argument, NULL, OPT_COUNT},
    {"bench", no_argument, NULL, OPT_BENCH},
    {"var-values", no_argument, NULL, OPT_VARS},
    {"v0-compatible", no_argument, NULL, OPT_V0},
    {"strict", no_argument, NULL, 'S'},
    {"parallel", required_argument, NULL, 'p'},
    {"coverage", no_argument, NULL, 'c'},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"exit-zero-on-skipped", no_argument, NULL, 'z'},
    {"fail-on-empty", no_argument, NULL, OPT_EMPTY},
    {"v1-compatible", no_argument, NULL, OPT_V1},
    {"explain", required_argument, NULL, OPT_EXPLAIN},
    {"bundle", no_argument, NULL, 'b'},
    {"ignore", required_argument, NULL, OPT_IGNORE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* ---- arguments ---- */

/* A Go duration ("5s", "1.5m", "300ms", "1m30s"); false when malformed. */
static bool parse_duration(const char *s, uint64_t *out)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1},  {"us", 1e3}, {"µs", 1e3},  {"ms", 1e6},
                 {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    double total = 0;
    if (!*s) return false;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || v < 0) return false;
        s = end;
        size_t best = 0, bi = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t n = strlen(units[i].unit);
            if (strncmp(s, units[i].unit, n) == 0 && n > best) best = n, bi = i;
        }
        if (!best) return false;
        total += v * units[bi].ns;
        s += best;
    }
    if (total > 1e18) return false;
    *out = (uint64_t)total;
    return true;
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "gatehouse test: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", test_usage);
    return CLI_FAIL;
}

static int parse_option(test_args *a, int c)
{
    char *end;
    switch (c) {
    case 'v': a->verbose = true; break;
    case 'r': a->run = optarg; break;
    case 'f':
        if (strcmp(optarg, "pretty") == 0)
            a->fmt = FMT_PRETTY;
        else if (strcmp(optarg, "json") == 0)
            a->fmt = FMT_JSON;
        else if (strcmp(optarg, "junit") == 0)
            a->fmt = FMT_JUNIT;
        else if (strcmp(optarg, "gobench") == 0)
            a->fmt = FMT_GOBENCH;
        else
            return usage_error("unknown format '%s' (pretty, json, junit)", optarg);
        break;
    case 't':
        if (!parse_duration(optarg, &a->timeout_ns))
            return usage_error("invalid duration '%s'", optarg);
        break;
    case OPT_COUNT:
        a->count = strtol(optarg, &end, 10);
        if (*end || a->count < 1) return usage_error("invalid --count '%s'", optarg);
        break;
    case 'p': {
        long p = strtol(optarg, &end, 10);
        if (*end || p < 0 || p > 1024) return usage_error("invalid --parallel '%s'", optarg);
        a->parallel = (unsigned)p;
        break;
    }
    case OPT_BENCH: a->bench = true; break;
    case OPT_VARS: a->var_values = true; break;
    case OPT_V0: a->v0 = true; break;
    case 'S': a->strict = true; break;
    case 'c': a->coverage = true; break;
    case 'z': a->skip_exit_zero = true; break;
    case OPT_EMPTY: a->fail_on_empty = true; break;
    case 'b': a->bundle = true; break;
    case OPT_IGNORE: a->ignore[a->nignore++] = optarg; break;
    case OPT_V1: break; /* the default */
    case OPT_EXPLAIN: /* as opa: any explain mode turns on verbose reporting */
        if (strcmp(optarg, "fails") == 0)
            a->explain = GH_EXPLAIN_FAILS;
        else if (strcmp(optarg, "full") == 0 || strcmp(optarg, "debug") == 0)
            a->explain = GH_EXPLAIN_FULL;
        else if (strcmp(optarg, "notes") == 0)
            a->explain = GH_EXPLAIN_NOTES;
        else
            return usage_error("unknown --explain mode '%s' (fails, full, notes, debug)", optarg);
        a->verbose = true;
        break;
    case OPT_THRESHOLD:
        a->threshold = strtod(optarg, &end);
        if (*end || !(a->threshold >= 0 && a->threshold <= 100)) {
            fprintf(stderr, "Code coverage threshold must be between 0 and 100\n");
            return CLI_FAIL;
        }
        break;
    default: fprintf(stderr, "\n%s", test_usage); return CLI_FAIL;
    }
    return CLI_OK;
}

static int parse_args(int argc, char **argv, test_args *a)
{
    *a = (test_args){.count = 1, .explain = GH_EXPLAIN_NOTES_FAILS, .ignore = calloc((size_t)argc + 1, sizeof(char *))};
    if (!a->ignore) return CLI_FAIL;
    optind = 1;
    opterr = 1;
    int c;
    while ((c = getopt_long(argc, argv, "vr:f:t:p:czbhS", test_options, NULL)) != -1) {
        if (c == 'h') {
            fputs(test_usage, stdout);
            return -1;
        }
        int rc = parse_option(a, c);
        if (rc != CLI_OK) return rc;
    }
    if (optind >= argc) return usage_error("%s", "specify at least one file");
    a->paths = argv + optind;
    a->npaths = argc - optind;
    if (a->threshold > 0) a->coverage = true;
    return CLI_OK;
}

/* ---- pretty ---- */

typedef struct counts {
    size_t pass, fail, skip, errs;
} counts;

static void count_outcome(counts *c, const gh_test *t);

static void count_result(counts *c, const gh_test *t)
{
    size_t leaves = 0;
    for (size_t i = 0; i < t->nsubs; i++) {
        if (!t->subs[i].leaf) continue;
        leaves++;
        if (t->subs[i].fail)
            c->fail++;
        else
            c->pass++;
    }
    if (leaves) return; /* a parameterised test counts its cases */
    count_outcome(c, t);
}

/* One per test, whatever its cases (JUnit counts test cases). */
static void count_outcome(counts *c, const gh_test *t)
{
    switch (t->outcome) {
    case GH_TEST_PASS: c->pass++; break;
    case GH_TEST_FAIL: c->fail++; break;
    case GH_TEST_SKIPPED: c->skip++; break;
    case GH_TEST_ERROR: c->errs++; break;
    }
}

static const char *outcome_name(gh_test_outcome o)
{
    switch (o) {
    case GH_TEST_PASS: return "PASS";
    case GH_TEST_FAIL: return "FAIL";
    case GH_TEST_SKIPPED: return "SKIPPED";
    case GH_TEST_ERROR: break;
    }
    return "ERROR";
}

/* "data.pkg.test_x: FAIL (1.2ms)", or "...: SKIPPED" without a duration. */
static void put_test_line(gh_buf *b, const gh_test *t)
{
    gh_buf_printf(b, "%s.%s: %s", t->pkg, t->name, outcome_name(t->outcome));
    if (t->outcome != GH_TEST_SKIPPED) {
        char d[64];
        gh_test_format_duration(t->duration_ns, d, sizeof d);
        gh_buf_printf(b, " (%s)", d);
    }
}

/* print() output with surrounding white space trimmed, every line indented by two spaces
 * (empty ones too), as OPA's indenting writer does. */
static void put_output(gh_buf *b, const gh_test *t)
{
    const char *s = t->output, *e = t->output + t->output_len;
    while (s < e && *s && strchr(" \t\r\n\v\f", *s))
        s++;
    while (e > s && e[-1] && strchr(" \t\r\n\v\f", e[-1]))
        e--;
    gh_buf_putc(b, '\n');
    bool at_start = true;
    for (; s < e; s++) {
        if (at_start) gh_buf_puts(b, "  ");
        gh_buf_putc(b, *s);
        at_start = *s == '\n';
    }
    gh_buf_puts(b, at_start ? "  \n\n" : "\n\n");
}

/* Go's testing.BenchmarkResult text: "%8d" iterations, then ns/op as prettyPrint does. */
/* gobench names: data.a.test_b -> BenchmarkDataATestB (Go's strings.Title per part). */
static void put_gobench_name(gh_buf *b, const gh_test *t)
{
    gh_buf_puts(b, "Benchmark");
    for (int k = 0; k < 2; k++) {
        bool up = true; /* the '.' between package and name */
        for (const char *p = k ? t->name : t->pkg; *p; p++) {
            if (*p == '.' || *p == '_') {
                up = true;
                continue;
            }
            bool word = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                        (*p >= '0' && *p <= '9') || (unsigned char)*p >= 0x80;
            gh_buf_putc(b, up && *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p);
            up = !word;
        }
    }
}

static void put_bench(gh_buf *b, const gh_test *t, bool gobench)
{
    double x = t->bench_n ? (double)t->bench_ns / (double)t->bench_n : 0;
    double y = fabs(x);
    int width = 18, prec = 7;
    if (y == 0 || y >= 999.95)
        width = 10, prec = 0;
    else if (y >= 99.995)
        width = 12, prec = 1;
    else if (y >= 9.9995)
        width = 13, prec = 2;
    else if (y >= 0.99995)
        width = 14, prec = 3;
    if (gobench)
        put_gobench_name(b, t);
    else
        gh_buf_printf(b, "%s.%s", t->pkg, t->name);
    gh_buf_printf(b, "\t%8llu", (unsigned long long)t->bench_n);
    if (x != 0) gh_buf_printf(b, "\t%*.*f ns/op", width, prec, x);
    gh_buf_putc(b, '\n');
}

/* A parameterised test's cases under its line: the failing ones, all with -v. */
static void put_subs(gh_buf *b, const gh_test *t, bool all)
{
    for (size_t i = 0; i < t->nsubs; i++) {
        const gh_test_sub *s = &t->subs[i];
        if (s->fail || all)
            gh_buf_printf(b, "%*s%s: %s\n", 2 * s->depth, "", s->name, s->fail ? "FAIL" : "PASS");
    }
}

/* text with `indent` spaces at the start of every line, as OPA's indenting writer. */
static void put_indented(gh_buf *b, const char *text, int indent)
{
    bool at_start = true;
    for (const char *p = text; p && *p; p++) {
        if (at_start) gh_buf_printf(b, "%*s", indent, "");
        gh_buf_putc(b, *p);
        at_start = *p == '\n';
    }
}

/* OPA's printFailure: with -v the trace, with --var-values where the test failed and the
 * values of the failing expression's variables. */
static void put_failure(gh_buf *b, const gh_test *t, bool trace, bool var_values)
{
    if (trace) {
        gh_buf_putc(b, '\n');
        put_indented(b, t->trace, 2);
    }
    if (var_values) {
        gh_buf_putc(b, '\n');
        if (t->fail_at) {
            gh_buf_printf(b, "  %s:\n", t->fail_at);
            put_indented(b, t->fail_detail, 4);
            gh_buf_putc(b, '\n');
        }
    }
}

/* Under FAILURES: each failing case with its whole lineage, as OPA prints it. */
static void put_sub_failures(gh_buf *b, const gh_test *t, const test_args *a)
{
    put_failure(b, t, a->verbose, false); /* one trace for all the cases */
    gh_buf_putc(b, '\n');
    for (size_t i = 0; i < t->nsubs; i++) {
        const gh_test_sub *s = &t->subs[i];
        if (!s->leaf || !s->fail) continue;
        for (int d = 1; d <= s->depth; d++) {
            size_t j = i;
            while (j > 0 && t->subs[j].depth != d)
                j--;
            gh_buf_printf(b, "%*s%s: FAIL\n", 2 * d, "", t->subs[j].name);
        }
        if (a->var_values) gh_buf_printf(b, "%*s\n", 2 * (s->depth + 1), "");
    }
}

static void put_failures(gh_buf *b, const gh_test_list *l, const test_args *a)
{
    static const char hl[] = "----------------------------------------"
                             "----------------------------------------\n";
    gh_buf_printf(b, "%sFAILURES\n%s", hl, hl);
    for (size_t i = 0; i < l->n; i++) {
        const gh_test *t = &l->items[i];
        if (t->outcome != GH_TEST_FAIL) continue;
        put_test_line(b, t);
        gh_buf_putc(b, '\n');
        if (t->nsubs)
            put_sub_failures(b, t, a);
        else
            put_failure(b, t, a->verbose, a->var_values);
        gh_buf_putc(b, '\n');
    }
}

static void report_pretty(const gh_test_list *l, const test_args *a, gh_buf *b)
{
    counts c = {0};
    bool dirty = false;
    const char *last_file = NULL;
    for (size_t i = 0; i < l->n; i++) {
        const gh_test *t = &l->items[i];
        count_result(&c, t);
        bool pass = t->outcome == GH_TEST_PASS;
        if (pass && a->bench) {
            dirty = true;
            put_bench(b, t, a->fmt == FMT_GOBENCH);
        } else if (a->verbose || !pass) {
            if (last_file && strcmp(last_file, t->file) != 0) gh_buf_putc(b, '\n');
            gh_buf_printf(b, "%s:%d:\n", t->file, t->row);
            last_file = t->file;
            dirty = true;
            put_test_line(b, t);
            gh_buf_putc(b, '\n');
            put_subs(b, t, a->verbose);
            if (t->output_len) put_output(b, t);
        }
        if (t->error) gh_buf_printf(b, "  %s\n", t->error);
    }
    if (c.fail && (a->verbose || a->var_values)) put_failures(b, l, a);
    if (dirty)
        gh_buf_puts(b, "----------------------------------------"
                       "----------------------------------------\n");
    size_t total = c.pass + c.fail + c.skip + c.errs;
    if (c.pass) gh_buf_printf(b, "PASS: %zu/%zu\n", c.pass, total);
    if (c.fail) gh_buf_printf(b, "FAIL: %zu/%zu\n", c.fail, total);
    if (c.skip) gh_buf_printf(b, "SKIPPED: %zu/%zu\n", c.skip, total);
    if (c.errs) gh_buf_printf(b, "ERROR: %zu/%zu\n", c.errs, total);
}

/* ---- JSON (opa test --format json: json.MarshalIndent of []*tester.Result) ---- */

static void put_base64(gh_buf *b, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    gh_buf_putc(b, '"');
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n) v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        gh_buf_putc(b, tab[(v >> 18) & 63]);
        gh_buf_putc(b, tab[(v >> 12) & 63]);
        gh_buf_putc(b, i + 1 < n ? tab[(v >> 6) & 63] : '=');
        gh_buf_putc(b, i + 2 < n ? tab[v & 63] : '=');
    }
    gh_buf_putc(b, '"');
}

static void put_json_location(gh_buf *b, const char *file, int row, int col, int ind)
{
    gh_buf_printf(b, "{\n%*s\"file\": ", ind + 2, "");
    cli_errors_json_string(b, file);
    gh_buf_printf(b, ",\n%*s\"row\": %d,\n%*s\"col\": %d\n%*s}", ind + 2, "", row, ind + 2, "", col,
                  ind, "");
}

static void put_json_error(gh_buf *b, const gh_test *t)
{
    gh_buf_puts(b, "    \"error\": {\n      \"code\": ");
    cli_errors_json_string(b, t->err.code);
    gh_buf_puts(b, ",\n      \"message\": ");
    cli_errors_json_string(b, t->err.msg);
    if (t->err.file[0] || t->err.line) {
        gh_buf_puts(b, ",\n      \"location\": ");
        put_json_location(b, t->err.file, t->err.line, t->err.col, 6);
    }
    gh_buf_puts(b, "\n    },\n");
}

/* The cases at `depth` from subs[*i] on, as OPA's SubResultMap: {name: {"sub_results"?,
 * "name", "fail"?}}, written at indent `ind`. */
static void put_json_subs(gh_buf *b, const gh_test *t, size_t *i, int depth, int ind)
{
    gh_buf_putc(b, '{');
    bool first = true;
    while (*i < t->nsubs && t->subs[*i].depth == depth) {
        const gh_test_sub *s = &t->subs[(*i)++];
        gh_buf_printf(b, "%s\n%*s", first ? "" : ",", ind + 2, "");
        first = false;
        cli_errors_json_string(b, s->name);
        gh_buf_puts(b, ": {");
        if (*i < t->nsubs && t->subs[*i].depth == depth + 1) {
            gh_buf_printf(b, "\n%*s\"sub_results\": ", ind + 4, "");
            put_json_subs(b, t, i, depth + 1, ind + 4);
            gh_buf_putc(b, ',');
        }
        gh_buf_printf(b, "\n%*s\"name\": ", ind + 4, "");
        cli_errors_json_string(b, s->name);
        if (s->fail) gh_buf_printf(b, ",\n%*s\"fail\": true", ind + 4, "");
        gh_buf_printf(b, "\n%*s}", ind + 2, "");
    }
    gh_buf_printf(b, "\n%*s}", ind, "");
}

static void put_json_result(gh_buf *b, const gh_test *t)
{
    gh_buf_puts(b, "  {\n");
    if (t->outcome == GH_TEST_ERROR) put_json_error(b, t);
    gh_buf_puts(b, "    \"location\": ");
    put_json_location(b, t->file, t->row, t->col, 4);
    if (t->bench_n)
        gh_buf_printf(b,
                      ",\n    \"benchmark_result\": {\n      \"N\": %llu,\n      \"T\": %llu,\n"
                      "      \"Bytes\": 0,\n      \"MemAllocs\": 0,\n      \"MemBytes\": 0,\n"
                      "      \"Extra\": {}\n    }",
                      (unsigned long long)t->bench_n, (unsigned long long)t->bench_ns);
    if (t->nsubs) {
        size_t i = 0;
        gh_buf_puts(b, ",\n    \"sub_results\": ");
        put_json_subs(b, t, &i, 1, 4);
    }
    gh_buf_puts(b, ",\n    \"package\": ");
    cli_errors_json_string(b, t->pkg);
    gh_buf_puts(b, ",\n    \"name\": ");
    cli_errors_json_string(b, t->name);
    if (t->output_len) {
        gh_buf_puts(b, ",\n    \"output\": ");
        put_base64(b, (const unsigned char *)t->output, t->output_len);
    }
    gh_buf_printf(b, ",\n    \"duration\": %llu",
                  (unsigned long long)(t->outcome == GH_TEST_SKIPPED ? 0 : t->duration_ns));
    if (t->outcome == GH_TEST_FAIL) gh_buf_puts(b, ",\n    \"fail\": true");
    if (t->outcome == GH_TEST_SKIPPED) gh_buf_puts(b, ",\n    \"skip\": true");
    gh_buf_puts(b, "\n  }");
}

static void report_json(const gh_test_list *l, gh_buf *b)
{
    if (l->n == 0) {
        gh_buf_puts(b, "[]\n");
        return;
    }
    gh_buf_puts(b, "[\n");
    for (size_t i = 0; i < l->n; i++) {
        put_json_result(b, &l->items[i]);
        gh_buf_puts(b, i + 1 < l->n ? ",\n" : "\n");
    }
    gh_buf_puts(b, "]\n");
}

/* ---- JUnit XML: a testsuite per package, a testcase per test ---- */

static void put_xml(gh_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '<': gh_buf_puts(b, "&lt;"); break;
        case '>': gh_buf_puts(b, "&gt;"); break;
        case '&': gh_buf_puts(b, "&amp;"); break;
        case '"': gh_buf_puts(b, "&quot;"); break;
        case '\n':
        case '\t':
        case '\r': gh_buf_putc(b, (char)ch); break;
        default:
            if (ch < 0x20)
                gh_buf_printf(b, "&#x%X;", ch); /* XML 1.0 forbids these raw */
            else
                gh_buf_putc(b, (char)ch);
        }
    }
}

static void put_xml_str(gh_buf *b, const char *s)
{
    put_xml(b, s, strlen(s));
}

static void put_junit_case(gh_buf *b, const gh_test *t)
{
    gh_buf_puts(b, "    <testcase name=\"");
    put_xml_str(b, t->name);
    gh_buf_puts(b, "\" classname=\"");
    put_xml_str(b, t->pkg);
    gh_buf_puts(b, "\" file=\"");
    put_xml_str(b, t->file);
    gh_buf_printf(b, "\" line=\"%d\" time=\"%.6f\"", t->row, (double)t->duration_ns / 1e9);
    if (t->outcome == GH_TEST_PASS && !t->output_len) {
        gh_buf_puts(b, "/>\n");
        return;
    }
    gh_buf_puts(b, ">\n");
    if (t->outcome == GH_TEST_FAIL && t->nsubs) {
        gh_buf_puts(b, "      <failure message=\"failing cases:");
        for (size_t i = 0; i < t->nsubs; i++)
            if (t->subs[i].leaf && t->subs[i].fail) {
                gh_buf_putc(b, ' ');
                put_xml_str(b, t->subs[i].name);
            }
        gh_buf_puts(b, "\" type=\"FAIL\"/>\n");
    } else if (t->outcome == GH_TEST_FAIL) {
        gh_buf_printf(b, "      <failure message=\"%s\" type=\"FAIL\"/>\n",
                      t->undefined ? "the test is undefined" : "the test is not true");
    }
    if (t->outcome == GH_TEST_SKIPPED) gh_buf_puts(b, "      <skipped/>\n");
    if (t->outcome == GH_TEST_ERROR) {
        gh_buf_puts(b, "      <error message=\"");
        put_xml_str(b, t->err.msg);
        gh_buf_puts(b, "\" type=\"");
        put_xml_str(b, t->err.code);
        gh_buf_puts(b, "\">");
        put_xml_str(b, t->error ? t->error : "");
        gh_buf_puts(b, "</error>\n");
    }
    if (t->output_len) {
        gh_buf_puts(b, "      <system-out>");
        put_xml(b, t->output, t->output_len);
        gh_buf_puts(b, "</system-out>\n");
    }
    gh_buf_puts(b, "    </testcase>\n");
}

/* Tests of package pkg, from index `from` on: counts and total time. */
static void suite_counts(const gh_test_list *l, const char *pkg, counts *c, double *secs)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->items[i].pkg, pkg) != 0) continue;
        count_outcome(c, &l->items[i]);
        *secs += (double)l->items[i].duration_ns / 1e9;
    }
}

static bool pkg_seen_before(const gh_test_list *l, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(l->items[j].pkg, l->items[i].pkg) == 0) return true;
    return false;
}

static void report_junit(const gh_test_list *l, gh_buf *b)
{
    counts all = {0};
    double secs = 0;
    for (size_t i = 0; i < l->n; i++) {
        count_outcome(&all, &l->items[i]);
        secs += (double)l->items[i].duration_ns / 1e9;
    }
    gh_buf_printf(b,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<testsuites name=\"gatehouse test\" tests=\"%zu\" failures=\"%zu\" "
                  "errors=\"%zu\" skipped=\"%zu\" time=\"%.6f\">\n",
                  l->n, all.fail, all.errs, all.skip, secs);
    for (size_t i = 0; i < l->n; i++) {
        if (pkg_seen_before(l, i)) continue;
        const char *pkg = l->items[i].pkg;
        counts c = {0};
        double s = 0;
        suite_counts(l, pkg, &c, &s);
        gh_buf_puts(b, "  <testsuite name=\"");
        put_xml_str(b, pkg);
        gh_buf_printf(b,
                      "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
                      "time=\"%.6f\">\n",
                      c.pass + c.fail + c.skip + c.errs, c.fail, c.errs, c.skip, s);
        for (size_t j = i; j < l->n; j++)
            if (strcmp(l->items[j].pkg, pkg) == 0) put_junit_case(b, &l->items[j]);
        gh_buf_puts(b, "  </testsuite>\n");
    }
    gh_buf_puts(b, "</testsuites>\n");
}

/* ---- loading and running ---- */

/* Compile errors as opa prints them: "1 error occurred: ..." or "N errors occurred:\n...". */
static void print_diags(const gh_diags *d)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    if (d->n == 1)
        gh_buf_puts(&b, "1 error occurred: ");
    else
        gh_buf_printf(&b, "%zu errors occurred:\n", d->n);
    for (size_t i = 0; i < d->n; i++) {
        const gh_diag *g = &d->items[i];
        gh_buf_printf(&b, "%s%s:%d: %s: %s", i ? "\n" : "", g->file, g->line, g->code, g->msg);
        if (g->src_line && strcmp(g->code, "rego_parse_error") == 0)
            gh_buf_printf(&b, "\n\t%s\n\t%*s^", g->src_line, g->col > 1 ? g->col - 1 : 0, "");
    }
    gh_buf_putc(&b, '\n');
    if (b.data) fputs(b.data, stderr);
    gh_buf_free(&b);
}

/* ---- coverage (opa test --coverage: JSONCoverageReporter) ---- */

/* Failures first (pretty, failing tests only, exit 1), then the threshold (exit 2), else
 * the coverage JSON. */
static int report_coverage(const gh_test_list *l, const test_args *a, const gh_cover *cov,
                           const loader *ld)
{
    gh_test_list failed = {0};
    for (size_t i = 0; i < l->n; i++) {
        const gh_test *t = &l->items[i];
        if (t->outcome == GH_TEST_ERROR) {
            fprintf(stderr, "%s\n", t->error ? t->error : "error");
            return CLI_FAIL;
        }
    }
    failed.items = malloc((l->n + 1) * sizeof *failed.items);
    if (!failed.items) return CLI_FAIL;
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].outcome == GH_TEST_FAIL) failed.items[failed.n++] = l->items[i];
    gh_buf b, miss;
    gh_buf_init(&b, 0);
    gh_buf_init(&miss, 0);
    int status = CLI_OK;
    double pct = 0;
    if (failed.n) {
        report_pretty(&failed, a, &b);
        if (b.data) fputs(b.data, stdout);
        put_test_line(&miss, &failed.items[0]);
        fprintf(stderr, "%s\n\n", miss.data ? miss.data : "");
        status = CLI_FAIL;
    } else if (gh_cover_report(cov, ld->modules, ld->nmodules, ld->v0_compatible, &b, &pct,
                               &miss) != 0) {
        fprintf(stderr, "gatehouse test: out of memory\n");
        status = CLI_FAIL;
    } else if (pct < a->threshold) {
        fprintf(stderr, "Code coverage threshold not met: got %.2f instead of %.2f", pct,
                a->threshold);
        if (a->verbose && miss.data) fprintf(stderr, "\nLines not covered:%s", miss.data);
        fputc('\n', stderr);
        status = 2;
    } else {
        if (b.data) fputs(b.data, stdout);
        for (size_t i = 0; i < l->n; i++)
            if (l->items[i].outcome == GH_TEST_SKIPPED) status = 2;
    }
    free(failed.items);
    gh_buf_free(&b);
    gh_buf_free(&miss);
    return status;
}

/* One run: execute, report, and the exit status it gives. */
static int run_and_report(const gh_revision *rev, gh_test_list *l, const test_args *a,
                          const loader *ld)
{
    gh_cover cov = {0};
    gh_test_run_opts ro = {.threads = a->parallel,
                           .timeout_ns =
                               a->timeout_ns ? a->timeout_ns : (a->bench ? 30000000000u : 0),
                           .bench = a->bench,
                           .cover = a->coverage ? &cov : NULL};
    gh_test_explain_opts eo = {.mode = (gh_explain_mode)a->explain,
                               .var_values = a->var_values,
                               .modules = ld->modules,
                               .nmodules = ld->nmodules,
                               .timeout_ns = ro.timeout_ns};
    bool details = (a->verbose || a->var_values) && !a->coverage && a->fmt == FMT_PRETTY;
    if (gh_tests_run(rev, l, &ro) != 0 || (details && gh_tests_explain(rev, l, &eo) != 0)) {
        fprintf(stderr, "gatehouse test: out of memory\n");
        gh_cover_free(&cov);
        return CLI_FAIL;
    }
    if (a->coverage) {
        int rc = report_coverage(l, a, &cov, ld);
        gh_cover_free(&cov);
        return rc;
    }
    gh_buf b;
    gh_buf_init(&b, 0);
    if (a->fmt == FMT_JSON)
        report_json(l, &b);
    else if (a->fmt == FMT_JUNIT)
        report_junit(l, &b);
    else
        report_pretty(l, a, &b);
    if (b.data) fputs(b.data, stdout);
    gh_buf_free(&b);
    for (size_t i = 0; i < l->n; i++) {
        gh_test_outcome o = l->items[i].outcome;
        if (o != GH_TEST_PASS && !(o == GH_TEST_SKIPPED && a->skip_exit_zero)) return 2;
    }
    if (l->n == 0 && a->fail_on_empty) {
        fprintf(stderr, "no tests were run\n");
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* Module names as Go's filepath.Clean leaves them (opa's loader joins paths with it):
 * "./a//b/./c.rego" -> "a/b/c.rego". In place: the result is never longer. */
static void clean_path(char *p)
{
    char *w = p;
    const char *r = p;
    bool abs = *r == '/';
    while (*r) {
        if (*r == '/') {
            r++;
            continue;
        }
        if (r[0] == '.' && (r[1] == '/' || r[1] == '\0')) {
            r += 1;
            continue;
        }
        if (w > p || abs) *w++ = '/';
        while (*r && *r != '/')
            *w++ = *r++;
    }
    if (w == p) *w++ = abs ? '/' : '.';
    *w = '\0';
}

static int load_and_run(const test_args *a, loader *ld)
{
    gh_buf lerr;
    gh_buf_init(&lerr, 0);
    ld->ignore = a->ignore;
    ld->nignore = (size_t)a->nignore;
    ld->v0_compatible = a->v0;
    int lrc = a->bundle ? loader_load_bundles(ld, a->paths, a->npaths, &lerr)
                        : loader_load(ld, a->paths, a->npaths, &lerr);
    if (lrc != 0) {
        if (lerr.data) fputs(lerr.data, stderr);
        gh_buf_free(&lerr);
        return CLI_FAIL;
    }
    gh_buf_free(&lerr);
    for (size_t i = 0; i < ld->nmodules; i++)
        clean_path((char *)ld->modules[i].name);
    if (gh_tests_rename_duplicates(ld->modules, ld->nmodules, ld->v0_compatible) != 0) {
        fprintf(stderr, "gatehouse test: out of memory\n");
        return CLI_FAIL;
    }
    gh_diags diags;
    gh_diags_init(&diags);
    /* a bundle may set v0_compatible */
    gh_load_opts lo = {.v0_compatible = ld->v0_compatible, .strict = a->strict};
    gh_revision *rev = gh_revision_load(ld->modules, ld->nmodules, ld->data, &lo, &diags);
    int status = CLI_OK;
    if (!rev) {
        print_diags(&diags);
        status = CLI_FAIL;
    }
    gh_test_list tests = {0};
    char err[512];
    if (status == CLI_OK && gh_tests_discover(ld->modules, ld->nmodules, ld->v0_compatible, a->run,
                                              &tests, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        status = CLI_FAIL;
    }
    for (long i = 0; status == CLI_OK && i < a->count; i++)
        status = run_and_report(rev, &tests, a, ld);
    gh_test_list_free(&tests);
    if (rev) gh_revision_release(rev);
    gh_diags_free(&diags);
    return status;
}

static int test_with_args(const test_args *a)
{
    if (a->fmt == FMT_GOBENCH && !a->bench) { /* opa prints this and exits 0 */
        fprintf(stderr, "cannot use output format gobench without running benchmarks (--bench)\n");
        return CLI_OK;
    }
    if (a->coverage && a->bench) {
        fprintf(stderr, "coverage reporting is not supported when benchmarking tests\n");
        return CLI_FAIL;
    }
    gh_arena arena;
    gh_arena_init(&arena, 0);
    loader ld;
    loader_init(&ld, &arena);
    int rc = load_and_run(a, &ld);
    loader_free(&ld);
    gh_arena_free(&arena);
    return rc;
}

int cmd_test(int argc, char **argv)
{
    test_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc == CLI_OK) rc = test_with_args(&a);
    else if (rc < 0) rc = CLI_OK; /* --help */
    free(a.ignore);
    return rc;
}
