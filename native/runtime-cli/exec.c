/* `tsstack-runtime exec STATE_DIR [-t [-s ROWSxCOLS] [-r FD]] [-e K=V]... [-w DIR] [-u UID[:GID]] -- ARGS...`: runs
 * a process in a running container: its cgroup, all its namespaces, its capabilities, no_new_privs and seccomp
 * filter. Exits with the process's code (128 + signal when killed). With -t the process gets a terminal proxied to
 * our stdio; -s sets its first size (else our stdin's, when that is a terminal) and every "ROWS COLS" line read
 * from FD (-r) resizes it: TIOCSWINSZ on the master, and the kernel sends SIGWINCH to the process group. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "core/seccomp.h"
#include "core/security.h"
#include "core/spec.h"
#include "shim.h"

extern char **environ;

typedef struct exec_opts {
  const char *state_dir;
  int tty;
  char *env[256];
  size_t nenv;
  const char *cwd;
  const char *user;
  unsigned short rows, cols;
  int resize_fd;
  char **args;
} exec_opts;

static int parse_args(int argc, char **argv, exec_opts *o) {
  o->state_dir = argv[0];
  o->resize_fd = -1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      o->args = argv + i + 1;
      return o->args[0] ? 0 : -1;
    }
    if (strcmp(argv[i], "-t") == 0) o->tty = 1;
    else if (strcmp(argv[i], "-e") == 0 && i + 1 < argc && o->nenv < 255) o->env[o->nenv++] = argv[++i];
    else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc) o->cwd = argv[++i];
    else if (strcmp(argv[i], "-u") == 0 && i + 1 < argc) o->user = argv[++i];
    else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
      unsigned rows = 0, cols = 0;
      if (sscanf(argv[++i], "%ux%u", &rows, &cols) != 2 || rows > 65535 || cols > 65535) return -1;
      o->rows = (unsigned short)rows;
      o->cols = (unsigned short)cols;
    } else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) o->resize_fd = atoi(argv[++i]);
    else return -1;
  }
  return -1;
}

static int fail(const ts_error *err) {
  char msg[600];
  ts_error_format(err, msg, sizeof msg);
  fprintf(stderr, "tsstack-runtime exec: %s\n", msg);
  return 126;
}

static int join_container(const char *state_dir, ts_error *err) {
  char path[4200];
  snprintf(path, sizeof path, "%s/state.json", state_dir);
  json_object *state = json_object_from_file(path);
  if (!state) return ts_fail(err, errno, "exec", "read %s", path);
  json_object *v, *cgroup, *dirs;
  int pid = json_object_object_get_ex(state, "pid", &v) ? json_object_get_int(v) : 0;
  const char *status = json_object_object_get_ex(state, "status", &v) ? json_object_get_string(v) : "";
  if (strcmp(status, "running") != 0) {
    json_object_put(state);
    return ts_fail(err, 0, "exec", "the container is not running (%s)", status);
  }
  char mine[24];
  snprintf(mine, sizeof mine, "%d", (int)getpid());
  if (json_object_object_get_ex(state, "cgroup", &cgroup) && json_object_object_get_ex(cgroup, "dirs", &dirs)) {
    json_object_object_foreach(dirs, name, dir) {
      (void)name;
      snprintf(path, sizeof path, "%s/cgroup.procs", json_object_get_string(dir));
      int fd = open(path, O_WRONLY | O_CLOEXEC);
      if (fd >= 0) {
        ssize_t w = write(fd, mine, strlen(mine));
        (void)w;
        close(fd);
      }
    }
  }
  json_object_put(state);
  static const struct {
    const char *name;
    int type;
  } NS[] = {{"user", CLONE_NEWUSER}, {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
            {"net", CLONE_NEWNET},   {"pid", CLONE_NEWPID},       {"mnt", CLONE_NEWNS}};
  int fds[7];
  for (int i = 0; i < 7; i++) {
    char mine_ns[64], theirs[64];
    snprintf(mine_ns, sizeof mine_ns, "/proc/self/ns/%s", NS[i].name);
    snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", pid, NS[i].name);
    char a[64] = "", b[64] = "";
    ssize_t la = readlink(mine_ns, a, sizeof a - 1), lb = readlink(theirs, b, sizeof b - 1);
    if (lb < 0) return ts_fail(err, errno, "exec", "container process %d is gone", pid);
    fds[i] = la == lb && strncmp(a, b, (size_t)la) == 0 ? -1 : open(theirs, O_RDONLY | O_CLOEXEC);
  }
  for (int i = 0; i < 7; i++) {
    if (fds[i] < 0) continue;
    if (setns(fds[i], NS[i].type) < 0) return ts_fail(err, errno, "setns", "join %s namespace of %d", NS[i].name, pid);
    close(fds[i]);
  }
  return 0;
}

static void apply_user(ts_spec *spec, const char *user) {
  if (!user) return;
  spec->uid = (uid_t)strtoul(user, NULL, 10);
  const char *colon = strchr(user, ':');
  spec->gid = colon ? (gid_t)strtoul(colon + 1, NULL, 10) : spec->uid;
  if (spec->uid != 0) spec->cap_effective = spec->cap_permitted = spec->cap_ambient = 0;
}

static char **merged_env(const ts_spec *spec, const exec_opts *o) {
  size_t n = 0;
  while (spec->env && spec->env[n]) n++;
  char **env = calloc(n + o->nenv + 1, sizeof *env);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    size_t key = strcspn(spec->env[i], "=");
    int overridden = 0;
    for (size_t j = 0; j < o->nenv; j++)
      if (strncmp(o->env[j], spec->env[i], key + 1) == 0) overridden = 1;
    if (!overridden) env[k++] = spec->env[i];
  }
  for (size_t j = 0; j < o->nenv; j++) env[k++] = o->env[j];
  return env;
}

static void run_child(ts_spec *spec, const exec_opts *o, int tty_slave) {
  ts_error err = {0};
  if (o->resize_fd > 2) close(o->resize_fd); /* the resize channel is ours, not the process's */
  if (tty_slave >= 0) {
    setsid();
    ioctl(tty_slave, TIOCSCTTY, 0);
    for (int i = 0; i < 3; i++) dup2(tty_slave, i);
  }
  const char *cwd = o->cwd ? o->cwd : spec->cwd;
  if (chdir(cwd) < 0) ts_fail(&err, errno, "chdir", "%s", cwd);
  else if (ts_apply_rlimits(spec, &err) == 0 && (spec->no_new_privileges || ts_apply_seccomp(spec, &err) == 0) &&
           ts_apply_identity(spec, &err) == 0 && (!spec->no_new_privileges || ts_apply_seccomp(spec, &err) == 0)) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (spec->has_umask) umask(spec->umask);
    environ = merged_env(spec, o);
    execvp(o->args[0], o->args);
    ts_fail(&err, errno, "exec", "%s", o->args[0]);
  }
  fail(&err);
  _exit(err.errnum == ENOENT ? 127 : 126);
}

