/* Comparison builtins: equal neq lt lte gt gte. They never fail: values of different kinds
 * compare by OPA's total order (null < boolean < number < string < array < object < set). */
#include "builtins/bi_internal.h"

static int bi_equal(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    (void)bc;
    *out = gh_value_bool(gh_value_equal(args[0], args[1]));
    return 0;
}

static int bi_neq(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    (void)bc;
    *out = gh_value_bool(!gh_value_equal(args[0], args[1]));
    return 0;
}

static int bi_lt(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    (void)bc;
    *out = gh_value_bool(gh_value_compare(args[0], args[1]) < 0);
    return 0;
}

static int bi_lte(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    (void)bc;
    *out = gh_value_bool(gh_value_compare(args[0], args[1]) <= 0);
    return 0;
}

static int bi_gt(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    (void)bc;
    *out = gh_value_bool(gh_value_compare(args[0], args[1]) > 0);
    return 0;
}

static int bi_gte(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    (void)bc;
    *out = gh_value_bool(gh_value_compare(args[0], args[1]) >= 0);
    return 0;
}

static const gh_builtin table[] = {
    BI_OP("equal", "==", 2, "(any, any) => boolean", bi_equal),
    BI_OP("neq", "!=", 2, "(any, any) => boolean", bi_neq),
    BI_OP("lt", "<", 2, "(any, any) => boolean", bi_lt),
    BI_OP("lte", "<=", 2, "(any, any) => boolean", bi_lte),
    BI_OP("gt", ">", 2, "(any, any) => boolean", bi_gt),
    BI_OP("gte", ">=", 2, "(any, any) => boolean", bi_gte),
};
BI_FAMILY(compare, table);
