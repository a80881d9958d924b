/* Loading policy and data paths as opa's loader does (-d for eval, PATHs for test and check,
 * -b for bundles): .rego files become modules, .json/.yaml/.yml files data placed by their
 * directory below the root given (root/a/b/data.json lands under data.a.b), all merged into
 * one object. Bundle directories follow OPA's bundle file format: an optional .manifest
 * (revision, roots, rego_version, metadata) whose roots every package and data path must
 * lie under. */
#ifndef GH_LOADER_H
#define GH_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/engine.h"
#include "gatehouse/value.h"

/* One bundle directory and its .manifest, as loader_load_bundles read it. The strings and
 * values live in the loader's arena; the array l->bundles is the loader's (loader_free).
 * A bundle without a .manifest reads as revision "", roots [""], rego_version -1. */
typedef struct loader_bundle {
    const char *path;         /* the directory as given on the command line */
    const char *revision;     /* the manifest's revision, "" when none */
    const char **roots;       /* trimmed of '/' ("a/b"); "" is the whole data tree */
    size_t nroots;            /* 0 when the manifest says "roots": [] (nothing may load) */
    int rego_version;         /* 0 or 1 as the manifest says, -1 when it does not say */
    const gh_value *metadata; /* the manifest's metadata object, NULL when none */
    const gh_value *manifest; /* the whole .manifest document, NULL when the bundle has none */
} loader_bundle;

typedef struct loader {
    gh_source *modules; /* name and text are heap copies owned by the loader */
    size_t nmodules, cap;
    const gh_value *data; /* merged data (an object, in arena), NULL when no data file */
    gh_arena *arena;

    /* Options: set after loader_init, before the first load. */
    char **ignore;  /* --ignore patterns (borrowed): files and directories whose base name */
    size_t nignore; /* matches one (fnmatch) are skipped; never the paths given themselves */
    bool rego_only; /* loader_load's directories yield only .rego files (check without -b) */
    /* In: the command's --v0-compatible, the version of every module a bundle manifest does
     * not version. Out: the version the loaded modules share (the engine compiles them all
     * with one; modules of different versions are a load error). Pass it to gh_load_opts. */
    bool v0_compatible;

    loader_bundle *bundles; /* one per loader_load_bundles path, in command-line order */
    size_t nbundles;

    int cmd_version; /* private: the command's version, fixed at the first load */
} loader;

/* arena receives the data values; it must outlive the loader's results. */
void loader_init(loader *l, gh_arena *arena);
void loader_free(loader *l);

/* Loads each path (a file, or a directory walked recursively in sorted order, hidden entries
 * and --ignore matches skipped; "a.b:path" puts path's data under data.a.b, as opa does).
 * JSON is read relaxed (// and block comments, trailing commas) because users' data files
 * carry comments. Returns 0, or -1 with one message per problem in errs ("path: reason"
 * lines; "path: json: line:col: reason" for a syntax error). */
int loader_load(loader *l, char **paths, int n, gh_buf *errs);

/* Loads each path as a bundle directory, as opa -b does: .manifest first, then every .rego
 * module and every file named data.json, data.yaml or data.yml (placed by directory below
 * the bundle; other files are not part of a bundle). Enforces the roots: a package or data
 * path outside them is an error naming the file (file:line:col for a package), as are
 * overlapping roots within one manifest and roots shared by two bundles. Modules and data
 * join those of other loader_load* calls; l->bundles gets one entry per directory read:
 *
 *     for (size_t i = 0; i < l.nbundles; i++)        // e.g. in a command showing them
 *         for (size_t r = 0; r < l.bundles[i].nroots; r++)
 *             printf("%s %s root %s\n", l.bundles[i].path, l.bundles[i].revision,
 *                    l.bundles[i].roots[r]);
 *
 * Returns 0, or -1 with one "path: reason" line per problem in errs. */
int loader_load_bundles(loader *l, char **paths, int n, gh_buf *errs);

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
