/* YAML reader: core-schema resolution, quoting and block scalars, keys, anchors and merges,
 * documents, error locations, and libyaml's block-scalar tab quirk (yaml-N.M ids). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/error.h"
#include "gatehouse/yaml.h"
#include "testlib.h"

static gh_arena arena;

/* The YAML text read and written back as compact JSON, or "ERR <msg>". */
static const char *yaml_json(const char *text, unsigned flags)
{
    static char out[4096];
    const gh_value *v;
    gh_yaml_error err;
    gh_yaml_opts opts = {.flags = flags};
    int rc = gh_yaml_read(&arena, text, strlen(text), &opts, &v, &err);
    if (rc != 0) {
        snprintf(out, sizeof out, "ERR %s", err.msg);
        return out;
    }
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_json_write(&b, v, 0);
    snprintf(out, sizeof out, "%s", b.data ? b.data : "");
    gh_buf_free(&b);
    return out;
}

static const gh_value *yaml_value(const char *text)
{
    const gh_value *v = NULL;
    return gh_yaml_read(&arena, text, strlen(text), NULL, &v, NULL) == 0 ? v : NULL;
}

#define CHECK_YAML(text, want)    CHECK_STR(yaml_json(text, 0), want)
#define CHECK_ERR_HAS(text, part) CHECK(strstr(yaml_json(text, 0), part) != NULL)

static void test_scalars(void)
{
    /* yaml-1: core schema resolution of plain scalars */
    CHECK_YAML("a: null\nb: ~\nc:\nd: Null\ne: NULL",
               "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"e\":null}");
    CHECK_YAML("[true, True, TRUE, false, False, FALSE]", "[true,true,true,false,false,false]");
    CHECK_YAML("[yes, no, on, off, y, n]", "[\"yes\",\"no\",\"on\",\"off\",\"y\",\"n\"]");
    CHECK_YAML("[0, -3, +7, 007, 0x1F, 0o17, 0x7fffffffffffffff]",
               "[0,-3,7,7,31,15,9223372036854775807]");
    CHECK_YAML("[1.5, -0.25, .5, 1., 1e3, 2.5E-3, +1.0]", "[1.5,-0.25,0.5,1.0,1e3,2.5E-3,1.0]");
    CHECK_YAML("123456789012345678901234567890", "123456789012345678901234567890");
    CHECK_YAML("[0x, 0o8, 1_000, 1e, .e1, -, 12abc, 0b101]",
               "[\"0x\",\"0o8\",\"1_000\",\"1e\",\".e1\",\"-\",\"12abc\",\"0b101\"]");
    CHECK_YAML("hello world", "\"hello world\"");
    CHECK_YAML("[nulls, truex, ~x]", "[\"nulls\",\"truex\",\"~x\"]");
    /* yaml-2: numbers keep their value exactly, and compare as Rego numbers */
    const gh_value *v = yaml_value("[1, 1.0, 1e0]");
    CHECK(v && gh_value_equal(gh_array_get(v, 0), gh_array_get(v, 1)));
    CHECK(v && gh_value_equal(gh_array_get(v, 0), gh_array_get(v, 2)));
    /* yaml-3: infinities and NaN are not Rego numbers */
    CHECK_ERR_HAS(".inf", "not a Rego number");
    CHECK_ERR_HAS("x: -.Inf", "not a Rego number");
    CHECK_ERR_HAS("[.nan]", "not a Rego number");
    CHECK_YAML("\".inf\"", "\".inf\"");
    CHECK_ERR_HAS("0x8000000000000000", "out of range");
}

