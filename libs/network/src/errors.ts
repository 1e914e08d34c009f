// Typed errors of libs/network. A bad network configuration (a user mistake) is a NetworkConfigError listing
// every problem, raised before anything is created; a kernel or nft failure is a NetworkSystemError with the
// errno and the step that failed.
import * as path from 'node:path';
import { TsstackError } from '@tsstack/model';

export class NetworkConfigError extends TsstackError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('NETWORK_CONFIG', problems.join('\n'));
    this.problems = problems;
  }
}

/** No address left in a network's pool, or no free subnet in the default pools. */
export class AddressExhaustedError extends TsstackError {
  constructor(message: string) {
    super('ADDRESS_EXHAUSTED', message);
  }
}

export class NetworkSystemError extends TsstackError {
  readonly errno: number;
  readonly syscall: string;
  constructor(message: string, info: { code?: string; errno?: number; syscall?: string; cause?: unknown }) {
    super(info.code ?? 'NETWORK_SYSTEM', message, {
      cause: info.cause,
      temporary: info.code === 'EBUSY' || info.code === 'ENOBUFS',
    });
    this.errno = info.errno ?? 0;
    this.syscall = info.syscall ?? '';
  }
}

/** A network still has tasks attached. */
export class NetworkInUseError extends TsstackError {
  constructor(networkId: string, tasks: string[]) {
    super(
      'NETWORK_IN_USE',
      `network ${networkId} still has tasks attached (${tasks.join(', ')}); detach them first`,
    );
  }
}

/** Another live process manages tsstack networks in this network namespace. */
export class NetnsTakenError extends TsstackError {
  constructor(netns: string, pid: number, theirStateDir: string, ourStateDir: string) {
    super(
      'NETNS_TAKEN',
      `another tsstack agent (pid ${pid}, state dir ${theirStateDir}) manages the networks of this network ` +
        `namespace (${netns}); a second one (state dir ${path.resolve(ourStateDir)}) would remove its interfaces ` +
        'and firewall rules: stop that agent (`tsstack system stop` for an embedded control plane) or run this ' +
        'one in its own network namespace',
    );
  }
}
