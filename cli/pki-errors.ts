// How PKI failures end a command: invalid input is a usage error (2), anything else a failure (1).
import { isPkiError } from '../certs/index.ts';
import type { CommandMeta } from './command.ts';
import { ExitCode, type CliIo } from './io.ts';

export function reportPkiError(err: unknown, io: CliIo, meta: CommandMeta): number {
  if (!isPkiError(err)) throw err;
  io.stderr.write(`koppel ${meta.name}: ${err.message}\n`);
  return err.code === 'PKI_INVALID_INPUT' ? ExitCode.usage : ExitCode.failure;
}
