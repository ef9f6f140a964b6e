import type { Command } from 'commander';
import { Option } from 'commander';
import { loadLabFile } from '../../model/load.js';
import { renderDot, renderMermaid } from '../../render/graph.js';
import { resolveLabArgument } from '../../lab/catalogue.js';

export function registerGraph(program: Command): void {
  program
    .command('graph')
    .argument('<LAB>', 'catalogue name or lab file')
    .addOption(new Option('--format <FORMAT>', 'output format').choices(['mermaid', 'dot']).default('mermaid'))
    .description('draw a lab\'s topology as Mermaid (paste into Markdown) or Graphviz DOT')
    .addHelpText('after', `
Examples:
  lvslab graph ospf-ecmp > topo.mmd
  lvslab graph lvs-dr --format dot | dot -Tsvg > lvs-dr.svg`)
    .action(async (labArg: string, opts: { format: 'mermaid' | 'dot' }) => {
      const lab = await loadLabFile(await resolveLabArgument(labArg));
      process.stdout.write(opts.format === 'dot' ? renderDot(lab) : renderMermaid(lab));
    });
}
