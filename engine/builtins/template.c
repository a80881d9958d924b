/* strings.render_template: the part of Go's text/template that OPA's policies use, run over
 * the variables as OPA hands them to Go (ast.As: objects are map[string]any, numbers
 * json.Number, so strings for truthiness, printing and comparison; sets are slices).
 *
 * Supported: text, {{- -}} trimming, comments, pipelines with |, fields (.a.b, $x.a), $ and
 * variables (:= and =), string/raw/number/bool/nil literals, parentheses, if / else if /
 * else, range (over arrays, sets, objects, ints; $i, $v :=; else; break, continue), with /
 * else, and the functions and, or, not, len, index, eq, ne, lt, le, gt, ge, print, println,
 * printf. A missing key prints "<undefined>", as OPA's conformance cases expect.
 *
 * The template is executed while it is parsed: a branch not taken is parsed in `skip` mode
 * (no output, no evaluation) and a range body is parsed again for each item. */
#include "builtins/bi_internal.h"

#include <stdio.h>
#include <stdlib.h>

#define NAME       "strings.render_template"
#define MAX_TOKS   128
#define MAX_VARS   64
#define MAX_DEPTH  64
#define MAX_OUTPUT (16u << 20)
#define MAX_STEPS  2000000 /* actions run or parsed: bounds range loops */

/* ---- values: a Rego value, or one of Go's own kinds the template makes ---- */
enum { TV_GH, TV_INT, TV_MISSING };
typedef struct tv {
    int k;
    const gh_value *v; /* TV_GH */
    int64_t i;         /* TV_INT */
} tv;

/* ---- tokens of one action ---- */
enum {
    T_EOF,
    T_FIELD,
    T_DOT,
    T_VAR,
    T_IDENT,
    T_STRING,
    T_NUMBER,
    T_LPAREN,
    T_RPAREN,
    T_PIPE,
    T_DECLARE,
    T_ASSIGN,
    T_COMMA
};
typedef struct tok {
    int k;
    const char *s; /* text (field/var/ident without the sigil for fields) */
    size_t n;
    bool spaced; /* whitespace before it: a field then starts a new operand */
} tok;

typedef struct var {
    const char *name; /* includes '$' */
    size_t n;
    tv val;
} var;

typedef struct tpl {
    gh_bctx *bc;
    const char *src;
    size_t n, pos;
    gh_buf *out;
    bool trim_next; /* the last action ended with " -}}" */
    tok toks[MAX_TOKS];
    size_t ntok, ti;
    var vars[MAX_VARS];
    size_t nvars;
    tv dot;
    int depth;
    int loop_ctl; /* 1 break, 2 continue: set inside a range body, cleared by the range */
    long steps;   /* actions handled so far (MAX_STEPS) */
    int rc;       /* first error */
} tpl;

static int line_of(const tpl *t, size_t pos)
{
    int l = 1;
    for (size_t i = 0; i < pos && i < t->n; i++)
        l += t->src[i] == '\n';
    return l;
}

/* "template: template:LINE: msg", as Go's parse errors read. */
static int perr(tpl *t, const char *msg, const char *arg, size_t an)
{
    if (!t->rc)
        t->rc = gh_builtin_error(t->bc, GH_ERR_BUILTIN, "%s: template: template:%d: %s%.*s", NAME,
                                 line_of(t, t->pos), msg, (int)an, arg ? arg : "");
    return t->rc;
}

/* "template: template:LINE: executing \"template\": msg" for errors at run time. */
static int xerr(tpl *t, const char *msg, const char *arg, size_t an)
{
    if (!t->rc)
        t->rc = gh_builtin_error(t->bc, GH_ERR_BUILTIN,
                                 "%s: template: template:%d: executing \"template\": %s%.*s", NAME,
                                 line_of(t, t->pos), msg, (int)an, arg ? arg : "");
    return t->rc;
}

/* ---- lexing one action: from after "{{" (and "- ") to "}}"; sets t->pos past it ---- */

