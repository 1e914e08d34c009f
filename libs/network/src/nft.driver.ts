// Applies nftables batches: one `nft -f -` per change, run in the host's network namespace (through
// `nsenter --net` when the host is itself a namespace, as in the simulated clusters of the tests).
import { spawn } from 'node:child_process';
import { NetworkSystemError } from './errors';
import {
  type FirewallState,
  NFT_TABLE,
  USER_CHAIN,
  renderDeleteBatch,
  renderReplaceBatch,
} from './nft-ruleset';

/** Runs nft with `args`; `batch` (when given) is its stdin. Resolves with stdout, rejects on a non-zero exit. */
function run(batch: string | undefined, hostNetns?: string, args: string[] = ['-f', '-']): Promise<string> {
  const [cmd, argv] = hostNetns ? ['nsenter', [`--net=${hostNetns}`, 'nft', ...args]] : ['nft', args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: [batch === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) =>
      reject(
        new NetworkSystemError(`nft could not run: ${e.message}; install Debian's nftables`, { cause: e }),
      ),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else
        reject(
          new NetworkSystemError(`nft ${args.join(' ')} failed (exit ${code}): ${err.trim()}`, {
            syscall: 'nft',
          }),
        );
    });
    if (batch !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined); // an early exit is reported by its exit code
      child.stdin.end(batch);
    }
  });
}

export class NftDriver {
  constructor(
    private readonly hostNetns?: string,
    private readonly table = NFT_TABLE,
  ) {}

  /** Replaces tsstack's chains and sets atomically; the operator's chain keeps its rules. Idempotent. */
  async apply(state: FirewallState): Promise<void> {
    await run(renderReplaceBatch(state, this.table), this.hostNetns);
  }

  /**
   * Removes tsstack's rules: the whole table (nothing left behind), unless the operator put rules in
   * tsstack-user, which stay for the next network. Safe when the table does not exist.
   */
  async remove(): Promise<void> {
    await run(renderDeleteBatch(this.table, await this.userRules()), this.hostNetns);
  }

  /** Whether the operator's chain holds any rule. */
  private async userRules(): Promise<boolean> {
    const text = await run(undefined, this.hostNetns, ['list', 'chain', 'ip', this.table, USER_CHAIN]).catch(
      () => '',
    );
    // table ip tsstack { / chain tsstack-user { / RULES / } / }
    return text.split('\n').some((l) => !/^(|table .*\{|chain .*\{|\})$/.test(l.trim()));
  }

  /** The table as nft lists it, or '' when absent (for tests and `inspect`). */
  async list(): Promise<string> {
    const all = await run(undefined, this.hostNetns, ['list', 'tables']);
    if (!all.split('\n').some((l) => l.trim() === `table ip ${this.table}`)) return '';
    return run(undefined, this.hostNetns, ['list', 'table', 'ip', this.table]);
  }
}
