// The configuration reference (docs/configuration.md), rendered from the schema so that the
// documentation cannot disagree with what the loader accepts.
import { z } from 'zod';
import { configTree, elementFields, type ConfigField, type ConfigSection } from './fields.ts';

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function typeOf(field: ConfigField): string {
  switch (field.kind) {
    case 'enum':
      return field.options.map((o) => `\`${o}\``).join(' | ');
    case 'boolean':
      return 'boolean';
    case 'number': {
      const json = z.toJSONSchema(field.schema, { unrepresentable: 'any' }) as {
        minimum?: number;
        maximum?: number;
        type?: string;
      };
      const type = json.type === 'integer' ? 'integer' : 'number';
      if (json.maximum !== undefined && json.maximum >= Number.MAX_SAFE_INTEGER) delete json.maximum;
      if (json.minimum !== undefined && json.maximum !== undefined) return `${type} ${json.minimum}–${json.maximum}`;
      if (json.minimum !== undefined) return `${type} ≥ ${json.minimum}`;
      return type;
    }
    case 'string':
      return 'string';
    case 'json':
      return field.schema instanceof z.ZodArray ? 'list (JSON in the environment)' : 'JSON';
  }
}

function defaultOf(field: ConfigField): string {
  if (field.required) return '**required**';
  if (!field.optional && !field.hasDefault) return '**required** in the section';
  if (!field.hasDefault) return '—';
  const v = field.defaultValue;
  return typeof v === 'string' ? `\`${v}\`` : `\`${JSON.stringify(v)}\``;
}

function row(field: ConfigField): string {
  const env = field.envVar === '' ? '—' : `\`${field.envVar}\``;
  return `| \`${field.key}\` | ${cell(typeOf(field))} | ${cell(defaultOf(field))} | ${env} | ${cell(field.description)} |`;
}

function table(fields: readonly ConfigField[]): string[] {
  const rows = ['| Key | Type | Default | Environment | Description |', '|---|---|---|---|---|'];
  for (const f of fields) {
    rows.push(row(f));
    rows.push(...elementFields(f).map(row));
  }
  return rows;
}

function section(s: ConfigSection, depth: number): string[] {
  const lines = [`${'#'.repeat(depth)} \`${s.key}\``, ''];
  if (s.description !== '') lines.push(s.description + (s.optional ? ' Optional section.' : ''), '');
  if (s.fields.length > 0) lines.push(...table(s.fields), '');
  for (const sub of s.sections) lines.push(...section(sub, Math.min(depth + 1, 4)));
  return lines;
}

/** The Markdown configuration reference, generated from the schema (`koppel config docs`). */
export function renderConfigReference(): string {
  const root = configTree();
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from config/schema.ts by `koppel config docs --out docs/configuration.md`. Do not edit by hand. -->',
    '',
    'A Koppel peer is configured by one JSON file (`koppel <role> --config FILE`) and/or environment',
    'variables. Values are taken in this order, later ones winning: the defaults below, the file, the',
    'environment. Relative paths in a file are relative to its folder; given by environment, to the',
    'working directory. Check a file with `koppel config check FILE` (which also reads the certificate,',
    'key and trust anchor it names); an example is `config/example.json`.',
    '',
    '- Every key is camelCase JSON. Unknown keys are errors at every level, and every problem is reported',
    '  at once; a process with an invalid configuration exits before it opens any socket.',
    '- Each key has an environment variable: `KOPPEL_` followed by its path in upper case with',
    '  underscores (`manager.listen.port` → `KOPPEL_MANAGER_LISTEN_PORT`). Numbers and booleans',
    '  (`true`/`false`) are converted; lists are given as JSON; an empty variable counts as unset. A variable',
    '  under a section prefix (`KOPPEL_MANAGER_…`) that names no key is an error.',
    '- Units are part of the name: `…Ms` milliseconds, `…Seconds`, `…Bytes`, `…Days`.',
    '- Secrets are never inline values: keys and the admin token are read from files. Relative paths are',
    '  relative to the working directory.',
    '- Every listener binds to `127.0.0.1` unless configured otherwise; the admin API only accepts loopback.',
    '',
    '## Top level',
    '',
    ...table(root.fields),
    '',
  ];
  for (const s of root.sections) lines.push(...section(s, 2));
  return `${lines.join('\n').trimEnd()}\n`;
}
