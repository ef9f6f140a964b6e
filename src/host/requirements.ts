// Which host checks run when: the host-wide ones plus every registered runtime's own.
// `lvslab doctor` shows all of them; `up` runs those its runtime and dataplane need before
// it changes anything.
import { registeredRuntimes, runtimeDefinition } from '../runtime/registry.js';
import type { RuntimeKind, RuntimeSettings } from '../runtime/runtime.js';
import { HOST_WIDE_REQUIREMENTS, type HostCheck, type HostRequirement } from './checks.js';
import type { LabHost } from './host.js';

/**
 * Everything `doctor` checks: the host-wide requirements, then each runtime's in registry
 * order (on a remote host, only those of the runtimes that can drive one; on this machine, none
 * that only a host reached over SSH needs).
 */
export function doctorRequirements(remote = false): HostRequirement[] {
  return [...HOST_WIDE_REQUIREMENTS, ...registeredRuntimes().filter((r) => !remote || r.remoteHosts).flatMap((r) => r.hostRequirements)].filter((r) => remote || !r.remoteOnly);
}

/** What `up` on this runtime may need (its dataplane picks among them); no doctor-only ones. */
export function upRequirements(kind: RuntimeKind): HostRequirement[] {
  return [...HOST_WIDE_REQUIREMENTS, ...runtimeDefinition(kind).hostRequirements].filter((r) => r.neededBy !== 'doctor');
}

/**
 * Everything `lvslab doctor` reports: what must be fixed first (the required parts), then
 * what only limits what can run (the optional ones), each group in registry order.
 */
export async function allHostChecks(host: LabHost, settings: RuntimeSettings = {}): Promise<HostCheck[]> {
  const checks = await Promise.all(doctorRequirements(host.remote).map((r) => r.check(host, settings)));
  return [...checks.filter((c) => !c.optional), ...checks.filter((c) => c.optional)];
}

export interface UpPreflight {
  /**
   * The failed checks that this dataplane needs, and keepalived's where it runs (always on
   * ipvs; on the fallback only for a VRRP-held VIP: `keepalived: true`).
   */
  missing(dataplane: 'ipvs' | 'nftables', opts?: { keepalived?: boolean }): HostCheck[];
}

/** What `up` needs, probed once before the dataplane is decided. */
export async function upPreflight(kind: RuntimeKind, host: LabHost): Promise<UpPreflight> {
  const results = await Promise.all(upRequirements(kind).map(async (r) => ({ neededBy: r.neededBy, check: await r.check(host, {}) })));
  return {
    missing: (dataplane, opts = {}) => {
      const keepalived = dataplane === 'ipvs' || opts.keepalived === true;
      const needed = (by: string) => by === 'always' || by === dataplane || (by === 'keepalived' && keepalived);
      return results.filter((r) => needed(r.neededBy) && !r.check.ok).map((r) => r.check);
    },
  };
}
