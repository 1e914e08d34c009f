/* Overlay mode only: a hardlink to a file that a lower layer made. overlayfs cannot link across layers, so
 * the new snapshot gets a copy, found in the snapshot dirs below (top-most first, a whiteout ends the
 * search), each resolved inside its own root like the layer being written. */
#include "unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <unistd.h>

static int copy_bytes(int from, int to) {
  for (;;) {
    ssize_t n = copy_file_range(from, NULL, to, NULL, 1 << 30, 0);
    if (n == 0) return 0;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) return -1;
    while ((n = sendfile(to, from, NULL, 1 << 30)) > 0) {
    }
    return n < 0 ? -1 : 0;
  }
}

static int copy_file(int srcdir, const char *name, const struct stat *st, int dstdir, const char *dst) {
  int in = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0) return -1;
  int out = openat(dstdir, dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  int rc = -1;
  if (out >= 0) {
    struct timespec t[2] = {st->st_atim, st->st_mtim};
    rc = copy_bytes(in, out) == 0 && fchown(out, st->st_uid, st->st_gid) == 0 &&
                 fchmod(out, st->st_mode & 07777) == 0 && futimens(out, t) == 0
             ? 0
             : -1;
    close(out);
  }
  close(in);
  return rc;
}

static int copy_node(int srcdir, const char *name, const struct stat *st, int dstdir, const char *dst) {
  if (S_ISLNK(st->st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(srcdir, name, target, sizeof target - 1);
    if (n < 0) return -1;
    target[n] = 0;
    if (symlinkat(target, dstdir, dst) < 0) return -1;
  } else if (mknodat(dstdir, dst, st->st_mode, st->st_rdev) < 0) {
    return -1;
  }
  return fchownat(dstdir, dst, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
}

int ux_copy_from_lowers(ux_ctx *c, const char *target, int dstdir, const char *dstbase) {
  char dir[PATH_MAX];
  const char *slash = strrchr(target, '/');
  const char *base = slash ? slash + 1 : target;
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - target) : 0, target);
  for (int i = 0; i < c->o->nlowers; i++) {
    /* A lower still being unpacked may hold the target: copying from one further down would be wrong. */
    if (c->lower_fds[i] < 0) return 0;
    int dfd = ux_open_in(c->lower_fds[i], dir, O_PATH | O_DIRECTORY, 0);
    if (dfd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) continue;
      return ux_fail(c->err, errno, target, "io", "look for the hardlink target in a lower layer");
    }
    struct stat st;
    int rc = 0;
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      rc = errno == ENOENT ? 0 : ux_fail(c->err, errno, target, "io", "stat the hardlink target below");
      close(dfd);
      if (rc < 0) return -1;
      continue;
    }
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) rc = 0; /* whited out below: gone */
    else if (S_ISDIR(st.st_mode))
      rc = ux_fail(c->err, 0, target, "link-to-directory", "a hardlink to a directory of a lower layer");
    else if ((S_ISREG(st.st_mode) ? copy_file(dfd, base, &st, dstdir, dstbase)
                                   : copy_node(dfd, base, &st, dstdir, dstbase)) < 0)
      rc = ux_fail(c->err, errno, target, "io", "copy the hardlink target up from a lower layer");
    else
      rc = 1;
    close(dfd);
    return rc;
  }
  return 0;
}
