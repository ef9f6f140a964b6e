// lvslab's own programs for an exported topology. The fallback dataplane's health daemon is
// lvslab code; an export that needs it carries a copy of this installation's compiled
// JavaScript (dist/ and package.json, nothing from node_modules: the daemon imports only
// Node's built-ins), so the export directory stays self-contained and movable.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { LVSLAB_DIST, LVSLAB_PACKAGE_DIR } from '../util/lvslab-dist.js';
import type { ExportFile } from './node-commands.js';

/** Where an export keeps its copy, relative to the export directory. */
export const EXPORTED_LVSLAB_DIR = 'lvslab';

export async function readLvslabProgramFiles(): Promise<ExportFile[]> {
  const files: ExportFile[] = [{ path: `${EXPORTED_LVSLAB_DIR}/package.json`, content: await readFile(join(LVSLAB_PACKAGE_DIR, 'package.json'), 'utf8') }];
  for (const entry of await readdir(LVSLAB_DIST, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const full = join(entry.parentPath, entry.name);
    files.push({ path: `${EXPORTED_LVSLAB_DIR}/dist/${relative(LVSLAB_DIST, full)}`, content: await readFile(full, 'utf8') });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
