// This machine as a lab host: commands spawned with argument arrays (util/exec.ts), files
// through node:fs. The only LabHost that touches this machine directly.
import { spawn } from 'node:child_process';
import { access, chown, mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { run, type RunOptions, type RunResult } from '../util/exec.js';
import { userIds } from '../util/users.js';
import type { LabHost } from './host.js';

class LocalHost implements LabHost {
  readonly label = 'this host';
  readonly remote = false;

  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return run(argv, opts);
  }

  runInteractive(argv: readonly string[]): Promise<number> {
    const [cmd, ...args] = argv;
    return new Promise((resolve) => {
      const child = spawn(cmd!, args, { stdio: 'inherit' });
      child.on('error', () => resolve(127));
      child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
  }

  async spawnDetached(argv: readonly string[], logFile: string): Promise<number> {
    const [cmd, ...args] = argv;
    await mkdir(dirname(logFile), { recursive: true });
    const log = await open(logFile, 'a');
    try {
      // Its own session and no pipes to lvslab: it survives us.
      const child = spawn(cmd!, args, { detached: true, stdio: ['ignore', log.fd, log.fd] });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('spawn', () => resolve(child.pid!));
      });
      child.unref();
      return pid;
    } finally {
      await log.close();
    }
  }

  async writeFile(path: string, content: string | Buffer, opts: { mode?: number; owner?: string } = {}): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content, { mode: opts.mode ?? 0o644 });
    if (opts.owner) await chownTo(path, opts.owner);
  }

  async readFile(path: string): Promise<Buffer | undefined> {
    return readFile(path).catch(() => undefined);
  }

  async readdir(path: string): Promise<string[]> {
    return readdir(path).catch(() => []);
  }

  async makeDirs(dirs: ReadonlyArray<{ path: string; owner?: string; mode?: number }>): Promise<void> {
    for (const d of dirs) {
      await mkdir(d.path, { recursive: true, mode: d.mode });
      if (d.owner) await chownTo(d.path, d.owner);
    }
  }

  async exists(path: string): Promise<boolean> {
    return access(path).then(() => true, () => false);
  }

  async close(): Promise<void> {}
}

async function chownTo(path: string, user: string): Promise<void> {
  const { uid, gid } = await userIds(user);
  await chown(path, uid, gid);
}

/** This machine. */
export const localHost: LabHost = new LocalHost();
