/* Hot reload on the main loop: inotify watches (uv_fs_event) on every directory of the
 * policy and data paths, and SIGHUP, restart a debounce timer; when it fires the paths are
 * loaded and compiled on libuv's thread pool, and only a successful build is published.
 * A failure keeps the last good snapshot serving and is logged with file:line:col. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "server.h"

typedef struct watch {
    uv_fs_event_t ev;
    struct watch *next;
    struct reloader *rl;
    char *only; /* react to this file name only (a file given directly), or NULL */
} watch;

struct reloader {
    server *srv;
    uv_loop_t *loop;
    uv_timer_t debounce;
    watch *watches;
    uv_work_t work;
    bool working, dirty, stopping;
    snapshot *built;
    gh_buf errs;
    char why[64];
};

/* ---- watches ---- */

static void on_watch_closed(uv_handle_t *h)
{
    watch *w = h->data;
    free(w->only);
    free(w);
}

static void drop_watches(reloader *r)
{
    for (watch *w = r->watches, *next; w; w = next) {
        next = w->next;
        uv_close((uv_handle_t *)&w->ev, on_watch_closed);
    }
    r->watches = NULL;
}

static bool worth_reloading(const char *name)
{
    if (!name) return true;
    size_t n = strlen(name);
    if (name[0] == '.' || (n && name[n - 1] == '~')) return false; /* editors' temp files */
    return !(n > 4 && strcmp(name + n - 4, ".swp") == 0);
}

static void on_fs_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
    watch *w = h->data;
    (void)events;
    if (status < 0 || w->rl->stopping) return;
    if (w->only && filename && strcmp(filename, w->only) != 0) return;
    if (!worth_reloading(filename)) return;
    snprintf(w->rl->why, sizeof w->rl->why, "change in %s", filename ? filename : "a watched path");
    reloader_trigger(w->rl, NULL);
}

static void add_watch(reloader *r, const char *dir, const char *only)
{
    watch *w = calloc(1, sizeof *w);
    if (!w) return;
    w->rl = r;
    w->only = only ? strdup(only) : NULL;
    uv_fs_event_init(r->loop, &w->ev);
    w->ev.data = w;
    int rc = uv_fs_event_start(&w->ev, on_fs_event, dir, 0);
    if (rc < 0) {
        log_msg(LOG_WARN, NULL, "cannot watch %s: %s (SIGHUP still reloads)", dir, uv_strerror(rc));
        uv_close((uv_handle_t *)&w->ev, on_watch_closed);
        return;
    }
    w->next = r->watches;
    r->watches = w;
}

/* inotify is not recursive: one watch per directory below each path. */
static void watch_tree(reloader *r, const char *dir, int depth)
{
    add_watch(r, dir, NULL);
    if (depth > 32) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) watch_tree(r, path, depth + 1);
    }
    closedir(d);
}

static void watch_path(reloader *r, const char *path)
{
    const char *colon = strchr(path, ':'); /* "a.b:dir" puts dir's data under data.a.b */
    struct stat st;
    if (colon && stat(path, &st) != 0) path = colon + 1;
    if (stat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) return watch_tree(r, path, 0);
    /* A file: watch its directory, so a replace-by-rename (editors, config management) is
       seen too. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : path;
    if (slash == dir) dir[1] = 0;
    else if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    add_watch(r, dir, base);
}

static void rewatch(reloader *r)
{
    if (!r->srv->cfg->watch || r->stopping) return;
    drop_watches(r);
    const gh_config *c = r->srv->cfg;
    for (size_t i = 0; i < c->policy.n; i++) watch_path(r, c->policy.items[i]);
    for (size_t i = 0; i < c->data.n; i++) watch_path(r, c->data.items[i]);
    for (size_t i = 0; i < c->bundles.n; i++) watch_path(r, c->bundles.items[i]);
}

/* ---- building ---- */

static void build_in_pool(uv_work_t *req)
{
    reloader *r = req->data;
    gh_buf_clear(&r->errs);
    r->built = snapshot_build(r->srv->cfg, &r->errs);
}

static void on_debounced(uv_timer_t *t);

static void after_build(uv_work_t *req, int status)
{
    reloader *r = req->data;
    server *srv = r->srv;
    r->working = false;
    snapshot *s = r->built;
    r->built = NULL;
    if (r->stopping || status < 0) {
        snapshot_release(s);
        return;
    }
    atomic_fetch_add(&srv->reloads, 1);
    if (s) {
        char extra[128];
        snprintf(extra, sizeof extra, "\"revision\":\"%s\"", s->id);
        log_msg(LOG_INFO, extra, "reloaded (%s)", r->why);
        server_publish(srv, s);
    } else {
        const char *errs = r->errs.data ? r->errs.data : "unknown error\n";
        log_msg(LOG_ERROR, NULL, "reload failed (%s); still serving the last good revision:\n%s",
                r->why, errs);
        server_reload_failed(srv, errs);
    }
    rewatch(r); /* directories may have come or gone */
    if (r->dirty) {
        r->dirty = false;
        uv_timer_start(&r->debounce, on_debounced, r->srv->cfg->debounce_ms, 0);
    }
}

static void on_debounced(uv_timer_t *t)
{
    reloader *r = t->data;
    if (r->stopping) return;
    if (r->working) {
        r->dirty = true; /* changed again while compiling: build once more afterwards */
        return;
    }
    r->working = true;
    r->work.data = r;
    if (uv_queue_work(r->loop, &r->work, build_in_pool, after_build) < 0) r->working = false;
}

void reloader_trigger(reloader *r, const char *why)
{
    if (r->stopping) return;
    if (why) snprintf(r->why, sizeof r->why, "%s", why);
    uint64_t delay = why && strcmp(why, "SIGHUP") == 0 ? 0 : r->srv->cfg->debounce_ms;
    uv_timer_start(&r->debounce, on_debounced, delay, 0);
}

reloader *reloader_start(server *srv, uv_loop_t *loop)
{
    reloader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->srv = srv;
    r->loop = loop;
    gh_buf_init(&r->errs, 1u << 20);
    uv_timer_init(loop, &r->debounce);
    r->debounce.data = r;
    rewatch(r);
    return r;
}

void reloader_stop(reloader *r)
{
    r->stopping = true;
    drop_watches(r);
    uv_close((uv_handle_t *)&r->debounce, NULL);
}

void reloader_free(reloader *r)
{
    if (!r) return;
    gh_buf_free(&r->errs);
    free(r);
}
