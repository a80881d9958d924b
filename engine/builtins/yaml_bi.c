/* YAML builtins: yaml.unmarshal and yaml.is_valid on gatehouse's YAML reader (OPA reads YAML
 * through sigs.k8s.io/yaml: gh_yaml_read with GH_YAML_GO_V2), and yaml.marshal, which writes the block
 * style go-yaml v2 emits for JSON data (keys sorted, sequences unindented under keys). */
#include "builtins/bi_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "gatehouse/yaml.h"

/* ---- reading ---- */

/* libyaml's parser (not scanner) problems: go-yaml prints their 0-based line. */
static bool parser_problem(const char *what)
{
    static const char *const probs[] = {"did not find expected <document start>",
                                        "did not find expected node content",
                                        "did not find expected key",
                                        "did not find expected '-' indicator",
                                        "did not find expected ',' or ']'",
                                        "did not find expected ',' or '}'",
                                        "found duplicate %YAML directive",
                                        "found incompatible YAML document",
                                        "found duplicate %TAG directive",
                                        "found undefined tag handle"};
    for (size_t i = 0; i < sizeof probs / sizeof probs[0]; i++)
        if (!strcmp(what, probs[i])) return true;
    return false;
}

/* "yaml: L:C: what" (gh_yaml_read) -> go-yaml's "yaml: line N: what": N is the problem's
 * 0-based line for parser errors, 1-based for scanner errors, and absent when the 0-based
 * line is 0 (go-yaml's parser.fail). */
static void go_yaml_msg(const char *m, char *dst, size_t cap)
{
    int line = 0, col = 0, used = 0;
    if (sscanf(m, "yaml: %d:%d: %n", &line, &col, &used) < 2 || used == 0) {
        snprintf(dst, cap, "%s", m);
        return;
    }
    const char *what = m + used;
    int l0 = line - 1;
    if (l0 <= 0)
        snprintf(dst, cap, "yaml: %s", what);
    else
        snprintf(dst, cap, "yaml: line %d: %s", parser_problem(what) ? l0 : l0 + 1, what);
}

/* OPA reads YAML through sigs.k8s.io/yaml, i.e. go-yaml v2's YAML 1.1 resolution. */
static const gh_yaml_opts go_v2 = {.flags = GH_YAML_GO_V2};

static int bi_yaml_unmarshal(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "yaml.unmarshal";
    int rc = 0;
    size_t n;
    const char *s = bi_str_arg(bc, name, args, 1, &n, &rc);
    if (!s) return rc;
    gh_yaml_error e = {0};
    rc = gh_yaml_read(bc->arena, s, n, &go_v2, out, &e);
    if (rc == GH_EPARSE) {
        char msg[240];
        go_yaml_msg(e.msg, msg, sizeof msg);
        return bi_builtin_err(bc, name, msg);
    }
    return rc;
}

static int bi_yaml_is_valid(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    size_t n;
    const char *s = gh_string_ptr(args[0], &n);
    if (!s) return bi_ret(out, GH_FALSE);
    gh_arena tmp;
    gh_arena_init(&tmp, 0);
    const gh_value *v;
    gh_yaml_error e = {0};
    int rc = gh_yaml_read(&tmp, s, n, &go_v2, &v, &e);
    gh_arena_free(&tmp);
    if (rc == GH_ENOMEM) return rc;
    (void)bc;
    *out = gh_value_bool(rc == 0);
    return 0;
}

/* ---- writing ---- */

/* A plain scalar that YAML 1.1/1.2 would read as something other than this string (null,
 * booleans in go-yaml v2's wider set, numbers) must be quoted. */
static bool resolves_non_string(const char *s, size_t n)
{
    static const char *const words[] = {
        "",      "~",     "null",  "Null",  "NULL",  "true",  "True", "TRUE", "false", "False",
        "FALSE", "y",     "Y",     "yes",   "Yes",   "YES",   "n",    "N",    "no",    "No",
        "NO",    "on",    "On",    "ON",    "off",   "Off",   "OFF",  ".inf", ".Inf",  ".INF",
        "+.inf", "-.inf", "-.Inf", "+.Inf", "-.INF", "+.INF", ".nan", ".NaN", ".NAN",  "<<"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && !memcmp(words[i], s, n)) return true;
    /* anything number-like: digits with sign, dots, exponents, 0x/0o/0b, underscores, ':' */
    size_t i = 0;
    if (s[0] == '+' || s[0] == '-') i++;
    if (i < n && (s[i] == '.' || (s[i] >= '0' && s[i] <= '9'))) {
        bool digit = false;
        for (size_t j = i; j < n; j++) {
            char c = s[j];
            if (c >= '0' && c <= '9')
                digit = true;
            else if (!strchr("._:eExXoObBabcdefABCDEF+-", c))
                return false;
        }
        return digit;
    }
    return false;
}

