/* Fuzz target for the Rego front end: any bytes, parsed as a module (v1 and v0), a query
 * and a term, must give a result or located errors, never a crash; a parsed module must
 * render to JSON and to the tree form. The arena is capped so huge inputs fail cleanly. */
#include <stdint.h>
#include <stdlib.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *src = (const char *)data;
    gh_arena a;
    gh_diags d;
    gh_arena_init(&a, 256u << 20);
    gh_diags_init(&d);
    for (int v0 = 0; v0 < 2; v0++) {
        gh_parse_opts o = {.v0_compatible = v0 == 1};
        gh_module *m;
        if (gh_parse_module(&a, "fuzz.rego", src, size, &o, &m, &d) == 0) {
            gh_buf b;
            gh_buf_init(&b, 64u << 20);
            gh_ast_module_to_json(m, &b, v0 == 1);
            gh_ast_module_print(m, &b);
            gh_buf_free(&b);
        }
        gh_arena_reset(&a);
    }
    gh_body *body;
    if (gh_parse_query(&a, "q", src, size, NULL, &body, &d) == 0) {
        gh_buf b;
        gh_buf_init(&b, 64u << 20);
        gh_ast_body_to_json(body, &b);
        gh_buf_free(&b);
    }
    gh_arena_reset(&a);
    gh_term *t;
    if (gh_parse_term(&a, "t", src, size, &t, &d) == 0) {
        gh_buf b;
        gh_buf_init(&b, 64u << 20);
        gh_ast_term_to_json(t, &b);
        gh_buf_free(&b);
    }
    gh_buf out;
    gh_buf_init(&out, 1u << 20);
    gh_diags_format(&d, &out);
    gh_buf_free(&out);
    gh_diags_free(&d);
    gh_arena_free(&a);
    return 0;
}
