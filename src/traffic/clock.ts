// Wall-clock time with sub-millisecond precision. Date.now() only has whole milliseconds;
// performance.now() is monotonic and fine-grained, and performance.timeOrigin puts it on
// the Unix epoch. Every node of a lab shares the host's clock, so these timestamps line
// up with the other records of a run.
import { performance } from 'node:perf_hooks';

/** Epoch milliseconds, fractional. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Rounded to the microsecond: the precision the clock has, without 17-digit noise in NDJSON. */
export function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * Calls `fn` once `durationMs` have passed since `fromMs` (epoch ms, nowMs() clock).
 * Node's timers count from the event loop's cached time, which can lag the precise clock
 * by a millisecond, so a plain setTimeout may fire slightly early by nowMs(); this one
 * waits out the rest, so a deadline never expires before it is due.
 */
export function setDeadline(fromMs: number, durationMs: number, fn: () => void): { clear(): void } {
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    const left = fromMs + durationMs - nowMs();
    if (left <= 0) fn();
    else timer = setTimeout(arm, Math.ceil(left));
  };
  timer = setTimeout(arm, Math.ceil(Math.max(0, fromMs + durationMs - nowMs())));
  return { clear: () => clearTimeout(timer) };
}
