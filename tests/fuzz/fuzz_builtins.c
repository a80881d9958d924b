/* Fuzz target for the builtins that parse text of the policy author's: sprintf formats,
 * regular expressions and templates, Go time layouts, RFC 3339 times and durations, globs,
 * and the URL and headers providers.aws.sign_req signs.
 * Input: the first byte picks the call, the rest is split at NUL bytes into arguments
 * (an argument that reads as JSON is that value, else it is the string). Oracle: no crash,
 * no sanitizer report, and a builtin that fails must say why (err_code) unless it ran out
 * of memory; a success must hand back a value. Errors and "undefined" are fine. */
#include "builtins/builtins.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ARENA_CAP (64u << 20) /* an error, not an OOM kill */
#define MAX_PIECES     8

typedef struct call {
    const char *name;
    int nargs;   /* pieces taken as arguments */
    int shape;   /* how the pieces become arguments, see make_args */
} call;

enum { AS_STRINGS, AS_SPRINTF, AS_TIME_FORMAT, AS_TIME_TZ, AS_FIND_N, AS_GLOB, AS_AWS };

static const call calls[] = {
    {"time.parse_rfc3339_ns", 1, AS_STRINGS},
    {"time.parse_ns", 2, AS_STRINGS},
    {"time.parse_duration_ns", 1, AS_STRINGS},
    {"sprintf", 2, AS_SPRINTF},
    {"regex.match", 2, AS_STRINGS},
    {"regex.is_valid", 1, AS_STRINGS},
    {"regex.split", 2, AS_STRINGS},
    {"regex.replace", 3, AS_STRINGS},
    {"regex.find_n", 3, AS_FIND_N},
    {"regex.find_all_string_submatch_n", 3, AS_FIND_N},
    {"regex.template_match", 4, AS_STRINGS},
    {"time.format", 2, AS_TIME_FORMAT},
    {"time.date", 1, AS_TIME_TZ},
    {"glob.match", 3, AS_GLOB},
    {"providers.aws.sign_req", 3, AS_AWS},
};
#define N_CALLS (sizeof calls / sizeof calls[0])

typedef struct piece {
    const char *s;
    size_t n;
} piece;

static size_t split(const uint8_t *data, size_t size, piece *p)
{
    size_t np = 0, start = 0;
    for (size_t i = 0; i <= size && np < MAX_PIECES; i++)
        if (i == size || data[i] == 0) {
            p[np++] = (piece){(const char *)data + start, i - start};
            start = i + 1;
        }
    return np;
}

static const gh_value *str(gh_arena *a, piece p)
{
    return gh_value_string(a, p.s, p.n);
}

/* The piece as JSON when it reads as JSON, else as a string. */
static const gh_value *any(gh_arena *a, piece p)
{
    const gh_value *v = NULL;
    gh_json_error e;
    if (gh_json_read(a, p.s, p.n, NULL, &v, &e) == 0) return v;
    return str(a, p);
}

static const gh_value *num(gh_arena *a, piece p)
{
    const gh_value *v = any(a, p);
    return gh_value_kind(v) == GH_KIND_NUMBER ? v : gh_value_int(a, (int64_t)p.n * 86400000000007);
}

