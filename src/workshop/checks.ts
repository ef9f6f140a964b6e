// Exercise checks, evaluated on a student's running lab with a retry window: each check is
// observed (a command in one node, through the runtime) and judged (pure functions below,
// which the unit tests exercise); a check passes as soon as it holds within its window, and
// fails with the last observation and why. A check that cannot be evaluated at all (its
// node is gone) is "unusable", which grading counts apart from a failure.
import type { LabSession } from '../lab/session.js';
import { planOf } from '../lab/session.js';
import { nextHopsOf, parseOspfNeighbors, readKernelRoute, vtysh, type KernelRoute, type OspfNeighbor } from '../lab/observe.js';
import type { ResolvedService } from '../model/types.js';
import { pollUntil } from '../util/poll.js';
import type { CheckSpec } from './exercise.js';

export const DEFAULT_WINDOW_S = 5;
/** Time between two attempts of a check inside its window. */
const RETRY_INTERVAL_MS = 500;

export type CheckOutcome = 'passed' | 'failed' | 'unusable';

export interface Judgement {
  ok: boolean;
  /** What was seen, as a value a prediction can be set beside (a count, a sysctl value). */
  observed: number | string | null;
  /** One line: what was expected and what was seen. */
  detail: string;
}

export interface CheckResult {
  id: string;
  kind: CheckSpec['kind'];
  title: string;
  outcome: CheckOutcome;
  observed: number | string | null;
  detail: string;
  hint?: string;
  /** Attempts made and time spent inside the retry window. */
  attempts: number;
  elapsedMs: number;
}

/** A check's title for tables: its own, or one made from what it checks. */
export function checkTitle(c: CheckSpec): string {
  if (c.title) return c.title;
  switch (c.kind) {
    case 'route-nexthops':
      return `${c.node}: ${c.count} next hop${c.count === 1 ? '' : 's'} to ${c.prefix}`;
    case 'ospf-neighbors':
      return `${c.node}: ${c.count} OSPF neighbour${c.count === 1 ? '' : 's'} ${c.state ?? 'Full'}`;
    case 'http':
      return `${c.from}: HTTP${c.answered_by ? ` answered by ${c.answered_by.join(', ')}` : ''}`;
    case 'sysctl':
      return `${c.node}: ${c.key} = ${c.value}`;
    case 'daemon':
      return `${c.node}: ${c.daemon} ${c.running === false ? 'stopped' : 'running'}`;
    case 'command':
      return `${c.node}: ${c.argv?.join(' ')} ~ /${c.match}/`;
    case 'figure':
      return `${c.experiment}: ${c.expect}`;
  }
}

// ---- judging (pure) ----

export function judgeNextHops(route: KernelRoute | undefined, count: number, prefix: string): Judgement {
  const hops = nextHopsOf(route);
  const ok = hops.length === count;
  const seen = hops.length === 0 ? 'no route' : `${hops.length} (${hops.join(', ')})`;
  return { ok, observed: hops.length, detail: `next hops to ${prefix}: expected ${count}, seen ${seen}` };
}

export function judgeOspfNeighbors(neighbors: OspfNeighbor[], state: string, count: number): Judgement {
  const inState = neighbors.filter((n) => n.state.split('/')[0] === state);
  const all = neighbors.map((n) => `${n.routerId} ${n.state}`).join(', ') || 'none';
  return { ok: inState.length === count, observed: inState.length, detail: `OSPF neighbours in ${state}: expected ${count}, seen ${inState.length} (all: ${all})` };
}

export interface HttpTally {
  /** Real server (X-Real-Server) -> answers with status 200. */
  hits: Record<string, number>;
  failures: number;
  total: number;
}

/** Parses curl's `-w '%{http_code}|%header{x-real-server}\n'` lines for `total` requests. */
export function tallyHttp(stdout: string, total: number): HttpTally {
  const tally: HttpTally = { hits: {}, failures: 0, total };
  const lines = stdout.split('\n').filter((l) => l.includes('|'));
  for (const line of lines) {
    const [code, server] = line.split('|');
    if (code === '200' && server) tally.hits[server] = (tally.hits[server] ?? 0) + 1;
    else tally.failures++;
  }
  tally.failures += Math.max(0, total - lines.length);
  return tally;
}

