/* gatehouse fmt: formats Rego modules (engine/fmt.c) to stdout, in place (-w), as a list
 * of files that differ (-l) or as a unified diff (-d), with `opa fmt`'s exit codes. A
 * file whose formatting cannot be verified is never rewritten. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "fmt.h"
#include "gatehouse/error.h"

static const char fmt_usage[] =
    "usage: gatehouse fmt [-w] [-l] [-d] [--fail] [--v0-compatible] [--drop-v0-imports] PATH...\n\n"
    "Formats Rego modules in the canonical layout (as `opa fmt`). PATH may be a file, a\n"
    "directory (every .rego file below it) or - for standard input. With no option the\n"
    "formatted modules are printed.\n\n"
    "options:\n"
    "  -w, --write           rewrite files whose formatting differs\n"
    "  -l, --list            list files whose formatting differs\n"
    "  -d, --diff            print a unified diff of the changes formatting would make\n"
    "      --fail            exit 1 when some file's formatting differs\n"
    "      --v0-compatible   modules are Rego v0; output keeps v0 syntax\n"
    "      --drop-v0-imports leave out `import rego.v1` and `future.keywords` imports\n"
    "  -h, --help            show this help\n\n"
    "Every output is checked: it must parse to the same syntax tree with the same comments,\n"
    "or the file is left alone and the reason printed.\n\n"
    "Exit status: 0 ok, 1 parse/format errors (or differences with --fail), 2 usage or I/O.\n";

typedef struct fmt_run {
    bool write, list, diff, fail_on_diff;
    gh_fmt_opts opts;
    int status;
    bool differed;
} fmt_run;

/* ---- unified diff of two texts, by lines (LCS; whole-file hunk when too large) ---- */

typedef struct lines {
    const char **p;
    size_t *n;
    size_t count;
} lines;

static void split_lines(const char *s, size_t len, lines *l)
{
    l->count = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n' || i + 1 == len) l->count++;
    l->p = calloc(l->count + 1, sizeof *l->p);
    l->n = calloc(l->count + 1, sizeof *l->n);
    size_t k = 0, start = 0;
    for (size_t i = 0; l->p && l->n && i < len; i++) {
        if (s[i] == '\n' || i + 1 == len) {
            l->p[k] = s + start;
            l->n[k++] = i + 1 - start;
            start = i + 1;
        }
    }
}

static bool line_eq(const lines *a, size_t i, const lines *b, size_t j)
{
    return a->n[i] == b->n[j] && memcmp(a->p[i], b->p[j], a->n[i]) == 0;
}

/* ops: '=' same, '-' only in a, '+' only in b; returns their count. */
static size_t diff_ops(const lines *a, const lines *b, char *ops)
{
    size_t n = a->count, m = b->count, k = 0;
    unsigned *t = (n + 1) * (m + 1) <= 4000000 ? calloc((n + 1) * (m + 1), sizeof *t) : NULL;
    if (!t) {
        for (size_t i = 0; i < n; i++) ops[k++] = '-';
        for (size_t j = 0; j < m; j++) ops[k++] = '+';
        return k;
    }
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            t[i * (m + 1) + j] = line_eq(a, i, b, j) ? t[(i + 1) * (m + 1) + j + 1] + 1
                                 : t[(i + 1) * (m + 1) + j] > t[i * (m + 1) + j + 1]
                                     ? t[(i + 1) * (m + 1) + j]
                                     : t[i * (m + 1) + j + 1];
    size_t i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && line_eq(a, i, b, j)) ops[k++] = '=', i++, j++;
        else if (i < n && (j == m || t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1])) ops[k++] = '-', i++;
        else ops[k++] = '+', j++;
    }
    free(t);
    return k;
}

static void put_line(char mark, const char *p, size_t n)
{
    putchar(mark);
    fwrite(p, 1, n, stdout);
    if (n == 0 || p[n - 1] != '\n') fputs("\n\\ No newline at end of file\n", stdout);
}

/* One hunk: ops[from..to) with a starting at line ai and b at line bj. */
static void hunk(const char *ops, size_t from, size_t to, size_t ai, size_t bj, const lines *a,
                 const lines *b)
{
    size_t na = 0, nb = 0;
    for (size_t k = from; k < to; k++) {
        if (ops[k] != '+') na++;
        if (ops[k] != '-') nb++;
    }
    printf("@@ -%zu,%zu +%zu,%zu @@\n", na ? ai + 1 : ai, na, nb ? bj + 1 : bj, nb);
    for (size_t k = from; k < to; k++) {
        if (ops[k] == '=') put_line(' ', a->p[ai], a->n[ai]), ai++, bj++;
        else if (ops[k] == '-') put_line('-', a->p[ai], a->n[ai]), ai++;
        else put_line('+', b->p[bj], b->n[bj]), bj++;
    }
}

