/* Encoding builtins, with Go's encoders' exact output and error texts: json.marshal,
 * json.marshal_with_options, json.unmarshal, json.is_valid, base64.encode/decode/is_valid,
 * base64url.encode/encode_no_pad/decode, hex.encode/decode, urlquery.encode/decode/
 * encode_object/decode_object. */
#include "builtins/bi_internal.h"

#include <stdio.h>
#include <stdlib.h>

#define STR1(var, len, name)                                          \
    size_t len;                                                       \
    const char *var = gh_string_ptr(args[0], &len);                   \
    if (!var) return bi_type_err(bc, name, 1, args[0], "string")

/* ---- json ---- */

/* Go's json.Marshal: compact, sets as arrays, <>& escaped. */
static int marshal(gh_bctx *bc, const gh_value *v, bool pretty, const char *prefix, size_t pn,
                   const char *indent, size_t in, const gh_value **out)
{
    gh_buf *b = bi_scratch(bc, BI_SCRATCH_OUT);
    if (!b) return GH_ENOMEM;
    int rc = gh_json_write(b, v, GH_JSON_ESCAPE_HTML);
    if (rc == GH_EINVAL) return bi_builtin_err(bc, "json.marshal", "json: unsupported value");
    if (rc) return rc;
    if (!pretty) return bi_ret(out, bi_str(bc, b->data ? b->data : "", b->len));
    /* re-indent the compact text as json.MarshalIndent does (OPA prefixes the first line) */
    gh_buf *p = bi_scratch(bc, BI_SCRATCH_TMP);
    if (!p) return GH_ENOMEM;
    gh_buf_append(p, prefix, pn);
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < b->len; i++) {
        char c = b->data[i];
        if (in_str) {
            gh_buf_putc(p, c);
            if (c == '\\') gh_buf_putc(p, b->data[++i]);
            else if (c == '"') in_str = false;
            continue;
        }
        if (c == '"') in_str = true;
        bool open = c == '[' || c == '{', close = c == ']' || c == '}';
        if (close) {
            depth--;
            if (b->data[i - 1] != '[' && b->data[i - 1] != '{') {
                gh_buf_putc(p, '\n');
                gh_buf_append(p, prefix, pn);
                for (int d = 0; d < depth; d++) gh_buf_append(p, indent, in);
            }
        }
        gh_buf_putc(p, c);
        if (c == ':') gh_buf_putc(p, ' ');
        if (open) depth++;
        bool empty = open && i + 1 < b->len && (b->data[i + 1] == ']' || b->data[i + 1] == '}');
        if ((open && !empty) || c == ',') {
            gh_buf_putc(p, '\n');
            gh_buf_append(p, prefix, pn);
            for (int d = 0; d < depth; d++) gh_buf_append(p, indent, in);
        }
    }
    if (p->failed) return GH_ENOMEM;
    return bi_ret(out, bi_str(bc, p->data ? p->data : "", p->len));
}

static int bi_json_marshal(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return marshal(bc, args[0], false, "", 0, "", 0, out);
}

static int bi_json_marshal_opts(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "json.marshal_with_options";
    const gh_value *o = args[1];
    if (!bi_is(o, GH_KIND_OBJECT)) return bi_type_err(bc, name, 2, o, "object");
    const char *prefix = "", *indent = "\t";
    size_t pn = 0, in = 1;
    bool implicit = false, explicit_set = false, pretty = false;
    for (size_t i = 0; i < gh_value_len(o); i++) {
        const gh_value *k = gh_object_key_at(o, i), *v = gh_object_value_at(o, i);
        size_t kn;
        const char *ks = gh_string_ptr(k, &kn);
        if (!ks) {
            size_t tl;
            const char *t = bi_rego_text(bc, k, &tl);
            return gh_builtin_error(bc, GH_ERR_TYPE,
                                    "%s: operand 2 failed to stringify key %.*s at index %zu: operand %zu must be string but got %s",
                                    name, (int)tl, t ? t : "", i, i, gh_kind_name(gh_value_kind(k)));
        }
        if (kn == 6 && !memcmp(ks, "prefix", 6)) {
            if (!(prefix = gh_string_ptr(v, &pn)))
                return gh_builtin_error(bc, GH_ERR_TYPE, "%s: operand 2 key prefix failed cast to string: operand %zu must be string but got %s", name, i, gh_kind_name(gh_value_kind(v)));
            implicit = true;
        } else if (kn == 6 && !memcmp(ks, "indent", 6)) {
            if (!(indent = gh_string_ptr(v, &in)))
                return gh_builtin_error(bc, GH_ERR_TYPE, "%s: operand 2 key indent failed cast to string: operand %zu must be string but got %s", name, i, gh_kind_name(gh_value_kind(v)));
            implicit = true;
        } else if (kn == 6 && !memcmp(ks, "pretty", 6)) {
            if (!bi_is(v, GH_KIND_BOOL))
                return gh_builtin_error(bc, GH_ERR_TYPE, "%s: operand 2 key pretty failed cast to bool", name);
            explicit_set = true;
            pretty = gh_value_get_bool(v);
        } else {
            size_t tl;
            const char *t = bi_rego_text(bc, k, &tl);
            return gh_builtin_error(bc, GH_ERR_TYPE, "%s: operand 2 object contained unknown key %.*s",
                                    name, (int)tl, t ? t : "");
        }
    }
    if (!explicit_set) pretty = implicit;
    return marshal(bc, args[0], pretty, prefix, pn, indent, in, out);
}

