// The face of gateway/console: the operator console (server-rendered pages on the admin listener).
export { createConsole, TRAFFIC_PAGE_SIZE } from './create-console.tsx';
export type { ConsoleApp } from './create-console.tsx';
export type { ConsoleOptions } from './types.ts';
export { SESSION_COOKIE, LANG_COOKIE } from './console-guard.ts';
export { bucketRecords, CHART_MINUTES } from './traffic-stats.ts';
export type { TrafficStats, ServiceSeries } from './traffic-stats.ts';
export { parseTrafficFilter } from './traffic-filter.ts';
export type { ParsedFilter, FilterForm } from './traffic-filter.ts';
export { fromAcceptLanguage, translator } from './i18n.ts';
export type { Lang, MessageKey } from './i18n.ts';
