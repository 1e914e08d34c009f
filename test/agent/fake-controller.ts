// Test helper: a loopback WebSocket server speaking the controller side of the agent protocol (join token
// JOIN, node id node-1, credential cred-1). Stands in for apps/controller until it lands.
import { WebSocketServer, type WebSocket } from 'ws';
import type { AgentMessage, ControllerMessage } from '@tsstack/model';

export const JOIN = 'join-secret-token';

export interface FakeController {
  url: string;
  received: AgentMessage[];
  sockets: WebSocket[];
  send(m: ControllerMessage): void;
  waitFor(pred: (m: AgentMessage) => boolean, ms?: number): Promise<AgentMessage>;
  close(): Promise<void>;
}

export async function fakeController(): Promise<FakeController> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/v1/agent' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const received: AgentMessage[] = [];
  const sockets: WebSocket[] = [];
  const waiters: Array<() => void> = [];
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as AgentMessage;
      received.push(m);
      if (m.type === 'hello') {
        const ok = m.joinToken === JOIN || (m.nodeId === 'node-1' && m.credential === 'cred-1');
        if (!ok) ws.send(JSON.stringify({ type: 'reject', reason: 'invalid join token' }));
        else
          ws.send(
            JSON.stringify({
              type: 'welcome',
              credential: 'cred-1',
              heartbeatMs: 100,
              node: {
                id: 'node-1',
                hostname: m.hostname,
                role: 'worker',
                labels: m.labels,
                availability: 'active',
                status: 'ready',
                address: m.address,
                resources: m.resources,
                lastHeartbeat: Date.now(),
              },
            } satisfies ControllerMessage),
          );
      }
      waiters.splice(0).forEach((w) => w());
    });
  });
  const addr = wss.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}`,
    received,
    sockets,
    send: (m) => sockets[sockets.length - 1]!.send(JSON.stringify(m)),
    async waitFor(pred, ms = 5000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = received.find(pred);
        if (hit) return hit;
        if (Date.now() > deadline)
          throw new Error(`timed out; got ${JSON.stringify(received.map((x) => x.type))}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.terminate();
        wss.close(() => r());
      }),
  };
}
