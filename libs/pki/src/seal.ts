// Sealing secrets at rest with the cluster key (32 bytes, kept in a file beside the controller, never in
// Redis): AES-256-GCM with a random 96-bit nonce, the purpose bound in as additional data so a sealed value
// cannot be moved to another field. Format: "tsseal:v1:<base64 nonce|ciphertext|tag>".
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { TsstackError } from '@tsstack/model';

const PREFIX = 'tsseal:v1:';

export class SealError extends TsstackError {
  constructor(why: string) {
    super(
      'SEALED_VALUE_INVALID',
      `a sealed value cannot be opened (${why}): the cluster key differs from the one that sealed it, or the value was altered`,
    );
  }
}

export function newClusterKey(): Buffer {
  return randomBytes(32);
}

export function isSealed(v: string): boolean {
  return v.startsWith(PREFIX);
}

export function seal(key: Buffer, plain: Buffer, purpose: string): string {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(Buffer.from(purpose));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return PREFIX + Buffer.concat([nonce, body, c.getAuthTag()]).toString('base64');
}

export function unseal(key: Buffer, sealed: string, purpose: string): Buffer {
  if (!isSealed(sealed)) throw new SealError('not a sealed value');
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
  if (raw.length < 28) throw new SealError('too short');
  const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  d.setAAD(Buffer.from(purpose));
  d.setAuthTag(raw.subarray(raw.length - 16));
  try {
    return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
  } catch {
    throw new SealError('authentication failed');
  }
}
