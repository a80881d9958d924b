/* Network builtins with Go's net package semantics (which OPA uses): net.cidr_contains,
 * net.cidr_intersects, net.cidr_is_valid, net.cidr_expand, net.cidr_contains_matches,
 * net.cidr_merge, and the deprecated net.cidr_overlap. Addresses parse as Go's netip does
 * (strict dotted quads, RFC 4291 IPv6, no zones); a Go `IP` is 4 or 16 bytes and the
 * IPv4-in-IPv6 rules of IP.To4, IP.Mask and IPNet.Contains are followed literally. */
#include "builtins/bi_internal.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct goip {
    uint8_t b[16];
    int len; /* 4 or 16; 0 = nil */
} goip;

typedef struct gonet {
    goip ip;   /* network number (IP.Mask of the address) */
    goip mask; /* 4 or 16 bytes */
} gonet;

static const uint8_t v4prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* ---- parsing (netip.ParseAddr) ---- */

static bool parse_v4(const char *s, size_t n, uint8_t out[4])
{
    int field = 0, val = 0, digits = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (digits == 0 || field > 3) return false;
            out[field++] = (uint8_t)val;
            val = digits = 0;
            continue;
        }
        if (s[i] < '0' || s[i] > '9') return false;
        if (digits == 1 && val == 0) return false; /* leading zero */
        val = val * 10 + (s[i] - '0');
        if (++digits > 3 || val > 255) return false;
    }
    return field == 4;
}

static int hexdig(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool parse_v6(const char *s, size_t n, uint8_t out[16])
{
    int ellipsis = -1, k = 0; /* k: bytes filled */
    size_t i = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        ellipsis = 0;
        i = 2;
        if (i == n) {
            memset(out, 0, 16);
            return true;
        }
    }
    while (i < n) {
        size_t j = i;
        int v = 0;
        while (j < n && hexdig(s[j]) >= 0 && j - i < 5) v = v * 16 + hexdig(s[j++]);
        if (j == i || j - i > 4) return false;
        if (j < n && s[j] == '.') { /* trailing IPv4 */
            if (ellipsis < 0 && k != 12) return false;
            if (k > 12) return false;
            if (!parse_v4(s + i, n - i, out + k)) return false;
            k += 4;
            i = n;
            break;
        }
        if (k > 14) return false;
        out[k++] = (uint8_t)(v >> 8);
        out[k++] = (uint8_t)v;
        i = j;
        if (i == n) break;
        if (s[i] != ':' || i + 1 == n) return false;
        i++;
        if (s[i] == ':') {
            if (ellipsis >= 0) return false;
            ellipsis = k;
            i++;
            if (i == n) break;
        }
    }
    if (ellipsis < 0) return k == 16;
    if (k == 16) return false; /* "::" must stand for at least one group */
    int move = k - ellipsis;
    memmove(out + 16 - move, out + ellipsis, (size_t)move);
    memset(out + ellipsis, 0, (size_t)(16 - k));
    return true;
}

/* netip.ParseAddr into a 16-byte address; *bits is 32 or 128. */
static bool parse_addr(const char *s, size_t n, uint8_t out[16], int *bits)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            memcpy(out, v4prefix, 12);
            *bits = 32;
            return parse_v4(s, n, out + 12);
        }
        if (s[i] == ':') {
            *bits = 128;
            return parse_v6(s, n, out);
        }
        if (s[i] == '%') return false;
    }
    return false;
}

/* net.ParseIP: a 16-byte IP, or nil. */
static goip parse_ip(const char *s, size_t n)
{
    goip ip = {.len = 16};
    int bits;
    if (!parse_addr(s, n, ip.b, &bits)) ip.len = 0;
    return ip;
}

static goip to4(goip ip)
{
    goip r = {.len = 0};
    if (ip.len == 4) return ip;
    if (ip.len == 16 && memcmp(ip.b, v4prefix, 12) == 0) {
        memcpy(r.b, ip.b + 12, 4);
        r.len = 4;
    }
    return r;
}

