/* Loading -d paths and -b bundle directories: modules and data files, data placed by
 * directory and merged, bundle manifests read and their roots enforced (see loader.h). */
#include "loader.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "gatehouse/error.h"
#include "gatehouse/yaml.h"
#include "parse.h"

void loader_init(loader *l, gh_arena *arena)
{
    memset(l, 0, sizeof *l);
    l->arena = arena;
    l->cmd_version = -1;
}

void loader_free(loader *l)
{
    for (size_t i = 0; i < l->nmodules; i++) {
        free((char *)l->modules[i].name);
        free((char *)l->modules[i].text);
    }
    free(l->modules);
    free(l->bundles);
    memset(l, 0, sizeof *l);
}

static bool loader_has_ext(const char *name, const char *ext)
{
    size_t n = strlen(name), e = strlen(ext);
    return n > e && strcmp(name + n - e, ext) == 0;
}

static bool is_yaml_name(const char *name)
{
    return loader_has_ext(name, ".yaml") || loader_has_ext(name, ".yml");
}

/* "file:line:col: json: message", the shape of every other error we print; the reader's
 * own text starts "json: L:C: " (or "yaml: L:C: "), whose position moves to the front. */
static void put_read_error(gh_buf *errs, const char *name, const char *msg, int line, int col)
{
    const char *rest = msg;
    size_t kind = strncmp(msg, "json: ", 6) == 0 || strncmp(msg, "yaml: ", 6) == 0 ? 4 : 0;
    if (kind && line > 0) {
        const char *p = strchr(msg + 6, ' ');
        if (p) rest = p + 1;
        gh_buf_printf(errs, "%s:%d:%d: %.*s: %s\n", name, line, col, (int)kind, msg, rest);
        return;
    }
    gh_buf_printf(errs, "%s: %s\n", name, msg);
}

static int parse_as(gh_arena *a, const char *name, const char *text, size_t len, bool yaml,
                    const gh_value **out, gh_buf *errs)
{
    if (yaml) {
        gh_yaml_error ye;
        gh_yaml_opts yo = {.flags = GH_YAML_GO_V2}; /* as opa reads data.yaml (go-yaml v2) */
        if (gh_yaml_read(a, text, len, &yo, out, &ye) == 0) return 0;
        put_read_error(errs, name, ye.msg, ye.line, ye.col);
        return -1;
    }
    gh_json_opts jo = {.flags = GH_JSON_RELAXED};
    gh_json_error je;
    if (gh_json_read(a, text, len, &jo, out, &je) == 0) return 0;
    put_read_error(errs, name, je.msg, je.line, je.col);
    return -1;
}

int loader_parse_value(gh_arena *a, const char *name, const char *text, size_t len,
                       const gh_value **out, gh_buf *errs)
{
    return parse_as(a, name, text, len, is_yaml_name(name), out, errs);
}

int loader_read_value(gh_arena *a, const char *path, const gh_value **out, gh_buf *errs)
{
    char *text;
    size_t len;
    if (cli_read_file(path, &text, &len) != 0) return -1; /* reason already on stderr */
    int rc = loader_parse_value(a, path, text, len, out, errs);
    free(text);
    return rc;
}

/* ---- merging ---- */

int loader_merge(gh_arena *a, const gh_value *x, const gh_value *y, const gh_value **out,
                 gh_buf *path)
{
    if (gh_value_kind(x) != GH_KIND_OBJECT || gh_value_kind(y) != GH_KIND_OBJECT) {
        return GH_EINVAL;
    }
    size_t nx = gh_value_len(x), ny = gh_value_len(y), n = 0;
    const gh_value **kv = malloc((2 * (nx + ny) + 1) * sizeof *kv);
    if (!kv) return GH_ENOMEM;
    size_t cap = nx + ny;
    int rc = 0;
    for (size_t i = 0; i < nx; i++) {
        const gh_value *k = gh_object_key_at(x, i), *v = gh_object_value_at(x, i);
        const gh_value *w = gh_object_get(y, k);
        if (w) {
            size_t mark = path->len;
            size_t kl;
            const char *ks = gh_string_ptr(k, &kl);
            gh_buf_printf(path, "%s%.*s", path->len ? "." : "", (int)kl, ks ? ks : "?");
            rc = loader_merge(a, v, w, &v, path);
            if (rc != 0) break;
            path->len = mark;
            if (path->data) path->data[mark] = '\0';
        }
        kv[n] = k;
        kv[cap + n] = v;
        n++;
    }
    for (size_t i = 0; rc == 0 && i < ny; i++) {
        const gh_value *k = gh_object_key_at(y, i);
        if (gh_object_get(x, k)) continue;
        kv[n] = k;
        kv[cap + n] = gh_object_value_at(y, i);
        n++;
    }
    if (rc == 0) rc = gh_value_object(a, kv, kv + cap, n, out, NULL);
    free(kv);
    return rc;
}

