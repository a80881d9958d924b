/* Conformance runner, the parts that need no evaluator: judging a case's outcome as OPA's
 * runner does (v1/topdown's testRun/testAssertResultSet/testAssertError*), the language vs
 * builtin-family split, the expected-failures list, and the per-folder table. */
#include "gatehouse/conformance.h"

#include "gatehouse/buf.h"
#include "gatehouse/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- case fields ---- */

const gh_value *gh_cf_field(const gh_value *c, const char *name)
{
    return gh_object_get_str(c, name, strlen(name));
}

static bool field_true(const gh_value *c, const char *name)
{
    const gh_value *v = gh_cf_field(c, name);
    return v && gh_value_get_bool(v);
}

static const char *field_str(const gh_value *c, const char *name)
{
    const gh_value *v = gh_cf_field(c, name);
    return v ? gh_string_ptr(v, NULL) : NULL;
}

bool gh_cf_skipped(const gh_value *c, const char **reason)
{
    const gh_value *v = gh_cf_field(c, "skip");
    if (reason) *reason = "skip";
    if (!v) return false;
    if (gh_value_kind(v) == GH_KIND_STRING) {
        size_t n;
        const char *s = gh_string_ptr(v, &n);
        if (reason) *reason = s;
        return n > 0;
    }
    return gh_value_get_bool(v);
}

/* ---- normalising and comparing rows ---- */

static int cmp_values(const void *a, const void *b)
{
    return gh_value_compare(*(const gh_value *const *)a, *(const gh_value *const *)b);
}

static const gh_value *sorted_array(gh_arena *a, const gh_value *arr)
{
    size_t n = gh_value_len(arr);
    const gh_value **items = malloc((n + 1) * sizeof *items);
    if (!items) return NULL;
    for (size_t i = 0; i < n; i++)
        items[i] = gh_array_get(arr, i);
    qsort(items, n, sizeof *items, cmp_values);
    const gh_value *out = gh_value_array(a, items, n);
    free(items);
    return out;
}

static int normalize_row(gh_arena *a, const gh_value *row, bool sort_bindings,
                         bool ignore_generated, const gh_value **out)
{
    if (gh_value_kind(row) != GH_KIND_OBJECT) return *out = row, 0;
    size_t n = gh_value_len(row), k = 0;
    const gh_value **kv = malloc((2 * n + 1) * sizeof *kv);
    if (!kv) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const gh_value *key = gh_object_key_at(row, i), *val = gh_object_value_at(row, i);
        size_t len;
        const char *name = gh_string_ptr(key, &len);
        if (ignore_generated && name && len >= 8 && memcmp(name, "__localq", 8) == 0) continue;
        if (sort_bindings && gh_value_kind(val) == GH_KIND_ARRAY) val = sorted_array(a, val);
        if (!val) {
            free(kv);
            return GH_ENOMEM;
        }
        kv[k] = key;
        kv[n + k] = val;
        k++;
    }
    int rc = gh_value_object(a, kv, kv + n, k, out, NULL);
    free(kv);
    return rc;
}

int gh_cf_normalize_rows(gh_arena *a, const gh_value *rows, bool sort_bindings,
                         bool ignore_generated, const gh_value **out)
{
    /* OPA's runner compares JSON-converted results: sets become (sorted) arrays and
     * non-string keys strings; a write and a read do exactly that. */
    gh_buf b;
    gh_buf_init(&b, 0);
    int rc = gh_json_write(&b, rows, 0);
    const gh_value *json = NULL;
    if (rc == 0) rc = gh_json_read(a, b.data, b.len, NULL, &json, NULL);
    gh_buf_free(&b);
    if (rc != 0) return rc;
    size_t n = gh_value_len(json);
    const gh_value **items = malloc((n + 1) * sizeof *items);
    if (!items) return GH_ENOMEM;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = normalize_row(a, gh_array_get(json, i), sort_bindings, ignore_generated, &items[i]);
    if (rc == 0) *out = gh_value_array(a, items, n);
    free(items);
    return rc != 0 ? rc : *out ? 0 : GH_ENOMEM;
}

/* Rows compared as a set: order does not matter and duplicates collapse. */
static bool rows_equal(gh_arena *a, const gh_value *got, const gh_value *want)
{
    size_t ng = gh_value_len(got), nw = gh_value_len(want);
    const gh_value **g = malloc((ng + 1) * sizeof *g), **w = malloc((nw + 1) * sizeof *w);
    bool eq = false;
    if (g && w) {
        for (size_t i = 0; i < ng; i++)
            g[i] = gh_array_get(got, i);
        for (size_t i = 0; i < nw; i++)
            w[i] = gh_array_get(want, i);
        const gh_value *sg = gh_value_set(a, g, ng), *sw = gh_value_set(a, w, nw);
        eq = sg && sw && gh_value_equal(sg, sw);
    }
    free(g);
    free(w);
    return eq;
}

