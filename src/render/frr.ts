// FRR 8.4 configuration (zebra + ospfd, and bfdd when the lab runs BFD) for one OSPF
// speaker, in two shapes:
//  - renderFrrConf: the integrated frr.conf, what `vtysh` would save and what users read;
//  - renderFrrDaemonConfs: one file per daemon, what the daemons are started with. Each
//    daemon given the integrated file logs "No such command" for every line of the other
//    daemons, noise in the very log experiments parse.
// All are built from the same sections, so they cannot drift apart.
//
// Pure: the same (lab, node, paths) always gives the same bytes. Validated in the tests
// with `vtysh --dryrun -f` and each daemon's own `-C -f` dry run.
import type { NodePaths, ResolvedBfd, ResolvedInterface, ResolvedLab, ResolvedNode, ResolvedNodeOspf } from '../model/types.js';
import { guardedAnnouncements, startupNetworks } from './announce.js';

/** Name of the zebra route-map that keeps OSPF routes out of a node's kernel. */
export const NO_OSPF_ROUTE_MAP = 'LVSLAB-NO-OSPF';

/** The one bfdd profile every OSPF interface's BFD sessions use (the lab's ospf.bfd). */
export const BFD_PROFILE = 'lvslab';

/** Where FRR writes its log (its daemons share it), as seen from inside the node. */
export function frrLogFile(paths: NodePaths): string {
  return `${paths.log}/frr.log`;
}

/** The per-daemon configuration files of one node. */
export interface FrrDaemonConfs {
  zebra: string;
  ospfd: string;
  /** Empty when the lab runs no BFD (the caller then starts no bfdd). */
  bfdd: string;
}

/** Whether `node` runs bfdd: it speaks OSPF and the lab asks for BFD. */
export function runsBfd(lab: Pick<ResolvedLab, 'ospf'>, node: ResolvedNode): boolean {
  return node.ospf !== undefined && lab.ospf.bfd !== undefined;
}

/**
 * The frr.conf of `node`, or the empty string when the node runs no OSPF (`node.ospf`
 * unset): such a node needs no FRR at all, and the caller should not start FRR there.
 */
export function renderFrrConf(lab: ResolvedLab, node: ResolvedNode, paths: NodePaths): string {
  const ospf = node.ospf;
  if (!ospf) return '';
  const bfd = lab.ospf.bfd;
  return toText([
    ...header(lab, node, paths, ''),
    ...(bfd ? bfdDebug() : []),
    ...interfaceBlocks(node, true, bfd),
    ...zebraRouteFilter(ospf.installRoutes),
    '!',
    ...routerOspf(lab, node, ospf),
    ...(bfd ? bfdProfile(bfd) : []),
  ]);
}

/**
 * zebra.conf, ospfd.conf and bfdd.conf of `node`: together they say exactly what
 * renderFrrConf says, each line in the file of the daemon that owns the command. All
 * empty when the node runs no OSPF; bfdd's empty when the lab runs no BFD.
 */
export function renderFrrDaemonConfs(lab: ResolvedLab, node: ResolvedNode, paths: NodePaths): FrrDaemonConfs {
  const ospf = node.ospf;
  if (!ospf) return { zebra: '', ospfd: '', bfdd: '' };
  const bfd = lab.ospf.bfd;
  return {
    zebra: toText([
      ...header(lab, node, paths, ": zebra's part of frr.conf"),
      // Bare blocks: zebra learns the interfaces from the kernel anyway, but the file then
      // lists the same interfaces as ospfd.conf, and zebra's interface settings belong here.
      ...interfaceBlocks(node, false),
      ...zebraRouteFilter(ospf.installRoutes),
      '!',
    ]),
    ospfd: toText([
      ...header(lab, node, paths, ": ospfd's part of frr.conf"),
      // `ip ospf bfd` is ospfd's: it registers each neighbour with bfdd (through zebra).
      ...interfaceBlocks(node, true, bfd),
      ...routerOspf(lab, node, ospf),
    ]),
    bfdd: bfd ? toText([...header(lab, node, paths, ": bfdd's part of frr.conf"), ...bfdDebug(), ...bfdProfile(bfd)]) : '',
  };
}

/** One `network VIP/32 area A` statement a node makes on behalf of a service. */
export interface ServiceAnnouncement {
  service: string;
  /** The VIP as a /32, exactly as in the node's `network` statement. */
  prefix: string;
  area: string;
}

/**
 * The `network` statements of `node`'s ospfd that announce a service's VIP: a director's
 * (announce: ospf) or an anycast real server's own (announce: anycast). A guard that
 * announces a VIP only while it can be served adds and removes exactly these, live through
 * the vty (`router ospf` / `[no] network PREFIX area AREA`, seed 002's way) rather than by
 * reloading ospfd; every other statement of the node stays as rendered.
 */
export function serviceAnnouncements(lab: Pick<ResolvedLab, 'ospf' | 'services'>, node: ResolvedNode): ServiceAnnouncement[] {
  const networks = node.ospf?.networks ?? [];
  return lab.services
    .filter((s) => (s.announce === 'ospf' && node.directs.includes(s.name)) || (s.announce === 'anycast' && node.serves.includes(s.name)))
    .map((s) => ({ service: s.name, prefix: `${s.vip}/32`, area: lab.ospf.area }))
    .filter((a) => networks.includes(a.prefix));
}

function toText(lines: string[]): string {
  return [...lines, 'end'].join('\n') + '\n';
}

