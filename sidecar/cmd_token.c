/* `gatehouse token`: mints a signed JWT (demos, tests, service-to-service HS256 tokens as a
 * client-credentials issuer would give), and `gatehouse token verify` checks one against a
 * key or a config's issuers with exactly the daemon's rules, printing the verified claims
 * and the subject the policy would see, or why the token is refused (exit 1). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "authn.h"
#include "cli.h"
#include "config.h"
#include "jwt.h"
#include "keys.h"

static const char token_usage[] =
    "usage: gatehouse token --key FILE [--issuer ISS] [--sub SUB] [--aud AUD]... [--claim K=V]...\n"
    "                       [--ttl DURATION] [--alg ALG] [--kid KID]\n"
    "       gatehouse token verify (--key FILE [--issuer ISS] [--audience AUD]... [--alg ALG]\n"
    "                               | -c gatehouse.json) TOKEN\n\n"
    "Mints a signed JWT and prints it, or verifies one with the daemon's rules.\n\n"
    "  --key FILE        signing: a PEM private key (RSA, EC, Ed25519) or a file holding an HMAC\n"
    "                    secret; verifying: a PEM public key or certificate, a JWKS, or the secret\n"
    "  --alg ALG         default: RS256 for RSA, ES256/384/512 by curve, EdDSA, HS256 for secrets\n"
    "  --issuer ISS      the iss claim; when verifying, the issuer required (default: the\n"
    "                    token's own iss, i.e. only the signature and the times are checked)\n"
    "  --sub SUB         the sub claim\n"
    "  --aud AUD         an audience (repeatable; several make an array); verify: --audience\n"
    "  --claim K=V       another claim; V is JSON when it parses as JSON, else a string\n"
    "  --ttl DURATION    lifetime: 90s, 20m (default), 12h, 7d\n"
    "  --kid KID         the kid header (default: the key's own kid, if any)\n"
    "  -c FILE           verify against the \"auth\" section of a gatehouse config\n\n"
    "Exit status: 0 minted or valid; 1 refused (the reason is printed); 2 usage errors.\n";

/* ---- keys and algorithms ---- */

static int read_keyset(const char *path, bool for_signing, gh_jose_keyset *out)
{
    char *text, err[300];
    size_t len;
    if (cli_read_file(path, &text, &len) < 0) return -1;
    int rc;
    if (strstr(text, "-----BEGIN ")) rc = gh_jose_keyset_from_pem(text, len, out, err, sizeof err);
    else if (!for_signing && len && text[0] == '{')
        rc = gh_jose_keyset_from_jwk(text, len, NULL, out, err, sizeof err);
    else {
        if (len && text[len - 1] == '\n') len--; /* as the daemon reads secret files */
        rc = gh_jose_keyset_from_secret((const unsigned char *)text, len, out, err, sizeof err);
    }
    free(text);
    if (rc < 0) fprintf(stderr, "gatehouse token: %s: %s\n", path, err);
    return rc;
}

/* The first algorithm, in a sensible order, that the key can do. */
static gh_jose_alg default_alg(const gh_jose_key *k)
{
    static const gh_jose_alg order[] = {GH_JOSE_RS256, GH_JOSE_ES256, GH_JOSE_ES384,
                                        GH_JOSE_ES512, GH_JOSE_EDDSA, GH_JOSE_HS256};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (gh_jose_key_fits(k, order[i])) return order[i];
    return GH_JOSE_NONE;
}

static int parse_alg(const char *name, gh_jose_alg *out)
{
    int a = gh_jose_alg_from_name(name, strlen(name));
    if (a <= GH_JOSE_NONE) {
        fprintf(stderr, "gatehouse token: unknown or refused --alg '%s'\n", name);
        return -1;
    }
    *out = (gh_jose_alg)a;
    return 0;
}

static int parse_ttl(const char *s, int64_t *out)
{
    char *end;
    long long n = strtoll(s, &end, 10);
    int64_t mult = 1;
    if (*end == 's') mult = 1, end++;
    else if (*end == 'm') mult = 60, end++;
    else if (*end == 'h') mult = 3600, end++;
    else if (*end == 'd') mult = 86400, end++;
    if (*end || n <= 0 || n > 100ll * 365 * 86400 / mult) return -1;
    *out = n * mult;
    return 0;
}

/* ---- minting ---- */

