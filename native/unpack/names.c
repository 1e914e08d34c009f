/* Member names: made relative and clean, ".." refused outright (no legitimate layer needs it, and refusing
 * beats clamping for telling a hostile archive apart), and the set of names this layer wrote. */
#include "unpack.h"

#include <limits.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

int ux_clean_name(const char *name, char *out, size_t outlen, const char **why) {
  size_t n = 0;
  const char *p = name;
  while (*p) {
    while (*p == '/') p++;
    const char *end = strchrnul(p, '/');
    size_t len = (size_t)(end - p);
    if (len == 0) break;
    if (len == 1 && p[0] == '.') {
      p = end;
      continue;
    }
    if (len == 2 && p[0] == '.' && p[1] == '.') {
      *why = "path-dotdot";
      return -1;
    }
    if (len > NAME_MAX) {
      *why = "name-too-long";
      return -1;
    }
    if (n + len + 2 > outlen) {
      *why = "path-too-long";
      return -1;
    }
    if (n) out[n++] = '/';
    memcpy(out + n, p, len);
    n += len;
    p = end;
  }
  out[n] = 0;
  return 0;
}

static int cmp(const void *a, const void *b) { return strcmp(a, b); }

void ux_written_add(ux_written *w, const char *rel) {
  if (ux_written_has(w, rel)) return;
  char *copy = strdup(rel);
  if (copy && !tsearch(copy, &w->tree, cmp)) free(copy);
}

int ux_written_has(const ux_written *w, const char *rel) { return tfind(rel, &w->tree, cmp) != NULL; }

void ux_written_free(ux_written *w) {
  tdestroy(w->tree, free);
  w->tree = NULL;
}
