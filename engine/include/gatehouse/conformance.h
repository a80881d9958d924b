/* The OPA conformance runner: reads OPA's YAML test cases (../shared/conformance/README.md
 * describes the format and OPA's runner rules), evaluates each with the engine and judges
 * the outcome exactly as OPA's own runner does; prints a table per folder and a closing
 * line, and keeps a committed list of the cases expected to fail honest.
 *
 * Used by `gatehouse conformance` and, through it, by ctest. The judging, the table and the
 * expected-failures bookkeeping (engine/conformance.c) need no evaluator and are unit-tested
 * on their own; gh_conformance_run (engine/conformance_run.c) drives the evaluator. */
#ifndef GATEHOUSE_CONFORMANCE_H
#define GATEHOUSE_CONFORMANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "gatehouse/arena.h"
#include "gatehouse/value.h"

/* ---- running suites ---- */

typedef struct gh_cf_opts {
    const char *expected_path; /* note<TAB>reason lines; NULL: every failure is unexpected */
    bool write_expected;       /* rewrite expected_path from this run's failures */
    const char *run_regex;     /* POSIX ERE on notes; NULL: all cases */
    bool verbose;              /* each failure's details (got vs want as JSON) */
    double timeout_s;          /* wall clock per case; 0 = 10 s */
    bool no_fork;              /* run cases in-process (debugging); no crash/hang protection */
    FILE *out;                 /* report; NULL = stdout */
} gh_cf_opts;

/* Runs every case of every .yaml/.yml file under each dir (recursively, sorted). Returns 0
 * when every case passed or failed as expected and no listed case passed; 1 otherwise; 2 when
 * a dir cannot be read or the options are unusable (message on stderr). */
int gh_conformance_run(char **dirs, int ndirs, const gh_cf_opts *opts);

/* ---- judging one case (no evaluator needed) ---- */

enum { GH_CF_PASS, GH_CF_FAIL, GH_CF_SKIP };

/* What evaluating a case gave: rows (an array of binding objects) or an error. */
typedef struct gh_cf_got {
    const gh_value *rows; /* NULL when err_code is set */
    const char *err_code; /* "eval_type_error", "rego_compile_error" ... */
    const char *err_text; /* the error as OPA renders it: "file:line: code: message" */
} gh_cf_got;

typedef struct gh_cf_verdict {
    int outcome;   /* GH_CF_PASS, GH_CF_FAIL or GH_CF_SKIP */
    char msg[512]; /* why it failed (one line), "" on a pass */
    char *detail;  /* malloc'd: got vs want as JSON, or NULL; free() it */
} gh_cf_verdict;

/* Judges `got` against the case object (want_result, sort_bindings, ignore_generated_vars,
 * want_error_code, want_error, want_defined) as OPA's runner does: rows are compared as a
 * set after a JSON round trip (sets become arrays, 1 == 1.0). Scratch values go in `a`. */
void gh_cf_judge(gh_arena *a, const gh_value *c, const gh_cf_got *got, gh_cf_verdict *v);

/* The actual rows as OPA's runner compares them: JSON round trip, `__localq*` bindings
 * dropped when ignore_generated, array bindings sorted when sort_bindings. 0 or GH_E*. */
int gh_cf_normalize_rows(gh_arena *a, const gh_value *rows, bool sort_bindings,
                         bool ignore_generated, const gh_value **out);

/* Whether a case is to be skipped (`skip: true` or a reason string), and the reason. */
bool gh_cf_skipped(const gh_value *c, const char **reason);

/* Field of a case object by name, or NULL. */
const gh_value *gh_cf_field(const gh_value *c, const char *name);

/* ---- language vs builtin-family folders ---- */

/* True for the folders of OPA's suite that test one builtin family (the named list in
 * engine/conformance.c); every other folder tests language semantics. */
bool gh_cf_is_builtin_folder(const char *folder);

/* ---- the expected-failures list ---- */

typedef struct gh_cf_expected {
    char **notes, **reasons; /* heap; n entries, in file order */
    bool *failed, *passed;   /* what this run saw for each note */
    size_t n, cap;
} gh_cf_expected;

void gh_cf_expected_init(gh_cf_expected *x);
void gh_cf_expected_free(gh_cf_expected *x);
/* Reads "note<TAB>reason" lines ('#' comments and blank lines skipped; a line without a tab
 * is a note with no reason). A missing file is an empty list. 0, or -1 with errno set. */
int gh_cf_expected_load(gh_cf_expected *x, const char *path);
/* Adds an entry (reason may be NULL); newlines and tabs in either become spaces. */
int gh_cf_expected_add(gh_cf_expected *x, const char *note, const char *reason);
/* Index of note, or -1. */
long gh_cf_expected_find(const gh_cf_expected *x, const char *note);
/* Writes the list sorted by note, after a header comment. 0, or -1 with errno set. */
int gh_cf_expected_write(const gh_cf_expected *x, const char *path);

/* ---- the report ---- */

typedef struct gh_cf_tally {
    char *folder; /* heap */
    long passed, failed, skipped;
} gh_cf_tally;

typedef struct gh_cf_table {
    gh_cf_tally *rows; /* in first-seen order */
    size_t n, cap;
} gh_cf_table;

void gh_cf_table_free(gh_cf_table *t);
/* The row of a folder, created when new; NULL when out of memory. */
gh_cf_tally *gh_cf_table_row(gh_cf_table *t, const char *folder);
/* The table (folder | passed | failed | skipped | pass %), the language and builtin-family
 * subtotals, and the closing line "N passed, N failed, N skipped". */
void gh_cf_table_print(const gh_cf_table *t, FILE *out);

#endif
