/* Starting a created container: the part of the core the long-lived shim needs, kept apart so the shim links
 * nothing else. */
#include "container.h"

#include <errno.h>
#include <unistd.h>

int ts_read_status(int fd, ts_status_msg *msg) {
  ssize_t n;
  do n = read(fd, msg, sizeof *msg);
  while (n < 0 && errno == EINTR);
  return (int)n;
}

int ts_container_start(ts_container *c, ts_error *err) {
  if (write(c->start_fd, "S", 1) != 1) return ts_fail(err, errno, "start", "release the exec");
  close(c->start_fd);
  c->start_fd = -1;
  ts_status_msg msg;
  int n = ts_read_status(c->status_fd, &msg);
  close(c->status_fd);
  c->status_fd = -1;
  if (n == 0) return 0;
  if (n == (int)sizeof msg && msg.kind == 'E') *err = msg.err;
  else ts_fail(err, 0, "start", "no word from the container process");
  return -1;
}
