// Pure plan of a task's mounts: named volumes at <stateDir>/volumes/<stack>_<name> (kept across redeploys),
// anonymous volumes per task, bind mounts, tmpfs, configs as files (mode) and secrets from the secrets tmpfs
// under /run/secrets. The runtime driver turns this list into mounts inside the container's rootfs.
import * as path from 'node:path';
import type { Task } from '@tsstack/model';

export type HostMount =
  | {
      kind: 'bind';
      source: string;
      target: string;
      readOnly: boolean;
      createSource: boolean;
      owned?: 'volume';
      /** A named volume's name (<stack>_<name>); absent for anonymous volumes and bind mounts. */
      volume?: string;
    }
  | { kind: 'tmpfs'; target: string; readOnly: boolean; sizeBytes?: number; mode?: number }
  | { kind: 'file'; object: 'config' | 'secret'; name: string; source: string; target: string; mode: number };

export interface MountDirs {
  volumesDir: string;
  configsDir: string;
  secretsDir: string;
}

export function planTaskMounts(task: Task, dirs: MountDirs): HostMount[] {
  const out: HostMount[] = [];
  task.spec.volumes.forEach((m, i) => {
    if (m.type === 'volume') {
      const name = m.source ? `${task.stack}_${m.source}` : `anon_${task.id}_${i}`;
      out.push({
        kind: 'bind',
        source: path.join(dirs.volumesDir, name),
        target: m.target,
        readOnly: m.readOnly,
        createSource: true,
        owned: 'volume',
        ...(m.source ? { volume: name } : {}),
      });
    } else if (m.type === 'bind') {
      out.push({
        kind: 'bind',
        source: m.source,
        target: m.target,
        readOnly: m.readOnly,
        createSource: m.createHostPath,
      });
    } else {
      out.push({
        kind: 'tmpfs',
        target: m.target,
        readOnly: m.readOnly,
        sizeBytes: m.sizeBytes,
        mode: m.mode,
      });
    }
  });
  for (const c of task.spec.configs) {
    out.push({
      kind: 'file',
      object: 'config',
      name: `${task.stack}_${c.source}`,
      source: path.join(dirs.configsDir, task.id, c.source),
      target: c.target || `/${c.source}`,
      mode: c.mode || 0o444,
    });
  }
  for (const s of task.spec.secrets) {
    const target = s.target
      ? s.target.startsWith('/')
        ? s.target
        : `/run/secrets/${s.target}`
      : `/run/secrets/${s.source}`;
    out.push({
      kind: 'file',
      object: 'secret',
      name: `${task.stack}_${s.source}`,
      source: path.join(dirs.secretsDir, task.id, s.source),
      target,
      mode: s.mode || 0o444,
    });
  }
  return out;
}
