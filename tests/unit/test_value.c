/* Unit tests for the value model: construction, OPA's order and equality, exact numbers,
 * hashing, lookups, and the Rego text rendering. */
#include "gatehouse/error.h"
#include "gatehouse/value.h"

#include "testlib.h"

#include <math.h>
#include <stdio.h>

static gh_arena A;

/* A value from JSON text (the reader has its own tests); aborts the check on bad input. */
static const gh_value *J(const char *json)
{
    const gh_value *v = NULL;
    gh_json_error e;
    if (gh_json_read(&A, json, strlen(json), NULL, &v, &e) != 0) {
        test_fail(__FILE__, __LINE__, "bad test JSON %s: %s", json, e.msg);
        return GH_NULL;
    }
    return v;
}

static const gh_value *N(const char *text)
{
    const gh_value *v = NULL;
    int rc = gh_value_number(&A, text, strlen(text), &v);
    if (rc) {
        test_fail(__FILE__, __LINE__, "gh_value_number(%s) = %d", text, rc);
        return GH_NULL;
    }
    return v;
}

static const char *rego(const gh_value *v)
{
    static gh_buf b;
    gh_buf_free(&b);
    gh_value_to_rego(&b, v);
    return b.data ? b.data : "";
}

static const char *json(const gh_value *v)
{
    static gh_buf b;
    gh_buf_free(&b);
    gh_json_write(&b, v, 0);
    return b.data ? b.data : "";
}

static int sign(int c)
{
    return (c > 0) - (c < 0);
}

/* value-1: every value is below the next one, across and within kinds. */
static void test_order(void)
{
    const gh_value *seq[] = {
        GH_NULL,
        GH_FALSE,
        GH_TRUE,
        N("-12345678901234567890123"),
        gh_value_int(&A, INT64_MIN),
        gh_value_int(&A, -1),
        gh_value_double(&A, -0.5),
        gh_value_int(&A, 0),
        N("1e-400"),
        gh_value_double(&A, 0.1),
        N("0.30000000000000001"),
        gh_value_double(&A, 0.30000000000000004),
        gh_value_int(&A, 1),
        N("1.000000000000000000001"),
        gh_value_int(&A, INT64_MAX),
        N("12345678901234567890123"),
        N("12345678901234567890124"),
        N("1e400"),
        gh_value_string(&A, "", 0),
        gh_value_string(&A, "A", 1),
        gh_value_string(&A, "Z", 1),
        gh_value_string(&A, "a", 1),
        gh_value_string(&A, "ab", 2),
        gh_value_string(&A, "abcdefghij", 10),
        gh_value_string(&A, "b", 1),
        gh_value_string(&A, "\xc3\xa9", 2), /* bytewise: UTF-8 above ASCII */
        J("[]"),
        J("[1]"),
        J("[1,2]"),
        J("[1,3]"),
        J("[2]"),
        J("[\"a\"]"),
        J("{}"),
        J("{\"a\":1}"),
        J("{\"a\":1,\"b\":1}"),
        J("{\"a\":2}"),
        J("{\"b\":0}"),
    };
    size_t n = sizeof seq / sizeof *seq;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            int want = i < j ? -1 : i > j;
            int got = sign(gh_value_compare(seq[i], seq[j]));
            if (got != want)
                test_fail(__FILE__, __LINE__, "compare(%s, %s) = %d, want %d", rego(seq[i]),
                          json(seq[j]), got, want);
            tests_run++;
            CHECK(gh_value_equal(seq[i], seq[j]) == (i == j));
        }
    /* kinds follow the same order */
    CHECK(GH_KIND_NULL < GH_KIND_BOOL && GH_KIND_BOOL < GH_KIND_NUMBER &&
          GH_KIND_NUMBER < GH_KIND_STRING && GH_KIND_STRING < GH_KIND_ARRAY &&
          GH_KIND_ARRAY < GH_KIND_OBJECT && GH_KIND_OBJECT < GH_KIND_SET);
    CHECK_STR(gh_kind_name(gh_value_kind(GH_TRUE)), "boolean");
}