/** `which` names the daemon a per-daemon file is for (empty for the integrated file). */
function header(lab: ResolvedLab, node: ResolvedNode, paths: NodePaths, which: string): string[] {
  return [
    `! Generated by lvslab for node ${node.name} of lab ${lab.name} (instance ${lab.instance})${which}. Do not edit.`,
    'frr version 8.4',
    // Pin the defaults profile: "datacenter" would change timers and logging behind our back.
    'frr defaults traditional',
    `hostname ${node.name}`,
    `log file ${frrLogFile(paths)}`,
    // Experiments time neighbour changes from this log: whole seconds are too coarse.
    'log timestamp precision 3',
    '!',
  ];
}

function interfaceBlocks(node: ResolvedNode, withOspf: boolean, bfd?: ResolvedBfd): string[] {
  const lines: string[] = [];
  for (const iface of node.interfaces) {
    if (!iface.ospf) continue;
    lines.push(`interface ${iface.name}`);
    if (withOspf) lines.push(...interfaceOspfLines(iface, bfd));
    lines.push('exit', '!');
  }
  return lines;
}

function interfaceOspfLines(iface: ResolvedInterface, bfd?: ResolvedBfd): string[] {
  const o = iface.ospf!;
  const lines = [
    ` ip ospf network ${o.network}`,
    ` ip ospf hello-interval ${o.hello}`,
    ` ip ospf dead-interval ${o.dead}`,
    ` ip ospf retransmit-interval ${o.retransmit}`,
    ` ip ospf cost ${o.cost}`,
    ` ip ospf priority ${o.priority}`,
  ];
  // FRR 8.4 turns the old `passive-interface IFNAME` (router ospf) into this per-interface
  // form itself and hides the old command as deprecated: write the form it keeps.
  if (o.passive) lines.push(' ip ospf passive');
  // A passive interface has no neighbour to watch. FRR saves the profile as a second line
  // beside the bare `ip ospf bfd`, so both are written, as `vtysh` would save them.
  else if (bfd) lines.push(' ip ospf bfd', ` ip ospf bfd profile ${BFD_PROFILE}`);
  return lines;
}

/**
 * bfdd logs a session's state changes ("state-change: [...] up -> down") only as peer
 * debug messages; experiments time BFD's detection from that line in frr.log.
 */
function bfdDebug(): string[] {
  return ['debug bfd peer', '!'];
}

/**
 * One profile for every session: the sessions ospfd asks for are created by bfdd on the
 * fly (no `peer` blocks), and take their timers from the profile `ip ospf bfd profile` names.
 */
function bfdProfile(bfd: ResolvedBfd): string[] {
  return [
    'bfd',
    ` profile ${BFD_PROFILE}`,
    `  detect-multiplier ${bfd.multiplier}`,
    `  receive-interval ${bfd.intervalMs}`,
    `  transmit-interval ${bfd.intervalMs}`,
    ' exit',
    ' !',
    'exit',
    '!',
  ];
}

function routerOspf(lab: ResolvedLab, node: ResolvedNode, ospf: ResolvedNodeOspf): string[] {
  const lines = ['router ospf', ` ospf router-id ${ospf.routerId}`, ' log-adjacency-changes detail'];
  if (lab.ospf.referenceBandwidth !== undefined) {
    lines.push(` auto-cost reference-bandwidth ${lab.ospf.referenceBandwidth}`);
  }
  lines.push(` maximum-paths ${lab.ospf.maxPaths}`);
  // Always written, even at FRR's defaults, so the file alone tells how fast this speaker
  // reacts (failover experiments depend on every one of these).
  lines.push(
    ` timers throttle lsa all ${lab.ospf.lsaMinIntervalMs}`,
    ` timers lsa min-arrival ${lab.ospf.lsaMinArrivalMs}`,
    ` timers throttle spf ${lab.ospf.spfDelayMs} ${lab.ospf.spfHoldMs} ${lab.ospf.spfMaxHoldMs}`,
  );
  for (const network of startupNetworks(lab, node)) lines.push(` network ${network} area ${lab.ospf.area}`);
  for (const s of guardedAnnouncements(lab, node)) {
    lines.push(` ! ${s.vip}/32 is announced only while a real server of ${s.name} passes its health check (added and removed live through the vty)`);
  }
  if (ospf.defaultOriginate) lines.push(' default-information originate always');
  lines.push('exit', '!');
  return lines;
}

/**
 * Seed 001: zebra on a director must not install OSPF routes, so what the other directors
 * announce (their copy of the VIP, anything else) never steers this director's own
 * forwarding; the router must install them, that is the ECMP route. A deny entry without
 * match clauses denies every route, which is the point.
 */
function zebraRouteFilter(installRoutes: boolean): string[] {
  if (installRoutes) {
    return [
      '! OSPF routes are installed in the kernel (no zebra filter), as plain multipath routes:',
      '! FRR 8.4 does not rebuild a kernel nexthop group after a member\'s device lost carrier,',
      '! so a director whose link comes back would never rejoin the ECMP route.',
      'no zebra nexthop kernel enable',
    ];
  }
  return [
    '! Seed 001: OSPF routes never reach this node\'s kernel (zebra drops them all).',
    `route-map ${NO_OSPF_ROUTE_MAP} deny 10`,
    'exit',
    `ip protocol ospf route-map ${NO_OSPF_ROUTE_MAP}`,
  ];
}
