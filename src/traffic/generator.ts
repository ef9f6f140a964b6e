// The traffic generator: runs inside one client node's network namespace as its own
// process (`node dist/traffic/generator.js --config FILE`, see generator-types.ts) and
// sends the client's share of an experiment's traffic to a service VIP:
//
//  - new-connection requests at `rate` per second on an absolute schedule (request i is
//    due at startAt + i/rate, so the pace never drifts; a late timer starts every request
//    that has come due at once and the lateness is measured), one RequestRecord each;
//  - optionally `longLived.connections` keep-alive connections, one request per heartbeat
//    each, with a LongLivedEvent for every open, break and reopen.
//
// A due request is NOT started while maxInFlight connections are open: it is counted as
// `skipped` in the summary and has no record (no packet was sent, so it says nothing about
// the service; the gap shows in the records as missing successes).
//
// Records go to NDJSON files in completion order (sort by t to get start order). When the
// window is over and every request has its record, the summary is written and the
// process exits 0. SIGTERM/SIGINT: stop sending, flush, write the summary (stoppedBy
// 'signal', in-flight requests counted as abandoned) and exit 0.
// Exit 2: invalid config (nothing sent). Exit 1: unexpected failure.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { LongLivedBreak, RequestOutcome, RequestRecord } from '../experiment/types.js';
import { nowMs, round3 } from './clock.js';
import {
  defaultMaxInFlight,
  GENERATOR_CONFIG_VERSION,
  GENERATOR_LIMITS,
  plannedTicks,
  validateGeneratorConfig,
  type GeneratorConfig,
  type GeneratorSummary,
} from './generator-types.js';
import { hostHeader, keepAliveRequest, oneShotRequest } from './http-request.js';
import { LatenessStats } from './lateness.js';
import { LongLivedConnection } from './long-lived.js';
import { NdjsonWriter } from './ndjson-writer.js';
import { startOneShot, type OneShot } from './one-shot.js';

class Generator {
  private readonly requests: NdjsonWriter;
  private readonly longLivedOut: NdjsonWriter;
  private readonly planned: number;
  private readonly intervalMs: number;
  private readonly maxInFlight: number;
  private readonly request: Buffer;
  private readonly lateness = new LatenessStats();
  private readonly live = new Set<OneShot>();
  private readonly slots: LongLivedConnection[] = [];
  private readonly warnings: string[] = [];
  private readonly byOutcome: Record<RequestOutcome, number> = { ok: 0, refused: 0, reset: 0, timeout: 0, error: 0 };
  private readonly byServer: Record<string, number> = {};
  private readonly events = { open: 0, break: 0, reopen: 0 };
  private readonly breaks: Record<LongLivedBreak, number> = { rst: 0, timeout: 0, 'server-changed': 0, closed: 0 };
  private readonly heartbeats = { sent: 0, answered: 0 };
  private next = 0;
  private started = 0;
  private skipped = 0;
  private recorded = 0;
  private inFlight = 0;
  private peakInFlight = 0;
  private readyAt = 0;
  private tickTimer: NodeJS.Timeout | undefined;
  private endTimer: NodeJS.Timeout | undefined;
  private windowOver = false;
  private finished = false;
  private resolveDone: () => void = () => {};

  constructor(private readonly c: GeneratorConfig) {
    this.planned = Math.min(plannedTicks(c.rate, c.durationMs), c.maxRequests ?? Infinity);
    this.intervalMs = c.rate > 0 ? 1000 / c.rate : Infinity;
    this.maxInFlight = c.maxInFlight ?? defaultMaxInFlight(c.rate, c.timeoutMs);
    this.request = oneShotRequest(c);
    this.requests = new NdjsonWriter(c.requestsPath);
    this.longLivedOut = new NdjsonWriter(c.longLivedPath);
    this.checkFileLimit();
  }

  /** Resolves once the window is over and every request has its record. */
  run(): Promise<void> {
    const c = this.c;
    this.readyAt = nowMs();
    const late = this.readyAt - c.startAt;
    log(
      `${c.client}: ${this.planned} requests at ${c.rate}/s to ${hostHeader(c)}${c.path}` +
        (c.longLived ? ` and ${c.longLived.connections} long-lived connections (heartbeat ${c.longLived.heartbeatMs} ms)` : '') +
        `, start ${late >= 0 ? `${late.toFixed(1)} ms ago` : `in ${(-late).toFixed(1)} ms`}`,
    );
    if (late > Math.min(this.intervalMs, 100)) {
      this.warn(`started ${late.toFixed(1)} ms after startAt: the requests already due are sent at once`);
    }
    if (c.longLived) this.startLongLived(c.longLived.connections, c.longLived.heartbeatMs);
    const done = new Promise<void>((resolve) => (this.resolveDone = resolve));
    this.endTimer = setTimeout(() => this.endWindow(), Math.max(0, c.startAt + c.durationMs - nowMs()));
    this.tickTimer = setTimeout(() => this.pump(), Math.max(0, c.startAt - nowMs()));
    return done;
  }