static const gh_value *set_of(const char *json_array)
{
    const gh_value *arr = J(json_array);
    const gh_value *items[64];
    size_t n = gh_value_len(arr);
    for (size_t i = 0; i < n; i++)
        items[i] = gh_array_get(arr, i);
    return gh_value_set(&A, items, n);
}

/* value-2: sets and objects compare by sorted content, sets after objects. */
static void test_order_sets(void)
{
    const gh_value *s0 = set_of("[]"), *s1 = set_of("[1]"), *s12 = set_of("[2,1,2,1]");
    const gh_value *s2 = set_of("[2]");
    CHECK(gh_value_compare(J("{\"z\":[1]}"), s0) < 0);
    CHECK(gh_value_compare(s0, s1) < 0);
    CHECK(gh_value_compare(s1, s12) < 0);
    CHECK(gh_value_compare(s12, s2) < 0);
    CHECK(gh_value_equal(s12, set_of("[1,2]")));
    CHECK_INT(gh_value_len(s12), 2);
    CHECK_STR(rego(s12), "{1, 2}");
    CHECK_STR(rego(s0), "set()");
    CHECK(gh_value_equal(J("{\"b\":1,\"a\":2}"), J("{\"a\":2,\"b\":1}")));
    CHECK(gh_value_hash(J("{\"b\":1,\"a\":2}")) == gh_value_hash(J("{\"a\":2.0,\"b\":1}")));
}

/* value-3: numbers are equal by value whatever their form, and hash alike. */
static void test_number_equality(void)
{
    const gh_value *forms[] = {
        gh_value_int(&A, 1), gh_value_double(&A, 1.0),    N("1.0"), N("1e0"), N("100e-2"),
        N("0.1e1"),          N("1.000000000000000000000")};
    size_t n = sizeof forms / sizeof *forms;
    for (size_t i = 0; i < n; i++) {
        CHECK(gh_value_equal(forms[0], forms[i]));
        CHECK_INT(gh_value_compare(forms[i], forms[0]), 0);
        CHECK(gh_value_hash(forms[0]) == gh_value_hash(forms[i]));
    }
    CHECK(gh_value_equal(N("0.1"), N("0.10")));
    CHECK(gh_value_hash(N("0.1")) == gh_value_hash(N("0.10")));
    CHECK(gh_value_equal(N("-0"), gh_value_int(&A, 0)));
    CHECK(gh_value_equal(N("-0.0"), gh_value_double(&A, 0.0)));
    CHECK(gh_value_hash(N("-0")) == gh_value_hash(gh_value_int(&A, 0)));
    CHECK(gh_value_hash(gh_value_double(&A, -0.0)) == gh_value_hash(gh_value_int(&A, 0)));
    CHECK(!gh_value_equal(gh_value_int(&A, 1), gh_value_string(&A, "1", 1)));
    /* 2^60 and around: boxed ints, and ints beyond what a double holds exactly */
    CHECK(gh_value_equal(gh_value_int(&A, (int64_t)1 << 60), N("1152921504606846976")));
    CHECK(gh_value_equal(gh_value_int(&A, INT64_MIN), N("-9223372036854775808")));
    CHECK(gh_value_compare(N("9007199254740993"), gh_value_double(&A, 9007199254740992.0)) > 0);
    CHECK(gh_value_equal(N("9007199254740993.0"), N("9007199254740993")));
    CHECK(gh_value_compare(N("9223372036854775808"), gh_value_int(&A, INT64_MAX)) > 0);
}

