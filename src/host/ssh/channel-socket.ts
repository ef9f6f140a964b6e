// An SSH channel as the socket node:http wants from an Agent: one HTTP connection to a host's
// Docker engine (its socket forwarded by sshd, or `docker system dial-stdio`). ssh2's Channel
// is a Duplex, but not a socket: its destroy() only sends CHANNEL_CLOSE, and it emits 'close'
// only after its readable side has been read to the end. node:http's Agent makes a spare
// socket whenever a socket goes away while requests wait, and destroys it unread when another
// socket took the request; a bare channel then never closes, so both its place among the
// connection's channels and the Agent's count of sockets leak until every request waits
// forever. This stream is destroyed when node:http destroys it, keeps the channel read to its
// end so it does close, and says when it has (`onChannelClosed`).
import { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';

/** The `code` of the error a stream ends with when its command failed before it carried a byte. */
export const REMOTE_COMMAND_FAILED = 'LVSLAB_REMOTE_COMMAND_FAILED';

/** How much of the remote command's stderr an error quotes (dial-stdio says why it failed there). */
const STDERR_KEPT = 2048;

export class ChannelSocket extends Duplex {
  private received = false;
  private exitCode: number | undefined;
  private stderrText = '';

  constructor(
    private readonly channel: ClientChannel,
    /** Names the command and host in errors ("docker system dial-stdio on root@lab1:22"). */
    private readonly what: string,
    onChannelClosed: () => void,
  ) {
    // A net.Socket's default: when the engine's side ends, so does ours.
    super({ allowHalfOpen: false });
    channel.on('data', (b: Buffer) => {
      this.received = true;
      if (!this.push(b)) channel.pause();
    });
    channel.stderr.on('data', (b: Buffer) => {
      if (this.stderrText.length < STDERR_KEPT) this.stderrText += b.toString('utf8').slice(0, STDERR_KEPT - this.stderrText.length);
    });
    channel.on('exit', (code: number | null) => {
      if (typeof code === 'number') this.exitCode = code;
    });
    // A command that failed before it carried a byte (no docker on the host, no engine) gets
    // its own words, not node:http's "socket hang up". Its exit status may come after its
    // end, never after the channel's close: an empty stream's end waits for that.
    let endWithoutBytes = false;
    channel.on('end', () => {
      if (this.received) this.push(null);
      else endWithoutBytes = true;
    });
    channel.on('error', (err: Error) => this.failLater(err));
    // Not destroyed here: what the channel carried before it closed may not have been read
    // yet (node:http hands an upgraded connection over unread). The channel's end was pushed
    // as this stream's end; once that is read, the stream ends and closes itself.
    channel.once('close', () => {
      onChannelClosed();
      if (!endWithoutBytes) return;
      if (this.exitCode === undefined || this.exitCode === 0) this.push(null);
      else this.failLater(Object.assign(new Error(`${this.what} exited ${this.exitCode}${this.stderrText.trim() ? `: ${this.stderrText.trim()}` : ''}`), { code: REMOTE_COMMAND_FAILED }));
    });
  }

  /**
   * A quick command's exit, end and close can come in the packet that confirms the channel,
   * before whoever opened it (node:http, in a promise's continuation) listens for 'error':
   * the error waits until this turn of the event loop is over.
   */
  private failLater(err: Error): void {
    setImmediate(() => this.destroy(err));
  }

  override _read(): void {
    this.channel.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    // A channel whose sending side is gone never calls back (ssh2 drops the write): fail it.
    if ((this.channel.outgoing as { state?: string }).state !== 'open') return callback(new Error(`${this.what}: the channel is closed`));
    this.channel.write(chunk, callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.channel.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.channel.close();
    // Read whatever is left, so the channel reaches its end and emits 'close'.
    this.channel.resume();
    this.channel.stderr.resume();
    callback(err);
  }

  // What node:http calls on its sockets; an SSH channel has no such settings. (A request
  // timeout needs setTimeout; dockerode here sets none, and the SSH connection's keepalives
  // notice a dead host.)
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}
