// The admin API's second lock (gateway/admin/auth.ts): a request is served only when its peer
// address is this machine. The addresses a routable interface would give cannot all be produced on
// every test machine, so the decision itself is tested here for each kind of address.
import { describe, expect, it } from 'vitest';
import { isLoopbackAddress } from '../../gateway/admin/auth.ts';

describe('isLoopbackAddress', () => {
  it.each([
    '127.0.0.1',
    '127.0.0.2',
    '127.1.2.3',
    '127.255.255.255',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:127.0.0.2',
    '::FFFF:127.0.0.1',
  ])('lets %s through (loopback)', (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  });

  it.each([
    ['a documentation address', '192.0.2.10'],
    ['a private address', '10.0.0.1'],
    ['a public address', '203.0.113.7'],
    ['an address that only starts like loopback', '128.0.0.1'],
    ['an address that ends like loopback', '10.127.0.1'],
    ['127 as a later octet', '1.127.0.0'],
    ['the unspecified IPv4 address', '0.0.0.0'],
    ['a private address mapped into IPv6', '::ffff:10.0.0.1'],
    ['the unspecified IPv6 address', '::'],
    ['a unique-local IPv6 address', 'fd00::2'],
    ['a link-local IPv6 address', 'fe80::1'],
    ['an IPv6 address ending in ::1', 'fe80::1:0:0:1'],
    ['loopback with trailing text', '127.0.0.1.example'],
    ['loopback with a port', '127.0.0.1:8080'],
    ['a name, not an address', 'localhost'],
    ['an empty address', ''],
    ['no address (a Unix socket)', undefined],
  ])('refuses %s (%s)', (_what, address) => {
    expect(isLoopbackAddress(address)).toBe(false);
  });
});
