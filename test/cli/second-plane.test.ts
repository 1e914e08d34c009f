// Two embedded control planes on one host (two data dirs): the second one's agent would share the host's
// network namespace with the first and remove its interfaces and firewall rules, so it refuses to start,
// and `up` on the second plane fails at once with the agent's reason instead of waiting for a node that
// never comes. The first plane's stack keeps running.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUSYBOX_REFERENCE, requireRoot, startEmbeddedCli, type EmbeddedCli } from '@tsstack/testkit';

const stack = (name: string) => `name: ${name}
services:
  sleeper:
    image: ${BUSYBOX_REFERENCE}
    command: ['sleep', '3600']
    init: true
`;

describe('a second embedded control plane on the same host', () => {
  let first: EmbeddedCli | undefined;
  let second: EmbeddedCli | undefined;

  beforeAll(async () => {
    requireRoot();
    first = await startEmbeddedCli('plane-a');
    second = await startEmbeddedCli('plane-b');
  });

  afterAll(() => {
    second?.teardown([]);
    first?.teardown(['one']);
  });

  test('is refused with the first agent named, and the first stack keeps running', () => {
    const one = path.join(first!.dataDir, 'one.yml');
    fs.writeFileSync(one, stack('one'));
    expect(first!.cli(['up', '--wait', '--timeout', '60', '-f', one]).status).toBe(0);

    const two = path.join(second!.dataDir, 'two.yml');
    fs.writeFileSync(two, stack('two'));
    const up = second!.cli(['up', '--wait', '--timeout', '60', '-f', two]);
    expect(up.status).toBe(1);
    expect(up.stderr).toMatch(
      new RegExp(
        `the embedded node agent exited: another tsstack agent \\(pid \\d+, state dir ${first!.dataDir}/agent/network\\) manages the networks`,
      ),
    );
    expect(up.stdout).not.toMatch(/Plan for stack/);

    const ps = JSON.parse(first!.cli(['ps', '-p', 'one', '--format', 'json']).stdout) as Array<{
      state: string;
    }>;
    expect(ps.map((t) => t.state)).toEqual(['running']);
  });
});
