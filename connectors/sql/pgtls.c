/* The one place that touches libpg_query's thread-local current memory context. It lives
 * apart from pgparse.c because PostgreSQL's own headers declare the variable without
 * __thread, while libpg_query (built for threads) defines it thread-local. */
#include "pgtls.h"

#include <setjmp.h>

extern __thread void *CurrentMemoryContext;

void *sql_pg_switch_context(void *ctx)
{
    void *old = CurrentMemoryContext;
    CurrentMemoryContext = ctx;
    return old;
}

/* PostgreSQL reports errors (elog/ereport ERROR) by siglongjmp to the innermost
 * PG_exception_stack entry; without one it ends the process. Code that walks trees with
 * PostgreSQL's own functions runs under this guard, so an error becomes a return value. */
extern __thread sigjmp_buf *PG_exception_stack;
extern __thread void *error_context_stack;
extern void FlushErrorState(void);

int sql_pg_guarded(void (*fn)(void *), void *arg)
{
    sigjmp_buf *saved_stack = PG_exception_stack;
    void *saved_context = error_context_stack;
    sigjmp_buf local;
    volatile int rc = 0;
    if (sigsetjmp(local, 0) == 0) {
        PG_exception_stack = &local;
        fn(arg);
    } else {
        rc = -1;
    }
    PG_exception_stack = saved_stack;
    error_context_stack = saved_context;
    if (rc)
        FlushErrorState();
    return rc;
}
