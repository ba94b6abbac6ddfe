// The face of config/: the peer configuration schema, its loader and the generated reference.
export { koppelConfigSchema, koppelConfigShape, isLoopbackHost } from './schema.ts';
export type { KoppelConfig, KoppelConfigInput, InwayServiceConfig } from './schema.ts';
export { loadConfig, resolveConfig } from './load.ts';
export type { LoadConfigOptions, ResolveConfigOptions } from './load.ts';
export { ConfigError, isConfigError, formatIssue } from './errors.ts';
export type { ConfigIssue } from './errors.ts';
export { configFields, configTree, envVarOf } from './fields.ts';
export type { ConfigField, ConfigSection, FieldKind } from './fields.ts';
export { readEnvOverrides } from './env.ts';
export type { Env } from './env.ts';
export { renderConfigReference } from './docs.ts';
export { closest } from './suggest.ts';
export type { ClosestOptions } from './suggest.ts';
