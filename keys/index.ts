/** The public surface of keys/: pure crypto for SSH keys, OpenSSH certificates and TLS certificates. */
export { SshReader, SshWriter } from './ssh-wire.js';
export {
  formatOpenSshPublicLine,
  parseOpenSshPublicLine,
  parsePublicKeyBlob,
  publicKeyBlobFromKeyObject,
  sshFingerprint,
  type SshKeyType,
  type SshPublicKey,
} from './ssh-public-key.js';
export {
  ALLOWED_SIGNATURE_ALGORITHMS,
  parseSignatureBlob,
  signSshEd25519,
  verifySshSignature,
  type SshSignatureAlgorithm,
} from './ssh-signature.js';
export { parseCertificate, type CertOptions, type OpenSshCertificate } from './openssh-cert.js';
export {
  DEFAULT_USER_EXTENSIONS,
  signUserCertificate,
  signUserCertificateBlob,
  type SignUserCertificateInput,
} from './sign-user-certificate.js';
export {
  CERT_REFUSALS,
  verifyUserCertificate,
  type CertPermissions,
  type CertRefusal,
  type CertVerdict,
  type VerifyUserCertificateInput,
} from './verify-user-certificate.js';
export { matchSourceAddress } from './source-address.js';
export { Ed25519KeyFile, loadOrCreateEd25519Key } from './key-files.js';
export { KeyError, type KeyErrorKind } from './key-error.js';
export { checkTlsPair, generateSelfSignedCertificate, normalizeTlsFingerprint, tlsFingerprint, type SelfSignedCertificateInput, type TlsMaterial } from './tls-certificate.js';
