// Integration (root): the real controller (embedded redis-server) and a real agent with the native runtime.
// Named volumes: created on first use, kept across a redeploy and a plain `down`, refused removal while in use,
// removed by `volume rm` and by `down --volumes` (which waits for the stack's containers); anonymous volumes go
// with their task. exec with a terminal follows resizes (the process sees the new size). Running tasks show up
// as periodic task.stats events. The network port only makes each task's namespace (loopback).
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import WebSocket from 'ws';
import type { TaskRow, TsstackEvent, VolumeRow } from '@tsstack/model';
import { BUSYBOX_REFERENCE } from '@tsstack/testkit';
import { EventClient, waitFor, type Ctl } from '../controller/controller-kit';
import { startAgentRig, type AgentRig } from './agent-rig';

const dbStack = (env: string) => `services:
  db:
    image: ${BUSYBOX_REFERENCE}
    command: ['sh', '-c', '[ -f /data/first ] || cat /proc/sys/kernel/random/uuid > /data/first; sleep 600']
    environment: { V: '${env}' }
    stop_grace_period: 300ms
    volumes: ['data:/data', '/scratch']
volumes:
  data: {}
`;

describe('agent volumes, exec resize and stats events (root)', () => {
  let dir: string;
  let c: Ctl;
  let rig: AgentRig | undefined;
  const volumeDir = () => path.join(dir, 'agent', 'volumes', 'vol_data');

  const deploy = (name: string, yaml: string) => rig!.deploy(name, yaml);
  const tasks = async (stack: string) =>
    (await c.api<TaskRow[]>('GET', `/v1/tasks?stack=${stack}&all=1`)).body;
  const running = (stack: string, not: string[] = []) =>
    waitFor(
      `a running task of ${stack}`,
      async () => (await tasks(stack)).find((t) => t.state === 'running' && !not.includes(t.task)),
      30_000,
    );
  const volumes = async () => (await c.api<VolumeRow[]>('GET', '/v1/volumes')).body;

  beforeAll(async () => {
    rig = await startAgentRig('agent-vol', { statsIntervalMs: 300 });
    ({ dir, c } = rig);
    await rig.start();
  });
  afterAll(() => rig?.close());

  it('keeps a named volume across a redeploy and a plain down, refuses to remove it in use, removes it on rm', async () => {
    await deploy('vol', dbStack('1'));
    const first = await running('vol');
    const content = await waitFor('the volume written', () =>
      fs.readFile(path.join(volumeDir(), 'first'), 'utf8'),
    );
    const row = await waitFor('the volume listed as used', async () =>
      (await volumes()).find((v) => v.name === 'vol_data' && v.usedBy.includes(first.task)),
    );
    expect(row).toMatchObject({ stack: 'vol', driver: 'local', nodeName: 'host-1', mountpoint: volumeDir() });
    expect((await volumes()).some((v) => v.name.startsWith('anon_'))).toBe(false);

    const refused = await c.api<{ error: { code: string; message: string } }>(
      'DELETE',
      '/v1/volumes/vol_data',
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('VOLUME_IN_USE');
    expect(refused.body.error.message).toContain(first.task);

    await deploy('vol', dbStack('2'));
    await running('vol', [first.task]);
    expect(await fs.readFile(path.join(volumeDir(), 'first'), 'utf8')).toBe(content);

    expect((await c.api('DELETE', '/v1/stacks/vol')).status).toBe(200);
    await waitFor(
      'the stack containers gone',
      async () => !(await volumes()).find((v) => v.name === 'vol_data')?.usedBy.length,
      30_000,
    );
    expect(await fs.readFile(path.join(volumeDir(), 'first'), 'utf8')).toBe(content);
    // Anonymous volumes went with their tasks.
    await waitFor('no anonymous volume left', async () =>
      (await fs.readdir(path.dirname(volumeDir()))).every((n) => !n.startsWith('anon_')),
    );

    expect((await c.api('DELETE', '/v1/volumes/vol_data')).status).toBe(200);
    expect(existsSync(volumeDir())).toBe(false);
    expect((await c.api('GET', '/v1/volumes/vol_data')).status).toBe(404);
  });

  it('down --volumes removes the stack volumes once its containers are gone', async () => {
    await deploy('vol', dbStack('3'));
    await running('vol');
    await waitFor('the volume created again', async () => existsSync(path.join(volumeDir(), 'first')));
    const res = await c.api<{ volumes: { removed: unknown[]; unreached: string[] } }>(
      'DELETE',
      '/v1/stacks/vol?volumes=true',
    );
    expect(res.status).toBe(200);
    expect(res.body.volumes).toEqual({ removed: [{ node: 'host-1', name: 'vol_data' }], unreached: [] });
    expect(existsSync(volumeDir())).toBe(false);
    expect((await volumes()).filter((v) => v.stack === 'vol')).toEqual([]);
  });

  it('exec with a terminal follows resizes and returns the exit code', async () => {
    await deploy('term', `services:\n  sh:\n    image: ${BUSYBOX_REFERENCE}\n    command: ['sleep', '600']\n    stop_grace_period: 300ms\n`); // prettier-ignore
    const task = await running('term');
    const script = 'stty size; while read x; do [ "$x" = q ] && exit 7; stty size; done';
    const q = new URLSearchParams({ task: task.task, cmd: JSON.stringify(['sh', '-c', script]), tty: '1', stdin: '1', cols: '80', rows: '24' }); // prettier-ignore
    const ws = new WebSocket(`${c.url.replace(/^http/, 'ws')}/v1/exec?${q.toString()}`, {
      headers: { authorization: `Bearer ${c.token}` },
    });
    let output = '';
    let exitCode: number | undefined;
    const closed = new Promise<void>((r) => ws.on('close', () => r()));
    ws.on('message', (raw) => {
      const f = JSON.parse(String(raw)) as { data?: { data?: string; exitCode?: number }; error?: string };
      if (f.data?.data) output += Buffer.from(f.data.data, 'base64').toString();
      if (typeof f.data?.exitCode === 'number') exitCode = f.data.exitCode;
      if (f.error) output += `ERROR ${f.error}`;
    });
    const send = (m: unknown) => ws.send(JSON.stringify(m));
    const line = (s: string) => send({ stdin: Buffer.from(`${s}\n`).toString('base64') });
    try {
      await waitFor('the first size', async () => output.includes('24 80'), 15_000);
      send({ resize: { cols: 132, rows: 40 } });
      // Each empty line makes the shell print its size again; the resize lands before one of them.
      await waitFor(
        'the new size',
        async () => (output.includes('40 132') ? true : (line(''), false)),
        15_000,
      );
      line('q');
      await closed;
    } finally {
      ws.terminate();
    }
    expect(exitCode).toBe(7);
    expect((await c.api('DELETE', '/v1/stacks/term')).status).toBe(200);
  });

  it('a running task sends periodic task.stats events with memory and pids', async () => {
    const events = new EventClient(c.url, c.token, '?type=task.stats');
    await events.opened;
    try {
      await deploy('stats', `services:\n  busy:\n    image: ${BUSYBOX_REFERENCE}\n    command: ['sh', '-c', 'sleep 600']\n    stop_grace_period: 300ms\n`); // prettier-ignore
      const task = await running('stats');
      const e: TsstackEvent = await waitFor(
        'a task.stats event',
        async () => events.events.find((x) => x.type === 'task.stats' && x.task === task.task),
        20_000,
      );
      expect(e).toMatchObject({ stack: 'stats', service: 'busy' });
      const data = e.data as {
        memoryUsageBytes: number;
        pids: number;
        netRxBytes: number;
        netTxBytes: number;
      };
      expect(data.memoryUsageBytes).toBeGreaterThan(0);
      expect(data.pids).toBeGreaterThanOrEqual(1);
      expect(typeof data.netRxBytes).toBe('number');
      expect(typeof data.netTxBytes).toBe('number');
      expect(e.message).toMatch(/^cpu .* mem .* pids \d+ {2}net rx/);
    } finally {
      events.close();
      await c.api('DELETE', '/v1/stacks/stats');
    }
  });
});
