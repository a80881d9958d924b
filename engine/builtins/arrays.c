/* Array builtins: array.concat, array.slice (clamped indices, as OPA), array.reverse. */
#include "builtins/bi_internal.h"

static int bi_concat(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    for (int i = 0; i < 2; i++)
        if (!bi_is(args[i], GH_KIND_ARRAY)) return bi_type_err(bc, "array.concat", i + 1, args[i], "array");
    size_t na = gh_value_len(args[0]), nb = gh_value_len(args[1]);
    if (nb == 0) return bi_ret(out, args[0]);
    if (na == 0) return bi_ret(out, args[1]);
    const gh_value **items = bi_ptrs(bc, na + nb);
    if (!items) return GH_ENOMEM;
    for (size_t i = 0; i < na; i++) items[i] = gh_array_get(args[0], i);
    for (size_t i = 0; i < nb; i++) items[na + i] = gh_array_get(args[1], i);
    return bi_ret(out, gh_value_array(bc->arena, items, na + nb));
}

static int bi_slice(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    const gh_value *arr = args[0];
    if (!bi_is(arr, GH_KIND_ARRAY)) return bi_type_err(bc, "array.slice", 1, arr, "array");
    int64_t start, stop, n = (int64_t)gh_value_len(arr);
    int rc = bi_int_arg(bc, "array.slice", args[1], 2, &start);
    if (!rc) rc = bi_int_arg(bc, "array.slice", args[2], 3, &stop);
    if (rc) return rc;
    if (stop < 0) stop = 0;
    else if (stop > n) stop = n;
    if (start < 0) start = 0;
    else if (start > stop) start = stop;
    if (start == 0 && stop == n) return bi_ret(out, arr);
    const gh_value **items = bi_ptrs(bc, (size_t)(stop - start));
    if (!items) return GH_ENOMEM;
    for (int64_t i = start; i < stop; i++) items[i - start] = gh_array_get(arr, (size_t)i);
    return bi_ret(out, gh_value_array(bc->arena, items, (size_t)(stop - start)));
}

static int bi_reverse(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    const gh_value *arr = args[0];
    if (!bi_is(arr, GH_KIND_ARRAY)) return bi_type_err(bc, "array.reverse", 1, arr, "array");
    size_t n = gh_value_len(arr);
    const gh_value **items = bi_ptrs(bc, n);
    if (!items) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++) items[i] = gh_array_get(arr, n - 1 - i);
    return bi_ret(out, gh_value_array(bc->arena, items, n));
}

/* array.flatten: the elements of nested arrays spliced in, one level deep; other values
 * kept. */
static int flatten_into(gh_bctx *bc, const gh_value *arr, int depth, const gh_value ***items,
                        size_t *n, size_t *cap)
{
    for (size_t i = 0; i < gh_value_len(arr); i++) {
        const gh_value *x = gh_array_get(arr, i);
        if (bi_is(x, GH_KIND_ARRAY) && depth == 0) {
            int rc = flatten_into(bc, x, 1, items, n, cap);
            if (rc) return rc;
            continue;
        }
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            const gh_value **ni = gh_arena_realloc(bc->arena, *items, *cap * sizeof *ni, nc * sizeof *ni);
            if (!ni) return GH_ENOMEM;
            *items = ni;
            *cap = nc;
        }
        (*items)[(*n)++] = x;
    }
    return 0;
}

static int bi_flatten(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    if (!bi_is(args[0], GH_KIND_ARRAY)) return bi_type_err(bc, "array.flatten", 1, args[0], "array");
    const gh_value **items = NULL;
    size_t n = 0, cap = 0;
    int rc = flatten_into(bc, args[0], 0, &items, &n, &cap);
    if (rc) return rc;
    return bi_ret(out, gh_value_array(bc->arena, items, n));
}

static const gh_builtin table[] = {
    BI_FN("array.flatten", 1, "(array[any]) => array[any]", bi_flatten),
    BI_FN("array.concat", 2, "(array[any], array[any]) => array[any]", bi_concat),
    BI_FN("array.slice", 3, "(array[any], number, number) => array[any]", bi_slice),
    BI_FN("array.reverse", 1, "(array[any]) => array[any]", bi_reverse),
};
BI_FAMILY(arrays, table);
