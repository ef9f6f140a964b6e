// The bytes of the generator's requests. Pure.
import { isIPv6 } from 'node:net';

export interface RequestTarget {
  host: string;
  port: number;
  path: string;
}

/** Host header value: IPv6 literals in brackets, the port only when it is not 80. */
export function hostHeader(t: RequestTarget): string {
  const host = isIPv6(t.host) ? `[${t.host}]` : t.host;
  return t.port === 80 ? host : `${host}:${t.port}`;
}

/**
 * One request per new connection: HTTP/1.0 with `Connection: close`, so the server closes
 * first once it has answered. That puts TIME_WAIT on the server's side, and the client's
 * ephemeral ports stay free at thousands of connections per second.
 */
export function oneShotRequest(t: RequestTarget): Buffer {
  return Buffer.from(`GET ${t.path} HTTP/1.0\r\nHost: ${hostHeader(t)}\r\nUser-Agent: lvslab-traffic\r\nConnection: close\r\n\r\n`, 'latin1');
}

/** A heartbeat on a long-lived connection: HTTP/1.1, which keeps the connection by default. */
export function keepAliveRequest(t: RequestTarget): Buffer {
  return Buffer.from(`GET ${t.path} HTTP/1.1\r\nHost: ${hostHeader(t)}\r\nUser-Agent: lvslab-traffic\r\n\r\n`, 'latin1');
}