static bool is_space_c(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum_(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int lex_action(tpl *t)
{
    t->ntok = t->ti = 0;
    const char *s = t->src;
    size_t i = t->pos, n = t->n;
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) {
            /* " -}}" closes with trimming */
            i++;
            if (i + 2 < n + 0 && s[i] == '-' && s[i + 1] == '}' && s[i + 2] == '}') {
                t->pos = i + 3;
                t->trim_next = true;
                return 0;
            }
        }
        if (i + 1 < n && s[i] == '}' && s[i + 1] == '}') {
            t->pos = i + 2;
            t->trim_next = false;
            return 0;
        }
        if (i >= n) {
            t->pos = i;
            return perr(t, "unclosed action", NULL, 0);
        }
        if (t->ntok == MAX_TOKS) return perr(t, "action too long", NULL, 0);
        tok *k = &t->toks[t->ntok++];
        size_t st = i;
        bool spaced = i > 0 && is_space_c(s[i - 1]);
        char c = s[i];
        if (c == '.' && i + 1 < n && is_alnum_(s[i + 1]) && !(s[i + 1] >= '0' && s[i + 1] <= '9')) {
            i++;
            while (i < n && is_alnum_(s[i]))
                i++;
            *k = (tok){T_FIELD, s + st + 1, i - st - 1, false};
        } else if (c == '.' && !(i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')) {
            i++;
            *k = (tok){T_DOT, s + st, 1, false};
        } else if (c == '$') {
            i++;
            while (i < n && is_alnum_(s[i]))
                i++;
            *k = (tok){T_VAR, s + st, i - st, false};
        } else if (c == '"' || c == '`') {
            i++;
            while (i < n && s[i] != c) {
                if (c == '"' && s[i] == '\\')
                    i++;
                else if (c == '"' && s[i] == '\n')
                    break;
                i++;
            }
            if (i >= n || s[i] != c) {
                t->pos = i;
                return perr(t, "unterminated quoted string", NULL, 0);
            }
            i++;
            *k = (tok){T_STRING, s + st, i - st, false};
        } else if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') {
            i++;
            while (i < n &&
                   (is_alnum_(s[i]) || s[i] == '.' ||
                    ((s[i] == '-' || s[i] == '+') && (s[i - 1] == 'e' || s[i - 1] == 'E'))))
                i++;
            *k = (tok){T_NUMBER, s + st, i - st, false};
        } else if (is_alnum_(c)) {
            while (i < n && is_alnum_(s[i]))
                i++;
            *k = (tok){T_IDENT, s + st, i - st, false};
        } else if (c == '(') {
            i++, *k = (tok){T_LPAREN, s + st, 1, false};
        } else if (c == ')') {
            i++, *k = (tok){T_RPAREN, s + st, 1, false};
        } else if (c == '|') {
            i++, *k = (tok){T_PIPE, s + st, 1, false};
        } else if (c == ',') {
            i++, *k = (tok){T_COMMA, s + st, 1, false};
        } else if (c == ':' && i + 1 < n && s[i + 1] == '=') {
            i += 2, *k = (tok){T_DECLARE, s + st, 2, false};
        } else if (c == '=') {
            i++, *k = (tok){T_ASSIGN, s + st, 1, false};
        } else {
            t->pos = i;
            char b[2] = {c, 0};
            return perr(t, "unexpected bad character in command: ", b, 1);
        }
        k->spaced = spaced;
    }
}

static const tok *peek(tpl *t)
{
    static const tok eof = {T_EOF, "", 0, true};
    return t->ti < t->ntok ? &t->toks[t->ti] : &eof;
}

static bool tok_is(const tok *k, const char *word)
{
    return k->k == T_IDENT && strlen(word) == k->n && !memcmp(k->s, word, k->n);
}

/* ---- values ---- */

static tv tv_gh(const gh_value *v)
{
    return (tv){TV_GH, v, 0};
}

static bool truthy(const tv *v)
{
    if (v->k == TV_MISSING) return false;
    if (v->k == TV_INT) return v->i != 0;
    switch (gh_value_kind(v->v)) {
    case GH_KIND_NULL: return false;
    case GH_KIND_BOOL: return gh_value_get_bool(v->v);
    case GH_KIND_NUMBER: return true; /* json.Number: a non-empty string */
    default: return gh_value_len(v->v) > 0;
    }
}

/* fmt's %v of a Go value made from v (nested: nil is <nil>). */
static void fmt_value(gh_buf *b, const gh_value *v, bool top)
{
    size_t n;
    const char *s;
    switch (gh_value_kind(v)) {
    case GH_KIND_NULL: gh_buf_puts(b, top ? "<no value>" : "<nil>"); break;
    case GH_KIND_BOOL: gh_buf_puts(b, gh_value_get_bool(v) ? "true" : "false"); break;
    case GH_KIND_NUMBER: {
        char num[128];
        size_t l = bi_num_json(v, num, sizeof num);
        gh_buf_append(b, num, l < sizeof num ? l : sizeof num - 1);
        break;
    }
    case GH_KIND_STRING:
        s = gh_string_ptr(v, &n);
        gh_buf_append(b, s, n);
        break;
    case GH_KIND_ARRAY:
    case GH_KIND_SET:
        gh_buf_putc(b, '[');
        for (size_t i = 0; i < gh_value_len(v); i++) {
            if (i) gh_buf_putc(b, ' ');
            fmt_value(b, bi_is(v, GH_KIND_SET) ? gh_set_item_at(v, i) : gh_array_get(v, i), false);
        }
        gh_buf_putc(b, ']');
        break;
    default:
        gh_buf_puts(b, "map[");
        for (size_t i = 0; i < gh_value_len(v); i++) {
            if (i) gh_buf_putc(b, ' ');
            fmt_value(b, gh_object_key_at(v, i), false);
            gh_buf_putc(b, ':');
            fmt_value(b, gh_object_value_at(v, i), false);
        }
        gh_buf_putc(b, ']');
    }
}

