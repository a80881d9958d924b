/* Unit tests for JSON in and out: every malformed-input class with its exact message and
 * location, strings (escapes, surrogates, bad UTF-8), numbers that must round-trip, relaxed
 * mode, depth limits, sorted and pretty output, escaping. */
#include "gatehouse/error.h"
#include "gatehouse/value.h"

#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>

static gh_arena A;

static int read_n(const char *src, size_t len, unsigned flags, const gh_value **v, gh_json_error *e)
{
    gh_json_opts o = {.flags = flags};
    return gh_json_read(&A, src, len, &o, v, e);
}

static const gh_value *J(const char *src)
{
    const gh_value *v = GH_NULL;
    gh_json_error e;
    if (read_n(src, strlen(src), 0, &v, &e) != 0)
        test_fail(__FILE__, __LINE__, "unexpected error for %s: %s", src, e.msg);
    return v;
}

static const gh_value *R(const char *src) /* relaxed */
{
    const gh_value *v = GH_NULL;
    gh_json_error e;
    if (read_n(src, strlen(src), GH_JSON_RELAXED, &v, &e) != 0)
        test_fail(__FILE__, __LINE__, "unexpected error for %s: %s", src, e.msg);
    return v;
}

static const char *out(const gh_value *v, unsigned flags)
{
    static gh_buf b;
    gh_buf_free(&b);
    int rc = gh_json_write(&b, v, flags);
    if (rc) return gh_err_name(rc);
    return b.data ? b.data : "";
}

/* The JSON text of src after a read/write round trip. */
static const char *rt(const char *src)
{
    return out(J(src), 0);
}

