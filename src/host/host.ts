// The lab host: the one machine whose kernel runs a lab's nodes (namespaces, or the Docker
// engine's containers). Every command, file and daemon start a runtime does "on the host"
// goes through a LabHost — this machine (local.ts: spawn with argument arrays, node:fs) or
// another one over SSH (ssh/ssh-host.ts: one connection, exec with quoted argument arrays,
// SFTP) — so a runtime reads the same whether the lab is here or elsewhere.
import type { RunOptions, RunResult } from '../util/exec.js';
import { LvslabError } from '../util/errors.js';

export interface LabHost {
  /** For messages and reports: "this host", or "root@lab1:22". */
  readonly label: string;
  /** False for this machine. */
  readonly remote: boolean;
  /** What named it (`--host`'s value: an ssh-config alias or user@host:port), kept in instance records; undefined for this machine. */
  readonly spec?: string;
  /** Runs argv[0] with the rest as arguments (never through a shell); never throws for a non-zero exit. */
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Runs a command with the user's terminal attached; resolves to its exit code. */
  runInteractive(argv: readonly string[]): Promise<number>;
  /**
   * Starts a long-running program detached from lvslab (its own session, stdin from
   * /dev/null, stdout and stderr appended to `logFile`), so it outlives this process and,
   * remotely, the connection; resolves to its pid on the host.
   */
  spawnDetached(argv: readonly string[], logFile: string): Promise<number>;
  writeFile(path: string, content: string | Buffer, opts?: { mode?: number; owner?: string }): Promise<void>;
  /** undefined when the file does not exist or cannot be read. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** The entries of a directory; [] when it does not exist. */
  readdir(path: string): Promise<string[]>;
  /** Creates directories with their parents, in order, each optionally owned by a user of the host. */
  makeDirs(dirs: ReadonlyArray<{ path: string; owner?: string; mode?: number }>): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** Ends the connection (nothing for this machine); later calls connect again. */
  close(): Promise<void>;
}

/** Like host.run(), but a non-zero exit becomes an error naming the command, the host and its stderr. */
export async function runOkOn(host: LabHost, argv: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await host.run(argv, opts);
  if (r.code !== 0) {
    const where = host.remote ? ` on ${host.label}` : '';
    throw new LvslabError(`command failed${where} (exit ${r.code}): ${argv.join(' ')}\n${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** True when the program is on the host's PATH (or is an existing absolute path). */
export async function hostHasCommand(host: LabHost, cmd: string): Promise<boolean> {
  return (await host.run(['sh', '-c', 'command -v "$1"', 'sh', cmd])).code === 0;
}
