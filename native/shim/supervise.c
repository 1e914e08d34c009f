/* `tsstack-shim create`: makes the container, detaches from the caller, then supervises it: log, control
 * socket (start, state, kill, wait), exit record. The shim exits after the container has and its cgroup is
 * gone, leaving exit.json beside state.json. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/container.h"
#include "core/spec.h"
#include "shim.h"

#define MAX_CLIENTS 32

typedef struct shim {
  const char *state_dir;
  ts_spec spec;
  ts_container c;
  ts_log *log;
  int listen_fd, signal_fd;
  int clients[MAX_CLIENTS];
  int waiting[MAX_CLIENTS];
  const char *status;
  int64_t created_at, started_at;
  char exit_json[256];
} shim;

static long pid_start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  for (int field = 2; p && field < 22; field++) p = strchr(p + 1, ' ');
  return p ? strtol(p + 1, NULL, 10) : -1;
}

static void write_state(shim *s) {
  char cgroup[TS_CGROUP_MAX_DIRS * 300 + 64] = "null";
  if (s->c.has_cgroup) ts_cgroup_to_json(&s->c.cgroup, cgroup, sizeof cgroup);
  char state[sizeof cgroup + 512];
  snprintf(state, sizeof state,
           "{\"status\":\"%s\",\"pid\":%d,\"pidStartTime\":%ld,\"shimPid\":%d,\"shimStartTime\":%ld,\"createdAt\":%lld,"
           "\"startedAt\":%lld,\"cgroup\":%s}\n",
           s->status, (int)s->c.pid, pid_start_time(s->c.pid), (int)getpid(), pid_start_time(getpid()),
           (long long)s->created_at, (long long)s->started_at, cgroup);
  ts_write_file_atomic(s->state_dir, "state.json", state);
}

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

static void reply(int fd, const char *line) {
  ssize_t n = send(fd, line, strlen(line), MSG_NOSIGNAL);
  (void)n;
}

static void drop_client(shim *s, int i) {
  close(s->clients[i]);
  s->clients[i] = -1;
  s->waiting[i] = 0;
}

static void handle_command(shim *s, int i, char *line) {
  char out[900];
  int fd = s->clients[i];
  if (strcmp(line, "start") == 0) {
    if (strcmp(s->status, "created") != 0) {
      snprintf(out, sizeof out, "{\"ok\":false,\"code\":\"EINVAL\",\"message\":\"container is %s, not created\"}\n", s->status);
      reply(fd, out);
      return;
    }
    ts_error err = {0};
    if (ts_container_start(&s->c, &err) < 0) {
      char msg[600];
      ts_error_format(&err, msg, sizeof msg);
      for (char *p = msg; *p; p++)
        if (*p == '"' || *p == '\\') *p = '\'';
      snprintf(out, sizeof out, "{\"ok\":false,\"errno\":%d,\"code\":\"%s\",\"step\":\"%s\",\"message\":\"%s\"}\n", err.errnum,
               ts_errno_name(err.errnum), err.step, msg);
      reply(fd, out);
      return;
    }
    s->status = "running";
    s->started_at = ts_now_ms();
    write_state(s);
    reply(fd, "{\"ok\":true}\n");
  } else if (strcmp(line, "state") == 0) {
    snprintf(out, sizeof out, "{\"ok\":true,\"status\":\"%s\",\"pid\":%d}\n", s->status, (int)s->c.pid);
    reply(fd, out);
  } else if (strncmp(line, "kill ", 5) == 0) {
    int sig = atoi(line + 5);
    if (sig <= 0 || sig >= NSIG || kill(s->c.pid, sig) < 0) {
      snprintf(out, sizeof out, "{\"ok\":false,\"code\":\"%s\",\"message\":\"kill %s\"}\n", ts_errno_name(sig <= 0 ? EINVAL : errno), line + 5);
      reply(fd, out);
      return;
    }
    reply(fd, "{\"ok\":true}\n");
  } else if (strcmp(line, "wait") == 0) {
    s->waiting[i] = 1;
  } else {
    reply(fd, "{\"ok\":false,\"code\":\"EINVAL\",\"message\":\"unknown command\"}\n");
  }
}

static void read_client(shim *s, int i) {
  char buf[256];
  ssize_t n = recv(s->clients[i], buf, sizeof buf - 1, 0);
  if (n <= 0) {
    drop_client(s, i);
    return;
  }
  buf[n] = 0;
  for (char *line = buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
    *nl = 0;
    handle_command(s, i, line);
    if (s->clients[i] < 0) return;
  }
}

static void accept_client(shim *s) {
  int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0) return;
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (s->clients[i] < 0) {
      s->clients[i] = fd;
      return;
    }
  close(fd);
}

static int pump(shim *s, int *fd, int stream) {
  char buf[65536];
  ssize_t n = read(*fd, buf, sizeof buf);
  if (n > 0) {
    if (s->log) ts_log_feed(s->log, stream, buf, (size_t)n);
    return 1;
  }
  if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    close(*fd);
    *fd = -1;
  }
  return 0;
}

/* After the exit, what is still in the pipes is logged; processes left in the pid namespace are killed with
 * its PID 1, so the pipes reach end of file quickly. A tty master reads EIO once the slave is gone. */
