// One health check against one real server, as keepalived's TCP_CHECK and HTTP_GET do it:
// a TCP connect, and for HTTP a `GET path HTTP/1.0` whose status line must carry the
// expected code. The whole check is bounded by connect_timeout.
import { connect, type Socket } from 'node:net';
import type { CheckOutcome } from './healthcheck.js';

export interface ProbeTarget {
  address: string;
  port: number;
  type: 'http' | 'tcp';
  /** http only. */
  path?: string;
  status?: number;
  timeoutMs: number;
}

export function probe(target: ProbeTarget): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    let response = '';
    const socket: Socket = connect({ host: target.address, port: target.port });
    const finish = (outcome: CheckOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          failure: 'timeout',
          detail: response ? 'timeout waiting for the HTTP status line' : 'timeout connecting',
        }),
      target.timeoutMs,
    );
    socket.on('error', (e: NodeJS.ErrnoException) => {
      const refused = e.code === 'ECONNREFUSED';
      finish({ ok: false, failure: refused ? 'refused' : 'error', detail: refused ? 'connection refused' : e.message });
    });
    socket.on('connect', () => {
      if (target.type === 'tcp') {
        finish({ ok: true, detail: 'connected' });
        return;
      }
      const host = target.port === 80 ? target.address : `${target.address}:${target.port}`;
      socket.write(`GET ${target.path ?? '/'} HTTP/1.0\r\nUser-Agent: lvslab-healthd\r\nHost: ${host}\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      response += chunk.toString('latin1');
      const eol = response.indexOf('\r\n');
      if (eol < 0 && response.length < 4096) return;
      finish(judgeStatusLine(response.slice(0, eol < 0 ? response.length : eol), target.status ?? 200));
    });
    socket.on('end', () => {
      finish(
        response
          ? judgeStatusLine(response.split('\r\n')[0] ?? '', target.status ?? 200)
          : { ok: false, failure: 'error', detail: 'connection closed before any HTTP response' },
      );
    });
  });
}

function judgeStatusLine(line: string, expected: number): CheckOutcome {
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(line);
  if (!m) return { ok: false, failure: 'error', detail: `not an HTTP status line: ${JSON.stringify(line.slice(0, 80))}` };
  const code = Number(m[1]);
  if (code === expected) return { ok: true, detail: `status ${code}` };
  return { ok: false, failure: 'status', detail: `status_code [${code}], expected ${expected}` };
}
