// The share of requests that failed after the run's last timeline step: what a failure
// that nothing repairs (seed 003's dead service, whose route stays) costs for the rest of
// the run.
import type { Figure } from '../experiment/types.js';
import { type RunContext, describeStep, rel } from './context.js';
import { absent, figure } from './figure.js';

/**
 * Failed / all requests started after the last step's command returned (ActionRecord.doneAt)
 * to the end of the traffic: a request started while the command ran may or may not have met
 * its effect, so that stretch belongs to neither side.
 */
export function failedShareAfter(ctx: RunContext): Figure {
  const method = 'Failed requests (RequestRecord.outcome != ok) / all requests, all clients merged';
  const last = ctx.events.reduce<(typeof ctx.events)[number] | undefined>((a, b) => (a === undefined || b.doneAt > a.doneAt ? b : a), undefined);
  if (!last) return absent('ratio', `${method}.`, 'the run has no timeline, so nothing comes after a step');
  const window = `started from the moment the command of ${describeStep(ctx, last)} returned (${rel(ctx, last.doneAt)}) to the end of the traffic (${rel(ctx, ctx.input.trafficEnd)})`;
  const requests = ctx.requests.filter((r) => r.t >= last.doneAt && r.t <= ctx.input.trafficEnd);
  if (requests.length === 0) return absent('ratio', `${method}.`, `no request ${window}`);
  const failed = requests.filter((r) => r.outcome !== 'ok').length;
  return figure(failed / requests.length, 'ratio', `${method}, ${window}: ${failed} of ${requests.length}.`, 1 / requests.length);
}
