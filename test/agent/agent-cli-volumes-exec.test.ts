// Integration (root): the `tsstack` binary (dist/, run `npm run build:ts` first) against a real controller and
// agent: `exec` under a real terminal (util-linux `script`) follows a resize of that terminal (SIGWINCH in the
// CLI -> resize frame -> agent -> TIOCSWINSZ), `events --filter type=task.stats` prints stats events, and
// `volume ls`, `volume rm` (refused in use) and `down -v` work as a user types them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { TaskRow, TsstackEvent, VolumeRow } from '@tsstack/model';
import { BUSYBOX_REFERENCE, requireCommand, requireRoot } from '@tsstack/testkit';
import { waitFor, type Ctl } from '../controller/controller-kit';
import { startAgentRig, type AgentRig } from './agent-rig';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tsstack.js');

interface Cli {
  child: ChildProcess;
  out(): string;
  done: Promise<number | null>;
}

describe('tsstack exec, events, volume and down -v against a real controller and agent (root)', () => {
  let dir: string;
  let c: Ctl;
  let rig: AgentRig | undefined;
  const started: ChildProcess[] = [];

  const cli = (cmd: string, args: string[]): Cli => {
    const child = spawn(cmd, args, {
      env: { ...process.env, TSSTACK_HOST: c.url, TSSTACK_TOKEN: c.token },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    started.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    return { child, out: () => out, done };
  };
  const tsstack = async (...args: string[]) => {
    const r = cli(process.execPath, [BIN, ...args]);
    return { code: await r.done, out: r.out() };
  };
  const deploy = (name: string, yaml: string) => rig!.deploy(name, yaml);
  const running = (stack: string) =>
    waitFor(
      `a running task of ${stack}`,
      async () =>
        (await c.api<TaskRow[]>('GET', `/v1/tasks?stack=${stack}`)).body.find((t) => t.state === 'running'),
      30_000,
    );

  beforeAll(async () => {
    requireRoot();
    requireCommand('redis-server', 'redis-server');
    requireCommand('script', 'util-linux');
    requireCommand('stty', 'coreutils');
    if (!existsSync(path.resolve(__dirname, '..', '..', 'dist')))
      throw new Error('dist/ is missing: run `npm run build:ts` first');
    rig = await startAgentRig('agent-cli', { statsIntervalMs: 300 });
    ({ dir, c } = rig);
    await rig.start();
    await deploy(
      'app',
      `services:\n  db:\n    image: ${BUSYBOX_REFERENCE}\n    command: ['sleep', '600']\n    stop_grace_period: 300ms\n    volumes: ['data:/data']\nvolumes:\n  data: {}\n`, // prettier-ignore
    );
  });
  afterAll(async () => {
    for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await rig?.close();
  });

  it('exec in a terminal follows the terminal size and exits with the command code', async () => {
    await running('app');
    const script = 'stty size; while read x; do [ "$x" = q ] && exit 7; stty size; done';
    const inner = `tty; exec ${process.execPath} ${BIN} exec -p app db sh -c '${script}'`;
    // script(1) gives the CLI a terminal: `tty` prints which, so the test can resize it from outside.
    const s = cli('script', ['-qefc', inner, '/dev/null']);
    const pts = await waitFor('the terminal name', async () => /\/dev\/pts\/\d+/.exec(s.out())?.[0], 15_000);
    spawnSync('stty', ['-F', pts, 'rows', '30', 'cols', '100']);
    await waitFor('a size printed', async () => /\d+ \d+/.test(s.out().split(pts)[1] ?? ''), 15_000);
    spawnSync('stty', ['-F', pts, 'rows', '41', 'cols', '133']);
    // Each line makes the shell print its size again; the resize lands before one of them.
    await waitFor('the new size', async () => s.out().includes('41 133') || (s.child.stdin!.write('\n'), false), 15_000); // prettier-ignore
    s.child.stdin!.write('q\n');
    expect(await s.done).toBe(7);
  });

  it('events --filter type=task.stats prints the periodic stats', async () => {
    const task = await running('app');
    const ev = cli(process.execPath, [BIN, 'events', '--filter', 'type=task.stats', '--json']);
    try {
      const e = await waitFor(
        'a task.stats line',
        async () =>
          ev
            .out()
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as TsstackEvent)
            .find((x) => x.task === task.task),
        20_000,
      );
      expect(e.type).toBe('task.stats');
      expect((e.data as { memoryUsageBytes: number }).memoryUsageBytes).toBeGreaterThan(0);
    } finally {
      ev.child.kill('SIGINT');
      await ev.done;
    }
  });

  it('volume ls shows the volume in use, volume rm refuses it, down -v removes it', async () => {
    const task = await running('app');
    const ls = await tsstack('volume', 'ls', '--json');
    expect(ls.code).toBe(0);
    const rows = JSON.parse(ls.out) as VolumeRow[];
    expect(rows.find((r) => r.name === 'app_data')).toMatchObject({
      nodeName: 'host-1',
      usedBy: [task.task],
    });
    const table = await tsstack('volume', 'ls');
    expect(table.out).toMatch(/DRIVER\s+VOLUME NAME\s+NODE\s+IN USE BY/);
    expect(table.out).toMatch(/local\s+app_data\s+host-1/);

    const rm = await tsstack('volume', 'rm', 'app_data');
    expect(rm.code).not.toBe(0);
    expect(rm.out).toContain('in use');

    const down = await tsstack('down', '-p', 'app', '-v');
    expect(down.code).toBe(0);
    expect(down.out).toContain('removed stack app');
    expect(down.out).toContain('removed volume app_data on host-1');
    expect(existsSync(path.join(dir, 'agent', 'volumes', 'app_data'))).toBe(false);
  });
});
