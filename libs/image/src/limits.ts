// Limits on what one layer or image archive may make this host do. Generous by default (the largest real
// images have layers of a few GiB and a few hundred thousand files) but present, so a gzip bomb or a
// billion empty entries stops with a clear error instead of filling the disk or the inode table.
import { TsstackError } from '@tsstack/model';

export interface LayerLimits {
  /** Uncompressed bytes of one layer, tar headers included. */
  maxBytes: number;
  /** Members of one layer. */
  maxEntries: number;
}

export const DEFAULT_LAYER_LIMITS: LayerLimits = { maxBytes: 64 * 2 ** 30, maxEntries: 5_000_000 };

const ENV = { maxBytes: 'TSSTACK_MAX_LAYER_BYTES', maxEntries: 'TSSTACK_MAX_LAYER_ENTRIES' } as const;

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n <= 0)
    throw new TsstackError('CONFIG_INVALID', `${name}="${raw}" is not a positive whole number`);
  return n;
}

/** The limits in force: DEFAULT_LAYER_LIMITS, overridden by TSSTACK_MAX_LAYER_BYTES / _ENTRIES. */
export function layerLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): LayerLimits {
  const out = { ...DEFAULT_LAYER_LIMITS };
  for (const key of Object.keys(ENV) as Array<keyof LayerLimits>) {
    const raw = env[ENV[key]];
    if (raw !== undefined && raw !== '') out[key] = positive(ENV[key], raw);
  }
  return out;
}
