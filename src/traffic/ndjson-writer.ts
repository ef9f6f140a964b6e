// Append-only NDJSON output with batched writes: lines collect in memory and go to the
// file in one write() per batch (every flushIntervalMs, or sooner when the batch grows
// large), so thousands of records a second cost a few system calls. Writes are
// synchronous on purpose: they keep the lines in order, and a flush in a signal handler
// is complete before the process exits.
import { closeSync, openSync, writeSync } from 'node:fs';

export interface NdjsonWriterOptions {
  flushIntervalMs?: number;
  /** Flush at once when the pending batch reaches this many bytes. */
  maxBatchBytes?: number;
}

export class NdjsonWriter {
  /** Lines handed to write() so far. */
  lines = 0;
  private readonly fd: number;
  private batch: string[] = [];
  private batchBytes = 0;
  private readonly maxBatchBytes: number;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  /** Creates (or truncates) `path`. */
  constructor(readonly path: string, opts: NdjsonWriterOptions = {}) {
    this.fd = openSync(path, 'w', 0o644);
    this.maxBatchBytes = opts.maxBatchBytes ?? 256 * 1024;
    this.timer = setInterval(() => this.flush(), opts.flushIntervalMs ?? 200);
    this.timer.unref();
  }

  write(value: unknown): void {
    if (this.closed) throw new Error(`${this.path}: write after close`);
    const line = JSON.stringify(value) + '\n';
    this.batch.push(line);
    this.batchBytes += line.length;
    this.lines++;
    if (this.batchBytes >= this.maxBatchBytes) this.flush();
  }

  flush(): void {
    if (this.batch.length === 0 || this.closed) return;
    const data = Buffer.from(this.batch.join(''), 'utf8');
    this.batch = [];
    this.batchBytes = 0;
    let off = 0;
    while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    clearInterval(this.timer);
    this.closed = true;
    closeSync(this.fd);
  }
}
