/* multipart/form-data bodies for ext_authz's parsed_body, read as opa-envoy-plugin reads
 * them with Go's mime.ParseMediaType and mime/multipart: {field name: [values]} where a
 * part whose Content-Type names application/json holds its JSON value and any other part
 * its text. The whole body is in memory, so Go's buffered reader reduces to one scan;
 * Go's rules are kept: a preamble before the first boundary is skipped, lines may end in
 * CRLF or (when the first boundary line does) LF alone, a part ends only at a boundary,
 * parts without a form-data name are skipped, and anything else malformed refuses the
 * request; quoted-printable parts are decoded. Not done: RFC 2231 parameters. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extauthz_multipart.h"
#include "gatehouse/error.h"

typedef struct mp {
    gh_arena *a;
    char *err;
    size_t errlen;
    const char *buf;
    size_t n, pos;
    const char *nl;    /* "\r\n", or "\n" after an LF-only first boundary line */
    size_t nl_len;
    const char *dash;  /* "--" + boundary */
    size_t dash_len;
    int parts_read;
} mp;

static int mp_fail(mp *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int mp_fail(mp *m, const char *fmt, ...) {
    if (m->err && m->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m->err, m->errlen, fmt, ap);
        va_end(ap);
    }
    return GH_EINVAL;
}

/* ---- mime.ParseMediaType ---- */

static bool tspecial(char ch) { return strchr("()<>@,;:\\\"/[]?=", ch) && ch; }
static bool token_char(char ch) { return (unsigned char)ch > 0x20 && (unsigned char)ch < 0x7f && !tspecial(ch); }
static bool space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f'; }

static size_t token_len(const char *s, size_t n) {
    size_t i = 0;
    while (i < n && token_char(s[i])) i++;
    return i;
}

/* A parameter's value: a token, or a quoted string whose backslash escapes a tspecial.
 * Writes the value to dst (at most n bytes); returns bytes consumed, 0 when invalid. */
static size_t param_value(const char *s, size_t n, char *dst, size_t *dlen) {
    *dlen = 0;
    if (n && s[0] != '"') {
        size_t k = token_len(s, n);
        memcpy(dst, s, k);
        *dlen = k;
        return k;
    }
    for (size_t i = 1; i < n; i++) {
        if (s[i] == '"') return i + 1;
        if (s[i] == '\\' && i + 1 < n && tspecial(s[i + 1])) i++;
        else if (s[i] == '\r' || s[i] == '\n') return 0;
        dst[(*dlen)++] = s[i];
    }
    return 0; /* no closing quote */
}

typedef struct media {
    char *type;      /* lower-case */
    char *want;      /* the parameter asked for ("boundary", "name"), lower-case */
    char *value;     /* its value, or NULL when absent */
    size_t value_len;
} media;

static bool parse_type(gh_arena *a, const char *s, size_t n, media *out, size_t *used) {
    size_t end = 0;
    while (end < n && s[end] != ';') end++;
    size_t b = 0, e = end;
    while (b < e && space(s[b])) b++;
    while (e > b && space(s[e - 1])) e--;
    size_t t = token_len(s + b, e - b);
    if (!t) return false; /* "mime: no media type" */
    if (b + t < e) {      /* type/subtype */
        if (s[b + t] != '/') return false;
        size_t st = token_len(s + b + t + 1, e - b - t - 1);
        if (!st || b + t + 1 + st != e) return false;
    }
    out->type = gh_arena_strndup(a, s + b, e - b);
    for (size_t i = 0; out->type && out->type[i]; i++)
        if (out->type[i] >= 'A' && out->type[i] <= 'Z') out->type[i] = (char)(out->type[i] + 32);
    *used = end;
    return out->type != NULL;
}

