/* gatehouse inspect: what a bundle or a set of Rego files holds, as opa inspect shows it:
 * the bundle manifest, packages and data files by namespace, annotations (-a) with their
 * entrypoints; plus, as gatehouse additions, the entrypoints and every rule.
 *
 * A directory is read as a bundle (sidecar/loader.c's -b loading: its .manifest, roots
 * enforced); a .rego file alone as a module. Modules are parsed, not compiled. File names
 * are shown as opa shows them: the path given joined with the file's place in the bundle,
 * cleaned as Go's filepath.Clean. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/diag.h"
#include "gatehouse/value.h"
#include "loader.h"
#include "parse.h"

static const char inspect_usage[] =
    "usage: gatehouse inspect [-f pretty|json] [-a] [--v0-compatible] PATH...\n\n"
    "Summarises bundles and Rego files as opa inspect does. A directory is a bundle (its\n"
    ".manifest is read and its roots enforced, as with -b); a .rego file is one module.\n"
    "Modules are parsed, not compiled (gatehouse check compiles).\n\n"
    "Printed: MANIFEST (revision, roots, metadata), NAMESPACES (each package with its\n"
    ".rego files, each data.json/data.yaml directory with its files) and, with -a,\n"
    "ANNOTATIONS (every METADATA block, with its scope and entrypoint flag). gatehouse adds\n"
    "ENTRYPOINTS (paths annotated entrypoint: true) and RULES (every rule definition with its\n"
    "kind and location); in JSON these are the \"entrypoints\" and \"rules\" keys, the rest is\n"
    "opa's shape (manifest, signatures_config, namespaces, annotations).\n\n"
    "options:\n"
    "  -f, --format FORMAT   pretty (default) or json\n"
    "  -a, --annotations     list the annotations\n"
    "      --v0-compatible   parse modules as Rego v0 (--v1-compatible: the default)\n"
    "  -h, --help            show this help\n\n"
    "Exit status: 0 ok; 1 a path, manifest or module could not be read or parsed (as opa);\n"
    "2 command-line usage errors.\n";

#define MAX_FIELD 50  /* opa's maxTableFieldLen */
#define PAGE_WIDTH 80 /* opa's pageWidth */

typedef struct inspect_args {
    bool json, annotations, v0;
    char **paths;
    int npaths;
} inspect_args;

/* ---- file names ---- */

/* Go's filepath.Clean: no empty, "." or "x/.." elements, no trailing slash. */
static char *clean_path(gh_arena *a, const char *p)
{
    size_t n = strlen(p);
    char *out = gh_arena_alloc(a, n + 2);
    const char **elems = gh_arena_alloc(a, (n / 2 + 2) * sizeof *elems);
    size_t *lens = gh_arena_alloc(a, (n / 2 + 2) * sizeof *lens);
    bool rooted = p[0] == '/';
    size_t ne = 0;
    for (const char *s = p; *s;) {
        while (*s == '/')
            s++;
        const char *e = s;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - s);
        if (len == 0 || (len == 1 && s[0] == '.')) {
        } else if (len == 2 && s[0] == '.' && s[1] == '.') {
            if (ne && !(lens[ne - 1] == 2 && strncmp(elems[ne - 1], "..", 2) == 0))
                ne--;
            else if (!rooted)
                elems[ne] = s, lens[ne++] = len;
        } else {
            elems[ne] = s, lens[ne++] = len;
        }
        s = e;
    }
    size_t o = 0;
    if (rooted) out[o++] = '/';
    for (size_t i = 0; i < ne; i++) {
        if (i) out[o++] = '/';
        memcpy(out + o, elems[i], lens[i]);
        o += lens[i];
    }
    if (o == 0) out[o++] = '.';
    out[o] = '\0';
    return out;
}

/* opa's truncateFileName for table cells: long paths keep their first element and as much
 * of the end as fits in MAX_FIELD, "..." between. */
static const char *truncate_file(gh_arena *a, const char *s)
{
    size_t n = strlen(s);
    if (n < MAX_FIELD) return s;
    const char *first = s + (s[0] == '/');
    const char *slash = strchr(first, '/');
    char *out = gh_arena_alloc(a, MAX_FIELD + 1);
    if (!slash) {
        snprintf(out, MAX_FIELD + 1, "%.*s...", MAX_FIELD - 3, s);
        return out;
    }
    int head = (int)(slash - s) + 1;
    int tail = MAX_FIELD - head - 3;
    if (tail < 1) tail = 1;
    snprintf(out, MAX_FIELD + 1, "%.*s...%s", head, s, s + n - (size_t)tail);
    return out;
}

/* opa's truncateStr: strings of MAX_FIELD bytes or more end in "...". */
static const char *truncate_str(gh_arena *a, const char *s, size_t max)
{
    if (strlen(s) < max) return s;
    char *out = gh_arena_alloc(a, max + 1);
    snprintf(out, max + 1, "%.*s...", (int)max - 3, s);
    return out;
}

/* ---- refs: the package, rule and annotation paths ---- */

typedef struct path_item {
    bool var;      /* a variable (the leading data, a rule head's variables) */
    const char *s; /* its name or string */
} path_item;

typedef struct rpath {
    path_item *items;
    size_t n;
} rpath;

static bool is_ident(const char *s)
{
    if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) return false;
    for (s++; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

/* A ref as OPA's Ref.String writes it: data.a.b, x["not ident"], p[k]. */
static void path_text(const rpath *p, size_t from, gh_buf *out)
{
    for (size_t i = from; i < p->n; i++) {
        const path_item *it = &p->items[i];
        if (i == from)
            gh_buf_puts(out, it->s);
        else if (it->var)
            gh_buf_printf(out, "[%s]", it->s);
        else if (is_ident(it->s))
            gh_buf_printf(out, ".%s", it->s);
        else {
            gh_buf_putc(out, '[');
            gh_arena a;
            gh_arena_init(&a, 0);
            const gh_value *v = gh_value_string(&a, it->s, strlen(it->s));
            if (v) gh_json_write(out, v, 0);
            gh_arena_free(&a);
            gh_buf_putc(out, ']');
        }
    }
}

static char *path_cstr(gh_arena *a, const rpath *p, size_t from)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    path_text(p, from, &b);
    char *s = gh_arena_strndup(a, b.data ? b.data : "", b.len);
    gh_buf_free(&b);
    return s;
}