/* value-4: big numbers compare exactly and keep their text. */
static void test_big_numbers(void)
{
    const gh_value *a = N("12345678901234567890123"), *b = N("12345678901234567890124");
    CHECK(!gh_value_equal(a, b));
    CHECK(gh_value_compare(a, b) < 0);
    CHECK(gh_value_equal(a, N("1.2345678901234567890123e22")));
    CHECK(gh_value_equal(a, N("12345678901234567890123.000")));
    CHECK(gh_value_compare(N("-12345678901234567890124"), N("-12345678901234567890123")) < 0);
    CHECK(gh_value_compare(N("1e400"), N("1e401")) < 0);
    CHECK(gh_value_compare(N("-1e400"), N("-1e401")) > 0);
    CHECK(gh_value_compare(N("1e-400"), N("0")) > 0);
    CHECK(gh_value_compare(N("1e-400"), N("2e-400")) < 0);
    size_t len;
    CHECK_STR(gh_number_text(a, &len), "12345678901234567890123");
    CHECK_INT(len, 23);
    CHECK(gh_number_text(N("0.1"), NULL) == NULL); /* a double prints it back exactly */
    CHECK(gh_number_text(N("1.0"), NULL) != NULL); /* a double would print "1" */
    CHECK_STR(json(a), "12345678901234567890123");
    CHECK_STR(json(N("1.0")), "1.0");
    CHECK_STR(json(N("1E+2")), "1E+2");
    CHECK_STR(json(N("-0")), "-0");
    CHECK_STR(json(N("0.1")), "0.1");
    CHECK_STR(json(N("-0.000001")), "-0.000001");
    CHECK_STR(json(N("0.0000001")), "0.0000001"); /* kept: Go would print 1e-7 */
    int64_t i;
    CHECK(gh_number_get_int(N("1e2"), &i) && i == 100);
    CHECK(gh_number_get_int(N("-9223372036854775808"), &i) && i == INT64_MIN);
    CHECK(!gh_number_get_int(N("9223372036854775808"), &i));
    CHECK(!gh_number_get_int(N("1.5"), &i));
    CHECK(!gh_number_get_int(N("9007199254740993.5"), &i));
    CHECK(gh_number_get_int(N("9007199254740993.0"), &i) && i == 9007199254740993);
    CHECK(gh_number_get_int(N("-0.0"), &i) && i == 0);
    CHECK(gh_number_get_int(N("12.5e1"), &i) && i == 125);
    CHECK(!gh_number_get_int(N("1e19"), &i));
    CHECK(gh_number_get_int(N("9.223372036854775807e18"), &i) && i == INT64_MAX);
    CHECK(gh_number_get_int(gh_value_double(&A, 1152921504606846976.0), &i) &&
          i == 1152921504606847000); /* what the double prints as */
    CHECK(gh_number_get_int(gh_value_double(&A, -3.0), &i) && i == -3);
    CHECK(!gh_number_get_int(gh_value_double(&A, 1e300), &i));
    CHECK(!gh_number_get_int(GH_TRUE, &i));
    CHECK(gh_number_get_double(N("0.5")) == 0.5);
    CHECK(isinf(gh_number_get_double(N("1e400"))));
    const gh_value *v;
    CHECK_INT(gh_value_number(&A, "01", 2, &v), GH_EINVAL);
    CHECK_INT(gh_value_number(&A, "1.", 2, &v), GH_EINVAL);
    CHECK_INT(gh_value_number(&A, "", 0, &v), GH_EINVAL);
    CHECK_INT(gh_value_number(&A, "+1", 2, &v), GH_EINVAL);
    CHECK_INT(gh_value_number(&A, "1e", 2, &v), GH_EINVAL);
}

