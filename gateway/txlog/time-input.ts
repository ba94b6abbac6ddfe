// Times as operators type them: ISO 8601 (`2025-03-01`, `2025-03-01T09:30`, `2025-03-01T09:30:00Z`,
// with or without an offset) or Unix seconds. Shared by the console's filter form and `koppel logs`.
// A date or date-time without an offset is read in the server's local time zone, the same zone the
// console prints times in (and the browser's `datetime-local` input sends no zone).

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?$/;
const ISO_ZONED = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
/** Unix seconds beyond the year 9999 are a mistake (often milliseconds typed as seconds). */
const MAX_SECONDS = 253_402_300_799;

export class TimeInputError extends Error {
  override readonly name = 'TimeInputError';
}

function localSeconds(y: string, mo: string, d: string, h = '0', mi = '0', s = '0'): number | undefined {
  const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  // Reject rolled-over values such as 2025-02-31 or 25:00.
  if (
    date.getFullYear() !== Number(y) ||
    date.getMonth() !== Number(mo) - 1 ||
    date.getDate() !== Number(d) ||
    date.getHours() !== Number(h) ||
    date.getMinutes() !== Number(mi)
  ) {
    return undefined;
  }
  return Math.floor(date.getTime() / 1000);
}

/**
 * Unix seconds of an ISO 8601 time or of Unix seconds given as digits. Throws {@link TimeInputError}
 * with a sentence for the operator when the text is neither.
 */
export function parseTimeInput(text: string): number {
  const t = text.trim();
  if (/^\d{1,12}$/.test(t)) {
    const n = Number(t);
    if (n > MAX_SECONDS) throw new TimeInputError(`"${t}" is too large for Unix seconds (milliseconds?)`);
    return n;
  }
  let seconds: number | undefined;
  const date = ISO_DATE.exec(t);
  const local = ISO_LOCAL.exec(t);
  if (date) seconds = localSeconds(date[1]!, date[2]!, date[3]!);
  else if (local) seconds = localSeconds(local[1]!, local[2]!, local[3]!, local[4], local[5], local[6]);
  else if (ISO_ZONED.test(t)) {
    const ms = Date.parse(t.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (Number.isFinite(ms)) seconds = Math.floor(ms / 1000);
  }
  if (seconds === undefined || seconds < 0) {
    throw new TimeInputError(`"${t}" is not a time: use ISO 8601 (2025-03-01T09:30 or 2025-03-01T09:30:00Z) or Unix seconds`);
  }
  return seconds;
}

/** `YYYY-MM-DDTHH:MM` in the server's local time, the value format of `<input type="datetime-local">`. */
export function toLocalInputValue(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
