/* gatehouse parse: one Rego module's syntax tree, as JSON (shaped like `opa parse --format
 * json`) or as an indented tree. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gatehouse/arena.h"
#include "gatehouse/diag.h"
#include "parse.h"

static const char parse_usage[] =
    "usage: gatehouse parse [--format pretty|json] [--v0-compatible] FILE\n\n"
    "Parses FILE as a Rego module and prints its syntax tree.\n\n"
    "options:\n"
    "  -f, --format FORMAT   pretty (an indented tree, the default) or json\n"
    "      --v0-compatible   accept Rego v0 syntax (rules without 'if'/'contains')\n"
    "  -h, --help            show this help\n\n"
    "Exit status: 0 parsed, 1 parse errors (printed to stderr), 2 usage or I/O errors.\n";

static void print_diags(const gh_diags *d)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_buf_printf(&b, "%zu error%s occurred:\n", d->n + d->dropped, d->n + d->dropped == 1 ? "" : "s");
    gh_diags_format(d, &b);
    fputs(b.data, stderr);
    gh_buf_free(&b);
}

int cmd_parse(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"v0-compatible", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    gh_parse_opts opts = {.v0_compatible = false};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "json") == 0) json = true;
            else if (strcmp(optarg, "pretty") == 0) json = false;
            else {
                fprintf(stderr, "gatehouse parse: unknown format '%s' (pretty or json)\n", optarg);
                return CLI_USAGE;
            }
            break;
        case 'V': opts.v0_compatible = true; break;
        case 'h': fputs(parse_usage, stdout); return CLI_OK;
        default: fputs(parse_usage, stderr); return CLI_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "gatehouse parse: expected exactly one FILE\n\n%s", parse_usage);
        return CLI_USAGE;
    }
    const char *path = argv[optind];
    char *src;
    size_t len;
    if (cli_read_file(path, &src, &len) != 0) return CLI_USAGE;

    gh_arena arena;
    gh_arena_init(&arena, 0);
    gh_diags diags;
    gh_diags_init(&diags);
    gh_module *m = NULL;
    int status = CLI_OK;
    if (gh_parse_module(&arena, path, src, len, &opts, &m, &diags) != 0) {
        print_diags(&diags);
        status = CLI_FAIL;
    } else {
        gh_buf out;
        gh_buf_init(&out, 0);
        if (json) gh_ast_module_to_json(m, &out, true);
        else gh_ast_module_print(m, &out);
        if (out.len && out.data[out.len - 1] != '\n') gh_buf_putc(&out, '\n');
        fwrite(out.data, 1, out.len, stdout);
        gh_buf_free(&out);
    }
    gh_diags_free(&diags);
    gh_arena_free(&arena);
    free(src);
    return status;
}
