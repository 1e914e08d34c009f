/* A directory of compiled seccomp programs, one file per distinct key (the exact profile text, the
 * architecture and the libseccomp version). A file is used only when the key stored in it equals the key
 * asked for byte for byte, so a name collision can cost a compile but never gives a container another
 * profile's filter. The directory must be a real directory owned by us and writable by nobody else, or it is
 * not used. Every failure here only means "compile it": the cache is never needed for correctness. */
#ifndef TS_SECCOMP_CACHE_H
#define TS_SECCOMP_CACHE_H

#include <linux/filter.h>
#include <stddef.h>

/* The cached program for `key` (malloc'd, *len instructions), or NULL. */
struct sock_filter *ts_seccomp_cache_get(const char *dir, const char *key, unsigned short *len);
/* Stores the program for `key`; silently does nothing when the directory is unusable or full. */
void ts_seccomp_cache_put(const char *dir, const char *key, const struct sock_filter *insns, unsigned short len);

#endif
