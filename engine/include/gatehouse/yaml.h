/* YAML in: YAML text (data.yaml files, OPA conformance cases, METADATA blocks) into Rego
 * values, read the way OPA reads YAML (sigs.k8s.io/yaml: YAML -> JSON -> values).
 *
 * Plain scalars resolve by the YAML 1.2 core schema: null, ~ and the empty scalar are null;
 * true/false (also True, TRUE...) booleans; decimal, 0x and 0o integers and decimal floats
 * numbers (their exact text kept, as gh_value_number does); .inf and .nan are errors since
 * Rego numbers are finite; anything else is a string. Quoted and block scalars are always
 * strings, and so is anything tagged !!str. Mapping keys become strings as Go's YAML to JSON
 * conversion makes them (1 -> "1", true -> "true"); null and collection keys are errors.
 * Anchors and aliases are resolved (an alias shares its anchor's value, so "billion laughs"
 * input costs no memory); `<<` merge keys are honoured.
 *
 * GH_YAML_GO_V2 resolves plain scalars as go-yaml v2 (under sigs.k8s.io/yaml, which OPA uses
 * for data files, input and yaml.unmarshal) does, YAML 1.1 style: y/Y/yes/Yes/YES, on/On/ON
 * and true/True/TRUE are true, n/N/no/No/NO, off/Off/OFF and false/False/FALSE false; null
 * words as above. A scalar starting with a digit or sign has every '_' dropped, then is an
 * integer as Go's strconv.ParseInt/ParseUint with base 0 read it (0x/0X hex, 0o/0O and a bare
 * leading 0 octal, 0b/0B binary, up to uint64), else a decimal float of the pattern above; a
 * scalar starting with '.' is a float (.5). No sexagesimal (1:30 stays a string); timestamps
 * stay strings. Floats beyond float64 are strings (ParseFloat fails); numbers keep their
 * digits rather than Go's float64 rounding. Anything else is a string. */
#ifndef GATEHOUSE_YAML_H
#define GATEHOUSE_YAML_H

#include <stddef.h>

#include "gatehouse/arena.h"
#include "gatehouse/value.h"

#define GH_YAML_MAX_DEPTH 512 /* default nesting limit of gh_yaml_read */

enum {
    GH_YAML_MULTI = 1u << 0, /* a stream of documents gives an array, one item per document */
    GH_YAML_GO_V2 = 1u << 1, /* resolve plain scalars as go-yaml v2 does (below) */
};

typedef struct gh_yaml_opts {
    unsigned flags; /* GH_YAML_MULTI */
    int max_depth;  /* sequences + mappings open at once; 0 = GH_YAML_MAX_DEPTH */
} gh_yaml_opts;

typedef struct gh_yaml_error {
    int code;      /* GH_EPARSE, GH_ENOMEM or GH_ELIMIT; 0 when all went well */
    int line, col; /* 1-based; col counts characters as libyaml does */
    char msg[200]; /* "yaml: 3:7: mapping values are not allowed in this context" */
} gh_yaml_error;

/* Parses text[0..len) (need not be NUL-terminated) into values allocated from `a`. Without
 * GH_YAML_MULTI a stream holding more than one document is an error; an empty stream is
 * null. opts and err may be NULL. Returns 0, or a GH_E* code with err filled. On failure the
 * arena keeps whatever was allocated until it is reset. */
int gh_yaml_read(gh_arena *a, const char *text, size_t len, const gh_yaml_opts *opts,
                 const gh_value **out, gh_yaml_error *err);

/* libyaml 0.2.5 rejects a block scalar whose first content line has a tab right after its
 * indentation (YAML allows it, OPA's cases use it). Returns a malloc'd copy of src where such
 * block headers carry an explicit indentation indicator, which makes libyaml read the same
 * value; *out_len gets its length. NULL when out of memory. gh_yaml_read applies it itself;
 * it is public for code that drives libyaml directly. */
char *gh_yaml_fix_block_tabs(const char *src, size_t len, size_t *out_len);

#endif
