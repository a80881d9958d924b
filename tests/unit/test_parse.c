/* Parser round trips: every construct of the Rego v1 language list parses, a handful give
 * exact JSON (shaped like `opa parse --format json`), and nodes carry the right locations.
 * Also queries, terms, string and number literals, v0 mode and the tree printer. */
#include "parse.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gh_arena arena;

static gh_module *parse(const char *src, bool v0)
{
    gh_diags d;
    gh_module *m = NULL;
    gh_parse_opts o = {.v0_compatible = v0};
    gh_diags_init(&d);
    int rc = gh_parse_module(&arena, "test.rego", src, strlen(src), &o, &m, &d);
    if (rc != 0) {
        gh_buf b;
        gh_buf_init(&b, 0);
        gh_diags_format(&d, &b);
        test_fail(__FILE__, __LINE__, "parse failed for:\n%s\n%s", src, b.data);
        gh_buf_free(&b);
    }
    gh_diags_free(&d);
    return m;
}

/* Compact JSON of a module, or "" on a parse error. */
static char *json(const char *src)
{
    gh_module *m = parse(src, false);
    gh_buf b;
    gh_buf_init(&b, 0);
    if (m) {
        gh_ast_module_to_json(m, &b, false);
        gh_buf pretty;
        gh_buf_init(&pretty, 0);
        gh_ast_module_to_json(m, &pretty, true); /* must render too */
        gh_ast_module_print(m, &pretty);
        CHECK(!pretty.failed && pretty.len > 0);
        gh_buf_free(&pretty);
    }
    return gh_buf_take(&b, NULL);
}

#define PKG "{\"package\":{\"path\":[{\"type\":\"var\",\"value\":\"data\"},{\"type\":\"string\",\"value\":\"t\"}]},"
#define V(x) "{\"type\":\"var\",\"value\":\"" x "\"}"
#define S(x) "{\"type\":\"string\",\"value\":\"" x "\"}"
#define N(x) "{\"type\":\"number\",\"value\":" x "}"
#define OP(x) "{\"type\":\"ref\",\"value\":[" V(x) "]}"
#define TRUEB "[{\"index\":0,\"terms\":{\"type\":\"boolean\",\"value\":true}}]"

static void check_json(const char *src, const char *want)
{
    char *got = json(src);
    CHECK_STR(got, want);
    free(got);
}

static void test_exact_json(void)
{
    check_json("package t\np := 1\n",
               PKG "\"rules\":[{\"body\":" TRUEB ",\"head\":{\"name\":\"p\",\"ref\":[" V("p") "],\"value\":" N("1")
                   ",\"assign\":true}}]}");
    check_json("package t\nq contains x if x := 2\n",
               PKG "\"rules\":[{\"body\":[{\"index\":0,\"terms\":[" OP("assign") "," V("x") "," N("2")
                   "]}],\"head\":{\"name\":\"q\",\"ref\":[" V("q") "],\"key\":" V("x") "}}]}");
    check_json("package t\na.b[c].d := -1.5e3 if c := \"k\"\n",
               PKG "\"rules\":[{\"body\":[{\"index\":0,\"terms\":[" OP("assign") "," V("c") "," S("k")
                   "]}],\"head\":{\"ref\":[" V("a") "," S("b") "," V("c") "," S("d") "],\"value\":" N("-1.5e3")
                   ",\"assign\":true}}]}");
    check_json("package t\nimport rego.v1\nimport data.x as y\ndefault p = false\n",
               PKG "\"imports\":[{\"path\":{\"type\":\"ref\",\"value\":[" V("rego") "," S("v1")
                   "]}},{\"path\":{\"type\":\"ref\",\"value\":[" V("data") "," S("x") "]},\"alias\":\"y\"}],"
                   "\"rules\":[{\"body\":" TRUEB ",\"default\":true,\"head\":{\"name\":\"p\",\"ref\":[" V("p")
                   "],\"value\":{\"type\":\"boolean\",\"value\":false}}}]}");
    /* precedence: 1 + 2 * 3 == x | y  ->  equal(plus(1, mul(2, 3)), or(x, y)) */
    check_json("package t\np if 1 + 2 * 3 == x | y\n",
               PKG "\"rules\":[{\"body\":[{\"index\":0,\"terms\":[" OP("equal")
                   ",{\"type\":\"call\",\"value\":[" OP("plus") "," N("1") ",{\"type\":\"call\",\"value\":[" OP("mul")
                   "," N("2") "," N("3") "]}]},{\"type\":\"call\",\"value\":[" OP("or") "," V("x") "," V("y")
                   "]}]}],\"head\":{\"name\":\"p\",\"ref\":[" V("p") "],\"value\":{\"type\":\"boolean\",\"value\":true}}}]}");
    /* `in` binds loosest; `k, v in xs` is member_3; wildcards are renamed */
    check_json("package t\np if k, _ in x\n",
               PKG "\"rules\":[{\"body\":[{\"index\":0,\"terms\":[{\"type\":\"ref\",\"value\":[" V("internal") ","
                   S("member_3") "]}," V("k") "," V("$0") "," V("x") "]}],\"head\":{\"name\":\"p\",\"ref\":[" V("p")
                   "],\"value\":{\"type\":\"boolean\",\"value\":true}}}]}");
}