/* providers.aws.sign_req({method, url, headers: {k: v}, raw_body}, config, time) */
static size_t aws_args(gh_arena *a, piece *p, const gh_value **args)
{
    static const char *const rk[] = {"headers", "method", "raw_body", "url"};
    static const char *const ck[] = {"aws_access_key", "aws_region", "aws_secret_access_key",
                                     "aws_service", "aws_session_token"};
    const gh_value *hk = str(a, p[2]), *hv = any(a, p[3]), *hdrs = NULL, *req = NULL, *cfg = NULL;
    const gh_value *keys[5], *vals[5];
    gh_value_object(a, &hk, &hv, 1, &hdrs, NULL);
    const gh_value *rv[] = {hdrs, str(a, p[0]), str(a, p[4]), str(a, p[1])};
    for (int i = 0; i < 4; i++) keys[i] = gh_value_string(a, rk[i], strlen(rk[i]));
    gh_value_object(a, keys, rv, rv[0] ? 4 : 0, &req, NULL);
    const char *cv[] = {"AK", "us-east-1", "SK", p[5].n & 1 ? "s3" : "sts", "TOK"};
    for (int i = 0; i < 5; i++) {
        keys[i] = gh_value_string(a, ck[i], strlen(ck[i]));
        vals[i] = gh_value_string(a, cv[i], strlen(cv[i]));
    }
    gh_value_object(a, keys, vals, 5, &cfg, NULL);
    args[0] = req;
    args[1] = cfg;
    args[2] = num(a, p[5]);
    return 3;
}

/* Builds the call's arguments from the pieces (missing pieces are empty strings). */
static size_t make_args(gh_arena *a, const call *c, piece *p, size_t np, const gh_value **args)
{
    for (size_t i = np; i < MAX_PIECES; i++) p[i] = (piece){"", 0};
    switch (c->shape) {
    case AS_SPRINTF: { /* sprintf(format, [rest...]) */
        const gh_value *items[MAX_PIECES];
        size_t n = np > 1 ? np - 1 : 0;
        for (size_t i = 0; i < n; i++) items[i] = any(a, p[i + 1]);
        args[0] = str(a, p[0]);
        args[1] = gh_value_array(a, items, n);
        return 2;
    }
    case AS_TIME_FORMAT: { /* time.format([ns, tz, layout]) */
        const gh_value *items[3] = {num(a, p[0]), gh_value_string(a, "UTC", 3), str(a, p[1])};
        args[0] = gh_value_array(a, items, 3);
        return 1;
    }
    case AS_TIME_TZ: { /* time.date([ns, tz]): zone names are checked before any file is read */
        const gh_value *items[2] = {num(a, p[0]), str(a, p[1])};
        args[0] = gh_value_array(a, items, 2);
        return 1;
    }
    case AS_FIND_N: /* (pattern, value, n) */
        args[0] = str(a, p[0]);
        args[1] = str(a, p[1]);
        args[2] = num(a, p[2]);
        return 3;
    case AS_GLOB: { /* glob.match(pattern, [delimiters], value) */
        const gh_value *d = str(a, p[1]);
        args[0] = str(a, p[0]);
        args[1] = p[1].n ? gh_value_array(a, &d, 1) : GH_NULL;
        args[2] = str(a, p[2]);
        return 3;
    }
    case AS_AWS:
        return aws_args(a, p, args);
    default:
        for (int i = 0; i < c->nargs; i++) args[i] = str(a, p[i]);
        return (size_t)c->nargs;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gh_bcache *cache; /* kept across inputs, as an evaluator keeps it */
    if (!cache) cache = gh_bcache_new();
    if (size < 1) return 0;
    const call *c = &calls[data[0] % N_CALLS];
    const gh_builtin *b = gh_builtin_lookup(c->name, strlen(c->name));
    if (!b) return 0; /* not in this build */
    gh_arena a;
    gh_arena_init(&a, FUZZ_ARENA_CAP);
    piece p[MAX_PIECES];
    size_t np = split(data + 1, size - 1, p);
    const gh_value *args[MAX_PIECES];
    size_t nargs = make_args(&a, c, p, np, args);
    gh_bctx bc = {.arena = &a, .cache = cache, .now_ns = 1700000000000000000};
    const gh_value *out = NULL;
    bool built = true;
    for (size_t i = 0; i < nargs; i++) built = built && args[i];
    int rc = built ? gh_builtin_call(b, &bc, args, nargs, &out) : 0;
    if (rc == 0 && built && !out) abort();                /* success without a value */
    if ((rc == GH_ETYPE || rc == GH_EBUILTIN) && !bc.err_code) abort(); /* an error must say why */
    gh_arena_free(&a);
    return 0;
}
