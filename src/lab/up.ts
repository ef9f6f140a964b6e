// `lvslab up`: validate, check the host, decide the dataplane, create, configure, wait
// until ready — and roll everything back if any of it fails or the user interrupts.
import { loadLabFile } from '../model/load.js';
import type { Dataplane, DataplaneChoice, ResolvedLab } from '../model/types.js';
import { renderNodeNetwork } from '../render/network.js';
import { renderSysctls } from '../render/sysctl.js';
import type { Runtime } from '../runtime/runtime.js';
import { detectIpvs } from '../dataplane/detect.js';
import { fallbackLimitations } from './dataplane-state.js';
import { upPreflight } from '../host/checks.js';
import { EXIT, LvslabError } from '../util/errors.js';
import { pollUntil } from '../util/poll.js';
import { checkInstanceName } from '../model/names.js';
import { planNode, startRouting, startServices, type NodePlan } from './node-setup.js';
import { checkReadiness, type ReadinessReport } from './readiness.js';
import { saveState, type InstanceState } from './state.js';
import { ensureFrrHostDirs } from './frr-host-dirs.js';
import { listAllInstances } from '../runtime/select.js';

export interface UpOptions {
  labFile: string;
  instance?: string;
  dataplane?: DataplaneChoice;
  /** Give up waiting for readiness after this long (then diagnose and roll back). */
  timeoutMs: number;
  /** Leave a lab that failed to become ready in place for debugging instead of rolling back. */
  keepOnFailure?: boolean;
}

export interface UpEvents {
  stageStart(id: string, text: string): void;
  stageDone(id: string, text: string): void;
  stageFail(id: string, text: string): void;
  /** Something the user must not miss (the nftables fallback). */
  notice(text: string): void;
}

export interface UpResult {
  state: InstanceState;
  readiness: ReadinessReport;
  elapsedMs: number;
}

export interface DataplaneDecision {
  dataplane: Dataplane;
  detail: string;
  /** Loud notice to print when the fallback runs. */
  notice?: string;
}

export async function decideDataplane(
  choice: DataplaneChoice,
  lab: ResolvedLab,
  ipvs: { available: boolean; detail: string },
): Promise<DataplaneDecision> {
  if (choice === 'ipvs' && !ipvs.available) {
    throw new LvslabError(`dataplane ipvs was requested but ${ipvs.detail}`, EXIT.hostNotReady, 'use --dataplane auto (nftables fallback) or a kernel with IP_VS');
  }
  if (choice === 'ipvs' || (choice === 'auto' && ipvs.available)) {
    return { dataplane: 'ipvs', detail: 'kernel IPVS programmed by keepalived' };
  }
  const limits = await fallbackLimitations(lab);
  if (limits.errors.length > 0) {
    throw new LvslabError(`the nftables fallback cannot run this lab: ${limits.errors.join('; ')}`, EXIT.hostNotReady, 'run it on a kernel with IP_VS (e.g. scripts/vm-run.sh)');
  }
  const why = choice === 'nftables' ? 'the nftables dataplane was requested (--dataplane nftables)' : ipvs.detail;
  const approximations = limits.notes.length > 0 ? ` Approximated here: ${limits.notes.join('; ')}.` : '';
  return {
    dataplane: 'nftables',
    detail: why,
    notice:
      `NOTICE: ${why}.\n` +
      `The directors run lvslab's nftables fallback, not kernel IPVS: same DR/NAT forwarding, ` +
      `keepalived-style health checks and timing, IPVS-like per-connection scheduling.${approximations} ` +
      `Every figure from this lab is a fallback figure (status and inspect say so too).`,
  };
}

