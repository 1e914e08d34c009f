// Unit tests: .env parsing as Compose reads it, table-driven.
import { parseDotenv } from './dotenv-parser';

const shell: Record<string, string> = { HOME: '/root', SHELLVAR: 'sh' };
const lookup = (n: string): string | undefined => shell[n];

describe('parseDotenv', () => {
  it.each([
    ['A=1', { A: '1' }],
    ['export A=1', { A: '1' }],
    ['A = spaced', { A: 'spaced' }],
    ['A=1 # comment', { A: '1' }],
    ['A=a#b', { A: 'a#b' }],
    ["A='lit $HOME'", { A: 'lit $HOME' }],
    ['A="in $HOME"', { A: 'in /root' }],
    ['A="line\\nbreak"', { A: 'line\nbreak' }],
    ['A="multi\nline"', { A: 'multi\nline' }],
    ['A=1\nB=${A}2', { A: '1', B: '12' }],
    ['B=${UNSET:-d}', { B: 'd' }],
    ['SHELLVAR', { SHELLVAR: 'sh' }],
    ['UNSETVAR', {}],
    ['# only a comment\n\n', {}],
    ['A=', { A: '' }],
    ['A="esc \\$HOME"', { A: 'esc $HOME' }],
  ])('%j', (text, values) => {
    const r = parseDotenv(text, lookup);
    expect(r.issues).toEqual([]);
    expect(r.values).toEqual(values);
  });

  it('raw format keeps the value as written', () => {
    expect(parseDotenv('A="x $HOME" # c', lookup, 'raw').values).toEqual({ A: '"x $HOME" # c' });
  });

  it.each([
    ['1A=x', /invalid variable name/],
    ['A="open', /unterminated/],
    ['A=${B:?needed}', /required variable B/],
  ])('%j is refused with its line', (text, re) => {
    const r = parseDotenv('OK=1\n' + text, lookup);
    expect(r.issues[0]).toMatchObject({ line: 2, message: expect.stringMatching(re) });
  });
});