/* Every bullet of the language list must parse. */
static void test_constructs(void)
{
    static const char *const mods[] = {
        "package a.b.c\nimport data.x\nimport input.y as z\nimport future.keywords.in\nimport rego.v1\n",
        "package t\nimport future.keywords\nimport future.keywords.if\n",
        "package t\ndefault allow := false\ndefault f(_) := 1\n",
        "package t\np := 1\nq = 2\nr := {\"a\": [1, 2.5, true, null]}\n",
        "package t\ns contains x if { some x in [1, 2] }\ns contains 3\n",
        "package t\np[k] := v if { k := \"a\"; v := 1 }\na.b[c].d := v if { c := 1; v := 2 }\n",
        "package t\nf(x) := 1 if x > 0\nf(x) := 2 if x < 0\nf(0) := 0\n",
        "package t\nf(x) := 1 if {\n\tx > 1\n} else := 2 if {\n\tx > 0\n} else := 3\n",
        "package t\np if true\nq if {\n\ttrue\n}\n",
        "package t\np if {\n\tx := 1\n\ty := 2; z := 3\n\tx + y\n\t\t== z\n}\n",
        "package t\np if {\n\tsome x in [1]\n\tsome k, v in {\"a\": 1}\n\tsome y\n\ty = 1\n}\n",
        "package t\np if {\n\tevery k, v in {\"a\": 1} { v > 0 }\n\tevery x in [] {\n\t\tfalse\n\t}\n}\n",
        "package t\np if {\n\tnot input.x\n\tnot f(1)\n}\n",
        "package t\np if {\n\tinput.x with input as {\"x\": 1} with data.y as 2\n}\n",
        "package t\np := [x | x := [1][_]]\nq := {x | x := 1}\nr := {k: v | k := \"a\"; v := 1}\n",
        "package t\np := set()\nq := {1, 2, 3}\nr := {}\n",
        "package t\np := input.a.b[0][\"c\"].d(1)\nq := f(1).x[y]\nr := [1][0]\ns := {1}[1]\n",
        "package t\np := `raw\\nstring\nacross lines`\n",
        "package t\np := \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"\n",
        "package t\np := 123456789012345678901234567890.123e-45\nq := -0.5\nr := 0e5\n",
        "package t\np := (1 | 2) & 3\nq := 1 - 2 + 3 * 4 / 5 % 6\nr := x != y\n",
        "package t\np := -1\nq := [-1, - 2]\nr := 1 - -1\n",
        "package t\np if x := 1\nq if x = 1\nr if [a, b] = [1, 2]\n",
        "package t\np if 1 in [1]\nq if \"a\", 1 in {\"a\": 1}\nr := 1 in [1] in {true}\n",
        "package t\np := $\"x is {input.x}, {1 + 2} and {\"s\"} \\{literal}\"\n",
        "package t\np := $`raw {input.x}\nline {[y | y := 1]}`\nq := $\"{$\"{1}\"}\"\n",
        "# comment\npackage t # trailing\n\n# METADATA\n# title: T\n# description: D\np := 1 # x\n",
        "package t\nimport.foo := 1\nfoo.import := 2\np if { import.foo == 1; input.if; x.not.else }\n",
        "package t\nr := contains(\"abc\", \"b\")\nq := x if { x := object.get({}, \"a\", 1) }\n",
        "package t\np if {\n\tx := [\n\t\t1,\n\t\t2,\n\t]\n\ty := {\n\t\t\"a\": 1,\n\t}\n\tf(\n\t\t1,\n\t)\n}\n",
        "package t\np := [1, 2\n, 3]\nq if input.x ==\n\t1\n",
        "package t\np.q.r contains 1 if true\np.s[x] := 1 if x := \"a\"\n",
        "package t\nf(x) if {x: 1 | x := 1}\n",
    };
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        char *j = json(mods[i]);
        CHECK(strlen(j) > 0);
        free(j);
    }
}

