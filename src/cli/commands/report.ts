import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { isRepeatResults } from '../../report/kinds.js';
import { loadResults, writeCompareReports, writeReports } from '../../report/write.js';
import { EXIT, LvslabError } from '../../util/errors.js';
import { printJson } from './shared.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .argument('<DIR...>', 'a run directory (it holds results.json); two with --compare')
    .option('--compare', 'put two runs side by side (compare.md, compare.html)')
    .option('--out <DIR>', 'where --compare writes (default: the first run directory)')
    .option('--json', 'print the paths written as JSON')
    .description("re-render a run's reports (report.md, report.html, junit.xml) from its results.json, or compare two runs")
    .addHelpText('after', `
Examples:
  lvslab report results/failover-test-2026-11-21T111500
  lvslab report --compare results/hello1-dead4 results/hello10-dead40 --out /tmp/cmp`)
    .action(async (dirs: string[], opts: { compare?: boolean; out?: string; json?: boolean }) => {
      if (opts.compare) {
        if (dirs.length !== 2) throw new LvslabError(`--compare takes exactly two run directories, got ${dirs.length}`, EXIT.invalidInput);
        const [a, b] = await Promise.all(dirs.map((d) => loadResults(d)));
        if (isRepeatResults(a!) || isRepeatResults(b!)) {
          throw new LvslabError('--compare takes single runs (for a --repeat directory, pass one of its run-N directories)', EXIT.invalidInput);
        }
        const out = opts.out ?? dirs[0]!;
        await mkdir(out, { recursive: true });
        const written = await writeCompareReports(out, a!, b!);
        if (opts.json) printJson(written);
        else process.stdout.write(`wrote ${written.markdown} and ${written.html}\n`);
        return;
      }
      if (dirs.length !== 1) throw new LvslabError(`give one run directory (or --compare with two), got ${dirs.length}`, EXIT.invalidInput);
      const results = await loadResults(dirs[0]!);
      const written = await writeReports(dirs[0]!, results);
      if (opts.json) printJson(written);
      else process.stdout.write(`wrote ${written.markdown}, ${written.html} and ${written.junit}\n`);
    });
}
