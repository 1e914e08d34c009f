/* See seccomp.h. */
#include "seccomp.h"

#include <errno.h>
#include <json-c/json.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp-cache.h"

#define STEP "seccomp"
#define MAX_ARCHES 8
#define X32_BIT 0x40000000U

/* The architectures of one filter and, for each, the highest syscall number the profile names there. */
typedef struct arch_set {
  uint32_t token[MAX_ARCHES];
  long max[MAX_ARCHES];
  size_t n;
} arch_set;

static json_object *field(json_object *o, const char *key) {
  json_object *v = NULL;
  return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static size_t length(json_object *a) {
  return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static int action_of(const char *name, int ret, uint32_t *out) {
  static const struct {
    const char *name;
    uint32_t action;
  } ACTIONS[] = {{"SCMP_ACT_KILL", SCMP_ACT_KILL},   {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
                 {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS}, {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
                 {"SCMP_ACT_LOG", SCMP_ACT_LOG},     {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW}};
  if (!name) return -1;
  if (strcmp(name, "SCMP_ACT_ERRNO") == 0) return *out = SCMP_ACT_ERRNO((uint16_t)ret), 0;
  if (strcmp(name, "SCMP_ACT_TRACE") == 0) return *out = SCMP_ACT_TRACE((uint16_t)ret), 0;
  for (size_t i = 0; i < sizeof ACTIONS / sizeof *ACTIONS; i++)
    if (strcmp(ACTIONS[i].name, name) == 0) return *out = ACTIONS[i].action, 0;
  return -1;
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

/* "SCMP_ARCH_X86_64" -> libseccomp's token (0 when unknown). */
static uint32_t arch_token(const char *name) {
  char lower[32];
  size_t i = 0;
  if (!name || strncmp(name, "SCMP_ARCH_", 10) != 0) return 0;
  for (name += 10; name[i] && i < sizeof lower - 1; i++) lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
  lower[i] = 0;
  return seccomp_arch_resolve_name(lower);
}

static int add_arches(scmp_filter_ctx ctx, json_object *list, arch_set *set, ts_error *err) {
  set->token[0] = seccomp_arch_native();
  set->max[0] = -1;
  set->n = 1;
  for (size_t i = 0; i < length(list); i++) {
    const char *name = json_object_get_string(json_object_array_get_idx(list, i));
    uint32_t token = arch_token(name);
    if (!token) return ts_fail(err, 0, STEP, "linux.seccomp.architectures[%zu]: unknown architecture %s", i, name ? name : "(none)");
    int known = 0;
    for (size_t j = 0; j < set->n; j++) known |= set->token[j] == token;
    if (known) continue;
    if (set->n == MAX_ARCHES) return ts_fail(err, 0, STEP, "linux.seccomp.architectures: at most %d", MAX_ARCHES);
    int rc = seccomp_arch_add(ctx, token);
    if (rc < 0 && rc != -EEXIST) return ts_fail(err, -rc, STEP, "linux.seccomp.architectures[%zu]: add %s", i, name);
    set->token[set->n] = token;
    set->max[set->n++] = -1;
  }
  return 0;
}

static void note_syscall(arch_set *set, const char *name) {
  for (size_t i = 0; i < set->n; i++) {
    int nr = seccomp_syscall_resolve_name_arch(set->token[i], name);
    if (nr >= 0 && nr > set->max[i]) set->max[i] = nr;
  }
}

static int add_rule(scmp_filter_ctx ctx, json_object *rule, size_t index, arch_set *set, ts_error *err) {
  json_object *names = field(rule, "names"), *args = field(rule, "args"), *ret = field(rule, "errnoRet");
  uint32_t action;
  const char *name = json_object_get_string(field(rule, "action"));
  if (action_of(name, ret ? json_object_get_int(ret) : EPERM, &action) < 0)
    return ts_fail(err, 0, STEP, "linux.seccomp.syscalls[%zu].action: unsupported action %s", index, name ? name : "(none)");
  struct scmp_arg_cmp cmps[6];
  size_t ncmp = length(args);
  if (ncmp > 6) return ts_fail(err, 0, STEP, "linux.seccomp.syscalls[%zu].args: at most 6", index);
  for (size_t i = 0; i < ncmp; i++) {
    json_object *a = json_object_array_get_idx(args, i);
    int op = op_of(json_object_get_string(field(a, "op")));
    int64_t arg = json_object_get_int64(field(a, "index"));
    if (op < 0) return ts_fail(err, 0, STEP, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown", index, i);
    if (arg < 0 || arg > 5) return ts_fail(err, 0, STEP, "linux.seccomp.syscalls[%zu].args[%zu].index: 0 to 5", index, i);
    cmps[i] = (struct scmp_arg_cmp){.arg = (unsigned)arg,
                                    .op = (enum scmp_compare)op,
                                    .datum_a = (scmp_datum_t)json_object_get_uint64(field(a, "value")),
                                    .datum_b = (scmp_datum_t)json_object_get_uint64(field(a, "valueTwo"))};
  }
  for (size_t i = 0; i < length(names); i++) {
    const char *sys = json_object_get_string(json_object_array_get_idx(names, i));
    int nr = sys ? seccomp_syscall_resolve_name(sys) : __NR_SCMP_ERROR;
    if (nr == __NR_SCMP_ERROR) continue; /* unknown to this libseccomp: it falls under the default action */
    note_syscall(set, sys);
    int rc = seccomp_rule_add_array(ctx, action, nr, (unsigned)ncmp, cmps);
    if (rc < 0 && rc != -EEXIST) return ts_fail(err, -rc, STEP, "linux.seccomp.syscalls[%zu]: rule for %s", index, sys);
  }
  return 0;
}

static int flags_of(json_object *list, unsigned *flags, ts_error *err) {
  static const struct {
    const char *name;
    unsigned flag;
  } FLAGS[] = {{"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
               {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
               {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW}};
  *flags = 0;
  for (size_t i = 0; i < length(list); i++) {
    const char *name = json_object_get_string(json_object_array_get_idx(list, i));
    size_t j = 0;
    while (j < sizeof FLAGS / sizeof *FLAGS && (!name || strcmp(FLAGS[j].name, name) != 0)) j++;
    if (j == sizeof FLAGS / sizeof *FLAGS) return ts_fail(err, 0, STEP, "linux.seccomp.flags[%zu]: unknown flag %s", i, name ? name : "(none)");
    *flags |= FLAGS[j].flag;
  }
  return 0;
}

/* libseccomp's program for `ctx`, read back from a memfd (libseccomp 2.5 exports only to a file). */
static struct sock_filter *export_program(scmp_filter_ctx ctx, size_t *len, ts_error *err) {
  int fd = (int)syscall(SYS_memfd_create, "tsstack-seccomp", MFD_CLOEXEC);
  if (fd < 0) return ts_fail(err, errno, STEP, "memfd for the filter"), NULL;
  int rc = seccomp_export_bpf(ctx, fd);
  struct stat st;
  struct sock_filter *insns = NULL;
  if (rc < 0) ts_fail(err, -rc, STEP, "compile the filter");
  else if (fstat(fd, &st) < 0 || st.st_size == 0 || st.st_size % sizeof *insns) ts_fail(err, EIO, STEP, "read the filter back");
  else if (!(insns = malloc((size_t)st.st_size))) ts_fail(err, ENOMEM, STEP, "filter");
  else if (pread(fd, insns, (size_t)st.st_size, 0) != st.st_size) {
    ts_fail(err, EIO, STEP, "read the filter back");
    free(insns);
    insns = NULL;
  } else
    *len = (size_t)st.st_size / sizeof *insns;
  close(fd);
  return insns;
}

static struct sock_filter jump(uint16_t code, uint32_t k, size_t pc, size_t jt, size_t jf) {
  return (struct sock_filter)BPF_JUMP(code, k, (uint8_t)(jt - pc - 1), (uint8_t)(jf - pc - 1));
}

static uint32_t limit(long max) { return max < 0 ? UINT32_MAX : (uint32_t)max; }

/* The ENOSYS stub (see seccomp.h): one block per architecture, then "return ENOSYS"; a syscall no block
 * refuses continues at the instruction after it, the start of libseccomp's program. */
static size_t stub(const arch_set *set, struct sock_filter *out) {
  long max64 = -1, max32 = -1;
  int x86_64 = 0;
  size_t blocks = 0, n = 0;
  for (size_t i = 0; i < set->n; i++) {
    if (set->token[i] == SCMP_ARCH_X86_64) max64 = set->max[i], x86_64 = 1;
    else if (set->token[i] == SCMP_ARCH_X32) max32 = set->max[i] < 0 ? -1 : (long)((uint32_t)set->max[i] & ~X32_BIT), x86_64 = 1;
    else blocks += 4;
  }
  size_t total = blocks + (x86_64 ? 7 : 0), enosys = total, cont = total + 1;
  if (x86_64) { /* x32 calls come as x86_64 with X32_BIT set in the number */
    size_t next = n + 7 == total ? cont : n + 7;
    out[n] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), n++;
    out[n] = jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, n, n + 1, next), n++;
    out[n] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)), n++;
    out[n] = jump(BPF_JMP | BPF_JSET | BPF_K, X32_BIT, n, n + 2, n + 1), n++;
    out[n] = jump(BPF_JMP | BPF_JGT | BPF_K, limit(max64), n, enosys, cont), n++;
    out[n] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_BIT), n++;
    out[n] = jump(BPF_JMP | BPF_JGT | BPF_K, limit(max32), n, enosys, cont), n++;
  }
  for (size_t i = 0; i < set->n; i++) {
    if (set->token[i] == SCMP_ARCH_X86_64 || set->token[i] == SCMP_ARCH_X32) continue;
    size_t next = n + 4 == total ? cont : n + 4;
    out[n] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), n++;
    out[n] = jump(BPF_JMP | BPF_JEQ | BPF_K, set->token[i], n, n + 1, next), n++;
    out[n] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)), n++;
    out[n] = jump(BPF_JMP | BPF_JGT | BPF_K, limit(set->max[i]), n, enosys, cont), n++;
  }
  out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  return n;
}

