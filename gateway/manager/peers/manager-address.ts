// The `Fsc-Manager-Address` header (fsc-core "FSC manager address"; manager.yaml
// headerFscManagerAddress: "The scheme must be https and the URL must contain the port").
import { FscError } from '../../protocol/index.ts';

const ADDRESS_RE = /^https:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** True for `https://host:port` with nothing after the port (manager.yaml `peer.manager_address` ≤ 255). */
export function isManagerAddress(value: unknown): value is string {
  if (typeof value !== 'string' || value.length < 3 || value.length > 255) return false;
  const m = ADDRESS_RE.exec(value);
  if (m === null) return false;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535;
}

/**
 * Read and check the header value. POST and PUT between managers MUST carry it (fsc-core); a missing
 * or malformed value is a 400, because without it we cannot reach the peer back.
 */
export function parseManagerAddress(value: string | undefined): string {
  if (value === undefined || value.trim() === '') {
    throw new FscError('ERROR_CODE_BAD_REQUEST', 'header Fsc-Manager-Address is required', { reason: 'manager-address-missing' });
  }
  const address = value.trim().replace(/\/+$/, '');
  if (!isManagerAddress(address)) {
    throw new FscError('ERROR_CODE_BAD_REQUEST', 'header Fsc-Manager-Address must be https://host:port', {
      reason: 'manager-address-invalid',
    });
  }
  return address;
}
