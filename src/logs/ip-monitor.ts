// `ip -ts monitor route` output of iproute2 6.1, as RouteEvents, and `ip -ts monitor neigh`
// output, as NeighbourEvents (at the end of this file).
//
//   [2026-11-21T11:16:31.477988] 10.0.1.100 nhid 11 via 10.0.1.133 dev eth0 proto ospf metric 20
//   [2026-11-21T11:16:33.834794] 10.0.1.100 nhid 10 proto ospf metric 20
//   	nexthop via 10.0.1.133 dev eth0 weight 1
//   	nexthop via 10.0.1.135 dev eth0 weight 1
//   [2026-11-21T11:16:47.793202] Deleted 10.0.1.100 nhid 12 via 10.0.1.135 dev eth0 proto ospf metric 20
//
// The timestamp (local time, microseconds) opens each event; a multipath route continues on
// tab-indented `nexthop` lines. With -d the line starts with the route type (`unicast`),
// names the table and adds `nh_info` lines, which are ignored. iproute2 prints "Deleted"
// for RTM_DELROUTE and nothing for a new or replaced route, so add vs change is told from
// what this stream (or `present`) already knew about the prefix.
//
// Only unicast routes of the main table become events (local/broadcast routes, other tables
// and IPv6 link-local churn are not what the figures look at). Next hops marked `dead` are
// left out: the kernel does not forward over them.
import type { NeighbourEvent, RouteEvent } from '../experiment/types.js';
import { type LogTimeZone, textLines, wallClockToEpochMs } from './time.js';

export interface IpMonitorParseOptions {
  /** Router the monitor ran on. */
  node: string;
  timeZone?: LogTimeZone;
  /** Prefixes (normalised, e.g. 10.0.1.100/32) that existed when the monitor started. */
  present?: Iterable<string>;
}

/** `ip -ts` prints microseconds, in ms. */
export const IP_MONITOR_RESOLUTION_MS = 0.001;

const EVENT_START = /^\[(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\] (.*)$/;
const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'multicast', 'anycast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat']);

interface PendingEvent {
  t: number;
  head: string;
  continuation: string[];
}

export function parseIpMonitorRoute(text: string, options: IpMonitorParseOptions): RouteEvent[] {
  const zone = options.timeZone ?? 'local';
  const known = new Set(options.present ?? []);
  const events: RouteEvent[] = [];
  let pending: PendingEvent | undefined;

  const flush = (): void => {
    if (!pending) return;
    const event = routeEvent(pending, options.node, known);
    if (event) events.push(event);
    pending = undefined;
  };

  for (const line of textLines(text)) {
    const m = EVENT_START.exec(line);
    if (m) {
      flush();
      const [, year, month, day, hour, minute, second, fraction, rest] = m;
      const t = wallClockToEpochMs(
        { year: Number(year), month: Number(month), day: Number(day), hour: Number(hour), minute: Number(minute), second: Number(second), fraction: fraction ?? '' },
        zone,
      );
      pending = { t, head: rest!, continuation: [] };
    } else if (/^\s/.test(line) && pending) {
      pending.continuation.push(line);
    } else {
      // Not part of a timestamped event (e.g. an error message): end the current one.
      flush();
    }
  }
  flush();
  return events;
}

function routeEvent(pending: PendingEvent, node: string, known: Set<string>): RouteEvent | undefined {
  const tokens = pending.head.trim().split(/\s+/);
  let deleted = false;
  if (tokens[0] === 'Deleted') {
    deleted = true;
    tokens.shift();
  }
  let type = 'unicast';
  if (tokens[0] !== undefined && ROUTE_TYPES.has(tokens[0])) type = tokens.shift()!;
  const destination = tokens.shift();
  if (destination === undefined || type !== 'unicast') return undefined;
  const table = valueAfter(tokens, 'table');
  if (table !== undefined && table !== 'main') return undefined;
  const prefix = normalisePrefix(destination);
  if (prefix === undefined) return undefined;

  const nextHops: string[] = [];
  const single = nextHopOf(tokens);
  if (single !== undefined) nextHops.push(single);
  for (const line of pending.continuation) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== 'nexthop') continue; // nh_info lines of -d, cache lines, ...
    const hop = nextHopOf(words.slice(1));
    if (hop !== undefined) nextHops.push(hop);
  }

  let kind: RouteEvent['kind'];
  if (deleted) {
    kind = 'del';
    known.delete(prefix);
  } else {
    kind = known.has(prefix) ? 'change' : 'add';
    known.add(prefix);
  }
  const raw = [pending.head, ...pending.continuation].map((l) => l.trimEnd()).join('\n');
  return { t: pending.t, node, prefix, kind, nextHops: deleted ? [] : nextHops, raw };
}

