/* Type builtins: is_number is_string is_boolean is_array is_set is_object is_null (false,
 * not undefined, for other kinds, as OPA 1.x) and type_name; and opa.runtime. */
#include "builtins/bi_internal.h"

#define IS_FN(fname, kind)                                                                   \
    static int fname(gh_bctx *bc, const gh_value *const *args, const gh_value **out)      \
    {                                                                                        \
        (void)bc;                                                                            \
        *out = gh_value_bool(bi_is(args[0], kind));                                          \
        return 0;                                                                            \
    }

IS_FN(bi_is_number, GH_KIND_NUMBER)
IS_FN(bi_is_string, GH_KIND_STRING)
IS_FN(bi_is_boolean, GH_KIND_BOOL)
IS_FN(bi_is_array, GH_KIND_ARRAY)
IS_FN(bi_is_set, GH_KIND_SET)
IS_FN(bi_is_object, GH_KIND_OBJECT)
IS_FN(bi_is_null, GH_KIND_NULL)

static int bi_type_name(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    const char *n = gh_kind_name(gh_value_kind(args[0]));
    return bi_ret(out, bi_str(bc, n, strlen(n)));
}

/* opa.runtime: what the host says about itself (the VM's bc->runtime), else {}. */
static int bi_opa_runtime(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    (void)args;
    if (bc->runtime) return bi_ret(out, bc->runtime);
    return gh_value_object(bc->arena, NULL, NULL, 0, out, NULL);
}

static const gh_builtin table[] = {
    BI_FNF("opa.runtime", 0, "() => object[string: any]", bi_opa_runtime, GH_BI_NONDETERMINISTIC),
    BI_FN("is_number", 1, "(any) => boolean", bi_is_number),
    BI_FN("is_string", 1, "(any) => boolean", bi_is_string),
    BI_FN("is_boolean", 1, "(any) => boolean", bi_is_boolean),
    BI_FN("is_array", 1, "(any) => boolean", bi_is_array),
    BI_FN("is_set", 1, "(any) => boolean", bi_is_set),
    BI_FN("is_object", 1, "(any) => boolean", bi_is_object),
    BI_FN("is_null", 1, "(any) => boolean", bi_is_null),
    BI_FN("type_name", 1, "(any) => string", bi_type_name),
};
BI_FAMILY(types, table);
