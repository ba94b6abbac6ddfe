/**
 * Calls in flight per key (the outway: per service), with a bounded wait queue: one slow service may
 * not take every pooled connection to its inway and starve the other services there (issue 10
 * finding 5). A call over the limit waits in the queue; a call that finds the queue full is refused
 * at once with 503, and a queued call that waits longer than `maxWaitMs` too, instead of waiting for
 * minutes behind calls that will not come back.
 */
import { FscError, type ErrorDomain } from '../protocol/index.ts';

export interface ConcurrencyLimitOptions {
  /** Calls in flight per key. */
  maxInFlight: number;
  /** Calls waiting per key; more are refused at once. */
  maxQueued: number;
  /** Longest a call waits for a free place. */
  maxWaitMs: number;
  domain: ErrorDomain;
  /** Who waits, for the message ("service"). */
  what: string;
}

export interface ConcurrencyLimit {
  /**
   * A place for one call under `key`: synchronously a release function when one is free, else a
   * promise of one; throws (or rejects with) a 503 FscError when the queue is full or the wait too long.
   * Call the release exactly once when the call has ended.
   */
  acquire(key: string): (() => void) | Promise<() => void>;
  /** Calls in flight under `key` (for tests and metrics). */
  inFlight(key: string): number;
}

interface Lane {
  running: number;
  waiting: { grant: (release: () => void) => void; timer: NodeJS.Timeout }[];
}

export function createConcurrencyLimit(options: ConcurrencyLimitOptions): ConcurrencyLimit {
  const lanes = new Map<string, Lane>();

  function busy(message: string, reason: string): FscError {
    return new FscError('ERROR_CODE_SERVICE_UNAVAILABLE', message, { domain: options.domain, reason });
  }

  function releaseFor(key: string, lane: Lane): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = lane.waiting.shift();
      if (next !== undefined) {
        clearTimeout(next.timer);
        next.grant(releaseFor(key, lane));
        return;
      }
      lane.running--;
      if (lane.running === 0) lanes.delete(key);
    };
  }

  return {
    acquire(key) {
      let lane = lanes.get(key);
      if (lane === undefined) {
        lane = { running: 0, waiting: [] };
        lanes.set(key, lane);
      }
      if (lane.running < options.maxInFlight) {
        lane.running++;
        return releaseFor(key, lane);
      }
      if (lane.waiting.length >= options.maxQueued) {
        throw busy(`too many calls in flight to this ${options.what}; try again shortly`, 'concurrency-limit');
      }
      const l = lane;
      return new Promise<() => void>((resolve, reject) => {
        const entry = {
          grant: resolve,
          timer: setTimeout(() => {
            const i = l.waiting.indexOf(entry);
            if (i >= 0) l.waiting.splice(i, 1);
            reject(busy(`no free place for a call to this ${options.what} within ${options.maxWaitMs} ms`, 'concurrency-wait'));
          }, options.maxWaitMs),
        };
        l.waiting.push(entry);
      });
    },
    inFlight: (key) => lanes.get(key)?.running ?? 0,
  };
}
