// Bodies stream through the inway (DESIGN.md: the data path never buffers a whole body): 100 MB up
// and 100 MB down over real mTLS, checked byte for byte by SHA-256, with memory growth bounded far
// below the body size. Client, inway and service share this process, so the bound covers all three.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BULK_PATTERN_PERIOD } from '../../config/demo/person-registry.ts';
import { createInwayPki, json, startInwayHarness, type InwayHarness, type InwayPki } from './inway-fixture.ts';

const SIZE = 100 * 1024 * 1024;
const MB = 1024 * 1024;

let pki: InwayPki;
let h: InwayHarness;

beforeAll(async () => {
  pki = await createInwayPki();
  h = await startInwayHarness(pki);
});
afterAll(async () => {
  await h.close();
  await pki.remove();
});

/** Peak growth of RSS and of Buffer memory while `work` runs, sampled every 10 ms. */
async function measure<T>(work: () => Promise<T>): Promise<{ result: T; rssMb: number; buffersMb: number }> {
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

/** The /bulk pattern (byte i = i mod 251), generated in 64 KiB chunks without holding it. */
function patternStream(total: number): Readable {
  const chunk = 64 * 1024;
  const pattern = Buffer.alloc(chunk + BULK_PATTERN_PERIOD);
  for (let i = 0; i < pattern.length; i++) pattern[i] = i % BULK_PATTERN_PERIOD;
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const length = Math.min(chunk, total - sent);
      const start = sent % BULK_PATTERN_PERIOD;
      sent += length;
      // A copy: the consumer may keep the chunk while we move on.
      this.push(Buffer.from(pattern.subarray(start, start + length)));
    },
  });
}

async function sha256Of(stream: AsyncIterable<Buffer>): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const c of stream) {
    hash.update(c);
    bytes += c.length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

let expected: { bytes: number; sha256: string };

describe('inway streaming', () => {
  beforeAll(async () => {
    expected = await sha256Of(patternStream(SIZE));
  });

  afterEach(() => {
    // Nothing was refused or cut off.
    expect(h.service.aborted).toBe(0);
  });

  it('streams a 100 MB upload to the service with bounded memory', async () => {
    const { result, rssMb, buffersMb } = await measure(async () => {
      const res = await h.call('/count', {
        method: 'POST',
        body: patternStream(SIZE),
        headers: { 'content-type': 'application/octet-stream' },
      });
      return { status: res.statusCode, body: await json(res) };
    });
    expect(result.status).toBe(200);
    expect(result.body).toEqual(expected);
    // Sent chunked (no Content-Length): the inway forwards it chunked as it arrives.
    expect(h.service.requests.at(-1)?.headers['transfer-encoding']).toBe('chunked');
    console.info(`upload 100 MB: rss +${rssMb.toFixed(1)} MB, buffers +${buffersMb.toFixed(1)} MB`);
    expect(buffersMb).toBeLessThan(50);
    expect(rssMb).toBeLessThan(50);
  });

  it('streams a 100 MB download from the service with bounded memory, Content-Length kept', async () => {
    const { result, rssMb, buffersMb } = await measure(async () => {
      const res = await h.call(`/bulk?bytes=${SIZE}`);
      return { status: res.statusCode, length: res.headers['content-length'], body: await sha256Of(res.body as AsyncIterable<Buffer>) };
    });
    expect(result.status).toBe(200);
    expect(result.length).toBe(String(SIZE));
    expect(result.body).toEqual(expected);
    console.info(`download 100 MB: rss +${rssMb.toFixed(1)} MB, buffers +${buffersMb.toFixed(1)} MB`);
    expect(buffersMb).toBeLessThan(50);
    expect(rssMb).toBeLessThan(50);
  });

  it('streams a body both ways at once (echo), byte for byte', async () => {
    const size = 20 * MB;
    const res = await h.call('/echo', { method: 'POST', body: patternStream(size), headers: { 'content-length': String(size) } });
    expect(res.statusCode).toBe(200);
    expect(await sha256Of(res.body as AsyncIterable<Buffer>)).toEqual(await sha256Of(patternStream(size)));
  });
});
