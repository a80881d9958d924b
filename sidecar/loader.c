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

int loader_parse_value(gh_arena *a, const char *name, const char *text, size_t len,
                       const gh_value **out, gh_buf *errs)
{
    if (is_yaml_name(name)) {
        gh_yaml_error ye;
        if (gh_yaml_read(a, text, len, NULL, out, &ye) == 0) return 0;
        gh_buf_printf(errs, "%s: %s\n", name, ye.msg);
        return -1;
    }
    gh_json_opts jo = {.flags = GH_JSON_RELAXED};
    gh_json_error je;
    if (gh_json_read(a, text, len, &jo, out, &je) == 0) return 0;
    gh_buf_printf(errs, "%s: %s\n", name, je.msg);
    return -1;
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

/* Wraps v in one object per directory between the root and the file:
 * root/a/b/data.json -> {"a": {"b": v}}. */
static const gh_value *place(walk *w, const char *path, const gh_value *v)
{
    if (!w->root_is_dir) return v;
    size_t rl = strlen(w->root);
    const char *rel = path + rl;
    while (*rel == '/')
        rel++;
    const char *end = strrchr(rel, '/');
    while (end && end > rel) {
        const char *start = end;
        while (start > rel && start[-1] != '/')
            start--;
        const gh_value *key = gh_value_string(w->l->arena, start, (size_t)(end - start));
        const gh_value *obj = NULL;
        if (!key || gh_value_object(w->l->arena, &key, &v, 1, &obj, NULL) != 0) return NULL;
        v = obj;
        end = start > rel ? start - 1 : NULL;
    }
    return v;
}

static void add_data(walk *w, const char *path, const char *text, size_t len)
{
    const gh_value *v;
    if (loader_parse_value(w->l->arena, path, text, len, &v, w->errs) != 0) {
        w->failed++;
        return;
    }
    v = place(w, path, v);
    if (!v) {
        gh_buf_printf(w->errs, "%s: out of memory\n", path);
        w->failed++;
        return;
    }
    if (!w->l->data) {
        if (gh_value_kind(v) != GH_KIND_OBJECT) {
            gh_buf_printf(w->errs, "%s: data must be an object (got %s)\n", path,
                          gh_kind_name(gh_value_kind(v)));
            w->failed++;
            return;
        }
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

static void load_file(const char *path, void *ctx)
{
    walk *w = ctx;
    bool rego = loader_has_ext(path, ".rego"), json = loader_has_ext(path, ".json"),
         yaml = is_yaml_name(path);
    if (!rego && !json && !yaml) {
        /* opa's loader ignores other files inside directories, and so do we; a file named
         * directly on the command line with another extension is read as JSON (as opa) */
        if (w->root_is_dir) return;
    }
    char *text;
    size_t len;
    if (cli_read_file(path, &text, &len) != 0) {
        w->failed++;
        return;
    }
    if (rego) {
        if (add_module(w->l, path, text, len) != 0) {
            free(text);
            gh_buf_printf(w->errs, "%s: out of memory\n", path);
            w->failed++;
        }
        return;
    }
    add_data(w, path, text, len);
    free(text);
}

int loader_load(loader *l, char **paths, int n, gh_buf *errs)
{
    walk w = {.l = l, .errs = errs};
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            gh_buf_printf(errs, "%s: %s\n", paths[i], strerror(errno));
            w.failed++;
            continue;
        }
        w.root = paths[i];
        w.root_is_dir = S_ISDIR(st.st_mode);
        if (cli_walk(&paths[i], 1, "", load_file, &w) != 0) w.failed++;
    }
    return w.failed ? -1 : 0;
}
