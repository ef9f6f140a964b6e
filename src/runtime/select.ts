// Which runtime serves which instance. `up --runtime` picks one; every later command (status,
// exec, run, down) takes it from the instance's state record, so users name the runtime once.
// `down` and `down --all` also ask every registered runtime what it finds on the host by
// itself, so a lab whose state record is gone (a kill -9 early in `up`) is still removed completely.
import { loadState, type InstanceState } from './instance-record.js';
import { registeredRuntimes, runtimeDefinition } from './registry.js';
import { removeInstanceDir } from '../util/host-paths.js';
import type { DestroyReport, Runtime, RuntimeKind, RuntimeSettings } from './runtime.js';

export async function runtimeOfKind(kind: RuntimeKind, settings: RuntimeSettings = {}): Promise<Runtime> {
  return runtimeDefinition(kind).open(settings);
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

/** Every instance on this host: state records and whatever each runtime finds by name (with the command's runtime flags). */
export async function listAllInstances(settings: RuntimeSettings = {}): Promise<FoundInstance[]> {
  const finds = await Promise.all(registeredRuntimes().map(async (r) => ({ kind: r.kind, instances: await r.findInstances(settings) })));
  const foundBy = new Map<string, RuntimeKind>();
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
  const runtimes = [...registeredRuntimes()].sort((a, b) => Number(b.kind === recorded) - Number(a.kind === recorded));
  const reports: DestroyReport[] = [];
  for (const r of runtimes) {
    const own = r.kind === recorded ? { ...(record?.runtimeSettings ?? {}), ...settings } : settings;
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