/* The package path: data, then its strings. */
static rpath package_path(gh_arena *a, const gh_package *pkg)
{
    const gh_term *ref = pkg->path;
    rpath p = {gh_arena_calloc(a, ref->u.list.n + 1, sizeof(path_item)), 0};
    for (size_t i = 0; i < ref->u.list.n; i++) {
        const gh_term *t = ref->u.list.items[i];
        p.items[p.n++] = (path_item){t->kind == GH_TERM_VAR, t->u.str.s};
    }
    return p;
}

/* The rule head's ref alone (p, a.b[c]); *ground gets how many leading items are constant
 * (OPA's GroundPrefix: the head variable, then strings up to the first variable). */
static rpath head_path(gh_arena *a, const gh_head *h, size_t *ground)
{
    rpath p = {gh_arena_calloc(a, h->nref + 1, sizeof(path_item)), 0};
    *ground = 0;
    bool still_ground = true;
    for (size_t i = 0; i < h->nref; i++) {
        const gh_term *t = h->ref[i];
        const char *s = t->kind == GH_TERM_VAR || t->kind == GH_TERM_STRING ? t->u.str.s : NULL;
        if (!s) { /* a number or other scalar key: its Rego text */
            gh_buf b;
            gh_buf_init(&b, 0);
            gh_term_to_rego(t, &b);
            s = gh_arena_strndup(a, b.data ? b.data : "", b.len);
            gh_buf_free(&b);
        }
        /* the head is a var; after it, anything but a string shows in brackets */
        p.items[p.n++] = (path_item){i == 0 || t->kind != GH_TERM_STRING, s};
        if (i > 0 && t->kind != GH_TERM_STRING) still_ground = false;
        if (still_ground) *ground = i + 1;
    }
    return p;
}

/* The rule's full path: the package path, then the head's ref (its ground prefix only when
 * ground_only), the head's variable becoming a string (OPA's Ref.Extend). */
static rpath rule_path(gh_arena *a, const gh_package *pkg, const gh_head *h, bool ground_only)
{
    size_t ground;
    rpath head = head_path(a, h, &ground);
    rpath pp = package_path(a, pkg);
    size_t take = ground_only ? ground : head.n;
    rpath p = {gh_arena_calloc(a, pp.n + take + 1, sizeof(path_item)), 0};
    for (size_t i = 0; i < pp.n; i++)
        p.items[p.n++] = pp.items[i];
    for (size_t i = 0; i < take; i++)
        p.items[p.n++] = (path_item){i > 0 && head.items[i].var, head.items[i].s};
    return p;
}

static int path_compare(const rpath *x, const rpath *y)
{
    for (size_t i = 0; i < x->n && i < y->n; i++) {
        if (x->items[i].var != y->items[i].var) return x->items[i].var ? 1 : -1; /* OPA: string < var */
        int c = strcmp(x->items[i].s, y->items[i].s);
        if (c) return c;
    }
    return x->n < y->n ? -1 : x->n > y->n;
}

/* ---- what was found ---- */

typedef struct ns_file {
    const char *ns, *file;
    size_t seq; /* insertion order within a namespace */
} ns_file;

typedef struct ann_ref {
    const gh_annotations *a;
    rpath path;          /* what the block documents */
    const char *package; /* its package, data. dropped */
    const char *rule;    /* its rule's head ref, or NULL */
    const char *file;
    int row, col;        /* of the package or rule it is attached to */
} ann_ref;

typedef struct rule_info {
    rpath path;
    const char *text, *kind, *file;
    bool is_default;
    int row, col;
} rule_info;

typedef struct inspection {
    gh_arena *a;
    loader l;
    gh_vec ns, anns, rules; /* ns_file*, ann_ref*, rule_info* */
    gh_vec entrypoints;     /* char* */
} inspection;

static void add_ns(inspection *in, const char *ns, const char *file)
{
    ns_file *f = gh_arena_alloc(in->a, sizeof *f);
    *f = (ns_file){ns, file, in->ns.n};
    gh_vec_push(in->a, &in->ns, f);
}

static const char *rule_kind(const gh_rule *r)
{
    if (r->head->nargs) return "function";
    if (r->head->has_contains || (!r->head->value && r->head->key)) return "multi-value";
    return "single-value";
}

static void add_rule(inspection *in, const gh_module *m, const gh_rule *r, const char *file)
{
    rule_info *ri = gh_arena_alloc(in->a, sizeof *ri);
    rpath p = rule_path(in->a, m->package, r->head, false);
    *ri = (rule_info){p, path_cstr(in->a, &p, 0), rule_kind(r), file, r->is_default,
                      r->loc.line, r->loc.col};
    gh_vec_push(in->a, &in->rules, ri);
}

static void add_annotation(inspection *in, const gh_module *m, const gh_annotations *a,
                           const char *file)
{
    ann_ref *ar = gh_arena_calloc(in->a, 1, sizeof *ar);
    rpath pp = package_path(in->a, m->package);
    ar->a = a;
    ar->package = path_cstr(in->a, &pp, 1);
    ar->file = file;
    if (a->target_rule && (a->scope == GH_SCOPE_RULE || a->scope == GH_SCOPE_DOCUMENT)) {
        size_t ground;
        rpath hp = head_path(in->a, a->target_rule->head, &ground);
        ar->path = rule_path(in->a, m->package, a->target_rule->head, true);
        ar->rule = path_cstr(in->a, &hp, 0);
        ar->row = a->target_rule->loc.line, ar->col = a->target_rule->loc.col;
    } else {
        ar->path = pp;
        ar->row = m->package->loc.line, ar->col = m->package->loc.col;
    }
    gh_vec_push(in->a, &in->anns, ar);
    if (a->entrypoint) gh_vec_push(in->a, &in->entrypoints, path_cstr(in->a, &ar->path, 0));
}

