/* `tsstack-runtime shim-create STATE_DIR CONFIG_JSON` (result line on fd 3): reads the spec, makes the
 * container (waiting to be started), detaches from the caller, writes state.json, opens the control socket,
 * answers "ok PID SHIM_PID" and execs tsstack-shim, which supervises the container from then on. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/container.h"
#include "core/sealed-init.h"
#include "core/seccomp.h"
#include "core/spec.h"
#include "shim.h"

static int open_control_socket(const char *state_dir, ts_error *err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if ((size_t)snprintf(addr.sun_path, sizeof addr.sun_path, "%s/control.sock", state_dir) >= sizeof addr.sun_path)
    return ts_fail(err, ENAMETOOLONG, "control socket", "%s/control.sock is too long for a unix socket", state_dir);
  unlink(addr.sun_path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return ts_fail(err, errno, "control socket", "socket");
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 16) < 0) {
    int saved = errno;
    close(fd);
    return ts_fail(err, saved, "control socket", "bind %s", addr.sun_path);
  }
  return fd;
}

static void detach(void) {
  pid_t pid = fork();
  if (pid < 0) _exit(1);
  if (pid > 0) _exit(0);
  setsid();
}

/* The tsstack-shim beside this binary: the supervisor, and the init of `init: true` containers. */
static void shim_binary(char *out, size_t len) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  self[n > 0 ? n : 0] = 0;
  snprintf(out, len, "%s/tsstack-shim", dirname(self));
}

int ts_shim_create(const char *state_dir, const char *config_path, int result_fd) {
  /* Nothing of the caller but the result fd (and a sealed init it shares) stays open in the shim. */
  int init_fd = result_fd == 3 && ts_is_sealed_init(TS_INIT_FD) ? TS_INIT_FD : -1;
  syscall(SYS_close_range, init_fd >= 0 ? TS_INIT_FD + 1 : (unsigned)result_fd + 1, ~0U, 0);
  if (init_fd >= 0) fcntl(init_fd, F_SETFD, FD_CLOEXEC);
  detach();
  struct {
    ts_container c;
    int listen_fd;
    int64_t created_at;
  } s = {.listen_fd = -1, .created_at = ts_now_ms()};
  ts_spec spec;
  ts_error err = {0};
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  signal(SIGPIPE, SIG_IGN);
  /* The container is created with SIGCHLD blocked, so its exit cannot slip by before the signalfd exists. */
  sigprocmask(SIG_BLOCK, &mask, NULL);
  char shim_path[PATH_MAX + 16], cache_dir[PATH_MAX + 32], parent[PATH_MAX];
  shim_binary(shim_path, sizeof shim_path);
  snprintf(parent, sizeof parent, "%s", state_dir);
  snprintf(cache_dir, sizeof cache_dir, "%s" TS_SECCOMP_CACHE_SUFFIX, dirname(parent));
  int loaded = ts_spec_load(config_path, &spec, &err);
  spec.init_path = shim_path;
  spec.init_fd = init_fd;
  if (loaded < 0 || ts_seccomp_prepare(&spec, cache_dir, &err) < 0 || ts_container_create(&spec, &s.c, &err) < 0) {
    ts_report_error(result_fd, &err);
    return 1;
  }
  s.listen_fd = open_control_socket(state_dir, &err);
  if (s.listen_fd < 0) {
    kill(s.c.pid, SIGKILL);
    waitpid(s.c.pid, NULL, 0);
    if (s.c.has_cgroup) ts_cgroup_destroy(&s.c.cgroup);
    ts_report_error(result_fd, &err);
    return 1;
  }
  char log_path[4200];
  if (spec.log_path) snprintf(log_path, sizeof log_path, "%s", spec.log_path);
  else snprintf(log_path, sizeof log_path, "%s/container.log", state_dir);
  ts_write_state(state_dir, "created", s.c.pid, s.c.has_cgroup ? &s.c.cgroup : NULL, s.created_at, 0);
  char ok[64];
  int n = snprintf(ok, sizeof ok, "ok %d %d\n", (int)s.c.pid, (int)getpid());
  ssize_t w = write(result_fd, ok, (size_t)n);
  (void)w;
  close(result_fd);
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; fd++) dup2(devnull, fd);
  if (devnull > 2) close(devnull);
  /* Become the supervisor: the container stays our child across exec, and the small tsstack-shim image is all
   * that stays in memory for the container's life. */
  char nums[12][32];
  int fds[] = {s.c.start_fd, s.c.status_fd, s.c.stdout_fd, s.c.stderr_fd, s.listen_fd};
  for (int i = 0; i < 5; i++) {
    if (fds[i] >= 0) fcntl(fds[i], F_SETFD, 0);
    snprintf(nums[i], sizeof nums[i], "%d", fds[i]);
  }
  snprintf(nums[5], sizeof nums[5], "%d", (int)s.c.pid);
  snprintf(nums[6], sizeof nums[6], "%lld", (long long)s.created_at);
  snprintf(nums[7], sizeof nums[7], "%lld", (long long)spec.log_max_size);
  snprintf(nums[8], sizeof nums[8], "%d", spec.log_max_file);
  snprintf(nums[9], sizeof nums[9], "%d", s.c.has_cgroup ? s.c.cgroup.version : 0);
  char pairs[TS_CGROUP_MAX_DIRS][PATH_MAX + 20];
  char *argv[32] = {"tsstack-shim", "supervise", (char *)state_dir, nums[5], nums[0], nums[1], nums[2], nums[3], nums[4],
                    nums[6], log_path, nums[7], nums[8], nums[9]};
  int argc = 14;
  for (size_t i = 0; s.c.has_cgroup && i < s.c.cgroup.ndirs; i++) {
    snprintf(pairs[i], sizeof pairs[i], "%s=%s", s.c.cgroup.controller[i], s.c.cgroup.dir[i]);
    argv[argc++] = pairs[i];
  }
  argv[argc] = NULL;
  execv(shim_path, argv);
  /* No supervisor: nobody may keep a container nobody watches. */
  kill(s.c.pid, SIGKILL);
  waitpid(s.c.pid, NULL, 0);
  if (s.c.has_cgroup) ts_cgroup_destroy(&s.c.cgroup);
  return 1;
}
