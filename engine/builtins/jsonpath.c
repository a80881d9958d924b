/* json.filter and json.remove: keep or drop the parts of a document named by paths
 * ("a/b/0" with ~1 and ~0 escapes, or arrays of path segments), as OPA does: the paths make
 * a tree whose leaves are null, and the document is walked against it. Array elements are
 * matched by their index as a string ("0"), like OPA. */
#include "builtins/bi_internal.h"

#include <stdio.h>

typedef struct pnode pnode;
struct pnode {
    const gh_value **keys;
    pnode **kids; /* NULL kid = a leaf (null) */
    size_t n, cap;
};

static pnode *pnode_new(gh_bctx *bc)
{
    return gh_arena_calloc(bc->arena, 1, sizeof(pnode));
}

static ptrdiff_t pnode_find(const pnode *p, const gh_value *k)
{
    for (size_t i = 0; i < p->n; i++)
        if (gh_value_equal(p->keys[i], k)) return (ptrdiff_t)i;
    return -1;
}

static int pnode_add(gh_bctx *bc, pnode *p, const gh_value *k, pnode *kid)
{
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 4;
        const gh_value **nk = gh_arena_realloc(bc->arena, p->keys, p->cap * sizeof *nk, nc * sizeof *nk);
        pnode **nd = gh_arena_realloc(bc->arena, p->kids, p->cap * sizeof *nd, nc * sizeof *nd);
        if (!nk || !nd) return GH_ENOMEM;
        p->keys = nk;
        p->kids = nd;
        p->cap = nc;
    }
    p->keys[p->n] = k;
    p->kids[p->n++] = kid;
    return 0;
}

/* parsePath: segments of one path into segs (arena). */
static int parse_path(gh_bctx *bc, const char *name, const gh_value *path, const gh_value ***segs, size_t *n)
{
    size_t len;
    const char *s = gh_string_ptr(path, &len);
    if (s) {
        *n = 0;
        if (len == 0) return 0;
        size_t i = 0;
        while (i < len && s[i] == '/') i++; /* TrimLeft "/" */
        size_t parts = 1;
        for (size_t j = i; j < len; j++) parts += s[j] == '/';
        *segs = bi_ptrs(bc, parts);
        char *buf = bi_bytes(bc, len + 1);
        if (!*segs || !buf) return GH_ENOMEM;
        for (size_t start = i;;) {
            size_t end = start;
            while (end < len && s[end] != '/') end++;
            size_t o = 0; /* ~1 -> /, then ~0 -> ~ */
            for (size_t j = start; j < end; j++) {
                if (s[j] == '~' && j + 1 < end && s[j + 1] == '1') buf[o++] = '/', j++;
                else buf[o++] = s[j];
            }
            size_t o2 = 0;
            for (size_t j = 0; j < o; j++) {
                if (buf[j] == '~' && j + 1 < o && buf[j + 1] == '0') buf[o2++] = '~', j++;
                else buf[o2++] = buf[j];
            }
            if (!((*segs)[(*n)++] = bi_str(bc, buf, o2))) return GH_ENOMEM;
            if (end >= len) break;
            start = end + 1;
        }
        return 0;
    }
    if (bi_is(path, GH_KIND_ARRAY)) {
        *n = gh_value_len(path);
        *segs = bi_ptrs(bc, *n);
        if (!*segs) return GH_ENOMEM;
        for (size_t i = 0; i < *n; i++) (*segs)[i] = gh_array_get(path, i);
        return 0;
    }
    return gh_builtin_error(bc, GH_ERR_TYPE,
                            "%s: operand 2 must be one of {set, array} containing string paths or array of path segments but got %s",
                            name, gh_kind_name(gh_value_kind(path)));
}

/* pathsToObject. */
static int build_tree(gh_bctx *bc, const char *name, const gh_value *paths, pnode **root)
{
    if (!bi_is(paths, GH_KIND_ARRAY) && !bi_is(paths, GH_KIND_SET))
        return bi_type_err(bc, name, 2, paths, "set, array");
    if (!(*root = pnode_new(bc))) return GH_ENOMEM;
    for (size_t i = 0; i < gh_value_len(paths); i++) {
        const gh_value *p = bi_is(paths, GH_KIND_SET) ? gh_set_item_at(paths, i) : gh_array_get(paths, i);
        const gh_value **segs = NULL;
        size_t n = 0;
        int rc = parse_path(bc, name, p, &segs, &n);
        if (rc) return rc;
        if (n == 0) continue;
        pnode *node = *root;
        bool done = false;
        for (size_t k = 0; k + 1 < n && !done; k++) {
            ptrdiff_t at = pnode_find(node, segs[k]);
            if (at < 0) {
                pnode *kid = pnode_new(bc);
                if (!kid || pnode_add(bc, node, segs[k], kid)) return GH_ENOMEM;
                node = kid;
            } else if (!node->kids[at]) {
                done = true; /* a shorter path already covers this one */
            } else {
                node = node->kids[at];
            }
        }
        if (done) continue;
        ptrdiff_t at = pnode_find(node, segs[n - 1]);
        if (at >= 0) node->kids[at] = NULL; /* Insert overwrites with null */
        else if (pnode_add(bc, node, segs[n - 1], NULL)) return GH_ENOMEM;
    }
    return 0;
}

static const gh_value *index_key(gh_bctx *bc, size_t i)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%zu", i);
    return bi_str(bc, b, (size_t)n);
}

