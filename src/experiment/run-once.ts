// One run of a bound experiment on a lab that is up: start the route monitors, start one
// traffic generator per client and service (all on the same start tick), carry out the
// timeline at its times while taking snapshots around it, wait for the generators to
// finish, then gather every record, log and snapshot. No figure is computed here. With
// --capture, every link's packet capture runs from before the first request until the
// generators have finished, and its pcap lands in the run directory.
import type { Dataplane, ResolvedLab, ResolvedService } from '../model/types.js';
import type { Runtime } from '../runtime/runtime.js';
import { basename } from 'node:path';
import { pollUntil } from '../util/poll.js';
import { planOf, type LabSession } from '../lab/session.js';
import { LvslabError } from '../util/errors.js';
import { generatorArgv, generatorFiles, generatorScriptIn, GENERATOR_CONFIG_VERSION, type GeneratorConfig, type GeneratorSummary } from '../traffic/generator-types.js';
import type { BoundExperiment } from './bind.js';
import { performStep } from './actions.js';
import { readMonitors, settleCounters, startMonitors, takeCounterSnapshot, takeSnapshot } from './collect.js';
import type { ActionRecord, CaptureRecord, CounterSnapshot, Snapshot } from './types.js';
import { startRunCaptures, type RunCaptures } from '../capture/run-captures.js';
import { measureClockOffset } from '../host/clock.js';
import { onHostClock, runClock, type OtherHostClock, type RunClock } from './host-clock.js';

/**
 * Time given to the generators' processes to start before the common first tick, beyond
 * what starting them takes here: they are started one after another, and each must be
 * running before its first request is due (a late one sends every request already due at
 * once). On an idle host a Node.js start takes ~50 ms; under CPU emulation seconds.
 */
const START_LEAD_MS = 1500;
/**
 * The snapshots around a step are taken this long before it at least (one takes ~0.2 s on
 * an idle host), or longer where the start snapshot took longer (a loaded machine, CPU
 * emulation), so that a snapshot never delays the step after it.
 */
const SNAPSHOT_LEAD_MS = 700;

export interface RunProgress {
  (event: { kind: 'capture' | 'traffic-start' | 'step' | 'traffic-end' | 'collected'; text: string; t: number }): void;
}

export interface RunOnceOptions {
  /** Capture every link's packets into this run directory's captures/ (run --capture). */
  captureDir?: string;
}

/** Everything one run observed, as raw text and records (parsed by the figures code). */
export interface RawRun {
  run: number;
  trafficStart: number;
  trafficEnd: number;
  actions: ActionRecord[];
  snapshots: Snapshot[];
  /** Director counters read at each timeline step's start: the phases' inner boundaries. */
  counterSnapshots: CounterSnapshot[];
  /** client -> service -> generator output files' text. */
  generators: Array<{ client: string; service: string; requests: string; longLived: string; summary: GeneratorSummary | undefined }>;
  /** router -> `ip -ts monitor route` output. */
  routeMonitor: Record<string, string>;
  /** router -> `ip -ts monitor neigh` output (routers that reach a VRRP VIP as a neighbour; absent in records of older runs). */
  neighbourMonitor?: Record<string, string>;
  /** node -> daemon log name -> text (frr.log, keepalived.log, healthd.log, nginx-access.log). */
  logs: Record<string, Record<string, string>>;
  /** With --capture: each link's capture, its pcap already written to the run directory. */
  captures?: CaptureRecord[];
  /** The lab host's clock against lvslab's, at the start and end; lvslab's timestamps above are already on the host's clock. */
  clock: RunClock;
  /**
   * Machines other than the lab host that ran some of the nodes (a GNS3 lab over computes on
   * several machines), with their clocks against lvslab's. Their nodes' timestamps are not
   * moved: they are compared with the lab host's as they are, off by the clocks' difference.
   */
  otherHostClocks?: OtherHostClock[];
}

interface GeneratorJob {
  client: string;
  service: ResolvedService;
  dir: string;
  config: GeneratorConfig;
}