static void print_tv(gh_buf *b, const tv *v)
{
    if (v->k == TV_MISSING)
        gh_buf_puts(b, "<undefined>");
    else if (v->k == TV_INT)
        gh_buf_printf(b, "%lld", (long long)v->i);
    else
        fmt_value(b, v->v, true);
}

/* Go string kind (string and json.Number): its text (numbers printed into the arena). */
static const char *str_kind(tpl *t, const tv *v, size_t *n)
{
    if (v->k != TV_GH) return NULL;
    if (bi_is(v->v, GH_KIND_STRING)) return gh_string_ptr(v->v, n);
    if (!bi_is(v->v, GH_KIND_NUMBER)) return NULL;
    char num[128];
    size_t l = bi_num_json(v->v, num, sizeof num);
    char *d = bi_bytes(t->bc, l + 1);
    if (!d || l >= sizeof num) return NULL;
    memcpy(d, num, l);
    *n = l;
    return d;
}

/* ---- pipelines ---- */

static int eval_pipe(tpl *t, tv *out, bool skip, bool in_paren);

static var *find_var(tpl *t, const char *s, size_t n)
{
    for (size_t i = t->nvars; i-- > 0;)
        if (t->vars[i].n == n && !memcmp(t->vars[i].name, s, n)) return &t->vars[i];
    return NULL;
}

/* .name on v: map lookup (missing: TV_MISSING); anything else is an error. */
static int field(tpl *t, tv *v, const tok *f, bool skip)
{
    if (skip) return 0;
    if (v->k == TV_MISSING) return 0;
    if (v->k == TV_GH && bi_is(v->v, GH_KIND_OBJECT)) {
        const gh_value *r = gh_object_get_str(v->v, f->s, f->n);
        *v = r ? tv_gh(r) : (tv){TV_MISSING, NULL, 0};
        return 0;
    }
    if (v->k == TV_GH && bi_is(v->v, GH_KIND_NULL))
        return xerr(t, "nil pointer evaluating interface {}.", f->s, f->n);
    const char *type = v->k == TV_INT                ? "int"
                       : bi_is(v->v, GH_KIND_STRING) ? "string"
                       : bi_is(v->v, GH_KIND_NUMBER) ? "json.Number"
                       : bi_is(v->v, GH_KIND_BOOL)   ? "bool"
                                                     : "[]interface {}";
    char msg[160];
    snprintf(msg, sizeof msg, "can't evaluate field %.*s in type %s", (int)(f->n > 64 ? 64 : f->n),
             f->s, type);
    return xerr(t, msg, NULL, 0);
}

static int literal(tpl *t, const tok *k, tv *out)
{
    if (k->k == T_STRING) {
        if (k->s[0] == '`') {
            *out = tv_gh(bi_str(t->bc, k->s + 1, k->n - 2));
        } else {
            gh_json_error e;
            const gh_value *v = NULL;
            if (gh_json_read(t->bc->arena, k->s, k->n, NULL, &v, &e) != 0)
                return perr(t, "invalid syntax: ", k->s, k->n);
            *out = tv_gh(v);
        }
        return out->v ? 0 : BI_NOMEM;
    }
    /* numbers: integers are Go ints, others floats */
    char buf[64];
    if (k->n >= sizeof buf) return perr(t, "illegal number syntax: ", k->s, k->n);
    memcpy(buf, k->s, k->n);
    buf[k->n] = 0;
    char *end;
    long long ll = strtoll(buf, &end, 0);
    if (*end == 0) {
        *out = (tv){TV_INT, NULL, ll};
        return 0;
    }
    const gh_value *v = NULL;
    if (gh_value_number(t->bc->arena, buf, k->n, &v) != 0)
        return perr(t, "illegal number syntax: ", k->s, k->n);
    *out = tv_gh(v);
    return 0;
}

