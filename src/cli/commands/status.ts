import type { Command } from 'commander';
import { checkReadiness } from '../../lab/readiness.js';
import { loadState } from '../../runtime/instance-record.js';
import { describeInstance, formatSummary } from '../summary.js';
import { pickInstance, pickInstanceOrStudent, printJson, requireState, withStudentFlags } from './shared.js';
import { listAllInstances, runtimeOfRecord } from '../../runtime/select.js';

export function registerStatus(program: Command): void {
  withStudentFlags(program.command('status'))
    .argument('[NAME]', 'one instance (default: every instance that is up)')
    .option('--json', 'machine-readable output')
    .description('show each lab instance: nodes, dataplane, the routers\' VIP routes (or who holds a VRRP VIP), which directors announce a guarded VIP now, and live health checks')
    .addHelpText('after', `
Examples:
  lvslab status
  lvslab status ospf-ecmp --json | jq '.[0].vipRoutes'
  lvslab status --student alice                (a workshop student's lab)
  lvslab status keepalived-vrrp --json | jq '.[0].vrrpVips'`)
    .action(async (name: string | undefined, opts: { json?: boolean; student?: string; class?: string }) => {
      const names =
        opts.student !== undefined || opts.class !== undefined
          ? [await pickInstanceOrStudent({ ...(name !== undefined ? { name } : {}), ...opts }, 'NAME')]
          : name !== undefined
            ? [await pickInstance(name)]
            : (await listAllInstances()).map((i) => i.instance);
      const out = [];
      for (const inst of names) {
        const state = await loadState(inst);
        if (!state) {
          out.push({ instance: inst, phase: 'unknown (no state record: a crashed up? lvslab down ' + inst + ')' });
          continue;
        }
        const runtime = await runtimeOfRecord(state);
        const readiness = await checkReadiness(runtime, state.lab, state.dataplane);
        out.push(await describeInstance(runtime, state, readiness));
      }
      if (opts.json) return printJson(out);
      if (out.length === 0) return void process.stdout.write('no lab is up (lvslab labs, then lvslab up LAB)\n');
      process.stdout.write(
        out.map((d) => ('nodes' in d ? formatSummary(d) : `${d.instance}: ${d.phase}`)).join('\n\n' + '-'.repeat(60) + '\n\n') + '\n',
      );
    });

  program
    .command('inspect')
    .argument('[NAME]', 'instance (default: the only one that is up)')
    .option('--json', 'machine-readable output')
    .description('everything about one instance: interfaces, MACs, processes, routes and every readiness check')
    .action(async (name: string | undefined, opts: { json?: boolean }) => {
      const inst = await pickInstance(name);
      const state = await requireState(inst);
      const runtime = await runtimeOfRecord(state);
      const readiness = await checkReadiness(runtime, state.lab, state.dataplane);
      const d = await describeInstance(runtime, state, readiness, { processes: true });
      if (opts.json) printJson(d);
      else process.stdout.write(formatSummary(d, { detail: true }) + '\n');
    });
}
