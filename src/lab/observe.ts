// Reading the state of running nodes: FRR over vtysh, the kernel over `ip -j`, IPVS over
// ipvsadm. Parsers are pure and exported for tests; readers go through the runtime so they
// work the same on every runtime.
import type { ResolvedLab } from '../model/types.js';
import type { Runtime } from '../runtime/runtime.js';

export interface OspfNeighbor {
  routerId: string;
  address: string;
  /** e.g. "Full/DROther", "2-Way/DROther", "ExStart/DR". */
  state: string;
  iface: string;
  priority: number;
  deadTimeMs?: number;
}

/** Parses FRR 8.4's `show ip ospf neighbor json`. */
export function parseOspfNeighbors(json: string): OspfNeighbor[] {
  const doc = JSON.parse(json) as { neighbors?: Record<string, Array<Record<string, unknown>>> };
  const out: OspfNeighbor[] = [];
  for (const [routerId, entries] of Object.entries(doc.neighbors ?? {})) {
    for (const e of entries) {
      out.push({
        routerId,
        address: String(e.ifaceAddress ?? e.address ?? ''),
        state: String(e.nbrState ?? e.state ?? ''),
        iface: String(e.ifaceName ?? '').split(':')[0] ?? '',
        priority: Number(e.nbrPriority ?? e.priority ?? 0),
        deadTimeMs: typeof e.deadTimeMsecs === 'number' ? e.deadTimeMsecs : undefined,
      });
    }
  }
  return out;
}

export async function vtysh(runtime: Runtime, instance: string, node: string, command: string): Promise<string> {
  const paths = runtime.nodePaths(instance, node);
  const r = await runtime.exec(instance, node, ['vtysh', '--vty_socket', paths.frrVtyDir, '-c', command], { timeoutMs: 5000 });
  if (r.code !== 0) throw new Error(`vtysh on ${node}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export async function readOspfNeighbors(runtime: Runtime, lab: ResolvedLab, node: string): Promise<OspfNeighbor[]> {
  return parseOspfNeighbors(await vtysh(runtime, lab.instance, node, 'show ip ospf neighbor json'));
}

export interface KernelRoute {
  dst: string;
  protocol?: string;
  gateway?: string;
  dev?: string;
  nexthops?: Array<{ gateway?: string; dev?: string; weight?: number }>;
}

export function countNextHops(route: KernelRoute): number {
  if (route.nexthops && route.nexthops.length > 0) return route.nexthops.length;
  return route.gateway || route.dev ? 1 : 0;
}

/** The kernel's route for exactly `prefix` in the node's main table, if there is one. */
export async function readKernelRoute(runtime: Runtime, instance: string, node: string, prefix: string): Promise<KernelRoute | undefined> {
  const r = await runtime.exec(instance, node, ['ip', '-j', 'route', 'show', 'exact', prefix]);
  if (r.code !== 0) throw new Error(`ip route on ${node}: ${r.stderr.trim()}`);
  const routes = JSON.parse(r.stdout || '[]') as KernelRoute[];
  return routes[0];
}

export interface IpvsRealServer {
  address: string; // ip:port
  forward: string; // Route | Masq | Tunnel
  weight: number;
  activeConn: number;
  inactiveConn: number;
}

export interface IpvsVirtualService {
  protocol: string; // TCP | UDP | FWM
  address: string; // ip:port
  scheduler: string;
  realServers: IpvsRealServer[];
}

/** Parses `ipvsadm -Ln` (numeric) output. */
export function parseIpvsadmList(text: string): IpvsVirtualService[] {
  const services: IpvsVirtualService[] = [];
  for (const line of text.split('\n')) {
    const vs = /^(TCP|UDP|FWM)\s+(\S+)\s+(\S+)/.exec(line);
    if (vs) {
      services.push({ protocol: vs[1]!, address: vs[2]!, scheduler: vs[3]!, realServers: [] });
      continue;
    }
    const rs = /^\s+->\s+(\d+\.\d+\.\d+\.\d+:\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(line);
    if (rs && services.length > 0) {
      services[services.length - 1]!.realServers.push({
        address: rs[1]!,
        forward: rs[2]!,
        weight: Number(rs[3]),
        activeConn: Number(rs[4]),
        inactiveConn: Number(rs[5]),
      });
    }
  }
  return services;
}
