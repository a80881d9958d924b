/* The seed policy (a real user's, ../shared/seed-policies/data-master): for each of the 20
 * inputs, data.authz.Decision and data.authz.Message must equal OPA's answers in
 * expected-opa.json (an absent key means undefined). 40 checks; exit 77 when the folder is
 * absent. Usage: seed_policy DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/engine.h"
#include "testlib.h"

static const gh_value *read_json(gh_arena *a, const char *dir, const char *name, unsigned flags)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len;
    char *text = test_read_file(path, &len);
    if (!text) return NULL;
    gh_json_opts opts = {.flags = flags};
    const gh_value *v = NULL;
    gh_json_error err;
    if (gh_json_read(a, text, len, &opts, &v, &err) != 0) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        v = NULL;
    }
    free(text); /* values never point into the text: strings are copied */
    return v;
}

static const char *json_text(const gh_value *v, gh_buf *b)
{
    gh_buf_clear(b);
    if (!v) return "(undefined)";
    gh_json_write(b, v, 0);
    return b->data;
}

/* One decision document: compare with the expected entry's field (absent = undefined). */
static void check_doc(gh_evaluator *ev, const gh_revision *rev, const gh_value *input,
                      const gh_value *want_obj, const char *field, long n)
{
    char ref[64];
    snprintf(ref, sizeof ref, "data.authz.%s", field);
    const gh_value *got = NULL;
    gh_eval_error err;
    int rc = gh_eval(ev, rev, ref, input, &got, &err);
    const gh_value *want = gh_object_get_str(want_obj, field, strlen(field));
    gh_buf g, w;
    gh_buf_init(&g, 0);
    gh_buf_init(&w, 0);
    tests_run++;
    if (rc != 0) {
        char msg[700];
        gh_eval_error_format(&err, msg, sizeof msg);
        test_fail(__FILE__, __LINE__, "input %02ld %s: error %s", n, field, msg);
    } else if ((got == NULL) != (want == NULL) || (got && !gh_value_equal(got, want))) {
        test_fail(__FILE__, __LINE__, "input %02ld %s:\n   got: %s\n  want: %s", n, field,
                  json_text(got, &g), json_text(want, &w));
    }
    gh_buf_free(&g);
    gh_buf_free(&w);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../../shared/seed-policies/data-master";
    char path[4096];
    snprintf(path, sizeof path, "%s/policy.rego", dir);
    size_t len;
    char *policy = test_read_file(path, &len);
    if (!policy) {
        printf("skipped: %s not found (the shared seed policy is optional)\n", path);
        return 77;
    }
    gh_arena a;
    gh_arena_init(&a, 0);
    const gh_value *data = read_json(&a, dir, "data.json", GH_JSON_RELAXED);
    const gh_value *inputs = read_json(&a, dir, "inputs.json", GH_JSON_RELAXED | GH_JSON_MULTI);
    const gh_value *expected = read_json(&a, dir, "expected-opa.json", 0);
    CHECK(data && inputs && expected);
    CHECK_INT(gh_value_len(inputs), 20);
    CHECK_INT(gh_value_len(expected), 20);

    gh_diags diags;
    gh_diags_init(&diags);
    gh_source src = {.name = "policy.rego", .text = policy, .len = len};
    gh_revision *rev = data ? gh_revision_load(&src, 1, data, NULL, &diags) : NULL;
    if (!rev) {
        gh_buf b;
        gh_buf_init(&b, 0);
        gh_diags_format(&diags, &b);
        test_fail(__FILE__, __LINE__, "policy does not load:\n%s", b.data ? b.data : "");
        gh_buf_free(&b);
    }
    gh_evaluator *ev = gh_evaluator_new(NULL);
    for (size_t i = 0; rev && inputs && expected && i < gh_value_len(expected); i++) {
        const gh_value *want = gh_array_get(expected, i);
        int64_t n = 0;
        gh_number_get_int(gh_object_get_str(want, "input", 5), &n);
        const gh_value *input = gh_array_get(inputs, (size_t)(n - 1));
        CHECK(input != NULL);
        check_doc(ev, rev, input, want, "Decision", (long)n);
        check_doc(ev, rev, input, want, "Message", (long)n);
    }
    gh_evaluator_free(ev);
    if (rev) gh_revision_release(rev);
    gh_diags_free(&diags);
    gh_arena_free(&a);
    free(policy);
    return tests_done("seed_policy");
}
