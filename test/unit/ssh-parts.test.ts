// The pure parts of the SSH transport: quoting checked against real POSIX shells (dash and
// bash split the line back into the same words), `--host` parsing, ~/.ssh/config lookup,
// and known_hosts matching (plain, wildcard, [host]:port, hashed, @revoked); which failures a
// dropped connection tries again.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { quoteArgv, quoteWord } from '../../src/host/ssh/quote.js';
import { parseSshTarget } from '../../src/host/ssh/target.js';
import { expandPath, globMatches, sshHostConfig } from '../../src/host/ssh/config.js';
import { fingerprint, keyTypeOf, knownHostsName, knownKeysFor, verifyHostKey } from '../../src/host/ssh/known-hosts.js';
import { sshError, SshFailure } from '../../src/host/ssh/connection.js';
import { EXIT, LvslabError } from '../../src/util/errors.js';

/** An SSH wire-format key blob of this type (a length-prefixed type name, then bytes). */
function blob(type: string, body = randomBytes(32)): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, body]);
}

describe('quoting argv for the remote shell', () => {
  const nasty = ['plain', '', ' ', "it's", "''", '$HOME', '${x:-y}', '`id`', '$(id)', 'a\nb', '*', '?', '[a]', '~', '~root', '-n', '--', '"', '\\', ';', '&&', '|', '>x', '<x', '#c', '!', '%', 'é ü', '\t'];

  for (const shell of ['/bin/sh', '/bin/bash']) {
    it(`${shell} splits the quoted line back into exactly the words, expanding none`, () => {
      const line = quoteArgv(['printf', '%s\\0', ...nasty]);
      const r = spawnSync(shell, ['-c', line], { encoding: 'utf8', cwd: '/' });
      expect(r.status).toBe(0);
      expect(r.stdout.split('\0').slice(0, -1)).toEqual(nasty);
    });
  }

  it('leaves plain words bare and refuses a NUL byte', () => {
    expect(quoteArgv(['ip', '-n', 'lvslab.a.b', 'link', 'set', 'dev', 'eth0', 'up'])).toBe('ip -n lvslab.a.b link set dev eth0 up');
    expect(quoteWord("a'b")).toBe(`'a'\\''b'`);
    expect(() => quoteWord('a\0b')).toThrow(LvslabError);
  });
});

describe('--host', () => {
  it('parses [user@]host[:port] and bracketed IPv6', () => {
    expect(parseSshTarget('root@lab1')).toEqual({ spec: 'root@lab1', user: 'root', host: 'lab1', port: undefined });
    expect(parseSshTarget('lab1:2222')).toMatchObject({ user: undefined, host: 'lab1', port: 2222 });
    expect(parseSshTarget('root@192.0.2.10:22')).toMatchObject({ user: 'root', host: '192.0.2.10', port: 22 });
    expect(parseSshTarget('u@[2001:db8::1]:2200')).toMatchObject({ user: 'u', host: '2001:db8::1', port: 2200 });
  });

  it('refuses what is not a host, naming the flag and the accepted form', () => {
    for (const bad of ['-oProxyCommand=x', 'root@', '@lab', 'lab:0', 'lab:70000', 'lab:x', '2001:db8::1', 'la b', 'a;b', 'ro ot@lab', '']) {
      const e = (() => {
        try {
          parseSshTarget(bad);
        } catch (err) {
          return err as LvslabError;
        }
      })();
      expect(e, bad).toBeInstanceOf(LvslabError);
      expect(e!.exitCode).toBe(EXIT.invalidInput);
      expect(e!.message).toContain(`--host '${bad}'`);
      expect(e!.hint).toContain('[user@]host[:port]');
    }
  });
});

