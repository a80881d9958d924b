/* graphql.* builtins, as OPA's topdown/graphql.go: parse_query and parse_schema return the
 * gqlparser AST (pruned as OPA prunes it), parse / parse_and_verify / is_valid validate a
 * query against a schema (each may be text or an AST object), schema_is_valid checks a
 * schema alone. The parser is graphql_parse.c, the validator graphql_validate.c. */
#include "builtins/graphql.h"

#include <stdio.h>

/* "MSG in GraphQL string at location L:C" as OPA words a parse or validation error. */
static int gql_err(gh_bctx *bc, const char *name, const gq_error *e, bool trim_dot)
{
    size_t n = strlen(e->msg);
    if (trim_dot && n && e->msg[n - 1] == '.') n--;
    return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: %.*s in GraphQL string at location %d:%d",
                            name, (int)n, e->msg, e->line, e->col);
}

/* A query or schema document from text (parsed, with positions) or an AST object. Returns
 * 0, GH_EINVAL (err filled), GH_ETYPE (neither), or GH_ENOMEM. */
static int load_doc(gh_bctx *bc, const gh_value *arg, int what, const gh_value **doc, gq_error *err)
{
    size_t n;
    const char *s = gh_string_ptr(arg, &n);
    if (s) return gq_parse(bc, what, s, n, true, doc, err);
    if (!bi_is(arg, GH_KIND_OBJECT)) return GH_ETYPE;
    *doc = arg;
    return 0;
}

typedef struct verified {
    const gh_value *query, *schema;
} verified;

/* Parses both documents, builds the schema and validates the query. On failure reports the
 * error as `name` (when report) and returns its code. */
static int parse_and_check(gh_bctx *bc, const char *name, const gh_value *const *args,
                           bool report, verified *out)
{
    gq_error e = {0};
    gq_schema *schema = NULL;
    int rc = load_doc(bc, args[0], GQ_QUERY, &out->query, &e);
    if (rc == GH_ETYPE) return report ? bi_type_err(bc, name, 1, args[0], "string, object") : rc;
    if (rc == GH_EINVAL) return report ? gql_err(bc, name, &e, false) : rc;
    if (rc) return rc;
    rc = load_doc(bc, args[1], GQ_SCHEMA, &out->schema, &e);
    if (rc == GH_ETYPE) return report ? bi_type_err(bc, name, 2, args[1], "string, object") : rc;
    if (rc == GH_EINVAL) return report ? gql_err(bc, name, &e, false) : rc;
    if (rc) return rc;
    rc = gq_schema_build(bc, out->schema, &schema, &e);
    if (rc == GH_EINVAL && report)
        return gh_builtin_error(bc, GH_ERR_BUILTIN,
                                "%s: Error in gqlparser SchemaDocument to Schema conversion: "
                                "input:%d:%d: %s", name, e.line, e.col, e.msg);
    if (rc) return rc;
    rc = gq_validate(bc, schema, out->query, gh_string_ptr(args[0], &(size_t){0}) != NULL, &e);
    if (rc == GH_EINVAL && report) return gql_err(bc, name, &e, true);
    return rc;
}

static int bi_gql_parse(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    verified v;
    int rc = parse_and_check(bc, "graphql.parse", args, true, &v);
    if (rc) return rc;
    const gh_value *pair[2] = {gq_strip_pos(bc, v.query), gq_strip_pos(bc, v.schema)};
    if (!pair[0] || !pair[1]) return GH_ENOMEM;
    return bi_ret(out, gh_value_array(bc->arena, pair, 2));
}

/* [false, {}, {}] when anything fails (but running out of memory). */
static int bi_gql_parse_and_verify(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    verified v;
    int rc = parse_and_check(bc, "graphql.parse_and_verify", args, false, &v);
    if (rc == GH_ENOMEM || rc == GH_ELIMIT) return rc;
    const gh_value *empty = NULL;
    if (gh_value_object(bc->arena, NULL, NULL, 0, &empty, NULL)) return GH_ENOMEM;
    const gh_value *triple[3] = {GH_FALSE, empty, empty};
    if (!rc) {
        triple[0] = GH_TRUE;
        triple[1] = gq_strip_pos(bc, v.query);
        triple[2] = gq_strip_pos(bc, v.schema);
        if (!triple[1] || !triple[2]) return GH_ENOMEM;
    }
    return bi_ret(out, gh_value_array(bc->arena, triple, 3));
}

static int bi_gql_is_valid(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    verified v;
    int rc = parse_and_check(bc, "graphql.is_valid", args, false, &v);
    if (rc == GH_ENOMEM || rc == GH_ELIMIT) return rc;
    *out = rc ? GH_FALSE : GH_TRUE;
    return 0;
}

static int parse_one(gh_bctx *bc, const char *name, int what, const gh_value *arg,
                     const gh_value **out)
{
    size_t n;
    const char *s = gh_string_ptr(arg, &n);
    if (!s) return bi_type_err(bc, name, 1, arg, "string");
    gq_error e = {0};
    const gh_value *doc = NULL;
    int rc = gq_parse(bc, what, s, n, false, &doc, &e);
    if (rc == GH_EINVAL) return gql_err(bc, name, &e, false);
    if (rc) return rc;
    *out = doc;
    return 0;
}

static int bi_gql_parse_query(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return parse_one(bc, "graphql.parse_query", GQ_QUERY, args[0], out);
}

static int bi_gql_parse_schema(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    return parse_one(bc, "graphql.parse_schema", GQ_SCHEMA, args[0], out);
}

static int bi_gql_schema_is_valid(gh_bctx *bc, const gh_value *const *args, const gh_value **out)
{
    gq_error e = {0};
    const gh_value *doc = NULL;
    gq_schema *schema = NULL;
    int rc = load_doc(bc, args[0], GQ_SCHEMA, &doc, &e);
    if (!rc) rc = gq_schema_build(bc, doc, &schema, &e);
    if (rc == GH_ENOMEM || rc == GH_ELIMIT) return rc;
    *out = rc ? GH_FALSE : GH_TRUE;
    return 0;
}

#define GQ_DOC "any<string, object[any: any]>"

static const gh_builtin table[] = {
    BI_FN("graphql.is_valid", 2, "(" GQ_DOC ", " GQ_DOC ") => boolean", bi_gql_is_valid),
    BI_FN("graphql.parse", 2,
          "(" GQ_DOC ", " GQ_DOC ") => array<object[any: any], object[any: any]>", bi_gql_parse),
    BI_FN("graphql.parse_and_verify", 2,
          "(" GQ_DOC ", " GQ_DOC ") => array<boolean, object[any: any], object[any: any]>",
          bi_gql_parse_and_verify),
    BI_FN("graphql.parse_query", 1, "(string) => object[any: any]", bi_gql_parse_query),
    BI_FN("graphql.parse_schema", 1, "(string) => object[any: any]", bi_gql_parse_schema),
    BI_FN("graphql.schema_is_valid", 1, "(" GQ_DOC ") => boolean", bi_gql_schema_is_valid),
};

BI_FAMILY(graphql, table);
