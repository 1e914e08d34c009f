// The platform of this host in OCI words (os/architecture), the default when a pull picks from an index.
import * as os from 'node:os';
import { Platform } from './types';

export function hostPlatform(): Platform {
  const arch =
    ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' } as Record<string, string>)[os.arch()] ??
    os.arch();
  return { os: 'linux', architecture: arch };
}
