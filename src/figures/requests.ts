// Figures from the clients' request records: counts, the outage around the first failure
// and the one after the restore, and the longest stretch without a successful answer.
import type { Figure, RequestOutcome, RequestRecord } from '../experiment/types.js';
import type { ActionRecord } from '../experiment/types.js';
import { FAILURE_ACTIONS, RESTORE_ACTIONS, type RunContext, describeStep, eventTime, median, rel } from './context.js';
import { absent, figure } from './figure.js';

export type RequestFigureName =
  | 'requests_total'
  | 'requests_failed'
  | 'success_ratio'
  | 'failed_refused'
  | 'failed_reset'
  | 'failed_timeout'
  | 'failed_error'
  | 'outage_s'
  | 'failed_after_recovery'
  | 'restore_outage_s'
  | 'longest_gap_s';

const FAILED_KINDS: Array<Exclude<RequestOutcome, 'ok'>> = ['refused', 'reset', 'timeout', 'error'];

/**
 * Median time between two consecutive request starts, all clients merged, in s: how
 * finely the request stream samples the service (a loop at R req/s cannot place an outage's
 * edges better than 1/R s). null with fewer than two requests.
 */
export function requestSpacingS(requests: RequestRecord[]): number | null {
  if (requests.length < 2) return null;
  const gaps: number[] = [];
  for (let i = 1; i < requests.length; i++) gaps.push(requests[i]!.t - requests[i - 1]!.t);
  return median(gaps)! / 1000;
}

export function requestFigures(ctx: RunContext): Record<RequestFigureName, Figure> {
  const requests = ctx.requests;
  const total = requests.length;
  const failed = requests.filter((r) => r.outcome !== 'ok').length;
  const source = `RequestRecord of every client (${total} requests)`;
  const byKind = Object.fromEntries(
    FAILED_KINDS.map((kind) => {
      const n = requests.filter((r) => r.outcome === kind).length;
      return [`failed_${kind}`, figure(n, 'count', `Requests whose outcome is '${kind}', counted over every ${source}.`, 1)];
    }),
  ) as Record<`failed_${Exclude<RequestOutcome, 'ok'>}`, Figure>;

  return {
    requests_total: figure(total, 'count', `Number of short-lived requests started during the run: every ${source}.`, 1),
    requests_failed: figure(failed, 'count', `Requests whose outcome is not 'ok' (refused, reset, timeout, error), over every ${source}.`, 1),
    success_ratio:
      total === 0
        ? absent('ratio', `ok requests / all requests over every ${source}.`, 'no request was recorded')
        : figure((total - failed) / total, 'ratio', `ok requests / all requests over every ${source}.`, 1 / total),
    ...byKind,
    ...outageFigures(ctx),
    restore_outage_s: restoreOutage(ctx),
    longest_gap_s: longestGap(ctx),
  };
}

/**
 * The service has recovered once requests ran this long with none failing (and at least
 * RECOVERY_MIN_OK of them succeeding, so a stalled client is not taken for recovery). A
 * failover's failures are dense (every request hashed to the dead director fails), so a
 * second of clean service ends them; a failure after that is another event — on a loaded or
 * emulated machine, a client whose own timeout fired — and is counted apart, not hidden.
 */
export const RECOVERY_MS = 1000;
export const RECOVERY_MIN_OK = 10;

function outageFigures(ctx: RunContext): { outage_s: Figure; failed_after_recovery: Figure } {
  const firstFailure = ctx.events.find((a) => FAILURE_ACTIONS.has(a.action));
  const { outage, afterRecovery } = outageAfter(ctx, firstFailure, 'the first failure event');
  return { outage_s: outage, failed_after_recovery: afterRecovery };
}

/**
 * The outage the first restore after the first failure causes, measured as outage_s is:
 * a restored director may take traffic before it can serve it (its health checks marked
 * the real servers down while it was cut off), and a VRRP MASTER that comes back preempts
 * its backup at once.
 */
function restoreOutage(ctx: RunContext): Figure {
  const firstFailure = ctx.events.find((a) => FAILURE_ACTIONS.has(a.action));
  const restore = firstFailure && ctx.events.find((a) => RESTORE_ACTIONS.has(a.action) && eventTime(a) >= eventTime(firstFailure));
  if (!restore) {
    return absent('s', 'Outage at/after the first restore event, measured as outage_s (first to last failed request before the service recovered).', firstFailure ? 'the timeline restores nothing after its first failure' : 'the timeline has no failure event');
  }
  return outageAfter(ctx, restore, 'the first restore event').outage;
}

/**
 * From the first failed request at/after `event` (anywhere in the run without one) to the
 * last one before the service recovered, within [event, next event); and the failures
 * in that window after the recovery.
 */
