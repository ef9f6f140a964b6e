// `lvslab up`: check the host, decide the dataplane, create, configure, wait until ready —
// and roll everything back if any of it fails or the user interrupts. It takes the lab
// resolved (loadLabForUp) and hands back the session everything after it uses.
import { loadLabFile } from '../model/load.js';
import type { DataplaneChoice, ResolvedLab } from '../model/types.js';
import { renderNodeNetwork } from '../render/network.js';
import { renderSysctls } from '../render/sysctl.js';
import type { Runtime, RuntimeKind } from '../runtime/runtime.js';
import type { LabHost } from '../host/host.js';
import { HOST_SETTING } from '../host/open.js';
import { detectIpvs, type KernelFeature } from '../dataplane/detect.js';
import { fallbackLimitations } from './dataplane-state.js';
import { upPreflight, type UpPreflight } from '../host/requirements.js';
import { EXIT, LvslabError } from '../util/errors.js';
import { pollUntil } from '../util/poll.js';
import { checkInstanceName } from '../model/names.js';
import { startRouting, startServices } from './node-setup.js';
import { checkReadiness, type ReadinessReport } from './readiness.js';
import { saveState, type InstanceState } from '../runtime/instance-record.js';
import { ensureFrrHostDirs } from '../host/frr-dirs.js';
import { listAllInstances } from '../runtime/select.js';
import { runtimeDefinition } from '../runtime/registry.js';
import { announcedOverOspf } from './observe.js';
import { planNodes, type DataplaneDecision, type LabSession } from './session.js';

export type { DataplaneDecision } from './session.js';

export interface UpOptions {
  /** The lab to build, resolved with its instance name (loadLabForUp). */
  lab: ResolvedLab;
  /**
   * The director dataplane: a choice `up` decides (default: the lab's), or a decision the
   * caller already made (the experiment runner binds its experiment to it first).
   */
  dataplane?: DataplaneChoice | DataplaneDecision;
  /** The host probes, when the caller started them while it loaded the lab (probeHost). */
  host?: Promise<HostProbe>;
  /** When the caller's `up` began (it loaded the lab first): readyMs counts from then. */
  startedAt?: number;
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
  session: LabSession;
  readiness: ReadinessReport;
  elapsedMs: number;
}

/** What `up` asks of the host before it decides the dataplane. */
export interface HostProbe {
  ipvs: KernelFeature;
  preflight: UpPreflight;
}

/**
 * Probes the host for a lab on this runtime (kernel IPVS, the runtime's host checks). They
 * take about as long as loading a lab and do not depend on it: callers start them first.
 */
export function probeHost(kind: RuntimeKind, host: LabHost): Promise<HostProbe> {
  const probe = Promise.all([detectIpvs(host), upPreflight(kind, host)]).then(([ipvs, preflight]) => ({ ipvs, preflight }));
  probe.catch(() => {}); // awaited by up; keeps an early validation error from leaving it unhandled
  return probe;
}

