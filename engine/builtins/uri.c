/* uri.parse and uri.is_valid: Go's net/url.Parse (scheme, authority with user info, host and
 * port, IPv6 literals and zones, path with its raw form, query, fragment) and its error texts,
 * reduced to the members OPA reports. */
#include "builtins/bi_internal.h"

#include <stdio.h>

typedef struct text {
    const char *s;
    size_t n;
} text;

/* The parts of Go's url.URL that OPA reads (all unescaped except raw_path and raw_query). */
typedef struct uri {
    text scheme; /* lower-cased copy in the arena */
    text host;   /* unescaped, with port and brackets */
    text path;
    text raw_path; /* set only when the path's escaping is not the default one */
    text query;
    text fragment;
} uri;

/* Result of a parse step: NULL or Go's error text (static or in `msg`). */
typedef struct perr {
    const char *text;
    char msg[160];
} perr;

/* strconv.Quote, as far as a URL or a piece of it needs (bounded). */
static void go_quote(char *out, size_t cap, const char *s, size_t n)
{
    size_t k = 0;
    out[k++] = '"';
    for (size_t i = 0; i < n && k + 12 < cap;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            uint32_t r;
            size_t w = bi_utf8_decode(s + i, n - i, &r);
            if (r == 0xFFFD && w == 1) {
                k += (size_t)snprintf(out + k, cap - k, "\\x%02x", c);
            } else {
                memcpy(out + k, s + i, w);
                k += w;
            }
            i += w;
            continue;
        }
        const char *esc = NULL;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\a': esc = "\\a"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\v': esc = "\\v"; break;
        default: break;
        }
        if (esc) k += (size_t)snprintf(out + k, cap - k, "%s", esc);
        else if (c < 0x20 || c == 0x7f) k += (size_t)snprintf(out + k, cap - k, "\\x%02x", c);
        else out[k++] = (char)c;
        i++;
    }
    out[k++] = '"';
    out[k] = '\0';
}

static const char *fmt_err(perr *e, const char *pre, const char *s, size_t n, const char *post)
{
    char q[64];
    go_quote(q, sizeof q, s, n);
    snprintf(e->msg, sizeof e->msg, "%s%s%s", pre, q, post);
    return e->text = e->msg;
}

enum mode { M_PATH, M_HOST, M_ZONE, M_USER, M_FRAGMENT };

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int unhex(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
}

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* url.shouldEscape */
static bool should_escape(unsigned char c, enum mode m)
{
    if (is_alnum(c)) return false;
    if (m == M_HOST || m == M_ZONE) {
        if (c && strchr("!$&'()*+,;=:[]<>\"", c)) return false;
    }
    if (c && strchr("-_.~", c)) return false;
    if (c && strchr("$&+,/:;=?@", c)) {
        switch (m) {
        case M_USER: return c == '@' || c == '/' || c == '?' || c == ':';
        case M_PATH: return c == '?';
        case M_FRAGMENT: return false;
        default: break;
        }
    }
    if (m == M_FRAGMENT && c && strchr("!()*", c)) return false;
    return true;
}

