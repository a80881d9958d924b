/* walk: the relation that yields [path, value] for every node of a document, the document
 * itself first (path []), then depth first in key order. As a relation (GH_BI_RELATION) it
 * returns the array of all pairs; the VM iterates over it. */
#include "builtins/bi_internal.h"

typedef struct walker {
    gh_bctx *bc;
    const gh_value **pairs;
    size_t n, cap;
    const gh_value **path; /* current path, depth entries */
    size_t depth, path_cap;
} walker;

static int push_pair(walker *w, const gh_value *v)
{
    if (w->n == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 32;
        const gh_value **np = gh_arena_realloc(w->bc->arena, w->pairs, w->cap * sizeof *np, nc * sizeof *np);
        if (!np) return GH_ENOMEM;
        w->pairs = np;
        w->cap = nc;
    }
    const gh_value *path = gh_value_array(w->bc->arena, w->path, w->depth);
    const gh_value *pair[2] = {path, v};
    if (!path || !(w->pairs[w->n] = gh_value_array(w->bc->arena, pair, 2))) return GH_ENOMEM;
    w->n++;
    return 0;
}

static int walk(walker *w, const gh_value *v)
{
    int rc = push_pair(w, v);
    if (rc) return rc;
    size_t n = gh_value_len(v);
    gh_kind k = gh_value_kind(v);
    if (k != GH_KIND_ARRAY && k != GH_KIND_OBJECT && k != GH_KIND_SET) return 0;
    if (w->depth == w->path_cap) {
        size_t nc = w->path_cap ? w->path_cap * 2 : 16;
        const gh_value **np = gh_arena_realloc(w->bc->arena, w->path, w->path_cap * sizeof *np, nc * sizeof *np);
        if (!np) return GH_ENOMEM;
        w->path = np;
        w->path_cap = nc;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        const gh_value *key, *child;
        if (k == GH_KIND_ARRAY) {
            key = bi_int(w->bc, (int64_t)i);
            child = gh_array_get(v, i);
        } else if (k == GH_KIND_OBJECT) {
            key = gh_object_key_at(v, i);
            child = gh_object_value_at(v, i);
        } else {
            key = child = gh_set_item_at(v, i);
        }
        if (!key) return GH_ENOMEM;
        w->path[w->depth++] = key;
        rc = walk(w, child);
        w->depth--;
    }
    return rc;
}

static int bi_walk(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    walker w = {.bc = bc};
    int rc = walk(&w, args[0]);
    if (rc) return rc;
    return bi_ret(out, gh_value_array(bc->arena, w.pairs, w.n));
}

static const gh_builtin table[] = {
    BI_FNF("walk", 1, "(any) => array<array[any], any>", bi_walk, GH_BI_RELATION),
};
BI_FAMILY(graph, table);
