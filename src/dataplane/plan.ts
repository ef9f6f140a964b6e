// Numbering of one director's fallback dataplane: which packet mark, routing table and
// rule preference stand for which real server. Both the full ruleset and the pool
// re-render use this plan, so a mark never changes meaning while the daemon runs.
import { realServersOf } from '../model/clusters.js';
import { LvslabError, EXIT } from '../util/errors.js';
import { cidrHolds } from '../model/addr.js';
import type { Forwarding, ResolvedLab, ResolvedNode, ResolvedService } from '../model/types.js';

/** The realServer name used for a service's sorry server (node names never start with '@'). */
export const SORRY_SERVER = '@sorry';

/** Marks are MARK_BASE + destination number; routing tables use the same number. */
export const MARK_BASE = 0x4c560000; // "LV" in the top half: easy to spot in `ip rule`
/** Preference of the first per-destination `ip rule`; the local table moves to LOCAL_RULE_PREF. */
export const FIRST_RULE_PREF = 100;
export const LOCAL_RULE_PREF = 1000;
const MAX_DESTINATIONS = LOCAL_RULE_PREF - FIRST_RULE_PREF;

export interface DestinationPlan {
  /** 1-based, unique on this director. */
  id: number;
  mark: number;
  /** DR/TUN: the routing table the mark selects, and the preference of its rule. */
  table: number;
  rulePref: number;
  service: string;
  /** Real server node name, or SORRY_SERVER. */
  realServer: string;
  address: string;
  port: number;
  /** Configured weight. */
  weight: number;
  forwarding: Forwarding;
  /** DR: the director's interface on the real server's segment. TUN: the interface the tunnel leaves by. */
  iface: string;
  /** TUN: the ipip device for this destination and the director address it is sourced from. */
  tunnel?: { device: string; local: string };
}

export interface ServicePlan {
  service: ResolvedService;
  /** Position among this director's services: names its chains and maps. */
  index: number;
  realServers: DestinationPlan[];
  sorry?: DestinationPlan;
}

export interface DirectorPlan {
  director: string;
  services: ServicePlan[];
}

/** The services of `lab` this director forwards, with one numbered destination per real server. */
export function planDirector(lab: Pick<ResolvedLab, 'services'>, director: ResolvedNode): DirectorPlan {
  const mine = lab.services.filter((s) => s.directors.includes(director.name));
  let nextId = 1;
  const destination = (service: ResolvedService, realServer: string, address: string, port: number, weight: number) => {
    const id = nextId++;
    if (id > MAX_DESTINATIONS) {
      throw new LvslabError(
        `director ${director.name}: more than ${MAX_DESTINATIONS} real servers, the nftables fallback numbers at most that many`,
        EXIT.invalidInput,
      );
    }
    const iface = egressInterface(director, address, service);
    const dest: DestinationPlan = {
      id,
      mark: MARK_BASE + id,
      table: MARK_BASE + id,
      rulePref: FIRST_RULE_PREF + id - 1,
      service: service.name,
      realServer,
      address,
      port,
      weight,
      forwarding: service.forwarding,
      iface: iface.name,
    };
    if (service.forwarding === 'tun') dest.tunnel = { device: `lvtun${id}`, local: iface.address };
    return dest;
  };
  const services = mine.map((service, index): ServicePlan => {
    const realServers = realServersOf(service, director.name).map((rs) => destination(service, rs.node, rs.address, rs.port, rs.weight));
    const plan: ServicePlan = { service, index, realServers };
    if (service.sorryServer) {
      // keepalived gives the sorry server weight 1 when it brings it in.
      plan.sorry = destination(service, SORRY_SERVER, service.sorryServer.address, service.sorryServer.port, 1);
    }
    return plan;
  });
  return { director: director.name, services };
}

/** All destinations of a plan, in id order. */
export function allDestinations(plan: DirectorPlan): DestinationPlan[] {
  return plan.services.flatMap((s) => (s.sorry ? [...s.realServers, s.sorry] : s.realServers));
}

export function findService(plan: DirectorPlan, name: string): ServicePlan {
  const found = plan.services.find((s) => s.service.name === name);
  if (!found) throw new LvslabError(`director ${plan.director} does not forward service ${name}`);
  return found;
}

/**
 * The interface a packet for `address` leaves by: the one whose subnet holds it. DR
 * cannot work otherwise (only the MAC address changes), so that is an error; TUN and NAT
 * may route further, and fall back to the first interface.
 */
function egressInterface(director: ResolvedNode, address: string, service: ResolvedService): { name: string; address: string } {
  const onLink = director.interfaces.find((i) => cidrHolds(i.subnet, address));
  if (onLink) return { name: onLink.name, address: onLink.address };
  if (service.forwarding === 'dr') {
    throw new LvslabError(
      `service ${service.name}: real server ${address} shares no segment with director ${director.name}; ` +
        'direct routing (DR) only rewrites the MAC address, so the real server must be on one of the director\'s segments',
      EXIT.invalidInput,
    );
  }
  const first = director.interfaces[0];
  if (!first) throw new LvslabError(`director ${director.name} has no interface`, EXIT.invalidInput);
  return { name: first.name, address: first.address };
}
