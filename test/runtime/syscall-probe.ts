// A tiny static program that makes raw syscalls inside a container and prints how each ended, so seccomp
// tests can see EPERM from ENOSYS from a call that went through. Built with the host's C compiler (gcc and
// libc6-dev, which native/ needs anyway) once per test process.
//   /probe NAME[,ARG...]...   one line per call: `NAME ok` or `NAME EPERM` (glibc's errno name)
// NAME is a syscall name from the table below, or `nr:N` for a raw number.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireCommand } from '@tsstack/testkit';

const SOURCE = `
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
static const struct { const char *name; long nr; } CALLS[] = {
  {"getpid", SYS_getpid}, {"io_uring_setup", SYS_io_uring_setup}, {"io_uring_enter", SYS_io_uring_enter},
  {"io_uring_register", SYS_io_uring_register}, {"keyctl", SYS_keyctl}, {"add_key", SYS_add_key},
  {"userfaultfd", SYS_userfaultfd}, {"bpf", SYS_bpf}, {"unshare", SYS_unshare}, {"clone3", SYS_clone3},
  {"socket", SYS_socket}, {"personality", SYS_personality}, {"mkdir", SYS_mkdir}, {"kexec_load", SYS_kexec_load},
  {"open_by_handle_at", SYS_open_by_handle_at}, {"perf_event_open", SYS_perf_event_open},
};
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    char *p = argv[i], *end;
    long nr = -1, a[6] = {0};
    int n = 0;
    if (strncmp(p, "nr:", 3) == 0) nr = strtol(p + 3, &end, 0);
    else {
      size_t len = strcspn(p, ",");
      for (size_t k = 0; k < sizeof CALLS / sizeof *CALLS; k++)
        if (strlen(CALLS[k].name) == len && strncmp(CALLS[k].name, p, len) == 0) nr = CALLS[k].nr;
      end = p + len;
    }
    if (nr < 0) { printf("%s unknown\\n", p); continue; }
    while (*end == ',' && n < 6) a[n++] = strtol(end + 1, &end, 0);
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    printf("%s %s\\n", argv[i], r < 0 ? strerrorname_np(errno) : "ok");
  }
  return 0;
}
`;

let built: Buffer | undefined;

/** The probe program's bytes (mode 0755 in the container). */
export function syscallProbe(): { bytes: Buffer; mode: number } {
  if (!built) {
    requireCommand('cc', 'gcc');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrt-probe-'));
    try {
      fs.writeFileSync(path.join(dir, 'probe.c'), SOURCE);
      execFileSync('cc', ['-static', '-O1', '-o', path.join(dir, 'probe'), path.join(dir, 'probe.c')]);
      built = fs.readFileSync(path.join(dir, 'probe'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return { bytes: built, mode: 0o755 };
}

/** Runs the probe's output lines into a map: call -> result. */
export function probeResults(lines: string[]): Record<string, string> {
  return Object.fromEntries(lines.map((l) => l.split(' ') as [string, string]));
}