/* IP.Mask. */
static goip ip_mask(goip ip, goip mask)
{
    goip out = {.len = 0};
    static const uint8_t ff[12] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    if (mask.len == 16 && ip.len == 4 && memcmp(mask.b, ff, 12) == 0) {
        memmove(mask.b, mask.b + 12, 4);
        mask.len = 4;
    }
    if (mask.len == 4 && ip.len == 16 && memcmp(ip.b, v4prefix, 12) == 0) {
        memmove(ip.b, ip.b + 12, 4);
        ip.len = 4;
    }
    if (ip.len != mask.len) return out;
    out.len = ip.len;
    for (int i = 0; i < ip.len; i++) out.b[i] = ip.b[i] & mask.b[i];
    return out;
}

static goip cidr_mask(int ones, int bits)
{
    goip m = {.len = bits / 8};
    for (int i = 0; i < m.len; i++) {
        int take = ones >= 8 ? 8 : ones > 0 ? ones : 0;
        m.b[i] = (uint8_t)(0xff00 >> take);
        ones -= take;
    }
    return m;
}

/* net.ParseCIDR: false on error ("invalid CIDR address: s"). */
static bool parse_cidr(const char *s, size_t n, goip *addr, gonet *net)
{
    const char *slash = memchr(s, '/', n);
    if (!slash) return false;
    uint8_t a[16];
    int bits;
    if (!parse_addr(s, (size_t)(slash - s), a, &bits)) return false;
    const char *m = slash + 1;
    size_t mn = (size_t)(s + n - m), i = 0;
    long ones = 0;
    for (; i < mn && m[i] >= '0' && m[i] <= '9'; i++)
        if ((ones = ones * 10 + (m[i] - '0')) >= 0xFFFFFF) return false;
    if (i == 0 || i != mn || ones > bits) return false;
    addr->len = 16;
    memcpy(addr->b, a, 16);
    net->mask = cidr_mask((int)ones, bits);
    net->ip = ip_mask(*addr, net->mask);
    return true;
}

/* IPMask.Size: ones and bits, or 0, 0 for a non-canonical mask. */
static void mask_size(goip m, int *ones, int *bits)
{
    int o = 0, i = 0;
    for (; i < m.len && m.b[i] == 0xff; i++) o += 8;
    if (i < m.len) {
        uint8_t x = m.b[i];
        while (x & 0x80) {
            o++;
            x = (uint8_t)(x << 1);
        }
        for (int j = i + 1; j < m.len; j++)
            if (m.b[j]) x = 1;
        if (x) {
            *ones = *bits = 0;
            return;
        }
    }
    *ones = o;
    *bits = m.len * 8;
}

/* networkNumberAndMask + Contains. */
static bool net_contains(const gonet *n, goip ip)
{
    goip nn = to4(n->ip), m = n->mask;
    if (!nn.len) {
        nn = n->ip;
        if (nn.len != 16) return false;
    }
    if (m.len == 4 && nn.len != 4) return false;
    if (m.len == 16 && nn.len == 4) {
        memmove(m.b, m.b + 12, 4);
        m.len = 4;
    }
    goip x = to4(ip);
    if (x.len) ip = x;
    if (ip.len != nn.len) return false;
    for (int i = 0; i < ip.len; i++)
        if ((nn.b[i] & m.b[i]) != (ip.b[i] & m.b[i])) return false;
    return true;
}

/* getLastIP in OPA's cidr.go: the network number with every host bit set. */
static goip last_ip(const gonet *n)
{
    int ones, bits;
    mask_size(n->mask, &ones, &bits);
    if (ones == bits) return n->ip;
    goip last = {.len = bits / 8};
    /* the network IP right-aligned into bits/8 bytes (big.Int.SetBytes/Bytes round trip) */
    int off = last.len - n->ip.len;
    for (int i = 0; i < n->ip.len; i++)
        if (i + off >= 0) last.b[i + off] = n->ip.b[i];
    for (int h = 0; h < bits - ones; h++) last.b[last.len - 1 - h / 8] |= (uint8_t)(1u << (h % 8));
    return last;
}

