/* A small real HTTP/1.1 server for tests, on 127.0.0.1 (an ephemeral port) in a thread:
 * one connection at a time, one request per connection (head plus Content-Length body);
 * the test's `respond` callback writes the whole answer. Requests are counted before the
 * answer goes out, so a client never sees an answer that is not counted yet. */
#ifndef GH_LOOPBACK_HTTP_H
#define GH_LOOPBACK_HTTP_H

#include <pthread.h>

/* Writes the answer to fd. req is the request as received; nth counts requests from 1. */
typedef void (*lb_respond_fn)(int fd, const char *req, int nth);

typedef struct lb_server {
    int fd, port;
    pthread_t thread;
    lb_respond_fn respond;
    int requests;            /* answered so far (read with __atomic_load_n) */
    char last_request[8192]; /* the latest request's head and body */
} lb_server;

/* Listens and starts the thread; exits the test on failure. */
void lb_start(lb_server *s, lb_respond_fn respond);
/* Stops the thread (a QUIT connection) and closes the socket. */
void lb_stop(lb_server *s);
/* A port nothing listens on (bound, read, closed). */
int lb_dead_port(void);

#endif
