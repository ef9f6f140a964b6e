// What a run observes on the nodes besides the clients' records: snapshots of routing,
// VRRP and dataplane state, timestamped route (and neighbour) monitors on the routers, and
// the daemons' logs.
import type { Dataplane, ResolvedLab } from '../model/types.js';
import type { Runtime } from '../runtime/runtime.js';
import {
  directorWithMac,
  nextHopsOf,
  readDirectorConnections,
  readNeighbour,
  readOspfNeighbors,
  readVipHolders,
  routeIn,
  vipNeighbourRouters,
  vtysh,
  type KernelRoute,
} from '../lab/observe.js';
import type { CounterSnapshot, Snapshot } from './types.js';
import { readUntilStable } from '../util/poll.js';

export async function takeSnapshot(runtime: Runtime, lab: ResolvedLab, dataplane: Dataplane, phase: Snapshot['phase']): Promise<Snapshot> {
  const t = Date.now();
  const snapshot: Snapshot = { phase, t, routers: {}, directors: {} };
  const routers = lab.nodes.filter((n) => n.role === 'router' && n.ospf);
  const directors = lab.nodes.filter((n) => n.role === 'director' && n.directs.length > 0);
  await Promise.all([
    ...routers.map(async (r) => {
      const fib = JSON.parse((await runtime.exec(lab.instance, r.name, ['ip', '-j', 'route', 'show'])).stdout || '[]') as KernelRoute[];
      const rib = await vtysh(runtime, lab.instance, r.name, 'show ip route json').then((s) => JSON.parse(s) as unknown, () => null);
      const neighbors = await readOspfNeighbors(runtime, lab, r.name).catch(() => []);
      // The VIP routes from the same read of the table: one program start less per service,
      // and the next hops agree with the FIB the snapshot shows.
      const vipNextHops: Record<string, string[]> = {};
      for (const svc of lab.services) vipNextHops[svc.vip] = nextHopsOf(routeIn(fib, `${svc.vip}/32`));
      snapshot.routers[r.name] = {
        fib,
        rib,
        ospfNeighbors: neighbors.map((n) => ({ routerId: n.routerId, address: n.address, state: n.state, iface: n.iface })),
        vipNextHops,
      };
    }),
    ...directors.map(async (d) => {
      // One read: the counts and the raw output they came from (a second read would differ).
      const c = await readDirectorConnections(runtime, lab, dataplane, d.name);
      snapshot.directors[d.name] = {
        services: Object.fromEntries(c.services),
        realServers: Object.fromEntries([...c.realServers].map(([svc, m]) => [svc, Object.fromEntries(m)])),
        raw: c.raw,
      };
    }),
    ...lab.services.filter((s) => s.announce === 'vrrp').map(async (svc) => {
      const [holders, neighbours] = await Promise.all([
        readVipHolders(runtime, lab, svc).catch(() => []),
        Promise.all(vipNeighbourRouters(lab, svc).map(async (r) => [r.name, await readNeighbour(runtime, lab.instance, r.name, svc.vip).catch(() => undefined)] as const)),
      ]);
      (snapshot.vrrp ??= {})[svc.name] = {
        vip: svc.vip,
        holders,
        neighbours: Object.fromEntries(
          neighbours.map(([router, e]) => {
            const director = directorWithMac(lab, e?.lladdr);
            return [router, e ? { ...(e.lladdr ? { lladdr: e.lladdr.toLowerCase() } : {}), state: e.state, ...(director ? { director } : {}) } : null];
          }),
        ),
      };
    }),
  ]);
  return snapshot;
}

/** Kernel IPVS's estimator period: its published counters may be this old when read. */
export const IPVS_ESTIMATOR_PERIOD_MS = 2000;

/**
 * The directors' counters only, read in parallel: the boundary mark taken at a
 * timeline step (a full snapshot takes ~0.2 s, during which connections keep arriving).
 * A director whose counters cannot be read is recorded with the reason, never as 0.
 */
