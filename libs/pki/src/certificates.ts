// Certificates of the cluster, made with @peculiar/x509 over Node's WebCrypto: an ECDSA P-256 CA, and leaf
// certificates issued from a CSR whose key never leaves its holder. A leaf's subject carries its role
// (OU=node | controller) and id (CN), so a peer is known by what the CA signed, not by a hostname.
import { createHash, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
// @peculiar/x509 resolves its parsers through tsyringe, which needs the reflect polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export type CertRole = 'node' | 'controller';

export interface CertKeyPair {
  cert: string;
  key: string;
}

export interface IssuedCertificate {
  cert: string;
  serial: string;
  notAfter: Date;
}

export interface CertIdentity {
  id: string;
  role: CertRole;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decode(pem)[0], ALG, true, ['sign']);
}

function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f; // a positive integer
  return b.toString('hex');
}

/** A self-signed CA for one cluster, valid `years` (default 10). */
export async function createClusterCa(
  name = 'tsstack cluster CA',
  now = new Date(),
  years = 10,
): Promise<CertKeyPair> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(now.getUTCFullYear() + years);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await keyPem(keys.privateKey) };
}

/** A new key and a CSR for it; the key stays with the caller. */
export async function createKeyAndCsr(commonName: string): Promise<{ key: string; csr: string }> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName.replace(/[,=+<>#;\\"]/g, '_')}`,
    keys,
    signingAlgorithm: ALG,
  });
  return { key: await keyPem(keys.privateKey), csr: csr.toString('pem') };
}

export interface IssueOptions {
  id: string;
  role: CertRole;
  ttlMs: number;
  now?: Date;
}

/**
 * Signs the CSR's public key for `id` in `role` (the CSR's own subject is ignored: the CA decides who the
 * holder is). The CSR's signature must verify, proving the requester holds the key.
 */
export async function issueCertificate(
  ca: CertKeyPair,
  csrPem: string,
  o: IssueOptions,
): Promise<IssuedCertificate> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  if (!(await csr.verify())) throw new Error('the certificate request is not signed by its own key');
  const caCert = new x509.X509Certificate(ca.cert);
  const now = o.now ?? new Date();
  const notAfter = new Date(now.getTime() + o.ttlMs);
  const sn = serial();
  const usage =
    o.role === 'controller'
      ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]
      : [x509.ExtendedKeyUsage.clientAuth];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: sn,
    subject: `CN=${o.id}, OU=${o.role}, O=tsstack`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    signingAlgorithm: ALG,
    publicKey: await csr.publicKey.export(ALG, ['verify']),
    signingKey: await importKey(ca.key),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(usage),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: cert.toString('pem'), serial: sn, notAfter };
}

/** sha256 of the CA certificate's DER, lowercase hex: what a join token pins. */
export function caFingerprint(caCertPem: string): string {
  return createHash('sha256').update(new X509Certificate(caCertPem).raw).digest('hex');
}

/** Who a leaf certificate says its holder is (CN = id, OU = role), its serial and validity. */
export function certificateIdentity(certPem: string | X509Certificate): CertIdentity {
  const c = typeof certPem === 'string' ? new X509Certificate(certPem) : certPem;
  const field = (name: string): string | undefined =>
    c.subject
      .split('\n')
      .find((l) => l.startsWith(`${name}=`))
      ?.slice(name.length + 1);
  const role = field('OU');
  if (role !== 'node' && role !== 'controller') throw new Error('the certificate names no tsstack role');
  return {
    id: field('CN') ?? '',
    role,
    serial: c.serialNumber.toLowerCase().replace(/^0+/, ''),
    notBefore: new Date(c.validFrom),
    notAfter: new Date(c.validTo),
  };
}
