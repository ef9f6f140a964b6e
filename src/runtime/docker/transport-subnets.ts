// Docker's bridge driver insists on an IPv4 subnet per network and puts each container's
// interface in it. Lab addresses cannot serve: a point-to-point /30 or /31 has no room for
// the gateway address Docker reserves. So every lab network gets a "transport" /24 from a
// pool no lab uses; lvslab replaces the transport address inside the container with the
// lab's own right after the container starts, and the bridge never gets an address
// (inhibit_ipv4), so the host has no route into the lab.
//
// Pure functions: picking subnets is tested without an engine.
import { EXIT, LvslabError } from '../../util/errors.js';
import { formatCidr, formatIPv4, parseCidr, subnetsOverlap, type Cidr } from '../../model/addr.js';

/** RFC 2544's benchmarking range: never routed, reserved for test networks like these. */
export const DEFAULT_TRANSPORT_POOL = '198.18.0.0/15';
export const TRANSPORT_PREFIX = 24;

/** The pool from LVSLAB_DOCKER_POOL, or the default; a bad value is an input error. */
export function transportPool(env: NodeJS.ProcessEnv = process.env): Cidr {
  const text = env.LVSLAB_DOCKER_POOL ?? DEFAULT_TRANSPORT_POOL;
  const pool = parseCidr(text.trim());
  if (!pool || pool.prefix > TRANSPORT_PREFIX) {
    throw new LvslabError(`LVSLAB_DOCKER_POOL=${JSON.stringify(text)} is not an IPv4 prefix of /${TRANSPORT_PREFIX} or larger`, EXIT.invalidInput, `e.g. ${DEFAULT_TRANSPORT_POOL}`);
  }
  return pool;
}

/**
 * `count` free /24s of `pool`, lowest first, that overlap no subnet in `used` (the engine's
 * other networks) and no lab subnet. Throws when the pool is exhausted.
 */
export function pickTransportSubnets(pool: Cidr, count: number, used: readonly Cidr[]): string[] {
  const picked: string[] = [];
  const step = 2 ** (32 - TRANSPORT_PREFIX);
  const end = pool.network + 2 ** (32 - pool.prefix);
  for (let network = pool.network; network < end && picked.length < count; network += step) {
    const candidate: Cidr = { address: network, network, prefix: TRANSPORT_PREFIX };
    if (used.some((u) => subnetsOverlap(u, candidate))) continue;
    picked.push(formatCidr(network, TRANSPORT_PREFIX));
  }
  if (picked.length < count) {
    throw new LvslabError(
      `the Docker transport pool ${formatCidr(pool.network, pool.prefix)} has no ${count} free /${TRANSPORT_PREFIX} subnets left`,
      EXIT.hostNotReady,
      'remove networks of old labs (lvslab down --all) or choose a larger pool with LVSLAB_DOCKER_POOL',
    );
  }
  return picked;
}

/** Address `index` of a transport subnet (gateway .1, members from .2). */
export function transportAddress(subnet: string, index: number): string {
  return formatIPv4(parseCidr(subnet)!.network + index);
}
