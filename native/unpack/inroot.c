/* Paths inside the root, kernel-enforced: openat2(RESOLVE_IN_ROOT) treats the root fd as "/" for every
 * symlink and ".." met on the way, so a path an archive names can never resolve outside it. Parent
 * directories are resolved to O_PATH fds (a few cached, forgotten whenever the tree changes shape) and the
 * last component is always handled with *at() calls that do not follow it. */
#include "unpack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RESOLVE_FLAGS (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

int ux_open_in(int rootfd, const char *rel, int flags, mode_t mode) {
  struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .mode = mode, .resolve = RESOLVE_FLAGS};
  const char *p = *rel ? rel : ".";
  for (int tries = 0; tries < 64; tries++) {
    long fd = syscall(SYS_openat2, rootfd, p, &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) return (int)fd;
  }
  return -1;
}

int ux_root_open(ux_root *r, const char *path, ux_error *err) {
  memset(r, 0, sizeof *r);
  for (int i = 0; i < UX_DIR_CACHE; i++) r->cache[i].fd = -1;
  r->fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r->fd < 0) return ux_fail(err, errno, "", "io", "open the root directory");
  struct open_how probe = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_FLAGS};
  long fd = syscall(SYS_openat2, r->fd, ".", &probe, sizeof probe);
  if (fd < 0)
    return ux_fail(err, errno, "", "kernel",
                   "openat2(RESOLVE_IN_ROOT) is not available: Linux 5.6 or later is required");
  close((int)fd);
  return 0;
}

void ux_root_forget(ux_root *r) {
  for (int i = 0; i < UX_DIR_CACHE; i++) {
    if (r->cache[i].fd >= 0) close(r->cache[i].fd);
    free(r->cache[i].rel);
    r->cache[i].fd = -1;
    r->cache[i].rel = NULL;
  }
}

void ux_root_close(ux_root *r) {
  ux_root_forget(r);
  if (r->fd >= 0) close(r->fd);
  r->fd = -1;
}

static int remember(ux_root *r, const char *dir, int fd) {
  ux_dirslot *s = &r->cache[r->next_slot++ % UX_DIR_CACHE];
  if (s->fd >= 0) close(s->fd);
  free(s->rel);
  s->rel = strdup(dir);
  s->fd = s->rel ? fd : -1;
  if (!s->rel) {
    close(fd);
    errno = ENOMEM;
    return -1;
  }
  return fd;
}

/* Makes `dir` (its parent first), each missing component 0755 root:root as docker does. */
static int make_dirs(ux_root *r, const char *dir) {
  char buf[PATH_MAX];
  if (strlen(dir) >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(buf, dir);
  char *slash = strrchr(buf, '/');
  const char *base = buf;
  int pfd = r->fd;
  if (slash) {
    *slash = 0;
    base = slash + 1;
    pfd = ux_dir(r, buf, 1);
    if (pfd < 0) return -1;
  }
  if (mkdirat(pfd, base, 0755) < 0 && errno != EEXIST) return -1;
  int fd = openat(pfd, base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
    /* A symlink that is already there: follow it, inside the root; a dangling one stays an error. */
    fd = ux_open_in(r->fd, dir, O_PATH | O_DIRECTORY, 0);
  }
  return fd;
}

int ux_dir(ux_root *r, const char *dir, int create) {
  if (!*dir) return r->fd;
  for (int i = 0; i < UX_DIR_CACHE; i++)
    if (r->cache[i].rel && strcmp(r->cache[i].rel, dir) == 0) return r->cache[i].fd;
  int fd = ux_open_in(r->fd, dir, O_PATH | O_DIRECTORY, 0);
  if (fd < 0 && errno == ENOENT && create) fd = make_dirs(r, dir);
  if (fd < 0) return -1;
  return remember(r, dir, fd);
}

/* Names in a directory, read before anything is removed from it (one fd per level of a deep tree). */
static char **list_dir(int dirfd, size_t *count) {
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return NULL;
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return NULL;
  }
  size_t n = 0, cap = 16;
  char **names = malloc(cap * sizeof *names);
  struct dirent *de;
  while (names && (de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    if (n == cap) {
      char **more = realloc(names, (cap *= 2) * sizeof *names);
      if (!more) break;
      names = more;
    }
    names[n++] = strdup(de->d_name);
  }
  closedir(d);
  *count = n;
  return names;
}

int ux_remove_at(int dirfd, const char *name) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return errno == ENOENT ? 0 : -1;
  if (!S_ISDIR(st.st_mode)) return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t n = 0;
  char **names = list_dir(fd, &n);
  int rc = names ? 0 : -1;
  for (size_t i = 0; i < n; i++) {
    if (rc == 0 && (!names[i] || ux_remove_at(fd, names[i]) < 0)) rc = -1;
    free(names[i]);
  }
  free(names);
  int saved = errno;
  close(fd);
  if (rc < 0) {
    errno = saved;
    return -1;
  }
  return unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -1 : 0;
}
