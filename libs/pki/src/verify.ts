// Checking a peer's certificate chain against the pinned cluster CA by hand, for the one moment when TLS
// cannot do it: an agent joining with only a token knows the CA's fingerprint, not the CA. Also used to
// check a certificate the controller handed back.
import { createHash, X509Certificate } from 'node:crypto';
import { TsstackError } from '@tsstack/model';
import { CertIdentity, CertRole, certificateIdentity } from './certificates';

export class TrustError extends TsstackError {
  constructor(why: string) {
    super(
      'TLS_UNTRUSTED',
      `the controller is not the one the join token names: ${why}; check the address and the token`,
    );
  }
}

/**
 * Verifies that `leaf` was signed by `ca`, that `ca` has the pinned fingerprint, that both are valid at
 * `now`, and that the leaf holds `role`. Returns the leaf's identity.
 */
export function verifyChain(
  leaf: X509Certificate,
  ca: X509Certificate,
  o: { fingerprint: string; role: CertRole; now?: Date },
): CertIdentity {
  const fp = createHash('sha256').update(ca.raw).digest('hex');
  if (fp !== o.fingerprint)
    throw new TrustError(
      `its CA has fingerprint ${fp.slice(0, 16)}…, the token pins ${o.fingerprint.slice(0, 16)}…`,
    );
  if (!ca.verify(ca.publicKey)) throw new TrustError('its CA certificate is not self-signed');
  if (!leaf.verify(ca.publicKey)) throw new TrustError('its certificate is not signed by that CA');
  const now = o.now ?? new Date();
  for (const c of [leaf, ca])
    if (now < new Date(c.validFrom) || now > new Date(c.validTo))
      throw new TrustError('a certificate is expired or not yet valid');
  const id = certificateIdentity(leaf);
  if (id.role !== o.role) throw new TrustError(`it presents a ${id.role} certificate, not a ${o.role} one`);
  return id;
}
