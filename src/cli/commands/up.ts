import type { Command } from 'commander';
import { Option } from 'commander';
import { DATAPLANES, type DataplaneChoice } from '../../model/types.js';
import { resolveLabArgument } from '../../lab/catalogue.js';
import { loadLabForUp, probeHost, up } from '../../lab/up.js';
import { describeInstance, formatSummary } from '../summary.js';
import { progressReporter } from '../progress.js';
import { printJson, runtimeOption, runtimeSettingsOf, withRuntimeFlags } from './shared.js';
import { runtimeOfKind } from '../../runtime/select.js';
import { defaultRuntimeKind } from '../../runtime/registry.js';
import type { RuntimeKind } from '../../runtime/runtime.js';
import { EXIT, LvslabError } from '../../util/errors.js';
import { checkInstanceName } from '../../model/names.js';

export function registerUp(program: Command): void {
  withRuntimeFlags(program.command('up'))
    .argument('<LAB>', 'catalogue name (lvslab labs) or path to a lab file')
    .description('build a lab, start every daemon, and wait until it is ready (OSPF Full, ECMP route, real servers healthy, clients answered)')
    .option('--name <NAME>', 'instance name (default: the lab name); run several copies side by side with different names')
    .addOption(new Option('--dataplane <KIND>', 'director dataplane: auto = kernel IPVS when available, else the nftables fallback').choices([...DATAPLANES]))
    .addOption(runtimeOption('where the nodes run').default(defaultRuntimeKind()))
    .option('--timeout <SECONDS>', 'how long to wait for readiness before diagnosing and rolling back', '60')
    .option('--keep-on-failure', 'leave a lab that did not become ready in place for debugging (then: lvslab down)')
    .option('--json', 'print the result as JSON on stdout (progress goes to stderr)')
    .addHelpText(
      'after',
      `
Examples:
  lvslab up ospf-ecmp                       seed 001: two directors, ECMP on the router
  lvslab up ospf-ecmp --name alice          a second copy beside the first
  lvslab up ./my-lab.yaml --timeout 120
  lvslab up lvs-dr --dataplane nftables     force the fallback even where IPVS exists
  lvslab up ospf-ecmp --runtime docker      the same lab, one container per node
                                            (first: lvslab images build)
  lvslab up ospf-ecmp --runtime gns3 --gns3-url http://127.0.0.1:3080
                                            as a project on your GNS3 server
                                            (credentials: LVSLAB_GNS3_USER/PASSWORD)
  lvslab up ospf-ecmp --runtime gns3 --gns3-placement director=vm2 \\
      --gns3-compute-host vm2=root@192.0.2.11
                                            the directors on the server's compute vm2,
                                            its containers reached over SSH

A failure or Ctrl-C half-way rolls everything back. Exit 4 = not ready in time (a
diagnosis names what was missing).`,
    )
    .action(async (labArg: string, opts: { name?: string; dataplane?: DataplaneChoice; runtime: RuntimeKind; timeout: string; keepOnFailure?: boolean; json?: boolean } & Record<string, unknown>) => {
      const timeoutS = Number(opts.timeout);
      if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new LvslabError(`--timeout ${opts.timeout}: expected a positive number of seconds`, EXIT.invalidInput);
      if (opts.name !== undefined) checkInstanceName(opts.name, '--name');
      const runtime = await runtimeOfKind(opts.runtime, runtimeSettingsOf(opts));
      const labFile = await resolveLabArgument(labArg);
      const startedAt = Date.now();
      const events = progressReporter({ json: Boolean(opts.json) });
      const host = probeHost(runtime.kind, runtime.host);
      const lab = await loadLabForUp(labFile, opts.name, events);
      const { session, readiness } = await up(
        runtime,
        { lab, dataplane: opts.dataplane, host, startedAt, timeoutMs: timeoutS * 1000, keepOnFailure: opts.keepOnFailure },
        events,
      );
      const description = await describeInstance(session.runtime, session.record, readiness);
      if (opts.json) printJson(description);
      else process.stdout.write(formatSummary(description) + '\n');
    });
}
