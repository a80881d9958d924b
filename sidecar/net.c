/* Socket plumbing the servers share: a listening socket with SO_REUSEPORT set before bind
 * (libuv 1.44 has no flag for it, so each worker can have its own listener on one port), and
 * the peer's address as text. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void net_peer_name(uv_tcp_t *tcp, char *out, size_t n)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    out[0] = 0;
    if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) < 0) return;
    char host[INET6_ADDRSTRLEN] = "";
    int port = 0;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
        snprintf(out, n, "%s:%d", host, port);
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
        snprintf(out, n, "[%s]:%d", host, port);
    }
}

int net_listen_socket(const char *host, int port, bool reuseport, int *fd_out)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    int r = uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
    if (r < 0) r = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
    if (r < 0) return r;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    socklen_t len = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                            : sizeof(struct sockaddr_in6);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    *fd_out = fd;
    return 0;
}

int net_flush(uv_stream_t *stream, gh_buf *out, size_t *writing, void *owner, uv_write_cb cb)
{
    size_t off = 0;
    if (*writing == 0) {
        uv_buf_t b = uv_buf_init(out->data, (unsigned)out->len);
        int n = uv_try_write(stream, &b, 1);
        if (n > 0) off = (size_t)n;
        else if (n != UV_EAGAIN) return n;
    }
    size_t rest = out->len - off;
    if (rest > 0) {
        net_write *w = malloc(sizeof *w + rest);
        if (!w) return UV_ENOMEM;
        memcpy(w->data, out->data + off, rest);
        w->owner = owner;
        w->len = rest;
        uv_buf_t b = uv_buf_init(w->data, (unsigned)rest);
        int r = uv_write(&w->req, stream, &b, 1, cb);
        if (r < 0) {
            free(w);
            return r;
        }
        *writing += rest;
    }
    gh_buf_clear(out);
    return 0;
}
