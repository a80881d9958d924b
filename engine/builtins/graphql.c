/* graphql.* builtins, as OPA's topdown/graphql.go: parse_query and parse_schema return the
 * gqlparser AST (pruned as OPA prunes it), parse / parse_and_verify / is_valid validate a
 * query against a schema (each may be text or an AST object), schema_is_valid checks a
 * schema alone. The parser is graphql_parse.c, the validator graphql_validate.c. */
#include "builtins/graphql.h"

#include <stdio.h>
#include <strings.h>

/* "MSG in GraphQL string at location L:C" as OPA words a parse or validation error. */
static int gql_err(gh_bctx *bc, const char *name, const gq_error *e, bool trim_dot)
{
    size_t n = strlen(e->msg);
    if (e->line < 0) return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: %s", name, e->msg);
    if (trim_dot && n && e->msg[n - 1] == '.') n--;
    return gh_builtin_error(bc, GH_ERR_BUILTIN, "%s: %.*s in GraphQL string at location %d:%d",
                            name, (int)n, e->msg, e->line, e->col);
}

/* ---- AST objects: OPA decodes them into gqlparser's structs (encoding/json: keys matched
 * without regard to case, unknown keys dropped, every selection read as a Field) and encodes
 * them again, so a policy's object comes back in the parser's shape. ---- */

typedef struct shape shape;
typedef struct member {
    const char *key;
    char kind; /* s string, b bool, i int, o object of `sub`, a array of `sub`, S strings */
    const shape *sub;
} member;
struct shape {
    const char *go; /* the Go struct, for error messages */
    const member *m;
    size_t n;
};

