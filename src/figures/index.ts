// Figures of experiment runs: pure functions of the raw records (src/experiment/types.ts).
// Each Figure's `method` states the records used and the numbers found; in short:
//
//  requests_* / failed_* / success_ratio  counts over every RequestRecord of the run
//  outage_s             the longest stretch of failed requests at/after the first failure
//                       step and before the next, each stretch ended by a recovery (1 s with
//                       no failure and >= 10 ok requests); first to last failed start (0 when
//                       none failed)
//  failed_after_recovery  failed requests in that window after that stretch
//  restore_outage_s     the same from the first restore step (a director back before it can serve)
//  longest_gap_s        longest time between two consecutive ok request starts, all clients
//  failed_share_after_failure  failed / all requests from the first failure step's command
//                       returning to the next step (or the traffic's end)
//  ospf_detection_s     first failure step on a VIP announcer -> first router ospfd line
//                       saying that neighbour went Down/Deleted
//  bfd_detection_s      same step -> first router bfdd line saying its session with that
//                       neighbour went up -> down (null on a lab without ospf.bfd)
//  route_withdrawal_s   same step -> RouteEvent where the VIP/32 lost the announcer (latest router)
//  route_restoration_s  its restore step -> RouteEvent with every earlier next hop back
//  hc_removal_s         first real-server failure -> last director logging Removing/Disabling it
//  vip_move_s           failure of a VRRP VIP's holder -> the routers' neighbour entry (ip -ts
//                       monitor neigh) names another director's MAC (latest router)
//  vip_return_s         its restore -> the entry names its MAC again until the records end
//  chi2_p               Pearson goodness of fit of ok answers per server vs weights (> 0)
//  long_lived_broken    LongLivedEvent breaks
//  directors_before     directors whose connection counter grew in [traffic start, first step)
//  busiest_director_share_before  the largest of those counts / their sum
//  worst_client_success_ratio  the smallest per-client ok / requests over the run
//  servers_after        distinct servers with ok answers in [last step, traffic end]
//  directors_after      directors whose connection counter grew in the after phase
//  nexthops.<phase>     VIP next hops of the first router in that phase's snapshot
//
// Step times are ActionRecord.startedAt; resolutions add how long the step's command took.
export { computeFigures, type ComputedFigures } from './compute.js';
export { type FigureInput, experimentService, phaseRanges } from './context.js';
export { parseAssertion, evaluateAssertions, compare, AssertionSyntaxError, ASSERTION_OPS, type Assertion, type AssertionOp } from './assertions.js';
export { aggregateRuns, nearestRank } from './aggregate.js';
export { chiSquarePValue, regularizedGammaP, regularizedGammaQ, lnGamma, pearsonGoodnessOfFit } from './chi2.js';
