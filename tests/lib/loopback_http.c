/* The loopback HTTP server of loopback_http.h. */
#include "loopback_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Reads the head, then Content-Length bytes of body, into buf (NUL-ended). */
static void read_request(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    ssize_t r;
    buf[0] = '\0';
    while (got < cap - 1 && (r = read(fd, buf + got, cap - 1 - got)) > 0) {
        got += (size_t)r;
        buf[got] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (!end) continue;
        char *cl = strcasestr(buf, "\r\nContent-Length:");
        size_t want = cl && cl < end ? (size_t)atol(cl + 17) : 0;
        if (got >= (size_t)(end + 4 - buf) + want) break;
    }
}

static void *serve(void *arg)
{
    lb_server *s = arg;
    char buf[8192];
    for (;;) {
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0) return NULL;
        read_request(fd, buf, sizeof buf);
        if (strncmp(buf, "QUIT", 4) == 0) {
            close(fd);
            return NULL;
        }
        snprintf(s->last_request, sizeof s->last_request, "%s", buf);
        int nth = __atomic_add_fetch(&s->requests, 1, __ATOMIC_SEQ_CST);
        s->respond(fd, buf, nth);
        close(fd);
    }
}

void lb_start(lb_server *s, lb_respond_fn respond)
{
    memset(s, 0, sizeof *s);
    s->respond = respond;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->fd, 64) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&a, &len) != 0) {
        perror("loopback server");
        exit(1);
    }
    s->port = ntohs(a.sin_port);
    pthread_create(&s->thread, NULL, serve, s);
}

void lb_stop(lb_server *s)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && write(fd, "QUIT", 4) < 0)
        perror("quit");
    close(fd);
    pthread_join(s->thread, NULL);
    close(s->fd);
}

int lb_dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        perror("dead port");
    close(fd);
    return ntohs(a.sin_port);
}
