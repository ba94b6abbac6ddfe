// The face of gateway/console: the operator console (server-rendered pages on the admin listener), and
// the transaction-log export format and time parsing it shares with `koppel logs`.
export { createConsole, TRAFFIC_PAGE_SIZE } from './create-console.tsx';
export type { ConsoleApp } from './create-console.tsx';
export type {
  ConsoleAdmin,
  ConsoleContract,
  ConsoleGrant,
  ConsoleGroupService,
  ConsoleOptions,
  ConsoleServiceHealth,
  ContractStateName,
  HealthStatusName,
  SignAction,
} from './types.ts';
export { SESSION_COOKIE, LANG_COOKIE } from './console-guard.ts';
export { parseTimeInput, toLocalInputValue, TimeInputError } from './time-input.ts';
export {
  CSV_COLUMNS,
  csvField,
  csvHeader,
  csvLine,
  exportContentType,
  exportLines,
  exportRow,
  isExportFormat,
  jsonlLine,
} from './export-format.ts';
export type { ExportFormat, ExportRow } from './export-format.ts';
export { bucketRecords, CHART_MINUTES } from './traffic-stats.ts';
export type { TrafficStats, ServiceSeries } from './traffic-stats.ts';
export { parseTrafficFilter } from './traffic-filter.ts';
export type { ParsedFilter, FilterForm } from './traffic-filter.ts';
export { fromAcceptLanguage, translator } from './i18n.ts';
export type { Lang, MessageKey } from './i18n.ts';
export { consoleAdminFrom } from './manager-adapter.ts';
export type { ConsoleAdminFromOptions, ManagerServiceLike } from './manager-adapter.ts';
