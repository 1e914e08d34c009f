import { SpecError } from '@tsstack/model';
import { completeStack } from './spec-defaults';

describe('completeStack', () => {
  it('checks a seccomp profile sent with a service and names its bad fields', () => {
    const raw = {
      services: { web: { image: 'x', seccompProfile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'NOPE' }] } } }, // prettier-ignore
    };
    let err: unknown;
    try {
      completeStack('shop', raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    expect((err as SpecError).issues).toEqual([
      expect.objectContaining({ path: 'services.web.security_opt', message: expect.stringMatching(/^seccomp profile: syscalls\[0\]\.action: /) }), // prettier-ignore
    ]);
    const ok = completeStack('shop', { services: { web: { image: 'x', seccompProfile: { defaultAction: 'SCMP_ACT_ALLOW' } } } }); // prettier-ignore
    expect(ok.services.web!.seccompProfile).toEqual({ defaultAction: 'SCMP_ACT_ALLOW' });
  });
});
