// Where a VRRP VIP lived, as the routers saw it: how long after its holder failed the
// routers' neighbour entry for the VIP named another director's MAC (vip_move_s), and how
// long after the restore it named the restored director's MAC again for good (vip_return_s).
// From the NeighbourEvents of `ip -ts monitor neigh`: event-driven, each change stamped
// (µs) when the router's kernel applied it, so nothing is sampled.
import type { ActionRecord, Figure, NeighbourEvent } from '../experiment/types.js';
import type { ResolvedNode } from '../model/types.js';
import { directorWithMac } from '../lab/observe.js';
import { FAILURE_ACTIONS, RESTORE_ACTIONS, type RunContext, describeStep, eventSpreadS, eventTime, rel } from './context.js';
import { absent, figure } from './figure.js';

/** `ip -ts` prints microseconds. */
const MONITOR_RESOLUTION_S = 0.000001;

export function vipMoveFigures(ctx: RunContext): { vip_move_s: Figure; vip_return_s: Figure } {
  const vip = ctx.service.vip;
  const moveMethod =
    `Failure of the director holding VRRP VIP ${vip} -> the first change of a router's neighbour entry for ${vip} (ip -ts monitor neigh: event-driven, not sampled) ` +
    "that names another director's MAC; the latest over the routers that sent to the failed director";
  const returnMethod =
    `Restore of that director -> the change of a router's neighbour entry for ${vip} after which it names the restored director's MAC until the records end; the latest over those routers`;
  const none = (note: string) => ({ vip_move_s: absent('s', `${moveMethod}.`, note), vip_return_s: absent('s', `${returnMethod}.`, note) });

  if (ctx.service.announce !== 'vrrp') return none(`service ${ctx.service.name} is announced by ${ctx.service.announce}, not held by VRRP`);
  const events = ctx.input.neighbourEvents;
  if (events === undefined) return none('the run recorded no neighbour monitor (results from before it existed)');
  const failure = ctx.events.find((a) => FAILURE_ACTIONS.has(a.action) && ctx.service.directors.includes(a.node));
  if (!failure) return none(ctx.events.length === 0 ? 'the run has no timeline' : `no failure event of the timeline hits a director of service ${ctx.service.name}`);

  const failed = ctx.lab.nodes.find((n) => n.name === failure.node)!;
  const t0 = eventTime(failure);
  const stepText = describeStep(ctx, failure);
  const mine = events.filter((e) => e.address === vip);
  const routers = [...new Set([...mine.map((e) => e.node), ...snapshotRouters(ctx)])].sort();
  const watched = routers.filter((r) => priorDirector(ctx, mine, r, t0) === failed.name);
  if (watched.length === 0) {
    const at = routers.map((r) => `${r}: ${priorDirector(ctx, mine, r, t0) ?? 'unknown'}`).join(', ');
    return none(`no router sent ${vip} to ${failed.name} before ${stepText}${at ? ` (${at})` : ''}`);
  }

  const moved = watched.map((router) => ({
    router,
    event: mine.find((e) => e.node === router && e.t >= t0 && pointsAtOther(ctx, e, failed)),
  }));
  const stuck = moved.filter((m) => !m.event);
  let move: Figure;
  if (stuck.length > 0) {
    move = absent('s', `${moveMethod}.`, `router(s) ${stuck.map((m) => m.router).join(', ')} kept ${vip} at ${failed.name}'s MAC after ${stepText} until the records end`);
  } else {
    const latest = moved.reduce((a, b) => (b.event!.t > a.event!.t ? b : a));
    const e = latest.event!;
    move = figure(
      (e.t - t0) / 1000,
      's',
      `${moveMethod}: ${stepText} -> ${latest.router} has ${vip} at ${e.lladdr} (${directorWithMac(ctx.lab, e.lladdr)}) from ${rel(ctx, e.t)} on ('${e.raw}'). ` +
        `Resolution: the monitor's µs timestamps plus the ${eventSpreadS(failure).toFixed(3)} s the step's command took.`,
      MONITOR_RESOLUTION_S + eventSpreadS(failure),
    );
  }

  const restore = ctx.events.find((a) => RESTORE_ACTIONS.has(a.action) && a.node === failed.name && eventTime(a) >= t0);
  if (!restore) return { vip_move_s: move, vip_return_s: absent('s', `${returnMethod}.`, `no restore step for ${failed.name} after ${stepText}`) };
  if (move.value === null) return { vip_move_s: move, vip_return_s: absent('s', `${returnMethod}.`, `${vip} never left ${failed.name}, so nothing returned`) };
  return { vip_move_s: move, vip_return_s: vipReturn(ctx, mine, watched, failed, restore, returnMethod) };
}

function vipReturn(ctx: RunContext, events: NeighbourEvent[], routers: string[], restored: ResolvedNode, restore: ActionRecord, method: string): Figure {
  const r0 = eventTime(restore);
  const stepText = describeStep(ctx, restore);
  const back = routers.map((router) => {
    const after = events.filter((e) => e.node === router && e.t >= r0 && e.lladdr !== undefined);
    // The last change to another MAC ends any earlier return: only the final stay counts.
    const lastElsewhere = after.reduce((i, e, k) => (directorWithMac(ctx.lab, e.lladdr) !== restored.name ? k : i), -1);
    const event = after.slice(lastElsewhere + 1).find((e) => directorWithMac(ctx.lab, e.lladdr) === restored.name);
    return { router, event };
  });
  const missing = back.filter((b) => !b.event);
  if (missing.length > 0) {
    return absent('s', `${method}.`, `router(s) ${missing.map((b) => b.router).join(', ')} did not send ${ctx.service.vip} to ${restored.name} for good after ${stepText} before the records end`);
  }
  const latest = back.reduce((a, b) => (b.event!.t > a.event!.t ? b : a));
  const e = latest.event!;
  return figure(
    (e.t - r0) / 1000,
    's',
    `${method}: ${stepText} -> ${latest.router} has ${ctx.service.vip} at ${e.lladdr} (${restored.name}) from ${rel(ctx, e.t)} on ('${e.raw}'). ` +
      `Resolution: the monitor's µs timestamps plus the ${eventSpreadS(restore).toFixed(3)} s the step's command took.`,
    MONITOR_RESOLUTION_S + eventSpreadS(restore),
  );
}

/** Whether the event names the MAC of a director other than `failed`. */
function pointsAtOther(ctx: RunContext, e: NeighbourEvent, failed: ResolvedNode): boolean {
  const director = directorWithMac(ctx.lab, e.lladdr);
  return director !== undefined && director !== failed.name;
}

/** Routers the snapshots recorded a neighbour entry for the VIP on. */
function snapshotRouters(ctx: RunContext): string[] {
  return ctx.input.snapshots.flatMap((s) => Object.keys(s.vrrp?.[ctx.service.name]?.neighbours ?? {}));
}

/**
 * The director a router sent the VIP to just before `t0`: its last neighbour event naming a
 * MAC before then, else the latest snapshot before then.
 */
function priorDirector(ctx: RunContext, events: NeighbourEvent[], router: string, t0: number): string | undefined {
  const last = [...events].reverse().find((e) => e.node === router && e.t < t0 && e.lladdr !== undefined);
  if (last) return directorWithMac(ctx.lab, last.lladdr);
  const snapshot = [...ctx.input.snapshots].sort((a, b) => b.t - a.t).find((s) => s.t <= t0 && s.vrrp?.[ctx.service.name]?.neighbours[router]);
  return snapshot?.vrrp?.[ctx.service.name]?.neighbours[router]?.director;
}