export async function up(runtime: Runtime, opts: UpOptions, events: UpEvents): Promise<UpResult> {
  const started = Date.now();
  events.stageStart('validate', `validating ${opts.labFile}`);
  if (opts.instance !== undefined) checkInstanceName(opts.instance, '--name');
  // The host probes (IPVS, commands) take a while and do not depend on the lab: start them now.
  const nodesOnHost = runtime.kind === 'netns';
  const probes = Promise.all([detectIpvs(), upPreflight({ nodesOnHost })]);
  probes.catch(() => {}); // awaited below; keeps an early validation error from leaving it unhandled
  const lab = await loadLabFile(opts.labFile, { instance: opts.instance });
  events.stageDone('validate', `lab ${lab.name} is valid (${lab.nodes.length} nodes)`);

  events.stageStart('host', 'checking the host');
  const [ipvs, preflight] = await probes;
  const decision = await decideDataplane(opts.dataplane ?? lab.dataplane, lab, ipvs);
  const missing = preflight.missing(decision.dataplane);
  if (missing.length > 0) {
    throw new LvslabError(
      `this host cannot run the lab yet:\n${missing.map((c) => `  - ${c.detail}: ${c.fix ?? ''}`).join('\n')}`,
      EXIT.hostNotReady,
    );
  }
  await runtime.preflight();
  if ((await listAllInstances()).some((i) => i.instance === lab.instance)) {
    throw new LvslabError(
      `an instance named '${lab.instance}' already exists`,
      EXIT.invalidInput,
      `lvslab down ${lab.instance}   or   lvslab up ${lab.name} --name <another-name>`,
    );
  }
  if (nodesOnHost) await ensureFrrHostDirs();
  events.stageDone('host', `host ready, dataplane: ${decision.dataplane}`);
  if (decision.notice) events.notice(decision.notice);

  // Render everything before creating anything: a rendering problem changes nothing.
  const plans = new Map<string, NodePlan>();
  for (const node of lab.nodes) plans.set(node.name, planNode(lab, node, runtime.nodePaths(lab.instance, node.name), decision.dataplane));

  const state: InstanceState = {
    version: 1,
    instance: lab.instance,
    runtime: runtime.kind,
    dataplane: decision.dataplane,
    dataplaneDetail: decision.detail,
    phase: 'creating',
    createdAt: new Date().toISOString(),
    lvslabPid: process.pid,
    lab,
  };
  // Recorded first, so a crash or kill -9 from here on leaves something `down` can read.
  await saveState(state);

  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    events.stageStart('create', `creating ${lab.nodes.length} nodes on ${runtime.kind}`);
    await runtime.create(lab, {
      networkLines: (n) => renderNodeNetwork(lab, nodeByName(lab, n)),
      sysctls: (n) => renderSysctls(lab, nodeByName(lab, n), decision.dataplane),
      // FRR starts as soon as a node's own network is up (OSPF's wait timer runs from
      // then); the service daemons follow once every node routes.
      onNodeNetworkReady: (n) => startRouting(runtime, lab.instance, plans.get(n)!),
    });
    await Promise.all([...plans.values()].map((p) => startServices(runtime, lab.instance, p)));
    throwIfAborted(interrupted.signal);
    events.stageDone('create', `nodes created and daemons started (${Date.now() - started} ms)`);

    events.stageStart('ready', 'waiting for OSPF adjacencies, ECMP routes and healthy real servers');
    const waited = await pollUntil(
      async () => {
        throwIfAborted(interrupted.signal);
        const report = await checkReadiness(runtime, lab, decision.dataplane);
        return { done: report.ready, value: report };
      },
      { timeoutMs: opts.timeoutMs, intervalMs: 100 },
    );
    throwIfAborted(interrupted.signal);
    const readiness = waited.value ?? { ready: false, checks: [] };
    if (!waited.ok) {
      const failing = readiness.checks.filter((c) => !c.ok).map((c) => `  - ${c.detail}`);
      events.stageFail('ready', `not ready after ${Math.round(opts.timeoutMs / 1000)} s`);
      state.phase = 'not-ready';
      await saveState(state);
      throw new LvslabError(
        `lab ${lab.instance} did not become ready within ${Math.round(opts.timeoutMs / 1000)} s:\n${failing.join('\n') || '  - no check answered'}`,
        EXIT.notReady,
        logHint(runtime, lab),
      );
    }
    state.phase = 'ready';
    state.readyMs = Date.now() - started;
    await saveState(state);
    events.stageDone('ready', `ready in ${(state.readyMs / 1000).toFixed(1)} s`);
    return { state, readiness, elapsedMs: state.readyMs };
  } catch (err) {
    if (!opts.keepOnFailure) {
      events.stageStart('rollback', `rolling back ${lab.instance}`);
      await runtime.destroy(lab.instance);
      events.stageDone('rollback', `rolled back: nothing of ${lab.instance} is left`);
    }
    if (interrupted.signal.aborted) throw new LvslabError(`interrupted: ${lab.instance} was rolled back`, EXIT.failure);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Where to look after a failed `up`: host paths on netns, paths inside the nodes otherwise. */
function logHint(runtime: Runtime, lab: ResolvedLab): string {
  const log = runtime.nodePaths(lab.instance, lab.nodes[0]!.name).log;
  if (runtime.kind === 'netns') return `logs: ${log.replace(/\/nodes\/[^/]+\/log$/, '/nodes/*/log/')} (with --keep-on-failure they stay)`;
  return `logs: ${log}/ in each node; keep the nodes with --keep-on-failure, then lvslab exec NODE -- ls ${log}`;
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new LvslabError('interrupted', EXIT.failure);
}

function nodeByName(lab: ResolvedLab, name: string) {
  const n = lab.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`internal: no node ${name}`);
  return n;
}
