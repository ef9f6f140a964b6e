// A class on one host: one lab instance per student, each built through the same `up` path
// as `lvslab up` (so each rolls itself back when it fails), brought up a few at a time, with
// the exercise's faults planted once it is ready. A student whose lab fails is recorded as
// failed and the others stay. Reset and down work per student instance; down also sweeps
// every ws-CLASS-* instance it finds, so it leaves nothing after a kill -9 of `workshop up`.
import { mkdir, writeFile } from 'node:fs/promises';
import { loadLabFile } from '../model/load.js';
import type { ResolvedLab } from '../model/types.js';
import { decideDataplane, probeHost, up, type HostProbe, type UpEvents } from '../lab/up.js';
import type { DataplaneDecision } from '../lab/session.js';
import { openSession, type LabSession } from '../lab/session.js';
import type { Runtime } from '../runtime/runtime.js';
import { destroyEverywhere, listAllInstances } from '../runtime/select.js';
import { loadState } from '../runtime/instance-record.js';
import { EXIT, LvslabError } from '../util/errors.js';
import { ClassRecordWriter, loadClass, removeClass, saveClass, sheetsDir, type ClassRecord, type StudentRecord } from './class-record.js';
import type { LoadedExercise } from './exercise.js';
import { plantFaults } from './faults.js';
import { INSTANCE_PREFIX, studentInstance } from './names.js';
import type { Student } from './roster.js';
import { accessSheet } from './access-sheet.js';

export interface ClassEvents {
  /** A student's lab changed stage (validate, host, create, ready, faults, rollback) or ended. */
  student(name: string, text: string, outcome?: 'ready' | 'failed'): void;
}

export interface ClassUpOptions {
  className: string;
  labFile: string;
  lab: ResolvedLab;
  students: Student[];
  exercise?: LoadedExercise;
  /** How many students' labs come up at the same time. */
  parallel: number;
  timeoutMs: number;
}

/** Runs `work` over `items`, at most `limit` at a time, stopping new work once `stop()` says so. */
export async function boundedAll<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stop()) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** Faults of stages 0..stage, in order: where a student's lab must be after up or reset. */
export function faultsUpTo(exercise: LoadedExercise | undefined, stage: number) {
  return (exercise?.exercise.stages ?? []).slice(0, stage + 1).flatMap((s) => s.faults ?? []);
}

function quietEvents(name: string, events: ClassEvents): UpEvents {
  return {
    stageStart: (_id, text) => events.student(name, text),
    stageDone: () => {},
    stageFail: (_id, text) => events.student(name, text),
    notice: () => {},
  };
}

/** Brings one student's lab up to the start of its stage: up, then the faults planted (rolled back when planting fails). */
async function bringUpStudent(runtime: Runtime, opts: { labFile: string; instance: string; decision: DataplaneDecision; host: Promise<HostProbe>; timeoutMs: number; exercise?: LoadedExercise; stage: number; name: string }, events: ClassEvents): Promise<{ session: LabSession; readyMs: number }> {
  const lab = await loadLabFile(opts.labFile, { instance: opts.instance });
  const started = Date.now();
  const { session } = await up(runtime, { lab, dataplane: opts.decision, host: opts.host, timeoutMs: opts.timeoutMs, startedAt: started }, quietEvents(opts.name, events));
  const faults = faultsUpTo(opts.exercise, opts.stage);
  if (faults.length > 0) {
    events.student(opts.name, `planting ${faults.length} fault${faults.length === 1 ? '' : 's'}`);
    try {
      await plantFaults(session, faults);
    } catch (e) {
      await destroyEverywhere(opts.instance);
      throw e;
    }
  }
  return { session, readyMs: Date.now() - started };
}

export async function writeSheet(record: ClassRecord, student: StudentRecord, lab: ResolvedLab, exercise: LoadedExercise | undefined): Promise<string> {
  const dir = sheetsDir(record.className);
  await mkdir(dir, { recursive: true });
  const file = `${dir}/${student.name}.md`;
  await writeFile(file, accessSheet(record, student, lab, exercise));
  return file;
}

