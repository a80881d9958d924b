/* METADATA annotation blocks: a comment starting with "METADATA" and the comments on the
 * following lines at column 1 form a YAML document (OPA's rule). We parse the subset OPA's
 * annotations use, block maps and lists by indentation, plain/quoted/block scalars and
 * simple flow [..]/{..}, into gh_yaml, pull out the known fields, and attach each block to
 * the package or rule that follows it. */
#define GH_PARSE_INTERNAL
#include "parse.h"

#include <stdio.h>
#include <string.h>

typedef struct yline {
    const char *s; /* text after the indentation */
    int len, indent;
    const gh_comment *c;
} yline;

typedef struct yparser {
    gh_pctx *ctx;
    yline *lines;
    int n, i;
    bool failed;
} yparser;

static void yerr(yparser *p, const gh_comment *c, const char *msg)
{
    if (p->failed) return;
    p->failed = true;
    gh_parse_error_at(p->ctx, c->loc.line, c->loc.col, "%s", msg);
}

static gh_yaml *ynode(gh_pctx *ctx, gh_yaml_kind k)
{
    gh_yaml *y = gh_arena_calloc(ctx->a, 1, sizeof *y);
    y->kind = k;
    return y;
}

static void yadd(gh_pctx *ctx, gh_yaml *y, const char *key, size_t klen, gh_yaml *v)
{
    gh_yaml **items = gh_arena_alloc(ctx->a, (y->n + 1) * sizeof *items);
    if (y->n) memcpy(items, y->items, y->n * sizeof *items);
    items[y->n] = v;
    if (y->kind == GH_YAML_MAP) {
        gh_str *keys = gh_arena_alloc(ctx->a, (y->n + 1) * sizeof *keys);
        if (y->n) memcpy(keys, y->keys, y->n * sizeof *keys);
        keys[y->n].s = gh_arena_strndup(ctx->a, key, klen);
        keys[y->n].len = klen;
        y->keys = keys;
    }
    y->items = items;
    y->n++;
}

