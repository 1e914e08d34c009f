// Which image store `up` builds into: the one the embedded node agent reads. A running embedded agent
// keeps the TSSTACK_IMAGE_ROOT (or --image-root) it was started with, which may differ from this shell's,
// so its own start arguments and environment (from /proc) win; with no agent running yet, `up` starts it
// with this process's environment, so the CLI's own default is the agent's too.
import * as fs from 'node:fs';
import { readPid } from '../system/daemons';

/** The value after `flag` in a NUL-separated argv, or undefined. Pure. */
export function flagValue(argv: string[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) return argv[i + 1];
    if (argv[i]!.startsWith(`${flag}=`)) return argv[i]!.slice(flag.length + 1);
  }
  return undefined;
}

function procList(pid: number, file: 'cmdline' | 'environ'): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** The image root of the embedded agent under `dataDir` when it runs, else undefined. */
export function embeddedAgentImageRoot(dataDir: string): string | undefined {
  const pid = readPid(dataDir, 'agent');
  if (pid === undefined) return undefined;
  const fromFlag = flagValue(procList(pid, 'cmdline'), '--image-root');
  if (fromFlag) return fromFlag;
  const env = procList(pid, 'environ').find((e) => e.startsWith('TSSTACK_IMAGE_ROOT='));
  return env ? env.slice('TSSTACK_IMAGE_ROOT='.length) || undefined : undefined;
}