  /** SIGTERM/SIGINT: stop at once, keep what was recorded. */
  stop(): void {
    if (this.finished) return;
    clearTimeout(this.tickTimer);
    clearTimeout(this.endTimer);
    for (const slot of this.slots) slot.stop();
    const abandoned = this.started - this.recorded; // not the lingering sockets that have their record
    for (const r of this.live) r.abort();
    this.live.clear();
    this.finish('signal', abandoned);
  }

  // -------------------------------------------------------------------------
  // New-connection requests
  // -------------------------------------------------------------------------

  /** Starts every request that has come due, then sleeps until the next one. */
  private pump(): void {
    const c = this.c;
    let now = nowMs();
    while (this.next < this.planned) {
      const due = c.startAt + this.next * this.intervalMs;
      if (due > now) break;
      this.next++;
      if (this.inFlight >= this.maxInFlight) {
        if (this.skipped++ === 0) this.warn(`in-flight cap of ${this.maxInFlight} connections reached: due requests skipped`);
        continue;
      }
      const r = this.startOne();
      this.lateness.add(r.t - due);
      now = r.t;
    }
    if (this.next < this.planned) {
      const due = c.startAt + this.next * this.intervalMs;
      // Timers fire no earlier than asked (rounded up to whole ms): never wake up too soon.
      this.tickTimer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(due - nowMs())));
    } else {
      this.tickTimer = undefined;
      this.maybeDone();
    }
  }

  private startOne(): OneShot {
    this.started++;
    this.inFlight++;
    if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    const c = this.c;
    const handle = startOneShot(
      { client: c.client, host: c.host, port: c.port, localAddress: c.localAddress, timeoutMs: c.timeoutMs, request: this.request },
      {
        record: (r) => this.onRecord(r),
        closed: () => {
          this.inFlight--;
          this.live.delete(handle);
        },
      },
    );
    this.live.add(handle);
    return handle;
  }

  private onRecord(r: RequestRecord): void {
    if (this.finished) return;
    this.requests.write(r);
    this.recorded++;
    this.byOutcome[r.outcome]++;
    if (r.outcome === 'ok' && r.server !== undefined) this.byServer[r.server] = (this.byServer[r.server] ?? 0) + 1;
    this.maybeDone();
  }

  // -------------------------------------------------------------------------
  // Long-lived connections
  // -------------------------------------------------------------------------

  private startLongLived(connections: number, heartbeatMs: number): void {
    const c = this.c;
    const request = keepAliveRequest(c);
    for (let k = 0; k < connections; k++) {
      const slot = new LongLivedConnection(
        { client: c.client, connection: k, host: c.host, port: c.port, localAddress: c.localAddress, heartbeatMs, timeoutMs: c.timeoutMs, request },
        {
          event: (e) => {
            if (this.finished) return;
            this.longLivedOut.write(e);
            this.events[e.kind]++;
            if (e.breakKind) this.breaks[e.breakKind]++;
          },
          heartbeatSent: () => this.heartbeats.sent++,
          heartbeatAnswered: () => this.heartbeats.answered++,
          log: (m) => log(`${c.client}: ${m}`),
        },
      );
      this.slots.push(slot);
      // Spread the slots over one heartbeat so their requests (and the moments a silent
      // failure is detected) do not all fall on the same tick.
      slot.start(c.startAt + (k * heartbeatMs) / connections - nowMs());
    }
  }

  // -------------------------------------------------------------------------
  // The end
  // -------------------------------------------------------------------------

  private endWindow(): void {
    this.windowOver = true;
    for (const slot of this.slots) slot.stop();
    this.maybeDone();
  }

  private maybeDone(): void {
    if (this.finished || !this.windowOver || this.next < this.planned || this.recorded < this.started) return;
    // Sockets still waiting for the server's FIN after their answer are not needed any more.
    for (const r of this.live) r.abort();
    this.finish('done', 0);
  }

  private finish(stoppedBy: GeneratorSummary['stoppedBy'], abandoned: number): void {
    this.finished = true;
    this.requests.close();
    this.longLivedOut.close();
    const summary = this.summary(stoppedBy, abandoned);
    writeJsonAtomically(this.c.summaryPath, summary);
    log(
      `${this.c.client}: ${stoppedBy === 'done' ? 'done' : 'stopped by a signal'}: ${summary.requests.started} started ` +
        `(${summary.achievedRate.toFixed(1)}/s), ` +
        Object.entries(summary.requests.byOutcome)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') +
        `, lateness max ${summary.lateness.maxMs.toFixed(2)} ms`,
    );
    this.resolveDone();
  }

  private summary(stoppedBy: GeneratorSummary['stoppedBy'], abandoned: number): GeneratorSummary {
    const c = this.c;
    const finishedAt = nowMs();
    const ranMs = stoppedBy === 'done' ? c.durationMs : Math.min(c.durationMs, Math.max(0, finishedAt - c.startAt));
    const cpu = process.cpuUsage();
    const summary: GeneratorSummary = {
      version: GENERATOR_CONFIG_VERSION,
      client: c.client,
      pid: process.pid,
      target: `${hostHeader(c)}${c.path}`,
      stoppedBy,
      plannedStart: c.startAt,
      plannedEnd: c.startAt + c.durationMs,
      readyAt: round3(this.readyAt),
      finishedAt: round3(finishedAt),
      rate: c.rate,
      durationMs: c.durationMs,
      timeoutMs: c.timeoutMs,
      requests: {
        planned: this.planned,
        started: this.started,
        skipped: this.skipped,
        abandoned,
        recorded: this.recorded,
        byOutcome: { ...this.byOutcome },
        byServer: { ...this.byServer },
      },
      achievedRate: ranMs > 0 ? round3((this.started * 1000) / ranMs) : 0,
      lateness: {
        maxMs: round3(this.lateness.maxMs),
        meanMs: round3(this.lateness.meanMs),
        p99Ms: round3(this.lateness.quantileMs(0.99)),
      },
      maxInFlight: this.maxInFlight,
      peakInFlight: this.peakInFlight,
      cpu: { userMs: round3(cpu.user / 1000), systemMs: round3(cpu.system / 1000) },
      warnings: this.warnings,
    };
    if (c.longLived) {
      summary.longLived = {
        connections: c.longLived.connections,
        heartbeatMs: c.longLived.heartbeatMs,
        heartbeats: { ...this.heartbeats },
        events: { ...this.events },
        breaks: { ...this.breaks },
      };
    }
    return summary;
  }

  private warn(message: string): void {
    this.warnings.push(message);
    log(`${this.c.client}: warning: ${message}`);
  }

  /** Every connection is a file descriptor: say so up front if the limit is too low. */
  private checkFileLimit(): void {
    const need = this.maxInFlight + (this.c.longLived?.connections ?? 0) + 64;
    const limit = openFilesLimit();
    if (limit !== undefined && need > limit) {
      this.warn(`open files limit ${limit} is below the ${need} descriptors this config may need: requests may fail with EMFILE`);
    }
  }
}

/** Soft RLIMIT_NOFILE from /proc (undefined where there is no /proc). */
function openFilesLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function writeJsonAtomically(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} lvslab-traffic ${message}\n`);
}

function readConfig(argv: string[]): GeneratorConfig {
  const i = argv.indexOf('--config');
  const path = i >= 0 ? argv[i + 1] : undefined;
  if (!path) throw new Error('usage: generator --config FILE');
  const config = validateGeneratorConfig(JSON.parse(readFileSync(path, 'utf8')));
  const ahead = config.startAt - Date.now();
  if (ahead > GENERATOR_LIMITS.maxStartDelayMs) {
    throw new Error(`${path}: startAt is ${(ahead / 1000).toFixed(0)} s in the future (limit ${GENERATOR_LIMITS.maxStartDelayMs / 1000} s): is it in epoch milliseconds?`);
  }
  return config;
}

function main(): void {
  let config: GeneratorConfig;
  try {
    config = readConfig(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`lvslab-traffic: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  let generator: Generator;
  try {
    generator = new Generator(config);
  } catch (e) {
    process.stderr.write(`lvslab-traffic: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      generator.stop();
      process.exit(0);
    });
  }
  generator.run().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`lvslab-traffic: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}

main();
