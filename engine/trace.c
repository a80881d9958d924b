/* Explanations as OPA prints them: the lineage filters (notes, fails, full) and the text
 * of topdown.PrettyTraceWithLocation. The events come from vm_hooks.c. */
#include <stdlib.h>
#include <string.h>

#include "gatehouse/engine.h"
#include "gatehouse/error.h"

#define COLUMN_PADDING 4
#define MAX_VAR_WIDTH  32 /* OPA's maxExprVarWidth */

/* ---- lineage ---- */

static bool kept(const gh_trace_event *e, gh_explain_mode mode)
{
    if (mode == GH_EXPLAIN_NOTES) return e->op == GH_TRACE_NOTE;
    if (mode == GH_EXPLAIN_NOTES_FAILS) return e->op == GH_TRACE_NOTE || e->op == GH_TRACE_FAIL;
    return e->op == GH_TRACE_FAIL;
}

/* The latest Enter (or rule Redo) of each query since the last kept event, by query id. */
typedef struct qmap {
    const gh_trace_event **by_qid;
    size_t cap;
} qmap;

static const gh_trace_event *qmap_get(const qmap *m, uint64_t qid)
{
    return qid < m->cap ? m->by_qid[qid] : NULL;
}

int gh_trace_filter(const gh_trace_event *ev, size_t n, gh_explain_mode mode,
                    const gh_trace_event ***out, size_t *nout)
{
    uint64_t maxq = 0;
    for (size_t i = 0; i < n; i++)
        if (ev[i].qid > maxq) maxq = ev[i].qid;
    const gh_trace_event **res = malloc((n ? n : 1) * sizeof *res);
    qmap m = {calloc(maxq + 1, sizeof *m.by_qid), maxq + 1};
    const gh_trace_event **path = malloc((maxq + 2) * sizeof *path);
    if (!res || !m.by_qid || !path) {
        free(res), free(m.by_qid), free(path);
        return GH_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const gh_trace_event *e = &ev[i];
        if (mode == GH_EXPLAIN_FULL) {
            res[k++] = e;
            continue;
        }
        if (kept(e, mode)) {
            size_t np = 0;
            /* the queries leading to it, innermost first; each query appears once */
            const gh_trace_event *cur = qmap_get(&m, e->qid), *prev = NULL;
            while (cur && cur != prev && np <= maxq) {
                path[np++] = cur;
                prev = cur;
                cur = qmap_get(&m, cur->parent);
            }
            while (np > 0)
                res[k++] = path[--np];
            res[k++] = e;
            memset(m.by_qid, 0, m.cap * sizeof *m.by_qid);
        }
        if (e->op == GH_TRACE_ENTER && e->node != GH_TNODE_EXPR && e->qid < m.cap)
            m.by_qid[e->qid] = e;
    }
    free(m.by_qid);
    free(path);
    *out = res;
    *nout = k;
    return 0;
}

/* ---- text ---- */

const char *gh_trace_source_text(const gh_source *modules, size_t n, const gh_trace_event *e,
                                 size_t *len)
{
    if (!e->file || e->end <= e->off) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!modules[i].name || strcmp(modules[i].name, e->file) != 0) continue;
        if (e->end > modules[i].len) return NULL;
        *len = e->end - e->off;
        return modules[i].text + e->off;
    }
    return NULL;
}

/* "file:row", or "query:row" (OPA's formatLocation without path shortening). */
static void put_location(gh_buf *b, const gh_trace_event *e)
{
    if (!e->file) return;
    gh_buf_printf(b, "%s:%d", e->file[0] ? e->file : "query", e->row);
}

/* Expression text on one line: each run of white space holding a line break becomes one
 * space (OPA prints the expression node, which has no line breaks). */
static void put_folded(gh_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        bool nl = false;
        while (j < n && strchr(" \t\r\n", s[j])) {
            nl |= s[j] == '\n';
            j++;
        }
        if (j > i) {
            if (nl)
                gh_buf_putc(b, ' ');
            else
                gh_buf_append(b, s + i, j - i);
            i = j;
            continue;
        }
        gh_buf_putc(b, s[i++]);
    }
}

/* Go's %q for a note's message: quotes, backslash escapes, printable UTF-8 kept. */
static void put_quoted(gh_buf *b, const char *s, size_t n)
{
    gh_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': gh_buf_puts(b, "\\\""); break;
        case '\\': gh_buf_puts(b, "\\\\"); break;
        case '\n': gh_buf_puts(b, "\\n"); break;
        case '\t': gh_buf_puts(b, "\\t"); break;
        case '\r': gh_buf_puts(b, "\\r"); break;
        default:
            if (c < 0x20 || c == 0x7f)
                gh_buf_printf(b, "\\x%02x", c);
            else
                gh_buf_putc(b, (char)c);
        }
    }
    gh_buf_putc(b, '"');
}

static const char *const op_names[] = {"Enter", "Exit", "Eval", "Redo", "Fail", "Note"};

/* Query depth as OPA's depths map: a query is one deeper than its parent. */
typedef struct depths {
    int *d;
    size_t cap;
} depths;