#define SHAPE(var, go, ...)                                       \
    static const member var##_m[] = {__VA_ARGS__};                 \
    static const shape var = {go, var##_m, sizeof var##_m / sizeof var##_m[0]}

static const shape value_s, type_s;
SHAPE(child_s, "ChildValue", {"Name", 's', NULL}, {"Value", 'o', &value_s});
SHAPE(value_s, "Value", {"Raw", 's', NULL}, {"Children", 'a', &child_s}, {"Kind", 'i', NULL},
      {"ExpectedTypeHasDefault", 'b', NULL});
SHAPE(type_s, "Type", {"NamedType", 's', NULL}, {"Elem", 'o', &type_s}, {"NonNull", 'b', NULL});
SHAPE(arg_s, "Argument", {"Name", 's', NULL}, {"Value", 'o', &value_s});
SHAPE(dir_s, "Directive", {"Name", 's', NULL}, {"Arguments", 'a', &arg_s}, {"Location", 's', NULL});
static const shape field_s;
SHAPE(field_s, "Field", {"Alias", 's', NULL}, {"Name", 's', NULL}, {"Arguments", 'a', &arg_s},
      {"Directives", 'a', &dir_s}, {"SelectionSet", 'a', &field_s});
SHAPE(vardef_s, "VariableDefinition", {"Variable", 's', NULL}, {"Type", 'o', &type_s},
      {"DefaultValue", 'o', &value_s}, {"Directives", 'a', &dir_s}, {"Used", 'b', NULL});
SHAPE(op_s, "OperationDefinition", {"Operation", 's', NULL}, {"Name", 's', NULL},
      {"VariableDefinitions", 'a', &vardef_s}, {"Directives", 'a', &dir_s},
      {"SelectionSet", 'a', &field_s});
SHAPE(frag_s, "FragmentDefinition", {"Name", 's', NULL}, {"VariableDefinition", 'a', &vardef_s},
      {"TypeCondition", 's', NULL}, {"Directives", 'a', &dir_s}, {"SelectionSet", 'a', &field_s});
SHAPE(query_s, "QueryDocument", {"Operations", 'a', &op_s}, {"Fragments", 'a', &frag_s});
SHAPE(argdef_s, "ArgumentDefinition", {"Description", 's', NULL}, {"Name", 's', NULL},
      {"DefaultValue", 'o', &value_s}, {"Type", 'o', &type_s}, {"Directives", 'a', &dir_s});
SHAPE(fielddef_s, "FieldDefinition", {"Description", 's', NULL}, {"Name", 's', NULL},
      {"Arguments", 'a', &argdef_s}, {"DefaultValue", 'o', &value_s}, {"Type", 'o', &type_s},
      {"Directives", 'a', &dir_s});
SHAPE(enumval_s, "EnumValueDefinition", {"Description", 's', NULL}, {"Name", 's', NULL},
      {"Directives", 'a', &dir_s});
SHAPE(def_s, "Definition", {"Kind", 's', NULL}, {"Description", 's', NULL}, {"Name", 's', NULL},
      {"Directives", 'a', &dir_s}, {"Interfaces", 'S', NULL}, {"Fields", 'a', &fielddef_s},
      {"Types", 'S', NULL}, {"EnumValues", 'a', &enumval_s}, {"BuiltIn", 'b', NULL});
SHAPE(optype_s, "OperationTypeDefinition", {"Operation", 's', NULL}, {"Type", 's', NULL});
SHAPE(schemadef_s, "SchemaDefinition", {"Description", 's', NULL}, {"Directives", 'a', &dir_s},
      {"OperationTypes", 'a', &optype_s});
SHAPE(dirdef_s, "DirectiveDefinition", {"Description", 's', NULL}, {"Name", 's', NULL},
      {"Arguments", 'a', &argdef_s}, {"Locations", 'S', NULL}, {"IsRepeatable", 'b', NULL});
SHAPE(schema_s, "SchemaDocument", {"Schema", 'a', &schemadef_s},
      {"SchemaExtension", 'a', &schemadef_s}, {"Directives", 'a', &dirdef_s},
      {"Definitions", 'a', &def_s}, {"Extensions", 'a', &def_s});

typedef struct decoder {
    gh_bctx *bc;
    bool failed, oom;
    char msg[200];
} decoder;

/* The member of o named key, matched as encoding/json does (exact, else any case). */
static const gh_value *member_of(const gh_value *o, const char *key)
{
    const gh_value *v = gq_get(o, key);
    if (v) return v;
    for (size_t i = 0; i < gh_value_len(o); i++) {
        size_t n;
        const char *k = gh_string_ptr(gh_object_key_at(o, i), &n);
        if (k && n == strlen(key) && strncasecmp(k, key, n) == 0) return gh_object_value_at(o, i);
    }
    return NULL;
}

static const char *json_kind(const gh_value *v)
{
    static const char *const names[] = {"null", "bool", "number", "string", "array", "object", "array"};
    return names[gh_value_kind(v)];
}

static void mismatch(decoder *d, const shape *sh, const member *m, const gh_value *v, const char *go)
{
    if (d->failed) return;
    d->failed = true;
    snprintf(d->msg, sizeof d->msg, "json: cannot unmarshal %s into Go struct field %s.%s of type %s",
             json_kind(v), sh->go, m->key, go);
}

static const gh_value *decode(decoder *d, const shape *sh, const gh_value *o, int depth);

static const gh_value *decode_list(decoder *d, const shape *sh, const member *m,
                                   const gh_value *v, int depth)
{
    if (!bi_is(v, GH_KIND_ARRAY) && !bi_is(v, GH_KIND_SET)) {
        char go[64];
        snprintf(go, sizeof go, m->kind == 'S' ? "[]string" : "[]*ast.%s", m->sub ? m->sub->go : "");
        return mismatch(d, sh, m, v, go), NULL;
    }
    size_t n = gh_value_len(v), k = 0;
    const gh_value **items = bi_ptrs(d->bc, n ? n : 1);
    if (!items) return d->oom = true, NULL;
    for (size_t i = 0; i < n && !d->failed; i++) {
        const gh_value *x = bi_is(v, GH_KIND_SET) ? gh_set_item_at(v, i) : gh_array_get(v, i);
        if (bi_is(x, GH_KIND_NULL)) continue;
        if (m->kind == 'S') {
            if (!bi_is(x, GH_KIND_STRING)) return mismatch(d, sh, m, x, "string"), NULL;
            items[k++] = x;
        } else if ((x = decode(d, m->sub, x, depth + 1)) != NULL) {
            items[k++] = x;
        }
    }
    if (!k || d->failed) return NULL;
    const gh_value *out = gh_value_array(d->bc->arena, items, k);
    if (!out) d->oom = true;
    return out;
}

/* One member's value in the struct's terms, or NULL when it is left out (null, empty). */
static const gh_value *decode_member(decoder *d, const shape *sh, const member *m,
                                     const gh_value *v, int depth)
{
    int64_t x = 0;
    switch (m->kind) {
    case 's':
        if (!v || bi_is(v, GH_KIND_NULL)) return bi_str(d->bc, "", 0);
        return bi_is(v, GH_KIND_STRING) ? v : (mismatch(d, sh, m, v, "string"), NULL);
    case 'b':
        if (!v || bi_is(v, GH_KIND_NULL)) return GH_FALSE;
        return bi_is(v, GH_KIND_BOOL) ? v : (mismatch(d, sh, m, v, "bool"), NULL);
    case 'i':
        if (!v || bi_is(v, GH_KIND_NULL)) return bi_int(d->bc, 0);
        if (!bi_is(v, GH_KIND_NUMBER) || !gh_number_get_int(v, &x))
            return mismatch(d, sh, m, v, "ast.ValueKind"), NULL;
        return v;
    case 'o':
        if (!v || bi_is(v, GH_KIND_NULL)) return NULL;
        return decode(d, m->sub, v, depth + 1);
    default:
        if (!v || bi_is(v, GH_KIND_NULL)) return NULL;
        return decode_list(d, sh, m, v, depth);
    }
}

static const gh_value *decode(decoder *d, const shape *sh, const gh_value *o, int depth)
{
    if (d->failed || d->oom) return NULL;
    if (depth > GQ_MAX_DEPTH) {
        d->failed = true;
        snprintf(d->msg, sizeof d->msg, "Nesting too deep (limit is %d)", GQ_MAX_DEPTH);
        return NULL;
    }
    if (!bi_is(o, GH_KIND_OBJECT)) {
        d->failed = true;
        snprintf(d->msg, sizeof d->msg, "json: cannot unmarshal %s into Go value of type ast.%s",
                 json_kind(o), sh->go);
        return NULL;
    }
    const gh_value *keys[16], *vals[16];
    size_t n = 0;
    for (size_t i = 0; i < sh->n && n < 16; i++) {
        const gh_value *v = decode_member(d, sh, &sh->m[i], member_of(o, sh->m[i].key), depth);
        if (d->failed || d->oom) return NULL;
        if (!v) continue;
        keys[n] = bi_str(d->bc, sh->m[i].key, strlen(sh->m[i].key));
        if (!keys[n]) return d->oom = true, NULL;
        vals[n++] = v;
    }
    const gh_value *out = NULL;
    if (gh_value_object(d->bc->arena, keys, vals, n, &out, NULL)) return d->oom = true, NULL;
    return out;
}

/* An AST object in the parser's shape: 0, GH_EINVAL (err->msg filled) or GH_ENOMEM. */
static int decode_doc(gh_bctx *bc, int what, const gh_value *obj, const gh_value **doc,
                      gq_error *err)
{
    decoder d = {.bc = bc};
    *doc = decode(&d, what == GQ_SCHEMA ? &schema_s : &query_s, obj, 0);
    if (d.oom) return GH_ENOMEM;
    if (d.failed) {
        snprintf(err->msg, sizeof err->msg, "%s", d.msg);
        err->line = err->col = 0;
        return GH_EINVAL;
    }
    return *doc ? 0 : GH_ENOMEM;
}

/* A query or schema document from text (parsed, with positions) or an AST object. Returns
 * 0, GH_EINVAL (err filled), GH_ETYPE (neither), or GH_ENOMEM. */
static int load_doc(gh_bctx *bc, const gh_value *arg, int what, const gh_value **doc, gq_error *err)
{
    size_t n;
    const char *s = gh_string_ptr(arg, &n);
    if (s) return gq_parse(bc, what, s, n, true, doc, err);
    if (!bi_is(arg, GH_KIND_OBJECT)) return GH_ETYPE;
    int rc = decode_doc(bc, what, arg, doc, err);
    if (rc == GH_EINVAL) err->line = -1; /* not a parse error: the message stands alone */
    return rc;
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
