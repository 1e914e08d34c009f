// docker-compose.ts.yml (tsstack's own control plane for Compose users) is accepted by `tsstack config`
// and describes Redis with persistence, the controller with its port and a privileged agent in the host's
// network and PID namespaces.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { BIN, REPO_ROOT } from './control-plane';

test('docker-compose.ts.yml is accepted by tsstack config', () => {
  const r = spawnSync(
    process.execPath,
    [BIN, 'config', '-f', path.join(REPO_ROOT, 'docker-compose.ts.yml'), '--format', 'json'],
    {
      encoding: 'utf8',
      env: { ...process.env, TSSTACK_JOIN_TOKEN: 'tsj_test' },
    },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const text = r.stdout;
  const model = JSON.parse(text) as { services: Record<string, Record<string, unknown>> };
  const services = Array.isArray(model.services)
    ? Object.fromEntries((model.services as Array<{ name: string }>).map((s) => [s.name, s]))
    : model.services;
  expect(Object.keys(services).sort()).toEqual(['controller', 'node-agent', 'redis']);
  expect(text).toContain('appendonly');
  expect(text).toContain('7700');
  expect(services['node-agent']).toMatchObject({ privileged: true, networkMode: 'host', pidMode: 'host' });
  expect(JSON.stringify(services['node-agent'])).toContain('tsj_test');
});
