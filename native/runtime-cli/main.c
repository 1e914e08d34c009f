/* Placeholder OCI-runtime-style command so the build links before the core lands. */
#include <stdio.h>
int main(void) { fputs("tsstack-runtime: not built yet\n", stderr); return 1; }
