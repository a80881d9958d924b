/* Odd builtins with no family of their own: trace (a note; true), test.sleep (OPA's test
 * harness builtin), net.lookup_ip_addr (getaddrinfo) and rego.parse_module (the front end
 * plus the AST-to-JSON writer, shaped as OPA's AST JSON). */
#include "builtins/bi_internal.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>

#include "ast.h"
#include "parse.h"

/* ---- trace ---- */

/* OPA emits a Note trace event; gatehouse has no tracer for builtins yet, so the note goes
 * nowhere. The result is always true, as in OPA. */
static int bi_trace(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int rc = 0;
    size_t n;
    if (!bi_str_arg(bc, "trace", args, 1, &n, &rc)) return rc;
    *out = GH_TRUE;
    return 0;
}

/* ---- test.sleep ---- */

/* Sleeps for a Go duration ("10ms"), parsed by time.parse_duration_ns so the errors are
 * that builtin's. */
static int bi_test_sleep(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int rc = 0;
    size_t n;
    if (!bi_str_arg(bc, "test.sleep", args, 1, &n, &rc)) return rc;
    const gh_builtin *pd = gh_builtin_lookup("time.parse_duration_ns", 22);
    const gh_value *ns = NULL;
    if (!pd) return GH_EUNDEFINED;
    rc = pd->fn(bc, args, &ns);
    if (rc) return rc;
    int64_t d = 0;
    if (!gh_number_get_int(ns, &d) || d <= 0) {
        *out = GH_TRUE;
        return 0;
    }
    struct timespec ts = {.tv_sec = d / 1000000000, .tv_nsec = d % 1000000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    *out = GH_TRUE;
    return 0;
}

/* ---- net.lookup_ip_addr ---- */

/* Go's net.IP.String: IPv4 (also IPv4-mapped IPv6) dotted, IPv6 in RFC 5952 form, which is
 * what inet_ntop prints. */
static const gh_value *addr_text(gh_bctx *bc, const struct sockaddr *sa)
{
    char buf[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        if (!inet_ntop(AF_INET, &s4->sin_addr, buf, sizeof buf)) return NULL;
    } else {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        const unsigned char *b = s6->sin6_addr.s6_addr;
        static const unsigned char v4pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (!memcmp(b, v4pfx, 12)) {
            if (!inet_ntop(AF_INET, b + 12, buf, sizeof buf)) return NULL;
        } else if (!inet_ntop(AF_INET6, b, buf, sizeof buf)) {
            return NULL;
        }
    }
    return bi_str(bc, buf, strlen(buf));
}

static int bi_lookup_ip(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "net.lookup_ip_addr";
    int rc = 0;
    size_t n;
    const char *host = bi_str_arg(bc, name, args, 1, &n, &rc);
    if (!host) return rc;
    char *h = bi_bytes(bc, n + 1);
    if (!h) return BI_NOMEM;
    memcpy(h, host, n);
    h[n] = 0;
    if (strlen(h) != n || n == 0)
        return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: lookup %s: no such host", name, h);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int e = getaddrinfo(h, NULL, &hints, &res);
    if (e != 0) {
        const char *why = e == EAI_NONAME || e == EAI_NODATA ? "no such host" : gai_strerror(e);
        return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: lookup %s: %s", name, h, why);
    }
    size_t cnt = 0;
    for (struct addrinfo *p = res; p; p = p->ai_next)
        cnt++;
    const gh_value **items = bi_ptrs(bc, cnt ? cnt : 1);
    size_t k = 0;
    for (struct addrinfo *p = res; items && p; p = p->ai_next) {
        if (p->ai_family != AF_INET && p->ai_family != AF_INET6) continue;
        const gh_value *s = addr_text(bc, p->ai_addr);
        if (!s) {
            items = NULL;
            break;
        }
        items[k++] = s;
    }
    freeaddrinfo(res);
    if (!items) return BI_NOMEM;
    return bi_ret(out, gh_value_set(bc->arena, items, k));
}

/* ---- rego.parse_module ---- */

/* Parses a module (Rego v1) into a scratch arena, writes its AST as JSON and reads that back
 * into the evaluation arena. Parse errors are builtin errors in OPA's
 * "file:line: rego_parse_error: message" form (several: "N errors occurred: ..."). */
static int parse_errors(gh_bctx *bc, const gh_diags *d)
{
    char msg[400];
    size_t o = 0;
    if (d->n > 1) o = (size_t)snprintf(msg, sizeof msg, "%zu errors occurred:\n", d->n);
    for (size_t i = 0; i < d->n && o < sizeof msg; i++) {
        const gh_diag *g = &d->items[i];
        o += (size_t)snprintf(msg + o, sizeof msg - o, "%s%s:%d: %s: %s", i ? "\n" : "", g->file,
                              g->line, g->code, g->msg);
    }
    if (d->n == 0) snprintf(msg, sizeof msg, "rego_parse_error: invalid module");
    return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s", msg);
}

static int bi_parse_module(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "rego.parse_module";
    int rc = 0;
    size_t fn, sn;
    const char *file = bi_str_arg(bc, name, args, 1, &fn, &rc);
    if (!file) return rc;
    const char *src = bi_str_arg(bc, name, args, 2, &sn, &rc);
    if (!src) return rc;
    char *fz = bi_bytes(bc, fn + 1);
    if (!fz) return BI_NOMEM;
    memcpy(fz, file, fn);
    fz[fn] = 0;
    gh_arena tmp;
    gh_arena_init(&tmp, 0);
    gh_diags diags;
    gh_diags_init(&diags);
    gh_module *m = NULL;
    rc = gh_parse_module(&tmp, fz, src, sn, NULL, &m, &diags);
    if (rc == GH_EPARSE) {
        rc = parse_errors(bc, &diags);
    } else if (rc == 0) {
        gh_buf b;
        gh_buf_init(&b, 0);
        gh_ast_module_to_json(m, &b, false);
        gh_json_error e;
        if (b.failed)
            rc = BI_NOMEM;
        else
            rc = gh_json_read(bc->arena, b.data ? b.data : "null", b.data ? b.len : 4, NULL, out,
                              &e);
        if (rc == GH_EJSON) rc = bi_builtin_err(bc, name, e.msg);
        gh_buf_free(&b);
    }
    gh_diags_free(&diags);
    gh_arena_free(&tmp);
    return rc;
}

static const gh_builtin table[] = {
    BI_FN("trace", 1, "(string) => boolean", bi_trace),
    BI_FNF("test.sleep", 1, "(string) => void", bi_test_sleep, GH_BI_VOID),
    BI_FNF("net.lookup_ip_addr", 1, "(string) => set[string]", bi_lookup_ip,
           GH_BI_NONDETERMINISTIC),
    BI_FN("rego.parse_module", 2, "(string, string) => object[string: any]", bi_parse_module),
};

BI_FAMILY(misc, table);
