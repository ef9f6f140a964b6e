// `workshop grade`: every student's checks evaluated live on their running lab (stages up to
// the one they are on), their predictions set beside what was measured, and the results
// written for students (Markdown + HTML each) and the teacher (one class page, CSV, JUnit).
import { mkdir, writeFile } from 'node:fs/promises';
import { openSession, type LabSession } from '../lab/session.js';
import { loadState } from '../runtime/instance-record.js';
import { runExperiment } from '../experiment/run.js';
import { resolveExperimentArgument } from '../lab/catalogue.js';
import { evaluateAssertions } from '../figures/assertions.js';
import type { Figure, RunResults } from '../experiment/types.js';
import { figureResolution, figureValue, figureWithUnit } from '../report/common.js';
import { EXIT, type ExitCode } from '../util/errors.js';
import { checkTitle, evaluateCheck, type CheckResult } from './checks.js';
import type { CheckSpec, LoadedExercise } from './exercise.js';
import { ClassRecordWriter, type ClassRecord, type StudentRecord } from './class-record.js';
import { boundedAll } from './class.js';
import { renderClassCsv, renderClassHtml, renderClassJunit, renderStudentHtml, renderStudentMarkdown } from './grade-report.js';

export interface PredictionResult {
  stage: number;
  id: string;
  ask: string;
  unit: string;
  predicted: number | null;
  /** What the check it names observed; null with a reason when nothing was measured. */
  measured: number | string | null;
  measuredNote?: string;
}

export interface StudentGrade {
  student: string;
  group?: string;
  instance: string;
  stage: number;
  /** Why nothing was checked (the lab is not up), when that is so. */
  notGraded?: string;
  checks: CheckResult[];
  predictions: PredictionResult[];
}

export interface ClassGrade {
  className: string;
  exercise: { name: string; title: string; lab: string };
  gradedAt: string;
  /** Every check id of the exercise, in order: the class page's columns. */
  columns: Array<{ id: string; title: string; stage: number }>;
  students: StudentGrade[];
}

/** Outcome of the whole grading, as `netlab validate` has it: all passed / a check failed / no usable check. */
export function gradeExitCode(grade: ClassGrade): ExitCode {
  const results = grade.students.flatMap((s) => s.checks);
  const usable = results.filter((r) => r.outcome !== 'unusable');
  if (usable.length === 0) return EXIT.noUsableChecks;
  if (usable.some((r) => r.outcome === 'failed') || grade.students.some((s) => s.notGraded)) return EXIT.checkFailed;
  return EXIT.ok;
}

/** One experiment run per student and experiment in a grading: every figure check on it reads the same run. */
type ExperimentRuns = Map<string, Promise<{ dir: string; figures: RunResults['figures'] }>>;

/**
 * Experiments run one at a time across the class: two at once on a small host would share
 * its cores, and their timing figures (an outage of 0.9 s) would measure the contention.
 */
let experimentQueue: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const next = experimentQueue.then(work, work);
  experimentQueue = next.catch(() => {});
  return next;
}

async function figureCheck(session: LabSession, record: ClassRecord, c: CheckSpec, outDir: string, runs: ExperimentRuns): Promise<CheckResult> {
  const started = Date.now();
  const base = { id: c.id, kind: c.kind, title: checkTitle(c), ...(c.hint ? { hint: c.hint } : {}), attempts: 1 };
  const quiet = { stageStart() {}, stageDone() {}, stageFail() {}, notice() {}, progress() {}, runStart() {}, runDone() {} };
  try {
    let run = runs.get(c.experiment!);
    if (!run) {
      run = resolveExperimentArgument(c.experiment!)
        .then((experimentFile) => oneAtATime(() => runExperiment({ experimentFile, lab: record.labFile, instance: session.lab.instance, repeat: 1, outDir: `${outDir}/${c.experiment}`, keep: true, upTimeoutMs: 60_000 }, quiet)))
        .then((r) => ({ dir: r.dir, figures: r.runs[0]!.figures }));
      runs.set(c.experiment!, run);
    }
    const result = await run;
    const [a] = evaluateAssertions([c.expect!], result.figures);
    const elapsedMs = Date.now() - started;
    if (!a) return { ...base, outcome: 'unusable', observed: null, detail: 'no assertion', elapsedMs };
    const f = (result.figures as Record<string, Figure>)[a.figure];
    const measured = a.actual === null ? `not measured${f?.note ? ` (${f.note})` : ''}` : `${figureWithUnit(f)} (resolution ${figureResolution(f)}${f && f.unit !== 'count' ? ` ${f.unit}` : ''}; the method is in the run's report)`;
    // The observed value as the reports print it: to the figure's resolution, not to float noise.
    const observed = a.actual === null ? null : Number(figureValue(f).replace(/[^0-9.+-]/g, '')) || a.actual;
    return { ...base, outcome: a.passed ? 'passed' : 'failed', observed, detail: `${a.expression}: measured ${measured}; run written to ${result.dir}`, elapsedMs };
  } catch (e) {
    return { ...base, outcome: 'failed', observed: null, detail: `the experiment did not run: ${(e as Error).message.split('\n')[0]}`, elapsedMs: Date.now() - started };
  }
}

