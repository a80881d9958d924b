/* gatehouse eval: evaluates an ad-hoc query against -d policies and data, printing results
 * in opa eval's shapes (json, values, bindings, raw, pretty) and errors as opa prints them.
 *
 * The engine's query API returns variable bindings only; opa also reports the value of each
 * expression. So every expression with a value of its own (a term, a comparison, a call)
 * is rewritten as `gh_eN_ := <expr>; gh_eN_ != false` in place (lines stay where they were):
 * its value comes back as a binding and is taken out of the bindings again, and a false value
 * still makes the query fail as in OPA. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_errors.h"
#include "eval_obs.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/diag.h"
#include "gatehouse/engine.h"
#include "gatehouse/error.h"
#include "gatehouse/yaml.h"
#include "loader.h"
#include "parse.h"
#ifdef GH_HAVE_EVAL
#include "builtins/builtins.h"
#endif

static const char eval_usage[] =
    "usage: gatehouse eval [-d PATH]... [-b DIR]... [--ignore PATTERN]...\n"
    "                      [-i FILE | --stdin-input] [-f FORMAT] [--v0-compatible]\n"
    "                      [--strict] [--strict-builtin-errors] [--fail | --fail-defined]\n"
    "                      QUERY\n\n"
    "Evaluates QUERY against the policies and data under each PATH, as opa eval does.\n\n"
    "options:\n"
    "  -d, --data PATH             .rego files are modules; .json, .yaml and .yml files are data,\n"
    "                              placed by their directory below PATH (PATH/a/b/data.json is\n"
    "                              data.a.b); directories are read recursively. JSON files may\n"
    "                              carry // and /* */ comments and trailing commas\n"
    "  -b, --bundle DIR            a bundle directory, as OPA's bundle format: an optional\n"
    "                              .manifest (revision, roots, rego_version), .rego modules,\n"
    "                              data.json/data.yaml placed by directory; packages and data\n"
    "                              must lie under the manifest's roots\n"
    "      --ignore PATTERN        skip files and directories whose name matches PATTERN\n"
    "                              (a glob, e.g. '*_test.rego'); repeatable\n"
    "  -i, --input FILE            the input document (JSON with comments, or YAML)\n"
    "  -I, --stdin-input           read the input document from stdin\n"
    "  -f, --format FORMAT         json (default), values, bindings, raw or pretty\n"
    "      --v0-compatible         parse modules and the query as Rego v0\n"
    "  -s, --strict-builtin-errors a builtin error stops the evaluation instead of undefined\n"
    "  -S, --strict                compile the modules in OPA's strict mode (unused locals,\n"
    "                              arguments and imports are errors; see gatehouse check)\n"
    "      --fail                  exit 1 when the result is undefined\n"
    "      --fail-defined          exit 1 when the result is defined\n"
    "      --metrics               report OPA's timers (timer_rego_*_ns): a \"metrics\" member\n"
    "                              in json, a table in pretty\n"
    "      --profile               time and count each expression (implies --metrics): a\n"
    "                              \"profile\" member in json, a table in pretty\n"
    "      --profile-sort LIST     sort the profile by total_time_ns, num_eval, num_redo,\n"
    "                              num_gen_expr, file, line (comma-separated, repeatable;\n"
    "                              implies --profile)\n"
    "      --profile-limit N       show the first N profile rows (default 10, 0 = all;\n"
    "                              implies --profile)\n"
    "      --explain MODE          trace the evaluation: notes (trace() notes and how they\n"
    "                              were reached), fails (failed expressions and how), full\n"
    "                              (everything), debug (as full), off\n"
    "  -h, --help                  show this help\n\n"
    "Exit status: 0 ok, 1 --fail/--fail-defined tripped, 2 errors (parse, compile, eval, I/O).\n";

enum fmt { FMT_JSON, FMT_VALUES, FMT_BINDINGS, FMT_RAW, FMT_PRETTY };

