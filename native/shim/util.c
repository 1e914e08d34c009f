/* Small helpers of the shim: time, atomic files, the result line. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

int64_t ts_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ts_write_file_atomic(const char *dir, const char *name, const char *content) {
  char tmp[4200], path[4200];
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  size_t len = strlen(content);
  ssize_t n = write(fd, content, len);
  close(fd);
  if (n != (ssize_t)len) return -1;
  return rename(tmp, path);
}

void ts_report_error(int fd, const ts_error *err) {
  char line[700];
  int n = snprintf(line, sizeof line, "err %d %s\t%s\n", err->errnum, err->step, err->message);
  for (int i = 0; i < n - 1; i++)
    if (line[i] == '\n') line[i] = ' ';
  ssize_t w = write(fd, line, (size_t)n);
  (void)w;
}
