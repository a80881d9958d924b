/* graphql.* builtins: AST shape, parse errors word for word, malformed and truncated input
 * (an error, never a crash), the nesting limit, schema and query validation (gql-N ids). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins/builtins.h"
#include "gatehouse/error.h"
#include "testlib.h"

static gh_arena A;

/* Calls `name` on string arguments; the result as compact JSON, or "ERR <message>". */
static const char *call(const char *name, const char *a, size_t an, const char *b)
{
    static char out[8192];
    const gh_builtin *bi = gh_builtin_lookup(name, strlen(name));
    if (!bi) return "no such builtin";
    gh_bctx bc = {.arena = &A};
    const gh_value *args[2] = {gh_value_string(&A, a, an), b ? gh_value_string(&A, b, strlen(b)) : NULL};
    const gh_value *res = NULL;
    int rc = gh_builtin_call(bi, &bc, args, b ? 2 : 1, &res);
    if (rc) {
        snprintf(out, sizeof out, "ERR %s", bc.err_code ? bc.err_msg : gh_strerror(rc));
        return out;
    }
    gh_buf buf;
    gh_buf_init(&buf, 0);
    gh_json_write(&buf, res, 0);
    snprintf(out, sizeof out, "%s", buf.data ? buf.data : "");
    gh_buf_free(&buf);
    return out;
}

/* Same, with JSON arguments (AST objects). */
static const char *call_json(const char *name, const char *a, const char *b)
{
    static char out[8192];
    const gh_builtin *bi = gh_builtin_lookup(name, strlen(name));
    gh_bctx bc = {.arena = &A};
    const gh_value *args[2] = {NULL, NULL}, *res = NULL;
    if (gh_json_read(&A, a, strlen(a), NULL, &args[0], NULL) ||
        gh_json_read(&A, b, strlen(b), NULL, &args[1], NULL))
        return "bad test JSON";
    int rc = gh_builtin_call(bi, &bc, args, 2, &res);
    if (rc) {
        snprintf(out, sizeof out, "ERR %s", bc.err_code ? bc.err_msg : gh_strerror(rc));
        return out;
    }
    gh_buf buf;
    gh_buf_init(&buf, 0);
    gh_json_write(&buf, res, 0);
    snprintf(out, sizeof out, "%s", buf.data ? buf.data : "");
    gh_buf_free(&buf);
    return out;
}

static const char *q(const char *text)
{
    return call("graphql.parse_query", text, strlen(text), NULL);
}

static const char *sch(const char *text)
{
    return call("graphql.parse_schema", text, strlen(text), NULL);
}

static const char *valid(const char *query, const char *schema)
{
    return call("graphql.is_valid", query, strlen(query), schema);
}

static const char *parse(const char *query, const char *schema)
{
    return call("graphql.parse", query, strlen(query), schema);
}