/* json-1: malformed documents, strict mode unless the row says relaxed. */
static const struct {
    const char *src;
    bool relaxed;
    const char *msg; /* the whole message, location included */
} bad[] = {
    {"", 0, "json: 1:1: unexpected end of input, expected a value"},
    {"   \n ", 0, "json: 2:2: unexpected end of input, expected a value"},
    {"[", 0, "json: 1:2: unexpected end of input, expected a value"},
    {"[1", 0, "json: 1:3: unexpected end of input, expected ',' or ']' after array element"},
    {"[1 2]", 0, "json: 1:4: expected ',' or ']' after array element"},
    {"[1,]", 0, "json: 1:4: trailing comma in array (only allowed in relaxed mode)"},
    {"[1}", 0, "json: 1:3: expected ',' or ']' after array element"},
    {"{", 0, "json: 1:2: unexpected end of input, expected string for object key"},
    {"{1:2}", 0, "json: 1:2: expected string for object key"},
    {"{'a':1}", 0, "json: 1:2: expected string for object key"},
    {"{\"a\" 1}", 0, "json: 1:6: expected ':' after object key"},
    {"{\"a\"", 0, "json: 1:5: unexpected end of input, expected ':' after object key"},
    {"{\"a\":}", 0, "json: 1:6: unexpected '}', expected a value"},
    {"{\"a\":1,}", 0, "json: 1:8: trailing comma in object (only allowed in relaxed mode)"},
    {"{\"a\":1 \"b\":2}", 0, "json: 1:8: expected ',' or '}' after object member"},
    {"{\"a\":1", 0, "json: 1:7: unexpected end of input, expected ',' or '}' after object member"},
    {"{\n  \"a\": 1,\n  \"b\": 2\n  \"c\": 3}", 0,
     "json: 4:3: expected ',' or '}' after object member"},
    {"tru", 0, "json: 1:1: invalid literal, expected 'true'"},
    {"[nul]", 0, "json: 1:2: invalid literal, expected 'null'"},
    {"fals", 0, "json: 1:1: invalid literal, expected 'false'"},
    {"True", 0, "json: 1:1: unexpected 'T', expected a value"},
    {"-", 0, "json: 1:2: invalid number: expected a digit after '-'"},
    {"-a", 0, "json: 1:2: invalid number: expected a digit after '-'"},
    {"01", 0, "json: 1:1: invalid number: leading zeros are not allowed"},
    {"[-00]", 0, "json: 1:3: invalid number: leading zeros are not allowed"},
    {"1.", 0, "json: 1:3: invalid number: expected a digit after '.'"},
    {"1.e5", 0, "json: 1:3: invalid number: expected a digit after '.'"},
    {"1e", 0, "json: 1:3: invalid number: expected a digit in the exponent"},
    {"1e+", 0, "json: 1:4: invalid number: expected a digit in the exponent"},
    {".5", 0, "json: 1:1: unexpected '.', expected a value"},
    {"+1", 0, "json: 1:1: unexpected '+', expected a value"},
    {"NaN", 0, "json: 1:1: unexpected 'N', expected a value"},
    {"[Infinity]", 0, "json: 1:2: unexpected 'I', expected a value"},
    {"0x10", 0, "json: 1:2: unexpected data after the top-level value"},
    {"\"abc", 0, "json: 1:1: unterminated string"},
    {"[\"abc\\\"]", 0, "json: 1:2: unterminated string"},
    {"\"a\\", 0, "json: 1:1: unterminated string"},
    {"\"a\nb\"", 0, "json: 1:3: unescaped control character 0x0A in string"},
    {"\"tab\there\"", 0, "json: 1:5: unescaped control character 0x09 in string"},
    {"\"\\x41\"", 0, "json: 1:2: invalid escape 'x' in string"},
    {"\"\\U0041\"", 0, "json: 1:2: invalid escape 'U' in string"},
    {"\"\\u12\"", 0, "json: 1:2: invalid \\u escape, expected 4 hex digits"},
    {"\"ab\\uZZZZ\"", 0, "json: 1:4: invalid \\u escape, expected 4 hex digits"},
    {"1 2", 0, "json: 1:3: unexpected data after the top-level value"},
    {"[1]]", 0, "json: 1:4: unexpected data after the top-level value"},
    {"{}{}", 0, "json: 1:3: unexpected data after the top-level value"},
    {"\xff", 0, "json: 1:1: unexpected byte 0xFF, expected a value"},
    {"[\"a\",\x01]", 0, "json: 1:6: unexpected byte 0x01, expected a value"},
    {"\xef\xbb\xbf{}", 0, "json: 1:1: byte order mark (only allowed in relaxed mode)"},
    {"[\xef\xbb\xbf]", 0, "json: 1:2: unexpected byte 0xEF, expected a value"},
    {"// note\n{}", 0, "json: 1:1: comments are not allowed (only in relaxed mode)"},
    {"{\"a\":1}/* x */", 0, "json: 1:8: comments are not allowed (only in relaxed mode)"},
    {"[1,\n/* open", 1, "json: 2:1: unterminated block comment"},
    {"/x", 1, "json: 1:1: unexpected '/', expected a comment"},
    {"[,]", 1, "json: 1:2: unexpected ',', expected a value"},
    {"[1,,]", 1, "json: 1:4: unexpected ',', expected a value"},
    {"{,}", 1, "json: 1:2: expected string for object key"},
    {"{\"a\":1,,}", 1, "json: 1:8: expected string for object key"},
    {"[1] // trailing\n2", 1, "json: 2:1: unexpected data after the top-level value"},
};

static void test_malformed(void)
{
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const gh_value *v = NULL;
        gh_json_error e;
        int rc =
            read_n(bad[i].src, strlen(bad[i].src), bad[i].relaxed ? GH_JSON_RELAXED : 0, &v, &e);
        CHECK_INT(rc, GH_EJSON);
        CHECK_INT(e.code, GH_EJSON);
        if (strcmp(e.msg, bad[i].msg) != 0)
            test_fail(__FILE__, __LINE__, "json-1.%zu %s:\n   got: %s\n  want: %s", i, bad[i].src,
                      e.msg, bad[i].msg);
        tests_run++;
        CHECK(v == NULL);
    }
    /* the location is also given as numbers */
    gh_json_error e;
    const gh_value *v;
    const char *src = "{\n  \"a\": [1,\n    2 3]}";
    CHECK_INT(read_n(src, strlen(src), 0, &v, &e), GH_EJSON);
    CHECK_INT(e.line, 3);
    CHECK_INT(e.col, 7);
    CHECK_INT(e.offset, 19);
    /* input need not be NUL-terminated: the length is the end */
    CHECK_INT(read_n("[1,2]", 4, 0, &v, &e), GH_EJSON);
    CHECK_STR(e.msg, "json: 1:5: unexpected end of input, expected ',' or ']' after array element");
    CHECK_INT(read_n("12", 1, 0, &v, &e), 0);
    CHECK_STR(out(v, 0), "1");
    /* (NULL, 0) is an empty document; err may be NULL */
    CHECK_INT(gh_json_read(&A, NULL, 0, NULL, &v, &e), GH_EJSON);
    CHECK_STR(e.msg, "json: 1:1: unexpected end of input, expected a value");
    CHECK_INT(gh_json_read(&A, "[", 1, NULL, &v, NULL), GH_EJSON);
}

