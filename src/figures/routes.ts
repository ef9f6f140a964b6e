// The routers' view of the VIP: next hops per snapshot, and how long after a failure (or a
// restore) the kernel route lost (or regained) the affected announcer as next hop, from the
// RouteEvents of `ip -ts monitor route`.
import type { ActionRecord, Figure, Phase, RouteEvent, Snapshot } from '../experiment/types.js';
import type { ResolvedNode, ResolvedService } from '../model/types.js';
import {
  RESTORE_ACTIONS,
  type RunContext,
  addressesOf,
  describeStep,
  eventSpreadS,
  eventSpreadText,
  eventTime,
  firstAnnouncerFailure,
  nodesOfRole,
  rel,
  vipPrefix,
} from './context.js';
import { snapshotOf } from './counters.js';
import { absent, figure } from './figure.js';

/** `ip -ts` prints microseconds. */
const MONITOR_RESOLUTION_S = 0.000001;

/** Snapshots may key the VIP route by VIP/32, VIP or service name; accept each. */
export function snapshotVipNextHops(snapshot: Snapshot, router: string, service: ResolvedService): string[] | undefined {
  const hops = snapshot.routers[router]?.vipNextHops;
  if (!hops) return undefined;
  return hops[vipPrefix(service)] ?? hops[service.vip] ?? hops[service.name];
}

export function nextHopsFigure(ctx: RunContext, phase: Phase): Figure {
  const router = nodesOfRole(ctx.lab, 'router')[0];
  const method = `Number of next hops of ${vipPrefix(ctx.service)} in the kernel FIB of the lab's first router${router ? ` (${router.name})` : ''}, Snapshot.routers[].vipNextHops of the '${phase}' snapshot`;
  if (!router) return absent('next hops', `${method}.`, 'the lab has no router');
  // A run without timeline has no 'before' snapshot: the one taken at traffic start stands in.
  const exact = snapshotOf(ctx.input.snapshots, phase);
  const snapshot = exact ?? (phase === 'before' && ctx.events.length === 0 ? snapshotOf(ctx.input.snapshots, 'start') : undefined);
  if (!snapshot) return absent('next hops', `${method}.`, `the run has no '${phase}' snapshot`);
  const hops = snapshotVipNextHops(snapshot, router.name, ctx.service);
  if (!hops) return absent('next hops', `${method}.`, `the '${phase}' snapshot has no VIP route entry for ${router.name}`);
  const which = exact ? '' : ` (the run has no timeline: the 'start' snapshot stands in)`;
  return figure(hops.length, 'next hops', `${method}, taken at ${rel(ctx, snapshot.t)}${which}: ${hops.join(', ') || 'no route'}.`, 1);
}

interface RouterWatch {
  router: string;
  /** Next hops before the failure, when known. */
  prior?: string[];
  withdrawnAt?: RouteEvent;
}

function usesAny(hops: string[], addresses: string[]): boolean {
  return hops.some((h) => addresses.includes(h));
}

