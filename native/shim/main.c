/* Entry of tsstack-shim: the supervisor (supervise.c), started only by `tsstack-runtime shim-create`, and the
 * init of `init: true` containers (init.c), exec'd only from its sealed copy as a container's PID 1. */
#include <stdio.h>
#include <string.h>

#include "shim.h"

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "supervise") == 0) return ts_shim_supervise(argc - 2, argv + 2);
  if (argc >= 3 && strcmp(argv[0], "tsstack-init") == 0) return ts_init_main(argc - 1, argv + 1);
  fputs("tsstack-shim supervises one container; it is started by `tsstack-runtime shim-create`, not by hand\n", stderr);
  return 2;
}
