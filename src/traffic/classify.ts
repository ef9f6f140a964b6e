// How a failure or an answer becomes an outcome. Pure, so the mapping is written down in
// one place and unit-tested; the sockets only report what happened.
import type { LongLivedBreak, RequestOutcome } from '../experiment/types.js';

/** Error codes that mean the peer (or something on the path) reset the connection. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * A socket error before a complete answer:
 *  - ECONNREFUSED (a RST answering our SYN: nothing listens, or a reject rule) -> refused
 *  - ECONNRESET / EPIPE / ECONNABORTED (a RST on an open connection)          -> reset
 *  - ETIMEDOUT (the kernel gave up retransmitting)                            -> timeout
 *  - anything else (EHOSTUNREACH, ENETUNREACH from ICMP, EADDRNOTAVAIL, ...)  -> error
 */
export function outcomeOfError(code: string | undefined): RequestOutcome {
  if (code === 'ECONNREFUSED') return 'refused';
  if (code !== undefined && RESET_CODES.has(code)) return 'reset';
  if (code === 'ETIMEDOUT') return 'timeout';
  return 'error';
}

/** A complete answer: 2xx is ok, any other status an error (the record keeps the status). */
export function outcomeOfStatus(status: number): RequestOutcome {
  return status >= 200 && status < 300 ? 'ok' : 'error';
}

/**
 * Why an open long-lived connection ended, from its socket error: a RST is 'rst', the
 * kernel's own timeout is 'timeout', anything else (an orderly close, an ICMP error) is
 * 'closed'. Timeouts of our own heartbeat deadline and server changes are decided by the
 * connection itself.
 */
export function breakOfError(code: string | undefined): LongLivedBreak {
  if (code !== undefined && (RESET_CODES.has(code) || code === 'ECONNREFUSED')) return 'rst';
  if (code === 'ETIMEDOUT') return 'timeout';
  return 'closed';
}
