/* Helpers shared by the crypto, io.jwt and crypto.x509 families (crypto.c, jwt.c, x509.c),
 * implemented in jwk.c: sibling builtins called for OPA's exact texts (OPA itself calls
 * base64url.decode and json.unmarshal there), Go's pem.Decode, keys (PEM certificates and
 * public keys, JWK and JWK sets) as OpenSSL 3 EVP_PKEYs, and JWS signing and verifying.
 *
 * Ownership: every EVP object a helper hands out belongs to the caller, who releases it with
 * bic_keys_free / bic_key_free on every path; byte results live in bc->arena. */
#ifndef GH_BI_CRYPTO_H
#define GH_BI_CRYPTO_H

#include "builtins/bi_internal.h"

#include <openssl/evp.h>

/* Calls the builtin `sib` (one argument) for `name`: on a builtin error its message loses
 * the sibling's "sib: " and gains "name: " + prefix (OPA's wrapping of such errors). */
int bic_call1(gh_bctx *bc, const char *name, const char *sib, const char *prefix,
              const gh_value *arg, const gh_value **out);
/* "name: " + printf text, as eval_builtin_error. */
int bic_err(gh_bctx *bc, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Base64url without padding (JWS), and lowercase hex, of s[0..n) as a string value. */
const gh_value *bic_b64url(gh_bctx *bc, const unsigned char *s, size_t n);
const gh_value *bic_hex(gh_bctx *bc, const unsigned char *s, size_t n);
/* Standard base64 with padding of s[0..n) (Go's StdEncoding), NUL-terminated, in the arena. */
char *bic_b64std(gh_bctx *bc, const unsigned char *s, size_t n, size_t *len);

/* One PEM block as Go's pem.Decode finds it: the first "-----BEGIN TYPE-----" line, the
 * base64 body, the matching END line. *rest is the offset just past the END line. */
typedef struct bic_pem {
    const char *type;
    size_t type_len;
    unsigned char *der;
    size_t der_len;
} bic_pem;
bool bic_pem_decode(gh_bctx *bc, const char *s, size_t n, bic_pem *blk, size_t *rest);
bool bic_pem_is(const bic_pem *b, const char *type);

/* A verification or signing key: an EVP_PKEY, or the bytes of a JWK "oct" secret. alg and
 * kid come from a JWK (NULL otherwise). */
typedef struct bic_key {
    EVP_PKEY *pkey;
    const unsigned char *secret;
    size_t secret_len;
    const char *alg, *kid;
} bic_key;
typedef struct bic_keys {
    bic_key *k;
    size_t n;
} bic_keys;
void bic_keys_free(bic_keys *ks);

/* OPA's getKeysFromCertOrJWK: one PEM CERTIFICATE or PUBLIC KEY block, else a JWK or JWK
 * set (keys whose alg is not a JWS algorithm are skipped). Errors in OPA's words. */
int bic_keys_from_cert_or_jwk(gh_bctx *bc, const char *name, const char *s, size_t n,
                              bic_keys *out);
/* The keys of a JWK or JWK set given as JSON text (private parts too). */
int bic_jwk_parse(gh_bctx *bc, const char *name, const char *s, size_t n, bic_keys *out);

/* True when alg is one of OPA's JWS algorithms (RS/PS/ES/HS 256/384/512, EdDSA). */
bool bic_alg_known(const char *alg, size_t n);
/* Verifies sig over msg with key k under alg. ES signatures are raw r||s. Never errors: a
 * key of the wrong kind or a malformed signature simply does not verify. */
bool bic_jws_verify(const bic_key *k, const char *alg, const unsigned char *msg, size_t n,
                    const unsigned char *sig, size_t sn);
/* Signs msg with k under alg into arena bytes (*sig, *sn). 0, or an error for `name`. */
int bic_jws_sign(gh_bctx *bc, const char *name, const bic_key *k, const char *alg,
                 const unsigned char *msg, size_t n, unsigned char **sig, size_t *sn);

#endif
