/* The Rego syntax tree built by the parser (grammar/rego.y) and read by the compiler.
 * Modeled on OPA's ast package: Module{package, imports, rules, annotations, comments},
 * Rule{default, head, body, else}, Body = Expr list, Expr{negated, terms, with, some, every},
 * Term = kind + value + location.
 *
 * Ownership: every node, string and array lives in the gh_arena the parser was given and
 * is never freed on its own. Strings are NUL-terminated *and* carry a length (decoded
 * strings may hold NUL bytes). Arrays are (pointer, count) pairs, never NULL when count>0. */
#ifndef GH_AST_H
#define GH_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"

/* A source position: 1-based line and byte column, plus the byte span [off, end) of the
 * node in the source text (for "text" fields and error carets). */
typedef struct gh_loc {
    const char *file; /* shared by every node of a module; "" when none */
    int line, col;
    uint32_t off, end;
} gh_loc;

typedef struct gh_str {
    const char *s; /* NUL-terminated */
    size_t len;
} gh_str;

typedef struct gh_term gh_term;
typedef struct gh_expr gh_expr;
typedef struct gh_body gh_body;
typedef struct gh_rule gh_rule;

typedef enum gh_term_kind {
    GH_TERM_NULL,
    GH_TERM_BOOL,
    GH_TERM_NUMBER,       /* u.str: the literal's exact text, e.g. "-1.50e3" */
    GH_TERM_STRING,       /* u.str: decoded bytes (escapes resolved; raw strings verbatim) */
    GH_TERM_VAR,          /* u.str: name; wildcards `_` are renamed "$0", "$1", ... like OPA */
    GH_TERM_REF,          /* u.list: items[0] is the head (var, call, collection...), the rest are
                             operands; `a.b` gives the string term "b" */
    GH_TERM_ARRAY,        /* u.list */
    GH_TERM_SET,          /* u.list, in source order (duplicates kept; the compiler dedups) */
    GH_TERM_OBJECT,       /* u.obj, in source order */
    GH_TERM_CALL,         /* u.list: items[0] is the operator (a ref), then the arguments */
    GH_TERM_ARRAY_COMPR,  /* u.compr: [value | body] */
    GH_TERM_SET_COMPR,    /* u.compr: {value | body} */
    GH_TERM_OBJECT_COMPR, /* u.compr: {key: value | body} */
    GH_TERM_TEMPLATE,     /* u.tpl: $"..{expr}.." or $`..{expr}..` */
} gh_term_kind;

/* One piece of a template string: a literal string term, or an expression to render. */
typedef struct gh_tpl_part {
    gh_term *str;  /* set for literal text (a GH_TERM_STRING) or a constant scalar */
    gh_expr *expr; /* set for an embedded expression */
} gh_tpl_part;

struct gh_term {
    gh_term_kind kind;
    gh_loc loc;
    union {
        bool b;
        gh_str str;
        struct {
            gh_term **items;
            size_t n;
        } list;
        struct {
            gh_term **keys, **vals;
            size_t n;
        } obj;
        struct {
            gh_term *key;   /* object comprehensions only */
            gh_term *value; /* the collected term */
            gh_body *body;
        } compr;
        struct {
            gh_tpl_part *parts;
            size_t n;
            bool raw; /* $`...`: may span lines, no escapes but \{ */
        } tpl;
    } u;
};

typedef struct gh_with {
    gh_loc loc;
    gh_term *target; /* a ref or var, e.g. input.user or data.x or a function name */
    gh_term *value;
} gh_with;

typedef enum gh_expr_kind {
    GH_EXPR_TERM,  /* a single term that must be defined and not false */
    GH_EXPR_CALL,  /* u.call: terms[0] is the operator ref (eq, assign, equal, plus, a function
                      ref, internal.member_2 ...), then the operands */
    GH_EXPR_SOME,  /* u.some: `some x, y` (vars) or `some x in xs` / `some k, v in xs` (one
                      call term to internal.member_2 / internal.member_3) */
    GH_EXPR_EVERY, /* u.every */
} gh_expr_kind;

struct gh_expr {
    gh_expr_kind kind;
    gh_loc loc;
    bool negated;
    uint32_t index; /* position in its body */
    union {
        gh_term *term;
        struct {
            gh_term **terms;
            size_t n;
        } call;
        struct {
            gh_term **symbols;
            size_t n;
        } some;
        struct {
            gh_term *key; /* NULL for `every x in xs` */
            gh_term *value;
            gh_term *domain;
            gh_body *body;
        } every;
    } u;
    gh_with **with;
    size_t nwith;
};

struct gh_body {
    gh_loc loc;
    gh_expr **items;
    size_t n;
};

/* A rule head. The name/key/value fields follow OPA's Head:
 *  - ref: the rule's path below the package (`a.b[c].d` -> [var a, "b", var c, "d"]);
 *  - name: ref[0]'s name for a plain `p`, a function `f(x)`, or the v0 `p[k]` forms;
 *  - args: function parameters (nargs > 0 means a function);
 *  - key: `p contains k` (multi-value: value NULL), or `p[k]` forms (OPA's compat Key);
 *  - value: NULL only for multi-value rules; `true` (generated_value) when not written. */
