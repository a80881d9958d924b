/* http.send's inter-query cache (cache / force_cache) against a small HTTP/1.1 server on
 * 127.0.0.1 in a thread: answers shared across evaluations (a fresh gh_bctx each), max-age
 * and Expires freshness at the evaluation's time (now_ns moved, never slept), no-store,
 * force_cache with its duration, revalidation with If-None-Match (304 refreshing headers),
 * the byte bound (expired entries first, then oldest), and threads sharing the cache. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "builtins/bi_internal.h"
#include "loopback_http.h"
#include "testlib.h"

static gh_arena A;
static lb_server srv;
static int port; /* srv.port, for the request formats */

static int served(void)
{
    return __atomic_load_n(&srv.requests, __ATOMIC_SEQ_CST);
}
static const char *DATE = "Mon, 23 Nov 2026 12:00:00 GMT";
static int64_t date_s;           /* DATE as seconds since the epoch */
static int date_off;             /* the server's clock: DATE + date_off seconds */

/* ---- the server's answers (tests/lib/loopback_http.c runs it) ---- */

static void respond(int fd, const char *req, int n)
{
    char path[256] = "";
    sscanf(req, "%*s %255s", path);
    char out[8192], head[1024], body[4096];
    snprintf(body, sizeof body, "n=%d", n);
    const char *cc = "";
    const char *status = "200 OK";
    const char *extra = "";
    if (strncmp(path, "/ma/", 4) == 0) {
        cc = "Cache-Control: max-age=60\r\n";
    } else if (strcmp(path, "/ns") == 0) {
        cc = "Cache-Control: no-store, max-age=60\r\n";
    } else if (strcmp(path, "/expires") == 0) {
        cc = "Expires: Mon, 23 Nov 2026 12:01:00 GMT\r\n";
    } else if (strcmp(path, "/etag") == 0) {
        if (strstr(req, "\r\nIf-None-Match: \"v1\"\r\n")) {
            status = "304 Not Modified";
            cc = "Cache-Control: max-age=30\r\nX-Rev: 2\r\n";
            body[0] = '\0';
        } else {
            cc = "Cache-Control: max-age=10\r\nETag: \"v1\"\r\nX-Rev: 1\r\n";
            extra = "Content-Type: application/json\r\n";
            snprintf(body, sizeof body, "{\"n\": %d}", n);
        }
    } else if (strcmp(path, "/lm") == 0) { /* Last-Modified, always a new 200 */
        cc = "Cache-Control: max-age=10\r\nLast-Modified: Sun, 22 Nov 2026 10:00:00 GMT\r\n";
    } else if (strncmp(path, "/big/", 5) == 0 || strncmp(path, "/old/", 5) == 0) {
        cc = path[1] == 'b' ? "Cache-Control: max-age=60\r\n" : "Cache-Control: max-age=1\r\n";
        memset(body, 'x', 1000);
        snprintf(body + 1000, sizeof body - 1000, "%d", n);
    } else if (strcmp(path, "/missing") == 0) {
        status = "500 Internal Server Error";
        cc = "Cache-Control: max-age=60\r\n";
    }
    char date[64];
    time_t t = (time_t)(date_s + __atomic_load_n(&date_off, __ATOMIC_SEQ_CST));
    struct tm tm;
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t, &tm));
    snprintf(head, sizeof head, "HTTP/1.1 %s\r\nDate: %s\r\n%s%s", status, date, cc, extra);
    int len = snprintf(out, sizeof out, "%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                       head, strlen(body), body);
    if (write(fd, out, (size_t)len) < 0) perror("write");
}

/* ---- calling the builtin ---- */

typedef struct call {
    int rc;
    char err[600];
    char json[8192];
} call;

/* http.send(REQ) in a new evaluation at DATE + at_s seconds; REQ is JSON with %d for the
 * server's port. */
