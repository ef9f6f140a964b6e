// Writing an export to disk. The only part of src/export with side effects.
//
// A non-empty target directory is refused unless `force`: it may be anything of the user's.
// Even with `force`, only files are touched: the ones this export writes, and the ones a
// previous export listed in its manifest (so a re-export with fewer files leaves no stale
// config behind). Nothing else in the directory is ever deleted.
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { EXIT, LvslabError } from '../util/errors.js';
import type { ContainerlabExport } from './containerlab.js';

/** Lists what an export wrote, relative to its directory. */
export const EXPORT_MANIFEST = '.lvslab-export.json';

export interface WriteExportResult {
  /** Files written, relative to the directory, manifest excluded. */
  written: string[];
  /** Files of a previous export that this one no longer has, removed. */
  removed: string[];
}

export async function writeExport(dir: string, exp: ContainerlabExport, opts: { force: boolean }): Promise<WriteExportResult> {
  const existing = await directoryEntries(dir);
  if (existing.length > 0 && !opts.force) {
    throw new LvslabError(`${dir} is not empty`, EXIT.invalidInput, 'choose an empty or new directory, or add --force to overwrite an earlier export there');
  }
  const paths = exp.files.map((f) => safeRelative(f.path));
  const previous = existing.includes(EXPORT_MANIFEST) ? await readManifest(dir) : [];
  const removed = previous.filter((p) => !paths.includes(p));
  for (const p of removed) await rm(join(dir, p), { force: true });

  await mkdir(dir, { recursive: true });
  for (const d of exp.dirs) await mkdir(join(dir, safeRelative(d)), { recursive: true });
  for (const f of exp.files) {
    const target = join(dir, safeRelative(f.path));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, f.content, { mode: 0o644 });
  }
  await writeFile(join(dir, EXPORT_MANIFEST), JSON.stringify({ generator: 'lvslab export', files: paths }, null, 2) + '\n');
  return { written: paths, removed };
}

/** Entries of `dir`; none when it does not exist. A file in its place is an input error. */
async function directoryEntries(dir: string): Promise<string[]> {
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw new LvslabError(`${dir} exists and is not a directory`, EXIT.invalidInput);
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** A previous manifest's files; entries that could point outside the directory are ignored. */
async function readManifest(dir: string): Promise<string[]> {
  try {
    const data = JSON.parse(await readFile(join(dir, EXPORT_MANIFEST), 'utf8')) as { files?: unknown };
    if (!Array.isArray(data.files)) return [];
    return data.files.filter((p): p is string => typeof p === 'string' && isSafeRelative(p));
  } catch {
    return [];
  }
}

function isSafeRelative(path: string): boolean {
  if (path === '' || isAbsolute(path)) return false;
  const n = normalize(path);
  return n !== '..' && !n.startsWith(`..${sep}`) && n === path;
}

function safeRelative(path: string): string {
  if (!isSafeRelative(path)) throw new Error(`export path ${JSON.stringify(path)} is not a plain relative path`);
  return path;
}
