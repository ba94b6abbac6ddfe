// Loading: schema defaults < JSON file < environment. Everything wrong is collected into one
// ConfigError, so a process refuses to start before it opens any socket and says all of it at once.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { readEnvOverrides, type Env, type EnvOverride } from './env.ts';
import { configFields } from './fields.ts';
import { closest } from './suggest.ts';
import { ConfigError, type ConfigIssue } from './errors.ts';
import { koppelConfigSchema, type KoppelConfig } from './schema.ts';

export interface ResolveConfigOptions {
  /** The parsed JSON of a configuration file; omitted when the environment alone configures the peer. */
  file?: unknown;
  /** Environment to take `KOPPEL_*` overrides from. The CLI passes `process.env`; nothing is read implicitly. */
  env?: Env;
  /** Name of the file, for messages. */
  source?: string;
}

export interface LoadConfigOptions {
  /** Path of a JSON configuration file. */
  path?: string;
  /** Environment to take `KOPPEL_*` overrides from; omitted: none. */
  env?: Env;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Sets one leaf into a copy-on-write tree. A non-object in the way (e.g. `"manager": 1` in the
// file) is left alone: the schema reports it, which is clearer than silently replacing it.
function setPath(target: JsonObject, path: readonly string[], value: unknown): boolean {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (next === undefined) {
      const created: JsonObject = {};
      node[segment] = created;
      node = created;
    } else if (isObject(next)) {
      const copy = { ...next };
      node[segment] = copy;
      node = copy;
    } else {
      return false;
    }
  }
  const last = path[path.length - 1];
  if (last === undefined) return false;
  node[last] = value;
  return true;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function shapeKeysAt(path: readonly PropertyKey[]): string[] {
  // Walk the strict schema to name the keys that would have been accepted.
  let schema: unknown = koppelConfigSchema;
  for (const segment of [...path, undefined]) {
    for (;;) {
      const s = schema as { in?: unknown; unwrap?: () => unknown; shape?: Record<string, unknown>; element?: unknown };
      if (s.shape !== undefined) break;
      if (s.in !== undefined) schema = s.in;
      else if (typeof s.unwrap === 'function') schema = s.unwrap();
      else if (s.element !== undefined) schema = s.element;
      else return [];
    }
    const shape = (schema as { shape: Record<string, unknown> }).shape;
    if (segment === undefined) return Object.keys(shape);
    if (typeof segment === 'number') continue;
    schema = shape[String(segment)];
    if (schema === undefined) return [];
  }
  return [];
}

function toIssues(error: z.ZodError, overrides: readonly EnvOverride[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const fromEnv = (path: readonly PropertyKey[]): string => {
    const dotted = path.filter((s) => typeof s === 'string').join('.');
    const hit = overrides.find((o) => dotted === o.path.join('.') || dotted.startsWith(`${o.path.join('.')}.`));
    return hit === undefined ? '' : ` (from ${hit.envVar})`;
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      // One line per key, at the key's own path, with a suggestion: `manager.listne: unknown key (did you mean listen?)`.
      const known = shapeKeysAt(issue.path);
      for (const key of issue.keys) {
        const hint = closest(key, known);
        issues.push({
          path: formatPath([...issue.path, key]),
          message: `unknown key${hint === undefined ? '' : ` (did you mean "${hint}"?)`}`,
        });
      }
      continue;
    }
    const message =
      issue.code === 'invalid_type' && issue.input === undefined
        ? 'required'
        : issue.message.replace(/^Invalid input: /, '');
    issues.push({ path: formatPath(issue.path), message: `${message}${fromEnv(issue.path)}` });
  }
  return issues;
}

/**
 * Validates a configuration from an already parsed file and an environment: defaults < file < env.
 * Pure (no I/O). Throws a ConfigError listing every problem.
 */
export function resolveConfig(options: ResolveConfigOptions = {}): KoppelConfig {
  const issues: ConfigIssue[] = [];
  let merged: JsonObject = {};
  if (options.file !== undefined) {
    if (isObject(options.file)) merged = { ...options.file };
    else issues.push({ path: '', message: 'the configuration must be a JSON object' });
  }
  const { overrides, issues: envIssues } = readEnvOverrides(options.env ?? {});
  issues.push(...envIssues);
  for (const o of overrides) {
    if (!setPath(merged, o.path, o.value)) {
      issues.push({
        path: o.path.join('.'),
        message: `cannot apply ${o.envVar}: a parent key in the file is not an object`,
      });
    }
  }
  const result = koppelConfigSchema.safeParse(merged, { reportInput: true });
  if (!result.success) issues.push(...toIssues(result.error, overrides));
  if (issues.length > 0 || !result.success) throw new ConfigError(issues, options.source);
  return result.data;
}

/**
 * Reads a JSON configuration file (if `path` is given), applies `KOPPEL_*` overrides from `env`
 * and validates the result. Throws a ConfigError listing every problem, including an unreadable
 * or malformed file.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<KoppelConfig> {
  const env = options.env ?? {};
  if (options.path === undefined) return resolveConfig({ env });
  let text: string;
  try {
    text = await readFile(options.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw new ConfigError([{ path: '', message: `cannot read ${options.path}: ${reason}` }]);
  }
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ path: '', message: `${options.path} is not valid JSON: ${(err as Error).message}` }]);
  }
  return resolveConfig({ file: withPathsFrom(file, dirname(resolve(options.path)), env), env, source: options.path });
}

/**
 * The file's relative paths made absolute against its folder, so a configuration means the same
 * from any working directory (a service manager starts in `/`). A path field the file leaves out
 * gets its default relative to that folder too, unless the environment sets it (environment values
 * stay relative to the working directory, as every command line tool's do).
 */
function withPathsFrom(file: unknown, folder: string, env: Env): unknown {
  if (typeof file !== 'object' || file === null || Array.isArray(file)) return file;
  const copy = structuredClone(file) as JsonObject;
  for (const field of configFields()) {
    if (!field.isPath) continue;
    let parent: JsonObject | undefined = copy;
    for (const segment of field.path.slice(0, -1)) {
      const next: unknown = parent[segment];
      parent = typeof next === 'object' && next !== null && !Array.isArray(next) ? (next as JsonObject) : undefined;
      if (parent === undefined) break;
    }
    const name = field.path[field.path.length - 1] as string;
    const value = parent?.[name];
    if (typeof value === 'string' && value.trim() !== '' && !isAbsolute(value.trim())) {
      (parent as JsonObject)[name] = resolve(folder, value.trim());
    } else if (value === undefined && field.path.length === 1 && typeof field.defaultValue === 'string' && env[field.envVar] === undefined) {
      copy[name] = resolve(folder, field.defaultValue);
    }
  }
  return copy;
}
