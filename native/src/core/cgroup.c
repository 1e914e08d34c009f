/* cgroup driver (see cgroup.h). v1 writes each controller's own files; v2 enables controllers down the tree
 * and converts v1-style values (shares, blkio weight) to their v2 ranges as runc and crun do. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static const char *const V1_CONTROLLERS[] = {"memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "devices", "freezer"};

int ts_cgroup_version(void) {
  struct statfs st;
  if (statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC) return 2;
  return 1;
}

static int write_file(const char *dir, const char *file, const char *value, ts_error *err) {
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ts_fail(err, errno, "cgroup", "open %s", path);
  ssize_t n = write(fd, value, strlen(value));
  int saved = errno;
  close(fd);
  if (n < 0) return ts_fail(err, saved, "cgroup", "write %s to %s", value, path);
  return 0;
}

static int read_file(const char *dir, const char *file, char *buf, size_t len) {
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, len - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = 0;
  return 0;
}

/* The caller's cgroup in a hierarchy, from /proc/self/cgroup ("4:memory:/a/b" or "0::/a"). */
static void own_cgroup(const char *controller, char *out, size_t len) {
  snprintf(out, len, "/");
  FILE *f = fopen("/proc/self/cgroup", "re");
  if (!f) return;
  char line[PATH_MAX + 64];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char *controllers = strchr(line, ':');
    if (!controllers) continue;
    char *path = strchr(++controllers, ':');
    if (!path) continue;
    *path++ = 0;
    int match = controller == NULL ? controllers[0] == 0 : 0;
    for (char *tok = controllers, *save = NULL; controller && (tok = strtok_r(tok, ",", &save)); tok = NULL)
      if (strcmp(tok, controller) == 0) match = 1;
    if (match) {
      snprintf(out, len, "%s", path);
      break;
    }
  }
  fclose(f);
}

static void join_path(char *out, size_t len, const char *mount, const char *base, const char *rel) {
  if (rel[0] == '/') snprintf(out, len, "%s%s", mount, rel);
  else snprintf(out, len, "%s%s%s%s", mount, strcmp(base, "/") == 0 ? "" : base, "/", rel);
}

/* mkdir -p below `mount`, running `each` on every level it passes (cpuset inheritance, v2 controllers). */
static int make_dirs(const char *mount, const char *full, int (*each)(const char *parent, const char *dir, ts_error *),
                     ts_error *err) {
  char path[PATH_MAX], parent[PATH_MAX];
  size_t start = strlen(mount), len = strlen(full);
  for (size_t i = start + 1; i <= len; i++) {
    if (full[i] != '/' && full[i] != 0) continue;
    memcpy(path, full, i);
    path[i] = 0;
    snprintf(parent, sizeof parent, "%s", path);
    *strrchr(parent, '/') = 0;
    if (mkdir(path, 0755) < 0 && errno != EEXIST) return ts_fail(err, errno, "cgroup", "mkdir %s", path);
    if (each && each(parent, path, err) < 0) return -1;
  }
  return 0;
}

static int inherit_cpuset(const char *parent, const char *dir, ts_error *err) {
  char buf[256];
  const char *files[] = {"cpuset.cpus", "cpuset.mems"};
  for (int i = 0; i < 2; i++) {
    if (read_file(dir, files[i], buf, sizeof buf) == 0 && buf[0] != '\n' && buf[0] != 0) continue;
    if (read_file(parent, files[i], buf, sizeof buf) < 0) return ts_fail(err, errno, "cgroup", "read %s/%s", parent, files[i]);
    if (write_file(dir, files[i], buf, err) < 0) return -1;
  }
  return 0;
}

static int enable_v2_controllers(const char *parent, const char *dir, ts_error *err) {
  (void)dir;
  (void)err;
  const char *wanted[] = {"+cpu", "+memory", "+pids", "+io", "+cpuset"};
  char available[512] = "";
  read_file(parent, "cgroup.controllers", available, sizeof available);
  for (size_t i = 0; i < sizeof wanted / sizeof *wanted; i++)
    if (strstr(available, wanted[i] + 1)) write_file(parent, "cgroup.subtree_control", wanted[i], NULL);
  return 0;
}

static int write_i64(const char *dir, const char *file, int64_t v, ts_error *err) {
  char buf[32];
  snprintf(buf, sizeof buf, "%" PRId64, v);
  return write_file(dir, file, buf, err);
}

