/* The -d loader (sidecar/loader.c, included as h2o's unit tests do): modules vs data files,
 * data placed by directory, relaxed JSON, YAML, merging and its conflicts (load-N.M ids). */
#include "../../sidecar/cli_files.c"
#include "../../sidecar/loader.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static char root[] = "/tmp/gh-loader-XXXXXX";

static void put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; *p; p++) /* parent directories */
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0700);
            *p = '/';
        }
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static char *json_of(const gh_value *v)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_json_write(&b, v, 0);
    return gh_buf_take(&b, NULL);
}

static void test_tree(void)
{
    put("policy.rego", "package p\n");
    put("sub/other.rego", "package q\n");
    put("top.json", "{\"t\": 1, // a comment\n}");
    put("a/b/data.json", "/* block */ {\"users\": [\"x\",],}");
    put("a/c/data.yaml", "roles:\n  - admin\n");
    put("a/b/more.yml", "extra: true\n");
    put("notes.txt", "not data");
    put(".hidden/data.json", "{\"h\": 1}");
    gh_arena a;
    gh_arena_init(&a, 0);
    loader l;
    loader_init(&l, &a);
    gh_buf errs;
    gh_buf_init(&errs, 0);
    char *paths[] = {root};
    /* load-1.1 .rego files are modules (sorted), data files are merged by directory */
    CHECK_INT(loader_load(&l, paths, 1, &errs), 0);
    CHECK_INT(l.nmodules, 2);
    CHECK(l.nmodules == 2 && strstr(l.modules[0].name, "/policy.rego") != NULL);
    CHECK(l.nmodules == 2 && strstr(l.modules[1].name, "/sub/other.rego") != NULL);
    char *j = json_of(l.data);
    CHECK_STR(
        j,
        "{\"a\":{\"b\":{\"extra\":true,\"users\":[\"x\"]},\"c\":{\"roles\":[\"admin\"]}},\"t\":1}");
    free(j);
    CHECK_STR(errs.data ? errs.data : "", "");
    loader_free(&l);

    /* load-1.2 a file named directly lands at the root, whatever its directory */
    char file[512];
    snprintf(file, sizeof file, "%s/a/b/data.json", root);
    char *fpaths[] = {file};
    loader_init(&l, &a);
    CHECK_INT(loader_load(&l, fpaths, 1, &errs), 0);
    j = json_of(l.data);
    CHECK_STR(j, "{\"users\":[\"x\"]}");
    free(j);
    loader_free(&l);

    /* load-1.3 two files defining the same leaf conflict */
    put("a/b/clash.json", "{\"users\": 1}");
    loader_init(&l, &a);
    CHECK_INT(loader_load(&l, paths, 1, &errs), -1);
    CHECK(errs.data &&
          strstr(errs.data, "merge error: a.b.users is defined by more than one") != NULL);
    loader_free(&l);
    gh_buf_clear(&errs);
    snprintf(file, sizeof file, "%s/a/b/clash.json", root);
    remove(file);

    /* load-1.4 malformed data names the file and the place */
    snprintf(file, sizeof file, "%s/bad.json", root);
    put("bad.json", "{\"a\": }");
    loader_init(&l, &a);
    CHECK_INT(loader_load(&l, fpaths, 0, &errs), 0);
    char *bpaths[] = {file};
    CHECK_INT(loader_load(&l, bpaths, 1, &errs), -1);
    CHECK(errs.data && strstr(errs.data, "bad.json:1:7: json:") != NULL);
    loader_free(&l);
    gh_buf_clear(&errs);

    /* load-1.6 "a.b:path" puts the data under data.a.b, directories below that */
    char pref[600];
    snprintf(pref, sizeof pref, "x.y:%s/a", root);
    char *ppaths[] = {pref};
    loader_init(&l, &a);
    CHECK_INT(loader_load(&l, ppaths, 1, &errs), 0);
    j = json_of(l.data);
    CHECK_STR(
        j,
        "{\"x\":{\"y\":{\"b\":{\"extra\":true,\"users\":[\"x\"]},\"c\":{\"roles\":[\"admin\"]}}}}");
    free(j);
    loader_free(&l);

    /* load-1.7 a file named directly with another extension: Rego, JSON or YAML */
    put("extra/p.txt", "package z\n\nq := 1\n");
    put("extra/d.txt", "{\"k\": 1}");
    put("extra/y.txt", "k2: 2\n");
    char f1[512], f2[512], f3[512];
    snprintf(f1, sizeof f1, "%s/extra/p.txt", root);
    snprintf(f2, sizeof f2, "%s/extra/d.txt", root);
    snprintf(f3, sizeof f3, "%s/extra/y.txt", root);
    char *xpaths[] = {f1, f2, f3};
    loader_init(&l, &a);
    CHECK_INT(loader_load(&l, xpaths, 3, &errs), 0);
    CHECK_INT(l.nmodules, 1);
    j = json_of(l.data);
    CHECK_STR(j, "{\"k\":1,\"k2\":2}");
    free(j);
    loader_free(&l);

    /* load-1.8 data at the root must be an object */
    put("extra/list.json", "[1]");
    snprintf(f1, sizeof f1, "%s/extra/list.json", root);
    char *lpaths[] = {f1};
    loader_init(&l, &a);
    CHECK_INT(loader_load(&l, lpaths, 1, &errs), -1);
    CHECK(errs.data && strstr(errs.data, "unsupported document type") != NULL);
    loader_free(&l);
    gh_buf_clear(&errs);

    /* load-1.5 a missing path */
    char *missing[] = {"/nonexistent/gh-path"};
    loader_init(&l, &a);
    CHECK_INT(loader_load(&l, missing, 1, &errs), -1);
    CHECK(errs.data && strstr(errs.data, "/nonexistent/gh-path: No such file") != NULL);
    loader_free(&l);
    gh_buf_free(&errs);
    gh_arena_free(&a);
}

