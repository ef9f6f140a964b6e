// LAB arguments: a catalogue name (labs/<name>.yaml shipped with lvslab) or a path.
import { lstatSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { resolve as resolvePath } from 'node:path';
import { parse } from 'yaml';
import { EXIT, LvslabError } from '../util/errors.js';

/** The shipped catalogue directories (work from src/ under vitest and from dist/). */
export const CATALOGUE_DIR = fileURLToPath(new URL('../../labs/', import.meta.url));
export const EXPERIMENTS_DIR = fileURLToPath(new URL('../../experiments/', import.meta.url));

export interface CatalogueEntry {
  name: string;
  description: string;
  file: string;
}

export async function listCatalogue(): Promise<CatalogueEntry[]> {
  return listYamlDir(CATALOGUE_DIR, 'lab');
}

export async function listExperiments(): Promise<CatalogueEntry[]> {
  return listYamlDir(EXPERIMENTS_DIR, 'experiment');
}

async function listYamlDir(dir: string, kind: string): Promise<CatalogueEntry[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  const entries: CatalogueEntry[] = [];
  for (const f of files) {
    const file = resolvePath(dir, f);
    try {
      const doc = parse(await readFile(file, 'utf8')) as { name?: unknown; description?: unknown };
      entries.push({ name: String(doc.name ?? f.replace(/\.yaml$/, '')), description: String(doc.description ?? ''), file });
    } catch {
      entries.push({ name: f.replace(/\.yaml$/, ''), description: `(unreadable ${kind} file)`, file });
    }
  }
  return entries;
}

/** Turns a LAB argument into a file path; a bad name is an input error listing what exists. */
export async function resolveLabArgument(arg: string): Promise<string> {
  return resolveArgument(arg, 'lab', await listCatalogue(), 'lvslab labs  lists the catalogue');
}

/** Turns an EXPERIMENT argument into a file path (experiments/<name>.yaml or a path). */
export async function resolveExperimentArgument(arg: string): Promise<string> {
  return resolveArgument(arg, 'experiment', await listExperiments(), 'lvslab experiments  lists them');
}

async function resolveArgument(arg: string, kind: 'lab' | 'experiment', entries: CatalogueEntry[], hint: string): Promise<string> {
  const aKind = kind === 'experiment' ? 'an experiment' : 'a lab';
  if (arg === '') throw new LvslabError(`the ${kind} argument is empty`, EXIT.invalidInput, hint);
  const looksLikePath = arg.includes('/') || /\.ya?ml$/.test(arg);
  // lstat, not exists: a symlink loop or a dangling link is there, and reading it says which.
  const present = (p: string): boolean => lstatSync(p, { throwIfNoEntry: false }) !== undefined;
  if (looksLikePath || present(arg)) {
    const file = resolvePath(arg);
    if (!present(file)) throw new LvslabError(`${kind} file not found: ${arg}`, EXIT.invalidInput);
    return file;
  }
  const hit = entries.find((e) => e.name === arg);
  if (hit) return hit.file;
  throw new LvslabError(
    `no ${kind} named '${arg}' (accepted: ${entries.map((e) => e.name).join(', ')}, or a path to ${aKind} file)`,
    EXIT.invalidInput,
    hint,
  );
}
