/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * fsc-core (draft, "JSON" and "The content hash"): contract content and grant data are hashed over
 * their JCS form, and the content "MUST conform to RFC 8259 and RFC 7493 (I-JSON)". So this
 * serialiser refuses everything I-JSON cannot carry instead of silently dropping or coercing it the
 * way `JSON.stringify` does (undefined members, NaN → null, Date → string, toJSON, lone surrogates).
 */

/** Thrown for a value JCS cannot serialise; `path` points at it (`$.grants[0].data.x`). */
export class JcsError extends TypeError {
  readonly path: string;
  /** What is wrong, without the path. */
  readonly problem: string;

  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'JcsError';
    this.path = path;
    this.problem = problem;
  }
}

/**
 * Deeper nesting than this is refused: contract content is a handful of levels deep, and only
 * grant `properties` are free-form, so this bound costs nothing and keeps recursion off the stack
 * limit for hostile input.
 */
export const JCS_MAX_DEPTH = 512;

// A lone surrogate is a code point in the Cs category once the `u` flag pairs up valid surrogates.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The RFC 8785 canonical JSON text of `value`: object members sorted by the UTF-16 code units of
 * their names (§3.2.3), numbers in ECMAScript `Number.prototype.toString` form (§3.2.2.3), strings
 * with the minimal escaping of §3.2.2.2, no whitespace.
 *
 * Accepts only null, booleans, finite numbers, well-formed strings, arrays without holes and plain
 * objects (prototype `Object.prototype` or null) without symbol keys; anything else, `undefined`
 * members included, throws a {@link JcsError}.
 */
export function canonicalize(value: unknown): string {
  return serialise(value, '$', 0, new Set<object>());
}

/** The UTF-8 bytes of {@link canonicalize}. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

function serialise(value: unknown, path: string, depth: number, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return serialiseString(value, path);
    case 'number':
      // RFC 8785 §3.2.2.3: NaN and ±Infinity are not JSON and MUST cause an error.
      if (!Number.isFinite(value)) throw new JcsError(path, 'number is not finite');
      // ECMAScript Number::toString is exactly the JCS form; JSON.stringify also maps -0 to "0".
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    case 'undefined':
      throw new JcsError(path, 'undefined is not a JSON value');
    case 'bigint':
    case 'symbol':
    case 'function':
      throw new JcsError(path, `${typeof value} is not a JSON value`);
  }
  if (value === null) return 'null';
  if (depth >= JCS_MAX_DEPTH) throw new JcsError(path, `nested deeper than ${JCS_MAX_DEPTH} levels`);
  if (seen.has(value)) throw new JcsError(path, 'circular reference');
  seen.add(value);
  try {
    if (Array.isArray(value)) return serialiseArray(value, path, depth, seen);
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new JcsError(path, 'only plain objects and arrays are JSON values');
    }
    return serialiseObject(value as Record<string, unknown>, path, depth, seen);
  } finally {
    seen.delete(value);
  }
}

function serialiseArray(value: readonly unknown[], path: string, depth: number, seen: Set<object>): string {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const itemPath = `${path}[${i}]`;
    if (!Object.hasOwn(value, i)) throw new JcsError(itemPath, 'array hole is not a JSON value');
    parts.push(serialise(value[i], itemPath, depth + 1, seen));
  }
  return `[${parts.join(',')}]`;
}

function serialiseObject(value: Record<string, unknown>, path: string, depth: number, seen: Set<object>): string {
  if (Object.getOwnPropertySymbols(value).length > 0) throw new JcsError(path, 'symbol keys are not JSON');
  // Array.prototype.sort without a comparator orders strings by UTF-16 code units: RFC 8785 §3.2.3.
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const memberPath = `${path}${memberSuffix(key)}`;
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    // Getters could answer differently on each read, so what is hashed might not be what is sent.
    if (descriptor === undefined || !('value' in descriptor))
      throw new JcsError(memberPath, 'accessor properties are not JSON');
    parts.push(`${serialiseString(key, memberPath)}:${serialise(descriptor.value, memberPath, depth + 1, seen)}`);
  }
  return `{${parts.join(',')}}`;
}

function serialiseString(s: string, path: string): string {
  // RFC 8785 §3.2.2.2 / RFC 7493 §2.1: strings must be valid Unicode; a lone surrogate cannot be
  // represented in UTF-8, so two parties would hash different bytes.
  if (LONE_SURROGATE.test(s)) throw new JcsError(path, 'string contains a lone surrogate');
  // With well-formed input JSON.stringify escapes exactly what §3.2.2.2 requires: `"`, `\`, and
  // U+0000..U+001F (as \b \t \n \f \r or lower-case \u00xx); everything else is written as is.
  return JSON.stringify(s);
}

function memberSuffix(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
