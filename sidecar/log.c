/* The daemon's log lines: JSON on stderr, one write per line so threads do not interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gatehouse/buf.h"
#include "gatehouse/value.h"

static _Atomic int current_level = LOG_INFO;

void log_set_level(log_level level) { atomic_store(&current_level, (int)level); }

bool log_enabled(log_level level) { return (int)level <= atomic_load(&current_level); }

int64_t log_now_unix_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void log_format_time(int64_t unix_ns, char *out, size_t size)
{
    time_t secs = (time_t)(unix_ns / 1000000000);
    long nanos = (long)(unix_ns % 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    if (nanos) {
        char frac[16];
        snprintf(frac, sizeof frac, ".%09ld", nanos);
        size_t fl = strlen(frac);
        while (fl > 2 && frac[fl - 1] == '0') frac[--fl] = 0; /* nanos > 0: a digit stays */
        n += (size_t)snprintf(out + n, size - n, "%s", frac);
    }
    snprintf(out + n, size - n, "Z");
}

void log_msg(log_level level, const char *extra, const char *fmt, ...)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    if (!log_enabled(level)) return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char when[48];
    log_format_time(log_now_unix_ns(), when, sizeof when);
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_buf_printf(&b, "{\"level\":\"%s\",\"msg\":", names[level]);
    gh_json_write_str(&b, msg, strlen(msg));
    gh_buf_printf(&b, ",\"time\":\"%s\"", when);
    if (extra && *extra) gh_buf_printf(&b, ",%s", extra);
    gh_buf_puts(&b, "}\n");
    if (!b.failed && write(STDERR_FILENO, b.data, b.len) < 0) { /* nowhere left to complain */ }
    gh_buf_free(&b);
}