/* Go's ParseMediaType, keeping only the one parameter asked for; false on any error. */
static bool parse_media(gh_arena *a, const char *s, size_t n, media *out) {
    size_t i;
    if (!parse_type(a, s, n, out, &i)) return false;
    size_t nkeys = 0, maxkeys = 1;
    for (size_t j = i; j < n; j++) maxkeys += s[j] == ';';
    const char **keys = gh_arena_alloc(a, maxkeys * sizeof *keys);
    size_t *klens = gh_arena_alloc(a, maxkeys * sizeof *klens);
    char *val = gh_arena_alloc(a, n + 1);
    if (!val || !keys || !klens) return false;
    while (true) {
        while (i < n && space(s[i])) i++;
        if (i >= n) return true;
        size_t start = i;
        if (s[i++] != ';') return false;
        while (i < n && space(s[i])) i++;
        size_t k = token_len(s + i, n - i), key = i;
        if (!k) { /* trailing semicolons are allowed */
            for (size_t j = start + 1; j < n; j++) if (!space(s[j])) return false;
            return true;
        }
        i += k;
        while (i < n && space(s[i])) i++;
        if (i >= n || s[i++] != '=') return false;
        while (i < n && space(s[i])) i++;
        size_t vlen, used = param_value(s + i, n - i, val, &vlen);
        if (!used) return false;
        i += used;
        for (size_t j = 0; j < nkeys; j++)
            if (klens[j] == k && strncasecmp(keys[j], s + key, k) == 0)
                return false; /* "mime: duplicate parameter name" */
        keys[nkeys] = s + key, klens[nkeys++] = k;
        if (k == strlen(out->want) && strncasecmp(s + key, out->want, k) == 0) {
            out->value = gh_arena_strndup(a, val, vlen);
            out->value_len = vlen;
            if (!out->value) return false;
        }
    }
}

/* ---- lines ---- */

static void next_line(mp *m, const char **line, size_t *len, bool *eof) {
    const char *p = m->buf + m->pos, *nl = memchr(p, '\n', m->n - m->pos);
    *line = p;
    *len = nl ? (size_t)(nl - p) + 1 : m->n - m->pos;
    *eof = !nl;
    m->pos += *len;
}

static size_t skip_lwsp(const char *s, size_t n) {
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    return i;
}

static bool rest_is(const char *rest, size_t n, const char *want, size_t wlen) {
    return n == wlen && memcmp(rest, want, n) == 0;
}

static bool is_delimiter(mp *m, const char *line, size_t len) {
    if (len < m->dash_len || memcmp(line, m->dash, m->dash_len) != 0) return false;
    const char *rest = line + m->dash_len;
    size_t rn = len - m->dash_len, k = skip_lwsp(rest, rn);
    rest += k, rn -= k;
    if (m->parts_read == 0 && rn == 1 && rest[0] == '\n') m->nl = "\n", m->nl_len = 1;
    return rest_is(rest, rn, m->nl, m->nl_len);
}

static bool is_final(mp *m, const char *line, size_t len) {
    if (len < m->dash_len + 2 || memcmp(line, m->dash, m->dash_len) != 0 ||
        memcmp(line + m->dash_len, "--", 2) != 0)
        return false;
    const char *rest = line + m->dash_len + 2;
    size_t rn = len - m->dash_len - 2, k = skip_lwsp(rest, rn);
    return rn == k || rest_is(rest + k, rn - k, m->nl, m->nl_len);
}

/* ---- parts ---- */

typedef struct part {
    /* header values, NUL-terminated, or NULL */
    const char *disposition, *ctype, *encoding;
} part;

static bool header_value_ok(const char *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f) return false;
    return true;
}

