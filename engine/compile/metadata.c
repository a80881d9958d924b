/* rego.metadata.chain() and rego.metadata.rule(): METADATA annotations are known at compile
 * time, so both calls become constants here, shaped as OPA renders them (authors as
 * {name, email}, related resources as {ref, description}, the scope always present). */
#include <string.h>

#include "compile/compile.h"

static const gh_value *empty_object(gh_comp *c)
{
    const gh_value *o = NULL;
    gh_value_object(c->a, NULL, NULL, 0, &o, NULL);
    return o;
}

static const gh_value *str(gh_comp *c, const char *s, size_t n)
{
    return gh_value_string(c->a, s, n);
}

static const gh_value *yaml_value(gh_comp *c, const gh_yaml *y)
{
    if (!y) return GH_NULL;
    switch (y->kind) {
    case GH_YAML_NULL: return GH_NULL;
    case GH_YAML_SCALAR: {
        const char *s = y->scalar.s;
        size_t n = y->scalar.len;
        const gh_value *v = NULL;
        if (y->quoted) return str(c, s, n);
        if (n == 4 && memcmp(s, "true", 4) == 0) return GH_TRUE;
        if (n == 5 && memcmp(s, "false", 5) == 0) return GH_FALSE;
        if ((n == 4 && memcmp(s, "null", 4) == 0) || (n == 1 && s[0] == '~')) return GH_NULL;
        if (gh_value_number(c->a, s, n, &v) == 0) return v;
        return str(c, s, n);
    }
    case GH_YAML_LIST: {
        const gh_value **items = gh_arena_alloc(&c->scratch, (y->n ? y->n : 1) * sizeof *items);
        for (size_t i = 0; i < y->n; i++)
            items[i] = yaml_value(c, y->items[i]);
        return gh_value_array(c->a, items, y->n);
    }
    case GH_YAML_MAP: {
        const gh_value **k = gh_arena_alloc(&c->scratch, (y->n ? y->n : 1) * sizeof *k);
        const gh_value **v = gh_arena_alloc(&c->scratch, (y->n ? y->n : 1) * sizeof *v);
        for (size_t i = 0; i < y->n; i++) {
            k[i] = str(c, y->keys[i].s, y->keys[i].len);
            v[i] = yaml_value(c, y->items[i]);
        }
        const gh_value *o = NULL;
        gh_value_object(c->a, k, v, y->n, &o, NULL);
        return o;
    }
    }
    return GH_NULL;
}

/* "Jane Doe <jane@example.com>" -> {"name": "Jane Doe", "email": "jane@example.com"}. */
static const gh_value *author(gh_comp *c, const gh_yaml *y)
{
    if (y->kind != GH_YAML_SCALAR) return yaml_value(c, y);
    const char *s = y->scalar.s, *lt = memchr(s, '<', y->scalar.len);
    const gh_value *k[2], *v[2];
    size_t n = 0;
    if (lt && s[y->scalar.len - 1] == '>') {
        size_t nl = (size_t)(lt - s);
        while (nl > 0 && s[nl - 1] == ' ')
            nl--;
        if (nl) k[n] = str(c, "name", 4), v[n++] = str(c, s, nl);
        k[n] = str(c, "email", 5), v[n++] = str(c, lt + 1, y->scalar.len - (size_t)(lt - s) - 2);
    } else {
        k[n] = str(c, "name", 4), v[n++] = str(c, s, y->scalar.len);
    }
    const gh_value *o = NULL;
    gh_value_object(c->a, k, v, n, &o, NULL);
    return o;
}

static const char *scope_name(gh_ann_scope s)
{
    switch (s) {
    case GH_SCOPE_DOCUMENT: return "document";
    case GH_SCOPE_PACKAGE: return "package";
    case GH_SCOPE_SUBPACKAGES: return "subpackages";
    default: return "rule";
    }
}

