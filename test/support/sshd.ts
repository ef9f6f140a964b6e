// A real OpenSSH server on a loopback address for the remote-host suites: a host key and a
// client key made for the test, the client's key in its authorized keys, and a client side
// (ssh config with an alias, known_hosts, identity) that lvslab reads through
// LVSLAB_SSH_CONFIG exactly as it would read ~/.ssh/config. The "remote" host is this
// machine, reached only through sshd.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '../../src/util/poll.js';

export const SSHD = '/usr/sbin/sshd';
export const SSH_ALIAS = 'lvslab-test';

export interface TestSshd {
  port: number;
  dir: string;
  /** The client-side ssh config naming SSH_ALIAS (set LVSLAB_SSH_CONFIG to it). */
  configFile: string;
  knownHostsFile: string;
  identityFile: string;
  /** "[127.0.0.1]:PORT ssh-ed25519 AAAA…": the known_hosts line of this server's key. */
  knownHostsLine: string;
  /** The server's host key fingerprint (SHA256:…). */
  fingerprint: string;
  /** Writes another client config (other identity or known_hosts) and returns its path. */
  clientConfig(opts: { identityFile?: string; knownHostsFile?: string; port?: number }): string;
  /** A fresh ed25519 key pair not in the server's authorized keys. */
  strayKey(): string;
  /** Kills every sshd session process (the connections drop; the listener stays). */
  dropConnections(): void;
  /** Stops listening and drops every connection: the host is unreachable until resume(). */
  pause(): Promise<void>;
  /** Listens again on the same port, with the same keys. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** True when this machine can run the suite's sshd (root, openssh-server installed). */
export function canRunSshd(): boolean {
  return process.getuid?.() === 0 && spawnSync(SSHD, ['-V']).status !== null && spawnSync('ssh-keygen', ['-?']).error === undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function keygen(file: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lvslab-test', '-f', file]);
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
}

/** SIGKILL for every process below `pid` (its children, theirs, ...), found through /proc. */
function killDescendants(pid: number): void {
  const parentOf = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      parentOf.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const below = (p: number): number[] => [...parentOf].filter(([, pp]) => pp === p).flatMap(([c]) => [c, ...below(c)]);
  for (const p of below(pid)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** sshd in the foreground on its config, once it says it listens. */
async function listen(config: string): Promise<ChildProcess> {
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const listening = await pollUntil(
    async () => ({ done: /Server listening on 127\.0\.0\.1 port/.test(log) || child.exitCode !== null, value: null }),
    { timeoutMs: 10_000, intervalMs: 20 },
  );
  if (!listening.ok || child.exitCode !== null) throw new Error(`sshd did not start: ${log}`);
  return child;
}

export interface SshdOptions {
  /** false: `AllowStreamLocalForwarding no`, as a host that forbids forwarding its sockets. */
  streamLocalForwarding?: boolean;
}

export async function startSshd(opts: SshdOptions = {}): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'lvslab-sshd-'));
  mkdirSync('/run/sshd', { recursive: true }); // sshd's privilege-separation directory
  keygen(join(dir, 'host_ed25519'));
  const identityFile = join(dir, 'id_ed25519');
  keygen(identityFile);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${identityFile}.pub`));
  const port = await freePort();
  const pidFile = join(dir, 'sshd.pid');
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${dir}/host_ed25519`,
      `PidFile ${pidFile}`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      // bash sources ~/.bashrc for every command sshd runs when it is the first shell
      // (SSH_SOURCE_BASHRC); root's on these machines runs `pyenv init`, whose rehash lock
      // holds parallel commands for up to 60 s. SHLVL=1 makes each command's bash the second.
      // A real host with heavy rc files shows in doctor's ssh-latency check.
      'SetEnv SHLVL=1',
      ...(opts.streamLocalForwarding === false ? ['AllowStreamLocalForwarding no'] : []),
      '',
    ].join('\n'),
  );
  const hostPub = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/);
  const knownHostsLine = `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}`;
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, `${knownHostsLine}\n`);
  const fp = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_ed25519.pub')], { encoding: 'utf8' }).stdout.split(/\s+/)[1]!;

  let stray = 0;
  const clientConfig = (o: { identityFile?: string; knownHostsFile?: string; port?: number }) => {
    const file = join(dir, `config-${++stray}`);
    writeFileSync(
      file,
      [
        `Host ${SSH_ALIAS}`,
        '  HostName 127.0.0.1',
        `  Port ${o.port ?? port}`,
        '  User root',
        `  IdentityFile ${o.identityFile ?? identityFile}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${o.knownHostsFile ?? knownHostsFile}`,
        '  ConnectTimeout 10',
        '',
      ].join('\n'),
    );
    return file;
  };
  const configFile = clientConfig({});

  let child: ChildProcess = await listen(join(dir, 'sshd_config'));
  const stopChild = async () => {
    // The connections first: once the listener is gone they would belong to init, not to it.
    killDescendants(child.pid!);
    child.kill('SIGTERM');
    await pollUntil(async () => ({ done: child.exitCode !== null || child.signalCode !== null, value: null }), { timeoutMs: 5000, intervalMs: 20 });
  };

  return {
    port,
    dir,
    configFile,
    knownHostsFile,
    identityFile,
    knownHostsLine,
    fingerprint: fp,
    clientConfig,
    strayKey: () => {
      const f = join(dir, `stray-${++stray}`);
      keygen(f);
      return f;
    },
    dropConnections: () => {
      // The listener is the sshd we started; every sshd below it serves a connection (a
      // privileged monitor and its unprivileged child each).
      killDescendants(child.pid!);
    },
    pause: stopChild,
    resume: async () => {
      child = await listen(join(dir, 'sshd_config'));
    },
    stop: async () => {
      await stopChild();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
