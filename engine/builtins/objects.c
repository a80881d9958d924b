/* Object builtins: object.get (key or path, with default), object.keys, object.remove,
 * object.filter, object.union, object.union_n, object.subset. */
#include "builtins/bi_internal.h"

static int need_object(gh_bctx *bc, const char *name, const gh_value *v, int pos)
{
    return bi_is(v, GH_KIND_OBJECT) ? 0 : bi_type_err(bc, name, pos, v, "object");
}

/* One step of a path: object key, array index (an integral number in range), set member. */
static const gh_value *step(const gh_value *v, const gh_value *key)
{
    switch (gh_value_kind(v)) {
    case GH_KIND_OBJECT: return gh_object_get(v, key);
    case GH_KIND_ARRAY: {
        int64_t i;
        if (!bi_is(key, GH_KIND_NUMBER) || !gh_number_get_int(key, &i) || i < 0) return NULL;
        return gh_array_get(v, (size_t)i);
    }
    case GH_KIND_SET: return gh_set_contains(v, key) ? key : NULL;
    default: return NULL;
    }
}

static int bi_get(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int rc = need_object(bc, "object.get", args[0], 1);
    if (rc) return rc;
    const gh_value *obj = args[0], *key = args[1];
    if (!bi_is(key, GH_KIND_ARRAY)) {
        const gh_value *v = gh_object_get(obj, key);
        *out = v ? v : args[2];
        return 0;
    }
    const gh_value *v = obj;
    for (size_t i = 0, n = gh_value_len(key); i < n && v; i++) v = step(v, gh_array_get(key, i));
    *out = v ? v : args[2];
    return 0;
}

static int bi_keys(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int rc = need_object(bc, "object.keys", args[0], 1);
    if (rc) return rc;
    size_t n = gh_value_len(args[0]);
    const gh_value **keys = bi_ptrs(bc, n);
    if (!keys) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++) keys[i] = gh_object_key_at(args[0], i);
    return bi_ret(out, gh_value_set(bc->arena, keys, n));
}

/* The keys operand of remove/filter: an array, set or object (its keys), as a set. */
static int key_set(gh_bctx *bc, const char *name, const gh_value *v, const gh_value **out)
{
    size_t n = gh_value_len(v);
    const gh_value **items;
    switch (gh_value_kind(v)) {
    case GH_KIND_SET: *out = v; return 0;
    case GH_KIND_ARRAY:
    case GH_KIND_OBJECT:
        items = bi_ptrs(bc, n);
        if (!items) return GH_ENOMEM;
        for (size_t i = 0; i < n; i++)
            items[i] = bi_is(v, GH_KIND_ARRAY) ? gh_array_get(v, i) : gh_object_key_at(v, i);
        return bi_ret(out, gh_value_set(bc->arena, items, n));
    default: return bi_type_err(bc, name, 2, v, "object, set, array");
    }
}

/* Members of obj whose key is (keep) or is not (!keep) in keys. */
static int select_keys(gh_bctx *bc, const char *name, const gh_value *const *args, bool keep,
                       const gh_value **out)
{
    int rc = need_object(bc, name, args[0], 1);
    const gh_value *keys = NULL;
    if (!rc) rc = key_set(bc, name, args[1], &keys);
    if (rc) return rc;
    const gh_value *obj = args[0];
    size_t n = gh_value_len(obj), m = 0;
    const gh_value **ks = bi_ptrs(bc, n), **vs = bi_ptrs(bc, n);
    if (!ks || !vs) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const gh_value *k = gh_object_key_at(obj, i);
        if (gh_set_contains(keys, k) == keep) {
            ks[m] = k;
            vs[m++] = gh_object_value_at(obj, i);
        }
    }
    if (m == n) return bi_ret(out, obj);
    return gh_value_object(bc->arena, ks, vs, m, out, NULL);
}

static int bi_remove(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return select_keys(bc, "object.remove", args, false, out);
}

static int bi_filter(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return select_keys(bc, "object.filter", args, true, out);
}

/* Recursive merge: b's value wins, except that two objects under one key are merged. */
static int merge(gh_bctx *bc, const gh_value *a, const gh_value *b, const gh_value **out)
{
    size_t na = gh_value_len(a), nb = gh_value_len(b), m = 0;
    if (nb == 0) return bi_ret(out, a);
    if (na == 0) return bi_ret(out, b);
    const gh_value **ks = bi_ptrs(bc, na + nb), **vs = bi_ptrs(bc, na + nb);
    if (!ks || !vs) return GH_ENOMEM;
    for (size_t i = 0; i < na; i++) {
        const gh_value *k = gh_object_key_at(a, i), *va = gh_object_value_at(a, i);
        const gh_value *vb = gh_object_get(b, k);
        if (vb && bi_is(va, GH_KIND_OBJECT) && bi_is(vb, GH_KIND_OBJECT)) {
            int rc = merge(bc, va, vb, &va);
            if (rc) return rc;
        } else if (vb) {
            va = vb;
        }
        ks[m] = k;
        vs[m++] = va;
    }
    for (size_t i = 0; i < nb; i++) {
        const gh_value *k = gh_object_key_at(b, i);
        if (gh_object_get(a, k)) continue;
        ks[m] = k;
        vs[m++] = gh_object_value_at(b, i);
    }
    return gh_value_object(bc->arena, ks, vs, m, out, NULL);
}

