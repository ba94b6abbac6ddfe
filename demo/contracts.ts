// The two contracts of the demo, negotiated the way operators do it, through the admin APIs:
//  1. publication — the provider publishes its service (POST /admin/services); its manager offers a
//     ServicePublicationGrant contract to the directory, which co-signs it (fsc-core "Directory").
//  2. connection — the consumer asks for access (POST /admin/connections); its manager offers a
//     ServiceConnectionGrant contract to the provider, whose operator accepts it
//     (POST /admin/contracts/{hash}/accept). Valid once both accepted (fsc-core "Contracts").
// A contract that is already valid from an earlier run is reused; one still proposed is carried on.
import { setTimeout as delay } from 'node:timers/promises';
import { AdminApiError, type AdminClient, type AdminContract } from '../gateway/admin/index.ts';
import type { FederationContract } from './federation-file.ts';

/** The demo could not get where it wanted; the message says what and where to look. */
export class DemoFederationError extends Error {
  override readonly name = 'DemoFederationError';
}

export interface NegotiationParty {
  admin: AdminClient;
  peerId: string;
  name: string;
}

export interface NegotiateContractsOptions {
  provider: NegotiationParty;
  consumer: NegotiationParty & { outwayPublicKeyThumbprint: string };
  directoryName: string;
  service: { name: string; endpointUrl: string };
  progress: (line: string) => void;
  /** How long each step may take. Default 60 000. */
  stepTimeoutMs?: number;
  /** Time between two looks at a contract. Default 100. */
  pollMs?: number;
}

export interface NegotiatedContracts {
  publication: FederationContract;
  connection: FederationContract;
}

const ENDED = new Set(['rejected', 'revoked', 'expired']);

/** `$1$1$abcdefgh…` — enough of a hash to recognise it in a log. */
export function shortHash(hash: string): string {
  return hash.length > 20 ? `${hash.slice(0, 18)}…` : hash;
}

async function until<T>(
  what: string,
  timeoutMs: number,
  pollMs: number,
  attempt: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await attempt();
    if (result !== undefined) return result;
    if (Date.now() > deadline) {
      throw new DemoFederationError(
        `${what} did not happen within ${Math.round(timeoutMs / 1000)} s; the component logs may say why`,
      );
    }
    await delay(pollMs);
  }
}

function grantOf(contract: AdminContract): AdminContract['grants'][number] {
  const grant = contract.grants[0];
  if (grant === undefined) throw new DemoFederationError(`contract ${shortHash(contract.hash)} has no grant`);
  return grant;
}

function endedError(contract: AdminContract, what: string): DemoFederationError {
  return new DemoFederationError(
    `the ${what} contract ${shortHash(contract.hash)} is ${contract.state}; remove the demo data directory to start over`,
  );
}

export async function negotiateContracts(options: NegotiateContractsOptions): Promise<NegotiatedContracts> {
  const { provider, consumer, service, progress } = options;
  const timeoutMs = options.stepTimeoutMs ?? 60_000;
  const pollMs = options.pollMs ?? 100;
  const wait = <T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> =>
    until(what, timeoutMs, pollMs, attempt);

  /** Looks at a contract on one side until it is valid; an ended contract is an error. */
  const untilValid = (side: NegotiationParty, hash: string, what: string): Promise<AdminContract> =>
    wait(`the ${what} contract becoming valid at ${side.name}`, async () => {
      const c = await side.admin.getContract(hash);
      if (c !== undefined && ENDED.has(c.state)) throw endedError(c, what);
      return c?.state === 'valid' ? c : undefined;
    });

  // 1. Publication. Publishing again is idempotent: the admin API answers with the live contract.
  const published = await provider.admin.publishService(service);
  let publication = published.contract;
  const publicationNew = publication.state !== 'valid';
  if (!publicationNew) {
    progress(`publication of ${service.name}: valid contract ${shortHash(publication.hash)} reused`);
  } else {
    progress(
      `${provider.name} offers ${service.name} to the directory (${published.created ? 'new' : 'pending'} contract ${shortHash(publication.hash)})`,
    );
    publication = await untilValid(provider, publication.hash, 'publication');
    progress(`${options.directoryName} co-signed: publication valid`);
  }

  // 2. Connection of the consumer's outway (bound by its public key) to the service.
  const mine = (c: AdminContract): boolean => {
    const g = c.grants[0];
    return (
      c.grants.length === 1 &&
      g?.type === 'GRANT_TYPE_SERVICE_CONNECTION' &&
      g.service.peerId === provider.peerId &&
      g.service.name === service.name &&
      g.outway?.peerId === consumer.peerId &&
      g.outway.publicKeyThumbprint === consumer.outwayPublicKeyThumbprint
    );
  };
  const live = (
    await consumer.admin.listContracts({ type: 'connection', peer: provider.peerId, state: 'valid,proposed' })
  ).filter(mine);
  const valid = live.find((c) => c.state === 'valid');
  if (valid !== undefined) {
    progress(`connection of ${consumer.name} to ${service.name}: valid contract ${shortHash(valid.hash)} reused`);
    return {
      publication: {
        contentHash: publication.hash,
        grantHash: grantOf(publication).hash,
        negotiatedNow: publicationNew,
      },
      connection: { contentHash: valid.hash, grantHash: grantOf(valid).hash, negotiatedNow: false },
    };
  }

  let connection = live[0];
  if (connection === undefined) {
    // The directory lists the service once it holds the valid publication; ask until it does.
    connection = await wait(`the directory listing ${service.name}`, async () => {
      try {
        return await consumer.admin.requestConnection({ peerId: provider.peerId, service: service.name });
      } catch (err) {
        if (err instanceof AdminApiError && err.code === 'ERROR_CODE_NOT_FOUND') return undefined;
        throw err;
      }
    });
    progress(`${consumer.name} requests a connection to ${service.name} (contract ${shortHash(connection.hash)})`);
  } else {
    progress(`connection request ${shortHash(connection.hash)} of an earlier run is still open; carrying on`);
  }

  const hash = connection.hash;
  // The provider's operator sees the request arrive and accepts it.
  const atProvider = await wait(`the connection request reaching ${provider.name}`, () =>
    provider.admin.getContract(hash),
  );
  if (ENDED.has(atProvider.state)) throw endedError(atProvider, 'connection');
  if (atProvider.pendingForMe) {
    await provider.admin.accept(hash);
    progress(`${provider.name} accepts the connection`);
  }
  connection = await untilValid(consumer, hash, 'connection');
  progress(`connection valid; grant ${shortHash(grantOf(connection).hash)}`);
  return {
    publication: { contentHash: publication.hash, grantHash: grantOf(publication).hash, negotiatedNow: publicationNew },
    connection: { contentHash: connection.hash, grantHash: grantOf(connection).hash, negotiatedNow: true },
  };
}
