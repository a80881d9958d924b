/* gatehouse command line: finds the subcommand in a table and hands it argc/argv (with
 * argv[0] being the subcommand's name). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);
int cmd_test(int argc, char **argv); /* sidecar/cmd_test.c */

static const command commands[] = {
    {"bench", cmd_bench, "benchmark a Rego query (as opa bench)"},
    {"catalog", cmd_catalog, "write a PostgreSQL database's tables and columns for the SQL listener"},
    {"capabilities", cmd_capabilities, "print the supported builtins as OPA capabilities JSON"},
    {"check", cmd_check, "parse and compile Rego modules, reporting every error"},
    {"conformance", cmd_conformance, "run folders of OPA YAML test cases"},
    {"eval", cmd_eval, "evaluate a Rego query against policies and data"},
    {"fmt", cmd_fmt, "format Rego modules in the canonical layout (as opa fmt)"},
    {"inspect", cmd_inspect, "list a bundle's manifest, packages, rules and annotations"},
    {"parse", cmd_parse, "print the syntax tree of a Rego module"},
    {"run", cmd_run, "run the daemon: OPA's Data API, health, metrics, hot reload"},
    {"token", cmd_token, "mint a signed JWT, or verify one with the daemon's rules"},
    {"test", cmd_test, "run Rego tests (test_* rules), reporting as opa test does"},
    {"version", cmd_version, "print the version"},
    {"help", cmd_help, "show this help, or a command's (gatehouse help COMMAND)"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static void print_usage(FILE *out)
{
    fprintf(out, "gatehouse: an authorization sidecar with its own Rego engine\n\n"
                 "usage: gatehouse <command> [options] [args]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'gatehouse <command> --help' describes a command.\n");
}

static int cmd_version(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: gatehouse version\n\nPrints the gatehouse version.\n");
        return CLI_OK;
    }
    if (argc > 1) {
        fprintf(stderr, "gatehouse version: unexpected argument '%s'\n", argv[1]);
        return CLI_USAGE;
    }
    printf("gatehouse %s\n", GH_VERSION);
    printf("Rego: v1 (v0 with --v0-compatible)\n");
    return CLI_OK;
}

static int cmd_help(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0) {
        const command *c = find_command(argv[1]);
        if (!c) {
            fprintf(stderr, "gatehouse help: unknown command '%s'\n", argv[1]);
            return CLI_USAGE;
        }
        char *help_argv[] = {(char *)c->name, "--help", NULL};
        return c->run(2, help_argv);
    }
    print_usage(stdout);
    return CLI_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) name = "help";
    if (strcmp(name, "--version") == 0) name = "version";
    const command *c = find_command(name);
    if (!c) {
        fprintf(stderr, "gatehouse: unknown command '%s'\n\n", argv[1]);
        print_usage(stderr);
        return CLI_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