static void test_ast(void)
{
    /* gql-1: the query AST in OPA's shape (no positions, no empty lists, no nulls) */
    CHECK_STR(q("{a}"), "{\"Operations\":[{\"Name\":\"\",\"Operation\":\"query\",\"SelectionSet\":"
                        "[{\"Alias\":\"a\",\"Name\":\"a\"}]}]}");
    CHECK_STR(q("query Q($v: [Int!]! = [1]) { x: f(a: $v, b: {c: \"d\"}) @skip(if: true) }"),
              "{\"Operations\":[{\"Name\":\"Q\",\"Operation\":\"query\",\"SelectionSet\":[{\"Alias\":"
              "\"x\",\"Arguments\":[{\"Name\":\"a\",\"Value\":{\"ExpectedTypeHasDefault\":false,"
              "\"Kind\":0,\"Raw\":\"v\"}},{\"Name\":\"b\",\"Value\":{\"Children\":[{\"Name\":\"c\","
              "\"Value\":{\"ExpectedTypeHasDefault\":false,\"Kind\":3,\"Raw\":\"d\"}}],"
              "\"ExpectedTypeHasDefault\":false,\"Kind\":9,\"Raw\":\"\"}}],\"Directives\":[{"
              "\"Arguments\":[{\"Name\":\"if\",\"Value\":{\"ExpectedTypeHasDefault\":false,\"Kind\":"
              "5,\"Raw\":\"true\"}}],\"Location\":\"\",\"Name\":\"skip\"}],\"Name\":\"f\"}],"
              "\"VariableDefinitions\":[{\"DefaultValue\":{\"Children\":[{\"Name\":\"\",\"Value\":{"
              "\"ExpectedTypeHasDefault\":false,\"Kind\":1,\"Raw\":\"1\"}}],"
              "\"ExpectedTypeHasDefault\":false,\"Kind\":8,\"Raw\":\"\"},\"Type\":{\"Elem\":{"
              "\"NamedType\":\"Int\",\"NonNull\":true},\"NamedType\":\"\",\"NonNull\":true},\"Used\":"
              "false,\"Variable\":\"v\"}]}]}");
    CHECK_STR(q(""), "{}");
    CHECK_STR(q("{a(s: \"\\u00e9\\n\")}"),
              "{\"Operations\":[{\"Name\":\"\",\"Operation\":\"query\",\"SelectionSet\":[{\"Alias\":"
              "\"a\",\"Arguments\":[{\"Name\":\"s\",\"Value\":{\"ExpectedTypeHasDefault\":false,"
              "\"Kind\":3,\"Raw\":\"é\\n\"}}],\"Name\":\"a\"}]}]}");
    /* gql-2: block strings lose their common indentation and blank edge lines */
    CHECK_STR(sch("\"\"\"\n    a\n      b\n\n\"\"\" scalar S"),
              "{\"Definitions\":[{\"BuiltIn\":false,\"Description\":\"a\\n  b\",\"Kind\":\"SCALAR\","
              "\"Name\":\"S\"}]}");
    CHECK_STR(sch("directive @d(a: Int = 1) repeatable on | FIELD | QUERY"),
              "{\"Directives\":[{\"Arguments\":[{\"DefaultValue\":{\"ExpectedTypeHasDefault\":false,"
              "\"Kind\":1,\"Raw\":\"1\"},\"Description\":\"\",\"Name\":\"a\",\"Type\":{\"NamedType\":"
              "\"Int\",\"NonNull\":false}}],\"Description\":\"\",\"IsRepeatable\":true,\"Locations\":"
              "[\"FIELD\",\"QUERY\"],\"Name\":\"d\"}]}");
}

static void test_errors(void)
{
    /* gql-3: gqlparser's messages and positions (columns in runes) */
    CHECK_STR(q("{"), "ERR graphql.parse_query: Expected Name, found <EOF> in GraphQL string at location 1:2");
    CHECK_STR(q("{ a(x: 1.) }"), "ERR graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 1:10");
    CHECK_STR(q("{ a(x: \"open) }"), "ERR graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 1:16");
    CHECK_STR(q("{ é }"), "ERR graphql.parse_query: Expected Name, found <Invalid> in GraphQL string at location 1:3");
    CHECK_STR(q("# ਊ\n  ?"), "ERR graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 2:3");
    CHECK_STR(q("query { a } b"), "ERR graphql.parse_query: Unexpected Name \"b\" in GraphQL string at location 1:13");
    CHECK_STR(q("{ a(x: 007) }"), "ERR graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 1:9");
    CHECK_STR(sch("type T { f: Int } garbage"),
              "ERR graphql.parse_schema: Unexpected Name \"garbage\" in GraphQL string at location 1:19");
    CHECK_STR(sch("\"d\" \"e\""), "ERR graphql.parse_schema: Unexpected String \"e\" in GraphQL string at location 1:6");
    CHECK_STR(call("graphql.parse_query", "{a\0}", 4, NULL),
              "ERR graphql.parse_query: Expected Name, found <Invalid> in GraphQL string at location 1:3");
    /* gql-4: every prefix of a rich document either parses or fails cleanly */
    static const char doc[] =
        "query Q($a: [In!]! = [1, 2.5e3, \"s\", \"\"\"b\\\"\"\"\"\"\", E, null, {k: true}]) @d {\n"
        "  x: f(a: $a) { ... on T { g } ...F @skip(if: false) }\n}\n"
        "fragment F on T { h }\nsubscription { s }\nmutation M { m }\n";
    for (size_t n = 0; n <= sizeof doc - 1; n++) {
        const char *r = call("graphql.parse_query", doc, n, NULL);
        CHECK(r[0] == '{' || strncmp(r, "ERR graphql.parse_query: ", 25) == 0);
        gh_arena_reset(&A);
    }
    static const char sdoc[] =
        "\"\"\"d\"\"\" schema @x { query: Q }\nextend schema { mutation: M }\n"
        "type Q implements & I & J @x { f(a: Int = 1 @y): [S!] }\ninterface I { f: Int }\n"
        "union U = | A | B\nenum E { A B }\ninput In { a: Int = 3 }\nscalar S @specifiedBy(url: \"u\")\n"
        "extend type Q { g: Int }\ndirective @x(a: In) on OBJECT | SCHEMA\n";
    for (size_t n = 0; n <= sizeof sdoc - 1; n++) {
        const char *r = call("graphql.parse_schema", sdoc, n, NULL);
        CHECK(r[0] == '{' || strncmp(r, "ERR graphql.parse_schema: ", 26) == 0);
        gh_arena_reset(&A);
    }
    /* gql-5: non-string operands */
    const gh_builtin *bi = gh_builtin_lookup("graphql.parse_query", 19);
    gh_bctx bc = {.arena = &A};
    const gh_value *arg = gh_value_int(&A, 1), *out = NULL;
    CHECK_INT(gh_builtin_call(bi, &bc, &arg, 1, &out), GH_ETYPE);
    CHECK_STR(bc.err_msg, "graphql.parse_query: operand 1 must be string but got number");
}

