/* Number builtins: numbers.range, numbers.range_step (inclusive, descending when a > b),
 * and time.now_ns (the evaluation's fixed clock). */
#include "builtins/bi_internal.h"

#include <math.h>

/* OPA's BigIntOperand: "must be integer" for non-numbers, as its message words it. */
static int int_operand(gh_bctx *bc, const char *name, const gh_value *v, int pos, int64_t *out)
{
    if (!bi_is(v, GH_KIND_NUMBER)) return bi_type_err(bc, name, pos, v, "integer");
    if (!gh_number_get_int(v, out)) {
        bnum b;
        bi_num_get(v, &b);
        if (b.f == floorl(b.f)) return bi_builtin_err(bc, name, "integer operand out of range");
        return bi_operand_err(bc, name, pos, "must be integer number but got floating-point number");
    }
    return 0;
}

static int range(gh_bctx *bc, int64_t a, int64_t b, int64_t step, const gh_value **out)
{
    __int128 span = a <= b ? (__int128)b - a : (__int128)a - b;
    __int128 count = span / step + 1;
    if (count > (__int128)(SIZE_MAX / sizeof(gh_value *) / 2)) return GH_ELIMIT;
    const gh_value **items = bi_ptrs(bc, (size_t)count);
    if (!items) return GH_ENOMEM;
    for (__int128 i = 0; i < count; i++) {
        __int128 x = a <= b ? a + i * step : a - i * step;
        if (!(items[i] = bi_int(bc, (int64_t)x))) return GH_ENOMEM;
    }
    return bi_ret(out, gh_value_array(bc->arena, items, (size_t)count));
}

static int bi_range(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    int64_t a, b;
    int rc = int_operand(bc, "numbers.range", args[0], 1, &a);
    if (!rc) rc = int_operand(bc, "numbers.range", args[1], 2, &b);
    return rc ? rc : range(bc, a, b, 1, out);
}

static int bi_range_step(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "numbers.range_step";
    int64_t a, b, step;
    int rc = int_operand(bc, name, args[0], 1, &a);
    if (!rc) rc = int_operand(bc, name, args[1], 2, &b);
    if (!rc) rc = int_operand(bc, name, args[2], 3, &step);
    if (rc) return rc;
    /* OPA's own message carries the name once more: its wrapper prefixes it again */
    if (step <= 0) return bi_builtin_err(bc, name, "numbers.range_step: step must be a positive integer");
    return range(bc, a, b, step, out);
}

static int bi_now_ns(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    (void)args;
    return bi_ret(out, bi_int(bc, bc->now_ns));
}

/* rand.intn(str, n): a random integer in [0, |n|), the same for the same (str, n) within
 * one evaluation. */
static int bi_rand_intn(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "rand.intn";
    size_t sl;
    if (!gh_string_ptr(args[0], &sl)) return bi_type_err(bc, name, 1, args[0], "string");
    int64_t n;
    int rc = bi_int_arg(bc, name, args[1], 2, &n);
    if (rc) return rc;
    if (n == 0) return bi_ret(out, bi_int(bc, 0));
    uint64_t m = n < 0 ? -(uint64_t)n : (uint64_t)n;
    const gh_value *parts[2] = {args[0], bi_int(bc, (int64_t)m)};
    const gh_value *key = parts[1] ? gh_value_array(bc->arena, parts, 2) : NULL;
    if (!key) return GH_ENOMEM;
    const gh_value *v = bi_memo_get(bc, name, key);
    if (v) return bi_ret(out, v);
    uint64_t r, lim = UINT64_MAX - UINT64_MAX % m; /* no modulo bias */
    do {
        if (!bi_random(&r, sizeof r)) return bi_builtin_err(bc, name, "no randomness available");
    } while (r >= lim);
    if (!(v = bi_int(bc, (int64_t)(r % m)))) return GH_ENOMEM;
    rc = bi_memo_put(bc, name, key, v);
    return rc ? rc : bi_ret(out, v);
}

static const gh_builtin table[] = {
    BI_FNF("rand.intn", 2, "(string, number) => number", bi_rand_intn, GH_BI_NONDETERMINISTIC),
    BI_FN("numbers.range", 2, "(number, number) => array[number]", bi_range),
    BI_FN("numbers.range_step", 3, "(number, number, number) => array[number]", bi_range_step),
    BI_FNF("time.now_ns", 0, "() => number", bi_now_ns, GH_BI_NONDETERMINISTIC),
};
BI_FAMILY(numbers, table);
