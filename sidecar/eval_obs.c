/* gatehouse eval --metrics, --profile and --explain: takes what the engine gathered, maps
 * the query's expressions back from cmd_eval's rewrite to the query as written, and prints
 * them as opa eval does (JSON members, tablewriter tables, PrettyTraceWithLocation).
 *
 * cmd_eval rewrites each valued expression E to `gh_eN_ := E; gh_eN_ != false`: the engine
 * sees two expressions where the user wrote one. Statistics and events of the first are
 * E's; of the second, only a Fail matters (E was false) and it is E's Fail. */
#include "eval_obs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/error.h"
#include "gatehouse/testing.h"

/* ---- the query as written ---- */

/* The expression whose rewritten main part (*suffix = false) or added check (true) holds
 * byte `off` of the rewritten query, or NULL. */
static const qexpr *query_expr(const eval_obs *o, uint32_t off, bool *suffix)
{
    for (size_t i = 0; i < o->nexprs; i++) {
        const qexpr *x = &o->exprs[i];
        if (off >= x->roff && off < x->rend) return *suffix = false, x;
        if (off >= x->soff && off < x->send) return *suffix = true, x;
    }
    return NULL;
}

static bool in_query(const char *file)
{
    return file && strcmp(file, "query") == 0;
}

/* The text of an event's expression: the query as written for the query's own, the module
 * source otherwise. */
static const char *event_text(void *ud, const gh_trace_event *e, size_t *len)
{
    const eval_obs *o = ud;
    if (!in_query(e->file)) return gh_trace_source_text(o->modules, o->nmodules, e, len);
    if (e->node == GH_TNODE_BODY) {
        *len = strlen(o->query);
        return o->query;
    }
    *len = e->end - e->off;
    return e->end >= e->off && e->end <= strlen(o->query) ? o->query + e->off : NULL;
}

/* Moves a query location from the rewritten text to the text as written; false when it
 * belongs to no expression or to an added check (the caller decides). */
static bool map_back(const eval_obs *o, uint32_t *off, uint32_t *end, int *row, int *col,
                     bool *suffix)
{
    const qexpr *x = query_expr(o, *off, suffix);
    if (!x) return false;
    *off = x->off;
    *end = x->end;
    *row = x->row;
    *col = x->col;
    return true;
}

/* ---- collecting ---- */

static int collect_profile(eval_obs *o, const gh_evaluator *ev, char *err, size_t errsize)
{
    gh_expr_stat *st = NULL;
    size_t n = 0, k = 0;
    if (gh_evaluator_profile(ev, &st, &n) != 0) {
        free(st);
        snprintf(err, errsize, "profile: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        gh_expr_stat s = st[i];
        bool suffix = false;
        if (in_query(s.file) &&
            (!map_back(o, &s.off, &s.end, &s.row, &s.col, &suffix) || suffix))
            continue; /* the rewrite's own check */
        st[k++] = s;
    }
    int rc = gh_profile_rows(st, k, o->sort, o->profile_limit, &o->rows, &o->nrows, err, errsize);
    free(st);
    if (rc == GH_ENOMEM) snprintf(err, errsize, "profile: out of memory");
    return rc ? -1 : 0;
}

static int collect_trace(eval_obs *o, const gh_evaluator *ev, char *err, size_t errsize)
{
    size_t n;
    bool truncated;
    const gh_trace_event *src = gh_evaluator_explain(ev, &n, &truncated);
    o->events = malloc((n ? n : 1) * sizeof *o->events);
    if (!o->events) return snprintf(err, errsize, "explain: out of memory"), -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        gh_trace_event e = src[i];
        bool suffix = false;
        if (in_query(e.file) && e.node == GH_TNODE_EXPR) {
            bool mapped = map_back(o, &e.off, &e.end, &e.row, &e.col, &suffix);
            if (!mapped || (suffix && e.op != GH_TRACE_FAIL && e.op != GH_TRACE_NOTE)) continue;
        }
        o->events[k++] = e;
    }
    if (truncated) fprintf(stderr, "gatehouse eval: explanation cut after %zu events\n", n);
    if (gh_trace_filter(o->events, k, (gh_explain_mode)o->explain, &o->shown, &o->nshown) != 0)
        return snprintf(err, errsize, "explain: out of memory"), -1;
    o->nevents = k;
    return 0;
}

int obs_collect(eval_obs *o, const gh_evaluator *ev, char *err, size_t errsize)
{
    if (o->profile && collect_profile(o, ev, err, errsize) != 0) return -1;
    if (o->explain != EXPLAIN_OFF && collect_trace(o, ev, err, errsize) != 0) return -1;
    return 0;
}

