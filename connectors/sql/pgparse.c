/* The bridge to PostgreSQL's parser (libpg_query's raw_parser): parse trees are built
 * straight into the caller's arena through a MemoryContext whose chunks come from it, so a
 * tree costs no serialization, no copy and no free. Also PostgreSQL's identifier quoting,
 * and the JSON form of a tree for statements described generically. */
#include "sql_internal.h"

#include "common/keywords.h"
#include "utils/memutils.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgtls.h"

typedef struct {
    List *tree;
    char *stderr_buffer;
    PgQueryError *error;
} raw_result; /* libpg_query's PgQueryInternalParsetreeAndError */
extern raw_result pg_query_raw_parse(const char *input);
extern void pg_query_free_error(PgQueryError *error);

/* Every chunk starts with its size and, right before the data as PostgreSQL's pfree and
 * repalloc require, its context. */
typedef struct chunk_header {
    size_t size;
    MemoryContext context;
} chunk_header;

typedef struct arena_context {
    MemoryContextData base;
    gh_arena *arena;
    void **spill; /* chunks malloc'ed once the arena said no: freed after the parse */
    size_t nspill, spill_cap;
} arena_context;

static void *spill(arena_context *c, size_t n)
{
    if (c->nspill == c->spill_cap) {
        size_t cap = c->spill_cap ? c->spill_cap * 2 : 16;
        void **p = realloc(c->spill, cap * sizeof *p);
        if (!p)
            return NULL;
        c->spill = p, c->spill_cap = cap;
    }
    void *p = malloc(n);
    if (p)
        c->spill[c->nspill++] = p;
    return p;
}

static void *ctx_alloc(MemoryContext context, Size size)
{
    arena_context *c = (arena_context *)context;
    size_t n = sizeof(chunk_header) + (size ? size : 1);
    chunk_header *h = c->nspill ? NULL : gh_arena_alloc(c->arena, n);
    if (!h && !(h = spill(c, n)))
        return NULL; /* palloc raises "out of memory", the parse fails cleanly */
    h->size = size;
    h->context = context;
    return h + 1;
}

static void ctx_free(MemoryContext context, void *p) { (void)context, (void)p; }

static void *ctx_realloc(MemoryContext context, void *p, Size size)
{
    chunk_header *h = (chunk_header *)p - 1;
    if (size <= h->size)
        return p;
    void *q = ctx_alloc(context, size);
    if (q)
        memcpy(q, p, h->size);
    return q;
}

static void ctx_nothing(MemoryContext context) { (void)context; }
static Size ctx_space(MemoryContext context, void *p)
{
    (void)context;
    return ((chunk_header *)p - 1)->size + sizeof(chunk_header);
}
static bool ctx_is_empty(MemoryContext context) { return ((arena_context *)context)->base.isReset; }
static void ctx_stats(MemoryContext context, MemoryStatsPrintFunc f, void *passthru,
                      MemoryContextCounters *totals, bool to_stderr)
{
    (void)context, (void)f, (void)passthru, (void)totals, (void)to_stderr;
}

static const MemoryContextMethods arena_methods = {
    .alloc = ctx_alloc, .free_p = ctx_free, .realloc = ctx_realloc, .reset = ctx_nothing,
    .delete_context = ctx_nothing, .get_chunk_space = ctx_space, .is_empty = ctx_is_empty,
    .stats = ctx_stats,
};

static int fail(sql_error *err, int code, const char *msg, int offset)
{
    err->code = code;
    if (offset >= 0)
        snprintf(err->msg, sizeof err->msg, "syntax error at offset %d: %s", offset, msg);
    else
        snprintf(err->msg, sizeof err->msg, "%s", msg);
    return code;
}

