// One long-lived connection slot: a TCP connection held open with HTTP/1.1 keep-alive,
// one request per heartbeat, and a new connection whenever the current one breaks.
//
// Events (LongLivedEvent):
//   open    the slot's first connection answered its first request (server = who answered)
//   break   an answered connection stopped working:
//             rst             a RST (ECONNRESET/EPIPE)
//             timeout         a heartbeat got no complete answer within timeoutMs
//             closed          the server closed it (FIN, or `Connection: close` in an answer),
//                             an unreadable answer, or any other socket error
//             server-changed  an answer on the same connection named another X-Real-Server
//   reopen  after a break, a new connection answered its first request
// Connection attempts that fail before their first answer are not events: the slot simply
// tries again, at most once per heartbeat, until one answers.
import { connect, type Socket } from 'node:net';
import type { LongLivedBreak, LongLivedEvent } from '../experiment/types.js';
import { breakOfError } from './classify.js';
import { nowMs, round3, setDeadline } from './clock.js';
import { ResponseParser } from './http-response.js';
import { SERVER_HEADER } from './one-shot.js';

export interface LongLivedTarget {
  client: string;
  /** Slot number within the client (0-based). */
  connection: number;
  host: string;
  port: number;
  localAddress?: string;
  heartbeatMs: number;
  timeoutMs: number;
  /** The heartbeat request (src/traffic/http-request.ts keepAliveRequest). */
  request: Buffer;
}

export interface LongLivedHooks {
  event(e: LongLivedEvent): void;
  heartbeatSent(): void;
  heartbeatAnswered(): void;
  /** Diagnostics for the generator's log (why a connection broke). */
  log(message: string): void;
}

export class LongLivedConnection {
  private socket: Socket | undefined;
  private readonly parser = new ResponseParser();
  /** The current socket has answered at least once. */
  private answered = false;
  private everOpened = false;
  /** A break happened and no new connection has answered yet. */
  private broken = false;
  private server: string | undefined;
  private attemptAt = 0;
  private lastSendAt = 0;
  /** Next heartbeat or next connection attempt. */
  private timer: NodeJS.Timeout | undefined;
  /** Deadline of the outstanding request. */
  private deadline: { clear(): void } | undefined;
  private stopped = false;

  constructor(
    private readonly target: LongLivedTarget,
    private readonly hooks: LongLivedHooks,
  ) {}

  /** First connection attempt after `delayMs`. */
  start(delayMs: number): void {
    this.timer = setTimeout(() => this.attempt(), Math.max(0, delayMs));
  }

  /** Closes the connection for good (end of the window): no event. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.deadline?.clear();
    const s = this.socket;
    this.socket = undefined;
    s?.destroy();
  }

  private attempt(): void {
    if (this.stopped) return;
    this.attemptAt = nowMs();
    this.answered = false;
    this.server = undefined;
    this.parser.reset();
    const t = this.target;
    const s = connect({ host: t.host, port: t.port, localAddress: t.localAddress, noDelay: true });
    this.socket = s;
    s.on('data', (chunk: Buffer) => this.onData(s, chunk));
    s.on('end', () => this.onGone(s, undefined, 'FIN from the server'));
    s.on('error', (err: NodeJS.ErrnoException) => this.onGone(s, err.code, err.message));
    s.on('close', () => this.onGone(s, undefined, 'socket closed'));
    this.send(s);
  }

  private send(s: Socket): void {
    this.lastSendAt = nowMs();
    this.hooks.heartbeatSent();
    s.write(this.target.request);
    this.deadline = setDeadline(this.lastSendAt, this.target.timeoutMs, () => this.onTimeout(s));
  }

  private onData(s: Socket, chunk: Buffer): void {
    if (s !== this.socket) return;
    const state = this.parser.push(chunk);
    if (state === 'error') return this.lost(s, 'closed', `unreadable answer: ${this.parser.error}`);
    if (state !== 'complete') return;

    this.deadline?.clear();
    this.hooks.heartbeatAnswered();
    const server = this.parser.header(SERVER_HEADER);
    const keepAlive = this.parser.head!.keepAlive;
    this.parser.reset();
    if (!this.answered) {
      this.answered = true;
      this.server = server;
      if (!this.everOpened) {
        this.everOpened = true;
        this.emit('open');
      } else if (this.broken) {
        this.broken = false;
        this.emit('reopen');
      }
    } else if (server !== this.server) {
      return this.lost(s, 'server-changed', `answered by ${server ?? '(no header)'} instead of ${this.server ?? '(no header)'}`);
    }
    // The server announced it will close (keepalive_requests reached, shutting down).
    if (!keepAlive) return this.lost(s, 'closed', 'the server answered with Connection: close');

    const next = this.lastSendAt + this.target.heartbeatMs;
    this.timer = setTimeout(() => {
      if (s === this.socket && !this.stopped) this.send(s);
    }, Math.max(0, next - nowMs()));
  }

  private onTimeout(s: Socket): void {
    if (s !== this.socket) return;
    if (this.answered) this.lost(s, 'timeout', `no answer within ${this.target.timeoutMs} ms`);
    else this.retry(s);
  }

  private onGone(s: Socket, code: string | undefined, why: string): void {
    if (s !== this.socket || this.stopped) return;
    if (this.answered) this.lost(s, breakOfError(code), code ? `${code}: ${why}` : why);
    else this.retry(s);
  }

  /** An answered connection broke: record it and start over on a new one. */
  private lost(s: Socket, kind: LongLivedBreak, why: string): void {
    this.emit('break', kind);
    this.hooks.log(`connection ${this.target.connection} to ${this.server ?? '?'} broke (${kind}): ${why}`);
    this.broken = true;
    this.retry(s);
  }

  /** Drops `s` and tries a new connection, no sooner than one heartbeat after the last try. */
  private retry(s: Socket): void {
    this.deadline?.clear();
    clearTimeout(this.timer);
    this.socket = undefined;
    s.destroy();
    if (this.stopped) return;
    const wait = this.attemptAt + this.target.heartbeatMs - nowMs();
    this.timer = setTimeout(() => this.attempt(), Math.max(0, wait));
  }

  private emit(kind: LongLivedEvent['kind'], breakKind?: LongLivedBreak): void {
    const e: LongLivedEvent = { t: round3(nowMs()), client: this.target.client, connection: this.target.connection, kind };
    if (breakKind !== undefined) e.breakKind = breakKind;
    if (this.server !== undefined) e.server = this.server;
    this.hooks.event(e);
  }
}