typedef struct eval_args {
    char **data;
    int ndata;
    char **bundles, **ignore;
    int nbundles, nignore;
    const char *input_path;
    bool stdin_input, v0, strict, fail, fail_defined;
    bool strict_mode; /* -S: OPA's compiler strict mode (strict: --strict-builtin-errors) */
    enum fmt fmt;
    const char *query;
    bool metrics, profile; /* --metrics, --profile (and its two options) */
    int explain;           /* gh_explain_mode, or EXPLAIN_OFF */
    const char *profile_sort;
    size_t profile_limit;
} eval_args;

/* ---- JSON output helpers ---- */

static void put_indented(gh_buf *b, const char *text, int indent)
{
    for (const char *p = text; *p; p++) {
        gh_buf_putc(b, *p);
        if (*p == '\n') gh_buf_printf(b, "%*s", indent, "");
    }
}

/* v as Go's json.Encoder with SetIndent("", "  ") writes it, nested at `indent` columns. */
static void put_value(gh_buf *b, const gh_value *v, int indent)
{
    gh_buf t;
    gh_buf_init(&t, 0);
    gh_json_write(&t, v, GH_JSON_PRETTY | GH_JSON_ESCAPE_HTML);
    put_indented(b, t.data ? t.data : "null", indent);
    gh_buf_free(&t);
}

/* ---- the query and its expressions ---- */

typedef struct query_plan {
    qexpr *exprs;
    size_t n;
    gh_buf text; /* the rewritten query */
} query_plan;

/* Whether opa reports an expression's own value (else its value is true): terms and calls,
 * but not unification/assignment, `some`, `every`, `not`, nor a call given its output
 * argument (count(xs, n)). */
static bool expr_valued(const gh_expr *e)
{
    if (e->negated) return false;
    if (e->kind == GH_EXPR_TERM) return true;
    if (e->kind != GH_EXPR_CALL || e->u.call.n == 0) return false;
    const gh_term *op = e->u.call.terms[0];
    char name[128];
    size_t len = 0;
    if (op->kind == GH_TERM_VAR) {
        len = (size_t)snprintf(name, sizeof name, "%s", op->u.str.s);
    } else if (op->kind == GH_TERM_REF) {
        for (size_t i = 0; i < op->u.list.n && len < sizeof name; i++) {
            const gh_term *t = op->u.list.items[i];
            if (t->kind != GH_TERM_VAR && t->kind != GH_TERM_STRING) break;
            len +=
                (size_t)snprintf(name + len, sizeof name - len, "%s%s", i ? "." : "", t->u.str.s);
        }
    }
    if (len >= sizeof name) return true;
    if (strcmp(name, "eq") == 0 || strcmp(name, "assign") == 0) return false;
#ifdef GH_HAVE_EVAL
    const gh_builtin *bi = gh_builtin_lookup(name, len);
    if (bi && bi->arity >= 0 && (int)e->u.call.n - 1 > bi->arity) return false;
#endif
    return true;
}

static int plan_query(const char *q, bool v0, query_plan *p, cli_errors *errs)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_diags d;
    gh_diags_init(&d);
    gh_parse_opts po = {.v0_compatible = v0};
    gh_body *body = NULL;
    int rc = gh_parse_query(&a, "", q, strlen(q), &po, &body, &d);
    if (rc != 0) {
        cli_errors_add_diags(errs, &d);
    } else {
        p->exprs = calloc(body->n + 1, sizeof *p->exprs);
        p->n = body->n;
        uint32_t at = 0;
        for (size_t i = 0; p->exprs && i < body->n; i++) {
            const gh_expr *e = body->items[i];
            qexpr *x = &p->exprs[i];
            *x = (qexpr){e->loc.off, e->loc.end, e->loc.line, e->loc.col, expr_valued(e), 0, 0, 0, 0};
            gh_buf_append(&p->text, q + at, x->off - at);
            x->roff = (uint32_t)p->text.len;
            if (x->valued) gh_buf_printf(&p->text, "gh_e%zu_ := ", i);
            gh_buf_append(&p->text, q + x->off, x->end - x->off);
            x->rend = (uint32_t)p->text.len;
            if (x->valued) gh_buf_printf(&p->text, "; gh_e%zu_ != false", i);
            x->soff = x->rend + 2; /* after "; " */
            x->send = (uint32_t)p->text.len;
            at = x->end;
        }
        gh_buf_puts(&p->text, q + at);
        if (!p->exprs || p->text.failed) rc = GH_ENOMEM;
    }
    gh_diags_free(&d);
    gh_arena_free(&a);
    return rc;
}

