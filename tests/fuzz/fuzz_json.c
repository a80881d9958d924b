/* Fuzz target for the JSON reader and writer. Oracle: whatever reads must write, read back
 * equal (and hash alike), and write again to the same text; strict success implies relaxed
 * success with an equal value. Any mismatch abort()s. */
#include "gatehouse/value.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ARENA_CAP (256u << 20) /* an error, not an OOM kill, for huge expansions */

static void check_roundtrip(gh_arena *a, const gh_value *v, unsigned flags)
{
    gh_buf b1, b2;
    gh_buf_init(&b1, 0);
    gh_buf_init(&b2, 0);
    if (gh_json_write(&b1, v, flags) != 0) abort(); /* read values always write */
    const gh_value *back = NULL;
    gh_json_error e;
    if (gh_json_read(a, b1.data, b1.len, NULL, &back, &e) != 0) abort();
    if (!gh_value_equal(v, back) || gh_value_compare(v, back) != 0) abort();
    if (gh_value_hash(v) != gh_value_hash(back)) abort();
    if (gh_json_write(&b2, back, flags) != 0) abort();
    if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0) abort();
    gh_buf_free(&b1);
    gh_buf_free(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gh_arena a;
    gh_arena_init(&a, FUZZ_ARENA_CAP);
    const char *src = (const char *)data;
    const gh_value *v = NULL, *rv = NULL;
    gh_json_error e;
    gh_json_opts relaxed = {.flags = GH_JSON_RELAXED};
    int rc = gh_json_read(&a, src, size, NULL, &v, &e);
    int rrc = gh_json_read(&a, src, size, &relaxed, &rv, &e);
    if (rc == 0) {
        if (rrc != 0 || !gh_value_equal(v, rv)) abort();
        check_roundtrip(&a, v, 0);
        check_roundtrip(&a, v, GH_JSON_PRETTY | GH_JSON_ESCAPE_HTML);
        gh_buf b;
        gh_buf_init(&b, 0);
        gh_value_to_rego(&b, v);
        gh_buf_free(&b);
    } else if (rrc == 0) {
        check_roundtrip(&a, rv, 0);
    }
    gh_arena_free(&a);
    return 0;
}
