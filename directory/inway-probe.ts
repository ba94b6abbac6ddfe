// One health probe of an inway: an HTTPS request over mutual TLS with the directory's certificate
// (fsc-core "Inway > Authentication": inways only accept group certificates, so the probe must be a
// group member too). Each probe opens a fresh connection, so it proves the whole path every time:
// TCP, a TLS handshake with a certificate that chains to the trust anchor and names the host, and an
// HTTP answer. Any HTTP status counts as up: without an access token the inway answers 401
// (ERROR_CODE_ACCESS_TOKEN_MISSING), which is exactly what a live inway does.
import { request, type Agent } from 'undici';
import { createMtlsAgent, upstreamErrorFor } from '../gateway/runtime/index.ts';
import type { TlsMinVersion } from '../gateway/runtime/index.ts';

export interface ProbeResult {
  status: 'up' | 'down';
  latencyMs: number;
  /** HTTP status of the answer (up only). */
  httpStatus?: number;
  /** Coarse failure kind (down only), e.g. `connection-refused`, `tls`, `connect-timeout`; never an address. */
  reason?: string;
}

export interface InwayProbeOptions {
  ca: string;
  cert: string;
  key: string;
  minVersion?: TlsMinVersion;
  /** Connect, handshake and answer each; default 5 000. */
  timeoutMs?: number;
  /** Path requested on the inway; default `/`. */
  path?: string;
}

export interface InwayProbe {
  probe(address: string): Promise<ProbeResult>;
  close(): Promise<void>;
}

export function createInwayProbe(options: InwayProbeOptions): InwayProbe {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const path = options.path ?? '/';
  const agent: Agent = createMtlsAgent({
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    minVersion: options.minVersion ?? 'TLSv1.3',
    connectTimeoutMs: timeoutMs,
    headersTimeoutMs: timeoutMs,
    bodyTimeoutMs: timeoutMs,
  });
  let closed: Promise<void> | undefined;

  return {
    async probe(address) {
      const started = performance.now();
      const elapsed = (): number => Math.round(performance.now() - started);
      try {
        const res = await request(new URL(path, `${address}/`), {
          method: 'GET',
          dispatcher: agent,
          // A new connection per probe: a pooled one would skip the handshake we want to test.
          reset: true,
          signal: AbortSignal.timeout(timeoutMs),
          headers: { 'user-agent': 'koppel-directory-health' },
        });
        await res.body.dump();
        return { status: 'up', latencyMs: elapsed(), httpStatus: res.statusCode };
      } catch (err) {
        return { status: 'down', latencyMs: elapsed(), reason: upstreamErrorFor(err).kind };
      }
    },
    close() {
      closed ??= agent.close();
      return closed;
    },
  };
}
