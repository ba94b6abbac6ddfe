// Watches the inways of the listed services (the NLX directory's health column, which FSC left out):
// every `intervalMs` each distinct inway address is probed once, and the result is kept in the
// store's key-value cache with a TTL of a few intervals, so every replica of the directory shows the
// same answer and a result that stopped being refreshed turns into "unknown" instead of lying.
import type { Logger } from '../gateway/runtime/index.ts';
import type { ManagerStore } from '../gateway/store/index.ts';
import type { ProbeResult } from './inway-probe.ts';

export interface InwayHealth {
  status: 'up' | 'down';
  /** Milliseconds since the epoch. */
  checkedAt: number;
  latencyMs: number;
  httpStatus?: number;
  reason?: string;
  /** Since when the status has been what it is (ms since the epoch). */
  since: number;
}

export interface HealthMonitorOptions {
  store: ManagerStore;
  logger: Logger;
  clock: () => number;
  probe: (address: string) => Promise<ProbeResult>;
  /** The inway addresses to watch, asked anew every round. */
  targets: () => Promise<string[]>;
  intervalMs: number;
  /** Probes running at once; default 8. */
  concurrency?: number;
}

export interface HealthMonitor {
  /** Start probing every `intervalMs` (the first round at once). Idempotent. */
  start(): void;
  /** Run a round now, after any round in progress; resolves when its results are stored. */
  checkNow(): Promise<void>;
  /** Probe these addresses now (a service that was just listed), after any round in progress. */
  check(addresses: readonly string[]): Promise<void>;
  healthOf(address: string): Promise<InwayHealth | undefined>;
  /** Stop the timer and wait for a running round. Idempotent. */
  close(): Promise<void>;
}

const KEY_PREFIX = 'directory:inway-health:';

function parse(text: string | undefined): InwayHealth | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<InwayHealth>;
    if (
      (value.status === 'up' || value.status === 'down') &&
      typeof value.checkedAt === 'number' &&
      typeof value.since === 'number'
    ) {
      return value as InwayHealth;
    }
  } catch {
    // a damaged entry is as good as none
  }
  return undefined;
}

export function createHealthMonitor(options: HealthMonitorOptions): HealthMonitor {
  const { store, logger, clock, probe, targets, intervalMs } = options;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  // Three missed rounds (and a probe's worth of slack) before a result counts as stale.
  const ttlMs = intervalMs * 3 + 10_000;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();
  let running = false;
  let closed = false;

  async function checkOne(address: string): Promise<void> {
    const result = await probe(address);
    const key = KEY_PREFIX + address;
    const previous = parse(await store.kvGet(key));
    const now = clock();
    const health: InwayHealth = {
      status: result.status,
      checkedAt: now,
      latencyMs: result.latencyMs,
      since: previous?.status === result.status ? previous.since : now,
      ...(result.httpStatus === undefined ? {} : { httpStatus: result.httpStatus }),
      ...(result.reason === undefined ? {} : { reason: result.reason }),
    };
    await store.kvSet(key, JSON.stringify(health), ttlMs);
    if (previous?.status !== health.status) {
      const fields = {
        inway: address,
        status: health.status,
        reason: health.reason,
        was: previous?.status ?? 'unknown',
      };
      // An inway that went away is the provider's problem, worth a warning; coming back is news.
      if (health.status === 'down') logger.warn(fields, 'inway health changed');
      else logger.info(fields, 'inway health changed');
    }
  }

  async function runRound(only?: readonly string[]): Promise<void> {
    running = true;
    try {
      const queue = [...new Set(only ?? (await targets()))];
      const workers = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let address = queue.shift(); address !== undefined; address = queue.shift()) {
          try {
            await checkOne(address);
          } catch (err) {
            logger.error({ err, inway: address }, 'inway health check failed');
          }
        }
      });
      await Promise.all(workers);
    } catch (err) {
      logger.error({ err }, 'inway health round failed');
    } finally {
      running = false;
    }
  }

  function enqueue(only?: readonly string[]): Promise<void> {
    round = round.then(() => runRound(only));
    return round;
  }

  return {
    start() {
      if (timer !== undefined || closed) return;
      void enqueue();
      timer = setInterval(() => {
        // A slow round is not stacked on: the next tick comes soon enough.
        if (!running) void enqueue();
      }, intervalMs);
      timer.unref();
    },
    checkNow() {
      if (closed) return Promise.resolve();
      return enqueue();
    },
    check(addresses) {
      if (closed || addresses.length === 0) return Promise.resolve();
      return enqueue(addresses);
    },
    async healthOf(address) {
      return parse(await store.kvGet(KEY_PREFIX + address));
    },
    async close() {
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await round;
    },
  };
}
