// One request on a NEW TCP connection, so the router's L4 ECMP hash sees a new flow each
// time, ending in exactly one RequestRecord. The server is expected to close first (the
// request says `Connection: close`): the socket stays open after the answer until the
// server's FIN arrives, which keeps TIME_WAIT off the client's ephemeral ports.
import { connect, type Socket } from 'node:net';
import type { RequestOutcome, RequestRecord } from '../experiment/types.js';
import { outcomeOfError, outcomeOfStatus } from './classify.js';
import { nowMs, round3, setDeadline } from './clock.js';
import { ResponseParser } from './http-response.js';

/** Header naming the real server (src/render/nginx.ts REAL_SERVER_HEADER). */
export const SERVER_HEADER = 'x-real-server';

export interface OneShotTarget {
  client: string;
  host: string;
  port: number;
  localAddress?: string;
  timeoutMs: number;
  /** The request bytes (src/traffic/http-request.ts oneShotRequest). */
  request: Buffer;
}

export interface OneShotEvents {
  /** Exactly once per request unless it is aborted. */
  record(r: RequestRecord): void;
  /** Exactly once, when the socket is closed (its file descriptor is free again). */
  closed(): void;
}

export interface OneShot {
  /** When connect() was called, epoch ms. */
  readonly t: number;
  /** Closes the connection without a record (the generator is being stopped). */
  abort(): void;
}

export function startOneShot(target: OneShotTarget, events: OneShotEvents): OneShot {
  const t = nowMs();
  const socket: Socket = connect({ host: target.host, port: target.port, localAddress: target.localAddress, noDelay: true });
  const parser = new ResponseParser();
  let localPort: number | undefined;
  let recorded = false;
  let aborted = false;

  // The kernel picks the source port inside connect(), which Node calls on the next turn
  // of the loop; read it as soon as possible, so that even a refused or timed-out flow
  // says which port (and so which ECMP hash) it had.
  const notePort = (): void => {
    if (localPort === undefined && socket.localPort) localPort = socket.localPort;
  };
  setImmediate(notePort);

  const finish = (outcome: RequestOutcome): void => {
    if (recorded || aborted) return;
    recorded = true;
    notePort();
    const end = nowMs();
    const record: RequestRecord = { t: round3(t), client: target.client, latencyMs: round3(end - t), outcome };
    const status = parser.head?.status;
    if (outcome === 'ok') {
      const server = parser.header(SERVER_HEADER);
      if (server !== undefined) record.server = server;
    }
    if (localPort !== undefined) record.localPort = localPort;
    if (status !== undefined) record.status = status;
    events.record(record);
  };

  // One timer: the answer's deadline, then (once answered) how long the server may take
  // to close before we close ourselves.
  let timer = setDeadline(t, target.timeoutMs, () => {
    notePort();
    finish('timeout');
    socket.destroy();
  });

  socket.on('connect', notePort);
  socket.on('data', (chunk: Buffer) => {
    const state = parser.push(chunk);
    if (state === 'complete' && !recorded) {
      finish(outcomeOfStatus(parser.head!.status));
      timer.clear();
      timer = setDeadline(nowMs(), target.timeoutMs, () => socket.destroy());
    } else if (state === 'error') {
      finish('error');
      socket.destroy();
    }
  });
  socket.on('end', () => {
    // FIN from the server: complete only if the body was meant to run until the close.
    const state = parser.end();
    finish(state === 'complete' ? outcomeOfStatus(parser.head!.status) : 'reset');
  });
  socket.on('error', (err: NodeJS.ErrnoException) => finish(outcomeOfError(err.code)));
  socket.on('close', () => {
    timer.clear();
    finish('reset'); // closed with neither an answer, an error nor a FIN: cannot happen, but never lose a record
    events.closed();
  });
  socket.write(target.request); // queued until the connection is up

  return {
    t,
    abort(): void {
      if (!recorded) aborted = true;
      timer.clear();
      socket.destroy();
    },
  };
}
