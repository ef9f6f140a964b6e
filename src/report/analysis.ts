// What every report format shows, derived once from RunResults: the verdict, the events
// on the time axis, which element was failed and when, and the routers' VIP next hops
// per phase. Pure functions; times are seconds since traffic start.
import type { Action, ActionRecord, Phase, RunResults, Snapshot } from '../experiment/types.js';
import { relSeconds } from './format.js';
import type { ResultsTopology } from './topology.js';

export const PHASES: readonly Phase[] = ['before', 'during', 'after'];

export type SnapshotPhase = Snapshot['phase'];
/** Snapshot moments in time order: traffic start, before the first step, before the last step, after the traffic. */
export const SNAPSHOT_PHASES: readonly SnapshotPhase[] = ['start', 'before', 'during', 'after'];

/** The snapshot phases a run has, in time order. */
export function snapshotPhases(results: RunResults): SnapshotPhase[] {
  return SNAPSHOT_PHASES.filter((p) => results.snapshots.some((s) => s.phase === p));
}

/** The phase other snapshots are compared with: before the first step (else the start). */
export function referencePhase(phases: readonly SnapshotPhase[]): SnapshotPhase | undefined {
  return phases.includes('before') ? 'before' : phases[0];
}

export interface Verdict {
  passed: boolean;
  total: number;
  failed: number;
  /** "3 of 4 assertions passed" */
  text: string;
}

export function verdictOf(results: RunResults): Verdict {
  const total = results.assertions.length;
  const failed = results.assertions.filter((a) => !a.passed).length;
  const stepsFailed = results.timeline.filter((a) => !a.ok).length;
  const passed = failed === 0 && stepsFailed === 0;
  let text = total === 0 ? 'no assertions' : `${total - failed} of ${total} assertions passed`;
  if (stepsFailed > 0) text += `, ${stepsFailed} timeline step${stepsFailed > 1 ? 's' : ''} failed`;
  return { passed, total, failed, text };
}

/** Traffic duration in seconds. */
export const durationOf = (results: RunResults): number => Math.max(0, (results.trafficEnd - results.trafficStart) / 1000);

/** "silent-failure lb2 eth0", "kill lb1 ospfd". */
export function actionLabel(a: Pick<ActionRecord, 'action' | 'node' | 'interface' | 'daemon'>): string {
  return [a.action, a.node, a.interface ?? a.daemon].filter((x) => x !== undefined && x !== '').join(' ');
}

export interface AxisEvent {
  /** Seconds since traffic start. */
  t: number;
  label: string;
  kind: 'action' | 'route';
  /** false for a timeline step whose command failed. */
  ok: boolean;
}

export function actionEvents(results: RunResults): AxisEvent[] {
  return results.timeline.map((a) => ({
    t: relSeconds(a.startedAt, results.trafficStart),
    label: actionLabel(a),
    kind: 'action' as const,
    ok: a.ok,
  }));
}

const BREAKS: Partial<Record<Action, Action>> = {
  'link-down': 'link-up',
  'silent-failure': 'silent-restore',
  'link-impair': 'link-clear',
  kill: 'start',
  pause: 'resume',
  'node-stop': 'node-start',
};

/** An element the timeline broke, and when it was repaired (null: still broken at the end). */
export interface FailedElement {
  node: string;
  interface?: string;
  daemon?: string;
  action: Action;
  from: number;
  to: number | null;
  repairedBy?: Action;
}

export function failedElements(results: RunResults): FailedElement[] {
  const steps = [...results.timeline].sort((a, b) => a.startedAt - b.startedAt);
  const out: FailedElement[] = [];
  steps.forEach((step, i) => {
    const repair = BREAKS[step.action];
    if (!repair) return;
    const healed = steps
      .slice(i + 1)
      .find((s) => s.action === repair && s.node === step.node && s.interface === step.interface && s.daemon === step.daemon);
    out.push({
      node: step.node,
      ...(step.interface !== undefined ? { interface: step.interface } : {}),
      ...(step.daemon !== undefined ? { daemon: step.daemon } : {}),
      action: step.action,
      from: relSeconds(step.startedAt, results.trafficStart),
      to: healed ? relSeconds(healed.startedAt, results.trafficStart) : null,
      ...(healed ? { repairedBy: healed.action } : {}),
    });
  });
  return out;
}

/** Phase windows [start, end) in seconds, as results.json defines them. */
export function phaseWindows(results: RunResults): Record<Phase, [number, number]> {
  const end = durationOf(results);
  const times = results.timeline.map((a) => relSeconds(a.startedAt, results.trafficStart)).sort((a, b) => a - b);
  const first = times[0] ?? end;
  const last = times[times.length - 1] ?? end;
  return { before: [0, first], during: [first, last], after: [last, end] };
}

/** address -> node name, from the topology (for "10.0.1.135 (lb2)"). */
export function nodeByAddress(topology: ResultsTopology | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const n of topology?.nodes ?? []) for (const i of n.interfaces) if (i.address) map.set(i.address, n.name);
  return map;
}

export function hopLabel(address: string, names: Map<string, string>): string {
  const name = names.get(address);
  return name ? `${address} (${name})` : address;
}

export interface VipRoute {
  router: string;
  service: string;
  /** VIP prefix when the topology names it. */
  prefix?: string;
  /** Absent when that phase has no snapshot (or no route for this service in it). */
  hops: Partial<Record<SnapshotPhase, string[]>>;
}

