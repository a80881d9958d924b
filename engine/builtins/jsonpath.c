/* json.filter and json.remove: keep or drop the parts of a document named by paths
 * ("a/b/0" with ~1 and ~0 escapes, or arrays of path segments), as OPA does: the paths make
 * a tree whose leaves are null, and the document is walked against it. Array elements are
 * matched by their index as a string ("0"), like OPA. json.patch: RFC 6902 operations on
 * immutable values (rebuilt along the path), sets included (a member is its own path
 * segment); any failing operation makes the result undefined, as OPA. */
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

/* ---- json.patch ---- */

/* An array index from a path segment: a number, or a decimal string; `end` accepts "-" or
 * the length (insertion). */
static bool seg_index(const gh_value *seg, size_t len, bool end, size_t *out)
{
    int64_t i;
    size_t n;
    const char *s = gh_string_ptr(seg, &n);
    if (s) {
        if (end && n == 1 && s[0] == '-') {
            *out = len;
            return true;
        }
        if (n == 0 || n > 18 || (n > 1 && s[0] == '0')) return false;
        i = 0;
        for (size_t k = 0; k < n; k++) {
            if (s[k] < '0' || s[k] > '9') return false;
            i = i * 10 + (s[k] - '0');
        }
    } else if (!bi_is(seg, GH_KIND_NUMBER) || !gh_number_get_int(seg, &i) || i < 0) {
        return false;
    }
    if ((uint64_t)i > len || (!end && (uint64_t)i == len)) return false;
    *out = (size_t)i;
    return true;
}

static const gh_value *child(const gh_value *v, const gh_value *seg)
{
    size_t i;
    switch (gh_value_kind(v)) {
    case GH_KIND_OBJECT: return gh_object_get(v, seg);
    case GH_KIND_SET: return gh_set_contains(v, seg) ? seg : NULL;
    case GH_KIND_ARRAY: return seg_index(seg, gh_value_len(v), false, &i) ? gh_array_get(v, i) : NULL;
    default: return NULL;
    }
}

static const gh_value *get_at(const gh_value *v, const gh_value **path, size_t n)
{
    for (size_t i = 0; i < n && v; i++) v = child(v, path[i]);
    return v;
}

enum { P_ADD, P_REMOVE, P_SET };

/* v with its child at seg added (P_ADD: inserted), removed, or replaced (P_SET) by nv;
 * NULL *out when the operation does not apply. */
static int edit_child(gh_bctx *bc, const gh_value *v, const gh_value *seg, int op, const gh_value *nv,
                      const gh_value **out)
{
    size_t n = gh_value_len(v), idx, m = 0;
    *out = NULL;
    switch (gh_value_kind(v)) {
    case GH_KIND_OBJECT: {
        const gh_value **ks = bi_ptrs(bc, n + 1), **vs = bi_ptrs(bc, n + 1);
        if (!ks || !vs) return GH_ENOMEM;
        bool found = false;
        for (size_t i = 0; i < n; i++) {
            const gh_value *k = gh_object_key_at(v, i);
            if (gh_value_equal(k, seg)) {
                found = true;
                if (op == P_REMOVE) continue;
                ks[m] = k;
                vs[m++] = nv;
                continue;
            }
            ks[m] = k;
            vs[m++] = gh_object_value_at(v, i);
        }
        if (!found) {
            if (op != P_ADD) return 0;
            ks[m] = seg;
            vs[m++] = nv;
        }
        return gh_value_object(bc->arena, ks, vs, m, out, NULL);
    }
    case GH_KIND_ARRAY: {
        if (!seg_index(seg, n, op == P_ADD, &idx)) return 0;
        const gh_value **items = bi_ptrs(bc, n + 1);
        if (!items) return GH_ENOMEM;
        for (size_t i = 0; i <= n; i++) {
            if (i == idx) {
                if (op == P_ADD) items[m++] = nv;
                else if (op == P_SET) {
                    items[m++] = nv;
                    continue;
                } else {
                    continue;
                }
            }
            if (i < n) items[m++] = gh_array_get(v, i);
        }
        return bi_ret(out, gh_value_array(bc->arena, items, m));
    }
    case GH_KIND_SET: {
        bool has = gh_set_contains(v, seg);
        if (op == P_ADD && !gh_value_equal(seg, nv)) return 0; /* a member is its own key */
        if (op != P_ADD && !has) return 0;
        const gh_value **items = bi_ptrs(bc, n + 1);
        if (!items) return GH_ENOMEM;
        for (size_t i = 0; i < n; i++)
            if (!gh_value_equal(gh_set_item_at(v, i), seg)) items[m++] = gh_set_item_at(v, i);
        if (op != P_REMOVE) items[m++] = nv;
        return bi_ret(out, gh_value_set(bc->arena, items, m));
    }
    default: return 0;
    }
}

