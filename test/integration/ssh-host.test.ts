// The SSH lab host against a real sshd on a loopback address: argument arrays arrive intact,
// files and detached daemons work, host keys and client keys are checked, a dropped
// connection is made again, and no key material reaches an error.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEndpoint } from '../../src/host/ssh/endpoint.js';
import { SshHost } from '../../src/host/ssh/ssh-host.js';
import { parseSshTarget } from '../../src/host/ssh/target.js';
import { LvslabError, EXIT } from '../../src/util/errors.js';
import { pollUntil } from '../../src/util/poll.js';
import { measureClockOffset } from '../../src/host/clock.js';
import { canRunSshd, SSH_ALIAS, startSshd, type TestSshd } from '../support/sshd.js';

const suite = canRunSshd() ? describe : describe.skip;

suite('SSH lab host (real sshd on 127.0.0.1)', () => {
  let sshd: TestSshd;
  let host: SshHost;
  const savedConfig = process.env.LVSLAB_SSH_CONFIG;

  async function hostWith(configFile: string): Promise<SshHost> {
    process.env.LVSLAB_SSH_CONFIG = configFile;
    try {
      return new SshHost(await resolveEndpoint(parseSshTarget(SSH_ALIAS)));
    } finally {
      process.env.LVSLAB_SSH_CONFIG = sshd.configFile;
    }
  }

  async function refusal(h: SshHost): Promise<LvslabError> {
    try {
      await h.run(['true']);
    } catch (e) {
      return e as LvslabError;
    } finally {
      await h.close();
    }
    throw new Error('the connection was not refused');
  }

  beforeAll(async () => {
    sshd = await startSshd();
    process.env.LVSLAB_SSH_CONFIG = sshd.configFile;
    host = new SshHost(await resolveEndpoint(parseSshTarget(SSH_ALIAS)));
  }, 30_000);

  afterAll(async () => {
    await host?.close();
    await sshd?.stop();
    if (savedConfig === undefined) delete process.env.LVSLAB_SSH_CONFIG;
    else process.env.LVSLAB_SSH_CONFIG = savedConfig;
  });

  it('resolves the alias through the ssh config: host name, port, user', () => {
    expect(host.label).toBe(`root@127.0.0.1:${sshd.port}`);
  });

  it('passes every word of argv through unexpanded, and stdin, stdout, stderr and the exit code', async () => {
    const words = ['plain', 'two words', "it's", '$HOME', '`id`', '$(id)', 'a\nb', '*', '', '-n', '"quoted"', '\\back', ';true', '|cat', '~'];
    const r = await host.run(['printf', '%s\\0', ...words]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(words);
    const cat = await host.run(['sh', '-c', 'cat; echo err >&2; exit 3'], { input: 'in put\n' });
    expect(cat).toEqual({ code: 3, stdout: 'in put\n', stderr: 'err\n' });
    expect((await host.run(['no-such-command-lvslab'])).code).toBe(127);
  });

  it('ends a command at its timeout (exit 124), on the host too', async () => {
    const started = Date.now();
    const r = await host.run(['sleep', '30.4242'], { timeoutMs: 500 });
    expect(r.code).toBe(124);
    expect(Date.now() - started).toBeLessThan(10_000);
    // timeout(1) on the host ends it (TERM, then KILL a second later).
    const gone = await pollUntil(async () => ({ done: (await host.run(['pgrep', '-f', 'sleep 30.4242'])).code === 1, value: null }), { timeoutMs: 10_000, intervalMs: 100 });
    expect(gone.ok).toBe(true);
  });

  it('runs more commands at once than one connection has channels, slow and instant ones, losing none', async () => {
    const slow = await Promise.all(Array.from({ length: 24 }, (_, i) => host.run(['sh', '-c', 'sleep 0.2; echo "$1"', 'sh', String(i)])));
    expect(slow.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 24 }, (_, i) => String(i)));
    // An instant command's output, exit status and close can share one packet with the
    // channel's confirmation: none of them may be missed.
    const instant = await Promise.all(Array.from({ length: 40 }, (_, i) => host.run(['echo', String(i)])));
    expect(instant.map((r) => `${r.code} ${r.stdout.trim()}`)).toEqual(Array.from({ length: 40 }, (_, i) => `0 ${i}`));
  });

  it('writes, reads and lists files, makes owned directories (removed again with rm over the connection)', async () => {
    const dir = `${sshd.dir}/files/a b`;
    await host.makeDirs([{ path: dir, owner: 'nobody' }]);
    await host.writeFile(`${dir}/x.conf`, 'hello\n', { mode: 0o600, owner: 'nobody' });
    expect((await host.readFile(`${dir}/x.conf`))?.toString()).toBe('hello\n');
    expect(await host.readdir(dir)).toEqual(['x.conf']);
    const stat = await host.run(['stat', '-c', '%U %a', dir, `${dir}/x.conf`]);
    expect(stat.stdout.trim().split('\n')).toEqual(['nobody 755', 'nobody 600']);
    // A missing parent is made on the way.
    await host.writeFile(`${sshd.dir}/files/new/deeper/y`, Buffer.from([0, 1, 2, 255]));
    expect([...(await host.readFile(`${sshd.dir}/files/new/deeper/y`))!]).toEqual([0, 1, 2, 255]);
    expect(await host.readFile(`${sshd.dir}/files/none`)).toBeUndefined();
    expect(await host.readdir(`${sshd.dir}/files/none`)).toEqual([]);
    expect((await host.run(['rm', '-rf', '--', `${sshd.dir}/files`])).code).toBe(0);
    expect(await host.exists(`${sshd.dir}/files`)).toBe(false);
  });

  it('starts a detached daemon that outlives its channel and the connection, and reports its own pid', async () => {
    const log = `${sshd.dir}/daemon/log`;
    const pid = await host.spawnDetached(['sh', '-c', 'echo started; exec sleep 60'], log);
    await host.close();
    const comm = await host.run(['cat', `/proc/${pid}/comm`]);
    expect(comm.stdout.trim()).toBe('sleep');
    const sid = await host.run(['ps', '-o', 'sid=', '-p', String(pid)]);
    expect(Number(sid.stdout.trim())).toBe(pid); // its own session
    expect(readFileSync(log, 'utf8')).toBe('started\n');
    await host.run(['kill', String(pid)]);
  });

  it("measures the host's clock offset: on this very machine, zero within its stated uncertainty", async () => {
    const clock = await measureClockOffset(host);
    expect(clock.uncertaintyMs).toBeGreaterThan(0);
    // The "remote" host is this machine: one clock, so the true offset is 0. date's ns and
    // performance.now()'s µs add well under a millisecond.
    expect(Math.abs(clock.offsetMs)).toBeLessThanOrEqual(clock.uncertaintyMs + 1);
    expect(clock.method).toContain('date +%s%N');
  });

  it('makes the connection again after it dropped', async () => {
    expect((await host.run(['true'])).code).toBe(0);
    sshd.dropConnections();
    const r = await host.run(['echo', 'again']);
    expect(r.stdout).toBe('again\n');
  });

  it('refuses an unknown host key, with its fingerprint and the fix', async () => {
    const empty = `${sshd.dir}/known_hosts_empty`;
    writeFileSync(empty, '');
    const e = await refusal(await hostWith(sshd.clientConfig({ knownHostsFile: empty })));
    expect(e).toBeInstanceOf(LvslabError);
    expect(e.exitCode).toBe(EXIT.hostUnreachable);
    expect(e.message).toContain('is not known');
    expect(e.message).toContain(sshd.fingerprint);
    expect(e.hint).toContain('ssh-keyscan');
  });

  it('refuses a changed host key, naming the known one', async () => {
    const other = readFileSync(`${sshd.strayKey()}.pub`, 'utf8').trim().split(/\s+/);
    const changed = `${sshd.dir}/known_hosts_changed`;
    writeFileSync(changed, `[127.0.0.1]:${sshd.port} ${other[0]} ${other[1]}\n`);
    const e = await refusal(await hostWith(sshd.clientConfig({ knownHostsFile: changed })));
    expect(e.message).toContain('CHANGED');
    expect(e.message).toContain(sshd.fingerprint);
    expect(e.message).toContain(`${changed}:1`);
  });

  it('accepts a hashed known_hosts entry (ssh-keygen -H)', async () => {
    const hashed = `${sshd.dir}/known_hosts_hashed`;
    writeFileSync(hashed, `${sshd.knownHostsLine}\n`);
    const { spawnSync } = await import('node:child_process');
    expect(spawnSync('ssh-keygen', ['-H', '-f', hashed]).status).toBe(0);
    expect(readFileSync(hashed, 'utf8')).toMatch(/^\|1\|/);
    const h = await hostWith(sshd.clientConfig({ knownHostsFile: hashed }));
    expect((await h.run(['true'])).code).toBe(0);
    await h.close();
  });

  it('refuses a key the server does not know, without any key material in the message', async () => {
    const stray = sshd.strayKey();
    const e = await refusal(await hostWith(sshd.clientConfig({ identityFile: stray })));
    expect(e.exitCode).toBe(EXIT.hostUnreachable);
    expect(e.message).toMatch(/refused every key/);
    const secret = readFileSync(stray, 'utf8').split('\n').slice(1, -2).join('');
    expect(e.message + (e.hint ?? '')).not.toContain(secret.slice(0, 24));
  });

  it('says clearly that a host cannot be reached', async () => {
    const e = await refusal(await hostWith(sshd.clientConfig({ port: 9 })));
    expect(e.exitCode).toBe(EXIT.hostUnreachable);
    expect(e.message).toMatch(/cannot reach root@127\.0\.0\.1:9/);
  });
});
