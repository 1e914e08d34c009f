// The holder container of a one-off: the command's process is kept for the exec, the container sleeps.
import type { ContainerSpec } from '@tsstack/runtime';
import { HOLDER_TARGET, RUN_ID_LABEL, holdContainerSpec } from './run-request';
import { TASK_ID_LABEL } from './assignment-reconcile';

const spec: ContainerSpec = {
  id: 'run-1',
  rootfs: { path: '/tmp/rootfs' },
  process: { args: ['sh', '-c', 'echo hi'], env: { GREETING: 'hi' }, cwd: '/app', user: 'nobody', tty: true },
  mounts: [{ type: 'tmpfs', target: '/tmp' }],
  init: true,
  labels: { [TASK_ID_LABEL]: 'run-1', 'io.tsstack.stack': 'app' },
};

describe('holdContainerSpec', () => {
  const held = holdContainerSpec(spec, '/bin/busybox', { uid: 65534, gid: 65534, home: '/nonexistent' });

  it('keeps the command, its env (with PATH and HOME), working dir and numeric user for the exec', () => {
    expect(held.process.args).toEqual(['sh', '-c', 'echo hi']);
    expect(held.process.env.GREETING).toBe('hi');
    expect(held.process.env.PATH).toContain('/bin');
    expect(held.process.env.HOME).toBe('/nonexistent');
    expect(held.process.cwd).toBe('/app');
    expect(held.process.user).toBe('65534:65534');
  });

  it('makes the container a sleeping holder with the busybox bind-mounted read-only', () => {
    expect(held.spec.process.args).toEqual([HOLDER_TARGET, 'sleep', '2147483647']);
    expect(held.spec.process.tty).toBeUndefined();
    expect(held.spec.init).toBe(false);
    expect(held.spec.mounts).toContainEqual({ type: 'bind', source: '/bin/busybox', target: HOLDER_TARGET, readOnly: true }); // prettier-ignore
    expect(held.spec.mounts).toContainEqual({ type: 'tmpfs', target: '/tmp' });
  });

  it('carries no task label, so the assignment reconcile leaves it alone', () => {
    expect(held.spec.labels?.[TASK_ID_LABEL]).toBeUndefined();
    expect(held.spec.labels?.[RUN_ID_LABEL]).toBe('run-1');
    expect(held.spec.labels?.['io.tsstack.stack']).toBe('app');
  });
});