/** The `validate` stage: the lab file and instance name checked and resolved; nothing changes on the host. */
export async function loadLabForUp(labFile: string, instance: string | undefined, events: UpEvents): Promise<ResolvedLab> {
  events.stageStart('validate', `validating ${labFile}`);
  if (instance !== undefined) checkInstanceName(instance, '--name');
  const lab = await loadLabFile(labFile, { instance });
  events.stageDone('validate', `lab ${lab.name} is valid (${lab.nodes.length} nodes)`);
  return lab;
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
  if (!lab.nodes.some((n) => n.role === 'director' && n.directs.length > 0)) {
    // Seed 003: the servers announce the VIP themselves; no director, so no dataplane runs.
    return {
      dataplane: 'nftables',
      detail: why,
      notice: `NOTICE: ${why}. This lab has no director (its real servers announce the VIP themselves), so neither kernel IPVS nor the nftables fallback carries any of its traffic: its figures do not depend on the dataplane.`,
    };
  }
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
  const started = opts.startedAt ?? Date.now();
  const { lab } = opts;
  // The runtime's own settings against the lab (GNS3's placement) before anything is asked of a host.
  runtime.checkLab?.(lab);
  const host = opts.host ?? probeHost(runtime.kind, runtime.host);

  events.stageStart('host', 'checking the host');
  const { ipvs, preflight } = await host;
  const decision = typeof opts.dataplane === 'object' ? opts.dataplane : await decideDataplane(opts.dataplane ?? lab.dataplane, lab, ipvs);
  const missing = preflight.missing(decision.dataplane, { keepalived: lab.services.some((s) => s.announce === 'vrrp') });
  if (missing.length > 0) {
    throw new LvslabError(
      `${runtime.host.remote ? runtime.host.label : 'this host'} cannot run the lab yet:\n${missing.map((c) => `  - ${c.detail}: ${c.fix ?? ''}`).join('\n')}`,
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
  if (runtime.nodeFilesOnHost) await ensureFrrHostDirs(runtime.host);
  events.stageDone('host', `host ready, dataplane: ${decision.dataplane}`);
  if (decision.notice) events.notice(decision.notice);

  // Render everything before creating anything: a rendering problem changes nothing.
  const plans = planNodes(runtime, lab, decision.dataplane);

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
  const recordSettings = () => {
    // The lab host of a runtime that takes --host: status, exec, run and down go back there.
    // (GNS3 reaches its compute's host by a setting of its own, which it records itself.)
    const takesHost = runtimeDefinition(runtime.kind).remoteHosts === true;
    const settings = { ...(takesHost && runtime.host.spec ? { [HOST_SETTING]: runtime.host.spec } : {}), ...runtime.recordedSettings?.(lab.instance) };
    if (Object.keys(settings).length > 0) state.runtimeSettings = settings;
  };
  recordSettings();
  // Recorded first, so a crash or kill -9 from here on leaves something `down` can read.
  await saveState(state);
  const session: LabSession = { runtime, lab, decision, plans, record: state };

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
    // What the runtime made (a GNS3 project id) is recorded at once: status, exec and down need it.
    recordSettings();
    await saveState(state);
    await Promise.all([...plans.values()].map((p) => startServices(runtime, lab.instance, p)));
    throwIfAborted(interrupted.signal);
    events.stageDone('create', `nodes created and daemons started (${Date.now() - started} ms)`);

    events.stageStart('ready', `waiting for ${readinessWaitText(lab)}`);
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
    return { session, readiness, elapsedMs: state.readyMs };
  } catch (err) {
    if (!opts.keepOnFailure) {
      events.stageStart('rollback', `rolling back ${lab.instance}`);
      try {
        await runtime.destroy(lab.instance);
      } catch (rollbackErr) {
        // Say both: why up failed, and that something may be left for a later down (the record stays).
        events.stageFail('rollback', `could not roll back ${lab.instance}`);
        throw new LvslabError(
          `${(err as Error).message}\nand rolling back failed too: ${(rollbackErr as Error).message}`,
          err instanceof LvslabError ? err.exitCode : EXIT.failure,
          `lvslab down ${lab.instance}   (once ${runtime.host.remote ? `${runtime.host.label} answers again` : 'the cause is fixed'}: the instance record is kept for it)`,
        );
      }
      events.stageDone('rollback', `rolled back: nothing of ${lab.instance} is left`);
    }
    if (interrupted.signal.aborted) throw new LvslabError(`interrupted: ${lab.instance} was rolled back`, EXIT.failure);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Where to look after a failed `up`: host paths where the nodes' files are on the host, paths inside the nodes otherwise. */
function logHint(runtime: Runtime, lab: ResolvedLab): string {
  const log = runtime.nodePaths(lab.instance, lab.nodes[0]!.name).log;
  if (runtime.nodeFilesOnHost) return `logs: ${log.replace(/\/nodes\/[^/]+\/log$/, '/nodes/*/log/')} (with --keep-on-failure they stay)`;
  return `logs: ${log}/ in each node; keep the nodes with --keep-on-failure, then lvslab exec NODE -- ls ${log}`;
}

/** What the readiness checks of this lab wait for, in the words of the stage line. */
function readinessWaitText(lab: ResolvedLab): string {
  const parts: string[] = [];
  if (lab.services.some(announcedOverOspf)) parts.push('OSPF adjacencies, ECMP routes');
  if (lab.services.some((s) => s.announce === 'vrrp')) parts.push('a VRRP MASTER holding the VIP');
  // An anycast service has no director, so nothing checks its real servers' health.
  if (lab.services.some((s) => s.directors.length > 0)) parts.push('healthy real servers');
  return [...parts, 'answering clients'].join(', ').replace(/, ([^,]*)$/, ' and $1');
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new LvslabError('interrupted', EXIT.failure);
}

function nodeByName(lab: ResolvedLab, name: string) {
  const n = lab.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`internal: no node ${name}`);
  return n;
}
