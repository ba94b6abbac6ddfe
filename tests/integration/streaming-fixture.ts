// What the streaming tests of outway and inway share: a body of any size that is made chunk by chunk
// (never held whole), its digest, and the peak memory growth while a transfer runs.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { BULK_PATTERN_PERIOD } from '../../demo/person-registry.ts';

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

/** Peak growth of RSS and of Buffer memory while `work` runs, sampled every 10 ms. */
export async function measure<T>(work: () => Promise<T>): Promise<{ result: T; rssMb: number; buffersMb: number }> {
  const base = process.memoryUsage();
  let rss = base.rss;
  let buffers = base.arrayBuffers;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    buffers = Math.max(buffers, m.arrayBuffers);
  }, 10);
  try {
    const result = await work();
    return { result, rssMb: (rss - base.rss) / MB, buffersMb: (buffers - base.arrayBuffers) / MB };
  } finally {
    clearInterval(timer);
  }
}
