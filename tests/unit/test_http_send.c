/* http.send against a real HTTP/1.1 server on 127.0.0.1 (a small one in a thread here):
 * request shape (method, headers, JSON and raw bodies), response object (status, headers,
 * decoded and raw bodies), redirects, timeouts, connection errors with raise_error on and
 * off, the operand checks, and the intra-query cache (one request per evaluation). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtins/builtins.h"
#include "loopback_http.h"
#include "testlib.h"

static gh_arena A;
static lb_server srv;
static int port; /* srv.port, for the request formats */

static int served(void)
{
    return __atomic_load_n(&srv.requests, __ATOMIC_SEQ_CST);
}

/* ---- the server: one connection at a time, one request per connection ---- */

static void respond(int fd, const char *req, int nth)
{
    (void)nth;
    char path[256] = "";
    sscanf(req, "%*s %255s", path);
    char out[12288];
    const char *body = "";
    const char *head = "200 OK\r\nContent-Type: text/plain";
    char echo[2048];
    if (strcmp(path, "/json") == 0) {
        head = "200 OK\r\nContent-Type: application/json; charset=utf-8\r\nX-Multi: a\r\nX-Multi: b";
        body = "{\"hello\": [1, 2.5, \"x\"]}";
    } else if (strcmp(path, "/yaml") == 0) {
        head = "200 OK\r\nContent-Type: application/yaml";
        body = "a: 1\nb: [x, y]\n";
    } else if (strcmp(path, "/badjson") == 0) {
        head = "200 OK\r\nContent-Type: application/json";
        body = "{not json";
    } else if (strcmp(path, "/missing") == 0) {
        head = "404 Not Found\r\nContent-Type: text/plain";
        body = "nope";
    } else if (strcmp(path, "/redirect") == 0) {
        head = "302 Found\r\nLocation: /json";
    } else if (strcmp(path, "/slow") == 0) {
        usleep(1500 * 1000);
        body = "late";
    } else if (strcmp(path, "/echo") == 0) {
        size_t n = strlen(req) < sizeof echo - 1 ? strlen(req) : sizeof echo - 1;
        memcpy(echo, req, n);
        echo[n] = '\0';
        body = echo;
    } else {
        body = "plain text";
    }
    int n = snprintf(out, sizeof out, "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     head, strlen(body), body);
    if (write(fd, out, (size_t)n) < 0) perror("write");
}

/* ---- calling the builtin ---- */

typedef struct call {
    int rc;
    const gh_value *out;
    char err[600];
    char json[8192];
} call;

/* http.send(REQ) where REQ is JSON text with %d standing for the server's port. */
static call send_json(gh_bctx *bc, const char *req_fmt)
{
    call c = {0};
    char text[2048];
    snprintf(text, sizeof text, req_fmt, port);
    const gh_value *req = NULL;
    gh_json_error je;
    if (gh_json_read(&A, text, strlen(text), NULL, &req, &je) != 0) {
        snprintf(c.err, sizeof c.err, "bad test JSON: %s", je.msg);
        c.rc = -1;
        return c;
    }
    const gh_builtin *b = gh_builtin_lookup("http.send", 9);
    bc->err_code = NULL;
    c.rc = gh_builtin_call(b, bc, &req, 1, &c.out);
    if (c.rc != 0) {
        snprintf(c.err, sizeof c.err, "%s: %s", bc->err_code ? bc->err_code : "?", bc->err_msg);
    } else {
        gh_buf b2;
        gh_buf_init(&b2, 0);
        gh_json_write(&b2, c.out, 0);
        snprintf(c.json, sizeof c.json, "%s", b2.data);
        gh_buf_free(&b2);
    }
    return c;
}

static gh_bctx fresh(void)
{
    return (gh_bctx){.arena = &A};
}

static void test_responses(void)
{
    gh_bctx bc = fresh();
    call c = send_json(&bc, "{\"method\": \"get\", \"url\": \"http://127.0.0.1:%d/json\"}");
    CHECK_INT(c.rc, 0);
    CHECK(strstr(c.json, "\"body\":{\"hello\":[1,2.5,\"x\"]}") != NULL);
    CHECK(strstr(c.json, "\"raw_body\":\"{\\\"hello\\\": [1, 2.5, \\\"x\\\"]}\"") != NULL);
    CHECK(strstr(c.json, "\"status\":\"200 OK\"") != NULL);
    CHECK(strstr(c.json, "\"status_code\":200") != NULL);
    CHECK(strstr(c.json, "\"x-multi\":[\"a\",\"b\"]") != NULL);
    CHECK(strstr(c.json, "\"content-type\":[\"application/json; charset=utf-8\"]") != NULL);
    CHECK(strncmp(srv.last_request, "GET /json HTTP/1.1\r\n", 20) == 0);
    CHECK(strstr(srv.last_request, "\r\nAccept:") == NULL); /* curl's own default is removed */

    c = send_json(&bc, "{\"method\": \"GET\", \"url\": \"http://127.0.0.1:%d/yaml\"}");
    CHECK(strstr(c.json, "\"body\":{\"a\":1,\"b\":[\"x\",\"y\"]}") != NULL);
    c = send_json(&bc, "{\"method\": \"GET\", \"url\": \"http://127.0.0.1:%d/badjson\"}");
    CHECK(strstr(c.json, "\"body\":null") != NULL);
    c = send_json(&bc, "{\"method\": \"GET\", \"url\": \"http://127.0.0.1:%d/text\"}");
    CHECK(strstr(c.json, "\"body\":null,") != NULL);
    CHECK(strstr(c.json, "\"raw_body\":\"plain text\"") != NULL);
    c = send_json(&bc, "{\"method\": \"GET\", \"url\": \"http://127.0.0.1:%d/text\", \"force_json_decode\": true}");
    CHECK(strstr(c.json, "\"body\":null,") != NULL); /* "plain text" is not JSON */
    c = send_json(&bc, "{\"method\": \"GET\", \"url\": \"http://127.0.0.1:%d/missing\"}");
    CHECK(strstr(c.json, "\"status\":\"404 Not Found\"") != NULL);
    CHECK(strstr(c.json, "\"status_code\":404") != NULL);
}

static void test_requests(void)
{
    gh_bctx bc = fresh();
    call c = send_json(&bc, "{\"method\": \"post\", \"url\": \"http://127.0.0.1:%d/echo\", "
                            "\"headers\": {\"x-token\": \"abc\", \"content-type\": \"application/json\"}, "
                            "\"body\": {\"b\": \"<&>\", \"a\": [1]}}");
    CHECK_INT(c.rc, 0);
    CHECK(strncmp(srv.last_request, "POST /echo HTTP/1.1\r\n", 21) == 0);
    CHECK(strstr(srv.last_request, "\r\nX-Token: abc\r\n") != NULL);
    CHECK(strstr(srv.last_request, "\r\nContent-Type: application/json\r\n") != NULL);
    CHECK(strstr(srv.last_request, "\r\nUser-Agent: gatehouse/") != NULL);
    /* the body is the value marshalled as Go does: sorted keys, HTML escaped */
    CHECK(strstr(srv.last_request, "\r\n\r\n{\"a\":[1],\"b\":\"\\u003c\\u0026\\u003e\"}") != NULL);

    c = send_json(&bc, "{\"method\": \"PUT\", \"url\": \"http://127.0.0.1:%d/echo\", \"raw_body\": \"k=v\"}");
    CHECK(strncmp(srv.last_request, "PUT /echo HTTP/1.1\r\n", 20) == 0);
    CHECK(strstr(srv.last_request, "\r\n\r\nk=v") != NULL);
    CHECK(strstr(srv.last_request, "application/x-www-form-urlencoded") == NULL);

    c = send_json(&bc, "{\"method\": \"GET\", \"url\": \"http://127.0.0.1:%d/redirect\"}");
    CHECK(strstr(c.json, "\"status_code\":302") != NULL); /* not followed by default */
    c = send_json(&bc, "{\"method\": \"GET\", \"url\": \"http://127.0.0.1:%d/redirect\", \"enable_redirect\": true}");
    CHECK(strstr(c.json, "\"status_code\":200") != NULL);
    CHECK(strstr(c.json, "\"hello\"") != NULL);
}

static void test_errors(void)
{
    gh_bctx bc = fresh();
    call c = send_json(&bc, "{\"method\": \"get\", \"url\": \"http://127.0.0.1:%d/slow\", \"timeout\": \"200ms\"}");
    CHECK(c.rc != 0);
    char want[256];
    snprintf(want, sizeof want, "eval_builtin_error: http.send: Get http://127.0.0.1:%d/slow: request timed out", port);
    CHECK_STR(c.err, want);

    int dead = lb_dead_port();
    char req[256];
    snprintf(req, sizeof req, "{\"method\": \"get\", \"url\": \"http://127.0.0.1:%d/\"}", dead);
    c = send_json(&bc, req);
    CHECK(c.rc != 0);
    CHECK(strstr(c.err, "eval_builtin_error: http.send: Get \"http://127.0.0.1:") != NULL);
    snprintf(req, sizeof req, "{\"method\": \"get\", \"url\": \"http://127.0.0.1:%d/\", \"raise_error\": false}", dead);
    c = send_json(&bc, req);
    CHECK_INT(c.rc, 0);
    CHECK(strstr(c.json, "{\"error\":{\"code\":\"eval_http_send_network_error\",\"message\":\"Get \\\"http") != NULL);
    CHECK(strstr(c.json, "\"status_code\":0}") != NULL);

    c = send_json(&bc, "{\"method\": \"get\", \"url\": \"http://127.0.0.1:%d/\", \"bad_key\": 1, \"other\": 2}");
    CHECK_STR(c.err, "eval_type_error: http.send: operand 1 invalid request parameters(s): {\"bad_key\", \"other\"}");
    c = send_json(&bc, "{\"method\": \"get\"}");
    CHECK_STR(c.err, "eval_type_error: http.send: operand 1 missing required request parameters(s): {\"url\"}");
    c = send_json(&bc, "{\"method\": \"get\", \"url\": 7}");
    CHECK_STR(c.err, "eval_builtin_error: http.send: \"url\" must be a string");
    c = send_json(&bc, "{\"method\": \"get\", \"url\": \"http://127.0.0.1:%d/\", \"timeout\": \"soon\"}");
    CHECK_STR(c.err, "eval_builtin_error: http.send: invalid timeout value \"soon\": time: invalid duration");
    c = send_json(&bc, "{\"method\": \"get\", \"url\": \"http://127.0.0.1:%d/\", \"raise_error\": \"no\"}");
    CHECK_STR(c.err, "eval_builtin_error: http.send: invalid value for raise_error field");
    c = send_json(&bc, "{\"method\": \"get\", \"url\": \"file:///etc/passwd\", \"raise_error\": false}");
    CHECK(strstr(c.json, "eval_http_send_network_error") != NULL); /* only http and https */
}

static void test_cache(void)
{
    gh_bctx bc = fresh(); /* one evaluation: bc->memo lives as long as bc */
    int before = served();
    call c1 = send_json(&bc, "{\"method\": \"get\", \"url\": \"http://127.0.0.1:%d/json\"}");
    call c2 = send_json(&bc, "{\"method\": \"get\", \"url\": \"http://127.0.0.1:%d/json\"}");
    CHECK_INT(served() - before, 1);
    CHECK_STR(c2.json, c1.json);
    send_json(&bc, "{\"method\": \"get\", \"url\": \"http://127.0.0.1:%d/json\", \"headers\": {\"a\": \"1\"}}");
    CHECK_INT(served() - before, 2); /* a different request */
    gh_bctx other = fresh();          /* the next evaluation sends again */
    send_json(&other, "{\"method\": \"get\", \"url\": \"http://127.0.0.1:%d/json\"}");
    CHECK_INT(served() - before, 3);
}

int main(void)
{
    gh_arena_init(&A, 0);
    lb_start(&srv, respond);
    port = srv.port;
    test_responses();
    test_requests();
    test_errors();
    test_cache();
    lb_stop(&srv);
    gh_arena_free(&A);
    return tests_done("test_http_send");
}
