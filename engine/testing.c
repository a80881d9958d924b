/* The policy-test harness core: test discovery in parsed modules, and the parallel runner
 * (a worker thread per core, each with its own evaluator, all over one revision). */
#include "gatehouse/testing.h"

#include <regex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ast.h"
#include "gatehouse/error.h"
#include "parse.h"

/* ---- discovery ---- */

static int list_push(gh_test_list *l, const gh_test *t)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        gh_test *g = realloc(l->items, cap * sizeof *g);
        if (!g) return GH_ENOMEM;
        l->items = g;
        l->cap = cap;
    }
    l->items[l->n++] = *t;
    return 0;
}

static void free_subs(gh_test *t)
{
    for (size_t i = 0; i < t->nsubs; i++)
        free(t->subs[i].name);
    free(t->subs);
    t->subs = NULL;
    t->nsubs = 0;
}

void gh_test_list_free(gh_test_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        gh_test *t = &l->items[i];
        free(t->pkg);
        free(t->name);
        free(t->file);
        free(t->output);
        free(t->error);
        free(t->trace);
        free(t->fail_at);
        free(t->fail_detail);
        free_subs(t);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

static const char *term_name(const gh_term *t)
{
    if (t->kind == GH_TERM_VAR || t->kind == GH_TERM_STRING) return t->u.str.s;
    return NULL;
}

/* "data.a.b" from the package ref [data, "a", "b"]. */
static void package_name(const gh_module *m, gh_buf *out)
{
    const gh_term *p = m->package->path;
    for (size_t i = 0; i < p->u.list.n; i++) {
        const char *s = term_name(p->u.list.items[i]);
        gh_buf_printf(out, "%s%s", i ? "." : "", s ? s : "?");
    }
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* The test name of a rule head (its ground prefix up to the first test_/todo_test_ name,
 * joined by dots) into out, or false when the rule is no test. */
static bool rule_test_name(const gh_rule *r, gh_buf *out, bool *skip, bool *param)
{
    const gh_head *h = r->head;
    if (!h || h->invalid || h->nargs > 0) return false;
    for (size_t i = 0; i < h->nref; i++) {
        const char *s = term_name(h->ref[i]);
        if (!s || (i > 0 && h->ref[i]->kind != GH_TERM_STRING)) return false;
        gh_buf_printf(out, "%s%s", i ? "." : "", s);
        if (has_prefix(s, GH_TEST_PREFIX) || has_prefix(s, GH_TEST_SKIP_PREFIX)) {
            *skip = has_prefix(s, GH_TEST_SKIP_PREFIX);
            /* test_cases[name] if ...: a partial object, one sub-result per key */
            *param = i + 1 < h->nref || (h->key && h->value);
            return true;
        }
    }
    return false;
}

/* A copy of s with every `from` replaced by `to`. */
static char *replace_all(const char *s, const char *from, const char *to)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    size_t nf = strlen(from);
    for (const char *hit; (hit = strstr(s, from)) != NULL; s = hit + nf) {
        gh_buf_append(&b, s, (size_t)(hit - s));
        gh_buf_puts(&b, to);
    }
    gh_buf_puts(&b, s);
    size_t n;
    char *out = b.failed ? NULL : gh_buf_take(&b, &n);
    gh_buf_free(&b);
    return out;
}

static bool list_has(const gh_test_list *l, const char *pkg, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].pkg, pkg) == 0 && strcmp(l->items[i].name, name) == 0) return true;
    return false;
}