/* ---- judging ---- */

static void fail(gh_cf_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(gh_cf_verdict *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    v->outcome = GH_CF_FAIL;
    vsnprintf(v->msg, sizeof v->msg, fmt, ap);
    va_end(ap);
    for (char *p = v->msg; *p; p++)
        if (*p == '\n' || *p == '\t') *p = ' ';
}

static char *json_text(const gh_value *val)
{
    gh_buf b;
    gh_buf_init(&b, 1u << 20);
    if (!val)
        gh_buf_puts(&b, "(none)");
    else
        gh_json_write(&b, val, 0);
    if (b.failed) {
        gh_buf_clear(&b);
        gh_buf_puts(&b, "(too large to show)");
    }
    return gh_buf_take(&b, NULL);
}

static void set_detail(gh_cf_verdict *v, const gh_value *got, const gh_value *want)
{
    char *g = json_text(got), *w = json_text(want);
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_buf_printf(&b, "got:  %s\nwant: %s\n", g ? g : "?", w ? w : "?");
    free(g);
    free(w);
    v->detail = gh_buf_take(&b, NULL);
}

static void judge_error(const gh_value *c, const gh_cf_got *got, gh_cf_verdict *v)
{
    const char *want_code = field_str(c, "want_error_code");
    const char *want_text = field_str(c, "want_error");
    if (!want_code && !want_text) {
        fail(v, "unexpected error: %s", got->err_text ? got->err_text : got->err_code);
        return;
    }
    if (want_code && (!got->err_code || strcmp(want_code, got->err_code) != 0)) {
        fail(v, "want error code %s, got %s", want_code, got->err_text ? got->err_text : "?");
        return;
    }
    if (want_text && (!got->err_text || !strstr(got->err_text, want_text))) {
        fail(v, "want error containing \"%s\", got %s", want_text,
             got->err_text ? got->err_text : "?");
        return;
    }
}

static void judge_rows(gh_arena *a, const gh_value *c, const gh_cf_got *got, gh_cf_verdict *v)
{
    const gh_value *want = gh_cf_field(c, "want_result");
    const gh_value *defined = gh_cf_field(c, "want_defined");
    if (field_str(c, "want_error_code") || field_str(c, "want_error")) {
        const char *what = field_str(c, "want_error_code");
        fail(v, "want error %s, got a result", what ? what : field_str(c, "want_error"));
        v->detail = json_text(got->rows);
        return;
    }
    if (defined && gh_value_kind(defined) == GH_KIND_BOOL &&
        gh_value_get_bool(defined) != (gh_value_len(got->rows) > 0)) {
        fail(v, "want %s, got %s", gh_value_get_bool(defined) ? "defined" : "undefined",
             gh_value_len(got->rows) ? "defined" : "undefined");
        return;
    }
    if (!want) return;
    const gh_value *norm;
    int rc = gh_cf_normalize_rows(a, got->rows, field_true(c, "sort_bindings"),
                                  field_true(c, "ignore_generated_vars"), &norm);
    if (rc != 0) {
        fail(v, "cannot convert the result to JSON: %s", gh_strerror(rc));
        return;
    }
    if (gh_value_kind(want) != GH_KIND_ARRAY) {
        fail(v, "invalid case: want_result is not a list");
        return;
    }
    if (!rows_equal(a, norm, want)) {
        fail(v, "result differs (%zu rows, want %zu)", gh_value_len(norm), gh_value_len(want));
        set_detail(v, norm, want);
    }
}

void gh_cf_judge(gh_arena *a, const gh_value *c, const gh_cf_got *got, gh_cf_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->outcome = GH_CF_PASS;
    if (gh_cf_skipped(c, NULL)) {
        v->outcome = GH_CF_SKIP;
        return;
    }
    if (!gh_cf_field(c, "want_result") && !field_str(c, "want_error_code") &&
        !field_str(c, "want_error") && !gh_cf_field(c, "want_defined")) {
        fail(v, "invalid case: none of want_result, want_error_code, want_error, want_defined");
        return;
    }
    if (got->err_code || !got->rows)
        judge_error(c, got, v);
    else
        judge_rows(a, c, got, v);
}

/* ---- language vs builtin-family folders ---- */

/* Folders of OPA's v1 suite that exercise one builtin family rather than the language.
 * Everything else (assignments, baseandvirtualdocs, comprehensions, every, functions,
 * negation, partial*, withkeyword, ...) counts as language semantics. */
static const char *const builtin_folders[] = {
    "aggregates",
    "array",
    "base64builtins",
    "base64urlbuiltins",
    "bitsand",
    "bitsshiftleft",
    "bitsshiftright",
    "bitsxor",
    "casts",
    "cryptohmacmd5",
    "cryptohmacsha1",
    "cryptohmacsha256",
    "cryptohmacsha512",
    "cryptomd5",
    "cryptoparsersaprivatekeys",
    "cryptosha1",
    "cryptosha256",
    "cryptox509parseandverifycertificates",
    "cryptox509parsecertificaterequest",
    "cryptox509parsecertificates",
    "cryptox509parsekeypair",
    "cryptox509parsersaprivatekey",
    "globmatch",
    "globquotemeta",
    "globsmatch",
    "graphql",
    "hexbuiltins",
    "intersection",
    "invalidkeyerror",
    "jsonbuiltins",
    "jsonfilter",
    "jsonfilteridempotent",
    "jsonpatch",
    "jsonremove",
    "jsonremoveidempotent",
    "jwtbuiltins",
    "jwtdecodeverify",
    "jwtencodesign",
    "jwtencodesignheadererrors",
    "jwtencodesignpayloaderrors",
    "jwtencodesignraw",
    "jwtverifyhs256",
    "jwtverifyhs384",
    "jwtverifyhs512",
    "jwtverifyrsa",
    "netcidrcontains",
    "netcidrcontainsmatches",
    "netcidrexpand",
    "netcidrintersects",
    "netcidrisvalid",
    "netcidrmerge",
    "netcidroverlap",
    "netlookupipaddr",
    "numbersrange",
    "numbersrangestep",
    "objectfilter",
    "objectfilternonstringkey",
    "objectget",
    "objectkeys",
    "objectremove",
    "objectremoveidempotent",
    "objectremovenonstringkey",
    "objectunion",
    "objectunionn",
    "providers-aws",
    "reachable",
    "reachablepaths",
    "regexfind",
    "regexfindallstringsubmatch",
    "regexisvalid",
    "regexmatch",
    "regexmatchtemplate",
    "regexreplace",
    "regexsplit",
    "regometadatachain",
    "regometadatarule",
    "regoparsemodule",
    "rendertemplate",
    "semvercompare",
    "semverisvalid",
    "sets",
    "sprintf",
    "strings",
    "subset",
    "time",
    "tobool",
    "trim",
    "trimleft",
    "trimprefix",
    "trimright",
    "trimspace",
    "trimsuffix",
    "typebuiltin",
    "typenamebuiltin",
    "units",
    "urlbuiltins",
    "uuid",
    "walkbuiltin",
};

bool gh_cf_is_builtin_folder(const char *folder)
{
    const char *slash = strrchr(folder, '/'); /* "opa-v1/time" counts as "time" */
    if (slash) folder = slash + 1;
    for (size_t i = 0; i < sizeof builtin_folders / sizeof *builtin_folders; i++)
        if (strcmp(builtin_folders[i], folder) == 0) return true;
    return false;
}

/* ---- the expected-failures list ---- */

void gh_cf_expected_init(gh_cf_expected *x)
{
    memset(x, 0, sizeof *x);
}

void gh_cf_expected_free(gh_cf_expected *x)
{
    for (size_t i = 0; i < x->n; i++) {
        free(x->notes[i]);
        free(x->reasons[i]);
    }
    free(x->notes);
    free(x->reasons);
    free(x->failed);
    free(x->passed);
    gh_cf_expected_init(x);
}

static char *flat_copy(const char *s)
{
    char *c = strdup(s ? s : "");
    if (c)
        for (char *p = c; *p; p++)
            if (*p == '\n' || *p == '\t' || *p == '\r') *p = ' ';
    return c;
}

static int grow_expected(gh_cf_expected *x)
{
    size_t cap = x->cap ? x->cap * 2 : 64;
    char **n = realloc(x->notes, cap * sizeof *n);
    if (n) x->notes = n;
    char **r = realloc(x->reasons, cap * sizeof *r);
    if (r) x->reasons = r;
    bool *f = realloc(x->failed, cap * sizeof *f);
    if (f) x->failed = f;
    bool *p = realloc(x->passed, cap * sizeof *p);
    if (p) x->passed = p;
    if (!n || !r || !f || !p) return GH_ENOMEM;
    x->cap = cap;
    return 0;
}

int gh_cf_expected_add(gh_cf_expected *x, const char *note, const char *reason)
{
    if (x->n == x->cap && grow_expected(x) != 0) return GH_ENOMEM;
    char *n = flat_copy(note), *r = flat_copy(reason);
    if (!n || !r) {
        free(n);
        free(r);
        return GH_ENOMEM;
    }
    x->notes[x->n] = n;
    x->reasons[x->n] = r;
    x->failed[x->n] = x->passed[x->n] = false;
    x->n++;
    return 0;
}

int gh_cf_expected_load(gh_cf_expected *x, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? 0 : -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#') continue;
        char *tab = strchr(line, '\t');
        if (tab) *tab = '\0';
        if (gh_cf_expected_add(x, line, tab ? tab + 1 : "") != 0) rc = -1, errno = ENOMEM;
    }
    free(line);
    fclose(f);
    return rc;
}

