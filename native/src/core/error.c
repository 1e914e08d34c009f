#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ts_fail(ts_error *err, int errnum, const char *step, const char *fmt, ...) {
  if (err == NULL) return -1;
  err->errnum = errnum;
  snprintf(err->step, sizeof err->step, "%s", step);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return -1;
}

const char *ts_errno_name(int e) {
  switch (e) {
#define N(x) case x: return #x;
    N(EPERM) N(ENOENT) N(ESRCH) N(EINTR) N(EIO) N(ENXIO) N(E2BIG) N(ENOEXEC) N(EBADF) N(ECHILD)
    N(EAGAIN) N(ENOMEM) N(EACCES) N(EFAULT) N(EBUSY) N(EEXIST) N(EXDEV) N(ENODEV) N(ENOTDIR)
    N(EISDIR) N(EINVAL) N(ENFILE) N(EMFILE) N(ENOTTY) N(ETXTBSY) N(EFBIG) N(ENOSPC) N(ESPIPE)
    N(EROFS) N(EMLINK) N(EPIPE) N(ERANGE) N(ENAMETOOLONG) N(ENOSYS) N(ENOTEMPTY) N(ELOOP)
    N(EOPNOTSUPP) N(ECONNREFUSED) N(EADDRINUSE) N(ETIMEDOUT)
#undef N
    default: return "E?";
  }
}

void ts_error_format(const ts_error *err, char *buf, size_t len) {
  if (err->errnum)
    snprintf(buf, len, "%s: %s: %s (%s)", err->step, err->message, strerror(err->errnum),
             ts_errno_name(err->errnum));
  else
    snprintf(buf, len, "%s: %s", err->step, err->message);
}
