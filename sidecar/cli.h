/* Shared pieces of the gatehouse command line: the subcommand table entries, option
 * parsing helpers, and file loading used by several commands. */
#ifndef GH_CLI_H
#define GH_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* Exit codes, as opa uses them: 0 ok, 1 errors found, 2 usage or I/O trouble. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

#define CLI_MAX_FILE (64u * 1024 * 1024) /* largest policy or data file read */

int cmd_parse(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_conformance(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_fmt(int argc, char **argv);
int cmd_capabilities(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_bench(int argc, char **argv);   /* cmd_bench.c */
int cmd_inspect(int argc, char **argv); /* cmd_inspect.c */

/* True when argv[i] is -h or --help. */
bool cli_wants_help(int argc, char **argv);

/* Reads a whole file or pipe (at most CLI_MAX_FILE bytes) into malloc'd, NUL-ended memory.
 * Returns 0, or -1 with the reason printed to stderr prefixed by "gatehouse: ". */
int cli_read_file(const char *path, char **data, size_t *len);

/* Calls fn for every regular file under each path whose name ends in ext (a file named
 * directly is taken whatever its name), directories recursively in sorted order, hidden
 * entries skipped. Returns 0, or -1 when a path does not exist (reported on stderr). */
int cli_walk(char **paths, int n, const char *ext, void (*fn)(const char *path, void *ctx),
             void *ctx);

#endif
