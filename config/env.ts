// Environment overrides: every leaf of the schema has one variable, `KOPPEL_` + its path in
// SCREAMING_SNAKE (`manager.listen.port` → `KOPPEL_MANAGER_LISTEN_PORT`). Values are text, so they
// are coerced by the field's kind; lists (`inway.services`) are given as JSON.
import type { ConfigIssue } from './errors.ts';
import { configFields, type ConfigField } from './fields.ts';
import { closest } from './suggest.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface EnvOverride {
  path: readonly string[];
  envVar: string;
  value: unknown;
}

export interface EnvOverrides {
  overrides: EnvOverride[];
  issues: ConfigIssue[];
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function coerce(field: ConfigField, raw: string): { value: unknown } | { problem: string } {
  switch (field.kind) {
    case 'string':
    case 'enum':
      return { value: raw };
    case 'number': {
      const n = Number(raw.trim());
      return raw.trim() !== '' && Number.isFinite(n) ? { value: n } : { problem: `"${raw}" is not a number` };
    }
    case 'boolean': {
      const b = raw.trim().toLowerCase();
      if (TRUE.has(b)) return { value: true };
      if (FALSE.has(b)) return { value: false };
      return { problem: `"${raw}" is not a boolean (true or false)` };
    }
    case 'json':
      try {
        return { value: JSON.parse(raw) as unknown };
      } catch {
        return { problem: 'is not valid JSON' };
      }
  }
}

/**
 * The configuration values set in `env`. An empty variable counts as unset. A variable under a
 * section's prefix (`KOPPEL_MANAGER_…`) that names no field is reported: it is almost always a
 * typo that would otherwise be ignored. Other `KOPPEL_*` names stay free for the CLI.
 */
export function readEnvOverrides(env: Env): EnvOverrides {
  const fields = configFields();
  const byVar = new Map(fields.map((f) => [f.envVar, f]));
  const overrides: EnvOverride[] = [];
  const issues: ConfigIssue[] = [];
  for (const field of fields) {
    const raw = env[field.envVar];
    if (raw === undefined || raw === '') continue;
    const result = coerce(field, raw);
    if ('problem' in result) {
      issues.push({ path: field.key, message: `${result.problem} (from ${field.envVar})` });
    } else {
      overrides.push({ path: field.path, envVar: field.envVar, value: result.value });
    }
  }
  const prefixes = [...new Set(fields.map((f) => `KOPPEL_${f.envVar.slice('KOPPEL_'.length).split('_')[0] ?? ''}_`))];
  for (const name of Object.keys(env).sort()) {
    if (byVar.has(name) || !prefixes.some((p) => name.startsWith(p))) continue;
    const hint = closest(name, [...byVar.keys()]);
    issues.push({
      path: '',
      message: `${name} is not a configuration variable${hint === undefined ? '' : ` (did you mean ${hint}?)`}`,
    });
  }
  return { overrides, issues };
}
