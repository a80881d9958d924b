/* Socket plumbing the servers share (http.c, grpc.c). */
#ifndef GH_NET_H
#define GH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "gatehouse/buf.h"

/* "127.0.0.1:50123" or "[::1]:50123" for a connected TCP handle ("" when unknown). */
void net_peer_name(uv_tcp_t *tcp, char *out, size_t n);

/* A bound, non-blocking socket for host:port (IPv4 or IPv6 literal), with SO_REUSEADDR and,
 * when reuseport, SO_REUSEPORT set before bind. 0 with *fd_out, or a negative errno. */
int net_listen_socket(const char *host, int port, bool reuseport, int *fd_out);

/* A queued write: the request, its owner (a connection) and the bytes it carries. */
typedef struct net_write {
    uv_write_t req;
    void *owner;
    size_t len;
    char data[];
} net_write;

/* Hands out's bytes to the stream: what the socket takes at once is written directly (only
 * when nothing is queued, to keep the order), the rest is queued as one net_write whose
 * callback cb must subtract its len from *writing and free() it. *writing grows by what was
 * queued; out is cleared. 0, or a negative libuv code (the caller closes the connection). */
int net_flush(uv_stream_t *stream, gh_buf *out, size_t *writing, void *owner, uv_write_cb cb);

#endif