function outageAfter(ctx: RunContext, event: ActionRecord | undefined, label: string): { outage: Figure; afterRecovery: Figure } {
  const spacing = requestSpacingS(ctx.requests);
  let from = -Infinity;
  let to = Infinity;
  let window: string;
  if (event) {
    from = eventTime(event);
    const next = ctx.events.find((a) => eventTime(a) > from);
    to = next ? eventTime(next) : Infinity;
    window = `at/after ${label}, ${describeStep(ctx, event)}, and before ${next ? describeStep(ctx, next) : 'the end of the run'}`;
  } else {
    window = 'anywhere in the run (its timeline has no failure event)';
  }
  const inWindow = ctx.requests.filter((r) => r.t >= from && r.t < to);
  const failures = inWindow.filter((r) => r.outcome !== 'ok');
  const outside = ctx.requests.filter((r) => r.outcome !== 'ok').length - failures.length;
  const outsideText = outside > 0 ? ` ${outside} failed request(s) outside that window are not part of it.` : '';
  const sampling = spacing === null ? '' : ` Requests start every ${formatS(spacing)} (median, all clients merged), so each edge is known to one request interval.`;
  const recoveryRule = `Recovered = ${RECOVERY_MS / 1000} s with no failed request and at least ${RECOVERY_MIN_OK} ok ones, all clients merged.`;
  const afterMethod = `Failed requests ${window} that started after the service had recovered from the outage. ${recoveryRule}`;
  if (failures.length === 0) {
    return {
      outage: figure(0, 's', `No request failed ${window} (RequestRecord.outcome of every client), so the outage is 0.${sampling}${outsideText}`, spacing),
      afterRecovery: figure(0, 'count', `${afterMethod} None failed in the window.`, 1),
    };
  }
  // The window's failures fall into stretches, each ended by a recovered stretch of service.
  // The outage is the longest of them: a lone request that failed before the failure took
  // effect (a client starved for a moment on a loaded or emulated machine) is followed by a
  // recovery, and taking the first stretch would report it and hide the real outage.
  const stretches: Array<{ first: number; last: number }> = [];
  let okSince = 0;
  let at = -1; // index in failures of the failed request r (both keep inWindow's order)
  for (const r of inWindow) {
    if (r.t < failures[0]!.t) continue;
    if (r.outcome === 'ok') {
      okSince++;
      continue;
    }
    at++;
    const open = stretches[stretches.length - 1];
    if (open && !(okSince >= RECOVERY_MIN_OK && r.t - failures[open.last]!.t >= RECOVERY_MS)) open.last = at;
    else stretches.push({ first: at, last: at });
    okSince = 0;
  }
  const span = (x: { first: number; last: number }) => failures[x.last]!.t - failures[x.first]!.t;
  const outageStretch = stretches.reduce((best, x) => (span(x) > span(best) || (span(x) === span(best) && x.last - x.first > best.last - best.first) ? x : best));
  const last = outageStretch.last;
  const first = failures[outageStretch.first]!;
  const end = failures[last]!;
  const earlier = outageStretch.first;
  const later = failures.length - 1 - last;
  const earlierText =
    earlier > 0 ? ` ${earlier} earlier failed request(s) in the window, from ${rel(ctx, failures[0]!.t)} on, were followed by a recovery before the longest stretch of failures: they are not part of the outage.` : '';
  const laterText =
    later > 0
      ? ` ${later} later failed request(s) in the window, from ${rel(ctx, failures[last + 1]!.t)} on, came after the service had recovered: they are counted in failed_after_recovery.`
      : '';
  return {
    outage: figure(
      (end.t - first.t) / 1000,
      's',
      `The longest stretch of failed requests ${window}, from the start of its first failed request (${rel(ctx, first.t)}) to the start of its last (${rel(ctx, end.t)}), a stretch ending where the service recovered: ` +
        `${last - earlier + 1} failed requests of all clients merged (RequestRecord.t, outcome != ok). ${recoveryRule}${earlierText}${laterText}${sampling}${outsideText}`,
      spacing,
    ),
    afterRecovery: figure(later, 'count', `${afterMethod}${later > 0 ? ` The first started at ${rel(ctx, failures[last + 1]!.t)}.` : ''}`, 1),
  };
}

function longestGap(ctx: RunContext): Figure {
  const spacing = requestSpacingS(ctx.requests);
  const method = 'Longest time between the starts of two consecutive successful requests, all clients merged (RequestRecord.t, outcome ok)';
  const ok = ctx.requests.filter((r) => r.outcome === 'ok');
  if (ok.length === 0) return absent('s', `${method}.`, 'no request succeeded');
  // Failed requests before the first / after the last success also bound a stretch without service.
  const firstStart = ctx.requests[0]!.t;
  const lastStart = ctx.requests[ctx.requests.length - 1]!.t;
  const edges = [firstStart, ...ok.map((r) => r.t), lastStart];
  let longest = 0;
  let at = firstStart;
  for (let i = 1; i < edges.length; i++) {
    const gap = edges[i]! - edges[i - 1]!;
    if (gap > longest) {
      longest = gap;
      at = edges[i - 1]!;
    }
  }
  return figure(
    longest / 1000,
    's',
    `${method}; stretches from the first request to the first success and from the last success to the last request count too. ` +
      `The longest began at ${rel(ctx, at)}.` +
      (spacing === null ? '' : ` Requests start every ${formatS(spacing)} (median), the smallest gap this can see.`),
    spacing,
  );
}

function formatS(seconds: number): string {
  return seconds >= 0.1 ? `${Number(seconds.toFixed(3))} s` : `${Number((seconds * 1000).toFixed(3))} ms`;
}