/* ---- results ---- */

static bool is_expr_var(const gh_value *key)
{
    size_t n;
    const char *s = gh_string_ptr(key, &n);
    return s && n > 4 && strncmp(s, "gh_e", 4) == 0 && s[n - 1] == '_';
}

static const gh_value *expr_value(const query_plan *p, const gh_value *row, size_t i)
{
    if (!p->exprs[i].valued) return GH_TRUE;
    char name[32];
    int n = snprintf(name, sizeof name, "gh_e%zu_", i);
    const gh_value *v = gh_object_get_str(row, name, (size_t)n);
    return v ? v : GH_NULL;
}

static size_t binding_count(const gh_value *row)
{
    size_t n = 0;
    for (size_t i = 0; i < gh_value_len(row); i++)
        n += !is_expr_var(gh_object_key_at(row, i));
    return n;
}

/* {"x": 1, ...} without the expression variables, pretty, nested at `indent`. */
static void put_bindings(gh_buf *b, const gh_value *row, int indent)
{
    size_t n = binding_count(row), k = 0;
    if (n == 0) {
        gh_buf_puts(b, "{}");
        return;
    }
    gh_buf_puts(b, "{\n");
    for (size_t i = 0; i < gh_value_len(row); i++) {
        const gh_value *key = gh_object_key_at(row, i);
        if (is_expr_var(key)) continue;
        gh_buf_printf(b, "%*s", indent + 2, "");
        put_value(b, key, indent + 2);
        gh_buf_puts(b, ": ");
        put_value(b, gh_object_value_at(row, i), indent + 2);
        gh_buf_puts(b, ++k < n ? ",\n" : "\n");
    }
    gh_buf_printf(b, "%*s}", indent, "");
}

static void print_json(const query_plan *p, const char *q, const gh_value *rows,
                       const eval_obs *obs, gh_buf *b)
{
    size_t nrows = gh_value_len(rows);
    if (nrows == 0) { /* undefined: only the observability members, if any */
        gh_buf m;
        gh_buf_init(&m, 0);
        obs_json(obs, &m);
        if (m.len)
            gh_buf_printf(b, "{%s\n}\n", m.data + 1); /* without the leading comma */
        else
            gh_buf_puts(b, "{}\n");
        gh_buf_free(&m);
        return;
    }
    gh_buf_puts(b, "{\n  \"result\": [\n");
    for (size_t r = 0; r < nrows; r++) {
        const gh_value *row = gh_array_get(rows, r);
        gh_buf_puts(b, "    {\n      \"expressions\": [\n");
        for (size_t i = 0; i < p->n; i++) {
            const qexpr *x = &p->exprs[i];
            gh_buf_puts(b, "        {\n          \"value\": ");
            put_value(b, expr_value(p, row, i), 10);
            gh_buf_puts(b, ",\n          \"text\": ");
            char *text = strndup(q + x->off, x->end - x->off);
            if (text) cli_errors_json_string(b, text);
            free(text);
            gh_buf_printf(b,
                          ",\n          \"location\": {\n            \"row\": %d,\n"
                          "            \"col\": %d\n          }\n        }%s\n",
                          x->row, x->col, i + 1 < p->n ? "," : "");
        }
        gh_buf_puts(b, "      ]");
        if (binding_count(row)) {
            gh_buf_puts(b, ",\n      \"bindings\": ");
            put_bindings(b, row, 6);
        }
        gh_buf_printf(b, "\n    }%s\n", r + 1 < nrows ? "," : "");
    }
    gh_buf_puts(b, "  ]");
    obs_json(obs, b);
    gh_buf_puts(b, "\n}\n");
}