/* ---- text (IP.String, IPNet.String) ---- */

static size_t ip_string(goip ip, char *out)
{
    goip v4 = to4(ip);
    if (v4.len) return (size_t)sprintf(out, "%u.%u.%u.%u", v4.b[0], v4.b[1], v4.b[2], v4.b[3]);
    if (ip.len != 16) return (size_t)sprintf(out, "?");
    int best = -1, bestn = 0;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && ip.b[2 * j] == 0 && ip.b[2 * j + 1] == 0) j++;
        if (j - i > bestn && j - i >= 2) best = i, bestn = j - i;
        i = j > i ? j : i + 1;
    }
    size_t o = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            out[o++] = ':';
            out[o++] = ':';
            i += bestn - 1;
            continue;
        }
        if (i > 0 && o > 0 && out[o - 1] != ':') out[o++] = ':';
        o += (size_t)sprintf(out + o, "%x", (unsigned)(ip.b[2 * i] << 8 | ip.b[2 * i + 1]));
    }
    out[o] = '\0';
    return o;
}

static size_t net_string(const gonet *n, char *out)
{
    goip nn = to4(n->ip), m = n->mask;
    if (!nn.len) nn = n->ip;
    if (m.len == 16 && nn.len == 4) {
        memmove(m.b, m.b + 12, 4);
        m.len = 4;
    }
    int ones, bits;
    mask_size(m, &ones, &bits);
    size_t o = ip_string(nn, out);
    return o + (size_t)sprintf(out + o, "/%d", ones);
}

/* ---- builtins ---- */

static int cidr_operand(gh_bctx *bc, const char *name, const gh_value *v, gonet *net)
{
    size_t n;
    const char *s = gh_string_ptr(v, &n);
    if (!s) return bi_type_err(bc, name, 1, v, "string"); /* OPA says operand 1 for both */
    goip addr;
    if (!parse_cidr(s, n, &addr, net))
        return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: invalid CIDR address: %.*s", name,
                                (int)(n > 300 ? 300 : n), s);
    return 0;
}

static int contains(gh_bctx *bc, const char *name, const gh_value *a, const gh_value *b, bool *res)
{
    gonet na, nb;
    int rc = cidr_operand(bc, name, a, &na);
    if (rc) return rc;
    size_t n;
    const char *s = gh_string_ptr(b, &n);
    if (!s) return bi_type_err(bc, name, 1, b, "string");
    goip ip = parse_ip(s, n), addr;
    if (ip.len) {
        *res = net_contains(&na, ip);
        return 0;
    }
    if (!parse_cidr(s, n, &addr, &nb))
        return gh_builtin_error(bc, GH_ERR_BUILTIN,
                                "%s: not a valid textual representation of an IP address or CIDR: %.*s",
                                name, (int)(n > 300 ? 300 : n), s);
    *res = net_contains(&na, nb.ip) && net_contains(&na, last_ip(&nb));
    return 0;
}

static int bi_contains(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    bool r;
    int rc = contains(bc, "net.cidr_contains", args[0], args[1], &r);
    return rc ? rc : bi_ret(out, gh_value_bool(r));
}

static int bi_overlap(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    bool r;
    int rc = contains(bc, "net.cidr_overlap", args[0], args[1], &r);
    return rc ? rc : bi_ret(out, gh_value_bool(r));
}

static int bi_intersects(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    gonet a, b;
    int rc = cidr_operand(bc, "net.cidr_intersects", args[0], &a);
    if (!rc) rc = cidr_operand(bc, "net.cidr_intersects", args[1], &b);
    if (rc) return rc;
    return bi_ret(out, gh_value_bool(net_contains(&a, b.ip) || net_contains(&b, a.ip)));
}

