import type { Command } from 'commander';
import { allHostChecks } from '../../host/requirements.js';
import { runtimeKinds } from '../../runtime/registry.js';
import { EXIT } from '../../util/errors.js';
import { printJson, runtimeSettingsOf, withRuntimeFlags } from './shared.js';
import { labHostOf } from '../../host/open.js';

export function registerDoctor(program: Command): void {
  withRuntimeFlags(program.command('doctor'))
    .option('--json', 'machine-readable output')
    .description(`check this host (or --host): root, iproute2, kernel IPVS, and what each runtime (${runtimeKinds().join(', ')}) needs of it — each with the exact fix`)
    .addHelpText('after', `
--host checks that lab host instead of this machine. The GNS3 flags name the server, the
computes (--gns3-compute, --gns3-placement) and their engines' hosts (--gns3-compute-host)
whose engines and node image the gns3 check looks at, as up would use them.

Exit 0 when everything required is there (optional parts such as IPVS and Docker only
limit what can run), 3 otherwise.`)
    .action(async (opts: { json?: boolean } & Record<string, unknown>) => {
      const settings = runtimeSettingsOf(opts);
      const host = await labHostOf(settings);
      const checks = await allHostChecks(host, settings);
      const failed = checks.filter((c) => !c.ok && !c.optional);
      if (opts.json) printJson({ ok: failed.length === 0, checks });
      else {
        const width = Math.max(...checks.map((c) => c.id.length));
        for (const c of checks) {
          const mark = c.ok ? 'ok  ' : c.optional ? 'note' : 'MISS';
          process.stdout.write(`${mark}  ${c.id.padEnd(width)} ${c.detail}\n`);
          if (!c.ok && c.fix) process.stdout.write(`      ${''.padEnd(width)} fix: ${c.fix}\n`);
        }
        const which = host.remote ? host.label : 'this host';
        process.stdout.write(failed.length === 0 ? `\n${which} can run lvslab labs\n` : `\n${failed.length} required part(s) missing on ${which}\n`);
      }
      if (failed.length > 0) process.exitCode = EXIT.hostNotReady;
    });
}
