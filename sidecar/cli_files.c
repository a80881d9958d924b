/* File reading and path walking for the command line. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return true;
    return false;
}

/* Pipes and FIFOs (`-i <(...)`, /dev/stdin) have no size: read them in growing steps. */
static int read_stream(FILE *f, const char *path, char **data, size_t *len)
{
    size_t cap = 1 << 16, n = 0, got;
    char *p = malloc(cap);
    while (p && (got = fread(p + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n > CLI_MAX_FILE) {
            fprintf(stderr, "gatehouse: %s: larger than %u MiB\n", path, CLI_MAX_FILE >> 20);
            free(p);
            return -1;
        }
        if (cap - n - 1 == 0) {
            char *q = realloc(p, cap * 2);
            if (!q) free(p);
            p = q;
            cap *= 2;
        }
    }
    if (!p || ferror(f)) {
        fprintf(stderr, "gatehouse: %s: %s\n", path, p ? "read failed" : "out of memory");
        free(p);
        return -1;
    }
    p[n] = '\0';
    *data = p;
    *len = n;
    return 0;
}

int cli_read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "gatehouse: %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat st;
    int rc;
    if (fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode)) {
        fprintf(stderr, "gatehouse: %s: is a directory\n", path);
        rc = -1;
    } else if (!S_ISREG(st.st_mode)) {
        rc = read_stream(f, path, data, len);
    } else if ((unsigned long long)st.st_size > CLI_MAX_FILE) {
        fprintf(stderr, "gatehouse: %s: larger than %u MiB\n", path, CLI_MAX_FILE >> 20);
        rc = -1;
    } else {
        size_t n = (size_t)st.st_size;
        char *p = malloc(n + 1);
        rc = p && fread(p, 1, n, f) == n ? 0 : -1;
        if (rc == 0) {
            p[n] = '\0';
            *data = p;
            *len = n;
        } else {
            fprintf(stderr, "gatehouse: %s: %s\n", path, p ? "read failed" : "out of memory");
            free(p);
        }
    }
    fclose(f);
    return rc;
}

static bool has_ext(const char *name, const char *ext)
{
    size_t n = strlen(name), e = strlen(ext);
    return n > e && strcmp(name + n - e, ext) == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_dir(const char *dir, const char *ext, void (*fn)(const char *, void *), void *ctx)
{
    DIR *d = opendir(dir);
    if (!d) return;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown) break;
            names = grown;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(len);
        if (path) {
            snprintf(path, len, "%s/%s", dir, names[i]);
            struct stat st;
            if (stat(path, &st) == 0) {
                if (S_ISDIR(st.st_mode)) walk_dir(path, ext, fn, ctx);
                else if (S_ISREG(st.st_mode) && has_ext(names[i], ext)) fn(path, ctx);
            }
        }
        free(path);
        free(names[i]);
    }
    free(names);
}

int cli_walk(char **paths, int n, const char *ext, void (*fn)(const char *path, void *ctx),
             void *ctx)
{
    int rc = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            fprintf(stderr, "gatehouse: %s: %s\n", paths[i], strerror(errno));
            rc = -1;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            size_t len = strlen(paths[i]);
            while (len > 1 && paths[i][len - 1] == '/') paths[i][--len] = '\0';
            walk_dir(paths[i], ext, fn, ctx);
        } else {
            fn(paths[i], ctx);
        }
    }
    return rc;
}
