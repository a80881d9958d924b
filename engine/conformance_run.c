/* Conformance runner, the driving half: walks the case files, evaluates every case with the
 * engine (in a forked child by default, so a crash or a hang fails one case, not the suite),
 * judges it (engine/conformance.c), and keeps the tally and the expected-failures list. */
#include "gatehouse/conformance.h"

#include "gatehouse/diag.h"
#include "gatehouse/engine.h"
#include "gatehouse/error.h"
#include "gatehouse/yaml.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CASE_TIMEOUT_S 10.0 /* default wall clock per case */

typedef struct runner {
    const gh_cf_opts *o;
    FILE *out;
    regex_t re;
    bool has_re;
    gh_cf_expected expected; /* the committed list */
    gh_cf_expected failures; /* this run's failures, for --write-expected */
    gh_cf_table table;
    long unexpected, newly_passing;
    bool io_error;
    gh_arena file_arena; /* the case file's values; reset per file */
    gh_arena scratch;    /* per case */
} runner;

/* ---- evaluating one case ---- */

static void discard_print(void *ud, const char *loc, const char *msg, size_t len)
{
    (void)ud, (void)loc, (void)msg, (void)len;
}

/* OPA's rendering of compile errors (ast.Errors): "1 error occurred: file:row: code: msg", or
 * "N errors occurred:" and one per line. */
static void got_from_diags(gh_cf_got *got, const gh_diags *d, gh_buf *text)
{
    got->err_code = d->n ? d->items[0].code : "rego_compile_error";
    if (d->n == 1)
        gh_buf_puts(text, "1 error occurred: ");
    else
        gh_buf_printf(text, "%zu errors occurred:", d->n);
    for (size_t i = 0; i < d->n; i++) {
        const gh_diag *g = &d->items[i];
        if (d->n != 1) gh_buf_putc(text, '\n');
        gh_buf_printf(text, "%s:%d: %s: %s", g->file, g->line, g->code, g->msg);
    }
    got->err_text = text->data ? text->data : "";
}

static void got_from_error(gh_cf_got *got, const gh_eval_error *e, gh_buf *text)
{
    char buf[1024];
    gh_eval_error_format(e, buf, sizeof buf);
    gh_buf_puts(text, buf);
    got->err_code = e->code ? e->code : "eval_internal_error";
    got->err_text = text->data ? text->data : "";
}

typedef struct case_env {
    gh_revision *rev, *term_rev;
    gh_query *q, *term_q;
    gh_evaluator *ev, *term_ev;
    gh_diags diags;
    gh_buf text;
} case_env;

static void env_free(case_env *e)
{
    if (e->q) gh_query_free(e->q);
    if (e->term_q) gh_query_free(e->term_q);
    if (e->rev) gh_revision_release(e->rev);
    if (e->term_rev) gh_revision_release(e->term_rev);
    if (e->ev) gh_evaluator_free(e->ev);
    if (e->term_ev) gh_evaluator_free(e->term_ev);
    gh_diags_free(&e->diags);
    gh_buf_free(&e->text);
}

/* input_term is Rego term text (sets, non-string keys...): evaluated as `v = <term>`
 * against an empty revision. The value lives in term_ev's arena until the case ends. */
static bool eval_input_term(case_env *e, const gh_value *term, const gh_eval_opts *eo,
                            const gh_value **input, gh_cf_got *got)
{
    size_t n;
    const char *t = gh_string_ptr(term, &n);
    gh_buf q;
    gh_buf_init(&q, 0);
    gh_buf_puts(&q, "input_term_value_ = ");
    gh_buf_append(&q, t, n);
    bool ok = false;
    e->term_rev = gh_revision_load(NULL, 0, NULL, NULL, &e->diags);
    if (e->term_rev) e->term_q = gh_query_prepare(e->term_rev, q.data, q.len, &e->diags);
    if (e->term_q) e->term_ev = gh_evaluator_new(eo);
    if (!e->term_q) {
        got_from_diags(got, &e->diags, &e->text);
    } else if (!e->term_ev) {
        got->err_code = "eval_internal_error", got->err_text = "out of memory";
    } else {
        const gh_value *rows;
        gh_eval_error err;
        if (gh_query_eval(e->term_ev, e->term_q, NULL, &rows, &err) != 0) {
            got_from_error(got, &err, &e->text);
        } else {
            *input = gh_value_len(rows) == 1
                         ? gh_object_get_str(gh_array_get(rows, 0), "input_term_value_", 17)
                         : NULL;
            ok = *input != NULL;
            if (!ok)
                got->err_code = "eval_internal_error", got->err_text = "input_term is undefined";
        }
    }
    gh_buf_free(&q);
    return ok;
}

