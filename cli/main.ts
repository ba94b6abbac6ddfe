// Entry point of the `koppel` command (bin/koppel.js imports this file): binds the dispatcher to the
// real process. The exit code is set, not forced, so pending output is flushed before exit.
import { runCli } from './dispatch.ts';
import { processIo } from './io.ts';

process.exitCode = await runCli(process.argv.slice(2), processIo());