static void print_values(const query_plan *p, const gh_value *rows, gh_buf *b)
{
    for (size_t r = 0; r < gh_value_len(rows); r++) {
        const gh_value *row = gh_array_get(rows, r);
        if (p->n == 0) {
            gh_buf_puts(b, "[]\n");
            continue;
        }
        gh_buf_puts(b, "[\n");
        for (size_t i = 0; i < p->n; i++) {
            gh_buf_puts(b, "  ");
            put_value(b, expr_value(p, row, i), 2);
            gh_buf_puts(b, i + 1 < p->n ? ",\n" : "\n");
        }
        gh_buf_puts(b, "]\n");
    }
}

static void print_bindings(const gh_value *rows, gh_buf *b)
{
    for (size_t r = 0; r < gh_value_len(rows); r++) {
        put_bindings(b, gh_array_get(rows, r), 0);
        gh_buf_putc(b, '\n');
    }
}

static void print_raw(const query_plan *p, const gh_value *rows, gh_buf *b)
{
    for (size_t r = 0; r < gh_value_len(rows); r++) {
        const gh_value *row = gh_array_get(rows, r);
        for (size_t i = 0; i < p->n; i++) {
            const gh_value *v = expr_value(p, row, i);
            size_t n;
            const char *s = gh_string_ptr(v, &n);
            if (s)
                gh_buf_append(b, s, n);
            else
                gh_json_write(b, v, GH_JSON_ESCAPE_HTML);
            gh_buf_putc(b, i + 1 < p->n ? ' ' : '\n');
        }
    }
}

/* ---- pretty: a value, or a table of bindings and non-boolean expressions ---- */

#define PRETTY_LIMIT 80 /* opa's --pretty-limit default */

static char *cell_text(const gh_value *v)
{
    gh_buf t;
    gh_buf_init(&t, 0);
    gh_json_write(&t, v, 0);
    if (t.len > PRETTY_LIMIT) {
        t.len = PRETTY_LIMIT;
        t.data[t.len] = '\0';
        gh_buf_puts(&t, "...");
    }
    char *s = gh_buf_take(&t, NULL);
    return s ? s : strdup("");
}

typedef struct column {
    char *header;
    const gh_value *key; /* binding name, or NULL for an expression */
    size_t expr;
    size_t width;
} column;

static void rule_line(gh_buf *b, const column *cols, size_t n)
{
    for (size_t c = 0; c < n; c++) {
        gh_buf_putc(b, '+');
        for (size_t k = 0; k < cols[c].width + 2; k++)
            gh_buf_putc(b, '-');
    }
    gh_buf_puts(b, "+\n");
}

