// Several runs' timeline charts, one above the other on the same time and count axes, so
// that an outage of 4 s and one of 40 s look as different as they are.
import type { RunResults } from '../../experiment/types.js';
import { durationOf } from '../analysis.js';
import { topologyOf, type RunResultsWithTopology } from '../topology.js';
import { niceMax } from './util.js';
import { bucketPeak, chartBuckets, serversOf, timelineChart } from './timeline.js';

export function stackedTimelines(runs: Array<{ results: RunResults; caption: string }>, width = 1240): string {
  if (runs.length === 0) return '';
  const xMax = Math.max(...runs.map((r) => Math.max(durationOf(r.results), chartBuckets(r.results).width)));
  // One count axis only when every run has buckets of the same width (per 100 ms or per s).
  const sameBuckets = new Set(runs.map((r) => chartBuckets(r.results).width)).size === 1;
  const yMax = sameBuckets ? niceMax(Math.max(1, ...runs.map((r) => bucketPeak(r.results))) * 1.15) : undefined;
  const servers: string[] = [];
  for (const r of runs) for (const s of serversOf(r.results)) if (!servers.includes(s)) servers.push(s);
  return runs
    .map((r) =>
      timelineChart(r.results, {
        width,
        xMax,
        ...(yMax !== undefined ? { yMax } : {}),
        servers,
        caption: r.caption,
        topology: topologyOf(r.results as RunResultsWithTopology).topology,
      }),
    )
    .join('\n');
}
