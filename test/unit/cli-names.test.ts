// An empty or invalid instance name on the command line is an input error (exit 2) with
// what is accepted, never "the only instance" or "all": `lvslab down "$NAME"` with NAME
// unset must not remove someone else's lab. Runs the real command handlers; each refuses
// before looking at the host.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerDown } from '../../src/cli/commands/down.js';
import { registerExec } from '../../src/cli/commands/exec.js';
import { registerRun } from '../../src/cli/commands/run.js';
import { registerStatus } from '../../src/cli/commands/status.js';
import { registerUp } from '../../src/cli/commands/up.js';
import { registerExport } from '../../src/cli/commands/export.js';
import { EXIT, LvslabError } from '../../src/util/errors.js';

async function failure(...args: string[]): Promise<LvslabError> {
  const program = new Command('lvslab').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  for (const register of [registerDown, registerExec, registerRun, registerStatus, registerUp, registerExport]) register(program);
  try {
    await program.parseAsync(['node', 'lvslab', ...args]);
  } catch (err) {
    expect(err).toBeInstanceOf(LvslabError);
    return err as LvslabError;
  }
  throw new Error(`lvslab ${args.join(' ')} succeeded`);
}

describe('instance names on the command line', () => {
  it.each([
    [['down', ''], 'NAME ""'],
    [['status', ''], 'NAME ""'],
    [['inspect', ''], 'NAME ""'],
    [['exec', '--name', '', 'client1', '--', 'true'], '--name ""'],
    [['up', 'ospf-ecmp', '--name', ''], '--name ""'],
    [['run', 'failover-test', '--name', ''], '--name ""'],
    [['export', 'ospf-ecmp', '--format', 'containerlab', '--out', '/nonexistent/x', '--name', ''], '--name ""'],
  ])('lvslab %j is an input error', async (args, label) => {
    const err = await failure(...args);
    expect(err.exitCode).toBe(EXIT.invalidInput);
    expect(err.message).toBe(`${label}: the name is empty (accepted: a lowercase letter or digit, then up to 23 lowercase letters, digits or "-")`);
  });

  it('an invalid --name says what is accepted', async () => {
    const err = await failure('up', 'ospf-ecmp', '--name', 'Alice');
    expect(err.message).toMatch(/^--name "Alice": 'Alice' is not a valid name \(accepted: a lowercase letter/);
    expect((await failure('down', '', '--all')).message).toBe('give NAME or --all, not both');
  });
});
