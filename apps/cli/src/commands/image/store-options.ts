// Where the CLI's image store lives and how it reaches registries: flags first, then environment.
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageStore } from '@tsstack/image';

export interface ImageCliOptions {
  root?: string;
  insecureRegistry?: string[];
  authFile?: string;
}

export function defaultAuthFile(): string {
  return process.env.TSSTACK_AUTH_FILE ?? path.join(os.homedir(), '.config', 'tsstack', 'auth.json');
}

export function openStore(o: ImageCliOptions): ImageStore {
  const envInsecure = (process.env.TSSTACK_INSECURE_REGISTRIES ?? '').split(',').filter(Boolean);
  return new ImageStore({
    root: o.root ?? process.env.TSSTACK_IMAGE_ROOT ?? '/var/lib/tsstack/images',
    insecureRegistries: [...(o.insecureRegistry ?? []), ...envInsecure],
    authFile: o.authFile ?? defaultAuthFile(),
  });
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
