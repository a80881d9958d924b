/* Arithmetic builtins: plus minus mul div rem abs round ceil floor. As OPA: ints are exact
 * (here int64 widened to 128 bits), everything else is computed on a 64-bit-mantissa float
 * (long double) and printed back the way OPA's big.Float formatting does. `minus` also
 * subtracts sets. Unary minus is the VM's (it compiles to 0 - x or a negation). */
#include "builtins/bi_internal.h"

#include <math.h>

enum { OP_PLUS, OP_MINUS, OP_MUL, OP_DIV, OP_REM };
static const char *const op_names[] = {"plus", "minus", "mul", "div", "rem"};

/* An integral long double that fits 127 bits as an exact __int128. */
static bool ld_to_i128(long double f, __int128 *out)
{
    if (f != floorl(f) || fabsl(f) >= 1.7e38L) return false;
    *out = (__int128)f;
    return true;
}

static int int_op(gh_bctx *bc, int op, __int128 x, __int128 y, const gh_value **out, bool *done)
{
    __int128 r;
    *done = true;
    switch (op) {
    case OP_PLUS:
        if (__builtin_add_overflow(x, y, &r)) break;
        return bi_ret(out, bi_num_from_i128(bc, r));
    case OP_MINUS:
        if (__builtin_sub_overflow(x, y, &r)) break;
        return bi_ret(out, bi_num_from_i128(bc, r));
    case OP_MUL:
        if (__builtin_mul_overflow(x, y, &r)) break;
        return bi_ret(out, bi_num_from_i128(bc, r));
    case OP_DIV:
        if (y == 0) return bi_builtin_err(bc, "div", "divide by zero");
        /* exact only when the divisor divides a nonzero dividend (0 / -1 is -0) */
        if (x != 0 && x % y == 0) return bi_ret(out, bi_num_from_i128(bc, x / y));
        break;
    case OP_REM:
        if (y == 0) return bi_builtin_err(bc, "rem", "modulo by zero");
        return bi_ret(out, bi_num_from_i128(bc, x % y));
    }
    *done = false;
    return 0;
}

static int float_op(gh_bctx *bc, int op, long double x, long double y, const gh_value **out)
{
    long double r = 0;
    switch (op) {
    case OP_PLUS: r = x + y; break;
    case OP_MINUS: r = x - y; break;
    case OP_MUL: r = x * y; break;
    case OP_DIV:
        if (y == 0) return bi_builtin_err(bc, "div", "divide by zero");
        r = x / y;
        break;
    case OP_REM:
        if (x != floorl(x) || y != floorl(y) || !isfinite(x) || !isfinite(y))
            return bi_builtin_err(bc, "rem", "modulo on floating-point number");
        if (y == 0) return bi_builtin_err(bc, "rem", "modulo by zero");
        r = fmodl(x, y); /* exact on integers */
        break;
    }
    const gh_value *v = bi_num_from_ld(bc, r);
    if (!v && !isfinite(r)) return bi_builtin_err(bc, op_names[op], "number out of range");
    return bi_ret(out, v);
}

static int arith(gh_bctx *bc, int op, const gh_value *a, const gh_value *b, const gh_value **out)
{
    bnum x, y;
    bi_num_get(a, &x);
    bi_num_get(b, &y);
    __int128 xi, yi;
    bool xe = x.is_int ? (xi = x.i, true) : ld_to_i128(x.f, &xi);
    bool ye = y.is_int ? (yi = y.i, true) : ld_to_i128(y.f, &yi);
    if (xe && ye) {
        bool done;
        int rc = int_op(bc, op, xi, yi, out, &done);
        if (done) return rc;
    }
    return float_op(bc, op, x.f, y.f, out);
}

static int binary(gh_bctx *bc, int op, const gh_value *const *args, const gh_value **out)
{
    for (int i = 0; i < 2; i++)
        if (!bi_is(args[i], GH_KIND_NUMBER)) return bi_type_err(bc, op_names[op], i + 1, args[i], "number");
    return arith(bc, op, args[0], args[1], out);
}

static int bi_plus(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return binary(bc, OP_PLUS, args, out);
}

