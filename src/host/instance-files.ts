// A lab's files on another host (node files, the copy of lvslab's programs), under the same
// instance directory path as on this machine. The instance record stays on this machine; if
// --host names this very machine the two directories are one, so the record is kept there
// for `down` to remove last.
import { instanceDir } from '../util/host-paths.js';
import { runOkOn, type LabHost } from './host.js';

/** Everything in "$1" but instance.json, then "$1" itself when that left it empty (fixed text: the path is a parameter). */
const REMOVE_ALL_BUT_RECORD = 'cd -- "$1" || exit 0; for e in * .[!.]*; do [ "$e" = instance.json ] || [ ! -e "$e" ] || rm -rf -- "$e"; done; cd / && rmdir -- "$1" 2>/dev/null; exit 0';

/** Removes the instance's files on a remote host; what was removed, as host:path (none when there were none). */
export async function removeInstanceFilesOn(host: LabHost, instance: string): Promise<string[]> {
  const dir = instanceDir(instance);
  if (!(await host.exists(dir))) return [];
  await runOkOn(host, ['sh', '-c', REMOVE_ALL_BUT_RECORD, 'lvslab-remove', dir]);
  return [`${host.label}:${dir}`];
}