static void print_table(const query_plan *p, const char *q, const gh_value *rows, gh_buf *b)
{
    /* columns: the binding names (sorted: objects keep their keys sorted), then the text of
     * each non-boolean expression */
    const gh_value *first = gh_array_get(rows, 0);
    size_t ncols = 0, cap = gh_value_len(first) + p->n + 1;
    column *cols = calloc(cap, sizeof *cols);
    if (!cols) return;
    for (size_t i = 0; i < gh_value_len(first); i++) {
        const gh_value *k = gh_object_key_at(first, i);
        if (is_expr_var(k)) continue;
        size_t n;
        const char *s = gh_string_ptr(k, &n);
        cols[ncols++] = (column){strndup(s ? s : "", n), k, 0, 0};
    }
    for (size_t i = 0; i < p->n; i++) {
        const gh_value *v = expr_value(p, first, i);
        if (gh_value_kind(v) == GH_KIND_BOOL) continue;
        cols[ncols++] =
            (column){strndup(q + p->exprs[i].off, p->exprs[i].end - p->exprs[i].off), NULL, i, 0};
    }
    size_t nrows = gh_value_len(rows);
    char **cells = calloc(nrows * ncols + 1, sizeof *cells);
    for (size_t c = 0; c < ncols; c++)
        cols[c].width = strlen(cols[c].header ? cols[c].header : "");
    for (size_t r = 0; cells && r < nrows; r++) {
        const gh_value *row = gh_array_get(rows, r);
        for (size_t c = 0; c < ncols; c++) {
            const gh_value *v =
                cols[c].key ? gh_object_get(row, cols[c].key) : expr_value(p, row, cols[c].expr);
            char *s = cell_text(v ? v : GH_NULL);
            cells[r * ncols + c] = s;
            if (s && strlen(s) > cols[c].width) cols[c].width = strlen(s);
        }
    }
    rule_line(b, cols, ncols);
    for (size_t c = 0; c < ncols; c++) { /* headers centred */
        size_t w = cols[c].width, hl = strlen(cols[c].header ? cols[c].header : "");
        size_t left = (w - hl) / 2;
        gh_buf_printf(b, "| %*s%s%*s ", (int)left, "", cols[c].header ? cols[c].header : "",
                      (int)(w - hl - left), "");
    }
    gh_buf_puts(b, "|\n");
    rule_line(b, cols, ncols);
    for (size_t r = 0; cells && r < nrows; r++) {
        for (size_t c = 0; c < ncols; c++) {
            const char *s = cells[r * ncols + c] ? cells[r * ncols + c] : "";
            gh_buf_printf(b, "| %-*s ", (int)cols[c].width, s);
        }
        gh_buf_puts(b, "|\n");
    }
    rule_line(b, cols, ncols);
    for (size_t i = 0; cells && i < nrows * ncols; i++)
        free(cells[i]);
    free(cells);
    for (size_t c = 0; c < ncols; c++)
        free(cols[c].header);
    free(cols);
}

static void print_pretty(const query_plan *p, const char *q, const gh_value *rows, gh_buf *b)
{
    size_t nrows = gh_value_len(rows);
    if (nrows == 0) {
        gh_buf_puts(b, "undefined\n");
        return;
    }
    const gh_value *first = gh_array_get(rows, 0);
    if (nrows == 1 && binding_count(first) == 0 && p->n > 0) {
        bool all_bool = true;
        for (size_t i = 0; i < p->n; i++)
            all_bool = all_bool && gh_value_kind(expr_value(p, first, i)) == GH_KIND_BOOL;
        if (p->n == 1 || all_bool) {
            put_value(b, expr_value(p, first, 0), 0);
            gh_buf_putc(b, '\n');
            return;
        }
    }
    print_table(p, q, rows, b);
}

/* ---- running ---- */

static int load_input(const eval_args *ea, gh_arena *a, const gh_value **input, cli_errors *errs)
{
    gh_buf msg;
    gh_buf_init(&msg, 0);
    int rc = 0;
    if (ea->input_path) {
        rc = loader_read_value(a, ea->input_path, input, &msg);
    } else if (ea->stdin_input) {
        gh_buf in;
        gh_buf_init(&in, CLI_MAX_FILE);
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
            gh_buf_append(&in, chunk, n);
        if (in.failed) {
            gh_buf_puts(&msg, "stdin: input too large\n");
            rc = -1;
        } else {
            /* JSON first, YAML when that fails (as opa's util.Unmarshal) */
            gh_json_opts jo = {.flags = GH_JSON_RELAXED};
            gh_json_error je;
            gh_yaml_error ye;
            gh_yaml_opts yo = {.flags = GH_YAML_GO_V2};
            if (gh_json_read(a, in.data ? in.data : "", in.len, &jo, input, &je) != 0 &&
                gh_yaml_read(a, in.data, in.len, &yo, input, &ye) != 0) {
                gh_buf_printf(&msg, "stdin: %s\n", je.msg);
                rc = -1;
            }
        }
        gh_buf_free(&in);
    }
    if (rc != 0 && msg.len) {
        msg.data[--msg.len] = '\0'; /* the final newline */
        cli_errors_add(errs, "", msg.data, "", 0, 0, NULL);
    }
    gh_buf_free(&msg);
    return rc;
}