static int bi_is_valid(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    (void)bc;
    size_t n;
    const char *s = gh_string_ptr(args[0], &n);
    goip addr;
    gonet net;
    *out = gh_value_bool(s && parse_cidr(s, n, &addr, &net));
    return 0;
}

static void inc_ip(goip *ip)
{
    for (int j = ip->len - 1; j >= 0; j--)
        if (++ip->b[j] != 0) break;
}

static int bi_expand(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "net.cidr_expand";
    size_t n;
    const char *s = gh_string_ptr(args[0], &n);
    if (!s) return bi_type_err(bc, name, 1, args[0], "string");
    goip addr;
    gonet net;
    if (!parse_cidr(s, n, &addr, &net))
        return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: invalid CIDR address: %.*s", name, (int)(n > 300 ? 300 : n), s);
    const gh_value **items = NULL;
    size_t k = 0, cap = 0;
    for (goip ip = ip_mask(addr, net.mask); ip.len && net_contains(&net, ip); inc_ip(&ip)) {
        if (k == cap) {
            size_t nc = cap ? cap * 2 : 16;
            const gh_value **ni = gh_arena_realloc(bc->arena, items, cap * sizeof *ni, nc * sizeof *ni);
            if (!ni) return GH_ENOMEM;
            items = ni;
            cap = nc;
        }
        char buf[64];
        size_t l = ip_string(ip, buf);
        if (!(items[k++] = bi_str(bc, buf, l))) return GH_ENOMEM;
        goip z = ip;
        inc_ip(&z);
        bool wrapped = true;
        for (int i = 0; i < z.len; i++)
            if (z.b[i]) wrapped = false;
        if (wrapped) break; /* the last address of the space */
    }
    return bi_ret(out, gh_value_set(bc->arena, items, k));
}

/* ---- net.cidr_contains_matches ---- */

typedef struct cm_item {
    const gh_value *cidr, *index;
} cm_item;

static int cm_collect(gh_bctx *bc, int operand, const gh_value *v, cm_item **items, size_t *n)
{
    size_t len = gh_value_len(v);
    gh_kind k = gh_value_kind(v);
    if (k == GH_KIND_STRING) len = 1;
    else if (k != GH_KIND_ARRAY && k != GH_KIND_SET && k != GH_KIND_OBJECT) len = 0;
    *items = gh_arena_alloc(bc->arena, (len + 1) * sizeof **items);
    if (!*items) return GH_ENOMEM;
    *n = len;
    for (size_t i = 0; i < len; i++) {
        const gh_value *elem, *index;
        switch (k) {
        case GH_KIND_STRING: (*items)[i] = (cm_item){v, v}; continue;
        case GH_KIND_ARRAY: elem = gh_array_get(v, i); index = bi_int(bc, (int64_t)i); break;
        case GH_KIND_SET: elem = index = gh_set_item_at(v, i); break;
        default: elem = gh_object_value_at(v, i); index = gh_object_key_at(v, i); break;
        }
        if (!index) return GH_ENOMEM;
        if (bi_is(elem, GH_KIND_ARRAY) && gh_value_len(elem) > 0) elem = gh_array_get(elem, 0);
        else if (!bi_is(elem, GH_KIND_STRING))
            return gh_builtin_error(bc, GH_ERR_BUILTIN,
                                    "net.cidr_contains_matches: operand %d: element must be string or non-empty array",
                                    operand);
        (*items)[i] = (cm_item){elem, index};
    }
    return 0;
}

static int bi_contains_matches(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    cm_item *a, *b;
    size_t na, nb;
    int rc = cm_collect(bc, 1, args[0], &a, &na);
    if (!rc) rc = cm_collect(bc, 2, args[1], &b, &nb);
    if (rc) return rc;
    const gh_value **res = bi_ptrs(bc, na * nb + 1);
    if (!res) return GH_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++) {
            bool hit;
            rc = contains(bc, "net.cidr_contains_matches", a[i].cidr, b[j].cidr, &hit);
            if (rc) return rc;
            if (!hit) continue;
            const gh_value *pair[2] = {a[i].index, b[j].index};
            if (!(res[k++] = gh_value_array(bc->arena, pair, 2))) return GH_ENOMEM;
        }
    return bi_ret(out, gh_value_set(bc->arena, res, k));
}

