// LAB arguments: a catalogue name (labs/<name>.yaml shipped with lvslab) or a path.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { resolve as resolvePath } from 'node:path';
import { parse } from 'yaml';
import { EXIT, LvslabError } from '../util/errors.js';

/** The shipped catalogue directory (works from src/ under vitest and from dist/). */
export const CATALOGUE_DIR = fileURLToPath(new URL('../../labs/', import.meta.url));

export interface CatalogueEntry {
  name: string;
  description: string;
  file: string;
}

export async function listCatalogue(): Promise<CatalogueEntry[]> {
  const files = (await readdir(CATALOGUE_DIR)).filter((f) => f.endsWith('.yaml')).sort();
  const entries: CatalogueEntry[] = [];
  for (const f of files) {
    const file = resolvePath(CATALOGUE_DIR, f);
    try {
      const doc = parse(await readFile(file, 'utf8')) as { name?: unknown; description?: unknown; kind?: unknown };
      // experiment files live beside labs later; a lab file is one with nodes
      if (!doc || typeof doc !== 'object' || !('nodes' in doc)) continue;
      entries.push({ name: String(doc.name ?? f.replace(/\.yaml$/, '')), description: String(doc.description ?? ''), file });
    } catch {
      entries.push({ name: f.replace(/\.yaml$/, ''), description: '(unreadable lab file)', file });
    }
  }
  return entries;
}

/** Turns a LAB argument into a file path; a bad name is an input error listing what exists. */
export async function resolveLabArgument(arg: string): Promise<string> {
  const looksLikePath = arg.includes('/') || /\.ya?ml$/.test(arg);
  if (looksLikePath || existsSync(arg)) {
    const file = resolvePath(arg);
    if (!existsSync(file)) throw new LvslabError(`lab file not found: ${arg}`, EXIT.invalidInput);
    return file;
  }
  const entries = await listCatalogue();
  const hit = entries.find((e) => e.name === arg);
  if (hit) return hit.file;
  throw new LvslabError(
    `no lab named '${arg}' in the catalogue (accepted: ${entries.map((e) => e.name).join(', ')}, or a path to a lab file)`,
    EXIT.invalidInput,
    'lvslab labs  lists the catalogue',
  );
}