/* Parses one loaded module and records its namespace, rules and annotations. */
static int inspect_module(inspection *in, const gh_source *src, gh_diags *diags)
{
    gh_module *m = NULL;
    gh_parse_opts po = {.v0_compatible = in->l.v0_compatible};
    if (gh_parse_module(in->a, src->name, src->text, src->len, &po, &m, diags) != 0) return -1;
    const char *file = clean_path(in->a, src->name);
    rpath pp = package_path(in->a, m->package);
    add_ns(in, path_cstr(in->a, &pp, 0), file);
    for (size_t i = 0; i < m->nrules; i++)
        add_rule(in, m, m->rules[i], file);
    for (size_t i = 0; i < m->nannotations; i++)
        if (m->annotations[i]->target_package || m->annotations[i]->target_rule)
            add_annotation(in, m, m->annotations[i], file);
    return 0;
}

/* data.json and data.yaml files of a bundle directory, under the namespace of their
 * directory (opa lists these two names only). */
typedef struct data_walk {
    inspection *in;
    const char *root;
} data_walk;

static void note_data_file(const char *path, void *ctx)
{
    data_walk *w = ctx;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strcmp(base, "data.json") != 0 && strcmp(base, "data.yaml") != 0) return;
    const char *rel = path + strlen(w->root);
    gh_buf ns;
    gh_buf_init(&ns, 0);
    gh_buf_puts(&ns, "data");
    for (const char *s = rel; *s;) {
        while (*s == '/')
            s++;
        const char *e = strchr(s, '/');
        if (!e) break; /* the file name itself */
        if (e > s) gh_buf_printf(&ns, ".%.*s", (int)(e - s), s);
        s = e;
    }
    add_ns(w->in, gh_arena_strndup(w->in->a, ns.data, ns.len), clean_path(w->in->a, path));
    gh_buf_free(&ns);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Loads the paths (directories as bundles), parses every module, lists the data files.
 * 0, or -1 with "path: reason" lines or diagnostics in errs. */
static int inspect_paths(inspection *in, const inspect_args *ia, gh_buf *errs)
{
    char **dirs = calloc((size_t)ia->npaths + 1, sizeof *dirs);
    char **files = calloc((size_t)ia->npaths + 1, sizeof *files);
    int ndirs = 0, nfiles = 0, rc = 0;
    if (!dirs || !files) rc = -1;
    for (int i = 0; rc == 0 && i < ia->npaths; i++) {
        size_t n = strlen(ia->paths[i]);
        if ((n > 7 && strcmp(ia->paths[i] + n - 7, ".tar.gz") == 0) ||
            (n > 4 && strcmp(ia->paths[i] + n - 4, ".tgz") == 0)) {
            gh_buf_printf(errs, "%s: bundle archives are not read yet; extract it and inspect "
                                "the directory\n", ia->paths[i]);
            rc = -1;
        } else if (is_dir(ia->paths[i]))
            dirs[ndirs++] = ia->paths[i];
        else
            files[nfiles++] = ia->paths[i];
    }
    in->l.v0_compatible = ia->v0;
    if (rc == 0 && ndirs) rc = loader_load_bundles(&in->l, dirs, ndirs, errs);
    if (rc == 0 && nfiles) rc = loader_load(&in->l, files, nfiles, errs);
    gh_diags diags;
    gh_diags_init(&diags);
    for (size_t i = 0; rc == 0 && i < in->l.nmodules; i++)
        if (inspect_module(in, &in->l.modules[i], &diags) != 0) rc = -1;
    if (rc != 0) gh_diags_format(&diags, errs);
    gh_diags_free(&diags);
    for (int i = 0; rc == 0 && i < ndirs; i++) {
        data_walk w = {in, dirs[i]};
        cli_walk(&dirs[i], 1, "", note_data_file, &w);
    }
    free(dirs);
    free(files);
    return rc;
}

/* ---- ordering ---- */

static int cmp_ns(const void *x, const void *y)
{
    const ns_file *a = *(ns_file *const *)x, *b = *(ns_file *const *)y;
    int c = strcmp(a->ns, b->ns);
    return c ? c : a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* opa's AnnotationsRef.Compare: path, then where the METADATA block sits. */
static int cmp_ann(const void *x, const void *y)
{
    const ann_ref *a = *(ann_ref *const *)x, *b = *(ann_ref *const *)y;
    int c = path_compare(&a->path, &b->path);
    if (c) return c;
    c = strcmp(a->a->loc.file ? a->a->loc.file : "", b->a->loc.file ? b->a->loc.file : "");
    if (c) return c;
    return a->a->loc.line != b->a->loc.line ? a->a->loc.line - b->a->loc.line
                                            : a->a->loc.col - b->a->loc.col;
}

static int cmp_rule(const void *x, const void *y)
{
    const rule_info *a = *(rule_info *const *)x, *b = *(rule_info *const *)y;
    int c = path_compare(&a->path, &b->path);
    if (c) return c;
    c = strcmp(a->file, b->file);
    return c ? c : a->row - b->row;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static void sort_vec(gh_vec *v, int (*cmp)(const void *, const void *))
{
    if (v->n > 1) qsort(v->items, v->n, sizeof *v->items, cmp);
}

/* ---- values for JSON and for the pretty printer ---- */

static const gh_value *str_value(gh_arena *a, const char *s)
{
    return gh_value_string(a, s, strlen(s));
}

/* An object from NULL-ended key/value pairs whose value may be NULL (left out). */
static const gh_value *object_of(gh_arena *a, const char *const *keys, const gh_value *const *vals,
                                 size_t n)
{
    const gh_value **k = gh_arena_alloc(a, (n + 1) * sizeof *k);
    const gh_value **v = gh_arena_alloc(a, (n + 1) * sizeof *v);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!vals[i]) continue;
        k[m] = str_value(a, keys[i]);
        v[m++] = vals[i];
    }
    const gh_value *out = NULL;
    gh_value_object(a, k, v, m, &out, NULL);
    return out;
}