static const char *dir_of(const ts_cgroup *cg, const char *controller) {
  for (size_t i = 0; i < cg->ndirs; i++)
    if (strcmp(cg->controller[i], controller) == 0) return cg->dir[i];
  return NULL;
}

static int apply_v1(const ts_cgroup *cg, const ts_resources *r, ts_error *err) {
  const char *mem = dir_of(cg, "memory"), *cpu = dir_of(cg, "cpu"), *cpuset = dir_of(cg, "cpuset");
  const char *pids = dir_of(cg, "pids"), *blkio = dir_of(cg, "blkio"), *devices = dir_of(cg, "devices");
  if (mem && r->memory_limit > 0 && write_i64(mem, "memory.limit_in_bytes", r->memory_limit, err) < 0) return -1;
  if (mem && r->memory_reservation > 0 && write_i64(mem, "memory.soft_limit_in_bytes", r->memory_reservation, err) < 0) return -1;
  if (mem && r->memory_swap > 0 && write_i64(mem, "memory.memsw.limit_in_bytes", r->memory_swap, err) < 0) return -1;
  if (cpu && r->cpu_shares > 0 && write_i64(cpu, "cpu.shares", r->cpu_shares, err) < 0) return -1;
  if (cpu && r->cpu_period > 0 && write_i64(cpu, "cpu.cfs_period_us", r->cpu_period, err) < 0) return -1;
  if (cpu && r->cpu_quota > 0 && write_i64(cpu, "cpu.cfs_quota_us", r->cpu_quota, err) < 0) return -1;
  if (cpuset && r->cpuset_cpus && write_file(cpuset, "cpuset.cpus", r->cpuset_cpus, err) < 0) return -1;
  if (cpuset && r->cpuset_mems && write_file(cpuset, "cpuset.mems", r->cpuset_mems, err) < 0) return -1;
  if (pids && r->pids_limit == 0 && write_file(pids, "pids.max", "max", err) < 0) return -1;
  if (pids && r->pids_limit > 0 && write_i64(pids, "pids.max", r->pids_limit, err) < 0) return -1;
  if (blkio && r->blkio_weight > 0) {
    /* Kernels without CFQ or BFQ have no weight file: the weight is discarded, as Docker does. */
    char probe[32];
    const char *file = read_file(blkio, "blkio.weight", probe, sizeof probe) == 0       ? "blkio.weight"
                       : read_file(blkio, "blkio.bfq.weight", probe, sizeof probe) == 0 ? "blkio.bfq.weight"
                                                                                        : NULL;
    if (file && write_i64(blkio, file, r->blkio_weight, err) < 0) return -1;
  }
  for (size_t i = 0; devices && i < r->ndevice_rules; i++) {
    const ts_device_rule *d = &r->device_rules[i];
    char rule[96], maj[24], min[24];
    snprintf(maj, sizeof maj, d->major < 0 ? "*" : "%ld", d->major);
    snprintf(min, sizeof min, d->minor < 0 ? "*" : "%ld", d->minor);
    if (d->type == 'a') snprintf(rule, sizeof rule, "a");
    else snprintf(rule, sizeof rule, "%c %s:%s %s", d->type, maj, min, d->access);
    if (write_file(devices, d->allow ? "devices.allow" : "devices.deny", rule, err) < 0) return -1;
  }
  return 0;
}

static int apply_v2(const ts_cgroup *cg, const ts_resources *r, ts_error *err) {
  const char *d = cg->dir[0];
  if (r->memory_limit > 0 && write_i64(d, "memory.max", r->memory_limit, err) < 0) return -1;
  if (r->memory_reservation > 0 && write_i64(d, "memory.low", r->memory_reservation, err) < 0) return -1;
  if (r->memory_swap > 0 && r->memory_limit > 0 &&
      write_i64(d, "memory.swap.max", r->memory_swap - r->memory_limit, err) < 0)
    return -1;
  if (r->cpu_shares > 0 && write_i64(d, "cpu.weight", 1 + ((r->cpu_shares - 2) * 9999) / 262142, err) < 0) return -1;
  if (r->cpu_quota > 0) {
    char buf[64];
    snprintf(buf, sizeof buf, "%" PRId64 " %" PRId64, r->cpu_quota, r->cpu_period > 0 ? r->cpu_period : 100000);
    if (write_file(d, "cpu.max", buf, err) < 0) return -1;
  }
  if (r->cpuset_cpus && write_file(d, "cpuset.cpus", r->cpuset_cpus, err) < 0) return -1;
  if (r->cpuset_mems && write_file(d, "cpuset.mems", r->cpuset_mems, err) < 0) return -1;
  if (r->pids_limit == 0 && write_file(d, "pids.max", "max", err) < 0) return -1;
  if (r->pids_limit > 0 && write_i64(d, "pids.max", r->pids_limit, err) < 0) return -1;
  if (r->blkio_weight > 0 && write_i64(d, "io.weight", 1 + ((r->blkio_weight - 10) * 9999) / 990, err) < 0) return -1;
  /* Device rules on v2 need an eBPF program; tsstack does not load one yet (docs/runtime.md). */
  return 0;
}

