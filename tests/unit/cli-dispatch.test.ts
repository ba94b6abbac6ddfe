// The `koppel` dispatcher in-process: help, exit codes and messages for wrong usage.
import { describe, expect, it } from 'vitest';
import { commands } from '../../cli/commands.ts';
import { runCli } from '../../cli/dispatch.ts';
import type { CliIo } from '../../cli/io.ts';

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    readFile: () => Promise.reject(new Error('no files in this test')),
    env: {},
    cwd: '/nonexistent',
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

describe('koppel dispatcher', () => {
  it('without arguments prints the overview on stderr and exits 2', async () => {
    const res = await cli();
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('Usage: koppel <command> [options]');
  });

  it('--help lists every command of the table and exits 0', async () => {
    const res = await cli('--help');
    expect(res.code).toBe(0);
    for (const c of commands) expect(res.stdout).toContain(`  ${c.name}`);
    expect(res.stdout).toContain('Exit codes: 0 ok, 1 failure, 2 usage error or invalid input.');
  });

  it('--version prints the package version', async () => {
    expect(await cli('--version')).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^koppel \d+\.\d+\.\d+\n$/) as unknown,
    });
  });

  it.each(commands.map((c) => c.name))('koppel %s --help exits 0 with its usage', async (name) => {
    const res = await cli(...name.split(' '), '--help');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`usage: koppel ${name}`, 'i'));
  });

  it('help COMMAND is COMMAND --help', async () => {
    expect(await cli('help', 'pki', 'issue')).toEqual(await cli('pki', 'issue', '--help'));
  });

  it('an unknown command exits 2 with a suggestion', async () => {
    const res = await cli('conifg', 'check');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('unknown command "conifg" (did you mean "config"?)');
    const sub = await cli('pki', 'isue');
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain('unknown command "pki isue" (did you mean "pki issue"?)');
  });

  it('a group without a subcommand lists its commands (exit 2; with --help exit 0)', async () => {
    const bare = await cli('pki');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Usage: koppel pki <command>');
    expect(bare.stderr).toContain('pki init');
    expect(bare.stderr).toContain('pki issue');
    expect((await cli('pki', '--help')).code).toBe(0);
  });

  it('unknown options, missing values and missing required options exit 2 and point to --help', async () => {
    const unknown = await cli('pki', 'init', '--group', 'g', '--dir', 'd', '--bogus');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^koppel pki init: Unknown option '--bogus'/);
    expect(unknown.stderr).toContain('Run `koppel pki init --help` for usage.');
    const required = await cli('pki', 'init', '--group', 'g');
    expect(required).toMatchObject({ code: 2, stderr: expect.stringContaining('--dir is required') as unknown });
    const extra = await cli('config', 'docs', 'surplus');
    expect(extra).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unexpected argument "surplus"') as unknown,
    });
  });

  it('config docs prints the generated reference', async () => {
    const res = await cli('config', 'docs');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^# Configuration reference\n/);
  });
});