static void eval_case(runner *r, const gh_value *c, gh_cf_verdict *v)
{
    case_env e = {0};
    gh_diags_init(&e.diags);
    gh_buf_init(&e.text, 0);
    gh_cf_got got = {0};
    const gh_value *mods = gh_cf_field(c, "modules"), *data = gh_cf_field(c, "data");
    const gh_value *query = gh_cf_field(c, "query"), *input = gh_cf_field(c, "input");
    const gh_value *term = gh_cf_field(c, "input_term");
    size_t nmods = mods && gh_value_kind(mods) == GH_KIND_ARRAY ? gh_value_len(mods) : 0;
    gh_source *src = calloc(nmods + 1, sizeof *src);
    char(*names)[32] = calloc(nmods + 1, sizeof *names);
    double t = r->o->timeout_s > 0 ? r->o->timeout_s : CASE_TIMEOUT_S;
    const gh_value *strict = gh_cf_field(c, "strict_error");
    gh_eval_opts eo = {
        .strict_builtin_errors = strict && gh_value_get_bool(strict),
        .timeout_ns = (uint64_t)(t * 0.8 * 1e9),
        .print = discard_print,
    };
    if (!src || !names || !query || !gh_string_ptr(query, NULL)) {
        got.err_code = "eval_internal_error";
        got.err_text = src && names ? "invalid case: no query" : "out of memory";
        goto judge;
    }
    for (size_t i = 0; i < nmods; i++) {
        snprintf(names[i], sizeof names[i], "test-%zu.rego", i);
        src[i].name = names[i];
        src[i].text = gh_string_ptr(gh_array_get(mods, i), &src[i].len);
        if (!src[i].text) src[i].text = "", src[i].len = 0;
    }
    if (data && gh_value_kind(data) != GH_KIND_OBJECT) data = NULL;
    e.rev = gh_revision_load(src, nmods, data, NULL, &e.diags);
    if (!e.rev) {
        got_from_diags(&got, &e.diags, &e.text);
        goto judge;
    }
    size_t qlen;
    const char *qtext = gh_string_ptr(query, &qlen);
    e.q = gh_query_prepare(e.rev, qtext, qlen, &e.diags);
    if (!e.q) {
        got_from_diags(&got, &e.diags, &e.text);
        goto judge;
    }
    if (term && gh_string_ptr(term, NULL) && !eval_input_term(&e, term, &eo, &input, &got))
        goto judge;
    e.ev = gh_evaluator_new(&eo);
    if (!e.ev) {
        got.err_code = "eval_internal_error", got.err_text = "out of memory";
        goto judge;
    }
    gh_eval_error err;
    if (gh_query_eval(e.ev, e.q, input, &got.rows, &err) != 0) {
        got.rows = NULL;
        got_from_error(&got, &err, &e.text);
    }
judge:
    gh_cf_judge(&r->scratch, c, &got, v);
    env_free(&e);
    free(src);
    free(names);
    gh_arena_reset(&r->scratch);
}

/* ---- the child process ---- */

static void write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads everything the child writes, until EOF or the deadline. false on timeout. */
static bool read_child(int fd, gh_buf *b, double deadline)
{
    char chunk[4096];
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0) return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, (int)(left * 1000) + 1);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) return false;
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return true;
        gh_buf_append(b, chunk, (size_t)got);
    }
}

/* A case's `env` (OPA's t.Setenv): set in the child only, so it dies with the case. */
static void set_case_env(const gh_value *c)
{
    const gh_value *env = gh_cf_field(c, "env");
    for (size_t i = 0; env && gh_value_kind(env) == GH_KIND_OBJECT && i < gh_value_len(env); i++) {
        const char *k = gh_string_ptr(gh_object_key_at(env, i), NULL);
        const char *val = gh_string_ptr(gh_object_value_at(env, i), NULL);
        if (k && val) setenv(k, val, 1);
    }
}