static gh_rule *rule_named(gh_module *m, const char *name)
{
    for (size_t i = 0; i < m->nrules; i++)
        if (m->rules[i]->head->ref[0]->kind == GH_TERM_VAR && strcmp(m->rules[i]->head->ref[0]->u.str.s, name) == 0)
            return m->rules[i];
    return NULL;
}

static void test_shapes(void)
{
    gh_module *m = parse("package t\n"
                         "s contains x if x := 1\n"
                         "o[k] := 1 if k := 2\n"
                         "f(a, b) := a\n"
                         "p := 1 if false else := 2 if true else := 3\n"
                         "g.h.i := 4\n",
                         false);
    if (!m) return;
    CHECK_INT(m->nrules, 5);
    gh_rule *s = rule_named(m, "s"), *o = rule_named(m, "o"), *f = rule_named(m, "f"), *p = rule_named(m, "p");
    CHECK(s && s->head->key && !s->head->value && s->head->has_contains);
    CHECK(o && o->head->key && o->head->value && o->head->nref == 2);
    CHECK(f && f->head->nargs == 2 && f->generated_body);
    CHECK(p && p->else_rule && p->else_rule->else_rule && !p->else_rule->else_rule->else_rule);
    if (p && p->else_rule && p->else_rule->else_rule) {
        CHECK_STR(p->else_rule->head->value->u.str.s, "2");
        CHECK(p->else_rule->else_rule->generated_body);
        CHECK_INT(p->else_rule->loc.line, 5);
        CHECK_INT(p->else_rule->loc.col, 17);
    }
    CHECK(m->rego_version == GH_REGO_V1);
}

static void test_locations(void)
{
    gh_module *m = parse("package t\n\n# hi\np if {\n\tx := input.a[1]\n\t\"é\" != y\n}\n", false);
    if (!m) return;
    CHECK_INT(m->package->loc.line, 1);
    CHECK_INT(m->package->loc.col, 1);
    gh_rule *r = m->rules[0];
    CHECK_INT(r->loc.line, 4);
    CHECK_INT(r->loc.col, 1);
    CHECK_INT(r->body->n, 2);
    gh_expr *e = r->body->items[0];
    CHECK_INT(e->loc.line, 5);
    CHECK_INT(e->loc.col, 2);
    CHECK_INT(e->kind, GH_EXPR_CALL);
    gh_term *ref = e->u.call.terms[2];
    CHECK_INT(ref->kind, GH_TERM_REF);
    CHECK_INT(ref->loc.col, 7);
    CHECK_INT(ref->u.list.items[2]->loc.col, 15); /* the 1 */
    CHECK_INT(e->u.call.terms[0]->loc.col, 4);   /* the := operator */
    gh_expr *e2 = r->body->items[1];
    CHECK_INT(e2->u.call.terms[2]->loc.col, 10); /* byte columns: "é" is two bytes */
    CHECK_INT(e2->index, 1);
    CHECK_INT(m->ncomments, 1);
    CHECK_INT(m->comments[0].loc.line, 3);
    CHECK_STR(m->comments[0].text.s, " hi");
    CHECK_STR(m->filename, "test.rego");
    CHECK_STR(e->loc.file, "test.rego");
}