static int parse(gh_arena *a, const char *name, const char *text, const gh_value **v, gh_buf *errs)
{
    return loader_parse_value(a, name, text, strlen(text), v, errs);
}

static void test_values(void)
{
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_buf errs;
    gh_buf_init(&errs, 0);
    const gh_value *v;
    /* load-2.1 input files: relaxed JSON or YAML by extension */
    CHECK_INT(parse(&a, "in.json", "[1, 2,] // x", &v, &errs), 0);
    CHECK_INT(gh_value_len(v), 2);
    CHECK_INT(loader_parse_value(&a, "in.yaml", "a: [1]", 6, &v, &errs), 0);
    CHECK(gh_value_kind(v) == GH_KIND_OBJECT);
    CHECK_INT(loader_parse_value(&a, "in.yml", "a: [1", 5, &v, &errs), -1);
    CHECK(errs.data && strncmp(errs.data, "in.yml:2:1: yaml: ", 18) == 0);
    /* load-2.2 merging: objects merge deeply, anything else conflicts */
    const gh_value *x, *y, *m;
    gh_buf at;
    gh_buf_init(&at, 0);
    parse(&a, "x.json", "{\"a\": {\"b\": 1}, \"c\": 2}", &x, &errs);
    parse(&a, "y.json", "{\"a\": {\"d\": 3}, \"e\": 4}", &y, &errs);
    CHECK_INT(loader_merge(&a, x, y, &m, &at), 0);
    char *j = json_of(m);
    CHECK_STR(j, "{\"a\":{\"b\":1,\"d\":3},\"c\":2,\"e\":4}");
    free(j);
    parse(&a, "y.json", "{\"a\": {\"b\": 2}}", &y, &errs);
    CHECK_INT(loader_merge(&a, x, y, &m, &at), GH_EINVAL);
    CHECK_STR(at.data, "a.b");
    gh_buf_free(&at);
    gh_buf_free(&errs);
    gh_arena_free(&a);
}

int main(void)
{
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_tree();
    test_values();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
    return tests_done("test_loader");
}
