/* The layer's uncompressed byte stream: libarchive's gzip and zstd filters under its "raw" format, so the
 * tar reader above sees plain tar bytes and every one of them is hashed (the diff id) and counted against
 * the size limit before the tar reader gets it. A gzip bomb stops at the limit, not at the disk's end. */
#include "unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int ux_source_open(ux_source *s, const ux_options *o, ux_error *err) {
  memset(s, 0, sizeof *s);
  s->err = err;
  s->max_bytes = o->max_bytes;
  sha256_init(&s->hash);
  s->raw = archive_read_new();
  if (!s->raw) return ux_fail(err, ENOMEM, "", "io", "libarchive: out of memory");
  archive_read_support_filter_gzip(s->raw);
  archive_read_support_filter_zstd(s->raw);
  archive_read_support_format_raw(s->raw);
  int fd = strcmp(o->layer, "-") == 0 ? STDIN_FILENO : open(o->layer, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ux_fail(err, errno, "", "io", "open the layer file");
  if (archive_read_open_fd(s->raw, fd, 1 << 17) != ARCHIVE_OK)
    return ux_fail(err, 0, "", "malformed", "not a layer: %s",
                   archive_error_string(s->raw));
  struct archive_entry *e;
  int r = archive_read_next_header(s->raw, &e);
  if (r == ARCHIVE_EOF) s->eof = 1;
  else if (r != ARCHIVE_OK)
    return ux_fail(err, 0, "", "malformed", "the layer could not be decompressed: %s",
                   archive_error_string(s->raw));
  return 0;
}

la_ssize_t ux_source_read(struct archive *a, void *data, const void **buf) {
  (void)a;
  ux_source *s = data;
  if (s->eof) return 0;
  const void *block;
  size_t size;
  la_int64_t offset;
  int r = archive_read_data_block(s->raw, &block, &size, &offset);
  if (r == ARCHIVE_EOF) {
    s->eof = 1;
    return 0;
  }
  if (r != ARCHIVE_OK) {
    ux_fail(s->err, 0, "", "malformed", "the compressed stream is damaged: %s", archive_error_string(s->raw));
    return -1;
  }
  s->bytes += size;
  if (s->max_bytes && s->bytes > s->max_bytes) {
    ux_fail(s->err, 0, "", "too-large",
            "the uncompressed layer exceeds the limit of %llu bytes (TSSTACK_MAX_LAYER_BYTES)",
            (unsigned long long)s->max_bytes);
    return -1;
  }
  sha256_update(&s->hash, size, block);
  *buf = block;
  return (la_ssize_t)size;
}

int ux_source_drain(ux_source *s) {
  const void *buf;
  la_ssize_t n;
  while ((n = ux_source_read(NULL, s, &buf)) > 0) {
  }
  return n < 0 ? -1 : 0;
}

void ux_source_digest(ux_source *s, char out[72]) {
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_digest(&s->hash, sizeof d, d);
  strcpy(out, "sha256:");
  for (size_t i = 0; i < sizeof d; i++) sprintf(out + 7 + 2 * i, "%02x", d[i]);
}

void ux_source_close(ux_source *s) {
  if (s->raw) archive_read_free(s->raw);
  s->raw = NULL;
}
