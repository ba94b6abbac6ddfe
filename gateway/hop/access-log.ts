/**
 * The hop's access log at info: one aggregated line per interval (calls, answers by status class,
 * refusals and failures by FSC code, duration percentiles), instead of a line per call. Per-call
 * lines are at debug (STYLE.md "Logs and telemetry": the transaction log is the per-call record, the
 * process log does not repeat it at info), and a busy gateway does not spend its CPU on log lines.
 */
import type { Logger } from '../runtime/index.ts';

export interface AccessLog {
  /** Count one finished call. */
  add(status: number, errorCode: string | undefined, durationMs: number, aborted: boolean): void;
  /** Write the pending summary now (at shutdown) and stop the timer. */
  close(): void;
}

/** Durations kept per interval for the percentiles (a reservoir: a busy interval costs no more). */
const SAMPLE = 1024;

export function createAccessLog(logger: Logger, name: string, intervalMs: number): AccessLog {
  let calls = 0;
  let aborted = 0;
  const byClass = [0, 0, 0, 0, 0, 0];
  let codes = new Map<string, number>();
  const durations = new Float64Array(SAMPLE);
  let sampled = 0;

  function flush(): void {
    if (calls === 0) return;
    const n = Math.min(sampled, SAMPLE);
    const sorted = Array.from(durations.subarray(0, n)).sort((a, b) => a - b);
    const at = (q: number): number => Math.round((sorted[Math.min(n - 1, Math.floor(q * n))] ?? 0) * 100) / 100;
    logger.info(
      {
        server: name,
        calls,
        status: { '2xx': byClass[2], '3xx': byClass[3], '4xx': byClass[4], '5xx': byClass[5] },
        ...(codes.size === 0 ? {} : { codes: Object.fromEntries(codes) }),
        ...(aborted === 0 ? {} : { aborted }),
        durationMs: { p50: at(0.5), p99: at(0.99), max: Math.round((sorted[n - 1] ?? 0) * 100) / 100 },
        intervalS: intervalMs / 1000,
      },
      'traffic summary',
    );
    calls = 0;
    aborted = 0;
    byClass.fill(0);
    codes = new Map();
    sampled = 0;
  }

  const timer = intervalMs > 0 ? setInterval(flush, intervalMs) : undefined;
  timer?.unref();

  return {
    add(status, errorCode, durationMs, wasAborted) {
      calls++;
      const cls = Math.floor(status / 100);
      if (cls >= 1 && cls <= 5) byClass[cls] = (byClass[cls] ?? 0) + 1;
      if (errorCode !== undefined) codes.set(errorCode, (codes.get(errorCode) ?? 0) + 1);
      if (wasAborted) aborted++;
      // Reservoir sampling keeps a uniform sample of the interval's durations.
      if (sampled < SAMPLE) durations[sampled] = durationMs;
      else {
        const j = Math.floor(Math.random() * (sampled + 1));
        if (j < SAMPLE) durations[j] = durationMs;
      }
      sampled++;
    },
    close() {
      if (timer !== undefined) clearInterval(timer);
      flush();
    },
  };
}