static call send_in(gh_arena *arena, int64_t at_s, const char *req_fmt)
{
    call c = {0};
    gh_bctx bc = {.arena = arena, .now_ns = (date_s + at_s) * 1000000000LL};
    char text[2048];
    snprintf(text, sizeof text, req_fmt, port);
    const gh_value *req = NULL, *out = NULL;
    if (gh_json_read(arena, text, strlen(text), NULL, &req, NULL) != 0) {
        snprintf(c.err, sizeof c.err, "bad test JSON");
        c.rc = -1;
        return c;
    }
    c.rc = gh_builtin_call(gh_builtin_lookup("http.send", 9), &bc, &req, 1, &out);
    if (c.rc != 0) {
        snprintf(c.err, sizeof c.err, "%s: %s", bc.err_code ? bc.err_code : "?", bc.err_msg);
    } else {
        gh_buf b;
        gh_buf_init(&b, 0);
        gh_json_write(&b, out, 0);
        snprintf(c.json, sizeof c.json, "%s", b.data ? b.data : "");
        gh_buf_free(&b);
    }
    return c;
}

static call send_at(int64_t at_s, const char *req_fmt)
{
    return send_in(&A, at_s, req_fmt);
}

#define GET(path, more) "{\"method\": \"get\", \"url\": \"http://127.0.0.1:%d" path "\"" more "}"

static void test_shared_and_max_age(void)
{
    int before = served();
    call c1 = send_at(1, GET("/ma/1", ", \"cache\": true"));
    CHECK_INT(c1.rc, 0);
    CHECK(strstr(c1.json, "\"raw_body\":\"n=") != NULL);
    call c2 = send_at(30, GET("/ma/1", ", \"cache\": true")); /* another evaluation */
    CHECK_INT(served() - before, 1);
    CHECK_STR(c2.json, c1.json);
    send_at(30, GET("/ma/1", "")); /* without cache: true the cache is not consulted */
    CHECK_INT(served() - before, 2);
    call c3 = send_at(59, GET("/ma/1", ", \"cache\": true"));
    CHECK_STR(c3.json, c1.json);
    CHECK_INT(served() - before, 2);
    /* max-age=60: stale at 60 s, and no validator, so sent again (the server's clock
     * moved on too) */
    __atomic_store_n(&date_off, 60, __ATOMIC_SEQ_CST);
    call c4 = send_at(60, GET("/ma/1", ", \"cache\": true"));
    CHECK_INT(served() - before, 3);
    CHECK(strcmp(c4.json, c1.json) != 0);
    call c5 = send_at(61, GET("/ma/1", ", \"cache\": true"));
    CHECK_STR(c5.json, c4.json); /* the new answer is cached */
    CHECK_INT(served() - before, 3);
    /* a Date in the future (an evaluation earlier than the response) is stale */
    send_at(-5, GET("/ma/1", ", \"cache\": true"));
    CHECK_INT(served() - before, 4);
    __atomic_store_n(&date_off, 0, __ATOMIC_SEQ_CST);

    /* cache_ignored_headers' headers are not part of the key */
    before = served();
    send_at(1, GET("/ma/2", ", \"cache\": true, \"headers\": {\"x-id\": \"1\"}, "
                            "\"cache_ignored_headers\": [\"x-id\"]"));
    send_at(2, GET("/ma/2", ", \"cache\": true, \"headers\": {\"x-id\": \"2\"}, "
                            "\"cache_ignored_headers\": [\"x-id\"]"));
    CHECK_INT(served() - before, 1);
    send_at(2, GET("/ma/2", ", \"cache\": true, \"headers\": {\"x-id\": \"2\"}"));
    CHECK_INT(served() - before, 2);

    /* Expires - Date is the lifetime when there is no max-age */
    before = served();
    send_at(1, GET("/expires", ", \"cache\": true"));
    send_at(59, GET("/expires", ", \"cache\": true"));
    CHECK_INT(served() - before, 1);
    send_at(60, GET("/expires", ", \"cache\": true"));
    CHECK_INT(served() - before, 2);

    /* uncacheable status codes are not stored */
    before = served();
    send_at(1, GET("/missing", ", \"cache\": true"));
    send_at(2, GET("/missing", ", \"cache\": true"));
    CHECK_INT(served() - before, 2);
}

