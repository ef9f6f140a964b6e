// From what one run observed to its RunResults: keep the raw records in the run directory
// (so every figure can be recomputed and checked), parse the logs and route monitors,
// compute the figures and evaluate the assertions.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { hostname, cpus, release } from 'node:os';
import { computeFigures, evaluateAssertions, aggregateRuns } from '../figures/index.js';
import { parseCollectedLogs, parseNeighbourMonitors, parseRouteMonitors } from '../logs/index.js';
import { readLongLivedEvents, readRequestRecords } from '../traffic/records.js';
import type { Runtime } from '../runtime/runtime.js';
import { directorWithMac } from '../lab/observe.js';
import type { ResolvedLab } from '../model/types.js';
import type { InstanceState } from '../runtime/instance-record.js';
import { topologyFromLab, type RunResultsWithTopology } from '../report/topology.js';
import type { BoundExperiment } from './bind.js';
import type { LoadedExperiment } from './load.js';
import type { RawRun } from './run-once.js';
import { RESULTS_SCHEMA, type LogLine, type LongLivedEvent, type Manifest, type RepeatResults, type RequestRecord, type RunResults } from './types.js';

const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Log lines this long before the traffic and after it are kept with the results (boot noise is not). */
const LOG_MARGIN_MS = 5000;
export const REQUESTS_FILE = 'requests.ndjson';
export const LONG_LIVED_FILE = 'long-lived.ndjson';

export interface AnalyzeInput {
  raw: RawRun;
  /** Where the lab runs: the programs' versions are asked inside its nodes. */
  runtime: Runtime;
  lab: ResolvedLab;
  state: InstanceState;
  loaded: LoadedExperiment;
  bound: BoundExperiment;
  labFile: string;
  runDir: string;
}

export async function analyzeRun(input: AnalyzeInput): Promise<RunResults> {
  const { raw, lab, state, loaded, runDir } = input;
  // Raw records first: one file for every client's requests, one for long-lived events.
  await writeFile(`${runDir}/${REQUESTS_FILE}`, raw.generators.map((g) => g.requests).join(''));
  await writeFile(`${runDir}/${LONG_LIVED_FILE}`, raw.generators.map((g) => g.longLived).join(''));
  const requests: RequestRecord[] = await readRequestRecords(`${runDir}/${REQUESTS_FILE}`);
  const longLived: LongLivedEvent[] = await readLongLivedEvents(`${runDir}/${LONG_LIVED_FILE}`);

  const inWindow = (l: LogLine) => l.t >= raw.trafficStart - LOG_MARGIN_MS && l.t <= raw.trafficEnd + LOG_MARGIN_MS;
  const logs = parseCollectedLogs(raw.logs).filter(inWindow);
  const start = raw.snapshots.find((s) => s.phase === 'start');
  const present: Record<string, string[]> = {};
  for (const [router, r] of Object.entries(start?.routers ?? {})) {
    present[router] = Object.entries(r.vipNextHops).filter(([, hops]) => hops.length > 0).map(([vip]) => `${vip}/32`);
  }
  const routeEvents = parseRouteMonitors(raw.routeMonitor, { present });
  // Each MAC named by the director it belongs to, so results.json reads without the lab.
  const neighbourEvents = parseNeighbourMonitors(raw.neighbourMonitor ?? {}).map((e) => {
    const director = directorWithMac(lab, e.lladdr);
    return director ? { ...e, director } : e;
  });

  const computed = computeFigures({
    lab,
    experiment: loaded.experiment,
    trafficStart: raw.trafficStart,
    trafficEnd: raw.trafficEnd,
    requests,
    longLived,
    actions: raw.actions,
    routeEvents,
    neighbourEvents,
    logs,
    snapshots: raw.snapshots,
    counterSnapshots: raw.counterSnapshots,
  });
  const results: RunResultsWithTopology = {
    schema: RESULTS_SCHEMA,
    experiment: { name: loaded.experiment.name, description: loaded.experiment.description ?? '', file: loaded.absoluteFile },
    lab: { name: lab.name, instance: lab.instance, file: lab.sourceFile, runtime: state.runtime, dataplane: state.dataplane },
    manifest: await manifest(input),
    run: raw.run,
    trafficStart: raw.trafficStart,
    trafficEnd: raw.trafficEnd,
    timeline: raw.actions,
    figures: computed.figures,
    hits: computed.hits,
    perSecond: computed.perSecond,
    per100ms: computed.per100ms,
    snapshots: raw.snapshots,
    counterSnapshots: raw.counterSnapshots,
    routeEvents,
    ...(Object.keys(raw.neighbourMonitor ?? {}).length > 0 ? { neighbourEvents } : {}),
    logs,
    longLived,
    assertions: evaluateAssertions(input.bound.expect, computed.figures),
    crossCheck: computed.crossCheck,
    requestsFile: REQUESTS_FILE,
    topology: topologyFromLab(lab),
    ...(raw.captures ? { captures: raw.captures } : {}),
  };
  return results;
}

