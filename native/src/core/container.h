/* A container's first process: cloned into new namespaces, placed in its cgroup, set up by the child
 * (mounts, pivot_root, identity), then held before exec until started. The caller (the shim, or the
 * tsstack-runtime command through the shim) is its parent and reaps it. */
#ifndef TS_CONTAINER_H
#define TS_CONTAINER_H

#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "spec.h"

typedef struct ts_container {
  pid_t pid;
  int start_fd;  /* write end: 'S' releases the exec */
  int status_fd; /* read end: ready / error reports of the child */
  int stdout_fd, stderr_fd; /* read ends; with a terminal stdout_fd is the pty master and stderr_fd -1 */
  int has_cgroup;
  ts_cgroup cgroup;
} ts_container;

/* What the child reports on the status pipe. */
typedef struct ts_status_msg {
  char kind; /* 'R' ready, 'E' error */
  ts_error err;
} ts_status_msg;

/* One message from the status pipe: its size, 0 at end of file (the program was executed). */
int ts_read_status(int fd, ts_status_msg *msg);

/* Creates the container and returns once its process waits to exec. On failure nothing is left: no process,
 * no cgroup. */
int ts_container_create(const ts_spec *spec, ts_container *c, ts_error *err);
/* Releases the exec. Returns once the program runs, or -1 with the child's error (exec: ENOENT). */
int ts_container_start(ts_container *c, ts_error *err);

#endif
