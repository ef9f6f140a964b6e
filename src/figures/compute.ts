// Every figure of one run, computed from its raw records only.
import type { CrossCheck, Figure, FigureName, Hits, TimeBucket } from '../experiment/types.js';
import { timeBuckets } from './buckets.js';
import { chi2Figure } from './chi2.js';
import { type FigureInput, buildContext } from './context.js';
import { crossCheck } from './crosscheck.js';
import { hcRemoval } from './health.js';
import { busiestDirectorShareBefore, computeHits, directorsAfter, directorsBefore, serversAfter } from './hits.js';
import { vipMoveFigures } from './vrrp.js';
import { worstClientSuccessRatio } from './clients.js';
import { longLivedBroken } from './longlived.js';
import { bfdDetection, ospfDetection } from './ospf.js';
import { requestFigures } from './requests.js';
import { failedShareAfterFailure } from './shares.js';
import { nextHopsFigure, routeFigures } from './routes.js';

export interface ComputedFigures {
  figures: Record<FigureName, Figure>;
  hits: Hits;
  perSecond: TimeBucket[];
  per100ms: TimeBucket[];
  crossCheck: CrossCheck;
}

export function computeFigures(input: FigureInput): ComputedFigures {
  const ctx = buildContext(input);
  const figures: Record<FigureName, Figure> = {
    ...requestFigures(ctx),
    failed_share_after_failure: failedShareAfterFailure(ctx),
    ospf_detection_s: ospfDetection(ctx),
    bfd_detection_s: bfdDetection(ctx),
    ...routeFigures(ctx),
    hc_removal_s: hcRemoval(ctx),
    chi2_p: chi2Figure(ctx),
    long_lived_broken: longLivedBroken(ctx),
    ...vipMoveFigures(ctx),
    directors_before: directorsBefore(ctx),
    busiest_director_share_before: busiestDirectorShareBefore(ctx),
    worst_client_success_ratio: worstClientSuccessRatio(ctx),
    servers_after: serversAfter(ctx),
    directors_after: directorsAfter(ctx),
    'nexthops.before': nextHopsFigure(ctx, 'before'),
    'nexthops.during': nextHopsFigure(ctx, 'during'),
    'nexthops.after': nextHopsFigure(ctx, 'after'),
  };
  return {
    figures,
    hits: computeHits(ctx),
    perSecond: timeBuckets(ctx.requests, input.trafficStart, input.trafficEnd, 1000),
    per100ms: timeBuckets(ctx.requests, input.trafficStart, input.trafficEnd, 100),
    crossCheck: crossCheck(ctx),
  };
}
