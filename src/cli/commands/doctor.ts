import type { Command } from 'commander';
import { allHostChecks } from '../../host/requirements.js';
import { runtimeKinds } from '../../runtime/registry.js';
import { EXIT } from '../../util/errors.js';
import { printJson } from './shared.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .option('--json', 'machine-readable output')
    .description(`check this host: root, iproute2, kernel IPVS, and what each runtime (${runtimeKinds().join(', ')}) needs of it — each with the exact fix`)
    .addHelpText('after', `
Exit 0 when everything required is there (optional parts such as IPVS and Docker only
limit what can run), 3 otherwise.`)
    .action(async (opts: { json?: boolean }) => {
      const checks = await allHostChecks();
      const failed = checks.filter((c) => !c.ok && !c.optional);
      if (opts.json) printJson({ ok: failed.length === 0, checks });
      else {
        const width = Math.max(...checks.map((c) => c.id.length));
        for (const c of checks) {
          const mark = c.ok ? 'ok  ' : c.optional ? 'note' : 'MISS';
          process.stdout.write(`${mark}  ${c.id.padEnd(width)} ${c.detail}\n`);
          if (!c.ok && c.fix) process.stdout.write(`      ${''.padEnd(width)} fix: ${c.fix}\n`);
        }
        process.stdout.write(failed.length === 0 ? '\nthis host can run lvslab labs\n' : `\n${failed.length} required part(s) missing\n`);
      }
      if (failed.length > 0) process.exitCode = EXIT.hostNotReady;
    });
}
