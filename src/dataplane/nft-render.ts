// The nftables fallback dataplane of one director, rendered as text: an `nft -f` ruleset,
// the `ip -batch` lines of its policy routing and the sysctls it needs. Pure: the same
// lab, director and health state always give the same bytes.
//
// How a packet for VIP:port is forwarded (prototyped in namespaces before writing this):
//
//  DR/TUN. The director only ever sees the client-to-server half of a flow (the real
//  server answers the client directly), and conntrack cannot follow such a flow: the
//  client's ACK after its SYN finds the entry in SYN_SENT, conntrack calls it INVALID
//  and detaches it from the packet (be_liberal only relaxes window checks), so a ct mark
//  is lost from the second packet on and the director's own stack answers with a RST.
//  So those flows skip conntrack (`notrack`) and the dataplane keeps its own connection
//  table instead, like IPVS does: a dynamic nft map `flowsN` from client address and
//  port to the chosen real server's mark, whose timeouts follow IPVS's input-only TCP
//  states (SYN 60 s, established 900 s, FIN 120 s, RST 10 s; UDP 300 s). Only a SYN
//  (any packet for UDP) of an unknown flow is scheduled; other unknown packets go to the
//  local stack, which resets them, as IPVS without sloppy_tcp does. The packet keeps its
//  addresses: the mark selects a policy-routing table (`ip rule fwmark`, placed before the
//  local table, which moves from preference 0 to LOCAL_RULE_PREF) whose only route is
//  `default via <real server>` (DR: only the destination MAC changes) or
//  `default dev lvtunN` (TUN: an ipip device per real server). TUN is only rendered when
//  the kernel has ipip (RenderOptions.tunnels); the CI kernels have neither IP_VS nor
//  ipip, so there `up` refuses TUN services (support.ts) and this path is untested.
//
//  NAT. Replies come back through the director, so conntrack works: the mark is stored in
//  the ct mark on the first SYN and a nat-prerouting rule DNATs by ct mark.
//
//  VRRP. A service whose VIP floats (`announce: vrrp`) is forwarded only by the director
//  that holds the VIP now: every rule's match also asks `fib daddr type local`, so the
//  ruleset stays the same on both directors and follows the VIP the moment keepalived moves it.
//
// Pool changes (health checks) only replace the `svcN_new` chain, in one transaction:
// flows already in the connection table or in conntrack keep their real server, as
// established connections do under IPVS when another real server is removed.
import type { Protocol, ResolvedLab, ResolvedNode } from '../model/types.js';
import { EXIT, LvslabError } from '../util/errors.js';
import { realServerCounterName, serviceCounterName, NFT_TABLE } from './counters.js';
import {
  allDestinations,
  findService,
  LOCAL_RULE_PREF,
  MARK_BASE,
  planDirector,
  type DestinationPlan,
  type DirectorPlan,
  type ServicePlan,
} from './plan.js';
import { buildSlotTable, FALLBACK_SCHEDULER_NOTES, type SlotSelector } from './scheduler-map.js';

export interface NftDataplane {
  /** Full `nft -f` input: creates or replaces table ip lvslab in one transaction. */
  nft: string;
  /** `ip -batch` lines (apply with `ip -force -batch -`: re-applying only repeats harmless EEXIST errors). */
  ipBatch: string[];
  /** To write before the rest, in order. */
  sysctls: Array<[string, string]>;
  /** What differs from kernel IPVS for this director's services, for logs and reports. */
  notes: string[];
}

/** healthy: per service, the real server node names currently up (omitted = all up). */
export type HealthyMap = Readonly<Record<string, readonly string[]>>;

export interface RenderOptions {
  /** The kernel has ipip tunnels (detectIpipTunnels): required for TUN services. */
  tunnels?: boolean;
}

/** IPVS's default TCP state timeouts (seconds) for a connection it sees one way, and UDP's. */
export const FLOW_TIMEOUTS = { syn: 60, established: 900, fin: 120, rst: 10, udp: 300 } as const;
/** Fixed so every director hashes a client to the same slot. */
const JHASH_SEED = '0x4c56534c';
const FLOW_TABLE_SIZE = 65536;

export function renderNftDataplane(
  lab: Pick<ResolvedLab, 'services'>,
  director: ResolvedNode,
  healthy?: HealthyMap,
  options: RenderOptions = {},
): NftDataplane {
  const plan = planDirector(lab, director);
  const tunnelled = plan.services.find((s) => s.service.forwarding === 'tun');
  if (tunnelled && !options.tunnels) throw new LvslabError(tunProblem(tunnelled.service.name), EXIT.hostNotReady);
  return {
    nft: renderRuleset(plan, healthy),
    ipBatch: renderIpBatch(plan),
    sysctls: renderDataplaneSysctls(plan),
    notes: renderNotes(plan),
  };
}

