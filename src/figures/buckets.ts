// The request stream cut into fixed-width buckets (per second, per 100 ms) for timeline
// plots: ok and failed requests by start time, ok answers per real server.
import type { RequestRecord, TimeBucket } from '../experiment/types.js';
import { round } from './context.js';

/**
 * Buckets of `widthMs` from trafficStart covering [trafficStart, trafficEnd]; a request counts
 * in the bucket its start falls in. Requests starting outside the window are not counted.
 */
export function timeBuckets(requests: RequestRecord[], trafficStart: number, trafficEnd: number, widthMs: number): TimeBucket[] {
  const count = Math.max(1, Math.ceil((trafficEnd - trafficStart) / widthMs));
  const buckets: TimeBucket[] = Array.from({ length: count }, (_, i) => ({
    t: round((i * widthMs) / 1000, 3),
    ok: 0,
    failed: 0,
    byServer: {},
  }));
  for (const r of requests) {
    if (r.t < trafficStart || r.t > trafficEnd) continue;
    const index = Math.min(count - 1, Math.floor((r.t - trafficStart) / widthMs));
    const bucket = buckets[index]!;
    if (r.outcome === 'ok') {
      bucket.ok++;
      if (r.server !== undefined) bucket.byServer[r.server] = (bucket.byServer[r.server] ?? 0) + 1;
    } else {
      bucket.failed++;
    }
  }
  return buckets;
}
