// Reading a lab file: YAML parse, schema check, semantic checks, then resolution. Every
// problem found on the way is collected with its line and column, and all of them are
// reported together (one LabValidationError), so a user fixes a file in one pass.
//
// Two flavours of each entry point:
//  - loadLabFile / loadLabText return the ResolvedLab and drop warnings;
//  - loadLabFileWithWarnings / loadLabTextWithWarnings return { lab, warnings } so a
//    command can print the warnings (they never stop a lab from loading).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { EXIT, LvslabError } from '../util/errors.js';
import { issueToProblem, parseYamlWithPositions } from './yaml-source.js';
import { instanceNameProblem, INSTANCE_NAME } from './names.js';
import { compareProblems, LabValidationError, type PathSegment, type Problem } from './problems.js';
import { resolveLab } from './resolve.js';
import { checkAgainstSchema } from './schema.js';
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

/** Clears the values the schema rejected, so the semantic checks do not trip over them. */
function withoutRejected(data: unknown, rejected: PathSegment[][]): unknown {
  const copy = structuredClone(data);
  for (const path of rejected) {
    if (path.length === 0) return undefined;
    let cursor: unknown = copy;
    for (const seg of path.slice(0, -1)) {
      cursor = cursor !== null && typeof cursor === 'object' ? (cursor as Record<PathSegment, unknown>)[seg] : undefined;
    }
    // Assigning undefined (not deleting) keeps list indices and key presence intact.
    if (cursor !== null && typeof cursor === 'object') (cursor as Record<PathSegment, unknown>)[path[path.length - 1]!] = undefined;
  }
  return copy;
}

function load(source: TextSource, opts: LoadOptions): LoadResult {
  const parsed = parseYamlWithPositions(source.text, source.file);
  const problems: Problem[] = [...parsed.problems];
  // A file that is not even YAML: its structure cannot be trusted, stop here.
  if (parsed.fatal) throw new LabValidationError(problems.sort(compareProblems));

  const { locator, data } = parsed;
  const schema = checkAgainstSchema(data);
  const issues = [...schema.issues];
  const usable = withoutRejected(data, schema.rejected);
  if (usable !== null && typeof usable === 'object' && !Array.isArray(usable)) {
    issues.push(...validateLab(usable as LooseLab, schema.rejected));
  }
  problems.push(...issues.map((issue) => issueToProblem(source.file, locator, issue)));
  problems.sort(compareProblems);
  if (problems.some((p) => p.severity === 'error')) throw new LabValidationError(problems);

  const file = data as LabFile;
  const instance = opts.instance ?? file.name;
  const why = instanceNameProblem(instance);
  if (why) {
    throw new LvslabError(`invalid instance name: ${why}`, EXIT.invalidInput, `use ${INSTANCE_NAME.accepted}`);
  }
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
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new LvslabError(`cannot read lab file ${path}: ${reason}`, EXIT.invalidInput);
  }
  return load({ text: bytes.toString('utf8'), file: path, sourceFile: resolvePath(path), sourceHash: sha256(bytes) }, opts);
}

export async function loadLabFile(path: string, opts: LoadOptions = {}): Promise<ResolvedLab> {
  return (await loadLabFileWithWarnings(path, opts)).lab;
}
