// The face of certs/: the development PKI (group CA and peer certificates), in memory and on disk,
// and the per-run test PKI other suites use for real mTLS.
export { createCa, issueCertificate } from './authority.ts';
export type { CaMaterial, CreateCaOptions, IssueCertificateOptions, IssuedCertificate } from './authority.ts';
export { initGroupCa, issuePeerCertificate, readGroupCa, CA_CERT_FILE, CA_KEY_FILE } from './files.ts';
export type { InitGroupCaOptions, GroupCaFiles, IssuePeerCertificateOptions, PeerCertificateFiles } from './files.ts';
export { createTestPki } from './test-pki.ts';
export type { CreateTestPkiOptions, TestPki, TestPkiPeer, TestPkiPeerSpec, TestPkiIssueOptions } from './test-pki.ts';
export { PkiError, isPkiError } from './errors.ts';
export type { PkiErrorCode } from './errors.ts';
export { assertOin, classifyHosts } from './subject.ts';
export type { SubjectAltNames } from './subject.ts';
