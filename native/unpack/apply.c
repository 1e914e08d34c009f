/* One member at a time, in archive order: its parent resolved inside the root (made when missing), the
 * old entry of that name removed without following it, the new one created with O_EXCL|O_NOFOLLOW or its
 * *at() equivalent, then owner, mode, xattrs and times set through the new object itself. Whiteouts
 * (".wh.<name>") and opaque markers (".wh..wh..opq") delete in flatten mode and become overlayfs markers
 * (a 0/0 character device, trusted.overlay.opaque=y) in overlay mode; both spare what this layer wrote,
 * as the OCI layer spec says. */
#include "unpack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define OPAQUE ".wh..wh..opq"

typedef struct member {
  const char *raw; /* the name as the archive gives it, for errors */
  char rel[PATH_MAX];
  char dir[PATH_MAX]; /* "" for the root */
  const char *base;
} member;

static int split_name(const char *raw, member *m, const char **why) {
  m->raw = raw;
  if (ux_clean_name(raw, m->rel, sizeof m->rel, why) < 0) return -1;
  char *slash = strrchr(m->rel, '/');
  if (slash) {
    memcpy(m->dir, m->rel, (size_t)(slash - m->rel));
    m->dir[slash - m->rel] = 0;
    m->base = slash + 1;
  } else {
    m->dir[0] = 0;
    m->base = m->rel;
  }
  return 0;
}

static int split(ux_ctx *c, const char *raw, member *m) {
  const char *why = NULL;
  if (split_name(raw, m, &why) == 0) return 0;
  return ux_fail(c->err, 0, raw, why,
                 strcmp(why, "path-dotdot") == 0 ? "the path has a \"..\" component"
                                                 : "the path is longer than the kernel allows");
}

static int sys_fail(ux_ctx *c, const member *m, const char *what) {
  return ux_fail(c->err, errno, m->raw, "io", "%s", what);
}

static int parent(ux_ctx *c, const member *m) {
  int fd = ux_dir(&c->root, m->dir, 1);
  if (fd < 0)
    return ux_fail(c->err, errno, m->raw, "parent",
                   "its parent directory is not a directory inside the root and cannot be made one");
  return fd;
}

/* Removes whatever is at the member's name (unless it is a directory and `keep_dir`); returns the parent
 * fd, resolved again when the removal changed the tree. */
static int clear_name(ux_ctx *c, const member *m, int pfd, int keep_dir, int *is_dir) {
  struct stat st;
  *is_dir = 0;
  if (fstatat(pfd, m->base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return pfd;
    return sys_fail(c, m, "stat the existing entry");
  }
  if (keep_dir && S_ISDIR(st.st_mode)) {
    *is_dir = 1;
    return pfd;
  }
  if (ux_remove_at(pfd, m->base) < 0) return sys_fail(c, m, "remove the existing entry");
  ux_root_forget(&c->root);
  return parent(c, m);
}

static int xattr_allowed(const char *name) {
  /* trusted.* would let an archive set overlayfs' own markers (redirect, metacopy, opaque); system.* holds
   * ACLs that libarchive keeps apart. */
  return strncmp(name, "user.", 5) == 0 || strncmp(name, "security.", 9) == 0;
}

/* Sets the member's xattrs on `fd` (an fd opened for reading or writing) or, for symlinks and devices, on
 * the name in `pfd` through /proc/self/fd without following it. */
static int set_xattrs(ux_ctx *c, const member *m, struct archive_entry *e, int fd, int pfd) {
  const char *name;
  const void *value;
  size_t size;
  char path[PATH_MAX + 32];
  if (fd < 0) snprintf(path, sizeof path, "/proc/self/fd/%d/%s", pfd, m->base);
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    if (!xattr_allowed(name)) {
      c->skipped_xattrs++;
      continue;
    }
    int rc = fd >= 0 ? fsetxattr(fd, name, value, size, 0) : lsetxattr(path, name, value, size, 0);
    if (rc == 0) continue;
    if (errno == ENOTSUP || errno == EPERM) {
      c->skipped_xattrs++;
      continue;
    }
    return sys_fail(c, m, "set an extended attribute");
  }
  return 0;
}

static struct timespec mtime_of(struct archive_entry *e) {
  struct timespec t = {0, 0};
  if (archive_entry_mtime_is_set(e)) {
    t.tv_sec = archive_entry_mtime(e);
    t.tv_nsec = archive_entry_mtime_nsec(e);
  }
  return t;
}