static void test_strings(void)
{
    gh_module *m = parse("package t\np := \"a\\u00e9\\ud83d\\ude00\\n\\\"\"\nq := `a\\nb`\nr := \"\\udc00\"\n", false);
    if (!m) return;
    gh_term *v = rule_named(m, "p")->head->value;
    CHECK_INT(v->kind, GH_TERM_STRING);
    CHECK_STR(v->u.str.s, "a\xc3\xa9\xf0\x9f\x98\x80\n\"");
    CHECK_INT(v->u.str.len, 9);
    CHECK_STR(rule_named(m, "q")->head->value->u.str.s, "a\\nb");
    CHECK_STR(rule_named(m, "r")->head->value->u.str.s, "\xef\xbf\xbd"); /* lone surrogate: U+FFFD */
    m = parse("package t\np := $\"a{x}\\{b}{1}\"\n", false);
    if (!m) return;
    gh_term *t = m->rules[0]->head->value;
    CHECK_INT(t->kind, GH_TERM_TEMPLATE);
    CHECK_INT(t->u.tpl.n, 4); /* "a", x, "{b}", 1 */
    CHECK(t->u.tpl.parts[1].expr != NULL);
    CHECK_STR(t->u.tpl.parts[2].str->u.str.s, "{b}");
    CHECK_STR(t->u.tpl.parts[3].str->u.str.s, "1");
}

static void test_query_and_term(void)
{
    gh_diags d;
    gh_body *b;
    gh_term *t;
    gh_diags_init(&d);
    const char *q = "x := 1; y := x + 1\nz = [x, y]";
    CHECK_INT(gh_parse_query(&arena, "q", q, strlen(q), NULL, &b, &d), 0);
    CHECK(b && b->n == 3);
    const char *ts = "{1, {\"a\": set()}}";
    CHECK_INT(gh_parse_term(&arena, "t", ts, strlen(ts), &t, &d), 0);
    if (t) {
        gh_buf o;
        gh_buf_init(&o, 0);
        gh_ast_term_to_json(t, &o);
        CHECK_STR(o.data, "{\"type\":\"set\",\"value\":[" N("1") ",{\"type\":\"object\",\"value\":[[" S("a")
                          ",{\"type\":\"set\",\"value\":[]}]]}]}");
        gh_buf_free(&o);
    }
    CHECK_INT(d.n, 0);
    CHECK_INT(gh_parse_term(&arena, "t", "[1,", 3, &t, &d), GH_EPARSE);
    CHECK_INT(gh_parse_query(&arena, "q", "x := ", 5, NULL, &b, &d), GH_EPARSE);
    CHECK_INT(d.n, 2);
    gh_diags_free(&d);
}

static void test_v0(void)
{
    gh_module *m = parse("package t\np[x] { x := 1 }\nq { true }\nr = 1 { true }\ncontains := 1\n", true);
    if (m) {
        CHECK_INT(m->rego_version, GH_REGO_V0);
        gh_rule *p = rule_named(m, "p");
        CHECK(p && p->head->key && !p->head->value && p->head->nref == 1);
    }
    m = parse("package t\nimport future.keywords.in\np { 1 in [1] }\n", true);
    CHECK(m != NULL);
    m = parse("package t\nimport rego.v1\np contains 1 if true\n", true);
    if (m) CHECK_INT(m->rego_version, GH_REGO_V0_COMPAT_V1);
    /* v1 rejects the v0 forms */
    gh_diags d;
    gh_diags_init(&d);
    const char *src = "package t\np[x] { x := 1 }\n";
    CHECK_INT(gh_parse_module(&arena, "test.rego", src, strlen(src), NULL, &m, &d), GH_EPARSE);
    CHECK_INT(d.n, 2);
    gh_diags_free(&d);
}

static void test_seed_policy(void)
{
    size_t len;
    char *src = test_read_file("../../shared/seed-policies/data-master/policy.rego", &len);
    if (!src) return; /* not every checkout has the shared folder */
    gh_diags d;
    gh_module *m;
    gh_diags_init(&d);
    CHECK_INT(gh_parse_module(&arena, "policy.rego", src, len, NULL, &m, &d), 0);
    CHECK(m && m->nrules > 30);
    gh_diags_free(&d);
    free(src);
}

static bool title_is(const gh_annotations *a, const char *t)
{
    return a->has_title && a->title.len == strlen(t) && memcmp(a->title.s, t, a->title.len) == 0;
}

