// The share of requests that failed after the run's first failure step, until the next
// step (or the end of the traffic): what a failure that nothing repairs (seed 003's dead
// service, whose route stays) costs for as long as it lasts.
import type { Figure } from '../experiment/types.js';
import { FAILURE_ACTIONS, type RunContext, describeStep, eventTime, rel } from './context.js';
import { absent, figure } from './figure.js';

/**
 * Failed / all requests started from the moment the first failure step's command returned
 * (ActionRecord.doneAt) to the start of the next step, or the end of the traffic: a request
 * started while the command ran may or may not have met its effect, so that stretch belongs
 * to neither side.
 */
export function failedShareAfterFailure(ctx: RunContext): Figure {
  const method = 'Failed requests (RequestRecord.outcome != ok) / all requests, all clients merged';
  const failure = ctx.events.find((a) => FAILURE_ACTIONS.has(a.action));
  if (!failure) return absent('ratio', `${method}.`, 'the timeline has no failure step');
  const next = ctx.events.find((a) => a !== failure && eventTime(a) > eventTime(failure));
  const end = next ? eventTime(next) : ctx.input.trafficEnd;
  const window = `started from the moment the command of ${describeStep(ctx, failure)} returned (${rel(ctx, failure.doneAt)}) to ${next ? `the start of ${describeStep(ctx, next)}` : `the end of the traffic (${rel(ctx, end)})`}`;
  const requests = ctx.requests.filter((r) => r.t >= failure.doneAt && (next ? r.t < end : r.t <= end));
  if (requests.length === 0) return absent('ratio', `${method}.`, `no request ${window}`);
  const failed = requests.filter((r) => r.outcome !== 'ok').length;
  return figure(failed / requests.length, 'ratio', `${method}, ${window}: ${failed} of ${requests.length}.`, 1 / requests.length);
}
