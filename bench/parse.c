/* bench/parse: front-end and JSON-reader throughput.
 *   1. MB/s parsing every module of the OPA conformance suite into ASTs (repeated until
 *      about a second has passed), with the arena bytes the ASTs took per source byte;
 *   2. MB/s reading a generated 50 MB JSON document into values, in a child process so its
 *      peak RSS (document buffer included) is its own, reported against the document size.
 * Usage: parse [CONFORMANCE_DIR] [JSON_MB]   Prints a Markdown table. Not a test. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cases.h"
#include "gatehouse/arena.h"
#include "gatehouse/diag.h"
#include "gatehouse/value.h"
#include "parse.h"

typedef struct module_set {
    char **src;
    size_t *len;
    size_t n, cap, bytes;
} module_set;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* ru_maxrss is in KiB on Linux */
}

static void add_module(module_set *ms, const char *s, size_t n)
{
    if (ms->n == ms->cap) {
        ms->cap = ms->cap ? ms->cap * 2 : 1024;
        ms->src = realloc(ms->src, ms->cap * sizeof *ms->src);
        ms->len = realloc(ms->len, ms->cap * sizeof *ms->len);
    }
    ms->src[ms->n] = strndup(s, n);
    ms->len[ms->n++] = n;
    ms->bytes += n;
}

static void collect_modules(const char *path, void *ctx)
{
    case_file f;
    if (case_file_load(&f, path) != 0) return;
    for (size_t i = 0; i < case_count(&f); i++) {
        yaml_node_t *mods = case_field(&f, case_at(&f, i), "modules");
        for (size_t k = 0; k < case_seq_len(&f, mods); k++) {
            size_t n;
            const char *s = case_seq_scalar(&f, mods, k, &n);
            if (s) add_module(ctx, s, n);
        }
    }
    case_file_free(&f);
}

static void bench_rego(const char *dir)
{
    module_set ms = {0};
    if (cases_walk(dir, collect_modules, &ms) < 0 || ms.n == 0) {
        printf("| rego parse | %s not found | | | | | |\n", dir);
        return;
    }
    gh_arena arena;
    gh_arena_init(&arena, 0);
    size_t rounds = 0, failed = 0, ast_bytes = 0;
    double t0 = now_s(), elapsed;
    do {
        for (size_t i = 0; i < ms.n; i++) {
            gh_diags d;
            gh_diags_init(&d);
            gh_module *m;
            if (gh_parse_module(&arena, "bench.rego", ms.src[i], ms.len[i], NULL, &m, &d) != 0)
                failed++;
            if (rounds == 0) ast_bytes += arena.used;
            gh_arena_reset(&arena);
            gh_diags_free(&d);
        }
        rounds++;
        elapsed = now_s() - t0;
    } while (elapsed < 1.0);
    double mb = (double)ms.bytes * (double)rounds / 1e6;
    printf("| rego parse | %zu conformance modules (%.2f MB) x %zu | %.1f | %.3f | %.1f | %.1f | AST %.1f B/src B, %zu failed |\n",
           ms.n, (double)ms.bytes / 1e6, rounds, mb, elapsed, mb / elapsed, peak_rss_mb(),
           (double)ast_bytes / (double)ms.bytes, failed / rounds);
    gh_arena_free(&arena);
    for (size_t i = 0; i < ms.n; i++) free(ms.src[i]);
    free(ms.src);
    free(ms.len);
}

/* Deterministic records shaped like API payloads and data.json documents. */
static void gen_record(FILE *f, uint64_t *seed, long i)
{
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    unsigned r = (unsigned)(*seed >> 33);
    fprintf(f,
            "{\"id\":%ld,\"user\":\"user-%u@example.com\",\"tenant\":\"tenant-%u\","
            "\"active\":%s,\"score\":%u.%02u,\"roles\":[\"reader\",\"role-%u\"],"
            "\"address\":{\"city\":\"City %u\",\"zip\":\"%05u\",\"geo\":[%d.%04u,%d.%04u]},"
            "\"note\":\"line with \\\"quotes\\\" and unicode \\u00e9\\u4e2d\",\"parent\":null}",
            i, r % 100000, r % 97, (r & 1) ? "true" : "false", r % 1000, r % 100, r % 13,
            r % 500, r % 99999, (int)(r % 180) - 90, r % 10000, (int)(r % 360) - 180,
            (r >> 3) % 10000);
}