export async function runOnce(
  session: LabSession,
  exp: BoundExperiment,
  run: number,
  progress: RunProgress,
  opts: RunOnceOptions = {},
): Promise<RawRun> {
  const { runtime, lab } = session;
  const dataplane = session.decision.dataplane;
  // Before anything is timed: the generators' start and every later figure use this offset.
  const clockAtStart = await measureClockOffset(runtime.host);
  const otherHosts = runtime.otherLabHosts?.(lab.instance) ?? [];
  const otherClocksAtStart = await Promise.all(otherHosts.map((o) => measureClockOffset(o.host)));
  const stopMonitors = await startMonitors(runtime, lab, run);
  const snapshots: Snapshot[] = [];
  const counterSnapshots: CounterSnapshot[] = [];
  const actions: ActionRecord[] = [];
  // The start snapshot is the baseline of every counter delta: it must include every
  // connection made before the run (readiness probes...) and none of the run's own, so it
  // is taken once IPVS's counters have settled and before any generator starts.
  await settleCounters(runtime, lab, dataplane);
  const startSnapshotAt = Date.now();
  snapshots.push(await takeSnapshot(runtime, lab, dataplane, 'start'));
  const snapshotLeadMs = Math.max(SNAPSHOT_LEAD_MS, Math.round(1.5 * (Date.now() - startSnapshotAt)));
  // Link lookups the runtime needs (GNS3's link ids) happen now, not inside a timed step.
  await runtime.prepareLinks?.(lab.instance, exp.steps.filter((s) => s.iface).map((s) => ({ node: s.node.name, iface: s.iface! })));
  // How long one reading of the counters takes here, to centre the ones at the steps on them.
  let readMs = exp.steps.length > 0 ? await timeCounterRead(runtime, lab, dataplane) : 0;
  const durationMs = exp.durationS * 1000;
  const jobs = generatorJobs(runtime, lab, exp, run, durationMs);
  const startMs = jobs.length > 0 ? await timeProgramStart(runtime, lab, jobs[0]!.client) : 0;
  // Captures run before the traffic's start lead is counted: starting them takes its own time.
  let captures: RunCaptures | undefined;
  let captureRecords: CaptureRecord[] | undefined;
  if (opts.captureDir !== undefined) {
    captures = await startRunCaptures(runtime, lab, opts.captureDir);
    progress({ kind: 'capture', text: `capturing ${captures.running} links${captures.failed > 0 ? ` (${captures.failed} captures FAILED to start)` : ''}`, t: Date.now() });
  }
  const trafficStart = Date.now() + START_LEAD_MS + (jobs.length + 1) * startMs;
  const trafficEnd = trafficStart + durationMs;
  // The generators wait for this moment on the lab host's clock.
  for (const job of jobs) job.config.startAt = Math.round(trafficStart + clockAtStart.offsetMs);
  try {
    for (const job of jobs) {
      const files = generatorFiles(job.dir, job.client);
      const program = runtime.nodePaths(lab.instance, job.client).lvslab;
      // An earlier `lvslab run` on this instance left this run number's files: its summary
      // would end the wait for this run's generators at once.
      await runtime.exec(lab.instance, job.client, ['rm', '-rf', '--', job.dir]);
      await runtime.makeDirs(lab.instance, job.client, [{ path: job.dir }]);
      await runtime.writeFile(lab.instance, job.client, files.config, JSON.stringify(job.config, null, 2) + '\n');
      await runtime.startDaemon(lab.instance, job.client, {
        name: 'traffic',
        argv: generatorArgv(files.config, generatorScriptIn(program.dist), program.node),
        pidFile: `${job.dir}/${job.client}.traffic.pid`,
        selfDaemonizing: false,
        logFile: files.log,
      });
    }
    await waitUntil(trafficStart);
    progress({ kind: 'traffic-start', text: `traffic started from ${jobs.map((j) => j.client).join(', ')}`, t: Date.now() });

    const steps = exp.steps;
    const beforeAt = steps.length > 0 ? trafficStart + steps[0]!.at * 1000 - snapshotLeadMs : undefined;
    const duringAt = steps.length >= 2 ? trafficStart + steps[steps.length - 1]!.at * 1000 - snapshotLeadMs : steps.length === 1 ? trafficEnd - snapshotLeadMs : undefined;
    // The steps keep their times whatever the readings around them cost: the phase snapshots
    // and the counter readings run beside the steps, never in front of them. Under load (CPU
    // emulation with traffic running) one snapshot has taken longer than its lead, and a step
    // that waited for it ran seconds late, so its phases no longer matched the experiment's.
    // A reading that fails is held until the steps are done (a rejection nobody awaits yet
    // would end the process), then fails the run as it did when it was awaited in line.
    const readings: Promise<void>[] = [];
    const readingErrors: unknown[] = [];
    const beside = (reading: Promise<void>) => readings.push(reading.catch((e: unknown) => void readingErrors.push(e)));
    const snapshotAt = (at: number, phase: 'before' | 'during') =>
      beside(
        (async () => {
          await waitUntil(at);
          snapshots.push(await takeSnapshot(runtime, lab, dataplane, phase));
        })(),
      );
    if (beforeAt !== undefined) snapshotAt(beforeAt, 'before');
    if (duringAt !== undefined) snapshotAt(duringAt, 'during');
    for (const step of steps) {
      const due = trafficStart + step.at * 1000;
      // The phase boundary is the step's start: read the counters around it, so per-phase
      // director counts are differences of readings at the boundaries. The read is centred
      // on the step (half the last read's duration ahead) and runs alongside it: reads take
      // 0.05-0.3 s on a busy machine, and the step keeps its time instead of waiting. The
      // read's span is the boundary's resolution (figures/director-counts.ts).
      await waitUntil(due - readMs / 2);
      beside(
        takeCounterSnapshot(runtime, lab, dataplane, step.step).then((read) => {
          counterSnapshots.push(read);
          readMs = read.tEnd - read.t;
        }),
      );
      await waitUntil(due);
      const record = await performStep(session, step, due);
      actions.push(record);
      progress({ kind: 'step', text: `t=${step.at}s ${step.action} ${record.node}${record.interface ? `:${record.interface}` : ''}${record.daemon ? ` ${record.daemon}` : ''}${record.ok ? '' : ` FAILED: ${record.detail}`}`, t: Date.now() });
    }
    await Promise.all(readings);
    if (readingErrors.length > 0) throw readingErrors[0];
    snapshots.sort((a, b) => a.t - b.t);

    // The generators finish on their own: the window ends, then in-flight requests time out.
    const maxTimeout = Math.max(0, ...jobs.map((j) => j.config.timeoutMs));
    const done = await pollUntil(
      async () => {
        const all = await Promise.all(jobs.map((j) => runtime.readFile(lab.instance, j.client, generatorFiles(j.dir, j.client).summary)));
        return { done: all.every((s) => s !== undefined), value: null };
      },
      { timeoutMs: Math.max(0, trafficEnd - Date.now()) + maxTimeout + 15_000, intervalMs: 200 },
    );
    if (!done.ok) throw new LvslabError(`traffic generators did not finish (see ${jobs.map((j) => generatorFiles(j.dir, j.client).log).join(', ')})`);
    progress({ kind: 'traffic-end', text: 'traffic ended', t: Date.now() });
    if (captures) {
      captureRecords = await captures.stop();
      progress({ kind: 'capture', text: captureSummary(captureRecords), t: Date.now() });
    }
    await settleCounters(runtime, lab, dataplane);
    snapshots.push(await takeSnapshot(runtime, lab, dataplane, 'after'));
  } finally {
    // A run that failed half-way stops its captures too (the same stop: it runs once), so no
    // tcpdump or GNS3 capture outlives it; its records go with the error.
    await captures?.stop().catch(() => undefined);
    await stopMonitors();
  }

  const generators = await Promise.all(
    jobs.map(async (j) => {
      const f = generatorFiles(j.dir, j.client);
      const summaryText = await runtime.readFile(lab.instance, j.client, f.summary);
      return {
        client: j.client,
        service: j.service.name,
        requests: (await runtime.readFile(lab.instance, j.client, f.requests)) ?? '',
        longLived: (await runtime.readFile(lab.instance, j.client, f.longLived)) ?? '',
        summary: summaryText ? (JSON.parse(summaryText) as GeneratorSummary) : undefined,
      };
    }),
  );
  const routeMonitor = await readMonitors(runtime, lab, run, 'route');
  const neighbourMonitor = await readMonitors(runtime, lab, run, 'neigh');
  const logs = await readDaemonLogs(session);
  progress({ kind: 'collected', text: `collected ${generators.reduce((n, g) => n + g.requests.split('\n').filter(Boolean).length, 0)} request records`, t: Date.now() });
  const clock = runClock(clockAtStart, await measureClockOffset(runtime.host));
  const otherHostClocks = await Promise.all(
    otherHosts.map(async (o, i) => ({ host: o.host.label, nodes: o.nodes, clock: runClock(otherClocksAtStart[i]!, await measureClockOffset(o.host)) })),
  );
  return onHostClock(
    { run, trafficStart, trafficEnd, actions, snapshots, counterSnapshots, generators, routeMonitor, neighbourMonitor, logs, ...(captureRecords ? { captures: captureRecords } : {}), ...(otherHosts.length ? { otherHostClocks } : {}) },
    clock,
  );
}

