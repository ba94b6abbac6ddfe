// Memory readings for the bounded-memory tests, each taken right after a forced full garbage
// collection: garbage that happens to be uncollected at the moment of a reading neither fails a test
// (a spurious peak) nor hides growth (an inflated baseline). What is left is memory that is live.
//
// Vitest starts its workers without --expose-gc (and vitest 4 has no per-file execArgv), so the
// collector is exposed here the way jest-leak-detector does it: the flag is set, `gc` is read from a
// fresh context, the flag is cleared again. No collector, no measurement: this throws rather than
// measure without one.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collector: (() => void) | undefined;

/** A full, synchronous garbage collection. */
export function forceGc(): void {
  if (collector === undefined) {
    const exposed = (globalThis as { gc?: unknown }).gc;
    if (typeof exposed === 'function') {
      collector = exposed as () => void;
    } else {
      setFlagsFromString('--expose-gc');
      try {
        const gc = runInNewContext('gc') as unknown;
        if (typeof gc !== 'function') throw new Error('cannot expose the garbage collector: memory cannot be measured');
        collector = gc as () => void;
      } finally {
        setFlagsFromString('--no-expose-gc');
      }
    }
  }
  collector();
}

/** `process.memoryUsage()` after a forced full garbage collection. */
export function memoryAfterGc(): NodeJS.MemoryUsage {
  forceGc();
  return process.memoryUsage();
}

/** Peak growth over a baseline, every reading (baseline included) taken after a forced GC. */
export interface MemoryPeak {
  /** One reading; the peak keeps the highest. */
  sample(): void;
  /** Peak minus baseline, in bytes. */
  growth(): { rss: number; arrayBuffers: number };
}

export function memoryPeak(): MemoryPeak {
  const base = memoryAfterGc();
  let rss = base.rss;
  let arrayBuffers = base.arrayBuffers;
  return {
    sample() {
      const m = memoryAfterGc();
      rss = Math.max(rss, m.rss);
      arrayBuffers = Math.max(arrayBuffers, m.arrayBuffers);
    },
    growth: () => ({ rss: rss - base.rss, arrayBuffers: arrayBuffers - base.arrayBuffers }),
  };
}