/* A METADATA map key as a string: the engine's YAML reader keeps the quotes of keys written
 * in a flow map ({"type": "object"}), which YAML drops. */
static const gh_value *yaml_key(gh_arena *a, const gh_str *k)
{
    const gh_value *v = NULL;
    if (k->len >= 2 && k->s[0] == '"' && k->s[k->len - 1] == '"' &&
        gh_json_read(a, k->s, k->len, NULL, &v, NULL) == 0 && gh_value_kind(v) == GH_KIND_STRING)
        return v;
    if (k->len >= 2 && k->s[0] == '\'' && k->s[k->len - 1] == '\'')
        return gh_value_string(a, k->s + 1, k->len - 2);
    return gh_value_string(a, k->s, k->len);
}

static const char *yaml_key_text(gh_arena *a, const gh_str *k)
{
    size_t n;
    const char *s = gh_string_ptr(yaml_key(a, k), &n);
    return s ? gh_arena_strndup(a, s, n) : k->s;
}

/* A METADATA value: unquoted scalars are typed as YAML reads them (numbers, true, false,
 * null), everything else a string. */
static const gh_value *yaml_value(gh_arena *a, const gh_yaml *y)
{
    if (!y || y->kind == GH_YAML_NULL) return GH_NULL;
    if (y->kind == GH_YAML_SCALAR) {
        const char *s = y->scalar.s;
        const gh_value *num;
        if (!y->quoted) {
            if (strcmp(s, "true") == 0) return GH_TRUE;
            if (strcmp(s, "false") == 0) return GH_FALSE;
            if (strcmp(s, "null") == 0 || strcmp(s, "~") == 0 || !*s) return GH_NULL;
            if (gh_value_number(a, s, y->scalar.len, &num) == 0) return num;
        }
        return gh_value_string(a, s, y->scalar.len);
    }
    const gh_value **items = gh_arena_alloc(a, (y->n + 1) * sizeof *items);
    for (size_t i = 0; i < y->n; i++)
        items[i] = yaml_value(a, y->items[i]);
    if (y->kind == GH_YAML_LIST) return gh_value_array(a, items, y->n);
    const gh_value **keys = gh_arena_alloc(a, (y->n + 1) * sizeof *keys);
    for (size_t i = 0; i < y->n; i++)
        keys[i] = yaml_key(a, &y->keys[i]);
    const gh_value *out = NULL;
    gh_value_object(a, keys, items, y->n, &out, NULL);
    return out ? out : GH_NULL;
}

/* A ref as OPA's JSON writes terms: [{"type": "var", "value": "data"}, ...]. */
static const gh_value *path_value(gh_arena *a, const rpath *p)
{
    const gh_value **items = gh_arena_alloc(a, (p->n + 1) * sizeof *items);
    for (size_t i = 0; i < p->n; i++) {
        static const char *const keys[] = {"type", "value"};
        const gh_value *vals[] = {str_value(a, p->items[i].var ? "var" : "string"),
                                  str_value(a, p->items[i].s)};
        items[i] = object_of(a, keys, vals, 2);
    }
    return gh_value_array(a, items, p->n);
}

/* "input.x" (a schema path or schema ref) as a ref of a var and strings. */
static rpath dotted_path(gh_arena *a, const char *s)
{
    size_t n = 1;
    for (const char *c = s; *c; c++)
        n += *c == '.';
    rpath p = {gh_arena_calloc(a, n + 1, sizeof(path_item)), 0};
    for (const char *c = s; p.n < n;) {
        const char *e = strchr(c, '.');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        p.items[p.n] = (path_item){p.n == 0, gh_arena_strndup(a, c, len)};
        p.n++;
        c = e ? e + 1 : c + len;
    }
    return p;
}

/* "Jane Doe <jane@example.com>", or a map with name and email (opa's AuthorAnnotation). */
static void author_parts(gh_arena *a, const gh_yaml *y, const char **name, const char **email)
{
    *name = *email = "";
    if (y->kind == GH_YAML_MAP) {
        for (size_t i = 0; i < y->n; i++) {
            if (y->items[i]->kind != GH_YAML_SCALAR) continue;
            if (strcmp(y->keys[i].s, "name") == 0) *name = y->items[i]->scalar.s;
            if (strcmp(y->keys[i].s, "email") == 0) *email = y->items[i]->scalar.s;
        }
        return;
    }
    if (y->kind != GH_YAML_SCALAR) return;
    const char *s = y->scalar.s, *lt = strrchr(s, '<');
    size_t n = y->scalar.len;
    if (lt && n && s[n - 1] == '>') {
        *email = gh_arena_strndup(a, lt + 1, (size_t)(s + n - 1 - (lt + 1)));
        size_t nl = (size_t)(lt - s);
        while (nl && s[nl - 1] == ' ')
            nl--;
        *name = gh_arena_strndup(a, s, nl);
    } else {
        *name = s;
    }
}

static const char *author_text(gh_arena *a, const gh_yaml *y)
{
    const char *name, *email;
    author_parts(a, y, &name, &email);
    if (!*email) return name;
    char *out = gh_arena_alloc(a, strlen(name) + strlen(email) + 4);
    if (*name)
        sprintf(out, "%s <%s>", name, email);
    else
        sprintf(out, "<%s>", email);
    return out;
}

/* related_resources entries: a URL, or a map with ref and description. */
static void resource_parts(const gh_yaml *y, const char **ref, const char **desc)
{
    *ref = *desc = "";
    if (y->kind == GH_YAML_SCALAR) {
        *ref = y->scalar.s;
        return;
    }
    for (size_t i = 0; y->kind == GH_YAML_MAP && i < y->n; i++) {
        if (y->items[i]->kind != GH_YAML_SCALAR) continue;
        if (strcmp(y->keys[i].s, "ref") == 0) *ref = y->items[i]->scalar.s;
        if (strcmp(y->keys[i].s, "description") == 0) *desc = y->items[i]->scalar.s;
    }
}