/* Whether s can be written plain (unquoted), as libyaml's emitter decides for JSON data. */
static bool plain_ok(const char *s, size_t n)
{
    if (n == 0 || resolves_non_string(s, n)) return false;
    if (strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0])) {
        /* "-", "?" and ":" start a plain scalar only when followed by a safe character */
        if (!(strchr("-?:", s[0]) && n > 1 && s[1] != ' ')) return false;
        if (s[0] == '-' && n >= 3 && !memcmp(s, "---", 3)) return false;
    }
    if (s[n - 1] == ' ' || s[n - 1] == ':') return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) return false;
        if (c == ':' && i + 1 < n && s[i + 1] == ' ') return false;
        if (c == '#' && i > 0 && s[i - 1] == ' ') return false;
    }
    return true;
}

static void put_quoted(gh_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    gh_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': gh_buf_puts(b, "\\\""); break;
        case '\\': gh_buf_puts(b, "\\\\"); break;
        case '\n': gh_buf_puts(b, "\\n"); break;
        case '\t': gh_buf_puts(b, "\\t"); break;
        case '\r': gh_buf_puts(b, "\\r"); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
                gh_buf_append(b, e, 4);
            } else {
                gh_buf_putc(b, (char)c);
            }
        }
    }
    gh_buf_putc(b, '"');
}

/* libyaml's single-quoted style: printable text on one line, ' doubled. */
static bool single_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) return false;
    }
    return true;
}

/* go-yaml v2 asks for a literal block for text with line breaks; libyaml keeps it when no
 * line has trailing spaces and the text is printable. */
static bool literal_ok(const char *s, size_t n)
{
    if (!memchr(s, '\n', n)) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
        if (c == ' ' && (i + 1 == n || s[i + 1] == '\n')) return false;
    }
    return true;
}

/* A block scalar: |, then - (no final break), nothing (one) or + (more); a 2 when the
 * text starts with a space; then each line at `level` indentation. */
static void put_literal(gh_buf *b, const char *s, size_t n, int level)
{
    size_t trail = 0;
    while (trail < n && s[n - 1 - trail] == '\n')
        trail++;
    gh_buf_putc(b, '|');
    if (s[0] == ' ') gh_buf_putc(b, '2');
    if (trail == 0)
        gh_buf_putc(b, '-');
    else if (trail > 1)
        gh_buf_putc(b, '+');
    size_t body = n - trail;
    for (size_t i = 0; i <= body;) {
        const char *nl = memchr(s + i, '\n', body - i);
        size_t e = nl ? (size_t)(nl - s) : body;
        gh_buf_putc(b, '\n');
        if (e > i)
            for (int d = 0; d < level; d++)
                gh_buf_puts(b, "  ");
        gh_buf_append(b, s + i, e - i);
        i = e + 1;
    }
    for (size_t i = 1; i < trail; i++)
        gh_buf_putc(b, '\n');
}

/* go-yaml v2's choice: double quotes for text that would read as another type, a literal
 * block for multi-line text, else plain; libyaml falls back to single quotes when plain is
 * not allowed, and to double quotes when single is not. level: block scalar indentation. */
static void put_str_at(gh_buf *b, const char *s, size_t n, int level)
{
    if (resolves_non_string(s, n)) {
        put_quoted(b, s, n);
    } else if (n && memchr(s, '\n', n) && literal_ok(s, n)) {
        put_literal(b, s, n, level < 1 ? 1 : level);
    } else if (plain_ok(s, n)) {
        gh_buf_append(b, s, n);
    } else if (single_ok(s, n)) {
        gh_buf_putc(b, '\'');
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '\'') gh_buf_putc(b, '\'');
            gh_buf_putc(b, s[i]);
        }
        gh_buf_putc(b, '\'');
    } else {
        put_quoted(b, s, n);
    }
}

/* Keys never take block style. */
static void put_str(gh_buf *b, const char *s, size_t n)
{
    if (n && memchr(s, '\n', n))
        put_quoted(b, s, n);
    else
        put_str_at(b, s, n, 0);
}

static void indent(gh_buf *b, int depth)
{
    for (int i = 0; i < depth; i++)
        gh_buf_puts(b, "  ");
}

static bool is_block(const gh_value *v)
{
    gh_kind k = gh_value_kind(v);
    return (k == GH_KIND_ARRAY || k == GH_KIND_SET || k == GH_KIND_OBJECT) && gh_value_len(v) > 0;
}

static int emit(gh_bctx *bc, gh_buf *b, const gh_value *v, int depth, bool inline_first);