/* One operand: a term followed by any field chain. */
static int operand(tpl *t, tv *out, bool skip)
{
    const tok *k = peek(t);
    t->ti++;
    switch (k->k) {
    case T_DOT: *out = t->dot; break;
    case T_FIELD:
        *out = t->dot;
        if (field(t, out, k, skip)) return t->rc;
        break;
    case T_VAR: {
        var *v = find_var(t, k->s, k->n);
        if (!v) return perr(t, "undefined variable: ", k->s, k->n);
        *out = v->val;
        break;
    }
    case T_STRING:
    case T_NUMBER:
        if (literal(t, k, out)) return t->rc ? t->rc : BI_NOMEM;
        break;
    case T_LPAREN:
        if (eval_pipe(t, out, skip, true)) return t->rc ? t->rc : BI_NOMEM;
        if (peek(t)->k != T_RPAREN) return perr(t, "unclosed left paren", NULL, 0);
        t->ti++;
        break;
    case T_IDENT:
        if (tok_is(k, "true") || tok_is(k, "false"))
            *out = tv_gh(gh_value_bool(tok_is(k, "true")));
        else if (tok_is(k, "nil"))
            *out = tv_gh(GH_NULL);
        else
            return perr(t, "unexpected identifier in operand: ", k->s, k->n);
        break;
    default: return perr(t, "missing value for command", NULL, 0);
    }
    while (peek(t)->k == T_FIELD && !peek(t)->spaced) {
        if (field(t, out, peek(t), skip)) return t->rc;
        t->ti++;
    }
    return 0;
}

static bool ends_cmd(const tok *k)
{
    return k->k == T_EOF || k->k == T_PIPE || k->k == T_RPAREN;
}

/* eq/lt...: Go's basic-kind comparison (strings and json.Numbers compare as text). */
static int compare(tpl *t, const tv *a, const tv *b, int *cmp)
{
    size_t an, bn;
    const char *as = str_kind(t, a, &an), *bs = str_kind(t, b, &bn);
    if (as && bs) {
        int c = memcmp(as, bs, an < bn ? an : bn);
        *cmp = c ? c : (an > bn) - (an < bn);
        return 0;
    }
    if (a->k == TV_INT && b->k == TV_INT) {
        *cmp = (a->i > b->i) - (a->i < b->i);
        return 0;
    }
    if (a->k == TV_GH && b->k == TV_GH && bi_is(a->v, GH_KIND_BOOL) && bi_is(b->v, GH_KIND_BOOL)) {
        *cmp = (int)gh_value_get_bool(a->v) - (int)gh_value_get_bool(b->v);
        return 2; /* equality only */
    }
    return xerr(t, "error calling compare: incompatible types for comparison", NULL, 0);
}

static int call_cmp(tpl *t, const tok *f, tv *args, size_t na, tv *out)
{
    if (na < 2 && !(tok_is(f, "eq") && na == 1))
        return xerr(t, "wrong number of args for ", f->s, f->n);
    int c = 0, rc;
    bool res = false;
    if (tok_is(f, "eq")) {
        for (size_t i = 1; i < na && !res; i++) {
            if ((rc = compare(t, &args[0], &args[i], &c)) < 0) return rc;
            res = c == 0;
        }
    } else {
        if (na != 2) return xerr(t, "wrong number of args for ", f->s, f->n);
        rc = compare(t, &args[0], &args[1], &c);
        if (rc < 0) return rc;
        if (rc == 2 && !tok_is(f, "ne"))
            return xerr(t, "error calling ", "lt: invalid type for comparison", 31);
        res = tok_is(f, "ne")   ? c != 0
              : tok_is(f, "lt") ? c < 0
              : tok_is(f, "le") ? c <= 0
              : tok_is(f, "gt") ? c > 0
                                : c >= 0;
    }
    *out = tv_gh(gh_value_bool(res));
    return 0;
}

/* A value handed to Rego's sprintf for printf. */
static const gh_value *as_gh(tpl *t, const tv *v)
{
    if (v->k == TV_GH) return v->v;
    if (v->k == TV_INT) return bi_int(t->bc, v->i);
    return bi_str(t->bc, "<undefined>", 11);
}