export function routeFigures(ctx: RunContext): { route_withdrawal_s: Figure; route_restoration_s: Figure } {
  const prefix = vipPrefix(ctx.service);
  const withdrawalMethod = `Timeline event -> the first RouteEvent (ip -ts monitor route on the routers) where ${prefix} no longer has the failed announcer's address as next hop; the latest over routers that used it`;
  const restorationMethod = `Restore event -> the first RouteEvent (ip -ts monitor route on the routers) where ${prefix} has every next hop it had before the failure again; the latest over routers that had lost it`;
  const failure = firstAnnouncerFailure(ctx);
  if (!failure) {
    const note = vipAnnouncerNote(ctx);
    return { route_withdrawal_s: absent('s', `${withdrawalMethod}.`, note), route_restoration_s: absent('s', `${restorationMethod}.`, note) };
  }
  const { action, node } = failure;
  const addresses = addressesOf(node);
  const routers = nodesOfRole(ctx.lab, 'router').map((r) => r.name);
  const vipEvents = ctx.input.routeEvents.filter((e) => e.prefix === prefix && routers.includes(e.node)).sort((a, b) => a.t - b.t);
  // The step that undoes the failure: on the node it hit (the announcer, or the router whose port to it failed).
  const restore = ctx.events.find((a) => RESTORE_ACTIONS.has(a.action) && a.node === action.node && eventTime(a) >= eventTime(action));

  if (vipEvents.length === 0) return fromSnapshots(ctx, action, node, restore, withdrawalMethod, restorationMethod);

  const t0 = eventTime(action);
  // Without a route event before the failure, the latest snapshot before it tells what the route was.
  const beforeSnapshot = [...ctx.input.snapshots].sort((a, b) => b.t - a.t).find((s) => s.t <= t0);
  const watches: RouterWatch[] = [];
  for (const router of routers) {
    const mine = vipEvents.filter((e) => e.node === router);
    const lastBefore = [...mine].reverse().find((e) => e.t < t0);
    const prior = lastBefore?.nextHops ?? (beforeSnapshot ? snapshotVipNextHops(beforeSnapshot, router, ctx.service) : undefined);
    if (prior ? !usesAny(prior, addresses) : !mine.some((e) => e.t >= t0)) continue;
    const withdrawnAt = mine.find((e) => e.t >= t0 && !usesAny(e.nextHops, addresses));
    watches.push({ router, ...(prior ? { prior } : {}), ...(withdrawnAt ? { withdrawnAt } : {}) });
  }

  const who = `${node.name} (${addresses.join(', ')})`;
  const stepText = describeStep(ctx, action);
  const resolution = MONITOR_RESOLUTION_S + eventSpreadS(action);
  let withdrawal: Figure;
  let withdrawn: RouterWatch[] = [];
  if (watches.length === 0) {
    withdrawal = absent('s', `${withdrawalMethod}.`, `no router had ${who} as next hop of ${prefix} before ${stepText}`);
  } else {
    const kept = watches.filter((w) => !w.withdrawnAt);
    withdrawn = watches.filter((w) => w.withdrawnAt);
    if (kept.length > 0) {
      withdrawal = absent('s', `${withdrawalMethod}.`, `router(s) ${kept.map((w) => w.router).join(', ')} kept ${who} as next hop of ${prefix} after ${stepText} until the end of the records`);
    } else {
      const latest = withdrawn.reduce((a, b) => (b.withdrawnAt!.t > a.withdrawnAt!.t ? b : a));
      withdrawal = figure(
        (latest.withdrawnAt!.t - t0) / 1000,
        's',
        `${withdrawalMethod}: ${stepText} -> ${latest.router}'s route ${latest.withdrawnAt!.kind === 'del' ? 'was deleted' : `changed to ${latest.withdrawnAt!.nextHops.join(', ') || 'no next hop'}`} at ${rel(ctx, latest.withdrawnAt!.t)}` +
          ` (without ${who}). Resolution: the monitor's µs timestamps plus ${eventSpreadText(action)}.`,
        resolution,
      );
    }
  }

  if (!restore) {
    return { route_withdrawal_s: withdrawal, route_restoration_s: absent('s', `${restorationMethod}.`, `no restore step for ${action.node} after ${stepText}`) };
  }
  if (withdrawn.length === 0) {
    return {
      route_withdrawal_s: withdrawal,
      route_restoration_s: absent('s', `${restorationMethod}.`, `the route of ${prefix} never lost ${who}, so there is nothing to restore`),
    };
  }
  const r0 = eventTime(restore);
  const restored = withdrawn.map((w) => {
    // Every next hop of before the failure (which includes the announcer); without a known
    // prior state, at least the announcer back.
    const wanted = w.prior ?? [];
    const at = vipEvents.find((e) => e.node === w.router && e.t >= r0 && usesAny(e.nextHops, addresses) && wanted.every((h) => e.nextHops.includes(h)));
    return { watch: w, wanted, at };
  });
  const missing = restored.filter((r) => !r.at);
  const restoreText = describeStep(ctx, restore);
  if (missing.length > 0) {
    return {
      route_withdrawal_s: withdrawal,
      route_restoration_s: absent('s', `${restorationMethod}.`, `router(s) ${missing.map((m) => m.watch.router).join(', ')} did not get every earlier next hop back after ${restoreText} before the records end`),
    };
  }
  const latest = restored.reduce((a, b) => (b.at!.t > a.at!.t ? b : a));
  return {
    route_withdrawal_s: withdrawal,
    route_restoration_s: figure(
      (latest.at!.t - r0) / 1000,
      's',
      `${restorationMethod}: ${restoreText} -> ${latest.watch.router}'s route has ${latest.at!.nextHops.join(', ')} at ${rel(ctx, latest.at!.t)} ` +
        `(it had ${latest.wanted.join(', ') || 'an unknown set'} before the failure). Resolution: the monitor's µs timestamps plus ${eventSpreadText(restore)}.`,
      MONITOR_RESOLUTION_S + eventSpreadS(restore),
    ),
  };
}