export function aggregateRepeat(runs: RunResults[]): RepeatResults {
  const first = runs[0]!;
  return {
    schema: RESULTS_SCHEMA,
    experiment: first.experiment,
    lab: first.lab,
    runs: runs.map((r) => ({ run: r.run, dir: `run-${r.run}`, passed: r.assertions.every((a) => a.passed) })),
    aggregate: aggregateRuns(runs),
  };
}

async function manifest(input: AnalyzeInput): Promise<Manifest> {
  const { lab, state, loaded, raw, runtime } = input;
  // Versions of the programs the lab runs, asked inside a node that runs each (on netns that
  // is the host's own binary; in containers the image's).
  const firstOf = (pred: (n: ResolvedLab['nodes'][number]) => boolean) => lab.nodes.find(pred)?.name;
  const version = async (node: string | undefined, argv: string[], pattern: RegExp): Promise<string | undefined> => {
    if (!node) return undefined; // the lab runs no such program
    const r = await runtime.exec(lab.instance, node, argv);
    return pattern.exec(`${r.stdout}\n${r.stderr}`)?.[1];
  };
  const frrNode = firstOf((n) => n.ospf !== undefined);
  const [runtimeDetail, frr, keepalived, nginx, kernel] = await Promise.all([
    runtime.describe?.(),
    // FRR's vtysh has no --version: the node's running FRR says it, on the node's own vty socket.
    version(frrNode, ['vtysh', '--vty_socket', frrNode ? runtime.nodePaths(lab.instance, frrNode).frrVtyDir : '', '-c', 'show version'], /FRRouting (\S+)/),
    state.dataplane === 'ipvs' ? version(firstOf((n) => n.role === 'director'), ['keepalived', '--version'], /Keepalived v(\S+)/) : undefined,
    version(firstOf((n) => n.role === 'realserver'), ['nginx', '-v'], /nginx\/(\S+)/),
    // The kernel the nodes ran on: the lab host's.
    runtime.host.remote ? runtime.host.run(['uname', '-r']).then((r) => r.stdout.trim() || undefined) : release(),
  ]);
  return {
    lvslab: PACKAGE.version,
    ...(frr ? { frr } : {}),
    ...(keepalived ? { keepalived } : {}),
    ...(nginx ? { nginx } : {}),
    kernel: kernel ?? 'not read',
    node: process.version,
    runtime: state.runtime,
    ...(runtimeDetail ? { runtimeDetail } : {}),
    dataplane: state.dataplane,
    dataplaneDetail: state.dataplaneDetail,
    seed: input.bound.seed,
    labFile: lab.sourceFile,
    labSha256: lab.sourceHash,
    experimentFile: loaded.absoluteFile,
    experimentSha256: loaded.sha256,
    host: { cpus: cpus().length, hostname: hostname() },
    labHost: { host: runtime.host.label, clock: raw.clock },
    ...(raw.otherHostClocks?.length ? { otherLabHosts: raw.otherHostClocks } : {}),
    startedAt: new Date(raw.trafficStart).toISOString(),
    finishedAt: new Date().toISOString(),
  };
}
