// Which real servers each director of a service forwards to: all of them, unless the lab
// splits the service into clusters (seed 000: one director and its real servers per site).
import type { ResolvedRealServer, ResolvedService } from './types.js';

/** The real servers of `service` that `director` forwards to, in the service's order. */
export function realServersOf(service: Pick<ResolvedService, 'realServers'>, director: string): ResolvedRealServer[] {
  return service.realServers.filter((rs) => rs.directors.includes(director));
}

/**
 * The one director whose cluster `realServer` belongs to, or undefined when several (or
 * none) forward to it: then an answer from it does not say which director carried it.
 */
export function clusterOf(service: Pick<ResolvedService, 'realServers'>, realServer: string): string | undefined {
  const rs = service.realServers.find((r) => r.node === realServer);
  return rs?.directors.length === 1 ? rs.directors[0] : undefined;
}

/** True when every real server belongs to exactly one director: answers name their cluster. */
export function isClustered(service: Pick<ResolvedService, 'realServers' | 'directors'>): boolean {
  return service.directors.length > 1 && service.realServers.every((rs) => rs.directors.length === 1);
}
