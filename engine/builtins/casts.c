/* Conversions: to_number, and the deprecated cast_* builtins (identity or a type error). */
#include "builtins/bi_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <strings.h>

/* Go's strconv.ParseFloat syntax, roughly: optional sign, decimal or hex float, "inf",
 * "infinity", "nan", underscores only between digits after a base prefix. strtod covers
 * decimal and hex; we reject what Go rejects and strtod accepts (leading spaces, "0x" with no
 * digits). */
static bool go_parse_float(const char *s, size_t n, double *out, bool *range)
{
    char buf[512];
    if (n == 0 || n >= sizeof buf) return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (buf[0] == ' ' || buf[0] == '\t' || buf[0] == '\n' || buf[0] == '\r' || buf[0] == '\v' ||
        buf[0] == '\f')
        return false;
    char *end;
    errno = 0;
    *out = strtod(buf, &end);
    if (end != buf + n) return false;
    *range = errno == ERANGE && (*out == HUGE_VAL || *out == -HUGE_VAL);
    return true;
}

static int bi_to_number(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    const gh_value *v = args[0];
    switch (gh_value_kind(v)) {
    case GH_KIND_NULL: return bi_ret(out, bi_int(bc, 0));
    case GH_KIND_BOOL: return bi_ret(out, bi_int(bc, gh_value_get_bool(v) ? 1 : 0));
    case GH_KIND_NUMBER: *out = v; return 0;
    case GH_KIND_STRING: break;
    default: return bi_type_err(bc, "to_number", 1, v, "null, boolean, number, string");
    }
    size_t n;
    const char *s = gh_string_ptr(v, &n);
    size_t k = 0;
    while (k < n && (s[k] == '+' || s[k] == '-')) k++;
    if ((n - k == 3 && (strncasecmp(s + k, "inf", 3) == 0 || strncasecmp(s + k, "nan", 3) == 0)) ||
        (n - k == 8 && strncasecmp(s + k, "infinity", 8) == 0))
        return bi_type_err(bc, "to_number", 1, v, "valid number string");
    double d;
    bool range = false;
    if (!go_parse_float(s, n, &d, &range))
        return gh_builtin_error(bc, GH_ERR_BUILTIN,
                                "to_number: strconv.ParseFloat: parsing %.*s%.*s%.*s: invalid syntax",
                                1, "\"", (int)(n > 400 ? 400 : n), s, 1, "\"");
    if (range)
        return gh_builtin_error(bc, GH_ERR_BUILTIN,
                                "to_number: strconv.ParseFloat: parsing \"%.*s\": value out of range",
                                (int)(n > 400 ? 400 : n), s);
    /* OPA keeps the string as the number's text; ours must be JSON number syntax */
    const gh_value *num = bi_num_text(bc, s, n);
    if (num) return bi_ret(out, num);
    return bi_ret(out, bi_num_from_ld(bc, strtold(gh_arena_strndup(bc->arena, s, n), NULL)));
}

#define CAST_FN(fname, bname, kind, want)                                                    \
    static int fname(gh_bctx *bc, const gh_value *const *args, const gh_value **out)      \
    {                                                                                        \
        if (!bi_is(args[0], kind)) return bi_type_err(bc, bname, 1, args[0], want);          \
        *out = args[0];                                                                      \
        return 0;                                                                            \
    }

CAST_FN(bi_cast_string, "cast_string", GH_KIND_STRING, "string")
CAST_FN(bi_cast_boolean, "cast_boolean", GH_KIND_BOOL, "boolean")
CAST_FN(bi_cast_null, "cast_null", GH_KIND_NULL, "null")
CAST_FN(bi_cast_object, "cast_object", GH_KIND_OBJECT, "object")

static int bi_cast_array(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    const gh_value *v = args[0];
    if (bi_is(v, GH_KIND_ARRAY)) return bi_ret(out, v);
    if (!bi_is(v, GH_KIND_SET)) return bi_type_err(bc, "cast_array", 1, v, "array, set");
    size_t n = gh_value_len(v);
    const gh_value **items = bi_ptrs(bc, n);
    if (!items) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++) items[i] = gh_set_item_at(v, i);
    return bi_ret(out, gh_value_array(bc->arena, items, n));
}

static int bi_cast_set(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    const gh_value *v = args[0];
    if (bi_is(v, GH_KIND_SET)) return bi_ret(out, v);
    if (!bi_is(v, GH_KIND_ARRAY)) return bi_type_err(bc, "cast_set", 1, v, "array, set");
    size_t n = gh_value_len(v);
    const gh_value **items = bi_ptrs(bc, n);
    if (!items) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++) items[i] = gh_array_get(v, i);
    return bi_ret(out, gh_value_set(bc->arena, items, n));
}

static const gh_builtin table[] = {
    BI_FN("to_number", 1, "(any<number, string, boolean, null>) => number", bi_to_number),
    BI_FNF("cast_array", 1, "(any) => array[any]", bi_cast_array, GH_BI_DEPRECATED),
    BI_FNF("cast_set", 1, "(any) => set[any]", bi_cast_set, GH_BI_DEPRECATED),
    BI_FNF("cast_string", 1, "(any) => string", bi_cast_string, GH_BI_DEPRECATED),
    BI_FNF("cast_boolean", 1, "(any) => boolean", bi_cast_boolean, GH_BI_DEPRECATED),
    BI_FNF("cast_null", 1, "(any) => null", bi_cast_null, GH_BI_DEPRECATED),
    BI_FNF("cast_object", 1, "(any) => object[any: any]", bi_cast_object, GH_BI_DEPRECATED),
};
BI_FAMILY(casts, table);