#ifdef GH_HAVE_EVAL
static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Runs the prepared query with the profiler and the explainer as asked, timing it, and
 * gathers what they saw; an error goes to errs. */
static void evaluate(gh_evaluator *ev, const gh_query *q, const gh_value *input,
                     const gh_value **rows, eval_obs *obs, const loader *l, cli_errors *errs)
{
    gh_eval_error err;
    char msg[256];
    if (gh_evaluator_set_profile(ev, obs->profile) != 0 ||
        gh_evaluator_set_explain(ev, obs->explain != EXPLAIN_OFF) != 0) {
        cli_errors_add(errs, "eval_internal_error", "out of memory", "", 0, 0, NULL);
        return;
    }
    uint64_t t0 = mono_ns();
    int rc = gh_query_eval(ev, q, input, rows, &err);
    obs->m.query_eval_ns = mono_ns() - t0;
    if (rc != 0) {
        cli_errors_add(errs, err.code ? err.code : "eval_internal_error", err.msg, err.file,
                       err.line, err.col, NULL);
        return;
    }
    obs->modules = l->modules;
    obs->nmodules = l->nmodules;
    if (obs_collect(obs, ev, msg, sizeof msg) != 0) cli_errors_add(errs, "", msg, "", 0, 0, NULL);
}

/* Loads, compiles, evaluates and prints. Returns the exit status. */
static int run_eval(const eval_args *ea)
{
    gh_arena arena;
    gh_arena_init(&arena, 0);
    loader l;
    loader_init(&l, &arena);
    cli_errors errs = {0};
    query_plan plan = {0};
    gh_buf_init(&plan.text, 0);
    gh_diags diags;
    gh_diags_init(&diags);
    gh_revision *rev = NULL;
    gh_query *q = NULL;
    gh_evaluator *ev = NULL;
    const gh_value *input = NULL, *rows = NULL;
    int status = CLI_OK;
    eval_obs obs = {.metrics = ea->metrics,
                    .profile = ea->profile,
                    .explain = ea->explain,
                    .sort = ea->profile_sort,
                    .profile_limit = ea->profile_limit,
                    .query = ea->query,
                    .exprs = NULL};

    gh_buf lerr;
    gh_buf_init(&lerr, 0);
    l.ignore = ea->ignore;
    l.nignore = (size_t)ea->nignore;
    l.v0_compatible = ea->v0;
    uint64_t t0 = mono_ns();
    int lrc = loader_load(&l, ea->data, ea->ndata, &lerr);
    if (loader_load_bundles(&l, ea->bundles, ea->nbundles, &lerr) != 0) lrc = -1;
    obs.m.load_files_ns = mono_ns() - t0;
    if (lrc != 0) {
        cli_errors_add_lines(&errs, lerr.data);
        if (errs.n == 0) cli_errors_add(&errs, "", "cannot load the -d paths", "", 0, 0, NULL);
    }
    gh_buf_free(&lerr);
    if (errs.n == 0) load_input(ea, &arena, &input, &errs);
    if (errs.n == 0) plan_query(ea->query, ea->v0, &plan, &errs);
    obs.exprs = plan.exprs;
    obs.nexprs = plan.n;
    if (errs.n == 0) {
        /* a bundle may set v0_compatible */
        gh_load_opts lo = {.v0_compatible = l.v0_compatible, .strict = ea->strict_mode};
        rev = gh_revision_load(l.modules, l.nmodules, l.data, &lo, &diags);
        if (!rev) cli_errors_add_diags(&errs, &diags);
    }
    if (errs.n == 0) {
        gh_revision_timings(rev, &obs.m.module_parse_ns, &obs.m.module_compile_ns);
        q = gh_query_prepare(rev, plan.text.data, plan.text.len, &diags);
        if (!q) cli_errors_add_diags(&errs, &diags);
    }
    if (errs.n == 0) {
        gh_query_timings(q, &obs.m.query_parse_ns, &obs.m.query_compile_ns);
        gh_eval_opts eo = {.strict_builtin_errors = ea->strict};
        ev = gh_evaluator_new(&eo);
        if (!ev)
            cli_errors_add(&errs, "eval_internal_error", "out of memory", "", 0, 0, NULL);
        else
            evaluate(ev, q, input, &rows, &obs, &l, &errs);
    }
    if (errs.n) {
        cli_errors_print(&errs, ea->fmt == FMT_JSON);
        status = CLI_USAGE;
    } else {
        gh_buf out;
        gh_buf_init(&out, 0);
        switch (ea->fmt) {
        case FMT_JSON: print_json(&plan, ea->query, rows, &obs, &out); break;
        case FMT_VALUES: print_values(&plan, rows, &out); break;
        case FMT_BINDINGS: print_bindings(rows, &out); break;
        case FMT_RAW: print_raw(&plan, rows, &out); break;
        case FMT_PRETTY:
            obs_pretty_trace(&obs, &out);
            print_pretty(&plan, ea->query, rows, &out);
            obs_pretty_tables(&obs, &out);
            break;
        }
        if (out.data) fputs(out.data, stdout);
        gh_buf_free(&out);
        bool defined = gh_value_len(rows) > 0;
        if ((ea->fail && !defined) || (ea->fail_defined && defined)) status = CLI_FAIL;
    }
    obs_free(&obs);
    if (ev) gh_evaluator_free(ev);
    if (q) gh_query_free(q);
    if (rev) gh_revision_release(rev);
    gh_diags_free(&diags);
    free(plan.exprs);
    gh_buf_free(&plan.text);
    cli_errors_free(&errs);
    loader_free(&l);
    gh_arena_free(&arena);
    return status;
}
#else
static int run_eval(const eval_args *ea)
{
    (void)ea;
    (void)print_json, (void)print_values, (void)print_bindings, (void)print_raw;
    (void)print_pretty, (void)load_input, (void)plan_query;
    fprintf(stderr, "gatehouse eval: this build has no evaluator yet\n");
    return CLI_USAGE;
}
#endif

