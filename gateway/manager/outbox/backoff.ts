// Retry timing of the outbox. fsc-core "Contracts"/"Signatures": "It is RECOMMENDED to implement a
// retry and backoff mechanism in case the propagation fails". Exponential growth keeps a peer that is
// down for hours from being hammered; the jitter spreads the retries of many contracts (and of many
// peers retrying towards one that just came back) so they do not arrive in lock-step.

export interface BackoffOptions {
  /** Delay before the first retry. */
  baseDelayMs: number;
  /** Upper bound of any delay. */
  maxDelayMs: number;
}

export const defaultBackoff: BackoffOptions = Object.freeze({ baseDelayMs: 1_000, maxDelayMs: 5 * 60_000 });

/**
 * Delay before attempt `attempt + 1` after `attempt` failed attempts (1 = the first failure):
 * "equal jitter", i.e. half of the exponential step fixed and half random, so the delay never drops
 * to (almost) zero and still spreads.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent);
  return Math.round(step / 2 + random() * (step / 2));
}