static const gh_value *list_value(gh_arena *a, const gh_yaml *list,
                                  const gh_value *(*item)(gh_arena *, const gh_yaml *))
{
    if (!list || list->kind != GH_YAML_LIST || list->n == 0) return NULL;
    const gh_value **items = gh_arena_alloc(a, list->n * sizeof *items);
    for (size_t i = 0; i < list->n; i++)
        items[i] = item(a, list->items[i]);
    return gh_value_array(a, items, list->n);
}

static const gh_value *author_value(gh_arena *a, const gh_yaml *y)
{
    const char *name, *email;
    author_parts(a, y, &name, &email);
    static const char *const keys[] = {"name", "email"};
    const gh_value *vals[] = {str_value(a, name), *email ? str_value(a, email) : NULL};
    return object_of(a, keys, vals, 2);
}

static const gh_value *resource_value(gh_arena *a, const gh_yaml *y)
{
    const char *ref, *desc;
    resource_parts(y, &ref, &desc);
    static const char *const keys[] = {"ref", "description"};
    const gh_value *vals[] = {str_value(a, ref), *desc ? str_value(a, desc) : NULL};
    return object_of(a, keys, vals, 2);
}

/* One schemas entry, {PATH: DEFINITION-or-schema.ref}: {"path": ref, "definition"|"schema"}. */
static const gh_value *schema_value(gh_arena *a, const gh_yaml *y)
{
    if (y->kind != GH_YAML_MAP || y->n == 0) return GH_NULL;
    rpath p = dotted_path(a, yaml_key_text(a, &y->keys[0]));
    const gh_yaml *v = y->items[0];
    bool ref = v->kind == GH_YAML_SCALAR;
    rpath sp = ref ? dotted_path(a, v->scalar.s) : (rpath){0};
    static const char *const keys[] = {"path", "schema", "definition"};
    const gh_value *vals[] = {path_value(a, &p), ref ? path_value(a, &sp) : NULL,
                              ref ? NULL : yaml_value(a, v)};
    return object_of(a, keys, vals, 3);
}

static const gh_value *scalar_item(gh_arena *a, const gh_yaml *y)
{
    return y->kind == GH_YAML_SCALAR ? gh_value_string(a, y->scalar.s, y->scalar.len)
                                     : yaml_value(a, y);
}

static const char *const scope_names[] = {"", "rule", "document", "package", "subpackages"};

/* opa's Annotations JSON (its keys come out sorted, as Go writes a map). */
static const gh_value *annotations_value(gh_arena *a, const gh_annotations *an)
{
    static const char *const keys[] = {"scope",   "title",         "description",
                                       "entrypoint", "organizations", "related_resources",
                                       "authors", "schemas",       "custom"};
    const gh_value *vals[] = {
        str_value(a, scope_names[an->scope]),
        an->has_title && an->title.len ? gh_value_string(a, an->title.s, an->title.len) : NULL,
        an->has_description && an->description.len
            ? gh_value_string(a, an->description.s, an->description.len)
            : NULL,
        an->entrypoint ? GH_TRUE : NULL,
        list_value(a, an->organizations, scalar_item),
        list_value(a, an->related_resources, resource_value),
        list_value(a, an->authors, author_value),
        list_value(a, an->schemas, schema_value),
        an->custom && an->custom->kind == GH_YAML_MAP && an->custom->n ? yaml_value(a, an->custom)
                                                                       : NULL,
    };
    return object_of(a, keys, vals, 9);
}

/* ---- JSON: opa's inspect.Info in its field order, then gatehouse's additions ---- */

/* v as Go's MarshalIndent writes it, nested at `indent` columns. */
static void put_value(gh_buf *b, const gh_value *v, int indent)
{
    gh_buf t;
    gh_buf_init(&t, 0);
    gh_json_write(&t, v, GH_JSON_PRETTY | GH_JSON_ESCAPE_HTML);
    for (const char *p = t.data ? t.data : "null"; *p; p++) {
        gh_buf_putc(b, *p);
        if (*p == '\n') gh_buf_printf(b, "%*s", indent, "");
    }
    gh_buf_free(&t);
}

/* A bundle's manifest in bundle.Manifest's field order (revision, roots, rego_version,
 * metadata), nested at `indent`. */
static void put_manifest(gh_buf *b, gh_arena *a, const loader_bundle *bd, int indent)
{
    const gh_value **roots = gh_arena_alloc(a, (bd->nroots + 1) * sizeof *roots);
    for (size_t i = 0; i < bd->nroots; i++)
        roots[i] = str_value(a, bd->roots[i]);
    gh_buf_printf(b, "{\n%*s\"revision\": ", indent + 2, "");
    put_value(b, str_value(a, bd->revision), indent + 2);
    gh_buf_printf(b, ",\n%*s\"roots\": ", indent + 2, "");
    put_value(b, gh_value_array(a, roots, bd->nroots), indent + 2);
    if (bd->rego_version >= 0)
        gh_buf_printf(b, ",\n%*s\"rego_version\": %d", indent + 2, "", bd->rego_version);
    if (bd->metadata && gh_value_len(bd->metadata)) {
        gh_buf_printf(b, ",\n%*s\"metadata\": ", indent + 2, "");
        put_value(b, bd->metadata, indent + 2);
    }
    gh_buf_printf(b, "\n%*s}", indent, "");
}

static const gh_value *namespaces_value(inspection *in)
{
    gh_arena *a = in->a;
    size_t n = in->ns.n, nkeys = 0;
    const gh_value **keys = gh_arena_alloc(a, (n + 1) * sizeof *keys);
    const gh_value **vals = gh_arena_alloc(a, (n + 1) * sizeof *vals);
    const gh_value **files = gh_arena_alloc(a, (n + 1) * sizeof *files);
    for (size_t i = 0; i < n;) { /* the entries are sorted: one key per run */
        const ns_file *first = in->ns.items[i];
        size_t nf = 0;
        for (; i < n && strcmp(((ns_file *)in->ns.items[i])->ns, first->ns) == 0; i++)
            files[nf++] = str_value(a, ((ns_file *)in->ns.items[i])->file);
        keys[nkeys] = str_value(a, first->ns);
        vals[nkeys++] = gh_value_array(a, files, nf);
    }
    const gh_value *out = NULL;
    gh_value_object(a, keys, vals, nkeys, &out, NULL);
    return out;
}