/* url.unescape: checks s[0..n) and decodes it into the arena (NULL text on error or OOM). */
static bool unescape(gh_bctx *bc, text in, enum mode m, text *out, perr *e, bool *oom)
{
    const char *s = in.s;
    size_t n = in.n, esc = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            esc++;
            if (i + 2 >= n || !is_hex((unsigned char)s[i + 1]) || !is_hex((unsigned char)s[i + 2])) {
                fmt_err(e, "invalid URL escape ", s + i, n - i > 3 ? 3 : n - i, "");
                return false;
            }
            bool pct25 = s[i + 1] == '2' && s[i + 2] == '5';
            if (m == M_HOST && unhex((unsigned char)s[i + 1]) < 8 && !pct25) {
                fmt_err(e, "invalid URL escape ", s + i, 3, "");
                return false;
            }
            if (m == M_ZONE) {
                unsigned v = (unsigned)(unhex((unsigned char)s[i + 1]) << 4 | unhex((unsigned char)s[i + 2]));
                if (!pct25 && v != ' ' && should_escape((unsigned char)v, M_HOST)) {
                    fmt_err(e, "invalid URL escape ", s + i, 3, "");
                    return false;
                }
            }
            i += 3;
        } else {
            if ((m == M_HOST || m == M_ZONE) && c < 0x80 && should_escape(c, m)) {
                fmt_err(e, "invalid character ", s + i, 1, " in host name");
                return false;
            }
            i++;
        }
    }
    if (esc == 0) {
        *out = in;
        return true;
    }
    char *d = bi_bytes(bc, n - 2 * esc + 1);
    if (!d) {
        *oom = true;
        return false;
    }
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '%') {
            d[k++] = (char)(unhex((unsigned char)s[i + 1]) << 4 | unhex((unsigned char)s[i + 2]));
            i += 3;
        } else {
            d[k++] = s[i++];
        }
    }
    *out = (text){d, k};
    return true;
}

/* url.validOptionalPort */
static bool valid_port(const char *p, size_t n)
{
    if (n == 0) return true;
    if (p[0] != ':') return false;
    for (size_t i = 1; i < n; i++)
        if (p[i] < '0' || p[i] > '9') return false;
    return true;
}

static const char *last_of(const char *s, size_t n, char c)
{
    for (size_t i = n; i-- > 0;)
        if (s[i] == c) return s + i;
    return NULL;
}

/* url.parseHost */
static bool parse_host(gh_bctx *bc, text h, text *out, perr *e, bool *oom)
{
    if (h.n && h.s[0] == '[') {
        const char *rb = last_of(h.s, h.n, ']');
        if (!rb) {
            e->text = "missing ']' in host";
            return false;
        }
        size_t i = (size_t)(rb - h.s);
        if (!valid_port(rb + 1, h.n - i - 1)) {
            fmt_err(e, "invalid port ", rb + 1, h.n - i - 1, " after host");
            return false;
        }
        const char *z = i >= 3 ? memmem(h.s, i, "%25", 3) : NULL;
        if (z) {
            text a, b, c;
            size_t zi = (size_t)(z - h.s);
            if (!unescape(bc, (text){h.s, zi}, M_HOST, &a, e, oom) ||
                !unescape(bc, (text){z, i - zi}, M_ZONE, &b, e, oom) ||
                !unescape(bc, (text){rb, h.n - i}, M_HOST, &c, e, oom))
                return false;
            char *d = bi_bytes(bc, a.n + b.n + c.n + 1);
            if (!d) {
                *oom = true;
                return false;
            }
            memcpy(d, a.s, a.n);
            memcpy(d + a.n, b.s, b.n);
            memcpy(d + a.n + b.n, c.s, c.n);
            *out = (text){d, a.n + b.n + c.n};
            return true;
        }
    } else {
        const char *colon = last_of(h.s, h.n, ':');
        if (colon && !valid_port(colon, h.n - (size_t)(colon - h.s))) {
            fmt_err(e, "invalid port ", colon, h.n - (size_t)(colon - h.s), " after host");
            return false;
        }
    }
    return unescape(bc, h, M_HOST, out, e, oom);
}

/* url.validUserinfo (over runes: anything outside ASCII is invalid) */
static bool valid_userinfo(text u)
{
    for (size_t i = 0; i < u.n; i++) {
        unsigned char c = (unsigned char)u.s[i];
        if (is_alnum(c)) continue;
        if (c && strchr("-._:~!$&'()*+,;=%@", c)) continue;
        return false;
    }
    return true;
}

