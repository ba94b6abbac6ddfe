// A request body without a declared length (chunked) is counted as it streams through the hop: past
// `listeners.maxRequestBodyBytes` the call ends with 413 ERROR_CODE_PAYLOAD_TOO_LARGE and
// `Connection: close`, the service never gets a complete body, and the completion record says 413
// with that code. (A declared Content-Length over the limit is refused by the listener before any
// token work: tests/integration/runtime-listener-limits.test.ts.) Real mTLS inway, real service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInwayPki, header, json, startInwayHarness, type InwayHarness, type InwayPki } from './inway-fixture.ts';
import { patternStream, sha256Of } from './streaming-fixture.ts';

const LIMIT = 1024 * 1024;

let pki: InwayPki;
let h: InwayHarness;

beforeAll(async () => {
  pki = await createInwayPki();
  h = await startInwayHarness(pki, {
    // The documented defaults, with a small body limit.
    listeners: {
      handshakeTimeoutMs: 10_000,
      headersTimeoutMs: 30_000,
      requestTimeoutMs: 300_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 4_096,
      maxHeadersCount: 100,
      maxHeaderBytes: 16_384,
      maxRequestTargetBytes: 8_192,
      maxRequestBodyBytes: LIMIT,
    },
  });
});
afterAll(async () => {
  await h.close();
  await pki.remove();
});

describe('hop: a streamed request body over the limit', () => {
  it('is refused with 413 and Connection: close, the service sees no complete body, the log says 413', async () => {
    const abortedBefore = h.service.aborted;
    const res = await h.call('/count', {
      method: 'POST',
      body: patternStream(4 * LIMIT),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(res.statusCode).toBe(413);
    expect(header(res, 'fsc-error-code')).toBe('ERROR_CODE_PAYLOAD_TOO_LARGE');
    expect(header(res, 'connection')).toBe('close');
    expect(await json(res)).toMatchObject({ code: 'ERROR_CODE_PAYLOAD_TOO_LARGE', domain: 'ERROR_DOMAIN_INWAY' });

    // The service's request was cut before its body ended: it answered nothing.
    await expect.poll(() => h.service.aborted).toBe(abortedBefore + 1);

    const transactionId = header(res, 'fsc-transaction-id');
    expect(transactionId).toBeDefined();
    await expect
      .poll(async () => (await h.txlog.query({ transactionIds: [transactionId as string] })).records[0]?.completion)
      .toMatchObject({ status: 413, error_code: 'ERROR_CODE_PAYLOAD_TOO_LARGE' });
  });

  it('passes a streamed body at the limit whole', async () => {
    const res = await h.call('/count', {
      method: 'POST',
      body: patternStream(LIMIT),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(res.statusCode).toBe(200);
    expect(await json(res)).toEqual(await sha256Of(patternStream(LIMIT)));
    expect(h.service.requests.at(-1)?.headers['transfer-encoding']).toBe('chunked');
  });
});
