// The contract between the experiment runner and the traffic generator: the JSON config
// the runner writes, the summary the generator leaves behind, where the files live, and
// how to start it. The generator runs inside one client node's network namespace, as its
// own process (`node dist/traffic/generator.js --config FILE`), so that every flow leaves
// from the client's own addresses.
//
// Nothing here runs anything. validateGeneratorConfig() is pure so the runner can check a
// config before it writes it, and the generator checks it again before sending a packet.
import { isIP } from 'node:net';
import { LVSLAB_DIST } from '../util/lvslab-dist.js';
import type { LongLivedBreak, RequestOutcome } from '../experiment/types.js';

export const GENERATOR_CONFIG_VERSION = 1;

/**
 * Hard limits. A config above them is refused: the generator shares a 2-core machine with
 * the whole lab, and a typo (seconds written as ms) must not turn into a flood.
 */
export const GENERATOR_LIMITS = {
  /** New connections per second. */
  maxRate: 5000,
  maxDurationMs: 600_000,
  maxTimeoutMs: 60_000,
  /** maxRate x maxDuration: the most requests one generator may ever start. */
  maxTotalRequests: 3_000_000,
  /** Connections open at once (each one is a file descriptor). */
  maxInFlight: 10_000,
  maxLongLivedConnections: 1000,
  minHeartbeatMs: 10,
  maxHeartbeatMs: 60_000,
  /** startAt further ahead than this is taken for a unit mistake and refused by the generator. */
  maxStartDelayMs: 600_000,
} as const;

/** Written by the runner (JSON) before starting the generator in a client. */
export interface GeneratorConfig {
  version: typeof GENERATOR_CONFIG_VERSION;
  /** The client node: goes into every record. */
  client: string;
  /** Target address, an IP literal (the service VIP): no name resolution inside a lab. */
  host: string;
  port: number;
  /** Request path, e.g. "/". Printable ASCII without spaces (it goes into the request line). */
  path: string;
  /** Source address to bind (optional; by default the kernel picks by route). */
  localAddress?: string;
  /** New TCP connections per second, one request each; 0 = none (long-lived traffic only). */
  rate: number;
  /** Length of the traffic window from startAt, ms. */
  durationMs: number;
  /** Per-request deadline: connect + complete answer, ms. Also bounds long-lived heartbeats. */
  timeoutMs: number;
  /**
   * Epoch ms of the first tick. Request i is due at startAt + i * 1000 / rate, for every i
   * with a due time inside [startAt, startAt + durationMs). All clients of a run get the
   * same startAt, so their schedules are aligned.
   */
  startAt: number;
  /** NDJSON of RequestRecord, one line per request (truncated at start). */
  requestsPath: string;
  /** NDJSON of LongLivedEvent (truncated at start; written even when longLived is absent). */
  longLivedPath: string;
  /** GeneratorSummary, written atomically once the generator is done (or stopped). */
  summaryPath: string;
  /** Connections held open with HTTP/1.1 keep-alive, one request per heartbeat each. */
  longLived?: { connections: number; heartbeatMs: number };
  /**
   * Most connections open at once (new-connection requests; long-lived ones are not
   * counted). Default: enough for every request of one timeout window plus a margin, so
   * that it only bites when the event loop falls far behind. A due request that would
   * exceed it is not started; see GeneratorSummary.requests.skipped.
   */
  maxInFlight?: number;
  /** Most new-connection requests started in total. Default: every tick of the window. */
  maxRequests?: number;
}