/* url.parseAuthority (the user info is checked, not kept: OPA does not report it) */
static bool parse_authority(gh_bctx *bc, text a, uri *u, perr *e, bool *oom)
{
    const char *at = last_of(a.s, a.n, '@');
    text host = at ? (text){at + 1, a.n - (size_t)(at - a.s) - 1} : a;
    if (!parse_host(bc, host, &u->host, e, oom)) return false;
    if (!at) return true;
    text ui = {a.s, (size_t)(at - a.s)}, tmp;
    if (!valid_userinfo(ui)) {
        e->text = "net/url: invalid userinfo";
        return false;
    }
    const char *colon = memchr(ui.s, ':', ui.n);
    if (!colon) return unescape(bc, ui, M_USER, &tmp, e, oom);
    size_t un = (size_t)(colon - ui.s);
    return unescape(bc, (text){ui.s, un}, M_USER, &tmp, e, oom) &&
           unescape(bc, (text){colon + 1, ui.n - un - 1}, M_USER, &tmp, e, oom);
}

/* Does escape(p, encodePath) give back raw exactly? */
static bool default_escaping(text path, text raw)
{
    static const char hexd[] = "0123456789ABCDEF";
    size_t k = 0;
    for (size_t i = 0; i < path.n; i++) {
        unsigned char c = (unsigned char)path.s[i];
        if (should_escape(c, M_PATH)) {
            if (k + 3 > raw.n || raw.s[k] != '%' || raw.s[k + 1] != hexd[c >> 4] ||
                raw.s[k + 2] != hexd[c & 15])
                return false;
            k += 3;
        } else {
            if (k >= raw.n || raw.s[k] != (char)c) return false;
            k++;
        }
    }
    return k == raw.n;
}

/* url.parse (viaRequest false) on the part before '#'. */
static bool parse_main(gh_bctx *bc, text in, uri *u, perr *e, bool *oom)
{
    for (size_t i = 0; i < in.n; i++) {
        unsigned char c = (unsigned char)in.s[i];
        if (c < 0x20 || c == 0x7f) {
            e->text = "net/url: invalid control character in URL";
            return false;
        }
    }
    if (in.n == 1 && in.s[0] == '*') {
        u->path = in;
        return true;
    }
    /* url.getScheme */
    text rest = in;
    for (size_t i = 0; i < in.n; i++) {
        unsigned char c = (unsigned char)in.s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) continue;
        if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
            if (i == 0) break;
            continue;
        }
        if (c == ':') {
            if (i == 0) {
                e->text = "missing protocol scheme";
                return false;
            }
            char *sc = bi_bytes(bc, i + 1);
            if (!sc) {
                *oom = true;
                return false;
            }
            for (size_t j = 0; j < i; j++) {
                char ch = in.s[j];
                sc[j] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
            }
            u->scheme = (text){sc, i};
            rest = (text){in.s + i + 1, in.n - i - 1};
        }
        break;
    }
    /* query: a lone trailing '?' is ForceQuery (no raw query either way) */
    const char *q = memchr(rest.s, '?', rest.n);
    if (q) {
        size_t qi = (size_t)(q - rest.s);
        u->query = (text){q + 1, rest.n - qi - 1};
        rest.n = qi;
    }
    bool slash = rest.n && rest.s[0] == '/';
    if (!slash) {
        if (u->scheme.n) return true; /* opaque: OPA reports no path */
        const char *sl = memchr(rest.s, '/', rest.n);
        size_t seg = sl ? (size_t)(sl - rest.s) : rest.n;
        if (memchr(rest.s, ':', seg)) {
            e->text = "first path segment in URL cannot contain colon";
            return false;
        }
    }
    bool two = rest.n >= 2 && rest.s[0] == '/' && rest.s[1] == '/';
    bool three = two && rest.n >= 3 && rest.s[2] == '/';
    if ((u->scheme.n || !three) && two) {
        text auth = {rest.s + 2, rest.n - 2};
        const char *sl = memchr(auth.s, '/', auth.n);
        if (sl) {
            rest = (text){sl, auth.n - (size_t)(sl - auth.s)};
            auth.n = (size_t)(sl - auth.s);
        } else {
            rest = (text){rest.s + rest.n, 0};
        }
        if (!parse_authority(bc, auth, u, e, oom)) return false;
    }
    if (!unescape(bc, rest, M_PATH, &u->path, e, oom)) return false;
    if (!default_escaping(u->path, rest)) u->raw_path = rest;
    return true;
}

