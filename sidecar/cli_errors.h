/* Errors as opa's command line reports them, shared by the commands that print opa's error
 * shapes (eval, bench): a list of errors (code, message, file, row, col, and for parse
 * errors the source line), filled from plain text lines and from gh_diags, printed pretty
 * ("1 error occurred: file:row: code: msg", "N errors occurred:" then one a line, a parse
 * error followed by its source line and a caret) on stderr, or as {"errors": [...]} on
 * stdout (opa's presentation.Pretty and presentation.JSON).
 *
 * The list owns its strings (heap copies), so it outlives whatever produced them. An error
 * has a location when it has a file or a row; one without is printed without it, as opa
 * omits a nil location. Adding never fails loudly: an error that cannot be stored for want
 * of memory is dropped. */
#ifndef GH_CLI_ERRORS_H
#define GH_CLI_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

#include "gatehouse/buf.h"
#include "gatehouse/diag.h"

typedef struct cli_error {
    char *code;     /* "rego_parse_error", "eval_type_error", ...; "" for none */
    char *msg;      /* the message alone, without location or code */
    char *file;     /* "" when unknown */
    int row, col;   /* 1-based; 0 when unknown */
    char *src_line; /* parse errors: the source line the caret points into; else NULL */
} cli_error;

typedef struct cli_errors {
    cli_error *items;
    size_t n, cap;
} cli_errors; /* {0} is an empty list */

/* Adds one error; NULL code, msg or file count as "", src_line may be NULL. */
void cli_errors_add(cli_errors *e, const char *code, const char *msg, const char *file, int row,
                    int col, const char *src_line);
/* Adds each non-empty line of text (may be NULL) as an error without code or location:
 * the loader's messages, one a line. */
void cli_errors_add_lines(cli_errors *e, const char *text);
/* Adds every diagnostic; only parse errors keep their source line (opa shows the caret for
 * those alone). */
void cli_errors_add_diags(cli_errors *e, const gh_diags *d);
void cli_errors_free(cli_errors *e);

/* Prints the list: json on stdout, else pretty on stderr. */
void cli_errors_print(const cli_errors *e, bool json);

/* Appends s as a JSON string literal with Go's escaping (json.Marshal: <, > and & as
 * \u003c, \u003e, \u0026). */
void cli_errors_json_string(gh_buf *b, const char *s);

#endif
