import type { Command } from 'commander';
import { listCatalogue } from '../../lab/catalogue.js';
import { printJson, table } from './shared.js';

export function registerLabs(program: Command): void {
  program
    .command('labs')
    .option('--json', 'machine-readable output')
    .description('list the built-in labs (the catalogue) with a one-line description each')
    .action(async (opts: { json?: boolean }) => {
      const entries = await listCatalogue();
      if (opts.json) return printJson(entries);
      process.stdout.write(table([['LAB', 'DESCRIPTION'], ...entries.map((e) => [e.name, e.description])]) + '\n');
      process.stdout.write('\nlvslab up LAB  builds one; lvslab graph LAB  draws it.\n');
    });
}
