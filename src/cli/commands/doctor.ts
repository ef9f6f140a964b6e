import type { Command } from 'commander';
import { allHostChecks } from '../../host/requirements.js';
import { runtimeKinds } from '../../runtime/registry.js';
import { EXIT } from '../../util/errors.js';
import { printJson } from './shared.js';
import { HOST_SETTING, labHostOf } from '../../host/open.js';
import { HOST_FLAG_SYNTAX, hostFlagHelp } from '../../runtime/registry.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .option('--json', 'machine-readable output')
    .option(HOST_FLAG_SYNTAX, `check that lab host instead of this machine: ${hostFlagHelp()}`)
    .description(`check this host (or --host): root, iproute2, kernel IPVS, and what each runtime (${runtimeKinds().join(', ')}) needs of it — each with the exact fix`)
    .addHelpText('after', `
Exit 0 when everything required is there (optional parts such as IPVS and Docker only
limit what can run), 3 otherwise.`)
    .action(async (opts: { json?: boolean; host?: string }) => {
      const host = await labHostOf(opts.host === undefined ? {} : { [HOST_SETTING]: opts.host });
      const checks = await allHostChecks(host);
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