static void test_strings(void)
{
    /* yaml-4: quoted and block scalars are strings, whatever they look like */
    CHECK_YAML("['1', \"true\", 'null', '', \"~\"]", "[\"1\",\"true\",\"null\",\"\",\"~\"]");
    CHECK_YAML("a: |\n  line1\n  line2\nb: >\n  folded\n  text\n",
               "{\"a\":\"line1\\nline2\\n\",\"b\":\"folded text\\n\"}");
    CHECK_YAML("a: |-\n  1\n", "{\"a\":\"1\"}");
    CHECK_YAML("a: \"\\u00e9\\t\"", "{\"a\":\"\xc3\xa9\\t\"}");
    /* yaml-5: tags */
    CHECK_YAML("[!!str 12, !!str true, ! 5, !!int 5, !!float 1.5, !!null null, !custom 3]",
               "[\"12\",\"true\",\"5\",5,1.5,null,3]");
    CHECK_ERR_HAS("!!int abc", "does not match its tag");
}

static void test_keys(void)
{
    /* yaml-6: non-string keys become strings as Go's YAML to JSON conversion spells them */
    CHECK_YAML("{1: a, true: b, 2.5: c, x: d}",
               "{\"1\":\"a\",\"2.5\":\"c\",\"true\":\"b\",\"x\":\"d\"}");
    CHECK_ERR_HAS("~: 1", "unsupported map key of type null");
    CHECK_ERR_HAS("? [1, 2]\n: x\n", "unsupported map key of type array");
    /* yaml-7: duplicate keys: the last one wins */
    CHECK_YAML("a: 1\nb: 2\na: 3\n", "{\"a\":3,\"b\":2}");
    /* yaml-8: keys come out sorted, as every object does */
    CHECK_YAML("z: 1\na: 2\nm: 3\n", "{\"a\":2,\"m\":3,\"z\":1}");
}

static void test_anchors(void)
{
    /* yaml-9: aliases share their anchor's value */
    CHECK_YAML("base: &b {x: 1, y: [1, 2]}\ncopy: *b\n",
               "{\"base\":{\"x\":1,\"y\":[1,2]},\"copy\":{\"x\":1,\"y\":[1,2]}}");
    CHECK_YAML("- &s hello\n- *s\n", "[\"hello\",\"hello\"]");
    CHECK_ERR_HAS("a: *nope\n", "unknown anchor 'nope'");
    /* yaml-10: redefined anchors: the latest definition counts */
    CHECK_YAML("- &a 1\n- *a\n- &a 2\n- *a\n", "[1,1,2,2]");
    /* yaml-11: merge keys: explicit keys win; the first merged map wins among merged ones */
    CHECK_YAML("b: &b {x: 1, y: 2}\nc: {<<: *b, y: 3}\n",
               "{\"b\":{\"x\":1,\"y\":2},\"c\":{\"x\":1,\"y\":3}}");
    CHECK_YAML("a: &a {k: 1}\nb: &b {k: 2, j: 2}\nc:\n  <<: [*a, *b]\n",
               "{\"a\":{\"k\":1},\"b\":{\"j\":2,\"k\":2},\"c\":{\"j\":2,\"k\":1}}");
    CHECK_YAML("'<<': 1", "{\"<<\":1}");
    /* yaml-12: a billion laughs costs nothing: aliases are shared, not copied */
    CHECK(
        strlen(yaml_json("a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                         "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                         "e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n",
                         0)) > 0);
}

static void test_documents(void)
{
    /* yaml-13: empty stream is null; several documents only when asked */
    CHECK_YAML("", "null");
    CHECK_YAML("# only a comment\n", "null");
    CHECK_YAML("---\na: 1\n...\n", "{\"a\":1}");
    CHECK_ERR_HAS("a: 1\n---\nb: 2\n", "more than one YAML document");
    CHECK_STR(yaml_json("a: 1\n---\nb: 2\n---\n", GH_YAML_MULTI), "[{\"a\":1},{\"b\":2},null]");
    CHECK_STR(yaml_json("", GH_YAML_MULTI), "[]");
}

