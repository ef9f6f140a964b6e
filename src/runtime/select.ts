// Which runtime serves which instance. `up --runtime` picks one; every later command (status,
// exec, run, down) takes it from the instance's state record, so users name the runtime once.
// `down` and `down --all` also look at what each runtime finds on the host by itself, so a
// lab whose state record is gone (a kill -9 early in `up`) is still removed completely.
import { removeInstanceDir } from '../util/host-paths.js';
import { loadState } from '../lab/state.js';
import { loadRecipe } from '../images/recipe.js';
import { engineAvailable } from '../docker/engine.js';
import { NetnsRuntime } from './netns/netns-runtime.js';
import { DockerRuntime } from './docker/docker-runtime.js';
import { ContainerlabRuntime } from './containerlab/containerlab-runtime.js';
import type { DestroyReport, Runtime, RuntimeKind } from './runtime.js';

export async function runtimeOfKind(kind: RuntimeKind): Promise<Runtime> {
  switch (kind) {
    case 'netns':
      return new NetnsRuntime();
    case 'docker':
      return new DockerRuntime({ image: (await loadRecipe()).image });
    case 'containerlab':
      return new ContainerlabRuntime({ image: (await loadRecipe()).image });
  }
}

export interface FoundInstance {
  instance: string;
  /** From the state record, or the runtime that found its objects. */
  runtime: RuntimeKind;
}

/**
 * Every instance on this host: state records, netns namespaces, and labelled Docker objects
 * (when an engine answers — without one there can be none of ours running).
 */
export async function listAllInstances(): Promise<FoundInstance[]> {
  const found = new Map<string, RuntimeKind>();
  // netns lists its namespaces and every instance directory (whichever runtime wrote it)
  for (const inst of await new NetnsRuntime().listInstances()) found.set(inst, (await loadState(inst))?.runtime ?? 'netns');
  if (await engineAvailable()) {
    for (const inst of await dockerForCleanup().listInstances()) if (!found.has(inst)) found.set(inst, 'docker');
  }
  return [...found].map(([instance, runtime]) => ({ instance, runtime })).sort((a, b) => a.instance.localeCompare(b.instance));
}

/**
 * Removes everything of `instance` wherever it is: its own runtime first, then whatever the
 * other runtimes find under its name. Reports merged.
 */
export async function destroyEverywhere(instance: string): Promise<DestroyReport> {
  const reports: DestroyReport[] = [];
  if (await engineAvailable()) {
    // containerlab's own destroy first where it deployed the lab; the label sweep after it.
    const recorded = (await loadState(instance))?.runtime;
    if (recorded === 'containerlab') reports.push(await new ContainerlabRuntime({ image: 'unused-for-cleanup' }).destroy(instance, { keepInstanceDir: true }));
    reports.push(await dockerForCleanup().destroy(instance, { keepInstanceDir: true }));
  }
  reports.push(await new NetnsRuntime().destroy(instance, { keepInstanceDir: true }));
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

/** A Docker runtime for finding and removing objects: needs no image. */
function dockerForCleanup(): DockerRuntime {
  return new DockerRuntime({ image: 'unused-for-cleanup' });
}
