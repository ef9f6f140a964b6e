// IP-level sysctls of one node, in the order they must be applied.
//
// Keys use the dotted form (`net.ipv4.conf.all.rp_filter`); per-interface keys name the
// interface (a '.' in an interface name is written '/', as sysctl(8) expects). Values are
// strings, ready for `sysctl -w key=value` or /proc/sys.
//
// Why every node gets explicit values rather than relying on defaults: a new network
// namespace copies some of its IPv4 settings from the host's (net.core.devconf_inherit_init_net
// = 0), and an interface moved into the namespace keeps the values it was created with. The
// effective value of rp_filter is the max of `all` and the interface's, and of
// send_redirects the OR, so both `all` and every interface are written.
//
// Dataplane-specific knobs (conntrack liberal mode, IPVS timeouts) belong to the dataplane
// modules; the `dataplane` argument is accepted so callers need not special-case, and
// nothing here depends on it yet.
import type { Dataplane, ResolvedLab, ResolvedNode } from '../model/types.js';

export type Sysctl = [key: string, value: string];

export function renderSysctls(lab: ResolvedLab, node: ResolvedNode, _dataplane: Dataplane): Sysctl[] {
  const forwards = node.role === 'router' || node.role === 'director';
  const ifaces = node.interfaces.map((i) => sysctlInterfaceName(i.name));
  const everywhere = (setting: string, value: string): Sysctl[] =>
    ['all', 'default', ...ifaces].map((scope) => [`net.ipv4.conf.${scope}.${setting}`, value]);

  const out: Sysctl[] = [
    // First: writing ip_forward resets conf.all.accept_redirects as a side effect.
    ['net.ipv4.ip_forward', forwards ? '1' : '0'],
    // Dual-homed labs receive replies on another interface than the one they route out of.
    ...everywhere('rp_filter', '0'),
    // A redirect would teach a client to bypass its router/director.
    ...everywhere('accept_redirects', '0'),
  ];
  if (forwards) {
    // Single-segment labs forward out of the interface the packet came in on: the kernel
    // would otherwise tell the sender to go straight to the next hop, around the director.
    out.push(...everywhere('send_redirects', '0'));
  }
  if (node.role === 'realserver' && holdsServiceVip(lab, node)) {
    // Seed 001/004: the VIP sits on lo; never answer ARP for it nor use it as ARP source,
    // or the router would send VIP traffic straight to this real server.
    for (const scope of ['all', 'lo']) {
      out.push([`net.ipv4.conf.${scope}.arp_ignore`, '1'], [`net.ipv4.conf.${scope}.arp_announce`, '2']);
    }
  }
  if (node.role === 'director' && announcesOverOspf(lab, node)) {
    // An OSPF-announced VIP must be reached only through the routers' ECMP route. Were a
    // director to answer ARP for it (its VIP is on lo), a router or client on the segment
    // could learn "VIP is at lb2" before OSPF converges and pin traffic to one director.
    // Directors of `announce: none` services (seed 004) keep answering: that is how they
    // are reached.
    for (const scope of ['all', 'lo']) {
      out.push([`net.ipv4.conf.${scope}.arp_ignore`, '1'], [`net.ipv4.conf.${scope}.arp_announce`, '2']);
    }
  }
  if (node.proxyArp) {
    for (const iface of ifaces) out.push([`net.ipv4.conf.${iface}.proxy_arp`, '1']);
  }
  if (node.role === 'router' && node.ecmpHash) {
    // 0 hashes on addresses only (L3), 1 on addresses and ports (L4).
    out.push(['net.ipv4.fib_multipath_hash_policy', node.ecmpHash === 'l4' ? '1' : '0']);
  }
  return out;
}

/** True when every service this director directs is announced over OSPF. */
function announcesOverOspf(lab: ResolvedLab, node: ResolvedNode): boolean {
  const services = lab.services.filter((s) => s.directors.includes(node.name));
  return services.length > 0 && services.every((s) => s.announce === 'ospf');
}

/** True when a VIP of some service lies on this node's lo. */
function holdsServiceVip(lab: ResolvedLab, node: ResolvedNode): boolean {
  const vips = new Set(lab.services.map((s) => `${s.vip}/32`));
  return node.loopbacks.some((cidr) => vips.has(cidr));
}

/** sysctl(8) reads '.' as the path separator, so an interface's own dots become '/'. */
export function sysctlInterfaceName(iface: string): string {
  return iface.replaceAll('.', '/');
}