static int call_print(tpl *t, const tok *f, tv *args, size_t na, tv *out)
{
    gh_buf *b = bi_scratch(t->bc, BI_SCRATCH_TMP);
    if (!b) return BI_NOMEM;
    if (tok_is(f, "printf")) {
        size_t fl;
        const char *fs = na ? str_kind(t, &args[0], &fl) : NULL;
        if (!fs) return xerr(t, "error calling printf: format must be a string", NULL, 0);
        const gh_value **items = bi_ptrs(t->bc, na ? na : 1);
        if (!items) return BI_NOMEM;
        for (size_t i = 1; i < na; i++)
            items[i - 1] = as_gh(t, &args[i]);
        const gh_value *argv[2] = {args[0].v, gh_value_array(t->bc->arena, items, na - 1)};
        const gh_builtin *sp = gh_builtin_lookup("sprintf", 7);
        if (!sp || !argv[1]) return BI_NOMEM;
        int rc = sp->fn(t->bc, argv, &out->v);
        out->k = TV_GH;
        return rc;
    }
    bool ln = tok_is(f, "println");
    for (size_t i = 0; i < na; i++) {
        size_t dn;
        /* Sprint adds a space between operands when neither is a string */
        if (i && (ln || (!str_kind(t, &args[i - 1], &dn) && !str_kind(t, &args[i], &dn))))
            gh_buf_putc(b, ' ');
        print_tv(b, &args[i]);
    }
    if (ln) gh_buf_putc(b, '\n');
    if (b->failed) return BI_NOMEM;
    *out = tv_gh(bi_str(t->bc, b->data ? b->data : "", b->len));
    return out->v ? 0 : BI_NOMEM;
}

static int call_index(tpl *t, tv *args, size_t na, tv *out)
{
    if (na < 1) return xerr(t, "wrong number of args for index: want at least 1 got 0", NULL, 0);
    tv cur = args[0];
    for (size_t i = 1; i < na; i++) {
        if (cur.k == TV_GH && bi_is(cur.v, GH_KIND_OBJECT)) {
            size_t kn;
            const char *ks = str_kind(t, &args[i], &kn);
            if (!ks || !bi_is(args[i].v, GH_KIND_STRING))
                return xerr(t, "error calling index: value has type int; should be string", NULL,
                            0);
            const gh_value *r = gh_object_get_str(cur.v, ks, kn);
            cur = r ? tv_gh(r) : tv_gh(GH_NULL);
        } else if (cur.k == TV_GH &&
                   (bi_is(cur.v, GH_KIND_ARRAY) || bi_is(cur.v, GH_KIND_STRING))) {
            if (args[i].k != TV_INT)
                return xerr(t, "error calling index: cannot index slice/array with nil", NULL, 0);
            size_t len = gh_value_len(cur.v);
            if (args[i].i < 0 || (uint64_t)args[i].i >= len) {
                char m[96];
                snprintf(m, sizeof m, "error calling index: index out of range: %lld",
                         (long long)args[i].i);
                return xerr(t, m, NULL, 0);
            }
            if (bi_is(cur.v, GH_KIND_STRING)) {
                cur = (tv){TV_INT, NULL, (unsigned char)gh_string_ptr(cur.v, &len)[args[i].i]};
            } else {
                cur = tv_gh(gh_array_get(cur.v, (size_t)args[i].i));
            }
        } else {
            return xerr(t, "error calling index: can't index item of type ", "interface {}", 12);
        }
    }
    *out = cur;
    return 0;
}

static int call_fn(tpl *t, const tok *f, tv *args, size_t na, tv *out)
{
    if (tok_is(f, "and") || tok_is(f, "or")) {
        bool is_and = tok_is(f, "and");
        if (na == 0) return xerr(t, "wrong number of args for ", f->s, f->n);
        for (size_t i = 0; i < na; i++) {
            *out = args[i];
            if (truthy(&args[i]) != is_and) break;
        }
        return 0;
    }
    if (tok_is(f, "not")) {
        if (na != 1) return xerr(t, "wrong number of args for not: want 1 got ", "", 0);
        *out = tv_gh(gh_value_bool(!truthy(&args[0])));
        return 0;
    }
    if (tok_is(f, "len")) {
        if (na != 1) return xerr(t, "wrong number of args for len", NULL, 0);
        size_t n;
        if (str_kind(t, &args[0], &n) ||
            (args[0].k == TV_GH && !bi_is(args[0].v, GH_KIND_NULL) &&
             !bi_is(args[0].v, GH_KIND_BOOL) && (n = gh_value_len(args[0].v), true))) {
            *out = (tv){TV_INT, NULL, (int64_t)n};
            return 0;
        }
        return xerr(t, "error calling len: len of type ", "interface {}", 12);
    }
    if (tok_is(f, "index")) return call_index(t, args, na, out);
    if (tok_is(f, "eq") || tok_is(f, "ne") || tok_is(f, "lt") || tok_is(f, "le") ||
        tok_is(f, "gt") || tok_is(f, "ge"))
        return call_cmp(t, f, args, na, out);
    if (tok_is(f, "print") || tok_is(f, "println") || tok_is(f, "printf"))
        return call_print(t, f, args, na, out);
    char m[96];
    snprintf(m, sizeof m, "function \"%.*s\" not defined", (int)(f->n > 40 ? 40 : f->n), f->s);
    return perr(t, m, NULL, 0);
}