export function judgeHttp(tally: HttpTally, spec: { answered_by?: string[]; all_answered?: boolean }): Judgement {
  const answered = Object.keys(tally.hits).sort();
  const missing = (spec.answered_by ?? []).filter((rs) => !tally.hits[rs]);
  const allAnswered = spec.all_answered ?? true;
  const problems: string[] = [];
  if (allAnswered && tally.failures > 0) problems.push(`${tally.failures} of ${tally.total} requests unanswered`);
  if (missing.length > 0) problems.push(`never answered by ${missing.join(', ')}`);
  const seen = answered.map((rs) => `${rs} ${tally.hits[rs]}`).join(', ') || 'no answer';
  return {
    ok: problems.length === 0,
    observed: answered.length,
    detail: `${problems.length ? problems.join('; ') : 'as expected'} (answers: ${seen}; ${tally.failures} failed of ${tally.total})`,
  };
}

export function judgeSysctl(key: string, r: { code: number; stdout: string; stderr: string }, expected: string): Judgement {
  if (r.code !== 0) return { ok: false, observed: null, detail: `sysctl ${key} could not be read: ${r.stderr.trim()}` };
  const value = r.stdout.trim().replace(/\s+/g, ' ');
  return { ok: value === expected, observed: value, detail: `${key}: expected ${expected}, seen ${value}` };
}

export function judgeCommand(r: { code: number; stdout: string; stderr: string }, match: string, exit: number | undefined): Judgement {
  const re = new RegExp(match, 'm');
  const m = re.exec(r.stdout);
  const exitOk = exit === undefined || r.code === exit;
  const parts = [m ? `output matches /${match}/ ("${m[0].slice(0, 80)}")` : `output does not match /${match}/`];
  if (!exitOk) parts.push(`exit ${r.code}, expected ${exit}`);
  const firstLine = r.stdout.trim().split('\n')[0]?.slice(0, 120) ?? '';
  return { ok: Boolean(m) && exitOk, observed: m ? m[0] : firstLine || null, detail: parts.join('; ') + (m ? '' : `; first line: "${firstLine}"${r.stderr.trim() ? `, stderr: ${r.stderr.trim().slice(0, 120)}` : ''}`) };
}

// ---- observing (on the lab) ----

class Unusable extends Error {}

function serviceOf(session: LabSession, name: string | undefined): ResolvedService {
  const s = name === undefined ? session.lab.services[0] : session.lab.services.find((x) => x.name === name);
  if (!s) throw new Unusable(`lab ${session.lab.name} has no service ${name ?? ''}`);
  return s;
}

function needNode(session: LabSession, node: string | undefined): string {
  if (!node || !session.lab.nodes.some((n) => n.name === node)) throw new Unusable(`lab ${session.lab.name} has no node ${node}`);
  return node;
}

