// Shared by the schema helpers for the FSC OpenAPI documents kept in the repository (docs/fsc/*.yaml,
// Logius, CC-BY 4.0): reading one, and the one rewrite both need before a JSON Schema validator can use it.
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * OpenAPI 3.0 `discriminator` picks the oneOf branch by the value of the tag property. Plain JSON Schema
 * (ajv) ignores it and requires exactly one branch to match; in logging.yaml (`source` / `sourceDelegated`)
 * and manager.yaml (services, grants) a delegated object also matches the plain branch (additional
 * properties are allowed), so plain oneOf would refuse every valid delegated object, and a plain object
 * would pass with a tag of another branch. This adds to each branch the condition the discriminator mapping
 * implies ("the tag has the value mapped to this schema"), which makes the branches exclusive in the way
 * the document means. Nothing else of the document changes.
 */
export function applyDiscriminators(node: Json): Json {
  if (Array.isArray(node)) return node.map(applyDiscriminators);
  if (node === null || typeof node !== 'object') return node;
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) out[k] = applyDiscriminators(v);
  const disc = out.discriminator as { propertyName?: string; mapping?: Record<string, string> } | undefined;
  if (disc?.propertyName !== undefined && disc.mapping !== undefined && Array.isArray(out.oneOf)) {
    const tag = disc.propertyName;
    const mapping = Object.entries(disc.mapping);
    out.oneOf = out.oneOf.map((branch) => {
      const ref = (branch as { $ref?: string } | null)?.$ref;
      const keys = mapping.filter(([, target]) => target === ref).map(([key]) => key);
      return keys.length === 0
        ? branch
        : {
            allOf: [branch, { type: 'object', required: [tag], properties: { [tag]: { type: 'string', enum: keys } } }],
          };
    });
    delete out.discriminator;
  }
  return out;
}

/** docs/fsc/`file`, parsed, with its discriminators made explicit (see applyDiscriminators). */
export async function loadFscDocument(file: 'logging.yaml' | 'manager.yaml'): Promise<Json> {
  const text = await readFile(new URL(`../../docs/fsc/${file}`, import.meta.url), 'utf8');
  return applyDiscriminators(parse(text) as Json);
}
