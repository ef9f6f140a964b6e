// The directors' connection counters (IPVS Conns or the fallback's nft counters) as the
// snapshots captured them, turned into deltas over a stretch of the run.
//
// A delta between two snapshots counts the connections scheduled between the moments they
// were taken. It equals a phase's connections only when the snapshots sit on the phase's
// boundaries; markingSnapshot() checks that against the request records themselves (no
// connection was opened between the snapshot and the boundary), instead of trusting labels.
import type { Snapshot } from '../experiment/types.js';
import type { ResolvedService } from '../model/types.js';
import { type RunContext, rel } from './context.js';

export function snapshotOf(snapshots: Snapshot[], phase: Snapshot['phase']): Snapshot | undefined {
  return snapshots.find((s) => s.phase === phase);
}

/** Snapshots may key a service by name, VIP or VIP:port; accept each. */
function serviceKeys(service: ResolvedService): string[] {
  return [service.name, service.vip, `${service.vip}:${service.port}`];
}

function pick<T>(record: Record<string, T> | undefined, keys: string[]): T | undefined {
  if (!record) return undefined;
  for (const k of keys) if (record[k] !== undefined) return record[k];
  return undefined;
}

/** Connections the director accepted for the service so far, undefined when the snapshot lacks it. */
export function serviceConnections(snapshot: Snapshot, director: string, service: ResolvedService): number | undefined {
  return pick(snapshot.directors[director]?.services, serviceKeys(service));
}

/** real server node -> connections the director scheduled to it so far (keys by node, address or address:port). */
export function realServerConnections(snapshot: Snapshot, director: string, service: ResolvedService): Record<string, number> | undefined {
  const perServer = pick(snapshot.directors[director]?.realServers, serviceKeys(service));
  if (!perServer) return undefined;
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(perServer)) {
    const rs = service.realServers.find((r) => key === r.node || key === r.address || key === `${r.address}:${r.port}`);
    const name = rs?.node ?? key;
    out[name] = (out[name] ?? 0) + value;
  }
  return out;
}

export interface Deltas {
  /** Name -> counter growth; names whose growth is unknown are absent. */
  values: Record<string, number>;
  /** What could not be counted, for notes. */
  problems: string[];
}

/** New connections per director between two snapshots (service counter). */
export function directorDeltas(from: Snapshot, to: Snapshot, service: ResolvedService): Deltas {
  const values: Record<string, number> = {};
  const problems: string[] = [];
  for (const director of service.directors) {
    const a = serviceConnections(from, director, service);
    const b = serviceConnections(to, director, service);
    if (a === undefined || b === undefined) {
      problems.push(`director ${director} has no counter for service ${service.name} in the ${a === undefined ? from.phase : to.phase} snapshot`);
    } else if (b < a) {
      problems.push(`director ${director}'s counter went backwards (${a} -> ${b}): reset by a restart`);
    } else {
      values[director] = b - a;
    }
  }
  return { values, problems };
}

/** New connections per real server between two snapshots, summed over the service's directors. */
export function realServerDeltas(from: Snapshot, to: Snapshot, service: ResolvedService): Deltas {
  const values: Record<string, number> = {};
  const problems: string[] = [];
  for (const director of service.directors) {
    const a = realServerConnections(from, director, service);
    const b = realServerConnections(to, director, service);
    if (!a || !b) {
      problems.push(`director ${director} has no per-real-server counters for service ${service.name} in the ${!a ? from.phase : to.phase} snapshot`);
      continue;
    }
    for (const [server, after] of Object.entries(b)) {
      const before = a[server] ?? 0;
      if (after < before) {
        problems.push(`director ${director}'s counter for ${server} went backwards (${before} -> ${after}): reset by a restart`);
        continue;
      }
      values[server] = (values[server] ?? 0) + (after - before);
    }
  }
  return { values, problems };
}

/** Times at which new connections to the service were opened: short-lived requests and long-lived (re)connects. */
export function connectionStarts(ctx: RunContext): number[] {
  return [
    ...ctx.requests.map((r) => r.t),
    ...ctx.input.longLived.filter((e) => e.kind === 'open' || e.kind === 'reopen').map((e) => e.t),
  ].sort((a, b) => a - b);
}

/**
 * The snapshot that stands for `boundary`: no connection was opened between the moment it
 * was taken and the boundary, so counters read there are the counters at the boundary.
 * The nearest such snapshot wins; undefined when none qualifies.
 */
export function markingSnapshot(ctx: RunContext, starts: number[], boundary: number): Snapshot | undefined {
  let best: Snapshot | undefined;
  for (const s of ctx.input.snapshots) {
    // A connection started exactly at the boundary belongs to the stretch that begins there.
    const opened = starts.some((t) => (s.t <= boundary ? t >= s.t && t < boundary : t >= boundary && t <= s.t));
    if (opened) continue;
    if (!best || Math.abs(s.t - boundary) < Math.abs(best.t - boundary)) best = s;
  }
  return best;
}

/** The snapshots whose counter deltas cover the whole traffic window, and what is wrong with them. */
export interface WindowSnapshots {
  from?: Snapshot;
  to?: Snapshot;
  problems: string[];
}

/**
 * from: the latest snapshot taken before the first connection of the run started ('start'
 * when the runner takes it before the traffic tick); to: the latest snapshot, which must
 * come after the last connection started. A snapshot taken after traffic began misses
 * connections, and the problem says how many.
 */
export function windowSnapshots(ctx: RunContext): WindowSnapshots {
  const sorted = [...ctx.input.snapshots].sort((a, b) => a.t - b.t);
  if (sorted.length < 2) return { problems: [`the run has ${sorted.length} snapshot(s): counter deltas need one before and one after the traffic`] };
  const starts = connectionStarts(ctx);
  const first = starts[0] ?? ctx.input.trafficStart;
  const last = starts[starts.length - 1] ?? ctx.input.trafficEnd;
  const problems: string[] = [];
  let from = [...sorted].reverse().find((s) => s.t <= first);
  if (!from) {
    from = sorted[0]!;
    const missed = starts.filter((t) => t < from!.t).length;
    problems.push(`the first snapshot ('${from.phase}', at ${rel(ctx, from.t)}) was taken after ${missed} connection(s) had started, which its counters may already include`);
  }
  const to = sorted[sorted.length - 1]!;
  if (to === from) return { problems: [...problems, 'no snapshot was taken after the traffic started'] };
  if (to.t < last) {
    const missed = starts.filter((t) => t > to.t).length;
    problems.push(`the last snapshot ('${to.phase}', at ${rel(ctx, to.t)}) was taken before ${missed} connection(s) started`);
  }
  return { from, to, problems };
}
