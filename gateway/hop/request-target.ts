/**
 * The request target a hop forwards, made safe: a call may never leave the service it was
 * authorised for. RFC 3986 §5.2.4 dot segments (`.`, `..`, also percent-encoded as `%2e`, any case)
 * are removed; a path whose dot segments would climb above its start is refused with 400, judged on
 * the fully decoded view as well, where `%2f`, `%5c` and `\` count as separators and empty segments
 * collapse, since a service may decode and collapse those before it resolves the path
 * (`..%2f..%2fsecret`, `/a/..//..`). A fragment (`#…`) never belongs on
 * the wire and is dropped. Everything else stays byte for byte: `%2F` inside a segment, the query,
 * repeated keys.
 */
import { FscError, type ErrorDomain } from '../protocol/index.ts';

/** Origin-form path and query (with its `?`, or ''), dot segments removed. */
export interface SafeTarget {
  path: string;
  query: string;
}

const DOT2E = /%2e/gi;
const SEPARATORS = /%2f|%5c|\\/gi;

/** `.` / `..` for a raw segment that is a dot segment (`%2e` decoded), else undefined. */
function dotSegment(segment: string): '.' | '..' | undefined {
  if (segment.length > 6) return undefined;
  const d = segment.includes('%') ? segment.replace(DOT2E, '.') : segment;
  return d === '.' || d === '..' ? d : undefined;
}

/** remove_dot_segments over `/`-separated segments; undefined when `..` climbs above the start. */
function removeDotSegments(path: string): string | undefined {
  const segments = path.split('/');
  const out: string[] = [];
  const last = segments.length - 1;
  for (let i = 1; i <= last; i++) {
    const s = segments[i] as string;
    const dot = dotSegment(s);
    if (dot === undefined) {
      out.push(s);
      continue;
    }
    if (dot === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    }
    // `/a/b/..` and `/a/.` end in a slash (RFC 3986 §5.2.4 example).
    if (i === last) out.push('');
  }
  return `/${out.join('/')}`;
}

/**
 * True when `path`, decoded the way a lenient service might (`%2f`, `%5c`, `\` as separators, `%2e` as
 * a dot, empty segments collapsed as most path libraries do), has a `..` that climbs above its start.
 */
function climbsAbove(path: string): boolean {
  let depth = 0;
  for (const s of path.replace(SEPARATORS, '/').split('/')) {
    const dot = dotSegment(s);
    if (dot === '..') {
      if (--depth < 0) return true;
    } else if (dot === undefined && s !== '') depth++;
  }
  return false;
}

/**
 * The target to forward for a raw origin-form request target (it must start with `/`). Throws a 400
 * FscError in `domain` when the path would leave its base.
 */
export function safeRequestTarget(raw: string, domain: ErrorDomain): SafeTarget {
  if (!raw.startsWith('/')) {
    throw new FscError('ERROR_CODE_BAD_REQUEST', 'the request target must be a path', { domain });
  }
  const hash = raw.indexOf('#');
  const target = hash < 0 ? raw : raw.slice(0, hash);
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q);
  const suspicious = rawPath.includes('.') || rawPath.includes('%') || rawPath.includes('\\');
  if (!suspicious) return { path: rawPath, query };
  const path = removeDotSegments(rawPath);
  if (path === undefined || climbsAbove(rawPath) || climbsAbove(path)) {
    throw new FscError('ERROR_CODE_BAD_REQUEST', 'the path climbs above the service it names (dot segments)', {
      domain,
      reason: 'path-traversal',
    });
  }
  return { path, query };
}
