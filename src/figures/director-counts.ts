// New connections per director over a stretch of the run (the traffic window or a phase):
// the difference of two counter readings, one at each end, with how far each reading may
// stand from its boundary and how many connections that leaves in doubt.
//
// Counts are differences of the same readings at shared boundaries, so the phases add up
// to the window's total by construction. A count that cannot be formed is null with the
// reason, never 0: 0 would claim the director took no connection.
import type { CounterSnapshot, DirectorCountsMethod, Phase, Snapshot } from '../experiment/types.js';
import { type PhaseRange, type RunContext, rel, round } from './context.js';
import { connectionStarts, markingSnapshot, serviceConnections, windowSnapshots } from './counters.js';

/** Kernel IPVS's estimator period (ms): a counter it publishes may be this old when read. */
const IPVS_STALE_MS = 2000;

/** One reading of every director's counters near a boundary. */
export interface CounterMark {
  /** For method texts: which reading, taken when. */
  label: string;
  /** The director's connection count for the service, or why there is none. */
  read: (director: string) => number | string;
  /** Epoch ms: the counters' values are those of some instant in [lo, hi]. */
  lo: number;
  hi: number;
}

export interface DirectorCounts {
  counts: Record<string, number | null>;
  measure: DirectorCountsMethod;
}

/** A full snapshot as a mark. `settled`: taken after the counters stopped moving (start, after). */
function snapshotMark(ctx: RunContext, s: Snapshot, settled: boolean, why: string): CounterMark {
  // ipvsadm's output names itself; such counters lag by up to an estimator period unless settled.
  const ipvs = Object.values(s.directors).some((d) => d.raw.startsWith('IP Virtual Server'));
  return {
    label: `the '${s.phase}' snapshot (${rel(ctx, s.t)}${why})`,
    read: (d) => serviceConnections(s, d, ctx.service) ?? `the '${s.phase}' snapshot has no counter of director ${d} for service ${ctx.service.name}`,
    lo: s.t - (ipvs && !settled ? IPVS_STALE_MS : 0),
    hi: s.t,
  };
}

function counterSnapshotMark(ctx: RunContext, c: CounterSnapshot): CounterMark {
  const stale = c.staleUpToMs > 0 ? `, values up to ${c.staleUpToMs / 1000} s older: IPVS's estimator publishes them about every 2 s` : ', exact when read';
  return {
    label: `the counters read at timeline step ${c.step} (${rel(ctx, c.t)} to ${rel(ctx, c.tEnd)}${stale})`,
    read: (d) => {
      if (c.errors[d] !== undefined) return `reading director ${d}'s counters at timeline step ${c.step} failed: ${c.errors[d]}`;
      const keys = [ctx.service.name, ctx.service.vip, `${ctx.service.vip}:${ctx.service.port}`];
      const v = keys.map((k) => c.directors[d]?.services[k]).find((x) => x !== undefined);
      return v ?? `the counters read at timeline step ${c.step} have none of director ${d} for service ${ctx.service.name}`;
    },
    lo: c.t - c.staleUpToMs,
    hi: c.tEnd,
  };
}

/** The mark of an inner boundary (a timeline step's start), or why there is none. */
function stepMark(ctx: RunContext, starts: number[], step: number, boundary: number): CounterMark | string {
  const c = ctx.input.counterSnapshots?.find((x) => x.step === step);
  if (c) return counterSnapshotMark(ctx, c);
  // Records from before the step readings: a snapshot counts only where no connection opened between it and the boundary.
  const s = markingSnapshot(ctx, starts, boundary);
  if (s) return snapshotMark(ctx, s, false, ', no connection opened between it and the boundary');
  return `no counters were read at timeline step ${step} (${rel(ctx, boundary)}) and no snapshot marks that boundary (connections opened between each snapshot and it)`;
}

/** The marks at the traffic window's two ends, and what is wrong with them. */
function windowMarks(ctx: RunContext): { from: CounterMark | string; to: CounterMark | string; problems: string[] } {
  const w = windowSnapshots(ctx);
  if (!w.from || !w.to) {
    const why = w.problems.join('; ') || 'the run has no snapshots before and after the traffic';
    return { from: why, to: why, problems: w.problems };
  }
  return { from: snapshotMark(ctx, w.from, true, ''), to: snapshotMark(ctx, w.to, true, ''), problems: w.problems };
}

