// What every figure needs to know about a run, derived once from the raw records: the
// service under test, the timeline as events on one time axis, and the phases.
import type {
  Action,
  ActionRecord,
  CounterSnapshot,
  ExperimentFile,
  LogLine,
  LongLivedEvent,
  NeighbourEvent,
  Phase,
  RequestRecord,
  RouteEvent,
  Snapshot,
} from '../experiment/types.js';
import type { ResolvedLab, ResolvedNode, ResolvedService } from '../model/types.js';
import { vipAnnouncers } from '../lab/observe.js';

/** Everything a run recorded; computeFigures reads nothing else. */
export interface FigureInput {
  lab: ResolvedLab;
  experiment: ExperimentFile;
  /** Epoch ms. */
  trafficStart: number;
  trafficEnd: number;
  requests: RequestRecord[];
  longLived: LongLivedEvent[];
  actions: ActionRecord[];
  routeEvents: RouteEvent[];
  /** Routers' neighbour-entry changes (labs with a VRRP VIP; absent in older records). */
  neighbourEvents?: NeighbourEvent[];
  /** Parsed daemon logs (src/logs): FRR, keepalived/healthd, nginx access logs. */
  logs: LogLine[];
  snapshots: Snapshot[];
  /** Director counters read at each timeline step's start (absent in older records). */
  counterSnapshots?: CounterSnapshot[];
}

export const FAILURE_ACTIONS: ReadonlySet<Action> = new Set<Action>(['link-down', 'silent-failure', 'link-impair', 'kill', 'pause', 'node-stop', 'address-down']);
export const RESTORE_ACTIONS: ReadonlySet<Action> = new Set<Action>(['link-up', 'silent-restore', 'link-clear', 'start', 'resume', 'node-start', 'address-up']);

export interface PhaseRange {
  phase: Phase;
  /** Epoch ms, start inclusive; end exclusive except for 'after', which includes trafficEnd. */
  start: number;
  end: number;
}

export interface RunContext {
  input: FigureInput;
  lab: ResolvedLab;
  service: ResolvedService;
  /** Timeline steps in the order they started. */
  events: ActionRecord[];
  /** Phases that exist in this run (no timeline: only 'before', the whole window). */
  phases: PhaseRange[];
  /** Short-lived requests sorted by start time. */
  requests: RequestRecord[];
}

/** The service the experiment's traffic goes to (its first traffic or long-lived entry, else the lab's first). */
export function experimentService(lab: ResolvedLab, experiment: ExperimentFile): ResolvedService {
  const name = experiment.traffic?.[0]?.service ?? experiment.long_lived?.[0]?.service ?? lab.services[0]?.name;
  if (name === undefined) throw new Error(`lab ${lab.name} has no service: an experiment needs one to send traffic to`);
  const service = lab.services.find((s) => s.name === name);
  if (!service) throw new Error(`experiment ${experiment.name} names service ${name}, which lab ${lab.name} does not have (it has: ${lab.services.map((s) => s.name).join(', ')})`);
  return service;
}

/** The moment a timeline step counts as happening: when its command started (its effect lies between startedAt and doneAt). */
export function eventTime(action: ActionRecord): number {
  return action.startedAt;
}

/**
 * The uncertainty of the step's moment, in seconds: how long its command took, widened on
 * a remote lab host by the clock offset's uncertainty on both sides.
 */
export function eventSpreadS(action: ActionRecord): number {
  return (Math.max(0, action.doneAt - action.startedAt) + 2 * (action.clockUncertaintyMs ?? 0)) / 1000;
}

/** eventSpreadS in words, for a figure's method: "the 0.012 s the step's command took" (and the clock's share). */
export function eventSpreadText(action: ActionRecord): string {
  const took = `the ${(Math.max(0, action.doneAt - action.startedAt) / 1000).toFixed(3)} s the step's command took`;
  return action.clockUncertaintyMs ? `${took} and ±${(action.clockUncertaintyMs / 1000).toFixed(3)} s of the lab host's clock offset` : took;
}

