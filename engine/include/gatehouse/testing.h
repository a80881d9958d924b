/* The policy-test harness core (gatehouse test): finds the test rules of a set of modules
 * and runs each as its own evaluation, in parallel, one evaluator per worker thread over one
 * shared revision. Reporting (OPA's text, JSON, JUnit) is the caller's. */
#ifndef GATEHOUSE_TESTING_H
#define GATEHOUSE_TESTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/buf.h"
#include "gatehouse/engine.h"

/* A rule is a test when a name on its head's ground prefix starts with "test_"; one starting
 * with "todo_test_" is skipped (reported, not run), as OPA does. */
#define GH_TEST_PREFIX      "test_"
#define GH_TEST_SKIP_PREFIX "todo_test_"

/* Several definitions of one test name in a package are several tests, as in OPA: call
 * gh_tests_rename_duplicates on the module texts before gh_revision_load. It renames the
 * second and later definitions of a plain `test_x` head to test_x__gh_dupNN in the text
 * (each changed text is replaced by a malloc'd copy and the old one freed: the texts must be
 * malloc'd), and gh_tests_discover reports them as OPA names them, test_x#NN. Returns 0 or
 * GH_ENOMEM. */
#define GH_TEST_DUP_MARK "__gh_dup"
int gh_tests_rename_duplicates(gh_source *modules, size_t n, bool v0_compatible);

typedef enum gh_test_outcome {
    GH_TEST_PASS,
    GH_TEST_FAIL,    /* undefined, or a value other than true */
    GH_TEST_ERROR,   /* the evaluation ended with an error (conflict, timeout, ...) */
    GH_TEST_SKIPPED, /* todo_test_ */
} gh_test_outcome;

/* One case of a parameterised test (`test_cases[name] if ...`): its value's keys, nested
 * objects giving deeper levels, in depth-first, sorted order. */
typedef struct gh_test_sub {
    char *name;
    int depth; /* 1 for the test's own keys */
    bool leaf; /* counted in the totals (inner levels are not) */
    bool fail; /* not true (a leaf), or a failing case below (an inner level) */
} gh_test_sub;

typedef struct gh_test {
    /* found by gh_tests_discover (heap strings owned by the list) */
    char *pkg;  /* "data.a.b" */
    char *name; /* "test_x", or "p.q.test_x" for a ref head */
    char *file; /* the module's name as loaded */
    int row, col;
    bool skip;
    bool param; /* a partial object: each key is a case (sub-result) */
    /* filled by gh_tests_run (the last run when repeated) */
    gh_test_outcome outcome;
    bool undefined;       /* FAIL because the test was undefined (else: not true) */
    uint64_t duration_ns; /* one evaluation */
    char *output;         /* what print() wrote, one line per call; NULL when nothing */
    size_t output_len;
    char *error;       /* "file:row: code: message", for GH_TEST_ERROR */
    gh_eval_error err; /* the same, in parts */
    gh_test_sub *subs; /* a parameterised test's cases */
    size_t nsubs;
    uint64_t bench_n;  /* --bench: evaluations timed */
    uint64_t bench_ns; /* --bench: their total wall time */
    /* filled by gh_tests_explain for failed tests (NULL when there is nothing to show) */
    char *trace;       /* OPA's pretty trace of the test's evaluation, one event a line */
    char *fail_at;     /* "file:row" of the expression that failed */
    char *fail_detail; /* its text, then its local variables' values under it */
} gh_test;

typedef struct gh_test_list {
    gh_test *items; /* sorted by file, then row */
    size_t n, cap;
} gh_test_list;

/* Parses the modules (as gh_revision_load will: same names and syntax) and appends their
 * tests whose full name (pkg.name) matches the POSIX extended regular expression `filter`
 * (NULL: all). A name defined by several rules is one test. Returns 0; GH_EINVAL with a
 * message in errbuf when the filter does not compile; GH_ENOMEM. Modules that do not parse
 * are skipped (gh_revision_load reports them). */
int gh_tests_discover(const gh_source *modules, size_t n, bool v0_compatible, const char *filter,
                      gh_test_list *out, char *errbuf, size_t errsize);
void gh_test_list_free(gh_test_list *l);

/* Lines executed, per module (gatehouse test --coverage). */
typedef struct gh_cover_file {
    char *file;
    uint8_t *hit; /* hit[line] != 0: an instruction compiled from that line ran */
    int nlines;   /* entries in hit */
} gh_cover_file;

typedef struct gh_cover {
    gh_cover_file *files;
    size_t n, cap;
} gh_cover;

void gh_cover_free(gh_cover *c);

/* OPA's coverage report (v1/cover: cover.Report as indented JSON) into json: per file the
 * covered and not covered line ranges among the lines OPA counts (rule heads and body
 * expressions but `some` declarations), their counts and percentage, then the totals.
 * *coverage gets the overall percentage; not_covered (may be NULL) gets "\n\tfile:row" or
 * "\n\tfile:a-b" per uncovered range, as OPA lists them below a threshold error. */
int gh_cover_report(const gh_cover *c, const gh_source *modules, size_t n, bool v0_compatible,
                    gh_buf *json, double *coverage, gh_buf *not_covered);

typedef struct gh_test_run_opts {
    unsigned threads;        /* worker threads; 0 = one per online core */
    uint64_t timeout_ns;     /* per evaluation; 0 = 5 s (OPA's default) */
    bool bench;              /* time repeated evaluations of each passing test (~bench_ns each) */
    uint64_t bench_time_ns;  /* 0 = 1 s, Go's -benchtime default */
    const gh_value *runtime; /* opa.runtime(); NULL = {} */
    gh_cover *cover;         /* lines executed are added here; NULL = no coverage */
} gh_test_run_opts;

/* Runs every test of the list against rev, filling the results. Returns 0, or GH_ENOMEM
 * when a worker could not be set up (then some results are missing: they read ERROR). */
int gh_tests_run(const gh_revision *rev, gh_test_list *l, const gh_test_run_opts *opts);

typedef struct gh_test_explain_opts {
    gh_explain_mode mode;      /* which events go into the trace */
    bool var_values;           /* the trace shows each event's variables (--var-values) */
    const gh_source *modules;  /* the modules as loaded (for expression text) */
    size_t nmodules;
    uint64_t timeout_ns;       /* per evaluation; 0 = 5 s */
    const gh_value *runtime;   /* opa.runtime(); NULL = {} */
} gh_test_explain_opts;

/* Evaluates each failed test of the list once more with the explainer on (serially) and
 * fills its trace and failure details (gatehouse test -v, --var-values). 0 or GH_ENOMEM. */
int gh_tests_explain(const gh_revision *rev, gh_test_list *l, const gh_test_explain_opts *opts);

/* Go's time.Duration text ("605.076µs", "1.2ms", "2.5s", "1m3s", "0s") into buf. */
void gh_test_format_duration(uint64_t ns, char *buf, size_t size);

#endif
