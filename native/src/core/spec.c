/* Parses the OCI-style config.json (see spec.h) into a ts_spec, refusing what the core cannot honour with an
 * error that names the field. */
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>

#define SPEC_STEP "config.json"

static json_object *get(json_object *o, const char *key) {
  json_object *v = NULL;
  if (o && json_object_get_type(o) == json_type_object && json_object_object_get_ex(o, key, &v)) return v;
  return NULL;
}

static const char *get_str(json_object *o, const char *key) {
  json_object *v = get(o, key);
  return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int64_t get_int(json_object *o, const char *key, int64_t fallback) {
  json_object *v = get(o, key);
  return v && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
             ? json_object_get_int64(v)
             : fallback;
}

static size_t array_len(json_object *a) {
  return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static char **string_array(json_object *a) {
  size_t n = array_len(a);
  char **out = calloc(n + 1, sizeof *out);
  for (size_t i = 0; out && i < n; i++) out[i] = (char *)json_object_get_string(json_object_array_get_idx(a, i));
  return out;
}

static int cap_set_from(json_object *a, uint64_t *mask, const char *field, ts_error *err) {
  *mask = 0;
  for (size_t i = 0; i < array_len(a); i++) {
    const char *name = json_object_get_string(json_object_array_get_idx(a, i));
    char lower[64];
    size_t j = 0;
    for (; name[j] && j < sizeof lower - 1; j++) lower[j] = (char)tolower((unsigned char)name[j]);
    lower[j] = 0;
    cap_value_t cap;
    if (cap_from_name(lower, &cap) < 0)
      return ts_fail(err, 0, SPEC_STEP, "process.capabilities.%s: unknown capability %s", field, name);
    *mask |= 1ULL << cap;
  }
  return 0;
}

static const struct {
  const char *name;
  int resource;
} RLIMITS[] = {
    {"RLIMIT_AS", RLIMIT_AS},         {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},     {"RLIMIT_FSIZE", RLIMIT_FSIZE},       {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO}, {"RLIMIT_RTTIME", RLIMIT_RTTIME},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static const struct {
  const char *name;
  int clear;
  unsigned long flag;
} MOUNT_FLAGS[] = {
    {"ro", 0, MS_RDONLY},          {"rw", 1, MS_RDONLY},        {"nosuid", 0, MS_NOSUID},
    {"suid", 1, MS_NOSUID},        {"nodev", 0, MS_NODEV},      {"dev", 1, MS_NODEV},
    {"noexec", 0, MS_NOEXEC},      {"exec", 1, MS_NOEXEC},      {"sync", 0, MS_SYNCHRONOUS},
    {"async", 1, MS_SYNCHRONOUS},  {"dirsync", 0, MS_DIRSYNC},  {"noatime", 0, MS_NOATIME},
    {"atime", 1, MS_NOATIME},      {"nodiratime", 0, MS_NODIRATIME}, {"diratime", 1, MS_NODIRATIME},
    {"relatime", 0, MS_RELATIME},  {"norelatime", 1, MS_RELATIME}, {"strictatime", 0, MS_STRICTATIME},
};

static const struct {
  const char *name;
  unsigned long flag;
} PROPAGATION[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC}, {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC}, {"slave", MS_SLAVE},             {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

static unsigned long propagation_of(const char *name) {
  for (size_t i = 0; name && i < sizeof PROPAGATION / sizeof *PROPAGATION; i++)
    if (strcmp(PROPAGATION[i].name, name) == 0) return PROPAGATION[i].flag;
  return 0;
}

static int parse_mount(json_object *m, ts_mount *out, size_t index, ts_error *err) {
  out->destination = get_str(m, "destination");
  out->type = get_str(m, "type");
  out->source = get_str(m, "source");
  if (!out->destination || out->destination[0] != '/')
    return ts_fail(err, 0, SPEC_STEP, "mounts[%zu].destination: must be an absolute path", index);
  json_object *opts = get(m, "options");
  size_t cap = 1;
  for (size_t i = 0; i < array_len(opts); i++) cap += strlen(json_object_get_string(json_object_array_get_idx(opts, i))) + 1;
  char *data = calloc(cap, 1);
  for (size_t i = 0; i < array_len(opts); i++) {
    const char *o = json_object_get_string(json_object_array_get_idx(opts, i));
    int known = 0;
    if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
      out->bind = 1;
      out->recursive |= o[0] == 'r';
      known = 1;
    }
    for (size_t f = 0; !known && f < sizeof MOUNT_FLAGS / sizeof *MOUNT_FLAGS; f++)
      if (strcmp(MOUNT_FLAGS[f].name, o) == 0) {
        if (MOUNT_FLAGS[f].clear) out->clear_flags |= MOUNT_FLAGS[f].flag;
        else out->flags |= MOUNT_FLAGS[f].flag;
        known = 1;
      }
    unsigned long prop = propagation_of(o);
    if (!known && prop) {
      out->propagation = prop;
      known = 1;
    }
    if (!known) {
      if (*data) strcat(data, ",");
      strcat(data, o);
    }
  }
  if (out->type && strcmp(out->type, "bind") == 0) out->bind = 1;
  if (out->bind && !out->source)
    return ts_fail(err, 0, SPEC_STEP, "mounts[%zu].source: a bind mount needs a source", index);
  out->data = data;
  return 0;
}

static const struct {
  const char *name;
  int flag;
} NAMESPACES[] = {
    {"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},       {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS}, {"user", CLONE_NEWUSER},   {"cgroup", CLONE_NEWCGROUP},
};

static int parse_namespaces(json_object *a, ts_spec *s, ts_error *err) {
  for (size_t i = 0; i < array_len(a) && s->nnamespaces < 8; i++) {
    json_object *n = json_object_array_get_idx(a, i);
    const char *type = get_str(n, "type");
    int flag = 0;
    for (size_t j = 0; type && j < sizeof NAMESPACES / sizeof *NAMESPACES; j++)
      if (strcmp(NAMESPACES[j].name, type) == 0) flag = NAMESPACES[j].flag;
    if (!flag) return ts_fail(err, 0, SPEC_STEP, "linux.namespaces[%zu].type: unknown namespace %s", i, type ? type : "(none)");
    s->namespaces[s->nnamespaces].type = flag;
    s->namespaces[s->nnamespaces].path = get_str(n, "path");
    s->nnamespaces++;
  }
  return 0;
}

static size_t parse_idmaps(json_object *a, ts_idmap *out) {
  size_t n = 0;
  for (size_t i = 0; i < array_len(a) && n < 8; i++, n++) {
    json_object *m = json_object_array_get_idx(a, i);
    out[n].container = (unsigned)get_int(m, "containerID", 0);
    out[n].host = (unsigned)get_int(m, "hostID", 0);
    out[n].size = (unsigned)get_int(m, "size", 0);
  }
  return n;
}

static int parse_process(json_object *p, ts_spec *s, ts_error *err) {
  if (!p) return ts_fail(err, 0, SPEC_STEP, "process: missing");
  s->args = string_array(get(p, "args"));
  if (!s->args || !s->args[0]) return ts_fail(err, 0, SPEC_STEP, "process.args: needs at least the program to run");
  s->env = string_array(get(p, "env"));
  s->cwd = get_str(p, "cwd");
  if (!s->cwd) s->cwd = "/";
  s->terminal = json_object_get_boolean(get(p, "terminal"));
  json_object *user = get(p, "user");
  s->uid = (uid_t)get_int(user, "uid", 0);
  s->gid = (gid_t)get_int(user, "gid", 0);
  json_object *umask = get(user, "umask");
  if (umask) {
    s->has_umask = 1;
    s->umask = (mode_t)json_object_get_int(umask);
  }
  json_object *gids = get(user, "additionalGids");
  s->nadditional_gids = array_len(gids);
  s->additional_gids = calloc(s->nadditional_gids + 1, sizeof(gid_t));
  for (size_t i = 0; i < s->nadditional_gids; i++)
    s->additional_gids[i] = (gid_t)json_object_get_int64(json_object_array_get_idx(gids, i));
  json_object *caps = get(p, "capabilities");
  if (cap_set_from(get(caps, "bounding"), &s->cap_bounding, "bounding", err) < 0 ||
      cap_set_from(get(caps, "effective"), &s->cap_effective, "effective", err) < 0 ||
      cap_set_from(get(caps, "permitted"), &s->cap_permitted, "permitted", err) < 0 ||
      cap_set_from(get(caps, "inheritable"), &s->cap_inheritable, "inheritable", err) < 0 ||
      cap_set_from(get(caps, "ambient"), &s->cap_ambient, "ambient", err) < 0)
    return -1;
  s->no_new_privileges = json_object_get_boolean(get(p, "noNewPrivileges"));
  json_object *rl = get(p, "rlimits");
  s->nrlimits = array_len(rl);
  s->rlimits = calloc(s->nrlimits + 1, sizeof *s->rlimits);
  for (size_t i = 0; i < s->nrlimits; i++) {
    json_object *r = json_object_array_get_idx(rl, i);
    const char *type = get_str(r, "type");
    int found = -1;
    for (size_t j = 0; type && j < sizeof RLIMITS / sizeof *RLIMITS; j++)
      if (strcmp(RLIMITS[j].name, type) == 0) found = RLIMITS[j].resource;
    if (found < 0) return ts_fail(err, 0, SPEC_STEP, "process.rlimits[%zu].type: unknown rlimit %s", i, type ? type : "(none)");
    s->rlimits[i].resource = found;
    s->rlimits[i].soft = (rlim_t)get_int(r, "soft", 0);
    s->rlimits[i].hard = (rlim_t)get_int(r, "hard", 0);
  }
  return 0;
}

static void parse_resources(json_object *r, ts_resources *res) {
  json_object *mem = get(r, "memory"), *cpu = get(r, "cpu"), *pids = get(r, "pids"), *blkio = get(r, "blockIO");
  res->memory_limit = get_int(mem, "limit", -1);
  res->memory_reservation = get_int(mem, "reservation", -1);
  res->memory_swap = get_int(mem, "swap", -1);
  res->cpu_shares = get_int(cpu, "shares", -1);
  res->cpu_quota = get_int(cpu, "quota", -1);
  res->cpu_period = get_int(cpu, "period", -1);
  res->cpuset_cpus = get_str(cpu, "cpus");
  res->cpuset_mems = get_str(cpu, "mems");
  res->pids_limit = pids ? get_int(pids, "limit", -1) : -1;
  if (pids && res->pids_limit <= 0) res->pids_limit = 0;
  res->blkio_weight = get_int(blkio, "weight", -1);
  json_object *devs = get(r, "devices");
  res->ndevice_rules = array_len(devs);
  res->device_rules = calloc(res->ndevice_rules + 1, sizeof *res->device_rules);
  for (size_t i = 0; i < res->ndevice_rules; i++) {
    json_object *d = json_object_array_get_idx(devs, i);
    const char *type = get_str(d, "type");
    res->device_rules[i].allow = json_object_get_boolean(get(d, "allow"));
    res->device_rules[i].type = type ? type[0] : 'a';
    res->device_rules[i].major = get_int(d, "major", -1);
    res->device_rules[i].minor = get_int(d, "minor", -1);
    res->device_rules[i].access = get_str(d, "access") ? get_str(d, "access") : "rwm";
  }
}

static void parse_devices(json_object *a, ts_spec *s) {
  s->ndevices = array_len(a);
  s->devices = calloc(s->ndevices + 1, sizeof *s->devices);
  for (size_t i = 0; i < s->ndevices; i++) {
    json_object *d = json_object_array_get_idx(a, i);
    const char *type = get_str(d, "type");
    s->devices[i].path = get_str(d, "path");
    s->devices[i].type = type ? type[0] : 'c';
    s->devices[i].major = (unsigned)get_int(d, "major", 0);
    s->devices[i].minor = (unsigned)get_int(d, "minor", 0);
    s->devices[i].mode = (unsigned)get_int(d, "fileMode", 0666);
    s->devices[i].uid = (uid_t)get_int(d, "uid", 0);
    s->devices[i].gid = (gid_t)get_int(d, "gid", 0);
  }
}

static const char **strings_of(json_object *a, size_t *n) {
  *n = array_len(a);
  const char **out = calloc(*n + 1, sizeof *out);
  for (size_t i = 0; i < *n; i++) out[i] = json_object_get_string(json_object_array_get_idx(a, i));
  return out;
}

static int parse_linux(json_object *l, ts_spec *s, ts_error *err) {
  if (parse_namespaces(get(l, "namespaces"), s, err) < 0) return -1;
  s->nuid_maps = parse_idmaps(get(l, "uidMappings"), s->uid_maps);
  s->ngid_maps = parse_idmaps(get(l, "gidMappings"), s->gid_maps);
  json_object *sysctl = get(l, "sysctl");
  s->nsysctls = sysctl ? (size_t)json_object_object_length(sysctl) : 0;
  s->sysctl_keys = calloc(s->nsysctls + 1, sizeof(char *));
  s->sysctl_values = calloc(s->nsysctls + 1, sizeof(char *));
  size_t i = 0;
  if (sysctl) {
    json_object_object_foreach(sysctl, key, val) {
      s->sysctl_keys[i] = key;
      s->sysctl_values[i++] = json_object_get_string(val);
    }
  }
  s->masked_paths = strings_of(get(l, "maskedPaths"), &s->nmasked_paths);
  s->readonly_paths = strings_of(get(l, "readonlyPaths"), &s->nreadonly_paths);
  parse_devices(get(l, "devices"), s);
  s->cgroups_path = get_str(l, "cgroupsPath");
  parse_resources(get(l, "resources"), &s->resources);
  s->seccomp = get(l, "seccomp");
  const char *prop = get_str(l, "rootfsPropagation");
  s->rootfs_propagation = prop ? propagation_of(prop) : (MS_PRIVATE | MS_REC);
  if (prop && !s->rootfs_propagation) return ts_fail(err, 0, SPEC_STEP, "linux.rootfsPropagation: unknown value %s", prop);
  return 0;
}

static void parse_annotations(json_object *a, ts_spec *s) {
  s->overlay_options = get_str(a, "io.tsstack.rootfs.overlay");
  const char *init = get_str(a, "io.tsstack.init");
  s->init = init && strcmp(init, "true") == 0;
  s->log_path = get_str(a, "io.tsstack.log.path");
  const char *size = get_str(a, "io.tsstack.log.max-size"), *files = get_str(a, "io.tsstack.log.max-file");
  s->log_max_size = size ? strtoll(size, NULL, 10) : 10 * 1024 * 1024;
  s->log_max_file = files ? atoi(files) : 3;
  if (s->log_max_file < 1) s->log_max_file = 1;
}

int ts_spec_load(const char *path, ts_spec *s, ts_error *err) {
  memset(s, 0, sizeof *s);
  s->init_fd = -1;
  s->json = json_object_from_file(path);
  if (!s->json) return ts_fail(err, errno ? errno : EINVAL, SPEC_STEP, "cannot read %s: %s", path, json_util_get_last_err());
  json_object *root = get(s->json, "root");
  const char *root_path = get_str(root, "path");
  if (!root_path) return ts_fail(err, 0, SPEC_STEP, "root.path: missing");
  if (root_path[0] != '/') {
    char dir[PATH_MAX], full[PATH_MAX * 2];
    snprintf(dir, sizeof dir, "%s", path);
    snprintf(full, sizeof full, "%s/%s", dirname(dir), root_path);
    json_object_object_add(root, "path", json_object_new_string(full));
    root_path = get_str(root, "path");
  }
  s->root_path = root_path;
  s->root_readonly = json_object_get_boolean(get(root, "readonly"));
  s->hostname = get_str(s->json, "hostname");
  if (parse_process(get(s->json, "process"), s, err) < 0) return -1;
  json_object *mounts = get(s->json, "mounts");
  s->nmounts = array_len(mounts);
  s->mounts = calloc(s->nmounts + 1, sizeof *s->mounts);
  for (size_t i = 0; i < s->nmounts; i++)
    if (parse_mount(json_object_array_get_idx(mounts, i), &s->mounts[i], i, err) < 0) return -1;
  if (parse_linux(get(s->json, "linux"), s, err) < 0) return -1;
  parse_annotations(get(s->json, "annotations"), s);
  return 0;
}

const ts_namespace *ts_spec_namespace(const ts_spec *s, int type) {
  for (size_t i = 0; i < s->nnamespaces; i++)
    if (s->namespaces[i].type == type) return &s->namespaces[i];
  return NULL;
}

void ts_spec_free(ts_spec *s) {
  for (size_t i = 0; i < s->nmounts; i++) free((char *)s->mounts[i].data);
  free(s->mounts);
  free(s->args);
  free(s->env);
  free(s->additional_gids);
  free(s->rlimits);
  free(s->sysctl_keys);
  free(s->sysctl_values);
  free(s->masked_paths);
  free(s->readonly_paths);
  free(s->devices);
  free(s->resources.device_rules);
  free(s->seccomp_insns);
  if (s->json) json_object_put(s->json);
  memset(s, 0, sizeof *s);
}
