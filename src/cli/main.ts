#!/usr/bin/env node
// lvslab command line. Each command lives in its own module under commands/; this file
// only wires them into commander and turns errors into messages and exit codes.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT, LvslabError } from '../util/errors.js';
import { registerUp } from './commands/up.js';
import { registerDown } from './commands/down.js';
import { registerStatus } from './commands/status.js';
import { registerExec } from './commands/exec.js';
import { registerLabs } from './commands/labs.js';
import { registerValidate } from './commands/validate.js';
import { registerGraph } from './commands/graph.js';
import { registerDoctor } from './commands/doctor.js';
import { registerRun } from './commands/run.js';
import { registerReport } from './commands/report.js';
import { registerExport } from './commands/export.js';
import { registerImages } from './commands/images.js';
import { registerWorkshop } from './commands/workshop.js';
import { closeLabHosts } from '../host/open.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('lvslab')
    .version(pkg.version)
    .description(
      'Build, run and measure multi-active LVS load-balancer labs (OSPF ECMP, keepalived/IPVS, nginx) from one YAML file.\n' +
        'LAB is a catalogue name (see `lvslab labs`) or a path to a lab file.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  lvslab doctor                      check this host (root, FRR, nginx, IPVS, ...)
  lvslab labs                        list the built-in labs
  lvslab up ospf-ecmp                build the seed-001 lab and wait until it is ready
  lvslab exec client1 -- curl -s http://10.0.1.100/
  lvslab status                      what runs, and is it healthy
  lvslab down ospf-ecmp              remove it, leaving nothing behind
  lvslab run failover-test           measure a silent director failure (brings the lab up)
  lvslab images build                build the node image, then: lvslab up LAB --runtime docker

Exit codes: 0 ok, 1 failure, 2 invalid input (nothing changed), 3 host not ready
(nothing changed), 4 lab not ready in time (rolled back), 5 no such instance,
6 the lab host (--host) could not be reached or refused lvslab (nothing changed),
7 workshop grade: a check failed, 8 workshop grade: no usable check.`,
    );
  program.exitOverride();
  for (const register of [registerUp, registerDown, registerStatus, registerExec, registerLabs, registerValidate, registerGraph, registerDoctor, registerRun, registerReport, registerExport, registerImages, registerWorkshop]) {
    register(program);
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? EXIT.ok : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with code 0
      return err.exitCode === 0 ? EXIT.ok : EXIT.invalidInput;
    }
    if (err instanceof LvslabError) {
      process.stderr.write(`lvslab: ${err.message}\n`);
      if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
      return err.exitCode;
    }
    process.stderr.write(`lvslab: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.failure;
  } finally {
    // An open SSH connection (--host) would keep the process alive.
    await closeLabHosts();
  }
}

// `lvslab ... | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
    throw err;
  });
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`lvslab: ${String(err)}\n`);
    process.exitCode = EXIT.failure;
  },
);
