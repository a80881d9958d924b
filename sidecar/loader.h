/* Loading policy and data paths as opa's loader does (-d for eval, later run/test): .rego
 * files become modules, .json/.yaml/.yml files data placed by their directory below the
 * root given (root/a/b/data.json lands under data.a.b), all merged into one object. */
#ifndef GH_LOADER_H
#define GH_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/engine.h"
#include "gatehouse/value.h"

typedef struct loader {
    gh_source *modules; /* name and text are heap copies owned by the loader */
    size_t nmodules, cap;
    const gh_value *data; /* merged data (an object, in arena), NULL when no data file */
    gh_arena *arena;
} loader;

/* arena receives the data values; it must outlive the loader's results. */
void loader_init(loader *l, gh_arena *arena);
void loader_free(loader *l);

/* Loads each path (a file, or a directory walked recursively in sorted order, hidden entries
 * skipped; "a.b:path" puts path's data under data.a.b, as opa does). JSON is read relaxed (// and block comments, trailing commas) because users'
 * data files carry comments. Returns 0, or -1 with one message per problem in errs
 * ("path: reason" lines). */
int loader_load(loader *l, char **paths, int n, gh_buf *errs);

/* One JSON (relaxed) or YAML (.yaml, .yml) document from a file, e.g. an input file.
 * Returns 0, or -1 with "path: reason" in errs. */
int loader_read_value(gh_arena *a, const char *path, const gh_value **out, gh_buf *errs);
/* The same from text already read; name says which syntax (by extension) and labels errors. */
int loader_parse_value(gh_arena *a, const char *name, const char *text, size_t len,
                       const gh_value **out, gh_buf *errs);

/* Deep-merges two objects (b's members win where both are not objects: a conflict, see
 * below). Returns 0; GH_EINVAL with the conflicting key path in errs when a key holds a
 * non-object in both; GH_ENOMEM. */
int loader_merge(gh_arena *a, const gh_value *x, const gh_value *y, const gh_value **out,
                 gh_buf *path);

#endif
