// Attached `tsstack up` (no -d, no --wait) through the real binary against the embedded control plane, output
// read as a script would (stdout not a terminal): the plan, "Attaching to", every line the service printed
// from its first, prefixed with service and task; the first SIGINT stops the stack gracefully and exits 130,
// a second one exits 130 at once; a one-shot stack makes `up` exit by itself, 0 when it completed, 1 when it failed.
// afterAll: down, system stop, the agent's cleanup, the data dir.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BUSYBOX_REFERENCE,
  REPO_ROOT,
  TSSTACK_BIN,
  requireRoot,
  startEmbeddedCli,
  type EmbeddedCli,
} from '@tsstack/testkit';

// Own subnets (one per stack): another control plane on this host (a parallel test) may hold the default
// pool's first one.
const subnet = (n: number) => `10.${100 + (process.pid % 40)}.${(process.pid + n) % 250}.0/24`;
const networks = (n: number) => `networks:
  default:
    ipam:
      config:
        - subnet: ${subnet(n)}
`;

const COUNTER = `name: attached
services:
  counter:
    image: ${BUSYBOX_REFERENCE}
    command: ['sh', '-c', 'i=1; while true; do echo "line $$i"; i=$$((i+1)); sleep 0.2; done']
    init: true
${networks(0)}`;

const oneShot = (name: string, script: string, net: number) => `name: ${name}
services:
  job:
    image: ${BUSYBOX_REFERENCE}
    command: ['sh', '-c', '${script}']
    restart: "no"
${networks(net)}`;

interface PsRow {
  service: string;
  state: string;
}

/** A running `tsstack up` whose output is collected as it comes. */
class UpProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [TSSTACK_BIN, 'up', ...args], { env, cwd: REPO_ROOT });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString('utf8')));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** `exit <code>` and the whole output, so that a wrong exit code comes with what `up` said. */
  async result(): Promise<string> {
    return `exit ${await this.exited}\n${this.stdout}${this.stderr}`;
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Waits until stdout matches (the test's own timeout bounds the wait); fails early if `up` exited. */
  async waitFor(re: RegExp): Promise<void> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (!re.test(this.stdout)) {
      if (exited) throw new Error(`up exited before printing ${re}:\n${this.stdout}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

describe('up without -d attaches to the logs, as compose does', () => {
  let plane: EmbeddedCli | undefined;
  const started: UpProcess[] = [];
  const file = (name: string) => path.join(plane!.dataDir, name);
  const up = (args: string[]) => {
    const p = new UpProcess(args, plane!.env);
    started.push(p);
    return p;
  };

  beforeAll(async () => {
    requireRoot();
    plane = await startEmbeddedCli('attach');
    fs.writeFileSync(file('counter.yml'), COUNTER);
    fs.writeFileSync(file('done.yml'), oneShot('oneshot', 'echo hello from the job; echo bye', 1));
    fs.writeFileSync(file('fails.yml'), oneShot('oneshotfail', 'echo about to fail; exit 3', 2));
  }, 120_000);

  afterAll(() => {
    started.forEach((p) => p.kill());
    plane?.teardown(['attached', 'oneshot', 'oneshotfail']);
  });

  test('streams prefixed lines from the first; SIGINT stops the stack gracefully and exits 130', async () => {
    const p = up(['-f', file('counter.yml'), '--timeout', '90']);
    await p.waitFor(/^counter [0-9a-f]{12} \| line 12$/m);
    expect(p.stdout).toMatch(/^ {2}\+ counter\s+create\s+\(new service\)$/m);
    expect(p.stdout).toMatch(/^counter: running 1\/1$/m);
    expect(p.stdout).toMatch(/^Attaching to counter$/m);
    const lines = p.stdout.split('\n').filter((l) => / \| line \d+$/.test(l));
    expect(lines[0]).toMatch(/^counter [0-9a-f]{12} \| line 1$/);
    // Lines come in order and none is missing or repeated.
    const numbers = lines.map((l) => Number(/line (\d+)$/.exec(l)![1]));
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    expect(p.stdout.indexOf('Attaching to counter')).toBeLessThan(p.stdout.indexOf('| line 1\n'));

    p.signal('SIGINT');
    expect(await p.result()).toMatch(/^exit 130\n/);
    expect(p.stdout).toMatch(/^Gracefully stopping\.\.\. \(press Ctrl\+C again to force\)$/m);
    expect(p.stdout).toMatch(/^stopped counter \(was 1 replicas\)$/m);
    const ps = plane!.cli(['ps', '-p', 'attached', '-a', '--format', 'json']);
    expect(ps.status).toBe(0);
    const rows = JSON.parse(ps.stdout) as PsRow[];
    expect(rows.map((t) => t.service)).toContain('attached_counter');
    expect(rows.filter((t) => t.state === 'running')).toEqual([]);
  }, 180_000);

  test('up again after that runs the service again; a second SIGINT exits 130 at once', async () => {
    const p = up(['-f', file('counter.yml'), '--timeout', '90']);
    await p.waitFor(/^counter [0-9a-f]{12} \| line 1$/m);
    p.signal('SIGINT');
    await p.waitFor(/^Gracefully stopping/m);
    p.signal('SIGINT');
    expect(await p.result()).toMatch(/^exit 130\n/);
  }, 180_000);

  test('a one-shot stack that completes: up prints its output and exits 0 by itself', async () => {
    const p = up(['-f', file('done.yml'), '--timeout', '90']);
    // With the task rows: a wrong exit code is more often the task's end than `up`'s.
    const ps = () => plane!.cli(['ps', '-p', 'oneshot', '-a', '--format', 'json']).stdout;
    expect(`${await p.result()}${ps()}`).toMatch(/^exit 0\n/);
    expect(p.stdout).toMatch(/^Attaching to job$/m);
    expect(p.stdout).toMatch(/^job [0-9a-f]{12} \| hello from the job\njob [0-9a-f]{12} \| bye$/m);
    expect(p.stderr).toBe('');
  }, 180_000);

  test('a one-shot stack that fails: up prints its output and exits 1', async () => {
    const p = up(['-f', file('fails.yml'), '--timeout', '90']);
    expect(await p.result()).toMatch(/^exit 1\n/);
    expect(p.stdout).toMatch(/^Attaching to job$/m);
    expect(p.stdout).toMatch(/^job [0-9a-f]{12} \| about to fail$/m);
  }, 180_000);
});