/* One command: a function call with arguments (the piped value last), or one operand. */
static int command(tpl *t, tv *out, bool skip, const tv *piped)
{
    const tok *k = peek(t);
    bool is_fn = k->k == T_IDENT && !tok_is(k, "true") && !tok_is(k, "false") && !tok_is(k, "nil");
    if (!is_fn) {
        if (operand(t, out, skip)) return t->rc ? t->rc : BI_NOMEM;
        if (!ends_cmd(peek(t)))
            return piped ? perr(t, "can't give argument to non-function ", NULL, 0)
                         : perr(t, "can't give argument to non-function ", k->s, k->n);
        if (piped) return perr(t, "can't give argument to non-function ", k->s, k->n);
        return 0;
    }
    t->ti++;
    tv args[16];
    size_t na = 0;
    while (!ends_cmd(peek(t))) {
        if (na == 15) return perr(t, "too many arguments", NULL, 0);
        if (operand(t, &args[na++], skip)) return t->rc ? t->rc : BI_NOMEM;
    }
    if (piped) args[na++] = *piped;
    if (skip) {
        /* still catch unknown functions, as Go's parser does */
        static const char *const fns[] = {"and", "or", "not", "len", "index", "eq",      "ne",
                                          "lt",  "le", "gt",  "ge",  "print", "println", "printf"};
        for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
            if (tok_is(k, fns[i])) return 0;
        return call_fn(t, k, args, 0, out);
    }
    return call_fn(t, k, args, na, out);
}

/* [decl :=|=] cmd [| cmd]... ; in_paren stops at ')'. */
static int eval_pipe(tpl *t, tv *out, bool skip, bool in_paren)
{
    const tok *decl[2] = {NULL, NULL};
    int nd = 0;
    bool assign = false;
    size_t save = t->ti;
    const tok *a = peek(t);
    if (!in_paren && a->k == T_VAR) {
        t->ti++;
        decl[nd++] = a;
        if (peek(t)->k == T_COMMA) {
            t->ti++;
            if (peek(t)->k == T_VAR) decl[nd++] = peek(t), t->ti++;
        }
        if (peek(t)->k == T_DECLARE || peek(t)->k == T_ASSIGN) {
            assign = peek(t)->k == T_ASSIGN;
            t->ti++;
        } else {
            t->ti = save, nd = 0;
        }
    }
    if (ends_cmd(peek(t))) return perr(t, "missing value for command", NULL, 0);
    tv cur = {TV_GH, GH_NULL, 0};
    bool first = true;
    for (;;) {
        if (command(t, &cur, skip, first ? NULL : &cur)) return t->rc ? t->rc : BI_NOMEM;
        first = false;
        if (peek(t)->k != T_PIPE) break;
        t->ti++;
    }
    if (!in_paren && peek(t)->k != T_EOF) return perr(t, "unexpected ", peek(t)->s, peek(t)->n);
    *out = cur;
    if (nd == 1) { /* declared in skip mode too, so later uses parse */
        var *v = assign ? find_var(t, decl[0]->s, decl[0]->n) : NULL;
        if (assign && !v) return perr(t, "undefined variable: ", decl[0]->s, decl[0]->n);
        if (!v) {
            if (t->nvars == MAX_VARS) return perr(t, "too many variables", NULL, 0);
            v = &t->vars[t->nvars++];
            v->name = decl[0]->s, v->n = decl[0]->n;
        }
        v->val = cur;
    }
    if (nd == 2 && !in_paren) return perr(t, "too many declarations in command", NULL, 0);
    return 0;
}

/* ---- lists of text and actions ---- */

enum { END_EOF, END_END, END_ELSE };

static int run_list(tpl *t, bool skip, int *term);

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Text up to the next action; returns false at the end of the template. */
static bool text(tpl *t, bool skip)
{
    const char *s = t->src;
    size_t st = t->pos, i = st;
    if (t->trim_next)
        while (st < t->n && is_space(s[st]))
            st++;
    t->trim_next = false;
    i = st;
    while (i + 1 < t->n && !(s[i] == '{' && s[i + 1] == '{'))
        i++;
    if (i + 1 >= t->n) i = t->n;
    size_t e = i;
    bool left_trim = i + 3 < t->n && s[i + 2] == '-' && is_space(s[i + 3]);
    if (left_trim)
        while (e > st && is_space(s[e - 1]))
            e--;
    if (!skip && !t->loop_ctl) gh_buf_append(t->out, s + st, e - st);
    if (i >= t->n) {
        t->pos = t->n;
        return false;
    }
    t->pos = i + 2 + (left_trim ? 2 : 0);
    return true;
}

