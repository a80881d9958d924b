/* The compiler driver: runs the passes over a revision's modules (or over one query) and
 * hands out procedures whose constants and aux entries live in the output arena. */
#include <string.h>

#include "compile/compile.h"
#include "compile/driver.h"
#include "gatehouse/error.h"

static void comp_init(gh_comp *c, gh_arena *out, gh_revision *rev, gh_diags *diags)
{
    memset(c, 0, sizeof *c);
    c->a = out;
    gh_arena_init(&c->scratch, 0);
    c->rev = rev;
    c->diags = diags;
}

static void comp_finish(gh_comp *c)
{
    for (uint32_t i = 0; i < c->all_procs.n; i++) {
        gh_proc *p = c->all_procs.items[i];
        p->k = (const gh_value *const *)c->consts.items;
        p->x = (const void *const *)c->aux.items;
    }
    gh_arena_free(&c->scratch);
}

/* Interior nodes get memo slots after the procedures' (their materialised value). */
static void number_interior(gh_rnode *n, uint32_t *next)
{
    if (!n->defs.n) n->memo = (*next)++;
    for (uint32_t i = 0; i < n->nkids; i++)
        number_interior(n->kids[i], next);
}

static void collect_rule_nodes(gh_comp *c, gh_rnode *n, gh_vec *out)
{
    if (n->defs.n) gh_vec_push(&c->scratch, out, n);
    for (uint32_t i = 0; i < n->nkids; i++)
        collect_rule_nodes(c, n->kids[i], out);
}

int gh_compile_revision(gh_revision *rev, gh_module **mods, const gh_source *srcs, size_t n,
                        gh_diags *diags)
{
    gh_comp c;
    comp_init(&c, &rev->arena, rev, diags);
    gh_cmod *cm = gh_arena_calloc(&c.scratch, n ? n : 1, sizeof *cm);
    for (size_t i = 0; i < n; i++) {
        cm[i].m = mods[i];
        cm[i].src = srcs[i].text;
        cm[i].len = srcs[i].len;
    }
    c.mods = cm;
    c.nmods = n;
    int rc = strict_check(&c) ? GH_EPARSE : tree_build(&c, cm, n, rev->data);
    if (rc == 0) {
        gh_vec nodes = {0};
        collect_rule_nodes(&c, rev->root, &nodes);
        rev->nprocs = nodes.n;
        rev->procs = gh_arena_calloc(&rev->arena, nodes.n ? nodes.n : 1, sizeof *rev->procs);
        for (uint32_t i = 0; i < nodes.n; i++) {
            gh_rnode *nd = nodes.items[i];
            nd->proc = gh_arena_calloc(&rev->arena, 1, sizeof *nd->proc);
            nd->proc->id = i;
            rev->procs[i] = nd->proc;
        }
        rev->nmemo = nodes.n;
        number_interior(rev->root, &rev->nmemo);
        for (uint32_t i = 0; i < nodes.n; i++)
            rules_lower_node(&c, nodes.items[i]);
        if (c.nerr == 0) recursion_check(&c, rev->root);
    }
    rc = c.nerr ? GH_EPARSE : 0;
    comp_finish(&c);
    return rc;
}

gh_proc *gh_compile_query(gh_revision *rev, gh_arena *out, gh_body *body, gh_diags *diags)
{
    gh_comp c;
    comp_init(&c, out, rev, diags);
    gh_proc *p = rules_lower_query(&c, body);
    int nerr = c.nerr;
    comp_finish(&c);
    return nerr ? NULL : p;
}
