/* See container.h. Parent and child talk over two pipes: go/start (parent -> child) and status
 * (child -> parent: 'R' when set up and waiting, 'E' + ts_error on failure). The status pipe is close-on-exec
 * in the child, so a successful exec reads as end of file. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mounts.h"
#include "sealed-init.h"
#include "seccomp.h"
#include "security.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

typedef struct child_fds {
  int go_read, status_write, stdin_fd, stdout_fd, stderr_fd, tty_slave;
  int init_fd; /* sealed copy of the init binary (init: true), else -1 */
  int ns_fds[8];
  int ns_types[8];
  size_t nns_fds;
} child_fds;

static void report(int fd, char kind, const ts_error *err) {
  ts_status_msg msg;
  memset(&msg, 0, sizeof msg);
  msg.kind = kind;
  if (err) msg.err = *err;
  ssize_t n = write(fd, &msg, sizeof msg);
  (void)n;
}

static int wait_byte(int fd, char expected) {
  char c;
  ssize_t n;
  do n = read(fd, &c, 1);
  while (n < 0 && errno == EINTR);
  return n == 1 && c == expected ? 0 : -1;
}

static void reset_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

static int setup_stdio(const child_fds *f, ts_error *err) {
  if (f->tty_slave >= 0) {
    if (setsid() < 0) return ts_fail(err, errno, "terminal", "setsid");
    if (ioctl(f->tty_slave, TIOCSCTTY, 0) < 0) return ts_fail(err, errno, "terminal", "set controlling terminal");
    for (int i = 0; i < 3; i++)
      if (dup2(f->tty_slave, i) < 0) return ts_fail(err, errno, "terminal", "dup2");
    return 0;
  }
  if (dup2(f->stdin_fd, 0) < 0 || dup2(f->stdout_fd, 1) < 0 || dup2(f->stderr_fd, 2) < 0)
    return ts_fail(err, errno, "stdio", "dup2");
  return 0;
}

static int make_cwd(const char *cwd, ts_error *err) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", cwd);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      mkdir(buf, 0755);
      *p = '/';
    }
  mkdir(buf, 0755);
  if (chdir(cwd) < 0) return ts_fail(err, errno, "chdir", "working dir %s", cwd);
  return 0;
}

static int child_setup(const ts_spec *s, const child_fds *f, ts_error *err) {
  for (size_t i = 0; i < f->nns_fds; i++)
    if (setns(f->ns_fds[i], f->ns_types[i]) < 0) return ts_fail(err, errno, "setns", "join namespace %d", f->ns_types[i]);
  if (ts_spec_namespace(s, CLONE_NEWCGROUP) && !ts_spec_namespace(s, CLONE_NEWCGROUP)->path &&
      unshare(CLONE_NEWCGROUP) < 0)
    return ts_fail(err, errno, "unshare", "cgroup namespace");
  if (ts_spec_namespace(s, CLONE_NEWUSER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
    return ts_fail(err, errno, "setuid", "become root of the user namespace");
  if (ts_spec_namespace(s, CLONE_NEWNS)) {
    if (ts_mounts_setup_rootfs(s, err) < 0) return -1;
    if (ts_mounts_finish(s, err) < 0) return -1;
  }
  if (s->hostname && ts_spec_namespace(s, CLONE_NEWUTS) && sethostname(s->hostname, strlen(s->hostname)) < 0)
    return ts_fail(err, errno, "sethostname", "%s", s->hostname);
  if (ts_apply_rlimits(s, err) < 0) return -1;
  if (make_cwd(s->cwd, err) < 0) return -1;
  if (setup_stdio(f, err) < 0) return -1;
  /* Without no_new_privs the kernel takes a filter only from a holder of CAP_SYS_ADMIN: load it while we
   * still are one (as runc does); with it, as late as possible, just before exec. */
  if (!s->no_new_privileges && ts_apply_seccomp(s, err) < 0) return -1;
  return ts_apply_identity(s, err);
}

static void exec_program(const ts_spec *s, int status_fd) {
  ts_error err = {0};
  reset_signals();
  if (s->has_umask) umask(s->umask);
  if (!s->no_new_privileges || ts_apply_seccomp(s, &err) == 0) {
    environ = s->env;
    execvp(s->args[0], s->args);
    ts_fail(&err, errno, "exec", "%s", s->args[0]);
  }
  report(status_fd, 'E', &err);
  _exit(127);
}

/* `init: true`: PID 1 becomes the init (shim/init.c) exec'd from its sealed copy, under the container's
 * filter, identity and environment. It runs the program and reports a failed exec on `status_fd`. */
static void exec_init(const ts_spec *s, int init_fd, int status_fd) {
  ts_error err = {0};
  reset_signals();
  if (s->has_umask) umask(s->umask);
  if (!s->no_new_privileges || ts_apply_seccomp(s, &err) == 0)
    ts_exec_sealed_init(init_fd, status_fd, s->args, s->env, &err);
  report(status_fd, 'E', &err);
  _exit(127);
}

static void child_main(const ts_spec *s, const child_fds *f) {
  ts_error err = {0};
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (wait_byte(f->go_read, 'G') < 0) _exit(126);
  if (child_setup(s, f, &err) < 0) {
    report(f->status_write, 'E', &err);
    _exit(126);
  }
  /* Nothing of the caller may reach the program: every other fd closes on exec. */
  syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  report(f->status_write, 'R', NULL);
  if (wait_byte(f->go_read, 'S') < 0) _exit(126);
  prctl(PR_SET_PDEATHSIG, 0);
  close(f->go_read);
  if (s->init) exec_init(s, f->init_fd, f->status_write);
  exec_program(s, f->status_write);
}

static int write_idmap(pid_t pid, const char *file, const ts_idmap *maps, size_t n, ts_error *err) {
  char path[64], buf[512] = "";
  size_t off = 0;
  for (size_t i = 0; i < n; i++) off += (size_t)snprintf(buf + off, sizeof buf - off, "%u %u %u\n", maps[i].container, maps[i].host, maps[i].size);
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ts_fail(err, errno, "user namespace", "open %s", path);
  ssize_t w = write(fd, buf, off);
  int saved = errno;
  close(fd);
  return w < 0 ? ts_fail(err, saved, "user namespace", "write %s", path) : 0;
}

/* The maps are written by us, root of the parent user namespace, so setgroups stays allowed in the child. */
static int setup_user_ns(const ts_spec *s, pid_t pid, ts_error *err) {
  if (write_idmap(pid, "uid_map", s->uid_maps, s->nuid_maps, err) < 0) return -1;
  return write_idmap(pid, "gid_map", s->gid_maps, s->ngid_maps, err);
}

static int open_pty(int *master, int *slave, ts_error *err) {
  *master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*master < 0) return ts_fail(err, errno, "terminal", "open /dev/ptmx");
  if (grantpt(*master) < 0 || unlockpt(*master) < 0) return ts_fail(err, errno, "terminal", "unlock pty");
  char name[128];
  if (ptsname_r(*master, name, sizeof name) != 0) return ts_fail(err, errno, "terminal", "ptsname");
  *slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*slave < 0) return ts_fail(err, errno, "terminal", "open %s", name);
  return 0;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}


