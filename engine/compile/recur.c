/* Pass 4: recursion detection. Rules call rules (RULE, CALLF, TREE and `with` replacements
 * recorded as dependencies while lowering); a cycle is OPA's rego_recursion_error, reported
 * once per cycle with its path ("data.x.p -> data.x.q -> data.x.p"). */
#include <string.h>

#include "compile/compile.h"
#include "gatehouse/error.h"

static void dfs(gh_comp *c, gh_rnode *n, gh_vec *stack);

static void visit_dep(gh_comp *c, gh_rnode *d, gh_vec *stack)
{
    if (d->defs.n == 0) { /* a subtree: everything below it is called */
        for (uint32_t i = 0; i < d->nkids; i++)
            visit_dep(c, d->kids[i], stack);
        return;
    }
    if (d->visiting == 1) {
        uint32_t i = stack->n;
        while (i > 0 && stack->items[i - 1] != d)
            i--;
        gh_buf b;
        gh_buf_init(&b, 4096);
        for (uint32_t j = i ? i - 1 : 0; j < stack->n; j++) {
            gh_buf_puts(&b, ((gh_rnode *)stack->items[j])->path);
            gh_buf_puts(&b, " -> ");
        }
        gh_buf_puts(&b, d->path);
        gh_cdef *def = d->defs.items[0];
        c->mod = def->mod;
        comp_error(c, &def->rule->loc, "rego_recursion_error", "rule %s is recursive: %s", d->path,
                   b.data ? b.data : "");
        gh_buf_free(&b);
        return;
    }
    if (d->visiting == 0) dfs(c, d, stack);
}

static void dfs(gh_comp *c, gh_rnode *n, gh_vec *stack)
{
    n->visiting = 1;
    gh_vec_push(&c->scratch, stack, n);
    for (uint32_t i = 0; i < n->deps.n; i++)
        visit_dep(c, n->deps.items[i], stack);
    stack->n--;
    n->visiting = 2;
}

static void walk(gh_comp *c, gh_rnode *n, gh_vec *stack)
{
    if (n->defs.n && n->visiting == 0) dfs(c, n, stack);
    for (uint32_t i = 0; i < n->nkids; i++)
        walk(c, n->kids[i], stack);
}

int recursion_check(gh_comp *c, gh_rnode *root)
{
    gh_vec stack = {0};
    int before = c->nerr;
    walk(c, root, &stack);
    return c->nerr > before ? GH_EPARSE : 0;
}
