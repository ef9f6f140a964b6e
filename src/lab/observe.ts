// Reading the state of running nodes: FRR over vtysh, the kernel over `ip -j` (routes,
// addresses, neighbour entries), IPVS over ipvsadm. Parsers are pure and exported for
// tests; readers go through the runtime so they work the same on every runtime.
import { realServersOf } from '../model/clusters.js';
import type { ResolvedLab, ResolvedNode, ResolvedService } from '../model/types.js';
import { cidrHolds } from '../model/addr.js';
import type { Runtime } from '../runtime/runtime.js';
import { readNftCountersWithRaw } from '../dataplane/counters.js';

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

export interface BfdPeer {
  /** The peer's address. */
  peer: string;
  iface?: string;
  /** bfdd's state names: admin-down, down, init, up. */
  status: string;
  /** Negotiated timers as bfdd reports them (ms), and the detect multiplier. */
  receiveIntervalMs?: number;
  transmitIntervalMs?: number;
  detectMultiplier?: number;
}

/** Parses FRR 8.4's `show bfd peers json` (a list of sessions). */
export function parseBfdPeers(json: string): BfdPeer[] {
  const doc = JSON.parse(json) as unknown;
  if (!Array.isArray(doc)) return [];
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  return (doc as Array<Record<string, unknown>>).map((e) => {
    const receiveIntervalMs = num(e['receive-interval']);
    const transmitIntervalMs = num(e['transmit-interval']);
    const detectMultiplier = num(e['detect-multiplier']);
    return {
      peer: String(e.peer ?? ''),
      ...(typeof e.interface === 'string' ? { iface: e.interface } : {}),
      status: String(e.status ?? ''),
      ...(receiveIntervalMs !== undefined ? { receiveIntervalMs } : {}),
      ...(transmitIntervalMs !== undefined ? { transmitIntervalMs } : {}),
      ...(detectMultiplier !== undefined ? { detectMultiplier } : {}),
    };
  });
}

