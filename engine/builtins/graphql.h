/* GraphQL for the graphql.* builtins (private to engine/builtins/): a recursive-descent
 * parser that builds gqlparser's AST directly as Rego values (the JSON shape OPA returns:
 * Go field names, no nulls, no empty lists), and the schema and query validators that
 * read those values back. */
#ifndef GH_BI_GRAPHQL_H
#define GH_BI_GRAPHQL_H

#include "builtins/bi_internal.h"

#define GQ_MAX_DEPTH 256 /* selection sets, values and types open at once */

enum { GQ_QUERY = 0, GQ_SCHEMA = 1 };

typedef struct gq_error {
    int line, col;  /* 1-based; col counts runes, as gqlparser does */
    char msg[320];  /* gqlparser's words: "Expected Name, found <EOF>" */
} gq_error;

/* Parses src[0..n) as a query (GQ_QUERY) or schema (GQ_SCHEMA) document into *out,
 * allocated in bc->arena. With_pos adds "Position": [line, col] to the nodes the validator
 * reports on (gq_strip_pos removes them). Returns 0, GH_EINVAL with err filled, or
 * GH_ENOMEM. */
int gq_parse(gh_bctx *bc, int what, const char *src, size_t n, bool with_pos,
             const gh_value **out, gq_error *err);

/* A copy of v without "Position" members (NULL when out of memory). */
const gh_value *gq_strip_pos(gh_bctx *bc, const gh_value *v);

/* Builds the schema (prelude + doc) and validates it as gqlparser's ValidateSchemaDocument.
 * Returns 0 and *schema, GH_EINVAL with err filled, or GH_ENOMEM. */
typedef struct gq_schema gq_schema;
int gq_schema_build(gh_bctx *bc, const gh_value *doc, gq_schema **schema, gq_error *err);

/* Validates a query document against a schema with gqlparser's rules. Returns 0, GH_EINVAL
 * with err filled (the first error), or GH_ENOMEM. */
int gq_validate(gh_bctx *bc, gq_schema *schema, const gh_value *query, bool from_text,
                gq_error *err);

/* Member of an AST object by name, or NULL. */
static inline const gh_value *gq_get(const gh_value *o, const char *key)
{
    return o ? gh_object_get_str(o, key, strlen(key)) : NULL;
}

#endif
