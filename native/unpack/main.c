/* tsstack-unpack [--overlay] [--lower DIR]... [--diff-id sha256:HEX] [--max-bytes N] [--max-entries N]
 *                --root DIR LAYER|-
 * Applies one layer onto DIR (see unpack.h) and prints one JSON line: {"ok":true,"diffId",...} with exit
 * 0, or {"ok":false,"member","rule","message","errno"} with exit 1 (2: wrong arguments). The message never
 * quotes file content. Run by libs/image as a short-lived process per layer. */
#include "unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

int ux_fail(ux_error *err, int errnum, const char *member, const char *rule, const char *fmt, ...) {
  /* The first failure is the cause; what fails after it only adds the member when it was unknown. */
  if (err->rule[0]) {
    if (!err->member[0] && member) snprintf(err->member, sizeof err->member, "%s", member);
    return -1;
  }
  err->errnum = errnum;
  snprintf(err->member, sizeof err->member, "%s", member ? member : "");
  snprintf(err->rule, sizeof err->rule, "%s", rule);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return -1;
}

static int usage(const char *why) {
  fprintf(stderr,
          "tsstack-unpack: %s\nusage: tsstack-unpack [--overlay] [--lower DIR]... [--diff-id sha256:HEX] "
          "[--max-bytes N] [--max-entries N] --root DIR LAYER|-\n",
          why);
  return 2;
}

static int parse_args(int argc, char **argv, ux_options *o) {
  static const struct option longs[] = {
      {"root", required_argument, 0, 'r'},    {"overlay", no_argument, 0, 'o'},
      {"lower", required_argument, 0, 'l'},   {"diff-id", required_argument, 0, 'd'},
      {"max-bytes", required_argument, 0, 'b'}, {"max-entries", required_argument, 0, 'e'},
      {0, 0, 0, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
    switch (ch) {
      case 'r': o->root = optarg; break;
      case 'o': o->overlay = 1; break;
      case 'l':
        if (o->nlowers == UX_MAX_LOWERS) return usage("too many --lower");
        o->lowers[o->nlowers++] = optarg;
        break;
      case 'd': o->diff_id = optarg; break;
      case 'b': o->max_bytes = strtoull(optarg, NULL, 10); break;
      case 'e': o->max_entries = strtoull(optarg, NULL, 10); break;
      default: return usage("unknown option");
    }
  }
  if (!o->root) return usage("--root is required");
  if (optind != argc - 1) return usage("one layer file (or -) is required");
  o->layer = argv[optind];
  return 0;
}

static void print_result(const ux_ctx *c, const ux_source *s, const char *digest, const ux_error *err) {
  json_object *j = json_object_new_object();
  json_object_object_add(j, "ok", json_object_new_boolean(!err));
  if (err) {
    json_object_object_add(j, "member", json_object_new_string(err->member));
    json_object_object_add(j, "rule", json_object_new_string(err->rule[0] ? err->rule : "io"));
    json_object_object_add(j, "message", json_object_new_string(err->message));
    json_object_object_add(j, "errno", json_object_new_int(err->errnum));
    json_object_object_add(j, "code", json_object_new_string(err->errnum ? ts_errno_name(err->errnum) : ""));
  }
  if (digest) json_object_object_add(j, "diffId", json_object_new_string(digest));
  json_object_object_add(j, "entries", json_object_new_int64((int64_t)c->entries));
  json_object_object_add(j, "bytes", json_object_new_int64((int64_t)s->bytes));
  json_object_object_add(j, "skippedXattrs", json_object_new_int64((int64_t)c->skipped_xattrs));
  json_object_object_add(j, "skippedEntries", json_object_new_int64((int64_t)c->skipped_entries));
  puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
  json_object_put(j);
}

static int read_members(ux_ctx *c, ux_source *src) {
  struct archive *tar = archive_read_new();
  if (!tar) return ux_fail(c->err, ENOMEM, "", "io", "libarchive: out of memory");
  archive_read_support_format_tar(tar);
  int rc = 0;
  if (archive_read_open(tar, src, NULL, ux_source_read, NULL) != ARCHIVE_OK) {
    rc = ux_fail(c->err, 0, "", "malformed", "not a tar archive: %s", archive_error_string(tar));
  }
  struct archive_entry *e;
  while (rc == 0) {
    int r = archive_read_next_header(tar, &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      rc = ux_fail(c->err, 0, "", "malformed", "the tar stream is damaged after member %s%s%s: %s",
                   c->last[0] ? "\"" : "", c->last[0] ? c->last : "(none)", c->last[0] ? "\"" : "",
                   archive_error_string(tar));
      break;
    }
    rc = ux_apply_entry(c, tar, e);
  }
  archive_read_free(tar);
  return rc;
}

static int run(const ux_options *o, ux_ctx *c, ux_source *src, char digest[72]) {
  if (ux_root_open(&c->root, o->root, c->err) < 0) return -1;
  for (int i = 0; i < o->nlowers; i++) {
    /* A lower that is still being unpacked is not there yet: a link into it fails and is redone later. */
    c->lower_fds[i] = open(o->lowers[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (c->lower_fds[i] < 0 && errno != ENOENT)
      return ux_fail(c->err, errno, o->lowers[i], "io", "open a lower snapshot");
  }
  if (ux_source_open(src, o, c->err) < 0) return -1;
  if (read_members(c, src) < 0 || ux_source_drain(src) < 0) return -1;
  ux_source_digest(src, digest);
  if (o->diff_id && strcmp(o->diff_id, digest) != 0)
    return ux_fail(c->err, 0, "", "diff-id-mismatch", "the uncompressed layer is %s, not %s", digest,
                   o->diff_id);
  return ux_finish(c);
}

int main(int argc, char **argv) {
  ux_options o = {0};
  int bad = parse_args(argc, argv, &o);
  if (bad) return bad;
  /* Names from PAX headers are UTF-8: keep them byte for byte. */
  setlocale(LC_ALL, "C.UTF-8");
  umask(0);
  /* Removing a deep tree holds one fd per level. */
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  ux_error err = {0};
  ux_ctx c = {.o = &o, .err = &err};
  for (int i = 0; i < UX_MAX_LOWERS; i++) c.lower_fds[i] = -1;
  ux_source src = {0};
  char digest[72] = "";
  int rc = run(&o, &c, &src, digest);
  print_result(&c, &src, digest[0] ? digest : NULL, rc < 0 ? &err : NULL);
  ux_source_close(&src);
  ux_root_close(&c.root);
  ux_written_free(&c.written);
  return rc < 0 ? 1 : 0;
}
