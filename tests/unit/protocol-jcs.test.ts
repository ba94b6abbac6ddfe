// RFC 8785 (JSON Canonicalization Scheme), the serialisation under every `jcs`-scheme contract hash.
// Expected texts come from RFC 8785 itself (§3.2.2 example, §3.2.3 sorting example, Appendix B number
// table; the Appendix B doubles were re-checked with python3: struct.unpack('>d', bytes.fromhex(h))[0]
// == float(expected)) and from a hand-written python canonicaliser (see protocol-hash.test.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalize, JcsError, JCS_MAX_DEPTH } from '../../gateway/protocol/index.ts';

function doubleFromHex(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

describe('canonicalize (RFC 8785)', () => {
  it('reproduces the RFC 8785 §3.2.2 example', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    ) as unknown;
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts member names by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('serialises numbers like ECMAScript (RFC 8785 Appendix B)', () => {
    const table: Array<[string, string]> = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [hex, expected] of table) expect(canonicalize(doubleFromHex(hex))).toBe(expected);
  });

  it('escapes only quote, backslash and control characters, with lower-case \\u00xx', () => {
    expect(canonicalize('a"b\\c\b\f\n\r\t\u0000\u001f\u007f\u2028é')).toBe(
      '"a\\"b\\\\c\\b\\f\\n\\r\\t\\u0000\\u001f\u007f\u2028é"',
    );
  });

  it('writes no whitespace and keeps array order', () => {
    expect(canonicalize({ b: [3, 1, 2], a: { d: null, c: true } })).toBe('{"a":{"c":true,"d":null},"b":[3,1,2]}');
  });

  it('canonicalises the properties fixture exactly like the python canonicaliser', () => {
    const fixtures = JSON.parse(readFileSync(new URL('./fixtures/fsc-contracts.json', import.meta.url), 'utf8')) as {
      properties: { grants: Array<{ data: { properties: unknown } }> };
    };
    // python3: jcs(c['grants'][0]['data']['properties']) with the jcs() of protocol-hash.test.ts
    expect(canonicalize(fixtures.properties.grants[0]!.data.properties)).toBe(
      '{"\\r":"cr","Zeta":[1,null,"tab\\there"],"alpha":{"a":-1,"b":2},"doelbinding":"Wet BRP, art. 3.3","\u00f6":"o-umlaut","\u20acuro":true}',
    );
  });

  it('gives UTF-8 bytes', () => {
    expect(canonicalBytes({ '€': 1 })).toEqual(Buffer.from('{"€":1}', 'utf8'));
  });

  it.each([
    ['NaN', { a: Number.NaN }, '$.a'],
    ['Infinity', { a: [Number.POSITIVE_INFINITY] }, '$.a[0]'],
    ['undefined member', { a: 1, b: undefined }, '$.b'],
    ['undefined at top level', undefined, '$'],
    ['bigint', { a: 1n }, '$.a'],
    ['function', { f: () => 1 }, '$.f'],
    ['symbol value', { s: Symbol('x') }, '$.s'],
    ['Date', { d: new Date(0) }, '$.d'],
    ['Map', new Map(), '$'],
    ['class instance', { x: new (class Foo {})() }, '$.x'],
    // eslint-disable-next-line no-sparse-arrays -- the hole is the point
    ['array hole', { a: [1, , 3] }, '$.a[1]'],
    ['lone surrogate in value', { a: 'x\ud800' }, '$.a'],
    ['lone surrogate in name', { 'k\udc00': 1 }, '$["k\\udc00"]'],
  ])('rejects %s', (_name, value, path) => {
    let caught: unknown;
    try {
      canonicalize(value);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(JcsError);
    expect((caught as JcsError).path).toBe(path);
  });

  it('rejects symbol keys, accessors and cycles', () => {
    expect(() => canonicalize({ [Symbol('k')]: 1 })).toThrow(JcsError);
    expect(() => canonicalize(Object.defineProperty({}, 'x', { get: () => 1, enumerable: true }))).toThrow(/accessor/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalize(cyclic)).toThrow(/circular/);
  });

  it('accepts a shared (non-cyclic) object twice and null-prototype objects', () => {
    const shared = { v: 1 };
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { z: 1, y: 2 });
    expect(canonicalize({ a: shared, b: shared, c: bare })).toBe('{"a":{"v":1},"b":{"v":1},"c":{"y":2,"z":1}}');
  });

  it('refuses nesting deeper than JCS_MAX_DEPTH', () => {
    let deep: unknown = 1;
    for (let i = 0; i <= JCS_MAX_DEPTH; i++) deep = [deep];
    expect(() => canonicalize(deep)).toThrow(/nested deeper/);
    let fine: unknown = 1;
    for (let i = 0; i < JCS_MAX_DEPTH; i++) fine = [fine];
    expect(canonicalize(fine)).toMatch(/^\[+1\]+$/);
  });
});