int sql_tree_parse(const char *text, gh_arena *a, sql_tree **out, sql_error *err)
{
    sql_tree *t = gh_arena_calloc(a, 1, sizeof *t);
    arena_context *c = gh_arena_calloc(a, 1, sizeof *c);
    if (!t || !c)
        return fail(err, SQL_ENOMEM, "out of memory", -1);
    pg_query_init(); /* once per thread: PostgreSQL's top and error contexts */
    MemoryContextCreate(&c->base, T_AllocSetContext, &arena_methods, NULL, "gatehouse-sql");
    c->arena = a;
    jmp_buf *oom = a->oom;
    a->oom = NULL; /* never longjmp out of PostgreSQL's parser: its error stack would dangle */
    void *old = sql_pg_switch_context(c);
    raw_result r = pg_query_raw_parse(text);
    sql_pg_switch_context(old);
    a->oom = oom;
    bool spilled = c->nspill > 0;
    for (size_t i = 0; i < c->nspill; i++)
        free(c->spill[i]);
    free(c->spill);
    free(r.stderr_buffer);
    if (r.error) {
        int rc = spilled ? fail(err, SQL_ENOMEM, "out of memory parsing the statement", -1)
                         : fail(err, SQL_EPARSE, r.error->message, r.error->cursorpos);
        pg_query_free_error(r.error);
        return rc;
    }
    if (spilled)
        return fail(err, SQL_ENOMEM, "out of memory parsing the statement", -1);
    t->stmts = r.tree;
    t->text = text;
    *out = t;
    return 0;
}

/* PostgreSQL's rule (quote_identifier): bare when lower case letters, digits and _ (not
 * first a digit) and not a keyword other than an unreserved one; else in double quotes. */
bool sql_ident_bare(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    int kw = ScanKeywordLookup(s, &ScanKeywords);
    return kw < 0 || ScanKeywordCategories[kw] == UNRESERVED_KEYWORD;
}

const gh_value *sql_tree_json(const char *text, gh_arena *a, sql_error *err)
{
    PgQueryParseResult r = pg_query_parse(text);
    const gh_value *v = NULL;
    if (r.error)
        fail(err, SQL_EPARSE, r.error->message, r.error->cursorpos);
    else if (gh_json_read(a, r.parse_tree, strlen(r.parse_tree), NULL, &v, NULL) != 0)
        fail(err, SQL_EUNSUPPORTED, "the statement's tree is too deep to describe", -1);
    pg_query_free_parse_result(r);
    return v;
}

/* ---- the build's own check ---- */

static void walk_unknown(void *arg)
{
    /* a utility statement is a node raw_expression_tree_walker does not know: elog(ERROR) */
    raw_expression_tree_walker(arg, NULL, NULL);
}

static bool canary_ok(const sql_tree *t)
{
    const RawStmt *rs = list_length(t->stmts) == 1 ? linitial(t->stmts) : NULL;
    const SelectStmt *sel = rs && IsA(rs->stmt, SelectStmt) ? (const SelectStmt *)rs->stmt : NULL;
    const RangeVar *rv = sel && list_length(sel->fromClause) == 1 ? linitial(sel->fromClause) : NULL;
    const A_Expr *e = sel && sel->whereClause && IsA(sel->whereClause, A_Expr) ? (const A_Expr *)sel->whereClause : NULL;
    return rv && IsA(rv, RangeVar) && rv->schemaname && strcmp(rv->schemaname, "s") == 0 &&
           strcmp(rv->relname, "t") == 0 && rv->location == 14 && e && e->kind == AEXPR_OP &&
           e->rexpr && IsA(e->rexpr, ParamRef) && ((const ParamRef *)e->rexpr)->number == 1 &&
           ((const ParamRef *)e->rexpr)->location == 28;
}

int sql_selfcheck(char *msg, size_t n)
{
    gh_arena a;
    gh_arena_init(&a, 1 << 20);
    sql_tree *t;
    sql_error err;
    int rc = 0;
    if (sql_tree_parse("SELECT a FROM s.t WHERE b = $1", &a, &t, &err) != 0 || !canary_ok(t))
        rc = -1, snprintf(msg, n, "PostgreSQL's parse tree does not read as the node headers say: "
                                  "libpg_query and postgresql-server-dev are not the same major version");
    else if (sql_tree_parse("CREATE TABLE x (a int)", &a, &t, &err) != 0 ||
             sql_pg_guarded(walk_unknown, ((RawStmt *)linitial(t->stmts))->stmt) == 0)
        rc = -1, snprintf(msg, n, "PostgreSQL errors inside a tree walk are not caught");
    gh_arena_free(&a);
    return rc;
}
