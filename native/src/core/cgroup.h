/* cgroups v1 and v2 behind one interface, the version detected once at run time. A container's cgroup is
 * `cgroupsPath` from each hierarchy's root (absolute) or from the caller's own cgroup (relative). */
#ifndef TS_CGROUP_H
#define TS_CGROUP_H

#include <limits.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

#define TS_CGROUP_MAX_DIRS 8

typedef struct ts_cgroup {
  int version; /* 1 or 2 */
  size_t ndirs;
  char controller[TS_CGROUP_MAX_DIRS][16]; /* v1 controller names; "unified" on v2 */
  char dir[TS_CGROUP_MAX_DIRS][PATH_MAX];
} ts_cgroup;

/* 2 when /sys/fs/cgroup is a cgroup2 mount, else 1. */
int ts_cgroup_version(void);
/* Creates the container's cgroup dirs and writes the resource limits. Removes what it made on failure. */
int ts_cgroup_create(const char *cgroups_path, const ts_resources *res, ts_cgroup *cg, ts_error *err);
/* Moves `pid` into every dir of the cgroup. */
int ts_cgroup_enter(const ts_cgroup *cg, pid_t pid, ts_error *err);
/* Kernel's count of OOM kills in the cgroup, or -1 when it cannot be read. */
long ts_cgroup_oom_kills(const ts_cgroup *cg);
/* Removes the dirs (they must hold no process). Returns -1 with errno when one could not be removed. */
int ts_cgroup_destroy(const ts_cgroup *cg);
/* Appends a JSON object {"version":n,"dirs":{"memory":"/sys/fs/..."}} to buf. */
void ts_cgroup_to_json(const ts_cgroup *cg, char *buf, size_t len);

#endif
