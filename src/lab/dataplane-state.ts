// The glue between `up`/readiness and the nftables fallback dataplane: what the fallback
// cannot do for a lab (refused before anything is created), what it only approximates
// (printed in the notice), and the health daemon's view of the real servers.
import { announcementArgv, guardedAnnouncements } from '../render/announce.js';
import type { NodePaths, ResolvedLab, ResolvedNode } from '../model/types.js';
import type { Runtime } from '../runtime/runtime.js';
import { detectIpipTunnels } from '../dataplane/detect.js';
import { fallbackProblems } from '../dataplane/support.js';
import { FALLBACK_SCHEDULER_NOTES } from '../dataplane/scheduler-map.js';
import { HEALTHD_CONFIG_VERSION, healthdFiles, type HealthdConfig, type HealthdState } from '../dataplane/healthd-types.js';

export interface FallbackLimitations {
  /** Reasons the fallback cannot run this lab at all. */
  errors: string[];
  /** Where it differs from kernel IPVS for this lab's schedulers. */
  notes: string[];
}

export async function fallbackLimitations(lab: ResolvedLab): Promise<FallbackLimitations> {
  const ipip = (await detectIpipTunnels()).available;
  const schedulers = [...new Set(lab.services.map((s) => s.scheduler))];
  const notes = schedulers
    .filter((s) => !FALLBACK_SCHEDULER_NOTES[s].exact)
    .map((s) => `${s}: ${FALLBACK_SCHEDULER_NOTES[s].how}`);
  return { errors: fallbackProblems(lab, { ipip }), notes };
}

export function healthdConfigFor(lab: ResolvedLab, director: ResolvedNode, paths: NodePaths): HealthdConfig {
  const files = healthdFiles(paths);
  return {
    version: HEALTHD_CONFIG_VERSION,
    instance: lab.instance,
    director,
    services: lab.services.filter((s) => s.directors.includes(director.name)),
    statePath: files.state,
    applyNetwork: true,
    ...announceHook(lab, director, paths),
  };
}

/** The vtysh arguments healthd runs to announce and withdraw each guarded VIP of this director. */
function announceHook(lab: ResolvedLab, director: ResolvedNode, paths: NodePaths): Pick<HealthdConfig, 'announce'> {
  const guarded = guardedAnnouncements(lab, director);
  if (guarded.length === 0) return {};
  return {
    announce: guarded.map((s) => ({
      service: s.name,
      vip: s.vip,
      up: announcementArgv(paths.frrVtyDir, s.vip, lab.ospf.area, true),
      down: announcementArgv(paths.frrVtyDir, s.vip, lab.ospf.area, false),
    })),
  };
}

/** service -> real server node -> healthy, as the director's health daemon last wrote it. */
export async function readFallbackHealth(runtime: Runtime, lab: ResolvedLab, director: string): Promise<Map<string, Map<string, boolean>> | undefined> {
  const state = await readHealthdState(runtime, lab, director);
  if (!state || !state.ready || !state.running) return undefined;
  const out = new Map<string, Map<string, boolean>>();
  for (const [svc, s] of Object.entries(state.services)) {
    out.set(svc, new Map(Object.entries(s.realServers).map(([rs, r]) => [rs, r.up])));
  }
  return out;
}

export async function readHealthdState(runtime: Runtime, lab: ResolvedLab, director: string): Promise<HealthdState | undefined> {
  const text = await runtime.readFile(lab.instance, director, healthdFiles(runtime.nodePaths(lab.instance, director)).state);
  if (!text) return undefined;
  try {
    return JSON.parse(text) as HealthdState;
  } catch {
    return undefined; // mid-rename never happens (atomic write); a parse error means "not yet"
  }
}