static int bi_mul(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return binary(bc, OP_MUL, args, out);
}

static int bi_div(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return binary(bc, OP_DIV, args, out);
}

static int bi_rem(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return binary(bc, OP_REM, args, out);
}

/* Set difference: the members of a not in b (both sorted, so a merge). */
static int set_diff(gh_bctx *bc, const gh_value *a, const gh_value *b, const gh_value **out)
{
    size_t na = gh_value_len(a), m = 0;
    if (na == 0 || gh_value_len(b) == 0) return bi_ret(out, a);
    const gh_value **items = bi_ptrs(bc, na);
    if (!items) return GH_ENOMEM;
    for (size_t i = 0; i < na; i++) {
        const gh_value *x = gh_set_item_at(a, i);
        if (!gh_set_contains(b, x)) items[m++] = x;
    }
    return bi_ret(out, gh_value_set(bc->arena, items, m));
}

static int bi_minus(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    bool n1 = bi_is(args[0], GH_KIND_NUMBER), n2 = bi_is(args[1], GH_KIND_NUMBER);
    bool s1 = bi_is(args[0], GH_KIND_SET), s2 = bi_is(args[1], GH_KIND_SET);
    if (n1 && n2) return arith(bc, OP_MINUS, args[0], args[1], out);
    if (s1 && s2) return set_diff(bc, args[0], args[1], out);
    if (!n1 && !s1) return bi_type_err(bc, "minus", 1, args[0], "number, set");
    if (n2) return bi_type_err(bc, "minus", 2, args[1], "set");
    return bi_type_err(bc, "minus", 2, args[1], "number");
}

/* ---- unary ---- */

enum { U_ABS, U_ROUND, U_CEIL, U_FLOOR };
static const char *const u_names[] = {"abs", "round", "ceil", "floor"};

static int unary(gh_bctx *bc, int op, const gh_value *const *args, const gh_value **out)
{
    if (!bi_is(args[0], GH_KIND_NUMBER)) return bi_type_err(bc, u_names[op], 1, args[0], "number");
    bnum x;
    bi_num_get(args[0], &x);
    if (x.is_int) {
        size_t tl;
        bool plain = gh_number_text(args[0], &tl) == NULL; /* "1.0" becomes 1, as in OPA */
        if (plain && (op != U_ABS || x.i >= 0)) return bi_ret(out, args[0]);
        __int128 r = op == U_ABS && x.i < 0 ? -(__int128)x.i : x.i;
        return bi_ret(out, bi_num_from_i128(bc, r));
    }
    long double f = x.f, r = f;
    switch (op) {
    case U_ABS: r = fabsl(f); break;
    /* OPA adds (or subtracts) one half at 64-bit precision and truncates */
    case U_ROUND: r = truncl(signbit(f) ? f - 0.5L : f + 0.5L); break;
    case U_CEIL: r = ceill(f); break;
    case U_FLOOR: r = floorl(f); break;
    }
    if (r == 0) r = 0; /* the result goes through big.Int, which has no negative zero */
    return bi_ret(out, bi_num_from_ld(bc, r));
}

static int bi_abs(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return unary(bc, U_ABS, args, out);
}

static int bi_round(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return unary(bc, U_ROUND, args, out);
}

static int bi_ceil(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return unary(bc, U_CEIL, args, out);
}

static int bi_floor(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return unary(bc, U_FLOOR, args, out);
}

static const gh_builtin table[] = {
    BI_OP("plus", "+", 2, "(number, number) => number", bi_plus),
    BI_OP("minus", "-", 2, "(any<number, set[any]>, any<number, set[any]>) => any<number, set[any]>",
          bi_minus),
    BI_OP("mul", "*", 2, "(number, number) => number", bi_mul),
    BI_OP("div", "/", 2, "(number, number) => number", bi_div),
    BI_OP("rem", "%", 2, "(number, number) => number", bi_rem),
    BI_FN("abs", 1, "(number) => number", bi_abs),
    BI_FN("round", 1, "(number) => number", bi_round),
    BI_FN("ceil", 1, "(number) => number", bi_ceil),
    BI_FN("floor", 1, "(number) => number", bi_floor),
};
BI_FAMILY(arith, table);