/* if / with: the pipeline decides, the other branch is only parsed. */
static int run_if(tpl *t, bool skip, bool is_with)
{
    tv v;
    size_t nv = t->nvars;
    if (eval_pipe(t, &v, skip, false)) return t->rc ? t->rc : BI_NOMEM;
    bool take = !skip && truthy(&v);
    tv saved = t->dot;
    if (is_with && take) t->dot = v;
    int term;
    if (run_list(t, skip || !take, &term)) return t->rc ? t->rc : BI_NOMEM;
    t->dot = saved;
    if (term == END_EOF) return perr(t, "unexpected EOF", NULL, 0);
    if (term == END_ELSE) {
        /* "else if ..." / "else with ...": the else list is a nested if ending at our end */
        const tok *k = peek(t);
        bool chain = tok_is(k, "if") || tok_is(k, "with");
        if (chain) {
            t->ti++;
            int rc = run_if(t, skip || take, tok_is(k, "with"));
            t->nvars = nv;
            return rc;
        }
        if (run_list(t, skip || take, &term)) return t->rc ? t->rc : BI_NOMEM;
        if (term != END_END)
            return perr(t, "expected end; found ", term == END_ELSE ? "else" : "EOF",
                        term == END_ELSE ? 4 : 3);
    }
    t->nvars = nv;
    return 0;
}

/* One range iteration: binds $k, $v (or $v), sets dot, runs the body from `body`. */
static int range_iter(tpl *t, size_t body, const tok *const *decl, int nd, tv key, tv val,
                      int *term)
{
    t->pos = body;
    t->trim_next = false;
    size_t nv = t->nvars;
    if (nd >= 1) {
        if (t->nvars + 2 > MAX_VARS) return perr(t, "too many variables", NULL, 0);
        var *a = &t->vars[t->nvars++];
        a->name = decl[0]->s, a->n = decl[0]->n, a->val = nd == 2 ? key : val;
        if (nd == 2) {
            var *b = &t->vars[t->nvars++];
            b->name = decl[1]->s, b->n = decl[1]->n, b->val = val;
        }
    }
    tv saved = t->dot;
    t->dot = val;
    int rc = run_list(t, false, term);
    t->dot = saved;
    t->nvars = nv;
    return rc;
}

static int run_range(tpl *t, bool skip)
{
    const tok *decl[2] = {NULL, NULL};
    int nd = 0;
    /* "$i, $v :=" or "$v :=" before the pipeline */
    if (peek(t)->k == T_VAR) {
        size_t save = t->ti;
        decl[nd++] = peek(t), t->ti++;
        if (peek(t)->k == T_COMMA && t->ti + 1 < t->ntok) {
            t->ti++;
            decl[nd++] = peek(t), t->ti++;
        }
        if (peek(t)->k == T_DECLARE || peek(t)->k == T_ASSIGN)
            t->ti++;
        else
            t->ti = save, nd = 0;
    }
    tv v;
    if (eval_pipe(t, &v, skip, false)) return t->rc ? t->rc : BI_NOMEM;
    size_t body = t->pos;
    int term;
    size_t n = 0;
    if (!skip) {
        if (v.k == TV_INT)
            n = v.i > 0 ? (size_t)v.i : 0;
        else if (v.k == TV_GH && (bi_is(v.v, GH_KIND_ARRAY) || bi_is(v.v, GH_KIND_SET) ||
                                  bi_is(v.v, GH_KIND_OBJECT)))
            n = gh_value_len(v.v);
        else if (v.k == TV_GH && !bi_is(v.v, GH_KIND_NULL))
            return xerr(t, "range can't iterate over ", "value", 5);
    }
    for (size_t i = 0; i < n; i++) {
        tv key = {TV_INT, NULL, (int64_t)i}, val;
        if (v.k == TV_INT)
            val = key;
        else if (bi_is(v.v, GH_KIND_OBJECT))
            key = tv_gh(gh_object_key_at(v.v, i)), val = tv_gh(gh_object_value_at(v.v, i));
        else
            val = tv_gh(bi_is(v.v, GH_KIND_SET) ? gh_set_item_at(v.v, i) : gh_array_get(v.v, i));
        if (range_iter(t, body, decl, nd, key, val, &term)) return t->rc ? t->rc : BI_NOMEM;
        int ctl = t->loop_ctl;
        t->loop_ctl = 0;
        if (ctl == 1) break;
    }
    /* parse the body once more without running it (its variables bound to nil) to find
     * the matching else / end; with no items, the else branch runs */
    size_t nv = t->nvars;
    for (int i = 0; i < nd && t->nvars < MAX_VARS; i++)
        t->vars[t->nvars++] = (var){decl[i]->s, decl[i]->n, tv_gh(GH_NULL)};
    t->pos = body;
    t->trim_next = false;
    int rc = run_list(t, true, &term);
    t->nvars = nv;
    if (rc) return rc;
    if (term == END_ELSE && run_list(t, skip || n > 0, &term)) return t->rc ? t->rc : BI_NOMEM;
    if (term != END_END) return perr(t, "unexpected EOF", NULL, 0);
    return 0;
}

