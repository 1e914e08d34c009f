// Driver of clients/load-client.js: continuous HTTP requests to a published port on every host, from the
// control host, stopped with SIGTERM to collect the counts.
import * as path from 'node:path';
import { CLIENTS_DIR, type ControlPlane } from './control-plane';

export interface LoadResult {
  requests: number;
  failed: number;
  bodies: Record<string, number>;
  errors: string[];
}

export function startLoad(cp: ControlPlane, port: number, loops = 3): { stop(): Promise<LoadResult> } {
  const urls = cp.cluster.hosts.map((h) => `http://${h.address}:${port}/`);
  const child = cp.spawnClient(path.join(CLIENTS_DIR, 'load-client.js'), [String(loops), ...urls]);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      const line = out.trim().split('\n').pop() ?? '';
      try {
        return JSON.parse(line) as LoadResult;
      } catch {
        throw new Error(`load client printed no result: ${out} ${err}`);
      }
    },
  };
}
