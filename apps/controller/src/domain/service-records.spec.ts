// Unit tests of the pure service-record transitions and of spec completion/validation.
import { SpecError } from '@tsstack/model';
import { completeService, completeStack } from './spec-defaults';
import { newServiceRecord, withForce, withRollback, withSpec } from './service-records';

const base = (image: string, replicas = 2) => completeService('web', { image, deploy: { replicas } });

describe('service records', () => {
  it.each([
    ['image change', base('a:2'), true],
    ['replicas only', base('a:1', 5), false],
    ['env change', { ...base('a:1'), environment: { X: '1' } }, true],
  ])('%s -> new spec version: %s', (_name, next, bumps) => {
    const r = newServiceRecord('s', base('a:1'), 1);
    const n = withSpec(r, next, 2)!;
    expect(n.version).toBe(2);
    expect(n.specVersion).toBe(bumps ? 2 : 1);
    expect(n.previousSpec).toEqual(bumps ? r.spec : undefined);
  });

  it('an identical spec changes nothing', () => {
    const r = newServiceRecord('s', base('a:1'), 1);
    expect(withSpec(r, base('a:1'), 2)).toBeUndefined();
  });

  it('force bumps the hash and spec version without changing the spec', () => {
    const r = newServiceRecord('s', base('a:1'), 1);
    const f = withForce(r, 2);
    expect(f.spec).toEqual(r.spec);
    expect(f.specHash).not.toBe(r.specHash);
    expect(f.specVersion).toBe(2);
    expect(withForce(f, 3).specHash).not.toBe(f.specHash);
  });

  it('rollback swaps spec and previous spec, keeps the replica count, and needs a previous spec', () => {
    const r = newServiceRecord('s', base('a:1'), 1);
    expect(withRollback(r, 2)).toBeUndefined();
    const u = withSpec(r, base('a:2', 4), 2)!;
    const b = withRollback(u, 3)!;
    expect(b.spec.image).toBe('a:1');
    expect(b.spec.deploy.replicas).toBe(4);
    expect(b.previousSpec!.image).toBe('a:2');
    expect(b.rollback).toBe(true);
    expect(b.specVersion).toBe(3);
  });
});

describe('completeStack', () => {
  it('fills Swarm defaults', () => {
    const s = completeStack('app', { services: { web: { image: 'x' } } });
    expect(s.services.web!.deploy).toMatchObject({
      mode: 'replicated',
      replicas: 1,
      updateConfig: {
        parallelism: 1,
        delayMs: 0,
        order: 'stop-first',
        monitorMs: 5000,
        maxFailureRatio: 0,
        failureAction: 'pause',
      },
      restartPolicy: { condition: 'any', delayMs: 5000, maxAttempts: 0, windowMs: 0 },
    });
  });

  it('reports every problem at once', () => {
    let err: unknown;
    try {
      completeStack('Bad Name', {
        services: {
          a: { deploy: { replicas: 1.5, mode: 'sometimes' } },
          b: {
            image: 'x',
            deploy: { updateConfig: { order: 'random' }, placement: { constraints: ['zone=1'] } },
          },
        },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    expect((err as SpecError).issues.map((i) => i.path)).toEqual([
      'name',
      'services.a.image',
      'services.a.deploy.mode',
      'services.a.deploy.replicas',
      'services.b.deploy.update_config.order',
      'services.b.deploy.placement.constraints',
    ]);
  });
});
