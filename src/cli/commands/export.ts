import type { Command } from 'commander';
import { Option } from 'commander';
import { resolve as resolvePath, relative } from 'node:path';
import { resolveLabArgument } from '../../lab/catalogue.js';
import { loadLabFile } from '../../model/load.js';
import type { Dataplane } from '../../model/types.js';
import { BRIDGE_MODES, type BridgeMode } from '../../export/clab-names.js';
import { renderContainerlabExport } from '../../export/containerlab.js';
import { NODE_IMAGE_DEFAULT_TAG, isValidImageTag } from '../../images/node-image.js';
import { writeExport } from '../../export/write.js';
import { EXPORTED_LVSLAB_DIR, readLvslabProgramFiles } from '../../export/lvslab-programs.js';
import { EXIT, LvslabError } from '../../util/errors.js';
import { checkInstanceName } from '../../model/names.js';
import { printJson } from './shared.js';

export const EXPORT_FORMATS = ['containerlab'] as const;
const EXPORT_DATAPLANES: Dataplane[] = ['ipvs', 'nftables'];

interface ExportOptions {
  format: (typeof EXPORT_FORMATS)[number];
  out: string;
  dataplane: Dataplane;
  bridges: BridgeMode;
  name?: string;
  imageTag: string;
  force?: boolean;
  json?: boolean;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .argument('<LAB>', 'catalogue name (lvslab labs) or path to a lab file')
    .description('write a lab as a topology for another tool (containerlab), with every node\'s rendered configs')
    .addOption(new Option('--format <FORMAT>', 'what to write').choices([...EXPORT_FORMATS]).makeOptionMandatory())
    .requiredOption('--out <DIR>', 'directory to write into (created if missing; must be empty unless --force)')
    .addOption(new Option('--dataplane <KIND>', 'director dataplane: ipvs = keepalived + kernel IPVS, nftables = lvslab\'s fallback').choices(EXPORT_DATAPLANES).default('ipvs'))
    .addOption(new Option('--bridges <WHERE>', 'where segment bridges live: host = Linux bridges you create first, fabric = inside a lab container (containerlab >= 0.69)').choices([...BRIDGE_MODES]).default('host'))
    .option('--name <NAME>', 'instance name, used as the containerlab topology name (default: the lab name)')
    .option('--image-tag <TAG>', 'tag of the lvslab/node image the nodes run', NODE_IMAGE_DEFAULT_TAG)
    .option('--force', 'write into a non-empty directory, replacing the files of an earlier export there')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      `
Examples:
  lvslab export ospf-ecmp --format containerlab --out clab/ospf-ecmp
  lvslab export lvs-dr --format containerlab --out /tmp/lvs-dr --dataplane nftables
  lvslab export ospf-ecmp-p2p --format containerlab --out p2p --bridges fabric --force

Then follow DIR/README.md (create the bridges, load ip_vs) and run
  containerlab deploy -t DIR/<lab>.clab.yml
Lab interface ethN is eth(N+1) in the containers: containerlab reserves eth0 for management.`,
    )
    .action(async (labArg: string, opts: ExportOptions) => {
      if (opts.out.trim() === '') throw new LvslabError('--out needs a directory', EXIT.invalidInput);
      if (!isValidImageTag(opts.imageTag)) {
        throw new LvslabError(`--image-tag ${JSON.stringify(opts.imageTag)} is not a valid image tag`, EXIT.invalidInput, 'letters, digits, "_", "." and "-", at most 128, not starting with "." or "-"');
      }
      if (opts.name !== undefined) checkInstanceName(opts.name, '--name');
      const lab = await loadLabFile(await resolveLabArgument(labArg), { instance: opts.name });
      // The fallback's health daemon is lvslab code: such an export carries a copy of it.
      const lvslabPrograms = opts.dataplane === 'nftables' ? { files: await readLvslabProgramFiles() } : undefined;
      const exp = renderContainerlabExport(lab, { dataplane: opts.dataplane, bridges: opts.bridges, imageTag: opts.imageTag, lvslabPrograms });
      const dir = resolvePath(opts.out);
      const result = await writeExport(dir, exp, { force: Boolean(opts.force) });
      const topology = resolvePath(dir, exp.topologyFile);

      if (opts.json) {
        printJson({ format: opts.format, dir, topologyFile: topology, files: result.written, removed: result.removed, bridges: exp.bridges, hostSetup: exp.hostSetup });
        return;
      }
      const shown = relative(process.cwd(), dir) || '.';
      const lines = [`${lab.name}: wrote ${result.written.length} files to ${shown}/ (${opts.dataplane} dataplane, ${opts.bridges} bridges)`];
      for (const f of result.written.filter((p) => !p.startsWith(`${EXPORTED_LVSLAB_DIR}/`))) lines.push(`  ${f}`);
      const programs = result.written.filter((p) => p.startsWith(`${EXPORTED_LVSLAB_DIR}/`)).length;
      if (programs > 0) lines.push(`  ${EXPORTED_LVSLAB_DIR}/ (${programs} files: lvslab's health daemon, for the nftables dataplane)`);
      if (result.removed.length > 0) lines.push(`removed ${result.removed.length} files of the earlier export: ${result.removed.join(', ')}`);
      lines.push('', 'Next:');
      if (exp.hostSetup.length > 0) {
        lines.push('  # as root: the segment bridges containerlab expects on this host');
        for (const c of exp.hostSetup) lines.push(`  ${c}`);
      }
      if (opts.dataplane === 'ipvs') lines.push('  modprobe ip_vs          # kernel IPVS for keepalived (see README.md)');
      lines.push(`  containerlab deploy -t ${topology}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