/** Written atomically (tmp + rename) by the generator when it is done or stopped. */
export interface GeneratorSummary {
  version: typeof GENERATOR_CONFIG_VERSION;
  client: string;
  pid: number;
  /** host:port and path, for people reading the file. */
  target: string;
  /** 'done': the window ended and every request finished; 'signal': SIGTERM/SIGINT. */
  stoppedBy: 'done' | 'signal';
  /** Epoch ms. */
  plannedStart: number;
  plannedEnd: number;
  /** When the generator process was ready to send (epoch ms); later than plannedStart = late start. */
  readyAt: number;
  finishedAt: number;
  rate: number;
  durationMs: number;
  timeoutMs: number;
  requests: {
    /** Ticks in the window (capped by maxRequests). */
    planned: number;
    /** connect() called. */
    started: number;
    /**
     * Due ticks not started because maxInFlight connections were open. They are NOT in
     * the records file: no packet was sent, so they say nothing about the service.
     */
    skipped: number;
    /** In flight when a signal stopped the generator: started but not recorded. */
    abandoned: number;
    /** Lines written to the requests file. */
    recorded: number;
    byOutcome: Record<RequestOutcome, number>;
    /** ok answers per X-Real-Server value. */
    byServer: Record<string, number>;
  };
  /** Requests started per second over the part of the window that was run. */
  achievedRate: number;
  /** How late requests started against their absolute due time, ms. */
  lateness: { maxMs: number; meanMs: number; p99Ms: number };
  /** The in-flight cap in force, and the most connections that were open at once. */
  maxInFlight: number;
  peakInFlight: number;
  longLived?: {
    connections: number;
    heartbeatMs: number;
    /** Heartbeat requests sent, and complete answers received. */
    heartbeats: { sent: number; answered: number };
    events: { open: number; break: number; reopen: number };
    breaks: Record<LongLivedBreak, number>;
  };
  /** CPU time the generator used, ms (process.cpuUsage). */
  cpu: { userMs: number; systemMs: number };
  warnings: string[];
}

export interface GeneratorFiles {
  config: string;
  requests: string;
  longLived: string;
  summary: string;
  /** Where the runner should send the generator's stdout/stderr. */
  log: string;
}

/**
 * File convention: everything of one client's generator in one directory (the run's
 * traffic directory), named after the client, so a run directory lists them side by side.
 */
export function generatorFiles(dir: string, client: string): GeneratorFiles {
  const base = `${dir}/${client}`;
  return {
    config: `${base}.traffic.json`,
    requests: `${base}.requests.ndjson`,
    longLived: `${base}.long-lived.ndjson`,
    summary: `${base}.summary.json`,
    log: `${base}.traffic.log`,
  };
}

/** This installation's compiled generator (dist/traffic/generator.js when run from dist). */
export function generatorScript(): string {
  return generatorScriptIn(LVSLAB_DIST);
}

/** argv that starts the generator; the runner runs it inside the client, in the foreground. */
export function generatorArgv(configPath: string, script: string = generatorScript(), node: string = process.execPath): string[] {
  return [node, script, '--config', configPath];
}

/** The generator's script inside a node whose lvslab dist/ directory is `dist`. */
export function generatorScriptIn(dist: string): string {
  return `${dist}/traffic/generator.js`;
}

/** Default in-flight cap: every request of 1.5 timeout windows, plus a margin for bursts. */
export function defaultMaxInFlight(rate: number, timeoutMs: number): number {
  return Math.min(GENERATOR_LIMITS.maxInFlight, Math.ceil((rate * timeoutMs * 1.5) / 1000) + 64);
}

/** Ticks in the window: i = 0 .. n-1 with startAt + i * 1000 / rate < startAt + durationMs. */
export function plannedTicks(rate: number, durationMs: number): number {
  if (rate <= 0) return 0;
  return Math.ceil((durationMs * rate) / 1000 - 1e-9);
}

/**
 * Every problem with `raw` as a GeneratorConfig, one sentence each (empty = valid).
 * Pure: does not look at the clock or the file system.
 */
