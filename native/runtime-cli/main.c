/* tsstack-runtime: an OCI-runtime-style command (create, start, state, kill, delete, run) over tsstack's own
 * core. Each container is supervised by a tsstack-shim, exactly as the agent's containers are, so a bundle's
 * config.json can be checked against runc and crun. State: <root>/<id>/ (default root /run/tsstack-runtime). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim.h"

static const char *root_dir = "/run/tsstack-runtime";

static int usage(void) {
  fputs("usage: tsstack-runtime [--root DIR] create --bundle DIR ID\n"
        "       tsstack-runtime [--root DIR] start|state|delete [--force]|kill ID [SIGNAL]\n"
        "       tsstack-runtime [--root DIR] run --bundle DIR ID\n"
        "       tsstack-runtime exec STATE_DIR [-t] [-e K=V]... [-w DIR] [-u UID[:GID]] -- ARGS...\n",
        stderr);
  return 2;
}

static void state_dir(const char *id, char *out, size_t len) { snprintf(out, len, "%s/%s", root_dir, id); }


/* One command to the shim, one JSON line back into `reply`. Returns -1 when the shim is gone. */
static int ask(const char *id, const char *command, char *reply, size_t len) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s/%s/control.sock", root_dir, id);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  dprintf(fd, "%s\n", command);
  size_t off = 0;
  while (off < len - 1) {
    ssize_t n = read(fd, reply + off, len - 1 - off);
    if (n <= 0) break;
    off += (size_t)n;
    if (memchr(reply, '\n', off)) break;
  }
  reply[off] = 0;
  close(fd);
  return off ? 0 : -1;
}

static int read_file(const char *path, char *buf, size_t len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, len - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = 0;
  return 0;
}

static long json_number(const char *json, const char *key) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  const char *p = strstr(json, pattern);
  return p ? strtol(p + strlen(pattern), NULL, 10) : -1;
}

static int cmd_create(const char *bundle, const char *id) {
  char dir[PATH_MAX], config[PATH_MAX], bundle_abs[PATH_MAX];
  if (!realpath(bundle, bundle_abs)) {
    fprintf(stderr, "tsstack-runtime: bundle %s: %s\n", bundle, strerror(errno));
    return 1;
  }
  mkdir(root_dir, 0700);
  state_dir(id, dir, sizeof dir);
  if (mkdir(dir, 0700) < 0) {
    fprintf(stderr, "tsstack-runtime: container %s: %s\n", id, errno == EEXIST ? "already exists" : strerror(errno));
    return 1;
  }
  snprintf(config, sizeof config, "%s/config.json", bundle_abs);
  char bundle_file[PATH_MAX + 16];
  snprintf(bundle_file, sizeof bundle_file, "%s/bundle", dir);
  FILE *f = fopen(bundle_file, "we");
  if (f) {
    fputs(bundle_abs, f);
    fclose(f);
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 3);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    /* The caller's environment stays out of the creator, the shim and the container process. */
    execle("/proc/self/exe", "tsstack-runtime", "shim-create", dir, config, (char *)NULL, (char *[]){NULL});
    _exit(127);
  }
  close(fds[1]);
  char line[1024] = "";
  size_t off = 0;
  ssize_t n;
  /* Up to the newline: the container's process holds the pipe open until it execs. */
  while (off < sizeof line - 1 && !memchr(line, '\n', off) && (n = read(fds[0], line + off, sizeof line - 1 - off)) > 0)
    off += (size_t)n;
  line[off] = 0;
  close(fds[0]);
  waitpid(pid, NULL, 0);
  if (strncmp(line, "ok ", 3) == 0) return 0;
  char *tab = strchr(line, '\t');
  fprintf(stderr, "tsstack-runtime: create %s: %s", id, tab ? tab + 1 : (*line ? line : "the shim did not answer\n"));
  char rm[PATH_MAX + 16];
  snprintf(rm, sizeof rm, "%s/bundle", dir);
  unlink(rm);
  rmdir(dir);
  return 1;
}

static int cmd_simple(const char *id, const char *command) {
  char reply[1024];
  if (ask(id, command, reply, sizeof reply) < 0) {
    fprintf(stderr, "tsstack-runtime: container %s is not running\n", id);
    return 1;
  }
  if (strstr(reply, "\"ok\":true")) return 0;
  fprintf(stderr, "tsstack-runtime: %s %s: %s", command, id, reply);
  return 1;
}

