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
#include "loader.h"

static const char check_usage[] =
    "usage: gatehouse check [--v0-compatible] [--strict] [--format pretty|json] [-b]\n"
    "                       [--ignore PATTERN]... PATH...\n\n"
    "Parses and compiles every .rego file under each PATH (directories recursively) as one\n"
    "policy and reports every error found (rego_parse_error, rego_compile_error,\n"
    "rego_type_error, rego_unsafe_var_error, rego_recursion_error) as\n"
    "file:line:col: code: message, with the source line and a caret.\n\n"
    "options:\n"
    "      --v0-compatible   accept Rego v0 syntax\n"
    "  -S, --strict          OPA's strict mode: unused local assignments, function arguments\n"
    "                        and imports are errors, and so are, in Rego v0 modules too,\n"
    "                        duplicate imports, input/data as names and deprecated builtins\n"
    "  -f, --format FORMAT   pretty (default) or json ({\"errors\": [...]}, like opa)\n"
    "  -b, --bundle          load each PATH as a bundle directory: its .manifest roots are\n"
    "                        enforced and its data files read\n"
    "      --ignore PATTERN  skip files and directories whose name matches PATTERN (a glob);\n"
    "                        repeatable\n"
    "  -h, --help            show this help\n\n"
    "Exit status: 0 no errors, 1 errors found, 2 usage or I/O errors.\n";

typedef struct check_run {
    gh_load_opts opts;
    gh_diags diags; /* every error, parse errors in file order first */
    loader ld;      /* the modules read (and, for bundles, their data) */
    bool bundle;    /* -b: PATHs are bundle directories */
} check_run;

/* All modules compiled together: parse errors of every file, or, when all parse, the
 * compiler's errors. */
static void check_compile(check_run *r)
{
    if (!r->ld.nmodules) return;
    r->opts.v0_compatible = r->ld.v0_compatible; /* a bundle's manifest may set it */
    gh_revision *rev = gh_revision_load(r->ld.modules, r->ld.nmodules, NULL, &r->opts, &r->diags);
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

/* Loads the paths (modules only, or whole bundles), compiles, reports; the exit status. */
static int check_paths(check_run *r, char **paths, int n, char **ignore, size_t nignore, bool json)
{
    gh_arena arena;
    gh_arena_init(&arena, 0);
    loader_init(&r->ld, &arena);
    r->ld.ignore = ignore;
    r->ld.nignore = nignore;
    r->ld.rego_only = !r->bundle;
    r->ld.v0_compatible = r->opts.v0_compatible;
    gh_buf lerr;
    gh_buf_init(&lerr, 0);
    int lrc = r->bundle ? loader_load_bundles(&r->ld, paths, n, &lerr)
                        : loader_load(&r->ld, paths, n, &lerr);
    if (lerr.data) fputs(lerr.data, stderr);
    gh_buf_free(&lerr);
    gh_diags_init(&r->diags);
    r->diags.max = 1000;
    if (lrc == 0) check_compile(r);
    /* without -b only I/O can fail a load; a bundle's contents (roots, data) are errors found */
    int status = lrc != 0 ? (r->bundle ? CLI_FAIL : CLI_USAGE) : r->diags.n ? CLI_FAIL : CLI_OK;
    if (json) print_json(&r->diags);
    else if (r->diags.n) print_pretty(&r->diags);
    gh_diags_free(&r->diags);
    loader_free(&r->ld);
    gh_arena_free(&arena);
    return status;
}

int cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"v0-compatible", no_argument, NULL, 'V'},
        {"strict", no_argument, NULL, 'S'},
        {"format", required_argument, NULL, 'f'},
        {"bundle", no_argument, NULL, 'b'},
        {"ignore", required_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    check_run r = {0};
    char **ignore = calloc((size_t)argc + 1, sizeof *ignore);
    size_t nignore = 0;
    if (!ignore) return CLI_USAGE;
    bool json = false;
    int c, status = -1;
    optind = 1;
    while (status < 0 && (c = getopt_long(argc, argv, "f:bhS", longopts, NULL)) != -1) {
        switch (c) {
        case 'V': r.opts.v0_compatible = true; break;
        case 'S': r.opts.strict = true; break;
        case 'b': r.bundle = true; break;
        case 'g': ignore[nignore++] = optarg; break;
        case 'f':
            if (strcmp(optarg, "json") == 0) json = true;
            else if (strcmp(optarg, "pretty") == 0) json = false;
            else {
                fprintf(stderr, "gatehouse check: unknown format '%s' (pretty or json)\n", optarg);
                status = CLI_USAGE;
            }
            break;
        case 'h': fputs(check_usage, stdout); status = CLI_OK; break;
        default: fputs(check_usage, stderr); status = CLI_USAGE; break;
        }
    }
    if (status < 0 && optind >= argc) {
        fprintf(stderr, "gatehouse check: expected at least one PATH\n\n%s", check_usage);
        status = CLI_USAGE;
    }
    if (status < 0) status = check_paths(&r, argv + optind, argc - optind, ignore, nignore, json);
    free(ignore);
    return status;
}