export function generatorConfigProblems(raw: unknown): string[] {
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return ['config: expected a JSON object'];
  const c = raw as Record<string, unknown>;
  const L = GENERATOR_LIMITS;

  const num = (key: string, min: number, max: number, integer: boolean, required = true): void => {
    const v = c[key];
    if (v === undefined && !required) return;
    if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${key}: expected a number, got ${JSON.stringify(v)}`);
    else if (integer && !Number.isInteger(v)) problems.push(`${key}: expected an integer, got ${v}`);
    else if (v < min || v > max) problems.push(`${key}: ${v} is outside ${min}..${max}`);
  };
  const str = (key: string, required = true): string | undefined => {
    const v = c[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v === '') {
      problems.push(`${key}: expected a non-empty string, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  };

  if (c.version !== GENERATOR_CONFIG_VERSION) {
    problems.push(`version: expected ${GENERATOR_CONFIG_VERSION}, got ${JSON.stringify(c.version)}`);
  }
  const client = str('client');
  if (client !== undefined && !/^[A-Za-z0-9_.-]+$/.test(client)) problems.push(`client: ${JSON.stringify(client)} is not a node name`);
  const host = str('host');
  if (host !== undefined && isIP(host) === 0) problems.push(`host: ${JSON.stringify(host)} is not an IP address`);
  const local = str('localAddress', false);
  if (local !== undefined && isIP(local) === 0) problems.push(`localAddress: ${JSON.stringify(local)} is not an IP address`);
  num('port', 1, 65535, true);
  const path = str('path');
  // The path is written into the request line as is: no spaces, no control characters.
  if (path !== undefined && !/^\/[\x21-\x7e]*$/.test(path)) problems.push(`path: ${JSON.stringify(path)} must start with / and be printable ASCII without spaces`);
  num('rate', 0, L.maxRate, false);
  num('durationMs', 1, L.maxDurationMs, false);
  num('timeoutMs', 1, L.maxTimeoutMs, false);
  num('startAt', 0, Number.MAX_SAFE_INTEGER, false);
  for (const key of ['requestsPath', 'longLivedPath', 'summaryPath']) {
    const p = str(key);
    if (p !== undefined && !p.startsWith('/')) problems.push(`${key}: ${JSON.stringify(p)} must be an absolute path`);
  }
  num('maxInFlight', 1, L.maxInFlight, true, false);
  num('maxRequests', 0, L.maxTotalRequests, true, false);

  if (c.longLived !== undefined) {
    const ll = c.longLived;
    if (typeof ll !== 'object' || ll === null || Array.isArray(ll)) problems.push('longLived: expected an object');
    else {
      const { connections, heartbeatMs } = ll as Record<string, unknown>;
      if (typeof connections !== 'number' || !Number.isInteger(connections) || connections < 1 || connections > L.maxLongLivedConnections) {
        problems.push(`longLived.connections: expected an integer in 1..${L.maxLongLivedConnections}, got ${JSON.stringify(connections)}`);
      }
      if (typeof heartbeatMs !== 'number' || !Number.isFinite(heartbeatMs) || heartbeatMs < L.minHeartbeatMs || heartbeatMs > L.maxHeartbeatMs) {
        problems.push(`longLived.heartbeatMs: expected a number in ${L.minHeartbeatMs}..${L.maxHeartbeatMs}, got ${JSON.stringify(heartbeatMs)}`);
      }
    }
  }

  if (problems.length === 0) {
    const cfg = c as unknown as GeneratorConfig;
    const ticks = plannedTicks(cfg.rate, cfg.durationMs);
    if (ticks > L.maxTotalRequests) problems.push(`rate x duration: ${ticks} requests is above the limit of ${L.maxTotalRequests}`);
    if (cfg.rate === 0 && cfg.longLived === undefined) problems.push('rate: 0 and no longLived: the generator would send nothing');
  }
  return problems;
}

/** The config, or an Error listing every problem. */
export function validateGeneratorConfig(raw: unknown): GeneratorConfig {
  const problems = generatorConfigProblems(raw);
  if (problems.length > 0) throw new Error(`invalid traffic generator config:\n  ${problems.join('\n  ')}`);
  return raw as GeneratorConfig;
}
