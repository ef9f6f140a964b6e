// The lab's shape as the reports need it to draw the topology.
//
// RunResults (src/experiment/types.ts) records what happened, not what the lab looks
// like, so the drawing needs an extra, optional `topology` field in results.json. It is
// typed here until the experiment contract adopts it; `topologyFromLab` builds it from
// the ResolvedLab a run used. Without it, `topologyOf` falls back to what the records
// name (routers and directors from the snapshots, real servers from the hits) on one
// implied segment, and says so.
import type { ResolvedLab, Role } from '../model/types.js';
import type { RunResults } from '../experiment/types.js';
import { ospfTimersText } from './common.js';

export interface TopologyInterface {
  name: string;
  /** Host address, without prefix. */
  address: string;
  /** Exactly one of segment / link. */
  segment?: string;
  link?: string;
}

export interface TopologyNode {
  name: string;
  role: Role;
  interfaces: TopologyInterface[];
  /** CIDRs on lo (VIPs). */
  loopbacks: string[];
}

export interface TopologyService {
  name: string;
  vip: string;
  port: number;
  protocol: string;
  scheduler: string;
  forwarding: string;
  directors: string[];
  realServers: Array<{ node: string; weight: number }>;
  /** A VIP held by a VRRP pair: its advertisement interval and priorities (absent for OSPF or ARP). */
  vrrp?: { advertInt: number; priorities: Record<string, number> };
}

export interface ResultsTopology {
  nodes: TopologyNode[];
  segments: Array<{ name: string; subnet: string }>;
  links: Array<{ name: string; subnet: string }>;
  services: TopologyService[];
  /**
   * The lab-wide OSPF timers (what a failover run mostly depends on), and BFD's when the lab
   * runs it; absent when no node runs OSPF.
   */
  ospf?: { hello: number; dead: number; bfd?: { intervalMs: number; multiplier: number } };
}

/** RunResults plus the proposed optional `topology` field. */
export type RunResultsWithTopology = RunResults & { topology?: ResultsTopology };

/** The `topology` field for results.json, from the lab a run used. */
export function topologyFromLab(lab: ResolvedLab): ResultsTopology {
  return {
    nodes: lab.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      interfaces: n.interfaces.map((i) => ({
        name: i.name,
        address: i.address,
        ...(i.attachment.kind === 'segment' ? { segment: i.attachment.segment } : { link: i.attachment.link }),
      })),
      loopbacks: [...n.loopbacks],
    })),
    segments: lab.segments.map((s) => ({ name: s.name, subnet: s.subnet })),
    links: lab.links.map((l) => ({ name: l.name, subnet: l.subnet })),
    services: lab.services.map((s) => ({
      name: s.name,
      vip: s.vip,
      port: s.port,
      protocol: s.protocol,
      scheduler: s.scheduler,
      forwarding: s.forwarding,
      directors: [...s.directors],
      realServers: s.realServers.map((r) => ({ node: r.node, weight: r.weight })),
      ...(s.announce === 'vrrp' && s.vrrp ? { vrrp: { advertInt: s.vrrp.advertInt, priorities: { ...s.vrrp.priorities } } } : {}),
    })),
    ...(lab.nodes.some((n) => n.ospf) ? { ospf: { hello: lab.ospf.hello, dead: lab.ospf.dead, ...(lab.ospf.bfd ? { bfd: { ...lab.ospf.bfd } } : {}) } } : {}),
  };
}

export interface TopologyView {
  topology: ResultsTopology;
  /** False when drawn from the records because results.json has no `topology`. */
  recorded: boolean;
}

/**
 * How the lab fails over, in a few words: "OSPF ECMP, hello 1 s, dead 4 s" (with ", BFD
 * 300 ms x 3" on a lab that runs BFD, whose timers then decide the detection) or "VRRP
 * active/standby, advert_int 1 s, lb1 150, lb2 100" (its first VRRP service), or undefined.
 */
export function failoverMechanism(topology: ResultsTopology): string | undefined {
  const vrrp = topology.services.find((s) => s.vrrp)?.vrrp;
  if (vrrp) {
    const priorities = Object.entries(vrrp.priorities).map(([d, p]) => `${d} ${p}`).join(', ');
    return `VRRP active/standby, advert_int ${vrrp.advertInt} s${priorities ? `, ${priorities}` : ''}`;
  }
  return topology.ospf ? `OSPF ECMP, ${ospfTimersText(topology.ospf)}` : undefined;
}

/** The recorded topology, or a best effort from the records (one implied segment). */
export function topologyOf(results: RunResultsWithTopology): TopologyView {
  if (results.topology && Array.isArray(results.topology.nodes)) return { topology: results.topology, recorded: true };
  const nodes: TopologyNode[] = [];
  const seen = new Set<string>();
  const add = (name: string, role: Role): void => {
    if (seen.has(name)) return;
    seen.add(name);
    nodes.push({ name, role, interfaces: [{ name: 'eth0', address: '', segment: 'lab' }], loopbacks: [] });
  };
  for (const s of results.snapshots) for (const r of Object.keys(s.routers)) add(r, 'router');
  for (const s of results.snapshots) for (const d of Object.keys(s.directors)) add(d, 'director');
  for (const d of Object.keys(results.hits.perDirector)) add(d, 'director');
  for (const rs of Object.keys(results.hits.expectedShare)) add(rs, 'realserver');
  for (const rs of Object.keys(results.hits.perRealServer)) add(rs, 'realserver');
  return { topology: { nodes, segments: [{ name: 'lab', subnet: '' }], links: [], services: [] }, recorded: false };
}
