// Which runtime serves which instance. `up --runtime` picks one; every later command (status,
// exec, run, down) takes it from the instance's state record, so users name the runtime once.
// `down` and `down --all` also ask every registered runtime what it finds on the host by
// itself, so a lab whose state record is gone (a kill -9 early in `up`) is still removed completely.
import { loadState, recordedInstances, type InstanceState } from './instance-record.js';
import { registeredRuntimes, runtimeDefinition, runtimesFor } from './registry.js';
import { hostSpecOf } from '../host/open.js';
import { EXIT, LvslabError } from '../util/errors.js';
import { removeInstanceDir } from '../util/host-paths.js';
import type { DestroyReport, Runtime, RuntimeKind, RuntimeSettings } from './runtime.js';

export async function runtimeOfKind(kind: RuntimeKind, settings: RuntimeSettings = {}): Promise<Runtime> {
  const definition = runtimeDefinition(kind);
  const host = hostSpecOf(settings);
  if (host !== undefined && !definition.remoteHosts) {
    const remote = registeredRuntimes().filter((r) => r.remoteHosts).map((r) => r.kind);
    throw new LvslabError(`--runtime ${kind} runs labs on this machine only; --host ${host} works with --runtime ${remote.join(' or ')}`, EXIT.invalidInput);
  }
  return definition.open(settings);
}

/** The runtime that serves a recorded instance, with the settings `up` kept for it. */
export async function runtimeOfRecord(record: InstanceState): Promise<Runtime> {
  return runtimeOfKind(record.runtime, record.runtimeSettings ?? {});
}

export interface FoundInstance {
  instance: string;
  /** From the state record, or the first runtime (in registry order) that found its objects. */
  runtime: RuntimeKind;
}

/**
 * Every instance: the state records on this machine (remote labs' included) and whatever
 * each runtime finds by name where the command's flags point (this machine, or --host).
 */
export async function listAllInstances(settings: RuntimeSettings = {}): Promise<FoundInstance[]> {
  const finds = await Promise.all(runtimesFor(settings).map(async (r) => ({ kind: r.kind, instances: await r.findInstances(settings) })));
  const foundBy = new Map<string, RuntimeKind>();
  for (const record of await recordedInstances()) foundBy.set(record.instance, record.runtime);
  for (const { kind, instances } of finds) for (const inst of instances) if (!foundBy.has(inst)) foundBy.set(inst, kind);
  const found = await Promise.all([...foundBy].map(async ([instance, kind]) => ({ instance, runtime: (await loadState(instance))?.runtime ?? kind })));
  return found.sort((a, b) => a.instance.localeCompare(b.instance));
}

/**
 * Removes everything of `instance` wherever it is: the runtime its record names first, then
 * whatever the other runtimes find under its name. Reports merged. `settings` (the
 * command's runtime flags) override what the record kept.
 */
export async function destroyEverywhere(instance: string, settings: RuntimeSettings = {}): Promise<DestroyReport> {
  // Read before anything is removed: each runtime's destroy also removes the instance directory.
  const record = await loadState(instance);
  const recorded = record?.runtime;
  // The recorded runtime where the record says the lab is (its host), unless the flags say otherwise;
  // the others look by name only where the flags point.
  const recordedSettings = { ...(record?.runtimeSettings ?? {}), ...settings };
  const others = runtimesFor(settings).filter((r) => r.kind !== recorded);
  const runtimes = [...registeredRuntimes().filter((r) => r.kind === recorded), ...others];
  const reports: DestroyReport[] = [];
  for (const r of runtimes) {
    const own = r.kind === recorded ? recordedSettings : settings;
    const report = await r.destroyByName(instance, recorded, own, { keepInstanceDir: true });
    if (report) reports.push(report);
  }
  // The state record goes last, after every runtime's processes, namespaces and containers:
  // a down killed before this point leaves the record, and the next down finds everything.
  reports.push({ instance, killedProcesses: 0, removedNodes: [], removedPaths: await removeInstanceDir(instance) });
  return {
    instance,
    killedProcesses: reports.reduce((n, r) => n + r.killedProcesses, 0),
    removedNodes: [...new Set(reports.flatMap((r) => r.removedNodes))].sort(),
    removedPaths: [...new Set(reports.flatMap((r) => r.removedPaths))],
  };
}