/* Runs text and actions until {{end}}, {{else}} or the end; *term says which. With skip,
 * only parses. After break/continue (t->loop_ctl), the rest of the body is parsed only. */
static int run_list(tpl *t, bool skip, int *term)
{
    if (++t->depth > MAX_DEPTH) return perr(t, "template nested too deeply", NULL, 0);
    int rc = 0;
    *term = END_EOF;
    while (!rc && text(t, skip)) {
        if (t->src[t->pos] == '/' && t->pos + 1 < t->n && t->src[t->pos + 1] == '*') {
            const char *e = NULL;
            for (size_t i = t->pos + 2; i + 1 < t->n; i++)
                if (t->src[i] == '*' && t->src[i + 1] == '/') {
                    e = t->src + i + 2;
                    break;
                }
            if (!e) return perr(t, "unclosed comment", NULL, 0);
            t->pos = (size_t)(e - t->src);
            if (lex_action(t)) return t->rc;
            if (t->ntok) return perr(t, "comment ends before closing delimiter", NULL, 0);
            continue;
        }
        if (lex_action(t)) return t->rc;
        if (++t->steps > MAX_STEPS) return xerr(t, "template too costly to run", NULL, 0);
        const tok *k = peek(t);
        bool quiet = skip || t->loop_ctl;
        if (tok_is(k, "end") || tok_is(k, "else")) {
            t->ti++;
            *term = tok_is(k, "end") ? END_END : END_ELSE;
            if (*term == END_END && peek(t)->k != T_EOF)
                return perr(t, "unexpected ", peek(t)->s, peek(t)->n);
            break;
        }
        if (tok_is(k, "if") || tok_is(k, "with")) {
            t->ti++;
            rc = run_if(t, quiet, tok_is(k, "with"));
        } else if (tok_is(k, "range")) {
            t->ti++;
            rc = run_range(t, quiet);
        } else if (tok_is(k, "break") || tok_is(k, "continue")) {
            if (!quiet) t->loop_ctl = tok_is(k, "break") ? 1 : 2;
        } else if (tok_is(k, "define") || tok_is(k, "template") || tok_is(k, "block")) {
            rc = perr(t, "unsupported action: ", k->s, k->n);
        } else {
            tv v;
            bool is_decl = k->k == T_VAR && t->ntok > 1 &&
                           (t->toks[1].k == T_DECLARE || t->toks[1].k == T_ASSIGN);
            rc = eval_pipe(t, &v, quiet, false);
            if (!rc && !quiet && !is_decl) print_tv(t->out, &v);
        }
    }
    t->depth--;
    return rc ? rc : t->rc;
}

static int bi_render(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int rc = 0;
    size_t n;
    const char *s = bi_str_arg(bc, NAME, args, 1, &n, &rc);
    if (!s) return rc;
    if (!bi_is(args[1], GH_KIND_OBJECT)) return bi_type_err(bc, NAME, 2, args[1], "object");
    tpl *t = (tpl *)bi_bytes(bc, sizeof *t);
    if (!t) return BI_NOMEM;
    memset(t, 0, sizeof *t);
    t->bc = bc, t->src = s, t->n = n;
    /* a heap buffer of our own: printf calls sprintf, which uses the scratch buffers */
    gh_buf ob;
    gh_buf_init(&ob, MAX_OUTPUT);
    t->out = &ob;
    t->dot = tv_gh(args[1]);
    t->vars[t->nvars++] = (var){"$", 1, t->dot};
    int term;
    rc = run_list(t, false, &term);
    if (!rc && term == END_END) rc = perr(t, "unexpected {{end}}", NULL, 0);
    if (!rc && term == END_ELSE) rc = perr(t, "unexpected {{else}}", NULL, 0);
    if (!rc && ob.failed) rc = xerr(t, "output too large", NULL, 0);
    if (!rc) rc = bi_ret(out, bi_str(bc, ob.data ? ob.data : "", ob.len));
    gh_buf_free(&ob);
    return rc;
}

static const gh_builtin table[] = {
    BI_FN("strings.render_template", 2, "(string, object[string: any]) => string", bi_render),
};

BI_FAMILY(template, table);
