/* See sealed-init.h. */
#include "sealed-init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

#define STEP "init"
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static int memfd(void) {
  /* MFD_EXEC (Linux 6.3) says outright that this memfd is for exec; older kernels refuse the flag. */
  int fd = (int)syscall(SYS_memfd_create, "tsstack-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = (int)syscall(SYS_memfd_create, "tsstack-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  return fd;
}

static int copy(int from, int to, off_t size) {
  off_t off = 0;
  while (off < size) {
    ssize_t n = sendfile(to, from, &off, (size_t)(size - off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
  }
  return 0;
}

int ts_sealed_init(const char *path, ts_error *err) {
  if (!path) return ts_fail(err, 0, STEP, "no init binary given");
  int src = open(path, O_RDONLY | O_CLOEXEC);
  if (src < 0) return ts_fail(err, errno, STEP, "open %s", path);
  struct stat st;
  int fd = -1;
  if (fstat(src, &st) < 0) ts_fail(err, errno, STEP, "stat %s", path);
  else if ((fd = memfd()) < 0) ts_fail(err, errno, STEP, "memfd for the init");
  else if (copy(src, fd, st.st_size) < 0) ts_fail(err, errno ? errno : EIO, STEP, "copy %s", path);
  /* F_SEAL_EXEC (Linux 6.3) also freezes the mode bits; older kernels do not know it. */
  else if (fcntl(fd, F_ADD_SEALS, SEALS | F_SEAL_EXEC) < 0 && (errno != EINVAL || fcntl(fd, F_ADD_SEALS, SEALS) < 0))
    ts_fail(err, errno, STEP, "seal the init");
  else {
    close(src);
    return fd;
  }
  close(src);
  if (fd >= 0) close(fd);
  return -1;
}

int ts_is_sealed_init(int fd) {
  int seals = fcntl(fd, F_GET_SEALS);
  return seals >= 0 && (seals & SEALS) == SEALS;
}

void ts_exec_sealed_init(int fd, int status_fd, char **args, char **env, ts_error *err) {
  size_t n = 0;
  while (args[n]) n++;
  char **argv = (char **)calloc(n + 3, sizeof *argv);
  if (!argv) {
    ts_fail(err, ENOMEM, STEP, "arguments");
    return;
  }
  argv[0] = (char *)"tsstack-init";
  argv[1] = (char *)"--";
  for (size_t i = 0; i < n; i++) argv[2 + i] = args[i];
  /* The status pipe goes to its fixed place (clearing close-on-exec there), the init's own fd out of its way. */
  if (fd == TS_INIT_STATUS_FD && (fd = fcntl(fd, F_DUPFD_CLOEXEC, TS_INIT_STATUS_FD + 1)) < 0) {
    ts_fail(err, errno, STEP, "move the init's descriptor");
    free(argv);
    return;
  }
  if (status_fd == TS_INIT_STATUS_FD ? fcntl(status_fd, F_SETFD, 0) < 0 : dup2(status_fd, TS_INIT_STATUS_FD) < 0) {
    ts_fail(err, errno, STEP, "hand the status pipe to the init");
    free(argv);
    return;
  }
  syscall(SYS_execveat, fd, "", argv, env, AT_EMPTY_PATH);
  /* A profile may refuse execveat but allow execve: the same memfd through the container's own /proc. */
  if (errno == EPERM || errno == ENOSYS) {
    char self[32];
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    execve(self, argv, env);
  }
  ts_fail(err, errno, STEP, "exec the init");
  free(argv);
}
