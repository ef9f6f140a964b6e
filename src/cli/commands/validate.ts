import type { Command } from 'commander';
import { loadLabFileWithWarnings } from '../../model/load.js';
import { formatProblem, LabValidationError } from '../../model/problems.js';
import { resolveLabArgument } from '../../lab/catalogue.js';
import { EXIT } from '../../util/errors.js';
import { printJson } from './shared.js';

/** How many problems `validate --json` lists; `omitted` counts the rest. */
const MAX_JSON_PROBLEMS = 1000;

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .argument('<FILE>', 'lab file (or catalogue name)')
    .option('--json', 'print the problems as JSON')
    .description('check a lab file and report every problem at once (file:line:column, field, what is wrong, what is accepted); touches nothing')
    .addHelpText('after', `
Examples:
  lvslab validate labs/ospf-ecmp.yaml
  lvslab validate my-lab.yaml --json

Exit 0 when valid (warnings allowed), 2 when there are errors.`)
    .action(async (fileArg: string, opts: { json?: boolean }) => {
      const file = await resolveLabArgument(fileArg);
      try {
        const { lab, warnings } = await loadLabFileWithWarnings(file);
        if (opts.json) return printJson({ valid: true, lab: lab.name, problems: warnings });
        for (const w of warnings) process.stderr.write(formatProblem(w) + '\n');
        process.stdout.write(`${fileArg}: valid lab '${lab.name}' (${lab.nodes.length} nodes, ${lab.services.length} services${warnings.length ? `, ${warnings.length} warnings` : ''})\n`);
      } catch (err) {
        if (!(err instanceof LabValidationError)) throw err;
        if (opts.json) {
          // Capped like the text output (at a larger count): 400,000 problems would be 80 MB of JSON.
          const problems = err.problems.slice(0, MAX_JSON_PROBLEMS);
          printJson({ valid: false, problemCount: err.problems.length, ...(problems.length < err.problems.length ? { omitted: err.problems.length - problems.length } : {}), problems });
          process.exitCode = EXIT.invalidInput;
          return;
        }
        throw err;
      }
    });
}
