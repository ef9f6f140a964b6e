// Order statistics of every figure over the runs of `--repeat K`.
import type { RepeatResults, RunResults } from '../experiment/types.js';
import { median } from './context.js';

/** Nearest-rank percentile: the smallest value with at least p% of the values at or below it. */
export function nearestRank(sortedValues: number[], percent: number): number | null {
  if (sortedValues.length === 0) return null;
  const rank = Math.max(1, Math.ceil((percent / 100) * sortedValues.length));
  return sortedValues[rank - 1]!;
}

/** Per figure: n (runs with a value), median, p95 (nearest rank), min, max; null values are skipped. */
export function aggregateRuns(results: RunResults[]): RepeatResults['aggregate'] {
  const aggregate: RepeatResults['aggregate'] = {};
  const names = [...new Set(results.flatMap((r) => Object.keys(r.figures)))];
  for (const name of names) {
    const figures = results.map((r) => r.figures[name as keyof RunResults['figures']]).filter((f) => f !== undefined);
    const values = figures.map((f) => f.value).filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
    aggregate[name] = {
      n: values.length,
      median: median(values),
      p95: nearestRank(values, 95),
      min: values.length > 0 ? values[0]! : null,
      max: values.length > 0 ? values[values.length - 1]! : null,
      unit: figures[0]?.unit ?? '',
    };
  }
  return aggregate;
}