static void test_errors(void)
{
    /* yaml-14: errors carry line:col */
    gh_yaml_error err;
    const gh_value *v;
    const char *bad = "a: 1\nb: [1, 2\nc: 3\n";
    CHECK_INT(gh_yaml_read(&arena, bad, strlen(bad), NULL, &v, &err), GH_EPARSE);
    CHECK_INT(err.code, GH_EPARSE);
    CHECK(err.line >= 2);
    CHECK(strncmp(err.msg, "yaml: ", 6) == 0);
    const char *bad2 = "a: b: c\n";
    CHECK_INT(gh_yaml_read(&arena, bad2, strlen(bad2), NULL, &v, &err), GH_EPARSE);
    CHECK_INT(err.line, 1);
    CHECK_INT(err.col, 5);
    CHECK_STR(err.msg, "yaml: 1:5: mapping values are not allowed in this context");
    /* yaml-15: nesting limit */
    gh_yaml_opts opts = {.max_depth = 3};
    const char *deep = "[[[[1]]]]";
    CHECK_INT(gh_yaml_read(&arena, deep, strlen(deep), &opts, &v, &err), GH_ELIMIT);
    CHECK(strstr(err.msg, "deeper than 3") != NULL);
    const char *ok = "[[[1]]]";
    CHECK_INT(gh_yaml_read(&arena, ok, strlen(ok), &opts, &v, &err), 0);
    /* yaml-16: NULL text with length 0 is the empty stream; not NUL-terminated input works */
    CHECK_INT(gh_yaml_read(&arena, NULL, 0, NULL, &v, NULL), 0);
    CHECK(v == GH_NULL);
    CHECK_INT(gh_yaml_read(&arena, "[1, 2]xxxx", 6, NULL, &v, NULL), 0);
    CHECK_INT(gh_value_len(v), 2);
}

static void test_tabs(void)
{
    /* yaml-17: a block scalar whose first line starts with a tab after the indentation */
    CHECK_YAML("cases:\n  - note: t\n    modules:\n      - |\n        package p\n",
               "{\"cases\":[{\"modules\":[\"package p\\n\"],\"note\":\"t\"}]}");
    CHECK_YAML("m: |\n  \tp := 1\n  q := 2\n", "{\"m\":\"\\tp := 1\\nq := 2\\n\"}");
    CHECK_YAML("- |\n  \tx\n- y\n", "[\"\\tx\\n\",\"y\"]");
    CHECK_YAML("- a: |-\n    \tx\n", "[{\"a\":\"\\tx\"}]");
    size_t n;
    char *fixed = gh_yaml_fix_block_tabs("m: |\n  \tx\n", 10, &n);
    CHECK(fixed && n == 11 && memcmp(fixed, "m: |2\n  \tx\n", 11) == 0);
    free(fixed);
}

static void test_conformance_shape(void)
{
    /* yaml-18: a case as OPA's files write it */
    const char *c = "cases:\n"
                    "  - note: x/y\n"
                    "    query: data.test.p = x\n"
                    "    modules:\n"
                    "      - |\n"
                    "        package test\n"
                    "\n"
                    "        p := 1\n"
                    "    data: {}\n"
                    "    want_result:\n"
                    "      - x: 1\n"
                    "    strict_error: true\n";
    CHECK_YAML(c, "{\"cases\":[{\"data\":{},\"modules\":[\"package test\\n\\np := 1\\n\"],"
                  "\"note\":\"x/y\",\"query\":\"data.test.p = x\",\"strict_error\":true,"
                  "\"want_result\":[{\"x\":1}]}]}");
}

#define CHECK_V2(text, want) CHECK_STR(yaml_json(text, GH_YAML_GO_V2), want)

/* yaml-go-v2: GH_YAML_GO_V2 resolves plain scalars as go-yaml v2's resolve.go (the default
 * mode, checked side by side, keeps the YAML 1.2 core schema) */
