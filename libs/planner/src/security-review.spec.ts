import type { ServiceSpec, StackSpec } from '@tsstack/model';
import { normalizeHostPath, reviewStack, riskySettings, sensitiveHostPath } from './security-review';

function service(over: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name: 'web', image: 'x', environment: {}, groupAdd: [], labels: {}, ports: [], volumes: [], networks: {},
    dependsOn: {}, init: false, privileged: false, readOnly: false, capAdd: [], capDrop: [], securityOpt: [],
    devices: [], deviceCgroupRules: [], sysctls: {}, ulimits: {}, tmpfs: [], dns: [], dnsSearch: [], extraHosts: {},
    ...over,
  } as ServiceSpec; // prettier-ignore
}
const bind = (source: string, target = '/data') =>
  ({ type: 'bind', source, target, readOnly: false, createHostPath: false }) as const;
const fields = (s: ServiceSpec, stack?: StackSpec) => riskySettings(s, stack).map((r) => r.setting);

describe('riskySettings', () => {
  it('finds nothing in a plain service, nor in harmless capabilities, binds and devices', () => {
    expect(
      riskySettings(
        service({
          capAdd: ['NET_ADMIN', 'CAP_NET_BIND_SERVICE'],
          volumes: [bind('/srv/app/html'), bind('/etcetera'), bind('/var/lib/app'), { type: 'volume', source: 'db', target: '/db', readOnly: false }], // prettier-ignore
          devices: [{ source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' }],
          deviceCgroupRules: ['c 10:229 rwm', 'b 7:* m'],
          securityOpt: ['no-new-privileges:true', 'seccomp=/p.json'],
        }),
      ),
    ).toEqual([]);
  });

  it('names privileged, dangerous capabilities, host namespaces and unconfined seccomp', () => {
    expect(
      fields(
        service({
          privileged: true,
          capAdd: ['SYS_ADMIN', 'cap_sys_ptrace', 'ALL'],
          networkMode: 'host',
          pidMode: 'host',
          securityOpt: ['seccomp:unconfined'],
        }),
      ),
    ).toEqual([
      'privileged: true',
      'cap_add: SYS_ADMIN',
      'cap_add: SYS_PTRACE',
      'cap_add: ALL',
      'network_mode: host',
      'pid: host',
      'seccomp=unconfined',
    ]);
  });

  it.each([
    ['/', 'the whole host file system'],
    ['/etc', 'host configuration'],
    ['/etc/ssh/', 'host configuration'],
    ['/srv/../etc', 'host configuration'],
    ['/var/run/docker.sock', 'the Docker API'],
    ['/run/user/1000/podman/podman.sock', "a daemon's control socket"],
    ['/var/lib/tsstack/agent', "tsstack's own state"],
    ['/var', 'it holds /var/lib/tsstack'],
    ['/run', 'it holds /run/tsstack'],
    ['/proc/1/root', "the host's processes"],
  ])('names a bind of %s', (source, why) => {
    const [risk] = riskySettings(service({ volumes: [bind('/srv/ok'), bind(source)] }));
    expect(risk).toMatchObject({ field: 'volumes[1]', setting: `${source}:/data` });
    expect(risk!.reason).toContain(why);
  });

  it('names a bind of a directory the caller protects, and a local volume that binds a sensitive path', () => {
    expect(riskySettings(service({ volumes: [bind('/data/tsstack/controller')] }), undefined, ['/data/tsstack'])).toHaveLength(1); // prettier-ignore
    const stack = {
      name: 's',
      services: {},
      networks: {},
      volumes: { host: { name: 'host', driver: 'local', external: false, labels: {}, driverOpts: { type: 'none', o: 'bind', device: '/etc' } } }, // prettier-ignore
      configs: {},
      secrets: {},
    } as StackSpec;
    expect(fields(service({ volumes: [{ type: 'volume', source: 'host', target: '/h', readOnly: true }] }), stack)).toEqual(['/etc:/h']); // prettier-ignore
  });

  it('names raw devices and device rules that open block devices', () => {
    expect(
      fields(
        service({
          devices: ['/dev/sda', '/dev/nvme0n1', '/dev/mem', '/dev/mapper/vg-root'].map((d) => ({ source: d, target: d, permissions: 'rwm' })), // prettier-ignore
          deviceCgroupRules: ['b 8:* rw', 'a *:* rwm', 'c 1:1 rwm'],
        }),
      ),
    ).toEqual(['devices: /dev/sda', 'devices: /dev/nvme0n1', 'devices: /dev/mem', 'devices: /dev/mapper/vg-root', 'device_cgroup_rules: b 8:* rw', 'device_cgroup_rules: a *:* rwm']); // prettier-ignore
  });
});

describe('reviewStack', () => {
  it('lists only the services with risky settings', () => {
    const stack = { name: 's', services: { web: service(), admin: service({ name: 'admin', privileged: true }) }, networks: {}, volumes: {}, configs: {}, secrets: {} } as StackSpec; // prettier-ignore
    expect(reviewStack(stack)).toEqual([{ service: 'admin', risks: [expect.objectContaining({ field: 'privileged' })] }]); // prettier-ignore
  });

  it('normalizes host paths', () => {
    expect(normalizeHostPath('/a/./b/../c/')).toBe('/a/c');
    expect(normalizeHostPath('/../..')).toBe('/');
    expect(sensitiveHostPath('/etcetera')).toBeUndefined();
  });
});
