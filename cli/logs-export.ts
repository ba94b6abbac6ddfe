// `koppel logs export`: this peer's transaction-log records of a period as JSON Lines or CSV, streamed
// (records are read page by page and written as they come, so a month of traffic needs no memory), to
// stdout or to a new file. The operator's own export: it includes the purpose metadata (data subjects,
// process id), so the file is personal data and is created with mode 0600.
import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { once } from 'node:events';
import { exportLines, isExportFormat, parseTimeInput, TimeInputError } from '../gateway/txlog/index.ts';
import type { TxLogFilter } from '../gateway/txlog/index.ts';
import { isConfigError, formatIssue } from '../config/index.ts';
import { defineCommand, UsageError } from './command.ts';
import { ExitCode } from './io.ts';
import { LogsOpenError, openLogFromConfig } from './logs-open.ts';

function timeOption(value: string, name: string): number {
  try {
    return parseTimeInput(value);
  } catch (err) {
    if (err instanceof TimeInputError) throw new UsageError(`--${name}: ${err.message}`);
    throw err;
  }
}

/** Something `write` can be called on that may ask us to wait (`false` + `drain`), like a Node stream. */
interface Sink {
  write(chunk: string): unknown;
  once?: (event: 'drain', listener: () => void) => unknown;
}

async function writeTo(sink: Sink, chunk: string): Promise<void> {
  // Respect backpressure, or a slow pipe (`| gzip > file`) would make us buffer the whole export.
  if (sink.write(chunk) === false && typeof sink.once === 'function') {
    await new Promise<void>((resolveDrain) => sink.once?.('drain', resolveDrain));
  }
}

async function openFile(path: string, force: boolean): Promise<WriteStream> {
  const stream = createWriteStream(path, { flags: force ? 'w' : 'wx', mode: 0o600 });
  await once(stream, 'open');
  return stream;
}

export const logsExport = defineCommand({
  description:
    'Write the transaction-log records created in a period (both ends included) as JSON Lines or CSV, to stdout or to a new file. Includes purpose metadata (data subjects, process ids): treat the output as personal data.',
  options: {
    config: { type: 'string', required: true, valueName: 'FILE', description: 'the peer configuration (JSON)' },
    from: { type: 'string', required: true, valueName: 'TIME', description: 'first creation time (ISO 8601 or Unix seconds)' },
    to: { type: 'string', required: true, valueName: 'TIME', description: 'last creation time (ISO 8601 or Unix seconds)' },
    format: { type: 'string', required: true, valueName: 'jsonl|csv', description: 'JSON Lines (one object per record) or CSV (RFC 4180)' },
    subject: { type: 'string', valueName: 'TYPE=VALUE', description: 'only records about this data subject, e.g. bsn=999993653' },
    'process-id': { type: 'string', valueName: 'ID', description: 'only records with this process id' },
    service: { type: 'string', valueName: 'NAME', description: 'only records of this service' },
    out: { type: 'string', valueName: 'FILE', description: 'write to FILE (created with mode 0600) instead of stdout' },
    force: { type: 'boolean', description: 'overwrite FILE when it exists' },
  },
  examples: [
    'koppel logs export --config peer.json --from 2025-03-01 --to 2025-03-31T23:59:59 --format csv --out maart.csv',
    'koppel logs export --config peer.json --from 1740787200 --to 1743465599 --subject bsn=999993653 --format jsonl',
  ],
  async run({ values, io }) {
    const from = timeOption(values.from, 'from');
    const to = timeOption(values.to, 'to');
    if (from > to) throw new UsageError('--from is after --to');
    const format = values.format;
    if (!isExportFormat(format)) throw new UsageError('--format must be jsonl or csv');
    // The txlog's bounds are exclusive; the command's are inclusive.
    const filter: TxLogFilter = { after: from - 1, before: to + 1 };
    if (values.subject !== undefined) {
      if (!/^[^=\s]+=\S/.test(values.subject.trim())) throw new UsageError('--subject must look like TYPE=VALUE, e.g. bsn=999993653');
      filter.dataSubject = values.subject;
    }
    if (values['process-id'] !== undefined) filter.processId = values['process-id'];
    if (values.service !== undefined) filter.serviceNames = [values.service];

    let opened;
    try {
      opened = await openLogFromConfig({ configPath: values.config, env: io.env, cwd: io.cwd });
    } catch (err) {
      if (isConfigError(err)) {
        io.stderr.write(`${values.config}: invalid configuration\n${err.issues.map((i) => `  ${formatIssue(i)}\n`).join('')}`);
        return ExitCode.usage;
      }
      if (err instanceof LogsOpenError) {
        io.stderr.write(`koppel logs export: ${err.message}\n`);
        return ExitCode.failure;
      }
      throw err;
    }
    const { txlog } = opened;
    let file: WriteStream | undefined;
    try {
      if (values.out !== undefined) {
        const path = resolve(io.cwd, values.out);
        try {
          file = await openFile(path, values.force === true);
        } catch (err) {
          const code = (err as { code?: string }).code;
          io.stderr.write(
            `koppel logs export: ${code === 'EEXIST' ? `${values.out} exists (use --force to overwrite)` : `${values.out} cannot be written (${code ?? 'error'})`}\n`,
          );
          return ExitCode.failure;
        }
      }
      const sink: Sink = file ?? io.stdout;
      let count = 0;
      for await (const chunk of exportLines(txlog.stream(filter, { order: 'SORT_ORDER_ASCENDING' }), format)) {
        await writeTo(sink, chunk);
        count++;
      }
      if (file !== undefined) {
        const done = once(file, 'finish');
        file.end();
        await done;
        const records = format === 'csv' ? count - 1 : count;
        io.stderr.write(`${records} record${records === 1 ? '' : 's'} written to ${values.out}\n`);
      }
      return ExitCode.ok;
    } finally {
      if (file !== undefined && !file.closed) file.destroy();
      await txlog.close();
    }
  },
});
