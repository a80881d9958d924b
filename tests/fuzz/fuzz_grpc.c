/* Fuzz target for the gRPC transport (sidecar/grpc.c): the input is what a client sends on a
 * fresh cleartext connection, fed to a server session (nghttp2_session_mem_recv and every
 * callback after it, up to the handlers: an echo, a failing one, the built-in health check)
 * with small limits so they are reached. An input whose first byte is '!' gets the client
 * preface and an empty SETTINGS frame put before the rest, so mutations spend their time on
 * frames rather than on the preface. Oracle: every answered stream is counted under exactly
 * one grpc status; any violation abort()s. Sanitizers catch the rest (leaks included). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grpc.h"

static grpc_server srv;

static int echo(void *ud, const uint8_t *msg, size_t len, grpc_reply *out)
{
    (void)ud;
    return gh_buf_append(&out->body, msg, len);
}

static int fail(void *ud, const uint8_t *msg, size_t len, grpc_reply *out)
{
    (void)ud;
    if (len > 0 && msg[0] == 'x') return -1; /* the handler-failed path */
    grpc_reply_error(out, len ? msg[0] % GRPC_STATUS_COUNT : 2, "failed: %.*s", (int)len,
                     (const char *)msg);
    return 0;
}

static void setup(void)
{
    grpc_limits l;
    grpc_limits_default(&l);
    l.max_message_bytes = 4096;
    l.max_header_bytes = 1024;
    l.max_concurrent_streams = 8;
    l.max_conn_buffer_bytes = 8192;
    if (grpc_server_init(&srv, NULL, &l) < 0 ||
        grpc_server_add_method(&srv, "/gatehouse.test.Echo/Echo", echo, NULL) < 0 ||
        grpc_server_add_method(&srv, "/gatehouse.test.Echo/Fail", fail, NULL) < 0)
        abort();
}

static const uint8_t preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                                 "\x00\x00\x00\x04\x00\x00\x00\x00\x00"; /* empty SETTINGS */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    uint8_t *buf = NULL;
    if (size > 0 && data[0] == '!') {
        size_t plen = sizeof preface - 1;
        buf = malloc(plen + size - 1);
        if (!buf) return 0;
        memcpy(buf, preface, plen);
        memcpy(buf + plen, data + 1, size - 1);
        data = buf;
        size = plen + size - 1;
    }
    grpc_server_feed_test(&srv, data, size);
    free(buf);
    uint64_t sum = 0;
    for (int i = 0; i < GRPC_STATUS_COUNT; i++) sum += atomic_load(&srv.by_status[i]);
    if (sum != atomic_load(&srv.requests)) abort();
    return 0;
}