static int bi_json_unmarshal(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR1(s, n, "json.unmarshal");
    gh_json_error e;
    const gh_value *v = NULL;
    int rc = gh_json_read(bc->arena, s, n, NULL, &v, &e);
    if (rc == GH_EJSON) return bi_builtin_err(bc, "json.unmarshal", e.msg);
    if (rc) return rc;
    return bi_ret(out, v);
}

static int bi_json_is_valid(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    size_t n;
    const char *s = gh_string_ptr(args[0], &n);
    if (!s) return bi_ret(out, GH_FALSE);
    /* a scratch arena: validity is all we want */
    gh_arena tmp;
    gh_arena_init(&tmp, 0);
    gh_json_error e;
    const gh_value *v;
    int rc = gh_json_read(&tmp, s, n, NULL, &v, &e);
    gh_arena_free(&tmp);
    if (rc == GH_ENOMEM) return rc;
    *out = gh_value_bool(rc == 0);
    (void)bc;
    return 0;
}

/* ---- base64 ---- */

static const char b64std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_encode(gh_bctx *bc, const char *s, size_t n, const char *alpha, bool pad,
                      const gh_value **out)
{
    char *d = bi_bytes(bc, (n + 2) / 3 * 4);
    if (!d) return GH_ENOMEM;
    size_t o = 0, i = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)u[i] << 16 | (uint32_t)u[i + 1] << 8 | u[i + 2];
        d[o++] = alpha[v >> 18];
        d[o++] = alpha[(v >> 12) & 63];
        d[o++] = alpha[(v >> 6) & 63];
        d[o++] = alpha[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)u[i] << 16;
        d[o++] = alpha[v >> 18];
        d[o++] = alpha[(v >> 12) & 63];
        if (pad) d[o++] = '=', d[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)u[i] << 16 | (uint32_t)u[i + 1] << 8;
        d[o++] = alpha[v >> 18];
        d[o++] = alpha[(v >> 12) & 63];
        d[o++] = alpha[(v >> 6) & 63];
        if (pad) d[o++] = '=';
    }
    return bi_ret(out, bi_str(bc, d, o));
}

static int b64_val(char c, const char *alpha)
{
    const char *p = c ? strchr(alpha, c) : NULL;
    return p ? (int)(p - alpha) : -1;
}

/* Go's base64.Encoding.DecodeString (padded, non-strict: \r and \n are skipped). On error,
 * *bad is the CorruptInputError offset. */
static bool b64_decode(const char *s, size_t n, const char *alpha, char *dst, size_t *dn, size_t *bad)
{
    size_t si = 0, o = 0;
    for (;;) {
        int dbuf[4] = {0, 0, 0, 0};
        size_t dlen = 4;
        bool end = false;
        for (size_t j = 0; j < 4; j++) {
            if (si == n) {
                if (j == 0) {
                    *dn = o;
                    return true;
                }
                *bad = si - j;
                return false;
            }
            char in = s[si++];
            int v = b64_val(in, alpha);
            if (v >= 0) {
                dbuf[j] = v;
                continue;
            }
            if (in == '\n' || in == '\r') {
                j--;
                continue;
            }
            if (in != '=' || j < 2) {
                *bad = si - 1;
                return false;
            }
            if (j == 2) {
                while (si < n && (s[si] == '\n' || s[si] == '\r')) si++;
                if (si == n) {
                    *bad = n;
                    return false;
                }
                if (s[si] != '=') {
                    *bad = si - 1;
                    return false;
                }
                si++;
            }
            while (si < n && (s[si] == '\n' || s[si] == '\r')) si++;
            if (si < n) {
                *bad = si;
                return false;
            }
            dlen = j;
            end = true;
            break;
        }
        uint32_t val = (uint32_t)dbuf[0] << 18 | (uint32_t)dbuf[1] << 12 | (uint32_t)dbuf[2] << 6 | (uint32_t)dbuf[3];
        if (dlen >= 2) dst[o++] = (char)(val >> 16);
        if (dlen >= 3) dst[o++] = (char)(val >> 8);
        if (dlen >= 4) dst[o++] = (char)val;
        if (end) {
            *dn = o;
            return true;
        }
    }
}

