/* The crypto family's digests: crypto.md5/sha1/sha256 (hex), crypto.hmac.md5/sha1/sha256/
 * sha512 (hex; arguments are message, key) and crypto.hmac.equal (constant time), on
 * OpenSSL 3's EVP. The x509 and key parsers are in x509.c, io.jwt in jwt.c. */
#include "builtins/bi_crypto.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>

static int digest(gh_bctx *bc, const char *name, const EVP_MD *md, const gh_value *const *args,
                  const gh_value **out)
{
    int rc;
    size_t n;
    const char *s = bi_str_arg(bc, name, args, 1, &n, &rc);
    if (!s) return rc;
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    if (EVP_Digest(s, n, d, &dl, md, NULL) != 1) return bic_err(bc, name, "digest failed");
    return bi_ret(out, bic_hex(bc, d, dl));
}

static int bi_md5(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return digest(bc, "crypto.md5", EVP_md5(), args, out);
}

static int bi_sha1(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return digest(bc, "crypto.sha1", EVP_sha1(), args, out);
}

static int bi_sha256(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return digest(bc, "crypto.sha256", EVP_sha256(), args, out);
}

static int hmac(gh_bctx *bc, const char *name, const EVP_MD *md, const gh_value *const *args,
                const gh_value **out)
{
    int rc;
    size_t mn, kn;
    const char *m = bi_str_arg(bc, name, args, 1, &mn, &rc);
    if (!m) return rc;
    const char *k = bi_str_arg(bc, name, args, 2, &kn, &rc);
    if (!k) return rc;
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    /* HMAC() wants a non-NULL key even when it is empty */
    if (!HMAC(md, kn ? k : "", (int)kn, (const unsigned char *)m, mn, d, &dl))
        return bic_err(bc, name, "hmac failed");
    return bi_ret(out, bic_hex(bc, d, dl));
}

static int bi_hmac_md5(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return hmac(bc, "crypto.hmac.md5", EVP_md5(), args, out);
}

static int bi_hmac_sha1(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return hmac(bc, "crypto.hmac.sha1", EVP_sha1(), args, out);
}

static int bi_hmac_sha256(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return hmac(bc, "crypto.hmac.sha256", EVP_sha256(), args, out);
}

static int bi_hmac_sha512(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return hmac(bc, "crypto.hmac.sha512", EVP_sha512(), args, out);
}

/* Go's hmac.Equal: constant time for equal lengths; different lengths are unequal at once. */
static int bi_hmac_equal(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    static const char *const name = "crypto.hmac.equal";
    int rc;
    size_t an, bn;
    const char *a = bi_str_arg(bc, name, args, 1, &an, &rc);
    if (!a) return rc;
    const char *b = bi_str_arg(bc, name, args, 2, &bn, &rc);
    if (!b) return rc;
    *out = gh_value_bool(an == bn && CRYPTO_memcmp(a, b, an) == 0);
    return 0;
}

static const gh_builtin table[] = {
    BI_FN("crypto.md5", 1, "(string) => string", bi_md5),
    BI_FN("crypto.sha1", 1, "(string) => string", bi_sha1),
    BI_FN("crypto.sha256", 1, "(string) => string", bi_sha256),
    BI_FN("crypto.hmac.md5", 2, "(string, string) => string", bi_hmac_md5),
    BI_FN("crypto.hmac.sha1", 2, "(string, string) => string", bi_hmac_sha1),
    BI_FN("crypto.hmac.sha256", 2, "(string, string) => string", bi_hmac_sha256),
    BI_FN("crypto.hmac.sha512", 2, "(string, string) => string", bi_hmac_sha512),
    BI_FN("crypto.hmac.equal", 2, "(string, string) => boolean", bi_hmac_equal),
};
BI_FAMILY(crypto, table);