/** One observation and its judgement (no retry). Throws Unusable when the check cannot be evaluated. */
async function observeOnce(session: LabSession, c: CheckSpec): Promise<Judgement> {
  const { runtime } = session;
  const instance = session.lab.instance;
  switch (c.kind) {
    case 'route-nexthops': {
      const node = needNode(session, c.node);
      return judgeNextHops(await readKernelRoute(runtime, instance, node, c.prefix!), c.count!, c.prefix!);
    }
    case 'ospf-neighbors': {
      const node = needNode(session, c.node);
      return judgeOspfNeighbors(parseOspfNeighbors(await vtysh(runtime, instance, node, 'show ip ospf neighbor json')), c.state ?? 'Full', c.count!);
    }
    case 'http': {
      const from = needNode(session, c.from);
      const service = serviceOf(session, c.service);
      const url = `http://${service.vip}:${service.port}${c.path ?? '/'}`;
      const count = c.requests ?? 10;
      // One curl process, a new connection per request, each bounded to 1 s.
      const args = ['-s', '--max-time', '1', '-H', 'Connection: close', '-w', '%{http_code}|%header{x-real-server}\\n'];
      for (let i = 0; i < count; i++) args.push('-o', '/dev/null', url);
      const r = await runtime.exec(instance, from, ['curl', ...args], { timeoutMs: count * 1500 + 5000 });
      return judgeHttp(tallyHttp(r.stdout, count), c);
    }
    case 'sysctl': {
      const node = needNode(session, c.node);
      return judgeSysctl(c.key!, await runtime.exec(instance, node, ['sysctl', '-n', c.key!], { timeoutMs: 5000 }), c.value!);
    }
    case 'daemon': {
      const node = needNode(session, c.node);
      const plan = planOf(session, node);
      const spec = [...plan.routingDaemons, ...plan.serviceDaemons].find((d) => d.name === c.daemon);
      if (!spec) throw new Unusable(`node ${node} runs no ${c.daemon} in this lab`);
      const want = c.running ?? true;
      const pidText = await runtime.readFile(instance, node, spec.pidFile);
      const pid = pidText?.trim().split('\n')[0]?.trim();
      let running = false;
      if (pid && /^\d+$/.test(pid)) running = (await runtime.exec(instance, node, ['kill', '-0', pid], { timeoutMs: 5000 })).code === 0;
      const seen = running ? `running (pid ${pid})` : pid ? `not running (pid file names ${pid}, no such process)` : 'not running (no pid file)';
      return { ok: running === want, observed: running ? 'running' : 'stopped', detail: `${c.daemon} on ${node}: expected ${want ? 'running' : 'stopped'}, ${seen}` };
    }
    case 'command': {
      const node = needNode(session, c.node);
      // vtysh needs to be told where this node's FRR sockets are, as `lvslab exec` tells it.
      const runsFrr = session.lab.nodes.find((n) => n.name === node)?.ospf !== undefined;
      const argv = c.argv![0] === 'vtysh' && runsFrr ? ['vtysh', '--vty_socket', runtime.nodePaths(instance, node).frrVtyDir, ...c.argv!.slice(1)] : c.argv!;
      return judgeCommand(await runtime.exec(instance, node, argv, { timeoutMs: 10_000 }), c.match!, c.exit);
    }
    case 'figure':
      throw new Unusable('figure checks run through evaluateFigureCheck');
  }
}

/**
 * Evaluates a check with its retry window: passes at the first attempt that holds; after
 * the window, fails with the last attempt's detail.
 */
export async function evaluateCheck(session: LabSession, c: CheckSpec): Promise<CheckResult> {
  const base = { id: c.id, kind: c.kind, title: checkTitle(c), ...(c.hint ? { hint: c.hint } : {}) };
  let attempts = 0;
  let unusable: string | undefined;
  let lastError: string | undefined;
  const started = Date.now();
  const holdMs = (c.hold_s ?? 0) * 1000;
  // With hold_s, the check passes only once it has held that long without a break.
  let heldSince: number | undefined;
  const waited = await pollUntil(
    async () => {
      attempts++;
      try {
        const j = await observeOnce(session, c);
        if (!j.ok) heldSince = undefined;
        else heldSince ??= Date.now();
        const held = heldSince !== undefined && Date.now() - heldSince >= holdMs;
        return { done: held, value: held || !j.ok ? j : { ...j, ok: false, detail: `${j.detail}, but not yet for ${c.hold_s} s without a break` } };
      } catch (e) {
        if (e instanceof Unusable) {
          unusable = e.message;
          return { done: true, value: undefined as Judgement | undefined };
        }
        lastError = (e as Error).message;
        heldSince = undefined;
        throw e;
      }
    },
    { timeoutMs: (c.within_s ?? DEFAULT_WINDOW_S) * 1000, intervalMs: RETRY_INTERVAL_MS },
  );
  const elapsedMs = Date.now() - started;
  if (unusable !== undefined) return { ...base, outcome: 'unusable', observed: null, detail: unusable, attempts, elapsedMs };
  const j = waited.value;
  if (!j) return { ...base, outcome: 'failed', observed: null, detail: `could not observe: ${lastError ?? 'no answer'}`, attempts, elapsedMs };
  return { ...base, outcome: j.ok ? 'passed' : 'failed', observed: j.observed, detail: j.ok ? j.detail : `${j.detail} (after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${(elapsedMs / 1000).toFixed(1)} s)`, attempts, elapsedMs };
}
