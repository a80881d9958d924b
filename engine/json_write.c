/* Value output: JSON as Go's encoding/json writes what OPA hands it (sorted keys, sets as
 * sorted arrays, Go's float and string formatting, MarshalIndent's layout), and Rego source
 * text as OPA's String() methods print values (for test-failure messages). Rego strings are
 * quoted like Go's strconv.Quote for ASCII and bad bytes (\a, \v, \x01, \xff); other
 * characters are kept as they are, where strconv.Quote would escape the non-printable ones. */
#include "value.h"

#include "gatehouse/error.h"

#include <math.h>
#include <stdlib.h>

typedef struct jw {
    gh_buf *b;
    unsigned flags;
    bool rego; /* Rego text instead of JSON */
    int rc;    /* first error */
} jw;

static void put(jw *w, const char *s, size_t n)
{
    int rc = gh_buf_append(w->b, s, n);
    if (rc && !w->rc) w->rc = rc;
}

static void puts_(jw *w, const char *s)
{
    put(w, s, strlen(s));
}

/* ---- scalars ---- */

static void write_int(jw *w, int64_t i)
{
    char buf[24], *p = buf + sizeof buf;
    uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (i < 0) *--p = '-';
    put(w, p, (size_t)(buf + sizeof buf - p));
}

static void write_number(jw *w, const gh_value *v)
{
    char buf[32];
    if (v_tag(v) == TAG_INT) {
        write_int(w, v_int(v));
        return;
    }
    const vbox *b = v_box(v);
    if (b->sub == NUM_TEXT) {
        put(w, box_text(b), b->len);
    } else if (b->sub == NUM_INT64) {
        int64_t i;
        memcpy(&i, b + 1, sizeof i);
        write_int(w, i);
    } else if (!isfinite(box_double(b))) {
        if (!w->rc) w->rc = GH_EINVAL; /* JSON has no NaN or Inf; constructors refuse them */
    } else {
        put(w, buf, num_format_double(box_double(b), buf));
    }
}

static const char hexdig[] = "0123456789abcdef";

/* Bytes below 0x80 written as they are in a JSON string (Go's safeSet / htmlSafeSet). */
static bool json_safe(unsigned char c, bool html)
{
    if (c < 0x20 || c == '"' || c == '\\') return false;
    return !(html && (c == '<' || c == '>' || c == '&'));
}

static char short_escape(unsigned char c, bool rego)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '\b': return 'b';
    case '\f': return 'f';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    case '\a': return rego ? 'a' : 0; /* strconv.Quote knows these two, JSON does not */
    case '\v': return rego ? 'v' : 0;
    }
    return 0;
}

/* One input byte or sequence at s[i] escaped into o; returns bytes consumed, *on = written. */
static size_t escape_one(const jw *w, const unsigned char *s, size_t i, size_t n, char *o,
                         size_t *on)
{
    unsigned char c = s[i];
    bool html = (w->flags & GH_JSON_ESCAPE_HTML) && !w->rego;
    if (c < 0x80) {
        char e = short_escape(c, w->rego);
        if (e) {
            o[0] = '\\';
            o[1] = e;
            *on = 2;
        } else if (json_safe(c, html) && !(w->rego && c == 0x7f)) {
            o[0] = (char)c;
            *on = 1;
        } else if (w->rego) {
            memcpy(o, "\\x", 2);
            o[2] = hexdig[c >> 4];
            o[3] = hexdig[c & 15];
            *on = 4;
        } else {
            memcpy(o, "\\u00", 4);
            o[4] = hexdig[c >> 4];
            o[5] = hexdig[c & 15];
            *on = 6;
        }
        return 1;
    }
    size_t k = 0;
    unsigned lo = 0x80, hi = 0xBF;
    /* well-formed UTF-8 as in Go's utf8.DecodeRune */
    if (c >= 0xC2 && c <= 0xDF) {
        k = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        lo = c == 0xE0 ? 0xA0 : lo;
        hi = c == 0xED ? 0x9F : hi;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        lo = c == 0xF0 ? 0x90 : lo;
        hi = c == 0xF4 ? 0x8F : hi;
    }
    bool ok = k && n - i >= k && s[i + 1] >= lo && s[i + 1] <= hi;
    for (size_t j = 2; ok && j < k; j++)
        ok = s[i + j] >= 0x80 && s[i + j] <= 0xBF;
    if (!ok) { /* Go writes invalid bytes as U+FFFD; strconv.Quote as \xNN */
        if (w->rego) {
            memcpy(o, "\\x", 2);
            o[2] = hexdig[c >> 4];
            o[3] = hexdig[c & 15];
            *on = 4;
        } else {
            memcpy(o, "\\ufffd", 6);
            *on = 6;
        }
        return 1;
    }
    if (k == 3 && c == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
        memcpy(o, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6); /* JSONP-safe, as Go */
        *on = 6;
        return 3;
    }
    memcpy(o, s + i, k);
    *on = k;
    return k;
}

