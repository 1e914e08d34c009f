/* tsstack-unpack: applies one image layer (a tar, plain, gzip or zstd) onto a root directory so that no
 * entry can touch anything outside that root. Every filesystem call is relative to a directory fd that
 * openat2(RESOLVE_IN_ROOT) resolved inside the root, the last component is never followed, entries are
 * applied strictly in archive order in one thread, and the uncompressed stream is hashed and bounded.
 * The tar format itself is read by libarchive (reading only: its disk writer is not used). */
#ifndef TS_UNPACK_H
#define TS_UNPACK_H

#include <archive.h>
#include <archive_entry.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <sys/types.h>

#define UX_MAX_LOWERS 128
#define UX_DIR_CACHE 8

/* What went wrong, for the caller: the archive member, the rule it broke, and a message that never holds
 * file content. errnum is set for system failures (ENOSPC, EIO ...), 0 for a refused archive. */
typedef struct ux_error {
  char member[4096];
  char rule[48];
  char message[768];
  int errnum;
} ux_error;

int ux_fail(ux_error *err, int errnum, const char *member, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

typedef struct ux_options {
  const char *root;
  const char *layer; /* file path, or "-" for stdin */
  int overlay;       /* 1: whiteouts become overlayfs markers; 0: they delete (flatten) */
  const char *diff_id;
  const char *lowers[UX_MAX_LOWERS]; /* overlay mode: snapshot dirs below, top-most first */
  int nlowers;
  uint64_t max_bytes;   /* uncompressed stream, tar headers included */
  uint64_t max_entries; /* members of the archive */
} ux_options;

/* The uncompressed stream: decompressed by one libarchive reader (raw format), hashed and counted on the
 * way, and handed as blocks to the tar reader. */
typedef struct ux_source {
  struct archive *raw;
  struct sha256_ctx hash;
  uint64_t bytes;
  uint64_t max_bytes;
  int eof;
  ux_error *err;
} ux_source;

int ux_source_open(ux_source *src, const ux_options *o, ux_error *err);
/* Reads what follows the tar's end marker so that the hash covers the whole stream. */
int ux_source_drain(ux_source *src);
void ux_source_digest(ux_source *src, char out[72]);
void ux_source_close(ux_source *src);
la_ssize_t ux_source_read(struct archive *a, void *src, const void **buf);

/* A cached resolution of a directory (relative to the root) to an O_PATH fd of that directory. */
typedef struct ux_dirslot {
  char *rel;
  int fd;
} ux_dirslot;

typedef struct ux_root {
  int fd;
  ux_dirslot cache[UX_DIR_CACHE];
  unsigned next_slot;
} ux_root;

int ux_root_open(ux_root *r, const char *path, ux_error *err);
void ux_root_close(ux_root *r);
/* Forgets every cached directory: call after anything that removes paths or creates symlinks. */
void ux_root_forget(ux_root *r);
/* openat2 below the root with RESOLVE_IN_ROOT (symlinks, absolute or "..", stay inside it). */
int ux_open_in(int rootfd, const char *rel, int flags, mode_t mode);
/* O_PATH fd of directory `dir` (relative, "" = root), owned by the cache: do not close. With `create`,
 * missing components are made 0755 root:root. -1 with errno set when it cannot be had. */
int ux_dir(ux_root *r, const char *dir, int create);
/* Removes `name` in `dirfd` (a whole tree for a directory), never following a symlink. ENOENT is fine. */
int ux_remove_at(int dirfd, const char *name);

/* The set of member paths this layer wrote (flatten mode: whiteouts and opaque markers spare them). */
typedef struct ux_written {
  void *tree;
} ux_written;

void ux_written_add(ux_written *w, const char *rel);
int ux_written_has(const ux_written *w, const char *rel);
void ux_written_free(ux_written *w);

/* A member name made relative and clean ("./a//b/" -> "a/b"); -1 for ".." components or over-long names. */
int ux_clean_name(const char *name, char *out, size_t outlen, const char **why);

typedef struct ux_dirtime {
  char *rel;
  struct timespec mtime;
} ux_dirtime;

typedef struct ux_ctx {
  const ux_options *o;
  ux_root root;
  int lower_fds[UX_MAX_LOWERS];
  ux_written written;
  ux_dirtime *dirtimes;
  size_t ndirtimes, capdirtimes;
  uint64_t entries;
  char last[256]; /* the last member applied (cut), for errors between members */
  uint64_t skipped_xattrs;
  uint64_t skipped_entries;
  ux_error *err;
} ux_ctx;

int ux_apply_entry(ux_ctx *c, struct archive *a, struct archive_entry *e);
int ux_finish(ux_ctx *c);
/* Overlay mode: a hardlink whose target lives in a lower layer becomes a copy of it (overlayfs cannot
 * link across layers). 1 when copied, 0 when no lower has it, -1 on error. */
int ux_copy_from_lowers(ux_ctx *c, const char *target, int dstdir, const char *dstbase);

#endif