/**
 * The gateway of one path: `via [inet] ADDR`, or `dev IF` for a path without gateway.
 * undefined for a path the kernel marked dead, or one with neither.
 */
function nextHopOf(words: string[]): string | undefined {
  if (words.includes('dead')) return undefined;
  const i = words.indexOf('via');
  if (i >= 0) {
    let address = words[i + 1];
    if (address === 'inet' || address === 'inet6') address = words[i + 2];
    return address;
  }
  const dev = valueAfter(words, 'dev');
  return dev === undefined ? undefined : `dev ${dev}`;
}

function valueAfter(words: string[], key: string): string | undefined {
  const i = words.indexOf(key);
  return i >= 0 ? words[i + 1] : undefined;
}

/** 10.0.1.100 -> 10.0.1.100/32, default -> 0.0.0.0/0; CIDRs as they are. */
export function normalisePrefix(destination: string): string | undefined {
  if (destination === 'default') return '0.0.0.0/0';
  if (destination.includes('/')) return destination;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(destination)) return `${destination}/32`;
  if (destination.includes(':')) return `${destination}/128`;
  return undefined;
}

// ---------------------------------------------------------------------------
// Neighbour entries
// ---------------------------------------------------------------------------
//
//   [2026-12-02T15:30:32.671674] 10.0.1.100 dev eth0 lladdr 02:5c:0e:a9:7d:44 STALE
//   [2026-12-02T15:30:37.886542] 10.0.1.100 dev eth0 lladdr 02:5c:0e:a9:7d:44 PROBE
//   [2026-12-02T15:30:40.101010] 10.0.1.100 dev eth0 FAILED
//   [2026-12-02T15:30:41.000000] Deleted 10.0.1.100 dev eth0 lladdr 02:5c:0e:a9:7d:44 STALE
//
// One line per change, the states last (upper case words). The kernel reports every state
// change, so a MAC change shows at the moment the router accepted it (a gratuitous ARP),
// with the monitor's microsecond timestamp. `miss` lines (application probes) and anything
// not IPv4 are left out.

const NUD_STATE = /^[A-Z_]+$/;

export function parseIpMonitorNeigh(text: string, options: { node: string; timeZone?: LogTimeZone }): NeighbourEvent[] {
  const zone = options.timeZone ?? 'local';
  const events: NeighbourEvent[] = [];
  for (const line of textLines(text)) {
    const m = EVENT_START.exec(line);
    if (!m) continue;
    const [, year, month, day, hour, minute, second, fraction, rest] = m;
    const words = rest!.trim().split(/\s+/);
    let deleted = false;
    if (words[0] === 'Deleted') {
      deleted = true;
      words.shift();
    }
    const address = words.shift();
    if (address === undefined || !/^\d+\.\d+\.\d+\.\d+$/.test(address)) continue;
    const state: string[] = [];
    while (words.length > 0 && NUD_STATE.test(words[words.length - 1]!)) state.unshift(words.pop()!);
    const dev = valueAfter(words, 'dev');
    const lladdr = valueAfter(words, 'lladdr');
    const t = wallClockToEpochMs(
      { year: Number(year), month: Number(month), day: Number(day), hour: Number(hour), minute: Number(minute), second: Number(second), fraction: fraction ?? '' },
      zone,
    );
    events.push({ t, node: options.node, address, ...(dev ? { dev } : {}), ...(lladdr ? { lladdr: lladdr.toLowerCase() } : {}), state, deleted, raw: rest!.trimEnd() });
  }
  return events;
}
