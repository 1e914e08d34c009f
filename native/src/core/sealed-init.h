/* The init of an `init: true` container (shim/init.c, inside the static tsstack-shim binary) never runs from
 * a file of the host: before the container process is cloned, the binary is copied into a memfd that is then
 * sealed (no write, grow, shrink or further seals), and PID 1 execs that memfd. So /proc/1/exe names an
 * anonymous, unwritable copy the container cannot use against the host (the CVE-2019-5736 pattern), and the
 * init runs under the container's seccomp filter, identity and environment only. */
#ifndef TS_SEALED_INIT_H
#define TS_SEALED_INIT_H

#include "error.h"

/* A sealed, close-on-exec memfd holding a copy of `path`, or -1. */
int ts_sealed_init(const char *path, ts_error *err);
/* Execs the init in `fd`: `tsstack-init init STATUS_FD -- ARGS...` with `env` as its whole environment.
 * Returns only on failure, with `err` filled. */
void ts_exec_sealed_init(int fd, int status_fd, char **args, char **env, ts_error *err);

#endif