/* ---- walking ---- */

typedef struct walk {
    loader *l;
    const char *root; /* the -d or -b argument the current file was found under */
    bool root_is_dir;
    const char *prefix; /* "a.b" of an "a.b:path" argument, or NULL */
    size_t prefix_len;
    loader_bundle *bundle; /* the bundle being read, NULL for -d paths */
    gh_buf *errs;
    int failed;
} walk;

typedef void (*walk_fn)(walk *w, const char *path, const char *name);

static int add_module(loader *l, const char *path, char *text, size_t len)
{
    if (l->nmodules == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        gh_source *g = realloc(l->modules, cap * sizeof *g);
        if (!g) return GH_ENOMEM;
        l->modules = g;
        l->cap = cap;
    }
    char *name = strdup(path);
    if (!name) return GH_ENOMEM;
    l->modules[l->nmodules++] = (gh_source){name, text, len};
    return 0;
}

static const gh_value *wrap(gh_arena *a, const char *name, size_t n, const gh_value *v)
{
    const gh_value *key = gh_value_string(a, name, n), *obj = NULL;
    if (!key || gh_value_object(a, &key, &v, 1, &obj, NULL) != 0) return NULL;
    return obj;
}

/* One object per directory between the root and the file (the root itself excluded, as in
 * opa's loader): root/a/b/data.json -> {"a": {"b": v}}. */
static const gh_value *place_dirs(walk *w, const char *path, const gh_value *v)
{
    if (!w->root_is_dir) return v;
    const char *rel = path + strlen(w->root);
    while (*rel == '/')
        rel++;
    const char *end = strrchr(rel, '/');
    while (v && end && end > rel) {
        const char *start = end;
        while (start > rel && start[-1] != '/')
            start--;
        v = wrap(w->l->arena, start, (size_t)(end - start), v);
        end = start > rel ? start - 1 : NULL;
    }
    return v;
}

/* Wraps v in one object per "a.b:" prefix part, then per directory between the root and
 * the file: a.b:root with root/c/data.json -> {"a": {"b": {"c": v}}}. */
static const gh_value *place(walk *w, const char *path, const gh_value *v)
{
    v = place_dirs(w, path, v);
    const char *end = w->prefix ? w->prefix + w->prefix_len : NULL;
    while (v && end && end > w->prefix) {
        const char *start = end;
        while (start > w->prefix && start[-1] != '.')
            start--;
        v = wrap(w->l->arena, start, (size_t)(end - start), v);
        end = start > w->prefix ? start - 1 : NULL;
    }
    return v;
}

/* ---- bundle roots (OPA's RootPathsContain: roots and paths are '/'-separated) ---- */

/* True when root contains path segment-wise: "" contains everything, "a/b" contains
 * "a/b" and "a/b/c" but not "a/bc". */
static bool root_contains(const char *root, const char *path, size_t path_len)
{
    size_t n = strlen(root);
    if (n == 0) return true;
    return path_len >= n && memcmp(root, path, n) == 0 && (path_len == n || path[n] == '/');
}

/* True when path is the root itself or one of its ancestors ("" and "a" lead to "a/b"). */
static bool leads_to_root(const char *path, size_t path_len, const char *root)
{
    size_t n = strlen(root);
    if (path_len == 0) return true;
    return n >= path_len && memcmp(root, path, path_len) == 0 &&
           (n == path_len || root[path_len] == '/');
}

