/* A stand-in for libFuzzer's main when the build is not clang+sanitizers: replays every file
 * of the corpus directories given, then mutates random corpus entries (bit flips, byte
 * insertions and deletions, splices) until -max_total_time runs out. It takes the same
 * command line as libFuzzer (unknown -flags are ignored) so ctest calls both alike. No
 * coverage guidance: it is a smoke test, the sanitizer build does the real fuzzing. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DRIVER_MAX_INPUT 65536

typedef struct {
    uint8_t **data;
    size_t *size;
    size_t n, cap;
} corpus;

static void corpus_add(corpus *c, uint8_t *data, size_t size)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->data = realloc(c->data, c->cap * sizeof *c->data);
        c->size = realloc(c->size, c->cap * sizeof *c->size);
        if (!c->data || !c->size) {
            fprintf(stderr, "driver: out of memory\n");
            exit(1);
        }
    }
    c->data[c->n] = data;
    c->size[c->n] = size;
    c->n++;
}

static void load_file(corpus *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return;
    uint8_t *buf = malloc(DRIVER_MAX_INPUT);
    size_t n = buf ? fread(buf, 1, DRIVER_MAX_INPUT, f) : 0;
    fclose(f);
    if (buf) corpus_add(c, buf, n);
}

static void load_dir(corpus *c, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) load_file(c, path);
    }
    closedir(d);
}

static size_t mutate(uint8_t *buf, size_t n, const corpus *c)
{
    int rounds = 1 + rand() % 4;
    for (int r = 0; r < rounds; r++) {
        switch (rand() % 5) {
        case 0: /* flip a bit */
            if (n) buf[rand() % n] ^= (uint8_t)(1u << (rand() % 8));
            break;
        case 1: /* insert a random byte */
            if (n < DRIVER_MAX_INPUT) {
                size_t at = n ? (size_t)rand() % (n + 1) : 0;
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = (uint8_t)rand();
                n++;
            }
            break;
        case 2: /* delete a span */
            if (n) {
                size_t at = (size_t)rand() % n, len = 1 + (size_t)rand() % 8;
                if (len > n - at) len = n - at;
                memmove(buf + at, buf + at + len, n - at - len);
                n -= len;
            }
            break;
        case 3: /* splice in a piece of another entry */
            if (c->n) {
                size_t k = (size_t)rand() % c->n, sn = c->size[k];
                if (sn) {
                    size_t from = (size_t)rand() % sn, len = 1 + (size_t)rand() % 32;
                    if (len > sn - from) len = sn - from;
                    if (n + len <= DRIVER_MAX_INPUT) {
                        size_t at = n ? (size_t)rand() % (n + 1) : 0;
                        memmove(buf + at + len, buf + at, n - at);
                        memcpy(buf + at, c->data[k] + from, len);
                        n += len;
                    }
                }
            }
            break;
        default: /* truncate */
            if (n) n = (size_t)rand() % n;
            break;
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    double max_time = 10;
    corpus c = {0};
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "-max_total_time=", 16) == 0)
            max_time = atof(argv[i] + 16);
        else if (argv[i][0] != '-')
            load_dir(&c, argv[i]);
    }
    for (size_t i = 0; i < c.n; i++) LLVMFuzzerTestOneInput(c.data[i], c.size[i]);
    unsigned seed = (unsigned)time(NULL);
    srand(seed);
    printf("driver: replayed %zu corpus files; mutating with seed %u\n", c.n, seed);
    fflush(stdout);
    uint8_t *buf = malloc(DRIVER_MAX_INPUT);
    unsigned long execs = c.n;
    time_t start = time(NULL);
    while (buf && c.n && difftime(time(NULL), start) < max_time) {
        for (int burst = 0; burst < 256; burst++) {
            size_t k = (size_t)rand() % c.n;
            memcpy(buf, c.data[k], c.size[k]);
            size_t n = mutate(buf, c.size[k], &c);
            LLVMFuzzerTestOneInput(buf, n);
            execs++;
        }
    }
    printf("driver: %lu executions, no crash\n", execs);
    for (size_t i = 0; i < c.n; i++) free(c.data[i]);
    free(c.data);
    free(c.size);
    free(buf);
    return 0;
}