/** The progress line once the captures stopped: "9 pcaps written (1.2 MB) in captures/", and how many failed. */
function captureSummary(records: CaptureRecord[]): string {
  const written = records.filter((r) => r.file !== undefined);
  const bytes = written.reduce((n, r) => n + (r.bytes ?? 0), 0);
  const failed = records.length - written.length;
  return `${written.length} pcaps written (${(bytes / 1e6).toFixed(1)} MB) in captures/${failed > 0 ? `, ${failed} captures FAILED (see results.json captures)` : ''}`;
}

/** How long (ms) starting lvslab's Node.js in `node` takes here: the generators' start cost. */
async function timeProgramStart(runtime: Runtime, lab: ResolvedLab, node: string): Promise<number> {
  const t0 = Date.now();
  await runtime.exec(lab.instance, node, [runtime.nodePaths(lab.instance, node).lvslab.node, '-e', '0']);
  return Date.now() - t0;
}

/** Duration (ms) of one reading of every director's counters, taken before the traffic. */
async function timeCounterRead(runtime: Runtime, lab: ResolvedLab, dataplane: Dataplane): Promise<number> {
  const probe = await takeCounterSnapshot(runtime, lab, dataplane, -1);
  return probe.tEnd - probe.t;
}

/** One generator per (client, service): its rate is the sum of the traffic entries for it. */
function generatorJobs(runtime: Runtime, lab: ResolvedLab, exp: BoundExperiment, run: number, durationMs: number): GeneratorJob[] {
  const jobs = new Map<string, GeneratorJob>();
  const job = (client: string, service: ResolvedService): GeneratorJob => {
    const key = `${client}/${service.name}`;
    let j = jobs.get(key);
    if (!j) {
      const dir = `${runtime.nodePaths(lab.instance, client).run}/traffic-${run}/${service.name}`;
      const files = generatorFiles(dir, client);
      j = {
        client,
        service,
        dir,
        config: {
          version: GENERATOR_CONFIG_VERSION,
          client,
          host: service.vip,
          port: service.port,
          path: '/',
          rate: 0,
          durationMs,
          timeoutMs: 1000,
          startAt: 0, // set once the start lead is known
          requestsPath: files.requests,
          longLivedPath: files.longLived,
          summaryPath: files.summary,
        },
      };
      jobs.set(key, j);
    }
    return j;
  };
  for (const t of exp.traffic) {
    const j = job(t.client, t.service);
    j.config.rate += t.rate;
    j.config.timeoutMs = t.timeoutMs;
  }
  for (const l of exp.longLived) {
    const j = job(l.client, l.service);
    j.config.longLived = { connections: (j.config.longLived?.connections ?? 0) + l.connections, heartbeatMs: l.heartbeatMs };
  }
  return [...jobs.values()];
}

/** The daemons' logs that figures read, as each node's plan names them. */
async function readDaemonLogs(session: LabSession): Promise<Record<string, Record<string, string>>> {
  const { runtime, lab } = session;
  const out: Record<string, Record<string, string>> = {};
  for (const node of lab.nodes) {
    for (const path of planOf(session, node.name).logs) {
      const text = await runtime.readFile(lab.instance, node.name, path);
      if (text !== undefined) (out[node.name] ??= {})[basename(path)] = text;
    }
  }
  return out;
}

/** Waits until a wall-clock time: the timeline is a schedule, not a synchronisation. */
async function waitUntil(epochMs: number): Promise<void> {
  const wait = epochMs - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
