/* See mounts.h. Mount targets are opened with openat2(RESOLVE_IN_ROOT) under the rootfs and mounted through
 * /proc/self/fd, so a symlink in an image can never point a mount at the host. */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int openat2_in_root(int rootfd, const char *path, int flags) {
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  while (*path == '/') path++;
  if (!*path) path = ".";
  return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* O_PATH fd of `path` inside the root, creating missing parents as dirs and the last part as a dir or,
 * with `as_file`, an empty file. A dangling symlink on the way is followed inside the root and its target
 * created there, as runc does; it never reaches the host. */
static int open_target_depth(int rootfd, const char *path, int as_file, int depth, ts_error *err) {
  if (depth > 40) return ts_fail(err, ELOOP, "mount", "too many symlinks resolving %s in rootfs", path);
  int fd = openat2_in_root(rootfd, path, O_PATH);
  if (fd >= 0) return fd;
  if (errno != ENOENT) return ts_fail(err, errno, "mount", "resolve %s in rootfs", path);
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  size_t len = strlen(buf);
  for (size_t i = 1; i <= len; i++) {
    if (buf[i] != '/' && buf[i] != 0) continue;
    char saved = buf[i];
    buf[i] = 0;
    int probe = openat2_in_root(rootfd, buf, O_PATH);
    if (probe >= 0) {
      close(probe);
      buf[i] = saved;
      continue;
    }
    if (errno != ENOENT) return ts_fail(err, errno, "mount", "resolve %s in rootfs", buf);
    char *slash = strrchr(buf, '/');
    *slash = 0;
    int parent = openat2_in_root(rootfd, buf[0] ? buf : "/", O_PATH | O_DIRECTORY);
    *slash = '/';
    if (parent < 0) return ts_fail(err, errno, "mount", "resolve parent of %s in rootfs", buf);
    char link[4096];
    ssize_t n = readlinkat(parent, slash + 1, link, sizeof link - 1);
    if (n >= 0) {
      /* A dangling symlink: continue at its target, taken inside the root. */
      link[n] = 0;
      char next[8192];
      if (link[0] == '/') snprintf(next, sizeof next, "%s%s%s", link, saved ? "/" : "", saved ? buf + i + 1 : "");
      else {
        *slash = 0;
        snprintf(next, sizeof next, "%s/%s%s%s", buf, link, saved ? "/" : "", saved ? buf + i + 1 : "");
      }
      close(parent);
      return open_target_depth(rootfd, next, as_file, depth + 1, err);
    }
    int rc;
    if (saved == 0 && as_file) {
      rc = openat(parent, slash + 1, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
      if (rc >= 0) close(rc);
    } else {
      rc = mkdirat(parent, slash + 1, 0755);
    }
    int saved_errno = errno;
    close(parent);
    if (rc < 0 && saved_errno != EEXIST) return ts_fail(err, saved_errno, "mount", "create %s in rootfs", buf);
    buf[i] = saved;
  }
  fd = openat2_in_root(rootfd, path, O_PATH);
  if (fd < 0) return ts_fail(err, errno, "mount", "resolve %s in rootfs", path);
  return fd;
}

static int open_target(int rootfd, const char *path, int as_file, ts_error *err) {
  return open_target_depth(rootfd, path, as_file, 0, err);
}

static void fd_path(int fd, char *buf, size_t len) { snprintf(buf, len, "/proc/self/fd/%d", fd); }

static int mount_one(int rootfd, const ts_mount *m, ts_error *err) {
  int as_file = 0;
  struct stat st;
  if (m->bind) {
    if (stat(m->source, &st) < 0) return ts_fail(err, errno, "mount", "bind source %s for %s", m->source, m->destination);
    as_file = !S_ISDIR(st.st_mode);
  }
  int fd = open_target(rootfd, m->destination, as_file, err);
  if (fd < 0) return -1;
  char target[64];
  fd_path(fd, target, sizeof target);
  int rc;
  if (m->bind)
    rc = mount(m->source, target, NULL, MS_BIND | (m->recursive ? MS_REC : 0), NULL);
  else
    rc = mount(m->source ? m->source : m->type, target, m->type, m->flags, m->data && *m->data ? m->data : NULL);
  close(fd);
  if (rc < 0) return ts_fail(err, errno, "mount", "%s on %s", m->bind ? m->source : m->type, m->destination);
  /* Flags of a bind mount only take effect by remounting the new mount, which is reached by opening again. */
  if ((m->bind && m->flags) || m->propagation) {
    fd = open_target(rootfd, m->destination, as_file, err);
    if (fd < 0) return -1;
    fd_path(fd, target, sizeof target);
    if (m->bind && m->flags) rc = mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | m->flags, NULL);
    if (rc == 0 && m->propagation) rc = mount(NULL, target, NULL, m->propagation, NULL);
    int saved = errno;
    close(fd);
    if (rc < 0) return ts_fail(err, saved, "mount", "set flags of %s", m->destination);
  }
  return 0;
}

static const struct {
  const char *name;
  unsigned major, minor;
} DEFAULT_DEVICES[] = {{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};

/* In a user namespace mknod is refused: the host's node is bind-mounted instead, as rootless runtimes do. */
static int bind_host_device(int devfd, const char *name, ts_error *err) {
  int fd = openat(devfd, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ts_fail(err, errno, "mknod", "create /dev/%s for a bind mount", name);
  close(fd);
  char host[128], target[128];
  snprintf(host, sizeof host, "/dev/%s", name);
  fd = openat(devfd, name, O_PATH | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return ts_fail(err, errno, "mknod", "open /dev/%s", name);
  snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
  int rc = mount(host, target, NULL, MS_BIND, NULL);
  int saved = errno;
  close(fd);
  return rc < 0 ? ts_fail(err, saved, "mknod", "bind %s", host) : 0;
}

static int make_device(int devfd, const char *name, char type, unsigned major, unsigned minor, unsigned mode,
                       uid_t uid, gid_t gid, ts_error *err) {
  mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
  if (mknodat(devfd, name, kind | (mode & 07777), makedev(major, minor)) < 0 && errno != EEXIST) {
    if (errno == EPERM) return bind_host_device(devfd, name, err);
    return ts_fail(err, errno, "mknod", "/dev/%s", name);
  }
  if (fchmodat(devfd, name, mode & 07777, 0) < 0) return ts_fail(err, errno, "chmod", "/dev/%s", name);
  if (fchownat(devfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) return ts_fail(err, errno, "chown", "/dev/%s", name);
  return 0;
}

static int populate_dev(int rootfd, const ts_spec *s, ts_error *err) {
  int devfd = openat2_in_root(rootfd, "/dev", O_DIRECTORY);
  if (devfd < 0) return ts_fail(err, errno, "mount", "open /dev in rootfs");
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < sizeof DEFAULT_DEVICES / sizeof *DEFAULT_DEVICES; i++)
    rc = make_device(devfd, DEFAULT_DEVICES[i].name, 'c', DEFAULT_DEVICES[i].major, DEFAULT_DEVICES[i].minor, 0666, 0, 0, err);
  for (size_t i = 0; rc == 0 && i < s->ndevices; i++) {
    const ts_device *d = &s->devices[i];
    if (strncmp(d->path, "/dev/", 5) != 0 || strchr(d->path + 5, '/')) {
      rc = ts_fail(err, 0, "mknod", "linux.devices[%zu].path: %s must be directly under /dev", i, d->path);
      break;
    }
    rc = make_device(devfd, d->path + 5, d->type, d->major, d->minor, d->mode, d->uid, d->gid, err);
  }
  const char *links[][2] = {{"/proc/self/fd", "fd"},         {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
                            {"/proc/self/fd/2", "stderr"},   {"pts/ptmx", "ptmx"},         {"/proc/kcore", "core"}};
  for (size_t i = 0; rc == 0 && i < sizeof links / sizeof *links; i++)
    if (symlinkat(links[i][0], devfd, links[i][1]) < 0 && errno != EEXIST)
      rc = ts_fail(err, errno, "symlink", "/dev/%s", links[i][1]);
  close(devfd);
  return rc;
}

static int refuse_symlink(int rootfd, const char *name, ts_error *err) {
  struct stat st;
  if (fstatat(rootfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
    return ts_fail(err, 0, "rootfs", "/%s in the rootfs is a symlink; an image must not redirect /%s", name, name);
  return 0;
}

static int mount_root(const ts_spec *s, ts_error *err) {
  if (mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0) return ts_fail(err, errno, "mount", "make / private");
  if (s->overlay_options) {
    if (mount("overlay", s->root_path, "overlay", 0, s->overlay_options) < 0)
      return ts_fail(err, errno, "mount", "overlay rootfs on %s", s->root_path);
  } else if (mount(s->root_path, s->root_path, NULL, MS_BIND | MS_REC, NULL) < 0) {
    return ts_fail(err, errno, "mount", "bind rootfs %s", s->root_path);
  }
  return 0;
}

static int pivot(int rootfd, ts_error *err) {
  if (fchdir(rootfd) < 0) return ts_fail(err, errno, "pivot_root", "chdir to rootfs");
  if (syscall(SYS_pivot_root, ".", ".") < 0) return ts_fail(err, errno, "pivot_root", "pivot to rootfs");
  if (umount2(".", MNT_DETACH) < 0) return ts_fail(err, errno, "pivot_root", "detach the old root");
  if (chdir("/") < 0) return ts_fail(err, errno, "pivot_root", "chdir /");
  return 0;
}

int ts_mounts_setup_rootfs(const ts_spec *s, ts_error *err) {
  if (mount_root(s, err) < 0) return -1;
  int rootfd = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return ts_fail(err, errno, "rootfs", "open %s", s->root_path);
  int rc = refuse_symlink(rootfd, "proc", err);
  if (rc == 0) rc = refuse_symlink(rootfd, "sys", err);
  for (size_t i = 0; rc == 0 && i < s->nmounts; i++) {
    rc = mount_one(rootfd, &s->mounts[i], err);
    if (rc == 0 && strcmp(s->mounts[i].destination, "/dev") == 0) rc = populate_dev(rootfd, s, err);
  }
  if (rc == 0) rc = pivot(rootfd, err);
  close(rootfd);
  return rc;
}

static int write_sysctl(const char *key, const char *value, ts_error *err) {
  char path[512];
  int n = snprintf(path, sizeof path, "/proc/sys/%s", key);
  for (int i = 10; i < n; i++)
    if (path[i] == '.') path[i] = '/';
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ts_fail(err, errno, "sysctl", "%s", key);
  ssize_t w = write(fd, value, strlen(value));
  int saved = errno;
  close(fd);
  return w < 0 ? ts_fail(err, saved, "sysctl", "%s=%s", key, value) : 0;
}

static int mask_path(const char *path, ts_error *err) {
  struct stat st;
  if (stat(path, &st) < 0) return errno == ENOENT ? 0 : ts_fail(err, errno, "mask", "%s", path);
  int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0") : mount("/dev/null", path, NULL, MS_BIND, NULL);
  return rc < 0 ? ts_fail(err, errno, "mask", "%s", path) : 0;
}

static int readonly_path(const char *path, ts_error *err) {
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) return errno == ENOENT ? 0 : ts_fail(err, errno, "readonly", "%s", path);
  if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    return ts_fail(err, errno, "readonly", "remount %s", path);
  return 0;
}

int ts_mounts_finish(const ts_spec *s, ts_error *err) {
  for (size_t i = 0; i < s->nsysctls; i++)
    if (write_sysctl(s->sysctl_keys[i], s->sysctl_values[i], err) < 0) return -1;
  for (size_t i = 0; i < s->nmasked_paths; i++)
    if (mask_path(s->masked_paths[i], err) < 0) return -1;
  for (size_t i = 0; i < s->nreadonly_paths; i++)
    if (readonly_path(s->readonly_paths[i], err) < 0) return -1;
  if (s->root_readonly && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
    return ts_fail(err, errno, "readonly", "remount / read-only");
  return 0;
}
