/* AST as a readable indented tree, like `opa parse`'s default output. */
#include "ast.h"
void gh_ast_module_print(const gh_module *m, gh_buf *out) { (void)m; (void)out; }
