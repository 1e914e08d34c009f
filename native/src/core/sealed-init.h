/* The init of an `init: true` container (shim/init.c, inside the static tsstack-shim binary) never runs from
 * a file of the host: before the container process is cloned, the binary is copied into a memfd that is then
 * sealed (no write, grow, shrink or further seals), and PID 1 execs that memfd. So /proc/1/exe names an
 * anonymous, unwritable copy the container cannot use against the host (the CVE-2019-5736 pattern), and the
 * init runs under the container's seccomp filter, identity and environment only. */
#ifndef TS_SEALED_INIT_H
#define TS_SEALED_INIT_H

#ifdef __cplusplus
extern "C" {
#endif

#include "error.h"

/* The descriptor number on which `tsstack-runtime shim-create` takes a sealed copy made by its caller (the
 * agent's addon makes one and shares it with every container: one copy in memory, no copy per start). */
#define TS_INIT_FD 4

/* A sealed, close-on-exec memfd holding a copy of `path`, or -1. */
int ts_sealed_init(const char *path, ts_error *err);
/* Whether `fd` is a memfd sealed as ts_sealed_init seals it (nobody can change its bytes any more). */
int ts_is_sealed_init(int fd);
/* Where the init finds the status pipe (see ts_status_msg): always this descriptor. */
#define TS_INIT_STATUS_FD 3

/* Execs the init in `fd` as `tsstack-init -- ARGS...` (what ps and `tsstack top` show, as docker-init's), with
 * `status_fd` moved to TS_INIT_STATUS_FD and `env` as its whole environment. Returns only on failure, with `err`
 * filled. */
void ts_exec_sealed_init(int fd, int status_fd, char **args, char **env, ts_error *err);

#ifdef __cplusplus
}
#endif

#endif