void obs_free(eval_obs *o)
{
    free(o->rows);
    free(o->events);
    free(o->shown);
    o->rows = NULL;
    o->events = NULL;
    o->shown = NULL;
}

/* ---- JSON ---- */

static void put_json_str(gh_buf *b, const char *s, size_t n)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    const gh_value *v = gh_value_string(&a, s, n);
    if (v) gh_json_write(b, v, GH_JSON_ESCAPE_HTML);
    gh_arena_free(&a);
}

typedef struct metric {
    const char *name;
    uint64_t v;
} metric;

/* OPA's timer names, sorted as its JSON (a Go map) and its table sort them. */
static size_t metric_list(const eval_metrics *m, metric *out)
{
    metric all[] = {
        {"timer_rego_load_files_ns", m->load_files_ns},
        {"timer_rego_module_compile_ns", m->module_compile_ns},
        {"timer_rego_module_parse_ns", m->module_parse_ns},
        {"timer_rego_query_compile_ns", m->query_compile_ns},
        {"timer_rego_query_eval_ns", m->query_eval_ns},
        {"timer_rego_query_parse_ns", m->query_parse_ns},
    };
    memcpy(out, all, sizeof all);
    return sizeof all / sizeof all[0];
}

static void json_metrics(const eval_obs *o, gh_buf *b)
{
    metric ms[8];
    size_t n = metric_list(&o->m, ms);
    gh_buf_puts(b, ",\n  \"metrics\": {\n");
    for (size_t i = 0; i < n; i++)
        gh_buf_printf(b, "    \"%s\": %llu%s\n", ms[i].name, (unsigned long long)ms[i].v,
                      i + 1 < n ? "," : "");
    gh_buf_puts(b, "  }");
}

static void json_location(gh_buf *b, const char *file, int row, int col, int ind)
{
    gh_buf_printf(b, "{\n%*s\"file\": ", ind + 2, "");
    put_json_str(b, in_query(file) ? "" : file, in_query(file) ? 0 : strlen(file));
    gh_buf_printf(b, ",\n%*s\"row\": %d,\n%*s\"col\": %d\n%*s}", ind + 2, "", row, ind + 2, "",
                  col, ind, "");
}

static const char *const op_names[] = {"Enter", "Exit", "Eval", "Redo", "Fail", "Note"};

/* The events as OPA's Event marshals (its Go field names); the AST node is left out. */
static void json_explanation(const eval_obs *o, gh_buf *b)
{
    gh_buf_puts(b, ",\n  \"explanation\": [");
    for (size_t i = 0; i < o->nshown; i++) {
        const gh_trace_event *e = o->shown[i];
        gh_buf_printf(b, "%s\n    {\n      \"Op\": \"%s\",\n      \"Location\": ", i ? "," : "",
                      op_names[e->op]);
        json_location(b, e->file ? e->file : "", e->row, e->col, 6);
        gh_buf_printf(b, ",\n      \"QueryID\": %llu,\n      \"ParentID\": %llu",
                      (unsigned long long)e->qid, (unsigned long long)e->parent);
        if (e->op == GH_TRACE_NOTE) {
            gh_buf_puts(b, ",\n      \"Message\": ");
            put_json_str(b, e->message ? e->message : "", e->message_len);
        }
        gh_buf_puts(b, "\n    }");
    }
    gh_buf_puts(b, o->nshown ? "\n  ]" : "]");
}

static void json_profile(const eval_obs *o, gh_buf *b)
{
    gh_buf_puts(b, ",\n  \"profile\": [");
    for (size_t i = 0; i < o->nrows; i++) {
        const gh_profile_row *r = &o->rows[i];
        gh_buf_printf(b,
                      "%s\n    {\n      \"total_time_ns\": %llu,\n      \"num_eval\": %llu,\n"
                      "      \"num_redo\": %llu,\n      \"num_gen_expr\": %llu,\n"
                      "      \"location\": ",
                      i ? "," : "", (unsigned long long)r->time_ns,
                      (unsigned long long)r->num_eval, (unsigned long long)r->num_redo,
                      (unsigned long long)r->num_gen_expr);
        json_location(b, r->file, r->row, r->col, 6);
        gh_buf_puts(b, "\n    }");
    }
    gh_buf_puts(b, o->nrows ? "\n  ]" : "]");
}

void obs_json(const eval_obs *o, gh_buf *b)
{
    if (o->metrics) json_metrics(o, b);
    if (o->explain != EXPLAIN_OFF && o->nshown) json_explanation(o, b);
    if (o->profile && o->nrows) json_profile(o, b);
}

/* ---- pretty ---- */