typedef struct gh_head {
    gh_loc loc;
    gh_term **ref;
    size_t nref;
    const char *name;
    gh_term **args;
    size_t nargs;
    gh_term *key;
    gh_term *value;
    bool assign;          /* written with := */
    bool generated_value; /* value is the implied `true` */
    bool has_if;          /* `if` keyword written */
    bool has_contains;    /* `contains` keyword written */
    gh_term *written;     /* the head term as written (var, ref or call), for messages */
    bool invalid;         /* not a usable head (an error was reported) */
} gh_head;

struct gh_rule {
    gh_loc loc;
    bool is_default;
    bool generated_body; /* body is the implied `true` (no `if`/block written) */
    gh_head *head;
    gh_body *body;
    gh_rule *else_rule; /* next link of an else chain, with its own head (value) and body */
};

typedef struct gh_package {
    gh_loc loc;
    gh_term *path; /* ref: [var data, "a", "b"] */
} gh_package;

typedef struct gh_import {
    gh_loc loc;
    gh_term *path;     /* ref: [var data|input|future|rego, strings...] (or a var) */
    const char *alias; /* NULL when none */
} gh_import;

typedef struct gh_comment {
    gh_loc loc;
    gh_str text; /* after the '#', without a trailing \r */
} gh_comment;

/* A parsed YAML value from a METADATA block (the subset OPA's annotations use). */
typedef enum gh_yaml_kind { GH_YAML_NULL, GH_YAML_SCALAR, GH_YAML_LIST, GH_YAML_MAP } gh_yaml_kind;
typedef struct gh_yaml gh_yaml;
struct gh_yaml {
    gh_yaml_kind kind;
    bool quoted;      /* scalar was quoted: always a string, never a number/bool/null */
    gh_str scalar;    /* GH_YAML_SCALAR */
    gh_str *keys;     /* GH_YAML_MAP */
    gh_yaml **items;  /* LIST items or MAP values */
    size_t n;
};

typedef enum gh_ann_scope {
    GH_SCOPE_NONE, /* not written: the compiler applies OPA's default (rule or package) */
    GH_SCOPE_RULE,
    GH_SCOPE_DOCUMENT,
    GH_SCOPE_PACKAGE,
    GH_SCOPE_SUBPACKAGES,
} gh_ann_scope;

/* A `# METADATA` block. The well-known fields are pulled out; the whole block is kept as
 * a YAML tree (root) so rego.metadata.* can render any field. */
typedef struct gh_annotations {
    gh_loc loc;          /* of the "# METADATA" comment */
    gh_ann_scope scope;
    const char *scope_text;
    gh_str title, description;
    bool has_title, has_description;
    bool entrypoint;
    gh_yaml *root;       /* the whole block as a map */
    gh_yaml *custom;     /* root's "custom" entry or NULL */
    gh_yaml *schemas;    /* root's "schemas" entry or NULL */
    gh_yaml *authors, *organizations, *related_resources;
    /* What the block documents: the next package or rule statement after it (or NULL). */
    gh_package *target_package;
    gh_rule *target_rule;
} gh_annotations;

typedef enum gh_rego_version { GH_REGO_V0 = 0, GH_REGO_V0_COMPAT_V1 = 1, GH_REGO_V1 = 2 } gh_rego_version;

typedef struct gh_module {
    const char *filename;
    gh_package *package;
    gh_import **imports;
    size_t nimports;
    gh_rule **rules;
    size_t nrules;
    gh_annotations **annotations;
    size_t nannotations;
    gh_comment *comments;
    size_t ncomments;
    gh_rego_version rego_version;
} gh_module;

/* ---- helpers shared by the parser, the printers and the compiler ---- */

/* A growable pointer array in an arena; amortised O(1) append (grows in place when it is
 * the arena's most recent allocation). */
typedef struct gh_vec {
    void **items;
    uint32_t n, cap;
} gh_vec;
void gh_vec_push(gh_arena *a, gh_vec *v, void *item);

gh_term *gh_term_new(gh_arena *a, gh_term_kind kind, gh_loc loc);
gh_term *gh_term_str(gh_arena *a, gh_term_kind kind, gh_loc loc, const char *s, size_t len);
gh_term *gh_term_bool(gh_arena *a, gh_loc loc, bool b);
gh_term *gh_term_list(gh_arena *a, gh_term_kind kind, gh_loc loc, gh_vec *items);
/* The operator ref OPA uses for a builtin name: "plus" -> ref[var plus];
 * "internal.member_2" -> ref[var internal, "member_2"]. */
gh_term *gh_term_op(gh_arena *a, gh_loc loc, const char *name);

/* Name of a term kind as OPA's ValueName/TypeName spell it in messages ("var", "ref",
 * "number", "array", "object", "set", "call", "arraycomprehension", ...). */
const char *gh_term_kind_name(gh_term_kind k);
/* True when t is var / string named `name`. */
bool gh_term_is_var(const gh_term *t, const char *name);
/* Appends Rego source text for t (e.g. "data.a.b[x]", "f(1, 2)") to out; used in messages. */
void gh_term_to_rego(const gh_term *t, gh_buf *out);
/* Is the term free of vars (outside comprehensions), like OPA's IsGround. */
bool gh_term_is_ground(const gh_term *t);

/* AST to JSON shaped like `opa parse --format json` (no locations). */
void gh_ast_module_to_json(const gh_module *m, gh_buf *out, bool pretty);
void gh_ast_term_to_json(const gh_term *t, gh_buf *out);
void gh_ast_body_to_json(const gh_body *b, gh_buf *out);
/* A readable indented tree like `opa parse`'s default output. */
void gh_ast_module_print(const gh_module *m, gh_buf *out);

#endif