static void print_hunks(const char *ops, size_t nops, const lines *a, const lines *b)
{
    enum { CTX = 3 };
    size_t k = 0, ai = 0, bj = 0;
    while (k < nops) {
        if (ops[k] == '=') {
            k++, ai++, bj++;
            continue;
        }
        size_t back = 0;
        while (back < CTX && back < k && ops[k - back - 1] == '=') back++;
        size_t start = k - back, sa = ai - back, sb = bj - back, end = k, same = 0;
        while (end < nops && same <= 2 * CTX) {
            same = ops[end] == '=' ? same + 1 : 0;
            if (ops[end] != '+') ai++;
            if (ops[end] != '-') bj++;
            end++;
        }
        size_t trim = same > CTX ? same - CTX : 0;
        hunk(ops, start, end - trim, sa, sb, a, b);
        k = end;
    }
}

static void print_diff(const char *path, const char *old, size_t on, const char *new, size_t nn)
{
    lines a, b;
    split_lines(old, on, &a);
    split_lines(new, nn, &b);
    char *ops = malloc(a.count + b.count + 1);
    if (a.p && a.n && b.p && b.n && ops) {
        printf("--- %s\n+++ %s (formatted)\n", path, path);
        print_hunks(ops, diff_ops(&a, &b, ops), &a, &b);
    } else {
        fprintf(stderr, "gatehouse fmt: %s: out of memory for the diff\n", path);
    }
    free(ops);
    free(a.p), free(a.n), free(b.p), free(b.n);
}

/* ---- one file ---- */

/* Replaces path's contents through a temporary file and a rename, keeping its mode. */
static int write_file(const char *path, const char *data, size_t len)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp) return -1;
    snprintf(tmp, n, "%s.fmt-tmp", path);
    FILE *fp = fopen(tmp, "wb");
    int rc = fp && fwrite(data, 1, len, fp) == len ? 0 : -1;
    if (fp && fclose(fp) != 0) rc = -1;
    struct stat st;
    if (rc == 0 && stat(path, &st) == 0 && chmod(tmp, st.st_mode & 07777) != 0) rc = -1;
    if (rc == 0 && rename(tmp, path) != 0) rc = -1;
    if (rc != 0) remove(tmp);
    free(tmp);
    return rc;
}

static void report(fmt_run *r, const char *path, const char *src, size_t len, const gh_buf *out)
{
    bool same = out->len == len && memcmp(out->data, src, len) == 0;
    if (!same) r->differed = true;
    if (r->list && !same) printf("%s\n", path);
    if (r->diff && !same) print_diff(path, src, len, out->data, out->len);
    if (r->write && !same && strcmp(path, "-") != 0 && write_file(path, out->data, out->len) != 0) {
        perror("gatehouse fmt: write");
        r->status = CLI_USAGE;
    }
    if (!r->list && !r->diff && !r->write) fwrite(out->data, 1, out->len, stdout);
}

static void fmt_one(const char *path, void *ctx)
{
    fmt_run *r = ctx;
    char *src;
    size_t len;
    if (cli_read_file(strcmp(path, "-") == 0 ? "/dev/stdin" : path, &src, &len) != 0) {
        r->status = CLI_USAGE;
        return;
    }
    gh_buf out, err;
    gh_buf_init(&out, 0);
    gh_buf_init(&err, 0);
    int rc = gh_fmt_source(path, src, len, &r->opts, &out, &err);
    if (rc != 0) {
        fprintf(stderr, "%s%s", err.data ? err.data : "gatehouse fmt: failed\n",
                err.len && err.data[err.len - 1] == '\n' ? "" : "\n");
        if (r->status == CLI_OK) r->status = CLI_FAIL;
    } else {
        report(r, path, src, len, &out);
    }
    gh_buf_free(&out);
    gh_buf_free(&err);
    free(src);
}

static int parse_flags(fmt_run *r, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"write", no_argument, NULL, 'w'},   {"list", no_argument, NULL, 'l'},
        {"diff", no_argument, NULL, 'd'},    {"fail", no_argument, NULL, 'F'},
        {"v0-compatible", no_argument, NULL, 'V'}, {"drop-v0-imports", no_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "wldh", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': r->write = true; break;
        case 'l': r->list = true; break;
        case 'd': r->diff = true; break;
        case 'F': r->fail_on_diff = true; break;
        case 'V': r->opts.v0_compatible = true; break;
        case 'D': r->opts.drop_v0_imports = true; break;
        case 'h': fputs(fmt_usage, stdout); return 1;
        default: fputs(fmt_usage, stderr); return -1;
        }
    }
    return 0;
}

int cmd_fmt(int argc, char **argv)
{
    fmt_run r = {0};
    int p = parse_flags(&r, argc, argv);
    if (p) return p > 0 ? CLI_OK : CLI_USAGE;
    if (optind >= argc) {
        fprintf(stderr, "gatehouse fmt: expected at least one PATH (- for stdin)\n\n%s", fmt_usage);
        return CLI_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0) {
            if (r.write) {
                fprintf(stderr, "gatehouse fmt: -w cannot rewrite standard input\n");
                return CLI_USAGE;
            }
            fmt_one("-", &r);
        } else if (cli_walk(&argv[i], 1, ".rego", fmt_one, &r) != 0) {
            r.status = CLI_USAGE;
        }
    }
    if (r.status == CLI_OK && r.fail_on_diff && r.differed) return CLI_FAIL;
    return r.status;
}