describe('~/.ssh/config', () => {
  const text = [
    'User everyone',
    'Host lab1 lab1.example',
    '  HostName 192.0.2.10',
    '  Port 2222',
    '  IdentityFile ~/.ssh/lab_ed25519',
    'Host lab*',
    '  User root',
    '  Port 22',
    '  IdentityFile %d/.ssh/other_%h',
    '  ProxyJump jump1,admin@jump2:2022',
    '  StrictHostKeyChecking no',
    'Host !lab9 *',
    '  UserKnownHostsFile ~/.ssh/kh1 ~/.ssh/kh2',
    'Match host lab1',
    '  User never',
  ].join('\n');

  it('takes the first value of each option, accumulates IdentityFile, and skips Match blocks', () => {
    const c = sshHostConfig(text, 'lab1');
    expect(c).toMatchObject({ hostName: '192.0.2.10', port: 2222, user: 'everyone' });
    expect(c.identityFiles).toEqual(['~/.ssh/lab_ed25519', '%d/.ssh/other_%h']);
    expect(c.proxyJump).toEqual(['jump1', 'admin@jump2:2022']);
    expect(c.userKnownHostsFiles).toEqual(['~/.ssh/kh1', '~/.ssh/kh2']);
    expect(c.ignored).toEqual(['StrictHostKeyChecking no']);
  });

  it('honours negated patterns', () => {
    expect(sshHostConfig(text, 'lab9').userKnownHostsFiles).toBeUndefined();
    expect(sshHostConfig(text, 'other').proxyJump).toEqual([]);
    expect(globMatches('lab?.ex*', 'LAB1.example')).toBe(true);
    expect(globMatches('lab?', 'lab10')).toBe(false);
  });

  it('expands ~ and the %-tokens', () => {
    const p = expandPath('~/.ssh/id_%h_%r_%p%%', { host: 'h', user: 'u', port: 22 });
    expect(p).toMatch(/\/\.ssh\/id_h_u_22%$/);
    expect(p.startsWith('~')).toBe(false);
  });
});

describe('known_hosts', () => {
  const key = blob('ssh-ed25519');
  const other = blob('ssh-ed25519');
  const b64 = key.toString('base64');

  it('names hosts off port 22 as [host]:port', () => {
    expect(knownHostsName('lab1', 22)).toBe('lab1');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('accepts the key a line gives for the host: plain, in a list, wildcard, hashed', () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('[127.0.0.1]:2222').digest('base64');
    const text = [
      '# comment',
      `lab1,192.0.2.10 ssh-ed25519 ${b64}`,
      `*.example ssh-ed25519 ${b64}`,
      `|1|${salt.toString('base64')}|${hash} ssh-ed25519 ${b64}`,
      `@cert-authority * ssh-ed25519 ${other.toString('base64')}`,
    ].join('\n');
    for (const name of ['lab1', '192.0.2.10', 'x.example', '[127.0.0.1]:2222']) {
      const known = knownKeysFor(text, name, 'kh');
      expect(verifyHostKey(known, key), name).toMatchObject({ ok: true });
    }
    expect(knownKeysFor(text, 'lab2', 'kh')).toEqual([]);
    expect(knownKeysFor(text, '127.0.0.1', 'kh')).toEqual([]); // port 22 is another entry
  });

  it('says unknown, changed or revoked, with the offered fingerprint', () => {
    const text = `lab1 ssh-ed25519 ${b64}\n@revoked lab2 ssh-ed25519 ${other.toString('base64')}\nlab2 ssh-ed25519 ${b64}\n`;
    expect(verifyHostKey(knownKeysFor(text, 'lab3', 'kh'), key)).toMatchObject({ ok: false, reason: 'unknown', fingerprint: fingerprint(key), keyType: 'ssh-ed25519' });
    const changed = verifyHostKey(knownKeysFor(text, 'lab1', 'kh'), other);
    expect(changed).toMatchObject({ ok: false, reason: 'changed' });
    expect(changed.ok === false && changed.known[0]!.source).toBe('kh:1');
    expect(verifyHostKey(knownKeysFor(text, 'lab2', 'kh'), other)).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('prints fingerprints and key types as ssh-keygen does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvslab-fp-'));
    try {
      expect(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', `${dir}/k`]).status).toBe(0);
      const [type, key64] = readFileSync(`${dir}/k.pub`, 'utf8').split(/\s+/);
      const keygen = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${dir}/k.pub`], { encoding: 'utf8' }).stdout.split(/\s+/)[1];
      expect(fingerprint(Buffer.from(key64!, 'base64'))).toBe(keygen);
      expect(keyTypeOf(Buffer.from(key64!, 'base64'))).toBe(type);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('which SSH failures a dropped connection tries again', () => {
  const endpoint = { label: 'root@lab1:22', hostName: 'lab1', port: 22, user: 'root', identityFiles: ['~/.ssh/id_ed25519'], knownHostsFiles: [], connectTimeoutMs: 1000, knownKeys: async () => [], ignoredOptions: [] };
  it('a host that cannot be reached, or a connection that failed on the way: yes', () => {
    for (const err of [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), new Error('Timed out while waiting for handshake'), new Error('Connection lost before handshake')]) {
      const e = sshError(endpoint, err, 'connecting');
      expect(e).toBeInstanceOf(SshFailure);
      expect(e.retryable, err.message).toBe(true);
      expect(e.exitCode).toBe(EXIT.hostUnreachable);
    }
  });
  it('a host that refused every key: no (the host said no; asking again changes nothing)', () => {
    const e = sshError(endpoint, Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' }), 'connecting');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('refused every key');
  });
});
