import { describe, expect, it } from 'vitest';
import {
  FSC_AUTHORIZATION,
  FSC_ERROR_CODE,
  FSC_GRANT_HASH,
  FSC_MANAGER_ADDRESS,
  FSC_TRANSACTION_ID,
  FscError,
  NLX_REQUEST_APPLICATION_ID,
  NLX_REQUEST_DATA_ELEMENTS,
  NLX_REQUEST_DATA_SUBJECT,
  NLX_REQUEST_PROCESS_ID,
  NLX_REQUEST_USER_ID,
  PURPOSE_HEADER_MAX_LENGTH,
  TRACEPARENT,
  headersToStrip,
  hopByHopHeaders,
  isHopByHopHeader,
  parseTraceparent,
  readPurposeHeaders,
  sensitiveHeaders,
} from '../../gateway/protocol/index.ts';

describe('header names', () => {
  it('are the lower-case forms of the FSC and NLX names', () => {
    expect(FSC_AUTHORIZATION).toBe('Fsc-Authorization'.toLowerCase());
    expect(FSC_TRANSACTION_ID).toBe('Fsc-Transaction-Id'.toLowerCase());
    expect(FSC_GRANT_HASH).toBe('Fsc-Grant-Hash'.toLowerCase());
    expect(FSC_MANAGER_ADDRESS).toBe('Fsc-Manager-Address'.toLowerCase());
    expect(FSC_ERROR_CODE).toBe('Fsc-Error-Code'.toLowerCase());
    expect(TRACEPARENT).toBe('traceparent');
    expect(NLX_REQUEST_PROCESS_ID).toBe('x-nlx-request-process-id');
    expect(NLX_REQUEST_DATA_SUBJECT).toBe('x-nlx-request-data-subject');
    expect(NLX_REQUEST_DATA_ELEMENTS).toBe('x-nlx-request-data-elements');
    expect(NLX_REQUEST_USER_ID).toBe('x-nlx-request-user-id');
    expect(NLX_REQUEST_APPLICATION_ID).toBe('x-nlx-request-application-id');
  });

  it('mark the access token header as sensitive', () => {
    expect(sensitiveHeaders).toContain(FSC_AUTHORIZATION);
    expect(sensitiveHeaders).toContain('authorization');
    expect(sensitiveHeaders).toContain('cookie');
  });
});

describe('purpose headers', () => {
  it('reads the five NLX headers into additional-data keys', () => {
    expect(
      readPurposeHeaders({
        'x-nlx-request-process-id': 'aanvraag-parkeervergunning',
        'x-nlx-request-data-subject': 'bsn=999999990',
        'x-nlx-request-data-elements': 'naam,adres',
        'x-nlx-request-user-id': 'medewerker-12',
        'x-nlx-request-application-id': 'zaaksysteem',
        'x-other': 'ignored',
      }),
    ).toStrictEqual({
      process_id: 'aanvraag-parkeervergunning',
      data_subject: 'bsn=999999990',
      data_elements: 'naam,adres',
      user_id: 'medewerker-12',
      application_id: 'zaaksysteem',
    });
    expect(readPurposeHeaders({})).toStrictEqual({});
    expect(readPurposeHeaders({ 'x-nlx-request-user-id': ['one'] })).toStrictEqual({ user_id: 'one' });
  });

  it('accepts exactly 1024 characters and refuses 1025', () => {
    const max = 'é'.repeat(PURPOSE_HEADER_MAX_LENGTH);
    expect(readPurposeHeaders({ 'x-nlx-request-process-id': max }).process_id).toBe(max);
    let err: unknown;
    try {
      readPurposeHeaders({ 'x-nlx-request-process-id': 'a'.repeat(PURPOSE_HEADER_MAX_LENGTH + 1) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FscError);
    expect((err as FscError).code).toBe('ERROR_CODE_INVALID_PURPOSE_HEADER');
    expect((err as FscError).status).toBe(400);
    expect((err as FscError).domain).toBe('ERROR_DOMAIN_OUTWAY');
    expect((err as FscError).message).toContain('x-nlx-request-process-id');
  });

  it('refuses repeated headers and control characters without echoing the value', () => {
    expect(() => readPurposeHeaders({ 'x-nlx-request-data-subject': ['bsn=1', 'bsn=2'] })).toThrow(FscError);
    try {
      readPurposeHeaders({ 'x-nlx-request-data-subject': 'bsn=999999990\n' });
      expect.unreachable();
    } catch (e) {
      expect((e as FscError).code).toBe('ERROR_CODE_INVALID_PURPOSE_HEADER');
      expect((e as FscError).message).not.toContain('999999990');
    }
    // a horizontal tab is a legal field-value character
    expect(readPurposeHeaders({ 'x-nlx-request-user-id': 'a\tb' }).user_id).toBe('a\tb');
  });
});

describe('hop-by-hop headers (RFC 9110 §7.6.1)', () => {
  it('lists the fixed hop-by-hop fields', () => {
    expect([...hopByHopHeaders].sort()).toStrictEqual(
      [
        'connection',
        'keep-alive',
        'proxy-authenticate',
        'proxy-authorization',
        'proxy-connection',
        'te',
        'trailer',
        'transfer-encoding',
        'upgrade',
      ].sort(),
    );
    expect(isHopByHopHeader('Transfer-Encoding')).toBe(true);
    expect(isHopByHopHeader('fsc-authorization')).toBe(false);
    expect(isHopByHopHeader('content-length')).toBe(false);
  });

  it('adds the names listed in Connection', () => {
    const strip = headersToStrip('close, X-Custom-Hop , ,Keep-Alive');
    expect(strip.has('x-custom-hop')).toBe(true);
    expect(strip.has('close')).toBe(true);
    expect(strip.has('upgrade')).toBe(true);
    expect(headersToStrip(['a', 'b,c']).has('c')).toBe(true);
    expect(headersToStrip(undefined).has('x-custom-hop')).toBe(false);
    // the fixed list is not modified by a call
    expect(isHopByHopHeader('x-custom-hop')).toBe(false);
  });
});

describe('traceparent (W3C Trace Context)', () => {
  it('extracts trace-id and parent-id', () => {
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toStrictEqual({
      version: '00',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      flags: '01',
    });
    // a future version may append fields
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra')?.traceId).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
  });

  it('ignores invalid values', () => {
    for (const bad of [
      undefined,
      '',
      'garbage',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
      '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
    }
  });
});
