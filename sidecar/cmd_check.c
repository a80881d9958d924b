/* gatehouse check: parses and compiles every .rego file under the given paths together,
 * as one policy, and reports every error (parse, compile, type, safety, recursion). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gatehouse/arena.h"
#include "gatehouse/diag.h"
#include "gatehouse/engine.h"
#include "gatehouse/value.h"

static const char check_usage[] =
    "usage: gatehouse check [--v0-compatible] [--format pretty|json] PATH...\n\n"
    "Parses and compiles every .rego file under each PATH (directories recursively) as one\n"
    "policy and reports every error found (rego_parse_error, rego_compile_error,\n"
    "rego_type_error, rego_unsafe_var_error, rego_recursion_error) as\n"
    "file:line:col: code: message, with the source line and a caret.\n\n"
    "options:\n"
    "      --v0-compatible   accept Rego v0 syntax\n"
    "  -f, --format FORMAT   pretty (default) or json ({\"errors\": [...]}, like opa)\n"
    "  -h, --help            show this help\n\n"
    "Exit status: 0 no errors, 1 errors found, 2 usage or I/O errors.\n";

typedef struct check_run {
    gh_load_opts opts;
    gh_diags diags;    /* every error, parse errors in file order first */
    gh_source *srcs;   /* the modules read (text malloc'd, name borrowed from argv or strdup'd) */
    size_t n, cap;
    bool io_error;
} check_run;

static void check_file(const char *path, void *ctx)
{
    check_run *r = ctx;
    char *src;
    size_t len;
    if (cli_read_file(path, &src, &len) != 0) {
        r->io_error = true;
        return;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        gh_source *grown = realloc(r->srcs, cap * sizeof *grown);
        if (!grown) {
            free(src);
            r->io_error = true;
            return;
        }
        r->srcs = grown;
        r->cap = cap;
    }
    r->srcs[r->n++] = (gh_source){.name = strdup(path), .text = src, .len = len};
}

/* All modules compiled together: parse errors of every file, or, when all parse, the
 * compiler's errors. */
static void check_compile(check_run *r)
{
    if (!r->n) return;
    gh_revision *rev = gh_revision_load(r->srcs, r->n, NULL, &r->opts, &r->diags);
    if (rev) gh_revision_release(rev);
}

/* A JSON string literal through the value model's writer (Go's escaping). */
static void json_string(gh_buf *b, const char *s)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    const gh_value *v = gh_value_string(&a, s, strlen(s));
    if (v) gh_json_write(b, v, 0);
    gh_arena_free(&a);
}

/* {"errors":[{"message","code","location":{"file","row","col"}}]} as opa check --format json. */
static void print_json(const gh_diags *d)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_buf_puts(&b, "{\n  \"errors\": [");
    for (size_t i = 0; i < d->n; i++) {
        const gh_diag *g = &d->items[i];
        gh_buf_puts(&b, i ? ",\n    {\n      \"message\": " : "\n    {\n      \"message\": ");
        json_string(&b, g->msg);
        gh_buf_puts(&b, ",\n      \"code\": ");
        json_string(&b, g->code);
        gh_buf_puts(&b, ",\n      \"location\": {\n        \"file\": ");
        json_string(&b, g->file);
        gh_buf_printf(&b, ",\n        \"row\": %d,\n        \"col\": %d\n      }\n    }", g->line,
                      g->col);
    }
    gh_buf_puts(&b, d->n ? "\n  ]\n}\n" : "]\n}\n");
    fputs(b.data, stdout);
    gh_buf_free(&b);
}

static void print_pretty(const gh_diags *d)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    size_t total = d->n + d->dropped;
    gh_buf_printf(&b, "%zu error%s occurred:\n", total, total == 1 ? "" : "s");
    gh_diags_format(d, &b);
    fputs(b.data, stderr);
    gh_buf_free(&b);
}

int cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"v0-compatible", no_argument, NULL, 'V'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    check_run r = {0};
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'V': r.opts.v0_compatible = true; break;
        case 'f':
            if (strcmp(optarg, "json") == 0) json = true;
            else if (strcmp(optarg, "pretty") == 0) json = false;
            else {
                fprintf(stderr, "gatehouse check: unknown format '%s' (pretty or json)\n", optarg);
                return CLI_USAGE;
            }
            break;
        case 'h': fputs(check_usage, stdout); return CLI_OK;
        default: fputs(check_usage, stderr); return CLI_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "gatehouse check: expected at least one PATH\n\n%s", check_usage);
        return CLI_USAGE;
    }
    gh_diags_init(&r.diags);
    r.diags.max = 1000;
    if (cli_walk(argv + optind, argc - optind, ".rego", check_file, &r) != 0) r.io_error = true;
    check_compile(&r);
    int status = r.io_error ? CLI_USAGE : r.diags.n ? CLI_FAIL : CLI_OK;
    if (json) print_json(&r.diags);
    else if (r.diags.n) print_pretty(&r.diags);
    for (size_t i = 0; i < r.n; i++) {
        free((char *)r.srcs[i].name);
        free((char *)r.srcs[i].text);
    }
    free(r.srcs);
    gh_diags_free(&r.diags);
    return status;
}
