// Running a command inside a container through the engine's exec API, with captured
// stdout/stderr, optional stdin and a deadline — the container counterpart of util/exec's run().
import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import type { RunOptions, RunResult } from '../util/exec.js';
import { engineMessage } from './engine.js';

export async function execInContainer(docker: Docker, container: string, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  let exec: Docker.Exec;
  try {
    exec = await docker.getContainer(container).exec({
      Cmd: [...argv],
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: opts.input !== undefined,
      Tty: false,
      ...(opts.env ? { Env: Object.entries(opts.env).map(([k, v]) => `${k}=${v ?? ''}`) } : {}),
      ...(opts.cwd ? { WorkingDir: opts.cwd } : {}),
    });
  } catch (err) {
    // The container is gone or stopped: report it like a command that could not start.
    return { code: 127, stdout: '', stderr: `${container}: ${engineMessage(err)}` };
  }
  const stream = await exec.start({ hijack: true, stdin: opts.input !== undefined });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  docker.modem.demuxStream(stream, stdout, stderr);
  if (opts.input !== undefined) stream.end(opts.input);

  let timedOut = false;
  const finished = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = opts.timeoutMs
    ? new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          timedOut = true;
          stream.destroy();
          resolve();
        }, opts.timeoutMs);
      })
    : undefined;
  await (deadline ? Promise.race([finished, deadline]) : finished);
  if (timer) clearTimeout(timer);
  // The hijacked connection is done with: close it (over SSH it is a channel, held until closed).
  stream.destroy();
  if (timedOut) {
    // The engine has no "kill this exec": the process may run on; callers treat 124 as failed.
    return { code: 124, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') + `\n(gave up after ${opts.timeoutMs} ms)` };
  }
  const info = await exec.inspect();
  return {
    code: info.ExitCode ?? 1,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
  };
}

/**
 * Runs a command inside a container with the user's terminal attached (lvslab exec).
 * Resolves to the command's exit code.
 */
export async function execInteractiveInContainer(docker: Docker, container: string, argv: readonly string[]): Promise<number> {
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const exec = await docker.getContainer(container).exec({
    Cmd: [...argv],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: tty,
  });
  const stream = await exec.start({ hijack: true, stdin: true, Tty: tty });
  if (tty) {
    process.stdin.setRawMode(true);
    stream.pipe(process.stdout);
    const resize = () => exec.resize({ h: process.stdout.rows, w: process.stdout.columns }).catch(() => {});
    process.stdout.on('resize', resize);
    resize();
  } else {
    docker.modem.demuxStream(stream, process.stdout, process.stderr);
  }
  process.stdin.pipe(stream);
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
  });
  process.stdin.unpipe(stream);
  stream.destroy();
  if (tty) process.stdin.setRawMode(false);
  process.stdin.pause();
  const info = await exec.inspect();
  return info.ExitCode ?? 1;
}