static int compile(json_object *sc, struct sock_filter **insns, unsigned short *len, ts_error *err) {
  json_object *ret = field(sc, "defaultErrnoRet"), *rules = field(sc, "syscalls");
  const char *name = json_object_get_string(field(sc, "defaultAction"));
  uint32_t def;
  if (action_of(name, ret ? json_object_get_int(ret) : EPERM, &def) < 0)
    return ts_fail(err, 0, STEP, "linux.seccomp.defaultAction: unsupported action %s", name ? name : "(none)");
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) return ts_fail(err, ENOMEM, STEP, "init");
  arch_set set;
  int rc = add_arches(ctx, field(sc, "architectures"), &set, err);
  for (size_t i = 0; rc == 0 && i < length(rules); i++) rc = add_rule(ctx, json_object_array_get_idx(rules, i), i, &set, err);
  size_t main_len = 0;
  struct sock_filter *main_prog = rc == 0 ? export_program(ctx, &main_len, err) : NULL;
  seccomp_release(ctx);
  if (!main_prog) return -1;
  /* A filter that allows what it does not name needs no stub: new syscalls are allowed anyway. */
  int blocking = def != SCMP_ACT_ALLOW && def != SCMP_ACT_LOG;
  struct sock_filter head[4 * MAX_ARCHES + 8];
  size_t head_len = blocking ? stub(&set, head) : 0;
  if (head_len + main_len > BPF_MAXINSNS) {
    free(main_prog);
    return ts_fail(err, E2BIG, STEP, "the filter needs %zu instructions, the kernel takes %d", head_len + main_len, BPF_MAXINSNS);
  }
  *insns = malloc((head_len + main_len) * sizeof **insns);
  if (!*insns) return free(main_prog), ts_fail(err, ENOMEM, STEP, "filter");
  memcpy(*insns, head, head_len * sizeof *head);
  memcpy(*insns + head_len, main_prog, main_len * sizeof *main_prog);
  *len = (unsigned short)(head_len + main_len);
  free(main_prog);
  return 0;
}

