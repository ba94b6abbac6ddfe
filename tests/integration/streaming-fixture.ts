// What the streaming tests of outway and inway share: a body of any size that is made chunk by chunk
// (never held whole), its digest, and the peak memory growth while a transfer runs.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { BULK_PATTERN_PERIOD } from '../../demo/person-registry.ts';
import { memoryPeak } from './memory.ts';

export const MB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** `total` bytes of the registry's /bulk pattern (byte i = i mod 251), in 64 KiB chunks. */
export function patternStream(total: number): Readable {
  const pattern = Buffer.alloc(CHUNK + BULK_PATTERN_PERIOD);
  for (let i = 0; i < pattern.length; i++) pattern[i] = i % BULK_PATTERN_PERIOD;
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const length = Math.min(CHUNK, total - sent);
      const start = sent % BULK_PATTERN_PERIOD;
      sent += length;
      // A copy: the consumer may keep the chunk while we move on.
      this.push(Buffer.from(pattern.subarray(start, start + length)));
    },
  });
}

export async function sha256Of(
  stream: AsyncIterable<Buffer> | Iterable<Buffer>,
): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const c of stream) {
    hash.update(c);
    bytes += c.length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Peak growth of RSS and of Buffer memory while `work` runs: a reading every 100 ms and one when the
 * work is done, each (and the baseline) after a forced full garbage collection, so only live memory
 * counts. (A full collection costs milliseconds: reading every 10 ms would starve the transfer.)
 */
export async function measure<T>(work: () => Promise<T>): Promise<{ result: T; rssMb: number; buffersMb: number }> {
  const peak = memoryPeak();
  const timer = setInterval(() => peak.sample(), 100);
  try {
    const result = await work();
    peak.sample();
    const { rss, arrayBuffers } = peak.growth();
    return { result, rssMb: rss / MB, buffersMb: arrayBuffers / MB };
  } finally {
    clearInterval(timer);
  }
}
