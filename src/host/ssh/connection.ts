// One SSH connection to a lab host (ssh2), shared by everything lvslab does there: exec
// channels multiplexed over it (at most MAX_CHANNELS at once, under OpenSSH's default
// MaxSessions of 10), an SFTP session, keepalives, and a new connection when the old one
// dropped. Who the host is and how to log in comes from endpoint.ts; host keys are checked
// against known_hosts before any credential is offered.
import { readFile } from 'node:fs/promises';
import ssh2, { type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { EXIT, LvslabError } from '../../util/errors.js';
import { fingerprint, knownHostsName, verifyHostKey, type HostKeyVerdict, type KnownKey } from './known-hosts.js';
import type { SshEndpoint } from './endpoint.js';
import { ChannelSocket } from './channel-socket.js';

// ssh2 is CommonJS: its classes come off the default export.
const { Client, utils } = ssh2;
type Client = InstanceType<typeof Client>;

/**
 * Channels open at once on one connection, under OpenSSH's MaxSessions of 10 (which counts a
 * closed channel until sshd has processed the close): exec channels, byte streams (Docker's
 * HTTP connections, hijacked execs included: dial-stdio sessions, or forwarded sockets,
 * which MaxSessions does not count), and the SFTP session.
 */
export const MAX_CHANNELS = 6;
const MAX_STREAMS = 3;
/** sshd refuses a channel ("open failed") while it is at MaxSessions: tried again this often, this many times. */
const CHANNEL_RETRIES = 10;
const CHANNEL_RETRY_MS = 50;
/**
 * A host that answered before and dropped is tried again for this long (every
 * RECONNECT_INTERVAL_MS) before commands fail: a network blip or an sshd restart costs a
 * pause, not the run. A host that never answered fails at once.
 */
const RECONNECT_WINDOW_MS = 15_000;
const RECONNECT_INTERVAL_MS = 500;
/** Keepalives every 5 s, 3 unanswered ends the connection: a dead link is noticed within ~15 s. */
const KEEPALIVE_MS = 5000;
const KEEPALIVE_COUNT = 3;

export interface ExecResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

export class SshConnection {
  private client?: Promise<Client>;
  private sftpSession?: Promise<SFTPWrapper>;
  private readonly execSlots = new Slots(MAX_CHANNELS);
  private readonly streamSlots = new Slots(MAX_STREAMS);
  private hasConnected = false;

  constructor(readonly endpoint: SshEndpoint) {}

  /** The connected client, connecting (again) when there is none. */
  connected(): Promise<Client> {
    this.client ??= (this.hasConnected ? reconnect(this.endpoint) : connect(this.endpoint)).then(
      (c) => {
        const forget = () => {
          this.client = undefined;
          this.sftpSession = undefined;
        };
        c.once('close', forget);
        c.once('end', forget);
        this.hasConnected = true;
        return c;
      },
      (err) => {
        this.client = undefined;
        throw err;
      },
    );
    return this.client;
  }

  /**
   * Runs a command line (already quoted: quote.ts) and collects its output. A connection that
   * dropped before the channel opened is made again once; a command that was running when it
   * dropped ends with code 255, as OpenSSH's client reports a lost connection.
   */
  async exec(command: string, opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<ExecResult> {
    await this.execSlots.acquire();
    try {
      // Collected from inside the exec callback: a quick command's output, exit status and
      // close can all arrive in the packet that confirms the channel, before a later listener.
      let result!: Promise<ExecResult>;
      await this.openExec(command, {}, (channel) => (result = collect(channel, opts)));
      return await result;
    } finally {
      this.execSlots.release();
    }
  }

  /**
   * A command's channel as a socket-like byte stream (channel-socket.ts; Docker's `docker
   * system dial-stdio`: one HTTP connection to the host's engine), within its own
   * MAX_STREAMS until sshd has closed the channel.
   */
  async openStream(command: string): Promise<ChannelSocket> {
    await this.streamSlots.acquire();
    let socket: ChannelSocket | undefined;
    try {
      await this.openExec(command, {}, (ch) => (socket = new ChannelSocket(ch, `${command} on ${this.endpoint.label}`, () => this.streamSlots.release())));
      return socket!;
    } catch (err) {
      this.streamSlots.release();
      throw err;
    }
  }

  /** A channel with a pseudo-terminal, for `lvslab exec`; `onOpen` runs before any of its events. */
  async execPty(command: string, size: { rows: number; cols: number; term: string }, onOpen: (channel: ClientChannel) => void): Promise<ClientChannel> {
    return this.openExec(command, { pty: { rows: size.rows, cols: size.cols, term: size.term } }, onOpen);
  }

  /** Stream channels sshd has not yet confirmed closed: what a leak of them would show in. */
  get openStreams(): number {
    return this.streamSlots.held;
  }

  async sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= this.connected().then(
      (c) =>
        new Promise<SFTPWrapper>((resolve, reject) => c.sftp((err, s) => (err ? reject(sshError(this.endpoint, err, 'opening SFTP')) : resolve(s)))),
    );
    this.sftpSession.catch(() => (this.sftpSession = undefined));
    return this.sftpSession;
  }

  async close(): Promise<void> {
    const c = await this.client?.catch(() => undefined);
    this.client = undefined;
    this.sftpSession = undefined;
    c?.end();
  }

  /**
   * A stream to a unix socket on the host (OpenSSH's direct-streamlocal channel, as `ssh -L`
   * forwards one): nothing runs on the host for it, and it is no session, so sshd's
   * MaxSessions does not count it. Within MAX_STREAMS with openStream()'s channels. Fails
   * when sshd forbids it (AllowStreamLocalForwarding, DisableForwarding) or nothing listens there.
   */
  async openSocket(socketPath: string): Promise<ChannelSocket> {
    await this.streamSlots.acquire();
    let socket: ChannelSocket | undefined;
    try {
      await this.openChannel(
        (client, cb) => client.openssh_forwardOutStreamLocal(socketPath, cb),
        (ch) => (socket = new ChannelSocket(ch, `${socketPath} on ${this.endpoint.label}`, () => this.streamSlots.release())),
        { retryRefusals: false },
      );
      return socket!;
    } catch (err) {
      this.streamSlots.release();
      throw err;
    }
  }

  /** Opens an exec channel; `onOpen` runs synchronously with it, before any of its events. */
  private openExec(command: string, options: { pty?: { rows: number; cols: number; term: string } }, onOpen: (channel: ClientChannel) => void): Promise<ClientChannel> {
    return this.openChannel((client, cb) => client.exec(command, options, cb), onOpen, { retryRefusals: true });
  }

  /**
   * Opens a channel (`open` asks the client for it); `onOpen` runs synchronously with it.
   * With retryRefusals, a refusal ("open failed": sshd at MaxSessions) is tried again.
   */
  private async openChannel(
    open: (client: Client, cb: (err: Error | undefined, ch: ClientChannel) => void) => void,
    onOpen: (channel: ClientChannel) => void,
    opts: { retryRefusals: boolean },
  ): Promise<ClientChannel> {
    let reconnected = false;
    for (let attempt = 0; ; attempt++) {
      const client = await this.connected();
      try {
        return await new Promise<ClientChannel>((resolve, reject) => {
          try {
            open(client, (err, ch) => {
              if (err) return reject(err);
              onOpen(ch);
              resolve(ch);
            });
          } catch (e) {
            reject(e);
          }
        });
      } catch (err) {
        const message = String((err as Error).message);
        if (/channel open failure|open failed|prohibited/i.test(message) && !opts.retryRefusals) throw sshError(this.endpoint, err as Error, 'opening a channel');
        if (/open failed/i.test(message) && attempt < CHANNEL_RETRIES) {
          await new Promise((r) => setTimeout(r, CHANNEL_RETRY_MS));
          continue;
        }
        // "No response from server" / "Not connected": the connection went away under us.
        const dropped = this.client === undefined || /not connected|no response|socket|ECONNRESET/i.test(message);
        if (!dropped || reconnected) throw sshError(this.endpoint, err as Error, 'opening a channel');
        reconnected = true;
        await this.close();
      }
    }
  }
}

/** A counting semaphore: at most `size` holders, the rest wait in order. */
class Slots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  get held(): number {
    return this.active;
  }

  async acquire(): Promise<void> {
    if (this.active < this.size) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

function collect(channel: ClientChannel, opts: { input?: string | Buffer; timeoutMs?: number }): Promise<ExecResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let code: number | undefined;
    let timedOut = false;
    let done = false;
    const finish = (r: ExecResult) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      resolve(r);
    };
    // The caller's deadline holds here whatever the remote side does: the result is 124 at
    // once, and the command is asked to die (ssh-host.ts also runs it under timeout(1)).
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          channel.signal('KILL');
          channel.close();
          finish({ code: 124, stdout: Buffer.concat(out), stderr: Buffer.concat([...err, Buffer.from(`\n(killed after ${opts.timeoutMs} ms)`)]) });
        }, opts.timeoutMs)
      : undefined;
    channel.on('data', (b: Buffer) => out.push(b));
    channel.stderr.on('data', (b: Buffer) => err.push(b));
    channel.on('exit', (c: number | null, signal?: string) => {
      code = typeof c === 'number' ? c : signal ? 128 : 1;
    });
    channel.on('close', () => {
      const lost = code === undefined && !timedOut;
      finish({
        code: code ?? 255,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat([...err, Buffer.from(lost ? '\n(the SSH connection was lost while the command ran)' : '')]),
      });
    });
    channel.on('error', () => {});
    channel.end(opts.input ?? '');
  });
}