export async function takeCounterSnapshot(runtime: Runtime, lab: ResolvedLab, dataplane: Dataplane, step: number): Promise<CounterSnapshot> {
  const directors = lab.nodes.filter((n) => n.role === 'director' && n.directs.length > 0);
  const t = Date.now();
  const read = await Promise.all(directors.map((d) => readDirectorConnections(runtime, lab, dataplane, d.name).then(
    (c) => ({ name: d.name, c, error: undefined }),
    (err: unknown) => ({ name: d.name, c: undefined, error: err instanceof Error ? err.message : String(err) }),
  )));
  const tEnd = Date.now();
  const snapshot: CounterSnapshot = { step, t, tEnd, staleUpToMs: dataplane === 'ipvs' ? IPVS_ESTIMATOR_PERIOD_MS : 0, directors: {}, errors: {} };
  for (const r of read) {
    if (r.c) {
      snapshot.directors[r.name] = {
        services: Object.fromEntries(r.c.services),
        realServers: Object.fromEntries([...r.c.realServers].map(([svc, m]) => [svc, Object.fromEntries(m)])),
      };
    } else snapshot.errors[r.name] = r.error ?? 'unknown error';
  }
  return snapshot;
}

/**
 * What a router's monitors watch: its routes (every router), and its neighbour entries
 * (routers that reach a VRRP VIP as a neighbour: where the VIP lives shows there).
 */
export type MonitorKind = 'route' | 'neigh';

/** Where a router's monitor of `kind` writes (inside the node's log directory). */
export function monitorFiles(runtime: Runtime, instance: string, router: string, run: number, kind: MonitorKind): { log: string; pid: string } {
  const p = runtime.nodePaths(instance, router);
  return { log: `${p.log}/${kind}-monitor-${run}.log`, pid: `${p.run}/${kind}-monitor-${run}.pid` };
}

/** The routers each monitor runs on: routes on every router, neighbours where a VRRP VIP is reached. */
export function monitoredRouters(lab: ResolvedLab, kind: MonitorKind): string[] {
  if (kind === 'route') return lab.nodes.filter((n) => n.role === 'router').map((n) => n.name);
  const routers = lab.services.filter((s) => s.announce === 'vrrp').flatMap((s) => vipNeighbourRouters(lab, s).map((r) => r.name));
  return [...new Set(routers)];
}

const MONITOR_KINDS: MonitorKind[] = ['route', 'neigh'];

/** Starts `ip -ts monitor route` (and `neigh`) on the routers; returns a function that stops them. */
export async function startMonitors(runtime: Runtime, lab: ResolvedLab, run: number): Promise<() => Promise<void>> {
  const started: Array<{ router: string; pid: string }> = [];
  for (const kind of MONITOR_KINDS) {
    for (const router of monitoredRouters(lab, kind)) {
      const files = monitorFiles(runtime, lab.instance, router, run, kind);
      // Emptied first: the daemon appends, and an earlier `lvslab run` on this instance wrote
      // the same run number's log.
      await runtime.writeFile(lab.instance, router, files.log, '');
      await runtime.startDaemon(lab.instance, router, {
        name: `${kind}-monitor`,
        argv: ['ip', '-ts', 'monitor', kind],
        pidFile: files.pid,
        selfDaemonizing: false,
        logFile: files.log,
      });
      started.push({ router, pid: files.pid });
    }
  }
  return async () => {
    for (const m of started) {
      const pid = (await runtime.readFile(lab.instance, m.router, m.pid))?.trim();
      if (pid && /^\d+$/.test(pid)) await runtime.exec(lab.instance, m.router, ['kill', pid]);
    }
  };
}

/** router -> what its monitor of `kind` wrote during the run. */
export async function readMonitors(runtime: Runtime, lab: ResolvedLab, run: number, kind: MonitorKind): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const router of monitoredRouters(lab, kind)) {
    out[router] = (await runtime.readFile(lab.instance, router, monitorFiles(runtime, lab.instance, router, run, kind).log)) ?? '';
  }
  return out;
}

/**
 * Kernel IPVS publishes its counters from an estimator that runs about every 2 s. Before
 * the final snapshot, wait until the directors' totals have not moved for two estimator
 * periods (the fallback's nft counters are exact at once).
 */
export async function settleCounters(runtime: Runtime, lab: ResolvedLab, dataplane: Dataplane): Promise<void> {
  if (dataplane !== 'ipvs') return;
  const directors = lab.nodes.filter((n) => n.role === 'director' && n.directs.length > 0);
  const total = async () => {
    let sum = 0;
    for (const d of directors) for (const v of (await readDirectorConnections(runtime, lab, dataplane, d.name)).services.values()) sum += v;
    return sum;
  };
  // two estimator periods: under load (or CPU emulation) one tick can come late
  await readUntilStable(total, 4500, { timeoutMs: 15_000, intervalMs: 300 });
}