/* opa's Location JSON keeps its struct's order: file, row, col. */
static void put_location(gh_buf *b, gh_arena *a, const char *file, int row, int col, int indent)
{
    gh_buf_printf(b, "{\n%*s\"file\": ", indent + 2, "");
    put_value(b, str_value(a, file), indent + 2);
    gh_buf_printf(b, ",\n%*s\"row\": %d,\n%*s\"col\": %d\n%*s}", indent + 2, "", row,
                  indent + 2, "", col, indent, "");
}

/* [{"annotations": ..., "location": ..., "path": ...}] (opa's AnnotationsRef). */
static void put_annotation_refs(gh_buf *b, inspection *in)
{
    gh_buf_puts(b, "[\n");
    for (size_t i = 0; i < in->anns.n; i++) {
        const ann_ref *ar = in->anns.items[i];
        gh_buf_puts(b, "    {\n      \"annotations\": ");
        put_value(b, annotations_value(in->a, ar->a), 6);
        gh_buf_puts(b, ",\n      \"location\": ");
        put_location(b, in->a, ar->file, ar->row, ar->col, 6);
        gh_buf_puts(b, ",\n      \"path\": ");
        put_value(b, path_value(in->a, &ar->path), 6);
        gh_buf_printf(b, "\n    }%s\n", i + 1 < in->anns.n ? "," : "");
    }
    gh_buf_puts(b, "  ]");
}

/* [{"path", "kind", "default", "location"}]: gatehouse's rule list. */
static void put_rules(gh_buf *b, inspection *in)
{
    if (!in->rules.n) {
        gh_buf_puts(b, "[]");
        return;
    }
    gh_buf_puts(b, "[\n");
    for (size_t i = 0; i < in->rules.n; i++) {
        const rule_info *r = in->rules.items[i];
        gh_buf_puts(b, "    {\n      \"path\": ");
        put_value(b, str_value(in->a, r->text), 6);
        gh_buf_printf(b, ",\n      \"kind\": \"%s\",\n      \"default\": %s,\n      \"location\": ",
                      r->kind, r->is_default ? "true" : "false");
        put_location(b, in->a, r->file, r->row, r->col, 6);
        gh_buf_printf(b, "\n    }%s\n", i + 1 < in->rules.n ? "," : "");
    }
    gh_buf_puts(b, "  ]");
}

static const gh_value *entrypoints_value(inspection *in)
{
    const gh_value **items = gh_arena_alloc(in->a, (in->entrypoints.n + 1) * sizeof *items);
    for (size_t i = 0; i < in->entrypoints.n; i++)
        items[i] = str_value(in->a, in->entrypoints.items[i]);
    return gh_value_array(in->a, items, in->entrypoints.n);
}

static void print_json(inspection *in, const inspect_args *ia)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_buf_puts(&b, "{\n");
    if (in->l.nbundles == 1) {
        gh_buf_puts(&b, "  \"manifest\": ");
        put_manifest(&b, in->a, &in->l.bundles[0], 2);
        gh_buf_puts(&b, ",\n");
    } else if (in->l.nbundles > 1) { /* opa inspects one bundle; several get one each */
        gh_buf_puts(&b, "  \"manifests\": {\n");
        for (size_t i = 0; i < in->l.nbundles; i++) {
            gh_buf_puts(&b, "    ");
            put_value(&b, str_value(in->a, in->l.bundles[i].path), 4);
            gh_buf_puts(&b, ": ");
            put_manifest(&b, in->a, &in->l.bundles[i], 4);
            gh_buf_puts(&b, i + 1 < in->l.nbundles ? ",\n" : "\n");
        }
        gh_buf_puts(&b, "  },\n");
    }
    gh_buf_puts(&b, "  \"signatures_config\": {}");
    if (in->ns.n) {
        gh_buf_puts(&b, ",\n  \"namespaces\": ");
        put_value(&b, namespaces_value(in), 2);
    }
    if (ia->annotations && in->anns.n) {
        gh_buf_puts(&b, ",\n  \"annotations\": ");
        put_annotation_refs(&b, in);
    }
    gh_buf_puts(&b, ",\n  \"entrypoints\": ");
    put_value(&b, entrypoints_value(in), 2);
    gh_buf_puts(&b, ",\n  \"rules\": ");
    put_rules(&b, in);
    gh_buf_puts(&b, "\n}\n");
    if (b.data) fputs(b.data, stdout);
    gh_buf_free(&b);
}

/* ---- pretty: opa's tables and annotation listing ---- */

typedef struct table {
    const char **headers;
    size_t ncols, nrows;
    const char **cells;  /* nrows * ncols */
    unsigned merge_cols; /* bit c: a cell equal to the one above prints blank */
} table;

static void table_rule(const size_t *w, size_t ncols)
{
    for (size_t c = 0; c < ncols; c++) {
        putchar('+');
        for (size_t i = 0; i < w[c] + 2; i++)
            putchar('-');
    }
    puts("+");
}

/* Old tablewriter's layout, which opa inspect uses: upper-case centred headers,
 * left-aligned cells, no lines between rows. */
