// The contract between the runtime and healthd, the fallback dataplane's daemon: the
// JSON config the runtime writes, the JSON state healthd keeps up to date, where both
// live, and how to start it. Nothing here runs anything.
import { LVSLAB_DIST } from '../util/lvslab-dist.js';
import type { Forwarding, NodePaths, Protocol, ResolvedNode, ResolvedService, Scheduler } from '../model/types.js';

export const HEALTHD_CONFIG_VERSION = 1;

/** Written by the runtime (JSON) before starting healthd in the director. */
export interface HealthdConfig {
  version: typeof HEALTHD_CONFIG_VERSION;
  /** Lab instance name, for log lines only. */
  instance: string;
  /** The director healthd runs in (its interfaces decide where real servers are reached). */
  director: ResolvedNode;
  /** The lab's services; only those listing this director are forwarded and checked. */
  services: ResolvedService[];
  /** Where healthd keeps its HealthdState (see healthdFiles). */
  statePath: string;
  /** Also write its pid here at start (optional: the runtime may record the pid itself). */
  pidPath?: string;
  /** Set the dataplane sysctls and policy routing too; default true. */
  applyNetwork?: boolean;
  /** Delay of every first check after start, ms (keepalived's warmup); default 0. */
  warmupMs?: number;
  /**
   * Announce only what can be served (lab announce_only_when_serving): each listed service's
   * VIP is added to the running ospfd while at least one of its real servers is healthy here,
   * and removed when none is, by running vtysh with these arguments (render/announce.ts).
   */
  announce?: Array<{ service: string; vip: string; up: string[]; down: string[] }>;
}

/** Written atomically (tmp + rename) by healthd at start and after every check. */
export interface HealthdState {
  version: typeof HEALTHD_CONFIG_VERSION;
  director: string;
  pid: number;
  /** ISO timestamps. */
  startedAt: string;
  updatedAt: string;
  dataplane: 'nftables';
  /** The ruleset is in place and every real server has had its first check. */
  ready: boolean;
  /** False once healthd stopped (SIGTERM) or failed. */
  running: boolean;
  /** Set when healthd could not apply the dataplane and exited. */
  error?: string;
  /** Where the fallback differs from kernel IPVS (print these in reports). */
  notes: string[];
  services: Record<string, HealthdServiceState>;
}

export interface HealthdServiceState {
  vip: string;
  port: number;
  protocol: Protocol;
  forwarding: Forwarding;
  scheduler: Scheduler;
  /** The sorry server replaced the real servers (no live weight left). */
  sorryActive: boolean;
  /** What the dataplane holds now: weight 0 = existing flows only. */
  pool: Array<{ realServer: string; address: string; port: number; weight: number }>;
  realServers: Record<string, HealthdRealServerState>;
  /** With announce_only_when_serving: whether its VIP is announced in ospfd now (absent before the first decision). */
  announced?: boolean;
}

export interface HealthdRealServerState {
  address: string;
  port: number;
  /** Configured weight. */
  weight: number;
  up: boolean;
  /** ISO time `up` last changed (or healthd's start). */
  since: string;
  /** Checks done so far (0 until the first one ends). */
  checks: number;
  /** Failed checks in a row on a live server, while retries are pending. */
  failures: number;
  lastCheck?: { at: string; ok: boolean; detail: string; durationMs: number };
}

export interface HealthdFiles {
  config: string;
  state: string;
  pid: string;
  /** Where the runtime should send healthd's stdout/stderr (DaemonSpec.logFile). */
  log: string;
}

/** Path convention for healthd's files inside a director, from the node's paths. */
export function healthdFiles(paths: NodePaths): HealthdFiles {
  return {
    config: `${paths.conf}/healthd.json`,
    state: `${paths.run}/healthd-state.json`,
    pid: `${paths.run}/healthd.pid`,
    log: `${paths.log}/healthd.log`,
  };
}

/** This installation's compiled daemon (dist/dataplane/healthd.js when run from dist). */
export function healthdScript(): string {
  return healthdScriptIn(LVSLAB_DIST);
}

/** argv that starts healthd; the runtime runs it inside the director, not self-daemonizing. */
export function healthdArgv(configPath: string, script: string = healthdScript(), node: string = process.execPath): string[] {
  return [node, script, '--config', configPath];
}

/** The health daemon's script inside a node whose lvslab dist/ directory is `dist`. */
export function healthdScriptIn(dist: string): string {
  return `${dist}/dataplane/healthd.js`;
}
