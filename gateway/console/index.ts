// The face of gateway/console: the operator console (server-rendered pages on the admin listener).
// The pages are modules under pages/, listed in pages.ts; see shell/console-page.ts for their shape.
export { createConsole } from './create-console.tsx';
export type { ConsoleApp } from './create-console.tsx';
export type { ConsoleOptions } from './types.ts';
export type { ConsolePage, ConsolePageContext } from './shell/console-page.ts';
export { SESSION_COOKIE, LANG_COOKIE } from './shell/guards.ts';
export { TRAFFIC_PAGE_SIZE } from './pages/traffic/index.tsx';
export { bucketRecords, CHART_MINUTES } from './pages/traffic/stats.ts';
export type { TrafficStats, ServiceSeries } from './pages/traffic/stats.ts';
export { parseTrafficFilter } from './pages/traffic/filter.ts';
export type { ParsedFilter, FilterForm } from './pages/traffic/filter.ts';
export { fromAcceptLanguage } from './shell/i18n.ts';
export type { Lang } from './shell/i18n.ts';
export { translator } from './catalogue.ts';
export type { MessageKey } from './catalogue.ts';
