/* Building a snapshot: the loader reads the paths as `gatehouse eval -d` does, the engine
 * compiles them into a revision, and a hash of what was read names the result. */
#include "snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "log.h"

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ull;
    return h;
}

static void snapshot_name(snapshot *s, const gh_value *data, const loader *l)
{
    if (l->nbundles == 1 && l->bundles[0].revision[0]) {
        snprintf(s->id, sizeof s->id, "%s", l->bundles[0].revision);
        return;
    }
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < s->nmodules; i++) {
        h = fnv1a(h, s->modules[i].name, strlen(s->modules[i].name) + 1);
        h = fnv1a(h, s->modules[i].text, s->modules[i].len);
    }
    if (data) {
        gh_buf b;
        gh_buf_init(&b, 0);
        gh_json_write(&b, data, 0);
        h = fnv1a(h, b.data, b.len);
        gh_buf_free(&b);
    }
    snprintf(s->id, sizeof s->id, "%016llx", (unsigned long long)h);
}

/* Takes over the loader's module copies. */
static void snapshot_take_modules(snapshot *s, loader *l)
{
    s->modules = l->modules;
    s->nmodules = l->nmodules;
    l->modules = NULL;
    l->nmodules = l->cap = 0;
}

static void free_modules(gh_source *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)m[i].name);
        free((char *)m[i].text);
    }
    free(m);
}

snapshot *snapshot_build(const gh_config *cfg, gh_buf *errs)
{
    size_t n = cfg->policy.n + cfg->data.n;
    char **paths = calloc(n ? n : 1, sizeof *paths);
    snapshot *s = calloc(1, sizeof *s);
    gh_arena data_arena;
    gh_arena_init(&data_arena, 0);
    loader l;
    loader_init(&l, &data_arena);
    if (!paths || !s) goto fail;
    for (size_t i = 0; i < cfg->policy.n; i++) paths[i] = (char *)cfg->policy.items[i];
    for (size_t i = 0; i < cfg->data.n; i++) paths[cfg->policy.n + i] = (char *)cfg->data.items[i];
    l.ignore = (char **)cfg->ignore.items;
    l.nignore = cfg->ignore.n;
    l.v0_compatible = cfg->v0_compatible;
    if (n && loader_load(&l, paths, (int)n, errs) != 0) goto fail;
    if (cfg->bundles.n &&
        loader_load_bundles(&l, (char **)cfg->bundles.items, (int)cfg->bundles.n, errs) != 0)
        goto fail;
    gh_diags diags;
    gh_diags_init(&diags);
    gh_load_opts lo = {.v0_compatible = l.v0_compatible};
    s->rev = gh_revision_load(l.modules, l.nmodules, l.data, &lo, &diags);
    if (!s->rev) {
        for (size_t i = 0; i < diags.n; i++) {
            gh_diag_format_short(&diags.items[i], errs);
            gh_buf_putc(errs, '\n');
        }
        gh_diags_free(&diags);
        goto fail;
    }
    gh_diags_free(&diags);
    snapshot_take_modules(s, &l);
    snapshot_name(s, l.data, &l);
    atomic_init(&s->refs, 1);
    s->loaded_unix_ns = log_now_unix_ns();
    loader_free(&l);
    gh_arena_free(&data_arena); /* the revision deep-copied the data */
    free(paths);
    return s;
fail:
    loader_free(&l);
    gh_arena_free(&data_arena);
    free(paths);
    free(s);
    return NULL;
}

void snapshot_retain(snapshot *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void snapshot_release(snapshot *s)
{
    if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1) return;
    gh_revision_release(s->rev);
    free_modules(s->modules, s->nmodules);
    free(s);
}