/** Why a TUN service cannot run on this kernel's fallback. */
export function tunProblem(service: string): string {
  return (
    `service ${service}: TUN forwarding on the nftables fallback needs ipip tunnels (one per real server, ` +
    'and on the real servers to decapsulate), and this kernel has none; use forwarding dr or nat, ' +
    'or run the lab on a kernel with IPVS'
  );
}

// ---------------------------------------------------------------------------
// Pool: what health checks change
// ---------------------------------------------------------------------------

export interface PoolEntry {
  dest: DestinationPlan;
  /** Weight in the pool now: 0 = kept for existing flows and persistence, no new connections. */
  weight: number;
}

export interface Pool {
  /** What IPVS's table would hold for this service: live servers, inhibited ones at weight 0, the sorry server when active. */
  entries: PoolEntry[];
  sorryActive: boolean;
}

/**
 * keepalived's view of a service's real servers: a failed one is removed, or kept at
 * weight 0 with inhibit_on_failure; when the live weight drops below the quorum (1),
 * the sorry server, if any, replaces them.
 */
export function poolOf(svc: ServicePlan, healthy?: readonly string[]): Pool {
  const up = healthy ? new Set(healthy) : undefined;
  const inhibit = svc.service.inhibitOnFailure;
  const entries: PoolEntry[] = [];
  for (const dest of svc.realServers) {
    if (!up || up.has(dest.realServer)) entries.push({ dest, weight: dest.weight });
    else if (inhibit) entries.push({ dest, weight: 0 });
  }
  const liveWeight = entries.reduce((sum, e) => sum + e.weight, 0);
  if (liveWeight >= 1 || !svc.sorry) return { entries, sorryActive: false };
  return {
    entries: [...(inhibit ? entries.map((e) => ({ ...e, weight: 0 })) : []), { dest: svc.sorry, weight: 1 }],
    sorryActive: true,
  };
}

/**
 * `nft -f` input that swaps one service's scheduling chain for the given health state,
 * leaving counters, connection tables and the other services untouched.
 */
