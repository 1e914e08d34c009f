// libs/pki: the cluster's trust material: the cluster CA, node and controller certificates (issued from
// CSRs, with the holder's role and id in the subject), join tokens that pin the CA, and sealing of secrets
// with the cluster key. Pure functions over PEM strings and bytes; reading and writing files is the caller's.
export {
  createClusterCa,
  issueCertificate,
  createKeyAndCsr,
  caFingerprint,
  certificateIdentity,
} from './src/certificates';
export type {
  CertKeyPair,
  CertRole,
  IssuedCertificate,
  CertIdentity,
  IssueOptions,
} from './src/certificates';
export { formatJoinToken, parseJoinToken, newJoinSecret, JoinTokenError } from './src/join-token';
export type { JoinToken } from './src/join-token';
export { verifyChain, TrustError } from './src/verify';
export { seal, unseal, isSealed, newClusterKey, SealError } from './src/seal';
