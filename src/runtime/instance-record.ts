// The instance record: written by `up` before anything is created (so `down` knows what a
// crashed `up` left), updated when the lab is ready. `down` works without it too (the
// runtime finds its own objects by name), but status/exec/run need the resolved lab it
// holds. It lives below runtime/ because runtimes read it too (which runtime serves an
// instance, a link's peer), and no runtime reads anything of lab/.
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { Dataplane, ResolvedLab } from '../model/types.js';
import type { RuntimeKind, RuntimeSettings } from './runtime.js';
import { instanceDir, instanceStateFile, RUN_ROOT } from '../util/host-paths.js';

export const STATE_VERSION = 1;

export type InstancePhase = 'creating' | 'ready' | 'not-ready' | 'failed';

export interface InstanceState {
  version: typeof STATE_VERSION;
  instance: string;
  runtime: RuntimeKind;
  /** What the runtime needs to reach the lab again (GNS3: server URL, compute, project id); never secrets. */
  runtimeSettings?: RuntimeSettings;
  dataplane: Dataplane;
  /** Why this dataplane (e.g. "kernel has no IP_VS: nftables fallback"). */
  dataplaneDetail: string;
  phase: InstancePhase;
  createdAt: string;
  /** Milliseconds from the start of `up` until ready, when it got there. */
  readyMs?: number;
  lvslabPid: number;
  lab: ResolvedLab;
}

export async function saveState(state: InstanceState): Promise<void> {
  await mkdir(instanceDir(state.instance), { recursive: true });
  const file = instanceStateFile(state.instance);
  // write + rename: a reader (or a crash) never sees half a file
  await writeFile(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n');
  await rename(`${file}.tmp`, file);
}

/** Every readable record on this machine (labs on other hosts included: their records live here). */
export async function recordedInstances(): Promise<InstanceState[]> {
  const dirs = await readdir(RUN_ROOT).catch(() => [] as string[]);
  const states = await Promise.all(dirs.map((d) => loadState(d)));
  return states.filter((s): s is InstanceState => s !== undefined);
}

export async function loadState(instance: string): Promise<InstanceState | undefined> {
  try {
    const parsed = JSON.parse(await readFile(instanceStateFile(instance), 'utf8')) as InstanceState;
    return parsed.version === STATE_VERSION ? parsed : undefined;
  } catch {
    return undefined;
  }
}
