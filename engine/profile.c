/* Profile reports: per-expression statistics (vm_hooks.c) summed per file and row, as
 * OPA's profiler keys them, then sorted by OPA's criteria and cut to a limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/engine.h"
#include "gatehouse/error.h"

enum crit { C_TIME, C_EVAL, C_REDO, C_GEN, C_FILE, C_LINE, C_MAX = 18 };

static const char *const crit_names[] = {"total_time_ns", "num_eval", "num_redo",
                                         "num_gen_expr",  "file",     "line"};

/* "a,b,c" into crit codes; false with err naming the bad one. */
static bool parse_criteria(const char *s, int *crit, size_t *n, char *err, size_t errsize)
{
    *n = 0;
    while (*s) {
        size_t len = strcspn(s, ",");
        int found = -1;
        for (int k = 0; k < 6; k++)
            if (strlen(crit_names[k]) == len && strncmp(s, crit_names[k], len) == 0) found = k;
        if (found < 0 || *n + 2 >= C_MAX) {
            snprintf(err, errsize,
                     "unknown profile sort criterion '%.*s' (total_time_ns, num_eval, num_redo, "
                     "num_gen_expr, file, line)",
                     (int)len, s);
            return false;
        }
        crit[(*n)++] = found;
        s += len;
        if (*s == ',') s++;
    }
    return true;
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
    return (a < b) - (a > b);
}

static int cmp_by(const gh_profile_row *a, const gh_profile_row *b, int c)
{
    switch (c) {
    case C_TIME: return cmp_u64_desc(a->time_ns, b->time_ns);
    case C_EVAL: return cmp_u64_desc(a->num_eval, b->num_eval);
    case C_REDO: return cmp_u64_desc(a->num_redo, b->num_redo);
    case C_GEN: return cmp_u64_desc(a->num_gen_expr, b->num_gen_expr);
    case C_FILE: return -strcmp(a->file, b->file);
    default: return (a->row < b->row) - (a->row > b->row);
    }
}

/* qsort has no context argument: the criteria of the sort under way (one per call). */
static _Thread_local const int *sort_crit;
static _Thread_local size_t sort_ncrit;

static int cmp_rows(const void *x, const void *y)
{
    const gh_profile_row *a = x, *b = y;
    for (size_t i = 0; i < sort_ncrit; i++) {
        int c = cmp_by(a, b, sort_crit[i]);
        if (c) return c;
    }
    return 0;
}

/* The stats sorted by first sight, so each row takes the location of its first expression. */
static int cmp_seq(const void *x, const void *y)
{
    const gh_expr_stat *a = *(const gh_expr_stat *const *)x, *b = *(const gh_expr_stat *const *)y;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Sums stats per file:row into rows (at most n). Returns the number of rows. */
static size_t sum_rows(const gh_expr_stat **by_seq, size_t n, gh_profile_row *rows)
{
    size_t nrows = 0;
    for (size_t i = 0; i < n; i++) {
        const gh_expr_stat *s = by_seq[i];
        gh_profile_row *r = NULL;
        for (size_t j = 0; j < nrows && !r; j++)
            if (rows[j].row == s->row && strcmp(rows[j].file, s->file) == 0) r = &rows[j];
        if (!r) {
            r = &rows[nrows++];
            *r = (gh_profile_row){s->file, s->row, s->col, s->off, s->end, 0, 0, 0, 0};
        }
        r->time_ns += s->time_ns;
        r->num_eval += s->num_eval;
        r->num_redo += s->num_redo;
        r->num_gen_expr++;
    }
    return nrows;
}

int gh_profile_rows(const gh_expr_stat *stats, size_t n, const char *sort, size_t limit,
                    gh_profile_row **rows, size_t *nrows, char *err, size_t errsize)
{
    int crit[C_MAX];
    size_t ncrit;
    *rows = NULL;
    *nrows = 0;
    if (!parse_criteria(sort ? sort : "total_time_ns,num_eval,num_redo,file,line", crit, &ncrit,
                        err, errsize))
        return GH_EINVAL;
    if (ncrit + 2 <= C_MAX) { /* ties in the order asked for: by place, so runs agree */
        crit[ncrit++] = C_FILE;
        crit[ncrit++] = C_LINE;
    }
    const gh_expr_stat **by_seq = malloc((n ? n : 1) * sizeof *by_seq);
    gh_profile_row *r = malloc((n ? n : 1) * sizeof *r);
    if (!by_seq || !r) {
        free(by_seq);
        free(r);
        return GH_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        by_seq[i] = &stats[i];
    qsort(by_seq, n, sizeof *by_seq, cmp_seq);
    size_t m = sum_rows(by_seq, n, r);
    free(by_seq);
    sort_crit = crit;
    sort_ncrit = ncrit;
    qsort(r, m, sizeof *r, cmp_rows);
    *rows = r;
    *nrows = limit && limit < m ? limit : m;
    return 0;
}