static const gh_value *annotations_value(gh_comp *c, const gh_annotations *a)
{
    const gh_value *k[10], *v[10];
    size_t n = 0;
    const char *sc = scope_name(a->scope);
    k[n] = str(c, "scope", 5), v[n++] = str(c, sc, strlen(sc));
    if (a->has_title) k[n] = str(c, "title", 5), v[n++] = str(c, a->title.s, a->title.len);
    if (a->has_description)
        k[n] = str(c, "description", 11), v[n++] = str(c, a->description.s, a->description.len);
    if (a->entrypoint) k[n] = str(c, "entrypoint", 10), v[n++] = GH_TRUE;
    if (a->authors && a->authors->kind == GH_YAML_LIST) {
        const gh_value **items = gh_arena_alloc(&c->scratch, (a->authors->n + 1) * sizeof *items);
        for (size_t i = 0; i < a->authors->n; i++)
            items[i] = author(c, a->authors->items[i]);
        k[n] = str(c, "authors", 7), v[n++] = gh_value_array(c->a, items, a->authors->n);
    }
    if (a->organizations)
        k[n] = str(c, "organizations", 13), v[n++] = yaml_value(c, a->organizations);
    if (a->related_resources && a->related_resources->kind == GH_YAML_LIST) {
        const gh_yaml *l = a->related_resources;
        const gh_value **items = gh_arena_alloc(&c->scratch, (l->n + 1) * sizeof *items);
        for (size_t i = 0; i < l->n; i++) {
            if (l->items[i]->kind == GH_YAML_SCALAR) {
                const gh_value *rk = str(c, "ref", 3), *rv = yaml_value(c, l->items[i]);
                gh_value_object(c->a, &rk, &rv, 1, &items[i], NULL);
            } else {
                items[i] = yaml_value(c, l->items[i]);
            }
        }
        k[n] = str(c, "related_resources", 17), v[n++] = gh_value_array(c->a, items, l->n);
    }
    if (a->schemas) k[n] = str(c, "schemas", 7), v[n++] = yaml_value(c, a->schemas);
    if (a->custom) k[n] = str(c, "custom", 6), v[n++] = yaml_value(c, a->custom);
    const gh_value *o = NULL;
    gh_value_object(c->a, k, v, n, &o, NULL);
    return o;
}

static const gh_value *entry(gh_comp *c, const gh_value *path, const gh_annotations *a)
{
    const gh_value *k[2] = {str(c, "path", 4), str(c, "annotations", 11)};
    const gh_value *v[2] = {path, a ? annotations_value(c, a) : NULL};
    const gh_value *o = NULL;
    gh_value_object(c->a, k, v, a ? 2 : 1, &o, NULL);
    return o;
}

/* The annotation of the given scope attached to rule r (or to the package node pkg). */
static const gh_annotations *find(gh_comp *c, const gh_rule *r, const gh_rnode *node,
                                  const gh_rnode *pkg, gh_ann_scope scope)
{
    for (size_t i = 0; i < c->nmods; i++) {
        const gh_module *m = c->mods[i].m;
        for (size_t j = 0; j < m->nannotations; j++) {
            const gh_annotations *a = m->annotations[j];
            if (a->scope != scope) continue;
            if (scope == GH_SCOPE_RULE && a->target_rule == r) return a;
            if (scope == GH_SCOPE_DOCUMENT && a->target_rule) {
                for (uint32_t k = 0; k < node->defs.n; k++)
                    if (((gh_cdef *)node->defs.items[k])->rule == a->target_rule) return a;
            }
            if ((scope == GH_SCOPE_PACKAGE || scope == GH_SCOPE_SUBPACKAGES) && a->target_package &&
                c->mods[i].pkg == pkg)
                return a;
        }
    }
    return NULL;
}

const gh_value *metadata_value(gh_comp *c, bool chain)
{
    const gh_rule *r = c->rule;
    const gh_rnode *node = c->node;
    if (!r || !node || !c->mod) return chain ? gh_value_array(c->a, NULL, 0) : empty_object(c);
    const gh_annotations *ra = find(c, r, node, NULL, GH_SCOPE_RULE);
    if (!chain) return ra ? annotations_value(c, ra) : empty_object(c);
    gh_vec out = {0};
    gh_vec_push(&c->scratch, &out, (void *)entry(c, node->keys, ra));
    const gh_annotations *da = find(c, r, node, NULL, GH_SCOPE_DOCUMENT);
    if (da) gh_vec_push(&c->scratch, &out, (void *)entry(c, node->keys, da));
    const gh_rnode *pkg = c->mod->pkg;
    const gh_annotations *pa = find(c, r, node, pkg, GH_SCOPE_PACKAGE);
    if (pa) gh_vec_push(&c->scratch, &out, (void *)entry(c, pkg->keys, pa));
    for (const gh_rnode *p = pkg; p && p->parent; p = p->parent) {
        const gh_annotations *sa = find(c, r, node, p, GH_SCOPE_SUBPACKAGES);
        if (sa) gh_vec_push(&c->scratch, &out, (void *)entry(c, p->keys, sa));
    }
    return gh_value_array(c->a, (const gh_value *const *)out.items, out.n);
}
