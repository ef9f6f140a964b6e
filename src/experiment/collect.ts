// What a run observes on the nodes besides the clients' records: snapshots of routing and
// dataplane state, a timestamped route monitor on every router, and the daemons' logs.
import type { Dataplane, ResolvedLab } from '../model/types.js';
import type { Runtime } from '../runtime/runtime.js';
import { nextHopsOf, readDirectorConnections, readOspfNeighbors, routeIn, vtysh, type KernelRoute } from '../lab/observe.js';
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

/** Where a router's route monitor writes (inside the node's log directory). */
export function routeMonitorFiles(runtime: Runtime, instance: string, router: string, run: number): { log: string; pid: string } {
  const p = runtime.nodePaths(instance, router);
  return { log: `${p.log}/route-monitor-${run}.log`, pid: `${p.run}/route-monitor-${run}.pid` };
}

/** Starts `ip -ts monitor route` on every OSPF router; returns a function that stops them. */
export async function startRouteMonitors(runtime: Runtime, lab: ResolvedLab, run: number): Promise<() => Promise<void>> {
  const routers = lab.nodes.filter((n) => n.role === 'router');
  for (const r of routers) {
    const files = routeMonitorFiles(runtime, lab.instance, r.name, run);
    // Emptied first: the daemon appends, and an earlier `lvslab run` on this instance wrote
    // the same run number's log.
    await runtime.writeFile(lab.instance, r.name, files.log, '');
    await runtime.startDaemon(lab.instance, r.name, {
      name: 'route-monitor',
      argv: ['ip', '-ts', 'monitor', 'route'],
      pidFile: files.pid,
      selfDaemonizing: false,
      logFile: files.log,
    });
  }
  return async () => {
    for (const r of routers) {
      const pid = (await runtime.readFile(lab.instance, r.name, routeMonitorFiles(runtime, lab.instance, r.name, run).pid))?.trim();
      if (pid && /^\d+$/.test(pid)) await runtime.exec(lab.instance, r.name, ['kill', pid]);
    }
  };
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
