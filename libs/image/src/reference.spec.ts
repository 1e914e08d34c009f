// Unit tests of pure helpers: reference parsing, Compose command rules.
import { parseReference } from './reference';
import { resolveCommand } from './resolve-command';

describe('parseReference', () => {
  it.each([
    ['redis', 'docker.io/library/redis:latest'],
    ['redis:7', 'docker.io/library/redis:7'],
    ['user/app', 'docker.io/user/app:latest'],
    ['localhost:5000/a/b:v1', 'localhost:5000/a/b:v1'],
    ['ghcr.io/x/y', 'ghcr.io/x/y:latest'],
    ['127.0.0.1:5000/bb@sha256:' + 'a'.repeat(64), '127.0.0.1:5000/bb@sha256:' + 'a'.repeat(64)],
  ])('%s -> %s', (input, canonical) => {
    expect(parseReference(input).canonical).toBe(canonical);
  });
  it('splits registry, repository, tag', () => {
    expect(parseReference('localhost:5000/a/b:v1')).toMatchObject({
      registry: 'localhost:5000',
      repository: 'a/b',
      tag: 'v1',
    });
  });
  it.each(['', 'UPPER/case', 'a@sha256:zz', 'a:b:c:', ' x'])('refuses %p', (bad) => {
    expect(() => parseReference(bad)).toThrow(/invalid image reference/);
  });
});

describe('resolveCommand', () => {
  const img = { Entrypoint: ['/entry'], Cmd: ['serve'] };
  it('keeps the image defaults', () => expect(resolveCommand(img, {}).argv).toEqual(['/entry', 'serve']));
  it('command replaces Cmd only', () =>
    expect(resolveCommand(img, { command: ['run', 'x'] }).argv).toEqual(['/entry', 'run', 'x']));
  it('entrypoint resets the image Cmd', () =>
    expect(resolveCommand(img, { entrypoint: ['/other'] }).argv).toEqual(['/other']));
  it('entrypoint and command together', () =>
    expect(resolveCommand(img, { entrypoint: ['/other'], command: ['a'] }).argv).toEqual(['/other', 'a']));
  it('string command without entrypoint runs through sh', () =>
    expect(resolveCommand({ Cmd: ['x'] }, { command: 'echo hi' }).argv).toEqual([
      '/bin/sh',
      '-c',
      'echo hi',
    ]));
});
