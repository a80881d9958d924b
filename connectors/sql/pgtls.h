/* Switching libpg_query's current memory context from code that cannot name it (pgtls.c). */
#ifndef GATEHOUSE_SQL_PGTLS_H
#define GATEHOUSE_SQL_PGTLS_H

/* Makes ctx (a MemoryContext) current for this thread; returns the previous one. */
void *sql_pg_switch_context(void *ctx);

/* Runs fn(arg) so that a PostgreSQL error inside it returns -1 instead of ending the
 * process (0: fn returned). fn must not longjmp past this call. */
int sql_pg_guarded(void (*fn)(void *), void *arg);

#endif