static void trim(const char **s, int *len)
{
    while (*len > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t')) (*s)++, (*len)--;
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' || (*s)[*len - 1] == '\r')) (*len)--;
}

static gh_yaml *flow(yparser *p, const char **s, const char *e);

/* A scalar or flow collection written on one line. */
static gh_yaml *inline_value(yparser *p, const char *s, int len)
{
    gh_pctx *ctx = p->ctx;
    trim(&s, &len);
    if (len == 0) return ynode(ctx, GH_YAML_NULL);
    if (s[0] == '[' || s[0] == '{') {
        const char *c = s;
        return flow(p, &c, s + len);
    }
    gh_yaml *y = ynode(ctx, GH_YAML_SCALAR);
    if (s[0] == '"' && len >= 2 && s[len - 1] == '"') {
        const char *bad;
        y->scalar.s = gh_lex_unescape(ctx->a, s + 1, (size_t)len - 2, &y->scalar.len, &bad);
        y->quoted = true;
    } else if (s[0] == '\'' && len >= 2 && s[len - 1] == '\'') {
        char *d = gh_arena_alloc(ctx->a, (size_t)len), *o = d;
        for (int i = 1; i < len - 1; i++) {
            *o++ = s[i];
            if (s[i] == '\'' && i + 1 < len - 1 && s[i + 1] == '\'') i++;
        }
        *o = '\0';
        y->scalar.s = d;
        y->scalar.len = (size_t)(o - d);
        y->quoted = true;
    } else {
        for (int i = 1; i < len; i++) /* a " #" starts a comment */
            if (s[i] == '#' && (s[i - 1] == ' ' || s[i - 1] == '\t')) {
                len = i;
                trim(&s, &len);
                break;
            }
        if (len == 1 && s[0] == '~') return ynode(ctx, GH_YAML_NULL);
        if (len == 4 && !memcmp(s, "null", 4)) return ynode(ctx, GH_YAML_NULL);
        y->scalar.s = gh_arena_strndup(ctx->a, s, (size_t)len);
        y->scalar.len = (size_t)len;
    }
    return y;
}

/* Flow collections: [a, b] and {k: v}, nested, with plain or quoted scalars. */
static gh_yaml *flow(yparser *p, const char **s, const char *e)
{
    gh_pctx *ctx = p->ctx;
    char open = **s, close = open == '[' ? ']' : '}';
    gh_yaml *y = ynode(ctx, open == '[' ? GH_YAML_LIST : GH_YAML_MAP);
    (*s)++;
    while (*s < e) {
        while (*s < e && (**s == ' ' || **s == ',')) (*s)++;
        if (*s >= e || **s == close) {
            (*s)++;
            return y;
        }
        const char *key = NULL;
        int klen = 0;
        if (open == '{') {
            key = *s;
            while (*s < e && **s != ':' && **s != close) (*s)++;
            klen = (int)(*s - key);
            trim(&key, &klen);
            if (*s < e && **s == ':') (*s)++;
            while (*s < e && **s == ' ') (*s)++;
        }
        gh_yaml *v;
        if (*s < e && (**s == '[' || **s == '{')) {
            v = flow(p, s, e);
        } else {
            const char *st = *s;
            char q = (**s == '"' || **s == '\'') ? **s : 0;
            if (q) {
                (*s)++;
                while (*s < e && **s != q) *s += (**s == '\\' && q == '"') ? 2 : 1;
                if (*s < e) (*s)++;
            }
            while (*s < e && **s != ',' && **s != close) (*s)++;
            v = inline_value(p, st, (int)(*s - st));
        }
        if (open == '{') yadd(ctx, y, key, (size_t)klen, v);
        else yadd(ctx, y, NULL, 0, v);
    }
    return y;
}

static gh_yaml *block(yparser *p, int indent);

/* `|` and `>` block scalars: the following lines indented deeper than `indent`. */
static gh_yaml *block_scalar(yparser *p, int indent, bool fold)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    int base = -1;
    while (p->i < p->n && (p->lines[p->i].indent > indent || p->lines[p->i].len == 0)) {
        yline *l = &p->lines[p->i++];
        if (base < 0 && l->len) base = l->indent;
        if (b.len) gh_buf_putc(&b, fold ? ' ' : '\n');
        if (l->len && l->indent > base) gh_buf_printf(&b, "%*s", l->indent - base, "");
        gh_buf_append(&b, l->s, (size_t)l->len);
    }
    gh_buf_putc(&b, '\n');
    gh_yaml *y = ynode(p->ctx, GH_YAML_SCALAR);
    y->scalar.s = gh_arena_strndup(p->ctx->a, b.data ? b.data : "", b.len);
    y->scalar.len = b.len;
    gh_buf_free(&b);
    return y;
}

/* The value after `key:` or `- `: inline, block scalar, or a nested block. */
static gh_yaml *value_after(yparser *p, int indent, const char *s, int len)
{
    trim(&s, &len);
    if (len == 1 && (s[0] == '|' || s[0] == '>')) return block_scalar(p, indent, s[0] == '>');
    if (len >= 2 && (s[0] == '|' || s[0] == '>') && (s[1] == '-' || s[1] == '+'))
        return block_scalar(p, indent, s[0] == '>');
    if (len > 0) return inline_value(p, s, len);
    while (p->i < p->n && p->lines[p->i].len == 0) p->i++;
    if (p->i < p->n) {
        yline *l = &p->lines[p->i];
        if (l->indent > indent || (l->indent == indent && l->s[0] == '-' && (l->len == 1 || l->s[1] == ' ')))
            return block(p, l->indent);
    }
    return ynode(p->ctx, GH_YAML_NULL);
}

static int find_colon(const yline *l)
{
    char q = 0;
    for (int i = 0; i < l->len; i++) {
        char c = l->s[i];
        if (q) {
            if (c == q) q = 0;
            continue;
        }
        if ((c == '"' || c == '\'') && i == 0) q = c;
        else if (c == ':' && (i + 1 == l->len || l->s[i + 1] == ' ' || l->s[i + 1] == '\t')) return i;
        else if (c == '#' && i > 0 && l->s[i - 1] == ' ') return -1;
    }
    return -1;
}