enum { OPT_METRICS = 256, OPT_PROFILE, OPT_PROFILE_SORT, OPT_PROFILE_LIMIT, OPT_EXPLAIN };

/* The observability options, as opa eval takes them: --profile-sort and --profile-limit
 * imply --profile, which implies --metrics. Criteria are checked when the profile is
 * sorted. Returns 0 or -1 (reported). */
static int parse_obs_option(eval_args *ea, int c, const char *arg, char *sort, size_t size)
{
    static const char *const modes[] = {"full", "notes", "fails"};
    char *end;
    switch (c) {
    case OPT_METRICS: ea->metrics = true; return 0;
    case OPT_PROFILE_SORT: {
        size_t have = strlen(sort);
        if (have + strlen(arg) + 2 > size) {
            fprintf(stderr, "gatehouse eval: --profile-sort: too many criteria\n");
            return -1;
        }
        char msg[256];
        gh_profile_row *rows = NULL;
        size_t n;
        if (gh_profile_rows(NULL, 0, arg, 0, &rows, &n, msg, sizeof msg) == GH_EINVAL) {
            fprintf(stderr, "gatehouse eval: %s\n", msg); /* checked now, not after the run */
            return -1;
        }
        free(rows);
        snprintf(sort + have, size - have, "%s%s", have ? "," : "", arg);
        ea->profile_sort = sort;
        break;
    }
    case OPT_PROFILE_LIMIT: {
        long n = strtol(arg, &end, 10);
        if (*end || end == arg || n < 0) {
            fprintf(stderr, "gatehouse eval: invalid --profile-limit '%s'\n", arg);
            return -1;
        }
        ea->profile_limit = (size_t)n;
        break;
    }
    case OPT_EXPLAIN:
        ea->explain = strcmp(arg, "debug") == 0 ? GH_EXPLAIN_FULL : EXPLAIN_OFF;
        for (int i = 0; i < 3; i++)
            if (strcmp(arg, modes[i]) == 0) ea->explain = i;
        if (ea->explain == EXPLAIN_OFF && strcmp(arg, "off") != 0 && strcmp(arg, "debug") != 0) {
            fprintf(stderr,
                    "gatehouse eval: unknown --explain mode '%s' (notes, fails, full, debug, "
                    "off)\n",
                    arg);
            return -1;
        }
        return 0;
    default: break;
    }
    ea->profile = ea->metrics = true;
    return 0;
}