void obs_pretty_trace(const eval_obs *o, gh_buf *b)
{
    if (o->explain == EXPLAIN_OFF || !o->nshown) return;
    gh_trace_pretty(o->shown, o->nshown, event_text, (void *)o, b);
}

/* Display width of UTF-8 text (one column per code point: durations carry "µ"). */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

/* olekukonko/tablewriter's default look, as opa uses it: headers upper-cased and centred,
 * cells left-aligned, +---+ rules. cells is nrows x ncols. */
static void put_table(gh_buf *b, const char *const *hdr, size_t ncols, char **cells, size_t nrows)
{
    size_t w[8] = {0};
    for (size_t c = 0; c < ncols && c < 8; c++) {
        w[c] = strlen(hdr[c]);
        for (size_t r = 0; r < nrows; r++)
            if (text_width(cells[r * ncols + c]) > w[c]) w[c] = text_width(cells[r * ncols + c]);
    }
    gh_buf rule;
    gh_buf_init(&rule, 0);
    for (size_t c = 0; c < ncols; c++) {
        gh_buf_putc(&rule, '+');
        for (size_t k = 0; k < w[c] + 2; k++)
            gh_buf_putc(&rule, '-');
    }
    gh_buf_puts(&rule, "+\n");
    gh_buf_puts(b, rule.data);
    for (size_t c = 0; c < ncols; c++) {
        size_t hl = strlen(hdr[c]), left = (w[c] - hl) / 2;
        gh_buf_printf(b, "| %*s%s%*s ", (int)left, "", hdr[c], (int)(w[c] - hl - left), "");
    }
    gh_buf_puts(b, "|\n");
    gh_buf_puts(b, rule.data);
    for (size_t r = 0; r < nrows; r++) {
        for (size_t c = 0; c < ncols; c++) {
            const char *cell = cells[r * ncols + c];
            gh_buf_printf(b, "| %s%*s ", cell, (int)(w[c] - text_width(cell)), "");
        }
        gh_buf_puts(b, "|\n");
    }
    gh_buf_puts(b, rule.data);
    gh_buf_free(&rule);
}

static void pretty_metrics(const eval_obs *o, gh_buf *b)
{
    static const char *const hdr[] = {"METRIC", "VALUE"};
    metric ms[8];
    size_t n = metric_list(&o->m, ms);
    char *cells[16];
    char vals[8][24];
    for (size_t i = 0; i < n; i++) {
        snprintf(vals[i], sizeof vals[i], "%llu", (unsigned long long)ms[i].v);
        cells[2 * i] = (char *)ms[i].name;
        cells[2 * i + 1] = vals[i];
    }
    put_table(b, hdr, 2, cells, n);
}

/* A row's location as OPA's Location.String: "file:row", or the expression's text for the
 * query (whose file is empty in OPA). */
static char *row_location(const eval_obs *o, const gh_profile_row *r)
{
    char buf[512];
    if (in_query(r->file)) {
        size_t n = r->end > r->off ? r->end - r->off : 0;
        if (r->end > strlen(o->query)) n = 0;
        snprintf(buf, sizeof buf, "%.*s", (int)n, o->query + (n ? r->off : 0));
    } else {
        snprintf(buf, sizeof buf, "%s:%d", r->file, r->row);
    }
    return strdup(buf);
}

static void pretty_profile(const eval_obs *o, gh_buf *b)
{
    static const char *const hdr[] = {"TIME", "NUM EVAL", "NUM REDO", "NUM GEN EXPR", "LOCATION"};
    char **cells = calloc(o->nrows * 5 + 1, sizeof *cells);
    if (!cells) return;
    bool ok = true;
    for (size_t i = 0; i < o->nrows; i++) {
        const gh_profile_row *r = &o->rows[i];
        char t[64], e[24], d[24], g[24];
        gh_test_format_duration(r->time_ns, t, sizeof t);
        snprintf(e, sizeof e, "%llu", (unsigned long long)r->num_eval);
        snprintf(d, sizeof d, "%llu", (unsigned long long)r->num_redo);
        snprintf(g, sizeof g, "%llu", (unsigned long long)r->num_gen_expr);
        char **row = &cells[i * 5];
        row[0] = strdup(t), row[1] = strdup(e), row[2] = strdup(d), row[3] = strdup(g);
        row[4] = row_location(o, r);
        for (int c = 0; c < 5; c++)
            ok = ok && row[c];
    }
    if (ok) put_table(b, hdr, 5, cells, o->nrows);
    for (size_t i = 0; i < o->nrows * 5; i++)
        free(cells[i]);
    free(cells);
}

void obs_pretty_tables(const eval_obs *o, gh_buf *b)
{
    if (o->metrics) pretty_metrics(o, b);
    if (o->profile && o->nrows) pretty_profile(o, b);
}
