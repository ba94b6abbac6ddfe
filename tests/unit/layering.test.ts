// The layering of DESIGN.md "Layout" is enforced by `npm run lint` from layers.json: these cases prove
// that the rule rejects imports that point up or sideways, and accepts the ones the list allows.
import { ESLint } from 'eslint';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

/** The layering messages ESLint gives for `code` as if it were the file at `filePath`. */
async function layeringErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'boundaries/dependencies' || m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('layering (layers.json, enforced by eslint)', () => {
  it('rejects an upward import: gateway/protocol importing the outway', async () => {
    const errors = await layeringErrors(
      'gateway/protocol/ids.ts',
      "import { createOutway } from '../outway/index.ts';\nexport const x = createOutway;\n",
    );
    expect(errors).toEqual([expect.stringContaining('protocol may not import outway')]);
  });

  it('rejects a sideways import between roles: the outway importing the inway', async () => {
    const errors = await layeringErrors(
      'gateway/outway/index.ts',
      "import { createInway } from '../inway/index.ts';\nexport const x = createInway;\n",
    );
    expect(errors).toEqual([expect.stringContaining('outway may not import inway')]);
  });

  it('rejects an import of cli/ from peer/ and of demo/ from bench/', async () => {
    expect(
      await layeringErrors('peer/index.ts', "import { commands } from '../cli/commands.ts';\nexport const x = commands;\n"),
    ).toEqual([expect.stringContaining('peer may not import cli')]);
    expect(
      await layeringErrors('bench/run.ts', "import { persons } from '../demo/persons.ts';\nexport const x = persons;\n"),
    ).toEqual([expect.stringContaining('bench may not import demo')]);
  });

  it('rejects Node I/O in gateway/protocol', async () => {
    const errors = await layeringErrors(
      'gateway/protocol/ids.ts',
      "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
    );
    expect(errors).toEqual([expect.stringContaining('gateway/protocol does no I/O')]);
  });

  it('accepts the imports the list allows: the outway importing protocol and runtime', async () => {
    const errors = await layeringErrors(
      'gateway/outway/index.ts',
      "import { isUuid } from '../protocol/index.ts';\nimport { createLogger } from '../runtime/index.ts';\nexport const x = [isUuid, createLogger];\n",
    );
    expect(errors).toEqual([]);
  });

  it('names every top-level source folder in layers.json', () => {
    const { layers } = JSON.parse(readFileSync(join(root, 'layers.json'), 'utf8')) as { layers: Record<string, { path: string }> };
    const paths = new Set(Object.values(layers).map((l) => l.path));
    for (const folder of ['config', 'certs', 'directory', 'peer', 'cli', 'demo', 'bench']) expect(paths).toContain(folder);
    for (const room of ['protocol', 'hop', 'outway', 'inway', 'manager', 'admin', 'console', 'txlog', 'store', 'redis', 'runtime'])
      expect(paths).toContain(`gateway/${room}`);
  });
});
