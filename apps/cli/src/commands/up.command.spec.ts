import type { StackSpec } from '@tsstack/model';
import { applyScale } from './up.command';

describe('applyScale', () => {
  const spec = () => ({ name: 's', services: { web: { deploy: { replicas: 1 } } } }) as unknown as StackSpec;
  it('overrides replicas of named services', () => {
    const s = spec();
    applyScale(s, ['web=4']);
    expect(s.services.web!.deploy.replicas).toBe(4);
  });
  it('rejects malformed and unknown services with exit 2', () => {
    expect(() => applyScale(spec(), ['web'])).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => applyScale(spec(), ['db=1'])).toThrow(/no service db in stack s/);
  });
});
