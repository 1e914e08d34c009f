/* Placeholder shim so the build links before the supervisor lands. */
#include <stdio.h>
int main(void) { fputs("tsstack-shim: not built yet\n", stderr); return 1; }
