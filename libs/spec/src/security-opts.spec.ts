// Unit tests: security_opt with a seccomp profile file, read and checked at load time.
import { issuesOf, stackOf } from './spec-test-helpers';

const PROFILE = JSON.stringify({
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
});

describe('security_opt: seccomp=FILE', () => {
  it('reads the profile beside the Compose file into the spec, keeping the option as written', async () => {
    const s = await stackOf(
      'services:\n  web:\n    image: busybox\n    security_opt: ["seccomp=./profiles/strict.json", "no-new-privileges:true"]\n', // prettier-ignore
      {},
      { 'profiles/strict.json': PROFILE },
    );
    const web = s.services.web!;
    expect(web.securityOpt).toEqual(['seccomp=/proj/app/profiles/strict.json', 'no-new-privileges:true']);
    expect(web.seccompProfile).toEqual(JSON.parse(PROFILE));
  });

  it('leaves unconfined and builtin alone', async () => {
    const s = await stackOf(
      'services:\n  a:\n    image: x\n    security_opt: ["seccomp:unconfined"]\n  b:\n    image: x\n    security_opt: ["seccomp=builtin"]\n', // prettier-ignore
    );
    expect(s.services.a!.securityOpt).toEqual(['seccomp:unconfined']);
    expect(s.services.a!.seccompProfile).toBeUndefined();
    expect(s.services.b!.seccompProfile).toBeUndefined();
  });

  it.each([
    ['a missing file', {}, /file \/proj\/app\/nope\.json not found/],
    [
      'a file that is not JSON',
      { 'nope.json': '{oops' },
      /seccomp profile \/proj\/app\/nope\.json is not JSON/,
    ],
    [
      'a profile with a bad field',
      { 'nope.json': JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'NOPE' }] }) }, // prettier-ignore
      /seccomp profile \/proj\/app\/nope\.json: syscalls\[0\]\.action: /,
    ],
  ])('refuses %s, at the option', async (_what, files, message) => {
    const issues = await issuesOf(
      'services:\n  web:\n    image: busybox\n    security_opt:\n      - seccomp=./nope.json\n',
      {},
      files,
    );
    expect(issues).toEqual([
      expect.objectContaining({ path: 'services.web.security_opt[0]', line: 5, message: expect.stringMatching(message) }), // prettier-ignore
    ]);
  });

  it('refuses two seccomp options', async () => {
    const issues = await issuesOf(
      'services:\n  web:\n    image: busybox\n    security_opt: ["seccomp=unconfined", "seccomp=./p.json"]\n',
      {},
      { 'p.json': PROFILE },
    );
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ['services.web.security_opt[1]', 'only one seccomp option per service: remove one'],
    ]);
  });
});
