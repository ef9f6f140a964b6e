// Every external command lvslab runs goes through here, always as an argument array:
// no shell ever sees user input.
import { spawn, type SpawnOptions } from 'node:child_process';
import { LvslabError } from './errors.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Bytes written to the command's stdin. */
  input?: string | Buffer;
  /** Kill the command after this many milliseconds (exit code 124, like timeout(1)). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs argv[0] with the remaining arguments; never throws for a non-zero exit. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('run: empty argv');
  return new Promise((resolve) => {
    const options: SpawnOptions = { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd };
    const child = spawn(cmd, args, options);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      const why = e.code === 'ENOENT' ? `command not found: ${cmd}` : e.message;
      resolve({ code: 127, stdout: '', stderr: why });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: timedOut ? 124 : (code ?? (signal ? 128 : 1)),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (timedOut ? `\n(killed after ${opts.timeoutMs} ms)` : ''),
      });
    });
    child.stdin!.on('error', () => {}); // the command may exit before reading its input
    child.stdin!.end(opts.input ?? '');
  });
}

/** Like run(), but a non-zero exit becomes an error naming the command and its stderr. */
export async function runOk(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) {
    throw new LvslabError(`command failed (exit ${r.code}): ${argv.join(' ')}\n${r.stderr.trim()}`);
  }
  return r.stdout;
}
