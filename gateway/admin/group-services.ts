// The group's services as this peer's operator sees them: from the directory's FSC listing
// (`GET /v1/services`, manager.yaml getServices) and, when the directory is a Koppel one, its
// extension `GET /v1/koppel/services` with inway addresses and health. When this peer IS the
// directory, its own view is used without a network round trip.
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { FscError } from '../protocol/index.ts';
import type { Protocol } from '../protocol/index.ts';
import type { ManagerService } from '../manager/index.ts';

export type GroupHealthStatus = 'up' | 'down' | 'unknown';

export interface GroupServiceHealth {
  status: GroupHealthStatus;
  /** Unix seconds. */
  checkedAt?: number;
  latencyMs?: number;
  since?: number;
  reason?: string;
}

/** One service of the group (the shape of the directory role's DirectoryService, structurally). */
export interface GroupService {
  type: 'SERVICE_TYPE_SERVICE' | 'SERVICE_TYPE_DELEGATED_SERVICE';
  peer: { id: string; name: string };
  name: string;
  protocol: Protocol;
  delegator?: { id: string; name: string };
  inwayAddress?: string;
  health: GroupServiceHealth;
}

export interface GroupServicesSource {
  listServices(): Promise<GroupService[]>;
}

/** Exactly the fields of {@link GroupService} (a local directory view carries more). */
export function groupServiceJson(s: GroupService): GroupService {
  const out: GroupService = {
    type: s.type,
    peer: { id: s.peer.id, name: s.peer.name },
    name: s.name,
    protocol: s.protocol,
    health: { ...s.health },
  };
  if (s.delegator !== undefined) out.delegator = { id: s.delegator.id, name: s.delegator.name };
  if (s.inwayAddress !== undefined) out.inwayAddress = s.inwayAddress;
  return out;
}

const protocolSchema = z.enum(['PROTOCOL_TCP_HTTP_1.1', 'PROTOCOL_TCP_HTTP_2']);
const typeSchema = z.enum(['SERVICE_TYPE_SERVICE', 'SERVICE_TYPE_DELEGATED_SERVICE']);
const peerSchema = z.object({ id: z.string(), name: z.string() });
const delegatorSchema = z.object({ peer_id: z.string(), peer_name: z.string() });

// Lenient on purpose (`z.object`, not strict): another implementation may add fields.
const fscListingSchema = z.object({
  services: z.array(
    z.object({
      data: z.object({
        type: typeSchema.optional(),
        peer: peerSchema,
        name: z.string(),
        protocol: protocolSchema,
        delegator: delegatorSchema.optional(),
      }),
    }),
  ),
  pagination: z.object({ next_cursor: z.string().optional() }).optional(),
});

const koppelListingSchema = z.object({
  services: z.array(
    z.object({
      type: typeSchema,
      peer: peerSchema,
      name: z.string(),
      protocol: protocolSchema,
      delegator: delegatorSchema.optional(),
      inway_address: z.string().optional(),
      health: z.object({
        status: z.enum(['up', 'down', 'unknown']),
        checked_at: z.number().optional(),
        latency_ms: z.number().optional(),
        since: z.number().optional(),
        reason: z.string().optional(),
      }),
    }),
  ),
});

export interface RemoteDirectoryOptions {
  /** The directory's manager address (config `manager.directoryAddress`). */
  address: string;
  /** An mTLS dispatcher with this peer's certificate. */
  dispatcher: Dispatcher;
  timeoutMs: number;
}

function key(peerId: string, name: string, delegatorId: string | undefined): string {
  return [peerId, name, delegatorId ?? ''].join('\u0000');
}

function unreachable(cause: unknown): FscError {
  return new FscError('ERROR_CODE_PEER_UNREACHABLE', 'the directory could not be reached', {
    cause,
    reason: 'directory-unreachable',
  });
}

/** The directory of a peer in `peer` mode, over the network. */
export function createRemoteDirectory(options: RemoteDirectoryOptions): GroupServicesSource {
  async function get(path: string): Promise<{ status: number; body: unknown }> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(new URL(path, `${options.address}/`), {
        method: 'GET',
        headers: { accept: 'application/json' },
        dispatcher: options.dispatcher,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
    } catch (err) {
      throw unreachable(err);
    }
    const text = await res.body.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, body };
  }

  function badAnswer(what: string): FscError {
    return new FscError('ERROR_CODE_PEER_UNREACHABLE', `the directory gave an unusable answer to ${what}`, {
      reason: 'directory-bad-answer',
    });
  }

  return {
    async listServices() {
      const found = new Map<string, GroupService>();
      let cursor = '';
      for (let pages = 0; pages < 100; pages++) {
        const query = new URLSearchParams({ limit: '1000', sort_order: 'SORT_ORDER_ASCENDING' });
        if (cursor !== '') query.set('cursor', cursor);
        const res = await get(`v1/services?${query.toString()}`);
        const parsed = fscListingSchema.safeParse(res.body);
        if (res.status !== 200 || !parsed.success) throw badAnswer('GET /v1/services');
        for (const { data } of parsed.data.services) {
          const service: GroupService = {
            type:
              data.type ?? (data.delegator === undefined ? 'SERVICE_TYPE_SERVICE' : 'SERVICE_TYPE_DELEGATED_SERVICE'),
            peer: { id: data.peer.id, name: data.peer.name },
            name: data.name,
            protocol: data.protocol,
            health: { status: 'unknown', reason: 'not-reported' },
          };
          if (data.delegator !== undefined)
            service.delegator = { id: data.delegator.peer_id, name: data.delegator.peer_name };
          found.set(key(service.peer.id, service.name, service.delegator?.id), service);
        }
        cursor = parsed.data.pagination?.next_cursor ?? '';
        if (cursor === '') break;
      }
      // The extension is optional: a directory of another implementation answers 404.
      const extension = await get('v1/koppel/services');
      const parsed = koppelListingSchema.safeParse(extension.body);
      if (extension.status === 200 && parsed.success) {
        for (const s of parsed.data.services) {
          const listed = found.get(key(s.peer.id, s.name, s.delegator?.peer_id));
          if (listed === undefined) continue;
          if (s.inway_address !== undefined) listed.inwayAddress = s.inway_address;
          const health: GroupServiceHealth = { status: s.health.status };
          if (s.health.checked_at !== undefined) health.checkedAt = s.health.checked_at;
          if (s.health.latency_ms !== undefined) health.latencyMs = s.health.latency_ms;
          if (s.health.since !== undefined) health.since = s.health.since;
          if (s.health.reason !== undefined) health.reason = s.health.reason;
          listed.health = health;
        }
      }
      return [...found.values()];
    },
  };
}

/** The manager's own FSC listing as group services (health unknown): for a directory without its view. */
export function listingOf(service: Pick<ManagerService, 'listServices'>): GroupServicesSource {
  return {
    async listServices() {
      const out: GroupService[] = [];
      let cursor: string | undefined;
      do {
        const page = await service.listServices({
          limit: 1000,
          sortOrder: 'SORT_ORDER_ASCENDING',
          ...(cursor === undefined ? {} : { cursor }),
        });
        for (const { data } of page.services) {
          const item: GroupService = {
            type: data.type,
            peer: { id: data.peer.id, name: data.peer.name },
            name: data.name,
            protocol: data.protocol,
            health: { status: 'unknown', reason: 'not-reported' },
          };
          if (data.delegator !== undefined)
            item.delegator = { id: data.delegator.peer_id, name: data.delegator.peer_name };
          out.push(item);
        }
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return out;
    },
  };
}