static void test_no_store_and_force(void)
{
    int before = served();
    send_at(1, GET("/ns", ", \"cache\": true"));
    send_at(2, GET("/ns", ", \"cache\": true"));
    CHECK_INT(served() - before, 2); /* no-store */

    /* no cache headers at all: stored, but never fresh */
    before = served();
    send_at(1, GET("/plain", ", \"cache\": true"));
    send_at(2, GET("/plain", ", \"cache\": true"));
    CHECK_INT(served() - before, 2);

    /* force_cache: fresh for force_cache_duration_seconds after Date, whatever the headers */
    before = served();
    const char *force = GET("/plain", ", \"force_cache\": true, \"force_cache_duration_seconds\": 100");
    call f1 = send_at(1, force);
    call f2 = send_at(99, force);
    CHECK_INT(served() - before, 1);
    CHECK_STR(f2.json, f1.json);
    send_at(100, force);
    CHECK_INT(served() - before, 2);
    /* and no-store is overridden */
    const char *force_ns = GET("/ns", ", \"force_cache\": true, \"force_cache_duration_seconds\": 100");
    before = served();
    send_at(1, force_ns);
    send_at(50, force_ns);
    CHECK_INT(served() - before, 1);

    call e = send_at(1, GET("/plain", ", \"force_cache\": true"));
    CHECK_STR(e.err, "eval_builtin_error: http.send: 'force_cache' set but "
                     "'force_cache_duration_seconds' parameter is missing");
    e = send_at(1, GET("/plain", ", \"force_cache\": true, \"raise_error\": false"));
    CHECK(strstr(e.json, "\"code\":\"eval_http_send_internal_error\"") != NULL);
    e = send_at(1, GET("/plain", ", \"force_cache\": true, \"force_cache_duration_seconds\": \"x\""));
    CHECK_STR(e.err, "eval_builtin_error: http.send: strconv.ParseInt: parsing \"\\\"x\\\"\": invalid syntax");
    e = send_at(1, GET("/plain", ", \"cache\": 1"));
    CHECK_STR(e.err, "eval_builtin_error: http.send: invalid value for \"cache\" field");

    /* an unknown caching_mode keeps the response out of the inter-query cache */
    before = served();
    send_at(1, GET("/ma/3", ", \"cache\": true, \"caching_mode\": \"weird\""));
    send_at(2, GET("/ma/3", ", \"cache\": true, \"caching_mode\": \"weird\""));
    CHECK_INT(served() - before, 2);
    send_at(1, GET("/ma/3", ", \"cache\": true, \"caching_mode\": \"deserialized\""));
    send_at(2, GET("/ma/3", ", \"cache\": true, \"caching_mode\": \"deserialized\""));
    CHECK_INT(served() - before, 3);
}

static void test_revalidation(void)
{
    int before = served();
    const char *req = GET("/etag", ", \"cache\": true");
    call c1 = send_at(1, req);
    CHECK_INT(c1.rc, 0);
    CHECK(strstr(c1.json, "\"x-rev\":[\"1\"]") != NULL);
    CHECK(strstr(c1.json, "\"body\":{\"n\":") != NULL);
    call c2 = send_at(5, req);
    CHECK_STR(c2.json, c1.json);
    CHECK_INT(served() - before, 1);
    /* stale at 10 s: revalidated with the ETag; the 304's headers replace the stored ones */
    call c3 = send_at(20, req);
    CHECK_INT(served() - before, 2);
    CHECK(strstr(srv.last_request, "\r\nIf-None-Match: \"v1\"\r\n") != NULL);
    CHECK_INT(c3.rc, 0);
    CHECK(strstr(c3.json, "\"x-rev\":[\"2\"]") != NULL);
    CHECK(strstr(c3.json, "\"cache-control\":[\"max-age=30\"]") != NULL);
    CHECK(strstr(c3.json, "\"etag\":[\"\\\"v1\\\"\"]") != NULL); /* kept */
    CHECK(strstr(c3.json, "\"status_code\":200") != NULL);        /* the stored response */
    const char *b1 = strstr(c1.json, "\"body\":"), *b3 = strstr(c3.json, "\"body\":");
    CHECK(b1 && b3 && strncmp(b1, b3, 16) == 0);                  /* and its body */
    /* fresh again for the 304's max-age=30 */
    call c4 = send_at(25, req);
    CHECK_STR(c4.json, c3.json);
    CHECK_INT(served() - before, 2);

    /* Last-Modified: If-Modified-Since; a 200 replaces the entry */
    before = served();
    const char *lm = GET("/lm", ", \"cache\": true");
    call l1 = send_at(1, lm);
    __atomic_store_n(&date_off, 15, __ATOMIC_SEQ_CST); /* the new answer's Date */
    call l2 = send_at(20, lm);
    __atomic_store_n(&date_off, 0, __ATOMIC_SEQ_CST);
    CHECK_INT(served() - before, 2);
    CHECK(strstr(srv.last_request, "\r\nIf-Modified-Since: Sun, 22 Nov 2026 10:00:00 GMT\r\n") != NULL);
    CHECK(strcmp(l1.json, l2.json) != 0);
    call l3 = send_at(21, lm);
    CHECK_STR(l3.json, l2.json);
    CHECK_INT(served() - before, 2);
}

