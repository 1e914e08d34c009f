// Makes sure a controller answers: with no controller configured (no --context/TSSTACK_HOST) and nothing
// listening, starts the embedded controller and node agent as daemons and waits for /health.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiClient } from '../client/api-client';
import { ControllerUnreachableError, CliError } from '../client/cli-errors';
import type { CliContext } from '../client/context';
import { readPid, startDaemon } from '../system/daemons';

export async function ensureControlPlane(
  ctx: CliContext,
  dir: string,
  timeoutMs = 30_000,
): Promise<ApiClient> {
  const probe = new ApiClient(ctx.url, ctx.token, fetch, 2_000);
  try {
    await probe.health();
    return probe;
  } catch (err) {
    if (!(err instanceof ControllerUnreachableError) || !ctx.isDefault) throw err;
  }
  const listen = new URL(ctx.url).host;
  if (readPid(dir, 'controller') === undefined) {
    startDaemon(dir, 'controller', ['controller', '--listen', listen, '--data-dir', dir]);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await probe.health();
      break;
    } catch (err) {
      if (Date.now() > deadline || readPid(dir, 'controller') === undefined) {
        throw new CliError(
          'EMBEDDED_START_FAILED',
          `the embedded controller did not come up at ${ctx.url}: see ${path.join(dir, 'system', 'controller.log')}`,
          1,
          { cause: err },
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const token = fs.readFileSync(path.join(dir, 'controller', 'token'), 'utf8').trim();
  if (readPid(dir, 'agent') === undefined) {
    const joinToken = fs.readFileSync(path.join(dir, 'controller', 'join-token'), 'utf8').trim();
    const log = path.join(dir, 'system', 'agent.log');
    const from = fs.existsSync(log) ? fs.statSync(log).size : 0;
    startDaemon(dir, 'agent', [
      'node-agent',
      '--controller',
      ctx.url,
      '--token',
      joinToken,
      '--state-dir',
      path.join(dir, 'agent'),
    ]);
    await agentJoined(dir, log, from, Date.now() + timeoutMs);
  }
  return new ApiClient(ctx.url, token);
}

/**
 * Waits until the agent just started says it joined; when it exits first (it refused to start: another
 * agent manages this host's networks, no root, ...) `up` fails with the agent's own reason.
 */
async function agentJoined(dir: string, log: string, from: number, deadline: number): Promise<void> {
  for (;;) {
    const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(from) : '';
    if (/^node-agent: joined as /m.test(text)) return;
    const alive = readPid(dir, 'agent') !== undefined;
    if (!alive || Date.now() > deadline) {
      const reason = /^tsstack node-agent: (.*)$/m.exec(text)?.[1];
      throw new CliError(
        'EMBEDDED_START_FAILED',
        `the embedded node agent ${alive ? 'did not join in time' : 'exited'}${reason ? `: ${reason}` : ''} (see ${log})`,
        1,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
