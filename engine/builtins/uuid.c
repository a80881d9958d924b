/* uuid.rfc4122: a random (version 4) UUID, the same for the same seed string within one
 * evaluation, as OPA. */
#include "builtins/bi_internal.h"

#include <stdio.h>

static int bi_rfc4122(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "uuid.rfc4122";
    size_t n;
    if (!gh_string_ptr(args[0], &n)) return bi_type_err(bc, name, 1, args[0], "string");
    const gh_value *v = bi_memo_get(bc, name, args[0]);
    if (v) return bi_ret(out, v);
    unsigned char u[16];
    if (!bi_random(u, sizeof u)) return bi_builtin_err(bc, name, "no randomness available");
    u[6] = (unsigned char)((u[6] & 0x0F) | 0x40); /* version 4 */
    u[8] = (unsigned char)((u[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    char s[37];
    snprintf(s, sizeof s,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    if (!(v = bi_str(bc, s, 36))) return GH_ENOMEM;
    int rc = bi_memo_put(bc, name, args[0], v);
    return rc ? rc : bi_ret(out, v);
}

static const gh_builtin table[] = {
    BI_FNF("uuid.rfc4122", 1, "(string) => string", bi_rfc4122, GH_BI_NONDETERMINISTIC),
};
BI_FAMILY(uuid, table);