static bool roots_contain(const loader_bundle *b, const char *path, size_t len)
{
    for (size_t i = 0; i < b->nroots; i++)
        if (root_contains(b->roots[i], path, len)) return true;
    return false;
}

/* The roots as Go prints a []string (opa's messages use %v): [a b/c]. */
static void put_roots(gh_buf *out, const loader_bundle *b)
{
    gh_buf_putc(out, '[');
    for (size_t i = 0; i < b->nroots; i++)
        gh_buf_printf(out, "%s%s", i ? " " : "", b->roots[i]);
    gh_buf_putc(out, ']');
}

/* Walks a data file's placed value as opa's validateAndInjectDefaults does: a path inside a
 * root is fine; an object on the way to a root is entered; anything else is a violation,
 * reported once per file with the first offending path. */
static bool data_within_roots(const loader_bundle *b, const gh_value *v, gh_buf *path)
{
    if (roots_contain(b, path->data ? path->data : "", path->len)) return true;
    bool on_the_way = false;
    for (size_t i = 0; i < b->nroots && !on_the_way; i++)
        on_the_way = leads_to_root(path->data ? path->data : "", path->len, b->roots[i]);
    if (!on_the_way || gh_value_kind(v) != GH_KIND_OBJECT) return false;
    for (size_t i = 0; i < gh_value_len(v); i++) {
        size_t mark = path->len, kl;
        const char *k = gh_string_ptr(gh_object_key_at(v, i), &kl);
        gh_buf_printf(path, "%s%.*s", mark ? "/" : "", (int)kl, k ? k : "");
        if (!data_within_roots(b, gh_object_value_at(v, i), path)) return false;
        path->len = mark;
        if (path->data) path->data[mark] = '\0';
    }
    return true;
}

static bool check_data_roots(walk *w, const char *file, const gh_value *v)
{
    gh_buf path;
    gh_buf_init(&path, 0);
    bool ok = data_within_roots(w->bundle, v, &path);
    if (!ok) {
        gh_buf_printf(w->errs, "%s: manifest roots ", file);
        put_roots(w->errs, w->bundle);
        gh_buf_printf(
            w->errs, " do not permit data at path '/%s' (hint: check bundle directory structure)\n",
            path.data ? path.data : "");
        w->failed++;
    }
    gh_buf_free(&path);
    return ok;
}

static void add_data(walk *w, const char *path, const char *text, size_t len, bool yaml)
{
    const gh_value *v;
    if (parse_as(w->l->arena, path, text, len, yaml, &v, w->errs) != 0) {
        w->failed++;
        return;
    }
    v = place(w, path, v);
    if (!v) {
        gh_buf_printf(w->errs, "%s: out of memory\n", path);
        w->failed++;
        return;
    }
    if (gh_value_kind(v) != GH_KIND_OBJECT) { /* only possible for a file at the root */
        gh_buf_printf(
            w->errs, "%s: unsupported document type: data at the root must be an object (got %s)\n",
            path, gh_kind_name(gh_value_kind(v)));
        w->failed++;
        return;
    }
    if (w->bundle && !check_data_roots(w, path, v)) return;
    if (!w->l->data) {
        w->l->data = v;
        return;
    }
    gh_buf at;
    gh_buf_init(&at, 0);
    int rc = loader_merge(w->l->arena, w->l->data, v, &w->l->data, &at);
    if (rc == GH_EINVAL)
        gh_buf_printf(w->errs, "%s: merge error: %s is defined by more than one data file\n", path,
                      at.len ? at.data : "the document root");
    else if (rc != 0)
        gh_buf_printf(w->errs, "%s: %s\n", path, gh_strerror(rc));
    if (rc != 0) w->failed++;
    gh_buf_free(&at);
}

static bool parses_as_rego(const char *path, const char *text, size_t len)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_diags d;
    gh_diags_init(&d);
    gh_module *m = NULL;
    bool ok = gh_parse_module(&a, path, text, len, NULL, &m, &d) == 0;
    gh_diags_free(&d);
    gh_arena_free(&a);
    return ok;
}