typedef struct mint_args {
    const char *key, *issuer, *sub, *alg, *kid, *ttl;
    const char *aud[32];
    int naud;
    const char *claims[64];
    int nclaims;
} mint_args;

static void put_claim_value(gh_buf *b, gh_arena *a, const char *v)
{
    const gh_value *parsed;
    if (gh_json_read(a, v, strlen(v), NULL, &parsed, NULL) == 0) gh_json_write(b, parsed, 0);
    else gh_json_write_str(b, v, strlen(v));
}

static int build_claims(const mint_args *m, gh_buf *b)
{
    int64_t ttl = 20 * 60;
    if (m->ttl && parse_ttl(m->ttl, &ttl) < 0) {
        fprintf(stderr, "gatehouse token: bad --ttl '%s' (e.g. 90s, 20m, 12h, 7d)\n", m->ttl);
        return -1;
    }
    int64_t now = (int64_t)time(NULL);
    unsigned char rnd[12];
    if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd) memset(rnd, 7, sizeof rnd);
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_buf_printf(b, "{\"iat\":%lld,\"exp\":%lld,\"jti\":\"", (long long)now, (long long)(now + ttl));
    for (size_t i = 0; i < sizeof rnd; i++) gh_buf_printf(b, "%02x", rnd[i]);
    gh_buf_putc(b, '"');
    if (m->issuer) gh_buf_puts(b, ",\"iss\":"), gh_json_write_str(b, m->issuer, strlen(m->issuer));
    if (m->sub) gh_buf_puts(b, ",\"sub\":"), gh_json_write_str(b, m->sub, strlen(m->sub));
    if (m->naud == 1) gh_buf_puts(b, ",\"aud\":"), gh_json_write_str(b, m->aud[0], strlen(m->aud[0]));
    for (int i = 0; m->naud > 1 && i < m->naud; i++) {
        gh_buf_puts(b, i ? "," : ",\"aud\":[");
        gh_json_write_str(b, m->aud[i], strlen(m->aud[i]));
        if (i == m->naud - 1) gh_buf_putc(b, ']');
    }
    for (int i = 0; i < m->nclaims; i++) {
        const char *eq = strchr(m->claims[i], '=');
        if (!eq || eq == m->claims[i]) {
            fprintf(stderr, "gatehouse token: --claim wants K=V, got '%s'\n", m->claims[i]);
            gh_arena_free(&a);
            return -1;
        }
        gh_buf_putc(b, ',');
        gh_json_write_str(b, m->claims[i], (size_t)(eq - m->claims[i]));
        gh_buf_putc(b, ':');
        put_claim_value(b, &a, eq + 1);
    }
    gh_buf_putc(b, '}');
    gh_arena_free(&a);
    return 0;
}

static int mint(const mint_args *m)
{
    if (!m->key) {
        fprintf(stderr, "gatehouse token: --key FILE is required\n%s", token_usage);
        return CLI_USAGE;
    }
    gh_jose_keyset ks = {0};
    if (read_keyset(m->key, true, &ks) < 0) return CLI_USAGE;
    gh_jose_key *k = ks.n ? &ks.keys[0] : NULL;
    gh_jose_alg alg = k ? default_alg(k) : GH_JOSE_NONE;
    int rc = CLI_USAGE;
    gh_buf claims;
    gh_buf_init(&claims, 0);
    char *tok = NULL, err[300];
    if (m->alg && parse_alg(m->alg, &alg) < 0) goto out;
    if (!k || alg == GH_JOSE_NONE || !gh_jose_key_fits(k, alg)) {
        fprintf(stderr, "gatehouse token: the key cannot sign %s\n", m->alg ? m->alg : "any JWS algorithm");
        goto out;
    }
    if (m->kid && gh_jose_key_set_kid(k, m->kid, strlen(m->kid)) != 0) goto out;
    if (build_claims(m, &claims) < 0) goto out;
    if (jwt_sign(k, alg, claims.data, claims.len, &tok, err, sizeof err) < 0) {
        fprintf(stderr, "gatehouse token: %s\n", err);
        rc = CLI_FAIL;
        goto out;
    }
    printf("%s\n", tok);
    rc = CLI_OK;
out:
    free(tok);
    gh_buf_free(&claims);
    gh_jose_keyset_free(&ks);
    return rc;
}

