// healthd: the nftables fallback's stand-in for keepalived's checker process. Runs inside
// one director's network namespace (`node dist/dataplane/healthd.js --config FILE`),
// applies the dataplane, health-checks every real server of the director's services, and
// swaps a service's pool in the ruleset whenever a server goes down or comes back.
// One log line per event on stdout; its state in a JSON file for `status` and readiness.
// SIGTERM stops it and leaves the ruleset in place (the namespace goes away with the lab).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { applyIpBatch, applyNft, applySysctls } from './apply.js';
import { detectIpipTunnels } from './detect.js';
import { HealthChecker, type CheckOutcome, type HealthEvent } from './healthcheck.js';
import { endpoint, eventLines, logLine } from './healthd-messages.js';
import {
  HEALTHD_CONFIG_VERSION,
  type HealthdConfig,
  type HealthdRealServerState,
  type HealthdServiceState,
  type HealthdState,
} from './healthd-types.js';
import { poolOf, renderNftDataplane, renderServicePool, type Pool } from './nft-render.js';
import { planDirector, type DestinationPlan, type DirectorPlan, type ServicePlan } from './plan.js';
import { probe, type ProbeTarget } from './probe.js';
import { run } from '../util/exec.js';

interface Checked {
  svc: ServicePlan;
  dest: DestinationPlan;
  checker: HealthChecker;
  target: ProbeTarget;
  /** keepalived names: `[rs]:tcp:80` and `[vip]:tcp:80`. */
  rsName: string;
  vsName: string;
}

class Healthd {
  private readonly plan: DirectorPlan;
  private readonly checked: Checked[] = [];
  private readonly sorryActive = new Map<string, boolean>();
  private readonly startedAt = new Date();
  private notes: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private applying: Promise<void> = Promise.resolve();
  private rulesetApplied = false;
  private stopping = false;
  /** Guarded VIPs: service -> announced in ospfd right now (false until a real server passes; see syncAnnouncements). */
  private readonly announced = new Map<string, boolean>();
  private announcing: Promise<void> = Promise.resolve();

  constructor(private readonly config: HealthdConfig) {
    this.plan = planDirector({ services: config.services }, config.director);
    const start = Date.now();
    for (const svc of this.plan.services) {
      const s = svc.service;
      const hc = s.healthCheck;
      for (const dest of svc.realServers) {
        this.checked.push({
          svc,
          dest,
          checker: new HealthChecker(
            {
              delayLoopMs: hc.delayLoop * 1000,
              connectTimeoutMs: hc.connectTimeout * 1000,
              retry: hc.retry,
              delayBeforeRetryMs: hc.delayBeforeRetry * 1000,
              warmupMs: config.warmupMs ?? 0,
            },
            start,
          ),
          target: {
            address: dest.address,
            port: dest.port,
            type: hc.type,
            path: hc.path,
            status: hc.status,
            timeoutMs: hc.connectTimeout * 1000,
          },
          rsName: endpoint(dest.address, s.protocol, dest.port),
          vsName: endpoint(s.vip, s.protocol, s.port),
        });
      }
      this.sorryActive.set(s.name, false);
    }
  }

  async start(): Promise<void> {
    const c = this.config;
    log(`lvslab healthd ${c.instance}/${c.director.name} starting (pid ${process.pid})`);
    if (c.pidPath) writeFileSync(c.pidPath, `${process.pid}\n`);
    const tunnels = this.plan.services.some((s) => s.service.forwarding === 'tun')
      ? (await detectIpipTunnels()).available
      : false;
    const dataplane = renderNftDataplane({ services: c.services }, c.director, undefined, { tunnels });
    this.notes = dataplane.notes;
    // Loud on purpose: results measured on this dataplane are not kernel IPVS results.
    dataplane.notes.forEach((note, i) => log(i === 0 ? `WARNING: ${note}` : `note: ${note}`));
    if (c.applyNetwork ?? true) {
      await applySysctls(dataplane.sysctls);
      await applyIpBatch(dataplane.ipBatch);
    }
    await applyNft(dataplane.nft);
    this.rulesetApplied = true;
    log(`nftables fallback dataplane applied (table ip lvslab, ${this.plan.services.length} virtual server(s))`);
    for (const ch of this.checked) log(`Activating healthchecker for service ${ch.rsName} for VS ${ch.vsName}`);
    if (this.checked.length === 0) {
      log(`director ${c.director.name} forwards no virtual server: nothing to check`);
      // Stay up like any daemon the runtime started, until it is told to stop.
      setInterval(() => undefined, 1 << 30);
    }
    this.writeState();
    this.tick();
  }

