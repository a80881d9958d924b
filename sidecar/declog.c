/* Decision-log queue and writer thread. The queue is a ring of (line, length) guarded by one
 * mutex with two condition variables; the writer takes everything queued at once and writes
 * it with writev, so a burst costs one system call per IOV_MAX lines. */
#include "declog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"

typedef struct line {
    char *text;
    size_t len;
} line;

struct declog {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    line *ring;
    size_t cap, head, count; /* items at ring[(head + i) % cap] */
    bool closing;
    bool drop_when_full, fsync_each;
    pthread_t writer;
    int fd;
    bool own_fd;
    const char *path;
    uint64_t max_bytes, file_bytes;
    int max_files;
    _Atomic uint64_t written, dropped, waits, rotations;
};

/* ---- the file ---- */

static int open_log_file(declog *d)
{
    d->fd = open(d->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (d->fd < 0) return -errno;
    struct stat st;
    d->file_bytes = fstat(d->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    return 0;
}

/* path -> path.1 -> path.2 ... up to max_files; the oldest falls off. */
static void rotate(declog *d)
{
    fsync(d->fd);
    close(d->fd);
    size_t n = strlen(d->path) + 16;
    char from[PATH_MAX], to[PATH_MAX];
    if (n > sizeof from) return;
    for (int i = d->max_files - 1; i >= 1; i--) {
        snprintf(from, sizeof from, "%s.%d", d->path, i);
        snprintf(to, sizeof to, "%s.%d", d->path, i + 1);
        rename(from, to);
    }
    snprintf(to, sizeof to, "%s.1", d->path);
    if (d->max_files > 0) rename(d->path, to);
    else unlink(d->path);
    atomic_fetch_add(&d->rotations, 1);
    if (open_log_file(d) < 0) {
        log_msg(LOG_ERROR, NULL, "decision log: cannot reopen %s after rotation: %s", d->path,
                strerror(errno));
        d->fd = -1;
    }
}

/* Writes lines[0..n) whole (retrying short writes); returns how many were written. */
static size_t write_lines(declog *d, line *lines, size_t n)
{
    size_t done = 0;
    while (done < n) {
        if (d->fd < 0) return done;
        if (d->own_fd && d->max_bytes && d->file_bytes >= d->max_bytes) rotate(d);
        struct iovec iov[IOV_MAX < 256 ? IOV_MAX : 256];
        size_t k = 0, bytes = 0;
        while (done + k < n && k < sizeof iov / sizeof iov[0]) {
            iov[k] = (struct iovec){lines[done + k].text, lines[done + k].len};
            bytes += lines[done + k].len;
            k++;
        }
        ssize_t w = writev(d->fd, iov, (int)k);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            log_msg(LOG_ERROR, NULL, "decision log: write failed: %s", strerror(errno));
            return done;
        }
        if ((size_t)w < bytes) { /* finish the batch byte by byte position */
            size_t skip = (size_t)w;
            for (size_t i = 0; i < k; i++) {
                if (skip >= iov[i].iov_len) {
                    skip -= iov[i].iov_len;
                    continue;
                }
                const char *p = (const char *)iov[i].iov_base + skip;
                size_t left = iov[i].iov_len - skip;
                skip = 0;
                while (left) {
                    ssize_t r = write(d->fd, p, left);
                    if (r < 0 && errno == EINTR) continue;
                    if (r <= 0) return done + i;
                    p += r;
                    left -= (size_t)r;
                }
            }
        }
        d->file_bytes += bytes;
        done += k;
    }
    return done;
}

/* ---- the writer thread ---- */

static void *writer_main(void *arg)
{
    declog *d = arg;
    line *batch = malloc(d->cap * sizeof *batch);
    for (;;) {
        pthread_mutex_lock(&d->mu);
        while (d->count == 0 && !d->closing) pthread_cond_wait(&d->not_empty, &d->mu);
        if (d->count == 0 && d->closing) {
            pthread_mutex_unlock(&d->mu);
            break;
        }
        size_t n = d->count;
        for (size_t i = 0; i < n; i++) batch[i] = d->ring[(d->head + i) % d->cap];
        d->head = (d->head + n) % d->cap;
        d->count = 0;
        pthread_cond_broadcast(&d->not_full);
        pthread_mutex_unlock(&d->mu);
        size_t ok = write_lines(d, batch, n);
        atomic_fetch_add(&d->written, ok);
        if (ok < n) atomic_fetch_add(&d->dropped, n - ok);
        if (d->fsync_each && d->fd >= 0) fdatasync(d->fd);
        for (size_t i = 0; i < n; i++) free(batch[i].text);
    }
    free(batch);
    return NULL;
}

declog *declog_open(const gh_config *cfg, char *err, size_t errlen)
{
    declog *d = calloc(1, sizeof *d);
    if (!d) return snprintf(err, errlen, "out of memory"), NULL;
    d->cap = cfg->decision_log.queue_size ? cfg->decision_log.queue_size : 1;
    d->ring = malloc(d->cap * sizeof *d->ring);
    d->drop_when_full = cfg->decision_log.drop_when_full;
    d->fsync_each = cfg->decision_log.fsync;
    d->max_bytes = cfg->decision_log.max_bytes;
    d->max_files = cfg->decision_log.max_files;
    d->path = cfg->decision_log.path;
    d->fd = STDOUT_FILENO;
    if (cfg->decision_log.output == DECLOG_FILE) {
        d->own_fd = true;
        int r = open_log_file(d);
        if (r < 0) {
            snprintf(err, errlen, "decision log %s: %s", d->path, strerror(-r));
            free(d->ring);
            free(d);
            return NULL;
        }
    }
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->not_empty, NULL);
    pthread_cond_init(&d->not_full, NULL);
    if (!d->ring || pthread_create(&d->writer, NULL, writer_main, d) != 0) {
        snprintf(err, errlen, "decision log: cannot start the writer");
        if (d->own_fd) close(d->fd);
        free(d->ring);
        free(d);
        return NULL;
    }
    return d;
}

void declog_push(declog *d, char *text, size_t len)
{
    pthread_mutex_lock(&d->mu);
    if (d->count == d->cap) {
        if (d->drop_when_full || d->closing) {
            pthread_mutex_unlock(&d->mu);
            atomic_fetch_add(&d->dropped, 1);
            free(text);
            return;
        }
        atomic_fetch_add(&d->waits, 1);
        while (d->count == d->cap) pthread_cond_wait(&d->not_full, &d->mu);
    }
    d->ring[(d->head + d->count) % d->cap] = (line){text, len};
    d->count++;
    pthread_cond_signal(&d->not_empty);
    pthread_mutex_unlock(&d->mu);
}

void declog_note_dropped(declog *d)
{
    atomic_fetch_add(&d->dropped, 1);
}

void declog_stats_get(declog *d, declog_stats *out)
{
    pthread_mutex_lock(&d->mu);
    out->depth = d->count;
    pthread_mutex_unlock(&d->mu);
    out->written = atomic_load(&d->written);
    out->dropped = atomic_load(&d->dropped);
    out->waits = atomic_load(&d->waits);
    out->rotations = atomic_load(&d->rotations);
}

void declog_close(declog *d)
{
    if (!d) return;
    pthread_mutex_lock(&d->mu);
    d->closing = true;
    pthread_cond_signal(&d->not_empty);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->writer, NULL);
    if (d->fd >= 0) fsync(d->fd); /* stdout may be a pipe: EINVAL, nothing to do */
    if (d->own_fd && d->fd >= 0) close(d->fd);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->not_empty);
    pthread_cond_destroy(&d->not_full);
    free(d->ring);
    free(d);
}
