/* gatehouse conformance: runs folders of OPA YAML test cases through the engine and prints
 * a table per folder (the runner itself is engine/conformance_run.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gatehouse/conformance.h"

static const char conformance_usage[] =
    "usage: gatehouse conformance [--expected-failures FILE] [--write-expected] [--run REGEX]\n"
    "                             [--timeout SECONDS] [--no-fork] [-v] DIR...\n\n"
    "Runs every case of every OPA YAML test file (.yaml, .yml) under each DIR, judged as OPA's\n"
    "own runner judges them, and prints a table per folder (passed, failed, skipped), the\n"
    "language and builtin-family subtotals, and a closing line 'N passed, N failed, N skipped'.\n\n"
    "options:\n"
    "      --expected-failures FILE  notes expected to fail, one 'note<TAB>reason' per line;\n"
    "                                the run fails when another case fails or a listed one passes\n"
    "      --write-expected          rewrite FILE from this run's failures (reason: the message)\n"
    "      --run REGEX               only the cases whose note matches (POSIX extended regex)\n"
    "      --timeout SECONDS         wall clock per case (default 10)\n"
    "      --no-fork                 run cases in this process (debugging: no crash protection)\n"
    "  -v, --verbose                 print each failure's details (got vs want, as JSON)\n"
    "  -h, --help                    show this help\n\n"
    "Exit status: 0 all as expected, 1 unexpected failures or passes, 2 usage or I/O errors.\n";

#ifdef GH_HAVE_EVAL
static int run(int argc, char **argv, gh_cf_opts *o)
{
    if (o->write_expected && !o->expected_path) {
        fprintf(stderr, "gatehouse conformance: --write-expected needs --expected-failures FILE\n");
        return CLI_USAGE;
    }
    return gh_conformance_run(argv + optind, argc - optind, o);
}
#else
static int run(int argc, char **argv, gh_cf_opts *o)
{
    (void)argc, (void)argv, (void)o;
    fprintf(stderr, "gatehouse conformance: this build has no evaluator yet\n");
    return CLI_USAGE;
}
#endif

int cmd_conformance(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"expected-failures", required_argument, NULL, 'x'},
        {"write-expected", no_argument, NULL, 'W'},
        {"run", required_argument, NULL, 'r'},
        {"timeout", required_argument, NULL, 't'},
        {"no-fork", no_argument, NULL, 'F'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    gh_cf_opts o = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'x': o.expected_path = optarg; break;
        case 'W': o.write_expected = true; break;
        case 'r': o.run_regex = optarg; break;
        case 't':
            o.timeout_s = strtod(optarg, NULL);
            if (o.timeout_s <= 0) {
                fprintf(stderr, "gatehouse conformance: --timeout wants seconds > 0\n");
                return CLI_USAGE;
            }
            break;
        case 'F': o.no_fork = true; break;
        case 'v': o.verbose = true; break;
        case 'h': fputs(conformance_usage, stdout); return CLI_OK;
        default: fputs(conformance_usage, stderr); return CLI_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "gatehouse conformance: expected at least one DIR\n\n%s",
                conformance_usage);
        return CLI_USAGE;
    }
    return run(argc, argv, &o);
}
