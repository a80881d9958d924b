/* Socket plumbing the servers share (http.c, grpc.c). */
#ifndef GH_NET_H
#define GH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

/* "127.0.0.1:50123" or "[::1]:50123" for a connected TCP handle ("" when unknown). */
void net_peer_name(uv_tcp_t *tcp, char *out, size_t n);

/* A bound, non-blocking socket for host:port (IPv4 or IPv6 literal), with SO_REUSEADDR and,
 * when reuseport, SO_REUSEPORT set before bind. 0 with *fd_out, or a negative errno. */
int net_listen_socket(const char *host, int port, bool reuseport, int *fd_out);

#endif