/* The verdict travels as: outcome byte, message, NUL, detail. */
static void run_case_forked(runner *r, const gh_value *c, gh_cf_verdict *v)
{
    int fds[2];
    memset(v, 0, sizeof *v);
    if (pipe(fds) != 0) {
        eval_case(r, c, v);
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        eval_case(r, c, v);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        set_case_env(c);
        eval_case(r, c, v);
        char o = (char)('0' + v->outcome);
        write_all(fds[1], &o, 1);
        write_all(fds[1], v->msg, strlen(v->msg) + 1);
        if (v->detail) write_all(fds[1], v->detail, strlen(v->detail));
        _exit(0);
    }
    close(fds[1]);
    double t = r->o->timeout_s > 0 ? r->o->timeout_s : CASE_TIMEOUT_S;
    gh_buf b;
    gh_buf_init(&b, 0);
    bool done = read_child(fds[0], &b, now_s() + t);
    close(fds[0]);
    if (!done) kill(pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    v->outcome = GH_CF_FAIL;
    if (!done) {
        snprintf(v->msg, sizeof v->msg, "timeout: no verdict after %g s", t);
    } else if (WIFSIGNALED(st)) {
        snprintf(v->msg, sizeof v->msg, "crashed: %s", strsignal(WTERMSIG(st)));
    } else if (b.len < 2 || !memchr(b.data, '\0', b.len)) {
        snprintf(v->msg, sizeof v->msg, "no verdict from the case's process (exit %d)",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    } else {
        v->outcome = b.data[0] - '0';
        snprintf(v->msg, sizeof v->msg, "%s", b.data + 1);
        size_t off = 1 + strlen(b.data + 1) + 1;
        if (off < b.len) v->detail = strndup(b.data + off, b.len - off);
    }
    gh_buf_free(&b);
}

/* ---- bookkeeping ---- */

static void record(runner *r, const char *folder, const char *file, const char *note,
                   const gh_cf_verdict *v)
{
    gh_cf_tally *row = gh_cf_table_row(&r->table, folder);
    long idx = gh_cf_expected_find(&r->expected, note);
    if (v->outcome == GH_CF_SKIP) {
        if (row) row->skipped++;
        return;
    }
    if (v->outcome == GH_CF_PASS) {
        if (row) row->passed++;
        if (idx >= 0) r->expected.passed[idx] = true;
        return;
    }
    if (row) row->failed++;
    gh_cf_expected_add(&r->failures, note, v->msg);
    if (idx >= 0) r->expected.failed[idx] = true;
    if (idx < 0) r->unexpected++;
    if (idx < 0 || r->o->verbose)
        fprintf(r->out, "%s %s (%s): %s\n", idx < 0 ? "FAIL" : "xfail", note, file, v->msg);
    if (r->o->verbose && v->detail) fprintf(r->out, "%s", v->detail);
}

/* The folder a case file belongs to: its directory below the root; for files right in the
 * root, the root's own name (so `conformance opa-v1/every` reports "every"). */
static char *folder_of(const char *root, const char *path)
{
    size_t rl = strlen(root);
    const char *rel = strncmp(path, root, rl) == 0 && path[rl] == '/' ? path + rl + 1 : path;
    const char *slash = strrchr(rel, '/');
    if (slash) return strndup(rel, (size_t)(slash - rel));
    const char *base = strrchr(root, '/');
    base = base ? base + 1 : root;
    return strdup(*base && strcmp(base, ".") != 0 && strcmp(base, "..") != 0 ? base : ".");
}

static void run_file(runner *r, const char *root, const char *path)
{
    FILE *f = fopen(path, "rb");
    gh_buf text;
    gh_buf_init(&text, 256u << 20);
    char chunk[65536];
    size_t n;
    while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        gh_buf_append(&text, chunk, n);
    char *folder = folder_of(root, path);
    const gh_value *doc = NULL;
    gh_yaml_error err = {0};
    int rc = !f || text.failed
                 ? GH_EIO
                 : gh_yaml_read(&r->file_arena, text.data, text.len, NULL, &doc, &err);
    if (f) fclose(f);
    gh_buf_free(&text);
    const gh_value *cases = rc == 0 ? gh_cf_field(doc, "cases") : NULL;
    if (!cases || gh_value_kind(cases) != GH_KIND_ARRAY) {
        fprintf(r->out, "FAIL %s: %s\n", path,
                rc == GH_EIO ? strerror(errno)
                : rc         ? err.msg
                             : "no `cases:` list");
        gh_cf_tally *row = folder ? gh_cf_table_row(&r->table, folder) : NULL;
        if (row) row->failed++;
        r->unexpected++;
    }
    for (size_t i = 0; cases && folder && i < gh_value_len(cases); i++) {
        const gh_value *c = gh_array_get(cases, i);
        const char *note = gh_string_ptr(gh_cf_field(c, "note"), NULL);
        char fallback[64];
        if (!note) snprintf(fallback, sizeof fallback, "#%zu", i), note = fallback;
        if (r->has_re && regexec(&r->re, note, 0, NULL, 0) != 0) continue;
        gh_cf_verdict v = {0};
        if (gh_cf_skipped(c, NULL))
            v.outcome = GH_CF_SKIP;
        else if (r->o->no_fork)
            eval_case(r, c, &v);
        else
            run_case_forked(r, c, &v);
        record(r, folder, path, note, &v);
        free(v.detail);
    }
    free(folder);
    gh_arena_reset(&r->file_arena);
}

/* ---- walking ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_yaml(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

typedef struct path_list {
    char **items;
    size_t n, cap;
} path_list;

static bool list_push(path_list *l, char *path)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        char **g = realloc(l->items, cap * sizeof *g);
        if (!g) return false;
        l->items = g;
        l->cap = cap;
    }
    l->items[l->n++] = path;
    return true;
}

static void collect(const char *dir, path_list *l)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (!path) break;
        snprintf(path, len, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            collect(path, l);
        else if (is_yaml(e->d_name) && list_push(l, path))
            continue;
        free(path);
    }
    closedir(d);
}

static int run_dir(runner *r, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        fprintf(stderr, "gatehouse conformance: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char *root = strdup(dir);
    if (!root) return -1;
    size_t rl = strlen(root);
    while (rl > 1 && root[rl - 1] == '/')
        root[--rl] = '\0';
    path_list l = {0};
    if (S_ISDIR(st.st_mode))
        collect(root, &l);
    else {
        char *one = strdup(root);
        if (one && !list_push(&l, one)) free(one);
    }
    if (l.n) qsort(l.items, l.n, sizeof *l.items, cmp_str);
    for (size_t i = 0; i < l.n; i++) {
        run_file(r, S_ISDIR(st.st_mode) ? root : ".", l.items[i]);
        free(l.items[i]);
    }
    free(l.items);
    free(root);
    return 0;
}

/* ---- the run ---- */

static void report_listed(runner *r)
{
    for (size_t i = 0; i < r->expected.n; i++) {
        if (!r->expected.passed[i] || r->expected.failed[i]) continue;
        r->newly_passing++;
        fprintf(r->out, "PASS %s: listed as an expected failure, now passes (remove it)\n",
                r->expected.notes[i]);
    }
}

int gh_conformance_run(char **dirs, int ndirs, const gh_cf_opts *opts)
{
    runner r = {.o = opts, .out = opts->out ? opts->out : stdout};
    gh_cf_expected_init(&r.expected);
    gh_cf_expected_init(&r.failures);
    gh_arena_init(&r.file_arena, 0);
    gh_arena_init(&r.scratch, 0);
    int status = 0;
    if (opts->run_regex) {
        int rc = regcomp(&r.re, opts->run_regex, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char msg[128];
            regerror(rc, &r.re, msg, sizeof msg);
            fprintf(stderr, "gatehouse conformance: --run: %s\n", msg);
            return 2;
        }
        r.has_re = true;
    }
    if (opts->expected_path && gh_cf_expected_load(&r.expected, opts->expected_path) != 0) {
        fprintf(stderr, "gatehouse conformance: %s: %s\n", opts->expected_path, strerror(errno));
        status = 2;
    }
    for (int i = 0; status == 0 && i < ndirs; i++)
        if (run_dir(&r, dirs[i]) != 0) status = 2;
    if (status == 0) {
        report_listed(&r);
        fprintf(r.out, "\n");
        gh_cf_table_print(&r.table, r.out);
        if (r.expected.n)
            fprintf(r.out, "%ld unexpected failures, %ld listed cases now passing (%s)\n",
                    r.unexpected, r.newly_passing, opts->expected_path);
        if (r.newly_passing && !opts->write_expected)
            fprintf(r.out,
                    "the list only shrinks: regenerate it with `gatehouse conformance "
                    "--write-expected --expected-failures %s DIR...`\n",
                    opts->expected_path);
        status = r.unexpected || r.newly_passing ? 1 : 0;
    }
    if (status != 2 && opts->write_expected && opts->expected_path) {
        /* with --run only some cases ran: the listed ones that did not run stay listed */
        for (size_t i = 0; r.has_re && i < r.expected.n; i++)
            if (!r.expected.passed[i] && !r.expected.failed[i])
                gh_cf_expected_add(&r.failures, r.expected.notes[i], r.expected.reasons[i]);
        if (gh_cf_expected_write(&r.failures, opts->expected_path) != 0) {
            fprintf(stderr, "gatehouse conformance: %s: %s\n", opts->expected_path,
                    strerror(errno));
            status = 2;
        } else {
            fprintf(r.out, "wrote %zu expected failures to %s\n", r.failures.n,
                    opts->expected_path);
            status = 0;
        }
    }
    if (r.has_re) regfree(&r.re);
    gh_cf_expected_free(&r.expected);
    gh_cf_expected_free(&r.failures);
    gh_cf_table_free(&r.table);
    gh_arena_free(&r.file_arena);
    gh_arena_free(&r.scratch);
    return status;
}
