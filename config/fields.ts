// A walk over the configuration schema: every section and every leaf with its path, environment
// variable, default and description. The environment loader and the generated reference both read
// the schema through this one walk, so neither can drift from it.
import { z } from 'zod';
import { koppelConfigShape } from './schema.ts';

/** How a value given as text (an environment variable) becomes a value of the field. */
export type FieldKind = 'string' | 'number' | 'boolean' | 'enum' | 'json';

export interface ConfigField {
  /** Path segments, e.g. `['manager', 'listen', 'port']`. */
  path: readonly string[];
  /** Dotted key, e.g. `manager.listen.port`. */
  key: string;
  /** Environment variable that overrides the field, e.g. `KOPPEL_MANAGER_LISTEN_PORT`. */
  envVar: string;
  kind: FieldKind;
  /** Allowed values of an enum field. */
  options: readonly string[];
  /** The field's own schema with optional/default wrappers removed. */
  schema: z.ZodType;
  description: string;
  /** The field has to be given: no default, not optional, in a section that is always present. */
  required: boolean;
  /** The field itself may be left out (it has no default and none is needed). */
  optional: boolean;
  hasDefault: boolean;
  defaultValue: unknown;
  /** A file or folder path (relative ones in a configuration file are relative to its folder). */
  isPath: boolean;
}

export interface ConfigSection {
  path: readonly string[];
  key: string;
  description: string;
  /** The section may be left out entirely (e.g. `outway.tls`). */
  optional: boolean;
  fields: ConfigField[];
  sections: ConfigSection[];
}

interface Unwrapped {
  core: z.ZodType;
  description: string | undefined;
  optional: boolean;
  hasDefault: boolean;
  defaultValue: unknown;
}

// Peels optional/default/prefault/pipe wrappers; the outermost description wins (that is where
// `.describe()` is written in schema.ts).
function unwrap(schema: z.ZodType): Unwrapped {
  let s: z.ZodType = schema;
  let description = s.description;
  let optional = false;
  let hasDefault = false;
  let defaultValue: unknown;
  for (;;) {
    if (s instanceof z.ZodOptional) {
      optional = true;
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodDefault) {
      hasDefault = true;
      defaultValue = s.def.defaultValue;
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodPrefault) {
      // A section defaulting to `{}`: its fields carry the real defaults.
      hasDefault = true;
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodPipe) {
      s = s.in as z.ZodType;
    } else {
      break;
    }
    description ??= s.description;
  }
  return { core: s, description, optional, hasDefault, defaultValue };
}

/** `tokenLifetimeSeconds` → `TOKEN_LIFETIME_SECONDS`. */
function screamingSnake(segment: string): string {
  return segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The environment variable of a configuration path. */
export function envVarOf(path: readonly string[]): string {
  return `KOPPEL_${path.map(screamingSnake).join('_')}`;
}

function kindOf(schema: z.ZodType): { kind: FieldKind; options: readonly string[] } {
  if (schema instanceof z.ZodNumber) return { kind: 'number', options: [] };
  if (schema instanceof z.ZodBoolean) return { kind: 'boolean', options: [] };
  if (schema instanceof z.ZodEnum) return { kind: 'enum', options: schema.options.map(String) };
  if (schema instanceof z.ZodString) return { kind: 'string', options: [] };
  return { kind: 'json', options: [] };
}

function walk(
  shape: Record<string, z.ZodType>,
  path: readonly string[],
  sectionRequired: boolean,
): { fields: ConfigField[]; sections: ConfigSection[] } {
  const fields: ConfigField[] = [];
  const sections: ConfigSection[] = [];
  for (const [name, child] of Object.entries(shape)) {
    const childPath = [...path, name];
    const u = unwrap(child);
    if (u.core instanceof z.ZodObject) {
      const optional = u.optional && !u.hasDefault;
      const inner = walk(u.core.shape, childPath, sectionRequired && !optional);
      sections.push({
        path: childPath,
        key: childPath.join('.'),
        description: u.description ?? '',
        optional,
        ...inner,
      });
    } else {
      const { kind, options } = kindOf(u.core);
      fields.push({
        path: childPath,
        key: childPath.join('.'),
        envVar: envVarOf(childPath),
        kind,
        options,
        schema: u.core,
        description: u.description ?? '',
        required: sectionRequired && !u.optional && !u.hasDefault,
        optional: u.optional,
        hasDefault: u.hasDefault,
        defaultValue: u.defaultValue,
        isPath: (u.core.meta() as { filePath?: unknown } | undefined)?.filePath === true,
      });
    }
  }
  return { fields, sections };
}

/** The configuration schema as a tree of sections (the root section has an empty path). */
export function configTree(): ConfigSection {
  const root = walk(koppelConfigShape.shape, [], true);
  return { path: [], key: '', description: '', optional: false, ...root };
}

/** Every leaf of the configuration, depth first in schema order. */
export function configFields(): ConfigField[] {
  const out: ConfigField[] = [];
  const visit = (s: ConfigSection): void => {
    out.push(...s.fields);
    s.sections.forEach(visit);
  };
  visit(configTree());
  return out;
}

/** The element fields of an array-of-objects field (e.g. `inway.services`), for the reference. */
export function elementFields(field: ConfigField): ConfigField[] {
  if (!(field.schema instanceof z.ZodArray)) return [];
  const element = unwrap(field.schema.element as z.ZodType).core;
  if (!(element instanceof z.ZodObject)) return [];
  return walk(element.shape as Record<string, z.ZodType>, [...field.path], true).fields.map((f) => ({
    ...f,
    key: `${field.key}[].${f.path[f.path.length - 1] ?? ''}`,
    envVar: '',
  }));
}
