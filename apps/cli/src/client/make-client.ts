// Builds an ApiClient from the global --context option and the environment (TSSTACK_HOST, TSSTACK_TOKEN,
// TSSTACK_DATA_DIR). The one place the CLI reads the token file.
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { ApiClient } from './api-client';
import { resolveContext, type CliContext } from './context';

export function cliContext(cmd: Command): CliContext {
  const context = (cmd.optsWithGlobals() as { context?: string }).context;
  return resolveContext({
    context,
    env: process.env,
    readFile: (p) => {
      try {
        return fs.readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
  });
}

export function makeClient(cmd: Command): ApiClient {
  const c = cliContext(cmd);
  return new ApiClient(c.url, c.token);
}

/** Adds --context to a command that talks to a controller (so it works after the subcommand name too). */
export function withContext(cmd: Command): Command {
  return cmd.option('--context <url>', 'controller URL (default: $TSSTACK_HOST or http://127.0.0.1:7700)');
}
