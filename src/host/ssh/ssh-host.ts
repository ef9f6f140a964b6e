// Another machine as a lab host, over one SSH connection (connection.ts): commands as quoted
// argument arrays (quote.ts), files over SFTP, ownership and directories by the host's own
// chown/mkdir (its users, not this machine's), detached daemons through setsid.
import type { RunOptions, RunResult } from '../../util/exec.js';
import type { LabHost } from '../host.js';
import { SshConnection } from './connection.js';
import type { SshEndpoint } from './endpoint.js';
import { quoteArgv } from './quote.js';

/**
 * Starts "$@" in its own session with the log appended, and prints its pid. Fixed text: the
 * log path and argv are positional parameters. In a non-interactive shell the background job
 * is no process-group leader, so setsid execs in place and `$!` is the program's own pid.
 */
const SPAWN_DETACHED = 'log=$1; shift; mkdir -p "${log%/*}" && { setsid "$@" >>"$log" 2>&1 </dev/null & echo $!; }';
/** mkdir -p each path, then chown those with an owner: pairs of (path, owner or ''). */
const MAKE_DIRS = 'while [ $# -gt 0 ]; do mkdir -p "$1" || exit; [ -z "$2" ] || chown "$2" "$1" || exit; shift 2; done';

/** How much later than the host's timeout(1) the local deadline falls (a round trip under load). */
const LOCAL_DEADLINE_SLACK_MS = 2000;

export class SshHost implements LabHost {
  readonly remote = true;
  readonly connection: SshConnection;

  constructor(
    readonly endpoint: SshEndpoint,
    readonly spec?: string,
  ) {
    this.connection = new SshConnection(endpoint);
  }

  get label(): string {
    return this.endpoint.label;
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    // Under timeout(1) on the host as well, so a command past its deadline dies there too
    // (exit 124 either way); the local deadline, a moment later, holds if the host does not answer.
    const bounded = opts.timeoutMs ? ['timeout', '-k', '1', `${opts.timeoutMs / 1000}s`, ...argv] : argv;
    const r = await this.connection.exec(commandLine(bounded, opts), { input: opts.input, timeoutMs: opts.timeoutMs ? opts.timeoutMs + LOCAL_DEADLINE_SLACK_MS : undefined });
    return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
  }

  async runInteractive(argv: readonly string[]): Promise<number> {
    const stdin = process.stdin;
    let code = 1;
    let closed!: Promise<void>;
    const channel = await this.connection.execPty(
      quoteArgv(argv),
      { rows: process.stdout.rows ?? 24, cols: process.stdout.columns ?? 80, term: process.env.TERM ?? 'xterm' },
      (ch) => {
        ch.on('exit', (c: number | null) => (code = c ?? 128));
        closed = new Promise((resolve) => ch.on('close', () => resolve()));
      },
    );
    const raw = stdin.isTTY;
    if (raw) stdin.setRawMode(true);
    stdin.pipe(channel);
    channel.pipe(process.stdout);
    channel.stderr.pipe(process.stderr);
    const resize = () => channel.setWindow(process.stdout.rows ?? 24, process.stdout.columns ?? 80, 0, 0);
    process.stdout.on('resize', resize);
    await closed;
    process.stdout.off('resize', resize);
    stdin.unpipe(channel);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
    return code;
  }

  async spawnDetached(argv: readonly string[], logFile: string): Promise<number> {
    const r = await this.run(['sh', '-c', SPAWN_DETACHED, 'lvslab-spawn', logFile, ...argv], { timeoutMs: 30_000 });
    const pid = Number(r.stdout.trim());
    if (r.code !== 0 || !Number.isInteger(pid) || pid <= 1) {
      throw new Error(`starting ${argv[0]} on ${this.label} failed (exit ${r.code}): ${r.stderr.trim()}`);
    }
    return pid;
  }

  async writeFile(path: string, content: string | Buffer, opts: { mode?: number; owner?: string } = {}): Promise<void> {
    const sftp = await this.connection.sftp();
    const write = () => sftpCall<void>((cb) => sftp.writeFile(path, content, { mode: opts.mode ?? 0o644 }, cb));
    await write().catch(async () => {
      // Most likely the parent directory is missing: make it, then once more.
      await this.makeDirs([{ path: path.slice(0, path.lastIndexOf('/')) || '/' }]);
      await write();
    });
    // SFTP creates with the mode under the server's umask: set it exactly, and the owner.
    await sftpCall<void>((cb) => sftp.chmod(path, opts.mode ?? 0o644, cb));
    if (opts.owner) await this.mustRun(['chown', opts.owner, path]);
  }

  async readFile(path: string): Promise<Buffer | undefined> {
    const sftp = await this.connection.sftp();
    return sftpCall<Buffer>((cb) => sftp.readFile(path, cb)).catch(() => undefined);
  }

  async readdir(path: string): Promise<string[]> {
    const sftp = await this.connection.sftp();
    const entries = await sftpCall<Array<{ filename: string }>>((cb) => sftp.readdir(path, cb)).catch(() => []);
    return entries.map((e) => e.filename).filter((n) => n !== '.' && n !== '..');
  }

  async makeDirs(dirs: ReadonlyArray<{ path: string; owner?: string; mode?: number }>): Promise<void> {
    if (dirs.length === 0) return;
    await this.mustRun(['sh', '-c', MAKE_DIRS, 'lvslab-mkdir', ...dirs.flatMap((d) => [d.path, d.owner ?? ''])]);
    for (const d of dirs.filter((x) => x.mode !== undefined)) await this.mustRun(['chmod', d.mode!.toString(8), d.path]);
  }

  async exists(path: string): Promise<boolean> {
    const sftp = await this.connection.sftp();
    return sftpCall((cb) => sftp.lstat(path, cb)).then(() => true, () => false);
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  private async mustRun(argv: readonly string[]): Promise<void> {
    const r = await this.run(argv, { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`${argv[0]} on ${this.label} failed (exit ${r.code}): ${r.stderr.trim()}`);
  }
}

/** The command line for argv with RunOptions' environment and directory (as `env`'s arguments, never shell text). */
function commandLine(argv: readonly string[], opts: RunOptions): string {
  const prefix: string[] = [];
  if (opts.cwd) prefix.push('env', '-C', opts.cwd);
  if (opts.env) {
    // Only what differs from this process's environment: the host has its own PATH, HOME, ...
    const changed = Object.entries(opts.env).filter(([k, v]) => v !== undefined && process.env[k] !== v);
    if (changed.length > 0) prefix.push(...(prefix.length ? [] : ['env']), ...changed.map(([k, v]) => `${k}=${v}`));
  }
  return quoteArgv([...prefix, ...argv]);
}

function sftpCall<T>(call: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value))));
}

