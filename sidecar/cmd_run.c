/* `gatehouse run`: the daemon. Reads the config file, applies the command-line flags over
 * it, loads the first snapshot (a broken policy stops the start with its errors), then hands
 * over to the server until SIGTERM or SIGINT. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "server.h"

static const char run_usage[] =
    "usage: gatehouse run [-c gatehouse.json] [--addr HOST:PORT] [--policy PATH]... [--data PATH]...\n"
    "                     [-b DIR]... [--ignore PATTERN]...\n"
    "                     [--workers N] [--log-level LEVEL] [--decision-log stdout|none|FILE]\n"
    "                     [--no-watch] [--v0-compatible] [PATH...]\n\n"
    "Runs gatehouse as a daemon serving OPA's REST Data API (POST/GET /v1/data/{path},\n"
    "POST /v0/data/{path}, POST /, GET /v1/policies), GET /health and GET /metrics.\n"
    "Policy and data paths are loaded as `gatehouse eval -d` loads them and reloaded when\n"
    "they change or on SIGHUP; SIGTERM/SIGINT stop gracefully (the decision log is flushed).\n\n"
    "  -c, --config FILE       configuration file (docs/config.md); flags override it\n"
    "  -a, --addr HOST:PORT    listen address (default localhost:8181; port 0 picks one)\n"
    "      --policy PATH       a policy (or data) file or directory; repeatable\n"
    "      --data PATH         a data file or directory; repeatable\n"
    "  -b, --bundle DIR        a bundle directory (.manifest: revision, roots); repeatable\n"
    "      --ignore PATTERN    skip files and directories whose name matches; repeatable\n"
    "  -w, --workers N         worker threads, one event loop each (default: one per core)\n"
    "      --log-level LEVEL   error, warn, info (default) or debug\n"
    "      --decision-log OUT  stdout, none, or a file path (rotated by size)\n"
    "      --no-watch          reload only on SIGHUP\n"
    "      --v0-compatible     parse modules as Rego v0\n"
    "  -s, --server            accepted for `opa run --server` compatibility\n\n"
    "Positional PATHs are policy paths. Exit status: 0 after a clean stop, 1 when the policy\n"
    "does not load or the address cannot be bound, 2 on usage errors.\n";

enum { OPT_POLICY = 256, OPT_DATA, OPT_LOG_LEVEL, OPT_DECLOG, OPT_NO_WATCH, OPT_V0, OPT_IGNORE };

static const struct option run_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"addr", required_argument, NULL, 'a'},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"data", required_argument, NULL, OPT_DATA},
    {"bundle", required_argument, NULL, 'b'},
    {"ignore", required_argument, NULL, OPT_IGNORE},
    {"workers", required_argument, NULL, 'w'},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"decision-log", required_argument, NULL, OPT_DECLOG},
    {"no-watch", no_argument, NULL, OPT_NO_WATCH},
    {"v0-compatible", no_argument, NULL, OPT_V0},
    {"server", no_argument, NULL, 's'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "gatehouse run: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see gatehouse run --help)\n");
    return CLI_USAGE;
}

/* One flag over the config; 0, or the exit code of a usage error. */
static int apply_flag(gh_config *c, int opt, const char *arg)
{
    char *end;
    switch (opt) {
    case 'a':
        if (config_set_addr(c, arg) < 0) return usage_error("bad --addr '%s' (want HOST:PORT)", arg);
        return 0;
    case OPT_POLICY: str_list_push(&c->arena, &c->policy, arg); return 0;
    case OPT_DATA: str_list_push(&c->arena, &c->data, arg); return 0;
    case 'b': str_list_push(&c->arena, &c->bundles, arg); return 0;
    case OPT_IGNORE: str_list_push(&c->arena, &c->ignore, arg); return 0;
    case 'w': {
        long n = strtol(arg, &end, 10);
        if (*end || n < 1 || n > 256) return usage_error("bad --workers '%s' (1 to 256)", arg);
        c->workers = (int)n;
        return 0;
    }
    case OPT_LOG_LEVEL:
        if (config_parse_log_level(arg, &c->log_level) < 0)
            return usage_error("bad --log-level '%s' (error, warn, info, debug)", arg);
        return 0;
    case OPT_DECLOG:
        if (strcmp(arg, "stdout") == 0) c->decision_log.output = DECLOG_STDOUT;
        else if (strcmp(arg, "none") == 0) c->decision_log.output = DECLOG_NONE;
        else {
            c->decision_log.output = DECLOG_FILE;
            c->decision_log.path = gh_arena_strndup(&c->arena, arg, strlen(arg));
        }
        return 0;
    case OPT_NO_WATCH: c->watch = false; return 0;
    case OPT_V0: c->v0_compatible = true; return 0;
    case 's': return 0;
    default: return CLI_USAGE;
    }
}

/* Flags are applied after the config file whatever their order, so they always win. */
static int read_settings(gh_config *c, int argc, char **argv)
{
    const char *config_path = NULL;
    int opt;
    opterr = 0;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "+c:a:w:b:sh", run_options, NULL)) != -1) {
        if (opt == 'h') return printf("%s", run_usage), -1;
        if (opt == '?') return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        if (opt == 'c') config_path = optarg;
    }
    if (config_path) {
        gh_buf errs;
        gh_buf_init(&errs, 0);
        int r = config_load_file(c, config_path, &errs);
        if (r < 0) fprintf(stderr, "gatehouse run: %s", errs.data ? errs.data : "bad config\n");
        gh_buf_free(&errs);
        if (r < 0) return CLI_FAIL;
    }
    optind = 0;
    while ((opt = getopt_long(argc, argv, "+c:a:w:b:sh", run_options, NULL)) != -1) {
        if (opt == 'c') continue;
        int r = apply_flag(c, opt, optarg);
        if (r) return r;
    }
    for (int i = optind; i < argc; i++) str_list_push(&c->arena, &c->policy, argv[i]);
    gh_buf errs;
    gh_buf_init(&errs, 0);
    int fr = config_finish(c, config_path ? config_path : "gatehouse run", &errs);
    if (fr < 0) fprintf(stderr, "gatehouse run: %s", errs.data ? errs.data : "bad settings\n");
    gh_buf_free(&errs);
    if (fr < 0) return CLI_FAIL;
    if (c->policy.n + c->data.n + c->bundles.n == 0)
        return usage_error("%s", "no policy: give PATHs, --policy, -b, or \"policy\" in the config");
    return 0;
}

int cmd_run(int argc, char **argv)
{
    gh_config cfg;
    config_init(&cfg);
    int r = read_settings(&cfg, argc, argv);
    if (r != 0) {
        config_free(&cfg);
        return r < 0 ? CLI_OK : r;
    }
    log_set_level(cfg.log_level);
    gh_buf errs;
    gh_buf_init(&errs, 1u << 20);
    snapshot *first = snapshot_build(&cfg, &errs);
    if (!first) {
        log_msg(LOG_ERROR, NULL, "cannot load the policy:\n%s", errs.data ? errs.data : "");
        gh_buf_free(&errs);
        config_free(&cfg);
        return CLI_FAIL;
    }
    gh_buf_free(&errs);
    r = server_run(&cfg, first);
    config_free(&cfg);
    return r;
}
