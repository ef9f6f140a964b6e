import type { Command } from 'commander';
import { down, downAll } from '../../lab/down.js';
import { EXIT, LvslabError } from '../../util/errors.js';
import { netnsRuntime, printJson } from './shared.js';
import { instanceNameProblem } from '../../model/names.js';

export function registerDown(program: Command): void {
  program
    .command('down')
    .argument('[NAME]', 'instance to remove (default: the only one that is up)')
    .option('--all', 'remove every lvslab instance on this host')
    .option('--json', 'print what was removed as JSON')
    .description('remove a lab instance completely: processes, namespaces, interfaces, files (also after a crash)')
    .addHelpText('after', `
Examples:
  lvslab down ospf-ecmp
  lvslab down --all

Idempotent: removing an instance that is not there succeeds and says so.`)
    .action(async (name: string | undefined, opts: { all?: boolean; json?: boolean }) => {
      const runtime = netnsRuntime();
      if (opts.all && name) throw new LvslabError('give NAME or --all, not both', EXIT.invalidInput);
      if (name) {
        const bad = instanceNameProblem(name);
        if (bad) throw new LvslabError(`NAME ${JSON.stringify(name)}: ${bad}`, EXIT.invalidInput);
      }
      let targets: string[];
      if (opts.all) targets = await runtime.listInstances();
      else if (name) targets = [name];
      else {
        targets = await runtime.listInstances();
        if (targets.length > 1) throw new LvslabError(`several labs are up (${targets.join(', ')}): name one, or use --all`, EXIT.invalidInput);
      }
      const started = Date.now();
      const reports = opts.all ? await downAll(runtime) : await Promise.all(targets.map((t) => down(runtime, t)));
      const ms = Date.now() - started;
      if (opts.json) {
        printJson({ removed: reports, elapsedMs: ms });
        return;
      }
      if (reports.length === 0 || reports.every((r) => r.removedNodes.length === 0 && r.removedPaths.length === 0)) {
        process.stdout.write(`nothing to remove${name ? `: no trace of ${name} on this host` : ''}\n`);
        return;
      }
      for (const r of reports) {
        process.stdout.write(
          `removed ${r.instance}: ${r.removedNodes.length} namespaces, ${r.killedProcesses} processes (${(ms / 1000).toFixed(2)} s)\n`,
        );
      }
    });
}
