import type { Command } from 'commander';
import { Option } from 'commander';
import { DATAPLANES, type DataplaneChoice } from '../../model/types.js';
import { listExperiments, resolveExperimentArgument } from '../../lab/catalogue.js';
import { runExperiment } from '../../experiment/run.js';
import { EXIT, LvslabError } from '../../util/errors.js';
import { checkInstanceName } from '../../model/names.js';
import { progressReporter } from '../progress.js';
import { formatRunSummary } from '../run-summary.js';
import { printJson, runtimeOption, runtimeSettingsOf, table, withRuntimeFlags } from './shared.js';
import type { RuntimeKind } from '../../runtime/runtime.js';
import { defaultRuntimeKind } from '../../runtime/registry.js';

export function registerRun(program: Command): void {
  withRuntimeFlags(program.command('run'))
    .argument('<EXPERIMENT>', 'experiment name (lvslab experiments) or path to an experiment file')
    .description('run a scripted experiment (traffic + failures) on a lab, measure it, and write its reports')
    .option('--lab <LAB>', "lab to run on (default: the experiment's lab:)")
    .option('--name <NAME>', 'lab instance name (default: the lab name); an instance that is up is reused')
    .option('--repeat <K>', 'run it K times and report median, p95, min and max of every figure', '1')
    .option('--out <DIR>', 'where to write results (default: results/<experiment>-<timestamp>)')
    .option('--keep', 'leave a lab that this command brought up running afterwards')
    .option('--capture', "keep a pcap of every link for the whole run in the run directory's captures/ (GNS3: its own link capture; other runtimes: tcpdump in the nodes)")
    .addOption(new Option('--dataplane <KIND>', 'director dataplane when the lab is brought up').choices([...DATAPLANES]))
    .addOption(runtimeOption(`runtime for a lab this command brings up (default ${defaultRuntimeKind()}; a lab that is up keeps its own)`))
    .option('--json', 'print the results summary as JSON on stdout (progress goes to stderr)')
    .addHelpText(
      'after',
      `
Examples:
  lvslab run failover-test                     silent uplink failure on ospf-ecmp, 40 s
  lvslab run distribution --out /tmp/dist      10,000 requests, hits per server and director
  lvslab run failover-test --repeat 5          median/p95 of the outage over 5 runs
  lvslab run ./my-experiment.yaml --lab lvs-dr --keep
  lvslab run failover-test --runtime docker    the same experiment, nodes in containers
  lvslab run failover-test --runtime gns3      on your GNS3 server: the failure is GNS3's link suspend
  lvslab run link-cut --capture                and captures/<node>-<interface>.pcap of every link

Writes results.json, report.md, report.html and junit.xml in the output directory
(with --capture also captures/: one pcap per segment member and per point-to-point link,
listed in the reports; with --repeat K each run-N/ has its own).
Exit 0 when every expect: assertion held, 1 when one failed, 2 for invalid input.`,
    )
    .action(async (expArg: string, opts: { lab?: string; name?: string; repeat: string; out?: string; keep?: boolean; capture?: boolean; dataplane?: DataplaneChoice; runtime?: RuntimeKind; json?: boolean } & Record<string, unknown>) => {
      const repeat = Number(opts.repeat);
      if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) throw new LvslabError(`--repeat ${opts.repeat}: expected a whole number from 1 to 100`, EXIT.invalidInput);
      if (opts.name !== undefined) checkInstanceName(opts.name, '--name');
      const experimentFile = await resolveExperimentArgument(expArg);
      const reporter = progressReporter({ json: Boolean(opts.json) });
      const stamp = (t: number, start: number) => `+${((t - start) / 1000).toFixed(1).padStart(5)}s`;
      let runStartedAt = Date.now();
      const result = await runExperiment(
        { experimentFile, lab: opts.lab, instance: opts.name, repeat, outDir: opts.out, keep: Boolean(opts.keep), capture: Boolean(opts.capture), dataplane: opts.dataplane, runtime: opts.runtime, runtimeSettings: runtimeSettingsOf(opts), upTimeoutMs: 60_000 },
        {
          ...reporter,
          runStart: (k, of) => {
            runStartedAt = Date.now();
            process.stderr.write(`\nrun ${k}/${of}\n`);
          },
          progress: (e) => {
            if (e.kind === 'traffic-start') runStartedAt = e.t;
            process.stderr.write(`  ${stamp(e.t, runStartedAt)} ${e.text}\n`);
          },
          runDone: (k, r, dir) => {
            const failed = r.assertions.filter((a) => !a.passed).length;
            process.stderr.write(`  run ${k}: ${r.assertions.length - failed}/${r.assertions.length} assertions held, written to ${dir}\n`);
          },
        },
      );
      if (opts.json) printJson({ dir: result.dir, passed: result.passed, runs: result.runs.map((r) => ({ run: r.run, figures: r.figures, assertions: r.assertions, ...(r.captures ? { captures: r.captures } : {}) })), aggregate: result.repeat?.aggregate });
      else process.stdout.write(formatRunSummary(result) + '\n');
      if (!result.passed) process.exitCode = EXIT.failure;
    });

  program
    .command('experiments')
    .option('--json', 'machine-readable output')
    .description('list the built-in experiments with a one-line description each')
    .action(async (opts: { json?: boolean }) => {
      const entries = await listExperiments();
      if (opts.json) return printJson(entries);
      process.stdout.write(table([['EXPERIMENT', 'DESCRIPTION'], ...entries.map((e) => [e.name, e.description])]) + '\n');
      process.stdout.write('\nlvslab run EXPERIMENT  runs one (on its lab, or --lab LAB).\n');
    });
}
