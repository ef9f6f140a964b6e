// One time axis for a run: the nodes' timestamps are the lab host's, so lvslab's own (step
// times, snapshot and counter reads, captures, the traffic window) are moved onto the host's
// clock by the offset measured at the run's start, and every step carries how uncertain that
// makes its moment. On this machine the offset is 0 and nothing moves.
import type { ClockOffset } from '../host/clock.js';
import type { RawRun } from './run-once.js';

/** The clock figures of a run: both readings, and the offset applied. */
export interface RunClock {
  start: ClockOffset;
  end: ClockOffset;
  /** Added to lvslab's timestamps (the start reading's offset), ms. */
  appliedOffsetMs: number;
  /** ± how far lvslab's moved timestamps may be from the host's clock: the start reading's uncertainty plus the drift until the end reading, ms. */
  uncertaintyMs: number;
}

/** Another machine that ran some of the nodes (a GNS3 compute's), its clock against lvslab's. */
export interface OtherHostClock {
  /** Its SSH target. */
  host: string;
  nodes: string[];
  clock: RunClock;
}

export function runClock(start: ClockOffset, end: ClockOffset): RunClock {
  return { start, end, appliedOffsetMs: start.offsetMs, uncertaintyMs: start.uncertaintyMs + Math.abs(end.offsetMs - start.offsetMs) };
}

/** The raw run with lvslab's timestamps on the host's clock (a copy; nothing moves when the offset is 0). */
export function onHostClock(raw: Omit<RawRun, 'clock'>, clock: RunClock): RawRun {
  const d = clock.appliedOffsetMs;
  if (d === 0 && clock.uncertaintyMs === 0) return { ...raw, clock };
  const shift = (t: number) => t + d;
  return {
    ...raw,
    clock,
    trafficStart: shift(raw.trafficStart),
    trafficEnd: shift(raw.trafficEnd),
    actions: raw.actions.map((a) => ({ ...a, plannedAt: shift(a.plannedAt), startedAt: shift(a.startedAt), doneAt: shift(a.doneAt), clockUncertaintyMs: clock.uncertaintyMs })),
    snapshots: raw.snapshots.map((s) => ({ ...s, t: shift(s.t) })),
    counterSnapshots: raw.counterSnapshots.map((c) => ({ ...c, t: shift(c.t), tEnd: shift(c.tEnd) })),
    ...(raw.captures
      ? { captures: raw.captures.map((c) => ({ ...c, ...(c.startedAt !== undefined ? { startedAt: shift(c.startedAt) } : {}), ...(c.stoppedAt !== undefined ? { stoppedAt: shift(c.stoppedAt) } : {}) })) }
      : {}),
  };
}
