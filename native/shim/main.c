/* Entry of tsstack-shim (see supervise.c). It is started only by `tsstack-runtime shim-create`. */
#include <stdio.h>
#include <string.h>

#include "shim.h"

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "supervise") == 0) return ts_shim_supervise(argc - 2, argv + 2);
  fputs("tsstack-shim supervises one container; it is started by `tsstack-runtime shim-create`, not by hand\n", stderr);
  return 2;
}
