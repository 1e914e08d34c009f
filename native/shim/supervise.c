/* tsstack-shim: the per-container supervisor. `tsstack-runtime shim-create` makes the container and execs
 * this program, which stays the parent of the container's first process: it keeps the log, answers the control
 * socket (start, state, kill, wait) and records the exit. It exits after the container has and its cgroup is
 * gone, leaving exit.json beside state.json. Kept small: one runs per container. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/container.h"
#include "shim.h"

#define MAX_CLIENTS 32

typedef struct shim {
  const char *state_dir;
  ts_container c;
  ts_log *log;
  int listen_fd, signal_fd;
  int clients[MAX_CLIENTS];
  int waiting[MAX_CLIENTS];
  const char *status;
  int64_t created_at, started_at;
  char exit_json[256];
} shim;

static void write_state(shim *s) {
  ts_write_state(s->state_dir, s->status, s->c.pid, s->c.has_cgroup ? &s->c.cgroup : NULL, s->created_at, s->started_at);
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
  char buf[16384];
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

static void unlink_socket(const char *state_dir) {
  char sock[4200];
  snprintf(sock, sizeof sock, "%s/control.sock", state_dir);
  unlink(sock);
}

/* `tsstack-shim supervise STATE_DIR PID START STATUS STDOUT STDERR LISTEN CREATED_AT LOG MAX_SIZE MAX_FILE
 * CG_VERSION [CONTROLLER=DIR]...`: the re-exec'd shim; internal, run only by create. */
int ts_shim_supervise(int argc, char **argv) {
  if (argc < 12) return 2;
  shim s = {.state_dir = argv[0], .status = "created"};
  for (int i = 0; i < MAX_CLIENTS; i++) s.clients[i] = -1;
  s.c.pid = atoi(argv[1]);
  int *fds[] = {&s.c.start_fd, &s.c.status_fd, &s.c.stdout_fd, &s.c.stderr_fd, &s.listen_fd};
  for (int i = 0; i < 5; i++) {
    *fds[i] = atoi(argv[2 + i]);
    if (*fds[i] >= 0) fcntl(*fds[i], F_SETFD, FD_CLOEXEC);
  }
  s.created_at = strtoll(argv[7], NULL, 10);
  s.c.cgroup.version = atoi(argv[11]);
  s.c.has_cgroup = s.c.cgroup.version > 0;
  for (int i = 12; i < argc && s.c.cgroup.ndirs < TS_CGROUP_MAX_DIRS; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq) continue;
    size_t n = s.c.cgroup.ndirs++;
    snprintf(s.c.cgroup.controller[n], sizeof s.c.cgroup.controller[n], "%.*s", (int)(eq - argv[i]), argv[i]);
    snprintf(s.c.cgroup.dir[n], sizeof s.c.cgroup.dir[n], "%s", eq + 1);
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  signal(SIGPIPE, SIG_IGN);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  s.signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  s.log = ts_log_open(argv[8], strtoll(argv[9], NULL, 10), atoi(argv[10]));
  supervise(&s);
  unlink_socket(s.state_dir);
  ts_log_close(s.log);
  return 0;
}
