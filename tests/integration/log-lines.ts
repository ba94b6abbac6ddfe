// A real Koppel logger (createLogger, redaction included) at debug level whose lines are kept, parsed,
// in memory: for tests that check what a component logs.
import { createLogger, type Logger } from '../../gateway/runtime/index.ts';

export function memoryLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    name: 'test',
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  return { logger, lines };
}
