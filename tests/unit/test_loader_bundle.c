/* The loader's bundle API (sidecar/loader.c, included as h2o's unit tests do), as commands
 * such as `gatehouse inspect` read it: loader.bundles with revision, roots, rego_version,
 * metadata and the manifest; data placed and merged; --ignore; the version the modules share;
 * errors in errs (lbundle-N.M ids). The CLI side is tests/cli/test_bundle.sh. */
#include "../../sidecar/cli_files.c"
#include "../../sidecar/loader.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static char root[] = "/tmp/gh-lbundle-XXXXXX";

/* Writes root/rel (parent directories made). */
static void put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; *p; p++)
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

static char *at(const char *rel)
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", root, rel);
    return p;
}

static char *json_of(const gh_value *v)
{
    gh_buf b;
    gh_buf_init(&b, 0);
    gh_json_write(&b, v, 0);
    return gh_buf_take(&b, NULL);
}

static void test_manifest(void)
{
    put("b1/.manifest", "{\"revision\": \"r-7\", \"roots\": [\"/shop/\", \"lib\"],\n"
                        " \"rego_version\": 1, \"metadata\": {\"team\": \"pay\"}, \"x\": 1}");
    put("b1/shop/data.json", "{\"limit\": 5}");
    put("b1/shop/eu/data.yml", "open: true\n");
    put("b1/shop/p.rego", "package shop.p\n\nallow if data.shop.limit > 1\n");
    put("b1/shop/skip/data.json", "{\"s\": 1}");
    put("b1/lib/l.rego", "package lib\n\nf(x) := x\n");
    put("b1/lib/other.json", "{\"not\": \"bundle data\"}");
    gh_arena a;
    gh_arena_init(&a, 0);
    loader l;
    loader_init(&l, &a);
    char *skip[] = {"sk*"};
    l.ignore = skip;
    l.nignore = 1;
    gh_buf errs;
    gh_buf_init(&errs, 0);
    char *paths[] = {at("b1")};
    /* lbundle-1.1 the manifest's fields, roots trimmed of '/' */
    CHECK_INT(loader_load_bundles(&l, paths, 1, &errs), 0);
    CHECK_INT(l.nbundles, 1);
    const loader_bundle *b = &l.bundles[0];
    CHECK_STR(b->path, at("b1"));
    CHECK_STR(b->revision, "r-7");
    CHECK_INT(b->nroots, 2);
    CHECK_STR(b->roots[0], "shop");
    CHECK_STR(b->roots[1], "lib");
    CHECK_INT(b->rego_version, 1);
    char *j = json_of(b->metadata);
    CHECK_STR(j, "{\"team\":\"pay\"}");
    free(j);
    CHECK(b->manifest && gh_object_get_str(b->manifest, "x", 1) != NULL);
    /* lbundle-1.2 modules in sorted order; data placed by directory, other files skipped,
     * --ignore applied */
    CHECK_INT(l.nmodules, 2);
    CHECK(l.nmodules == 2 && strstr(l.modules[0].name, "b1/lib/l.rego") != NULL);
    j = json_of(l.data);
    CHECK_STR(j, "{\"shop\":{\"eu\":{\"open\":true},\"limit\":5}}");
    free(j);
    CHECK(!l.v0_compatible);
    CHECK(errs.len == 0);
    loader_free(&l);
    gh_buf_free(&errs);
    gh_arena_free(&a);
}

static void test_defaults_and_versions(void)
{
    put("b2/x/p.rego", "package x\n\np[y] { y := 1 }\n");
    put("b3/.manifest", "{\"rego_version\": 0}");
    put("b3/x/p.rego", "package x\n\np[y] { y := 1 }\n");
    put("plain/q.rego", "package q\n\nq := 1\n");
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_buf errs;
    gh_buf_init(&errs, 0);
    loader l;
    /* lbundle-2.1 no .manifest: revision "", roots [""], no version, no metadata */
    loader_init(&l, &a);
    char *b2[] = {at("b2")};
    CHECK_INT(loader_load_bundles(&l, b2, 1, &errs), 0);
    CHECK(l.nbundles == 1 && l.bundles[0].manifest == NULL && l.bundles[0].metadata == NULL);
    CHECK_STR(l.bundles[0].revision, "");
    CHECK(l.nbundles == 1 && l.bundles[0].nroots == 1 && l.bundles[0].roots[0][0] == '\0');
    CHECK_INT(l.bundles[0].rego_version, -1);
    loader_free(&l);
    /* lbundle-2.2 rego_version 0 makes the loaded modules v0 */
    loader_init(&l, &a);
    char *b3[] = {at("b3")};
    CHECK_INT(loader_load_bundles(&l, b3, 1, &errs), 0);
    CHECK(l.v0_compatible);
    loader_free(&l);
    /* lbundle-2.3 ... and a v1 module from -d beside them is refused */
    loader_init(&l, &a);
    char *plain[] = {at("plain")};
    CHECK_INT(loader_load(&l, plain, 1, &errs), 0);
    CHECK_INT(loader_load_bundles(&l, b3, 1, &errs), -1);
    CHECK(errs.data && strstr(errs.data, "a Rego v0 module, but ") != NULL);
    CHECK_INT(l.nmodules, 1);
    loader_free(&l);
    /* lbundle-2.4 --v0-compatible is the default of modules the manifest does not version */
    gh_buf_clear(&errs);
    loader_init(&l, &a);
    l.v0_compatible = true;
    CHECK_INT(loader_load_bundles(&l, b2, 1, &errs), 0);
    CHECK(l.v0_compatible && l.nmodules == 1);
    loader_free(&l);
    gh_buf_free(&errs);
    gh_arena_free(&a);
}

static void test_errors(void)
{
    put("bad/.manifest", "{\"roots\": [\"a\"]}");
    put("bad/a/ok.rego", "package a.ok\n");
    put("bad/b/out.rego", "# out\npackage b\n");
    put("bad/b/data.json", "{\"k\": 1}");
    gh_arena a;
    gh_arena_init(&a, 0);
    gh_buf errs;
    gh_buf_init(&errs, 0);
    loader l;
    loader_init(&l, &a);
    char *bad[] = {at("bad")};
    /* lbundle-3.1 every violation reported, the package with its position */
    CHECK_INT(loader_load_bundles(&l, bad, 1, &errs), -1);
    char want[1200];
    snprintf(want, sizeof want,
             "%s: manifest roots [a] do not permit data at path '/b' (hint: check bundle "
             "directory structure)\n"
             "%s:2:1: manifest roots [a] do not permit 'package b' in module '%s'\n",
             at("bad/b/data.json"), at("bad/b/out.rego"), at("bad/b/out.rego"));
    CHECK_STR(errs.data, want);
    /* lbundle-3.2 what is within the roots still loads */
    CHECK_INT(l.nmodules, 1);
    loader_free(&l);
    /* lbundle-3.3 a file is not a bundle directory */
    gh_buf_clear(&errs);
    loader_init(&l, &a);
    char *file[] = {at("bad/a/ok.rego")};
    CHECK_INT(loader_load_bundles(&l, file, 1, &errs), -1);
    CHECK(errs.data && strstr(errs.data, "not a directory") != NULL);
    CHECK_INT(l.nbundles, 0);
    loader_free(&l);
    gh_buf_free(&errs);
    gh_arena_free(&a);
}

int main(void)
{
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_manifest();
    test_defaults_and_versions();
    test_errors();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
    return tests_done("test_loader_bundle");
}