/* The first line of the diagnostics of a module that must not parse ("" if it parses). */
static const char *first_error(const char *src)
{
    static char out[512];
    gh_diags d;
    gh_module *m = NULL;
    gh_diags_init(&d);
    int rc = gh_parse_module(&arena, "test.rego", src, strlen(src), NULL, &m, &d);
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_diags_format(&d, &b);
    snprintf(out, sizeof out, "%s", rc == 0 ? "" : b.data ? b.data : "?");
    out[strcspn(out, "\n")] = 0;
    gh_buf_free(&b);
    gh_diags_free(&d);
    return out;
}

/* METADATA blocks: a block ends at a non-comment line, a comment off column 1, or the next
 * METADATA line (two blocks back to back, as OPA's format test test_metadata.rego) */
static void test_metadata_blocks(void)
{
    gh_module *m = parse("package test\n\n# METADATA\n# title: My rule\n# METADATA\n# title: My rule 2\n"
                         "p if input = \"str\"\n", false);
    if (m) {
        CHECK_INT(m->nannotations, 2);
        CHECK(title_is(m->annotations[0], "My rule") && title_is(m->annotations[1], "My rule 2"));
        CHECK_INT(m->annotations[0]->loc.line, 3);
        CHECK_INT(m->annotations[1]->loc.line, 5);
        for (size_t i = 0; i < m->nannotations; i++)
            CHECK(m->annotations[i]->target_rule && m->annotations[i]->scope == GH_SCOPE_RULE);
    }
    /* separated by a blank line: the same two blocks */
    m = parse("package test\n\n# METADATA\n# title: A\n\n# METADATA\n# title: B\np := 1\n", false);
    if (m) {
        CHECK_INT(m->nannotations, 2);
        CHECK(title_is(m->annotations[0], "A") && title_is(m->annotations[1], "B"));
        CHECK(m->annotations[0]->target_rule && m->annotations[0]->target_rule == m->annotations[1]->target_rule);
    }
    /* a plain comment after a blank line is no part of the block */
    m = parse("package test\n\n# METADATA\n# title: A\n\n# just a comment: here\np := 1\n", false);
    if (m) CHECK(m->nannotations == 1 && title_is(m->annotations[0], "A"));
    /* both blocks document the package; each keeps its own scope, and a rule scope there is
     * the second block's error */
    m = parse("# METADATA\n# scope: package\n# title: P\n# METADATA\n# scope: subpackages\n# title: S\n"
              "package test\n\np := 1\n", false);
    if (m) {
        CHECK_INT(m->nannotations, 2);
        CHECK(m->nannotations == 2 && m->annotations[0]->target_package && m->annotations[1]->target_package &&
              m->annotations[0]->scope == GH_SCOPE_PACKAGE && m->annotations[1]->scope == GH_SCOPE_SUBPACKAGES);
    }
    CHECK_STR(first_error("# METADATA\n# scope: package\n# METADATA\n# scope: document\npackage test\n\np := 1\n"),
              "test.rego:3:1: rego_parse_error: annotation scope 'document' must be applied to rule (have package)");
    /* three in a row before a rule, defaults and explicit scopes */
    m = parse("package test\n# METADATA\n# title: 1\n# METADATA\n# scope: document\n# METADATA\n"
              "# title: 3\np := 1\n", false);
    if (m) {
        CHECK_INT(m->nannotations, 3);
        CHECK(m->nannotations == 3 && m->annotations[1]->scope == GH_SCOPE_DOCUMENT &&
              m->annotations[2]->scope == GH_SCOPE_RULE && title_is(m->annotations[2], "3"));
    }
    /* an empty block right before another is still OPA's error, at its own line */
    CHECK_STR(first_error("package test\n# METADATA\n# METADATA\n# title: B\np := 1\n"),
              "test.rego:2:1: rego_parse_error: expected METADATA block, found whitespace");
    /* a METADATA line inside a YAML value still ends the block */
    CHECK_STR(first_error("package test\n# METADATA\n# description: >\n#   text\n# METADATA\np := 1\n"),
              "test.rego:5:1: rego_parse_error: expected METADATA block, found whitespace");
}

int main(void)
{
    gh_arena_init(&arena, 0);
    test_exact_json();
    test_constructs();
    test_shapes();
    test_locations();
    test_strings();
    test_query_and_term();
    test_v0();
    test_seed_policy();
    test_metadata_blocks();
    gh_arena_free(&arena);
    return tests_done("test_parse");
}
