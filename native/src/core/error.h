/* Error convention of the native core (after crun): every fallible function takes a ts_error* and returns
 * < 0 on failure, having recorded errno and the step that failed ("pivot_root", "mount /proc"). */
#ifndef TS_ERROR_H
#define TS_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

typedef struct ts_error {
  int errnum;
  char step[64];
  char message[448];
} ts_error;

/* Records a failure and returns -1. `errnum` 0 means not a system error (a bad spec). */
int ts_fail(ts_error *err, int errnum, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* One line: "step: message: strerror (ECODE)"; `buf` gets at most `len` bytes. */
void ts_error_format(const ts_error *err, char *buf, size_t len);

/* Symbolic errno name ("EINVAL"), or "E?" when unknown. */
const char *ts_errno_name(int errnum);

#ifdef __cplusplus
}
#endif

#endif
