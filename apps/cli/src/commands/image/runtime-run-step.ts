// The RUN step of `tsstack build` on tsstack's own native core: each RUN is a short-lived container of
// libs/runtime over the build's overlay dirs (no network unless the Dockerfile asks with --network),
// run to completion, its output collected from the shim's log, then removed.
import { randomBytes } from 'node:crypto';
import type { RunStep } from '@tsstack/image';
import { ContainerRuntime } from '@tsstack/runtime';

export function runtimeRunStep(runtime: ContainerRuntime): RunStep {
  return async (rootfs, proc) => {
    const id = `build-${randomBytes(6).toString('hex')}`;
    const env: Record<string, string> = {};
    for (const e of proc.env) {
      const i = e.indexOf('=');
      if (i > 0) env[e.slice(0, i)] = e.slice(i + 1);
    }
    await runtime.run({
      id,
      rootfs,
      process: { args: proc.args, env, cwd: proc.cwd, user: proc.user },
      hostname: id,
      network: proc.network ? { mode: 'host' } : { mode: 'none' },
      labels: { 'tsstack.build': 'true' },
    });
    try {
      const exit = await runtime.wait(id);
      const lines: string[] = [];
      for await (const e of runtime.logs(id)) lines.push(e.line);
      const code = exit.signal ? 128 + (exit.exitCode || 0) : exit.exitCode;
      return { exitCode: exit.oomKilled ? 137 : code, output: lines.join('\n') };
    } finally {
      await runtime.remove(id, { force: true });
    }
  };
}

/** The runtime builds use: its own state root and cgroup parent, apart from the node agent's. */
export function buildRuntime(): ContainerRuntime {
  return new ContainerRuntime({
    stateRoot: process.env.TSSTACK_BUILD_STATE ?? '/run/tsstack/build',
    cgroupParent: '/tsstack-build',
  });
}
