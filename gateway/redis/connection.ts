// Where a peer's Redis is and how its keys are named, the same for the store, the transaction log and
// the commands that open them (`koppel logs`).
import { readFile } from 'node:fs/promises';

/**
 * The first key segment: keys are `<prefix>:{<group>:<peer>}:…`, and the config's prefix (`koppel:` by
 * default) may already end with the separator.
 */
export function redisKeyPrefix(prefix: string): string {
  return prefix.endsWith(':') ? prefix.slice(0, -1) : prefix;
}

/** The Redis URL with the password read from a file (secrets stay out of config and environment). */
export async function redisUrlWithPassword(url: string, passwordFile: string | undefined): Promise<string> {
  if (passwordFile === undefined) return url;
  const password = (await readFile(passwordFile, 'utf8')).trim();
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}
