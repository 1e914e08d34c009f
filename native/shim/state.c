/* state.json of a container, written by the creator and rewritten by the supervisor on every change. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

long ts_pid_start_time(pid_t pid) {
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

void ts_write_state(const char *state_dir, const char *status, pid_t pid, const ts_cgroup *cg, int64_t created_at,
                    int64_t started_at) {
  char cgroup[TS_CGROUP_MAX_DIRS * 300 + 64] = "null";
  if (cg) ts_cgroup_to_json(cg, cgroup, sizeof cgroup);
  char state[sizeof cgroup + 512];
  snprintf(state, sizeof state,
           "{\"status\":\"%s\",\"pid\":%d,\"pidStartTime\":%ld,\"shimPid\":%d,\"shimStartTime\":%ld,\"createdAt\":%lld,"
           "\"startedAt\":%lld,\"cgroup\":%s}\n",
           status, (int)pid, ts_pid_start_time(pid), (int)getpid(), ts_pid_start_time(getpid()), (long long)created_at,
           (long long)started_at, cgroup);
  ts_write_file_atomic(state_dir, "state.json", state);
}