static bool parses_as_json(const char *text, size_t len)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_json_opts jo = {.flags = GH_JSON_RELAXED};
    const gh_value *v;
    bool ok = gh_json_read(&a, text, len, &jo, &v, NULL) == 0;
    gh_arena_free(&a);
    return ok;
}

/* ---- Rego versions: the engine compiles every module with one version ---- */

/* The version a bundle gives one of its modules: file_rego_versions (globs on the path
 * below the bundle, with or without its leading '/', as opa build writes them) first, then
 * rego_version, else the command's default. */
static int bundle_module_version(const walk *w, const char *path)
{
    const loader_bundle *b = w->bundle;
    const char *rel = path + strlen(w->root);
    while (*rel == '/')
        rel++;
    const gh_value *frv =
        b->manifest ? gh_object_get_str(b->manifest, "file_rego_versions", 18) : NULL;
    for (size_t i = 0; frv && i < gh_value_len(frv); i++) {
        const char *glob = gh_string_ptr(gh_object_key_at(frv, i), NULL);
        int64_t v;
        const char *g = glob && glob[0] == '/' ? glob + 1 : glob;
        if (g && fnmatch(g, rel, 0) == 0 && gh_number_get_int(gh_object_value_at(frv, i), &v))
            return (int)v;
    }
    if (b->rego_version >= 0) return b->rego_version;
    return w->l->cmd_version;
}

/* A module's version must be the one of the modules before it (the first sets it); false
 * (reported) otherwise. */
static bool agree_on_version(walk *w, const char *path, int version)
{
    const loader *l = w->l;
    int current = l->v0_compatible ? 0 : 1;
    if (l->nmodules == 0 || version == current) return true;
    gh_buf_printf(w->errs,
                  "%s: a Rego v%d module, but %s is v%d: gatehouse compiles all modules with one "
                  "Rego version\n",
                  path, version, l->modules[0].name, current);
    w->failed++;
    return false;
}

/* "a/b" for package a.b (opa's Package.Path.Ptr); false when a part is not a string. */
static bool package_ptr(const gh_package *p, gh_buf *out)
{
    if (!p || !p->path || p->path->kind != GH_TERM_REF) return false;
    for (size_t i = 1; i < p->path->u.list.n; i++) {
        const gh_term *t = p->path->u.list.items[i];
        if (t->kind != GH_TERM_STRING) return false;
        gh_buf_printf(out, "%s%s", i > 1 ? "/" : "", t->u.str.s);
    }
    return true;
}

/* A bundle module's package must lie under one of the roots. A module that does not parse
 * passes here: the compiler reports its parse errors with their positions. */
static bool module_within_roots(walk *w, const char *path, const char *text, size_t len,
                                int version)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_diags d;
    gh_diags_init(&d);
    gh_module *m = NULL;
    gh_parse_opts po = {.v0_compatible = version == 0};
    bool ok = true;
    gh_buf ptr;
    gh_buf_init(&ptr, 0);
    if (gh_parse_module(&a, path, text, len, &po, &m, &d) == 0 && package_ptr(m->package, &ptr) &&
        !roots_contain(w->bundle, ptr.data ? ptr.data : "", ptr.len)) {
        const gh_loc *at = &m->package->loc;
        gh_buf_printf(w->errs, "%s:%d:%d: manifest roots ", path, at->line, at->col);
        put_roots(w->errs, w->bundle);
        gh_buf_printf(w->errs, " do not permit '%.*s' in module '%s'\n", (int)(at->end - at->off),
                      text + at->off, path);
        w->failed++;
        ok = false;
    }
    gh_buf_free(&ptr);
    gh_diags_free(&d);
    gh_arena_free(&a);
    return ok;
}

static void take_module(walk *w, const char *path, char *text, size_t len)
{
    int version = w->bundle ? bundle_module_version(w, path) : w->l->cmd_version;
    if (!agree_on_version(w, path, version) ||
        (w->bundle && !module_within_roots(w, path, text, len, version))) {
        free(text);
        return;
    }
    if (add_module(w->l, path, text, len) != 0) {
        free(text);
        gh_buf_printf(w->errs, "%s: out of memory\n", path);
        w->failed++;
        return;
    }
    w->l->v0_compatible = version == 0;
}