static int b64_decode_value(gh_bctx *bc, const char *name, const char *s, size_t n,
                            const char *alpha, const gh_value **out)
{
    char *d = bi_bytes(bc, n);
    if (!d) return GH_ENOMEM;
    size_t dn, bad;
    if (!b64_decode(s, n, alpha, d, &dn, &bad))
        return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: illegal base64 data at input byte %zu", name, bad);
    return bi_ret(out, bi_str(bc, d, dn));
}

static int bi_b64_encode(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR1(s, n, "base64.encode");
    return b64_encode(bc, s, n, b64std, true, out);
}

static int bi_b64_decode(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR1(s, n, "base64.decode");
    return b64_decode_value(bc, "base64.decode", s, n, b64std, out);
}

static int bi_b64_is_valid(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    size_t n;
    const char *s = gh_string_ptr(args[0], &n);
    if (!s) return bi_ret(out, GH_FALSE);
    char *d = bi_bytes(bc, n);
    if (!d) return GH_ENOMEM;
    size_t dn, bad;
    *out = gh_value_bool(b64_decode(s, n, b64std, d, &dn, &bad));
    return 0;
}

static int bi_b64url_encode(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR1(s, n, "base64url.encode");
    return b64_encode(bc, s, n, b64url, true, out);
}

static int bi_b64url_encode_no_pad(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR1(s, n, "base64url.encode_no_pad");
    return b64_encode(bc, s, n, b64url, false, out);
}

/* Padding is optional (RFC 7515 appendix C), as OPA adds it when missing. */
static int bi_b64url_decode(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR1(s, n, "base64url.decode");
    if (n == 0 || s[n - 1] != '=') {
        size_t add = n % 4 == 2 ? 2 : n % 4 == 3 ? 1 : 0;
        if (n % 4 == 1)
            return gh_builtin_error(bc, GH_ERR_BUILTIN, "base64url.decode: illegal base64url string: %.*s",
                                    (int)(n > 400 ? 400 : n), s);
        if (add) {
            char *p = bi_bytes(bc, n + add);
            if (!p) return GH_ENOMEM;
            memcpy(p, s, n);
            memset(p + n, '=', add);
            s = p;
            n += add;
        }
    }
    return b64_decode_value(bc, "base64url.decode", s, n, b64url, out);
}

/* ---- hex ---- */

static int bi_hex_encode(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR1(s, n, "hex.encode");
    char *d = bi_bytes(bc, 2 * n);
    if (!d) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        d[2 * i] = "0123456789abcdef"[(unsigned char)s[i] >> 4];
        d[2 * i + 1] = "0123456789abcdef"[(unsigned char)s[i] & 15];
    }
    return bi_ret(out, bi_str(bc, d, 2 * n));
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Go's %#U of a byte read as a rune: U+0067 'g' (no quoted form when not printable). */
static int hex_bad_byte(gh_bctx *bc, unsigned char c)
{
    if (c >= 0x20 && c < 0x7F)
        return gh_builtin_error(bc, GH_ERR_BUILTIN, "hex.decode: encoding/hex: invalid byte: U+%04X '%c'", c, c);
    if (c >= 0xA1 && c != 0xAD) {
        char enc[4];
        size_t k = bi_utf8_encode(c, enc);
        return gh_builtin_error(bc, GH_ERR_BUILTIN, "hex.decode: encoding/hex: invalid byte: U+%04X '%.*s'", c, (int)k, enc);
    }
    return gh_builtin_error(bc, GH_ERR_BUILTIN, "hex.decode: encoding/hex: invalid byte: U+%04X", c);
}

static int bi_hex_decode(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR1(s, n, "hex.decode");
    char *d = bi_bytes(bc, n / 2 + 1);
    if (!d) return GH_ENOMEM;
    size_t i = 0;
    for (; i + 1 < n; i += 2) {
        int a = hexval((unsigned char)s[i]), b = hexval((unsigned char)s[i + 1]);
        if (a < 0) return hex_bad_byte(bc, (unsigned char)s[i]);
        if (b < 0) return hex_bad_byte(bc, (unsigned char)s[i + 1]);
        d[i / 2] = (char)(a << 4 | b);
    }
    if (n % 2) {
        if (hexval((unsigned char)s[n - 1]) < 0) return hex_bad_byte(bc, (unsigned char)s[n - 1]);
        return bi_builtin_err(bc, "hex.decode", "encoding/hex: odd length hex string");
    }
    return bi_ret(out, bi_str(bc, d, n / 2));
}