/* What a cached program is for: this format, the architecture, the libseccomp version and the profile. Bump
 * the format number whenever compile() makes a different program from the same profile. */
static char *cache_key(json_object *sc) {
  const struct scmp_version *v = seccomp_version();
  const char *text = json_object_to_json_string_ext(sc, JSON_C_TO_STRING_PLAIN);
  char *key = NULL;
  if (asprintf(&key, "tsstack-seccomp 1 arch=%u libseccomp=%u.%u.%u\n%s", seccomp_arch_native(), v->major, v->minor,
               v->micro, text) < 0)
    return NULL;
  return key;
}

int ts_seccomp_prepare(ts_spec *s, const char *cache_dir, ts_error *err) {
  if (!s->seccomp) return 0;
  if (!json_object_is_type(s->seccomp, json_type_object)) return ts_fail(err, 0, STEP, "linux.seccomp: must be an object");
  if (flags_of(field(s->seccomp, "flags"), &s->seccomp_flags, err) < 0) return -1;
  char *key = cache_key(s->seccomp);
  s->seccomp_insns = key ? ts_seccomp_cache_get(cache_dir, key, &s->seccomp_len) : NULL;
  int rc = 0;
  if (!s->seccomp_insns) {
    rc = compile(s->seccomp, &s->seccomp_insns, &s->seccomp_len, err);
    if (rc == 0 && key) ts_seccomp_cache_put(cache_dir, key, s->seccomp_insns, s->seccomp_len);
  }
  free(key);
  return rc;
}

int ts_apply_seccomp(const ts_spec *s, ts_error *err) {
  if (!s->seccomp) return 0;
  if (!s->seccomp_insns) return ts_fail(err, 0, STEP, "the filter was not prepared");
  struct sock_fprog prog = {.len = s->seccomp_len, .filter = s->seccomp_insns};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, s->seccomp_flags, &prog) < 0)
    return ts_fail(err, errno, STEP, "load the filter");
  return 0;
}
