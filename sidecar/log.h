/* The daemon's own log: one JSON object per line on stderr ({"level", "msg", "time", ...}),
 * filtered by the configured level. Thread-safe (one write(2) per line). */
#ifndef GH_LOG_H
#define GH_LOG_H

#include "config.h"

void log_set_level(log_level level);
bool log_enabled(log_level level);
/* msg is printf-formatted; extra is NULL or a JSON object's members without braces
   ("\"addr\":\"127.0.0.1:8181\"") appended to the line. */
void log_msg(log_level level, const char *extra, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* RFC 3339 UTC time with nanoseconds, trailing zeros of the fraction dropped (Go's
 * RFC3339Nano), for wall-clock ns since the epoch. out needs 40 bytes. */
void log_format_time(int64_t unix_ns, char *out, size_t size);
int64_t log_now_unix_ns(void);

#endif