/* ---- verifying ---- */

typedef struct verify_keys {
    gh_jose_keyset set;
} verify_keys;

static const gh_jose_key *find_in_set(void *ud, const char *kid, size_t kid_len, gh_jose_alg alg)
{
    verify_keys *vk = ud;
    const gh_jose_key *only = NULL;
    size_t fitting = 0;
    for (size_t i = 0; i < vk->set.n; i++) {
        const gh_jose_key *k = &vk->set.keys[i];
        if (kid) {
            if (k->kid && k->kid_len == kid_len && memcmp(k->kid, kid, kid_len) == 0) return k;
        } else if (gh_jose_key_fits(k, alg)) {
            only = k;
            fitting++;
        }
    }
    return fitting == 1 ? only : NULL;
}

/* The token's own iss, read without trusting it (only to pick the issuer to check). */
static char *unverified_iss(const char *tok)
{
    const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d2) return NULL;
    size_t in = (size_t)(d2 - d1 - 1), n = 0;
    unsigned char *raw = malloc(in / 4 * 3 + 4);
    if (!raw || !gh_jose_b64url_decode(d1 + 1, in, raw, &n)) {
        free(raw);
        return NULL;
    }
    gh_arena a;
    gh_arena_init(&a, 0);
    const gh_value *claims;
    char *iss = NULL;
    if (gh_json_read(&a, (const char *)raw, n, NULL, &claims, NULL) == 0) {
        size_t il;
        const char *s = gh_string_ptr(gh_object_get_str(claims, "iss", 3), &il);
        if (s) iss = strndup(s, il);
    }
    gh_arena_free(&a);
    free(raw);
    return iss;
}

static int report(jwt_reason r, const jwt_result *jr, const auth_cfg *cfg, gh_arena *a)
{
    if (r != JWT_OK) {
        printf("refused: %s: %s%s%s%s\n", jwt_reason_class(r), jwt_reason_message(r),
               jr->detail && *jr->detail ? " (" : "", jr->detail ? jr->detail : "",
               jr->detail && *jr->detail ? ")" : "");
        return CLI_FAIL;
    }
    gh_buf b;
    gh_buf_init(&b, 0);
    const gh_value *keys[3] = {gh_value_string_ref(a, "claims", 6), gh_value_string_ref(a, "header", 6),
                               gh_value_string_ref(a, "subject", 7)};
    const gh_value *vals[3] = {jr->claims, jr->header, authn_subject(cfg, a, jr->claims)};
    const gh_value *doc;
    if (gh_value_object(a, keys, vals, vals[2] ? 3 : 2, &doc, NULL) == 0)
        gh_json_write(&b, doc, GH_JSON_PRETTY);
    printf("%s\n", b.data ? b.data : "{}");
    gh_buf_free(&b);
    return CLI_OK;
}

typedef struct verify_args {
    const char *key, *issuer, *alg, *config, *token;
    const char *aud[32];
    int naud;
} verify_args;

static int verify_with_config(const verify_args *v, gh_arena *a)
{
    gh_config cfg;
    config_init(&cfg);
    gh_buf errs;
    gh_buf_init(&errs, 0);
    int rc = CLI_USAGE;
    verify_keys vk[16] = {0};
    jwt_issuer iss[16];
    if (config_load_file(&cfg, v->config, &errs) < 0 || !cfg.auth.enabled || cfg.auth.nissuers > 16) {
        fprintf(stderr, "gatehouse token verify: %s", errs.len ? errs.data : "the config has no usable \"auth\" section\n");
        goto out;
    }
    for (size_t i = 0; i < cfg.auth.nissuers; i++) {
        const auth_issuer_cfg *c = &cfg.auth.issuers[i];
        char err[400];
        if (keys_load_issuer(c, &vk[i].set, err, sizeof err) < 0) {
            fprintf(stderr, "gatehouse token verify: issuer %s: %s\n", c->issuer, err);
            goto out;
        }
        iss[i] = (jwt_issuer){.iss = c->issuer, .algs = c->algs,
                              .audiences = v->naud ? v->aud : cfg.auth.audiences.items,
                              .naudiences = v->naud ? (size_t)v->naud : cfg.auth.audiences.n,
                              .leeway_s = cfg.auth.leeway_s, .max_age_s = c->max_age_s,
                              .required = c->required_claims.items,
                              .nrequired = c->required_claims.n,
                              .find_key = find_in_set, .find_key_ud = &vk[i]};
    }
    jwt_result jr;
    jwt_reason r = jwt_verify(a, v->token, strlen(v->token), iss, cfg.auth.nissuers,
                              (int64_t)time(NULL), &jr);
    rc = report(r, &jr, &cfg.auth, a);
out:
    for (size_t i = 0; i < 16; i++) gh_jose_keyset_free(&vk[i].set);
    gh_buf_free(&errs);
    config_free(&cfg);
    return rc;
}