/** Each router's next hops for each service VIP, per phase snapshot. */
export function vipRoutes(results: RunResults, topology?: ResultsTopology): VipRoute[] {
  const rows = new Map<string, VipRoute>();
  for (const snap of results.snapshots) {
    for (const [router, state] of Object.entries(snap.routers)) {
      for (const [service, hops] of Object.entries(state.vipNextHops ?? {})) {
        const key = `${router}\u0000${service}`;
        let row = rows.get(key);
        if (!row) {
          const vip = topology?.services.find((s) => s.name === service)?.vip;
          row = { router, service, ...(vip ? { prefix: `${vip}/32` } : {}), hops: {} };
          rows.set(key, row);
        }
        row.hops[snap.phase] = [...hops];
      }
    }
  }
  return [...rows.values()];
}

/** One stretch of constant next-hop count on the time axis. */
export interface HopStep {
  from: number;
  to: number;
  count: number | null;
}

/**
 * How many next hops the first router's route to the first VIP had over time: the
 * `before` snapshot's count, then every `ip monitor route` event for that prefix.
 */
export function nextHopTimeline(results: RunResults, topology?: ResultsTopology): { label: string; steps: HopStep[] } | undefined {
  const route = vipRoutes(results, topology)[0];
  const events = results.routeEvents.filter((e) => (route ? e.node === route.router : true));
  let prefix = route?.prefix;
  if (!prefix) {
    const prefixes = [...new Set(events.map((e) => e.prefix))];
    if (prefixes.length === 1) prefix = prefixes[0];
  }
  if (!route && !prefix) return undefined;
  const mine = events.filter((e) => e.prefix === prefix).sort((a, b) => a.t - b.t);
  const end = durationOf(results);
  const start = (route?.hops.start ?? route?.hops.before)?.length ?? null;
  const steps: HopStep[] = [];
  let from = 0;
  let count: number | null = start;
  for (const e of mine) {
    const t = Math.min(end, Math.max(0, relSeconds(e.t, results.trafficStart)));
    steps.push({ from, to: t, count });
    from = t;
    count = e.kind === 'del' ? 0 : e.nextHops.length;
  }
  steps.push({ from, to: end, count });
  const router = route?.router ?? mine[0]?.node ?? 'router';
  return { label: `${router}: ${prefix ?? route?.service ?? ''} next hops`, steps: steps.filter((s) => s.to > s.from || steps.length === 1) };
}

/** A router started sending a VRRP VIP to another MAC (its first entry for it counts too). */
export interface VipMove {
  /** Epoch ms. */
  t: number;
  router: string;
  vip: string;
  lladdr?: string;
  /** The director with that MAC, as the analysis found it. */
  director?: string;
}

/**
 * Where each router sent each VRRP VIP over time, from its neighbour monitor: the events
 * whose MAC differs from the router's previous one for that VIP (state-only changes left out).
 */
export function vipMoves(results: RunResults, topology?: ResultsTopology): VipMove[] {
  const vips = new Set((topology?.services ?? []).filter((s) => s.vrrp).map((s) => s.vip));
  const last = new Map<string, string | undefined>();
  const out: VipMove[] = [];
  for (const e of [...(results.neighbourEvents ?? [])].sort((x, y) => x.t - y.t)) {
    if (vips.size > 0 ? !vips.has(e.address) : e.director === undefined) continue;
    const key = `${e.node}\u0000${e.address}`;
    if (e.lladdr === undefined || (last.has(key) && last.get(key) === e.lladdr)) continue;
    last.set(key, e.lladdr);
    out.push({ t: e.t, router: e.node, vip: e.address, lladdr: e.lladdr, ...(e.director ? { director: e.director } : {}) });
  }
  return out;
}

/** "10.0.1.100 at 02:..:0f (lb1)": how the chronologies show a VIP move. */
export function vipMoveText(m: VipMove): string {
  return `${m.vip} at ${m.lladdr ?? 'no MAC'}${m.director ? ` (${m.director})` : ''}`;
}

/** `ip -j route` entry -> a line like `ip route` prints, plus its next hops separately. */
export interface FibLine {
  dst: string;
  head: string;
  hops: string[];
}

export function fibLine(entry: unknown): FibLine | undefined {
  if (!entry || typeof entry !== 'object') return undefined;
  const e = entry as Record<string, unknown>;
  const dst = typeof e['dst'] === 'string' ? e['dst'] : undefined;
  if (!dst) return undefined;
  const parts: string[] = [];
  for (const key of ['nhid', 'protocol', 'scope', 'metric', 'prefsrc'] as const) {
    if (e[key] !== undefined && e[key] !== null) parts.push(key === 'prefsrc' ? `src ${String(e[key])}` : key === 'protocol' ? `proto ${String(e[key])}` : `${key} ${String(e[key])}`);
  }
  const hops: string[] = [];
  const hop = (h: Record<string, unknown>): string =>
    [h['gateway'] !== undefined ? `via ${String(h['gateway'])}` : undefined, h['dev'] !== undefined ? `dev ${String(h['dev'])}` : undefined]
      .filter(Boolean)
      .join(' ');
  if (Array.isArray(e['nexthops'])) {
    for (const h of e['nexthops']) if (h && typeof h === 'object') hops.push(hop(h as Record<string, unknown>));
  } else if (e['gateway'] !== undefined || e['dev'] !== undefined) {
    hops.push(hop(e));
  }
  return { dst, head: parts.join(' '), hops };
}
