// `lvslab run EXPERIMENT`: bind the experiment to its lab (refusing before anything is
// created if it cannot run there), bring the lab up unless it already is, run it K times
// on one session (runtime, lab, dataplane, node plans), analyse each run and write its
// reports, and take the lab down again unless --keep. With --capture, what the captures need
// of the host is checked before anything is created too.
import { mkdir } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import type { DataplaneChoice, ResolvedLab } from '../model/types.js';
import type { Runtime, RuntimeKind, RuntimeSettings } from '../runtime/runtime.js';
import { checkTcpdump } from '../host/checks.js';
import { runtimeOfKind } from '../runtime/select.js';
import { defaultRuntimeKind } from '../runtime/registry.js';
import { loadState, type InstanceState } from '../runtime/instance-record.js';
import { resolveLabArgument } from '../lab/catalogue.js';
import { checkReadiness } from '../lab/readiness.js';
import { decideDataplane, loadLabForUp, probeHost, up, type UpEvents } from '../lab/up.js';
import { openSession, type LabSession } from '../lab/session.js';
import { down } from '../lab/down.js';
import { EXIT, LvslabError } from '../util/errors.js';
import { pollUntil } from '../util/poll.js';
import { bindExperiment, type BoundExperiment } from './bind.js';
import { loadExperimentFile } from './load.js';
import { runOnce, type RunProgress } from './run-once.js';
import { analyzeRun, aggregateRepeat } from './analyze.js';
import { writeRunReports, writeRepeatReports } from './reports.js';
import type { RepeatResults, RunResults } from './types.js';

export interface RunExperimentOptions {
  experimentFile: string;
  /** LAB argument; default the experiment's `lab:`. */
  lab?: string;
  instance?: string;
  repeat: number;
  outDir?: string;
  /** Leave a lab this command brought up running afterwards. */
  keep: boolean;
  dataplane?: DataplaneChoice;
  /** Runtime for a lab this command brings up (an instance that is up keeps its own). */
  runtime?: RuntimeKind;
  /** That runtime's own flags (--gns3-url, ...). */
  runtimeSettings?: RuntimeSettings;
  upTimeoutMs: number;
  /** Keep a pcap of every link for each run, in its directory's captures/. */
  capture?: boolean;
}

export interface RunExperimentResult {
  dir: string;
  runs: RunResults[];
  repeat?: RepeatResults;
  passed: boolean;
}

export interface RunEvents extends UpEvents {
  progress: RunProgress;
  runStart(run: number, of: number): void;
  runDone(run: number, results: RunResults, dir: string): void;
}