static int write_data(ux_ctx *c, const member *m, struct archive *a, struct archive_entry *e, int fd) {
  const void *buf;
  size_t size;
  la_int64_t offset, end = 0;
  for (;;) {
    int r = archive_read_data_block(a, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK)
      return ux_fail(c->err, 0, m->raw, "malformed", "the member's data cannot be read: %s",
                     archive_error_string(a));
    for (size_t done = 0; done < size;) {
      ssize_t n = pwrite(fd, (const char *)buf + done, size - done, offset + (off_t)done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return sys_fail(c, m, "write the file");
      }
      done += (size_t)n;
    }
    end = offset + (la_int64_t)size;
  }
  /* Sparse files end in a hole that no block covers. */
  if (archive_entry_size(e) > end && ftruncate(fd, archive_entry_size(e)) < 0)
    return sys_fail(c, m, "size the file");
  return 0;
}

/* Owner before mode: chown clears the set-id bits. Then xattrs (chown also drops security.capability). */
static int finish_fd(ux_ctx *c, const member *m, struct archive_entry *e, int fd, int with_times) {
  if (fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
    return sys_fail(c, m, "set the owner");
  if (fchmod(fd, archive_entry_perm(e)) < 0) return sys_fail(c, m, "set the mode");
  if (set_xattrs(c, m, e, fd, -1) < 0) return -1;
  if (with_times) {
    struct timespec t[2] = {mtime_of(e), mtime_of(e)};
    if (futimens(fd, t) < 0) return sys_fail(c, m, "set the times");
  }
  return 0;
}

static int regular_file(ux_ctx *c, const member *m, struct archive *a, struct archive_entry *e, int pfd) {
  int is_dir;
  if ((pfd = clear_name(c, m, pfd, 0, &is_dir)) < 0) return -1;
  int fd = openat(pfd, m->base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return sys_fail(c, m, "create the file");
  int rc = write_data(c, m, a, e, fd) < 0 || finish_fd(c, m, e, fd, 1) < 0 ? -1 : 0;
  close(fd);
  return rc;
}

static int remember_dir_time(ux_ctx *c, const member *m, struct archive_entry *e) {
  if (c->ndirtimes == c->capdirtimes) {
    size_t cap = c->capdirtimes ? c->capdirtimes * 2 : 256;
    ux_dirtime *more = realloc(c->dirtimes, cap * sizeof *more);
    if (!more) return ux_fail(c->err, ENOMEM, m->raw, "io", "out of memory");
    c->dirtimes = more;
    c->capdirtimes = cap;
  }
  char *rel = strdup(m->rel);
  if (!rel) return ux_fail(c->err, ENOMEM, m->raw, "io", "out of memory");
  c->dirtimes[c->ndirtimes++] = (ux_dirtime){rel, mtime_of(e)};
  return 0;
}

static int directory(ux_ctx *c, const member *m, struct archive_entry *e, int pfd) {
  int is_dir;
  if ((pfd = clear_name(c, m, pfd, 1, &is_dir)) < 0) return -1;
  if (!is_dir && mkdirat(pfd, m->base, 0700) < 0) return sys_fail(c, m, "make the directory");
  int fd = openat(pfd, m->base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return sys_fail(c, m, "open the directory");
  int rc = finish_fd(c, m, e, fd, 0);
  close(fd);
  return rc < 0 ? -1 : remember_dir_time(c, m, e);
}

/* Owner, mode (not for symlinks), xattrs and times of something without an fd of its own. */
static int finish_name(ux_ctx *c, const member *m, struct archive_entry *e, int pfd, int is_link) {
  if (fchownat(pfd, m->base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
               AT_SYMLINK_NOFOLLOW) < 0)
    return sys_fail(c, m, "set the owner");
  /* The node was made by this process a moment ago in a root no one else writes: following is moot. */
  if (!is_link && fchmodat(pfd, m->base, archive_entry_perm(e), 0) < 0) return sys_fail(c, m, "set the mode");
  if (set_xattrs(c, m, e, -1, pfd) < 0) return -1;
  struct timespec t[2] = {mtime_of(e), mtime_of(e)};
  if (utimensat(pfd, m->base, t, AT_SYMLINK_NOFOLLOW) < 0) return sys_fail(c, m, "set the times");
  return 0;
}

static int symlink_entry(ux_ctx *c, const member *m, struct archive_entry *e, int pfd) {
  const char *target = archive_entry_symlink(e);
  if (!target || !*target) return ux_fail(c->err, 0, m->raw, "malformed", "a symlink without a target");
  if (strlen(target) >= PATH_MAX)
    return ux_fail(c->err, 0, m->raw, "link-too-long", "the symlink target is longer than the kernel allows");
  int is_dir;
  if ((pfd = clear_name(c, m, pfd, 0, &is_dir)) < 0) return -1;
  if (symlinkat(target, pfd, m->base) < 0) return sys_fail(c, m, "make the symlink");
  return finish_name(c, m, e, pfd, 1);
}

static int node_entry(ux_ctx *c, const member *m, struct archive_entry *e, int pfd, mode_t type) {
  int is_dir;
  if ((pfd = clear_name(c, m, pfd, 0, &is_dir)) < 0) return -1;
  dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
  if (mknodat(pfd, m->base, type | archive_entry_perm(e), dev) < 0) return sys_fail(c, m, "make the node");
  return finish_name(c, m, e, pfd, 0);
}

static int hardlink(ux_ctx *c, const member *m, const char *linkname, int pfd) {
  member t;
  const char *why;
  if (split_name(linkname, &t, &why) < 0)
    return ux_fail(c->err, 0, m->raw, "link-dotdot",
                   "the hardlink target has a \"..\" component or is longer than the kernel allows");
  int tfd = ux_dir(&c->root, t.dir, 0);
  tfd = tfd < 0 ? -1 : dup(tfd);
  struct stat st;
  int found = tfd >= 0 && fstatat(tfd, t.base, &st, AT_SYMLINK_NOFOLLOW) == 0;
  int rc = 0;
  int is_dir;
  if (found && S_ISDIR(st.st_mode)) {
    rc = ux_fail(c->err, 0, m->raw, "link-to-directory", "a hardlink to a directory");
  } else if ((pfd = clear_name(c, m, pfd, 0, &is_dir)) < 0) {
    rc = -1;
  } else if (found) {
    if (linkat(tfd, t.base, pfd, m->base, 0) < 0) rc = sys_fail(c, m, "make the hardlink");
  } else {
    int copied = c->o->overlay ? ux_copy_from_lowers(c, t.rel, pfd, m->base) : 0;
    if (copied == 0)
      rc = ux_fail(c->err, 0, m->raw, "link-target-missing",
                   "the hardlink target does not exist in the layer or below it");
    else if (copied < 0)
      rc = -1;
  }
  if (tfd >= 0) close(tfd);
  return rc;
}

static int whiteout_overlay(ux_ctx *c, const member *m, const char *victim) {
  int pfd = parent(c, m);
  if (pfd < 0) return -1;
  struct stat st;
  /* What this layer itself made under that name stays visible: whiteouts only hide lower layers. */
  if (fstatat(pfd, victim, &st, AT_SYMLINK_NOFOLLOW) == 0) return 0;
  if (mknodat(pfd, victim, S_IFCHR, makedev(0, 0)) < 0) return sys_fail(c, m, "make the whiteout");
  return 0;
}

static int opaque_overlay(ux_ctx *c, const member *m) {
  if (parent(c, m) < 0) return -1;
  int fd = ux_open_in(c->root.fd, m->dir, O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0) return sys_fail(c, m, "open the opaque directory");
  int rc = fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0 ? sys_fail(c, m, "mark the directory opaque") : 0;
  close(fd);
  return rc;
}

static void join(char *out, size_t len, const char *dir, const char *name) {
  snprintf(out, len, "%s%s%s", dir, *dir ? "/" : "", name);
}

static int whiteout_flatten(ux_ctx *c, const member *m, const char *victim) {
  char rel[PATH_MAX * 2];
  join(rel, sizeof rel, m->dir, victim);
  if (ux_written_has(&c->written, rel)) return 0;
  int pfd = ux_dir(&c->root, m->dir, 0);
  if (pfd < 0) return errno == ENOENT || errno == ENOTDIR ? 0 : sys_fail(c, m, "open the parent directory");
  if (ux_remove_at(pfd, victim) < 0) return sys_fail(c, m, "remove the whited-out entry");
  ux_root_forget(&c->root);
  return 0;
}

static int opaque_flatten(ux_ctx *c, const member *m) {
  int fd = ux_open_in(c->root.fd, m->dir, O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0) return errno == ENOENT || errno == ENOTDIR ? 0 : sys_fail(c, m, "open the opaque directory");
  DIR *d = fdopendir(dup(fd));
  int rc = d ? 0 : sys_fail(c, m, "list the opaque directory");
  struct dirent *de;
  char rel[PATH_MAX * 2];
  /* Names are removed while listing: the ones removed are not read again, and nothing is added. */
  while (rc == 0 && (de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    join(rel, sizeof rel, m->dir, de->d_name);
    if (!ux_written_has(&c->written, rel) && ux_remove_at(fd, de->d_name) < 0)
      rc = sys_fail(c, m, "empty the opaque directory");
  }
  if (d) closedir(d);
  close(fd);
  ux_root_forget(&c->root);
  return rc;
}

static int whiteout(ux_ctx *c, const member *m) {
  if (strcmp(m->base, OPAQUE) == 0) return c->o->overlay ? opaque_overlay(c, m) : opaque_flatten(c, m);
  if (strncmp(m->base, ".wh..wh.", 8) == 0) {
    c->skipped_entries++; /* aufs bookkeeping (.wh..wh.plnk and the like): not content */
    return 0;
  }
  const char *victim = m->base + 4;
  if (!*victim) return ux_fail(c->err, 0, m->raw, "whiteout-name", "a whiteout that names nothing");
  return c->o->overlay ? whiteout_overlay(c, m, victim) : whiteout_flatten(c, m, victim);
}

/* Flatten mode: the member and every directory above it count as written by this layer. */
static void mark_written(ux_ctx *c, const char *rel) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", rel);
  for (char *slash = buf + strlen(buf);;) {
    ux_written_add(&c->written, buf);
    while (slash > buf && *slash != '/') slash--;
    if (slash == buf) break;
    *slash = 0;
  }
}

int ux_apply_entry(ux_ctx *c, struct archive *a, struct archive_entry *e) {
  const char *raw = archive_entry_pathname(e);
  if (!raw) return ux_fail(c->err, 0, "", "malformed", "a member without a name");
  if (++c->entries > c->o->max_entries && c->o->max_entries)
    return ux_fail(c->err, 0, raw, "too-many-entries",
                   "the layer has more than %llu members (TSSTACK_MAX_LAYER_ENTRIES)",
                   (unsigned long long)c->o->max_entries);
  member m;
  if (split(c, raw, &m) < 0) return -1;
  if (!m.rel[0]) return 0; /* the root itself keeps the store's owner and mode */
  if (strncmp(m.base, ".wh.", 4) == 0) return whiteout(c, &m);
  int pfd = parent(c, &m);
  if (pfd < 0) return -1;
  const char *linkname = archive_entry_hardlink(e);
  mode_t type = archive_entry_filetype(e);
  int rc;
  if (linkname) rc = hardlink(c, &m, linkname, pfd);
  else if (type == AE_IFREG) rc = regular_file(c, &m, a, e, pfd);
  else if (type == AE_IFDIR) rc = directory(c, &m, e, pfd);
  else if (type == AE_IFLNK) rc = symlink_entry(c, &m, e, pfd);
  else if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO) rc = node_entry(c, &m, e, pfd, type);
  else {
    c->skipped_entries++; /* sockets and unknown types are not image content */
    return 0;
  }
  if (rc == 0 && !c->o->overlay) mark_written(c, m.rel);
  snprintf(c->last, sizeof c->last, "%s", raw);
  return rc;
}

int ux_finish(ux_ctx *c) {
  /* Directory times last: every entry made inside a directory changed its mtime. */
  for (size_t i = 0; i < c->ndirtimes; i++) {
    int fd = ux_open_in(c->root.fd, c->dirtimes[i].rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
    if (fd < 0) continue; /* replaced or removed by a later member */
    struct timespec t[2] = {c->dirtimes[i].mtime, c->dirtimes[i].mtime};
    if (futimens(fd, t) < 0) {
      close(fd);
      return ux_fail(c->err, errno, c->dirtimes[i].rel, "io", "set the directory's times");
    }
    close(fd);
  }
  return 0;
}