static void test_bound(void)
{
    bi_hcache_clear();
    size_t entries, bytes;
    send_at(1, GET("/big/1", ", \"cache\": true"));
    bi_hcache_stats(&entries, &bytes);
    CHECK_INT(entries, 1);
    CHECK(bytes > 1000);
    bi_hcache_configure(bytes * 2 + bytes / 2); /* room for two */
    int before = served();
    send_at(1, GET("/big/2", ", \"cache\": true"));
    send_at(1, GET("/big/3", ", \"cache\": true")); /* evicts /big/1, the oldest */
    bi_hcache_stats(&entries, NULL);
    CHECK_INT(entries, 2);
    CHECK_INT(served() - before, 2);
    send_at(2, GET("/big/2", ", \"cache\": true"));
    send_at(2, GET("/big/3", ", \"cache\": true"));
    CHECK_INT(served() - before, 2);
    send_at(2, GET("/big/1", ", \"cache\": true")); /* evicted: sent (and evicts /big/2) */
    CHECK_INT(served() - before, 3);

    /* expired entries go before older live ones */
    bi_hcache_clear();
    before = served();
    send_at(1, GET("/big/a", ", \"cache\": true"));  /* max-age=60 */
    send_at(1, GET("/old/b", ", \"cache\": true"));  /* max-age=1: expired at 2 s */
    send_at(10, GET("/big/c", ", \"cache\": true")); /* needs one slot: /old/b goes */
    CHECK_INT(served() - before, 3);
    send_at(11, GET("/big/a", ", \"cache\": true"));
    send_at(11, GET("/big/c", ", \"cache\": true"));
    CHECK_INT(served() - before, 3);

    /* an entry larger than the whole bound is not stored */
    bi_hcache_configure(100);
    bi_hcache_stats(&entries, &bytes);
    CHECK_INT(entries, 0);
    send_at(1, GET("/big/d", ", \"cache\": true"));
    bi_hcache_stats(&entries, NULL);
    CHECK_INT(entries, 0);
    bi_hcache_configure(0);
}

/* ---- threads: readers, a thread whose evaluations see the entries stale (deleting and
 * replacing them while others read), and clears ---- */

typedef struct worker {
    int id, ok, bad;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    gh_arena arena;
    gh_arena_init(&arena, 0);
    for (int i = 0; i < 60; i++) {
        char path[128];
        snprintf(path, sizeof path, "{\"method\": \"get\", \"url\": \"http://127.0.0.1:%%d/ma/t%d\", "
                                    "\"cache\": true}", i % 4);
        call c = send_in(&arena, w->id == 3 ? 100 : 1, path);
        if (c.rc == 0 && strstr(c.json, "\"status_code\":200") && strstr(c.json, "\"raw_body\":\"n="))
            w->ok++;
        else
            w->bad++;
        if (w->id == 2 && i % 20 == 19) bi_hcache_clear();
        gh_arena_reset(&arena);
    }
    gh_arena_free(&arena);
    return NULL;
}

static void test_threads(void)
{
    pthread_t th[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){.id = i};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        CHECK_INT(w[i].ok, 60);
        CHECK_INT(w[i].bad, 0);
    }
}

int main(void)
{
    struct tm tm = {0};
    strptime(DATE, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    date_s = (int64_t)timegm(&tm);
    gh_arena_init(&A, 0);
    lb_start(&srv, respond);
    port = srv.port;
    test_shared_and_max_age();
    test_no_store_and_force();
    test_revalidation();
    test_bound();
    test_threads();
    lb_stop(&srv);
    bi_hcache_clear();
    gh_arena_free(&A);
    return tests_done("test_http_cache");
}