export function renderServicePool(plan: DirectorPlan, service: string, healthy?: readonly string[]): string {
  const svc = findService(plan, service);
  return [
    `flush chain ip ${NFT_TABLE} ${chainName(svc, 'new')}`,
    `table ip ${NFT_TABLE} {`,
    ...indent(newChain(svc, healthy)),
    '}',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------
// Ruleset
// ---------------------------------------------------------------------------

function renderRuleset(plan: DirectorPlan, healthy: HealthyMap | undefined): string {
  const body: string[] = [];
  for (const svc of plan.services) body.push(...objects(svc));
  body.push(...rawChain(plan), ...preroutingChain(plan));
  for (const svc of plan.services) {
    body.push(...dispatchChain(svc), ...knownChain(svc), ...newChain(svc, healthy?.[svc.service.name]), ...commitChain(svc));
  }
  body.push(...natChain(plan));
  return [
    `# lvslab nftables fallback dataplane of director ${plan.director} (kernel IPVS is not available)`,
    // Creating the table first makes the delete valid on a fresh namespace; all three
    // commands are one transaction, so no packet ever sees a half-built table.
    `table ip ${NFT_TABLE}`,
    `delete table ip ${NFT_TABLE}`,
    `table ip ${NFT_TABLE} {`,
    ...indent(body),
    '}',
    '',
  ].join('\n');
}

function objects(svc: ServicePlan): string[] {
  const s = svc.service;
  const dests = destinationsOf(svc);
  const out: string[] = [];
  for (const kind of ['pkts', 'conns', 'refused'] as const) out.push(`counter ${serviceCounterName(s.name, kind)} { }`);
  for (const d of dests) {
    for (const kind of ['conns', 'pkts'] as const) out.push(`counter ${realServerCounterName(s.name, d.realServer, kind)} { }`);
  }
  if (s.forwarding !== 'nat') {
    const flowKey = 'ipv4_addr . inet_service';
    out.push(
      `map ${flowsMap(svc)} {`,
      `  type ${flowKey} : mark; flags dynamic, timeout; size ${FLOW_TABLE_SIZE};`,
      '}',
    );
    if (s.protocol === 'tcp') {
      out.push(`set ${closingSet(svc)} {`, `  type ${flowKey}; flags dynamic, timeout; size ${FLOW_TABLE_SIZE};`, '}');
    }
  }
  if (s.persistenceTimeout > 0) {
    out.push(`map ${persistMap(svc)} {`, `  type ipv4_addr : mark; flags dynamic, timeout; size ${FLOW_TABLE_SIZE};`, '}');
  }
  return out;
}

function rawChain(plan: DirectorPlan): string[] {
  const oneWay = plan.services.filter((s) => s.service.forwarding !== 'nat');
  if (oneWay.length === 0) return [];
  return chain('raw_prerouting', 'type filter hook prerouting priority raw; policy accept;', [
    '# one-way flows (DR/TUN): conntrack would call them invalid, the flow map tracks them instead',
    ...oneWay.map((s) => `${match(s)} notrack`),
  ]);
}

function preroutingChain(plan: DirectorPlan): string[] {
  return chain(
    'prerouting',
    'type filter hook prerouting priority mangle; policy accept;',
    plan.services.map((s) => `${match(s)} counter name ${serviceCounterName(s.service.name, 'pkts')} jump ${chainName(s)}`),
  );
}

/** Sorts a packet of the service: known flow, schedulable new flow, or neither. */
function dispatchChain(svc: ServicePlan): string[] {
  const s = svc.service;
  const conns = `counter name ${serviceCounterName(s.name, 'conns')}`;
  if (s.forwarding === 'nat') {
    return chain(chainName(svc), undefined, [
      `ct mark & 0xffff0000 == ${hex(MARK_BASE)} goto ${chainName(svc, 'known')}`,
      `ct state new ${s.protocol === 'tcp' ? `${SYN_ONLY} ` : ''}${conns} goto ${chainName(svc, 'new')}`,
    ]);
  }
  return chain(chainName(svc), undefined, [
    `meta mark set ${flowKey(s.protocol)} map @${flowsMap(svc)} goto ${chainName(svc, 'known')}`,
    `${s.protocol === 'tcp' ? `${SYN_ONLY} ` : ''}${conns} goto ${chainName(svc, 'new')}`,
    '# not a SYN and not a known flow: the local stack answers it with a reset, as IPVS does',
  ]);
}

const SYN_ONLY = 'tcp flags & (fin | syn | rst | ack) == syn';

/** Packets of flows that already have a real server. */
function knownChain(svc: ServicePlan): string[] {
  const s = svc.service;
  if (s.forwarding === 'nat') {
    return chain(chainName(svc, 'known'), undefined, [`counter name ct mark map ${counterMap(svc, 'pkts')}`]);
  }
  const pkts = `counter name meta mark map ${counterMap(svc, 'pkts')}`;
  if (s.protocol === 'udp') {
    return chain(chainName(svc, 'known'), undefined, [pkts, refreshFlow(svc, FLOW_TIMEOUTS.udp)]);
  }
  const key = flowKey('tcp');
  const closing = (seconds: number) => `update @${closingSet(svc)} { ${key} timeout ${seconds}s }`;
  return chain(chainName(svc, 'known'), undefined, [
    '# a SYN on a closed flow (client port reuse) is a new connection, as with IPVS conn_reuse_mode 1',
    `${SYN_ONLY} ${key} @${closingSet(svc)} delete @${flowsMap(svc)} { ${key} : meta mark } ` +
      `delete @${closingSet(svc)} { ${key} } counter name ${serviceCounterName(s.name, 'conns')} goto ${chainName(svc, 'new')}`,
    pkts,
    // Every packet restarts the timer of its flow's state, as IPVS does; a half-closed
    // flow (the client's FIN seen) stays alive while the client keeps acknowledging.
    `tcp flags rst ${closing(FLOW_TIMEOUTS.rst)} ${refreshFlow(svc, FLOW_TIMEOUTS.rst)} return`,
    `${key} @${closingSet(svc)} ${closing(FLOW_TIMEOUTS.fin)} ${refreshFlow(svc, FLOW_TIMEOUTS.fin)} return`,
    `tcp flags fin ${closing(FLOW_TIMEOUTS.fin)} ${refreshFlow(svc, FLOW_TIMEOUTS.fin)} return`,
    `${SYN_ONLY} return`,
    refreshFlow(svc, FLOW_TIMEOUTS.established),
  ]);
}

/** The scheduler: picks a real server for a new flow. The only chain health checks rewrite. */
function newChain(svc: ServicePlan, healthy: readonly string[] | undefined): string[] {
  const s = svc.service;
  const pool = poolOf(svc, healthy);
  const rules: string[] = [];
  const summary = pool.entries.map((e) => `${e.dest.realServer}=${e.weight}`).join(' ') || 'empty';
  rules.push(`# pool: ${summary}${pool.sorryActive ? ' (sorry server)' : ''}`);
  if (s.persistenceTimeout > 0 && pool.entries.length > 0) {
    // IPVS keeps sending a persistent client to its server while that server is in the
    // table, even at weight 0 (expire_quiescent_template = 0).
    const allowed = pool.entries.map((e) => hex(e.dest.mark)).join(', ');
    rules.push(
      `meta mark set ip saddr map @${persistMap(svc)} meta mark { ${allowed} } goto ${chainName(svc, 'commit')}`,
      `delete @${persistMap(svc)} { ip saddr : meta mark }`,
    );
  }
  const eligible = pool.entries.filter((e) => e.weight > 0);
  const table = buildSlotTable(
    s.scheduler,
    eligible.map((e) => ({ key: `${e.dest.address}:${e.dest.port}`, weight: e.weight })),
  );
  if (table.slots.length === 1) {
    rules.push(`meta mark set ${hex(eligible[table.slots[0]!]!.dest.mark)} goto ${chainName(svc, 'commit')}`);
  } else if (table.slots.length > 1) {
    const entries = table.slots.map((i, slot) => `${slot} : ${hex(eligible[i]!.dest.mark)}`).join(', ');
    rules.push(
      `meta mark set ${selectorExpr(table.selector, table.slots.length)} map { ${entries} } goto ${chainName(svc, 'commit')}`,
    );
  }
  rules.push(`meta mark set 0 counter name ${serviceCounterName(s.name, 'refused')}`);
  return chain(chainName(svc, 'new'), undefined, rules);
}

/** Records the choice: connection table or ct mark, persistence template, counters. */
function commitChain(svc: ServicePlan): string[] {
  const s = svc.service;
  const rules: string[] = [];
  if (s.persistenceTimeout > 0) {
    rules.push(`update @${persistMap(svc)} { ip saddr timeout ${s.persistenceTimeout}s : meta mark }`);
  }
  if (s.forwarding === 'nat') rules.push('ct mark set meta mark');
  else {
    const timeout = s.protocol === 'tcp' ? FLOW_TIMEOUTS.syn : FLOW_TIMEOUTS.udp;
    rules.push(`add @${flowsMap(svc)} { ${flowKey(s.protocol)} timeout ${timeout}s : meta mark }`);
  }
  rules.push(`counter name meta mark map ${counterMap(svc, 'conns')}`, `counter name meta mark map ${counterMap(svc, 'pkts')}`);
  return chain(chainName(svc, 'commit'), undefined, rules);
}

function natChain(plan: DirectorPlan): string[] {
  const rules: string[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    const dests = allDestinations(plan).filter(
      (d) => d.forwarding === 'nat' && findService(plan, d.service).service.protocol === protocol,
    );
    if (dests.length === 0) continue;
    const map = dests.map((d) => `${hex(d.mark)} : ${d.address} . ${d.port}`).join(', ');
    rules.push(`meta l4proto ${protocol} dnat ip to ct mark map { ${map} }`);
  }
  if (rules.length === 0) return [];
  return chain('nat_prerouting', 'type nat hook prerouting priority dstnat; policy accept;', rules);
}

// ---------------------------------------------------------------------------
// Policy routing and sysctls
// ---------------------------------------------------------------------------

function renderIpBatch(plan: DirectorPlan): string[] {
  const routed = allDestinations(plan).filter((d) => d.forwarding !== 'nat');
  if (routed.length === 0) return [];
  const lines = [
    // The VIP is local: marked packets must reach their rule before the local table does.
    `rule add pref ${LOCAL_RULE_PREF} lookup local`,
    'rule del pref 0 lookup local',
  ];
  for (const d of routed) {
    if (d.tunnel) {
      lines.push(
        `link add ${d.tunnel.device} type ipip local ${d.tunnel.local} remote ${d.address}`,
        `link set ${d.tunnel.device} up`,
        `route replace default dev ${d.tunnel.device} table ${d.table}`,
      );
    } else {
      lines.push(`route replace default via ${d.address} dev ${d.iface} table ${d.table}`);
    }
    lines.push(`rule add pref ${d.rulePref} fwmark ${hex(d.mark)} lookup ${d.table}`);
  }
  return lines;
}

function renderDataplaneSysctls(plan: DirectorPlan): Array<[string, string]> {
  if (plan.services.length === 0) return [];
  const out: Array<[string, string]> = [['net.ipv4.ip_forward', '1']];
  const routed = allDestinations(plan).filter((d) => d.forwarding !== 'nat');
  if (routed.length > 0) {
    // DR forwards out of the interface the packet came in on; a redirect would send the
    // client (or router) straight to the real server, around the director.
    const ifaces = [...new Set(routed.map((d) => d.iface.replaceAll('.', '/')))];
    for (const scope of ['all', 'default', ...ifaces]) out.push([`net.ipv4.conf.${scope}.send_redirects`, '0']);
  }
  if (routed.some((d) => d.tunnel)) {
    // Nothing comes back through the tunnels; keep their reverse-path check out of the way.
    for (const d of routed) if (d.tunnel) out.push([`net.ipv4.conf.${d.tunnel.device}.rp_filter`, '0']);
  }
  if (plan.services.some((s) => s.service.forwarding === 'nat')) {
    // NAT flows live in conntrack: give idle ones IPVS's lifetimes instead of 5 days.
    out.push(
      ['net.netfilter.nf_conntrack_tcp_timeout_established', String(FLOW_TIMEOUTS.established)],
      ['net.netfilter.nf_conntrack_udp_timeout_stream', String(FLOW_TIMEOUTS.udp)],
    );
  }
  return out;
}

function renderNotes(plan: DirectorPlan): string[] {
  if (plan.services.length === 0) return [];
  const notes = [
    'kernel has no IP_VS: services are forwarded by the lvslab nftables fallback dataplane (table ip lvslab), not by IPVS',
  ];
  for (const svc of plan.services) {
    const s = svc.service;
    const n = FALLBACK_SCHEDULER_NOTES[s.scheduler];
    notes.push(`service ${s.name}: scheduler ${s.scheduler} ${n.exact ? 'behaves as in IPVS' : 'is approximated'}: ${n.how}`);
    if (s.forwarding !== 'nat') {
      notes.push(
        `service ${s.name}: ${s.forwarding.toUpperCase()} packets are forwarded by policy routing, which decrements the TTL (IPVS does not)`,
      );
    }
  }
  return notes;
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/** The tables that will ever hold a destination of this service (real servers, then the sorry server). */
function destinationsOf(svc: ServicePlan): DestinationPlan[] {
  return svc.sorry ? [...svc.realServers, svc.sorry] : svc.realServers;
}

function match(svc: ServicePlan): string {
  const s = svc.service;
  // A VRRP VIP is local only on the MASTER (keepalived adds and removes it). The backup must
  // not schedule a packet for it that still reaches it (a router's stale neighbour entry):
  // like IPVS, which sees only packets for local addresses, it routes it on, to the VIP's
  // holder. `fib daddr type local` asks the local table directly, whatever the policy rules.
  const holder = s.announce === 'vrrp' ? ' fib daddr type local' : '';
  return `ip daddr ${s.vip} ${s.protocol} dport ${s.port}${holder}`;
}

function flowKey(protocol: Protocol): string {
  return `ip saddr . ${protocol} sport`;
}

function refreshFlow(svc: ServicePlan, seconds: number): string {
  return `update @${flowsMap(svc)} { ${flowKey(svc.service.protocol)} timeout ${seconds}s : meta mark }`;
}

function counterMap(svc: ServicePlan, kind: 'conns' | 'pkts'): string {
  const entries = destinationsOf(svc).map(
    (d) => `${hex(d.mark)} : "${realServerCounterName(svc.service.name, d.realServer, kind)}"`,
  );
  return `{ ${entries.join(', ')} }`;
}

function selectorExpr(selector: SlotSelector, modulus: number): string {
  switch (selector) {
    case 'numgen-inc':
      return `numgen inc mod ${modulus}`;
    case 'numgen-random':
      return `numgen random mod ${modulus}`;
    case 'jhash-saddr':
      return `jhash ip saddr mod ${modulus} seed ${JHASH_SEED}`;
    case 'jhash-daddr':
      return `jhash ip daddr mod ${modulus} seed ${JHASH_SEED}`;
  }
}

export function chainName(svc: ServicePlan, part?: 'known' | 'new' | 'commit'): string {
  return part ? `svc${svc.index}_${part}` : `svc${svc.index}`;
}

function flowsMap(svc: ServicePlan): string {
  return `flows${svc.index}`;
}

function closingSet(svc: ServicePlan): string {
  return `closing${svc.index}`;
}

function persistMap(svc: ServicePlan): string {
  return `persist${svc.index}`;
}

function chain(name: string, hook: string | undefined, rules: string[]): string[] {
  return [`chain ${name} {`, ...(hook ? [`  ${hook}`] : []), ...rules.map((r) => `  ${r}`), '}'];
}

function indent(lines: string[]): string[] {
  return lines.map((l) => `  ${l}`);
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
