/* Verification keys per trusted issuer: PEM files, a JWKS file, or a JWKS URL (directly or
 * through OIDC discovery) fetched over HTTPS with libcurl on a background thread, never on
 * an event loop. URL keys are refreshed on schedule and, rate-limited, when a token names a
 * kid the set lacks; a failed refresh keeps the last good set. Workers read a set through a
 * reference (keys_acquire/keys_release), so a refresh never frees keys in use. */
#ifndef GH_KEYS_H
#define GH_KEYS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "gatehouse/jose.h"

typedef struct keyset_ref {
    _Atomic int refs;
    gh_jose_keyset set;
    uint64_t generation; /* bumps with every change of any issuer's keys */
} keyset_ref;

typedef struct keys_manager keys_manager;

/* Loads file keys (errors are fatal: NULL with err) and starts the fetcher for URL keys,
 * whose first fetch is tried before this returns (a failure is logged; tokens of that
 * issuer are refused with unknown_key until a fetch succeeds). */
keys_manager *keys_start(const auth_cfg *cfg, char *err, size_t errlen);
void keys_stop(keys_manager *m);

/* The issuer's current keys, with a reference (NULL when none loaded yet). */
keyset_ref *keys_acquire(keys_manager *m, size_t issuer);
void keys_release(keyset_ref *r);

/* A token named a kid the set lacks: asks for a re-fetch unless one happened within the
 * issuer's min_refresh_interval_s, and waits up to wait_ms for it. True when the keys
 * changed (the caller looks again). */
bool keys_refresh_for_unknown_kid(keys_manager *m, size_t issuer, uint64_t wait_ms);

/* Changes whenever any issuer's keys change (verified-token caches compare it). */
uint64_t keys_generation(keys_manager *m);

typedef struct keys_stats {
    uint64_t fetches, fetch_failures, unknown_kid_refreshes;
} keys_stats;
void keys_stats_get(keys_manager *m, keys_stats *out);

/* One HTTPS GET (for the fetcher and `gatehouse token verify`): 0 with the body (malloc'd,
 * NUL-ended), or -1 with a message. */
int keys_http_get(const char *url, const char *ca_file, char **body, size_t *len, char *err,
                  size_t errlen);

/* Loads one issuer's keys now, whatever the source (for `gatehouse token verify`). */
int keys_load_issuer(const auth_issuer_cfg *iss, gh_jose_keyset *out, char *err, size_t errlen);

#endif