static int add_test(gh_test_list *out, const gh_module *m, const gh_rule *r, const char *pkg,
                    const char *name, bool skip, bool param, const regex_t *re)
{
    char *shown = replace_all(name, GH_TEST_DUP_MARK, "#"); /* test_x#01 */
    if (!shown) return GH_ENOMEM;
    if (list_has(out, pkg, shown)) {
        free(shown);
        return 0;
    }
    if (re) {
        char *full = malloc(strlen(pkg) + strlen(shown) + 2);
        if (full) sprintf(full, "%s.%s", pkg, shown);
        bool match = full && regexec(re, full, 0, NULL, 0) == 0;
        free(full);
        if (!match) {
            free(shown);
            return full ? 0 : GH_ENOMEM;
        }
    }
    gh_test t = {.pkg = strdup(pkg),
                 .name = shown,
                 .file = strdup(m->filename),
                 .row = r->loc.line,
                 .col = r->loc.col,
                 .skip = skip,
                 .param = param};
    if (!t.pkg || !t.name || !t.file || list_push(out, &t) != 0) {
        free(t.pkg), free(t.name), free(t.file);
        return GH_ENOMEM;
    }
    return 0;
}

static int discover_module(const gh_module *m, const regex_t *re, gh_test_list *out)
{
    gh_buf pkg, name;
    gh_buf_init(&pkg, 0);
    gh_buf_init(&name, 0);
    package_name(m, &pkg);
    int rc = pkg.failed ? GH_ENOMEM : 0;
    for (size_t i = 0; rc == 0 && i < m->nrules; i++) {
        bool skip = false, param = false;
        gh_buf_clear(&name);
        if (!rule_test_name(m->rules[i], &name, &skip, &param)) continue;
        if (name.failed)
            rc = GH_ENOMEM;
        else
            rc = add_test(out, m, m->rules[i], pkg.data, name.data, skip, param, re);
    }
    gh_buf_free(&pkg);
    gh_buf_free(&name);
    return rc;
}

static int cmp_test(const void *a, const void *b)
{
    const gh_test *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c) return c;
    return (x->row > y->row) - (x->row < y->row);
}

int gh_tests_discover(const gh_source *modules, size_t n, bool v0_compatible, const char *filter,
                      gh_test_list *out, char *errbuf, size_t errsize)
{
    regex_t re;
    int rc = 0;
    if (filter) {
        int e = regcomp(&re, filter, REG_EXTENDED | REG_NOSUB);
        if (e != 0) {
            char msg[256];
            regerror(e, &re, msg, sizeof msg);
            snprintf(errbuf, errsize, "invalid --run pattern \"%s\": %s", filter, msg);
            return GH_EINVAL;
        }
    }
    gh_parse_opts po = {.v0_compatible = v0_compatible};
    for (size_t i = 0; rc == 0 && i < n; i++) {
        gh_arena a;
        gh_arena_init(&a, 0);
        gh_diags d;
        gh_diags_init(&d);
        gh_module *m = NULL;
        const gh_source *s = &modules[i];
        if (gh_parse_module(&a, s->name, s->text, s->len, &po, &m, &d) == 0 && m && m->package)
            rc = discover_module(m, filter ? &re : NULL, out);
        gh_diags_free(&d);
        gh_arena_free(&a);
    }
    if (filter) regfree(&re);
    if (rc == 0 && out->n > 1) qsort(out->items, out->n, sizeof *out->items, cmp_test);
    return rc;
}

/* ---- running ---- */

typedef struct runner {
    const gh_revision *rev;
    gh_test_list *list;
    const gh_test_run_opts *opts;
    atomic_size_t next; /* the next test to take */
} runner;

/* Lines hit in one module, keyed by the module's shared file-name pointer. */
typedef struct wcover {
    const char *file;
    uint8_t *hit;
    int nlines;
} wcover;

typedef struct worker {
    runner *r;
    pthread_t tid;
    gh_buf out;  /* print() output of the current test */
    wcover *cov; /* --coverage: lines hit by this worker's evaluations */
    size_t ncov, last;
    bool cov_failed; /* out of memory while recording */
} worker;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* OPA's print hook writes each message followed by a newline. */
static void capture_print(void *ud, const char *loc, const char *msg, size_t len)
{
    (void)loc;
    worker *w = ud;
    gh_buf_append(&w->out, msg, len);
    gh_buf_putc(&w->out, '\n');
}

