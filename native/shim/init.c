/* `tsstack-init -- PROGRAM ARGS...`: PID 1 of an `init: true` container, exec'd from a sealed memfd
 * (core/sealed-init.h) with the container's environment and under its filter and identity. It makes
 * itself non-dumpable (so /proc/1 is out of reach of the container's processes without CAP_SYS_PTRACE), runs
 * the program, forwards every signal to it, reaps every child, and exits as the program did (128 + signal when
 * it was killed, as tini does). A failed exec of the program is reported on the status pipe (fd
 * TS_INIT_STATUS_FD), as without init. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/container.h"
#include "core/sealed-init.h"
#include "shim.h"

/* What the container's creator reads when start fails: the step and errno, as without init. */
static void report_failure(int fd, int errnum, const char *step, const char *what) {
  ts_status_msg msg;
  memset(&msg, 0, sizeof msg);
  msg.kind = 'E';
  ts_fail(&msg.err, errnum, step, "%s", what);
  ssize_t n = write(fd, &msg, sizeof msg);
  (void)n;
}

static void run_program(int status_fd, char **args) {
  sigset_t none;
  sigemptyset(&none);
  fcntl(status_fd, F_SETFD, FD_CLOEXEC);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execvp(args[0], args);
  report_failure(status_fd, errno, "exec", args[0]);
  _exit(127);
}

int ts_init_main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[0], "--") != 0) return 2;
  int status_fd = TS_INIT_STATUS_FD;
  /* Never run dumpable: a profile that refuses prctl makes the start fail rather than weaken PID 1. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
    report_failure(status_fd, errno, "init", "make PID 1 non-dumpable");
    return 127;
  }
  prctl(PR_SET_NAME, "tsstack-init", 0, 0, 0); /* else "memfd:tsstack-i", from the file exec'd */
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);
  pid_t program = fork();
  if (program < 0) {
    report_failure(status_fd, errno, "init", "fork the program");
    return 127;
  }
  if (program == 0) run_program(status_fd, argv + 1);
  syscall(SYS_close_range, 3, ~0U, 0);
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(program, sig);
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
      if (pid == program) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
}