function vipAnnouncerNote(ctx: RunContext): string {
  return ctx.events.length === 0
    ? 'the run has no timeline'
    : `no failure event of the timeline hits a node that announces ${vipPrefix(ctx.service)} over OSPF`;
}

/**
 * Without RouteEvents the snapshots only bound the answer: the route changed somewhere
 * between the event and the snapshot that shows the change, so the figure is that upper
 * bound and its resolution is as wide.
 */
function fromSnapshots(
  ctx: RunContext,
  action: ActionRecord,
  node: ResolvedNode,
  restore: ActionRecord | undefined,
  withdrawalMethod: string,
  restorationMethod: string,
): { route_withdrawal_s: Figure; route_restoration_s: Figure } {
  const router = nodesOfRole(ctx.lab, 'router')[0]?.name;
  const addresses = addressesOf(node);
  const fallback = ' No RouteEvent of the VIP was recorded, so this falls back to the snapshots: the value is an upper bound (the snapshot that first shows the change, minus the event time), and the resolution is as wide as the value.';
  const t0 = eventTime(action);
  const during = snapshotOf(ctx.input.snapshots, 'during');
  const duringHops = router && during && during.t >= t0 ? snapshotVipNextHops(during, router, ctx.service) : undefined;
  const withdrawal =
    duringHops && !usesAny(duringHops, addresses)
      ? figure((during!.t - t0) / 1000, 's', `${withdrawalMethod}.${fallback} 'during' snapshot at ${rel(ctx, during!.t)} on ${router}: ${duringHops.join(', ') || 'no route'}.`, (during!.t - t0) / 1000)
      : absent('s', `${withdrawalMethod}.${fallback}`, `no RouteEvent for ${vipPrefix(ctx.service)}, and no 'during' snapshot after ${describeStep(ctx, action)} shows the next hop gone`);
  const before = snapshotOf(ctx.input.snapshots, 'before');
  const after = snapshotOf(ctx.input.snapshots, 'after');
  const wanted = router && before ? snapshotVipNextHops(before, router, ctx.service) : undefined;
  const afterHops = router && after ? snapshotVipNextHops(after, router, ctx.service) : undefined;
  let restoration: Figure;
  if (!restore) restoration = absent('s', `${restorationMethod}.`, `no restore step for ${action.node} after ${describeStep(ctx, action)}`);
  else if (withdrawal.value === null) restoration = absent('s', `${restorationMethod}.${fallback}`, 'no withdrawal was seen, so there is nothing to restore');
  else if (wanted && afterHops && after!.t >= eventTime(restore) && wanted.every((h) => afterHops.includes(h))) {
    const bound = (after!.t - eventTime(restore)) / 1000;
    restoration = figure(bound, 's', `${restorationMethod}.${fallback} 'after' snapshot at ${rel(ctx, after!.t)} on ${router}: ${afterHops.join(', ')}.`, bound);
  } else restoration = absent('s', `${restorationMethod}.${fallback}`, "the 'after' snapshot does not show every earlier next hop back");
  return { route_withdrawal_s: withdrawal, route_restoration_s: restoration };
}