/* Applies each complete "ROWS COLS" line of the resize channel; keeps a partial line for the next read. */
static int read_resizes(int fd, int master, char *line, size_t *len, size_t cap) {
  ssize_t n = read(fd, line + *len, cap - *len - 1);
  if (n <= 0) return -1;
  *len += (size_t)n;
  line[*len] = 0;
  char *start = line, *nl;
  while ((nl = strchr(start, '\n'))) {
    unsigned rows, cols;
    *nl = 0;
    if (sscanf(start, "%u %u", &rows, &cols) == 2 && rows <= 65535 && cols <= 65535) {
      struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
      ioctl(master, TIOCSWINSZ, &ws);
    }
    start = nl + 1;
  }
  *len = strlen(start);
  memmove(line, start, *len + 1);
  if (*len >= cap - 1) *len = 0; /* a line that long is garbage: drop it */
  return 0;
}

/* Copies between our stdio and the pty master until the process is gone; applies resizes on the way. */
static void proxy_tty(int master, pid_t child, int resize_fd) {
  struct pollfd p[3] = {{.fd = 0, .events = POLLIN}, {.fd = master, .events = POLLIN}, {.fd = resize_fd, .events = POLLIN}};
  char buf[8192], line[128];
  size_t line_len = 0;
  for (;;) {
    if (poll(p, 3, 200) < 0 && errno != EINTR) break;
    if (p[2].revents && read_resizes(p[2].fd, master, line, &line_len, sizeof line) < 0) p[2].fd = -1;
    if (p[0].revents & POLLIN) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n > 0 && write(master, buf, (size_t)n) < 0) break;
      if (n <= 0) p[0].fd = -1;
    } else if (p[0].revents & (POLLHUP | POLLERR)) {
      p[0].fd = -1;
    }
    if (p[1].revents) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0) break;
      if (write(1, buf, (size_t)n) < 0) break;
    }
    if (waitpid(child, NULL, WNOHANG | WNOWAIT) == child && !(p[1].revents & POLLIN)) break;
  }
}

static pid_t forwarded_child;
static void forward(int sig) {
  if (forwarded_child > 0) kill(forwarded_child, sig);
}

int ts_shim_exec(int argc, char **argv) {
  exec_opts o = {0};
  if (parse_args(argc, argv, &o) < 0) {
    fputs("usage: tsstack-runtime exec STATE_DIR [-t [-s ROWSxCOLS] [-r FD]] [-e K=V]... [-w DIR] [-u UID[:GID]] -- ARGS...\n",
          stderr);
    return 2;
  }
  ts_error err = {0};
  char config[4200];
  snprintf(config, sizeof config, "%s/config.json", o.state_dir);
  ts_spec spec;
  char parent[4200], cache_dir[4300];
  snprintf(parent, sizeof parent, "%s", o.state_dir);
  snprintf(cache_dir, sizeof cache_dir, "%s" TS_SECCOMP_CACHE_SUFFIX, dirname(parent));
  if (ts_spec_load(config, &spec, &err) < 0 || ts_seccomp_prepare(&spec, cache_dir, &err) < 0) return fail(&err);
  apply_user(&spec, o.user);
  if (join_container(o.state_dir, &err) < 0) return fail(&err);
  /* The terminal comes from the container's own devpts (we are in its mount namespace now), so the process
   * sees its /dev/pts/N. */
  int master = -1, slave = -1;
  if (o.tty) {
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    char name[128];
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof name) != 0 ||
        (slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
      return fail(&(ts_error){.errnum = errno, .step = "terminal", .message = "allocate a pty"});
    struct winsize ws = {.ws_row = o.rows, .ws_col = o.cols};
    if (o.rows && o.cols) ioctl(master, TIOCSWINSZ, &ws);
    else if (ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
  }
  pid_t child = fork();
  if (child < 0) return fail(&(ts_error){.errnum = errno, .step = "exec", .message = "fork"});
  if (child == 0) run_child(&spec, &o, slave);
  forwarded_child = child;
  int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) signal(sigs[i], forward);
  if (slave >= 0) close(slave);
  if (master >= 0) proxy_tty(master, child, o.resize_fd);
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