static void table_print(const table *t)
{
    size_t w[8] = {0};
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = strlen(t->headers[c]);
        for (size_t r = 0; r < t->nrows; r++)
            if (strlen(t->cells[r * t->ncols + c]) > w[c]) w[c] = strlen(t->cells[r * t->ncols + c]);
    }
    table_rule(w, t->ncols);
    for (size_t c = 0; c < t->ncols; c++) {
        size_t hl = strlen(t->headers[c]), left = (w[c] - hl) / 2;
        printf("| %*s", (int)left, "");
        for (const char *h = t->headers[c]; *h; h++)
            putchar(*h >= 'a' && *h <= 'z' ? *h - 'a' + 'A' : *h);
        printf("%*s ", (int)(w[c] - hl - left), "");
    }
    puts("|");
    table_rule(w, t->ncols);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            bool same = r > 0 && strcmp(s, t->cells[(r - 1) * t->ncols + c]) == 0;
            if ((t->merge_cols >> c & 1) && same) s = "";
            printf("| %-*s ", (int)w[c], s);
        }
        puts("|");
    }
    table_rule(w, t->ncols);
}

static void print_manifest(inspection *in, const loader_bundle *bd)
{
    gh_arena *a = in->a;
    const char **cells = gh_arena_alloc(a, (2 * bd->nroots + 8) * sizeof *cells);
    size_t n = 0;
    if (bd->rego_version >= 0) {
        char *v = gh_arena_alloc(a, 16);
        snprintf(v, 16, "%d", bd->rego_version);
        cells[n++] = "Rego Version", cells[n++] = v;
    }
    if (bd->revision[0])
        cells[n++] = "Revision", cells[n++] = truncate_str(a, bd->revision, MAX_FIELD);
    const char **roots = gh_arena_alloc(a, (bd->nroots + 1) * sizeof *roots);
    memcpy(roots, bd->roots, bd->nroots * sizeof *roots);
    if (bd->nroots > 1) qsort(roots, bd->nroots, sizeof *roots, cmp_str);
    for (size_t i = 0; i < bd->nroots; i++)
        if (bd->nroots > 1 || roots[i][0])
            cells[n++] = "Roots", cells[n++] = truncate_file(a, roots[i]);
    if (bd->metadata && gh_value_len(bd->metadata)) {
        gh_buf m;
        gh_buf_init(&m, 0);
        gh_json_write(&m, bd->metadata, GH_JSON_ESCAPE_HTML);
        cells[n++] = "Metadata";
        cells[n++] = truncate_str(a, gh_arena_strndup(a, m.data ? m.data : "", m.len), MAX_FIELD);
        gh_buf_free(&m);
    }
    if (n == 0) return;
    if (in->l.nbundles > 1)
        printf("MANIFEST (%s):\n", bd->path);
    else
        puts("MANIFEST:");
    static const char *headers[] = {"Field", "Value"};
    table_print(&(table){headers, 2, n / 2, cells, 3});
}

static void print_namespaces(inspection *in)
{
    const char **cells = gh_arena_alloc(in->a, (2 * in->ns.n + 1) * sizeof *cells);
    for (size_t i = 0; i < in->ns.n; i++) {
        const ns_file *f = in->ns.items[i];
        cells[2 * i] = f->ns;
        cells[2 * i + 1] = truncate_file(in->a, f->file);
    }
    puts("NAMESPACES:");
    static const char *headers[] = {"Namespace", "File"};
    table_print(&(table){headers, 2, in->ns.n, cells, 1});
}

typedef struct list_entry {
    const char *key, *value;
} list_entry;

/* opa's printList: " key<sep><padding>value" lines cut at the page width. */
static void print_list(gh_arena *a, const list_entry *l, size_t n, const char *sep)
{
    size_t kw = 0;
    for (size_t i = 0; i < n; i++)
        if (strlen(l[i].key) > kw) kw = strlen(l[i].key);
    gh_buf line;
    gh_buf_init(&line, 0);
    for (size_t i = 0; i < n; i++) {
        gh_buf_clear(&line);
        if (l[i].value[0])
            gh_buf_printf(&line, " %s%s%*s%s", l[i].key, sep, (int)(kw - strlen(l[i].key)), "",
                          l[i].value);
        else
            gh_buf_printf(&line, " %s", l[i].key);
        puts(truncate_str(a, line.data ? line.data : "", PAGE_WIDTH));
    }
    gh_buf_free(&line);
}

static char *compact_json(gh_arena *a, const gh_value *v)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_json_write(&b, v, GH_JSON_ESCAPE_HTML);
    char *s = gh_arena_strndup(a, b.data ? b.data : "", b.len);
    gh_buf_free(&b);
    return s;
}

/* Newlines become spaces (opa's removeNewLines). */
static const char *one_line(gh_arena *a, const char *s)
{
    char *out = gh_arena_strndup(a, s, strlen(s));
    for (char *p = out; *p; p++)
        if (*p == '\n') *p = ' ';
    return out;
}

/* Custom: one "key: JSON" line per entry, keys sorted (opa walks a Go map: any order). */
static void print_custom(gh_arena *a, const gh_yaml *custom)
{
    if (!custom || custom->kind != GH_YAML_MAP || custom->n == 0) return;
    const gh_value *obj = yaml_value(a, custom);
    size_t n = gh_value_len(obj);
    list_entry *l = gh_arena_alloc(a, (n + 1) * sizeof *l);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *k = gh_string_ptr(gh_object_key_at(obj, i), &len);
        l[i] = (list_entry){gh_arena_strndup(a, k ? k : "", k ? len : 0),
                            compact_json(a, gh_object_value_at(obj, i))};
    }
    puts("Custom:");
    print_list(a, l, n, ": ");
    putchar('\n');
}

