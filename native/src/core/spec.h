/* The container spec the core consumes: a subset of the OCI runtime spec (config.json), parsed with json-c,
 * plus tsstack annotations (io.tsstack.*) for what OCI leaves to the caller: an overlay rootfs mounted inside
 * the container's own mount namespace, an init as PID 1, and the json-lines log. Strings point into the
 * json-c tree, which lives as long as the spec. */
#ifndef TS_SPEC_H
#define TS_SPEC_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "error.h"

struct json_object;
struct sock_filter;

typedef struct ts_mount {
  const char *destination, *type, *source, *data; /* data: the options the kernel gets as a string */
  unsigned long flags, clear_flags, propagation;
  int bind, recursive;
} ts_mount;

typedef struct ts_namespace {
  int type; /* CLONE_NEW* */
  const char *path; /* join this namespace instead of creating one */
} ts_namespace;

typedef struct ts_device {
  const char *path;
  char type; /* c, b, p */
  unsigned major, minor, mode;
  uid_t uid;
  gid_t gid;
} ts_device;

typedef struct ts_device_rule {
  int allow;
  char type; /* a, c, b */
  long major, minor; /* -1 = any */
  const char *access;
} ts_device_rule;

typedef struct ts_rlimit {
  int resource;
  rlim_t soft, hard;
} ts_rlimit;

typedef struct ts_idmap {
  unsigned container, host, size;
} ts_idmap;

typedef struct ts_resources {
  int64_t memory_limit, memory_reservation, memory_swap; /* -1 = unset; swap is memory+swap as in OCI */
  int64_t cpu_shares, cpu_quota, cpu_period;             /* -1 = unset */
  const char *cpuset_cpus, *cpuset_mems;
  int64_t pids_limit; /* -1 = unset, 0 = "max" */
  int64_t blkio_weight;
  ts_device_rule *device_rules;
  size_t ndevice_rules;
} ts_resources;

typedef struct ts_spec {
  struct json_object *json;
  /* process */
  char **args, **env;
  const char *cwd;
  int terminal;
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t nadditional_gids;
  int has_umask;
  mode_t umask;
  uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
  int no_new_privileges;
  ts_rlimit *rlimits;
  size_t nrlimits;
  /* root */
  const char *root_path;
  int root_readonly;
  const char *overlay_options; /* io.tsstack.rootfs.overlay */
  const char *hostname;
  ts_mount *mounts;
  size_t nmounts;
  /* linux */
  ts_namespace namespaces[8];
  size_t nnamespaces;
  ts_idmap uid_maps[8], gid_maps[8];
  size_t nuid_maps, ngid_maps;
  const char **sysctl_keys, **sysctl_values;
  size_t nsysctls;
  const char **masked_paths, **readonly_paths;
  size_t nmasked_paths, nreadonly_paths;
  ts_device *devices;
  size_t ndevices;
  const char *cgroups_path;
  ts_resources resources;
  struct json_object *seccomp; /* linux.seccomp, or NULL */
  /* linux.seccomp as one BPF program, made by ts_seccomp_prepare (seccomp.h); NULL until then */
  struct sock_filter *seccomp_insns;
  unsigned short seccomp_len;
  unsigned int seccomp_flags; /* SECCOMP_FILTER_FLAG_* */
  unsigned long rootfs_propagation;
  /* tsstack annotations */
  int init;
  /* Not from the file: the init binary the caller gives for `init` (tsstack-shim), or a sealed copy of it it
   * already holds (init_fd, -1 when none; see sealed-init.h). */
  const char *init_path;
  int init_fd;
  const char *log_path;
  int64_t log_max_size;
  int log_max_file;
} ts_spec;

/* Reads and checks `path` (config.json). Relative root.path is taken from the file's directory. */
int ts_spec_load(const char *path, ts_spec *spec, ts_error *err);
void ts_spec_free(ts_spec *spec);
/* The namespace entry of `type`, or NULL when the spec does not ask for it. */
const ts_namespace *ts_spec_namespace(const ts_spec *spec, int type);

#endif
