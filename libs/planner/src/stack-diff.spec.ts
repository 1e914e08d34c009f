// Unit tests of the pure stack diff and canonical spec hash.
import {
  DEFAULT_RESTART_POLICY,
  DEFAULT_UPDATE_CONFIG,
  type ServiceSpec,
  type StackSpec,
} from '@tsstack/model';
import { canonicalJson, serviceSpecHash } from '@tsstack/spec';
import { planStack } from '../index';

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
      'remove',
      stack(svc('a'), svc('b')),
      stack(svc('b')),
      [
        { service: 'a', action: 'remove', reasons: ['not in stack file'] },
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
});
