/* Case files for the SQL connector's tests (tests/data/sql/ files), jq.test-style: settings
 * lines (@catalog, @decision, @tenant, @style, @search_path) hold until changed; a case is
 * "[id]", the SQL (any number of lines), then "=> " and the expected output up to a blank
 * line. Included by test_sql_describe.c and test_sql_rewrite.c. */
#ifndef GH_SQL_CASES_H
#define GH_SQL_CASES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/buf.h"

typedef struct sql_case {
    char id[128];
    int line;          /* of the [id] line */
    gh_buf sql, want;  /* the statement; the expected output (lines joined by \n) */
    char catalog[8192], decision[8192], tenant[64], style[16], search_path[128];
} sql_case;

/* Calls run(c) for each case of the file; returns the number of cases, -1 if unreadable. */
static int sql_cases_run(const char *path, void (*run)(const sql_case *c))
{
    size_t len;
    char *text = test_read_file(path, &len);
    if (!text)
        return -1;
    static sql_case c;
    memset(&c, 0, sizeof c);
    strcpy(c.style, "dollar");
    gh_buf_init(&c.sql, 0), gh_buf_init(&c.want, 0);
    int n = 0, lineno = 0, state = 0; /* 0 between cases, 1 in SQL, 2 in expected */
    for (char *line = strtok(text, "\n"); ; line = strtok(NULL, "\n")) {
        /* strtok skips empty lines: a case ends at the next "[" or setting or end of file */
        bool end = !line || line[0] == '[' || line[0] == '@' || (line[0] == '#' && state != 1);
        if (end && state == 2) {
            run(&c), n++;
            state = 0;
        }
        if (!line)
            break;
        lineno++;
        if (line[0] == '#' && state != 1)
            continue;
        if (line[0] == '@') {
            char *sp = strchr(line, ' ');
            const char *v = sp ? sp + 1 : "";
            if (!strncmp(line, "@catalog", 8)) snprintf(c.catalog, sizeof c.catalog, "%s", v);
            else if (!strncmp(line, "@decision", 9)) snprintf(c.decision, sizeof c.decision, "%s", v);
            else if (!strncmp(line, "@tenant", 7)) snprintf(c.tenant, sizeof c.tenant, "%s", strcmp(v, "-") ? v : "");
            else if (!strncmp(line, "@style", 6)) snprintf(c.style, sizeof c.style, "%s", v);
            else if (!strncmp(line, "@search_path", 12)) snprintf(c.search_path, sizeof c.search_path, "%s", v);
            continue;
        }
        if (line[0] == '[' && state == 0) {
            snprintf(c.id, sizeof c.id, "%.*s", (int)strcspn(line + 1, "]"), line + 1);
            c.line = lineno;
            gh_buf_clear(&c.sql), gh_buf_clear(&c.want);
            state = 1;
            continue;
        }
        if (state == 1 && !strncmp(line, "=> ", 3)) {
            gh_buf_puts(&c.want, line + 3);
            state = 2;
        } else if (state == 1) {
            if (c.sql.len)
                gh_buf_putc(&c.sql, '\n');
            gh_buf_puts(&c.sql, line);
        } else if (state == 2) {
            gh_buf_putc(&c.want, '\n');
            gh_buf_puts(&c.want, line);
        }
    }
    gh_buf_free(&c.sql), gh_buf_free(&c.want);
    free(text);
    return n;
}

#endif
