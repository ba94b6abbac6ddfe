// What the hop writes to the process log when a call fails (issue 10, item 7: "some connection errors
// are logged as raw stack traces, and error lines carry full paths that can contain a BSN"). A path or
// query names the person a call is about: it belongs in no log line, and an operational failure (a
// refused token, a dead or slow service, a reset) is a code and a kind, not a stack trace. Every line
// the inway writes at debug level is checked, for each way a call can fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInwayPki, startInwayHarness, type InwayHarness, type InwayPki } from './inway-fixture.ts';

const BSN = '999993653';

let pki: InwayPki;
let h: InwayHarness;

beforeAll(async () => {
  pki = await createInwayPki();
  h = await startInwayHarness(pki, {
    timeouts: { headersMs: 300 },
    // Nothing listens on port 1.
    services: [{ name: 'dead', endpointUrl: 'http://127.0.0.1:1' }],
  });
});
afterAll(async () => {
  await h.close();
  await pki.remove();
});

describe('hop error lines', () => {
  it('name no path or query and carry no stack trace, whichever way a call fails', async () => {
    const failures: [string, () => Promise<number>][] = [
      ['no token', async () => (await h.call(`/personen/${BSN}?bsn=${BSN}`, { token: null })).statusCode],
      ['malformed token', async () => (await h.call(`/personen/${BSN}`, { token: `not.a.token-${BSN}` })).statusCode],
      ['dead service', async () => (await h.call(`/personen/${BSN}?bsn=${BSN}`, { token: await h.token({ service: 'dead' }) })).statusCode],
      ['service resets', async () => (await h.call(`/wrapper/reset?bsn=${BSN}`)).statusCode],
      ['service too slow', async () => (await h.call(`/slow?ms=2000&bsn=${BSN}`)).statusCode],
      ['path out of the endpoint', async () => (await h.call(`/../${BSN}/secret`)).statusCode],
    ];
    const statuses: Record<string, number> = {};
    for (const [name, call] of failures) statuses[name] = await call();
    expect(statuses).toEqual({
      'no token': 401,
      'malformed token': 401,
      'dead service': 502,
      'service resets': 502,
      'service too slow': 504,
      'path out of the endpoint': 400,
    });
    // The completions are written after the answers: wait for the last one's line.
    await expect.poll(() => h.rawLines.filter((l) => l.includes('"service call failed"')).length).toBeGreaterThanOrEqual(3);

    expect(h.rawLines.length).toBeGreaterThan(0);
    for (const line of h.rawLines) {
      expect(line).not.toContain(BSN);
      expect(line).not.toMatch(/"stack"|\\n\s+at /);
    }
  });
});