long gh_cf_expected_find(const gh_cf_expected *x, const char *note)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->notes[i], note) == 0) return (long)i;
    return -1;
}

static const gh_cf_expected *sort_ctx;
static int cmp_index(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(sort_ctx->notes[i], sort_ctx->notes[j]);
    return c ? c : (i < j ? -1 : i > j);
}

int gh_cf_expected_write(const gh_cf_expected *x, const char *path)
{
    size_t *order = malloc((x->n + 1) * sizeof *order);
    FILE *f = order ? fopen(path, "w") : NULL;
    if (!f) {
        free(order);
        return -1;
    }
    for (size_t i = 0; i < x->n; i++)
        order[i] = i;
    sort_ctx = x;
    qsort(order, x->n, sizeof *order, cmp_index);
    fprintf(f, "# Conformance cases expected to fail today: note<TAB>reason, one per line.\n"
               "# Written by `gatehouse conformance --write-expected`; a listed case that starts\n"
               "# passing fails the run, so this list only shrinks. Never edit results to pass.\n");
    for (size_t k = 0; k < x->n; k++) {
        size_t i = order[k];
        if (k && strcmp(x->notes[i], x->notes[order[k - 1]]) == 0) continue;
        fprintf(f, "%s\t%s\n", x->notes[i], x->reasons[i]);
    }
    free(order);
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- the report ---- */

void gh_cf_table_free(gh_cf_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->rows[i].folder);
    free(t->rows);
    memset(t, 0, sizeof *t);
}

