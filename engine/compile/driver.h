/* The compiler's entry points for revision.c and eval.c. */
#ifndef GH_COMPILE_DRIVER_H
#define GH_COMPILE_DRIVER_H

#include "vm.h"

/* Builds the rule tree over rev->data and compiles every rule of mods into rev (arena,
 * procs). 0, or GH_EPARSE with diagnostics. */
int gh_compile_revision(gh_revision *rev, gh_module **mods, const gh_source *srcs, size_t n,
                        gh_diags *diags);
/* Compiles a query body against rev into `out`. NULL with diagnostics on error. */
gh_proc *gh_compile_query(gh_revision *rev, gh_arena *out, gh_body *body, gh_diags *diags);

#endif
