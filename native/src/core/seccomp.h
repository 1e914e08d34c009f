/* The container's seccomp filter. linux.seccomp (OCI rules: default action, architectures, syscalls with
 * argument filters, flags) becomes one classic BPF program before the container process is cloned: libseccomp
 * compiles the rules, and a short stub in front answers ENOSYS for any syscall numbered above the highest one
 * the profile names on that architecture, so libc falls back from syscalls newer than the profile (as runc
 * does) while unknown old ones keep the default action. Compiling an allowlist costs about 10 ms, so programs
 * are kept in a cache directory (seccomp-cache.h) and reused for the same profile text. The child only loads
 * the ready program with seccomp(2). */
#ifndef TS_SECCOMP_H
#define TS_SECCOMP_H

#include "error.h"
#include "spec.h"

/* The cache of a runtime whose state root is R is the directory R.seccomp-cache beside it (libs/runtime
 * seccompCacheDir): the state root holds containers only. */
#define TS_SECCOMP_CACHE_SUFFIX ".seccomp-cache"

/* Fills spec->seccomp_insns/len/flags from spec->seccomp (nothing when it is NULL). `cache_dir` may be NULL
 * (no cache). Call it before any namespace is entered: the cache lives on the host. */
int ts_seccomp_prepare(ts_spec *spec, const char *cache_dir, ts_error *err);
/* Loads the prepared program into the calling process (no-op without one). Needs no_new_privs or
 * CAP_SYS_ADMIN, so a spec without no_new_privs loads it before its capabilities are dropped. */
int ts_apply_seccomp(const ts_spec *spec, ts_error *err);

#endif
