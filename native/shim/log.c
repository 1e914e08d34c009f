/* The json-lines container log: {"stream":"stdout","time":"<RFC 3339 with ns>","line":"..."} per line, rotated
 * by size like Docker's json-file driver (path, path.1, ... path.<max_file-1>). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

#define LINE_MAX_BYTES 16384

struct ts_log {
  char path[4096];
  int fd;
  int64_t size, max_size;
  int max_file;
  char buf[2][LINE_MAX_BYTES];
  size_t len[2];
};

static const char *STREAMS[] = {"stdout", "stderr"};

ts_log *ts_log_open(const char *path, int64_t max_size, int max_file) {
  ts_log *log = calloc(1, sizeof *log);
  if (!log) return NULL;
  snprintf(log->path, sizeof log->path, "%s", path);
  log->max_size = max_size;
  log->max_file = max_file;
  log->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  struct stat st;
  if (log->fd >= 0 && fstat(log->fd, &st) == 0) log->size = st.st_size;
  return log;
}

static void rotate(ts_log *log) {
  if (log->fd >= 0) close(log->fd);
  char from[4200], to[4200];
  for (int i = log->max_file - 1; i >= 1; i--) {
    if (i == 1) snprintf(from, sizeof from, "%s", log->path);
    else snprintf(from, sizeof from, "%s.%d", log->path, i - 1);
    snprintf(to, sizeof to, "%s.%d", log->path, i);
    rename(from, to);
  }
  log->fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  log->size = 0;
}

static size_t escape_json(const char *in, size_t len, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)in[i];
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if (c == '\n') {
      out[o++] = '\\';
      out[o++] = 'n';
    } else if (c == '\r') {
      out[o++] = '\\';
      out[o++] = 'r';
    } else if (c == '\t') {
      out[o++] = '\\';
      out[o++] = 't';
    } else if (c < 0x20) {
      o += (size_t)sprintf(out + o, "\\u%04x", c);
    } else {
      out[o++] = (char)c;
    }
  }
  return o;
}

static void write_record(ts_log *log, int stream, const char *line, size_t len, int partial) {
  static char out[LINE_MAX_BYTES * 6 + 256];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[64];
  size_t w = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(when + w, sizeof when - w, ".%09ldZ", ts.tv_nsec);
  size_t o = (size_t)sprintf(out, "{\"stream\":\"%s\",\"time\":\"%s\",\"line\":\"", STREAMS[stream], when);
  o += escape_json(line, len, out + o);
  o += (size_t)sprintf(out + o, partial ? "\",\"partial\":true}\n" : "\"}\n");
  if (log->max_size > 0 && log->size > 0 && log->size + (int64_t)o > log->max_size) rotate(log);
  if (log->fd < 0) return;
  ssize_t n = write(log->fd, out, o);
  if (n > 0) log->size += n;
}

void ts_log_feed(ts_log *log, int stream, const char *data, size_t len) {
  for (size_t i = 0; i < len; i++) {
    char c = data[i];
    if (c == '\n') {
      write_record(log, stream, log->buf[stream], log->len[stream], 0);
      log->len[stream] = 0;
      continue;
    }
    log->buf[stream][log->len[stream]++] = c;
    if (log->len[stream] == LINE_MAX_BYTES) {
      write_record(log, stream, log->buf[stream], log->len[stream], 1);
      log->len[stream] = 0;
    }
  }
}

void ts_log_flush(ts_log *log) {
  for (int s = 0; s < 2; s++)
    if (log->len[s]) {
      write_record(log, s, log->buf[s], log->len[s], 1);
      log->len[s] = 0;
    }
}

void ts_log_close(ts_log *log) {
  if (!log) return;
  ts_log_flush(log);
  if (log->fd >= 0) close(log->fd);
  free(log);
}
