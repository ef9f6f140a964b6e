import type { Command } from 'commander';
import { Option } from 'commander';
import { BUILD_METHODS, loadRecipe, type BuildMethod } from '../../images/recipe.js';
import { printJson } from './shared.js';

// The build and the Docker client load when an images command runs, not with every command.
const buildModule = () => import('../../images/build.js');
const engineModule = () => import('../../docker/engine.js');

export function registerImages(program: Command): void {
  const images = program
    .command('images')
    .description('the node image that --runtime docker and containerlab exports run (FRR, keepalived, nginx, nftables, Node.js)');

  images
    .command('build')
    .description('build the node image for this recipe (images/node/), offline if no registry is reachable')
    .addOption(
      new Option('--method <HOW>', 'auto = docker build when debian:bookworm-slim can be pulled, else offline; offline = debootstrap from the apt mirror + docker import')
        .choices([...BUILD_METHODS])
        .default('auto'),
    )
    .option('--offline', 'same as --method offline')
    .option('--force', 'rebuild even when the image of this recipe exists')
    .option('--mirror <URI>', 'offline: Debian/Ubuntu mirror (default: the one apt on this host uses)')
    .option('--suite <NAME>', "offline: release to bootstrap (default: this host's, e.g. bookworm)")
    .option('--verbose', "show debootstrap's and docker's own output")
    .option('--json', 'print the result as JSON on stdout (progress goes to stderr)')
    .addHelpText(
      'after',
      `
Examples:
  lvslab images build                      once per host; again only when the recipe changes
  lvslab images build --offline            no registry: debootstrap (about a minute) + import
  lvslab images build --offline --mirror http://apt.example.lan/debian --suite bookworm

The image is tagged lvslab/node:<hash of images/node/> (and :latest). Nothing of lvslab's
own code is baked in: containers mount this installation read-only at /opt/lvslab.`,
    )
    .action(async (opts: { method: BuildMethod; offline?: boolean; force?: boolean; mirror?: string; suite?: string; verbose?: boolean; json?: boolean }) => {
      const { buildNodeImage } = await buildModule();
      const result = await buildNodeImage(
        { method: opts.offline ? 'offline' : opts.method, force: Boolean(opts.force), mirror: opts.mirror, suite: opts.suite },
        {
          stage: (text) => process.stderr.write(`• ${text}\n`),
          detail: (line) => {
            if (opts.verbose) process.stderr.write(`    ${line}\n`);
          },
        },
      );
      if (opts.json) return printJson(result);
      const size = result.sizeBytes !== undefined ? `, ${Math.round(result.sizeBytes / 1e6)} MB` : '';
      process.stdout.write(
        result.built
          ? `built ${result.image} (${result.method}, ${(result.elapsedMs / 1000).toFixed(0)} s${size})\n`
          : `${result.image} is already built for this recipe${size} (--force rebuilds it)\n`,
      );
    });

  images
    .command('status')
    .description('which image this recipe needs, and whether this host has it')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const recipe = await loadRecipe();
      const [{ imageSize }, { engine, requireEngine }] = await Promise.all([buildModule(), engineModule()]);
      await requireEngine();
      const size = await imageSize(engine(), recipe.image);
      const status = { image: recipe.image, recipeHash: recipe.hash, recipeDir: recipe.dir, present: size !== undefined, sizeBytes: size };
      if (opts.json) return printJson(status);
      process.stdout.write(
        status.present
          ? `${status.image}: built (${Math.round(size! / 1e6)} MB)\n`
          : `${status.image}: not built on this host (lvslab images build)\n`,
      );
      if (!status.present) process.exitCode = 5;
    });
}