/* One "Key: value" line (continuations already joined); keeps the two headers used. */
static int header_line(mp *m, const char *kv, size_t n, part *p) {
    const char *colon = memchr(kv, ':', n);
    if (!colon) return mp_fail(m, "malformed MIME header line: %.*s", (int)(n > 80 ? 80 : n), kv);
    size_t klen = (size_t)(colon - kv);
    if (token_len(kv, klen) != klen || !header_value_ok(colon + 1, n - klen - 1))
        return mp_fail(m, "malformed MIME header line: %.*s", (int)(n > 80 ? 80 : n), kv);
    const char *v = colon + 1, *e = kv + n;
    while (v < e && (*v == ' ' || *v == '\t')) v++;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t')) e--;
    const char **slot = klen == 19 && strncasecmp(kv, "content-disposition", 19) == 0 ? &p->disposition
                        : klen == 12 && strncasecmp(kv, "content-type", 12) == 0    ? &p->ctype
                        : klen == 25 && strncasecmp(kv, "content-transfer-encoding", 25) == 0
                            ? &p->encoding
                            : NULL;
    if (slot && !*slot && !(*slot = gh_arena_strndup(m->a, v, (size_t)(e - v))))
        return mp_fail(m, "out of memory");
    return 0;
}

/* textproto.ReadMIMEHeader: lines up to a blank one; a line starting with a space or tab
 * continues the previous one. */
static int read_headers(mp *m, part *p) {
    char *cur = NULL;
    size_t cur_len = 0;
    for (;;) {
        const char *line;
        size_t len;
        bool eof;
        next_line(m, &line, &len, &eof);
        if (eof && !len) return mp_fail(m, "multipart: unexpected EOF in part headers");
        size_t t = len;
        if (t && line[t - 1] == '\n') t--;
        if (t && line[t - 1] == '\r') t--;
        bool cont = t && (line[0] == ' ' || line[0] == '\t');
        if (cont && !cur) return mp_fail(m, "malformed MIME header initial line: %.*s", (int)(t > 80 ? 80 : t), line);
        if (cont) { /* fold into the previous line with one space */
            size_t k = skip_lwsp(line, t);
            char *joined = gh_arena_alloc(m->a, cur_len + 1 + t - k);
            if (!joined) return mp_fail(m, "out of memory");
            memcpy(joined, cur, cur_len);
            joined[cur_len] = ' ';
            memcpy(joined + cur_len + 1, line + k, t - k);
            cur = joined, cur_len += 1 + t - k;
            continue;
        }
        if (cur) {
            int rc = header_line(m, cur, cur_len, p);
            if (rc) return rc;
        }
        if (!t) return 0;
        if (eof) return mp_fail(m, "multipart: unexpected EOF in part headers");
        cur = (char *)line, cur_len = t;
    }
}

/* What follows a boundary that ends a body: whitespace, a line end, "--", or the end. */
static bool ends_body(mp *m, size_t at) {
    if (at >= m->n) return true;
    char ch = m->buf[at];
    if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') return true;
    return ch == '-' && at + 1 < m->n && m->buf[at + 1] == '-';
}

/* The body runs to the next line end + boundary that ends it (Go's scanUntilBoundary). */
static int read_body(mp *m, const char **body, size_t *len) {
    size_t start = m->pos, from = m->pos;
    if (m->n - start >= m->dash_len && memcmp(m->buf + start, m->dash, m->dash_len) == 0) {
        if (ends_body(m, start + m->dash_len)) {
            *body = m->buf + start, *len = 0;
            return 0;
        }
        from = start + m->dash_len;
    }
    size_t nlb_len = m->nl_len + m->dash_len;
    for (size_t i = from; i + nlb_len <= m->n; i++) {
        if (memcmp(m->buf + i, m->nl, m->nl_len) != 0 ||
            memcmp(m->buf + i + m->nl_len, m->dash, m->dash_len) != 0)
            continue;
        if (ends_body(m, i + nlb_len)) {
            *body = m->buf + start, *len = i - start;
            m->pos = i;
            return 0;
        }
        i += nlb_len - 1;
    }
    return mp_fail(m, "multipart: unexpected EOF in a part");
}

/* Go's NextPart: 1 with m->pos at the part's headers, 0 at the final boundary, or an
 * error. */
