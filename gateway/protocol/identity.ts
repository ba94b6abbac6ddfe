/**
 * Peer identity from X.509 certificates, thumbprints, and the identifier formats of fsc-core.
 *
 * fsc-core "Peer ID" / "Peer name": a group defines which Subject elements carry them; Koppel's
 * groups (like NLX and PKIoverheid) use Subject `serialNumber` (the OIN) and `O` (organisation).
 */
import { X509Certificate, createHash } from 'node:crypto';
import { FscError } from './errors.ts';

/** A certificate as a node:crypto X509Certificate, PEM text, or DER bytes. */
export type CertificateInput = X509Certificate | string | Uint8Array | ArrayBuffer;

const parsed = new WeakMap<object, X509Certificate>();

/** Normalise a certificate input to a node:crypto X509Certificate (PEM/DER parsed once per object). */
export function toX509(cert: CertificateInput): X509Certificate {
  if (cert instanceof X509Certificate) return cert;
  if (typeof cert === 'string') return new X509Certificate(cert);
  const cached = parsed.get(cert);
  if (cached !== undefined) return cached;
  const bytes = cert instanceof ArrayBuffer ? new Uint8Array(cert) : cert;
  const x509 = new X509Certificate(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  parsed.set(cert, x509);
  return x509;
}

const pkThumbprints = new WeakMap<X509Certificate, string>();
const certThumbprints = new WeakMap<X509Certificate, string>();

/**
 * Public key thumbprint: hex SHA-256 of the DER SubjectPublicKeyInfo (64 lower-case characters).
 * fsc-core "Certificate & Public key thumbprints": used in contracts (`outway.public_key_thumbprint`)
 * so a certificate renewal with the same key keeps the contract valid.
 */
export function publicKeyThumbprint(cert: CertificateInput): string {
  const x509 = toX509(cert);
  let t = pkThumbprints.get(x509);
  if (t === undefined) {
    const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
    t = createHash('sha256').update(spki).digest('hex');
    pkThumbprints.set(x509, t);
  }
  return t;
}

/**
 * Certificate thumbprint: base64url (no padding) SHA-256 of the DER certificate, as `x5t#S256`
 * (RFC 7515 §4.1.8). Used in JWS headers and in the access token's `cnf` (RFC 8705 §3.1).
 */
export function certificateThumbprint(cert: CertificateInput): string {
  const x509 = toX509(cert);
  let t = certThumbprints.get(x509);
  if (t === undefined) {
    t = createHash('sha256').update(x509.raw).digest('base64url');
    certThumbprints.set(x509, t);
  }
  return t;
}

/** Who a certificate belongs to. */
export interface CertificatePeer {
  /** Subject serialNumber (the OIN in Koppel groups). */
  peerId: string;
  /** Subject O (organisation name). */
  name: string;
}

/** The Subject attributes Koppel reads, straight from the DER (no string escaping ambiguity). */
export interface SubjectAttributes {
  serialNumber?: string;
  organization?: string;
  commonName?: string;
}

/**
 * The peer of a certificate: Subject serialNumber → peerId, Subject O → name. Throws
 * ERROR_CODE_PEER_CERTIFICATE_VERIFICATION_FAILED (fsc-core: "signed by the trust anchor but the
 * content is invalid") when either is missing or the peer id is not a valid peer id.
 */
export function peerFromCertificate(cert: CertificateInput): CertificatePeer {
  const subject = certificateSubject(cert);
  const peerId = subject.serialNumber;
  if (peerId === undefined || !isPeerId(peerId)) {
    throw new FscError(
      'ERROR_CODE_PEER_CERTIFICATE_VERIFICATION_FAILED',
      'certificate subject has no valid serialNumber (peer id)',
    );
  }
  const name = subject.organization;
  if (name === undefined || name.trim() === '') {
    throw new FscError(
      'ERROR_CODE_PEER_CERTIFICATE_VERIFICATION_FAILED',
      'certificate subject has no organization (O)',
    );
  }
  return { peerId, name };
}

const subjects = new WeakMap<X509Certificate, SubjectAttributes>();

/** The serialNumber, O and CN of a certificate's Subject (first occurrence of each). */
export function certificateSubject(cert: CertificateInput): SubjectAttributes {
  const x509 = toX509(cert);
  let s = subjects.get(x509);
  if (s === undefined) {
    s = parseSubject(x509.raw);
    subjects.set(x509, s);
  }
  return { ...s };
}

// --- identifier formats ---

const OIN_RE = /^[0-9]{20}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const GROUP_ID_RE = /^[a-zA-Z0-9./_-]{1,100}$/;
const SERVICE_NAME_RE = /^[a-zA-Z0-9-._]{1,100}$/;
const PUBLIC_KEY_THUMBPRINT_RE = /^[0-9a-f]{64}$/;
const CERTIFICATE_THUMBPRINT_RE = /^[A-Za-z0-9_-]{43}$/;

/** An Organisatie-identificatienummer: exactly 20 digits. */
export function isOin(x: unknown): x is string {
  return typeof x === 'string' && OIN_RE.test(x);
}

/** manager.yaml `peerID`: 3–255 characters (we also refuse control characters). */
export function isPeerId(x: unknown): x is string {
  if (typeof x !== 'string') return false;
  const n = [...x].length;
  return n >= 3 && n <= 255 && !CONTROL_CHARS.test(x);
}

/** manager.yaml `peerName`: 3–255 characters (we also refuse control characters). */
export function isPeerName(x: unknown): x is string {
  return isPeerId(x);
}

/** fsc-core "Group ID": `^[a-zA-Z0-9./_-]{1,100}$`. */
export function isGroupId(x: unknown): x is string {
  return typeof x === 'string' && GROUP_ID_RE.test(x);
}

/**
 * fsc-core ServicePublicationGrant: `^[a-zA-Z0-9-._]{1,100}$`. (manager.yaml `serviceName` also
 * says 3–255 characters; the text's pattern is the rule we enforce.)
 */
export function isServiceName(x: unknown): x is string {
  return typeof x === 'string' && SERVICE_NAME_RE.test(x);
}

/** manager.yaml `publicKeyThumbprint`: 64 hex characters (we produce and accept lower-case). */
export function isPublicKeyThumbprint(x: unknown): x is string {
  return typeof x === 'string' && PUBLIC_KEY_THUMBPRINT_RE.test(x);
}

/** A base64url SHA-256 certificate thumbprint (`x5t#S256`): 43 characters, no padding. */
export function isCertificateThumbprint(x: unknown): x is string {
  return typeof x === 'string' && CERTIFICATE_THUMBPRINT_RE.test(x);
}

// --- a minimal DER reader for Certificate → tbsCertificate → subject ---

interface Tlv {
  tag: number;
  start: number; // first content byte
  end: number; // one past the last content byte
}

function readTlv(buf: Uint8Array, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new TypeError('truncated DER');
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new TypeError('unsupported DER tag');
  let len = buf[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const octets = len & 0x7f;
    if (octets === 0 || octets > 4 || start + octets > limit) throw new TypeError('bad DER length');
    len = 0;
    for (let i = 0; i < octets; i++) len = len * 256 + buf[start + i]!;
    start += octets;
  }
  const end = start + len;
  if (end > limit) throw new TypeError('truncated DER');
  return { tag, start, end };
}

function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = parent.start;
  while (pos < parent.end) {
    const t = readTlv(buf, pos, parent.end);
    out.push(t);
    pos = t.end;
  }
  return out;
}