static int cmd_state(const char *id) {
  char dir[PATH_MAX], path[PATH_MAX + 32], state[4096], bundle[PATH_MAX] = "";
  state_dir(id, dir, sizeof dir);
  snprintf(path, sizeof path, "%s/state.json", dir);
  if (read_file(path, state, sizeof state) < 0) {
    fprintf(stderr, "tsstack-runtime: container %s does not exist\n", id);
    return 1;
  }
  snprintf(path, sizeof path, "%s/bundle", dir);
  read_file(path, bundle, sizeof bundle);
  snprintf(path, sizeof path, "%s/exit.json", dir);
  char exit_json[256];
  const char *status = read_file(path, exit_json, sizeof exit_json) == 0 ? "stopped"
                       : strstr(state, "\"status\":\"running\"")    ? "running"
                                                                    : "created";
  printf("{\"ociVersion\":\"1.0.2\",\"id\":\"%s\",\"status\":\"%s\",\"pid\":%ld,\"bundle\":\"%s\"}\n", id, status,
         strcmp(status, "stopped") == 0 ? 0 : json_number(state, "pid"), bundle);
  return 0;
}

static int parse_signal(const char *s) {
  if (!s) return SIGTERM;
  if (s[0] >= '0' && s[0] <= '9') return atoi(s);
  if (strncmp(s, "SIG", 3) == 0) s += 3;
  for (int sig = 1; sig < NSIG; sig++)
    if (sigabbrev_np(sig) && strcmp(sigabbrev_np(sig), s) == 0) return sig;
  return -1;
}

static int wait_exit(const char *id) {
  char reply[512], dir[PATH_MAX], path[PATH_MAX + 32];
  if (ask(id, "wait", reply, sizeof reply) < 0 || json_number(reply, "exitCode") < 0) {
    state_dir(id, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/exit.json", dir);
    for (int i = 0; i < 500 && read_file(path, reply, sizeof reply) < 0; i++) usleep(10000);
  }
  long code = json_number(reply, "exitCode");
  return code < 0 ? 255 : (int)code;
}

static int cmd_delete(const char *id, int force) {
  char dir[PATH_MAX], path[PATH_MAX + 32], reply[512];
  state_dir(id, dir, sizeof dir);
  if (access(dir, F_OK) < 0) {
    fprintf(stderr, "tsstack-runtime: container %s does not exist\n", id);
    return 1;
  }
  if (ask(id, "state", reply, sizeof reply) == 0) {
    if (!force && strstr(reply, "\"status\":\"running\"")) {
      fprintf(stderr, "tsstack-runtime: container %s is running; kill it first or use --force\n", id);
      return 1;
    }
    char kill_cmd[16];
    snprintf(kill_cmd, sizeof kill_cmd, "kill %d", SIGKILL);
    ask(id, kill_cmd, reply, sizeof reply);
    wait_exit(id);
  }
  const char *files[] = {"state.json", "exit.json", "bundle", "container.log", "container.log.1", "container.log.2", "control.sock"};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    unlink(path);
  }
  snprintf(path, sizeof path, "%s/rootfs", dir);
  rmdir(path);
  if (rmdir(dir) < 0) {
    fprintf(stderr, "tsstack-runtime: delete %s: %s\n", dir, strerror(errno));
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "shim-create") == 0) return ts_shim_create(argv[2], argv[3], fcntl(3, F_GETFD) >= 0 ? 3 : 1);
  if (argc >= 3 && strcmp(argv[1], "exec") == 0) return ts_shim_exec(argc - 2, argv + 2);
  int i = 1;
  if (i + 1 < argc && strcmp(argv[i], "--root") == 0) {
    root_dir = argv[i + 1];
    i += 2;
  }
  if (i >= argc) return usage();
  const char *cmd = argv[i++];
  const char *bundle = ".";
  int force = 0;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if ((strcmp(argv[i], "--bundle") == 0 || strcmp(argv[i], "-b") == 0) && i + 1 < argc) bundle = argv[++i];
    else if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0) force = 1;
    else return usage();
  }
  if (i >= argc) return usage();
  const char *id = argv[i++];
  if (strcmp(cmd, "create") == 0) return cmd_create(bundle, id);
  if (strcmp(cmd, "start") == 0) return cmd_simple(id, "start");
  if (strcmp(cmd, "state") == 0) return cmd_state(id);
  if (strcmp(cmd, "delete") == 0) return cmd_delete(id, force);
  if (strcmp(cmd, "kill") == 0) {
    int sig = parse_signal(i < argc ? argv[i] : NULL);
    if (sig <= 0) return usage();
    char kill_cmd[16];
    snprintf(kill_cmd, sizeof kill_cmd, "kill %d", sig);
    return cmd_simple(id, kill_cmd);
  }
  if (strcmp(cmd, "run") == 0) {
    if (cmd_create(bundle, id) != 0) return 1;
    if (cmd_simple(id, "start") != 0) {
      cmd_delete(id, 1);
      return 1;
    }
    int code = wait_exit(id);
    cmd_delete(id, 1);
    return code;
  }
  return usage();
}
