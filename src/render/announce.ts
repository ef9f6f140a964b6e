// Announcing a VIP only while it can be served: the vtysh commands that add or remove a
// speaker's `network VIP/32 area A` in its *running* ospfd (the seed-002 way, through the vty:
// reloading ospfd would drop every route it announces). Pure; the director's health daemon
// (nftables fallback) and keepalived's quorum_up/quorum_down (ipvs) run them, and an anycast
// server's own check can run the same ones.
import { cidrHolds } from '../model/addr.js';
import type { ResolvedLab, ResolvedNode, ResolvedService } from '../model/types.js';

/** The services whose VIP `node` announces over OSPF only while it can serve it (empty unless the lab asks for it). */
export function guardedAnnouncements(lab: Pick<ResolvedLab, 'announceOnlyWhenServing' | 'services'>, node: ResolvedNode): ResolvedService[] {
  if (!lab.announceOnlyWhenServing || !node.ospf) return [];
  return lab.services.filter((s) => s.announce === 'ospf' && s.directors.includes(node.name) && node.ospf!.networks.includes(`${s.vip}/32`));
}

/**
 * The ospfd `network` statements `node` starts with: its networks less the guarded VIPs
 * (announced later by their check). A `network` matches every interface address inside it,
 * the VIP on lo included: a segment's /24 holding the VIP (ospf-ecmp's 10.0.1.0/24 holds
 * 10.0.1.100) would announce it whatever the /32 statement says. Such a network is written
 * as the node's own interface addresses in it, each a /32: ospfd still runs on those
 * interfaces (and advertises their subnets), and the VIP is matched by its /32 alone.
 */
export function startupNetworks(lab: Pick<ResolvedLab, 'announceOnlyWhenServing' | 'services'>, node: ResolvedNode): string[] {
  const guarded = guardedAnnouncements(lab, node).map((s) => s.vip);
  const guardedPrefixes = new Set(guarded.map((vip) => `${vip}/32`));
  const out: string[] = [];
  for (const network of node.ospf?.networks ?? []) {
    if (guardedPrefixes.has(network)) continue;
    if (!guarded.some((vip) => cidrHolds(network, vip))) {
      out.push(network);
      continue;
    }
    for (const i of node.interfaces) if (i.ospf && cidrHolds(network, i.address)) out.push(`${i.address}/32`);
  }
  return [...new Set(out)];
}

/**
 * vtysh's argv (after the program name) that announces (`announce` true) or withdraws
 * `vip`/32 in `area` in the running ospfd reached through `vtyDir`. Idempotent in FRR: a
 * network that is already there (or already gone) is accepted again.
 */
export function announcementArgv(vtyDir: string, vip: string, area: string, announce: boolean): string[] {
  const statement = `network ${vip}/32 area ${area}`;
  return ['--vty_socket', vtyDir, '-c', 'configure terminal', '-c', 'router ospf', '-c', announce ? statement : `no ${statement}`];
}