/* The document with the operation applied at path; NULL *out when it does not apply. */
static int edit_at(gh_bctx *bc, const gh_value *doc, const gh_value **path, size_t n, int op,
                   const gh_value *nv, const gh_value **out)
{
    if (n == 0) {
        *out = op == P_REMOVE ? NULL : nv;
        return 0;
    }
    if (n == 1) return edit_child(bc, doc, path[0], op, nv, out);
    const gh_value *c = child(doc, path[0]), *nc;
    *out = NULL;
    if (!c) return 0;
    int rc = edit_at(bc, c, path + 1, n - 1, op, nv, &nc);
    if (rc || !nc) return rc;
    return edit_child(bc, doc, path[0], P_SET, nc, out);
}

static const gh_value *attr(const gh_value *o, const char *k)
{
    return gh_object_get_str(o, k, strlen(k));
}

/* One operation; NULL *doc afterwards when it failed. */
static int apply_patch(gh_bctx *bc, const gh_value **doc, const gh_value *p)
{
    const gh_value *opv, *pathv;
    size_t on;
    const char *op;
    if (!bi_is(p, GH_KIND_OBJECT) || !(opv = attr(p, "op")) || !(op = gh_string_ptr(opv, &on)) ||
        !(pathv = attr(p, "path"))) {
        *doc = NULL;
        return 0;
    }
    const gh_value **path, **from = NULL;
    size_t pn, fn = 0;
    gh_bctx quiet = *bc; /* path errors make the result undefined, not an error */
    if (parse_path(&quiet, "json.patch", pathv, &path, &pn)) {
        *doc = NULL;
        return quiet.err_code ? 0 : GH_ENOMEM;
    }
    bool move = on == 4 && !memcmp(op, "move", 4), copy = on == 4 && !memcmp(op, "copy", 4);
    if (move || copy) {
        const gh_value *fv = attr(p, "from");
        if (!fv || parse_path(&quiet, "json.patch", fv, &from, &fn)) {
            *doc = NULL;
            return fv && !quiet.err_code ? GH_ENOMEM : 0;
        }
    }
    const gh_value *value = attr(p, "value");
    const gh_value *d = *doc, *r = NULL;
    int rc = 0;
    if (on == 3 && !memcmp(op, "add", 3) && value) {
        rc = edit_at(bc, d, path, pn, P_ADD, value, &r);
    } else if (on == 6 && !memcmp(op, "remove", 6)) {
        rc = edit_at(bc, d, path, pn, P_REMOVE, NULL, &r);
        if (!rc && pn == 0) r = NULL;
    } else if (on == 7 && !memcmp(op, "replace", 7) && value) {
        rc = edit_at(bc, d, path, pn, P_REMOVE, NULL, &r);
        if (!rc && (r || pn == 0)) rc = edit_at(bc, pn ? r : d, path, pn, P_ADD, value, &r);
    } else if (move || copy) {
        const gh_value *chunk = get_at(d, from, fn);
        if (chunk && move) rc = edit_at(bc, d, from, fn, P_REMOVE, NULL, &d);
        if (!rc && chunk && (d || fn == 0)) rc = edit_at(bc, fn == 0 && move ? chunk : d, path, pn, P_ADD, chunk, &r);
    } else if (on == 4 && !memcmp(op, "test", 4) && value) {
        const gh_value *got = get_at(d, path, pn);
        r = got && gh_value_equal(got, value) ? d : NULL;
    }
    *doc = r;
    return rc;
}

static int bi_patch(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    const gh_value *ops = args[1];
    if (!bi_is(ops, GH_KIND_ARRAY)) return bi_type_err(bc, "json.patch", 2, ops, "array");
    const gh_value *doc = args[0];
    for (size_t i = 0; i < gh_value_len(ops) && doc; i++) {
        int rc = apply_patch(bc, &doc, gh_array_get(ops, i));
        if (rc) return rc;
    }
    if (!doc) return GH_EUNDEFINED;
    return bi_ret(out, doc);
}

static const gh_builtin table[] = {
    BI_FN("json.patch", 2, "(any, array[object<op: string, path: any>[any: any]]) => any", bi_patch),
    BI_FN("json.filter", 2,
          "(object[any: any], any<array[any<string, array[any]>], set[any<string, array[any]>]>) => any",
          bi_filter),
    BI_FN("json.remove", 2,
          "(object[any: any], any<array[any<string, array[any]>], set[any<string, array[any]>]>) => any",
          bi_remove),
};
BI_FAMILY(jsonpath, table);
