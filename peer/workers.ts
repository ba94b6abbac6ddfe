// "Every core": the hop (outway, inway) in several processes sharing the listener (node:cluster).
// The primary process runs the control plane (manager or directory, admin API, console) and keeps
// the workers running; each worker runs the hop components with its own connection pools, token
// cache and store connection. One writer per peer: the workers relay their transaction-log entries to
// the primary's log (txlog-relay.ts), so all of them share one group commit and one chain. With an
// SQLite store, the primary relays the store's change channel (a revoked contract)
// to the workers, as Redis pub/sub does by itself.
import cluster, { type Worker } from 'node:cluster';
import type { KoppelConfig } from '../config/index.ts';
import type { Logger } from '../gateway/runtime/index.ts';
import { CONTRACTS_CHANGED_CHANNEL } from '../gateway/store/index.ts';
import type { PeerComponents, RunningPeer, StartPeerOptions } from './start-peer.ts';
import { startPeer } from './start-peer.ts';
import { createTxLogRelayClient, serveTxLogRelay } from './txlog-relay.ts';

/** How many processes run each hop component: `inway.workers` / `outway.workers`. */
export function hopWorkers(config: KoppelConfig, components: PeerComponents): { inway: number; outway: number } {
  return {
    inway: components.inway ? config.inway.workers : 0,
    outway: components.outway ? config.outway.workers : 0,
  };
}

/** True in a process that cluster forked to run the hop. */
export function isHopWorker(): boolean {
  return cluster.isWorker;
}

interface WorkerMessage {
  koppel: 'listening' | 'store-channel';
  urls?: { inway?: string | undefined; outway?: string | undefined };
  channel?: string;
  message?: string;
}

function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { koppel?: unknown }).koppel === 'string';
}

/** Restarts of a worker that died in one minute before the primary gives up on it. */
const MAX_RESTARTS_PER_MINUTE = 5;

/**
 * In a worker: start the hop components this worker was given (env KOPPEL_HOP), tell the primary
 * where they listen, and publish relayed store messages on the local store.
 */
export async function startHopWorker(options: Omit<StartPeerOptions, 'components'>): Promise<RunningPeer> {
  const hop = (process.env.KOPPEL_HOP ?? '').split(',');
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('a hop worker runs under a cluster primary');
  // One writer per peer: this worker's records are committed by the primary's log.
  const hopTxlog = createTxLogRelayClient(
    (m) => send(m),
    (listener) => process.on('message', listener),
  );
  const peer = await startPeer({
    ...options,
    hopTxlog,
    components: { manager: false, inway: hop.includes('inway'), outway: hop.includes('outway') },
  });
  process.on('message', (m: unknown) => {
    if (!isWorkerMessage(m) || m.koppel !== 'store-channel' || m.channel === undefined || m.message === undefined) return;
    peer.store.publish(m.channel, m.message).catch((err: unknown) => options.logger.warn({ err }, 'relayed store message not published'));
  });
  process.send?.({ koppel: 'listening', urls: { inway: peer.urls.inway, outway: peer.urls.outway } } satisfies WorkerMessage);
  return peer;
}

/** The primary's view of its running peer plus the workers' hop listeners. */
export interface ClusteredPeer {
  peer: RunningPeer;
  /** Where the workers' hop components listen (the same address in every worker). */
  urls: { inway?: string; outway?: string };
  workers: number;
  /** Stop the workers (they drain), then the control plane. */
  close(): Promise<void>;
}

/**
 * In the primary: start the control plane here and fork the hop workers; resolves once every worker
 * listens. A worker that dies is replaced (at most MAX_RESTARTS_PER_MINUTE times a minute).
 */
export async function startClusteredPeer(options: StartPeerOptions & { workers: { inway: number; outway: number } }): Promise<ClusteredPeer> {
  const { logger } = options;
  const log: Logger = logger.child({ component: 'workers' });
  const peer = await startPeer({ ...options, components: { ...options.components, inway: false, outway: false } });
  const count = Math.max(options.workers.inway, options.workers.outway);
  const live = new Set<Worker>();
  const restarts: number[] = [];
  let closing = false;
  const urls: { inway?: string; outway?: string } = {};

  function hopOf(index: number): string {
    const hop: string[] = [];
    if (index < options.workers.inway) hop.push('inway');
    if (index < options.workers.outway) hop.push('outway');
    return hop.join(',');
  }

  function fork(index: number): Promise<void> {
    const worker = cluster.fork({ KOPPEL_HOP: hopOf(index) });
    live.add(worker);
    serveTxLogRelay(worker, peer.txlog);
    return new Promise<void>((ready, failed) => {
      let listening = false;
      worker.on('message', (m: unknown) => {
        if (!isWorkerMessage(m) || m.koppel !== 'listening') return;
        listening = true;
        if (m.urls?.inway !== undefined) urls.inway = m.urls.inway;
        if (m.urls?.outway !== undefined) urls.outway = m.urls.outway;
        ready();
      });
      worker.on('exit', (code, signal) => {
        live.delete(worker);
        if (!listening) {
          failed(new Error(`hop worker ${index} exited before it listened (${signal ?? code})`));
          return;
        }
        if (closing) return;
        const now = Date.now();
        while (restarts.length > 0 && (restarts[0] ?? 0) < now - 60_000) restarts.shift();
        if (restarts.length >= MAX_RESTARTS_PER_MINUTE) {
          log.error({ worker: index, code, signal }, 'hop worker died too often, not restarted');
          return;
        }
        restarts.push(now);
        log.error({ worker: index, code, signal }, 'hop worker died, restarting it');
        fork(index).catch((err: unknown) => log.error({ worker: index, err }, 'hop worker could not be restarted'));
      });
    });
  }

  // An SQLite store's channel is in-process: relay it, so a revocation reaches every worker at once.
  const relay =
    peer.store.kind === 'sqlite'
      ? await peer.store.subscribe(CONTRACTS_CHANGED_CHANNEL, (message) => {
          for (const w of live) if (w.isConnected()) w.send({ koppel: 'store-channel', channel: CONTRACTS_CHANGED_CHANNEL, message } satisfies WorkerMessage);
        })
      : undefined;

  async function stopWorkers(): Promise<void> {
    closing = true;
    await Promise.all(
      [...live].map(
        (w) =>
          new Promise<void>((done) => {
            if (w.isDead()) return done();
            w.once('exit', () => done());
            // SIGTERM: the worker drains its listeners like a single process does.
            w.process.kill('SIGTERM');
          }),
      ),
    );
  }

  try {
    await Promise.all(Array.from({ length: count }, (_, i) => fork(i)));
  } catch (err) {
    await stopWorkers();
    await relay?.();
    await peer.close();
    throw err;
  }
  log.info({ workers: count, inway: options.workers.inway, outway: options.workers.outway }, 'hop workers listening');

  let closed: Promise<void> | undefined;
  return {
    peer,
    urls,
    workers: count,
    close() {
      closed ??= (async () => {
        await stopWorkers();
        await relay?.();
        await peer.close();
      })();
      return closed;
    },
  };
}