/* Bytes that go out as they are: printable ASCII but the quote and backslash (and, on
 * request, <>&; in Rego text, DEL), and well-formed UTF-8 other than U+2028/2029. */
static size_t plain_len(const jw *w, const unsigned char *s, size_t i, size_t n)
{
    unsigned char c = s[i];
    if (c < 0x80) {
        if (c < 0x20 || c == '"' || c == '\\') return 0;
        if ((w->flags & GH_JSON_ESCAPE_HTML) && !w->rego && (c == '<' || c == '>' || c == '&'))
            return 0;
        return w->rego && c == 0x7f ? 0 : 1;
    }
    char o[8];
    size_t on, k = escape_one(w, s, i, n, o, &on);
    return on == k && memcmp(o, s + i, k) == 0 ? k : 0;
}

/* Runs of plain bytes are copied in one piece; the rest is escaped one by one. */
static void write_string(jw *w, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    put(w, "\"", 1);
    size_t i = 0, run = 0;
    while (i < n) {
        size_t k = plain_len(w, s, i, n);
        if (k) {
            i += k;
            continue;
        }
        put(w, str + run, i - run);
        char o[8];
        size_t on;
        i += escape_one(w, s, i, n, o, &on);
        put(w, o, on);
        run = i;
    }
    put(w, str + run, n - run);
    put(w, "\"", 1);
}

/* ---- containers ---- */

static void write_value(jw *w, const gh_value *v, int depth);

static void newline(jw *w, int depth)
{
    if (!(w->flags & GH_JSON_PRETTY) || w->rego) return;
    put(w, "\n", 1);
    for (int i = 0; i < depth; i++)
        put(w, "  ", 2);
}

static void separator(jw *w, size_t i, int depth)
{
    if (i) put(w, ",", 1);
    if (w->rego && i) put(w, " ", 1);
    newline(w, depth);
}

static void write_seq(jw *w, const gh_value *it, size_t n, int depth, const char *open,
                      const char *close)
{
    puts_(w, open);
    for (size_t i = 0; i < n && !w->rc; i++) {
        separator(w, i, depth + 1);
        write_value(w, &it[i], depth + 1);
    }
    if (n) newline(w, depth);
    puts_(w, close);
}

static void write_member(jw *w, const char *key, size_t kn, const gh_value *val, int depth)
{
    write_string(w, key, kn);
    if ((w->flags & GH_JSON_PRETTY) || w->rego) {
        put(w, ": ", 2);
    } else {
        put(w, ":", 1);
    }
    write_value(w, val, depth);
}

/* A JSON object whose keys are not all strings: each key becomes the string of its JSON
 * text (as OPA converts them), and the members are re-sorted by that text; of two keys with
 * the same text the greater one (in value order) is kept, as a Go map would keep one. */
typedef struct rkey {
    char *text;
    size_t len, idx;
} rkey;

