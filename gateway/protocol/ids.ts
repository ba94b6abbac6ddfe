/**
 * UUIDs: version 7 creation (RFC 9562 §5.7) and validation, and the 16-byte form.
 *
 * Koppel uses UUIDv7 for transaction ids (fsc-logging leaves the format to a profile) and for the
 * contract `iv`: they sort by creation time, which keeps log indexes append-only.
 */
import { getRandomValues } from 'node:crypto';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Version nibble 7, variant bits 10xx (RFC 9562 §4.1, §4.2).
const UUID_V7_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** True for any RFC 9562 textual UUID (8-4-4-4-12 hex, either case). */
export function isUuid(x: unknown): x is string {
  return typeof x === 'string' && x.length === 36 && UUID_RE.test(x);
}

/** True for a textual UUID with version 7 and the RFC 9562 variant. */
export function isUuidV7(x: unknown): x is string {
  return typeof x === 'string' && x.length === 36 && UUID_V7_RE.test(x);
}

/** The 16 bytes of a textual UUID. Throws a TypeError for anything that is not a UUID. */
export function uuidToBytes(uuid: string): Uint8Array {
  if (!isUuid(uuid)) throw new TypeError('not a UUID');
  return Uint8Array.from(Buffer.from(uuid.replaceAll('-', ''), 'hex'));
}

/** The lower-case textual form of 16 UUID bytes. */
export function uuidFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new TypeError('a UUID has 16 bytes');
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The Unix time in milliseconds embedded in a UUIDv7. */
export function uuidV7Timestamp(uuid: string): number {
  if (!isUuidV7(uuid)) throw new TypeError('not a UUIDv7');
  return Number.parseInt(uuid.slice(0, 8) + uuid.slice(9, 13), 16);
}

export interface UuidV7GeneratorOptions {
  /** Milliseconds since the Unix epoch; defaults to Date.now. */
  now?: () => number;
  /** Fills the given array with random bytes; defaults to crypto.getRandomValues. */
  random?: (bytes: Uint8Array) => void;
}

const MAX_TIMESTAMP = 2 ** 48 - 1;
const COUNTER_BITS = 42;
const COUNTER_MAX = 2 ** COUNTER_BITS - 1;

/**
 * Random bytes from a pool refilled 4 KiB at a time: one call into the CSPRNG per ~400 ids instead of
 * one per id (a transaction id is created for every call through the outway).
 */
function pooledRandom(): (b: Uint8Array) => void {
  const pool = new Uint8Array(4096);
  let offset = pool.length;
  return (b) => {
    if (offset + b.length > pool.length) {
      getRandomValues(pool);
      offset = 0;
    }
    b.set(pool.subarray(offset, offset + b.length));
    offset += b.length;
  };
}

/**
 * A UUIDv7 generator whose ids strictly increase, also within one millisecond and when the clock
 * steps back (RFC 9562 §6.2 method 1, "fixed bit-length dedicated counter"): the 12 bits of
 * `rand_a` and the top 30 bits of `rand_b` form a 42-bit counter, seeded randomly with its top bit
 * clear at each new millisecond and incremented within one; the last 32 bits are fresh random.
 * When the counter overflows, the timestamp moves one millisecond ahead.
 */
export function createUuidV7Generator(options: UuidV7GeneratorOptions = {}): () => string {
  const now = options.now ?? Date.now;
  const random = options.random ?? pooledRandom();
  const rnd = new Uint8Array(10);
  const out = new Uint8Array(16);
  let lastMs = -1;
  let counter = 0;

  return function uuidV7(): string {
    random(rnd);
    const nowMs = Math.floor(now());
    if (!Number.isFinite(nowMs) || nowMs < 0 || nowMs > MAX_TIMESTAMP) {
      throw new RangeError('clock out of UUIDv7 range');
    }
    if (nowMs > lastMs) {
      lastMs = nowMs;
      // 41 random bits: the top counter bit stays clear, leaving room for 2^41 increments.
      counter = (rnd[0]! & 0x01) * 2 ** 40 + rnd[1]! * 2 ** 32 + readU32(rnd, 2);
    } else {
      counter += 1;
      if (counter > COUNTER_MAX) {
        lastMs += 1;
        if (lastMs > MAX_TIMESTAMP) throw new RangeError('clock out of UUIDv7 range');
        counter = (rnd[0]! & 0x01) * 2 ** 40 + rnd[1]! * 2 ** 32 + readU32(rnd, 2);
      }
    }
    const ms = lastMs;
    // unix_ts_ms: 48 bits, big-endian.
    const msHigh = Math.floor(ms / 2 ** 16);
    out[0] = (msHigh >>> 24) & 0xff;
    out[1] = (msHigh >>> 16) & 0xff;
    out[2] = (msHigh >>> 8) & 0xff;
    out[3] = msHigh & 0xff;
    out[4] = (ms >>> 8) & 0xff;
    out[5] = ms & 0xff;
    // counter bits 41..30 → rand_a (12 bits) after the version nibble.
    const hi = Math.floor(counter / 2 ** 30); // 12 bits
    const lo = counter % 2 ** 30; // 30 bits
    out[6] = 0x70 | (hi >>> 8);
    out[7] = hi & 0xff;
    // variant 10, then counter bits 29..0 (30 bits), then 32 random bits.
    out[8] = 0x80 | (lo >>> 24);
    out[9] = (lo >>> 16) & 0xff;
    out[10] = (lo >>> 8) & 0xff;
    out[11] = lo & 0xff;
    out[12] = rnd[6]!;
    out[13] = rnd[7]!;
    out[14] = rnd[8]!;
    out[15] = rnd[9]!;
    return uuidFromBytes(out);
  };
}

function readU32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
}
