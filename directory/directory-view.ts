// The listing the directory shows beyond FSC's own `GET /v1/services`: every listed service with the
// inway address its publisher signed and the health of that inway. Served to group members as
// `GET /v1/koppel/services` (routes-koppel-services.ts), to the operator's catalogue page, and to the
// directory's own admin API.
import type { DirectoryEntry } from './directory-entries.ts';
import type { HealthMonitor, InwayHealth } from './health-monitor.ts';

export type HealthStatus = 'up' | 'down' | 'unknown';

export interface ServiceHealth {
  status: HealthStatus;
  /** Unix seconds of the last probe. */
  checkedAt?: number;
  latencyMs?: number;
  /** Unix seconds since when the status has been what it is. */
  since?: number;
  reason?: string;
}

export interface DirectoryService extends DirectoryEntry {
  health: ServiceHealth;
}

export interface DirectoryView {
  listServices(filter?: { peerId?: string }): Promise<DirectoryService[]>;
}

function toServiceHealth(health: InwayHealth | undefined, inwayAddress: string | undefined): ServiceHealth {
  if (inwayAddress === undefined) return { status: 'unknown', reason: 'no-inway-address' };
  if (health === undefined) return { status: 'unknown', reason: 'not-checked' };
  const out: ServiceHealth = {
    status: health.status,
    checkedAt: Math.floor(health.checkedAt / 1000),
    latencyMs: health.latencyMs,
    since: Math.floor(health.since / 1000),
  };
  if (health.reason !== undefined) out.reason = health.reason;
  return out;
}

export function createDirectoryView(options: {
  entries: { list(): Promise<DirectoryEntry[]> };
  health: Pick<HealthMonitor, 'healthOf'>;
}): DirectoryView {
  return {
    async listServices(filter = {}) {
      let entries = await options.entries.list();
      if (filter.peerId !== undefined) entries = entries.filter((e) => e.peer.id === filter.peerId);
      const byAddress = new Map<string, InwayHealth | undefined>();
      const out: DirectoryService[] = [];
      for (const entry of entries) {
        const address = entry.inwayAddress;
        if (address !== undefined && !byAddress.has(address))
          byAddress.set(address, await options.health.healthOf(address));
        out.push({
          ...entry,
          health: toServiceHealth(address === undefined ? undefined : byAddress.get(address), address),
        });
      }
      return out;
    },
  };
}

/** One item of `GET /v1/koppel/services`, in the snake_case of the FSC wire format. */
export interface KoppelServiceListing {
  type: DirectoryEntry['type'];
  /** manager.yaml `peer`. */
  peer: { id: string; name: string; manager_address: string };
  name: string;
  protocol: DirectoryEntry['protocol'];
  /** manager.yaml `delegatorServiceListing`. */
  delegator?: { peer_id: string; peer_name: string };
  inway_address?: string;
  health: {
    status: HealthStatus;
    checked_at?: number;
    latency_ms?: number;
    since?: number;
    reason?: string;
  };
}

export function toKoppelServiceListing(s: DirectoryService): KoppelServiceListing {
  const out: KoppelServiceListing = {
    type: s.type,
    peer: { id: s.peer.id, name: s.peer.name, manager_address: s.peer.managerAddress },
    name: s.name,
    protocol: s.protocol,
    health: { status: s.health.status },
  };
  if (s.delegator !== undefined) out.delegator = { peer_id: s.delegator.id, peer_name: s.delegator.name };
  if (s.inwayAddress !== undefined) out.inway_address = s.inwayAddress;
  if (s.health.checkedAt !== undefined) out.health.checked_at = s.health.checkedAt;
  if (s.health.latencyMs !== undefined) out.health.latency_ms = s.health.latencyMs;
  if (s.health.since !== undefined) out.health.since = s.health.since;
  if (s.health.reason !== undefined) out.health.reason = s.health.reason;
  return out;
}