int ts_cgroup_create(const char *cgroups_path, const ts_resources *res, ts_cgroup *cg, ts_error *err) {
  memset(cg, 0, sizeof *cg);
  cg->version = ts_cgroup_version();
  char base[PATH_MAX];
  if (cg->version == 2) {
    own_cgroup(NULL, base, sizeof base);
    snprintf(cg->controller[0], sizeof cg->controller[0], "unified");
    join_path(cg->dir[0], sizeof cg->dir[0], "/sys/fs/cgroup", base, cgroups_path);
    cg->ndirs = 1;
    if (make_dirs("/sys/fs/cgroup", cg->dir[0], enable_v2_controllers, err) < 0) goto fail;
    if (apply_v2(cg, res, err) < 0) goto fail;
    return 0;
  }
  for (size_t i = 0; i < sizeof V1_CONTROLLERS / sizeof *V1_CONTROLLERS; i++) {
    char mount[64];
    snprintf(mount, sizeof mount, "/sys/fs/cgroup/%s", V1_CONTROLLERS[i]);
    if (access(mount, F_OK) < 0) continue;
    own_cgroup(V1_CONTROLLERS[i], base, sizeof base);
    size_t n = cg->ndirs;
    snprintf(cg->controller[n], sizeof cg->controller[n], "%s", V1_CONTROLLERS[i]);
    join_path(cg->dir[n], sizeof cg->dir[n], mount, base, cgroups_path);
    cg->ndirs++;
    if (make_dirs(mount, cg->dir[n], strcmp(V1_CONTROLLERS[i], "cpuset") == 0 ? inherit_cpuset : NULL, err) < 0) goto fail;
  }
  if (cg->ndirs == 0)
    return ts_fail(err, ENOENT, "cgroup",
                   "no cgroup hierarchy is mounted at /sys/fs/cgroup in this mount namespace (`ip netns exec` hides it: "
                   "use `nsenter --net=...` to run the agent in a network namespace)");
  if (apply_v1(cg, res, err) < 0) goto fail;
  return 0;
fail:
  ts_cgroup_destroy(cg);
  return -1;
}

int ts_cgroup_enter(const ts_cgroup *cg, pid_t pid, ts_error *err) {
  char buf[24];
  snprintf(buf, sizeof buf, "%d", (int)pid);
  for (size_t i = 0; i < cg->ndirs; i++)
    if (write_file(cg->dir[i], "cgroup.procs", buf, err) < 0) return -1;
  return 0;
}

long ts_cgroup_oom_kills(const ts_cgroup *cg) {
  const char *dir = cg->version == 2 ? cg->dir[0] : dir_of(cg, "memory");
  char buf[1024];
  if (!dir || read_file(dir, cg->version == 2 ? "memory.events" : "memory.oom_control", buf, sizeof buf) < 0) return -1;
  char *p = strstr(buf, "oom_kill ");
  return p ? strtol(p + 9, NULL, 10) : 0;
}

int ts_cgroup_destroy(const ts_cgroup *cg) {
  int rc = 0;
  for (size_t i = 0; i < cg->ndirs; i++) {
    /* The pids of a just-killed container can take a moment to leave; retry briefly. */
    for (int attempt = 0; attempt < 100; attempt++) {
      if (rmdir(cg->dir[i]) == 0 || errno == ENOENT) break;
      if (errno != EBUSY || attempt == 99) {
        rc = -1;
        break;
      }
      usleep(10000);
    }
  }
  return rc;
}

void ts_cgroup_to_json(const ts_cgroup *cg, char *buf, size_t len) {
  size_t off = (size_t)snprintf(buf, len, "{\"version\":%d,\"dirs\":{", cg->version);
  for (size_t i = 0; i < cg->ndirs && off < len; i++)
    off += (size_t)snprintf(buf + off, len - off, "%s\"%s\":\"%s\"", i ? "," : "", cg->controller[i], cg->dir[i]);
  if (off < len) snprintf(buf + off, len - off, "}}");
}
