// Unit tests of the pure stack diff and canonical spec hash.
import {
  DEFAULT_RESTART_POLICY,
  DEFAULT_UPDATE_CONFIG,
  plainNetwork,
  type ServiceSpec,
  type StackSpec,
} from '@tsstack/model';
import { canonicalJson, serviceSpecHash } from '@tsstack/spec';
import { keepOrphans, orphanServices, planStack } from '../index';

function svc(name: string, over: Partial<ServiceSpec> = {}, replicas = 1): ServiceSpec {
  return {
    name,
    image: 'busybox:1',
    pullPolicy: 'missing',
    environment: {},
    groupAdd: [],
    labels: {},
    ports: [],
    volumes: [],
    networks: {},
    dependsOn: {},
    init: false,
    privileged: false,
    readOnly: false,
    capAdd: [],
    capDrop: [],
    securityOpt: [],
    devices: [],
    deviceCgroupRules: [],
    sysctls: {},
    ulimits: {},
    tmpfs: [],
    dns: [],
    dnsSearch: [],
    extraHosts: {},
    stopGracePeriodMs: 10000,
    restart: 'no',
    stdinOpen: false,
    tty: false,
    configs: [],
    secrets: [],
    resources: { limits: {}, reservations: {} },
    deploy: {
      mode: 'replicated',
      replicas,
      endpointMode: 'vip',
      placement: { constraints: [], preferences: [] },
      updateConfig: DEFAULT_UPDATE_CONFIG,
      rollbackConfig: DEFAULT_UPDATE_CONFIG,
      restartPolicy: DEFAULT_RESTART_POLICY,
      labels: {},
    },
    logging: { maxSizeBytes: 10_000_000, maxFile: 3 },
    profiles: [],
    ...over,
  };
}
function stack(...services: ServiceSpec[]): StackSpec {
  return {
    name: 's',
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    networks: {},
    volumes: {},
    configs: {},
    secrets: {},
  };
}

describe('canonicalJson / serviceSpecHash', () => {
  it('is independent of key order and ignores undefined', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
  it('ignores replicas but not the image', () => {
    expect(serviceSpecHash(svc('a', {}, 1))).toBe(serviceSpecHash(svc('a', {}, 5)));
    expect(serviceSpecHash(svc('a'))).not.toBe(serviceSpecHash(svc('a', { image: 'busybox:2' })));
  });
});

describe('planStack', () => {
  it.each([
    [
      'new stack',
      undefined,
      stack(svc('web')),
      [{ service: 'web', action: 'create', reasons: ['new service'] }],
    ],
    [
      'unchanged',
      stack(svc('web')),
      stack(svc('web')),
      [{ service: 'web', action: 'unchanged', reasons: [] }],
    ],
    [
      'image',
      stack(svc('web')),
      stack(svc('web', { image: 'x' })),
      [{ service: 'web', action: 'update', reasons: ['image changed'] }],
    ],
    [
      'scale',
      stack(svc('web', {}, 2)),
      stack(svc('web', {}, 5)),
      [{ service: 'web', action: 'update', reasons: ['replicas 2->5'] }],
    ],
    [
      'orphan kept',
      stack(svc('a'), svc('b')),
      stack(svc('b')),
      [
        {
          service: 'a',
          action: 'orphaned',
          reasons: ['not in stack file: kept, --remove-orphans removes it'],
        },
        { service: 'b', action: 'unchanged', reasons: [] },
      ],
    ],
    [
      'other field',
      stack(svc('w')),
      stack(svc('w', { tty: true })),
      [{ service: 'w', action: 'update', reasons: ['spec changed'] }],
    ],
  ] as const)('%s', (_n, cur, next, want) => {
    expect(planStack(cur, next)).toEqual(want);
  });

  it('removes the services that left the files with removeOrphans', () => {
    expect(planStack(stack(svc('a'), svc('b')), stack(svc('b')), { removeOrphans: true })).toEqual([
      { service: 'a', action: 'remove', reasons: ['not in stack file'] },
      { service: 'b', action: 'unchanged', reasons: [] },
    ]);
  });
});

describe('keepOrphans', () => {
  const net = (name: string) => plainNetwork(name, 'bridge');
  it('adds the orphans and the networks, volumes, configs and secrets only they still use', () => {
    const old = svc('old', {
      networks: { back: { aliases: [] } },
      volumes: [{ type: 'volume', source: 'data', target: '/d', readOnly: false }],
      configs: [{ source: 'cfg', target: '/c', uid: '0', gid: '0', mode: 0o444 }],
    });
    const cur: StackSpec = {
      ...stack(svc('a'), old),
      networks: { back: net('back'), front: net('front') },
      volumes: { data: { name: 'data' } as never, scratch: { name: 'scratch' } as never },
      configs: { cfg: { name: 'cfg' } as never },
    };
    const next = { ...stack(svc('a')), networks: { front: net('front') } };
    const kept = keepOrphans(cur, next);
    expect(orphanServices(cur, next)).toEqual(['old']);
    expect(Object.keys(kept.services).sort()).toEqual(['a', 'old']);
    expect(kept.services.old).toBe(old);
    expect(Object.keys(kept.networks).sort()).toEqual(['back', 'front']);
    expect(Object.keys(kept.volumes)).toEqual(['data']);
    expect(Object.keys(kept.configs)).toEqual(['cfg']);
  });
  it('is the next stack itself when nothing is orphaned', () => {
    const next = stack(svc('a'));
    expect(keepOrphans(undefined, next)).toBe(next);
    expect(keepOrphans(stack(svc('a')), next)).toBe(next);
  });
});
