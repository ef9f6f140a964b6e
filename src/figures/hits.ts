// Who answered and who forwarded: ok answers per real server as the clients saw them, new
// connections per director from the counters, per phase, and the two "after" figures.
import type { Figure, Hits, Phase, RequestRecord } from '../experiment/types.js';
import { type RunContext, phaseOf, phaseRange, rel } from './context.js';
import { directorDeltas, snapshotOf } from './counters.js';
import { directorCounts } from './director-counts.js';
import { clusterMap, perClientHits } from './clients.js';
import { absent, figure } from './figure.js';

const PHASES: Phase[] = ['before', 'during', 'after'];

export function okPerServer(requests: RequestRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of requests) if (r.outcome === 'ok' && r.server !== undefined) out[r.server] = (out[r.server] ?? 0) + 1;
  return out;
}

/** Configured share of each real server: weight / sum of weights (0 for every server when all weights are 0). */
export function expectedShares(ctx: RunContext): Record<string, number> {
  const sum = ctx.service.realServers.reduce((s, r) => s + r.weight, 0);
  return Object.fromEntries(ctx.service.realServers.map((r) => [r.node, sum === 0 ? 0 : r.weight / sum]));
}

export function computeHits(ctx: RunContext): Hits {
  const directors = directorCounts(ctx);
  const clusters = clusterMap(ctx);
  const perPhase = {} as Hits['perPhase'];
  for (const phase of PHASES) {
    const range = phaseRange(ctx, phase);
    const inPhase = range ? ctx.requests.filter((r) => phaseOf(ctx.phases, r.t) === phase) : [];
    const d = directors.perPhase[phase];
    perPhase[phase] = { perRealServer: okPerServer(inPhase), perDirector: d.counts, directors: d.measure };
  }
  return {
    perRealServer: okPerServer(ctx.requests),
    // Kept even when a snapshot missed some connections: its uncertainty (and crossCheck's note) says by how many.
    perDirector: directors.total.counts,
    directors: directors.total.measure,
    expectedShare: expectedShares(ctx),
    perPhase,
    ...(clusters ? { clusters } : {}),
    perClient: perClientHits(ctx),
  };
}

export function serversAfter(ctx: RunContext): Figure {
  const method = "Distinct real servers (RequestRecord.server) that gave at least one ok answer in the after phase, [last timeline event, traffic end]";
  const range = phaseRange(ctx, 'after');
  if (!range) return absent('count', `${method}.`, 'the run has no timeline, so it has no after phase');
  const servers = new Set(ctx.requests.filter((r) => r.outcome === 'ok' && r.server !== undefined && phaseOf(ctx.phases, r.t) === 'after').map((r) => r.server));
  return figure(servers.size, 'count', `${method} = [${rel(ctx, range.start)}, ${rel(ctx, range.end)}]: ${[...servers].sort().join(', ') || 'none'}.`, 1);
}

export function directorsAfter(ctx: RunContext): Figure {
  const method = `Directors of service ${ctx.service.name} whose connection counter (snapshot directors[].services) grew`;
  const range = phaseRange(ctx, 'after');
  if (!range) return absent('count', `${method} in the after phase.`, 'the run has no timeline, so it has no after phase');
  const after = directorCounts(ctx).perPhase.after;
  const counts = Object.entries(after.counts);
  if (counts.length > 0 && counts.every(([, n]) => n !== null)) {
    const grew = counts.filter(([, n]) => n! > 0).map(([d]) => d).sort();
    return figure(
      grew.length,
      'count',
      `${method} in the after phase. ${after.measure.method} Counts: ${counts.map(([d, n]) => `${d} ${n}`).join(', ')}; grew: ${grew.join(', ') || 'none'}.`,
      1,
    );
  }
  const during = snapshotOf(ctx.input.snapshots, 'during');
  const afterSnap = snapshotOf(ctx.input.snapshots, 'after');
  if (!during || !afterSnap) {
    return absent('count', `${method} in the after phase.`, `no snapshots mark the after phase, and the ${!during ? 'during' : 'after'} snapshot is missing`);
  }
  const deltas = directorDeltas(during, afterSnap, ctx.service);
  const grew = Object.entries(deltas.values).filter(([, n]) => n > 0).map(([d]) => d).sort();
  const covers =
    during.t < range.start
      ? `it starts ${((range.start - during.t) / 1000).toFixed(3)} s before the after phase, so a director counted here may have had its last new connection in the during phase`
      : 'it starts inside the after phase, so directors that only had connections early in the after phase are missed';
  return figure(
    grew.length,
    'count',
    `${method} between the 'during' snapshot (${rel(ctx, during.t)}) and the 'after' snapshot (${rel(ctx, afterSnap.t)}); the after phase begins at ${rel(ctx, range.start)}: ` +
      `${covers}. Directors: ${grew.join(', ') || 'none'}.` +
      (deltas.problems.length > 0 ? ` Not counted: ${deltas.problems.join('; ')}.` : ''),
    1,
  );
}

/**
 * Who carried the traffic before the first timeline step: the directors whose connection
 * counter grew in the before phase (ECMP: every director; VRRP: the MASTER only).
 */
export function directorsBefore(ctx: RunContext): Figure {
  const method = `Directors of service ${ctx.service.name} whose connection counter grew in the before phase`;
  const counted = beforeCounts(ctx);
  if (typeof counted === 'string') return absent('count', `${method}.`, counted);
  const grew = counted.counts.filter(([, n]) => n > 0).map(([d]) => d).sort();
  return figure(grew.length, 'count', `${method}. ${counted.method} Counts: ${counted.counts.map(([d, n]) => `${d} ${n}`).join(', ')}; grew: ${grew.join(', ') || 'none'}.`, 1);
}

/** The busiest director's share of the new connections in the before phase: 1/n for an even ECMP spread, 1 for active/standby. */
export function busiestDirectorShareBefore(ctx: RunContext): Figure {
  const method = `The largest director's share of service ${ctx.service.name}'s new connections in the before phase (its count / the sum over directors)`;
  const counted = beforeCounts(ctx);
  if (typeof counted === 'string') return absent('ratio', `${method}.`, counted);
  const total = counted.counts.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return absent('ratio', `${method}.`, 'no director counted a connection in the before phase');
  const [busiest, most] = counted.counts.reduce((a, b) => (b[1] > a[1] ? b : a));
  // A boundary read late or early moves each director's count by what that director took
  // meanwhile, in proportion to its own rate: the share stays, and a director that took
  // nothing keeps 0. So the share resolves one connection of the total.
  return figure(
    most / total,
    'ratio',
    `${method}: ${busiest} with ${most} of ${total}. ${counted.method} A boundary read early or late moves each director's count by what it took meanwhile, ` +
      'in proportion to its own rate, so the share holds (a director that took nothing stays at 0); its resolution is one connection of the total.',
    1 / total,
  );
}

function beforeCounts(ctx: RunContext): { counts: Array<[string, number]>; method: string } | string {
  if (!phaseRange(ctx, 'before')) return 'the run has no before phase';
  const before = directorCounts(ctx).perPhase.before;
  const entries = Object.entries(before.counts);
  if (entries.length === 0) return `no director counters of service ${ctx.service.name} were read`;
  const missing = entries.filter(([, n]) => n === null).map(([d]) => `${d}: ${before.measure.notMeasured[d] ?? 'not measured'}`);
  if (missing.length > 0) return `not every director's before-phase count was measured (${missing.join('; ')})`;
  return { counts: entries as Array<[string, number]>, method: before.measure.method };
}
