/* Fuzz target for the ext_authz CheckRequest decoder (sidecar/extauthz_input.c): the input
 * is a serialized envoy.service.auth.v3.CheckRequest (the seeds in corpus/extauthz/ are
 * requests shaped as Envoy sends them: headers, queries, JSON and form bodies, metadata).
 * Oracles: a decode succeeds exactly when it returns a document, which is an object with
 * the plugin's members that writes as JSON; a failure has a message. Then the parsed body,
 * when it is an object, is taken as a decision: the mapping must give a coherent result
 * whose CheckResponse encodes and decodes back with the status it says. Any violation
 * abort()s. */
#include "envoy/service/auth/v3/external_auth.pb-c.h"
#include "extauthz.h"
#include "gatehouse/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_document(const gh_value *in) {
    if (gh_value_kind(in) != GH_KIND_OBJECT || !gh_object_get_str(in, "version", 7) ||
        gh_value_kind(gh_object_get_str(in, "parsed_path", 11)) != GH_KIND_ARRAY ||
        gh_value_kind(gh_object_get_str(in, "parsed_query", 12)) != GH_KIND_OBJECT)
        abort();
    gh_buf b;
    gh_buf_init(&b, 0);
    if (gh_json_write(&b, in, 0) != 0) abort();
    gh_buf_free(&b);
}

/* The decision's result must encode, and Envoy must read back what the result says. */
static void check_decision(const gh_value *decision, bool dry_run) {
    extauthz_result r;
    int rc = extauthz_decide(decision, dry_run, &r);
    if (rc != 0 && (rc != GH_EINVAL || !r.error[0])) abort();
    if (rc != 0 && r.allowed != dry_run) abort();
    if (!r.allowed && !r.structured && r.http_status != 403) abort();
    r.decision_id = "fuzz";
    uint8_t *buf;
    size_t len;
    if (extauthz_encode_check_response(&r, &buf, &len) != 0) abort();
    Envoy__Service__Auth__V3__CheckResponse *resp =
        envoy__service__auth__v3__check_response__unpack(NULL, len, buf);
    if (!resp || !resp->status || resp->status->code != (r.allowed ? 0 : 7)) abort();
    if (!r.allowed && r.structured && (int)resp->denied_response->status->code != r.http_status) abort();
    envoy__service__auth__v3__check_response__free_unpacked(resp, NULL);
    free(buf);
    extauthz_http_reply h;
    if (extauthz_http_response(&r, &h) != 0 || h.status != (r.allowed ? 200 : r.http_status)) abort();
    extauthz_http_reply_free(&h);
    extauthz_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gh_arena a;
    gh_arena_init(&a, 64u << 20);
    const gh_value *in = NULL;
    char err[256] = "";
    int rc = extauthz_decode_check(data, size, &a, &in, err, sizeof err);
    if ((rc == 0) != (in != NULL) || (rc != 0 && !err[0])) abort();
    if (rc == 0) {
        check_document(in);
        const gh_value *body = gh_object_get_str(in, "parsed_body", 11);
        if (body && gh_value_kind(body) == GH_KIND_OBJECT) {
            check_decision(body, false);
            check_decision(body, true);
        }
    }
    gh_arena_free(&a);
    return 0;
}