static int parse_format(const char *s, enum fmt *out)
{
    static const char *const names[] = {"json", "values", "bindings", "raw", "pretty"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) return *out = (enum fmt)i, 0;
    return -1;
}

int cmd_eval(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"bundle", required_argument, NULL, 'b'},
        {"ignore", required_argument, NULL, 'g'},
        {"input", required_argument, NULL, 'i'},
        {"stdin-input", no_argument, NULL, 'I'},
        {"format", required_argument, NULL, 'f'},
        {"v0-compatible", no_argument, NULL, 'V'},
        {"strict-builtin-errors", no_argument, NULL, 's'},
        {"strict", no_argument, NULL, 'S'},
        {"fail", no_argument, NULL, 'F'},
        {"fail-defined", no_argument, NULL, 'D'},
        {"metrics", no_argument, NULL, OPT_METRICS},
        {"profile", no_argument, NULL, OPT_PROFILE},
        {"profile-sort", required_argument, NULL, OPT_PROFILE_SORT},
        {"profile-limit", required_argument, NULL, OPT_PROFILE_LIMIT},
        {"explain", required_argument, NULL, OPT_EXPLAIN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    eval_args ea = {.explain = EXPLAIN_OFF, .profile_limit = 10};
    char sort[512] = "";
    char **data = calloc(3 * ((size_t)argc + 1), sizeof *data);
    if (!data) return CLI_USAGE;
    ea.data = data;
    ea.bundles = data + argc + 1;
    ea.ignore = data + 2 * (argc + 1);
    int c, status = -1;
    optind = 1;
    while (status < 0 && (c = getopt_long(argc, argv, "d:b:i:If:shS", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': data[ea.ndata++] = optarg; break;
        case 'b': ea.bundles[ea.nbundles++] = optarg; break;
        case 'g': ea.ignore[ea.nignore++] = optarg; break;
        case 'i': ea.input_path = optarg; break;
        case 'I': ea.stdin_input = true; break;
        case 'f':
            if (parse_format(optarg, &ea.fmt) != 0) {
                fprintf(stderr,
                        "gatehouse eval: unknown format '%s' (json, values, bindings, "
                        "raw or pretty)\n",
                        optarg);
                status = CLI_USAGE;
            }
            break;
        case 'V': ea.v0 = true; break;
        case 'S': ea.strict_mode = true; break;
        case 's': ea.strict = true; break;
        case 'F': ea.fail = true; break;
        case 'D': ea.fail_defined = true; break;
        case OPT_METRICS:
        case OPT_PROFILE:
        case OPT_PROFILE_SORT:
        case OPT_PROFILE_LIMIT:
        case OPT_EXPLAIN:
            if (parse_obs_option(&ea, c, optarg, sort, sizeof sort) != 0) status = CLI_USAGE;
            break;
        case 'h':
            fputs(eval_usage, stdout);
            status = CLI_OK;
            break;
        default:
            fputs(eval_usage, stderr);
            status = CLI_USAGE;
            break;
        }
    }
    if (status < 0 && ea.input_path && ea.stdin_input) {
        fprintf(stderr, "gatehouse eval: -i and --stdin-input exclude each other\n");
        status = CLI_USAGE;
    }
    if (status < 0 && optind != argc - 1) {
        fprintf(stderr, "gatehouse eval: expected exactly one QUERY\n\n%s", eval_usage);
        status = CLI_USAGE;
    }
    if (status < 0) {
        ea.query = argv[optind];
        status = run_eval(&ea);
    }
    free(data);
    return status;
}
