// Aligned plain-text tables for the operator commands: a header row in capitals, columns padded to
// their widest cell, two spaces between columns, no trailing spaces.

export type Row = readonly string[];

export function renderTable(header: Row, rows: readonly Row[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: Row): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** `$1$1$AbCdEf…` → its first `length` characters and an ellipsis (tables only; JSON has the full hash). */
export function shortHash(hash: string, length = 18): string {
  return hash.length <= length ? hash : `${hash.slice(0, length)}…`;
}

/** Unix seconds as `2026-11-30 14:34Z`. */
export function formatTime(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  return new Date(seconds * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d\d\.\d+Z$/, 'Z');
}

/** `12s ago`, `5m ago`, `3h ago`, `2d ago`. */
export function ago(seconds: number | undefined, nowMs: number): string {
  if (seconds === undefined) return '';
  const d = Math.max(0, Math.floor(nowMs / 1000) - seconds);
  if (d < 60) return `${d}s ago`;
  if (d < 3600) return `${Math.floor(d / 60)}m ago`;
  if (d < 86_400) return `${Math.floor(d / 3600)}h ago`;
  return `${Math.floor(d / 86_400)}d ago`;
}

/** `PROTOCOL_TCP_HTTP_1.1` → `HTTP/1.1`. */
export function protocolLabel(protocol: string): string {
  return protocol.replace(/^PROTOCOL_TCP_HTTP_/, 'HTTP/');
}

const GRANT_LABELS: Readonly<Record<string, string>> = {
  GRANT_TYPE_SERVICE_PUBLICATION: 'publication',
  GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION: 'delegated-publication',
  GRANT_TYPE_SERVICE_CONNECTION: 'connection',
  GRANT_TYPE_DELEGATED_SERVICE_CONNECTION: 'delegated-connection',
};

export function grantLabel(type: string): string {
  return GRANT_LABELS[type] ?? type;
}