int ts_container_create(const ts_spec *s, ts_container *c, ts_error *err) {
  memset(c, 0, sizeof *c);
  c->pid = -1;
  int go[2] = {-1, -1}, status[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
  child_fds f = {.go_read = -1, .status_write = -1, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1, .tty_slave = -1,
                 .init_fd = -1};
  int master = -1;
  unsigned long flags = 0;
  for (size_t i = 0; i < s->nnamespaces; i++) {
    const ts_namespace *ns = &s->namespaces[i];
    if (ns->path) {
      int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        ts_fail(err, errno, "setns", "open namespace %s", ns->path);
        goto fail;
      }
      f.ns_fds[f.nns_fds] = fd;
      f.ns_types[f.nns_fds++] = ns->type;
    } else if (ns->type != CLONE_NEWCGROUP) {
      flags |= (unsigned long)ns->type;
    }
  }
  if (s->init) {
    f.init_fd = s->init_fd >= 0 ? fcntl(s->init_fd, F_DUPFD_CLOEXEC, 3) : ts_sealed_init(s->init_path, err);
    if (f.init_fd < 0) {
      if (s->init_fd >= 0) ts_fail(err, errno, "init", "dup the sealed init");
      goto fail;
    }
  }
  if (s->cgroups_path) {
    if (ts_cgroup_create(s->cgroups_path, &s->resources, &c->cgroup, err) < 0) goto fail;
    c->has_cgroup = 1;
  }
  if (pipe2(go, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0) {
    ts_fail(err, errno, "pipe", "sync pipes");
    goto fail;
  }
  if (s->terminal) {
    if (open_pty(&master, &f.tty_slave, err) < 0) goto fail;
  } else {
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
      ts_fail(err, errno, "pipe", "stdio pipes");
      goto fail;
    }
    f.stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    f.stdout_fd = out[1];
    f.stderr_fd = errp[1];
  }
  f.go_read = go[0];
  f.status_write = status[1];
  pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0) {
    ts_fail(err, errno, "clone", "new namespaces 0x%lx", flags);
    goto fail;
  }
  if (pid == 0) child_main(s, &f);
  c->pid = pid;
  close_fd(&go[0]);
  close_fd(&status[1]);
  close_fd(&out[1]);
  close_fd(&errp[1]);
  close_fd(&f.stdin_fd);
  close_fd(&f.tty_slave);
  close_fd(&f.init_fd);
  for (size_t i = 0; i < f.nns_fds; i++) close(f.ns_fds[i]);
  f.nns_fds = 0;
  if (c->has_cgroup && ts_cgroup_enter(&c->cgroup, pid, err) < 0) goto fail;
  if (ts_spec_namespace(s, CLONE_NEWUSER) && !ts_spec_namespace(s, CLONE_NEWUSER)->path && setup_user_ns(s, pid, err) < 0) goto fail;
  if (write(go[1], "G", 1) != 1) {
    ts_fail(err, errno, "sync", "release the child");
    goto fail;
  }
  ts_status_msg msg;
  int n = ts_read_status(status[0], &msg);
  if (n != (int)sizeof msg || msg.kind != 'R') {
    if (n == (int)sizeof msg && msg.kind == 'E') *err = msg.err;
    else ts_fail(err, 0, "create", "the container process died during set-up");
    goto fail;
  }
  c->start_fd = go[1];
  c->status_fd = status[0];
  c->stdout_fd = s->terminal ? master : out[0];
  c->stderr_fd = s->terminal ? -1 : errp[0];
  return 0;
fail:
  if (c->pid > 0) {
    kill(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
    c->pid = -1;
  }
  for (size_t i = 0; i < f.nns_fds; i++) close(f.ns_fds[i]);
  close_fd(&go[0]);
  close_fd(&go[1]);
  close_fd(&status[0]);
  close_fd(&status[1]);
  close_fd(&out[0]);
  close_fd(&out[1]);
  close_fd(&errp[0]);
  close_fd(&errp[1]);
  close_fd(&f.stdin_fd);
  close_fd(&f.tty_slave);
  close_fd(&f.init_fd);
  close_fd(&master);
  if (c->has_cgroup) ts_cgroup_destroy(&c->cgroup);
  c->has_cgroup = 0;
  return -1;
}
