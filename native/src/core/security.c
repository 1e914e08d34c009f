/* See security.h. */
#include "security.h"

#include <errno.h>
#include <grp.h>
#include <json-c/json.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int ts_apply_rlimits(const ts_spec *s, ts_error *err) {
  for (size_t i = 0; i < s->nrlimits; i++) {
    struct rlimit rl = {.rlim_cur = s->rlimits[i].soft, .rlim_max = s->rlimits[i].hard};
    if (setrlimit(s->rlimits[i].resource, &rl) < 0) return ts_fail(err, errno, "setrlimit", "rlimit %d", s->rlimits[i].resource);
  }
  return 0;
}

static int last_cap(void) {
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  int last = 40;
  if (f) {
    if (fscanf(f, "%d", &last) != 1) last = 40;
    fclose(f);
  }
  return last;
}

static int set_caps(const ts_spec *s, ts_error *err) {
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  for (int i = 0; i < 2; i++) {
    data[i].effective = (uint32_t)(s->cap_effective >> (32 * i));
    data[i].permitted = (uint32_t)(s->cap_permitted >> (32 * i));
    data[i].inheritable = (uint32_t)(s->cap_inheritable >> (32 * i));
  }
  if (syscall(SYS_capset, &hdr, data) < 0) return ts_fail(err, errno, "capset", "set capabilities");
  return 0;
}

int ts_apply_identity(const ts_spec *s, ts_error *err) {
  int last = last_cap();
  for (int cap = 0; cap <= last; cap++)
    if (!(s->cap_bounding & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return ts_fail(err, errno, "capabilities", "drop %d from the bounding set", cap);
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return ts_fail(err, errno, "prctl", "keep caps");
  if (setgroups(s->nadditional_gids, s->additional_gids) < 0) return ts_fail(err, errno, "setgroups", "additional groups");
  if (setresgid(s->gid, s->gid, s->gid) < 0) return ts_fail(err, errno, "setgid", "gid %u", (unsigned)s->gid);
  if (setresuid(s->uid, s->uid, s->uid) < 0) return ts_fail(err, errno, "setuid", "uid %u", (unsigned)s->uid);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return ts_fail(err, errno, "prctl", "stop keeping caps");
  if (set_caps(s, err) < 0) return -1;
  for (int cap = 0; cap <= last; cap++)
    if ((s->cap_ambient & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      return ts_fail(err, errno, "capabilities", "raise ambient %d", cap);
  if (s->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return ts_fail(err, errno, "prctl", "no_new_privs");
  return 0;
}

static uint32_t action_of(const char *name, int errno_ret, int *ok) {
  *ok = 1;
  if (!name || strcmp(name, "SCMP_ACT_ALLOW") == 0) return SCMP_ACT_ALLOW;
  if (strcmp(name, "SCMP_ACT_ERRNO") == 0) return SCMP_ACT_ERRNO(errno_ret);
  if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0) return SCMP_ACT_KILL;
  if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0) return SCMP_ACT_KILL_PROCESS;
  if (strcmp(name, "SCMP_ACT_TRAP") == 0) return SCMP_ACT_TRAP;
  if (strcmp(name, "SCMP_ACT_LOG") == 0) return SCMP_ACT_LOG;
  *ok = 0;
  return 0;
}

static int op_of(const char *name) {
  static const struct {
    const char *name;
    int op;
  } OPS[] = {{"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
             {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
             {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  for (size_t i = 0; name && i < sizeof OPS / sizeof *OPS; i++)
    if (strcmp(OPS[i].name, name) == 0) return OPS[i].op;
  return -1;
}

static json_object *field(json_object *o, const char *key) {
  json_object *v = NULL;
  return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int add_rule(scmp_filter_ctx ctx, json_object *rule, size_t index, ts_error *err) {
  json_object *names = field(rule, "names"), *args = field(rule, "args"), *ret = field(rule, "errnoRet");
  int ok;
  uint32_t action = action_of(json_object_get_string(field(rule, "action")), ret ? json_object_get_int(ret) : EPERM, &ok);
  if (!ok) return ts_fail(err, 0, "seccomp", "linux.seccomp.syscalls[%zu].action: unknown action", index);
  struct scmp_arg_cmp cmps[6];
  size_t ncmp = args ? json_object_array_length(args) : 0;
  if (ncmp > 6) return ts_fail(err, 0, "seccomp", "linux.seccomp.syscalls[%zu].args: at most 6", index);
  for (size_t i = 0; i < ncmp; i++) {
    json_object *a = json_object_array_get_idx(args, i);
    int op = op_of(json_object_get_string(field(a, "op")));
    if (op < 0) return ts_fail(err, 0, "seccomp", "linux.seccomp.syscalls[%zu].args[%zu].op: unknown", index, i);
    cmps[i] = (struct scmp_arg_cmp){.arg = (unsigned)json_object_get_int(field(a, "index")),
                                    .op = (enum scmp_compare)op,
                                    .datum_a = (scmp_datum_t)json_object_get_uint64(field(a, "value")),
                                    .datum_b = (scmp_datum_t)json_object_get_uint64(field(a, "valueTwo"))};
  }
  for (size_t i = 0; names && i < json_object_array_length(names); i++) {
    const char *name = json_object_get_string(json_object_array_get_idx(names, i));
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue; /* not a syscall of this architecture */
    int rc = seccomp_rule_add_array(ctx, action, nr, (unsigned)ncmp, cmps);
    if (rc < 0 && rc != -EEXIST) return ts_fail(err, -rc, "seccomp", "rule for %s", name);
  }
  return 0;
}

int ts_apply_seccomp(const ts_spec *s, ts_error *err) {
  if (!s->seccomp) return 0;
  json_object *ret = field(s->seccomp, "defaultErrnoRet");
  int ok;
  uint32_t def = action_of(json_object_get_string(field(s->seccomp, "defaultAction")), ret ? json_object_get_int(ret) : EPERM, &ok);
  if (!ok) return ts_fail(err, 0, "seccomp", "linux.seccomp.defaultAction: unknown action");
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) return ts_fail(err, ENOMEM, "seccomp", "init");
  /* no_new_privs is the spec's own decision, made in ts_apply_identity. */
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  json_object *rules = field(s->seccomp, "syscalls");
  int rc = 0;
  for (size_t i = 0; rc == 0 && rules && i < json_object_array_length(rules); i++)
    rc = add_rule(ctx, json_object_array_get_idx(rules, i), i, err);
  if (rc == 0 && (rc = seccomp_load(ctx)) < 0) rc = ts_fail(err, -rc, "seccomp", "load the filter");
  seccomp_release(ctx);
  return rc < 0 ? -1 : 0;
}
