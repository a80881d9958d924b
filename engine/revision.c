/* Revisions: parse and compile modules with their base documents into one arena, then
 * share the result read-only between threads under a reference count. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compile/driver.h"
#include "gatehouse/error.h"
#include "parse.h"
#include "vm.h"

/* Deep copy of a value into `a` (the revision must not point into the caller's arena). */
static const gh_value *value_copy(gh_arena *a, const gh_value *v)
{
    switch (gh_value_kind(v)) {
    case GH_KIND_NULL: return GH_NULL;
    case GH_KIND_BOOL: return gh_value_bool(gh_value_get_bool(v));
    case GH_KIND_NUMBER: {
        size_t n;
        const char *t = gh_number_text(v, &n);
        int64_t i;
        if (t) {
            const gh_value *out = NULL;
            return gh_value_number(a, t, n, &out) == 0 ? out : NULL;
        }
        if (gh_number_get_int(v, &i)) return gh_value_int(a, i);
        return gh_value_double(a, gh_number_get_double(v));
    }
    case GH_KIND_STRING: {
        size_t n;
        const char *s = gh_string_ptr(v, &n);
        return gh_value_string(a, s, n);
    }
    case GH_KIND_ARRAY:
    case GH_KIND_SET: {
        size_t n = gh_value_len(v);
        const gh_value **items = malloc((n ? n : 1) * sizeof *items);
        if (!items) return NULL;
        for (size_t i = 0; i < n; i++) {
            items[i] = value_copy(a, gh_value_kind(v) == GH_KIND_SET ? gh_set_item_at(v, i)
                                                                     : gh_array_get(v, i));
            if (!items[i]) {
                free(items);
                return NULL;
            }
        }
        const gh_value *out = gh_value_kind(v) == GH_KIND_SET ? gh_value_set(a, items, n)
                                                              : gh_value_array(a, items, n);
        free(items);
        return out;
    }
    case GH_KIND_OBJECT: {
        size_t n = gh_value_len(v);
        const gh_value **k = malloc((n ? n : 1) * 2 * sizeof *k), **vv = k + (n ? n : 1);
        if (!k) return NULL;
        for (size_t i = 0; i < n; i++) {
            k[i] = value_copy(a, gh_object_key_at(v, i));
            vv[i] = value_copy(a, gh_object_value_at(v, i));
            if (!k[i] || !vv[i]) {
                free(k);
                return NULL;
            }
        }
        const gh_value *out = NULL;
        gh_value_object(a, k, vv, n, &out, NULL);
        free(k);
        return out;
    }
    }
    return NULL;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void gh_revision_timings(const gh_revision *rev, uint64_t *parse_ns, uint64_t *compile_ns)
{
    *parse_ns = rev->parse_ns;
    *compile_ns = rev->compile_ns;
}

gh_revision *gh_revision_load(const gh_source *modules, size_t n, const gh_value *data,
                              const gh_load_opts *opts, gh_diags *diags)
{
    gh_revision *rev = calloc(1, sizeof *rev);
    if (!rev) return NULL;
    atomic_init(&rev->refs, 1);
    gh_arena_init(&rev->arena, opts && opts->arena_cap ? opts->arena_cap : (size_t)1 << 30);
    rev->v0 = opts && opts->v0_compatible;
    rev->strict = opts && opts->strict;
    if (data && gh_value_kind(data) != GH_KIND_OBJECT) {
        gh_diags_add(diags, "", NULL, 0, 0, 0, "rego_compile_error", "data must be an object");
        gh_revision_release(rev);
        return NULL;
    }
    rev->data = data ? value_copy(&rev->arena, data) : NULL;
    if (!rev->data) gh_value_object(&rev->arena, NULL, NULL, 0, &rev->data, NULL);
    gh_module **mods = gh_arena_calloc(&rev->arena, n ? n : 1, sizeof *mods);
    gh_parse_opts popts = {.v0_compatible = rev->v0};
    int bad = 0;
    uint64_t t0 = mono_ns();
    for (size_t i = 0; i < n; i++)
        if (gh_parse_module(&rev->arena, modules[i].name ? modules[i].name : "", modules[i].text,
                            modules[i].len, &popts, &mods[i], diags) != 0)
            bad++;
    uint64_t t1 = mono_ns();
    if (bad || !rev->data || gh_compile_revision(rev, mods, modules, n, diags) != 0) {
        gh_revision_release(rev);
        return NULL;
    }
    rev->parse_ns = t1 - t0;
    rev->compile_ns = mono_ns() - t1;
    return rev;
}

void gh_revision_retain(gh_revision *rev)
{
    if (rev) atomic_fetch_add(&rev->refs, 1);
}

void gh_revision_release(gh_revision *rev)
{
    if (!rev || atomic_fetch_sub(&rev->refs, 1) != 1) return;
    gh_arena_free(&rev->arena);
    free(rev);
}
