/* The parse tree: libpg_query's protobuf output unpacked into the arena (protobuf-c with an
 * arena allocator, so the tree dies with the arena), packed and deparsed back to SQL, and
 * the few node builders the rewrite needs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_internal.h"

static void *pb_alloc(void *data, size_t size) { return gh_arena_alloc(data, size ? size : 1); }
static void pb_free(void *data, void *p) { (void)data, (void)p; } /* the arena frees */

ProtobufCAllocator *sql_pb_allocator(gh_arena *a, ProtobufCAllocator *out)
{
    out->alloc = pb_alloc;
    out->free = pb_free;
    out->allocator_data = a;
    return out;
}

int sql_tree_parse(const char *text, gh_arena *a, sql_tree **out, sql_error *err)
{
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(text);
    if (r.error) {
        err->code = SQL_EPARSE;
        snprintf(err->msg, sizeof err->msg, "syntax error at offset %d: %s", r.error->cursorpos,
                 r.error->message);
        pg_query_free_protobuf_parse_result(r);
        return err->code;
    }
    ProtobufCAllocator al;
    PgQuery__ParseResult *root = sql_unpack((const uint8_t *)r.parse_tree.data, r.parse_tree.len, a);
    if (!root) /* a field kind unpack.c does not read: protobuf-c's slower unpack */
        root = pg_query__parse_result__unpack(sql_pb_allocator(a, &al), r.parse_tree.len,
                                              (const uint8_t *)r.parse_tree.data);
    pg_query_free_protobuf_parse_result(r);
    sql_tree *t = gh_arena_alloc(a, sizeof *t);
    if (!root || !t) {
        err->code = SQL_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory reading the parse tree");
        return err->code;
    }
    t->root = root;
    t->consumed = false;
    *out = t;
    return 0;
}

int sql_tree_deparse(const sql_tree *t, gh_arena *a, const char **out, sql_error *err)
{
    size_t n;
    uint8_t *buf = sql_pack(&t->root->base, a, &n);
    if (!buf) { /* a field kind pack.c does not write: protobuf-c's slower pack */
        n = pg_query__parse_result__get_packed_size(t->root);
        if (!(buf = gh_arena_alloc(a, n ? n : 1))) {
            err->code = SQL_ENOMEM;
            snprintf(err->msg, sizeof err->msg, "out of memory packing the rewritten tree");
            return err->code;
        }
        pg_query__parse_result__pack(t->root, buf);
    }
    PgQueryProtobuf pb = {.len = n, .data = (char *)buf};
    PgQueryDeparseResult r = pg_query_deparse_protobuf(pb);
    int rc = 0;
    if (r.error) {
        err->code = rc = SQL_EINTERNAL;
        snprintf(err->msg, sizeof err->msg, "the rewritten statement does not deparse: %s",
                 r.error->message);
    } else if (!(*out = gh_arena_strndup(a, r.query, strlen(r.query)))) {
        err->code = rc = SQL_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory");
    }
    pg_query_free_deparse_result(r);
    return rc;
}

/* ---- builders: every node is initialised from its protobuf-c INIT macro, so packing
 * sees valid descriptors and empty (never NULL) strings ---- */

void *sql_node_alloc(sql_walker *w, size_t size)
{
    void *p = gh_arena_calloc(w->a, 1, size);
    if (!p)
        sql_fail(w, SQL_ENOMEM, "out of memory building the rewrite");
    return p;
}

#define NEW(w, T, INIT)                                                                  \
    ({                                                                                   \
        T *p_ = sql_node_alloc(w, sizeof(T));                                            \
        *p_ = (T)INIT;                                                                   \
        p_;                                                                              \
    })

Node *sql_node_wrap(sql_walker *w, PgQuery__Node__NodeCase kind, void *msg)
{
    Node *n = NEW(w, Node, PG_QUERY__NODE__INIT);
    n->node_case = kind;
    n->range_var = msg; /* every member of the union is a pointer */
    return n;
}

Node *sql_node_string(sql_walker *w, const char *s)
{
    PgQuery__String *str = NEW(w, PgQuery__String, PG_QUERY__STRING__INIT);
    str->sval = (char *)s;
    return sql_node_wrap(w, PG_QUERY__NODE__NODE_STRING, str);
}

static Node **node_list(sql_walker *w, size_t n)
{
    return sql_node_alloc(w, (n ? n : 1) * sizeof(Node *));
}

Node *sql_node_column(sql_walker *w, const char *qualifier, const char *column)
{
    PgQuery__ColumnRef *c = NEW(w, PgQuery__ColumnRef, PG_QUERY__COLUMN_REF__INIT);
    c->n_fields = qualifier ? 2 : 1;
    c->fields = node_list(w, 2);
    c->fields[0] = sql_node_string(w, qualifier ? qualifier : column);
    if (qualifier)
        c->fields[1] = sql_node_string(w, column);
    c->location = -1;
    return sql_node_wrap(w, PG_QUERY__NODE__NODE_COLUMN_REF, c);
}

Node *sql_node_star(sql_walker *w)
{
    PgQuery__ColumnRef *c = NEW(w, PgQuery__ColumnRef, PG_QUERY__COLUMN_REF__INIT);
    PgQuery__AStar *s = NEW(w, PgQuery__AStar, PG_QUERY__A__STAR__INIT);
    c->n_fields = 1;
    c->fields = node_list(w, 1);
    c->fields[0] = sql_node_wrap(w, PG_QUERY__NODE__NODE_A_STAR, s);
    c->location = -1;
    return sql_node_wrap(w, PG_QUERY__NODE__NODE_COLUMN_REF, c);
}