export async function vtysh(runtime: Runtime, instance: string, node: string, command: string): Promise<string> {
  const paths = runtime.nodePaths(instance, node);
  const r = await runtime.exec(instance, node, ['vtysh', '--vty_socket', paths.frrVtyDir, '-c', command], { timeoutMs: 5000 });
  if (r.code !== 0) throw new Error(`vtysh on ${node}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** The prefixes of ospfd's `network PREFIX area A` statements in `show running-config` (what the node announces now). */
export function parseOspfNetworks(runningConfig: string): string[] {
  return [...runningConfig.matchAll(/^ network (\S+) area /gm)].map((m) => m[1]!);
}

export async function readOspfNetworks(runtime: Runtime, instance: string, node: string): Promise<string[]> {
  return parseOspfNetworks(await vtysh(runtime, instance, node, 'show running-config'));
}

export async function readOspfNeighbors(runtime: Runtime, lab: ResolvedLab, node: string): Promise<OspfNeighbor[]> {
  return parseOspfNeighbors(await vtysh(runtime, lab.instance, node, 'show ip ospf neighbor json'));
}

export async function readBfdPeers(runtime: Runtime, lab: ResolvedLab, node: string): Promise<BfdPeer[]> {
  return parseBfdPeers(await vtysh(runtime, lab.instance, node, 'show bfd peers json'));
}

export interface KernelRoute {
  dst: string;
  protocol?: string;
  gateway?: string;
  dev?: string;
  nexthops?: Array<{ gateway?: string; dev?: string; weight?: number }>;
}

/** The route's next hops: gateways (or the device of an on-link hop), one per path. */
export function nextHopsOf(route: KernelRoute | undefined): string[] {
  if (!route) return [];
  if (route.nexthops && route.nexthops.length > 0) return route.nexthops.map((h) => h.gateway ?? h.dev ?? '?');
  return route.gateway || route.dev ? [route.gateway ?? route.dev!] : [];
}

/**
 * The route for exactly `prefix` in a table already read with `ip -j route show` (a host
 * route's dst is printed without its /32).
 */
export function routeIn(table: KernelRoute[], prefix: string): KernelRoute | undefined {
  const bare = prefix.endsWith('/32') ? prefix.slice(0, -3) : prefix;
  return table.find((r) => r.dst === prefix || r.dst === bare);
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

/** New connections a director scheduled, per service and per real server (node name). */
export interface DirectorConnections {
  director: string;
  /** service name -> connections the director accepted for it. */
  services: Map<string, number>;
  /** service name -> real server node -> connections scheduled to it. */
  realServers: Map<string, Map<string, number>>;
  /** The command output these counts were parsed from (`ipvsadm -Ln --stats`, or nft's JSON). */
  raw: string;
}

/** Parses `ipvsadm -Ln --stats`: Conns per virtual service and per real server address. */
export function parseIpvsadmStats(text: string): Array<{ protocol: string; address: string; conns: number; realServers: Array<{ address: string; conns: number }> }> {
  const out: ReturnType<typeof parseIpvsadmStats> = [];
  for (const line of text.split('\n')) {
    const vs = /^(TCP|UDP|FWM)\s+(\S+)\s+(\d+)/.exec(line);
    if (vs) {
      out.push({ protocol: vs[1]!, address: vs[2]!, conns: Number(vs[3]), realServers: [] });
      continue;
    }
    const rs = /^\s+->\s+(\d+\.\d+\.\d+\.\d+:\d+)\s+(\d+)/.exec(line);
    if (rs && out.length > 0) out[out.length - 1]!.realServers.push({ address: rs[1]!, conns: Number(rs[2]) });
  }
  return out;
}

/**
 * Reads a director's connection counters from whichever dataplane runs: IPVS's own
 * statistics, or the fallback's named nft counters. In DR mode this is the only place a
 * director's share of the traffic can be seen (replies bypass it).
 */
export async function readDirectorConnections(
  runtime: Runtime,
  lab: ResolvedLab,
  dataplane: 'ipvs' | 'nftables',
  director: string,
): Promise<DirectorConnections> {
  const result: DirectorConnections = { director, services: new Map(), realServers: new Map(), raw: '' };
  const services = lab.services.filter((s) => s.directors.includes(director));
  if (dataplane === 'ipvs') {
    const r = await runtime.exec(lab.instance, director, ['ipvsadm', '-Ln', '--stats']);
    if (r.code !== 0) throw new Error(`ipvsadm --stats on ${director}: ${r.stderr.trim()}`);
    result.raw = r.stdout;
    const stats = parseIpvsadmStats(r.stdout);
    for (const svc of services) {
      const vs = stats.find((v) => v.address === `${svc.vip}:${svc.port}` && v.protocol === svc.protocol.toUpperCase());
      result.services.set(svc.name, vs?.conns ?? 0);
      result.realServers.set(
        svc.name,
        new Map(realServersOf(svc, director).map((rs) => [rs.node, vs?.realServers.find((x) => x.address === `${rs.address}:${rs.port}`)?.conns ?? 0])),
      );
    }
    return result;
  }
  const { readings, raw } = await readNftCountersWithRaw((argv) => runtime.exec(lab.instance, director, argv));
  result.raw = raw;
  for (const svc of services) {
    result.services.set(svc.name, readings.find((x) => x.service === svc.name && x.realServer === null)?.connections ?? 0);
    result.realServers.set(
      svc.name,
      new Map(realServersOf(svc, director).map((rs) => [rs.node, readings.find((x) => x.service === svc.name && x.realServer === rs.node)?.connections ?? 0])),
    );
  }
  return result;
}

/**
 * Nodes that announce the service's VIP/32 into OSPF: its directors (announce: ospf), or its
 * real servers themselves (announce: anycast, seed 003). What a router's route to the VIP
 * should lead to, and what readiness and the figures watch.
 */
export function vipAnnouncers(lab: ResolvedLab, service: ResolvedService): ResolvedNode[] {
  const prefix = `${service.vip}/32`;
  return lab.nodes.filter((n) => n.role !== 'router' && n.ospf?.networks.includes(prefix));
}

/** Whether the service's VIP reaches the routers as an OSPF /32 (announce: ospf or anycast). */
export function announcedOverOspf(service: ResolvedService): boolean {
  return service.announce === 'ospf' || service.announce === 'anycast';
}

/** A neighbour (ARP) entry as `ip -j neigh show` prints it. */
export interface NeighbourEntry {
  dst: string;
  dev: string;
  /** Absent while the entry is unresolved (INCOMPLETE, FAILED). */
  lladdr?: string;
  state: string[];
}

/** States in which the kernel sends to the entry's MAC without asking first. */
const RESOLVED_STATES = new Set(['REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT', 'NOARP']);

/** Whether a neighbour entry names a MAC the kernel sends to. */
export function neighbourResolved(entry: NeighbourEntry | undefined): boolean {
  return !!entry?.lladdr && entry.state.some((s) => RESOLVED_STATES.has(s));
}

/** The node's neighbour entry for `address`, if it has one. */
export async function readNeighbour(runtime: Runtime, instance: string, node: string, address: string): Promise<NeighbourEntry | undefined> {
  const r = await runtime.exec(instance, node, ['ip', '-j', 'neigh', 'show', 'to', address]);
  if (r.code !== 0) throw new Error(`ip neigh on ${node}: ${r.stderr.trim()}`);
  const entries = JSON.parse(r.stdout || '[]') as NeighbourEntry[];
  return entries.find((e) => e.dst === address);
}

/** Whether `address` is configured on one of the node's interfaces (a VRRP MASTER holds its VIP). */
export async function holdsAddress(runtime: Runtime, instance: string, node: string, address: string): Promise<boolean> {
  const r = await runtime.exec(instance, node, ['ip', '-j', '-4', 'addr', 'show']);
  if (r.code !== 0) throw new Error(`ip addr on ${node}: ${r.stderr.trim()}`);
  const links = JSON.parse(r.stdout || '[]') as Array<{ addr_info?: Array<{ local?: string }> }>;
  return links.some((l) => (l.addr_info ?? []).some((a) => a.local === address));
}

/** The directors of a VRRP service that hold its VIP now (one when VRRP has converged). */
export async function readVipHolders(runtime: Runtime, lab: ResolvedLab, service: ResolvedService): Promise<string[]> {
  const held = await Promise.all(service.directors.map((d) => holdsAddress(runtime, lab.instance, d, service.vip)));
  return service.directors.filter((_, i) => held[i]);
}

/** Routers attached to a segment whose subnet holds the VIP: they reach a VRRP VIP as a neighbour. */
export function vipNeighbourRouters(lab: ResolvedLab, service: ResolvedService): ResolvedNode[] {
  return lab.nodes.filter((n) => n.role === 'router' && n.interfaces.some((i) => i.attachment.kind === 'segment' && cidrHolds(i.subnet, service.vip)));
}

/** The director whose interface has this MAC, if any: who a router's neighbour entry points at. */
export function directorWithMac(lab: ResolvedLab, mac: string | undefined): string | undefined {
  if (!mac) return undefined;
  const wanted = mac.toLowerCase();
  return lab.nodes.find((n) => n.role === 'director' && n.interfaces.some((i) => i.mac.toLowerCase() === wanted))?.name;
}
