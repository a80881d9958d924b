/* Aggregates: count sum product max min sort any all, and the `in` operator
 * (internal.member_2 / internal.member_3). Sums and products stay exact on integers (128
 * bits here; OPA's big.Int) and fall back to a 64-bit-mantissa float like OPA's big.Float. */
#include "builtins/bi_internal.h"

#include <math.h>
#include <stdlib.h>

static int bi_count(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    const gh_value *v = args[0];
    switch (gh_value_kind(v)) {
    case GH_KIND_ARRAY:
    case GH_KIND_OBJECT:
    case GH_KIND_SET: return bi_ret(out, bi_int(bc, (int64_t)gh_value_len(v)));
    case GH_KIND_STRING: {
        size_t n;
        const char *s = gh_string_ptr(v, &n);
        return bi_ret(out, bi_int(bc, (int64_t)bi_utf8_count(s, n)));
    }
    default: return bi_type_err(bc, "count", 1, v, "array, object, set, string");
    }
}

static const gh_value *item_at(const gh_value *coll, size_t i)
{
    return bi_is(coll, GH_KIND_SET) ? gh_set_item_at(coll, i) : gh_array_get(coll, i);
}

/* sum and product: exact while every element is an integer and the result fits 127 bits. */
static int fold(gh_bctx *bc, const char *name, bool mul, const gh_value *coll, const gh_value **out)
{
    if (!bi_is(coll, GH_KIND_ARRAY) && !bi_is(coll, GH_KIND_SET))
        return bi_type_err(bc, name, 1, coll, "set, array");
    size_t n = gh_value_len(coll);
    __int128 acc = mul ? 1 : 0;
    bool exact = true;
    for (size_t i = 0; i < n; i++) {
        const gh_value *x = item_at(coll, i);
        if (!bi_is(x, GH_KIND_NUMBER)) return bi_elem_err(bc, name, 1, coll, x, "number");
        bnum b;
        bi_num_get(x, &b);
        __int128 xi;
        if (b.is_int) xi = b.i;
        else if (b.f == floorl(b.f) && fabsl(b.f) < 1.7e38L) xi = (__int128)b.f;
        else {
            exact = false;
            continue; /* keep checking element types */
        }
        if (exact && (mul ? __builtin_mul_overflow(acc, xi, &acc) : __builtin_add_overflow(acc, xi, &acc)))
            exact = false;
    }
    if (exact) return bi_ret(out, bi_num_from_i128(bc, acc));
    long double f = mul ? 1 : 0;
    for (size_t i = 0; i < n; i++) {
        bnum b;
        bi_num_get(item_at(coll, i), &b);
        f = mul ? f * b.f : f + b.f;
    }
    const gh_value *v = bi_num_from_ld(bc, f);
    if (!v && !isfinite(f)) return bi_builtin_err(bc, name, "number out of range");
    return bi_ret(out, v);
}

static int bi_sum(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return fold(bc, "sum", false, args[0], out);
}

static int bi_product(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return fold(bc, "product", true, args[0], out);
}

/* max/min of an empty collection is undefined. Ties keep OPA's pick (the last maximum, the
 * last minimum of an array; a set has no equal members). */
static int extreme(gh_bctx *bc, const char *name, bool want_max, const gh_value *coll,
                   const gh_value **out)
{
    if (!bi_is(coll, GH_KIND_ARRAY) && !bi_is(coll, GH_KIND_SET))
        return bi_type_err(bc, name, 1, coll, "set, array");
    size_t n = gh_value_len(coll);
    if (n == 0) return GH_EUNDEFINED;
    const gh_value *best = item_at(coll, 0);
    for (size_t i = 1; i < n; i++) {
        const gh_value *x = item_at(coll, i);
        int c = gh_value_compare(best, x);
        if (want_max ? c <= 0 : c >= 0) best = x;
    }
    *out = best;
    return 0;
}

static int bi_max(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return extreme(bc, "max", true, args[0], out);
}

static int bi_min(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return extreme(bc, "min", false, args[0], out);
}

static int cmp_values(const void *a, const void *b)
{
    return gh_value_compare(*(const gh_value *const *)a, *(const gh_value *const *)b);
}

