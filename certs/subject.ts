// Input rules for certificate subjects: what an OIN, a peer name, a group id and a host look like.
import { isIP } from 'node:net';
import { PkiError } from './errors.ts';

/** An OIN (Organisatie-identificatienummer) is 20 digits; FSC takes the peer id from Subject `serialNumber`. */
const OIN_RE = /^\d{20}$/;
/** fsc-core: a group id matches `^[a-zA-Z0-9./_-]{1,100}$`. */
const GROUP_ID_RE = /^[a-zA-Z0-9./_-]{1,100}$/;
// RFC 1123 labels; a leading `*.` for a wildcard certificate.
const DNS_RE = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function assertOin(oin: string): void {
  if (!OIN_RE.test(oin)) {
    throw new PkiError(
      'PKI_INVALID_INPUT',
      `invalid OIN "${oin}": an OIN is exactly 20 digits, e.g. 00000001234567890000`,
    );
  }
}

export function assertGroupId(groupId: string): void {
  if (!GROUP_ID_RE.test(groupId)) {
    throw new PkiError(
      'PKI_INVALID_INPUT',
      `invalid group id "${groupId}": use 1–100 letters, digits, dots, slashes, dashes or underscores`,
    );
  }
}

export function assertPeerName(name: string): void {
  // ub-organization-name is 64 characters (RFC 5280 appendix A).
  if (name.trim() === '' || name.length > 64) {
    throw new PkiError('PKI_INVALID_INPUT', 'invalid name: the organisation name (Subject O) must be 1–64 characters');
  }
}

export interface SubjectAltNames {
  dns: string[];
  ips: string[];
  /** Every host in the order given, typed for the subjectAltName extension. */
  entries: { type: 'dns' | 'ip'; value: string }[];
}

/** Splits hosts into DNS names and IP addresses (they are different SAN types), rejecting anything else. */
export function classifyHosts(hosts: readonly string[]): SubjectAltNames {
  if (hosts.length === 0) throw new PkiError('PKI_INVALID_INPUT', 'at least one host is needed for the subjectAltName');
  const entries: SubjectAltNames['entries'] = [];
  for (const raw of hosts) {
    const host = raw.trim();
    const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    if (isIP(bare) !== 0) entries.push({ type: 'ip', value: bare });
    else if (host.length <= 253 && DNS_RE.test(host)) entries.push({ type: 'dns', value: host.toLowerCase() });
    else throw new PkiError('PKI_INVALID_INPUT', `invalid host "${raw}": give a DNS name or an IP address`);
  }
  return {
    dns: entries.filter((e) => e.type === 'dns').map((e) => e.value),
    ips: entries.filter((e) => e.type === 'ip').map((e) => e.value),
    entries,
  };
}