/* value-5: computed doubles print as Go's encoding/json prints them. */
static void test_double_format(void)
{
    static const struct {
        double d;
        const char *want;
    } cases[] = {
        {0.0, "0"},
        {-0.0, "-0"},
        {1.0, "1"},
        {-2.5, "-2.5"},
        {0.1, "0.1"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1e20, "100000000000000000000"},
        {1e21, "1e+21"},
        {1.5e21, "1.5e+21"},
        {123456789.125, "123456789.125"},
        {1e-6, "0.000001"},
        {1e-7, "1e-7"},
        {1.25e-7, "1.25e-7"},
        {1e-10, "1e-10"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {9007199254740993.0, "9007199254740992"},
        {1152921504606846976.0, "1152921504606847000"},
        {2.0 / 3.0, "0.6666666666666666"},
        {100, "100"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const gh_value *v = gh_value_double(&A, cases[i].d);
        CHECK_STR(json(v), cases[i].want);
        /* and the text reads back as an equal number */
        CHECK(gh_value_equal(v, N(cases[i].want)));
    }
    CHECK(gh_value_double(&A, NAN) == NULL);
    CHECK(gh_value_double(&A, INFINITY) == NULL);
    CHECK(gh_value_double(&A, -INFINITY) == NULL);
}

/* value-6: strings: short (in the word), long, by reference; bytes and lengths. */
static void test_strings(void)
{
    const char *samples[] = {"", "a", "abcdef", "abcdefg", "a longer string of some size"};
    for (size_t i = 0; i < 5; i++) {
        size_t n = strlen(samples[i]), len;
        const gh_value *s = gh_value_string(&A, samples[i], n);
        const gh_value *r = gh_value_string_ref(&A, samples[i], n);
        CHECK_INT(gh_value_kind(s), GH_KIND_STRING);
        CHECK_STR(gh_string_ptr(s, &len), samples[i]);
        CHECK_INT(len, n);
        CHECK_INT(gh_value_len(s), n);
        CHECK(gh_value_equal(s, r));
        CHECK(gh_value_hash(s) == gh_value_hash(r));
    }
    const gh_value *z = gh_value_string(&A, "a\0b", 3);
    size_t len;
    CHECK(memcmp(gh_string_ptr(z, &len), "a\0b", 3) == 0 && len == 3);
    CHECK(gh_value_compare(z, gh_value_string(&A, "a", 1)) > 0);
    CHECK(gh_string_ptr(GH_NULL, NULL) == NULL);
    CHECK_STR(rego(gh_value_string(&A, "q\"\\\n\t\x01\x7f\xff\xe2\x82\xac", 11)),
              "\"q\\\"\\\\\\n\\t\\x01\\x7f\\xff\xe2\x82\xac\"");
}

/* value-7: arrays, objects (sorted, de-duplicated, conflicts), sets; lookups and iteration. */
static void test_containers(void)
{
    const gh_value *k[4] = {gh_value_string(&A, "b", 1), gh_value_string(&A, "a", 1),
                            gh_value_int(&A, 1), gh_value_string(&A, "b", 1)};
    const gh_value *v[4] = {gh_value_int(&A, 2), gh_value_int(&A, 1), GH_TRUE,
                            gh_value_double(&A, 2.0)};
    const gh_value *obj = NULL, *conflict = NULL;
    CHECK_INT(gh_value_object(&A, k, v, 4, &obj, &conflict), 0);
    CHECK_INT(gh_value_len(obj), 3); /* "b": 2 and "b": 2.0 are the same member */
    CHECK_STR(rego(obj), "{1: true, \"a\": 1, \"b\": 2}");
    CHECK_STR(json(obj), "{\"1\":true,\"a\":1,\"b\":2}");
    CHECK(gh_value_equal(gh_object_key_at(obj, 0), gh_value_int(&A, 1)));
    CHECK(gh_value_equal(gh_object_value_at(obj, 2), gh_value_int(&A, 2)));
    CHECK(gh_object_key_at(obj, 3) == NULL);
    CHECK(gh_value_equal(gh_object_get_str(obj, "a", 1), gh_value_int(&A, 1)));
    CHECK(gh_object_get_str(obj, "c", 1) == NULL);
    CHECK(gh_value_equal(gh_object_get(obj, N("1.0")), GH_TRUE));
    CHECK(gh_object_get(obj, GH_NULL) == NULL);
    v[3] = gh_value_int(&A, 3);
    CHECK_INT(gh_value_object(&A, k, v, 4, &obj, &conflict), GH_EINVAL);
    CHECK(conflict == k[0] || conflict == k[3]);

    const gh_value *items[3] = {gh_value_int(&A, 3), GH_NULL, gh_value_string(&A, "x", 1)};
    const gh_value *arr = gh_value_array(&A, items, 3);
    CHECK_INT(gh_value_len(arr), 3);
    CHECK(gh_array_get(arr, 0) != items[0] && gh_value_equal(gh_array_get(arr, 0), items[0]));
    CHECK(gh_array_get(arr, 3) == NULL);
    CHECK(gh_array_get(obj, 0) == NULL);
    CHECK_STR(rego(arr), "[3, null, \"x\"]");
    const gh_value *set = gh_value_set(&A, items, 3);
    CHECK(gh_set_contains(set, N("3.0")));
    CHECK(!gh_set_contains(set, GH_FALSE));
    CHECK(gh_value_kind(gh_set_item_at(set, 0)) == GH_KIND_NULL);
    CHECK_STR(json(set), "[null,3,\"x\"]");
    CHECK_STR(rego(gh_value_array(&A, NULL, 0)), "[]");
    CHECK_STR(rego(gh_value_set(&A, NULL, 0)), "set()");
    CHECK_INT(gh_value_object(&A, NULL, NULL, 0, &obj, NULL), 0);
    CHECK_STR(rego(obj), "{}");
    CHECK(gh_value_equal(obj, J("{}")));

    /* a bigger object exercises the merge sort and the binary search */
    const gh_value *bk[300], *bv[300];
    char name[16];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "key%03d", (i * 7) % 300);
        bk[i] = gh_value_string(&A, name, strlen(name));
        bv[i] = gh_value_int(&A, (i * 7) % 300);
    }
    CHECK_INT(gh_value_object(&A, bk, bv, 300, &obj, NULL), 0);
    int sorted = 1;
    for (size_t i = 1; i < gh_value_len(obj); i++)
        sorted &= gh_value_compare(gh_object_key_at(obj, i - 1), gh_object_key_at(obj, i)) < 0;
    CHECK(sorted);
    CHECK(gh_value_equal(gh_object_get_str(obj, "key123", 6), gh_value_int(&A, 123)));
}

