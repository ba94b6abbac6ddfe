// `koppel logs verify`: recompute this peer's transaction-log chain and check every signed head
// (DESIGN.md "Transaction log", tamper evidence). OK with counts (exit 0), or the first broken link:
// which entry, what differs (exit 1). Only reads: it never signs, prunes or writes.
import { parseTimeInput, TimeInputError } from '../gateway/txlog/index.ts';
import type { TxLog, VerifyOptions, VerifyResult } from '../gateway/txlog/index.ts';
import { isConfigError, formatIssue } from '../config/index.ts';
import { defineCommand, UsageError } from './command.ts';
import { ExitCode, type CliIo } from './io.ts';
import { LogsOpenError, openLogFromConfig } from './logs-open.ts';

function timeOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseTimeInput(value);
  } catch (err) {
    if (err instanceof TimeInputError) throw new UsageError(`--${name}: ${err.message}`);
    throw err;
  }
}

/**
 * The seq range of the records created in [from, to] (Unix seconds, inclusive). The chain is ordered
 * by seq, so a time range becomes the seqs of its first and last record; undefined when no record
 * falls in the range.
 */
export async function seqRangeOf(txlog: TxLog, from: number | undefined, to: number | undefined): Promise<VerifyOptions | undefined> {
  if (from === undefined && to === undefined) return {};
  const range: VerifyOptions = {};
  const filter = { ...(from === undefined ? {} : { after: from - 1 }), ...(to === undefined ? {} : { before: to + 1 }) };
  const first = await txlog.query(filter, { limit: 1, order: 'SORT_ORDER_ASCENDING' });
  const last = await txlog.query(filter, { limit: 1, order: 'SORT_ORDER_DESCENDING' });
  const a = first.records[0];
  const b = last.records[0];
  if (a === undefined || b === undefined) return undefined;
  if (from !== undefined) range.from = a.seq;
  if (to !== undefined) range.to = b.seq;
  return range;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function report(io: CliIo, peerId: string, location: string, result: VerifyResult): number {
  if (result.ok) {
    const signed = result.signaturesChecked ? 'signatures verified' : 'compared by hash only: no verifier';
    io.stdout.write(
      [
        `OK transaction log of peer ${peerId} (${location})`,
        `  entries checked   ${result.records}${result.records > 0 ? ` (up to seq ${result.lastSeq})` : ''}`,
        `  signed heads      ${result.heads} (${signed})`,
        ...(result.anchor ? [`  starts after      retention anchor at seq ${result.anchor.seq}`] : []),
        ...(result.unsignedTail > 0
          ? [`  not yet signed    ${plural(result.unsignedTail, 'entry', 'entries')} after the newest signed head`]
          : []),
        `  last hash         ${result.lastHash}`,
        '',
      ].join('\n'),
    );
    return ExitCode.ok;
  }
  const b = result.firstBroken;
  io.stdout.write(
    [
      `BROKEN transaction log of peer ${peerId} (${location})`,
      `  first broken link seq ${b.seq}${b.expectedSeq !== undefined && b.expectedSeq !== b.seq ? ` (expected seq ${b.expectedSeq})` : ''}`,
      ...(b.transactionId === undefined ? [] : [`  transaction id    ${b.transactionId}`]),
      `  what differs      ${b.what}: ${b.detail}`,
      `  verified before   ${plural(result.records, 'entry', 'entries')}, ${plural(result.heads, 'signed head', 'signed heads')}`,
      '',
    ].join('\n'),
  );
  return ExitCode.failure;
}

export const logsVerify = defineCommand({
  description:
    'Recompute the hash chain of this peer\'s transaction log and check every signed head with the peer certificate. Prints OK with counts (exit 0) or the first broken link with what differs (exit 1). Only reads the log.',
  options: {
    config: { type: 'string', required: true, valueName: 'FILE', description: 'the peer configuration (JSON)' },
    from: { type: 'string', valueName: 'TIME', description: 'start at the first record created at or after TIME (ISO 8601 or Unix seconds)' },
    to: { type: 'string', valueName: 'TIME', description: 'stop at the last record created at or before TIME' },
    certificate: {
      type: 'string',
      multiple: true,
      valueName: 'FILE',
      description: 'an earlier certificate of this peer; heads it signed verify too',
    },
  },
  examples: ['koppel logs verify --config peer.json', 'koppel logs verify --config peer.json --from 2025-03-01 --to 2025-03-31T23:59:59'],
  async run({ values, io }) {
    const from = timeOption(values.from, 'from');
    const to = timeOption(values.to, 'to');
    if (from !== undefined && to !== undefined && from > to) throw new UsageError('--from is after --to');
    let opened;
    try {
      opened = await openLogFromConfig({
        configPath: values.config,
        env: io.env,
        cwd: io.cwd,
        extraCertificatePaths: values.certificate ?? [],
      });
    } catch (err) {
      if (isConfigError(err)) {
        io.stderr.write(`${values.config}: invalid configuration\n${err.issues.map((i) => `  ${formatIssue(i)}\n`).join('')}`);
        return ExitCode.usage;
      }
      if (err instanceof LogsOpenError) {
        io.stderr.write(`koppel logs verify: ${err.message}\n`);
        return ExitCode.failure;
      }
      throw err;
    }
    const { txlog, peerId, location } = opened;
    try {
      const range = await seqRangeOf(txlog, from, to);
      if (range === undefined) {
        io.stdout.write(`OK transaction log of peer ${peerId} (${location})\n  no records in the given period: nothing to verify\n`);
        return ExitCode.ok;
      }
      return report(io, peerId, location, await txlog.verify(range));
    } finally {
      await txlog.close();
    }
  },
});
