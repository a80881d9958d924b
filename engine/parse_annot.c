/* METADATA annotation blocks: comment runs to gh_annotations (a small YAML subset). */
#define GH_PARSE_INTERNAL
#include "parse.h"

void gh_annotations_collect(gh_pctx *ctx, gh_module *m)
{
    (void)ctx;
    (void)m;
}
