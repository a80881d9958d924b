/* The builtin registry: collects the family tables into one name-sorted index (built once,
 * under pthread_once), answers lookups by binary search, and records builtin errors. */
#include "builtins/bi_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const bi_family *const families[] = {
    &bi_family_arith,   &bi_family_compare, &bi_family_aggregates, &bi_family_strings,
    &bi_family_sprintf, &bi_family_regex,   &bi_family_objects,    &bi_family_sets,
    &bi_family_arrays,  &bi_family_types,   &bi_family_print,      &bi_family_glob,
    &bi_family_bits,    &bi_family_casts,   &bi_family_encoding,   &bi_family_numbers,
    &bi_family_graph,   &bi_family_uuid,    &bi_family_net,        &bi_family_units,
    &bi_family_jsonpath, &bi_family_semver, &bi_family_time,
    &bi_family_crypto,
    &bi_family_jwt,
    &bi_family_x509,
    &bi_family_http,
    &bi_family_aws,
    &bi_family_misc,
    &bi_family_jsonschema,
    &bi_family_globs,
    &bi_family_template,
    &bi_family_yaml,
    &bi_family_graphql,
    &bi_family_uri,
};

#define MAX_BUILTINS 512

static const gh_builtin *index_[MAX_BUILTINS];
static size_t nindex;
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

/* Declared in btype.c: parses every entry's decl once. */
void bi_btype_init(const gh_builtin *const *bs, size_t n);
const gh_bsig *bi_btype_sig(size_t i);

static int cmp_builtin(const void *a, const void *b)
{
    const gh_builtin *x = *(const gh_builtin *const *)a, *y = *(const gh_builtin *const *)b;
    return strcmp(x->name, y->name);
}

static void index_build(void)
{
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (size_t i = 0; i < families[f]->n && nindex < MAX_BUILTINS; i++)
            index_[nindex++] = &families[f]->items[i];
    qsort(index_, nindex, sizeof index_[0], cmp_builtin);
    bi_btype_init(index_, nindex);
}

static void index_ready(void)
{
    pthread_once(&index_once, index_build);
}

/* strcmp against a name that is not NUL-terminated. */
static int cmp_name(const char *name, const char *s, size_t n)
{
    int c = strncmp(name, s, n);
    if (c) return c;
    return name[n] != '\0';
}

static ptrdiff_t index_find(const char *name, size_t len)
{
    size_t lo = 0, hi = nindex;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_name(index_[mid]->name, name, len);
        if (c == 0) return (ptrdiff_t)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

const gh_builtin *gh_builtin_lookup(const char *name, size_t len)
{
    if (!name) return NULL;
    index_ready();
    ptrdiff_t i = index_find(name, len);
    return i < 0 ? NULL : index_[i];
}

size_t gh_builtin_count(void)
{
    index_ready();
    return nindex;
}

const gh_builtin *gh_builtin_at(size_t i)
{
    index_ready();
    return i < nindex ? index_[i] : NULL;
}

const gh_bsig *gh_builtin_sig(const gh_builtin *b)
{
    if (!b) return NULL;
    index_ready();
    ptrdiff_t i = index_find(b->name, strlen(b->name));
    return i < 0 ? NULL : bi_btype_sig((size_t)i);
}

int gh_builtin_call(const gh_builtin *b, gh_bctx *bc, const gh_value *const *args, size_t nargs,
                    const gh_value **out)
{
    bc->err_code = NULL;
    bc->err_msg[0] = '\0';
    if (b->flags & GH_BI_VARIADIC) {
        if (!b->vfn) return GH_EINTERNAL;
        return b->vfn(bc, args, nargs, out);
    }
    if (!b->fn || (int)nargs != b->arity) return GH_EINVAL;
    for (size_t i = 0; i < nargs; i++)
        if (!args[i]) return GH_EUNDEFINED; /* an undefined argument: the call is undefined */
    return b->fn(bc, args, out);
}

int gh_builtin_error(gh_bctx *bc, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(bc->err_msg, sizeof bc->err_msg, fmt, ap);
    va_end(ap);
    bool type = strcmp(code, GH_ERR_TYPE) == 0;
    bc->err_code = type ? GH_ERR_TYPE : GH_ERR_BUILTIN;
    return type ? GH_ETYPE : GH_EBUILTIN;
}