static int verify_with_key(const verify_args *v, gh_arena *a)
{
    verify_keys vk = {0};
    if (read_keyset(v->key, false, &vk.set) < 0) return CLI_USAGE;
    char *own_iss = v->issuer ? NULL : unverified_iss(v->token);
    unsigned algs = 0;
    gh_jose_alg one;
    if (v->alg) {
        if (parse_alg(v->alg, &one) < 0) {
            gh_jose_keyset_free(&vk.set);
            free(own_iss);
            return CLI_USAGE;
        }
        algs = 1u << one;
    } else
        for (int al = GH_JOSE_NONE + 1; al < GH_JOSE_ALG_COUNT; al++)
            for (size_t i = 0; i < vk.set.n; i++)
                if (gh_jose_key_fits(&vk.set.keys[i], (gh_jose_alg)al)) algs |= 1u << al;
    jwt_issuer iss = {.iss = v->issuer ? v->issuer : own_iss ? own_iss : "",
                      .algs = algs, .audiences = v->aud, .naudiences = (size_t)v->naud,
                      .find_key = find_in_set, .find_key_ud = &vk};
    jwt_result jr;
    jwt_reason r = jwt_verify(a, v->token, strlen(v->token), &iss, 1, (int64_t)time(NULL), &jr);
    auth_cfg plain = {.claim_id = "sub"};
    int rc = report(r, &jr, &plain, a);
    gh_jose_keyset_free(&vk.set);
    free(own_iss);
    return rc;
}

static int verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'}, {"issuer", required_argument, NULL, 'i'},
        {"audience", required_argument, NULL, 'a'}, {"aud", required_argument, NULL, 'a'},
        {"alg", required_argument, NULL, 'A'}, {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    verify_args v = {0};
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "k:i:a:A:c:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'k': v.key = optarg; break;
        case 'i': v.issuer = optarg; break;
        case 'a': if (v.naud < 32) v.aud[v.naud++] = optarg; break;
        case 'A': v.alg = optarg; break;
        case 'c': v.config = optarg; break;
        case 'h': printf("%s", token_usage); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    if (optind != argc - 1 || (!v.key == !v.config)) {
        fprintf(stderr, "gatehouse token verify: give one TOKEN and either --key or -c\n");
        return CLI_USAGE;
    }
    v.token = argv[optind];
    gh_arena a;
    gh_arena_init(&a, 0);
    int rc = v.config ? verify_with_config(&v, &a) : verify_with_key(&v, &a);
    gh_arena_free(&a);
    return rc;
}

int cmd_token(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "verify") == 0) return verify(argc - 1, argv + 1);
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'}, {"issuer", required_argument, NULL, 'i'},
        {"sub", required_argument, NULL, 's'}, {"aud", required_argument, NULL, 'a'},
        {"claim", required_argument, NULL, 'C'}, {"ttl", required_argument, NULL, 't'},
        {"alg", required_argument, NULL, 'A'}, {"kid", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    mint_args m = {0};
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "k:i:s:a:C:t:A:K:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'k': m.key = optarg; break;
        case 'i': m.issuer = optarg; break;
        case 's': m.sub = optarg; break;
        case 'a': if (m.naud < 32) m.aud[m.naud++] = optarg; break;
        case 'C': if (m.nclaims < 64) m.claims[m.nclaims++] = optarg; break;
        case 't': m.ttl = optarg; break;
        case 'A': m.alg = optarg; break;
        case 'K': m.kid = optarg; break;
        case 'h': printf("%s", token_usage); return CLI_OK;
        default: fprintf(stderr, "%s", token_usage); return CLI_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "gatehouse token: unexpected argument '%s'\n", argv[optind]);
        return CLI_USAGE;
    }
    return mint(&m);
}