gh_cf_tally *gh_cf_table_row(gh_cf_table *t, const char *folder)
{
    for (size_t i = t->n; i-- > 0;)
        if (strcmp(t->rows[i].folder, folder) == 0) return &t->rows[i];
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        gh_cf_tally *g = realloc(t->rows, cap * sizeof *g);
        if (!g) return NULL;
        t->rows = g;
        t->cap = cap;
    }
    char *name = strdup(folder);
    if (!name) return NULL;
    t->rows[t->n] = (gh_cf_tally){.folder = name};
    return &t->rows[t->n++];
}

static void print_row(FILE *out, const char *name, int width, long p, long f, long s)
{
    double pct = p + f ? 100.0 * (double)p / (double)(p + f) : 100.0;
    fprintf(out, "%-*s | %6ld | %6ld | %7ld | %6.1f%%\n", width, name, p, f, s, pct);
}

void gh_cf_table_print(const gh_cf_table *t, FILE *out)
{
    int width = (int)strlen("language folders");
    for (size_t i = 0; i < t->n; i++)
        if ((int)strlen(t->rows[i].folder) > width) width = (int)strlen(t->rows[i].folder);
    fprintf(out, "%-*s | %6s | %6s | %7s | %7s\n", width, "folder", "passed", "failed", "skipped",
            "pass");
    long sum[2][3] = {{0}};
    for (size_t i = 0; i < t->n; i++) {
        const gh_cf_tally *r = &t->rows[i];
        print_row(out, r->folder, width, r->passed, r->failed, r->skipped);
        int b = gh_cf_is_builtin_folder(r->folder);
        sum[b][0] += r->passed;
        sum[b][1] += r->failed;
        sum[b][2] += r->skipped;
    }
    fprintf(out, "\n");
    print_row(out, "language folders", width, sum[0][0], sum[0][1], sum[0][2]);
    print_row(out, "builtin folders", width, sum[1][0], sum[1][1], sum[1][2]);
    fprintf(out, "%ld passed, %ld failed, %ld skipped\n", sum[0][0] + sum[1][0],
            sum[0][1] + sum[1][1], sum[0][2] + sum[1][2]);
}