/* n copies of open, then close n times */
static char *nest(const char *pre, const char *open, const char *mid, const char *close, int n)
{
    size_t lo = strlen(open), lc = strlen(close), lp = strlen(pre), lm = strlen(mid);
    char *s = malloc(lp + (size_t)n * (lo + lc) + lm + 1), *p = s;
    memcpy(p, pre, lp), p += lp;
    for (int i = 0; i < n; i++) memcpy(p, open, lo), p += lo;
    memcpy(p, mid, lm), p += lm;
    for (int i = 0; i < n; i++) memcpy(p, close, lc), p += lc;
    *p = 0;
    return s;
}

static void test_nesting(void)
{
    /* gql-6: 200 levels parse; 100000 levels stop at the limit, without deep recursion */
    char *ok = nest("", "{a", "", "}", 200);
    CHECK(q(ok)[0] == '{');
    free(ok);
    char *deep = nest("", "{a", "", "}", 100000);
    CHECK_STR(q(deep), "ERR graphql.parse_query: Nesting too deep (limit is 256) in GraphQL string at location 1:514");
    free(deep);
    char *list = nest("{a(x: ", "[", "1", "]", 100000);
    CHECK(strstr(q(list), "Nesting too deep (limit is 256)") != NULL);
    free(list);
    char *type = nest("query($v: ", "[", "Int", "]", 100000);
    CHECK(strstr(q(type), "Nesting too deep (limit is 256)") != NULL);
    free(type);
    gh_arena_reset(&A);
}

/* A query spreading a chain of n fragments on User. */
static char *fragment_chain(int n)
{
    char *s = malloc((size_t)n * 64 + 64), *p = s;
    p += sprintf(p, "{ users { ...F1 } }");
    for (int i = 1; i < n; i++) p += sprintf(p, " fragment F%d on User { id ...F%d }", i, i + 1);
    sprintf(p, " fragment F%d on User { name }", n);
    return s;
}

static const char schema[] =
    "type Query { user(id: ID!): User  users(first: Int = 10): [User!]! }\n"
    "type User implements Node { id: ID! name: String friends: [User] role: Role }\n"
    "interface Node { id: ID! }\nenum Role { ADMIN USER }\n"
    "input Filter { role: Role! name: String }\n"
    "type Mutation { find(f: Filter): [User] }\n";