export async function upClass(runtime: Runtime, opts: ClassUpOptions, events: ClassEvents): Promise<ClassRecord> {
  if (await loadClass(opts.className)) {
    throw new LvslabError(`a class named '${opts.className}' is already up`, EXIT.invalidInput, `lvslab workshop down --class ${opts.className}   or   --class <another-name>`);
  }
  const instances = opts.students.map((s) => studentInstance(opts.className, s.name));
  const existing = new Set((await listAllInstances()).map((i) => i.instance));
  const taken = instances.filter((i) => existing.has(i));
  if (taken.length > 0) throw new LvslabError(`instances already exist: ${taken.join(', ')}`, EXIT.invalidInput, `lvslab workshop down --class ${opts.className}`);

  const host = probeHost(runtime.kind, runtime.host);
  const decision = await decideDataplane(opts.lab.dataplane, opts.lab, (await host).ipvs);
  const record: ClassRecord = {
    version: 1,
    className: opts.className,
    labFile: opts.labFile,
    labName: opts.lab.name,
    ...(opts.exercise ? { exercise: { file: opts.exercise.absoluteFile, name: opts.exercise.exercise.name } } : {}),
    createdAt: new Date().toISOString(),
    lvslabPid: process.pid,
    students: opts.students.map((s, i) => ({ name: s.name, ...(s.group ? { group: s.group } : {}), instance: instances[i]!, status: 'pending', stage: 0 })),
  };
  // Recorded before anything is created: `workshop down` after a kill -9 from here on knows the class.
  await saveClass(record);
  const writer = new ClassRecordWriter(record);
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  // The labs being created roll themselves back on the signal (up's own handlers); no new one starts.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await boundedAll(
      record.students,
      opts.parallel,
      async (student) => {
        await writer.update(() => {
          student.status = 'creating';
        });
        try {
          const { session, readyMs } = await bringUpStudent(runtime, { labFile: opts.labFile, instance: student.instance, decision, host, timeoutMs: opts.timeoutMs, exercise: opts.exercise, stage: 0, name: student.name }, events);
          await writeSheet(record, student, session.lab, opts.exercise);
          await writer.update(() => {
            student.status = 'ready';
            student.readyMs = readyMs;
          });
          events.student(student.name, `ready in ${(readyMs / 1000).toFixed(1)} s`, 'ready');
        } catch (e) {
          const message = (e as Error).message;
          await writer.update(() => {
            student.status = 'failed';
            student.error = message;
          });
          events.student(student.name, `failed: ${message.split('\n')[0]}`, 'failed');
        }
      },
      () => interrupted,
    );
    if (interrupted) {
      await writer.update(() => {
        for (const s of record.students) if (s.status === 'pending') s.status = 'failed';
      });
      throw new LvslabError(`interrupted: the students' labs already up stay (lvslab workshop down --class ${opts.className} removes them)`, EXIT.failure);
    }
    return record;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** One student's lab down and up again to the start of their stage; the others are not touched. */
export async function resetStudent(record: ClassRecord, studentName: string, exercise: LoadedExercise | undefined, timeoutMs: number, runtime: Runtime, events: ClassEvents): Promise<StudentRecord> {
  const writer = new ClassRecordWriter(record);
  const student = record.students.find((s) => s.name === studentName)!;
  await writer.update(() => {
    student.status = 'resetting';
    delete student.lastCheck;
    // Back at the start of the stage: its results so far no longer hold (earlier stages' stay).
    if (student.stageResults) delete student.stageResults[String(student.stage)];
    delete student.error;
  });
  events.student(student.name, `removing ${student.instance}`);
  await destroyEverywhere(student.instance);
  const lab = await loadLabFile(record.labFile, { instance: student.instance });
  const host = probeHost(runtime.kind, runtime.host);
  try {
    const decision = await decideDataplane(lab.dataplane, lab, (await host).ipvs);
    const { session, readyMs } = await bringUpStudent(runtime, { labFile: record.labFile, instance: student.instance, decision, host, timeoutMs, exercise, stage: student.stage, name: student.name }, events);
    await writeSheet(record, student, session.lab, exercise);
    await writer.update(() => {
      student.status = 'ready';
      student.readyMs = readyMs;
    });
    events.student(student.name, `back at the start of stage ${student.stage + 1} in ${(readyMs / 1000).toFixed(1)} s`, 'ready');
  } catch (e) {
    await writer.update(() => {
      student.status = 'failed';
      student.error = (e as Error).message;
    });
    throw e;
  }
  return student;
}

/** Moves a student to the next stage: its faults are planted on the running lab. */
export async function advanceStudent(record: ClassRecord, studentName: string, exercise: LoadedExercise): Promise<StudentRecord> {
  const writer = new ClassRecordWriter(record);
  const student = record.students.find((s) => s.name === studentName)!;
  const next = student.stage + 1;
  const stage = exercise.exercise.stages[next];
  if (!stage) throw new LvslabError(`${student.name} is on the last stage (${student.stage + 1} of ${exercise.exercise.stages.length})`, EXIT.invalidInput);
  const state = await loadState(student.instance);
  if (!state || student.status !== 'ready') throw new LvslabError(`${student.name}'s lab is not up (status ${student.status})`, EXIT.notFound, `lvslab workshop reset ${student.name}`);
  await plantFaults(await openSession(state), stage.faults ?? []);
  await writer.update(() => {
    student.stage = next;
    delete student.lastCheck;
  });
  await writeSheet(record, student, state.lab, exercise);
  return student;
}

export interface ClassDownReport {
  className: string;
  removedInstances: string[];
  killedProcesses: number;
  removedPaths: string[];
}

/** Removes every student's lab (and any ws-CLASS-* instance found without a record), then the class record. */
export async function downClass(className: string, parallel: number): Promise<ClassDownReport> {
  const record = await loadClass(className);
  const prefix = `${INSTANCE_PREFIX}${className}-`;
  const targets = new Set(record?.students.map((s) => s.instance) ?? []);
  for (const i of await listAllInstances()) if (i.instance.startsWith(prefix)) targets.add(i.instance);
  const report: ClassDownReport = { className, removedInstances: [], killedProcesses: 0, removedPaths: [] };
  await boundedAll([...targets].sort(), parallel, async (instance) => {
    const r = await destroyEverywhere(instance);
    if (r.removedNodes.length > 0 || r.removedPaths.length > 0) report.removedInstances.push(instance);
    report.killedProcesses += r.killedProcesses;
    report.removedPaths.push(...r.removedPaths);
  });
  // The class record goes last: a down killed half-way leaves it, and the next down finds the rest.
  report.removedPaths.push(...(await removeClass(className)));
  report.removedInstances.sort();
  return report;
}