/* json-2: nesting depth is limited, and an error, not a crash. */
static void test_depth(void)
{
    size_t n = 100000;
    char *deep = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++) {
        deep[i] = '[';
        deep[2 * n - 1 - i] = ']';
    }
    deep[2 * n] = '\0';
    gh_json_error e;
    const gh_value *v;
    CHECK_INT(gh_json_read(&A, deep + n - 512, 1024, NULL, &v, &e), 0);
    CHECK_INT(gh_json_read(&A, deep + n - 513, 1026, NULL, &v, &e), GH_ELIMIT);
    CHECK_STR(e.msg, "json: 1:513: nesting too deep (more than 512 levels)");
    CHECK_INT(gh_json_read(&A, deep, 2 * n, NULL, &v, &e), GH_ELIMIT);
    gh_json_opts o = {.max_depth = 3};
    CHECK_INT(gh_json_read(&A, "[{\"a\":[]}]", 10, &o, &v, &e), 0);
    CHECK_INT(gh_json_read(&A, "[{\"a\":[{}]}]", 12, &o, &v, &e), GH_ELIMIT);
    CHECK_STR(e.msg, "json: 1:8: nesting too deep (more than 3 levels)");
    free(deep);
}

/* The bytes of a JSON string literal after reading. */
static const char *str(const char *lit, size_t *len)
{
    const gh_value *v = J(lit);
    const char *s = gh_string_ptr(v, len);
    return s ? s : "(not a string)";
}

static void check_str(int line, const char *lit, const char *want, size_t want_len)
{
    size_t len = 0;
    const char *s = str(lit, &len);
    tests_run++;
    if (len != want_len || memcmp(s, want, len) != 0)
        test_fail(__FILE__, line, "string %s: got %zu bytes \"%.*s\"", lit, len, (int)len, s);
}
#define CHECK_JSTR(lit, want) check_str(__LINE__, lit, want, sizeof(want) - 1)

