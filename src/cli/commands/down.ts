import type { Command } from 'commander';
import { destroyEverywhere, listAllInstances } from '../../runtime/select.js';
import { EXIT, LvslabError } from '../../util/errors.js';
import { printJson, runtimeSettingsOf, withRuntimeFlags } from './shared.js';
import { checkInstanceName } from '../../model/names.js';
import { hostSpecOf } from '../../host/open.js';

export function registerDown(program: Command): void {
  withRuntimeFlags(program.command('down'))
    .argument('[NAME]', 'instance to remove (default: the only one that is up)')
    .option('--all', 'remove every lvslab instance on this host')
    .option('--json', 'print what was removed as JSON')
    .description('remove a lab instance completely: processes, namespaces or containers, interfaces, networks, files (also after a crash)')
    .addHelpText('after', `
Examples:
  lvslab down ospf-ecmp
  lvslab down --all

Idempotent: removing an instance that is not there succeeds and says so.`)
    .action(async (name: string | undefined, opts: { all?: boolean; json?: boolean } & Record<string, unknown>) => {
      const settings = runtimeSettingsOf(opts);
      // `!== undefined`, not truthiness: `down ""` (an unset $NAME) must not mean "the only one".
      if (opts.all && name !== undefined) throw new LvslabError('give NAME or --all, not both', EXIT.invalidInput);
      if (name !== undefined) checkInstanceName(name, 'NAME');
      let targets: string[];
      if (name !== undefined) targets = [name];
      else {
        targets = (await listAllInstances(settings)).map((i) => i.instance);
        if (targets.length > 1 && !opts.all) throw new LvslabError(`several labs are up (${targets.join(', ')}): name one, or use --all`, EXIT.invalidInput);
      }
      const started = Date.now();
      // Whatever the runtime: each removes what it finds under the name (also without a state record).
      const reports = await Promise.all(targets.map((t) => destroyEverywhere(t, settings)));
      const ms = Date.now() - started;
      if (opts.json) {
        printJson({ removed: reports, elapsedMs: ms });
        return;
      }
      if (reports.length === 0 || reports.every((r) => r.removedNodes.length === 0 && r.removedPaths.length === 0)) {
        process.stdout.write(`nothing to remove${name ? `: no trace of ${name} ${hostSpecOf(settings) ? `here or on ${hostSpecOf(settings)}` : 'on this host'}` : ''}\n`);
        return;
      }
      for (const r of reports) {
        process.stdout.write(
          `removed ${r.instance}: ${r.removedNodes.length} nodes, ${r.killedProcesses} processes (${(ms / 1000).toFixed(2)} s)\n`,
        );
      }
    });
}