  /** Starts every due check, then sleeps until the next one is due. */
  private tick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopping) return;
    const now = Date.now();
    for (const ch of this.checked) if (ch.checker.isDue(now)) this.runCheck(ch, now);
    const next = Math.min(...this.checked.map((ch) => ch.checker.dueAt() ?? Infinity));
    if (Number.isFinite(next)) this.timer = setTimeout(() => this.tick(), Math.max(0, next - Date.now()));
  }

  private runCheck(ch: Checked, now: number): void {
    ch.checker.begin(now);
    probe(ch.target)
      .catch((e: unknown): CheckOutcome => ({ ok: false, failure: 'error', detail: String(e) }))
      .then((outcome) => {
        if (this.stopping) return;
        const events = ch.checker.complete(Date.now(), outcome);
        this.report(ch, events);
        if (events.some((e) => e.kind === 'up' || e.kind === 'down')) this.reapplyPool(ch.svc);
        this.syncAnnouncements();
        this.writeState();
        this.tick();
      });
  }

  private report(ch: Checked, events: HealthEvent[]): void {
    const s = ch.svc.service;
    for (const e of events) {
      for (const line of eventLines(e, s.healthCheck.type, ch.rsName, ch.vsName, s.inhibitOnFailure)) log(line);
    }
  }

  /** Queues a pool swap for the service; swaps run one at a time, each with the latest health. */
  private reapplyPool(svc: ServicePlan): void {
    this.applying = this.applying.then(async () => {
      const name = svc.service.name;
      const healthy = this.healthyOf(svc);
      const pool = poolOf(svc, healthy);
      this.reportQuorum(svc, pool);
      const began = Date.now();
      try {
        await applyNft(renderServicePool(this.plan, name, healthy));
        const members = pool.entries.map((e) => `${e.dest.realServer}=${e.weight}`).join(' ') || '(empty)';
        log(`nftables pool of VS ${endpoint(svc.service.vip, svc.service.protocol, svc.service.port)} now ${members} (applied in ${Date.now() - began} ms)`);
      } catch (e) {
        log(`ERROR: could not update the pool of service ${name}: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.writeState();
    });
  }

  private reportQuorum(svc: ServicePlan, pool: Pool): void {
    const s = svc.service;
    const was = this.sorryActive.get(s.name) ?? false;
    if (was === pool.sorryActive || !svc.sorry) return;
    this.sorryActive.set(s.name, pool.sorryActive);
    const vs = endpoint(s.vip, s.protocol, s.port);
    const sorry = endpoint(svc.sorry.address, s.protocol, svc.sorry.port);
    if (pool.sorryActive) {
      log(`Lost quorum for VS ${vs}`);
      log(`Adding sorry server ${sorry} to VS ${vs}`);
    } else {
      log(`Gained quorum for VS ${vs}`);
      log(`Removing sorry server ${sorry} from VS ${vs}`);
    }
  }

  /**
   * Announce only what can be served: a guarded VIP is in the running ospfd while at least
   * one of its real servers is up here, and out of it otherwise. Called after every check, so
   * a change takes effect with the check that caused it, and a vtysh that failed (ospfd not
   * answering yet) is tried again at the next check. One change at a time, in order.
   */
  private syncAnnouncements(): void {
    for (const hook of this.config.announce ?? []) {
      const svc = this.plan.services.find((s) => s.service.name === hook.service);
      if (!svc) continue;
      const serving = this.healthyOf(svc).length > 0;
      if (this.announced.get(hook.service) === serving) continue;
      // Everything checked at least once before the first withdrawal, so start-up says "not yet", not "down".
      if (!serving && this.announced.get(hook.service) === undefined && !this.checked.filter((c) => c.svc === svc).every((c) => c.checker.snapshot().checks > 0)) continue;
      this.announced.set(hook.service, serving);
      this.announcing = this.announcing.then(async () => {
        const began = Date.now();
        const r = await run(['vtysh', ...(serving ? hook.up : hook.down)], { timeoutMs: 5000 }).catch((e: unknown) => ({ code: -1, stdout: '', stderr: String(e) }));
        const what = serving ? `announcing ${hook.vip}/32 over OSPF (a real server of ${hook.service} passes its check)` : `withdrawing ${hook.vip}/32 from OSPF (no real server of ${hook.service} passes its check)`;
        if (r.code === 0) {
          log(`${what}: done in ${Date.now() - began} ms`);
        } else {
          log(`ERROR: ${what}: vtysh exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
          this.announced.delete(hook.service); // unknown again: the next check retries
        }
        this.writeState();
      });
    }
  }

  private healthyOf(svc: ServicePlan): string[] {
    return this.checked.filter((ch) => ch.svc === svc && ch.checker.snapshot().up).map((ch) => ch.dest.realServer);
  }

  async stop(signal: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    log(`Stopping healthd on ${signal}: the dataplane ruleset stays in place`);
    // A pool swap under way finishes first, so the ruleset is never left half-updated.
    await Promise.race([this.applying, new Promise((r) => setTimeout(r, 5000))]);
    this.writeState();
  }

  fail(message: string): void {
    log(`ERROR: ${message}`);
    this.stopping = true;
    this.writeState(message);
  }

  private writeState(error?: string): void {
    const services: Record<string, HealthdServiceState> = {};
    for (const svc of this.plan.services) {
      const s = svc.service;
      const pool = poolOf(svc, this.healthyOf(svc));
      const realServers: Record<string, HealthdRealServerState> = {};
      for (const ch of this.checked.filter((c) => c.svc === svc)) {
        const snap = ch.checker.snapshot();
        const state: HealthdRealServerState = {
          address: ch.dest.address,
          port: ch.dest.port,
          weight: ch.dest.weight,
          up: snap.up,
          since: new Date(snap.since).toISOString(),
          checks: snap.checks,
          failures: snap.failures,
        };
        if (snap.last) {
          state.lastCheck = {
            at: new Date(snap.last.at).toISOString(),
            ok: snap.last.outcome.ok,
            detail: snap.last.outcome.detail,
            durationMs: snap.last.at - snap.last.startedAt,
          };
        }
        realServers[ch.dest.realServer] = state;
      }
      services[s.name] = {
        vip: s.vip,
        port: s.port,
        protocol: s.protocol,
        forwarding: s.forwarding,
        scheduler: s.scheduler,
        sorryActive: pool.sorryActive,
        pool: pool.entries.map((e) => ({
          realServer: e.dest.realServer,
          address: e.dest.address,
          port: e.dest.port,
          weight: e.weight,
        })),
        realServers,
        ...(this.announced.has(s.name) ? { announced: this.announced.get(s.name)! } : {}),
      };
    }
    const state: HealthdState = {
      version: HEALTHD_CONFIG_VERSION,
      director: this.config.director.name,
      pid: process.pid,
      startedAt: this.startedAt.toISOString(),
      updatedAt: new Date().toISOString(),
      dataplane: 'nftables',
      ready: this.rulesetApplied && !error && this.checked.every((ch) => ch.checker.snapshot().checks > 0),
      running: !this.stopping,
      notes: this.notes,
      services,
    };
    if (error) state.error = error;
    try {
      writeJsonAtomically(this.config.statePath, state);
    } catch (e) {
      // Checking and forwarding go on; `status` just sees an older state.
      log(`ERROR: cannot write ${this.config.statePath}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

function writeJsonAtomically(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}

function log(message: string): void {
  process.stdout.write(logLine(new Date(), message) + '\n');
}

function readConfig(argv: string[]): HealthdConfig {
  const i = argv.indexOf('--config');
  const path = i >= 0 ? argv[i + 1] : undefined;
  if (!path) throw new Error('usage: healthd --config FILE');
  const config = JSON.parse(readFileSync(path, 'utf8')) as HealthdConfig;
  if (config.version !== HEALTHD_CONFIG_VERSION) {
    throw new Error(`${path}: config version ${String(config.version)}, this healthd reads ${HEALTHD_CONFIG_VERSION}`);
  }
  return config;
}

async function main(): Promise<void> {
  let config: HealthdConfig;
  try {
    config = readConfig(process.argv.slice(2));
  } catch (e) {
    log(`ERROR: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  }
  let daemon: Healthd;
  try {
    daemon = new Healthd(config);
  } catch (e) {
    log(`ERROR: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      void daemon.stop(signal).then(() => process.exit(0));
    });
  }
  try {
    await daemon.start();
  } catch (e) {
    daemon.fail(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}

await main();
