/* gatehouse capabilities: the builtins this build supports, printed as OPA's capabilities
 * JSON (`opa capabilities --current`: builtins with their type declarations, future
 * keywords, wasm ABI versions, features), indented and ordered as OPA writes it, so the
 * output can be fed to tools that read OPA capabilities files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins/builtins.h"
#include "cli.h"

static const char capabilities_usage[] =
    "usage: gatehouse capabilities [--current]\n\n"
    "Prints the capabilities of this build as OPA's capabilities JSON: every supported\n"
    "builtin with its type declaration, the future keywords and the language features.\n\n"
    "options:\n"
    "      --current   the capabilities of this build (the default; the only set known)\n"
    "  -h, --help      show this help\n";

/* What the parser and compiler support (OPA's names). */
static const char *const future_keywords[] = {"contains", "every", "if", "in"};
static const char *const features[] = {"keywords_in_refs", "rego_v1", "template_strings"};

/* ---- a small JSON writer with Go's json.MarshalIndent layout (two spaces) ---- */

#define JW_MAX_DEPTH 64

typedef struct jw {
    gh_buf *b;
    int depth;
    bool first[JW_MAX_DEPTH];
} jw;

static void jw_indent(jw *w, int depth)
{
    gh_buf_putc(w->b, '\n');
    for (int i = 0; i < depth; i++) gh_buf_puts(w->b, "  ");
}

/* Starts the next member or element at the current depth. */
static void jw_sep(jw *w)
{
    if (!w->first[w->depth]) gh_buf_putc(w->b, ',');
    w->first[w->depth] = false;
    jw_indent(w, w->depth);
}

static void jw_open(jw *w, char c)
{
    gh_buf_putc(w->b, c);
    if (w->depth + 1 < JW_MAX_DEPTH) w->depth++;
    w->first[w->depth] = true;
}

static void jw_close(jw *w, char c)
{
    if (!w->first[w->depth]) jw_indent(w, w->depth - 1);
    w->depth--;
    gh_buf_putc(w->b, c);
}

/* A JSON string as Go writes it (HTML characters escaped). */
static void jw_str(jw *w, const char *s)
{
    gh_buf_putc(w->b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') gh_buf_printf(w->b, "\\%c", c);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&') gh_buf_printf(w->b, "\\u%04x", c);
        else gh_buf_putc(w->b, (char)c);
    }
    gh_buf_putc(w->b, '"');
}

static void jw_key(jw *w, const char *k)
{
    jw_sep(w);
    jw_str(w, k);
    gh_buf_puts(w->b, ": ");
}

static void jw_kstr(jw *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_str(w, v);
}

static void jw_strings(jw *w, const char *k, const char *const *v, size_t n)
{
    jw_key(w, k);
    jw_open(w, '[');
    for (size_t i = 0; i < n; i++) {
        jw_sep(w);
        jw_str(w, v[i]);
    }
    jw_close(w, ']');
}

/* ---- types, as OPA's types package marshals them (keys in alphabetical order) ---- */

static void write_type(jw *w, const gh_btype *t);

static int kind_of(const gh_btype *t)
{
    for (int k = 0; k < 7; k++)
        if (t->mask & GH_TM(k)) return k;
    return 7;
}

/* any<...>: OPA keeps the alternatives sorted (null < boolean < ... < set). */
static void write_union(jw *w, const gh_btype *t)
{
    jw_key(w, "of");
    jw_open(w, '[');
    for (int k = 0; k <= 7; k++)
        for (size_t i = 0; i < t->n; i++)
            if (kind_of(t->items[i]) == k) {
                jw_sep(w);
                write_type(w, t->items[i]);
            }
    jw_close(w, ']');
    jw_kstr(w, "type", "any");
}

static void write_static_props(jw *w, const gh_btype *t)
{
    bool *done = calloc(t->n ? t->n : 1, sizeof *done);
    jw_key(w, "static");
    jw_open(w, '[');
    for (size_t round = 0; done && round < t->n; round++) {
        size_t best = t->n;
        for (size_t i = 0; i < t->n; i++)
            if (!done[i] && (best == t->n || strcmp(t->names[i], t->names[best]) < 0)) best = i;
        done[best] = true;
        jw_sep(w);
        jw_open(w, '{');
        jw_kstr(w, "key", t->names[best]);
        jw_key(w, "value");
        write_type(w, t->items[best]);
        jw_close(w, '}');
    }
    jw_close(w, ']');
    free(done);
}

static void write_composite(jw *w, const gh_btype *t, bool obj)
{
    if (t->elem || t->key) {
        jw_key(w, "dynamic");
        if (obj) {
            jw_open(w, '{');
            jw_key(w, "key");
            write_type(w, t->key);
            jw_key(w, "value");
            write_type(w, t->elem);
            jw_close(w, '}');
        } else {
            write_type(w, t->elem);
        }
    }
    if (t->n && obj) {
        write_static_props(w, t);
    } else if (t->n) {
        jw_key(w, "static");
        jw_open(w, '[');
        for (size_t i = 0; i < t->n; i++) {
            jw_sep(w);
            write_type(w, t->items[i]);
        }
        jw_close(w, ']');
    }
    jw_kstr(w, "type", obj ? "object" : "array");
}