/* json-3: escapes, surrogate pairs, lone surrogates and bad UTF-8 (Go's rules). */
static void test_strings(void)
{
    CHECK_JSTR("\"\"", "");
    CHECK_JSTR("\"plain ascii, long enough to skip the short form\"",
               "plain ascii, long enough to skip the short form");
    CHECK_JSTR("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t");
    CHECK_JSTR("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac");
    CHECK_JSTR("\"a\\u0000b\"", "a\0b");
    CHECK_JSTR("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80"); /* pair */
    CHECK_JSTR("\"\\ud83d\"", "\xef\xbf\xbd");            /* lone high */
    CHECK_JSTR("\"\\ude00x\"", "\xef\xbf\xbdx");          /* lone low */
    CHECK_JSTR("\"\\ud83dx\"", "\xef\xbf\xbdx");          /* high, no low */
    CHECK_JSTR("\"\\ud83d\\u0041\"", "\xef\xbf\xbd\101"); /* high, non-low ('A') */
    CHECK_JSTR("\"\\ud83d\\ud83d\\ude00\"", "\xef\xbf\xbd\xf0\x9f\x98\x80");
    CHECK_JSTR("\"\xf0\x9f\x98\x80 \xc3\xa9\"", "\xf0\x9f\x98\x80 \xc3\xa9"); /* valid */
    CHECK_JSTR("\"\xff\"", "\xef\xbf\xbd");
    CHECK_JSTR("\"a\xe2\x82\"", "a\xef\xbf\xbd\xef\xbf\xbd");               /* truncated */
    CHECK_JSTR("\"\xc0\xaf\"", "\xef\xbf\xbd\xef\xbf\xbd");                 /* overlong */
    CHECK_JSTR("\"\xed\xa0\x80\"", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
    CHECK_JSTR("\"\xf4\x90\x80\x80\"",
               "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* > U+10FFFF */
    CHECK_JSTR("\"0123456789abcdef\xff\"", "0123456789abcdef\xef\xbf\xbd");
    CHECK_JSTR("\"\\u00e9 and \xe9\"", "\xc3\xa9 and \xef\xbf\xbd");
}

/* json-4: numbers come back as they went in, or as Go would print them. */
static void test_numbers(void)
{
    const char *same[] = {"0",
                          "-1",
                          "12345678901234567890123",
                          "-12345678901234567890123",
                          "0.1",
                          "-0",
                          "-0.0",
                          "1.0",
                          "1e400",
                          "1E5",
                          "1e-7",
                          "2.5e+3",
                          "9223372036854775807",
                          "-9223372036854775808",
                          "9223372036854775808",
                          "3.141592653589793",
                          "0.30000000000000004",
                          "1152921504606846976",
                          "1152921504606846975",
                          "-1152921504606846977",
                          "0.000001",
                          "123456789012345678",
                          "1234567890123456789",
                          "100",
                          "1.5"};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++)
        CHECK_STR(rt(same[i]), same[i]);
    CHECK_STR(rt("[1.0, 1e0, 0.1e1]"), "[1.0,1e0,0.1e1]");
    CHECK(gh_value_equal(J("1.0"), J("1")));
    CHECK(!gh_value_equal(J("12345678901234567890123"), J("12345678901234567890124")));
}

/* json-5: objects: keys sorted, last duplicate wins, shapes shared safely. */
static void test_objects(void)
{
    CHECK_STR(rt("{\"b\":1,\"a\":2,\"c\":{\"z\":1,\"y\":2}}"),
              "{\"a\":2,\"b\":1,\"c\":{\"y\":2,\"z\":1}}");
    CHECK_STR(rt("{\"a\":1,\"a\":2}"), "{\"a\":2}");
    CHECK_STR(rt("{\"b\":1,\"a\":1,\"b\":3,\"a\":4,\"c\":5}"), "{\"a\":4,\"b\":3,\"c\":5}");
    CHECK_STR(rt("{\"\":0,\"\\u0041\":1,\"A\":2}"), "{\"\":0,\"A\":2}");
    CHECK_STR(rt("{\"ab\":1,\"a\":2,\"b\":3,\"\xc3\xa9\":4,\"B\":5}"),
              "{\"B\":5,\"a\":2,\"ab\":1,\"b\":3,\"\xc3\xa9\":4}");
    /* the same key list in one document, in other orders and with other duplicates */
    CHECK_STR(rt("[{\"id\":1,\"name\":\"x\",\"created_at\":0},{\"id\":2,\"name\":\"y\","
                 "\"created_at\":1},{\"created_at\":2,\"id\":3,\"name\":\"z\"},"
                 "{\"id\":4,\"id\":5,\"name\":\"w\"}]"),
              "[{\"created_at\":0,\"id\":1,\"name\":\"x\"},{\"created_at\":1,\"id\":2,"
              "\"name\":\"y\"},{\"created_at\":2,\"id\":3,\"name\":\"z\"},"
              "{\"id\":5,\"name\":\"w\"}]");
    /* long keys (not interned) and a big object (sorted on its own) */
    char *big = malloc(200000), *p = big;
    p += sprintf(p, "{");
    for (int i = 0; i < 2000; i++)
        p += sprintf(p, "%s\"k%04d-a-key-long-enough-not-to-be-interned-by-the-reader-at-all\":%d",
                     i ? "," : "", (i * 37) % 1000, i);
    p += sprintf(p, "}");
    const gh_value *o = J(big);
    CHECK_INT(gh_value_len(o), 1000);
    const char *k = "k0037-a-key-long-enough-not-to-be-interned-by-the-reader-at-all";
    CHECK(gh_value_equal(gh_object_get_str(o, k, strlen(k)), J("1001"))); /* 1 and 1001 */
    int sorted = 1;
    for (size_t i = 1; i < gh_value_len(o); i++)
        sorted &= gh_value_compare(gh_object_key_at(o, i - 1), gh_object_key_at(o, i)) < 0;
    CHECK(sorted);
    free(big);
    CHECK(
        gh_value_equal(J("{\"a\":[1,{\"b\":null}]}"), J(" { \"a\" : [ 1 , { \"b\" : null } ] } ")));
}

/* json-5b: GH_JSON_NO_DUPLICATES: a repeated key fails the read with its name, small
 * objects and big ones (sorted apart), equal keys spelt differently, nested objects; objects
 * without repeats read as usual, and the same key in sibling objects is no repeat. */
static void test_no_duplicates(void)
{
    static const struct {
        const char *src, *msg;
    } dup[] = {
        {"{\"a\":1,\"a\":2}", "json: 1:13: duplicate key \"a\" in object"},
        {"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"\\u0061lg\":\"none\"}",
         "json: 1:45: duplicate key \"alg\" in object"},
        {"{\"x\":{\"b\":1,\"c\":2,\"b\":3}}", "json: 1:24: duplicate key \"b\" in object"},
        {"[{\"a\":1},\n {\"a\":1,\"a\":1}]", "json: 2:14: duplicate key \"a\" in object"},
        {"{\"\\n\":1,\"\\u000a\":2}", "json: 1:19: duplicate key \"?\" in object"},
    };
    for (size_t i = 0; i < sizeof dup / sizeof dup[0]; i++) {
        const gh_value *v = NULL;
        gh_json_error e;
        CHECK_INT(read_n(dup[i].src, strlen(dup[i].src), GH_JSON_NO_DUPLICATES, &v, &e), GH_EJSON);
        CHECK_STR(e.msg, dup[i].msg);
        CHECK(e.duplicate);
        /* without the flag the last one wins, as before */
        CHECK_INT(read_n(dup[i].src, strlen(dup[i].src), 0, &v, &e), 0);
    }
    /* the same object twice: the second read hits the reader's shape cache */
    const char *twice = "[{\"k\":1,\"j\":2,\"k\":3},{\"k\":1,\"j\":2,\"k\":3}]";
    const gh_value *v = NULL;
    gh_json_error e;
    CHECK_INT(read_n(twice, strlen(twice), GH_JSON_NO_DUPLICATES, &v, &e), GH_EJSON);
    CHECK_STR(e.msg, "json: 1:20: duplicate key \"k\" in object");
    const char *ok = "[{\"k\":1,\"j\":2},{\"k\":1,\"j\":2},{\"j\":{\"k\":0,\"j\":1}}]";
    CHECK_INT(read_n(ok, strlen(ok), GH_JSON_NO_DUPLICATES, &v, &e), 0);
    CHECK(!e.duplicate);
    CHECK_STR(out(v, 0), "[{\"j\":2,\"k\":1},{\"j\":2,\"k\":1},{\"j\":{\"j\":1,\"k\":0}}]");
    /* a big object (over the shape cache's limit): the repeat is found while sorting */
    char *big = malloc(8000), *p = big;
    p += sprintf(p, "{");
    for (int i = 0; i < 300; i++)
        p += sprintf(p, "%s\"key%03d\":%d", i ? "," : "", i, i);
    CHECK_INT(read_n(big, (size_t)(p - big), GH_JSON_NO_DUPLICATES, &v, &e), GH_EJSON);
    CHECK_STR(e.msg, "json: 1:3791: unexpected end of input, expected ',' or '}' after object member");
    CHECK(!e.duplicate);
    strcpy(p, "}");
    CHECK_INT(read_n(big, strlen(big), GH_JSON_NO_DUPLICATES, &v, &e), 0);
    CHECK_INT(gh_value_len(v), 300);
    strcpy(p, ",\"key123\":0}");
    CHECK_INT(read_n(big, strlen(big), GH_JSON_NO_DUPLICATES, &v, &e), GH_EJSON);
    CHECK_STR(e.msg, "json: 1:3802: duplicate key \"key123\" in object");
    CHECK(e.duplicate);
    free(big);
    /* a long key is shortened in the message */
    const char *lk = "{\"0123456789012345678901234567890123456789xyz\":1,"
                     "\"0123456789012345678901234567890123456789xyz\":2}";
    CHECK_INT(read_n(lk, strlen(lk), GH_JSON_NO_DUPLICATES, &v, &e), GH_EJSON);
    CHECK_STR(e.msg, "json: 1:97: duplicate key \"0123456789012345678901234567890123456789...\" in "
                     "object");
}

/* json-6: relaxed mode: comments, trailing commas, BOM. */
static void test_relaxed(void)
{
    const char *src = "\xef\xbb\xbf// data.json of a user\n"
                      "{\n"
                      "  \"roles\": [\"admin\", \"viewer\",], /* trailing comma */\n"
                      "  // a comment line\n"
                      "  \"limits\": {\"rps\": 10,},\n"
                      "} // end\n";
    CHECK_STR(out(R(src), 0), "{\"limits\":{\"rps\":10},\"roles\":[\"admin\",\"viewer\"]}");
    CHECK_STR(out(R("/**/1/***/"), 0), "1");
    CHECK_STR(out(R("[1 // c\n,2]"), 0), "[1,2]");
    CHECK_STR(out(R("\"// not a comment\""), 0), "\"// not a comment\"");
    CHECK_STR(out(R("[]// eof"), 0), "[]");
}

/* json-6b: a stream of documents (GH_JSON_MULTI), as inputs files hold them. */
static void test_multi(void)
{
    static const struct {
        const char *src;
        unsigned flags;
        const char *want; /* JSON of the array, or the error message */
    } rows[] = {
        {"", GH_JSON_MULTI, "[]"},
        {" 1 2\n3 ", GH_JSON_MULTI, "[1,2,3]"},
        {"{\"a\":1}{\"b\":[2]}", GH_JSON_MULTI, "[{\"a\":1},{\"b\":[2]}]"},
        {"// 01 - first\n{\"x\": 1,}\n\n// 02 - second\n[true]\n",
         GH_JSON_MULTI | GH_JSON_RELAXED, "[{\"x\":1},[true]]"},
        {"// c\n1", GH_JSON_MULTI, "json: 1:1: comments are not allowed (only in relaxed mode)"},
        {"1 ]", GH_JSON_MULTI, "json: 1:3: unexpected ']', expected a value"},
        {"[1] [", GH_JSON_MULTI, "json: 1:6: unexpected end of input, expected a value"},
        {"1 2", 0, "json: 1:3: unexpected data after the top-level value"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const gh_value *v = NULL;
        gh_json_error e;
        int rc = read_n(rows[i].src, strlen(rows[i].src), rows[i].flags, &v, &e);
        CHECK_STR(rc == 0 ? out(v, 0) : e.msg, rows[i].want);
    }
}

/* json-7: output: pretty layout, sets, escaping, errors. */
static void test_output(void)
{
    const gh_value *v = J("{\"b\":[1,2,{\"c\":[]}],\"a\":{},\"d\":\"x\"}");
    CHECK_STR(out(v, GH_JSON_PRETTY), "{\n"
                                      "  \"a\": {},\n"
                                      "  \"b\": [\n"
                                      "    1,\n"
                                      "    2,\n"
                                      "    {\n"
                                      "      \"c\": []\n"
                                      "    }\n"
                                      "  ],\n"
                                      "  \"d\": \"x\"\n"
                                      "}");
    CHECK_STR(out(J("[]"), GH_JSON_PRETTY), "[]");
    CHECK_STR(out(J("7"), GH_JSON_PRETTY), "7");
    const gh_value *items[3] = {J("\"b\""), J("1"), J("\"a\"")};
    const gh_value *set = gh_value_set(&A, items, 3);
    CHECK_STR(out(set, 0), "[1,\"a\",\"b\"]");
    CHECK_STR(out(set, GH_JSON_PRETTY), "[\n  1,\n  \"a\",\n  \"b\"\n]");
    /* non-string keys become the string of their JSON text, re-sorted as text */
    const gh_value *keys[3] = {J("[1,2]"), J("10"), J("9")}, *vals[3] = {J("1"), J("2"), J("3")};
    const gh_value *obj;
    CHECK_INT(gh_value_object(&A, keys, vals, 3, &obj, NULL), 0);
    CHECK_STR(out(obj, 0), "{\"10\":2,\"9\":3,\"[1,2]\":1}");
    /* escaping like Go's encoder */
    CHECK_STR(rt("\"\\u0001\\u001f \\b\\f\\n\\r\\t \\\" \\\\ / \x7f\""),
              "\"\\u0001\\u001f \\b\\f\\n\\r\\t \\\" \\\\ / \x7f\"");
    CHECK_STR(rt("\"\\u2028\\u2029\""), "\"\\u2028\\u2029\"");
    CHECK_STR(rt("\"<a href='x'>&amp;</a>\""), "\"<a href='x'>&amp;</a>\"");
    CHECK_STR(out(J("\"<&>\""), GH_JSON_ESCAPE_HTML), "\"\\u003c\\u0026\\u003e\"");
    CHECK_STR(rt("\"\xc3\xa9\xf0\x9f\x98\x80\""), "\"\xc3\xa9\xf0\x9f\x98\x80\"");
    CHECK_STR(out(gh_value_string(&A,
                                  "a\xff"
                                  "b",
                                  3),
                  0),
              "\"a\\ufffdb\"");
    CHECK_STR(out(gh_value_string(&A, "a\0b", 3), 0), "\"a\\u0000b\"");
    /* a long string with escapes crosses the writer's chunks */
    char *long_s = malloc(5001);
    for (int i = 0; i < 5000; i++)
        long_s[i] = i % 100 == 99 ? '\n' : 'x';
    long_s[5000] = '\0';
    gh_buf b;
    gh_buf_init(&b, 0);
    CHECK_INT(gh_json_write(&b, gh_value_string(&A, long_s, 5000), 0), 0);
    CHECK_INT(b.len, 5000 + 50 + 2);
    const gh_value *back;
    gh_json_error e;
    CHECK_INT(gh_json_read(&A, b.data, b.len, NULL, &back, &e), 0);
    size_t n;
    CHECK(memcmp(gh_string_ptr(back, &n), long_s, 5000) == 0 && n == 5000);
    gh_buf_free(&b);
    free(long_s);
    /* a capped buffer reports the limit */
    gh_buf_init(&b, 8);
    CHECK_INT(gh_json_write(&b, J("[1,2,3,4,5,6]"), 0), GH_ELIMIT);
    gh_buf_free(&b);
}

/* json-8: allocation failure inside the reader is an error, and the arena stays usable. */
static void test_nomem(void)
{
    gh_arena small;
    gh_arena_init(&small, 4096);
    char doc[20000];
    size_t n = 0;
    n += (size_t)sprintf(doc + n, "[");
    for (int i = 0; i < 1000; i++)
        n += (size_t)sprintf(doc + n, "%s\"string %05d\"", i ? "," : "", i);
    n += (size_t)sprintf(doc + n, "]");
    const gh_value *v = NULL;
    gh_json_error e;
    CHECK_INT(gh_json_read(&small, doc, n, NULL, &v, &e), GH_ENOMEM);
    CHECK_INT(e.code, GH_ENOMEM);
    CHECK(small.oom == NULL);
    gh_arena_reset(&small);
    CHECK_INT(gh_json_read(&small, "[1,2]", 5, NULL, &v, &e), 0);
    gh_arena_free(&small);
}

/* json-9: a read/write/read round trip keeps values equal on a mixed document. */
static void test_roundtrip(void)
{
    const char *doc =
        "{\"users\":[{\"id\":1,\"name\":\"Alice Smith\",\"roles\":[\"admin\",\"viewer\"],"
        "\"score\":97.5,\"tags\":{},\"manager\":null,\"active\":true},"
        "{\"name\":\"Bob\",\"id\":2,\"roles\":[],\"score\":-0.25,\"tags\":{\"x\":[[]]},"
        "\"manager\":1,\"active\":false}],\"big\":123456789012345678901234567890,"
        "\"tiny\":1e-300,\"text\":\"\\u00e9\\ud83d\\ude00\\n\"}";
    const gh_value *v = J(doc);
    for (unsigned flags = 0; flags < 4; flags++) {
        const char *s = out(v, flags);
        const gh_value *back;
        gh_json_error e;
        CHECK_INT(gh_json_read(&A, s, strlen(s), NULL, &back, &e), 0);
        CHECK(gh_value_equal(v, back));
        CHECK(gh_value_hash(v) == gh_value_hash(back));
    }
}

int main(void)
{
    gh_arena_init(&A, 0);
    test_malformed();
    test_depth();
    test_strings();
    test_numbers();
    test_objects();
    test_no_duplicates();
    test_relaxed();
    test_multi();
    test_output();
    test_nomem();
    test_roundtrip();
    gh_arena_free(&A);
    return tests_done("test_json");
}
