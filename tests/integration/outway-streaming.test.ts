// Bodies stream through outway and inway (DESIGN.md: the data path never buffers a whole body): 100 MB
// up and 100 MB down, application → outway → mTLS → inway → service and back, checked by SHA-256, with
// memory growth bounded far below the body size. Everything runs in this one process, so the bound
// covers client, outway, inway and service together.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MB, measure, patternStream, sha256Of } from './streaming-fixture.ts';
import { createOutwayWorld, json, OIN, type OutwayWorld, type ServiceRequest } from './outway-fixture.ts';

const CHUNK = 64 * 1024;

const SIZE = 100 * 1024 * 1024;

let world: OutwayWorld;

beforeAll(async () => {
  world = await createOutwayWorld();
});
afterAll(async () => {
  await world?.close();
});

describe('streaming through the outway', () => {
  it('streams a 100 MB upload to the service with bounded memory', { timeout: 180_000 }, async () => {
    const expected = await sha256Of(patternStream(SIZE));
    const { result, rssMb, buffersMb } = await measure(async () => {
      const res = await world.call(`/${OIN.provider}/basisregistratie/upload`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: patternStream(SIZE),
      });
      return { status: res.statusCode, body: await json<ServiceRequest>(res) };
    });
    expect(result.status).toBe(200);
    expect({ bytes: result.body.bodyBytes, sha256: result.body.bodySha256 }).toEqual(expected);
    console.info(`outway upload 100 MB: rss +${rssMb.toFixed(1)} MB, buffers +${buffersMb.toFixed(1)} MB`);
    expect(buffersMb).toBeLessThan(60);
    expect(rssMb).toBeLessThan(60);
  });

  it(
    'streams a 100 MB download to the client with bounded memory, Content-Length kept',
    { timeout: 180_000 },
    async () => {
      // What the service sends: SIZE bytes of 'a'.
      const expected = await sha256Of(
        (function* () {
          const chunk = Buffer.alloc(CHUNK, 0x61);
          for (let sent = 0; sent < SIZE; sent += CHUNK) yield chunk.subarray(0, Math.min(CHUNK, SIZE - sent));
        })(),
      );
      const { result, rssMb, buffersMb } = await measure(async () => {
        const res = await world.call(`/${OIN.provider}/basisregistratie/download?bytes=${SIZE}`);
        return {
          status: res.statusCode,
          length: res.headers['content-length'],
          body: await sha256Of(res.body as AsyncIterable<Buffer>),
        };
      });
      expect(result.status).toBe(200);
      expect(result.length).toBe(String(SIZE));
      expect(result.body).toEqual(expected);
      console.info(`outway download 100 MB: rss +${rssMb.toFixed(1)} MB, buffers +${buffersMb.toFixed(1)} MB`);
      expect(buffersMb).toBeLessThan(60);
      expect(rssMb).toBeLessThan(60);
    },
  );

  it('streams a body with Content-Length above the replay limit without holding it', { timeout: 60_000 }, async () => {
    const size = 8 * MB;
    const res = await world.call(`/${OIN.provider}/basisregistratie/upload`, {
      method: 'POST',
      headers: { 'content-length': String(size) },
      body: patternStream(size),
    });
    expect(res.statusCode).toBe(200);
    const echoed = await json<ServiceRequest>(res);
    expect({ bytes: echoed.bodyBytes, sha256: echoed.bodySha256 }).toEqual(await sha256Of(patternStream(size)));
    expect(echoed.headers['content-length']).toBe(String(size));
  });
});
