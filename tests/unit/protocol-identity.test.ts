import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FscError,
  certificateSubject,
  certificateThumbprint,
  isCertificateThumbprint,
  isGroupId,
  isOin,
  isPeerId,
  isPeerName,
  isPublicKeyThumbprint,
  isServiceName,
  peerFromCertificate,
  publicKeyThumbprint,
  toX509,
} from '../../gateway/protocol/index.ts';
import { createTestCa, createTestLeaf } from './protocol-test-pki.ts';
import type { TestCa, TestLeaf } from './protocol-test-pki.ts';

const OIN = '00000001234567890000';

let ca: TestCa;
let leaf: TestLeaf & { keys: CryptoKeyPair };
let dir: string;

type CryptoKeyPair = Awaited<ReturnType<typeof createTestLeaf>>['keys'];

beforeAll(async () => {
  ca = await createTestCa();
  leaf = await createTestLeaf(ca, { oin: OIN, name: 'Gemeente Voorbeeld', commonName: 'outway.voorbeeld.test' });
  dir = mkdtempSync(join(tmpdir(), 'koppel-identity-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** SHA-256 of the DER SubjectPublicKeyInfo, computed by the openssl CLI. */
function opensslPublicKeyThumbprint(pem: string): string {
  const certFile = join(dir, `cert-${Math.random().toString(16).slice(2)}.pem`);
  writeFileSync(certFile, pem);
  const pubPem = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-pubkey']);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: pubPem });
  const out = execFileSync('openssl', ['dgst', '-sha256', '-r'], { input: der }).toString();
  return out.split(' ')[0]!.trim();
}

/** SHA-256 fingerprint of the DER certificate, computed by the openssl CLI, as base64url. */
function opensslCertificateThumbprint(pem: string): string {
  const certFile = join(dir, `cert-${Math.random().toString(16).slice(2)}.pem`);
  writeFileSync(certFile, pem);
  const out = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256']).toString();
  const hex = out.trim().split('=')[1]!.replaceAll(':', '');
  return Buffer.from(hex, 'hex').toString('base64url');
}

describe('public key thumbprint (contracts: outway.public_key_thumbprint)', () => {
  it('is the hex SHA-256 of the DER SPKI, as openssl computes it', () => {
    const t = publicKeyThumbprint(leaf.certificate);
    expect(t).toMatch(/^[0-9a-f]{64}$/);
    expect(t).toBe(opensslPublicKeyThumbprint(leaf.pem));
  });

  it('is the same for PEM, DER, ArrayBuffer and X509Certificate inputs', () => {
    const t = publicKeyThumbprint(leaf.certificate);
    expect(publicKeyThumbprint(leaf.pem)).toBe(t);
    expect(publicKeyThumbprint(leaf.der)).toBe(t);
    expect(publicKeyThumbprint(leaf.der.slice().buffer)).toBe(t);
    expect(publicKeyThumbprint(new X509Certificate(leaf.pem))).toBe(t);
  });

  it('survives a certificate renewal with the same key and changes with a new key', async () => {
    const renewed = await createTestLeaf(ca, { oin: OIN, name: 'Gemeente Voorbeeld', keys: leaf.keys });
    expect(renewed.certificate.raw.equals(leaf.certificate.raw)).toBe(false);
    expect(publicKeyThumbprint(renewed.certificate)).toBe(publicKeyThumbprint(leaf.certificate));
    const rekeyed = await createTestLeaf(ca, { oin: OIN, name: 'Gemeente Voorbeeld' });
    expect(publicKeyThumbprint(rekeyed.certificate)).not.toBe(publicKeyThumbprint(leaf.certificate));
  });

  it('works for RSA keys as well', async () => {
    const rsa = await createTestLeaf(ca, { oin: OIN, name: 'RSA Org', keyType: 'RSA' });
    expect(publicKeyThumbprint(rsa.certificate)).toBe(opensslPublicKeyThumbprint(rsa.pem));
  });
});

describe('certificate thumbprint (x5t#S256, cnf)', () => {
  it('is base64url SHA-256 of the DER certificate without padding, as openssl computes it', () => {
    const t = certificateThumbprint(leaf.certificate);
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(t).toBe(opensslCertificateThumbprint(leaf.pem));
    expect(certificateThumbprint(leaf.pem)).toBe(t);
    expect(certificateThumbprint(leaf.der)).toBe(t);
    expect(isCertificateThumbprint(t)).toBe(true);
  });

  it('changes on renewal even with the same key', async () => {
    const renewed = await createTestLeaf(ca, { oin: OIN, name: 'Gemeente Voorbeeld', keys: leaf.keys });
    expect(certificateThumbprint(renewed.certificate)).not.toBe(certificateThumbprint(leaf.certificate));
  });
});

describe('peerFromCertificate', () => {
  it('takes the peer id from Subject serialNumber and the name from O', () => {
    expect(peerFromCertificate(leaf.certificate)).toStrictEqual({ peerId: OIN, name: 'Gemeente Voorbeeld' });
    expect(peerFromCertificate(leaf.pem)).toStrictEqual({ peerId: OIN, name: 'Gemeente Voorbeeld' });
    expect(peerFromCertificate(leaf.der)).toStrictEqual({ peerId: OIN, name: 'Gemeente Voorbeeld' });
    expect(certificateSubject(leaf.certificate)).toStrictEqual({
      serialNumber: OIN,
      organization: 'Gemeente Voorbeeld',
      commonName: 'outway.voorbeeld.test',
    });
  });

  it('reads names with commas, plus signs and non-ASCII letters exactly (no RFC 4514 escaping)', async () => {
    const name = 'Gemeente ’s-Hertogenbosch, afd. Burgerzaken + Ærø; <x>';
    const odd = await createTestLeaf(ca, { oin: '00000009876543210000', name });
    expect(peerFromCertificate(odd.certificate)).toStrictEqual({ peerId: '00000009876543210000', name });
    // node:crypto's printable subject escapes these characters; the DER reader does not.
    expect(odd.certificate.subject).not.toContain(`O=${name}`);
  });

  it('reads a certificate made by the openssl CLI (PrintableString serialNumber, UTF8String O)', () => {
    const keyFile = join(dir, 'openssl-key.pem');
    const certFile = join(dir, 'openssl-cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-utf8',
        '-subj',
        '/serialNumber=00000001111111110000/O=Stichting "Ons Water" Zuid, Noord & Ĳssel/CN=manager.test',
      ],
      { stdio: 'ignore' },
    );
    const pem = execFileSync('openssl', ['x509', '-in', certFile]).toString();
    expect(peerFromCertificate(pem)).toStrictEqual({
      peerId: '00000001111111110000',
      name: 'Stichting "Ons Water" Zuid, Noord & Ĳssel',
    });
    expect(publicKeyThumbprint(pem)).toBe(opensslPublicKeyThumbprint(pem));
    expect(certificateThumbprint(pem)).toBe(opensslCertificateThumbprint(pem));
  });

  it('agrees with the subject node:crypto prints', () => {
    const lines = leaf.certificate.subject.split('\n');
    expect(lines).toContain(`serialNumber=${OIN}`);
    expect(lines).toContain('O=Gemeente Voorbeeld');
  });

  it('refuses a certificate without serialNumber or O (ERROR_CODE_PEER_CERTIFICATE_VERIFICATION_FAILED)', async () => {
    const noSerial = await createTestLeaf(ca, { name: 'No Serial' });
    const noOrg = await createTestLeaf(ca, { oin: OIN });
    const shortId = await createTestLeaf(ca, { oin: '12', name: 'Short Id' });
    for (const cert of [noSerial.certificate, noOrg.certificate, shortId.certificate]) {
      let err: unknown;
      try {
        peerFromCertificate(cert);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FscError);
      expect((err as FscError).code).toBe('ERROR_CODE_PEER_CERTIFICATE_VERIFICATION_FAILED');
      expect((err as FscError).status).toBe(400);
    }
  });

  it('throws on input that is not a certificate', () => {
    expect(() => toX509('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toThrow();
    expect(() => toX509(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))).toThrow();
  });
});

describe('identifier formats', () => {
  it('isOin: exactly 20 digits', () => {
    expect(isOin(OIN)).toBe(true);
    expect(isOin('0000000123456789000')).toBe(false);
    expect(isOin('000000012345678900000')).toBe(false);
    expect(isOin('0000000123456789000a')).toBe(false);
    expect(isOin(1234567890)).toBe(false);
  });

  it('isPeerId / isPeerName: 3 to 255 characters, no control characters', () => {
    expect(isPeerId(OIN)).toBe(true);
    expect(isPeerId('abc')).toBe(true);
    expect(isPeerId('ab')).toBe(false);
    expect(isPeerId('a'.repeat(255))).toBe(true);
    expect(isPeerId('a'.repeat(256))).toBe(false);
    expect(isPeerId('abc\n')).toBe(false);
    expect(isPeerId(123)).toBe(false);
    expect(isPeerName('Gemeente Voorbeeld')).toBe(true);
    expect(isPeerName('Ab')).toBe(false);
  });

  it('isGroupId: ^[a-zA-Z0-9./_-]{1,100}$', () => {
    expect(isGroupId('fsc-example-group')).toBe(true);
    expect(isGroupId('fsc.group.example/id_1')).toBe(true);
    expect(isGroupId('a')).toBe(true);
    expect(isGroupId('a'.repeat(100))).toBe(true);
    expect(isGroupId('a'.repeat(101))).toBe(false);
    expect(isGroupId('')).toBe(false);
    expect(isGroupId('with space')).toBe(false);
    expect(isGroupId('ümlaut')).toBe(false);
  });

  it('isServiceName: ^[a-zA-Z0-9-._]{1,100}$', () => {
    expect(isServiceName('example-service')).toBe(true);
    expect(isServiceName('basisregistratie_personen.v1')).toBe(true);
    expect(isServiceName('a'.repeat(100))).toBe(true);
    expect(isServiceName('a'.repeat(101))).toBe(false);
    expect(isServiceName('')).toBe(false);
    expect(isServiceName('a/b')).toBe(false);
    expect(isServiceName('a b')).toBe(false);
  });

  it('isPublicKeyThumbprint: 64 lower-case hex characters', () => {
    expect(isPublicKeyThumbprint('3a56f2e9269ac63f0d4394c46b96539da1625b6a985d38029ff89f34e490960c')).toBe(true);
    expect(isPublicKeyThumbprint('3A56F2E9269AC63F0D4394C46B96539DA1625B6A985D38029FF89F34E490960C')).toBe(false);
    expect(isPublicKeyThumbprint('3a56f2e9')).toBe(false);
  });
});