static void load_file(walk *w, const char *path, const char *name)
{
    (void)name;
    bool rego = loader_has_ext(path, ".rego"), json = loader_has_ext(path, ".json"),
         yaml = is_yaml_name(path);
    /* opa's loader skips other files inside directories; a file named directly with another
     * extension is tried as Rego, then JSON, then YAML (only Rego for check) */
    if (!rego && w->root_is_dir && (w->l->rego_only || (!json && !yaml))) return;
    char *text;
    size_t len;
    if (cli_read_file(path, &text, &len) != 0) {
        w->failed++;
        return;
    }
    if (!rego && !json && !yaml) {
        rego = w->l->rego_only || parses_as_rego(path, text, len);
        if (!rego) yaml = !parses_as_json(text, len);
    }
    if (rego) {
        take_module(w, path, text, len);
        return;
    }
    add_data(w, path, text, len, yaml);
    free(text);
}

/* Inside a bundle only .rego modules and files named data.json, data.yaml or data.yml count
 * (opa's bundle reader); everything else is left alone. */
static void load_bundle_file(walk *w, const char *path, const char *name)
{
    bool rego = loader_has_ext(name, ".rego");
    bool yaml = strcmp(name, "data.yaml") == 0 || strcmp(name, "data.yml") == 0;
    if (!rego && !yaml && strcmp(name, "data.json") != 0) return;
    char *text;
    size_t len;
    if (cli_read_file(path, &text, &len) != 0) {
        w->failed++;
        return;
    }
    if (rego) {
        take_module(w, path, text, len);
        return;
    }
    add_data(w, path, text, len, yaml);
    free(text);
}

static bool is_ignored(const loader *l, const char *name)
{
    for (size_t i = 0; i < l->nignore; i++)
        if (fnmatch(l->ignore[i], name, 0) == 0) return true;
    return false;
}

static int cmp_entry_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The visible entries of dir not named by --ignore, sorted; NULL-terminated, malloc'd. */
static char **list_dir(const loader *l, const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t cap = 0;
    *n = 0;
    if (!d) return NULL;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || is_ignored(l, e->d_name)) continue;
        if (*n + 1 >= cap) {
            cap = cap ? cap * 2 : 32;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown) break;
            names = grown;
        }
        char *copy = strdup(e->d_name);
        if (copy) names[(*n)++] = copy;
    }
    closedir(d);
    if (*n) qsort(names, *n, sizeof *names, cmp_entry_names);
    return names;
}

/* Every regular file below dir, recursively in sorted order. */
static void walk_tree(walk *w, const char *dir, walk_fn fn)
{
    size_t n;
    char **names = list_dir(w->l, dir, &n);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(len);
        struct stat st;
        if (path) snprintf(path, len, "%s/%s", dir, names[i]);
        if (path && stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                walk_tree(w, path, fn);
            else if (S_ISREG(st.st_mode))
                fn(w, path, names[i]);
        }
        free(path);
        free(names[i]);
    }
    free(names);
}

/* A path as given, trailing slashes dropped (module names read "dir/a.rego", not
 * "dir//a.rego"); sets w->root and w->root_is_dir. NULL (reported) when it does not exist. */
static char *open_root(walk *w, const char *arg)
{
    char *path = strdup(arg);
    if (!path) {
        gh_buf_printf(w->errs, "%s: out of memory\n", arg);
        w->failed++;
        return NULL;
    }
    for (size_t len = strlen(path); len > 1 && path[len - 1] == '/';)
        path[--len] = '\0';
    struct stat st;
    if (stat(path, &st) != 0) {
        gh_buf_printf(w->errs, "%s: %s\n", arg, strerror(errno));
        w->failed++;
        free(path);
        return NULL;
    }
    w->root = path;
    w->root_is_dir = S_ISDIR(st.st_mode);
    return path;
}

/* The command's --v0-compatible, taken at the first load: the default of every module. */
static void walk_start(walk *w, loader *l, gh_buf *errs)
{
    *w = (walk){.l = l, .errs = errs};
    if (l->cmd_version < 0) l->cmd_version = l->v0_compatible ? 0 : 1;
}

