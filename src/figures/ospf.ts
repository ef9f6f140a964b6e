// How long OSPF took to notice a failed announcer: from the failure event to the first FRR
// log line on a router saying that neighbour went Down (or was deleted).
import type { Figure } from '../experiment/types.js';
import { isAdjacencyLoss, parseOspfAdjacencyChange } from '../logs/frr.js';
import { type RunContext, addressesOf, describeStep, eventSpreadS, eventSpreadText, eventTime, firstAnnouncerFailure, nodesOfRole, rel, vipPrefix } from './context.js';
import { absent, figure } from './figure.js';

/** FRR logs with millisecond timestamps (lvslab renders `log timestamp precision 3`). */
const FRR_RESOLUTION_S = 0.001;

export function ospfDetection(ctx: RunContext): Figure {
  const method =
    "Failure event -> the first ospfd log line on a router (FRR log, 'AdjChg: ... -> Down' or '-> Deleted') naming the failed announcer as neighbour, by router id or interface address";
  const failure = firstAnnouncerFailure(ctx);
  if (!failure) {
    return absent('s', `${method}.`, ctx.events.length === 0 ? 'the run has no timeline' : `no failure event of the timeline hits a node that announces ${vipPrefix(ctx.service)} over OSPF`);
  }
  const { action, node } = failure;
  const t0 = eventTime(action);
  const routers = new Set(nodesOfRole(ctx.lab, 'router').map((r) => r.name));
  const ids = new Set([node.ospf?.routerId, ...addressesOf(node)].filter((x): x is string => x !== undefined));
  const stepText = describeStep(ctx, action);
  const line = ctx.input.logs
    .filter((l) => routers.has(l.node) && l.daemon === 'ospfd' && l.t >= t0)
    .sort((a, b) => a.t - b.t)
    .find((l) => {
      const change = parseOspfAdjacencyChange(l.text);
      return change !== undefined && isAdjacencyLoss(change) && (ids.has(change.neighborId) || (change.neighborAddress !== undefined && ids.has(change.neighborAddress)));
    });
  if (!line) return absent('s', `${method}.`, `no router logged neighbour ${node.name} (${[...ids].join(', ')}) down after ${stepText}`);
  const change = parseOspfAdjacencyChange(line.text)!;
  return figure(
    (line.t - t0) / 1000,
    's',
    `${method}: ${stepText} -> ${line.node} logged '${change.from} -> ${change.to}${change.event ? ` (${change.event})` : ''}' for ${node.name} at ${rel(ctx, line.t)}. ` +
      `Resolution: FRR's ms timestamps plus ${eventSpreadText(action)}. A link-down on a shared segment or a silent failure is only noticed after the dead interval (${node.interfaces.find((i) => i.ospf)?.ospf?.dead ?? ctx.lab.ospf.dead} s here).`,
    FRR_RESOLUTION_S + eventSpreadS(action),
  );
}
