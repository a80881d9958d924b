/* JOSE for gatehouse: the JWS algorithms of RFC 7518, keys from JWKs and JWK sets (RFC 7517),
 * PEM text and raw HMAC secrets, strict base64url (RFC 7515 section 2), and JWS signing and
 * verifying on OpenSSL 3. Knows nothing of the evaluator: the io.jwt builtins and the
 * sidecar's bearer-token verifier both sit on it.
 *
 * Ownership: a keyset owns its keys and all they hold (malloc'd text and bytes, EVP_PKEY
 * references); gh_jose_keyset_free releases it all. A key filled by gh_jose_key_wrap only
 * borrows. Functions that can fail return 0 or a negative GH_E* code (GH_EINVAL for bad
 * input, GH_ENOMEM) with a message written into the caller's buffer (err, errlen). */
#ifndef GATEHOUSE_JOSE_H
#define GATEHOUSE_JOSE_H

#include <openssl/types.h>

#include <stdbool.h>
#include <stddef.h>

/* The JWS algorithms ("alg", RFC 7518 section 3.1 and RFC 8037 for EdDSA). The order is
 * fixed: a set of algorithms is a bit mask (1u << alg). */
typedef enum gh_jose_alg {
    GH_JOSE_UNKNOWN = -1, /* a name that is none of the below */
    GH_JOSE_NONE = 0,     /* "none": never verified, never signed */
    GH_JOSE_HS256,
    GH_JOSE_HS384,
    GH_JOSE_HS512,
    GH_JOSE_RS256,
    GH_JOSE_RS384,
    GH_JOSE_RS512,
    GH_JOSE_PS256,
    GH_JOSE_PS384,
    GH_JOSE_PS512,
    GH_JOSE_ES256,
    GH_JOSE_ES384,
    GH_JOSE_ES512,
    GH_JOSE_EDDSA,
    GH_JOSE_ALG_COUNT
} gh_jose_alg;

#define GH_JOSE_ALG_BIT(alg) (1u << (unsigned)(alg))
/* Every algorithm but none. */
#define GH_JOSE_ALGS_ALL (((1u << GH_JOSE_ALG_COUNT) - 1u) & ~GH_JOSE_ALG_BIT(GH_JOSE_NONE))

/* "RS256", "none", "EdDSA"; NULL for GH_JOSE_UNKNOWN or out of range. */
const char *gh_jose_alg_name(gh_jose_alg alg);
/* The algorithm s[0..n) names, compared exactly (case matters: "None" is GH_JOSE_UNKNOWN). */
gh_jose_alg gh_jose_alg_from_name(const char *s, size_t n);

/* Key types ("kty", RFC 7518 section 6.1; OKP: RFC 8037) and curves. */
typedef enum gh_jose_kty {
    GH_JOSE_KTY_OCT,
    GH_JOSE_KTY_RSA,
    GH_JOSE_KTY_EC,
    GH_JOSE_KTY_OKP
} gh_jose_kty;
typedef enum gh_jose_crv {
    GH_JOSE_CRV_NONE,   /* oct and RSA keys, and EC curves JOSE does not name */
    GH_JOSE_CRV_P256,   /* ES256 only */
    GH_JOSE_CRV_P384,   /* ES384 only */
    GH_JOSE_CRV_P521,   /* ES512 only */
    GH_JOSE_CRV_ED25519 /* EdDSA */
} gh_jose_crv;

const char *gh_jose_kty_name(gh_jose_kty kty); /* "oct", "RSA", "EC", "OKP" */

/* One key. Which algorithms it may serve follows from kty and crv alone
 * (gh_jose_key_fits): oct HS*, RSA RS* and PS*, EC by curve, OKP Ed25519 EdDSA. */
typedef struct gh_jose_key {
    gh_jose_kty kty;
    gh_jose_crv crv;
    int bits;        /* RSA modulus, EC field size, 256 (Ed25519), secret length * 8 */
    bool is_private; /* holds a private part (or a secret): can sign */
    char *kid;       /* the JWK's "kid" (NUL-ended; may hold NULs), NULL when none */
    size_t kid_len;
    gh_jose_alg alg;       /* the JWK's "alg": GH_JOSE_NONE when absent, UNKNOWN when
                              it names no JWS algorithm */
    char *alg_name;        /* the JWK's "alg" as written, NULL when absent */
    char *use;             /* the JWK's "use" ("sig", "enc"), NULL when absent */
    EVP_PKEY *pkey;        /* RSA, EC and OKP keys */
    unsigned char *secret; /* oct keys */
    size_t secret_len;
} gh_jose_key;

typedef struct gh_jose_keyset {
    gh_jose_key *keys;
    size_t n;
} gh_jose_keyset;

/* Whether k's type can serve alg at all (the crypto's view: kty and curve). */
bool gh_jose_key_fits(const gh_jose_key *k, gh_jose_alg alg);
/* Fills k to borrow pk (classified: kty, crv, bits, is_private), all else empty. GH_EINVAL
 * for key types JOSE has no algorithm for (DSA, X25519...). */
int gh_jose_key_wrap(gh_jose_key *k, EVP_PKEY *pk);
/* Sets (replaces) the kid of a key of a keyset. 0 or GH_ENOMEM. */
int gh_jose_key_set_kid(gh_jose_key *k, const char *kid, size_t n);

void gh_jose_keyset_free(gh_jose_keyset *ks); /* and zeroes it; a zeroed set is fine */
/* Moves every key of src to the end of dst (src ends empty). 0 or GH_ENOMEM. */
int gh_jose_keyset_append(gh_jose_keyset *dst, gh_jose_keyset *src);

