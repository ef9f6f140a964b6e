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
