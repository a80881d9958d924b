/* A snapshot is what the daemon serves: one compiled revision of the configured policy and
 * data paths, its id, when it was loaded and the module sources (for GET /v1/policies).
 * Immutable once built and reference-counted: workers hold the one they evaluate with, and
 * the last release frees it (and the revision). */
#ifndef GH_SNAPSHOT_H
#define GH_SNAPSHOT_H

#include <stdatomic.h>
#include <stdint.h>

#include "config.h"
#include "gatehouse/engine.h"

typedef struct snapshot {
    _Atomic int refs;
    gh_revision *rev;
    char id[72];        /* the bundle's manifest revision when one bundle gives one, else 16
                           hex digits hashing the module names, texts and the data */
    int64_t loaded_unix_ns;
    gh_source *modules; /* heap copies (name, text) */
    size_t nmodules;
} snapshot;

/* Loads cfg's policy and data paths and compiles them. NULL with the errors (one per line,
 * file:line:col first) in errs. */
snapshot *snapshot_build(const gh_config *cfg, gh_buf *errs);
void snapshot_retain(snapshot *s);
void snapshot_release(snapshot *s);

#endif