static int next_part(mp *m) {
    bool expect_new = false;
    for (;;) {
        const char *line;
        size_t len;
        bool eof;
        next_line(m, &line, &len, &eof);
        if (eof && is_final(m, line, len)) return 0;
        if (eof) return mp_fail(m, "multipart: NextPart: EOF");
        if (is_delimiter(m, line, len)) {
            m->parts_read++;
            return 1;
        }
        if (is_final(m, line, len)) return 0;
        if (expect_new) return mp_fail(m, "multipart: expecting a new Part; got line %.*s", (int)(len > 80 ? 80 : len), line);
        if (m->parts_read == 0) continue; /* the preamble */
        if (rest_is(line, len, m->nl, m->nl_len)) {
            expect_new = true;
            continue;
        }
        return mp_fail(m, "multipart: unexpected line in Next(): %.*s", (int)(len > 80 ? 80 : len), line);
    }
}

/* ---- quoted-printable part bodies (Go's mime/quotedprintable, lenient as it is) ---- */

static int hex_digit(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
}

static bool qp_discard(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }

/* Decodes one line as Go's Reader holds it: trailing whitespace gone, the line end put
 * back, or a final '=' (soft break) dropped. */
static int qp_line(mp *m, const char *w, size_t wl, char *d, size_t *o) {
    for (size_t i = 0; i < wl; i++) {
        unsigned char b = (unsigned char)w[i];
        if (b == '=') {
            int hi = i + 1 < wl ? hex_digit(w[i + 1]) : -1;
            int lo = i + 2 < wl ? hex_digit(w[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                d[(*o)++] = (char)(hi << 4 | lo);
                i += 2;
                continue;
            }
            if (wl - i >= 2 && w[i + 1] != '\r' && w[i + 1] != '\n') { /* a literal '=' */
                d[(*o)++] = '=';
                continue;
            }
            return mp_fail(m, "quotedprintable: invalid escape in body");
        }
        if (b < ' ' && b != '\t' && b != '\r' && b != '\n')
            return mp_fail(m, "quotedprintable: invalid unescaped byte 0x%02x in body", b);
        if (b == 0x7f) return mp_fail(m, "quotedprintable: invalid unescaped byte 0x7f in body");
        d[(*o)++] = (char)b;
    }
    return 0;
}

static int qp_decode(mp *m, const char *in, size_t n, const char **out, size_t *olen) {
    char *d = gh_arena_alloc(m->a, n + 3), *w = gh_arena_alloc(m->a, n + 3);
    size_t o = 0, pos = 0;
    if (!d || !w) return mp_fail(m, "out of memory");
    while (pos < n) {
        const char *line = in + pos, *lf = memchr(line, '\n', n - pos);
        size_t whole = lf ? (size_t)(lf - line) + 1 : n - pos, t = whole;
        pos += whole;
        while (t && qp_discard(line[t - 1])) t--;
        memcpy(w, line, t);
        size_t wl = t;
        if (t && line[t - 1] == '=') { /* a soft line break */
            const char *rest = line + t;
            size_t rl = whole - t;
            wl--;
            bool ok = (rl >= 1 && rest[0] == '\n') || (rl >= 2 && rest[0] == '\r' && rest[1] == '\n') ||
                      (rl == 0 && wl > 0 && !lf);
            if (!ok) return mp_fail(m, "quotedprintable: invalid bytes after =");
        } else if (lf) {
            if (whole >= 2 && line[whole - 2] == '\r') w[wl++] = '\r';
            w[wl++] = '\n';
        }
        int rc = qp_line(m, w, wl, d, &o);
        if (rc) return rc;
    }
    *out = d, *olen = o;
    return 0;
}

/* The part's form-data name, or NULL (not form-data, no name, a bad disposition). */
static const char *form_name(mp *m, const part *p, size_t *len) {
    media d = {.want = "name"};
    if (!p->disposition || !parse_media(m->a, p->disposition, strlen(p->disposition), &d)) return NULL;
    if (strcmp(d.type, "form-data") != 0 || !d.value) return NULL;
    *len = d.value_len;
    return d.value_len ? d.value : NULL;
}

typedef struct field {
    const gh_value *name, *value;
    size_t seq;
} field;

static int part_value(mp *m, const part *p, const char *body, size_t len, const gh_value **out) {
    if (p->ctype && strstr(p->ctype, "application/json")) {
        gh_json_error jerr;
        int rc = gh_json_read(m->a, body, len, NULL, out, &jerr);
        return rc ? mp_fail(m, "request body: %s", jerr.msg) : 0;
    }
    *out = gh_value_string(m->a, body, len);
    return *out ? 0 : mp_fail(m, "out of memory");
}

static int field_cmp(const void *x, const void *y) {
    const field *a = x, *b = y;
    int k = gh_value_compare(a->name, b->name);
    return k ? k : (a->seq > b->seq) - (a->seq < b->seq);
}

/* {name: [values in order]} */
static int group_fields(mp *m, field *f, size_t n, const gh_value **out) {
    qsort(f, n, sizeof *f, field_cmp);
    const gh_value **keys = gh_arena_alloc(m->a, (n + 1) * sizeof *keys);
    const gh_value **vals = gh_arena_alloc(m->a, (n + 1) * sizeof *vals);
    const gh_value **items = gh_arena_alloc(m->a, (n + 1) * sizeof *items);
    if (!keys || !vals || !items) return mp_fail(m, "out of memory");
    size_t k = 0;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i; j < n && gh_value_equal(f[j].name, f[i].name); j++) items[j - i] = f[j].value;
        keys[k] = f[i].name;
        if (!(vals[k++] = gh_value_array(m->a, items, j - i))) return mp_fail(m, "out of memory");
    }
    return gh_value_object(m->a, keys, vals, k, out, NULL) ? mp_fail(m, "out of memory") : 0;
}

