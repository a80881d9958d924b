/* OPA conformance case files (../shared/conformance/README.md): loads one YAML file with
 * libyaml and walks its `cases:` list. Fields are read straight off the YAML document, so
 * the file stays loaded while its cases are used. */
#ifndef GH_CASES_H
#define GH_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

typedef struct case_file {
    char *path;
    yaml_document_t doc;
    yaml_node_t *cases; /* the sequence under `cases`, or NULL */
} case_file;

/* 0 on success; -1 with a message on stderr. */
int case_file_load(case_file *f, const char *path);
void case_file_free(case_file *f);

size_t case_count(const case_file *f);
yaml_node_t *case_at(const case_file *f, size_t i);
/* Field of a case (a mapping), or NULL. */
yaml_node_t *case_field(const case_file *f, yaml_node_t *c, const char *key);
/* Scalar text of a field, or NULL when absent or not a scalar. */
const char *case_scalar(const case_file *f, yaml_node_t *c, const char *key, size_t *len);
/* Items of a sequence field: count, and the i-th item's scalar text. */
size_t case_seq_len(const case_file *f, yaml_node_t *seq);
const char *case_seq_scalar(const case_file *f, yaml_node_t *seq, size_t i, size_t *len);

/* Calls fn for every .yaml or .yml file under dir, in sorted order. Returns the file count,
 * or -1 when dir cannot be opened. */
long cases_walk(const char *dir, void (*fn)(const char *path, void *ctx), void *ctx);

#endif