static int depth_of(depths *ds, const gh_trace_event *e)
{
    int d = e->qid < ds->cap ? ds->d[e->qid] : 0;
    if (d == 0) {
        d = (e->parent < ds->cap ? ds->d[e->parent] : 0) + 1;
        if (e->qid < ds->cap) ds->d[e->qid] = d;
    }
    return d;
}

static void put_event(gh_buf *b, const gh_trace_event *e, int depth, gh_trace_text_fn text,
                      void *ud)
{
    int spaces = e->op == GH_TRACE_ENTER ? depth : depth + 1;
    for (int i = 1; i < spaces; i++)
        gh_buf_puts(b, "| ");
    gh_buf_printf(b, "%s ", op_names[e->op]);
    if (e->op == GH_TRACE_NOTE) {
        put_quoted(b, e->message ? e->message : "", e->message_len);
        return;
    }
    size_t len = 0;
    const char *s = e->node == GH_TNODE_RULE ? NULL : text(ud, e, &len);
    if (s)
        put_folded(b, s, len);
    else if (e->name)
        gh_buf_puts(b, e->name);
}

/* "{x: 1, y: 2}": the event's defined variables by name, values cut as OPA's Truncate. */
static void put_vars(gh_buf *b, const gh_trace_event *e)
{
    const gh_trace_var **vs = malloc((e->nvars ? e->nvars : 1) * sizeof *vs);
    size_t n = 0;
    for (size_t i = 0; vs && i < e->nvars; i++) {
        if (!e->vars[i].value) continue;
        size_t at = n++;
        while (at > 0 && strcmp(vs[at - 1]->name, e->vars[i].name) > 0) {
            vs[at] = vs[at - 1];
            at--;
        }
        vs[at] = &e->vars[i];
    }
    gh_buf_putc(b, '{');
    gh_buf v;
    gh_buf_init(&v, 0);
    for (size_t i = 0; i < n; i++) {
        gh_buf_clear(&v);
        gh_value_to_rego(&v, vs[i]->value);
        gh_buf_printf(b, "%s%s: ", i ? ", " : "", vs[i]->name);
        gh_buf_append(b, v.data ? v.data : "", v.len > MAX_VAR_WIDTH ? MAX_VAR_WIDTH : v.len);
        if (v.len > MAX_VAR_WIDTH) gh_buf_puts(b, "...");
    }
    gh_buf_putc(b, '}');
    gh_buf_free(&v);
    free(vs);
}

/* Width of UTF-8 text in columns (one per code point), as Go pads it. */
static size_t text_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xc0) != 0x80;
    return w;
}

/* The rows of OPA's trace table: location, event, and (with vars) the variables; every
 * column but the last padded to its widest cell plus COLUMN_PADDING, then a space. */
static void pretty(const gh_trace_event *const *ev, size_t n, gh_trace_text_fn text, void *ud,
                   bool vars, gh_buf *out)
{
    uint64_t maxq = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i]->qid > maxq) maxq = ev[i]->qid;
        if (ev[i]->parent > maxq) maxq = ev[i]->parent;
    }
    depths ds = {calloc(maxq + 1, sizeof *ds.d), maxq + 1};
    if (!ds.d) ds.cap = 0;
    gh_buf *cells = calloc(2 * n + 1, sizeof *cells);
    size_t width[2] = {0, 0};
    for (size_t i = 0; cells && i < n; i++) {
        gh_buf_init(&cells[2 * i], 0);
        gh_buf_init(&cells[2 * i + 1], 0);
        put_location(&cells[2 * i], ev[i]);
        put_event(&cells[2 * i + 1], ev[i], depth_of(&ds, ev[i]), text, ud);
        for (int c = 0; c < 2; c++) {
            const gh_buf *cb = &cells[2 * i + c];
            size_t w = text_width(cb->data ? cb->data : "", cb->len);
            if (w > width[c]) width[c] = w;
        }
    }
    for (size_t i = 0; cells && i < n; i++) {
        for (int c = 0; c < (vars ? 2 : 1); c++) {
            const gh_buf *cb = &cells[2 * i + c];
            size_t w = text_width(cb->data ? cb->data : "", cb->len);
            gh_buf_append(out, cb->data ? cb->data : "", cb->len);
            gh_buf_printf(out, "%*s ", (int)(width[c] + COLUMN_PADDING - w), "");
        }
        if (vars)
            put_vars(out, ev[i]);
        else
            gh_buf_append(out, cells[2 * i + 1].data ? cells[2 * i + 1].data : "",
                          cells[2 * i + 1].len);
        gh_buf_putc(out, '\n');
    }
    for (size_t i = 0; cells && i < 2 * n; i++)
        gh_buf_free(&cells[i]);
    free(cells);
    free(ds.d);
}

void gh_trace_pretty(const gh_trace_event *const *ev, size_t n, gh_trace_text_fn text, void *ud,
                     gh_buf *out)
{
    pretty(ev, n, text, ud, false, out);
}

void gh_trace_pretty_vars(const gh_trace_event *const *ev, size_t n, gh_trace_text_fn text,
                          void *ud, gh_buf *out)
{
    pretty(ev, n, text, ud, true, out);
}
