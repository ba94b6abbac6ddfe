/**
 * A circuit breaker per next hop (the outway: per inway origin; issue 10 finding 5). After
 * `failuresToOpen` connection failures in a row the circuit opens: calls to that hop are refused at
 * once (no connect, no timeout to wait out) for `openMs`. Then one call is let through as a trial:
 * an answer closes the circuit, another failure opens it again for twice as long (up to `maxOpenMs`).
 * A trial that ends without either (the client left, the answer was slow) frees the way for the next
 * trial. Only failures to reach the hop count — a slow service behind a reachable inway is the
 * per-service limit's business, not a reason to cut off every service behind that inway.
 */

export interface CircuitBreakerOptions {
  /** Connection failures in a row that open the circuit. */
  failuresToOpen: number;
  /** How long a circuit stays open the first time; each failed trial doubles it. */
  openMs: number;
  /** The longest a circuit stays open. */
  maxOpenMs: number;
  clock?: () => number;
}

/** What {@link CircuitBreaker.enter} decided for one call. */
export type BreakerEntry =
  | { allowed: true; trial: boolean }
  | { allowed: false; retryAfterMs: number; failures: number };

interface State {
  failures: number;
  /** 0 while closed. */
  openUntil: number;
  openMs: number;
  trialInFlight: boolean;
}

export interface CircuitBreaker {
  /** May a call to `key` go out now? When it may, report its end with exactly one of the calls below. */
  enter(key: string): BreakerEntry;
  /** The hop answered (any status): it is reachable. */
  succeeded(key: string): void;
  /** The hop could not be reached. */
  failed(key: string): void;
  /** The call ended without telling either (client gone, timed out waiting for an answer). */
  released(key: string, trial: boolean): void;
  /** For tests and metrics: `closed`, `open` or `half-open`. */
  state(key: string): 'closed' | 'open' | 'half-open';
}

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const clock = options.clock ?? Date.now;
  const states = new Map<string, State>();

  function open(state: State, ms: number): void {
    state.openMs = Math.min(ms, options.maxOpenMs);
    state.openUntil = clock() + state.openMs;
  }

  return {
    enter(key) {
      const state = states.get(key);
      if (state === undefined || state.openUntil === 0) return { allowed: true, trial: false };
      const now = clock();
      if (now < state.openUntil || state.trialInFlight) {
        return { allowed: false, retryAfterMs: Math.max(0, state.openUntil - now), failures: state.failures };
      }
      state.trialInFlight = true;
      return { allowed: true, trial: true };
    },
    succeeded(key) {
      states.delete(key);
    },
    failed(key) {
      let state = states.get(key);
      if (state === undefined) {
        state = { failures: 0, openUntil: 0, openMs: 0, trialInFlight: false };
        states.set(key, state);
      }
      state.failures++;
      if (state.trialInFlight) {
        state.trialInFlight = false;
        open(state, state.openMs * 2);
      } else if (state.openUntil === 0 && state.failures >= options.failuresToOpen) {
        open(state, options.openMs);
      }
    },
    released(key, trial) {
      if (!trial) return;
      const state = states.get(key);
      if (state !== undefined) state.trialInFlight = false;
    },
    state(key) {
      const state = states.get(key);
      if (state === undefined || state.openUntil === 0) return 'closed';
      return clock() < state.openUntil ? 'open' : 'half-open';
    },
  };
}
