// How the console prints times, durations and hashes. Times are in the server's time zone, named on
// the pages that show them; the same zone reads the filter form's datetime-local values.
import { localeOf, type Lang } from './i18n.ts';

export function timeZoneName(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Date and time to the second, e.g. `01-03-2025 09:30:12` (nl) or `01/03/2025, 09:30:12` (en). */
export function formatTime(seconds: number, lang: Lang): string {
  return new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(seconds * 1000));
}

export function formatDate(seconds: number, lang: Lang): string {
  return new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'medium' }).format(new Date(seconds * 1000));
}

/** Hours and minutes, for chart axes. */
export function formatClock(seconds: number, lang: Lang): string {
  return new Intl.DateTimeFormat(localeOf(lang), { hour: '2-digit', minute: '2-digit' }).format(new Date(seconds * 1000));
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** A long hash or id shortened for a table cell (the full value goes in a title or a link). */
export function shortHash(hash: string, keep = 12): string {
  return hash.length <= keep + 8 ? hash : `${hash.slice(0, keep + 5)}…${hash.slice(-4)}`;
}