static wcover *cover_file(worker *w, const char *file)
{
    if (w->last < w->ncov && w->cov[w->last].file == file) return &w->cov[w->last];
    for (size_t i = 0; i < w->ncov; i++)
        if (w->cov[i].file == file) return &w->cov[w->last = i];
    wcover *g = realloc(w->cov, (w->ncov + 1) * sizeof *g);
    if (!g) return NULL;
    w->cov = g;
    w->cov[w->ncov] = (wcover){.file = file};
    w->last = w->ncov++;
    return &w->cov[w->last];
}

/* The VM's coverage hook: one call per instruction executed. */
static void cover_hit(void *ud, const char *file, int line)
{
    worker *w = ud;
    wcover *f = cover_file(w, file);
    if (!f || line < 0 || line > (1 << 24)) {
        w->cov_failed = true;
        return;
    }
    if (line >= f->nlines) {
        int n = line * 2 + 64;
        uint8_t *g = realloc(f->hit, (size_t)n);
        if (!g) {
            w->cov_failed = true;
            return;
        }
        memset(g + f->nlines, 0, (size_t)(n - f->nlines));
        f->hit = g;
        f->nlines = n;
    }
    f->hit[line] = 1;
}

/* Adds a worker's lines to the run's report, by file name. */
static int cover_merge(gh_cover *c, const wcover *w)
{
    gh_cover_file *f = NULL;
    for (size_t i = 0; i < c->n && !f; i++)
        if (strcmp(c->files[i].file, w->file) == 0) f = &c->files[i];
    if (!f) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 16;
            gh_cover_file *g = realloc(c->files, cap * sizeof *g);
            if (!g) return GH_ENOMEM;
            c->files = g;
            c->cap = cap;
        }
        f = &c->files[c->n];
        *f = (gh_cover_file){.file = strdup(w->file)};
        if (!f->file) return GH_ENOMEM;
        c->n++;
    }
    if (w->nlines > f->nlines) {
        uint8_t *g = realloc(f->hit, (size_t)w->nlines);
        if (!g) return GH_ENOMEM;
        memset(g + f->nlines, 0, (size_t)(w->nlines - f->nlines));
        f->hit = g;
        f->nlines = w->nlines;
    }
    for (int i = 0; i < w->nlines; i++)
        f->hit[i] |= w->hit[i];
    return 0;
}

static void record_error(gh_test *t, const gh_eval_error *err)
{
    char buf[1024];
    t->outcome = GH_TEST_ERROR;
    t->err = *err;
    if (err->code && strcmp(err->code, "eval_timeout_error") == 0) {
        /* the per-test timeout is OPA's context deadline: its cancellation error, unlocated */
        memset(&t->err, 0, sizeof t->err);
        t->err.code = "eval_cancel_error";
        snprintf(t->err.msg, sizeof t->err.msg, "caller cancelled query execution");
    }
    err = &t->err;
    gh_eval_error_format(err, buf, sizeof buf);
    free(t->error);
    t->error = strdup(buf);
}

/* A sub-result's name: a string key as it is, any other as JSON (OPA's termToString). */
static char *sub_name(const gh_value *k)
{
    size_t n;
    const char *s = gh_string_ptr(k, &n);
    if (s) return strndup(s, n);
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_json_write(&b, k, GH_JSON_ESCAPE_HTML);
    return gh_buf_take(&b, &n);
}

/* Appends the sub-results of a parameterised test's value (depth first, keys sorted) and
 * returns whether one failed: true passes, a nested object holds deeper results, anything
 * else fails. */
static bool add_subs(gh_test *t, const gh_value *obj, int depth)
{
    bool any = false;
    for (size_t i = 0; i < gh_value_len(obj); i++) {
        const gh_value *v = gh_object_value_at(obj, i);
        gh_test_sub *g = realloc(t->subs, (t->nsubs + 1) * sizeof *g);
        if (!g) return true;
        t->subs = g;
        size_t at = t->nsubs++;
        t->subs[at] = (gh_test_sub){.name = sub_name(gh_object_key_at(obj, i)), .depth = depth};
        bool fail;
        if (gh_value_kind(v) == GH_KIND_OBJECT && depth < 32) {
            fail = add_subs(t, v, depth + 1);
            t->subs[at].leaf = false;
        } else {
            fail = !(gh_value_kind(v) == GH_KIND_BOOL && gh_value_get_bool(v));
            t->subs[at].leaf = true;
        }
        t->subs[at].fail = fail;
        any |= fail;
    }
    return any;
}

