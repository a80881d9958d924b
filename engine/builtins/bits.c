/* Bitwise builtins on integers: bits.or bits.and bits.xor bits.negate bits.lsh bits.rsh
 * (int64 here; OPA's big.Int beyond that is not needed by any policy we know of). */
#include "builtins/bi_internal.h"

static int two_ints(gh_bctx *bc, const char *name, const gh_value *const *args, int64_t *x, int64_t *y)
{
    int rc = bi_int_arg(bc, name, args[0], 1, x);
    return rc ? rc : bi_int_arg(bc, name, args[1], 2, y);
}

#define BITS2(fname, bname, expr)                                                            \
    static int fname(gh_bctx *bc, const gh_value *const *args, const gh_value **out)      \
    {                                                                                        \
        int64_t x, y;                                                                        \
        int rc = two_ints(bc, bname, args, &x, &y);                                          \
        if (rc) return rc;                                                                   \
        return bi_ret(out, bi_int(bc, (expr)));                                              \
    }

BITS2(bi_or, "bits.or", x | y)
BITS2(bi_and, "bits.and", x & y)
BITS2(bi_xor, "bits.xor", x ^ y)

static int bi_negate(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int64_t x;
    int rc = bi_int_arg(bc, "bits.negate", args[0], 1, &x);
    return rc ? rc : bi_ret(out, bi_int(bc, ~x));
}

static int shift(gh_bctx *bc, const char *name, bool left, const gh_value *const *args,
                 const gh_value **out)
{
    int64_t x, s;
    int rc = two_ints(bc, name, args, &x, &s);
    if (rc) return rc;
    if (s < 0) return bi_operand_err(bc, name, 2, "must be an unsigned integer number but got a negative integer");
    if (!left) return bi_ret(out, bi_int(bc, s >= 63 ? (x < 0 ? -1 : 0) : x >> s));
    if (x == 0) return bi_ret(out, args[0]);
    uint64_t mag = x < 0 ? -(uint64_t)x : (uint64_t)x;
    int bits = 64 - __builtin_clzll(mag);
    if (s + bits > 126) return bi_builtin_err(bc, name, "shift too large");
    return bi_ret(out, bi_num_from_i128(bc, (__int128)x * ((__int128)1 << s)));
}

static int bi_lsh(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return shift(bc, "bits.lsh", true, args, out);
}

static int bi_rsh(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return shift(bc, "bits.rsh", false, args, out);
}

static const gh_builtin table[] = {
    BI_FN("bits.or", 2, "(number, number) => number", bi_or),
    BI_FN("bits.and", 2, "(number, number) => number", bi_and),
    BI_FN("bits.xor", 2, "(number, number) => number", bi_xor),
    BI_FN("bits.negate", 1, "(number) => number", bi_negate),
    BI_FN("bits.lsh", 2, "(number, number) => number", bi_lsh),
    BI_FN("bits.rsh", 2, "(number, number) => number", bi_rsh),
};
BI_FAMILY(bits, table);