static void write_type(jw *w, const gh_btype *t)
{
    jw_open(w, '{');
    if (!t || t->is_any) {
        jw_kstr(w, "type", "any");
    } else if (t->is_union) {
        write_union(w, t);
    } else if (t->mask == GH_TM(GH_KIND_SET)) {
        jw_key(w, "of");
        write_type(w, t->elem);
        jw_kstr(w, "type", "set");
    } else if (t->mask == GH_TM(GH_KIND_ARRAY) || t->mask == GH_TM(GH_KIND_OBJECT)) {
        write_composite(w, t, t->mask == GH_TM(GH_KIND_OBJECT));
    } else {
        static const char *const names[] = {"null", "boolean", "number", "string"};
        int k = kind_of(t);
        jw_kstr(w, "type", k < 4 ? names[k] : "any");
    }
    jw_close(w, '}');
}

static void write_decl(jw *w, const gh_bsig *sig)
{
    jw_key(w, "decl");
    jw_open(w, '{');
    if (sig->nargs) {
        jw_key(w, "args");
        jw_open(w, '[');
        for (size_t i = 0; i < sig->nargs; i++) {
            jw_sep(w);
            write_type(w, sig->args[i]);
        }
        jw_close(w, ']');
    }
    if (sig->result) {
        jw_key(w, "result");
        write_type(w, sig->result);
    }
    jw_kstr(w, "type", "function");
    if (sig->variadic) {
        jw_key(w, "variadic");
        write_type(w, sig->variadic);
    }
    jw_close(w, '}');
}

/* ---- the builtin list ---- */

/* Calls the compiler handles itself (not in the builtin table) that OPA lists: `=`, `:=`
 * and the rego.metadata pair. */
static const gh_btype t_any = {.mask = GH_TM_ANY, .is_any = true};
static const gh_btype t_bool = {.mask = GH_TM(GH_KIND_BOOL)};
static const gh_btype t_array = {.mask = GH_TM(GH_KIND_ARRAY), .elem = &t_any};
static const gh_btype *const any2[] = {&t_any, &t_any};
static const gh_bsig unify_sig = {.args = any2, .nargs = 2, .result = &t_bool};
static const gh_bsig chain_sig = {.result = &t_array};
static const gh_bsig rule_sig = {.result = &t_any};

typedef struct entry {
    const char *name, *infix;
    const gh_bsig *sig;
    unsigned flags;
} entry;

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

static void write_builtin(jw *w, const entry *e)
{
    jw_sep(w);
    jw_open(w, '{');
    jw_kstr(w, "name", e->name);
    write_decl(w, e->sig);
    if (e->infix) jw_kstr(w, "infix", e->infix);
    if (e->flags & GH_BI_RELATION) {
        jw_key(w, "relation");
        gh_buf_puts(w->b, "true");
    }
    if (e->flags & GH_BI_NONDETERMINISTIC) {
        jw_key(w, "nondeterministic");
        gh_buf_puts(w->b, "true");
    }
    if (e->flags & GH_BI_DEPRECATED) {
        jw_key(w, "deprecated");
        gh_buf_puts(w->b, "true");
    }
    jw_close(w, '}');
}

static const entry compiler_own[] = {
    {"assign", ":=", &unify_sig, 0},
    {"eq", "=", &unify_sig, 0},
    {"rego.metadata.chain", NULL, &chain_sig, 0},
    {"rego.metadata.rule", NULL, &rule_sig, 0},
};
#define N_OWN (sizeof compiler_own / sizeof compiler_own[0])

/* The builtins in name order: the table plus the compiler's own (unless the table has them
 * by now). NULL when out of memory. */
static entry *collect(size_t *n)
{
    size_t nb = gh_builtin_count();
    entry *es = malloc((nb + N_OWN) * sizeof *es);
    if (!es) return NULL;
    for (size_t i = 0; i < nb; i++) {
        const gh_builtin *b = gh_builtin_at(i);
        es[i] = (entry){b->name, b->infix, gh_builtin_sig(b), b->flags};
    }
    *n = nb;
    for (size_t i = 0; i < N_OWN; i++)
        if (!gh_builtin_lookup(compiler_own[i].name, strlen(compiler_own[i].name)))
            es[(*n)++] = compiler_own[i];
    qsort(es, *n, sizeof *es, cmp_entry);
    return es;
}

static int write_capabilities(gh_buf *b)
{
    size_t n = 0;
    entry *es = collect(&n);
    if (!es) return -1;
    jw w = {.b = b};
    jw_open(&w, '{');
    jw_key(&w, "builtins");
    jw_open(&w, '[');
    for (size_t i = 0; i < n; i++) write_builtin(&w, &es[i]);
    jw_close(&w, ']');
    jw_strings(&w, "future_keywords", future_keywords, sizeof future_keywords / sizeof *future_keywords);
    jw_strings(&w, "wasm_abi_versions", NULL, 0);
    jw_strings(&w, "features", features, sizeof features / sizeof *features);
    jw_close(&w, '}');
    gh_buf_putc(b, '\n');
    free(es);
    return b->failed ? -1 : 0;
}

int cmd_capabilities(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(capabilities_usage, stdout);
        return CLI_OK;
    }
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--current") != 0) {
            fprintf(stderr, "gatehouse capabilities: unexpected argument '%s'\n\n%s", argv[i],
                    capabilities_usage);
            return CLI_USAGE;
        }
    gh_buf b;
    gh_buf_init(&b, 0);
    int rc = write_capabilities(&b);
    if (rc == 0) fwrite(b.data, 1, b.len, stdout);
    else fputs("gatehouse capabilities: out of memory\n", stderr);
    gh_buf_free(&b);
    return rc == 0 ? CLI_OK : CLI_USAGE;
}