/* One evaluation of t; its outcome and duration. */
static void run_once(worker *w, gh_evaluator *ev, gh_test *t, const char *ref)
{
    const gh_value *v = NULL;
    gh_eval_error err;
    memset(&err, 0, sizeof err);
    gh_buf_clear(&w->out);
    uint64_t t0 = now_ns();
    int rc = gh_eval(ev, w->r->rev, ref, NULL, &v, &err);
    t->duration_ns = now_ns() - t0;
    free(t->output);
    t->output = w->out.len ? malloc(w->out.len + 1) : NULL; /* may hold NUL bytes */
    if (t->output) {
        memcpy(t->output, w->out.data, w->out.len);
        t->output[w->out.len] = '\0';
    }
    t->output_len = t->output ? w->out.len : 0;
    if (rc != 0) {
        if (!err.code) err.code = "eval_internal_error";
        record_error(t, &err);
    } else if (t->param && v && gh_value_kind(v) == GH_KIND_OBJECT) {
        free_subs(t);
        bool fail = add_subs(t, v, 1);
        t->outcome = fail ? GH_TEST_FAIL : GH_TEST_PASS;
    } else {
        bool pass = v && gh_value_kind(v) == GH_KIND_BOOL && gh_value_get_bool(v);
        t->outcome = pass ? GH_TEST_PASS : GH_TEST_FAIL;
        t->undefined = v == NULL;
    }
}

/* Repeats a passing test until bench_time has passed (at least once more). */
static void bench_test(worker *w, gh_evaluator *ev, gh_test *t, const char *ref)
{
    uint64_t budget = w->r->opts->bench_time_ns ? w->r->opts->bench_time_ns : 1000000000u;
    uint64_t n = 0, start = now_ns(), spent = 0;
    const gh_value *v;
    gh_eval_error err;
    while (spent < budget || n == 0) {
        if (gh_eval(ev, w->r->rev, ref, NULL, &v, &err) != 0) {
            record_error(t, &err);
            break;
        }
        n++;
        spent = now_ns() - start;
    }
    t->bench_n = n;
    t->bench_ns = spent;
}

static void run_test(worker *w, gh_evaluator *ev, gh_test *t)
{
    if (t->skip) {
        t->outcome = GH_TEST_SKIPPED;
        return;
    }
    char *rule = replace_all(t->name, "#", GH_TEST_DUP_MARK);
    size_t n = strlen(t->pkg) + (rule ? strlen(rule) : 0) + 2;
    char *ref = rule ? malloc(n) : NULL;
    if (!ref) {
        free(rule);
        gh_eval_error e = {.code = "eval_internal_error", .msg = "out of memory"};
        record_error(t, &e);
        return;
    }
    snprintf(ref, n, "%s.%s", t->pkg, rule);
    free(rule);
    run_once(w, ev, t, ref);
    if (w->r->opts->bench && t->outcome == GH_TEST_PASS) bench_test(w, ev, t, ref);
    free(ref);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    runner *r = w->r;
    gh_eval_opts eo = {.timeout_ns = r->opts->timeout_ns ? r->opts->timeout_ns : 5000000000u,
                       .max_steps = UINT64_MAX / 2, /* only the timeout limits a test, as in OPA */
                       .print = capture_print,
                       .print_ud = w,
                       .runtime = r->opts->runtime};
    if (r->opts->cover) {
        eo.cover = cover_hit;
        eo.cover_ud = w;
    }
    gh_evaluator *ev = gh_evaluator_new(&eo);
    for (;;) {
        size_t i = atomic_fetch_add(&r->next, 1);
        if (i >= r->list->n) break;
        gh_test *t = &r->list->items[i];
        if (!ev) {
            gh_eval_error e = {.code = "eval_internal_error", .msg = "out of memory"};
            record_error(t, &e);
            continue;
        }
        run_test(w, ev, t);
    }
    if (ev) gh_evaluator_free(ev);
    return NULL;
}