int loader_load(loader *l, char **paths, int n, gh_buf *errs)
{
    walk w;
    walk_start(&w, l, errs);
    for (int i = 0; i < n; i++) {
        /* "a.b:path" loads path's data under data.a.b (opa's SplitPrefix: not for URLs) */
        char *arg = paths[i], *colon = strchr(arg, ':'), *url = strstr(arg, "://");
        w.prefix = NULL;
        if (colon && colon != url && colon > arg) {
            w.prefix = arg;
            w.prefix_len = (size_t)(colon - arg);
            arg = colon + 1;
        }
        char *path = open_root(&w, arg);
        if (!path) continue;
        if (w.root_is_dir)
            walk_tree(&w, path, load_file);
        else
            load_file(&w, path, path);
        free(path);
    }
    return w.failed ? -1 : 0;
}

/* ---- bundles ---- */

static bool manifest_string(walk *w, const char *file, const char *field, const gh_value *v,
                            const char **out)
{
    size_t len;
    const char *s = gh_string_ptr(v, &len);
    if (!s) {
        gh_buf_printf(w->errs,
                      "%s: bundle load failed on manifest decode: %s must be a string (got %s)\n",
                      file, field, gh_kind_name(gh_value_kind(v)));
        w->failed++;
        return false;
    }
    *out = gh_arena_strndup(w->l->arena, s, len);
    return *out != NULL;
}

/* roots: an array of strings, each trimmed of '/' as opa standardizes them. */
static bool manifest_roots(walk *w, const char *file, const gh_value *v, loader_bundle *b)
{
    if (gh_value_kind(v) != GH_KIND_ARRAY) {
        gh_buf_printf(w->errs,
                      "%s: bundle load failed on manifest decode: roots must be an array of "
                      "strings (got %s)\n",
                      file, gh_kind_name(gh_value_kind(v)));
        w->failed++;
        return false;
    }
    size_t n = gh_value_len(v);
    const char **roots = gh_arena_calloc(w->l->arena, n ? n : 1, sizeof *roots);
    if (!roots) return false;
    for (size_t i = 0; i < n; i++) {
        const char *r;
        if (!manifest_string(w, file, "each root", gh_array_get(v, i), &r)) return false;
        size_t len = strlen(r);
        while (len && r[len - 1] == '/')
            len--;
        while (len && *r == '/')
            r++, len--;
        roots[i] = gh_arena_strndup(w->l->arena, r, len);
    }
    b->roots = roots;
    b->nroots = n;
    return true;
}

static bool manifest_version(walk *w, const char *file, const gh_value *v, loader_bundle *b)
{
    int64_t n;
    if (!gh_number_get_int(v, &n) || (n != 0 && n != 1)) {
        gh_buf_printf(w->errs,
                      "%s: bundle load failed on manifest decode: rego_version must be 0 or 1\n",
                      file);
        w->failed++;
        return false;
    }
    b->rego_version = (int)n;
    return true;
}

static bool manifest_object(walk *w, const char *file, const char *field, const gh_value *v)
{
    if (gh_value_kind(v) == GH_KIND_OBJECT) return true;
    gh_buf_printf(w->errs,
                  "%s: bundle load failed on manifest decode: %s must be an object (got %s)\n",
                  file, field, gh_kind_name(gh_value_kind(v)));
    w->failed++;
    return false;
}

/* "manifest has overlapped roots: 'a' and 'a/b'", as opa. */
static bool roots_disjoint(walk *w, const char *file, const loader_bundle *b)
{
    for (size_t i = 0; i < b->nroots; i++)
        for (size_t j = i + 1; j < b->nroots; j++) {
            const char *x = b->roots[i], *y = b->roots[j];
            if (root_contains(x, y, strlen(y)) || root_contains(y, x, strlen(x))) {
                gh_buf_printf(w->errs, "%s: manifest has overlapped roots: '%s' and '%s'\n", file,
                              x, y);
                w->failed++;
                return false;
            }
        }
    return true;
}

/* Reads DIR/.manifest when there is one (revision, roots, rego_version, metadata; other
 * fields, such as wasm, are kept in b->manifest only). False (reported) when malformed. */
