/* Graph builtins. walk: the relation that yields [path, value] for every node of a document,
 * the document itself first (path []), then depth first in key order; as a relation
 * (GH_BI_RELATION) it returns the array of all pairs, the VM iterates over it.
 * graph.reachable and graph.reachable_paths follow OPA's traversals exactly. */
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

/* ---- a small hash set of values (open addressing, in the arena) ---- */

typedef struct vset {
    gh_bctx *bc;
    const gh_value **slot;
    size_t cap, n;
} vset;

static bool vset_has(const vset *s, const gh_value *v)
{
    if (!s->cap) return false;
    for (size_t i = gh_value_hash(v) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (!s->slot[i]) return false;
        if (gh_value_equal(s->slot[i], v)) return true;
    }
}

static int vset_add(vset *s, const gh_value *v)
{
    if (vset_has(s, v)) return 0;
    if (2 * (s->n + 1) > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        const gh_value **ns = gh_arena_calloc(s->bc->arena, nc, sizeof *ns);
        if (!ns) return GH_ENOMEM;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slot[i]) continue;
            size_t j = gh_value_hash(s->slot[i]) & (nc - 1);
            while (ns[j]) j = (j + 1) & (nc - 1);
            ns[j] = s->slot[i];
        }
        s->slot = ns;
        s->cap = nc;
    }
    size_t i = gh_value_hash(v) & (s->cap - 1);
    while (s->slot[i]) i = (i + 1) & (s->cap - 1);
    s->slot[i] = v;
    s->n++;
    return 0;
}

static const gh_value *vset_value(vset *s)
{
    const gh_value **items = bi_ptrs(s->bc, s->n + 1);
    if (!items) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slot[i]) items[k++] = s->slot[i];
    return gh_value_set(s->bc->arena, items, k);
}

static size_t coll_len(const gh_value *c)
{
    return bi_is(c, GH_KIND_ARRAY) || bi_is(c, GH_KIND_SET) ? gh_value_len(c) : 0;
}

static const gh_value *coll_at(const gh_value *c, size_t i)
{
    return bi_is(c, GH_KIND_SET) ? gh_set_item_at(c, i) : gh_array_get(c, i);
}

static int graph_args(gh_bctx *bc, const char *name, const gh_value *const *args)
{
    if (!bi_is(args[0], GH_KIND_OBJECT)) return bi_type_err(bc, name, 1, args[0], "object");
    if (!bi_is(args[1], GH_KIND_ARRAY) && !bi_is(args[1], GH_KIND_SET))
        return gh_builtin_error(bc, GH_ERR_TYPE, "%s: operand 2 must be {array, set} but got %s", name,
                                gh_kind_name(gh_value_kind(args[1])));
    return 0;
}

/* Breadth first from the initial nodes; a node counts as reached when it is in the graph. */
static int bi_reachable(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int rc = graph_args(bc, "graph.reachable", args);
    if (rc) return rc;
    const gh_value *graph = args[0];
    size_t qn = coll_len(args[1]), qcap = qn + 16, head = 0;
    const gh_value **queue = bi_ptrs(bc, qcap);
    if (!queue) return GH_ENOMEM;
    for (size_t i = 0; i < qn; i++) queue[i] = coll_at(args[1], i);
    vset reached = {.bc = bc};
    for (; head < qn; head++) {
        const gh_value *node = queue[head], *edges = gh_object_get(graph, node);
        /* OPA expands a node queued twice again, to the same effect: skip that work */
        if (!edges || vset_has(&reached, node)) continue;
        for (size_t i = 0; i < coll_len(edges); i++) {
            const gh_value *nb = coll_at(edges, i);
            if (vset_has(&reached, nb)) continue;
            if (qn == qcap) {
                size_t nc = qcap * 2;
                const gh_value **nq = gh_arena_realloc(bc->arena, queue, qcap * sizeof *nq, nc * sizeof *nq);
                if (!nq) return GH_ENOMEM;
                queue = nq;
                qcap = nc;
            }
            queue[qn++] = nb;
        }
        if ((rc = vset_add(&reached, node))) return rc;
    }
    return bi_ret(out, vset_value(&reached));
}

typedef struct pathctx {
    gh_bctx *bc;
    const gh_value *graph;
    vset result;
} pathctx;

static int commit_path(pathctx *pc, const gh_value **path, size_t n)
{
    const gh_value *p = gh_value_array(pc->bc->arena, path, n);
    return p ? vset_add(&pc->result, p) : GH_ENOMEM;
}

/* pathBuilder: extend the path with root, recurse into its edges, commit at leaves and at
 * nodes already reached. As in the OPA that wrote the conformance suite, `reached` is one
 * set per branch leaving an initial node, shared by everything below it, so a node seen on a
 * sibling path also ends a path. */
static int path_build(pathctx *pc, const gh_value *root, const gh_value **path, size_t n, vset *reached)
{
    const gh_value *edges = gh_object_get(pc->graph, root);
    if (!edges) return commit_path(pc, path, n);
    const gh_value **p = bi_ptrs(pc->bc, n + 1);
    if (!p) return GH_ENOMEM;
    memcpy(p, path, n * sizeof *p);
    p[n] = root;
    if (coll_len(edges) == 0) return commit_path(pc, p, n + 1);
    int rc = vset_add(reached, root);
    for (size_t i = 0; i < coll_len(edges) && !rc; i++) {
        const gh_value *nb = coll_at(edges, i);
        rc = vset_has(reached, nb) ? commit_path(pc, p, n + 1) : path_build(pc, nb, p, n + 1, reached);
    }
    return rc;
}

static int bi_reachable_paths(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int rc = graph_args(bc, "graph.reachable_paths", args);
    if (rc) return rc;
    pathctx pc = {.bc = bc, .graph = args[0], .result = {.bc = bc}};
    for (size_t i = 0; i < coll_len(args[1]); i++) {
        const gh_value *node = coll_at(args[1], i), *edges = gh_object_get(pc.graph, node);
        if (!edges) continue;
        if (coll_len(edges) == 0) {
            rc = commit_path(&pc, &node, 1);
        } else {
            for (size_t j = 0; j < coll_len(edges) && !rc; j++) {
                vset reached = {.bc = bc};
                rc = vset_add(&reached, node);
                if (!rc) rc = path_build(&pc, coll_at(edges, j), &node, 1, &reached);
            }
        }
        if (rc) return rc;
    }
    return bi_ret(out, vset_value(&pc.result));
}

static const gh_builtin table[] = {
    BI_FN("graph.reachable", 2, "(object[any: any<set[any], array[any]>], any<set[any], array[any]>) => set[any]",
          bi_reachable),
    BI_FN("graph.reachable_paths", 2,
          "(object[any: any<set[any], array[any]>], any<set[any], array[any]>) => set[array[any]]",
          bi_reachable_paths),
    BI_FNF("walk", 1, "(any) => array<array[any], any>", bi_walk, GH_BI_RELATION),
};
BI_FAMILY(graph, table);
