// Reading a lab file: YAML parse, schema check, semantic checks, then resolution. Every
// problem found on the way is collected with its line and column, and all of them are
// reported together (one LabValidationError), so a user fixes a file in one pass.
//
// Two flavours of each entry point:
//  - loadLabFile / loadLabText return the ResolvedLab and drop warnings;
//  - loadLabFileWithWarnings / loadLabTextWithWarnings return { lab, warnings } so a
//    command can print the warnings (they never stop a lab from loading).
import { createHash } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import { readInputFile } from './input-file.js';
import { issueToProblem, parseYamlWithPositions } from './yaml-source.js';
import { checkInstanceName } from './names.js';
import { compareProblems, LabValidationError, type Problem } from './problems.js';
import { resolveLab } from './resolve.js';
import { checkAgainstSchema, withoutRejected } from './schema.js';
import type { LooseLab } from './topology.js';
import type { LabFile, ResolvedLab } from './types.js';
import { validateLab } from './validate.js';

export interface LoadOptions {
  /** Instance name (`--name`); default: the lab's `name`. */
  instance?: string;
}

export interface LoadResult {
  lab: ResolvedLab;
  /** Problems that do not stop the lab from loading, sorted by line. */
  warnings: Problem[];
}

interface TextSource {
  text: string;
  /** As shown in problems (the path the user gave). */
  file: string;
  /** Absolute path recorded in the resolved lab. */
  sourceFile: string;
  sourceHash: string;
}

function load(source: TextSource, opts: LoadOptions): LoadResult {
  const parsed = parseYamlWithPositions(source.text, source.file);
  const problems: Problem[] = parsed.problems.slice();
  // A file that is not even YAML: its structure cannot be trusted, stop here.
  if (parsed.fatal) throw new LabValidationError(problems.sort(compareProblems));

  const { locator, data } = parsed;
  const schema = checkAgainstSchema(data);
  const issues = schema.issues;
  const usable = withoutRejected(data, schema.rejected);
  if (usable !== null && typeof usable === 'object' && !Array.isArray(usable)) {
    for (const issue of validateLab(usable as LooseLab, schema.rejected)) issues.push(issue);
  }
  // A loop, not push(...spread): 400,000 arguments overflow the stack.
  for (const issue of issues) problems.push(issueToProblem(source.file, locator, issue));
  problems.sort(compareProblems);
  if (problems.some((p) => p.severity === 'error')) throw new LabValidationError(problems);

  const file = data as LabFile;
  const instance = opts.instance ?? file.name;
  checkInstanceName(instance, opts.instance === undefined ? 'instance name (the lab name)' : '--name');
  const lab = resolveLab(file, { instance, sourceFile: source.sourceFile, sourceHash: source.sourceHash });
  return { lab, warnings: problems };
}

function sha256(bytes: string | Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Parses, validates and resolves lab text (no I/O); `file` names it in problems. */
export function loadLabTextWithWarnings(text: string, file: string, opts: LoadOptions = {}): LoadResult {
  return load({ text, file, sourceFile: resolvePath(file), sourceHash: sha256(text) }, opts);
}

export function loadLabText(text: string, file: string, opts: LoadOptions = {}): ResolvedLab {
  return loadLabTextWithWarnings(text, file, opts).lab;
}

/** Reads, validates and resolves a lab file; throws LabValidationError listing every error. */
export async function loadLabFileWithWarnings(path: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const { text, bytes } = await readInputFile(path, 'lab');
  return load({ text, file: path, sourceFile: resolvePath(path), sourceHash: sha256(bytes) }, opts);
}

export async function loadLabFile(path: string, opts: LoadOptions = {}): Promise<ResolvedLab> {
  return (await loadLabFileWithWarnings(path, opts)).lab;
}
