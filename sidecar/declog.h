/* The decision log: workers hand finished JSON lines to a bounded queue; one background
 * writer appends them to a file (rotated by size) or stdout. By default a full queue makes
 * the request wait (back-pressure) so nothing is lost; with drop_when_full it is dropped and
 * counted. declog_close drains the queue, then flushes and fsyncs. */
#ifndef GH_DECLOG_H
#define GH_DECLOG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef struct declog declog;

typedef struct declog_stats {
    uint64_t written;   /* lines written */
    uint64_t dropped;   /* lines lost for any reason (queue full, write error) */
    uint64_t depth;     /* lines waiting now */
    uint64_t waits;     /* times a request waited for room */
    uint64_t rotations; /* files rotated */
} declog_stats;

/* NULL with a reason in err when the file cannot be opened. */
declog *declog_open(const gh_config *cfg, char *err, size_t errlen);
/* Queues one line (a malloc'd buffer ending in '\n', taken over). Waits for room unless the
 * log drops when full. Safe from any thread. */
void declog_push(declog *d, char *line, size_t len);
/* Counts a decision that never reached the queue (it could not be built). */
void declog_note_dropped(declog *d);
void declog_stats_get(declog *d, declog_stats *out);
/* Writes everything queued, fsyncs, stops the writer and frees. */
void declog_close(declog *d);

#endif
