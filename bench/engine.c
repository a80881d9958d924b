/* bench/engine: evaluation speed with the revision compiled once.
 *   - the seed policy (../shared/seed-policies/data-master): one Decision + Message pair per
 *     input, cycling over its 20 inputs;
 *   - a generated RBAC policy: 1,000 users, 200 roles, 10,000 grants in data;
 * median and p99 microseconds per decision, decisions/s on one core, malloc calls per
 * decision after warm-up (counted by interposing malloc), plus load+compile time of the
 * seed policy and the whole-process time of one `gatehouse eval` on it.
 * Usage: engine [SEED_DIR] [GATEHOUSE_BINARY]. Prints a Markdown table. Not a test. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "gatehouse/engine.h"

#define ROUNDS  20000 /* timed decisions per row */
#define WARMUP  2000

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p) {
        p[n] = '\0';
        *len = (size_t)n;
    }
    return p;
}

static const gh_value *json(gh_arena *a, const char *text, size_t len, unsigned flags)
{
    gh_json_opts o = {.flags = flags};
    const gh_value *v = NULL;
    gh_json_error e;
    if (gh_json_read(a, text, len, &o, &v, &e) != 0) {
        fprintf(stderr, "bench: %s\n", e.msg);
        return NULL;
    }
    return v;
}

typedef struct workload {
    const char *name;
    const gh_revision *rev;
    const char *refs[2]; /* documents evaluated per decision */
    int nrefs;
    bool together; /* all refs in one evaluation (gh_eval_many), sharing the memo */
    const gh_value *inputs; /* array, cycled */
} workload;

/* Times ROUNDS decisions; each decision evaluates every ref of the workload. */
static void run_workload(const workload *w)
{
    gh_evaluator *ev = gh_evaluator_new(NULL);
    uint64_t *lat = malloc(ROUNDS * sizeof *lat);
    size_t ninputs = gh_value_len(w->inputs);
    unsigned long errors = 0, defined = 0, malloc_count = 0;
    for (int phase = 0; phase < 2; phase++) {
        int rounds = phase ? ROUNDS : WARMUP;
        unsigned long m0 = bench_mallocs;
        for (int i = 0; i < rounds; i++) {
            const gh_value *input = gh_array_get(w->inputs, (size_t)i % ninputs);
            uint64_t t0 = bench_now_ns();
            if (w->together) {
                const gh_value *outs[2];
                gh_eval_error err;
                if (gh_eval_many(ev, w->rev, w->refs, (size_t)w->nrefs, input, outs, &err) != 0)
                    errors++;
                else
                    for (int r = 0; r < w->nrefs; r++) defined += outs[r] != NULL;
            } else {
                for (int r = 0; r < w->nrefs; r++) {
                    const gh_value *out;
                    gh_eval_error err;
                    if (gh_eval(ev, w->rev, w->refs[r], input, &out, &err) != 0) errors++;
                    else if (out) defined++;
                }
            }
            if (phase) lat[i] = bench_now_ns() - t0;
        }
        malloc_count = bench_mallocs - m0;
    }
    uint64_t total = 0;
    for (int i = 0; i < ROUNDS; i++) total += lat[i];
    qsort(lat, ROUNDS, sizeof *lat, bench_cmp_u64);
    printf("| %s | %.2f | %.2f | %.0f | %.3f | %lu errors, %lu defined |\n", w->name,
           (double)lat[ROUNDS / 2] / 1e3, (double)lat[ROUNDS * 99 / 100] / 1e3,
           (double)ROUNDS / ((double)total / 1e9), (double)malloc_count / ROUNDS, errors,
           defined);
    free(lat);
    gh_evaluator_free(ev);
}

/* ---- the generated RBAC workload ---- */

static const char rbac_policy[] =
    "package rbac\n\nimport rego.v1\n\ndefault allow := false\n\n"
    "allow if {\n"
    "\tsome role in data.users[input.user].roles\n"
    "\tsome grant in data.roles[role].grants\n"
    "\tgrant.action == input.action\n"
    "\tgrant.resource == input.resource\n"
    "}\n";

static uint64_t rng = 7;
static unsigned next_rand(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(rng >> 33);
}

static const char *actions[] = {"read", "write", "delete", "list"};

static char *rbac_data(size_t *len)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_buf_puts(&b, "{\"users\":{");
    for (int u = 0; u < 1000; u++) {
        gh_buf_printf(&b, "%s\"user%d\":{\"roles\":[", u ? "," : "", u);
        int nroles = 1 + (int)(next_rand() % 3);
        for (int r = 0; r < nroles; r++)
            gh_buf_printf(&b, "%s\"role%u\"", r ? "," : "", next_rand() % 200);
        gh_buf_puts(&b, "]}");
    }
    gh_buf_puts(&b, "},\"roles\":{");
    for (int r = 0; r < 200; r++) { /* 50 grants per role: 10,000 in all */
        gh_buf_printf(&b, "%s\"role%d\":{\"grants\":[", r ? "," : "", r);
        for (int g = 0; g < 50; g++)
            gh_buf_printf(&b, "%s{\"action\":\"%s\",\"resource\":\"res%u\"}", g ? "," : "",
                          actions[next_rand() % 4], next_rand() % 500);
        gh_buf_puts(&b, "]}");
    }
    gh_buf_puts(&b, "}}");
    return gh_buf_take(&b, len);
}

