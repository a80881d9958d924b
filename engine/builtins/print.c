/* print: formats its arguments space-separated (strings raw, other values as Rego text,
 * undefined ones as <undefined>) and hands the line to the evaluation's print hook. Two
 * forms: `print` (variadic; the VM passes NULL for an undefined argument) and OPA's
 * `internal.print` (one array of sets, each the values an argument took; every combination
 * prints a line). */
#include "builtins/bi_internal.h"

#include <stdio.h>

static void emit(gh_bctx *bc, const char *msg, size_t len)
{
    if (bc->print) bc->print(bc->print_ud, bc->loc, msg, len);
    else fprintf(stderr, "%.*s\n", (int)len, msg);
}

static void put_value(gh_buf *b, const gh_value *v)
{
    size_t n;
    const char *s = gh_string_ptr(v, &n);
    if (s) gh_buf_append(b, s, n);
    else gh_value_to_rego(b, v);
}

static int bi_print(gh_bctx *bc, const gh_value *const *args, size_t nargs, const gh_value **out)
{
    gh_buf b;
    gh_buf_init(&b, 1u << 24);
    for (size_t i = 0; i < nargs; i++) {
        if (i) gh_buf_putc(&b, ' ');
        if (args[i]) put_value(&b, args[i]);
        else gh_buf_puts(&b, "<undefined>");
    }
    int rc = b.failed ? GH_ENOMEM : 0;
    if (!rc) emit(bc, b.data ? b.data : "", b.len);
    gh_buf_free(&b);
    if (!rc) *out = GH_TRUE;
    return rc;
}

/* One line per combination of the sets' members (an empty set is <undefined>). */
static int cross(gh_bctx *bc, const gh_value *arr, size_t i, const gh_value **cur)
{
    size_t n = gh_value_len(arr);
    if (i == n) {
        gh_buf b;
        gh_buf_init(&b, 1u << 24);
        for (size_t k = 0; k < n; k++) {
            if (k) gh_buf_putc(&b, ' ');
            if (cur[k]) put_value(&b, cur[k]);
            else gh_buf_puts(&b, "<undefined>");
        }
        int rc = b.failed ? GH_ENOMEM : 0;
        if (!rc) emit(bc, b.data ? b.data : "", b.len);
        gh_buf_free(&b);
        return rc;
    }
    const gh_value *x = gh_array_get(arr, i);
    switch (gh_value_kind(x)) {
    case GH_KIND_SET: break;
    case GH_KIND_ARRAY:
    case GH_KIND_OBJECT:
        return gh_builtin_error(bc, GH_ERR_BUILTIN, "illegal argument type: %s",
                                gh_kind_name(gh_value_kind(x)));
    default: cur[i] = x; return cross(bc, arr, i + 1, cur);
    }
    size_t m = gh_value_len(x);
    if (m == 0) {
        cur[i] = NULL;
        return cross(bc, arr, i + 1, cur);
    }
    for (size_t j = 0; j < m; j++) {
        cur[i] = gh_set_item_at(x, j);
        int rc = cross(bc, arr, i + 1, cur);
        if (rc) return rc;
    }
    return 0;
}

static int bi_internal_print(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    if (!bi_is(args[0], GH_KIND_ARRAY)) return bi_type_err(bc, "internal.print", 1, args[0], "array");
    const gh_value **cur = bi_ptrs(bc, gh_value_len(args[0]));
    if (!cur) return GH_ENOMEM;
    int rc = cross(bc, args[0], 0, cur);
    if (!rc) *out = GH_TRUE;
    return rc;
}

static const gh_builtin table[] = {
    {.name = "print", .arity = -1, .decl = "(any...) => void", .vfn = bi_print,
     .flags = GH_BI_VARIADIC | GH_BI_VOID},
    {.name = "internal.print", .arity = 1, .decl = "(array[set[any]]) => void",
     .fn = bi_internal_print, .flags = GH_BI_VOID | GH_BI_INTERNAL},
};
BI_FAMILY(print, table);