static gh_yaml *block(yparser *p, int indent)
{
    gh_pctx *ctx = p->ctx;
    while (p->i < p->n && p->lines[p->i].len == 0) p->i++;
    if (p->i >= p->n) return ynode(ctx, GH_YAML_NULL);
    yline *first = &p->lines[p->i];
    bool list = first->s[0] == '-' && (first->len == 1 || first->s[1] == ' ');
    gh_yaml *y = ynode(ctx, list ? GH_YAML_LIST : GH_YAML_MAP);
    while (p->i < p->n && !p->failed) {
        yline *l = &p->lines[p->i];
        if (l->len == 0) {
            p->i++;
            continue;
        }
        if (l->indent < indent) break;
        if (l->indent > indent) {
            yerr(p, l->c, "yaml: mapping values are not allowed in this context");
            break;
        }
        if (list) {
            if (!(l->s[0] == '-' && (l->len == 1 || l->s[1] == ' '))) break;
            const char *rest = l->s + 1;
            int rlen = l->len - 1, skip = 1;
            while (rlen > 0 && *rest == ' ') rest++, rlen--, skip++;
            yline tmp = *l;
            tmp.s = rest;
            tmp.len = rlen;
            if (rlen > 0 && find_colon(&tmp) > 0 && rest[0] != '"' && rest[0] != '\'' && rest[0] != '[' && rest[0] != '{') {
                /* "- key: v" opens a map whose keys line up with `key` */
                l->s = rest;
                l->len = rlen;
                l->indent += skip;
                yadd(ctx, y, NULL, 0, block(p, l->indent));
            } else {
                p->i++;
                yadd(ctx, y, NULL, 0, value_after(p, indent, rest, rlen));
            }
            continue;
        }
        int colon = find_colon(l);
        if (colon <= 0) {
            char msg[96];
            snprintf(msg, sizeof msg, "yaml: line %d: could not find expected ':'", p->i + 1);
            yerr(p, l->c, msg);
            break;
        }
        const char *key = l->s;
        int klen = colon;
        trim(&key, &klen);
        if (klen >= 2 && (key[0] == '"' || key[0] == '\'') && key[klen - 1] == key[0]) key++, klen -= 2;
        p->i++;
        yadd(ctx, y, key, (size_t)klen, value_after(p, indent, l->s + colon + 1, l->len - colon - 1));
    }
    return y;
}

static gh_yaml *yget(gh_yaml *m, const char *key)
{
    if (!m || m->kind != GH_YAML_MAP) return NULL;
    for (size_t i = 0; i < m->n; i++)
        if (strlen(key) == m->keys[i].len && memcmp(m->keys[i].s, key, m->keys[i].len) == 0) return m->items[i];
    return NULL;
}

static bool scalar_is(gh_yaml *y, const char *s)
{
    return y && y->kind == GH_YAML_SCALAR && y->scalar.len == strlen(s) && !memcmp(y->scalar.s, s, y->scalar.len);
}

/* One block: comments[from, to) with comments[from] the METADATA line. */
static gh_annotations *parse_block(gh_pctx *ctx, const gh_comment *cs, size_t from, size_t to)
{
    yparser p = {.ctx = ctx, .n = (int)(to - from - 1)};
    p.lines = gh_arena_calloc(ctx->a, (size_t)(p.n ? p.n : 1), sizeof(yline));
    bool any = false;
    for (int k = 0; k < p.n; k++) {
        const gh_comment *c = &cs[from + 1 + (size_t)k];
        const char *s = c->text.s;
        int len = (int)c->text.len;
        if (len && s[0] == ' ') s++, len--; /* OPA drops one leading space */
        int ind = 0;
        while (ind < len && s[ind] == ' ') ind++;
        yline *l = &p.lines[k];
        l->c = c;
        l->indent = ind;
        l->s = s + ind;
        l->len = len - ind;
        while (l->len > 0 && (l->s[l->len - 1] == ' ' || l->s[l->len - 1] == '\r')) l->len--;
        if (l->len && l->s[0] == '#') l->len = 0; /* a YAML comment line */
        any = any || l->len > 0;
    }
    if (!any) {
        gh_parse_error_at(ctx, cs[from].loc.line, cs[from].loc.col, "expected METADATA block, found whitespace");
        return NULL;
    }
    int ind0 = 0;
    for (int k = 0; k < p.n; k++)
        if (p.lines[k].len) {
            ind0 = p.lines[k].indent;
            break;
        }
    gh_yaml *root = block(&p, ind0);
    if (!p.failed && p.i < p.n) yerr(&p, p.lines[p.i].c, "yaml: did not find expected key");
    if (p.failed) return NULL;
    if (root->kind != GH_YAML_MAP) {
        gh_parse_error_at(ctx, cs[from].loc.line, cs[from].loc.col,
                          "yaml: unmarshal errors: cannot unmarshal into annotations");
        return NULL;
    }
    gh_annotations *a = gh_arena_calloc(ctx->a, 1, sizeof *a);
    a->loc = cs[from].loc;
    a->root = root;
    gh_yaml *v;
    if ((v = yget(root, "scope")) && v->kind == GH_YAML_SCALAR) {
        a->scope_text = v->scalar.s;
        a->scope = scalar_is(v, "rule") ? GH_SCOPE_RULE : scalar_is(v, "document") ? GH_SCOPE_DOCUMENT
                 : scalar_is(v, "package") ? GH_SCOPE_PACKAGE : scalar_is(v, "subpackages") ? GH_SCOPE_SUBPACKAGES
                 : GH_SCOPE_NONE;
    }
    if ((v = yget(root, "title")) && v->kind == GH_YAML_SCALAR) a->title = v->scalar, a->has_title = true;
    if ((v = yget(root, "description")) && v->kind == GH_YAML_SCALAR)
        a->description = v->scalar, a->has_description = true;
    a->entrypoint = scalar_is(yget(root, "entrypoint"), "true");
    a->custom = yget(root, "custom");
    a->schemas = yget(root, "schemas");
    a->authors = yget(root, "authors");
    a->organizations = yget(root, "organizations");
    a->related_resources = yget(root, "related_resources");
    return a;
}