static int emit_scalar(gh_bctx *bc, gh_buf *b, const gh_value *v, int level)
{
    size_t n;
    const char *s;
    switch (gh_value_kind(v)) {
    case GH_KIND_NULL: gh_buf_puts(b, "null"); break;
    case GH_KIND_BOOL: gh_buf_puts(b, gh_value_get_bool(v) ? "true" : "false"); break;
    case GH_KIND_NUMBER: {
        char num[128];
        size_t l = bi_num_json(v, num, sizeof num);
        gh_buf_append(b, num, l < sizeof num ? l : sizeof num - 1);
        break;
    }
    case GH_KIND_STRING:
        s = gh_string_ptr(v, &n);
        put_str_at(b, s, n, level);
        break;
    case GH_KIND_ARRAY:
    case GH_KIND_SET: gh_buf_puts(b, "[]"); break;
    default: gh_buf_puts(b, "{}"); break;
    }
    (void)bc;
    return 0;
}

/* Sequence items start at `depth` ("- "); an item that is itself a mapping continues on the
 * dash's line. inline_first: the first line's indentation is already written. */
static int emit_seq(gh_bctx *bc, gh_buf *b, const gh_value *v, int depth, bool inline_first)
{
    bool set = bi_is(v, GH_KIND_SET);
    for (size_t i = 0; i < gh_value_len(v); i++) {
        const gh_value *it = set ? gh_set_item_at(v, i) : gh_array_get(v, i);
        if (i > 0 || !inline_first) indent(b, depth);
        gh_buf_puts(b, "- ");
        int rc = emit(bc, b, it, depth + 1, true);
        if (rc) return rc;
    }
    return 0;
}

/* Object keys are strings in JSON data; others (Rego allows them) are written as their
 * JSON text, as json.Marshal then go-yaml would see them after OPA's conversion. Keys come
 * in the object's order, which is sorted for strings as go-yaml sorts. */
static int emit_map(gh_bctx *bc, gh_buf *b, const gh_value *v, int depth, bool inline_first)
{
    for (size_t i = 0; i < gh_value_len(v); i++) {
        const gh_value *k = gh_object_key_at(v, i), *val = gh_object_value_at(v, i);
        if (i > 0 || !inline_first) indent(b, depth);
        size_t kn;
        const char *ks = gh_string_ptr(k, &kn);
        if (ks) {
            put_str(b, ks, kn);
        } else {
            gh_buf *t = bi_scratch(bc, BI_SCRATCH_TMP);
            if (!t) return GH_ENOMEM;
            int rc = gh_json_write(t, k, 0);
            if (rc)
                return rc == GH_EINVAL
                           ? bi_builtin_err(bc, "yaml.marshal", "json: unsupported value")
                           : rc;
            put_str(b, t->data ? t->data : "", t->len);
        }
        gh_buf_putc(b, ':');
        if (is_block(val)) {
            gh_buf_putc(b, '\n');
            /* go-yaml v2 does not indent a sequence under its key */
            int rc = bi_is(val, GH_KIND_OBJECT) ? emit_map(bc, b, val, depth + 1, false)
                                                : emit_seq(bc, b, val, depth, false);
            if (rc) return rc;
        } else {
            gh_buf_putc(b, ' ');
            emit_scalar(bc, b, val, depth + 1);
            gh_buf_putc(b, '\n');
        }
    }
    return 0;
}

static int emit(gh_bctx *bc, gh_buf *b, const gh_value *v, int depth, bool inline_first)
{
    if (depth > GH_YAML_MAX_DEPTH)
        return bi_builtin_err(bc, "yaml.marshal", "value nested too deeply");
    if (!is_block(v)) {
        emit_scalar(bc, b, v, depth);
        gh_buf_putc(b, '\n');
        return 0;
    }
    if (bi_is(v, GH_KIND_OBJECT)) return emit_map(bc, b, v, depth, inline_first);
    return emit_seq(bc, b, v, depth, inline_first);
}

static int bi_yaml_marshal(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    gh_buf *b = bi_scratch(bc, BI_SCRATCH_OUT);
    if (!b) return GH_ENOMEM;
    int rc = emit(bc, b, args[0], 0, false);
    if (rc) return rc;
    if (b->failed) return GH_ENOMEM;
    return bi_ret(out, bi_str(bc, b->data ? b->data : "", b->len));
}

static const gh_builtin table[] = {
    BI_FN("yaml.marshal", 1, "(any) => string", bi_yaml_marshal),
    BI_FN("yaml.unmarshal", 1, "(string) => any", bi_yaml_unmarshal),
    BI_FN("yaml.is_valid", 1, "(any) => boolean", bi_yaml_is_valid),
};

BI_FAMILY(yaml, table);
