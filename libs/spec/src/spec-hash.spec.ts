// Unit tests for the canonical service spec hash.
import type { ServiceSpec } from '@tsstack/model';
import { canonicalJson, serviceSpecHash } from './spec-hash';

describe('serviceSpecHash', () => {
  it('ignores key order and undefined values', () => {
    const a = { name: 'web', image: 'busybox', env: { A: '1', B: '2' } } as unknown as ServiceSpec;
    const b = {
      env: { B: '2', A: '1' },
      image: 'busybox',
      name: 'web',
      x: undefined,
    } as unknown as ServiceSpec;
    expect(serviceSpecHash(a)).toBe(serviceSpecHash(b));
  });
  it('changes when a value changes', () => {
    const a = { name: 'web', image: 'busybox:1' } as unknown as ServiceSpec;
    const b = { name: 'web', image: 'busybox:2' } as unknown as ServiceSpec;
    expect(serviceSpecHash(a)).not.toBe(serviceSpecHash(b));
  });
  it('leaves out deploy.replicas: a scale is not a spec change', () => {
    const a = {
      name: 'web',
      image: 'busybox',
      deploy: { replicas: 2, mode: 'replicated' },
    } as unknown as ServiceSpec;
    const b = {
      name: 'web',
      image: 'busybox',
      deploy: { replicas: 5, mode: 'replicated' },
    } as unknown as ServiceSpec;
    const c = {
      name: 'web',
      image: 'busybox',
      deploy: { replicas: 5, mode: 'global' },
    } as unknown as ServiceSpec;
    expect(serviceSpecHash(a)).toBe(serviceSpecHash(b));
    expect(serviceSpecHash(b)).not.toBe(serviceSpecHash(c));
  });
  it('keeps array order significant', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});