/* ---- urlquery ---- */

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

/* url.QueryEscape into b. */
static void query_escape(gh_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c)) gh_buf_putc(b, (char)c);
        else if (c == ' ') gh_buf_putc(b, '+');
        else gh_buf_printf(b, "%%%02X", c);
    }
}

/* url.QueryUnescape; false with the bad escape in *bad (up to 3 bytes). */
static bool query_unescape(const char *s, size_t n, char *dst, size_t *dn, const char **bad, size_t *badn)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n || hexval((unsigned char)s[i + 1]) < 0 || hexval((unsigned char)s[i + 2]) < 0) {
                *bad = s + i;
                *badn = n - i > 3 ? 3 : n - i;
                return false;
            }
            dst[o++] = (char)(hexval((unsigned char)s[i + 1]) << 4 | hexval((unsigned char)s[i + 2]));
            i += 2;
        } else {
            dst[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    *dn = o;
    return true;
}

static int escape_err(gh_bctx *bc, const char *name, const char *bad, size_t n)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_buf_putc(&b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)bad[i];
        if (c == '"' || c == '\\') gh_buf_printf(&b, "\\%c", c);
        else if (c >= 0x20 && c < 0x7F) gh_buf_putc(&b, (char)c);
        else gh_buf_printf(&b, "\\x%02x", c);
    }
    gh_buf_putc(&b, '"');
    int rc = gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: invalid URL escape %s", name, b.data ? b.data : "");
    gh_buf_free(&b);
    return rc;
}

static int bi_url_encode(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR1(s, n, "urlquery.encode");
    gh_buf *b = bi_scratch(bc, BI_SCRATCH_OUT);
    if (!b) return GH_ENOMEM;
    query_escape(b, s, n);
    return b->failed ? GH_ENOMEM : bi_ret(out, bi_str(bc, b->data ? b->data : "", b->len));
}

static int bi_url_decode(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    STR1(s, n, "urlquery.decode");
    char *d = bi_bytes(bc, n);
    if (!d) return GH_ENOMEM;
    size_t dn, badn;
    const char *bad;
    if (!query_unescape(s, n, d, &dn, &bad, &badn)) return escape_err(bc, "urlquery.decode", bad, badn);
    return bi_ret(out, bi_str(bc, d, dn));
}

/* url.Values.Encode: keys sorted, each value in order, key=value joined by &. */
static int bi_url_encode_object(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "urlquery.encode_object";
    const gh_value *o = args[0];
    if (!bi_is(o, GH_KIND_OBJECT)) return bi_type_err(bc, name, 1, o, "object");
    gh_buf b;
    gh_buf_init(&b, 0);
    int rc = 0;
    for (size_t i = 0; i < gh_value_len(o) && !rc; i++) {
        size_t kn;
        const char *k = gh_string_ptr(gh_object_key_at(o, i), &kn);
        const gh_value *v = gh_object_value_at(o, i);
        if (!k) { /* non-string keys become their JSON text, as ast.JSON does */
            k = bi_rego_text(bc, gh_object_key_at(o, i), &kn);
            if (!k) rc = GH_ENOMEM;
        }
        size_t nv = bi_is(v, GH_KIND_STRING) ? 1 : gh_value_len(v);
        if (!bi_is(v, GH_KIND_STRING) && !bi_is(v, GH_KIND_ARRAY) && !bi_is(v, GH_KIND_SET)) nv = 0, rc = -1;
        for (size_t j = 0; j < nv && !rc; j++) {
            const gh_value *x = bi_is(v, GH_KIND_STRING) ? v : bi_is(v, GH_KIND_SET) ? gh_set_item_at(v, j) : gh_array_get(v, j);
            size_t xn;
            const char *xs = gh_string_ptr(x, &xn);
            if (!xs) {
                rc = -1;
                break;
            }
            if (b.len) gh_buf_putc(&b, '&');
            query_escape(&b, k, kn);
            gh_buf_putc(&b, '=');
            query_escape(&b, xs, xn);
        }
    }
    if (rc == -1) rc = bi_operand_err(bc, name, 1, "values must be string, array[string], or set[string]");
    else if (!rc) rc = b.failed ? GH_ENOMEM : bi_ret(out, bi_str(bc, b.data ? b.data : "", b.len));
    gh_buf_free(&b);
    return rc;
}