export function buildContext(input: FigureInput): RunContext {
  const service = experimentService(input.lab, input.experiment);
  const events = [...input.actions].sort((a, b) => eventTime(a) - eventTime(b) || a.step - b.step);
  const requests = [...input.requests].sort((a, b) => a.t - b.t);
  return { input, lab: input.lab, service, events, phases: phaseRanges(input.trafficStart, input.trafficEnd, events), requests };
}

/** before = [trafficStart, first event), during = [first event, last event), after = [last event, trafficEnd]. */
export function phaseRanges(trafficStart: number, trafficEnd: number, events: ActionRecord[]): PhaseRange[] {
  if (events.length === 0) return [{ phase: 'before', start: trafficStart, end: trafficEnd }];
  const first = eventTime(events[0]!);
  const last = eventTime(events[events.length - 1]!);
  return [
    { phase: 'before', start: trafficStart, end: first },
    { phase: 'during', start: first, end: last },
    { phase: 'after', start: last, end: trafficEnd },
  ];
}

export function phaseOf(phases: PhaseRange[], t: number): Phase | undefined {
  for (const p of phases) {
    const inside = p.phase === 'after' || phases.length === 1 ? t >= p.start && t <= p.end : t >= p.start && t < p.end;
    if (inside) return p.phase;
  }
  return undefined;
}

export function phaseRange(ctx: RunContext, phase: Phase): PhaseRange | undefined {
  return ctx.phases.find((p) => p.phase === phase);
}

/** Seconds since traffic start, for method texts: "12.345 s". */
export function rel(ctx: RunContext, t: number): string {
  return `${((t - ctx.input.trafficStart) / 1000).toFixed(3)} s`;
}

export function describeStep(ctx: RunContext, action: ActionRecord): string {
  const what = [action.action, action.node, action.interface, action.daemon].filter(Boolean).join(' ');
  const failed = action.ok ? '' : `, its command FAILED: ${action.detail}`;
  return `timeline step ${action.step} (${what}, started at ${rel(ctx, eventTime(action))}${failed})`;
}

export function nodeByName(lab: ResolvedLab, name: string): ResolvedNode | undefined {
  return lab.nodes.find((n) => n.name === name);
}

export function nodesOfRole(lab: ResolvedLab, role: ResolvedNode['role']): ResolvedNode[] {
  return lab.nodes.filter((n) => n.role === role);
}

export function addressesOf(node: ResolvedNode): string[] {
  return node.interfaces.map((i) => i.address);
}

export { vipAnnouncers } from '../lab/observe.js';

export function vipPrefix(service: ResolvedService): string {
  return `${service.vip}/32`;
}

/** Rounds away float noise (0.30000000000000004) without hiding real precision. */
export function round(value: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}


/**
 * The first failure event that cuts a router off from a node announcing the VIP (what OSPF
 * and the routes react to): a failure of the announcer itself, or of the router's own
 * interface toward it (seed 000's "cable of the 129 switch": the router's port to one site),
 * which cuts off the announcers reached through nothing but that interface.
 */
export function firstAnnouncerFailure(ctx: RunContext): { action: ActionRecord; node: ResolvedNode } | undefined {
  const announcers = vipAnnouncers(ctx.lab, ctx.service);
  for (const action of ctx.events) {
    if (!FAILURE_ACTIONS.has(action.action)) continue;
    const node = announcers.find((n) => n.name === action.node) ?? announcerBehindRouterInterface(ctx.lab, announcers, action);
    if (node) return { action, node };
  }
  return undefined;
}

function announcerBehindRouterInterface(lab: ResolvedLab, announcers: ResolvedNode[], action: ActionRecord): ResolvedNode | undefined {
  const router = lab.nodes.find((n) => n.name === action.node && n.role === 'router');
  if (!router || action.interface === undefined) return undefined;
  const key = (i: ResolvedNode['interfaces'][number]) => (i.attachment.kind === 'segment' ? `s:${i.attachment.segment}` : `l:${i.attachment.link}`);
  const failed = router.interfaces.find((i) => i.name === action.interface);
  if (!failed) return undefined;
  const others = new Set(router.interfaces.filter((i) => i !== failed && i.ospf).map(key));
  return announcers.find((a) => {
    const theirs = a.interfaces.filter((i) => i.ospf).map(key);
    return theirs.includes(key(failed)) && !theirs.some((k) => others.has(k));
  });
}
