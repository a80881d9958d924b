/* The SQL listener's per-worker memory of descriptions and rewrites: a direct-mapped table
 * of statement texts, each with a few plans by decision (replaced in turn). */
#include "sql_plans.h"

#include <stdlib.h>
#include <string.h>

#include "gatehouse/value.h"

#define PLANS_PER_STATEMENT 4

typedef struct slot {
    uint64_t hash;
    char *sql;
    gh_arena arena;         /* the description's, read once from its JSON */
    const gh_value *query;
    sql_plan plans[PLANS_PER_STATEMENT];
    size_t nplans, next; /* next: the plan replaced when all are taken */
} slot;

struct sql_plans {
    slot *slots;
    size_t mask;
    sql_plans_stats stats;
};

static uint64_t hash_text(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

static void plan_free(sql_plan *p)
{
    for (size_t i = 0; i < p->nparams; i++) free(p->constraint[i]);
    free(p->constraint);
    free(p->kinds);
    free(p->request_index);
    free(p->decision);
    free(p->sql);
    memset(p, 0, sizeof *p);
}

static void slot_clear(slot *s)
{
    for (size_t i = 0; i < s->nplans; i++) plan_free(&s->plans[i]);
    free(s->sql);
    gh_arena_free(&s->arena); /* a zeroed arena holds nothing: fine */
    memset(s, 0, sizeof *s);
}

sql_plans *sql_plans_new(size_t slots)
{
    sql_plans *p = calloc(1, sizeof *p);
    size_t n = 1;
    while (n < slots) n <<= 1;
    if (!p || !(p->slots = calloc(n, sizeof *p->slots))) {
        free(p);
        return NULL;
    }
    p->mask = n - 1;
    return p;
}

void sql_plans_free(sql_plans *p)
{
    if (!p) return;
    for (size_t i = 0; i <= p->mask; i++) slot_clear(&p->slots[i]);
    free(p->slots);
    free(p);
}

static slot *find(sql_plans *p, const char *sql, uint64_t h)
{
    slot *s = &p->slots[h & p->mask];
    return s->sql && s->hash == h && strcmp(s->sql, sql) == 0 ? s : NULL;
}

const gh_value *sql_plans_query(sql_plans *p, const char *sql)
{
    slot *s = find(p, sql, hash_text(sql));
    if (s) p->stats.query_hits++;
    else p->stats.query_misses++;
    return s ? s->query : NULL;
}

void sql_plans_put_query(sql_plans *p, const char *sql, const char *query_json, size_t len)
{
    uint64_t h = hash_text(sql);
    if (find(p, sql, h)) return;
    slot *s = &p->slots[h & p->mask];
    slot_clear(s);
    gh_arena_init(&s->arena, 0);
    s->sql = strdup(sql);
    if (!s->sql || gh_json_read(&s->arena, query_json, len, NULL, &s->query, NULL) != 0) {
        slot_clear(s);
        return;
    }
    s->hash = h;
}

const sql_plan *sql_plans_get(sql_plans *p, const char *sql, const char *decision)
{
    slot *s = find(p, sql, hash_text(sql));
    for (size_t i = 0; s && i < s->nplans; i++)
        if (strcmp(s->plans[i].decision, decision) == 0) {
            p->stats.plan_hits++;
            return &s->plans[i];
        }
    p->stats.plan_misses++;
    return NULL;
}

static bool plan_copy(sql_plan *dst, const sql_plan *src)
{
    memset(dst, 0, sizeof *dst);
    dst->decision = strdup(src->decision);
    dst->sql = strdup(src->sql);
    dst->nparams = src->nparams;
    dst->request_index = calloc(src->nparams + 1, sizeof *dst->request_index);
    dst->constraint = calloc(src->nparams + 1, sizeof *dst->constraint);
    dst->kinds = calloc(src->nparams + 1, 1);
    bool ok = dst->decision && dst->sql && dst->request_index && dst->constraint && dst->kinds;
    if (ok) memcpy(dst->kinds, src->kinds, src->nparams);
    for (size_t i = 0; ok && i < src->nparams; i++) {
        dst->request_index[i] = src->request_index[i];
        if (src->constraint[i] && !(dst->constraint[i] = strdup(src->constraint[i]))) ok = false;
    }
    if (!ok) plan_free(dst);
    return ok;
}

void sql_plans_put(sql_plans *p, const char *sql, const sql_plan *plan)
{
    slot *s = find(p, sql, hash_text(sql));
    if (!s) return;
    if (s->nplans == PLANS_PER_STATEMENT) { /* the oldest goes; the last takes its place */
        plan_free(&s->plans[s->next]);
        s->plans[s->next] = s->plans[--s->nplans];
        memset(&s->plans[s->nplans], 0, sizeof s->plans[s->nplans]);
        s->next = (s->next + 1) % PLANS_PER_STATEMENT;
    }
    if (plan_copy(&s->plans[s->nplans], plan)) s->nplans++;
}

void sql_plans_stats_get(const sql_plans *p, sql_plans_stats *out)
{
    *out = p->stats;
}
