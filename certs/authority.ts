// The dev PKI in memory: a group CA and peer certificates as PEM strings. Offline, no openssl.
// Certificates follow what FSC expects of a peer (fsc-core, "Identity"): Subject `serialNumber` is
// the peer id (the 20-digit OIN in Dutch groups), `O` the peer name, and one certificate serves
// both as TLS server and TLS client, because managers and inways accept and make mTLS connections.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { assertGroupId, assertOin, assertPeerName, classifyHosts } from './subject.ts';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const crypto = webcrypto;
const EC_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 24 * 60 * 60 * 1000;
// Clocks of peers differ a little; a certificate that starts "now" is rejected by a peer that is behind.
const BACKDATE_MS = 5 * 60 * 1000;

/** A CA as PEM: certificate and PKCS#8 private key. */
export interface CaMaterial {
  certPem: string;
  keyPem: string;
}

export interface CreateCaOptions {
  groupId: string;
  /** Issue time; defaults to the current time. */
  now?: Date;
  /** Defaults to 3650 (ten years). */
  validityDays?: number;
}

export interface IssueCertificateOptions {
  ca: CaMaterial;
  /** 20-digit OIN, becomes Subject `serialNumber` (the FSC peer id). */
  oin: string;
  /** Organisation name, becomes Subject `O` (the FSC peer name). */
  name: string;
  /** DNS names and IP addresses for the subjectAltName; the first also becomes Subject `CN`. */
  hosts: readonly string[];
  /** Issue time; defaults to the current time. */
  now?: Date;
  /** Defaults to `now` minus five minutes. */
  notBefore?: Date;
  /** Defaults to `now` plus 365 days. */
  notAfter?: Date;
}

/** A peer certificate as PEM: the leaf alone, the leaf followed by the CA, and the PKCS#8 key. */
export interface IssuedCertificate {
  certPem: string;
  chainPem: string;
  keyPem: string;
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // a positive INTEGER (RFC 5280 §4.1.2.2)
  if (bytes[0] === 0) bytes[0] = 1;
  return bytes.toString('hex');
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

async function importCaKey(keyPem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(keyPem);
  return crypto.subtle.importKey('pkcs8', der, EC_KEY, false, ['sign']);
}

function withNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

/** Creates a self-signed group CA: EC P-256, basicConstraints CA, keyUsage keyCertSign and cRLSign. */
export async function createCa(options: CreateCaOptions): Promise<CaMaterial> {
  assertGroupId(options.groupId);
  const now = options.now ?? new Date();
  const keys = await generateKeys();
  const name = new x509.Name([
    { '2.5.4.10': [{ utf8String: 'Koppel development PKI' }] },
    { '2.5.4.11': [{ utf8String: options.groupId }] },
    { '2.5.4.3': [{ utf8String: `Koppel dev CA ${options.groupId}`.slice(0, 64) }] },
  ]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + (options.validityDays ?? 3650) * DAY_MS),
      signingAlgorithm: SIGNING,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: withNewline(cert.toString('pem')), keyPem: withNewline(await privateKeyPem(keys.privateKey)) };
}

/**
 * Issues a peer certificate signed by `ca`: EC P-256, Subject `serialNumber`=OIN, `O`=name,
 * `CN`=first host, SAN with DNS names and IP addresses, extendedKeyUsage serverAuth and clientAuth.
 */
export async function issueCertificate(options: IssueCertificateOptions): Promise<IssuedCertificate> {
  assertOin(options.oin);
  assertPeerName(options.name);
  const { entries } = classifyHosts(options.hosts);
  const now = options.now ?? new Date();
  const caCert = new x509.X509Certificate(options.ca.certPem);
  const caKey = await importCaKey(options.ca.keyPem);
  const keys = await generateKeys();

  const subject: Record<string, { utf8String?: string; printableString?: string }[]>[] = [
    { '2.5.4.5': [{ printableString: options.oin }] },
    { '2.5.4.10': [{ utf8String: options.name }] },
  ];
  const first = options.hosts[0]?.trim();
  // ub-common-name is 64 characters; a longer first host is still in the SAN, which is what TLS checks.
  if (first !== undefined && first.length <= 64) subject.push({ '2.5.4.3': [{ utf8String: first }] });

  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: new x509.Name(subject),
      issuer: caCert.subjectName,
      notBefore: options.notBefore ?? new Date(now.getTime() - BACKDATE_MS),
      notAfter: options.notAfter ?? new Date(now.getTime() + 365 * DAY_MS),
      signingAlgorithm: SIGNING,
      publicKey: keys.publicKey,
      signingKey: caKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], false),
        new x509.SubjectAlternativeNameExtension(entries, false),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const certPem = withNewline(cert.toString('pem'));
  return {
    certPem,
    chainPem: certPem + withNewline(options.ca.certPem),
    keyPem: withNewline(await privateKeyPem(keys.privateKey)),
  };
}
