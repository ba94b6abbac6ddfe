// The per-service concurrency limit of the hop (issue 10 finding 5): places in flight, a bounded
// queue served in order, a bounded wait, and every place given back exactly once.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createConcurrencyLimit } from '../../gateway/hop/index.ts';
import { FscError } from '../../gateway/protocol/index.ts';

const options = { maxInFlight: 2, maxQueued: 1, maxWaitMs: 1_000, domain: 'ERROR_DOMAIN_OUTWAY' as const, what: 'service' };

afterEach(() => {
  vi.useRealTimers();
});

describe('createConcurrencyLimit', () => {
  it('gives places at once up to the limit, queues one more, refuses the next with 503', async () => {
    const limit = createConcurrencyLimit(options);
    const a = limit.acquire('s');
    const b = limit.acquire('s');
    expect(typeof a).toBe('function');
    expect(typeof b).toBe('function');
    const queued = limit.acquire('s');
    expect(queued).toBeInstanceOf(Promise);
    expect(() => limit.acquire('s')).toThrow(expect.objectContaining({ status: 503, code: 'ERROR_CODE_SERVICE_UNAVAILABLE' }) as FscError);
    // Another key is not affected.
    expect(typeof limit.acquire('other')).toBe('function');
    (a as () => void)();
    const c = await queued;
    expect(limit.inFlight('s')).toBe(2);
    (b as () => void)();
    c();
    c(); // a second release changes nothing
    expect(limit.inFlight('s')).toBe(0);
  });

  it('refuses a queued call that waited longer than maxWaitMs', async () => {
    vi.useFakeTimers();
    const limit = createConcurrencyLimit(options);
    expect(typeof limit.acquire('s')).toBe('function');
    expect(typeof limit.acquire('s')).toBe('function');
    const queued = limit.acquire('s') as Promise<() => void>;
    const outcome = queued.then(
      () => 'granted',
      (err: unknown) => (err instanceof FscError ? err.reason : 'other'),
    );
    await vi.advanceTimersByTimeAsync(1_001);
    expect(await outcome).toBe('concurrency-wait');
    // The queue is free again.
    const again = limit.acquire('s');
    expect(again).toBeInstanceOf(Promise);
    (again as Promise<() => void>).catch(() => undefined);
  });
});