export async function runExperiment(opts: RunExperimentOptions, events: RunEvents): Promise<RunExperimentResult> {
  const loaded = await loadExperimentFile(opts.experimentFile);
  const labArg = opts.lab ?? loaded.experiment.lab;
  if (!labArg) {
    throw new LvslabError(`${opts.experimentFile} names no lab: give one with --lab`, EXIT.invalidInput, 'lvslab run EXPERIMENT --lab ospf-ecmp');
  }
  const labFile = await resolveLabArgument(labArg);
  const lab = await loadLabForUp(labFile, opts.instance, events);
  const record = await loadState(lab.instance);

  // The lab, its runtime, dataplane and node plans, once for every run. The experiment is
  // bound to the dataplane that runs, before anything is created.
  let session: LabSession;
  let bound: BoundExperiment;
  let broughtUp = false;
  if (record) {
    refuseToReuse(record, lab, opts);
    session = await openSession(record);
    bound = bindExperiment(loaded, session.lab, session.decision.dataplane);
    if (opts.capture) await requireCapture(session.runtime);
  } else {
    const kind = opts.runtime ?? defaultRuntimeKind();
    const runtime = await runtimeOfKind(kind, opts.runtimeSettings);
    const host = probeHost(kind, runtime.host);
    const decision = await decideDataplane(opts.dataplane ?? lab.dataplane, lab, (await host).ipvs);
    bound = bindExperiment(loaded, lab, decision.dataplane);
    if (opts.capture) await requireCapture(runtime);
    const result = await up(runtime, { lab, dataplane: decision, host, timeoutMs: opts.upTimeoutMs }, events);
    session = result.session;
    broughtUp = true;
  }

  const dir = resolvePath(opts.outDir ?? `results/${loaded.experiment.name}-${timestampForPath()}`);
  try {
    await mkdir(dir, { recursive: true });
    const runs: RunResults[] = [];
    for (let k = 1; k <= opts.repeat; k++) {
      if (k > 1) await waitReady(session);
      events.runStart(k, opts.repeat);
      // Each run's directory is made first: its captures are written there as they stop.
      const runDir = opts.repeat === 1 ? dir : `${dir}/run-${k}`;
      await mkdir(runDir, { recursive: true });
      const raw = await runOnce(session, bound, k, events.progress, opts.capture ? { captureDir: runDir } : {});
      const results = await analyzeRun({ raw, runtime: session.runtime, lab: session.lab, state: session.record, loaded, bound, labFile, runDir });
      await writeRunReports(runDir, results);
      runs.push(results);
      events.runDone(k, results, runDir);
    }
    let repeat: RepeatResults | undefined;
    if (opts.repeat > 1) {
      repeat = aggregateRepeat(runs);
      await writeRepeatReports(dir, repeat);
    }
    // A run passes when every assertion held and every timeline step was carried out.
    const passed = runs.every((r) => r.assertions.every((a) => a.passed) && r.timeline.every((s) => s.ok));
    return { dir, runs, repeat, passed };
  } finally {
    if (broughtUp && !opts.keep) {
      events.stageStart('down', `taking ${lab.instance} down`);
      await down(session.runtime, lab.instance);
      events.stageDone('down', `${lab.instance} removed`);
    }
  }
}

/**
 * What --capture needs, before anything is created: a runtime with its own capture needs
 * nothing more; otherwise tcpdump runs inside each node, and where the nodes run this host's
 * own programs (netns) that is this host's tcpdump. The node image has it (images/node).
 */
export async function requireCapture(runtime: Runtime): Promise<void> {
  if (runtime.captureLink || !runtime.nodeFilesOnHost) return;
  const tcpdump = await checkTcpdump(runtime.host);
  if (!tcpdump.ok) {
    throw new LvslabError(`--capture runs tcpdump inside the lab's nodes, and ${runtime.kind} nodes run the lab host's programs: tcpdump is not installed on ${runtime.host.label}`, EXIT.hostNotReady, tcpdump.fix);
  }
}

/** An instance that is up is reused only when it is this lab, on the runtime asked for, and ready. */
function refuseToReuse(record: InstanceState, lab: ResolvedLab, opts: RunExperimentOptions): void {
  if (opts.runtime && opts.runtime !== record.runtime) {
    throw new LvslabError(`instance '${lab.instance}' is up on the ${record.runtime} runtime, not ${opts.runtime}`, EXIT.invalidInput, `leave out --runtime to run on it, or --name another instance`);
  }
  if (record.lab.sourceHash !== lab.sourceHash) {
    throw new LvslabError(
      `instance '${lab.instance}' is up with a different lab (${record.lab.sourceFile})`,
      EXIT.invalidInput,
      `lvslab down ${lab.instance}, or --name another instance`,
    );
  }
  if (record.phase !== 'ready') throw new LvslabError(`instance '${lab.instance}' is not ready (${record.phase})`, EXIT.notReady, `lvslab down ${lab.instance}`);
}

/** Between repeats the lab must be back to its steady state before the next run starts. */
async function waitReady(session: LabSession): Promise<void> {
  const r = await pollUntil(
    async () => {
      const report = await checkReadiness(session.runtime, session.lab, session.decision.dataplane);
      return { done: report.ready, value: report };
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  if (!r.ok) {
    const failing = r.value?.checks.filter((c) => !c.ok).map((c) => c.detail).join('; ');
    throw new LvslabError(`the lab did not recover between runs: ${failing}`, EXIT.notReady);
  }
}

function timestampForPath(): string {
  return new Date().toISOString().replace(/[:]/g, '').replace(/\..*$/, '');
}