static void test_go_v2(void)
{
    CHECK_V2("[y, Y, yes, Yes, YES, on, On, ON, true, True, TRUE]",
             "[true,true,true,true,true,true,true,true,true,true,true]");
    CHECK_V2("[n, N, no, No, NO, off, Off, OFF, false, False, FALSE]",
             "[false,false,false,false,false,false,false,false,false,false,false]");
    CHECK_YAML("[y, Yes, ON, n, No, OFF]", "[\"y\",\"Yes\",\"ON\",\"n\",\"No\",\"OFF\"]");
    CHECK_V2("[yES, oN, nO, yess, 'yes', \"on\", !!str no]",
             "[\"yES\",\"oN\",\"nO\",\"yess\",\"yes\",\"on\",\"no\"]");
    CHECK_V2("[~, null, Null, NULL, '']", "[null,null,null,null,\"\"]");
    CHECK_V2("enabled: yes\ndebug: off", "{\"debug\":false,\"enabled\":true}");
    CHECK_V2("{yes: 1, off: 2}", "{\"false\":2,\"true\":1}");
    /* ints as strconv.ParseInt(s, 0, 64): a bare leading 0 is octal, prefixes in either case */
    CHECK_V2("[0777, 0o17, 0O17, 0x1F, 0X1f, 0b101, 0B11, -0b101, +0x10, 0, -0, 00]",
             "[511,15,15,31,31,5,3,-5,16,0,0,0]");
    CHECK_YAML("[0777, 0X1F, 0b101]", "[777,\"0X1F\",\"0b101\"]");
    /* '_' dropped from anything starting with a digit or sign */
    CHECK_V2("[1_000, 1__0, 0x_ff, -1_000, 1_000.5, 1_0e1_0]", "[1000,10,255,-1000,1000.5,10e10]");
    CHECK_YAML("[1_000]", "[\"1_000\"]");
    CHECK_V2("[_1, ._5]", "[\"_1\",\"._5\"]");
    /* int64 then uint64 range; beyond that a decimal float, hex a string */
    CHECK_V2("[9223372036854775807, -9223372036854775808, 18446744073709551615]",
             "[9223372036854775807,-9223372036854775808,18446744073709551615]");
    CHECK_V2("[+9223372036854775808, 18446744073709551616, 0x10000000000000000]",
             "[9223372036854775808,18446744073709551616,\"0x10000000000000000\"]");
    /* 08 is no octal: the float pattern reads it; floats as before, .5 style too */
    CHECK_V2("[08, 09.5, 1.5, -.5, +.5, .5, 1e3, 1., 1e400, .e1]",
             "[8,9.5,1.5,-0.5,0.5,0.5,1e3,1.0,\"1e400\",\".e1\"]");
    CHECK_V2("[0x, 0b, 0o, 0o8, 0b2, 08x, -, +, 12abc, 1:30, 2001-12-14, 1e]",
             "[\"0x\",\"0b\",\"0o\",\"0o8\",\"0b2\",\"08x\",\"-\",\"+\",\"12abc\",\"1:30\","
             "\"2001-12-14\",\"1e\"]");
    CHECK_V2("[+.nan, nan, inf]", "[\"+.nan\",\"nan\",\"inf\"]");
    CHECK(strstr(yaml_json("[.inf]", GH_YAML_GO_V2), "finite") != NULL);
    CHECK(strstr(yaml_json("-.Inf", GH_YAML_GO_V2), "finite") != NULL);
    CHECK(strstr(yaml_json(".NaN", GH_YAML_GO_V2), "finite") != NULL);
    /* explicit tags still decide */
    CHECK_V2("[!!bool yes, !!int 0777, !!float 1_0, !!null ~]", "[true,511,10,null]");
    CHECK(strstr(yaml_json("!!int yes", GH_YAML_GO_V2), "does not match its tag !!int") != NULL);
    CHECK(strstr(yaml_json("!!bool 1", GH_YAML_GO_V2), "does not match its tag !!bool") != NULL);
    /* with GH_YAML_MULTI too */
    CHECK_STR(yaml_json("yes\n---\n0x10\n", GH_YAML_GO_V2 | GH_YAML_MULTI), "[true,16]");
}

int main(void)
{
    gh_arena_init(&arena, 0);
    test_scalars();
    test_strings();
    test_keys();
    test_anchors();
    test_documents();
    test_errors();
    test_tabs();
    test_conformance_shape();
    test_go_v2();
    gh_arena_free(&arena);
    return tests_done("test_yaml");
}