/* The key for a token: kid given, the first key whose kid equals it and that fits alg, else
 * the first key with that kid (so a caller can tell "wrong type" from "unknown"), else the
 * first key without a kid that fits alg; no kid, the first key that fits alg. NULL: none. */
const gh_jose_key *gh_jose_keyset_find(const gh_jose_keyset *ks, const char *kid, size_t kid_len,
                                       gh_jose_alg alg);

/* ---- reading keys ---- */

/* Decodes a JWK member's base64url text s[0..n) into out (room for n bytes): true, or false
 * with a reason in err. The default decoder accepts the base64url alphabet with or without
 * '=' padding; the io.jwt builtins pass OPA's base64url.decode for its error texts. */
typedef bool (*gh_jose_b64_fn)(void *ud, const char *s, size_t n, unsigned char *out, size_t *outn,
                               char *err, size_t errlen);

enum {
    /* in a JWK set, skip keys of a type or curve not supported here rather than fail
       (RFC 7517 section 5); keys naming an alg that is not a JWS algorithm are always
       skipped in a set, as OPA does */
    GH_JOSE_SKIP_UNSUPPORTED = 1u << 0,
};

typedef struct gh_jose_jwk_opts {
    unsigned flags;        /* GH_JOSE_SKIP_UNSUPPORTED */
    gh_jose_b64_fn decode; /* NULL: the default decoder */
    void *decode_ud;
} gh_jose_jwk_opts;

/* The keys of a JWK ({"kty": ...}) or JWK set ({"keys": [...]}) given as JSON text, private
 * parts included. opts may be NULL. Errors read as OPA's ("failed to parse a JWK key (set):
 * invalid JSON"). An empty set is no error. */
int gh_jose_keyset_from_jwk(const char *json, size_t n, const gh_jose_jwk_opts *opts,
                            gh_jose_keyset *out, char *err, size_t errlen);
/* Every key in PEM text: CERTIFICATE (its public key), PUBLIC KEY, RSA PUBLIC KEY, and the
 * private RSA PRIVATE KEY, EC PRIVATE KEY and PRIVATE KEY (PKCS#8) blocks; other blocks
 * (EC PARAMETERS...) are skipped. At least one key, or an error. */
int gh_jose_keyset_from_pem(const char *pem, size_t n, gh_jose_keyset *out, char *err,
                            size_t errlen);
/* One oct key holding secret[0..n) as it is (an HMAC secret). */
int gh_jose_keyset_from_secret(const void *secret, size_t n, gh_jose_keyset *out, char *err,
                               size_t errlen);
/* PEM when the text holds "-----BEGIN ", else a JWK or JWK set (GH_JOSE_SKIP_UNSUPPORTED). */
int gh_jose_keyset_parse(const char *text, size_t n, gh_jose_keyset *out, char *err, size_t errlen);

/* One PEM block as Go's pem.Decode finds it: the first "-----BEGIN TYPE-----" line, a base64
 * body, the matching END line (headers are not supported). type points into the text; der
 * is malloc'd (the caller frees it). *rest is the offset just past the END line. 1 when a
 * block was found, 0 when none, GH_ENOMEM. */
typedef struct gh_jose_pem {
    const char *type;
    size_t type_len;
    unsigned char *der;
    size_t der_len;
} gh_jose_pem;
int gh_jose_pem_decode(const char *s, size_t n, gh_jose_pem *blk, size_t *rest);
bool gh_jose_pem_is(const gh_jose_pem *b, const char *type);
/* The key a block of one of gh_jose_keyset_from_pem's types holds (a new reference), or
 * NULL (another type, or malformed). */
EVP_PKEY *gh_jose_pem_key(const gh_jose_pem *b);

/* ---- base64url (RFC 7515 section 2: no padding) ---- */

/* Characters the encoding of n bytes takes. */
#define GH_JOSE_B64URL_LEN(n) ((n) / 3 * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))
/* Writes GH_JOSE_B64URL_LEN(n) characters (no NUL) and returns that count. */
size_t gh_jose_b64url_encode(const unsigned char *s, size_t n, char *out);
/* Strict: only the URL alphabet, no '=', no whitespace, no length of 1 mod 4 and no
 * non-zero bits left over in the last character (one text per byte string). out has room
 * for n * 3 / 4 bytes. False when s is not such a text. */
bool gh_jose_b64url_decode(const char *s, size_t n, unsigned char *out, size_t *outn);

/* ---- JWS ---- */

/* The signature sig[0..sn) over msg[0..n) checked with key k under alg. ES signatures are
 * raw r||s, each half exactly the curve's size (RFC 7518 section 3.4); anything else,
 * including DER, does not verify. False whenever it does not verify: alg none or unknown,
 * a key that does not fit alg, a malformed signature. Never an error. */
bool gh_jose_verify(const gh_jose_key *k, gh_jose_alg alg, const unsigned char *msg, size_t n,
                    const unsigned char *sig, size_t sn);
/* Signs msg[0..n) with k under alg: 0 with *sig (malloc'd; ES as raw r||s) and *sn, or an
 * error (alg none or unknown, a key that does not fit or has no private part). */
int gh_jose_sign(const gh_jose_key *k, gh_jose_alg alg, const unsigned char *msg, size_t n,
                 unsigned char **sig, size_t *sn, char *err, size_t errlen);

#endif
