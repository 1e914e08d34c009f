// Pure Dockerfile parsing, variable substitution and .dockerignore matching.
import { parseDockerfile, parseKeyValues, splitWords } from './dockerfile-parser';
import { DockerIgnore } from './dockerignore';
import { substitute } from './substitute';
import { durationNs } from './stage';

describe('parseDockerfile', () => {
  test('continuations, comments inside them, flags, JSON form, line numbers', () => {
    const df = parseDockerfile(
      [
        '# a comment',
        'ARG V=1',
        'FROM busybox AS base',
        'RUN echo a \\',
        '  # comment in the middle',
        '  && echo b',
        'COPY --from=base --chown=app:app ["a b", "/dst/"]',
        'CMD ["sh", "-c", "x"]',
        'ENTRYPOINT run me',
      ].join('\n'),
    );
    expect(df.instructions.map((i) => [i.cmd, i.line])).toEqual([
      ['ARG', 2],
      ['FROM', 3],
      ['RUN', 4],
      ['COPY', 7],
      ['CMD', 8],
      ['ENTRYPOINT', 9],
    ]);
    expect(df.instructions[2].rest).toBe('echo a   && echo b');
    expect(df.instructions[3].flags).toEqual({ from: 'base', chown: 'app:app' });
    expect(df.instructions[3].json).toEqual(['a b', '/dst/']);
    expect(df.instructions[4].json).toEqual(['sh', '-c', 'x']);
    expect(df.instructions[5].json).toBeUndefined();
  });

  test('escape directive', () => {
    const df = parseDockerfile('# escape=`\nFROM x\nRUN dir c:\\ `\n  && echo y\n');
    expect(df.escape).toBe('`');
    expect(df.instructions[1].rest).toBe('dir c:\\   && echo y');
  });

  test('mistakes name the line', () => {
    expect(() => parseDockerfile('FROM x\nFOO bar\n', 'Dfile')).toThrow(/Dfile:2: unknown instruction FOO/);
    expect(() => parseDockerfile('RUN x\n')).toThrow(/no FROM/);
    expect(() => parseDockerfile('ENV a=b\nFROM x\n')).toThrow(/:1: ENV before the first FROM/);
    expect(() => parseDockerfile('FROM x\nRUN <<EOF\nx\nEOF\n')).toThrow(/heredocs/);
  });
});

test('key=value pairs, quotes, legacy ENV form', () => {
  expect(parseKeyValues('A=1 B="two words" C=x\\ y', '\\', true)).toEqual([
    ['A', '1'],
    ['B', 'two words'],
    ['C', 'x y'],
  ]);
  expect(parseKeyValues('NAME some value', '\\', true)).toEqual([['NAME', 'some value']]);
  expect(splitWords(`a 'b c' "d"`, '\\')).toEqual(['a', 'b c', 'd']);
});

test.each([
  ['$A-${B}', 'a-b'],
  ['${MISSING:-dflt}', 'dflt'],
  ['${A:+alt}', 'alt'],
  ['${EMPTY:-e}', 'e'],
  ['${EMPTY-e}', ''],
  ['\\$A', '\\$A'],
  ["'$A'", "'$A'"],
  ['$1', '$1'],
])('substitute %s', (input, out) => {
  expect(substitute(input, { A: 'a', B: 'b', EMPTY: '' })).toBe(out);
});

test('.dockerignore: globs, **, exceptions, directories', () => {
  const ig = new DockerIgnore('# c\nnode_modules\n**/*.log\n*.tmp\n!keep.tmp\nsecret/\n');
  expect(ig.ignores('node_modules')).toBe(true);
  expect(ig.ignores('node_modules/x/y.js')).toBe(true);
  expect(ig.ignores('a/b/c.log')).toBe(true);
  expect(ig.ignores('x.log')).toBe(true);
  expect(ig.ignores('a.tmp')).toBe(true);
  expect(ig.ignores('keep.tmp')).toBe(false);
  expect(ig.ignores('sub/a.tmp')).toBe(false);
  expect(ig.ignores('secret/k')).toBe(true);
  expect(ig.ignores('src/main.ts')).toBe(false);
  const nested = new DockerIgnore('docs\n!docs/api/keep.md\n');
  expect(nested.ignores('docs/api/x.md')).toBe(true);
  expect(nested.ignores('docs/api/keep.md')).toBe(false);
  expect(nested.mayReinclude('docs')).toBe(true);
  expect(nested.mayReinclude('docs/api')).toBe(true);
  expect(nested.mayReinclude('other')).toBe(false);
});

test('durations', () => {
  expect(durationNs('30s')).toBe(30e9);
  expect(durationNs('1m30s')).toBe(90e9);
  expect(durationNs('500ms')).toBe(5e8);
  expect(() => durationNs('5 minutes')).toThrow(/invalid duration/);
});