Node *sql_node_param(sql_walker *w, int number)
{
    PgQuery__ParamRef *p = NEW(w, PgQuery__ParamRef, PG_QUERY__PARAM_REF__INIT);
    p->number = number;
    p->location = -1;
    return sql_node_wrap(w, PG_QUERY__NODE__NODE_PARAM_REF, p);
}

Node *sql_node_const_str(sql_walker *w, const char *s)
{
    PgQuery__AConst *c = NEW(w, PgQuery__AConst, PG_QUERY__A__CONST__INIT);
    c->val_case = PG_QUERY__A__CONST__VAL_SVAL;
    c->sval = NEW(w, PgQuery__String, PG_QUERY__STRING__INIT);
    c->sval->sval = (char *)s;
    c->location = -1;
    return sql_node_wrap(w, PG_QUERY__NODE__NODE_A_CONST, c);
}

Node *sql_node_const_int(sql_walker *w, int v)
{
    PgQuery__AConst *c = NEW(w, PgQuery__AConst, PG_QUERY__A__CONST__INIT);
    c->val_case = PG_QUERY__A__CONST__VAL_IVAL;
    c->ival = NEW(w, PgQuery__Integer, PG_QUERY__INTEGER__INIT);
    c->ival->ival = v;
    c->location = -1;
    return sql_node_wrap(w, PG_QUERY__NODE__NODE_A_CONST, c);
}

Node *sql_node_null(sql_walker *w)
{
    PgQuery__AConst *c = NEW(w, PgQuery__AConst, PG_QUERY__A__CONST__INIT);
    c->isnull = true;
    c->location = -1;
    return sql_node_wrap(w, PG_QUERY__NODE__NODE_A_CONST, c);
}

Node *sql_node_op(sql_walker *w, const char *op, Node *l, Node *r)
{
    PgQuery__AExpr *e = NEW(w, PgQuery__AExpr, PG_QUERY__A__EXPR__INIT);
    e->kind = PG_QUERY__A__EXPR__KIND__AEXPR_OP;
    e->n_name = 1;
    e->name = node_list(w, 1);
    e->name[0] = sql_node_string(w, op);
    e->lexpr = l;
    e->rexpr = r;
    e->location = -1;
    return sql_node_wrap(w, PG_QUERY__NODE__NODE_A_EXPR, e);
}

Node *sql_node_bool(sql_walker *w, PgQuery__BoolExprType t, Node **args, size_t n)
{
    PgQuery__BoolExpr *b = NEW(w, PgQuery__BoolExpr, PG_QUERY__BOOL_EXPR__INIT);
    b->boolop = t;
    b->n_args = n;
    b->args = node_list(w, n);
    if (n)
        memcpy(b->args, args, n * sizeof *args);
    b->location = -1;
    return sql_node_wrap(w, PG_QUERY__NODE__NODE_BOOL_EXPR, b);
}

Node *sql_node_and(sql_walker *w, Node *l, Node *r)
{
    if (!l)
        return r;
    if (!r) /* nothing to add (no tenant column, no row filter): an AND with a missing side
               would not deparse */
        return l;
    Node *args[2] = {l, r};
    return sql_node_bool(w, PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR, args, 2);
}

Node *sql_node_call(sql_walker *w, const char *fn, Node **args, size_t n)
{
    PgQuery__FuncCall *f = NEW(w, PgQuery__FuncCall, PG_QUERY__FUNC_CALL__INIT);
    f->n_funcname = 1;
    f->funcname = node_list(w, 1);
    f->funcname[0] = sql_node_string(w, fn);
    f->n_args = n;
    f->args = node_list(w, n);
    if (n)
        memcpy(f->args, args, n * sizeof *args);
    f->funcformat = PG_QUERY__COERCION_FORM__COERCE_EXPLICIT_CALL;
    f->location = -1;
    return sql_node_wrap(w, PG_QUERY__NODE__NODE_FUNC_CALL, f);
}

Node *sql_node_cast(sql_walker *w, Node *arg, const char *type)
{
    PgQuery__TypeCast *c = NEW(w, PgQuery__TypeCast, PG_QUERY__TYPE_CAST__INIT);
    PgQuery__TypeName *t = NEW(w, PgQuery__TypeName, PG_QUERY__TYPE_NAME__INIT);
    t->n_names = 1;
    t->names = node_list(w, 1);
    t->names[0] = sql_node_string(w, type);
    t->typemod = -1;
    t->location = -1;
    c->arg = arg;
    c->type_name = t;
    c->location = -1;
    return sql_node_wrap(w, PG_QUERY__NODE__NODE_TYPE_CAST, c);
}

Node *sql_node_res_target(sql_walker *w, const char *name, Node *val)
{
    PgQuery__ResTarget *r = NEW(w, PgQuery__ResTarget, PG_QUERY__RES_TARGET__INIT);
    if (name)
        r->name = (char *)name;
    r->val = val;
    r->location = -1;
    return sql_node_wrap(w, PG_QUERY__NODE__NODE_RES_TARGET, r);
}

Node *sql_node_nulltest(sql_walker *w, Node *arg, bool is_null)
{
    PgQuery__NullTest *t = NEW(w, PgQuery__NullTest, PG_QUERY__NULL_TEST__INIT);
    t->arg = arg;
    t->nulltesttype = is_null ? PG_QUERY__NULL_TEST_TYPE__IS_NULL : PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL;
    t->location = -1;
    return sql_node_wrap(w, PG_QUERY__NODE__NODE_NULL_TEST, t);
}
