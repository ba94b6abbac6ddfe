import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createUuidV7Generator,
  isUuid,
  isUuidV7,
  uuidFromBytes,
  uuidToBytes,
  uuidV7Timestamp,
} from '../../gateway/protocol/index.ts';

// RFC 9562 Appendix A.6 test vector: 2022-02-22T14:22:22-05:00 → 017F22E2-79B0-7CC3-98C4-DC0C0C07398F.
const RFC_VECTOR = '017f22e2-79b0-7cc3-98c4-dc0c0c07398f';

function bytesOf(uuid: string): number[] {
  return [...uuidToBytes(uuid)];
}

describe('UUIDv7 layout (RFC 9562 §5.7)', () => {
  it('puts the Unix milliseconds in the first 48 bits, version 7 and variant 10', () => {
    const ms = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
    const next = createUuidV7Generator({ now: () => ms });
    const id = next();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const b = bytesOf(id);
    expect(b[6]! >> 4).toBe(7);
    expect(b[8]! >> 6).toBe(0b10);
    const tsHex = id.slice(0, 8) + id.slice(9, 13);
    expect(Number.parseInt(tsHex, 16)).toBe(ms);
    expect(uuidV7Timestamp(id)).toBe(ms);
  });

  it('reads the timestamp of the RFC 9562 test vector', () => {
    expect(isUuidV7(RFC_VECTOR)).toBe(true);
    expect(uuidV7Timestamp(RFC_VECTOR)).toBe(Date.parse('2022-02-22T14:22:22-05:00'));
  });

  it('uses the injected random source for the non-counter bits', () => {
    const zero = createUuidV7Generator({ now: () => 0x0123456789ab, random: (b) => b.fill(0) });
    expect(zero()).toBe('01234567-89ab-7000-8000-000000000000');
    const ones = createUuidV7Generator({ now: () => 0x0123456789ab, random: (b) => b.fill(0xff) });
    // The counter seed keeps its top bit clear: 41 random bits under a zero bit.
    expect(ones()).toBe('01234567-89ab-77ff-bfff-ffffffffffff');
  });

  it('orders ids by time', () => {
    let now = 1_700_000_000_000;
    const next = createUuidV7Generator({ now: () => now });
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      ids.push(next());
      now += 1 + (i % 3);
    }
    expect([...ids].sort()).toStrictEqual(ids);
  });

  it('is monotonic within one millisecond', () => {
    const next = createUuidV7Generator({ now: () => 1_700_000_000_000 });
    const ids = Array.from({ length: 10_000 }, () => next());
    expect(new Set(ids).size).toBe(ids.length);
    const outOfOrder = ids.findIndex((id, i) => i > 0 && id <= ids[i - 1]!);
    expect(outOfOrder).toBe(-1);
    expect(ids.every((id) => uuidV7Timestamp(id) === 1_700_000_000_000)).toBe(true);
  });

  it('stays monotonic when the clock steps back', () => {
    const times = [1_700_000_000_500, 1_700_000_000_000, 1_700_000_000_100];
    const next = createUuidV7Generator({ now: () => times.shift() ?? 0 });
    const a = next();
    const b = next();
    const c = next();
    expect(b > a).toBe(true);
    expect(c > b).toBe(true);
    expect(uuidV7Timestamp(c)).toBe(1_700_000_000_500);
  });

  it('refuses a clock outside the 48-bit range', () => {
    expect(() => createUuidV7Generator({ now: () => -1 })()).toThrow(RangeError);
    expect(() => createUuidV7Generator({ now: () => 2 ** 48 })()).toThrow(RangeError);
    expect(() => createUuidV7Generator({ now: () => Number.NaN })()).toThrow(RangeError);
  });

  it('creates valid ids with the default clock and random source', () => {
    const next = createUuidV7Generator();
    const before = Date.now();
    const id = next();
    expect(isUuidV7(id)).toBe(true);
    expect(uuidV7Timestamp(id)).toBeGreaterThanOrEqual(before);
    expect(uuidV7Timestamp(id)).toBeLessThanOrEqual(Date.now());
  });
});

describe('UUID validation and bytes', () => {
  it('tells UUIDs and UUIDv7s apart', () => {
    const v4 = randomUUID();
    expect(isUuid(v4)).toBe(true);
    expect(isUuidV7(v4)).toBe(false);
    expect(isUuid(RFC_VECTOR.toUpperCase())).toBe(true);
    expect(isUuidV7(RFC_VECTOR.toUpperCase())).toBe(true);
    // The core spec's own example iv is a v7.
    expect(isUuidV7('06338364-8305-7b74-8000-de4963503139')).toBe(true);
  });

  it('rejects malformed values', () => {
    for (const bad of [
      '',
      'not-a-uuid',
      '017f22e279b07cc398c4dc0c0c07398f',
      '017f22e2-79b0-7cc3-98c4-dc0c0c07398',
      '017f22e2-79b0-7cc3-98c4-dc0c0c07398fa',
      '017f22e2-79b0-7cc3-98c4-dc0c0c07398g',
      '{017f22e2-79b0-7cc3-98c4-dc0c0c07398f}',
      ' 017f22e2-79b0-7cc3-98c4-dc0c0c07398f',
      42,
      null,
      undefined,
    ]) {
      expect(isUuid(bad), String(bad)).toBe(false);
      expect(isUuidV7(bad), String(bad)).toBe(false);
    }
    // wrong version nibble / variant bits
    expect(isUuidV7('017f22e2-79b0-4cc3-98c4-dc0c0c07398f')).toBe(false);
    expect(isUuidV7('017f22e2-79b0-7cc3-18c4-dc0c0c07398f')).toBe(false);
    expect(isUuidV7('017f22e2-79b0-7cc3-c8c4-dc0c0c07398f')).toBe(false);
  });

  it('converts between text and 16 bytes', () => {
    const bytes = uuidToBytes(RFC_VECTOR);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes.length).toBe(16);
    expect(Buffer.from(bytes).toString('hex')).toBe('017f22e279b07cc398c4dc0c0c07398f');
    expect(uuidFromBytes(bytes)).toBe(RFC_VECTOR);
    expect(uuidFromBytes(uuidToBytes(RFC_VECTOR.toUpperCase()))).toBe(RFC_VECTOR);
    const sub = new Uint8Array(20);
    sub.set(bytes, 4);
    expect(uuidFromBytes(sub.subarray(4))).toBe(RFC_VECTOR);
    expect(() => uuidToBytes('nope')).toThrow(TypeError);
    expect(() => uuidFromBytes(new Uint8Array(15))).toThrow(TypeError);
    expect(() => uuidV7Timestamp(randomUUID())).toThrow(TypeError);
  });
});
