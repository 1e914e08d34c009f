/* Entry of tsstack-shim: dispatches to create or exec (see shim.h). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

static void usage(void) {
  fputs("usage: tsstack-shim create STATE_DIR [CONFIG_JSON]   (result line on fd 3)\n"
        "       tsstack-shim exec STATE_DIR [-t] [-e K=V]... [-w DIR] [-u UID[:GID]] -- ARGS...\n",
        stderr);
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "create") == 0) {
    int result_fd = fcntl(3, F_GETFD) >= 0 ? 3 : 1;
    char config[4096];
    if (argc >= 4) snprintf(config, sizeof config, "%s", argv[3]);
    else snprintf(config, sizeof config, "%s/config.json", argv[2]);
    return ts_shim_create(argv[2], config, result_fd);
  }
  if (argc >= 3 && strcmp(argv[1], "exec") == 0) return ts_shim_exec(argc - 2, argv + 2);
  usage();
  return 2;
}
