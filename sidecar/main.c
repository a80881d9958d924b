/* gatehouse command line: dispatches to the subcommands (parse, check, version, help). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "version") == 0) {
        printf("gatehouse %s\n", GH_VERSION);
        return 0;
    }
    fprintf(stderr, "usage: gatehouse <command> [args]\n");
    return 2;
}
