// Calls and errors per service per minute, for the traffic chart: one pass over the records of the
// hour, at most `maxRecords` of them so a busy hour cannot make the page slow.
import type { StoredRecord, TxLog, TxLogFilter } from '../../../txlog/index.ts';
import { isErrorOutcome } from './rows.ts';

export const CHART_MINUTES = 60;
export const CHART_MAX_RECORDS = 20_000;
/** Services drawn; the rest are summed into the last chart. */
export const CHART_MAX_SERVICES = 8;

export interface ServiceSeries {
  service: string;
  calls: number[];
  errors: number[];
  totalCalls: number;
  totalErrors: number;
}

export interface TrafficStats {
  /** Unix seconds of the start of the first minute. */
  start: number;
  /** Unix seconds just after the last minute. */
  end: number;
  series: ServiceSeries[];
  /** True when more records than `maxRecords` fell in the hour. */
  truncated: boolean;
  maxRecords: number;
}

/** Buckets records into CHART_MINUTES minutes ending at `endSeconds` (exclusive). */
export function bucketRecords(records: Iterable<StoredRecord>, endSeconds: number): Omit<TrafficStats, 'truncated' | 'maxRecords'> {
  const end = Math.floor(endSeconds / 60) * 60 + 60;
  const start = end - CHART_MINUTES * 60;
  const byService = new Map<string, ServiceSeries>();
  for (const s of records) {
    const at = s.record.created_at;
    if (at < start || at >= end) continue;
    const i = Math.floor((at - start) / 60);
    let series = byService.get(s.record.service_name);
    if (series === undefined) {
      series = { service: s.record.service_name, calls: new Array<number>(CHART_MINUTES).fill(0), errors: new Array<number>(CHART_MINUTES).fill(0), totalCalls: 0, totalErrors: 0 };
      byService.set(s.record.service_name, series);
    }
    series.calls[i] = (series.calls[i] ?? 0) + 1;
    series.totalCalls++;
    if (isErrorOutcome(s.completion)) {
      series.errors[i] = (series.errors[i] ?? 0) + 1;
      series.totalErrors++;
    }
  }
  const sorted = [...byService.values()].sort((a, b) => b.totalCalls - a.totalCalls || a.service.localeCompare(b.service));
  if (sorted.length > CHART_MAX_SERVICES) {
    const rest = sorted.splice(CHART_MAX_SERVICES - 1);
    const other: ServiceSeries = { service: '…', calls: new Array<number>(CHART_MINUTES).fill(0), errors: new Array<number>(CHART_MINUTES).fill(0), totalCalls: 0, totalErrors: 0 };
    for (const s of rest) {
      for (let i = 0; i < CHART_MINUTES; i++) {
        other.calls[i] = (other.calls[i] ?? 0) + (s.calls[i] ?? 0);
        other.errors[i] = (other.errors[i] ?? 0) + (s.errors[i] ?? 0);
      }
      other.totalCalls += s.totalCalls;
      other.totalErrors += s.totalErrors;
    }
    sorted.push(other);
  }
  return { start, end, series: sorted };
}

/** The stats of the hour up to `endSeconds` for the records matching `filter` (its time bounds are replaced). */
export async function trafficStats(
  txlog: Pick<TxLog, 'stream'>,
  filter: TxLogFilter,
  endSeconds: number,
  maxRecords = CHART_MAX_RECORDS,
): Promise<TrafficStats> {
  const end = Math.floor(endSeconds / 60) * 60 + 60;
  const start = end - CHART_MINUTES * 60;
  const hour: TxLogFilter = { ...filter, after: Math.max(start - 1, filter.after ?? -1), before: Math.min(end, filter.before ?? end) };
  if (hour.after !== undefined && hour.after < 0) delete hour.after;
  const records: StoredRecord[] = [];
  let truncated = false;
  for await (const s of txlog.stream(hour, { order: 'SORT_ORDER_ASCENDING', batchSize: 1000 })) {
    if (records.length >= maxRecords) {
      truncated = true;
      break;
    }
    records.push(s);
  }
  return { ...bucketRecords(records, endSeconds), truncated, maxRecords };
}
