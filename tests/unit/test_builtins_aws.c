/* Unit cases for providers.aws.sign_req (aws.c): data/builtins_aws.txt, in the format of
 * data/builtins.txt, run by test_builtins.c's runner (included, h2o-style). */
#define main test_builtins_main
#include "test_builtins.c"
#undef main

int main(void)
{
    gh_arena_init(&A, 0);
    run_file("data/builtins_aws.txt");
    gh_arena_free(&A);
    return tests_done("test_builtins_aws");
}
