/* Loading OPA conformance YAML files and walking their directories. */
#include "cases.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gatehouse/yaml.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *in = fopen(path, "rb");
    if (!in) return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *p = malloc(cap);
    while (p && (got = fread(p + n, 1, cap - n, in)) > 0) {
        n += got;
        if (n == cap) {
            char *q = realloc(p, cap *= 2);
            if (!q) free(p);
            p = q;
        }
    }
    fclose(in);
    if (p) *len = n;
    return p;
}

static int load_text(case_file *f, const char *path, const char *text, size_t len, bool quiet)
{
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int ok = yaml_parser_load(&p, &f->doc);
    if (!ok && !quiet)
        fprintf(stderr, "%s:%zu: yaml: %s\n", path, p.problem_mark.line + 1,
                p.problem ? p.problem : "error");
    yaml_parser_delete(&p);
    return ok ? 0 : -1;
}

int case_file_load(case_file *f, const char *path)
{
    memset(f, 0, sizeof *f);
    size_t len;
    char *text = slurp(path, &len);
    if (!text) {
        fprintf(stderr, "%s: cannot read\n", path);
        return -1;
    }
    int rc = load_text(f, path, text, len, true);
    if (rc != 0) {
        size_t fixed_len;
        char *fixed = gh_yaml_fix_block_tabs(text, len, &fixed_len);
        rc = fixed ? load_text(f, path, fixed, fixed_len, false) : -1;
        free(fixed);
    }
    free(text);
    if (rc != 0) return -1;
    f->path = strdup(path);
    yaml_node_t *root = yaml_document_get_root_node(&f->doc);
    if (root && root->type == YAML_MAPPING_NODE) f->cases = case_field(f, root, "cases");
    if (f->cases && f->cases->type != YAML_SEQUENCE_NODE) f->cases = NULL;
    return 0;
}

void case_file_free(case_file *f)
{
    yaml_document_delete(&f->doc);
    free(f->path);
    memset(f, 0, sizeof *f);
}

size_t case_count(const case_file *f)
{
    if (!f->cases) return 0;
    return (size_t)(f->cases->data.sequence.items.top - f->cases->data.sequence.items.start);
}

yaml_node_t *case_at(const case_file *f, size_t i)
{
    yaml_document_t *doc = (yaml_document_t *)&f->doc;
    return yaml_document_get_node(doc, f->cases->data.sequence.items.start[i]);
}

yaml_node_t *case_field(const case_file *f, yaml_node_t *c, const char *key)
{
    if (!c || c->type != YAML_MAPPING_NODE) return NULL;
    yaml_document_t *doc = (yaml_document_t *)&f->doc;
    for (yaml_node_pair_t *pr = c->data.mapping.pairs.start; pr < c->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(doc, pr->value);
    }
    return NULL;
}

const char *case_scalar(const case_file *f, yaml_node_t *c, const char *key, size_t *len)
{
    yaml_node_t *n = case_field(f, c, key);
    if (!n || n->type != YAML_SCALAR_NODE) return NULL;
    if (len) *len = n->data.scalar.length;
    return (const char *)n->data.scalar.value;
}

size_t case_seq_len(const case_file *f, yaml_node_t *seq)
{
    (void)f;
    if (!seq || seq->type != YAML_SEQUENCE_NODE) return 0;
    return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

const char *case_seq_scalar(const case_file *f, yaml_node_t *seq, size_t i, size_t *len)
{
    yaml_document_t *doc = (yaml_document_t *)&f->doc;
    yaml_node_t *n = yaml_document_get_node(doc, seq->data.sequence.items.start[i]);
    if (!n || n->type != YAML_SCALAR_NODE) return NULL;
    if (len) *len = n->data.scalar.length;
    return (const char *)n->data.scalar.value;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_yaml(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

/* Collects paths recursively into a growing list; sorted by the caller. */
static void collect(const char *dir, char ***list, size_t *n, size_t *cap)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        snprintf(path, len, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            collect(path, list, n, cap);
            free(path);
        } else if (is_yaml(e->d_name)) {
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 256;
                *list = realloc(*list, *cap * sizeof **list);
            }
            (*list)[(*n)++] = path;
        } else {
            free(path);
        }
    }
    closedir(d);
}

long cases_walk(const char *dir, void (*fn)(const char *path, void *ctx), void *ctx)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    closedir(d);
    char **list = NULL;
    size_t n = 0, cap = 0;
    collect(dir, &list, &n, &cap);
    qsort(list, n, sizeof *list, cmp_str);
    for (size_t i = 0; i < n; i++) {
        fn(list[i], ctx);
        free(list[i]);
    }
    free(list);
    return (long)n;
}
