// Delivers the persisted outbox: every contract we submit and every signature we place goes to every
// other peer on the contract (fsc-core "Signatures": "The Manager MUST propagate the signature to each
// of the Peers in the Contract"), and is retried with back-off until it arrives. The outbox lives in
// the store, so a delivery survives our restart; the store leases claimed items, so several replicas
// can run workers on one shared (Redis) store without sending an item twice at once.
import type { Logger } from '../../runtime/index.ts';
import type { ManagerStore, OutboxItem } from '../../store/index.ts';
import { backoffDelayMs, type BackoffOptions } from './backoff.ts';

/** What became of one delivery attempt. */
export type DeliveryOutcome =
  | { result: 'delivered' }
  /** Worth trying again later (peer down, 5xx, address not known yet). */
  | { result: 'retry'; error: string }
  /** The peer refused the message for good (a 4xx about its content); retrying cannot help. */
  | { result: 'rejected'; error: string };

export type Deliver = (item: OutboxItem) => Promise<DeliveryOutcome>;

export interface OutboxWorkerOptions {
  store: ManagerStore;
  logger: Logger;
  /** Milliseconds since the epoch. */
  clock: () => number;
  deliver: Deliver;
  backoff: BackoffOptions;
  /** How often the outbox is looked at when nothing kicked it. */
  pollIntervalMs: number;
  /** Items claimed per round. */
  batchSize: number;
  random?: () => number;
}

export interface OutboxWorker {
  /** Starts polling; idempotent. */
  start(): void;
  /** Look at the outbox now (after an enqueue) instead of at the next poll. */
  kick(): void;
  /** Run rounds until nothing is due now; resolves when done (tests, shutdown flush). */
  drain(): Promise<void>;
  /** Stops polling and waits for the round in flight. Idempotent. */
  close(): Promise<void>;
}

export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { store, logger, clock, deliver } = options;
  const random = options.random ?? Math.random;
  let started = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<number> | undefined;
  let again = false;

  async function handle(item: OutboxItem): Promise<void> {
    let outcome: DeliveryOutcome;
    try {
      outcome = await deliver(item);
    } catch (err) {
      logger.error({ err, outboxId: item.id }, 'outbox delivery failed unexpectedly');
      outcome = { result: 'retry', error: 'internal error' };
    }
    const attempts = item.attempts + 1;
    switch (outcome.result) {
      case 'delivered':
        await store.complete(item.id);
        logger.info({ outboxId: item.id, peerId: item.peerId, kind: item.kind, attempts }, 'outbox item delivered');
        return;
      case 'rejected':
        await store.complete(item.id);
        logger.error(
          { outboxId: item.id, peerId: item.peerId, kind: item.kind, attempts, error: outcome.error },
          'outbox item rejected by peer, not retried',
        );
        return;
      case 'retry': {
        const delayMs = backoffDelayMs(attempts, options.backoff, random);
        await store.retry(item.id, clock() + delayMs, attempts, outcome.error);
        logger.warn(
          { outboxId: item.id, peerId: item.peerId, kind: item.kind, attempts, delayMs, error: outcome.error },
          'outbox delivery will be retried',
        );
        return;
      }
    }
  }

  /** One round: claim what is due and deliver it, in order per peer and in parallel across peers. */
  async function round(): Promise<number> {
    const items = await store.due(clock(), options.batchSize);
    const byPeer = new Map<string, OutboxItem[]>();
    for (const item of items) {
      const list = byPeer.get(item.peerId) ?? [];
      list.push(item);
      byPeer.set(item.peerId, list);
    }
    await Promise.all(
      [...byPeer.values()].map(async (list) => {
        for (const item of list) await handle(item);
      }),
    );
    return items.length;
  }

  function schedule(delayMs: number): void {
    if (closed || !started) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void run();
    }, delayMs);
    timer.unref();
  }

  async function run(): Promise<void> {
    if (closed) return;
    if (current !== undefined) {
      again = true;
      return;
    }
    let claimed = 0;
    try {
      current = round();
      claimed = await current;
    } catch (err) {
      if (!closed) logger.error({ err }, 'outbox round failed');
    } finally {
      current = undefined;
    }
    const more = again || claimed >= options.batchSize;
    again = false;
    schedule(more ? 0 : options.pollIntervalMs);
  }

  return {
    start() {
      if (started || closed) return;
      started = true;
      schedule(0);
    },
    kick() {
      if (!started || closed) return;
      if (current !== undefined) again = true;
      else schedule(0);
    },
    async drain() {
      for (;;) {
        if (current !== undefined) {
          await current.catch(() => 0);
          continue;
        }
        if (closed) return;
        current = round();
        let claimed: number;
        try {
          claimed = await current;
        } finally {
          current = undefined;
        }
        if (claimed === 0) return;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      if (current !== undefined) await current.catch(() => 0);
    },
  };
}