/* filterObject: keep only what the tree names; a null leaf keeps the whole value. */
static int filter_value(gh_bctx *bc, const gh_value *v, const pnode *f, const gh_value **out)
{
    if (!f) {
        *out = v;
        return 0;
    }
    size_t n = gh_value_len(v), m = 0;
    switch (gh_value_kind(v)) {
    case GH_KIND_ARRAY: {
        const gh_value **items = bi_ptrs(bc, n + 1);
        if (!items) return GH_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            const gh_value *k = index_key(bc, i);
            if (!k) return GH_ENOMEM;
            ptrdiff_t at = pnode_find(f, k);
            if (at < 0) continue;
            int rc = filter_value(bc, gh_array_get(v, i), f->kids[at], &items[m]);
            if (rc) return rc;
            m++;
        }
        return bi_ret(out, gh_value_array(bc->arena, items, m));
    }
    case GH_KIND_SET: {
        const gh_value **items = bi_ptrs(bc, n + 1);
        if (!items) return GH_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            const gh_value *x = gh_set_item_at(v, i);
            ptrdiff_t at = pnode_find(f, x);
            if (at < 0) continue;
            int rc = filter_value(bc, x, f->kids[at], &items[m]);
            if (rc) return rc;
            m++;
        }
        return bi_ret(out, gh_value_set(bc->arena, items, m));
    }
    case GH_KIND_OBJECT: {
        const gh_value **ks = bi_ptrs(bc, n + 1), **vs = bi_ptrs(bc, n + 1);
        if (!ks || !vs) return GH_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            ptrdiff_t at = pnode_find(f, gh_object_key_at(v, i));
            if (at < 0) continue;
            int rc = filter_value(bc, gh_object_value_at(v, i), f->kids[at], &vs[m]);
            if (rc) return rc;
            ks[m++] = gh_object_key_at(v, i);
        }
        return gh_value_object(bc->arena, ks, vs, m, out, NULL);
    }
    default: *out = v; return 0;
    }
}

/* jsonRemove: NULL *out when the value itself is removed. `f` NULL here means "no filter
 * below" (the paths diverged), `leaf` that the value is named by a path. */
static int remove_value(gh_bctx *bc, const gh_value *v, const pnode *f, bool leaf, const gh_value **out)
{
    if (leaf) {
        *out = NULL;
        return 0;
    }
    if (!f) {
        *out = v;
        return 0;
    }
    size_t n = gh_value_len(v), m = 0;
    switch (gh_value_kind(v)) {
    case GH_KIND_ARRAY: {
        const gh_value **items = bi_ptrs(bc, n + 1);
        if (!items) return GH_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            const gh_value *k = index_key(bc, i), *r;
            if (!k) return GH_ENOMEM;
            ptrdiff_t at = pnode_find(f, k);
            int rc = remove_value(bc, gh_array_get(v, i), at < 0 ? NULL : f->kids[at], at >= 0 && !f->kids[at], &r);
            if (rc) return rc;
            if (r) items[m++] = r;
        }
        return bi_ret(out, gh_value_array(bc->arena, items, m));
    }
    case GH_KIND_SET: {
        const gh_value **items = bi_ptrs(bc, n + 1);
        if (!items) return GH_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            const gh_value *x = gh_set_item_at(v, i), *r;
            ptrdiff_t at = pnode_find(f, x);
            int rc = remove_value(bc, x, at < 0 ? NULL : f->kids[at], at >= 0 && !f->kids[at], &r);
            if (rc) return rc;
            if (r) items[m++] = r;
        }
        return bi_ret(out, gh_value_set(bc->arena, items, m));
    }
    case GH_KIND_OBJECT: {
        const gh_value **ks = bi_ptrs(bc, n + 1), **vs = bi_ptrs(bc, n + 1);
        if (!ks || !vs) return GH_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            const gh_value *r;
            ptrdiff_t at = pnode_find(f, gh_object_key_at(v, i));
            int rc = remove_value(bc, gh_object_value_at(v, i), at < 0 ? NULL : f->kids[at], at >= 0 && !f->kids[at], &r);
            if (rc) return rc;
            if (!r) continue;
            ks[m] = gh_object_key_at(v, i);
            vs[m++] = r;
        }
        return gh_value_object(bc->arena, ks, vs, m, out, NULL);
    }
    default: *out = v; return 0;
    }
}

static int bi_filter(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    if (!bi_is(args[0], GH_KIND_OBJECT)) return bi_type_err(bc, "json.filter", 1, args[0], "object");
    pnode *tree;
    int rc = build_tree(bc, "json.filter", args[1], &tree);
    return rc ? rc : filter_value(bc, args[0], tree, out);
}

static int bi_remove(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    if (!bi_is(args[0], GH_KIND_OBJECT)) return bi_type_err(bc, "json.remove", 1, args[0], "object");
    pnode *tree;
    int rc = build_tree(bc, "json.remove", args[1], &tree);
    if (rc) return rc;
    const gh_value *r;
    rc = remove_value(bc, args[0], tree, false, &r);
    if (rc) return rc;
    if (!r) return GH_EUNDEFINED;
    return bi_ret(out, r);
}

static const gh_builtin table[] = {
    BI_FN("json.filter", 2,
          "(object[any: any], any<array[any<string, array[any]>], set[any<string, array[any]>]>) => any",
          bi_filter),
    BI_FN("json.remove", 2,
          "(object[any: any], any<array[any<string, array[any]>], set[any<string, array[any]>]>) => any",
          bi_remove),
};
BI_FAMILY(jsonpath, table);