/** connect() again and again within RECONNECT_WINDOW_MS while the host cannot be reached (a refusal of its key or of ours ends it at once). */
async function reconnect(endpoint: SshEndpoint): Promise<Client> {
  const deadline = Date.now() + RECONNECT_WINDOW_MS;
  for (;;) {
    try {
      return await connect(endpoint);
    } catch (err) {
      if (!(err instanceof SshFailure && err.retryable) || Date.now() + RECONNECT_INTERVAL_MS > deadline) {
        throw new LvslabError(`the SSH connection to ${endpoint.label} was lost and could not be made again within ${RECONNECT_WINDOW_MS / 1000} s: ${(err as Error).message}`, EXIT.hostUnreachable);
      }
      await new Promise((r) => setTimeout(r, RECONNECT_INTERVAL_MS));
    }
  }
}

/** Connects (through ProxyJump hops first), checking the host key before any credential is offered. */
async function connect(endpoint: SshEndpoint): Promise<Client> {
  const sock = endpoint.jump ? await forwardThrough(endpoint.jump, endpoint) : undefined;
  const known = await endpoint.knownKeys();
  let verdict: HostKeyVerdict | undefined;
  const client = new Client();
  const config: ConnectConfig = {
    host: endpoint.hostName,
    port: endpoint.port,
    username: endpoint.user,
    sock,
    readyTimeout: endpoint.connectTimeoutMs,
    keepaliveInterval: KEEPALIVE_MS,
    keepaliveCountMax: KEEPALIVE_COUNT,
    // Ask for the key types known_hosts has for this host first, as OpenSSH does, so a known
    // RSA key is not missed because the server would rather show its ed25519 one.
    algorithms: { serverHostKey: hostKeyAlgorithms(known) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
    hostVerifier: (key: Buffer) => {
      verdict = verifyHostKey(known, key);
      return verdict.ok;
    },
    authHandler: await authMethods(endpoint),
  };
  return new Promise<Client>((resolve, reject) => {
    client.once('ready', () => resolve(client));
    client.once('error', (err: Error) => {
      client.end();
      if (verdict && !verdict.ok) reject(hostKeyError(endpoint, verdict));
      else reject(sshError(endpoint, err, 'connecting'));
    });
    client.connect(config);
  });
}

/** A TCP stream to the endpoint, opened from the jump host (ssh -J). */
async function forwardThrough(jump: SshEndpoint, to: SshEndpoint): Promise<ClientChannel> {
  const hop = await connect(jump);
  return new Promise((resolve, reject) =>
    hop.forwardOut('127.0.0.1', 0, to.hostName, to.port, (err, stream) => (err ? reject(sshError(jump, err, `forwarding to ${to.hostName}:${to.port}`)) : resolve(stream))),
  );
}

const ALGORITHMS_OF_TYPE: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

function hostKeyAlgorithms(known: readonly KnownKey[]): string[] {
  const all = Object.values(ALGORITHMS_OF_TYPE).flat();
  const preferred = [...new Set(known.filter((k) => !k.revoked).flatMap((k) => ALGORITHMS_OF_TYPE[k.type] ?? []))];
  return [...preferred, ...all.filter((a) => !preferred.includes(a))];
}

/** ssh-agent first (unless IdentitiesOnly), then each identity file that exists and is not encrypted. */
async function authMethods(endpoint: SshEndpoint): Promise<NonNullable<ConnectConfig['authHandler']>> {
  const methods: Array<{ type: 'agent'; username: string; agent: string } | { type: 'publickey'; username: string; key: Buffer }> = [];
  if (endpoint.agentSocket) methods.push({ type: 'agent', username: endpoint.user, agent: endpoint.agentSocket });
  for (const file of endpoint.identityFiles) {
    const key = await readFile(file).catch(() => undefined);
    if (!key) continue;
    const parsed = utils.parseKey(key);
    // An encrypted key needs its passphrase, which lvslab never asks for: load it into ssh-agent.
    if (parsed instanceof Error) continue;
    methods.push({ type: 'publickey', username: endpoint.user, key });
  }
  if (methods.length === 0) {
    throw new LvslabError(
      `no SSH key to log in to ${endpoint.label} with: no ssh-agent (SSH_AUTH_SOCK) and none of ${endpoint.identityFiles.join(', ') || 'no IdentityFile'} is a readable, unencrypted private key`,
      EXIT.hostUnreachable,
      'ssh-add ~/.ssh/id_ed25519   (an encrypted key goes through ssh-agent), or IdentityFile in ~/.ssh/config',
    );
  }
  return methods as NonNullable<ConnectConfig['authHandler']>;
}

function hostKeyError(endpoint: SshEndpoint, verdict: Extract<HostKeyVerdict, { ok: false }>): LvslabError {
  const name = knownHostsName(endpoint.hostName, endpoint.port);
  const scan = `ssh-keyscan -t ${verdict.keyType.replace(/^ssh-/, '')}${endpoint.port === 22 ? '' : ` -p ${endpoint.port}`} ${endpoint.hostName}`;
  if (verdict.reason === 'unknown') {
    return new LvslabError(
      `the host key of ${name} is not known: it offered ${verdict.keyType} ${verdict.fingerprint}, and no known_hosts file (${endpoint.knownHostsFiles.join(', ')}) lists ${name}. lvslab never accepts an unknown key`,
      EXIT.hostUnreachable,
      `check the fingerprint with the host's owner (on the host: ssh-keygen -lf /etc/ssh/ssh_host_${verdict.keyType.replace(/^ssh-|-sha2-nistp\d+$/g, '')}_key.pub), then: ssh ${endpoint.user}@${endpoint.hostName}${endpoint.port === 22 ? '' : ` -p ${endpoint.port}`} once and accept it, or ${scan} >> ~/.ssh/known_hosts`,
    );
  }
  const was = verdict.known.map((k) => `${k.type} ${fingerprint(k.blob)} (${k.source})`).join(', ');
  return new LvslabError(
    verdict.reason === 'revoked'
      ? `the host key of ${name} (${verdict.keyType} ${verdict.fingerprint}) is marked @revoked in known_hosts: refused`
      : `the host key of ${name} has CHANGED: it offered ${verdict.keyType} ${verdict.fingerprint}, but known_hosts has ${was}. Someone may be intercepting the connection, or the host was reinstalled; lvslab refuses it`,
    EXIT.hostUnreachable,
    `if the change is expected (ask the host's owner): ssh-keygen -R '${name}', then add the new key after checking its fingerprint`,
  );
}

/**
 * An SSH failure, and whether trying again may help: the host could not be reached, or the
 * connection failed on the way (retryable); a refused key is not (the host said no).
 */
export class SshFailure extends LvslabError {
  constructor(
    message: string,
    readonly retryable: boolean,
    hint?: string,
  ) {
    super(message, EXIT.hostUnreachable, hint);
  }
}

/** What went wrong reaching the host, in words; never any key material (ssh2's errors carry none). */
export function sshError(endpoint: SshEndpoint, err: Error & { level?: string; code?: string }, doing: string): SshFailure {
  const m = err.message ?? String(err);
  if (err.level === 'client-authentication' || /authentication methods failed/i.test(m)) {
    return new SshFailure(
      `${endpoint.label} refused every key lvslab offered (${[endpoint.agentSocket ? 'ssh-agent' : '', ...endpoint.identityFiles].filter(Boolean).join(', ')}) for user ${endpoint.user}`,
      false,
      `put your public key in ${endpoint.user}'s ~/.ssh/authorized_keys on the host (ssh-copy-id ${endpoint.user}@${endpoint.hostName}), or name the key: IdentityFile in ~/.ssh/config`,
    );
  }
  if (err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || /timed out/i.test(m)) {
    return new SshFailure(
      `cannot reach ${endpoint.label} while ${doing}: ${err.code === 'ENOTFOUND' ? `no such host ${endpoint.hostName}` : m}`,
      true,
      `check that the host is up and its sshd listens on port ${endpoint.port} (ssh -p ${endpoint.port} ${endpoint.user}@${endpoint.hostName} true)`,
    );
  }
  return new SshFailure(`SSH to ${endpoint.label} failed while ${doing}: ${m}`, true);
}