/* ---- net.cidr_merge ---- */

typedef struct crange {
    goip first, last;
    gonet net;
    bool has_net; /* unmerged: print the network as given */
} crange;

/* bytes.Compare of two IPs (lengths may differ). */
static int ip_cmp(goip a, goip b)
{
    int n = a.len < b.len ? a.len : b.len, c = memcmp(a.b, b.b, (size_t)n);
    if (c) return c;
    return (a.len > b.len) - (a.len < b.len);
}

static int cmp_range(const void *x, const void *y)
{
    const crange *a = x, *b = y;
    int c = ip_cmp(a->last, b->last);
    return c ? c : ip_cmp(a->first, b->first);
}

/* GetAddressRange: first = IP masked, last = first with every host bit set. */
static void addr_range(const gonet *n, goip *first, goip *last)
{
    goip ip = to4(n->ip).len ? to4(n->ip) : n->ip, m = n->mask;
    if (m.len == 16 && ip.len == 4) {
        memmove(m.b, m.b + 12, 4);
        m.len = 4;
    }
    first->len = last->len = ip.len;
    for (int i = 0; i < ip.len; i++) {
        first->b[i] = ip.b[i] & m.b[i];
        last->b[i] = (uint8_t)(ip.b[i] | ~m.b[i]);
    }
}

static unsigned __int128 ip_u(goip ip)
{
    unsigned __int128 v = 0;
    for (int i = 0; i < ip.len; i++) v = v << 8 | ip.b[i];
    return v;
}

static goip u_ip(unsigned __int128 v, int len)
{
    goip ip = {.len = len};
    for (int i = len - 1; i >= 0; i--) {
        ip.b[i] = (uint8_t)v;
        v >>= 8;
    }
    return ip;
}

/* The minimal list of CIDRs covering [first, last]: aligned blocks, greedily. */
static int range_cidrs(gh_bctx *bc, goip first, goip last, const gh_value ***out, size_t *n, size_t *cap)
{
    int bits = first.len * 8;
    unsigned __int128 lo = ip_u(first), hi = ip_u(last);
    for (;;) {
        int size = 0; /* block of 2^size addresses starting at lo */
        while (size < bits) {
            if (size + 1 == 128) { /* the whole IPv6 space */
                if (lo != 0 || hi != ~(unsigned __int128)0) break;
            } else {
                unsigned __int128 blk = (unsigned __int128)1 << (size + 1);
                if ((lo & (blk - 1)) != 0 || lo + blk - 1 > hi) break;
            }
            size++;
        }
        gonet net = {.ip = u_ip(lo, first.len), .mask = cidr_mask(bits - size, bits)};
        char buf[80];
        size_t l = net_string(&net, buf);
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            const gh_value **ni = gh_arena_realloc(bc->arena, *out, *cap * sizeof *ni, nc * sizeof *ni);
            if (!ni) return GH_ENOMEM;
            *out = ni;
            *cap = nc;
        }
        if (!((*out)[(*n)++] = bi_str(bc, buf, l))) return GH_ENOMEM;
        unsigned __int128 end = size == 128 ? ~(unsigned __int128)0 : lo + (((unsigned __int128)1 << size) - 1);
        if (end >= hi) return 0;
        lo = end + 1;
    }
}