/* value-8: hashing agrees with equality on nested values. */
static void test_hash(void)
{
    CHECK(gh_value_hash(J("[1,{\"a\":[1.0,2]}]")) == gh_value_hash(J("[1.0,{\"a\":[1,2e0]}]")));
    CHECK(gh_value_hash(J("[1,2]")) != gh_value_hash(J("[2,1]")));
    CHECK(gh_value_hash(J("\"abc\"")) != gh_value_hash(J("\"abd\"")));
    CHECK(gh_value_hash(GH_NULL) != gh_value_hash(GH_FALSE));
    CHECK(gh_value_hash(J("[]")) != gh_value_hash(J("{}")));
    CHECK(gh_value_hash(set_of("[3,1]")) == gh_value_hash(set_of("[1,3,1]")));
}

static void test_rego_text(void)
{
    CHECK_STR(rego(J("{\"b\":[1,2.5,\"x\"],\"a\":{\"c\":null}}")),
              "{\"a\": {\"c\": null}, \"b\": [1, 2.5, \"x\"]}");
    CHECK_STR(rego(GH_TRUE), "true");
    CHECK_STR(rego(N("1e400")), "1e400");
}

/* A reset keeps the largest chunk (up to 1 MB): the same work again allocates no chunk. */
static void test_arena_reset_keeps_largest(void)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    for (int i = 0; i < 40; i++) /* 64 kB, then 128 kB and 256 kB chunks */
        CHECK(gh_arena_alloc(&a, 10000) != NULL);
    gh_arena_reset(&a);
    CHECK_INT(a.reserved, 256 * 1024);
    for (int i = 0; i < 20; i++)
        CHECK(gh_arena_alloc(&a, 10000) != NULL);
    CHECK_INT(a.reserved, 256 * 1024); /* fitted in the kept chunk */
    CHECK(gh_arena_alloc(&a, 2u << 20) != NULL); /* a chunk over 1 MB is not kept */
    gh_arena_reset(&a);
    CHECK_INT(a.reserved, 256 * 1024);
    gh_arena_free(&a);
}

int main(void)
{
    gh_arena_init(&A, 0);
    test_arena_reset_keeps_largest();
    test_order();
    test_order_sets();
    test_number_equality();
    test_big_numbers();
    test_double_format();
    test_strings();
    test_containers();
    test_hash();
    test_rego_text();
    gh_arena_free(&A);
    return tests_done("test_value");
}
