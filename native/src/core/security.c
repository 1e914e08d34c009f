/* See security.h. */
#include "security.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
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
