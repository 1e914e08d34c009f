import type { StackSpec } from '@tsstack/model';
import { buildTargets, pinnedReference, refuseRemoteBuilds, sameImageContent } from './up-build';
import { flagValue } from './up-image-root';
import { applyPullFlag } from './up.command';

const build = { context: '/ctx', dockerfile: 'Dockerfile', args: {}, labels: {} };
const stack = (): StackSpec =>
  ({
    name: 'p',
    services: {
      web: { image: 'p-web', build, pullPolicy: 'build' },
      api: { image: 'reg.local/api:1', build, pullPolicy: 'missing' },
      db: { image: 'redis', pullPolicy: 'missing' },
    },
  }) as unknown as StackSpec;

describe('buildTargets', () => {
  it('lists services with build:, in name order, and knows which named their image', () => {
    expect(buildTargets(stack()).map((t) => [t.service, t.image, t.namedImage])).toEqual([
      ['api', 'reg.local/api:1', true],
      ['web', 'p-web', false],
    ]);
  });
});

describe('refuseRemoteBuilds', () => {
  it('refuses a build-only service and names it with what to do', () => {
    expect(() => refuseRemoteBuilds(buildTargets(stack()), undefined, 'http://c:7700')).toThrow(
      /service web has build: but the controller at http:\/\/c:7700 is remote.*push.*set image:/,
    );
  });
  it('lets services with image: through (agents pull it), but not with --build', () => {
    const named = buildTargets(stack()).filter((t) => t.namedImage);
    expect(() => refuseRemoteBuilds(named, undefined, 'u')).not.toThrow();
    expect(() => refuseRemoteBuilds(named, true, 'u')).toThrow(/service api has build:/);
  });
});

describe('pinnedReference and sameImageContent', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  it('pins a tag to a digest, replacing an older pin', () => {
    expect(pinnedReference('p-web', d)).toBe(`p-web@${d}`);
    expect(pinnedReference(`p-web@sha256:${'b'.repeat(64)}`, d)).toBe(`p-web@${d}`);
  });
  it('compares layers and config, not timestamps', () => {
    const a = { layers: [{ digest: 'x' }], config: { Cmd: ['sh'] } } as never;
    expect(sameImageContent(a, { layers: [{ digest: 'x' }], config: { Cmd: ['sh'] } } as never)).toBe(true);
    expect(sameImageContent(a, { layers: [{ digest: 'y' }], config: { Cmd: ['sh'] } } as never)).toBe(false);
    expect(sameImageContent(a, { layers: [{ digest: 'x' }], config: { Cmd: ['ls'] } } as never)).toBe(false);
  });
});

describe('applyPullFlag', () => {
  it('sets the policy of services that are not built, and rejects other values with exit 2', () => {
    const s = stack();
    applyPullFlag(s, 'always');
    expect(s.services.db!.pullPolicy).toBe('always');
    expect(s.services.web!.pullPolicy).toBe('build');
    expect(s.services.api!.pullPolicy).toBe('missing');
    expect(() => applyPullFlag(s, 'sometimes')).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

describe('flagValue', () => {
  it('reads --flag value and --flag=value', () => {
    expect(flagValue(['node', 'x', '--image-root', '/a'], '--image-root')).toBe('/a');
    expect(flagValue(['--image-root=/b'], '--image-root')).toBe('/b');
    expect(flagValue(['--other'], '--image-root')).toBeUndefined();
  });
});
