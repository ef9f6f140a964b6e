// How long the routers took to notice a failed announcer, from the FRR log lines they wrote:
// ospfd saying that neighbour went Down (or was deleted), and, on a lab that runs BFD,
// bfdd saying its session with that neighbour went from up to down (what made ospfd drop it).
import type { ActionRecord, Figure, LogLine } from '../experiment/types.js';
import type { ResolvedNode } from '../model/types.js';
import { isAdjacencyLoss, isBfdSessionLoss, parseBfdStateChange, parseOspfAdjacencyChange } from '../logs/frr.js';
import { type RunContext, addressesOf, describeStep, eventSpreadS, eventSpreadText, eventTime, firstAnnouncerFailure, nodesOfRole, rel, vipPrefix } from './context.js';
import { absent, figure } from './figure.js';

/** FRR logs with millisecond timestamps (lvslab renders `log timestamp precision 3`). */
const FRR_RESOLUTION_S = 0.001;

interface RouterLogFinding {
  failure: { action: ActionRecord; node: ResolvedNode };
  /** The failed announcer's router id and interface addresses. */
  ids: Set<string>;
  stepText: string;
  /** The first matching line, if a router wrote one. */
  line?: LogLine;
}

/**
 * The first line `daemon` wrote on a router at/after the first failure of a VIP announcer
 * that `names` says is about that announcer; a string saying why there is no such failure.
 */
function firstRouterLine(ctx: RunContext, daemon: string, names: (text: string, ids: Set<string>) => boolean): RouterLogFinding | string {
  const failure = firstAnnouncerFailure(ctx);
  if (!failure) {
    return ctx.events.length === 0 ? 'the run has no timeline' : `no failure event of the timeline hits a node that announces ${vipPrefix(ctx.service)} over OSPF`;
  }
  const t0 = eventTime(failure.action);
  const routers = new Set(nodesOfRole(ctx.lab, 'router').map((r) => r.name));
  const ids = new Set([failure.node.ospf?.routerId, ...addressesOf(failure.node)].filter((x): x is string => x !== undefined));
  const line = ctx.input.logs
    .filter((l) => routers.has(l.node) && l.daemon === daemon && l.t >= t0)
    .sort((a, b) => a.t - b.t)
    .find((l) => names(l.text, ids));
  return { failure, ids, stepText: describeStep(ctx, failure.action), ...(line ? { line } : {}) };
}

function resolutionText(action: ActionRecord): string {
  return `Resolution: FRR's ms timestamps plus ${eventSpreadText(action)}.`;
}

/** What noticing a silent failure waits for on this node's OSPF interfaces: BFD's detection time, or the dead interval. */
function silentDetectionText(ctx: RunContext, node: ResolvedNode): string {
  const bfd = ctx.lab.ospf.bfd;
  if (bfd) {
    return `With BFD on (${bfd.intervalMs} ms x ${bfd.multiplier}), a link-down on a shared segment or a silent failure is noticed once BFD's detection time (${((bfd.intervalMs * bfd.multiplier) / 1000).toFixed(3)} s) has passed without a control packet, and ospfd drops the neighbour on bfdd's news.`;
  }
  return `A link-down on a shared segment or a silent failure is only noticed after the dead interval (${node.interfaces.find((i) => i.ospf)?.ospf?.dead ?? ctx.lab.ospf.dead} s here).`;
}

export function ospfDetection(ctx: RunContext): Figure {
  const method =
    "Failure event -> the first ospfd log line on a router (FRR log, 'AdjChg: ... -> Down' or '-> Deleted') naming the failed announcer as neighbour, by router id or interface address";
  const found = firstRouterLine(ctx, 'ospfd', (text, ids) => {
    const change = parseOspfAdjacencyChange(text);
    return change !== undefined && isAdjacencyLoss(change) && (ids.has(change.neighborId) || (change.neighborAddress !== undefined && ids.has(change.neighborAddress)));
  });
  if (typeof found === 'string') return absent('s', `${method}.`, found);
  const { failure, ids, stepText, line } = found;
  if (!line) return absent('s', `${method}.`, `no router logged neighbour ${failure.node.name} (${[...ids].join(', ')}) down after ${stepText}`);
  const change = parseOspfAdjacencyChange(line.text)!;
  return figure(
    (line.t - eventTime(failure.action)) / 1000,
    's',
    `${method}: ${stepText} -> ${line.node} logged '${change.from} -> ${change.to}${change.event ? ` (${change.event})` : ''}' for ${failure.node.name} at ${rel(ctx, line.t)}. ` +
      `${resolutionText(failure.action)} ${silentDetectionText(ctx, failure.node)}`,
    FRR_RESOLUTION_S + eventSpreadS(failure.action),
  );
}

export function bfdDetection(ctx: RunContext): Figure {
  const method =
    "Failure event -> the first bfdd log line on a router (FRR log, 'state-change: [... peer:ADDRESS ...] up -> down', written with `debug bfd peer`) naming one of the failed announcer's interface addresses as peer";
  const bfd = ctx.lab.ospf.bfd;
  if (!bfd) return absent('s', `${method}.`, `lab ${ctx.lab.name} runs no BFD (its ospf.bfd is not set)`);
  const found = firstRouterLine(ctx, 'bfdd', (text, ids) => {
    const change = parseBfdStateChange(text);
    return change !== undefined && isBfdSessionLoss(change) && ids.has(change.peer);
  });
  if (typeof found === 'string') return absent('s', `${method}.`, found);
  const { failure, ids, stepText, line } = found;
  if (!line) return absent('s', `${method}.`, `no router logged its BFD session with ${failure.node.name} (${[...ids].join(', ')}) down after ${stepText}`);
  const change = parseBfdStateChange(line.text)!;
  return figure(
    (line.t - eventTime(failure.action)) / 1000,
    's',
    `${method}: ${stepText} -> ${line.node} logged '${change.from} -> ${change.to}${change.reason ? ` (${change.reason})` : ''}' for peer ${change.peer} (${failure.node.name}) at ${rel(ctx, line.t)}. ` +
      `${resolutionText(failure.action)} BFD declares a session down ${bfd.multiplier} x ${bfd.intervalMs} ms = ${((bfd.intervalMs * bfd.multiplier) / 1000).toFixed(3)} s after the last control packet it received, which came at most one interval (less bfdd's jitter) before the failure.`,
    FRR_RESOLUTION_S + eventSpreadS(failure.action),
  );
}