static void drain(shim *s) {
  int64_t deadline = ts_now_ms() + 2000;
  while ((s->c.stdout_fd >= 0 || s->c.stderr_fd >= 0) && ts_now_ms() < deadline) {
    struct pollfd p[2] = {{.fd = s->c.stdout_fd, .events = POLLIN}, {.fd = s->c.stderr_fd, .events = POLLIN}};
    if (poll(p, 2, 100) <= 0) continue;
    if (s->c.stdout_fd >= 0 && p[0].revents) pump(s, &s->c.stdout_fd, 0);
    if (s->c.stderr_fd >= 0 && p[1].revents) pump(s, &s->c.stderr_fd, 1);
  }
}

static void record_exit(shim *s, int status) {
  drain(s);
  if (s->log) ts_log_flush(s->log);
  long oom = s->c.has_cgroup ? ts_cgroup_oom_kills(&s->c.cgroup) : -1;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  char signal_json[32] = "null";
  if (WIFSIGNALED(status)) snprintf(signal_json, sizeof signal_json, "\"%s\"", sigabbrev_np(WTERMSIG(status)));
  snprintf(s->exit_json, sizeof s->exit_json, "{\"exitCode\":%d,\"signal\":%s,\"oomKilled\":%s,\"finishedAt\":%lld}\n", code,
           signal_json, oom > 0 ? "true" : "false", (long long)ts_now_ms());
  ts_write_file_atomic(s->state_dir, "exit.json", s->exit_json);
  if (s->c.has_cgroup) ts_cgroup_destroy(&s->c.cgroup);
  s->status = "stopped";
  write_state(s);
}

static void supervise(shim *s) {
  for (;;) {
    struct pollfd p[4 + MAX_CLIENTS];
    int n = 0;
    p[n++] = (struct pollfd){.fd = s->signal_fd, .events = POLLIN};
    p[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
    p[n++] = (struct pollfd){.fd = s->c.stdout_fd, .events = POLLIN};
    p[n++] = (struct pollfd){.fd = s->c.stderr_fd, .events = POLLIN};
    for (int i = 0; i < MAX_CLIENTS; i++) p[n++] = (struct pollfd){.fd = s->clients[i], .events = POLLIN};
    if (poll(p, (nfds_t)n, -1) < 0) continue;
    if (p[2].revents) pump(s, &s->c.stdout_fd, 0);
    if (p[3].revents) pump(s, &s->c.stderr_fd, 1);
    if (p[1].revents) accept_client(s);
    for (int i = 0; i < MAX_CLIENTS; i++)
      if (s->clients[i] >= 0 && p[4 + i].revents) read_client(s, i);
    if (p[0].revents) {
      struct signalfd_siginfo info;
      while (read(s->signal_fd, &info, sizeof info) == sizeof info) {
      }
      int status;
      if (waitpid(s->c.pid, &status, WNOHANG) == s->c.pid) {
        record_exit(s, status);
        for (int i = 0; i < MAX_CLIENTS; i++)
          if (s->clients[i] >= 0 && s->waiting[i]) reply(s->clients[i], s->exit_json);
        return;
      }
    }
  }
}

static void detach(void) {
  pid_t pid = fork();
  if (pid < 0) _exit(1);
  if (pid > 0) _exit(0);
  setsid();
}

int ts_shim_create(const char *state_dir, const char *config_path, int result_fd) {
  /* Nothing of the caller but the result fd stays open in the shim. */
  syscall(SYS_close_range, result_fd + 1, ~0U, 0);
  detach();
  shim s = {.state_dir = state_dir, .listen_fd = -1, .status = "created", .created_at = ts_now_ms()};
  for (int i = 0; i < MAX_CLIENTS; i++) s.clients[i] = -1;
  ts_error err = {0};
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  signal(SIGPIPE, SIG_IGN);
  /* The container is created with SIGCHLD blocked, so its exit cannot slip by before the signalfd exists. */
  sigprocmask(SIG_BLOCK, &mask, NULL);
  if (ts_spec_load(config_path, &s.spec, &err) < 0 || ts_container_create(&s.spec, &s.c, &err) < 0) {
    ts_report_error(result_fd, &err);
    return 1;
  }
  s.signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  s.listen_fd = open_control_socket(state_dir, &err);
  if (s.listen_fd < 0) {
    kill(s.c.pid, SIGKILL);
    waitpid(s.c.pid, NULL, 0);
    if (s.c.has_cgroup) ts_cgroup_destroy(&s.c.cgroup);
    ts_report_error(result_fd, &err);
    return 1;
  }
  char log_path[4200];
  if (s.spec.log_path) snprintf(log_path, sizeof log_path, "%s", s.spec.log_path);
  else snprintf(log_path, sizeof log_path, "%s/container.log", state_dir);
  s.log = ts_log_open(log_path, s.spec.log_max_size, s.spec.log_max_file);
  write_state(&s);
  char ok[64];
  int n = snprintf(ok, sizeof ok, "ok %d %d\n", (int)s.c.pid, (int)getpid());
  ssize_t w = write(result_fd, ok, (size_t)n);
  (void)w;
  close(result_fd);
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; fd++) dup2(devnull, fd);
  if (devnull > 2) close(devnull);
  supervise(&s);
  char sock[4200];
  snprintf(sock, sizeof sock, "%s/control.sock", state_dir);
  unlink(sock);
  ts_log_close(s.log);
  return 0;
}