/**
 * Connections opened where a mark may stand on the wrong side of its boundary: between the
 * boundary and the mark's window, clipped to the traffic (none can open outside it).
 */
function endDoubt(ctx: RunContext, starts: number[], mark: CounterMark, boundary: number): { count: number; seconds: number } {
  const lo = Math.max(Math.min(mark.lo, boundary), ctx.input.trafficStart);
  const hi = Math.min(Math.max(mark.hi, boundary), ctx.input.trafficEnd);
  if (hi <= lo) return { count: 0, seconds: 0 };
  return { count: starts.filter((t) => t >= lo && t < hi).length, seconds: round((hi - lo) / 1000) };
}

/** Counts per director between two marks standing for the boundaries `range`. */
export function countsBetween(ctx: RunContext, starts: number[], from: CounterMark | string, to: CounterMark | string, range: [number, number], extra: string[] = []): DirectorCounts {
  const counts: Record<string, number | null> = {};
  const notMeasured: Record<string, string> = {};
  for (const d of ctx.service.directors) {
    const a = typeof from === 'string' ? from : from.read(d);
    const b = typeof to === 'string' ? to : to.read(d);
    if (typeof a === 'string' || typeof b === 'string') notMeasured[d] = typeof a === 'string' ? a : (b as string);
    else if (b < a) notMeasured[d] = `director ${d}'s counter went backwards (${a} -> ${b}): reset by a restart`;
    if (notMeasured[d] !== undefined) counts[d] = null;
    else counts[d] = (b as number) - (a as number);
  }
  const stretch = `[${rel(ctx, range[0])}, ${rel(ctx, range[1])}]`;
  if (typeof from === 'string' || typeof to === 'string') {
    return { counts, measure: { method: `Director counter deltas for service ${ctx.service.name} over ${stretch}: not measured.`, resolution: null, uncertainty: null, notMeasured } };
  }
  // One reading at both ends (a single-step timeline's empty during phase): exactly 0.
  const ends = from === to ? [{ count: 0, seconds: 0 }, { count: 0, seconds: 0 }] : [endDoubt(ctx, starts, from, range[0]), endDoubt(ctx, starts, to, range[1])];
  const uncertainty = ends[0]!.count + ends[1]!.count;
  const resolution = Math.max(ends[0]!.seconds, ends[1]!.seconds);
  const method =
    `Director connection counters for service ${ctx.service.name} (IPVS Conns or nft counter) over ${stretch}: ` +
    `${to.label} minus ${from.label}. The readings stand within ${resolution} s of the boundaries; ` +
    `${uncertainty} connection(s) opened in those windows, so a count may be off by at most ${uncertainty}.` +
    (extra.length > 0 ? ` ${extra.join('; ')}.` : '');
  return { counts, measure: { method, resolution, uncertainty, notMeasured } };
}

/** The traffic window's counts (hits.perDirector) and each phase's, from the same marks. */
export function directorCounts(ctx: RunContext): { total: DirectorCounts; perPhase: Record<Phase, DirectorCounts> } {
  const starts = connectionStarts(ctx);
  const window = windowMarks(ctx);
  const { trafficStart, trafficEnd } = ctx.input;
  const total = countsBetween(ctx, starts, window.from, window.to, [trafficStart, trafficEnd], window.problems);
  const first = ctx.events[0];
  const last = ctx.events[ctx.events.length - 1];
  const perPhase = {} as Record<Phase, DirectorCounts>;
  const phase = (p: Phase): PhaseRange | undefined => ctx.phases.find((x) => x.phase === p);
  if (!first || !last) {
    perPhase.before = total;
    for (const p of ['during', 'after'] as const) {
      const why = `the run has no timeline, so it has no ${p} phase`;
      perPhase[p] = countsBetween(ctx, starts, why, why, [trafficStart, trafficEnd]);
    }
    return { total, perPhase };
  }
  const firstMark = stepMark(ctx, starts, first.step, phase('before')!.end);
  const lastMark = last === first ? firstMark : stepMark(ctx, starts, last.step, phase('after')!.start);
  const range = (p: Phase): [number, number] => [phase(p)!.start, phase(p)!.end];
  perPhase.before = countsBetween(ctx, starts, window.from, firstMark, range('before'));
  perPhase.during = countsBetween(ctx, starts, firstMark, lastMark, range('during'));
  perPhase.after = countsBetween(ctx, starts, lastMark, window.to, range('after'));
  return { total, perPhase };
}