/* url.Parse: 0, or a builtin error naming `name` (GH_ENOMEM when out of memory). With
 * quiet, errors are reported only through the return code (for uri.is_valid). */
static int go_url_parse(gh_bctx *bc, const char *name, text in, uri *u, bool quiet)
{
    memset(u, 0, sizeof *u);
    perr e = {0};
    bool oom = false;
    const char *hash = memchr(in.s, '#', in.n);
    text head = hash ? (text){in.s, (size_t)(hash - in.s)} : in;
    text whole = head;
    bool ok = parse_main(bc, head, u, &e, &oom);
    if (ok && hash && hash + 1 < in.s + in.n) {
        whole = in;
        ok = unescape(bc, (text){hash + 1, in.n - head.n - 1}, M_FRAGMENT, &u->fragment, &e, &oom);
    }
    if (oom) return GH_ENOMEM;
    if (ok) return 0;
    if (quiet) return GH_EBUILTIN;
    char q[300];
    go_quote(q, sizeof q, whole.s, whole.n);
    return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: parse %s: %s", name, q, e.text);
}

/* url.URL.Hostname / Port (url.splitHostPort) */
static void host_port(text host, text *hostname, text *port)
{
    *hostname = host;
    *port = (text){NULL, 0};
    const char *colon = last_of(host.s, host.n, ':');
    if (colon && valid_port(colon, host.n - (size_t)(colon - host.s))) {
        *port = (text){colon + 1, host.n - (size_t)(colon - host.s) - 1};
        hostname->n = (size_t)(colon - host.s);
    }
    if (hostname->n >= 2 && hostname->s[0] == '[' && hostname->s[hostname->n - 1] == ']') {
        hostname->s++;
        hostname->n -= 2;
    }
}

static int bi_uri_parse(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    size_t n;
    const char *s = gh_string_ptr(args[0], &n);
    if (!s) return bi_type_err(bc, "uri.parse", 1, args[0], "string");
    uri u;
    int rc = go_url_parse(bc, "uri.parse", (text){s, n}, &u, false);
    if (rc) return rc;
    text hostname, port;
    host_port(u.host, &hostname, &port);
    const char *names[7];
    text vals[7];
    size_t k = 0;
#define ADD(nm, t)                \
    if ((t).n) {                  \
        names[k] = nm;            \
        vals[k++] = (t);          \
    }
    ADD("scheme", u.scheme);
    ADD("hostname", hostname);
    ADD("port", port);
    ADD("path", u.path);
    if (u.path.n) {
        names[k] = "raw_path";
        vals[k++] = u.raw_path.n ? u.raw_path : u.path;
    }
    ADD("raw_query", u.query);
    ADD("fragment", u.fragment);
#undef ADD
    const gh_value **keys = bi_ptrs(bc, k ? 2 * k : 1);
    if (!keys) return GH_ENOMEM;
    const gh_value **vs = keys + k;
    for (size_t i = 0; i < k; i++) {
        keys[i] = bi_str(bc, names[i], strlen(names[i]));
        vs[i] = bi_str(bc, vals[i].s, vals[i].n);
        if (!keys[i] || !vs[i]) return GH_ENOMEM;
    }
    rc = gh_value_object(bc->arena, keys, vs, k, out, NULL);
    return rc ? GH_ENOMEM : 0;
}

static int bi_uri_is_valid(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    size_t n;
    const char *s = gh_string_ptr(args[0], &n);
    if (!s || n == 0) return bi_ret(out, GH_FALSE);
    uri u;
    int rc = go_url_parse(bc, "uri.is_valid", (text){s, n}, &u, true);
    if (rc == GH_ENOMEM) return rc;
    return bi_ret(out, rc == 0 ? GH_TRUE : GH_FALSE);
}

static const gh_builtin table[] = {
    BI_FN("uri.parse", 1, "(string) => object[string: string]", bi_uri_parse),
    BI_FN("uri.is_valid", 1, "(string) => boolean", bi_uri_is_valid),
};

BI_FAMILY(uri, table);
