import { TaskState, type ServiceSpec, type Task } from '@tsstack/model';
import { buildContainerSpec, containerIdFor } from './container-spec';

function task(over: Partial<ServiceSpec>): Task {
  const spec = {
    name: 'web', image: 'img', environment: { B: '2' }, groupAdd: [], labels: {}, volumes: [], tmpfs: [], capAdd: [], capDrop: [],
    securityOpt: [], devices: [], deviceCgroupRules: [], sysctls: {}, ulimits: {}, init: false, privileged: false, readOnly: false,
    tty: false, resources: { limits: {}, reservations: {} }, logging: { maxSizeBytes: 1, maxFile: 1 }, ...over,
  } as unknown as ServiceSpec; // prettier-ignore
  const status = { state: TaskState.Assigned, message: '', health: 'none' as const, timestamp: 0 };
  return { id: 't1', stack: 's', service: 'web', specVersion: 1, specHash: 'h', spec, desiredState: TaskState.Running, status, networks: [], createdAt: 0, updatedAt: 0 }; // prettier-ignore
}

describe('buildContainerSpec', () => {
  const rootfs = { path: '/r' };
  it('applies Compose command rules over the image and merges the environment', () => {
    const c = buildContainerSpec(task({ command: ['-v'] }), { Entrypoint: ['httpd'], Cmd: ['-f'], Env: ['A=1', 'B=1'] }, rootfs, [], { mode: 'none' }); // prettier-ignore
    expect(c.process.args).toEqual(['httpd', '-v']);
    expect(c.process.env).toEqual({ A: '1', B: '2' });
    expect(c.labels).toMatchObject({ 'io.tsstack.task.id': 't1', 'io.tsstack.stack': 's' });
  });
  it('pid: host becomes hostPid', () => {
    expect(buildContainerSpec(task({ pidMode: 'host', command: ['x'] }), {}, rootfs, [], { mode: 'host' }).hostPid).toBe(true); // prettier-ignore
    expect(buildContainerSpec(task({ command: ['x'] }), {}, rootfs, [], { mode: 'none' }).hostPid).toBe(
      false,
    );
  });
  it('maps security_opt seccomp to unconfined, the loaded profile or the default', () => {
    const build = (over: Partial<ServiceSpec>) => buildContainerSpec(task({ command: ['x'], ...over }), {}, rootfs, [], { mode: 'none' }).seccomp; // prettier-ignore
    const profile = { defaultAction: 'SCMP_ACT_ALLOW' as const };
    expect(build({})).toBe('default');
    expect(build({ securityOpt: ['seccomp:unconfined'] })).toBe('unconfined');
    expect(build({ securityOpt: ['seccomp=/p.json'], seccompProfile: profile })).toEqual({ profile });
  });
  it('refuses a task with no command anywhere', () => {
    expect(() => buildContainerSpec(task({}), {}, rootfs, [], { mode: 'none' })).toThrow(/has no command/);
  });
  it('keeps valid task ids as container ids and hashes the others', () => {
    expect(containerIdFor('abc-1')).toBe('abc-1');
    expect(containerIdFor('a/b')).toMatch(/^[0-9a-f]{32}$/);
  });
});
