// A throwaway PKI for protocol unit tests: a CA and leaf certificates with Subject serialNumber = OIN and
// O = name, generated in memory with @peculiar/x509 (nothing is written into the repository).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KeyObject, X509Certificate, webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type TestKeyType = 'EC-P256' | 'EC-P384' | 'EC-P521' | 'RSA';

export interface TestCa {
  certificate: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

export interface TestLeaf {
  /** node:crypto view of the certificate. */
  certificate: X509Certificate;
  pem: string;
  der: Uint8Array;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const ecdsaSha256 = { name: 'ECDSA', hash: 'SHA-256' };

function keyAlgorithm(type: TestKeyType): webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams {
  switch (type) {
    case 'EC-P256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'EC-P384':
      return { name: 'ECDSA', namedCurve: 'P-384' };
    case 'EC-P521':
      return { name: 'ECDSA', namedCurve: 'P-521' };
    case 'RSA':
      return {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      };
  }
}

let serial = 1;
function nextSerial(): string {
  serial += 1;
  return serial.toString(16).padStart(4, '0');
}

export async function createTestCa(name = 'Koppel Test CA'): Promise<TestCa> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: [{ CN: [name] }, { O: ['Koppel Test'] }],
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    signingAlgorithm: ecdsaSha256,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return { certificate, keys };
}

export interface LeafOptions {
  oin?: string;
  name?: string;
  commonName?: string;
  keyType?: TestKeyType;
  /** Reuse a key pair (e.g. a renewed certificate with the same key). */
  keys?: webcrypto.CryptoKeyPair;
}

export async function createTestLeaf(
  ca: TestCa,
  options: LeafOptions = {},
): Promise<TestLeaf & { keys: webcrypto.CryptoKeyPair }> {
  const keys =
    options.keys ??
    (await webcrypto.subtle.generateKey(keyAlgorithm(options.keyType ?? 'EC-P256'), true, ['sign', 'verify']));
  const subject: x509.JsonName = [];
  if (options.oin !== undefined) subject.push({ '2.5.4.5': [options.oin] });
  if (options.name !== undefined) subject.push({ O: [options.name] });
  subject.push({ CN: [options.commonName ?? 'peer.test'] });
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject,
    issuer: ca.certificate.subjectName,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    signingAlgorithm: ecdsaSha256,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  const der = new Uint8Array(cert.rawData);
  const certificate = new X509Certificate(der);
  return {
    certificate,
    pem: cert.toString('pem'),
    der,
    privateKey: KeyObject.from(keys.privateKey),
    publicKey: KeyObject.from(keys.publicKey),
    keys,
  };
}