async function gradeStudent(record: ClassRecord, student: StudentRecord, exercise: LoadedExercise, outDir: string): Promise<StudentGrade> {
  const stages = exercise.exercise.stages.slice(0, student.stage + 1);
  const grade: StudentGrade = { student: student.name, ...(student.group ? { group: student.group } : {}), instance: student.instance, stage: student.stage, checks: [], predictions: [] };
  const state = student.status === 'ready' ? await loadState(student.instance) : undefined;
  if (!state) {
    grade.notGraded = student.status === 'ready' ? `${student.instance} has no instance record (removed outside the workshop?)` : `the lab is ${student.status}${student.error ? `: ${student.error.split('\n')[0]}` : ''}`;
    return grade;
  }
  const session = await openSession(state);
  const runs: ExperimentRuns = new Map();
  for (const [si, stage] of stages.entries()) {
    if (si < student.stage) {
      // An earlier stage: its results as graded while the student was on it (the faults
      // of later stages would fail them now, through no doing of the student's).
      const stored = student.stageResults?.[String(si)];
      for (const c of stage.checks ?? []) {
        const kept = stored?.find((r) => r.id === c.id);
        grade.checks.push(
          kept
            ? { ...kept, kind: c.kind, detail: `${kept.detail} (graded on stage ${si + 1}, ${kept.gradedAt})` }
            : { id: c.id, kind: c.kind, title: checkTitle(c), outcome: 'unusable', observed: null, detail: `not graded while the student was on stage ${si + 1}`, attempts: 0, elapsedMs: 0 },
        );
      }
    } else {
      for (const c of stage.checks ?? []) {
        grade.checks.push(c.kind === 'figure' ? await figureCheck(session, record, c, `${outDir}/${student.name}-runs`, runs) : await evaluateCheck(session, c));
      }
    }
    for (const q of stage.questions ?? []) {
      const observedBy = q.observe ? grade.checks.find((r) => r.id === q.observe) : undefined;
      const predicted = student.predictions?.[q.id];
      grade.predictions.push({
        stage: si,
        id: q.id,
        ask: q.ask,
        unit: q.unit,
        predicted: predicted ?? null,
        measured: observedBy?.observed ?? null,
        ...(observedBy === undefined ? { measuredNote: 'not measured: the question names no check' } : observedBy.observed === null ? { measuredNote: `not measured: ${observedBy.detail}` } : {}),
      });
    }
  }
  return grade;
}

export interface GradeOptions {
  outDir: string;
  /** Students graded at the same time (each check runs commands in its own lab only). */
  parallel: number;
  /** Only these students (default: the whole class). */
  only?: string[];
}

export async function gradeClass(record: ClassRecord, exercise: LoadedExercise, opts: GradeOptions): Promise<{ grade: ClassGrade; files: string[] }> {
  const ex = exercise.exercise;
  const grade: ClassGrade = {
    className: record.className,
    exercise: { name: ex.name, title: ex.title, lab: ex.lab },
    gradedAt: new Date().toISOString(),
    columns: ex.stages.flatMap((s, si) => (s.checks ?? []).map((c) => ({ id: c.id, title: checkTitle(c), stage: si }))),
    students: [],
  };
  const targets = record.students.filter((s) => !opts.only || opts.only.includes(s.name));
  const byName = new Map<string, StudentGrade>();
  await mkdir(opts.outDir, { recursive: true });
  await boundedAll(targets, opts.parallel, async (s) => {
    byName.set(s.name, await gradeStudent(record, s, exercise, opts.outDir));
  });
  grade.students = targets.map((s) => byName.get(s.name)!);
  const writer = new ClassRecordWriter(record);
  await writer.update((r) => {
    for (const g of grade.students) {
      const s = r.students.find((x) => x.name === g.student);
      if (!s || g.notGraded) continue;
      const current = new Set((ex.stages[g.stage]?.checks ?? []).map((c) => c.id));
      s.stageResults = { ...(s.stageResults ?? {}), [String(g.stage)]: g.checks.filter((c) => current.has(c.id)).map((c) => ({ ...c, gradedAt: grade.gradedAt })) };
      s.lastCheck = { at: grade.gradedAt, passed: g.checks.filter((c) => c.outcome === 'passed').length, failed: g.checks.filter((c) => c.outcome === 'failed').length, unusable: g.checks.filter((c) => c.outcome === 'unusable').length };
    }
  });
  const files: string[] = [];
  const put = async (name: string, content: string) => {
    const f = `${opts.outDir}/${name}`;
    await writeFile(f, content);
    files.push(f);
  };
  for (const g of grade.students) {
    await put(`${g.student}.md`, renderStudentMarkdown(grade, g, exercise));
    await put(`${g.student}.html`, renderStudentHtml(grade, g, exercise));
  }
  await put('class.html', renderClassHtml(grade));
  await put('class.csv', renderClassCsv(grade));
  await put('junit.xml', renderClassJunit(grade));
  await put('grade.json', JSON.stringify(grade, null, 2) + '\n');
  return { grade, files };
}
