// healthd's log lines, worded like keepalived 2.2.7's checker messages so that people and
// scripts used to keepalived logs find the same events (`Removing service ... from VS ...`).
import type { ResolvedHealthCheck } from '../model/types.js';
import type { CheckOutcome, HealthEvent } from './healthcheck.js';

/** keepalived's way of naming an endpoint: `[10.0.1.129]:tcp:80`. */
export function endpoint(address: string, protocol: string, port: number): string {
  return `[${address}]:${protocol}:${port}`;
}

function checkerName(type: ResolvedHealthCheck['type']): string {
  return type === 'http' ? 'HTTP_CHECK' : 'TCP_CHECK';
}

function attemptText(outcome: CheckOutcome, type: ResolvedHealthCheck['type']): string {
  if (outcome.ok) return '';
  switch (outcome.failure) {
    case 'refused':
      return 'Error connecting (connection refused)';
    case 'timeout':
      return outcome.detail.includes('status line') ? 'Timeout reading the HTTP status line' : 'Timeout connecting';
    case 'status':
      return `HTTP status code error, ${outcome.detail}`;
    case 'error':
      return `${type === 'http' ? 'HTTP' : 'TCP'} error: ${outcome.detail}`;
  }
}

/** Log lines for one checker event on real server `rs` of virtual server `vs`. */
export function eventLines(
  event: HealthEvent,
  type: ResolvedHealthCheck['type'],
  rs: string,
  vs: string,
  inhibit: boolean,
): string[] {
  switch (event.kind) {
    case 'check-failed': {
      const base = `${checkerName(type)} on service ${rs} failed: ${attemptText(event.outcome, type)}`;
      if (event.retryAt === undefined) return [`${base}.`];
      const inMs = event.retryAt - event.at;
      return [`${base}; retry ${event.attempt} of ${event.attempts - 1} in ${formatSeconds(inMs)}.`];
    }
    case 'down':
      return [
        `${checkerName(type)} on service ${rs} failed after ${event.attempts - 1} retries.`,
        inhibit ? `Disabling service ${rs} of VS ${vs}` : `Removing service ${rs} from VS ${vs}`,
      ];
    case 'up':
      return [
        type === 'http' ? `Remote Web server ${rs} succeed on service.` : `TCP connection to ${rs} success.`,
        inhibit ? `Enabling service ${rs} to VS ${vs}` : `Adding service ${rs} to VS ${vs}`,
      ];
  }
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/** One log line: ISO timestamp with milliseconds, a space, the message. */
export function logLine(at: Date, message: string): string {
  return `${at.toISOString()} ${message}`;
}
