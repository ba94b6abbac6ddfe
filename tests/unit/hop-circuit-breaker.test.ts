// The circuit breaker's states with an injected clock: closed → open after N failures in a row →
// half-open (one trial) → closed on an answer, or open again for twice as long on a failure.
import { describe, expect, it } from 'vitest';
import { createCircuitBreaker } from '../../gateway/hop/index.ts';

function breaker() {
  const now = { ms: 1_000_000 };
  const b = createCircuitBreaker({ failuresToOpen: 3, openMs: 1_000, maxOpenMs: 3_000, clock: () => now.ms });
  return { b, now };
}

describe('circuit breaker', () => {
  it('opens after the configured failures in a row, not before, and an answer in between resets the count', () => {
    const { b } = breaker();
    b.failed('a');
    b.failed('a');
    b.succeeded('a');
    b.failed('a');
    b.failed('a');
    expect(b.enter('a')).toEqual({ allowed: true, trial: false });
    b.failed('a');
    expect(b.state('a')).toBe('open');
    expect(b.enter('a')).toEqual({ allowed: false, retryAfterMs: 1_000, failures: 3 });
    // per key
    expect(b.enter('b')).toEqual({ allowed: true, trial: false });
  });

  it('lets one trial through when the time is up; an answer closes the circuit', () => {
    const { b, now } = breaker();
    for (let i = 0; i < 3; i++) b.failed('a');
    now.ms += 1_000;
    expect(b.state('a')).toBe('half-open');
    expect(b.enter('a')).toEqual({ allowed: true, trial: true });
    expect(b.enter('a')).toMatchObject({ allowed: false });
    b.succeeded('a');
    expect(b.state('a')).toBe('closed');
    expect(b.enter('a')).toEqual({ allowed: true, trial: false });
  });

  it('opens again for twice as long when the trial fails, up to the maximum', () => {
    const { b, now } = breaker();
    for (let i = 0; i < 3; i++) b.failed('a');
    for (const expected of [2_000, 3_000, 3_000]) {
      now.ms += 10_000;
      expect(b.enter('a')).toEqual({ allowed: true, trial: true });
      b.failed('a');
      expect(b.enter('a')).toMatchObject({ allowed: false, retryAfterMs: expected });
    }
  });

  it('frees the way for the next trial when a trial ends without an outcome', () => {
    const { b, now } = breaker();
    for (let i = 0; i < 3; i++) b.failed('a');
    now.ms += 1_000;
    const trial = b.enter('a');
    expect(trial).toEqual({ allowed: true, trial: true });
    b.released('a', true);
    expect(b.enter('a')).toEqual({ allowed: true, trial: true });
  });
});
