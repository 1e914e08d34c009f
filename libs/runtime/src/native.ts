// Loads the native core: the addon that spawns shims off the JS thread, and the paths of the shim binary.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NativeCoreMissingError } from './errors';

export interface CoreBinding {
  /** Runs `tsstack-runtime shim-create stateDir configPath`; resolves once the container waits to be started
   * under its own tsstack-shim. */
  spawnShim(
    shimPath: string,
    stateDir: string,
    configPath: string,
  ): Promise<{ pid: number; shimPid: number }>;
}

function nativeBuildDir(): string {
  const candidates = [
    process.env.TSSTACK_NATIVE_DIR,
    path.resolve(__dirname, '../../../native/build/Release'),
    path.resolve(__dirname, '../../../../native/build/Release'),
  ];
  for (const dir of candidates) if (dir && fs.existsSync(path.join(dir, 'tsstack-shim'))) return dir;
  throw new NativeCoreMissingError('the native core (native/build/Release/tsstack-shim)');
}

let binding: CoreBinding | undefined;

export function coreBinding(): CoreBinding {
  if (!binding) {
    const file = path.join(nativeBuildDir(), 'tsstack_core.node');
    try {
      binding = require(file) as CoreBinding; // eslint-disable-line @typescript-eslint/no-require-imports
    } catch (err) {
      throw new NativeCoreMissingError(`the core addon ${file}`, err);
    }
  }
  return binding;
}

export function shimPath(): string {
  return path.join(nativeBuildDir(), 'tsstack-shim');
}

export function runtimeCliPath(): string {
  return path.join(nativeBuildDir(), 'tsstack-runtime');
}
