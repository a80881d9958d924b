/* uuid.rfc4122: a random (version 4) UUID, the same for the same seed string within one
 * evaluation, as OPA. uuid.parse: google/uuid's accepted forms (plain, urn:uuid:, braces,
 * 32 hex digits) decoded as OPA does (version, variant; time, node, clock sequence for
 * versions 1 and 2; id and domain for version 2); undefined when it does not parse. */
#include "builtins/bi_internal.h"

#include <stdio.h>
#include <strings.h>

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

static int hexv(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool xtob(const char *p, unsigned char *out)
{
    int a = hexv(p[0]), b = hexv(p[1]);
    if (a < 0 || b < 0) return false;
    *out = (unsigned char)(a << 4 | b);
    return true;
}

static bool uuid_parse(const char *s, size_t n, unsigned char u[16])
{
    if (n == 32) {
        for (int i = 0; i < 16; i++)
            if (!xtob(s + 2 * i, &u[i])) return false;
        return true;
    }
    if (n == 45) {
        if (strncasecmp(s, "urn:uuid:", 9) != 0) return false;
        s += 9;
    } else if (n == 38) {
        s += 1; /* braces: the closing one is not checked, as google/uuid */
    } else if (n != 36) {
        return false;
    }
    if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
    static const int at[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
    for (int i = 0; i < 16; i++)
        if (!xtob(s + at[i], &u[i])) return false;
    return true;
}

static int bi_parse(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    size_t n;
    const char *s = gh_string_ptr(args[0], &n);
    if (!s) return bi_type_err(bc, "uuid.parse", 1, args[0], "string");
    unsigned char u[16];
    if (!uuid_parse(s, n, u)) return GH_EUNDEFINED;
    int version = u[6] >> 4;
    const char *variant = (u[8] & 0xc0) == 0x80 ? "RFC4122" : (u[8] & 0xe0) == 0xc0 ? "Microsoft"
                          : (u[8] & 0xe0) == 0xe0 ? "Future" : "Reserved";
    const gh_value *ks[8], *vs[8];
    size_t k = 0;
#define PUT(key, val) (ks[k] = bi_str(bc, key, strlen(key)), vs[k] = (val), k++)
    PUT("version", bi_int(bc, version));
    PUT("variant", bi_str(bc, variant, strlen(variant)));
    if (version == 1 || version == 2) {
        int64_t t = (int64_t)((uint64_t)u[0] << 24 | (uint64_t)u[1] << 16 | (uint64_t)u[2] << 8 | u[3]);
        t |= (int64_t)((uint64_t)u[4] << 8 | u[5]) << 32;
        t |= (int64_t)(((uint64_t)u[6] << 8 | u[7]) & 0xfff) << 48;
        t -= 122192928000000000LL; /* 100 ns intervals from 1582-10-15 to the Unix epoch */
        PUT("time", bi_int(bc, (t / 10000000) * 1000000000LL + (t % 10000000) * 100));
        char node[18];
        snprintf(node, sizeof node, "%02x-%02x-%02x-%02x-%02x-%02x", u[10], u[11], u[12], u[13], u[14], u[15]);
        PUT("nodeid", bi_str(bc, node, 17));
        const char *mac = (u[10] & 3) == 3 ? "local:multicast" : (u[10] & 1) ? "global:multicast"
                          : (u[10] & 2) ? "local:unicast" : "global:unicast";
        PUT("macvariables", bi_str(bc, mac, strlen(mac)));
        PUT("clocksequence", bi_int(bc, ((u[8] << 8) | u[9]) & 0x3fff));
        if (version == 2) {
            PUT("id", bi_int(bc, (int64_t)((uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3])));
            char dom[16];
            const char *d = u[9] == 0 ? "Person" : u[9] == 1 ? "Group" : u[9] == 2 ? "Org" : NULL;
            if (!d) snprintf(dom, sizeof dom, "Domain%d", u[9]), d = dom;
            PUT("domain", bi_str(bc, d, strlen(d)));
        }
    }
#undef PUT
    for (size_t i = 0; i < k; i++)
        if (!ks[i] || !vs[i]) return GH_ENOMEM;
    return gh_value_object(bc->arena, ks, vs, k, out, NULL);
}

static const gh_builtin table[] = {
    BI_FN("uuid.parse", 1, "(string) => object[string: any]", bi_parse),
    BI_FNF("uuid.rfc4122", 1, "(string) => string", bi_rfc4122, GH_BI_NONDETERMINISTIC),
};
BI_FAMILY(uuid, table);