static int bi_sort(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    const gh_value *coll = args[0];
    if (!bi_is(coll, GH_KIND_ARRAY) && !bi_is(coll, GH_KIND_SET))
        return bi_type_err(bc, "sort", 1, coll, "set, array");
    size_t n = gh_value_len(coll);
    const gh_value **items = bi_ptrs(bc, n);
    if (!items) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++) items[i] = item_at(coll, i);
    if (bi_is(coll, GH_KIND_ARRAY)) qsort(items, n, sizeof *items, cmp_values);
    return bi_ret(out, gh_value_array(bc->arena, items, n));
}

/* Deprecated any/all: true members only count when they are exactly `true`. */
static int any_all(gh_bctx *bc, const char *name, bool all, const gh_value *coll, const gh_value **out)
{
    if (!bi_is(coll, GH_KIND_ARRAY) && !bi_is(coll, GH_KIND_SET))
        return bi_type_err(bc, name, 1, coll, "array, set");
    size_t n = gh_value_len(coll);
    for (size_t i = 0; i < n; i++) {
        bool t = gh_value_equal(item_at(coll, i), GH_TRUE);
        if (all && !t) return bi_ret(out, GH_FALSE);
        if (!all && t) return bi_ret(out, GH_TRUE);
    }
    return bi_ret(out, gh_value_bool(all));
}

static int bi_any(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return any_all(bc, "any", false, args[0], out);
}

static int bi_all(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return any_all(bc, "all", true, args[0], out);
}

/* x in coll: a set member, an array element or an object value; false for anything else. */
static int bi_member(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    (void)bc;
    const gh_value *x = args[0], *c = args[1];
    bool found = false;
    size_t n = gh_value_len(c);
    switch (gh_value_kind(c)) {
    case GH_KIND_SET: found = gh_set_contains(c, x); break;
    case GH_KIND_ARRAY:
        for (size_t i = 0; i < n && !found; i++) found = gh_value_equal(gh_array_get(c, i), x);
        break;
    case GH_KIND_OBJECT:
        for (size_t i = 0; i < n && !found; i++) found = gh_value_equal(gh_object_value_at(c, i), x);
        break;
    default: break;
    }
    *out = gh_value_bool(found);
    return 0;
}

/* k, v in coll: coll[k] == v (for a set, k is a member and k == v). */
static int bi_member_kv(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    (void)bc;
    const gh_value *k = args[0], *v = args[1], *c = args[2], *got = NULL;
    switch (gh_value_kind(c)) {
    case GH_KIND_SET: got = gh_set_contains(c, k) ? k : NULL; break;
    case GH_KIND_OBJECT: got = gh_object_get(c, k); break;
    case GH_KIND_ARRAY: {
        int64_t i;
        if (bi_is(k, GH_KIND_NUMBER) && gh_number_get_int(k, &i) && i >= 0)
            got = gh_array_get(c, (size_t)i);
        break;
    }
    default: break;
    }
    *out = gh_value_bool(got && gh_value_equal(got, v));
    return 0;
}

static const gh_builtin table[] = {
    BI_FN("count", 1, "(any<set[any], array[any], object[any: any], string>) => number", bi_count),
    BI_FN("sum", 1, "(any<set[number], array[number]>) => number", bi_sum),
    BI_FN("product", 1, "(any<set[number], array[number]>) => number", bi_product),
    BI_FN("max", 1, "(any<set[any], array[any]>) => any", bi_max),
    BI_FN("min", 1, "(any<set[any], array[any]>) => any", bi_min),
    BI_FN("sort", 1, "(any<array[any], set[any]>) => array[any]", bi_sort),
    BI_FNF("any", 1, "(any<set[any], array[any]>) => boolean", bi_any, GH_BI_DEPRECATED),
    BI_FNF("all", 1, "(any<set[any], array[any]>) => boolean", bi_all, GH_BI_DEPRECATED),
    {.name = "internal.member_2", .infix = "in", .arity = 2, .decl = "(any, any) => boolean",
     .fn = bi_member, .flags = GH_BI_INTERNAL},
    {.name = "internal.member_3", .infix = "in", .arity = 3, .decl = "(any, any, any) => boolean",
     .fn = bi_member_kv, .flags = GH_BI_INTERNAL},
};
BI_FAMILY(aggregates, table);
