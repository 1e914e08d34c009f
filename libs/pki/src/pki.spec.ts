// The cluster's trust material without any network: a CA, certificates issued from CSRs (the CA decides
// the holder's id and role), chains checked against a pinned fingerprint, join tokens, sealing.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import {
  caFingerprint,
  certificateIdentity,
  createClusterCa,
  createKeyAndCsr,
  formatJoinToken,
  isSealed,
  issueCertificate,
  newClusterKey,
  newJoinSecret,
  parseJoinToken,
  seal,
  unseal,
  verifyChain,
} from '../index';

describe('certificates', () => {
  it('issues a node certificate from a CSR; the CA, not the CSR, names the holder', async () => {
    const ca = await createClusterCa();
    const { key, csr } = await createKeyAndCsr('i-want-to-be-a-controller');
    const issued = await issueCertificate(ca, csr, { id: 'node-7', role: 'node', ttlMs: 3_600_000 });
    const id = certificateIdentity(issued.cert);
    expect(id).toMatchObject({ id: 'node-7', role: 'node', serial: issued.serial.replace(/^0+/, '') });
    expect(new X509Certificate(issued.cert).verify(new X509Certificate(ca.cert).publicKey)).toBe(true);
    expect(new X509Certificate(issued.cert).checkPrivateKey(createPrivateKey(key))).toBe(true);
  });

  it('refuses a CSR whose signature does not match its key', async () => {
    const ca = await createClusterCa();
    const { csr } = await createKeyAndCsr('n');
    const der = Buffer.from(csr.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 3] ^= 0xff; // inside the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----`;
    await expect(issueCertificate(ca, tampered, { id: 'n', role: 'node', ttlMs: 1000 })).rejects.toThrow();
  });

  it('verifies a chain against the pinned fingerprint, role and time', async () => {
    const ca = await createClusterCa();
    const other = await createClusterCa('forged CA');
    const { csr } = await createKeyAndCsr('c');
    const ctl = await issueCertificate(ca, csr, { id: 'ctl-1', role: 'controller', ttlMs: 60_000 });
    const forged = await issueCertificate(other, csr, { id: 'ctl-1', role: 'controller', ttlMs: 60_000 });
    const fp = caFingerprint(ca.cert);
    const leaf = new X509Certificate(ctl.cert);
    const root = new X509Certificate(ca.cert);
    expect(verifyChain(leaf, root, { fingerprint: fp, role: 'controller' }).id).toBe('ctl-1');
    expect(() => verifyChain(leaf, root, { fingerprint: fp, role: 'node' })).toThrow(/not a node one/);
    expect(() =>
      verifyChain(new X509Certificate(forged.cert), root, { fingerprint: fp, role: 'controller' }),
    ).toThrow(/not signed by that CA/);
    expect(() =>
      verifyChain(new X509Certificate(forged.cert), new X509Certificate(other.cert), {
        fingerprint: fp,
        role: 'controller',
      }),
    ).toThrow(/fingerprint/);
    expect(() =>
      verifyChain(leaf, root, { fingerprint: fp, role: 'controller', now: new Date(Date.now() + 120_000) }),
    ).toThrow(/expired/);
  });
});

describe('join tokens', () => {
  it('round-trips and refuses what is not one', () => {
    const secret = newJoinSecret();
    const fp = 'ab'.repeat(32);
    expect(parseJoinToken(formatJoinToken(fp, secret))).toEqual({ fingerprint: fp, secret });
    expect(secret).toMatch(/^[a-z2-7]{52}$/);
    expect(newJoinSecret()).not.toBe(secret);
    for (const bad of [
      'tsj_123',
      `TSJ-1-${fp}-short`,
      `TSJ-2-${fp}-${secret}`,
      `TSJ-1-${fp.toUpperCase()}-${secret}`,
    ])
      expect(() => parseJoinToken(bad)).toThrow(/join token is malformed/);
  });
});

describe('sealing', () => {
  it('opens only with the same key and purpose, and never holds the plain text', () => {
    const key = newClusterKey();
    const s = seal(key, Buffer.from('p4ssw0rd'), 'secret:db_password');
    expect(isSealed(s)).toBe(true);
    expect(s).not.toContain('p4ssw0rd');
    expect(Buffer.from(s.slice(10), 'base64').includes(Buffer.from('p4ssw0rd'))).toBe(false);
    expect(unseal(key, s, 'secret:db_password').toString()).toBe('p4ssw0rd');
    expect(() => unseal(newClusterKey(), s, 'secret:db_password')).toThrow(/cannot be opened/);
    expect(() => unseal(key, s, 'secret:other')).toThrow(/cannot be opened/);
    expect(seal(key, Buffer.from('x'), 'p')).not.toBe(seal(key, Buffer.from('x'), 'p'));
  });
});
