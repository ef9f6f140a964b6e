// Small pieces several commands share.
import { Option, type Command } from 'commander';
import { registeredRuntimes, runtimeFlags, runtimeKinds } from '../../runtime/registry.js';
import type { RuntimeSettings } from '../../runtime/runtime.js';
import { listAllInstances } from '../../runtime/select.js';
import { EXIT, LvslabError } from '../../util/errors.js';
import { loadState, type InstanceState } from '../../runtime/instance-record.js';
import { checkInstanceName } from '../../model/names.js';
import { pickClass, studentOf } from '../../workshop/class-record.js';
import { checkStudentName } from '../../workshop/names.js';

/** `--runtime`, the same words everywhere: every registered runtime with its help, and only those accepted. */
export function runtimeOption(description: string): Option {
  const kinds = registeredRuntimes().map((r) => `${r.kind} = ${r.help}`).join(', ');
  return new Option('--runtime <KIND>', `${description}: ${kinds}`).choices(runtimeKinds());
}

/** Adds every runtime's own flags (`--gns3-url`, ...) to a command that may create, find or remove a lab. */
export function withRuntimeFlags(command: Command): Command {
  for (const f of runtimeFlags()) command.option(f.flags, f.description);
  return command;
}

/** The runtime flags a command was given, as settings (what the user did not give is absent). */
export function runtimeSettingsOf(opts: Record<string, unknown>): RuntimeSettings {
  const out: Record<string, string> = {};
  for (const f of runtimeFlags()) {
    const v = opts[f.key];
    if (typeof v === 'string') out[f.key] = v;
  }
  return out;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/**
 * The instance a command means: the one named, or the only one running. Several running
 * and none named is an input error listing them.
 */
export async function pickInstance(named: string | undefined, label = 'NAME'): Promise<string> {
  // An empty name is a mistake (an unset variable), not "the only one".
  if (named !== undefined) checkInstanceName(named, label);
  const all = (await listAllInstances()).map((i) => i.instance);
  if (named !== undefined) {
    if (!all.includes(named)) {
      throw new LvslabError(`no lab instance named '${named}' is up${all.length ? ` (up: ${all.join(', ')})` : ''}`, EXIT.notFound);
    }
    return named;
  }
  if (all.length === 1) return all[0]!;
  if (all.length === 0) throw new LvslabError('no lab is up', EXIT.notFound, 'lvslab up ospf-ecmp');
  throw new LvslabError(`several labs are up (${all.join(', ')}): say which with --name`, EXIT.invalidInput);
}

export async function requireState(instance: string): Promise<InstanceState> {
  const state = await loadState(instance);
  if (!state) {
    throw new LvslabError(
      `instance '${instance}' has no state record (a crashed up?)`,
      EXIT.notFound,
      `lvslab down ${instance}   removes whatever is left of it`,
    );
  }
  return state;
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** `--student NAME [--class CLASS]` for commands that take an instance: a student's own lab (`workshop up`). */
export function withStudentFlags(command: Command): Command {
  return command
    .option('--student <NAME>', "a workshop student's own lab (lvslab workshop up), instead of --name")
    .option('--class <CLASS>', 'the workshop class of --student (default: the only one)');
}

/** The instance a command means, by --name or by --student (and --class); both at once is an input error. */
export async function pickInstanceOrStudent(opts: { name?: string; student?: string; class?: string }, label = '--name'): Promise<string> {
  if (opts.student === undefined) {
    if (opts.class !== undefined) throw new LvslabError('--class goes with --student', EXIT.invalidInput);
    return pickInstance(opts.name, label);
  }
  if (opts.name !== undefined) throw new LvslabError(`give ${label} or --student, not both`, EXIT.invalidInput);
  checkStudentName(opts.student, '--student');
  const record = await pickClass(opts.class);
  return pickInstance(studentOf(record, opts.student).instance, '--student');
}