static int rkey_cmp(const void *pa, const void *pb)
{
    const rkey *a = pa, *b = pb;
    int c = str_cmp(a->text, a->len, b->text, b->len);
    if (c) return c;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static void write_object_mixed(jw *w, const vobj *o, int depth)
{
    size_t n = o->h.len, total = n;
    rkey *keys = calloc(n, sizeof *keys);
    if (!keys) {
        w->rc = GH_ENOMEM;
        return;
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        keys[i].idx = i;
        if (v_is_str(&o->keys[i])) {
            keys[i].text = (char *)v_str(&o->keys[i], &keys[i].len);
            continue;
        }
        gh_buf kb;
        gh_buf_init(&kb, 0);
        if (!rc) rc = gh_json_write(&kb, &o->keys[i], w->flags & ~(unsigned)GH_JSON_PRETTY);
        keys[i].text = gh_buf_take(&kb, &keys[i].len); /* NULL only when out of memory */
        if (!keys[i].text && !rc) rc = GH_ENOMEM;
    }
    if (rc) {
        w->rc = rc;
        n = 0; /* nothing to sort or write; the loop below frees what was rendered */
    }
    qsort(keys, n, sizeof *keys, rkey_cmp);
    put(w, "{", 1);
    size_t out = 0;
    for (size_t i = 0; i < n && !w->rc; i++) {
        if (i + 1 < n && str_cmp(keys[i].text, keys[i].len, keys[i + 1].text, keys[i + 1].len) == 0)
            continue;
        separator(w, out++, depth + 1);
        write_member(w, keys[i].text, keys[i].len, &o->vals[keys[i].idx], depth + 1);
    }
    if (out) newline(w, depth);
    put(w, "}", 1);
    for (size_t i = 0; i < total; i++)
        if (!v_is_str(&o->keys[keys[i].idx])) free(keys[i].text);
    free(keys);
}

static void write_object(jw *w, const vobj *o, int depth)
{
    size_t n = o->h.len;
    if (!w->rego) {
        for (size_t i = 0; i < n; i++)
            if (!v_is_str(&o->keys[i])) {
                write_object_mixed(w, o, depth);
                return;
            }
    }
    put(w, "{", 1);
    for (size_t i = 0; i < n && !w->rc; i++) {
        separator(w, i, depth + 1);
        if (w->rego) {
            write_value(w, &o->keys[i], depth + 1);
            put(w, ": ", 2);
            write_value(w, &o->vals[i], depth + 1);
        } else {
            size_t kn;
            const char *k = v_str(&o->keys[i], &kn);
            write_member(w, k, kn, &o->vals[i], depth + 1);
        }
    }
    if (n) newline(w, depth);
    put(w, "}", 1);
}

static void write_value(jw *w, const gh_value *v, int depth)
{
    switch (gh_value_kind(v)) {
    case GH_KIND_NULL: put(w, "null", 4); return;
    case GH_KIND_BOOL: puts_(w, gh_value_get_bool(v) ? "true" : "false"); return;
    case GH_KIND_NUMBER: write_number(w, v); return;
    case GH_KIND_STRING: {
        size_t n;
        const char *s = v_str(v, &n);
        write_string(w, s, n);
        return;
    }
    case GH_KIND_ARRAY: write_seq(w, box_items(v_box(v)), v_box(v)->len, depth, "[", "]"); return;
    case GH_KIND_OBJECT: write_object(w, v_obj(v), depth); return;
    case GH_KIND_SET:
        if (w->rego && v_box(v)->len == 0) {
            put(w, "set()", 5);
        } else if (w->rego) {
            write_seq(w, box_items(v_box(v)), v_box(v)->len, depth, "{", "}");
        } else {
            write_seq(w, box_items(v_box(v)), v_box(v)->len, depth, "[", "]");
        }
        return;
    }
}

int gh_json_write(gh_buf *out, const gh_value *v, unsigned flags)
{
    jw w = {.b = out, .flags = flags};
    write_value(&w, v, 0);
    return w.rc;
}

int gh_value_to_rego(gh_buf *out, const gh_value *v)
{
    jw w = {.b = out, .rego = true};
    write_value(&w, v, 0);
    return w.rc;
}

int gh_json_write_str(gh_buf *out, const char *s, size_t n)
{
    jw w = {.b = out};
    write_string(&w, s, n);
    return w.rc;
}
