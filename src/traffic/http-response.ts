// An incremental reader of one HTTP/1.x response, fed with the bytes as they arrive. It
// only needs to know three things: the status, the X-Real-Server header, and where the
// response ends (Content-Length, chunked, or the end of the connection), so that a
// keep-alive connection can carry the next one. The body itself is counted, not kept.
//
// Pure: no sockets, no clocks (unit-tested byte by byte).

/** Longest response head accepted (nginx's own are a few hundred bytes). */
export const MAX_HEAD_BYTES = 16 * 1024;

export interface ResponseHead {
  /** e.g. "1.1". */
  version: string;
  status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Map<string, string>;
  /** The connection may carry another request after this response. */
  keepAlive: boolean;
}

export type ParserState = 'head' | 'body' | 'complete' | 'error';

type Framing =
  | { kind: 'length'; remaining: number }
  | { kind: 'chunked'; phase: 'size' | 'data' | 'data-crlf' | 'trailer'; remaining: number; line: string }
  | { kind: 'until-close' };

const STATUS_LINE = /^HTTP\/(\d\.\d) (\d{3})(?: .*)?$/;
const CRLFCRLF = Buffer.from('\r\n\r\n');

export class ResponseParser {
  state: ParserState = 'head';
  head: ResponseHead | undefined;
  /** Why the response could not be read, when state is 'error'. */
  error: string | undefined;
  /** Bytes received after the end of the response (a well-behaved server sends none). */
  excessBytes = 0;
  private pending: Buffer = Buffer.alloc(0);
  private framing: Framing | undefined;

  /** Feeds the next bytes of the connection; returns the new state. */
  push(chunk: Buffer): ParserState {
    if (this.state === 'complete') {
      this.excessBytes += chunk.length;
      return this.state;
    }
    if (this.state === 'error') return this.state;
    if (this.state === 'head') {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      const end = this.pending.indexOf(CRLFCRLF);
      if (end < 0) {
        if (this.pending.length > MAX_HEAD_BYTES) this.fail(`response head longer than ${MAX_HEAD_BYTES} bytes`);
        return this.state;
      }
      if (end > MAX_HEAD_BYTES) return this.fail(`response head longer than ${MAX_HEAD_BYTES} bytes`);
      const rest = this.pending.subarray(end + CRLFCRLF.length);
      const headText = this.pending.subarray(0, end).toString('latin1');
      this.pending = Buffer.alloc(0);
      if (!this.readHead(headText)) return this.state;
      this.state = 'body';
      return this.body(rest);
    }
    return this.body(chunk);
  }

  /**
   * The peer closed the connection (FIN). Completes a response that runs until the close;
   * anything else still incomplete becomes an error ("closed before a full response").
   */
  end(): ParserState {
    if (this.state === 'body' && this.framing?.kind === 'until-close') this.state = 'complete';
    else if (this.state === 'head' || this.state === 'body') this.fail('connection closed before a full response');
    return this.state;
  }

  /** Ready for the next response on the same connection. */
  reset(): void {
    this.state = 'head';
    this.head = undefined;
    this.error = undefined;
    this.excessBytes = 0;
    this.pending = Buffer.alloc(0);
    this.framing = undefined;
  }

  /** A header of the response (name in any case), once the head is read. */
  header(name: string): string | undefined {
    return this.head?.headers.get(name.toLowerCase());
  }

  private fail(why: string): ParserState {
    this.state = 'error';
    this.error = why;
    return this.state;
  }

  private readHead(text: string): boolean {
    const lines = text.split('\r\n');
    const m = STATUS_LINE.exec(lines[0] ?? '');
    if (!m) {
      this.fail(`not an HTTP status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
      return false;
    }
    const version = m[1]!;
    const status = Number(m[2]);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) {
        this.fail(`malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
        return false;
      }
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const connection = (headers.get('connection') ?? '').toLowerCase();
    const keepAlive = version === '1.0' ? connection.includes('keep-alive') : !connection.includes('close');
    this.head = { version, status, headers, keepAlive };

    const transfer = (headers.get('transfer-encoding') ?? '').toLowerCase();
    const length = headers.get('content-length');
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
      this.framing = { kind: 'length', remaining: 0 };
    } else if (transfer.includes('chunked')) {
      this.framing = { kind: 'chunked', phase: 'size', remaining: 0, line: '' };
    } else if (length !== undefined) {
      if (!/^\d+$/.test(length)) {
        this.fail(`bad Content-Length: ${JSON.stringify(length)}`);
        return false;
      }
      this.framing = { kind: 'length', remaining: Number(length) };
    } else {
      // No length: the body runs until the server closes, and the connection cannot be reused.
      this.framing = { kind: 'until-close' };
      this.head.keepAlive = false;
    }
    return true;
  }

  private body(bytes: Buffer): ParserState {
    const f = this.framing!;
    if (f.kind === 'until-close') return this.state;
    if (f.kind === 'length') {
      const used = Math.min(f.remaining, bytes.length);
      f.remaining -= used;
      if (f.remaining === 0) {
        this.state = 'complete';
        this.excessBytes += bytes.length - used;
      }
      return this.state;
    }
    return this.chunked(f, bytes);
  }

  private chunked(f: Extract<Framing, { kind: 'chunked' }>, bytes: Buffer): ParserState {
    let i = 0;
    while (i < bytes.length && this.state === 'body') {
      if (f.phase === 'data') {
        const used = Math.min(f.remaining, bytes.length - i);
        f.remaining -= used;
        i += used;
        if (f.remaining === 0) {
          f.phase = 'data-crlf';
          f.line = '';
        }
        continue;
      }
      // size, data-crlf and trailer phases read whole lines.
      const nl = bytes.indexOf(0x0a, i);
      const piece = bytes.subarray(i, nl < 0 ? bytes.length : nl).toString('latin1');
      i = nl < 0 ? bytes.length : nl + 1;
      f.line += piece;
      if (f.line.length > MAX_HEAD_BYTES) return this.fail('chunk line too long');
      if (nl < 0) break;
      const line = f.line.replace(/\r$/, '');
      f.line = '';
      if (f.phase === 'data-crlf') {
        if (line !== '') return this.fail('missing CRLF after a chunk');
        f.phase = 'size';
      } else if (f.phase === 'size') {
        const size = /^([0-9a-fA-F]+)(;.*)?$/.exec(line);
        if (!size) return this.fail(`bad chunk size line: ${JSON.stringify(line.slice(0, 40))}`);
        f.remaining = parseInt(size[1]!, 16);
        f.phase = f.remaining === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        this.state = 'complete';
      }
    }
    if (this.state === 'complete') this.excessBytes += bytes.length - i;
    return this.state;
  }
}