/* The same shape with every string value unique (random tokens): no interning help. */
static void gen_record_unique(FILE *f, uint64_t *seed, long i)
{
    char tok[3][25];
    for (int t = 0; t < 3; t++) {
        *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t r = *seed;
        int n = 8 + (int)(r % 17);
        for (int k = 0; k < n; k++, r = r * 31 + 7) tok[t][k] = "abcdefghijklmnopqrstuvwxyz234567"[(r >> 40) & 31];
        tok[t][n] = '\0';
    }
    fprintf(f,
            "{\"id\":%ld,\"user\":\"%s@example.com\",\"session\":\"%s\",\"active\":%s,"
            "\"score\":%ld.%02ld,\"roles\":[\"reader\",\"%s\"],\"geo\":[%ld.%04ld,-%ld.%04ld]}",
            i, tok[0], tok[1], (i & 1) ? "true" : "false", i % 1000, i % 97, tok[2], i % 90,
            (i * 7) % 10000, i % 180, (i * 13) % 10000);
}

static const char *write_json_doc(size_t target_mb, bool unique)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/gatehouse-bench-XXXXXX.json");
    int fd = mkstemps(path, 5);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "w");
    uint64_t seed = 42;
    fputs("{\"records\":[", f);
    long i = 0;
    while ((size_t)ftell(f) < target_mb * 1000000) {
        if (i) fputc(',', f);
        if (unique) gen_record_unique(f, &seed, i++);
        else gen_record(f, &seed, i++);
    }
    fputs("],\"count\":", f);
    fprintf(f, "%ld}", i);
    fclose(f);
    return path;
}

/* Runs in a child: read the file, parse it once to warm up, then time the best of 3. */
static int bench_json_child(const char *path, const char *label)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 1;
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *doc = malloc(n);
    if (!doc || fread(doc, 1, n, f) != n) return 1;
    fclose(f);
    double best = 1e9;
    size_t used = 0;
    for (int round = 0; round < 3; round++) {
        gh_arena arena;
        gh_arena_init(&arena, 0);
        const gh_value *v;
        gh_json_error err;
        double t0 = now_s();
        int rc = gh_json_read(&arena, doc, n, NULL, &v, &err);
        double t = now_s() - t0;
        if (rc != 0) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        if (t < best) best = t;
        used = arena.used;
        gh_arena_free(&arena);
    }
    double mb = (double)n / 1e6, rss = peak_rss_mb();
    printf("| json read | %s, %.1f MB | %.1f | %.3f | %.1f | %.1f | RSS %.2fx doc, values %.2f B/doc B |\n",
           label, mb, mb, best, mb / best, rss, rss * 1048576.0 / (double)n, (double)used / (double)n);
    free(doc);
    return 0;
}

static void bench_json(size_t mb, bool unique)
{
    const char *label = unique ? "generated, unique strings" : "generated, API-like records";
    const char *path = write_json_doc(mb, unique);
    if (!path) {
        printf("| json read | cannot write a temporary file | | | | | |\n");
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = bench_json_child(path, label);
        fflush(stdout);
        _exit(rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    unlink(path);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) printf("| json read | failed | | | | | |\n");
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/conformance/opa-v1";
    size_t json_mb = argc > 2 ? (size_t)atol(argv[2]) : 50;
    printf("| benchmark | input | MB processed | seconds | MB/s | peak RSS MB | notes |\n");
    printf("|---|---|---|---|---|---|---|\n");
    fflush(stdout);
    /* first, so their children do not inherit the parse run's RSS */
    bench_json(json_mb, false);
    bench_json(json_mb, true);
    bench_rego(dir);
    return 0;
}