/* url.ParseQuery: pairs split on &, keys and values unescaped; a ';' is an error. */
static int bi_url_decode_object(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "urlquery.decode_object";
    STR1(s, n, name);
    size_t cap = 1;
    for (size_t i = 0; i < n; i++) cap += s[i] == '&';
    const gh_value **ks = bi_ptrs(bc, cap), **vs = bi_ptrs(bc, cap);
    char *buf = bi_bytes(bc, n + 1);
    if (!ks || !vs || !buf) return GH_ENOMEM;
    size_t m = 0;
    int first_err = 0;
    for (size_t i = 0; i <= n;) {
        const char *seg = s + i;
        const char *amp = memchr(seg, '&', n - i);
        size_t sl = amp ? (size_t)(amp - seg) : n - i;
        i += sl + 1;
        if (sl == 0) continue;
        if (memchr(seg, ';', sl)) {
            if (!first_err) first_err = bi_builtin_err(bc, name, "invalid semicolon separator in query");
            continue;
        }
        const char *eq = memchr(seg, '=', sl);
        size_t kl = eq ? (size_t)(eq - seg) : sl, vl = eq ? sl - kl - 1 : 0;
        size_t kd, vd, badn;
        const char *bad;
        if (!query_unescape(seg, kl, buf, &kd, &bad, &badn)) {
            if (!first_err) first_err = escape_err(bc, name, bad, badn);
            continue;
        }
        const gh_value *key = bi_str(bc, buf, kd);
        if (!query_unescape(eq ? eq + 1 : "", vl, buf, &vd, &bad, &badn)) {
            if (!first_err) first_err = escape_err(bc, name, bad, badn);
            continue;
        }
        const gh_value *val = bi_str(bc, buf, vd);
        if (!key || !val) return GH_ENOMEM;
        ks[m] = key;
        vs[m++] = val;
    }
    if (first_err) return first_err;
    /* group values by key, keeping their order */
    const gh_value **uk = bi_ptrs(bc, m + 1), **uv = bi_ptrs(bc, m + 1), **tmp = bi_ptrs(bc, m + 1);
    if (!uk || !uv || !tmp) return GH_ENOMEM;
    size_t u = 0;
    for (size_t i = 0; i < m; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) seen = gh_value_equal(ks[j], ks[i]);
        if (seen) continue;
        size_t t = 0;
        for (size_t j = i; j < m; j++)
            if (gh_value_equal(ks[j], ks[i])) tmp[t++] = vs[j];
        uk[u] = ks[i];
        if (!(uv[u++] = gh_value_array(bc->arena, tmp, t))) return GH_ENOMEM;
    }
    return gh_value_object(bc->arena, uk, uv, u, out, NULL);
}

static const gh_builtin table[] = {
    BI_FN("json.marshal", 1, "(any) => string", bi_json_marshal),
    BI_FN("json.marshal_with_options", 2,
          "(any, object<pretty: boolean, indent: string, prefix: string>[string: any]) => string",
          bi_json_marshal_opts),
    BI_FN("json.unmarshal", 1, "(string) => any", bi_json_unmarshal),
    BI_FN("json.is_valid", 1, "(string) => boolean", bi_json_is_valid),
    BI_FN("base64.encode", 1, "(string) => string", bi_b64_encode),
    BI_FN("base64.decode", 1, "(string) => string", bi_b64_decode),
    BI_FN("base64.is_valid", 1, "(string) => boolean", bi_b64_is_valid),
    BI_FN("base64url.encode", 1, "(string) => string", bi_b64url_encode),
    BI_FN("base64url.encode_no_pad", 1, "(string) => string", bi_b64url_encode_no_pad),
    BI_FN("base64url.decode", 1, "(string) => string", bi_b64url_decode),
    BI_FN("hex.encode", 1, "(string) => string", bi_hex_encode),
    BI_FN("hex.decode", 1, "(string) => string", bi_hex_decode),
    BI_FN("urlquery.encode", 1, "(string) => string", bi_url_encode),
    BI_FN("urlquery.decode", 1, "(string) => string", bi_url_decode),
    BI_FN("urlquery.encode_object", 1,
          "(object[string: any<string, array[string], set[string]>]) => string", bi_url_encode_object),
    BI_FN("urlquery.decode_object", 1, "(string) => object[string: array[string]]", bi_url_decode_object),
};
BI_FAMILY(encoding, table);
