/* bench/loadgen: an open-loop HTTP/1.1 load generator for latency at a fixed rate (wrk has no
 * rate control and wrk2 is not in Debian). Requests are scheduled at exact times spread over
 * the connections; each latency runs from the scheduled time, not the send, so a stalled
 * server is charged for the requests it delayed (no coordinated omission). A connection
 * whose answer is late pipelines the next request rather than skipping it.
 *
 *   loadgen HOST PORT PATH BODY-FILE RATE CONNECTIONS SECONDS
 *
 * prints: "LOADGEN sent answered errors achieved-rate p50 p90 p99 p99.9 max" (latencies in
 * microseconds). One thread: epoll over the sockets plus a timerfd for the next send.
 * LOADGEN_HEADER="Name: value" adds one header (e.g. Authorization) to every request. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 512
#define MAX_INFLIGHT 4096 /* per connection: scheduled times of unanswered requests */

typedef struct conn {
    int fd;
    int64_t inflight[MAX_INFLIGHT]; /* ring of scheduled send times */
    size_t head, count;
    char in[65536];
    size_t in_len;
} conn;

static conn conns[MAX_CONNS];
static double *lat_us;
static size_t nlat, lat_cap;
static uint64_t sent, errors;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void record(double us)
{
    if (nlat == lat_cap) {
        lat_cap = lat_cap ? lat_cap * 2 : 1 << 16;
        lat_us = realloc(lat_us, lat_cap * sizeof *lat_us);
        if (!lat_us) exit(2);
    }
    lat_us[nlat++] = us;
}

static int connect_to(const char *host, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("loadgen: connect");
        exit(2);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static void send_request(conn *c, const char *req, size_t len, int64_t scheduled)
{
    size_t off = 0;
    while (off < len) { /* small requests: the socket buffer takes them whole */
        ssize_t n = write(c->fd, req + off, len - off);
        if (n < 0 && errno == EAGAIN) continue;
        if (n <= 0) {
            errors++;
            return;
        }
        off += (size_t)n;
    }
    if (c->count == MAX_INFLIGHT) {
        errors++;
        return;
    }
    c->inflight[(c->head + c->count++) % MAX_INFLIGHT] = scheduled;
    sent++;
}

/* Consumes whole responses (headers with Content-Length, then the body). */
static void read_responses(conn *c)
{
    for (;;) {
        ssize_t n = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
        if (n <= 0) break;
        c->in_len += (size_t)n;
        int64_t t = now_ns();
        for (;;) {
            char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
            if (!end) break;
            size_t head = (size_t)(end - c->in) + 4;
            char *cl = memmem(c->in, head, "Content-Length: ", 16);
            size_t body = cl ? strtoul(cl + 16, NULL, 10) : 0;
            if (c->in_len < head + body) break;
            if (strncmp(c->in, "HTTP/1.1 2", 10) != 0) errors++;
            if (c->count) {
                record((double)(t - c->inflight[c->head]) / 1000.0);
                c->head = (c->head + 1) % MAX_INFLIGHT;
                c->count--;
            }
            memmove(c->in, c->in + head + body, c->in_len - head - body);
            c->in_len -= head + body;
        }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double p)
{
    if (!nlat) return 0;
    size_t i = (size_t)(p / 100.0 * (double)(nlat - 1) + 0.5);
    return lat_us[i];
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: loadgen HOST PORT PATH BODY-FILE RATE CONNECTIONS SECONDS\n");
        return 2;
    }
    const char *host = argv[1], *path = argv[3];
    int port = atoi(argv[2]), nconn = atoi(argv[6]);
    double rate = atof(argv[5]), secs = atof(argv[7]);
    if (nconn < 1 || nconn > MAX_CONNS || rate <= 0 || secs <= 0) return 2;
    FILE *f = fopen(argv[4], "r");
    if (!f) return perror("loadgen: body"), 2;
    char body[65536];
    size_t blen = fread(body, 1, sizeof body, f);
    fclose(f);
    char req[80000];
    const char *extra = getenv("LOADGEN_HEADER");
    int rl = snprintf(req, sizeof req,
                      "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                      "%s%sContent-Length: %zu\r\n\r\n%.*s", path, host, extra ? extra : "",
                      extra ? "\r\n" : "", blen, (int)blen, body);
    if (rl < 0 || (size_t)rl >= sizeof req) return fprintf(stderr, "loadgen: request too large\n"), 2;

    int ep = epoll_create1(0), tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)-1};
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    for (int i = 0; i < nconn; i++) {
        conns[i].fd = connect_to(host, port);
        ev = (struct epoll_event){.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    }
    int64_t interval = (int64_t)(1e9 / rate), start = now_ns() + 1000000;
    int64_t end = start + (int64_t)(secs * 1e9), next = start;
    uint64_t k = 0;
    while (next < end || nlat + errors < sent) {
        if (now_ns() > end + 2000000000) break; /* answers that never come */
        if (next < end) {
            struct itimerspec its = {.it_value = {.tv_sec = next / 1000000000, .tv_nsec = next % 1000000000}};
            timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
        }
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 100);
        for (int i = 0; i < n; i++)
            if (evs[i].data.u32 == (uint32_t)-1) {
                uint64_t x;
                if (read(tfd, &x, sizeof x) < 0) { /* spurious */ }
            } else read_responses(&conns[evs[i].data.u32]);
        for (int64_t t = now_ns(); next < end && next <= t; next += interval, k++)
            send_request(&conns[k % (uint64_t)nconn], req, (size_t)rl, next);
    }
    qsort(lat_us, nlat, sizeof *lat_us, cmp_double);
    printf("LOADGEN %llu %zu %llu %.0f %.0f %.0f %.0f %.0f %.0f\n", (unsigned long long)sent, nlat,
           (unsigned long long)errors, (double)nlat / secs, pct(50), pct(90), pct(99), pct(99.9),
           nlat ? lat_us[nlat - 1] : 0.0);
    return 0;
}