static char *rbac_inputs(size_t *len)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_buf_putc(&b, '[');
    for (int i = 0; i < 256; i++)
        gh_buf_printf(&b, "%s{\"user\":\"user%u\",\"action\":\"%s\",\"resource\":\"res%u\"}",
                      i ? "," : "", next_rand() % 1100, actions[next_rand() % 4],
                      next_rand() % 500);
    gh_buf_putc(&b, ']');
    return gh_buf_take(&b, len);
}

static gh_revision *load(const char *name, const char *text, size_t len, const gh_value *data)
{
    gh_diags d;
    gh_diags_init(&d);
    gh_source src = {.name = name, .text = text, .len = len};
    gh_revision *rev = gh_revision_load(&src, 1, data, NULL, &d);
    if (!rev) {
        gh_buf b;
        gh_buf_init(&b, 0);
        gh_diags_format(&d, &b);
        fprintf(stderr, "bench: %s does not load:\n%s", name, b.data ? b.data : "");
        gh_buf_free(&b);
    }
    gh_diags_free(&d);
    return rev;
}

/* Median whole-process time of `gatehouse eval` on the seed policy over 11 runs. */
static double oneshot_eval_ms(const char *gh, const char *dir, const char *input_path)
{
    char policy[4096], data[4096];
    snprintf(policy, sizeof policy, "%s/policy.rego", dir);
    snprintf(data, sizeof data, "%s/data.json", dir);
    uint64_t t[11];
    for (int i = 0; i < 11; i++) {
        fflush(stdout); /* or the child's freopen flushes our buffered table again */
        uint64_t t0 = bench_now_ns();
        pid_t pid = fork();
        if (pid == 0) {
            freopen("/dev/null", "w", stdout);
            execl(gh, gh, "eval", "-d", policy, "-d", data, "-i", input_path,
                  "data.authz.Decision", (char *)NULL);
            _exit(127);
        }
        int status;
        waitpid(pid, &status, 0);
        t[i] = bench_now_ns() - t0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    }
    qsort(t, 11, sizeof *t, bench_cmp_u64);
    return (double)t[5] / 1e6;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/seed-policies/data-master";
    const char *gh = argc > 2 ? argv[2] : "build/gatehouse";
    gh_arena a;
    gh_arena_init(&a, 0);
    char path[4096];
    size_t plen, dlen, ilen;
    snprintf(path, sizeof path, "%s/policy.rego", dir);
    char *policy = slurp(path, &plen);
    snprintf(path, sizeof path, "%s/data.json", dir);
    char *data_text = slurp(path, &dlen);
    snprintf(path, sizeof path, "%s/inputs.json", dir);
    char *inputs_text = slurp(path, &ilen);

    printf("| workload | median us | p99 us | decisions/s | mallocs/decision | notes |\n");
    printf("|---|---|---|---|---|---|\n");
    double load_ms = -1, oneshot_ms = -1;
    if (policy && data_text && inputs_text) {
        const gh_value *data = json(&a, data_text, dlen, GH_JSON_RELAXED);
        const gh_value *inputs = json(&a, inputs_text, ilen, GH_JSON_RELAXED | GH_JSON_MULTI);
        uint64_t best = UINT64_MAX;
        gh_revision *rev = NULL;
        for (int i = 0; i < 20 && data; i++) { /* load+compile: best of 20 */
            uint64_t t0 = bench_now_ns();
            gh_revision *r = load("policy.rego", policy, plen, data);
            uint64_t t = bench_now_ns() - t0;
            if (t < best) best = t;
            if (rev) gh_revision_release(rev);
            rev = r;
            if (!r) break;
        }
        if (rev && inputs) {
            load_ms = (double)best / 1e6;
            workload w = {"seed policy: Decision + Message, two evaluations", rev,
                          {"data.authz.Decision", "data.authz.Message"}, 2, false, inputs};
            run_workload(&w);
            w.name = "seed policy: Decision + Message, one evaluation (gh_eval_many)";
            w.together = true;
            run_workload(&w);
            /* one input as a file for the CLI run */
            char ipath[] = "/tmp/gatehouse-bench-input-XXXXXX.json";
            int fd = mkstemps(ipath, 5);
            gh_buf b;
            gh_buf_init(&b, 0);
            gh_json_write(&b, gh_array_get(inputs, 4), 0);
            if (fd >= 0 && write(fd, b.data, b.len) == (ssize_t)b.len) oneshot_ms = oneshot_eval_ms(gh, dir, ipath);
            if (fd >= 0) close(fd);
            unlink(ipath);
            gh_buf_free(&b);
            gh_revision_release(rev);
        }
    } else {
        printf("| seed policy | %s not found | | | | |\n", dir);
    }

    size_t rdlen, rilen;
    char *rdata = rbac_data(&rdlen), *rinputs = rbac_inputs(&rilen);
    const gh_value *rd = json(&a, rdata, rdlen, 0), *ri = json(&a, rinputs, rilen, 0);
    gh_revision *rrev = rd ? load("rbac.rego", rbac_policy, sizeof rbac_policy - 1, rd) : NULL;
    if (rrev && ri) {
        workload w = {"generated RBAC: allow (1,000 users, 200 roles, 10,000 grants)", rrev,
                      {"data.rbac.allow", NULL}, 1, false, ri};
        run_workload(&w);
        gh_revision_release(rrev);
    }
    printf("\n| measure | value |\n|---|---|\n");
    printf("| seed policy load + compile (best of 20) | %.3f ms |\n", load_ms);
    printf("| one-shot `gatehouse eval` on the seed policy (median of 11, whole process) | %.2f ms |\n",
           oneshot_ms);
    free(policy);
    free(data_text);
    free(inputs_text);
    free(rdata);
    free(rinputs);
    gh_arena_free(&a);
    return 0;
}
