// The console's pure helpers: time input, CSV quoting, language negotiation, the traffic filter form
// and the per-minute buckets of the chart.
import { describe, expect, it } from 'vitest';
import { bucketRecords, CHART_MINUTES, fromAcceptLanguage, parseTrafficFilter, translator } from '../../gateway/console/index.ts';
import { csvField, parseTimeInput, TimeInputError, type StoredRecord } from '../../gateway/txlog/index.ts';

describe('parseTimeInput', () => {
  it('reads Unix seconds and ISO 8601 with a zone exactly', () => {
    expect(parseTimeInput('1700000000')).toBe(1_700_000_000);
    expect(parseTimeInput('2025-03-01T09:30:00Z')).toBe(Date.UTC(2025, 2, 1, 9, 30) / 1000);
    expect(parseTimeInput('2025-03-01T09:30:00+01:00')).toBe(Date.UTC(2025, 2, 1, 8, 30) / 1000);
    expect(parseTimeInput('2025-03-01T09:30:00.250Z')).toBe(Date.UTC(2025, 2, 1, 9, 30) / 1000);
  });

  it('reads a date or date-time without a zone in local time', () => {
    expect(parseTimeInput('2025-03-01')).toBe(new Date(2025, 2, 1).getTime() / 1000);
    expect(parseTimeInput('2025-03-01T09:30')).toBe(new Date(2025, 2, 1, 9, 30).getTime() / 1000);
  });

  it('refuses what is not a time, impossible dates and milliseconds typed as seconds', () => {
    for (const bad of ['yesterday', '2025-02-31', '2025-03-01T25:00', '1700000000000', '', '01-03-2025']) {
      expect(() => parseTimeInput(bad), bad).toThrow(TimeInputError);
    }
  });
});

describe('csvField', () => {
  it('quotes commas, quotes and line breaks (RFC 4180) and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@cmd')).toBe("'@cmd");
    expect(csvField(-5)).toBe('-5');
    expect(csvField(undefined)).toBe('');
  });
});

describe('language', () => {
  it('follows Accept-Language weights and falls back to undefined for other languages', () => {
    expect(fromAcceptLanguage('nl-NL,nl;q=0.9,en;q=0.8')).toBe('nl');
    expect(fromAcceptLanguage('de-DE,en;q=0.5,nl;q=0.7')).toBe('nl');
    expect(fromAcceptLanguage('en-GB')).toBe('en');
    expect(fromAcceptLanguage('nl;q=0, en;q=0.1')).toBe('en');
    expect(fromAcceptLanguage('fr')).toBeUndefined();
    expect(fromAcceptLanguage(undefined)).toBeUndefined();
  });

  it('fills placeholders in both catalogues', () => {
    expect(translator('en')('contracts.filter.pending', { count: 3 })).toBe('Waiting for you (3)');
    expect(translator('nl')('contracts.filter.pending', { count: 3 })).toBe('Wacht op u (3)');
  });
});

describe('parseTrafficFilter', () => {
  const parse = (q: Record<string, string>) => parseTrafficFilter((name) => q[name]);

  it('turns the form into a txlog filter with inclusive times', () => {
    const p = parse({ from: '1700000000', to: '1700000600', service: 'brp', peer: '00000000000000000003', subject: ' BSN = 999993653 ', process: 'p-1', direction: 'DIRECTION_INCOMING' });
    expect(p.errors).toEqual([]);
    expect(p.filter).toEqual({
      after: 1_699_999_999,
      before: 1_700_000_601,
      serviceNames: ['brp'],
      peerId: '00000000000000000003',
      dataSubject: 'bsn=999993653',
      processId: 'p-1',
      direction: 'DIRECTION_INCOMING',
    });
  });

  it('reads a datetime-local "to" as the whole minute', () => {
    const p = parse({ to: '2025-03-01T09:30' });
    expect(p.filter.before).toBe(new Date(2025, 2, 1, 9, 31).getTime() / 1000);
  });

  it('reports invalid fields and leaves them out', () => {
    const p = parse({ from: '1700000600', to: '1700000000', subject: 'nobody', direction: 'up', service: 'no spaces allowed' });
    expect(p.errors.map((e) => e.field).sort()).toEqual(['direction', 'service', 'subject', 'to']);
    expect(p.filter).toEqual({});
  });
});

describe('bucketRecords', () => {
  const at = (seconds: number, service: string, status?: number): StoredRecord => ({
    record: {
      transaction_id: `t-${seconds}-${service}`,
      direction: 'DIRECTION_INCOMING',
      grant_hash: '$1$3$x',
      source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: 'a' },
      destination: { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: 'b' },
      service_name: service,
      created_at: seconds,
    },
    peer_id: 'b',
    seq: seconds,
    prev_hash: '',
    hash: '',
    at_ms: seconds * 1000,
    ...(status === undefined ? {} : { completion: { status, duration_ms: 1, seq: seconds + 1, at_ms: 0 } }),
  });

  it('counts calls and errors per service per minute over the hour up to the end', () => {
    const end = 1_700_003_699; // the last second of a minute; the last bucket is that minute
    const stats = bucketRecords(
      [at(end, 'a', 200), at(end - 30, 'a', 502), at(end - 61, 'a', 0), at(end - 3600 + 1, 'b'), at(end - 4000, 'a'), at(end + 120, 'a')],
      end,
    );
    expect(stats.end - stats.start).toBe(CHART_MINUTES * 60);
    const a = stats.series.find((s) => s.service === 'a');
    expect(a?.totalCalls).toBe(3);
    expect(a?.totalErrors).toBe(2);
    expect(a?.calls[59]).toBe(2);
    expect(a?.errors[59]).toBe(1);
    expect(a?.calls[58]).toBe(1);
    expect(stats.series.find((s) => s.service === 'b')?.calls[0]).toBe(1);
    expect(stats.series.map((s) => s.service)).toEqual(['a', 'b']);
  });
});