/* Organizations, Authors, Schemas, Related Resources, Custom: each a titled list. */
static void print_annotation_lists(gh_arena *a, const gh_annotations *an)
{
    const gh_yaml *lists[] = {an->organizations, an->authors, an->schemas,
                              an->related_resources, an->custom};
    static const char *const titles[] = {"Organizations:", "Authors:", "Schemas:",
                                         "Related Resources:"};
    static const char *const seps[] = {"", "", ": ", " "};
    for (int k = 0; k < 4; k++) {
        const gh_yaml *y = lists[k];
        if (!y || y->n == 0 || y->kind != GH_YAML_LIST) continue;
        list_entry *l = gh_arena_alloc(a, y->n * sizeof *l);
        for (size_t i = 0; i < y->n; i++) {
            const gh_yaml *it = y->items[i];
            l[i] = (list_entry){"", ""};
            if (k == 0)
                l[i].value = one_line(a, it->kind == GH_YAML_SCALAR ? it->scalar.s : "");
            else if (k == 1)
                l[i].value = one_line(a, author_text(a, it));
            else if (k == 2 && it->kind == GH_YAML_MAP && it->n) {
                l[i].key = yaml_key_text(a, &it->keys[0]);
                l[i].value = it->items[0]->kind == GH_YAML_SCALAR
                                 ? it->items[0]->scalar.s
                                 : compact_json(a, yaml_value(a, it->items[0]));
            } else if (k == 3) {
                resource_parts(it, &l[i].key, &l[i].value);
                l[i].key = one_line(a, l[i].key);
            }
        }
        puts(titles[k]);
        print_list(a, l, y->n, seps[k]);
        putchar('\n');
    }
    print_custom(a, lists[4]);
}

static void print_annotation(gh_arena *a, const ann_ref *ar)
{
    const gh_annotations *an = ar->a;
    char *title = NULL;
    if (an->has_title) { /* trimmed, as opa's strings.TrimSpace */
        const char *s = an->title.s, *e = s + an->title.len;
        while (s < e && (*s == ' ' || *s == '\t' || *s == '\n')) s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n')) e--;
        if (e > s) title = gh_arena_strndup(a, s, (size_t)(e - s));
    }
    if (!title) title = path_cstr(a, &ar->path, 1);
    puts(title);
    for (size_t i = 0; i < strlen(title) && i < PAGE_WIDTH; i++)
        putchar('=');
    puts("\n");
    if (an->has_description && an->description.len) printf("%s\n\n", an->description.s);
    printf("Package:  %s\n", ar->package);
    if (ar->rule) printf("Rule:     %s\n", ar->rule);
    printf("Location: %s:%d\n", ar->file, ar->row);
    printf("Scope: %s\n", scope_names[an->scope]);
    if (an->entrypoint) puts("Entrypoint: true");
    putchar('\n');
    print_annotation_lists(a, an);
}

static void print_entrypoints_and_rules(inspection *in)
{
    if (in->entrypoints.n) {
        puts("ENTRYPOINTS:");
        static const char *headers[] = {"Entrypoint"};
        table_print(&(table){headers, 1, in->entrypoints.n, (const char **)in->entrypoints.items, 0});
    }
    if (!in->rules.n) return;
    const char **cells = gh_arena_alloc(in->a, (3 * in->rules.n + 1) * sizeof *cells);
    for (size_t i = 0; i < in->rules.n; i++) {
        const rule_info *r = in->rules.items[i];
        char *loc = gh_arena_alloc(in->a, strlen(r->file) + 16);
        sprintf(loc, "%s:%d", r->file, r->row);
        cells[3 * i] = r->text;
        cells[3 * i + 1] = r->is_default ? "single-value (default)" : r->kind;
        cells[3 * i + 2] = truncate_file(in->a, loc);
    }
    puts("RULES:");
    static const char *headers[] = {"Rule", "Kind", "Location"};
    table_print(&(table){headers, 3, in->rules.n, cells, 1});
}

static void print_pretty(inspection *in, const inspect_args *ia)
{
    for (size_t i = 0; i < in->l.nbundles; i++)
        print_manifest(in, &in->l.bundles[i]);
    if (in->ns.n) print_namespaces(in);
    if (ia->annotations && in->anns.n) {
        puts("ANNOTATIONS:");
        for (size_t i = 0; i < in->anns.n; i++)
            print_annotation(in->a, in->anns.items[i]);
    }
    print_entrypoints_and_rules(in);
}

/* ---- the command ---- */

static int run_inspect(const inspect_args *ia)
{
    gh_arena arena;
    gh_arena_init(&arena, 0);
    inspection in = {.a = &arena};
    loader_init(&in.l, &arena);
    gh_buf errs;
    gh_buf_init(&errs, 0);
    int status = CLI_OK;
    if (inspect_paths(&in, ia, &errs) != 0) {
        fprintf(stderr, "error: %s", errs.len ? errs.data : "cannot read the paths\n");
        if (errs.len && errs.data[errs.len - 1] != '\n') fputc('\n', stderr);
        status = CLI_FAIL;
    } else {
        sort_vec(&in.ns, cmp_ns);
        sort_vec(&in.anns, cmp_ann);
        sort_vec(&in.rules, cmp_rule);
        sort_vec(&in.entrypoints, cmp_str);
        if (ia->json)
            print_json(&in, ia);
        else
            print_pretty(&in, ia);
    }
    gh_buf_free(&errs);
    loader_free(&in.l);
    gh_arena_free(&arena);
    return status;
}

int cmd_inspect(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"annotations", no_argument, NULL, 'a'},
        {"v0-compatible", no_argument, NULL, 'V'},
        {"v1-compatible", no_argument, NULL, 'W'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    inspect_args ia = {0};
    int c, status = -1;
    optind = 1;
    while (status < 0 && (c = getopt_long(argc, argv, "f:ah", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "json") == 0 || strcmp(optarg, "pretty") == 0) {
                ia.json = optarg[0] == 'j';
            } else {
                fprintf(stderr, "gatehouse inspect: unknown format '%s' (pretty or json)\n",
                        optarg);
                status = CLI_USAGE;
            }
            break;
        case 'a': ia.annotations = true; break;
        case 'V': ia.v0 = true; break;
        case 'W': ia.v0 = false; break;
        case 'h':
            fputs(inspect_usage, stdout);
            status = CLI_OK;
            break;
        default:
            fputs(inspect_usage, stderr);
            status = CLI_USAGE;
        }
    }
    if (status < 0 && optind >= argc) {
        fprintf(stderr, "gatehouse inspect: expected at least one PATH\n\n%s", inspect_usage);
        status = CLI_USAGE;
    }
    if (status < 0) {
        ia.paths = argv + optind;
        ia.npaths = argc - optind;
        status = run_inspect(&ia);
    }
    return status;
}
