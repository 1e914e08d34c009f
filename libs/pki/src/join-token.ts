// Join tokens as Swarm has them: "TSJ-1-<sha256 of the CA certificate, hex>-<secret>". The fingerprint lets
// a joining agent pin the CA before it trusts anything the controller says; the secret proves the agent
// was given the token. Rotating the token changes the secret only.
import { randomBytes } from 'node:crypto';
import { TsstackError } from '@tsstack/model';

export interface JoinToken {
  fingerprint: string;
  secret: string;
}

export class JoinTokenError extends TsstackError {
  constructor(why: string) {
    super(
      'JOIN_TOKEN_INVALID',
      `the join token is malformed (${why}); get a current one with \`tsstack node join-token\``,
    );
  }
}

const FORMAT = /^TSJ-1-([0-9a-f]{64})-([a-z2-7]{52})$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** 32 random bytes in lowercase base32 (52 characters). */
export function newJoinSecret(): string {
  const bytes = randomBytes(32);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function formatJoinToken(fingerprint: string, secret: string): string {
  return `TSJ-1-${fingerprint}-${secret}`;
}

export function parseJoinToken(token: string): JoinToken {
  const m = FORMAT.exec(token.trim());
  if (!m)
    throw new JoinTokenError(
      token.startsWith('TSJ-1-') ? 'wrong length or characters' : 'not TSJ-1-<ca sha256>-<secret>',
    );
  return { fingerprint: m[1]!, secret: m[2]! };
}