static bool read_manifest(walk *w, const char *dir, loader_bundle *b)
{
    size_t len = strlen(dir) + sizeof "/.manifest";
    char *file = gh_arena_alloc(w->l->arena, len);
    struct stat st;
    if (!file) return false;
    snprintf(file, len, "%s/.manifest", dir);
    if (stat(file, &st) != 0) return true; /* optional */
    const gh_value *m;
    if (loader_read_value(w->l->arena, file, &m, w->errs) != 0) {
        w->failed++;
        return false;
    }
    if (gh_value_kind(m) != GH_KIND_OBJECT) {
        gh_buf_printf(w->errs,
                      "%s: bundle load failed on manifest decode: expected an object (got %s)\n",
                      file, gh_kind_name(gh_value_kind(m)));
        w->failed++;
        return false;
    }
    b->manifest = m;
    const gh_value *v;
    bool ok = true;
    if ((v = gh_object_get_str(m, "revision", 8)))
        ok = manifest_string(w, file, "revision", v, &b->revision);
    if (ok && (v = gh_object_get_str(m, "roots", 5))) ok = manifest_roots(w, file, v, b);
    if (ok && (v = gh_object_get_str(m, "rego_version", 12))) ok = manifest_version(w, file, v, b);
    if (ok && (v = gh_object_get_str(m, "file_rego_versions", 18)))
        ok = manifest_object(w, file, "file_rego_versions", v);
    if (ok && (v = gh_object_get_str(m, "metadata", 8)) &&
        (ok = manifest_object(w, file, "metadata", v)))
        b->metadata = v;
    return ok && roots_disjoint(w, file, b);
}

static loader_bundle *new_bundle(loader *l, const char *path)
{
    loader_bundle *grown = realloc(l->bundles, (l->nbundles + 1) * sizeof *grown);
    if (!grown) return NULL;
    l->bundles = grown;
    loader_bundle *b = &l->bundles[l->nbundles++];
    static const char *const whole_tree[] = {""};
    *b = (loader_bundle){.path = gh_arena_strndup(l->arena, path, strlen(path)),
                         .revision = "",
                         .roots = (const char **)whole_tree,
                         .nroots = 1,
                         .rego_version = -1};
    return b;
}

/* Two bundles may not share any part of the data tree (opa refuses to activate them). */
static void bundles_disjoint(walk *w)
{
    const loader *l = w->l;
    for (size_t i = 0; i < l->nbundles; i++)
        for (size_t j = i + 1; j < l->nbundles; j++)
            for (size_t r = 0; r < l->bundles[i].nroots; r++)
                for (size_t s = 0; s < l->bundles[j].nroots; s++) {
                    const char *x = l->bundles[i].roots[r], *y = l->bundles[j].roots[s];
                    if (!root_contains(x, y, strlen(y)) && !root_contains(y, x, strlen(x)))
                        continue;
                    gh_buf_printf(w->errs,
                                  "%s and %s: detected overlapping roots in bundle manifests: "
                                  "'%s' and '%s'%s\n",
                                  l->bundles[i].path, l->bundles[j].path, x, y,
                                  *x && *y ? ""
                                           : " (a bundle without roots owns the whole data tree)");
                    w->failed++;
                    return;
                }
}

int loader_load_bundles(loader *l, char **paths, int n, gh_buf *errs)
{
    walk w;
    walk_start(&w, l, errs);
    for (int i = 0; i < n; i++) {
        char *path = open_root(&w, paths[i]);
        if (!path) continue;
        loader_bundle *b = w.root_is_dir ? new_bundle(l, path) : NULL;
        if (!w.root_is_dir) {
            gh_buf_printf(errs,
                          "%s: not a directory: bundle archives (.tar.gz) are not supported, "
                          "give the bundle's directory\n",
                          paths[i]);
            w.failed++;
        } else if (!b) {
            gh_buf_printf(errs, "%s: out of memory\n", paths[i]);
            w.failed++;
        } else if (read_manifest(&w, path, b)) {
            w.bundle = b;
            walk_tree(&w, path, load_bundle_file);
            w.bundle = NULL;
        }
        free(path);
    }
    if (!w.failed) bundles_disjoint(&w);
    return w.failed ? -1 : 0;
}
