// The class record: one JSON file per class under /run/lvslab/_workshops/CLASS/, written by
// `workshop up` before any student's lab is created (so `workshop down` knows the class after
// a kill -9), and updated as each student's lab comes up, is reset, checked or graded. The
// students' labs keep their own instance records; this one only ties them to the class.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { RUN_ROOT } from '../util/host-paths.js';
import { EXIT, LvslabError } from '../util/errors.js';
import { classNameProblem } from './names.js';

export const CLASS_RECORD_VERSION = 1;
/** Not an instance-shaped name (it starts with "_"): runtimes never take it for a lab. */
export const WORKSHOPS_DIR = `${RUN_ROOT}/_workshops`;

export type StudentStatus = 'pending' | 'creating' | 'ready' | 'failed' | 'resetting';

export interface LastCheck {
  at: string;
  passed: number;
  failed: number;
  /** Checks that could not be evaluated (their node is missing, …). */
  unusable: number;
}

/** A check result as grade keeps it (checks.ts CheckResult, with when it was graded). */
export interface StoredCheckResult {
  id: string;
  kind: string;
  title: string;
  outcome: 'passed' | 'failed' | 'unusable';
  observed: number | string | null;
  detail: string;
  hint?: string;
  attempts: number;
  elapsedMs: number;
  gradedAt: string;
}

export interface StudentRecord {
  name: string;
  group?: string;
  instance: string;
  status: StudentStatus;
  /** Why the lab is not up (the error of its `up`), when status is failed. */
  error?: string;
  /** From the start of this student's up (or reset) to ready. */
  readyMs?: number;
  /** Index into the exercise's stages of the stage the student is on. */
  stage: number;
  lastCheck?: LastCheck;
  /**
   * Check results of each stage (by stage index) as last graded while the student was on
   * it: a later stage's faults must not re-grade what the student already did.
   */
  stageResults?: Record<string, StoredCheckResult[]>;
  /** Answers to the exercise's questions, by question id (workshop predict). */
  predictions?: Record<string, number>;
}

export interface ClassRecord {
  version: typeof CLASS_RECORD_VERSION;
  className: string;
  /** The lab file every student's instance is built from (absolute). */
  labFile: string;
  labName: string;
  exercise?: { file: string; name: string };
  createdAt: string;
  lvslabPid: number;
  students: StudentRecord[];
}

export function classDir(className: string): string {
  return `${WORKSHOPS_DIR}/${className}`;
}

export function classRecordFile(className: string): string {
  return `${classDir(className)}/class.json`;
}

export function sheetsDir(className: string): string {
  return `${classDir(className)}/sheets`;
}

export async function saveClass(record: ClassRecord): Promise<void> {
  await mkdir(classDir(record.className), { recursive: true });
  const file = classRecordFile(record.className);
  await writeFile(`${file}.tmp`, JSON.stringify(record, null, 2) + '\n');
  await rename(`${file}.tmp`, file);
}

export async function loadClass(className: string): Promise<ClassRecord | undefined> {
  try {
    const parsed = JSON.parse(await readFile(classRecordFile(className), 'utf8')) as ClassRecord;
    return parsed.version === CLASS_RECORD_VERSION ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export async function recordedClasses(): Promise<string[]> {
  const dirs = await readdir(WORKSHOPS_DIR).catch(() => [] as string[]);
  return dirs.filter((d) => classNameProblem(d) === undefined && existsSync(classRecordFile(d))).sort();
}

/** Removes the class directory (record and sheets); the workshops directory too when it is empty. */
export async function removeClass(className: string): Promise<string[]> {
  const dir = classDir(className);
  const removed = existsSync(dir) ? [dir] : [];
  await rm(dir, { recursive: true, force: true });
  if ((await readdir(WORKSHOPS_DIR).catch(() => ['?'])).length === 0) {
    await rm(WORKSHOPS_DIR, { recursive: true, force: true });
    removed.push(WORKSHOPS_DIR);
  }
  return removed;
}

/** The class a command means: the one named, or the only one there is. */
export async function pickClass(named: string | undefined): Promise<ClassRecord> {
  const all = await recordedClasses();
  const name = named ?? (all.length === 1 ? all[0] : undefined);
  if (name === undefined) {
    if (all.length === 0) throw new LvslabError('no workshop class is up', EXIT.notFound, 'lvslab workshop up ospf-ecmp --students 3');
    throw new LvslabError(`several classes are up (${all.join(', ')}): say which with --class`, EXIT.invalidInput);
  }
  const record = await loadClass(name);
  if (!record) throw new LvslabError(`no workshop class named '${name}' is up${all.length ? ` (up: ${all.join(', ')})` : ''}`, EXIT.notFound);
  return record;
}

export function studentOf(record: ClassRecord, student: string): StudentRecord {
  const s = record.students.find((x) => x.name === student);
  if (!s) throw new LvslabError(`class ${record.className} has no student '${student}' (students: ${record.students.map((x) => x.name).join(', ')})`, EXIT.notFound);
  return s;
}

/**
 * Serialises read-modify-write updates of one class record within this process (students
 * come up in parallel). Another lvslab process updating the same class at the same moment
 * (a reset during a grade) can still lose one of the two updates: the record is advisory
 * bookkeeping; the labs themselves are never decided by it.
 */
export class ClassRecordWriter {
  private chain: Promise<void> = Promise.resolve();
  constructor(readonly record: ClassRecord) {}

  update(change: (r: ClassRecord) => void): Promise<void> {
    this.chain = this.chain.then(async () => {
      change(this.record);
      await saveClass(this.record);
    });
    return this.chain;
  }
}
