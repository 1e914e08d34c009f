// `tsstack run` flags and the /v1/run query.
import { parseEnvFlags, runQuery } from './run.command';

describe('tsstack run', () => {
  it('parses -e KEY=VALUE, keeping = in values; anything else is a usage error (exit 2)', () => {
    expect(parseEnvFlags(['A=1', 'B=x=y', 'C='])).toEqual({ A: '1', B: 'x=y', C: '' });
    expect(() => parseEnvFlags(['NOEQUALS'])).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => parseEnvFlags(['=v'])).toThrow(/KEY=VALUE/);
  });

  it('sends the command and env as JSON, stdin always, the terminal size only with a tty', () => {
    const q = runQuery({
      stack: 's',
      service: 'web',
      command: ['sh', '-c', 'a b'],
      env: { A: '1' },
      tty: false,
    });
    expect(Object.fromEntries(q)).toEqual({ stack: 's', service: 'web', cmd: '["sh","-c","a b"]', env: '{"A":"1"}', tty: '0', stdin: '1' }); // prettier-ignore
    const t = runQuery({ stack: 's', service: 'web', command: ['sh'], env: {}, tty: true, size: { cols: 80, rows: 24 } }); // prettier-ignore
    expect(t.get('tty')).toBe('1');
    expect(t.get('cols')).toBe('80');
    expect(t.get('rows')).toBe('24');
  });
});