const OID_SERIAL_NUMBER = '2.5.4.5';
const OID_ORGANIZATION = '2.5.4.10';
const OID_COMMON_NAME = '2.5.4.3';

function decodeOid(bytes: Uint8Array): string {
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    }
  }
  return parts.join('.');
}

function decodeString(tag: number, bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (tag) {
    case 0x0c: // UTF8String
      return b.toString('utf8');
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString (T.61; Latin-1 is the common practice)
      return b.toString('latin1');
    case 0x1e: {
      // BMPString: UTF-16BE
      const swapped = Buffer.from(b);
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    case 0x1c: {
      // UniversalString: UTF-32BE
      let s = '';
      for (let i = 0; i + 3 < b.length; i += 4) s += String.fromCodePoint(b.readUInt32BE(i));
      return s;
    }
    default:
      throw new TypeError('unsupported string type in subject');
  }
}

function parseSubject(der: Uint8Array): SubjectAttributes {
  const cert = readTlv(der, 0, der.length);
  const [tbs] = children(der, cert);
  if (tbs === undefined) throw new TypeError('no tbsCertificate');
  const fields = children(der, tbs);
  // tbsCertificate: [0] version (optional), serialNumber, signature, issuer, validity, subject, …
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[offset + 4];
  if (subject === undefined || subject.tag !== 0x30) throw new TypeError('no subject');
  const attrs: SubjectAttributes = {};
  for (const rdn of children(der, subject)) {
    for (const atv of children(der, rdn)) {
      const [oidTlv, valueTlv] = children(der, atv);
      if (oidTlv === undefined || valueTlv === undefined || oidTlv.tag !== 0x06) continue;
      const oid = decodeOid(der.subarray(oidTlv.start, oidTlv.end));
      const key =
        oid === OID_SERIAL_NUMBER
          ? 'serialNumber'
          : oid === OID_ORGANIZATION
            ? 'organization'
            : oid === OID_COMMON_NAME
              ? 'commonName'
              : undefined;
      if (key === undefined || attrs[key] !== undefined) continue;
      attrs[key] = decodeString(valueTlv.tag, der.subarray(valueTlv.start, valueTlv.end));
    }
  }
  return attrs;
}
