// FRR's own runtime directories on the lab host. Normally systemd-tmpfiles creates /run/frr
// at boot; on hosts without systemd (containers, CI) it may be missing. They belong to the
// FRR package, not to a lab: lvslab only binds node-private directories over them
// (see node-setup.ts), so they stay empty and are not removed by `down`.
import type { LabHost } from './host.js';

/**
 * FRR writes outside its pathspace: a shared /run/frr/ospfd-gr.json, /run/frr/<pathspace>/
 * and crash-log buffers in /var/tmp/frr/<daemon>.<pid>/. Its daemons declare both as
 * privateDirs, so a runtime whose nodes share the host's filesystem gives each node its own.
 */
export const FRR_HOST_DIRS = ['/run/frr', '/var/tmp/frr'] as const;

/** The FRR host directories that are missing on the host. */
export async function missingFrrHostDirs(host: LabHost): Promise<string[]> {
  const present = await Promise.all(FRR_HOST_DIRS.map((d) => host.exists(d)));
  return FRR_HOST_DIRS.filter((_, i) => !present[i]);
}

export async function ensureFrrHostDirs(host: LabHost): Promise<void> {
  const missing = await missingFrrHostDirs(host);
  if (missing.length > 0) await host.makeDirs(missing.map((path) => ({ path, owner: 'frr', mode: 0o755 })));
}