static unsigned thread_count(const gh_test_run_opts *o, size_t ntests)
{
    long n = o->threads ? (long)o->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (o->bench) n = 1; /* timings of tests sharing cores would disturb each other */
    if ((size_t)n > ntests) n = ntests ? (long)ntests : 1;
    return (unsigned)n;
}

int gh_tests_run(const gh_revision *rev, gh_test_list *l, const gh_test_run_opts *opts)
{
    gh_test_run_opts defaults = {0};
    runner r = {.rev = rev, .list = l, .opts = opts ? opts : &defaults};
    atomic_init(&r.next, 0);
    unsigned n = thread_count(r.opts, l->n);
    worker *ws = calloc(n, sizeof *ws);
    if (!ws) return GH_ENOMEM;
    unsigned started = 0;
    for (unsigned i = 0; i < n; i++) {
        ws[i].r = &r;
        gh_buf_init(&ws[i].out, 0);
        /* the first worker runs on this thread; more only when a thread can be had */
        if (i > 0 && pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) != 0) break;
        started = i + 1;
    }
    worker_main(&ws[0]);
    for (unsigned i = 1; i < started; i++)
        pthread_join(ws[i].tid, NULL);
    int rc = 0;
    for (unsigned i = 0; i < n; i++) {
        if (ws[i].cov_failed) rc = GH_ENOMEM;
        for (size_t j = 0; j < ws[i].ncov; j++) {
            if (rc == 0 && r.opts->cover) rc = cover_merge(r.opts->cover, &ws[i].cov[j]);
            free(ws[i].cov[j].hit);
        }
        free(ws[i].cov);
        gh_buf_free(&ws[i].out);
    }
    free(ws);
    return rc;
}

/* ---- Go's time.Duration.String ---- */

/* Appends v / 10^prec with its fraction's trailing zeros (and a bare '.') dropped. */
static int put_frac(char *buf, size_t size, uint64_t v, int prec)
{
    uint64_t div = 1;
    for (int i = 0; i < prec; i++)
        div *= 10;
    uint64_t whole = v / div, frac = v % div;
    if (frac == 0) return snprintf(buf, size, "%llu", (unsigned long long)whole);
    int digits = prec;
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    return snprintf(buf, size, "%llu.%0*llu", (unsigned long long)whole, digits,
                    (unsigned long long)frac);
}

void gh_test_format_duration(uint64_t ns, char *buf, size_t size)
{
    if (size == 0) return;
    if (ns == 0) {
        snprintf(buf, size, "0s");
    } else if (ns < 1000u) {
        snprintf(buf, size, "%lluns", (unsigned long long)ns);
    } else if (ns < 1000000u) {
        int k = put_frac(buf, size, ns, 3);
        if (k > 0 && (size_t)k < size) snprintf(buf + k, size - (size_t)k, "µs");
    } else if (ns < 1000000000u) {
        int k = put_frac(buf, size, ns, 6);
        if (k > 0 && (size_t)k < size) snprintf(buf + k, size - (size_t)k, "ms");
    } else {
        uint64_t s = ns / 1000000000u, h = s / 3600, m = (s / 60) % 60;
        uint64_t rest = ns - (h * 3600 + m * 60) * 1000000000u;
        int k = 0;
        if (h)
            k = snprintf(buf, size, "%lluh%llum", (unsigned long long)h, (unsigned long long)m);
        else if (m)
            k = snprintf(buf, size, "%llum", (unsigned long long)m);
        if (k < 0 || (size_t)k >= size) return;
        int j = put_frac(buf + k, size - (size_t)k, rest, 9);
        if (j > 0 && (size_t)(k + j) < size) snprintf(buf + k + j, size - (size_t)(k + j), "s");
    }
}
