/* See seccomp-cache.h. File layout: "TSBPF1\n", u32 key length, the key, u32 instruction count, the
 * instructions. */
#include "seccomp-cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "TSBPF1\n"
#define MAX_FILE (1 << 20)
#define MAX_ENTRIES 256

static int safe_owned(int fd, mode_t type) {
  struct stat st;
  return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == type && st.st_uid == geteuid() && !(st.st_mode & 022);
}

static int open_dir(const char *dir, int create) {
  if (!dir) return -1;
  if (create && mkdir(dir, 0700) < 0 && errno != EEXIST) return -1;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 && !safe_owned(fd, S_IFDIR)) {
    close(fd);
    return -1;
  }
  return fd;
}

static void file_name(const char *key, char *out, size_t len) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a: only names the file; the key inside decides */
  for (const unsigned char *p = (const unsigned char *)key; *p; p++) h = (h ^ *p) * 1099511628211ULL;
  snprintf(out, len, "%016llx.bpf", (unsigned long long)h);
}

static ssize_t read_all(int fd, char *buf, size_t len) {
  size_t off = 0;
  while (off < len) {
    ssize_t n = read(fd, buf + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += (size_t)n;
  }
  return (ssize_t)off;
}

static struct sock_filter *parse(const char *buf, size_t size, const char *key, unsigned short *len) {
  size_t klen = strlen(key), off = sizeof MAGIC - 1;
  uint32_t n32;
  if (size < off + 4 || memcmp(buf, MAGIC, off) != 0) return NULL;
  memcpy(&n32, buf + off, 4);
  off += 4;
  if (n32 != klen || size < off + klen + 4 || memcmp(buf + off, key, klen) != 0) return NULL;
  off += klen;
  memcpy(&n32, buf + off, 4);
  off += 4;
  if (n32 == 0 || n32 > BPF_MAXINSNS || size != off + (size_t)n32 * sizeof(struct sock_filter)) return NULL;
  struct sock_filter *insns = malloc((size_t)n32 * sizeof *insns);
  if (!insns) return NULL;
  memcpy(insns, buf + off, (size_t)n32 * sizeof *insns);
  *len = (unsigned short)n32;
  return insns;
}

struct sock_filter *ts_seccomp_cache_get(const char *dir, const char *key, unsigned short *len) {
  int dfd = open_dir(dir, 0);
  if (dfd < 0) return NULL;
  char name[32];
  file_name(key, name, sizeof name);
  int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  close(dfd);
  if (fd < 0) return NULL;
  struct stat st;
  struct sock_filter *insns = NULL;
  char *buf = NULL;
  if (safe_owned(fd, S_IFREG) && fstat(fd, &st) == 0 && st.st_size <= MAX_FILE && (buf = malloc((size_t)st.st_size + 1)) &&
      read_all(fd, buf, (size_t)st.st_size) == st.st_size)
    insns = parse(buf, (size_t)st.st_size, key, len);
  free(buf);
  close(fd);
  return insns;
}

static int entries(int dfd) {
  int fd = dup(dfd);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    if (fd >= 0) close(fd);
    return MAX_ENTRIES;
  }
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

static int write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

void ts_seccomp_cache_put(const char *dir, const char *key, const struct sock_filter *insns, unsigned short len) {
  int dfd = open_dir(dir, 1);
  if (dfd < 0) return;
  char name[32], tmp[64];
  file_name(key, name, sizeof name);
  snprintf(tmp, sizeof tmp, ".tmp.%d.%s", (int)getpid(), name);
  uint32_t klen = (uint32_t)strlen(key), n = len;
  int fd = entries(dfd) < MAX_ENTRIES ? openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
  if (fd >= 0) {
    int ok = write_all(fd, MAGIC, sizeof MAGIC - 1) == 0 && write_all(fd, &klen, 4) == 0 &&
             write_all(fd, key, klen) == 0 && write_all(fd, &n, 4) == 0 &&
             write_all(fd, insns, (size_t)len * sizeof *insns) == 0;
    close(fd);
    if (!ok || renameat(dfd, tmp, dfd, name) < 0) unlinkat(dfd, tmp, 0);
  }
  close(dfd);
}