/* The package or rule that starts first after line `after`. */
static void attach(gh_pctx *ctx, gh_module *m, gh_annotations *a, int after)
{
    gh_rule *best = NULL;
    for (size_t i = 0; i < m->nrules; i++)
        if (m->rules[i]->loc.line > after && (!best || m->rules[i]->loc.line < best->loc.line)) best = m->rules[i];
    if (m->package && m->package->loc.line > after && (!best || m->package->loc.line < best->loc.line))
        a->target_package = m->package;
    else
        a->target_rule = best;
    const char *have = a->target_package ? "package" : a->target_rule ? "rule" : NULL;
    if (a->scope_text && a->scope == GH_SCOPE_NONE) {
        gh_parse_error_at(ctx, a->loc.line, a->loc.col,
                          "invalid annotation scope '%s'. Use one of 'rule', 'document', 'package' or 'subpackages'",
                          a->scope_text);
    } else if (a->scope == GH_SCOPE_NONE) {
        a->scope = a->target_package ? GH_SCOPE_PACKAGE : GH_SCOPE_RULE;
    } else if ((a->scope == GH_SCOPE_RULE || a->scope == GH_SCOPE_DOCUMENT) && !a->target_rule) {
        gh_parse_error_at(ctx, a->loc.line, a->loc.col, "annotation scope '%s' must be applied to rule%s%s%s",
                          a->scope_text, have ? " (have " : "", have ? have : "", have ? ")" : "");
    } else if ((a->scope == GH_SCOPE_PACKAGE || a->scope == GH_SCOPE_SUBPACKAGES) && !a->target_package) {
        gh_parse_error_at(ctx, a->loc.line, a->loc.col, "annotation scope '%s' must be applied to package%s%s%s",
                          a->scope_text, have ? " (have " : "", have ? have : "", have ? ")" : "");
    }
}

static bool is_metadata_hint(const gh_comment *c)
{
    const char *t = c->text.s;
    while (*t == ' ' || *t == '\t') t++;
    return strncmp(t, "METADATA", 8) == 0;
}

/* A block runs over the comments on the following lines at column 1; the next METADATA line
 * ends it and starts a block of its own (OPA accepts two blocks back to back). */
void gh_annotations_collect(gh_pctx *ctx, gh_module *m)
{
    gh_vec found = {0};
    const gh_comment *cs = m->comments;
    for (size_t i = 0; i < m->ncomments; i++) {
        if (!is_metadata_hint(&cs[i])) continue;
        size_t j = i + 1;
        while (j < m->ncomments && cs[j].loc.line == cs[j - 1].loc.line + 1 && cs[j].loc.col == 1 &&
               !is_metadata_hint(&cs[j]))
            j++;
        gh_annotations *a = parse_block(ctx, cs, i, j);
        if (a) {
            attach(ctx, m, a, cs[j - 1].loc.line);
            gh_vec_push(ctx->a, &found, a);
        }
        i = j - 1;
    }
    m->annotations = (gh_annotations **)found.items;
    m->nannotations = found.n;
}