static void test_validation(void)
{
    /* gql-7: schemas */
    CHECK_STR(call("graphql.schema_is_valid", schema, sizeof schema - 1, NULL), "true");
    CHECK_STR(call("graphql.schema_is_valid", "type A { b: B }", 15, NULL), "false");
    CHECK_STR(call("graphql.schema_is_valid", "type A implements I { b: Int } interface I { c: Int }", 53, NULL), "false");
    CHECK_STR(call("graphql.schema_is_valid", "type __A { b: Int }", 19, NULL), "false");
    CHECK_STR(call("graphql.schema_is_valid", "scalar A scalar A", 17, NULL), "false");
    CHECK_STR(call("graphql.schema_is_valid", "{", 1, NULL), "false");
    /* gql-8: queries, valid and not */
    CHECK_STR(valid("{ user(id: 1) { id name friends { name } } }", schema), "true");
    CHECK_STR(valid("query($i: ID!) { user(id: $i) { ... on Node { id } __typename } }", schema), "true");
    CHECK_STR(valid("{ __schema { types { name } } __type(name: \"User\") { kind } }", schema), "true");
    CHECK_STR(valid("mutation { find(f: {role: ADMIN}) { id } }", schema), "true");
    CHECK_STR(valid("{ users { id ...F } } fragment F on User { role }", schema), "true");
    CHECK_STR(valid("{ user { id } }", schema), "false");
    CHECK_STR(valid("{ users }", schema), "false");
    CHECK_STR(valid("{ users { id { x } } }", schema), "false");
    CHECK_STR(valid("query($i: ID) { user(id: $i) { id } }", schema), "false");
    CHECK_STR(valid("query($i: ID!) { users { id } }", schema), "false");
    CHECK_STR(valid("{ user(id: $i) { id } }", schema), "false");
    CHECK_STR(valid("mutation { find(f: {role: BOSS}) { id } }", schema), "false");
    CHECK_STR(valid("mutation { find(f: {name: \"x\"}) { id } }", schema), "false");
    CHECK_STR(valid("{ users(first: \"x\") { id } }", schema), "false");
    CHECK_STR(valid("{ users { ...F } } fragment F on User { ...G } fragment G on User { ...F }", schema), "false");
    CHECK_STR(valid("{ users { id } } fragment F on User { id }", schema), "false");
    CHECK_STR(valid("{ users { id @foo } }", schema), "false");
    CHECK_STR(valid("subscription { users { id } }", schema), "false");
    CHECK_STR(valid("{ a } { b }", schema), "false");
    /* gql-8b: fields answering under one name (OverlappingFieldsCanBeMerged, same type) */
    CHECK_STR(valid("{ user(id: 1) { id } user(id: 1) { name } }", schema), "true");
    CHECK_STR(valid("{ users { a: id a: name } }", schema), "false");
    CHECK_STR(valid("{ user(id: 1) { id } user(id: 2) { id } }", schema), "false");
    CHECK_STR(valid("{ users { id ... on User { id: name } } }", schema), "false");
    CHECK_STR(parse("{ users { a: id\n a: name } }", schema),
              "ERR graphql.parse: Fields \"a\" conflict because id and name are different fields. Use "
              "different aliases on the fields to fetch both if this was intentional in GraphQL string "
              "at location 1:11");
    /* gql-9: the first validation error, in OPA's words, from graphql.parse */
    CHECK_STR(parse("{\n  user { id }\n}", schema),
              "ERR graphql.parse: Field \"user\" argument \"id\" of type \"ID!\" is required, but it "
              "was not provided in GraphQL string at location 2:3");
    CHECK_STR(parse("{ nope }", schema),
              "ERR graphql.parse: Cannot query field \"nope\" on type \"Query\" in GraphQL string at location 1:3");
    CHECK_STR(parse("query($i: ID) { user(id: $i) { id } }", schema),
              "ERR graphql.parse: Variable \"$i\" of type \"ID\" used in position expecting type \"ID!\" in "
              "GraphQL string at location 1:26");
    /* gql-9a: suggestions, as gqlparser's SuggestionList picks them */
    CHECK_STR(parse("{ users { nme } }", schema),
              "ERR graphql.parse: Cannot query field \"nme\" on type \"User\". Did you mean \"name\"? in "
              "GraphQL string at location 1:11");
    CHECK_STR(parse("{ usr { id } }", schema),
              "ERR graphql.parse: Cannot query field \"usr\" on type \"Query\". Did you mean \"user\" or "
              "\"users\"? in GraphQL string at location 1:3");
    CHECK_STR(parse("{ user(ID: 1) { id } }", schema),
              "ERR graphql.parse: Unknown argument \"ID\" on field \"Query.user\". Did you mean \"id\"? in "
              "GraphQL string at location 1:8");
    CHECK_STR(parse("{ zzzzzz }", schema),
              "ERR graphql.parse: Cannot query field \"zzzzzz\" on type \"Query\" in GraphQL string at location 1:3");
    /* gql-9b: AST objects are read as encoding/json reads gqlparser's structs (keys in any
     * case, every selection a Field) and come back in the parser's shape */
    static const char sobj[] = "{\"definitions\": [{\"Kind\": \"OBJECT\", \"Name\": \"Query\", "
                               "\"Fields\": [{\"Name\": \"n\", \"Type\": {\"NamedType\": \"Int\"}}]}]}";
    CHECK_STR(call_json("graphql.parse", "{\"Operations\": [{\"Operation\": \"query\", "
                                         "\"selectionSet\": [{\"Name\": \"n\", \"x\": 1}]}]}", sobj),
              "[{\"Operations\":[{\"Name\":\"\",\"Operation\":\"query\",\"SelectionSet\":[{\"Alias\":"
              "\"\",\"Name\":\"n\"}]}]},{\"Definitions\":[{\"BuiltIn\":false,\"Description\":\"\","
              "\"Fields\":[{\"Description\":\"\",\"Name\":\"n\",\"Type\":{\"NamedType\":\"Int\","
              "\"NonNull\":false}}],\"Kind\":\"OBJECT\",\"Name\":\"Query\"}]}]");
    CHECK_STR(call_json("graphql.is_valid", "{\"Operations\": [{\"SelectionSet\": [{\"Name\": \"m\"}]}]}", sobj),
              "false");
    CHECK_STR(call_json("graphql.parse", "{\"Operations\": 5}", sobj),
              "ERR graphql.parse: json: cannot unmarshal number into Go struct field "
              "QueryDocument.Operations of type []*ast.OperationDefinition");
    CHECK_STR(call_json("graphql.parse_and_verify", "{\"Operations\": [{\"Name\": 1}]}", sobj), "[false,{},{}]");
    /* gql-9c: schema errors in graphql.parse, with gqlparser's positions */
    CHECK_STR(parse("{ a }", "type Query { a: B }"),
              "ERR graphql.parse: Error in gqlparser SchemaDocument to Schema conversion: input:1:17: "
              "Undefined type B.");
    CHECK_STR(parse("{ a }", "type Query { a: B! }"),
              "ERR graphql.parse: Error in gqlparser SchemaDocument to Schema conversion: input:1:20: "
              "Undefined type B.");
    CHECK_STR(parse("{ a }", "type Query { a: Int }\nscalar Query"),
              "ERR graphql.parse: Error in gqlparser SchemaDocument to Schema conversion: input:2:8: "
              "Cannot redeclare type Query.");
    /* gql-9d: fragment chains: validated to the nesting limit, failing closed beyond it */
    char *chain = fragment_chain(100);
    CHECK_STR(valid(chain, schema), "true");
    free(chain);
    chain = fragment_chain(300);
    CHECK(strstr(parse(chain, schema), "Nesting too deep (limit is 256)") != NULL);
    free(chain);
    /* gql-10: parse_and_verify never fails on bad documents */
    CHECK_STR(call("graphql.parse_and_verify", "{", 1, schema), "[false,{},{}]");
    CHECK_STR(call("graphql.parse_and_verify", "{ users { id } }", 16, "type Query { users: [Int] }"), "[false,{},{}]");
    gh_arena_reset(&A);
}

int main(void)
{
    gh_arena_init(&A, 0);
    test_ast();
    test_errors();
    test_nesting();
    test_validation();
    gh_arena_free(&A);
    return tests_done("graphql");
}
