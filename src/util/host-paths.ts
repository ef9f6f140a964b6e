// Where lvslab keeps per-instance state on the host. /run is a tmpfs: nothing of a lab
// survives a reboot, and `down` removes the instance's directory.
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';

export const RUN_ROOT = '/run/lvslab';

export function instanceDir(instance: string): string {
  return `${RUN_ROOT}/${instance}`;
}

/**
 * Removes the instance's directory, its state record last (a kill -9 half-way leaves the
 * record, so `down` still knows the instance); the paths removed (none when there was none).
 */
export async function removeInstanceDir(instance: string): Promise<string[]> {
  const dir = instanceDir(instance);
  if (!existsSync(dir)) return [];
  const record = instanceStateFile(instance);
  const entries = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(entries.filter((e) => `${dir}/${e}` !== record).map((e) => rm(`${dir}/${e}`, { recursive: true, force: true })));
  await rm(dir, { recursive: true, force: true });
  return [dir];
}

export function instanceStateFile(instance: string): string {
  return `${instanceDir(instance)}/instance.json`;
}
