// libs/spec: a service's security_opt. Kept as written, except that a `seccomp=FILE` profile (path made
// absolute against its Compose file's directory, as other paths) is read, parsed as JSON and checked as a
// Docker-format profile at load time, and travels in the spec as `seccompProfile`: the nodes that run the
// service never read the file. `seccomp=unconfined` (or `seccomp:unconfined`) turns the filter off and
// `seccomp=builtin` keeps the default, as in Docker.
import { parseSeccompProfile, type SeccompProfile } from '@tsstack/model';
import * as parts from './service-parts';
import type { PathSeg } from './source-locations';
import { SECCOMP_FILE } from './tree-passes';
import type { Checker } from './value-schemas';

export interface SecurityOptions {
  securityOpt: string[];
  seccompProfile?: SeccompProfile;
}

export function securityOptions(
  c: Checker,
  raw: unknown,
  at: PathSeg[],
  readFile: (path: string, at: PathSeg[]) => Uint8Array | undefined,
): SecurityOptions {
  const securityOpt = parts.strOrList(c, raw, at);
  const seccomp = securityOpt.map((o, i) => [o, i] as const).filter(([o]) => /^seccomp[=:]/.test(o));
  if (seccomp.length > 1) c.error([...at, seccomp[1]![1]], 'only one seccomp option per service: remove one');
  const file = seccomp.length === 1 ? SECCOMP_FILE.exec(seccomp[0]![0]) : null;
  if (!file) return { securityOpt };
  const where = [...at, seccomp[0]![1]];
  const bytes = readFile(file[1]!, where);
  if (!bytes) return { securityOpt };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    c.error(where, `seccomp profile ${file[1]} is not JSON: ${(err as Error).message}`);
    return { securityOpt };
  }
  const { profile, problems } = parseSeccompProfile(json);
  for (const p of problems) c.error(where, `seccomp profile ${file[1]}: ${p}`);
  return profile ? { securityOpt, seccompProfile: profile } : { securityOpt };
}