static int bi_union(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int rc = need_object(bc, "object.union", args[0], 1);
    if (!rc) rc = need_object(bc, "object.union", args[1], 2);
    if (rc) return rc;
    if (gh_value_equal(args[0], args[1])) return bi_ret(out, args[0]);
    return merge(bc, args[0], args[1], out);
}

static int bi_union_n(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    const gh_value *arr = args[0];
    if (!bi_is(arr, GH_KIND_ARRAY)) return bi_type_err(bc, "object.union_n", 1, arr, "array");
    size_t n = gh_value_len(arr);
    for (size_t i = 0; i < n; i++)
        if (!bi_is(gh_array_get(arr, i), GH_KIND_OBJECT))
            return bi_elem_err(bc, "object.union_n", 1, arr, gh_array_get(arr, i), "object");
    const gh_value *acc = NULL;
    int rc = gh_value_object(bc->arena, NULL, NULL, 0, &acc, NULL);
    for (size_t i = 0; i < n && rc == 0; i++) rc = merge(bc, acc, gh_array_get(arr, i), &acc);
    if (rc) return rc;
    return bi_ret(out, acc);
}

/* ---- object.subset ---- */

static bool subset_of(const gh_value *super, const gh_value *sub, bool *ok);

static bool set_subset(const gh_value *super, const gh_value *sub)
{
    for (size_t i = 0; i < gh_value_len(sub); i++)
        if (!gh_set_contains(super, gh_set_item_at(sub, i))) return false;
    return true;
}

/* sub appears contiguously, in order, in super. */
static bool array_subset(const gh_value *super, const gh_value *sub)
{
    size_t n = gh_value_len(super), m = gh_value_len(sub);
    if (m == 0) return true;
    for (size_t i = 0; i + m <= n; i++) {
        size_t j = 0;
        while (j < m && gh_value_equal(gh_array_get(super, i + j), gh_array_get(sub, j))) j++;
        if (j == m) return true;
    }
    return false;
}

static bool array_set_subset(const gh_value *super, const gh_value *sub)
{
    for (size_t i = 0; i < gh_value_len(sub); i++) {
        const gh_value *x = gh_set_item_at(sub, i);
        bool found = false;
        for (size_t j = 0; j < gh_value_len(super) && !found; j++)
            found = gh_value_equal(gh_array_get(super, j), x);
        if (!found) return false;
    }
    return true;
}

static bool object_subset(const gh_value *super, const gh_value *sub)
{
    for (size_t i = 0; i < gh_value_len(sub); i++) {
        const gh_value *sv = gh_object_value_at(sub, i);
        const gh_value *pv = gh_object_get(super, gh_object_key_at(sub, i));
        if (!pv) return false;
        if (gh_value_equal(pv, sv)) continue;
        bool ok;
        if (!subset_of(pv, sv, &ok) || !ok) return false;
    }
    return true;
}

/* false in *ok when the pair is not a combination subset understands. */
static bool subset_of(const gh_value *super, const gh_value *sub, bool *ok)
{
    gh_kind p = gh_value_kind(super), b = gh_value_kind(sub);
    *ok = true;
    if (p == GH_KIND_OBJECT && b == GH_KIND_OBJECT) return object_subset(super, sub);
    if (p == GH_KIND_SET && b == GH_KIND_SET) return set_subset(super, sub);
    if (p == GH_KIND_ARRAY && b == GH_KIND_ARRAY) return array_subset(super, sub);
    if (p == GH_KIND_ARRAY && b == GH_KIND_SET) return array_set_subset(super, sub);
    *ok = false;
    return false;
}

static int bi_subset(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const want = "object, set, array";
    for (int i = 0; i < 2; i++) {
        gh_kind k = gh_value_kind(args[i]);
        if (k != GH_KIND_OBJECT && k != GH_KIND_SET && k != GH_KIND_ARRAY)
            return bi_type_err(bc, "object.subset", i + 1, args[i], want);
    }
    bool ok;
    bool r = subset_of(args[0], args[1], &ok);
    if (!ok)
        return gh_builtin_error(bc, GH_ERR_TYPE,
                                "object.subset: both arguments to object.subset must be of the same type or array and set");
    *out = gh_value_bool(r);
    return 0;
}

static const gh_builtin table[] = {
    BI_FN("object.get", 3, "(object[any: any], any, any) => any", bi_get),
    BI_FN("object.keys", 1, "(object[any: any]) => set[any]", bi_keys),
    BI_FN("object.remove", 2,
          "(object[any: any], any<array[any], set[any], object[any: any]>) => any", bi_remove),
    BI_FN("object.filter", 2,
          "(object[any: any], any<array[any], set[any], object[any: any]>) => any", bi_filter),
    BI_FN("object.union", 2, "(object[any: any], object[any: any]) => any", bi_union),
    BI_FN("object.union_n", 1, "(array[object[any: any]]) => any", bi_union_n),
    BI_FN("object.subset", 2,
          "(any<object[any: any], set[any], array[any]>, any<object[any: any], set[any], array[any]>) => any",
          bi_subset),
};
BI_FAMILY(objects, table);
