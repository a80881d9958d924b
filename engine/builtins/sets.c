/* Set builtins: and (&), or (|), intersection, union, and set_diff (deprecated: OPA's older
 * name for set difference, which is otherwise `minus`; only in v0 / when capabilities ask). */
#include "builtins/bi_internal.h"

static int set_and(gh_bctx *bc, const gh_value *a, const gh_value *b, const gh_value **out)
{
    if (gh_value_len(a) > gh_value_len(b)) {
        const gh_value *t = a;
        a = b;
        b = t;
    }
    size_t n = gh_value_len(a), m = 0;
    const gh_value **items = bi_ptrs(bc, n);
    if (!items) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const gh_value *x = gh_set_item_at(a, i);
        if (gh_set_contains(b, x)) items[m++] = x;
    }
    return bi_ret(out, m == n ? a : gh_value_set(bc->arena, items, m));
}

static int set_or(gh_bctx *bc, const gh_value *a, const gh_value *b, const gh_value **out)
{
    size_t na = gh_value_len(a), nb = gh_value_len(b);
    if (nb == 0) return bi_ret(out, a);
    if (na == 0) return bi_ret(out, b);
    const gh_value **items = bi_ptrs(bc, na + nb);
    if (!items) return GH_ENOMEM;
    for (size_t i = 0; i < na; i++) items[i] = gh_set_item_at(a, i);
    for (size_t i = 0; i < nb; i++) items[na + i] = gh_set_item_at(b, i);
    return bi_ret(out, gh_value_set(bc->arena, items, na + nb));
}

static int two_sets(gh_bctx *bc, const char *name, const gh_value *const *args)
{
    for (int i = 0; i < 2; i++)
        if (!bi_is(args[i], GH_KIND_SET)) return bi_type_err(bc, name, i + 1, args[i], "set");
    return 0;
}

static int bi_and(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int rc = two_sets(bc, "and", args);
    return rc ? rc : set_and(bc, args[0], args[1], out);
}

static int bi_or(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int rc = two_sets(bc, "or", args);
    return rc ? rc : set_or(bc, args[0], args[1], out);
}

/* Every member of a set of sets must be a set: "operand 1 must be set but got number". */
static int set_of_sets(gh_bctx *bc, const char *name, const gh_value *xs)
{
    if (!bi_is(xs, GH_KIND_SET)) return bi_type_err(bc, name, 1, xs, "set");
    for (size_t i = 0; i < gh_value_len(xs); i++)
        if (!bi_is(gh_set_item_at(xs, i), GH_KIND_SET))
            return bi_type_err(bc, name, 1, gh_set_item_at(xs, i), "set");
    return 0;
}

static int bi_union(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    const gh_value *xs = args[0];
    int rc = set_of_sets(bc, "union", xs);
    if (rc) return rc;
    size_t total = 0, n = gh_value_len(xs);
    for (size_t i = 0; i < n; i++) total += gh_value_len(gh_set_item_at(xs, i));
    const gh_value **items = bi_ptrs(bc, total);
    if (!items) return GH_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const gh_value *s = gh_set_item_at(xs, i);
        for (size_t j = 0; j < gh_value_len(s); j++) items[m++] = gh_set_item_at(s, j);
    }
    return bi_ret(out, gh_value_set(bc->arena, items, m));
}

static int bi_intersection(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    const gh_value *xs = args[0];
    int rc = set_of_sets(bc, "intersection", xs);
    if (rc) return rc;
    size_t n = gh_value_len(xs);
    if (n == 0) return bi_ret(out, gh_value_set(bc->arena, NULL, 0));
    const gh_value *acc = gh_set_item_at(xs, 0);
    for (size_t i = 1; i < n && rc == 0; i++) rc = set_and(bc, acc, gh_set_item_at(xs, i), &acc);
    if (rc) return rc;
    return bi_ret(out, acc);
}

static int bi_set_diff(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int rc = two_sets(bc, "set_diff", args);
    if (rc) return rc;
    size_t n = gh_value_len(args[0]), m = 0;
    const gh_value **items = bi_ptrs(bc, n ? n : 1);
    if (!items) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const gh_value *x = gh_set_item_at(args[0], i);
        if (!gh_set_contains(args[1], x)) items[m++] = x;
    }
    return bi_ret(out, m == n ? args[0] : gh_value_set(bc->arena, items, m));
}

static const gh_builtin table[] = {
    BI_OP("and", "&", 2, "(set[any], set[any]) => set[any]", bi_and),
    BI_OP("or", "|", 2, "(set[any], set[any]) => set[any]", bi_or),
    BI_FN("union", 1, "(set[set[any]]) => set[any]", bi_union),
    BI_FN("intersection", 1, "(set[set[any]]) => set[any]", bi_intersection),
    BI_FNF("set_diff", 2, "(set[any], set[any]) => set[any]", bi_set_diff, GH_BI_DEPRECATED),
};
BI_FAMILY(sets, table);
