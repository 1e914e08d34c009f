// Names inside an import archive: cleaned, ".." refused, links followed inside the archive only.
import { archiveName, followLinks, NameError } from './archive-names';

const link = (target: string, symlink = true) => ({ target, symlink });

describe('archiveName', () => {
  it.each([
    ['./manifest.json', 'manifest.json'],
    ['a//b/./c/', 'a/b/c'],
    ['/abs/x', 'abs/x'],
  ])('%s -> %s', (raw, clean) => expect(archiveName(raw)).toBe(clean));

  it.each(['../x', 'a/../../x', 'a/..'])('refuses %s', (raw) =>
    expect(() => archiveName(raw)).toThrow(expect.objectContaining({ rule: 'path-dotdot' })),
  );

  it('refuses absolute names where the archive names its own members', () =>
    expect(() => archiveName('/etc/shadow', false)).toThrow(NameError));
});

describe('followLinks', () => {
  it('follows a relative symlink member from its own directory', () =>
    expect(followLinks('1/layer.tar', new Map([['1/layer.tar', link('../0/layer.tar')]]))).toBe(
      '0/layer.tar',
    ));

  it('follows a hardlink member from the archive root', () =>
    expect(followLinks('b', new Map([['b', link('dir/a', false)]]))).toBe('dir/a'));

  it.each([
    ['an absolute target', new Map([['c', link('/etc/shadow')]])],
    ['a target above the archive', new Map([['c', link('../../etc/shadow')]])],
  ])('refuses %s', (_what, links) =>
    expect(() => followLinks('c', links)).toThrow(expect.objectContaining({ rule: 'link-outside' })),
  );

  it('refuses a loop', () =>
    expect(() =>
      followLinks(
        'a',
        new Map([
          ['a', link('b')],
          ['b', link('a')],
        ]),
      ),
    ).toThrow(expect.objectContaining({ rule: 'link-loop' })));
});
