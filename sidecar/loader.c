/* Loading -d paths: modules and data files, data placed by directory and merged (see
 * loader.h). */
#include "loader.h"

#include <errno.h>
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
}

void loader_free(loader *l)
{
    for (size_t i = 0; i < l->nmodules; i++) {
        free((char *)l->modules[i].name);
        free((char *)l->modules[i].text);
    }
    free(l->modules);
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

static int parse_as(gh_arena *a, const char *name, const char *text, size_t len, bool yaml,
                    const gh_value **out, gh_buf *errs)
{
    if (yaml) {
        gh_yaml_error ye;
        gh_yaml_opts yo = {.flags = GH_YAML_GO_V2}; /* as opa reads data.yaml (go-yaml v2) */
        if (gh_yaml_read(a, text, len, &yo, out, &ye) == 0) return 0;
        gh_buf_printf(errs, "%s: %s\n", name, ye.msg);
        return -1;
    }
    gh_json_opts jo = {.flags = GH_JSON_RELAXED};
    gh_json_error je;
    if (gh_json_read(a, text, len, &jo, out, &je) == 0) return 0;
    gh_buf_printf(errs, "%s: %s\n", name, je.msg);
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
    const char *root; /* the -d argument the current file was found under */
    bool root_is_dir;
    const char *prefix; /* "a.b" of an "a.b:path" argument, or NULL */
    size_t prefix_len;
    gh_buf *errs;
    int failed;
} walk;

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

static void load_file(const char *path, void *ctx)
{
    walk *w = ctx;
    bool rego = loader_has_ext(path, ".rego"), json = loader_has_ext(path, ".json"),
         yaml = is_yaml_name(path);
    /* opa's loader skips other files inside directories; a file named directly with another
     * extension is tried as Rego, then JSON, then YAML */
    if (!rego && !json && !yaml && w->root_is_dir) return;
    char *text;
    size_t len;
    if (cli_read_file(path, &text, &len) != 0) {
        w->failed++;
        return;
    }
    if (!rego && !json && !yaml) {
        rego = parses_as_rego(path, text, len);
        if (!rego) yaml = !parses_as_json(text, len);
    }
    if (rego) {
        if (add_module(w->l, path, text, len) != 0) {
            free(text);
            gh_buf_printf(w->errs, "%s: out of memory\n", path);
            w->failed++;
        }
        return;
    }
    add_data(w, path, text, len, yaml);
    free(text);
}

int loader_load(loader *l, char **paths, int n, gh_buf *errs)
{
    walk w = {.l = l, .errs = errs};
    for (int i = 0; i < n; i++) {
        /* "a.b:path" loads path's data under data.a.b (opa's SplitPrefix: not for URLs) */
        char *path = paths[i], *colon = strchr(path, ':'), *url = strstr(path, "://");
        w.prefix = NULL;
        if (colon && colon != url && colon > path) {
            w.prefix = path;
            w.prefix_len = (size_t)(colon - path);
            path = colon + 1;
        }
        struct stat st;
        if (stat(path, &st) != 0) {
            gh_buf_printf(errs, "%s: %s\n", path, strerror(errno));
            w.failed++;
            continue;
        }
        w.root = path;
        w.root_is_dir = S_ISDIR(st.st_mode);
        if (cli_walk(&path, 1, "", load_file, &w) != 0) w.failed++;
    }
    return w.failed ? -1 : 0;
}