static int bi_merge(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "net.cidr_merge";
    const gh_value *v = args[0];
    if (!bi_is(v, GH_KIND_ARRAY) && !bi_is(v, GH_KIND_SET))
        return bi_builtin_err(bc, name, "operand must be an array");
    size_t n = gh_value_len(v);
    crange *r = gh_arena_alloc(bc->arena, (n + 1) * sizeof *r);
    if (!r) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const gh_value *e = bi_is(v, GH_KIND_SET) ? gh_set_item_at(v, i) : gh_array_get(v, i);
        size_t sl;
        const char *s = gh_string_ptr(e, &sl);
        if (!s) return bi_builtin_err(bc, name, "element must be string");
        goip ip = parse_ip(s, sl), addr;
        gonet net;
        if (ip.len) {
            goip v4 = to4(ip);
            if (!v4.len) return bi_builtin_err(bc, name, "IPv6 invalid: needs prefix length");
            /* IP.DefaultMask: the classful mask of the address */
            int ones = v4.b[0] < 0x80 ? 8 : v4.b[0] < 0xC0 ? 16 : 24;
            net.ip = ip;
            net.mask = cidr_mask(ones, 32);
        } else if (!parse_cidr(s, sl, &addr, &net)) {
            return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: invalid CIDR address: %.*s", name, (int)(sl > 300 ? 300 : sl), s);
        }
        r[i].net = net;
        r[i].has_net = true;
        addr_range(&net, &r[i].first, &r[i].last);
    }
    qsort(r, n, sizeof *r, cmp_range);
    size_t m = n;
    for (size_t i = m; i-- > 1;) { /* merge from the back, as OPA's mergeCIDRs */
        goip prev = r[i].first; /* GetPreviousIP: the zero address stays itself */
        bool zero = true;
        for (int j = 0; j < prev.len; j++)
            if (prev.b[j]) zero = false;
        for (int j = prev.len - 1; j >= 0 && !zero; j--)
            if (prev.b[j]-- != 0) break;
        if (ip_cmp(prev, r[i - 1].last) <= 0) {
            goip first = ip_cmp(r[i - 1].first, r[i].first) < 0 ? r[i - 1].first : r[i].first;
            r[i - 1] = (crange){.first = first, .last = r[i].last, .has_net = false};
            memmove(&r[i], &r[i + 1], (m - i - 1) * sizeof *r);
            m--;
        }
    }
    const gh_value **items = NULL;
    size_t k = 0, cap = 0;
    for (size_t i = 0; i < m; i++) {
        if (r[i].has_net) {
            char buf[80];
            size_t l = net_string(&r[i].net, buf);
            const gh_value *one = bi_str(bc, buf, l);
            if (!one) return GH_ENOMEM;
            if (k == cap) {
                size_t nc = cap ? cap * 2 : 16;
                const gh_value **ni = gh_arena_realloc(bc->arena, items, cap * sizeof *ni, nc * sizeof *ni);
                if (!ni) return GH_ENOMEM;
                items = ni;
                cap = nc;
            }
            items[k++] = one;
        } else {
            int rc = range_cidrs(bc, r[i].first, r[i].last, &items, &k, &cap);
            if (rc) return rc;
        }
    }
    return bi_ret(out, gh_value_set(bc->arena, items, k));
}

static const gh_builtin table[] = {
    BI_FN("net.cidr_contains", 2, "(string, string) => boolean", bi_contains),
    BI_FNF("net.cidr_overlap", 2, "(string, string) => boolean", bi_overlap, GH_BI_DEPRECATED),
    BI_FN("net.cidr_intersects", 2, "(string, string) => boolean", bi_intersects),
    BI_FN("net.cidr_is_valid", 1, "(string) => boolean", bi_is_valid),
    BI_FN("net.cidr_expand", 1, "(string) => set[string]", bi_expand),
    BI_FN("net.cidr_contains_matches", 2,
          "(any<string, array[any<string, array[any]>], set[any<string, array[any]>], object[string: any<string, array[any]>]>, "
          "any<string, array[any<string, array[any]>], set[any<string, array[any]>], object[string: any<string, array[any]>]>) => set[array<any, any>]",
          bi_contains_matches),
    BI_FN("net.cidr_merge", 1, "(any<array[string], set[string]>) => set[string]", bi_merge),
};
BI_FAMILY(net, table);
