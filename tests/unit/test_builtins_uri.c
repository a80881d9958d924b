/* Unit cases for uri.parse, uri.is_valid, strings.split_n and set_diff: data/builtins_uri.txt,
 * in the format of data/builtins.txt, run by test_builtins.c's runner (included, h2o-style). */
#define main test_builtins_main
#include "test_builtins.c"
#undef main

int main(void)
{
    gh_arena_init(&A, 0);
    run_file("data/builtins_uri.txt");
    gh_arena_free(&A);
    return tests_done("test_builtins_uri");
}