/* Every named part's value, in order, into a growing arena array. */
static int read_parts(mp *m, const gh_value **out) {
    size_t cap = 16, n = 0;
    field *f = gh_arena_alloc(m->a, cap * sizeof *f);
    int rc;
    if (!f) return mp_fail(m, "out of memory");
    while ((rc = next_part(m)) == 1) {
        part p = {NULL, NULL, NULL};
        const char *body = NULL, *name;
        size_t blen = 0, nlen;
        if ((rc = read_headers(m, &p)) || (rc = read_body(m, &body, &blen))) return rc;
        if (p.encoding && strcasecmp(p.encoding, "quoted-printable") == 0 &&
            (rc = qp_decode(m, body, blen, &body, &blen)))
            return rc;
        if (!(name = form_name(m, &p, &nlen))) continue;
        if (n == cap) {
            f = gh_arena_realloc(m->a, f, cap * sizeof *f, 2 * cap * sizeof *f);
            cap *= 2;
        }
        if (!f || !(f[n].name = gh_value_string(m->a, name, nlen))) return mp_fail(m, "out of memory");
        f[n].seq = n;
        if ((rc = part_value(m, &p, body, blen, &f[n].value))) return rc;
        n++;
    }
    return rc < 0 ? rc : group_fields(m, f, n, out);
}

int extauthz_multipart_parse(gh_arena *a, const char *ctype, const char *body, size_t len,
                             const gh_value **out, char *err, size_t errlen) {
    mp m = {.a = a, .err = err, .errlen = errlen, .buf = body, .n = len, .nl = "\r\n", .nl_len = 2};
    media ct = {.want = "boundary"};
    *out = GH_NULL;
    if (!parse_media(a, ctype, strlen(ctype), &ct)) return mp_fail(&m, "mime: invalid media parameter");
    if (!ct.value) return 0; /* no boundary: left unparsed */
    if (!ct.value_len) return mp_fail(&m, "multipart: boundary is empty");
    char *dash = gh_arena_alloc(a, ct.value_len + 3);
    if (!dash) return mp_fail(&m, "out of memory");
    memcpy(dash, "--", 2);
    memcpy(dash + 2, ct.value, ct.value_len);
    m.dash = dash, m.dash_len = ct.value_len + 2;
    return read_parts(&m, out);
}
