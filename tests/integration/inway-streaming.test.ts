// Bodies stream through the inway (DESIGN.md: the data path never buffers a whole body): 100 MB up
// and 100 MB down over real mTLS, checked byte for byte by SHA-256, with memory growth bounded far
// below the body size. Client, inway and service share this process, so the bound covers all three.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MB, measure, patternStream, sha256Of } from './streaming-fixture.ts';
import { createInwayPki, json, startInwayHarness, type InwayHarness, type InwayPki } from './inway-fixture.ts';

const SIZE = 100 * 1024 * 1024;

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
      return {
        status: res.statusCode,
        length: res.headers['content-length'],
        body: await sha256Of(res.body as AsyncIterable<Buffer>),
      };
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
    const res = await h.call('/echo', {
      method: 'POST',
      body: patternStream(size),
      headers: { 'content-length': String(size) },
    });
    expect(res.statusCode).toBe(200);
    expect(await sha256Of(res.body as AsyncIterable<Buffer>)).toEqual(await sha256Of(patternStream(size)));
  });
});
