/* A test server for sidecar/grpc.c: one grpc_server on a libuv loop with two methods,
 * gatehouse.test.Echo/Echo (the request bytes back) and gatehouse.test.Echo/Fail (the status
 * and message the request names), plus the built-in health check. Prints "port N" once
 * listening; on SIGTERM stops gracefully and prints the server's counters as one JSON line.
 *
 * usage: grpc_echo_server [--tls CERT KEY] [--max-message N] [--header-bytes N]
 *                         [--conn-buffer N] [--streams N] [--read-ms N] [--idle-ms N] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "grpc.h"

static const char *reject_names[GRPC_REJECT_COUNT] = {
    [GRPC_REJECT_CONTENT_TYPE] = "content_type", [GRPC_REJECT_METHOD] = "method",
    [GRPC_REJECT_HEADER_LIMIT] = "header_limit", [GRPC_REJECT_MESSAGE_LIMIT] = "message_limit",
    [GRPC_REJECT_FRAMING] = "framing",           [GRPC_REJECT_UNKNOWN_METHOD] = "unknown_method",
    [GRPC_REJECT_PROTOCOL] = "protocol",         [GRPC_REJECT_TIMEOUT] = "timeout",
    [GRPC_REJECT_CONN_LIMIT] = "conn_limit",
};

static int echo(void *ud, const uint8_t *msg, size_t len, grpc_reply *out)
{
    (void)ud;
    return gh_buf_append(&out->body, msg, len);
}

/* FailRequest{int32 code = 1; string message = 2}: just enough protobuf to read it. */
static int fail(void *ud, const uint8_t *msg, size_t len, grpc_reply *out)
{
    (void)ud;
    uint64_t code = 0;
    const uint8_t *text = (const uint8_t *)"";
    size_t text_len = 0;
    for (size_t i = 0; i < len;) {
        uint8_t key = msg[i++];
        uint64_t v = 0;
        for (int shift = 0; i < len; shift += 7) {
            v |= (uint64_t)(msg[i] & 0x7f) << shift;
            if (!(msg[i++] & 0x80) || shift > 56) break;
        }
        if (key == 0x08) code = v;
        else if (key == 0x12 && v <= len - i) {
            text = msg + i;
            text_len = (size_t)v;
            i += (size_t)v;
        } else {
            grpc_reply_error(out, GRPC_STATUS_INVALID_ARGUMENT, "not a FailRequest");
            return 0;
        }
    }
    grpc_reply_error(out, (int)code, "%.*s", (int)text_len, (const char *)text);
    return 0;
}

static void print_counters(grpc_server *s)
{
    printf("{\"requests\":%llu,\"connections_total\":%llu,\"by_status\":{",
           (unsigned long long)atomic_load(&s->requests),
           (unsigned long long)atomic_load(&s->connections_total));
    for (int i = 0; i < GRPC_STATUS_COUNT; i++)
        printf("%s\"%s\":%llu", i ? "," : "", grpc_status_name(i),
               (unsigned long long)atomic_load(&s->by_status[i]));
    printf("},\"rejected\":{");
    for (int i = 0; i < GRPC_REJECT_COUNT; i++)
        printf("%s\"%s\":%llu", i ? "," : "", reject_names[i],
               (unsigned long long)atomic_load(&s->rejected[i]));
    printf("}}\n");
    fflush(stdout);
}

static uv_signal_t sigterm;

static void on_stopped(grpc_server *s)
{
    (void)s;
    uv_close((uv_handle_t *)&sigterm, NULL);
}

static void on_sigterm(uv_signal_t *h, int signum)
{
    (void)signum;
    uv_signal_stop(h);
    grpc_server_stop(h->data, on_stopped);
}

static int usage(void)
{
    fprintf(stderr, "usage: grpc_echo_server [--tls CERT KEY] [--max-message N] "
                    "[--header-bytes N] [--conn-buffer N] [--streams N] [--read-ms N] "
                    "[--idle-ms N]\n");
    return 2;
}

int main(int argc, char **argv)
{
    grpc_limits limits;
    grpc_limits_default(&limits);
    grpc_tls_files tls = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has1 = i + 1 < argc;
        if (strcmp(a, "--tls") == 0 && i + 2 < argc) {
            tls.cert_file = argv[++i];
            tls.key_file = argv[++i];
        } else if (strcmp(a, "--max-message") == 0 && has1) limits.max_message_bytes = strtoul(argv[++i], NULL, 10);
        else if (strcmp(a, "--header-bytes") == 0 && has1) limits.max_header_bytes = strtoul(argv[++i], NULL, 10);
        else if (strcmp(a, "--conn-buffer") == 0 && has1) limits.max_conn_buffer_bytes = strtoul(argv[++i], NULL, 10);
        else if (strcmp(a, "--streams") == 0 && has1) limits.max_concurrent_streams = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(a, "--read-ms") == 0 && has1) limits.read_timeout_ms = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "--idle-ms") == 0 && has1) limits.idle_timeout_ms = strtoull(argv[++i], NULL, 10);
        else return usage();
    }
    signal(SIGPIPE, SIG_IGN);
    uv_loop_t loop;
    uv_loop_init(&loop);
    grpc_server srv;
    char err[512];
    if (grpc_server_init(&srv, &loop, &limits) < 0 ||
        grpc_server_add_method(&srv, "/gatehouse.test.Echo/Echo", echo, NULL) < 0 ||
        grpc_server_add_method(&srv, "/gatehouse.test.Echo/Fail", fail, NULL) < 0) {
        fprintf(stderr, "grpc_echo_server: out of memory\n");
        return 1;
    }
    if (grpc_server_listen(&srv, "127.0.0.1", 0, false, tls.cert_file ? &tls : NULL, err,
                           sizeof err) < 0) {
        fprintf(stderr, "grpc_echo_server: %s\n", err);
        grpc_server_free(&srv);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
        return 1;
    }
    uv_signal_init(&loop, &sigterm);
    sigterm.data = &srv;
    uv_signal_start(&sigterm, on_sigterm, SIGTERM);
    printf("port %d\n", grpc_server_port(&srv));
    fflush(stdout);
    uv_run(&loop, UV_RUN_DEFAULT);
    print_counters(&srv);
    grpc_server_free(&srv);
    uv_loop_close(&loop);
    return 0;
}
