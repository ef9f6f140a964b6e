// `lvslab workshop …`: a class of students on one host (src/workshop/): bring a lab up once
// per student, see who is ready or stuck, reset one student, grade everyone's checks, and
// remove the whole class.
import type { Command } from 'commander';
import { resolveLabArgument } from '../../lab/catalogue.js';
import { loadLabFile } from '../../model/load.js';
import { checkReadiness } from '../../lab/readiness.js';
import { loadState } from '../../runtime/instance-record.js';
import { runtimeOfKind, runtimeOfRecord } from '../../runtime/select.js';
import { defaultRuntimeKind } from '../../runtime/registry.js';
import type { RuntimeKind } from '../../runtime/runtime.js';
import { EXIT, LvslabError } from '../../util/errors.js';
import { printJson, runtimeOption, runtimeSettingsOf, table, withRuntimeFlags } from './shared.js';
import { checkClassName, checkStudentName, DEFAULT_CLASS, numberedStudents } from '../../workshop/names.js';
import { loadRosterFile, type Student } from '../../workshop/roster.js';
import { bindExercise, listExercises, loadExerciseFile, resolveExerciseArgument, type LoadedExercise } from '../../workshop/exercise.js';
import { estimateCapacity, formatEstimate, latestBenchmark, readHostCapacity } from '../../workshop/capacity.js';
import { advanceStudent, boundedAll, downClass, resetStudent, upClass, type ClassEvents } from '../../workshop/class.js';
import { ClassRecordWriter, pickClass, sheetsDir, studentOf, type ClassRecord } from '../../workshop/class-record.js';
import { gradeClass, gradeExitCode } from '../../workshop/grade.js';
import { cpus } from 'node:os';

const MAX_STUDENTS = 200;

function positiveInt(text: string, flag: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new LvslabError(`${flag} ${text}: expected a whole number from 1 to ${max}`, EXIT.invalidInput);
  return n;
}

function timeoutOf(text: string): number {
  const s = Number(text);
  if (!Number.isFinite(s) || s <= 0) throw new LvslabError(`--timeout ${text}: expected a positive number of seconds`, EXIT.invalidInput);
  return s * 1000;
}

/** Class-wide progress on stderr: one line per change of a student's lab, with the class's tally. */
function classProgress(total: number, json: boolean): ClassEvents {
  const started = Date.now();
  let ready = 0;
  let failed = 0;
  const width = 12;
  return {
    student(name, text, outcome) {
      if (outcome === 'ready') ready++;
      if (outcome === 'failed') failed++;
      if (json && !outcome) return;
      const stamp = `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`;
      process.stderr.write(`${stamp} ${name.padEnd(width)} ${text}   (${ready}/${total} ready, ${failed} failed)\n`);
    },
  };
}

async function exerciseOfClass(record: ClassRecord): Promise<LoadedExercise | undefined> {
  return record.exercise ? loadExerciseFile(record.exercise.file) : undefined;
}

export function registerWorkshop(program: Command): void {
  const ws = program
    .command('workshop')
    .description('teach a class: one isolated lab per student, exercises with planted faults and predictions, live grading')
    .addHelpText('after', `
A class is a set of lab instances named ws-CLASS-STUDENT, one per student, on this host.

Examples:
  lvslab workshop up lvs-dr --roster class.csv --exercise arp-ignore
  lvslab workshop up ospf-ecmp --students 20 --class monday
  lvslab workshop status
  lvslab exec --student alice rs1 -- sysctl net.ipv4.conf.all.arp_ignore
  lvslab workshop reset alice
  lvslab workshop grade --out grades/
  lvslab workshop down

See README "Running a workshop".`);

  withRuntimeFlags(ws.command('up'))
    .argument('<LAB>', 'catalogue name (lvslab labs) or path to a lab file')
    .option('--students <N>', 'this many students, named s01, s02, …')
    .option('--roster <FILE>', 'students from a YAML (students: [name | {name, group}]) or CSV (name[,group]) file')
    .option('--class <NAME>', `class name, part of every instance name (default: the roster's class:, else ${DEFAULT_CLASS})`)
    .option('--exercise <EXERCISE>', 'an exercise (lvslab workshop exercises) or exercise file: its first stage\'s faults are planted after up')
    .option('--parallel <N>', 'students\' labs brought up at the same time (default: the CPU count)')
    .addOption(runtimeOption('where the nodes run').default(defaultRuntimeKind()))
    .option('--timeout <SECONDS>', 'how long each lab may take to become ready', '120')
    .option('--force', 'go ahead although the capacity check says the class does not fit (or has no benchmark to go by)')
    .option('--json', 'print the class as JSON on stdout')
    .description('bring up one lab per student, after checking the class fits on this host')
    .addHelpText('after', `
Before creating anything, the class's memory, processes and idle CPU (per student as
bench/workshop.mjs measured them) are compared with this host's MemAvailable, pid_max
and CPU count; a class that does not fit is refused with the numbers (--force overrides).
A student's lab that fails is rolled back and reported; the others stay up.
Exit 0 when every student's lab is ready, 1 when one failed.`)
    .action(async (labArg: string, opts: { students?: string; roster?: string; class?: string; exercise?: string; parallel?: string; runtime: RuntimeKind; timeout: string; force?: boolean; json?: boolean } & Record<string, unknown>) => {
      if ((opts.students === undefined) === (opts.roster === undefined)) throw new LvslabError('give --students N or --roster FILE (one of them)', EXIT.invalidInput);
      const timeoutMs = timeoutOf(opts.timeout);
      const parallel = opts.parallel === undefined ? cpus().length : positiveInt(opts.parallel, '--parallel', 64);
      let students: Student[];
      let className = opts.class;
      if (opts.roster !== undefined) {
        const roster = await loadRosterFile(opts.roster);
        students = roster.students;
        className ??= roster.className;
      } else students = numberedStudents(positiveInt(opts.students!, '--students', MAX_STUDENTS)).map((name) => ({ name }));
      className ??= DEFAULT_CLASS;
      checkClassName(className, '--class');
      const labFile = await resolveLabArgument(labArg);
      const lab = await loadLabFile(labFile);
      const exercise = opts.exercise !== undefined ? await loadExerciseFile(await resolveExerciseArgument(opts.exercise)) : undefined;
      if (exercise) bindExercise(exercise, lab);

      const bench = latestBenchmark();
      if (!bench) {
        if (!opts.force) throw new LvslabError('no workshop benchmark result (bench/results/workshop-*.json) to estimate the class from', EXIT.hostNotReady, 'node bench/workshop.mjs --students 3   measures one, or --force to go ahead unchecked');
        process.stderr.write('capacity: not checked (no benchmark result; --force)\n');
      } else {
        const estimate = estimateCapacity({ name: lab.name, nodes: lab.nodes.length }, students.length, bench, readHostCapacity());
        if (estimate.shortfalls.length > 0 && !opts.force) {
          throw new LvslabError(`a class of ${students.length} does not fit on this host:\n${estimate.shortfalls.map((s) => `  - ${s}`).join('\n')}\n${formatEstimate(estimate)}`, EXIT.hostNotReady, `at most ${estimate.largestClass} students here; --force to try anyway`);
        }
        process.stderr.write(`capacity: ${formatEstimate(estimate)}${estimate.shortfalls.length ? '\n  DOES NOT FIT (--force)' : ''}\n`);
      }
      const runtime = await runtimeOfKind(opts.runtime, runtimeSettingsOf(opts));
      const record = await upClass(runtime, { className, labFile, lab, students, exercise, parallel, timeoutMs }, classProgress(students.length, Boolean(opts.json)));
      const failed = record.students.filter((s) => s.status !== 'ready');
      if (opts.json) printJson(record);
      else {
        process.stdout.write(`class ${className}: ${record.students.length - failed.length}/${record.students.length} labs ready${exercise ? `, exercise ${exercise.exercise.name}` : ''}\n`);
        process.stdout.write(`access sheets: ${sheetsDir(className)}/STUDENT.md\n`);
        for (const s of failed) process.stdout.write(`  ${s.name}: FAILED ${s.error?.split('\n')[0] ?? ''}\n`);
      }
      if (failed.length > 0) process.exitCode = EXIT.failure;
    });

  ws.command('status')
    .option('--class <NAME>', 'the class (default: the only one)')
    .option('--json', 'machine-readable output')
    .description('one line per student: lab ready or broken (live readiness), exercise stage, last check')
    .action(async (opts: { class?: string; json?: boolean }) => {
      const record = await pickClass(opts.class);
      const exercise = await exerciseOfClass(record);
      const rows: Array<{ student: string; group?: string; instance: string; lab: string; detail: string; stage: string; lastCheck: string }> = [];
      await boundedAll(record.students, cpus().length, async (s) => {
        let lab = s.status as string;
        let detail = s.error?.split('\n')[0] ?? '';
        if (s.status === 'ready') {
          const state = await loadState(s.instance);
          if (!state) {
            lab = 'broken';
            detail = 'no instance record (removed outside the workshop?)';
          } else {
            const readiness = await checkReadiness(await runtimeOfRecord(state), state.lab, state.dataplane);
            lab = readiness.ready ? 'ready' : 'broken';
            detail = readiness.checks.filter((c) => !c.ok).map((c) => c.detail)[0] ?? '';
          }
        }
        const stage = exercise ? `${exercise.exercise.name} ${s.stage + 1}/${exercise.exercise.stages.length}` : '-';
        const lastCheck = s.lastCheck ? `${s.lastCheck.passed} passed, ${s.lastCheck.failed} failed (${s.lastCheck.at})` : 'never';
        rows.push({ student: s.name, ...(s.group ? { group: s.group } : {}), instance: s.instance, lab, detail, stage, lastCheck });
      });
      rows.sort((a, b) => record.students.findIndex((s) => s.name === a.student) - record.students.findIndex((s) => s.name === b.student));
      if (opts.json) return printJson({ className: record.className, lab: record.labName, exercise: record.exercise?.name ?? null, students: rows });
      process.stdout.write(`class ${record.className}, lab ${record.labName}\n`);
      process.stdout.write(table([['STUDENT', 'LAB', 'EXERCISE', 'LAST CHECK', 'WHY'], ...rows.map((r) => [r.student, r.lab, r.stage, r.lastCheck, r.detail])]) + '\n');
    });

  withRuntimeFlags(ws.command('reset'))
    .argument('<STUDENT>', 'the student whose lab goes back to the start of their stage')
    .option('--class <NAME>', 'the class (default: the only one)')
    .option('--timeout <SECONDS>', 'how long the lab may take to become ready', '120')
    .option('--json', 'print the student\'s record as JSON')
    .description('take one student\'s lab down and up again, faults planted as at the start of their stage; nobody else\'s lab is touched')
    .action(async (name: string, opts: { class?: string; timeout: string; json?: boolean } & Record<string, unknown>) => {
      checkStudentName(name, 'STUDENT');
      const timeoutMs = timeoutOf(opts.timeout);
      const record = await pickClass(opts.class);
      const student = studentOf(record, name);
      const state = await loadState(student.instance);
      const runtime = state ? await runtimeOfRecord(state) : await runtimeOfKind(defaultRuntimeKind(), runtimeSettingsOf(opts));
      const s = await resetStudent(record, name, await exerciseOfClass(record), timeoutMs, runtime, classProgress(1, Boolean(opts.json)));
      if (opts.json) printJson(s);
      else process.stdout.write(`${name}: lab ${s.instance} is back at the start of stage ${s.stage + 1}\n`);
    });

  ws.command('next')
    .argument('<STUDENT...>', 'students to move on to the next stage (its faults are planted on their lab)')
    .option('--class <NAME>', 'the class (default: the only one)')
    .description('move students to the exercise\'s next stage')
    .action(async (names: string[], opts: { class?: string }) => {
      const record = await pickClass(opts.class);
      const exercise = await exerciseOfClass(record);
      if (!exercise) throw new LvslabError(`class ${record.className} has no exercise`, EXIT.invalidInput);
      for (const n of names) {
        checkStudentName(n, 'STUDENT');
        studentOf(record, n);
      }
      for (const n of names) {
        const s = await advanceStudent(record, n, exercise);
        process.stdout.write(`${n}: stage ${s.stage + 1} of ${exercise.exercise.stages.length}: ${exercise.exercise.stages[s.stage]!.title}\n`);
      }
    });

  ws.command('predict')
    .requiredOption('--student <NAME>', 'whose prediction')
    .option('--class <NAME>', 'the class (default: the only one)')
    .argument('<QUESTION>', 'the question id (on the access sheet)')
    .argument('<VALUE>', 'the predicted value, a number in the question\'s unit')
    .description('record a student\'s answer to a predict-then-observe question; grade shows it beside the measurement')
    .action(async (question: string, value: string, opts: { student: string; class?: string }) => {
      checkStudentName(opts.student, '--student');
      const record = await pickClass(opts.class);
      const student = studentOf(record, opts.student);
      const exercise = await exerciseOfClass(record);
      const questions = (exercise?.exercise.stages ?? []).slice(0, student.stage + 1).flatMap((s) => s.questions ?? []);
      if (!questions.some((q) => q.id === question)) throw new LvslabError(`no question '${question}' on ${student.name}'s stages`, EXIT.invalidInput, questions.length ? `questions: ${questions.map((q) => q.id).join(', ')}` : 'this exercise asks none yet');
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new LvslabError(`VALUE ${value}: expected a number`, EXIT.invalidInput);
      await new ClassRecordWriter(record).update(() => {
        student.predictions = { ...(student.predictions ?? {}), [question]: n };
      });
      process.stdout.write(`${student.name}: ${question} = ${n} recorded\n`);
    });

  ws.command('grade')
    .option('--class <NAME>', 'the class (default: the only one)')
    .option('--student <NAME...>', 'only these students')
    .option('--out <DIR>', 'where the reports go (default: ./workshop-CLASS-grade)')
    .option('--json', 'print the grades as JSON on stdout')
    .description('run every student\'s checks live on their lab; write student reports, the class page, CSV and JUnit')
    .addHelpText('after', `
Writes STUDENT.md and STUDENT.html per student, class.html, class.csv, junit.xml and
grade.json. Exit 0 when every check passed, 7 when a check failed (or a lab was not up
to be checked), 8 when no check could be evaluated.`)
    .action(async (opts: { class?: string; student?: string[]; out?: string; json?: boolean }) => {
      const record = await pickClass(opts.class);
      const exercise = await exerciseOfClass(record);
      if (!exercise) throw new LvslabError(`class ${record.className} has no exercise: nothing to grade`, EXIT.noUsableChecks, 'lvslab workshop up LAB --exercise EXERCISE');
      for (const s of opts.student ?? []) studentOf(record, s);
      const outDir = opts.out ?? `workshop-${record.className}-grade`;
      const { grade, files } = await gradeClass(record, exercise, { outDir, parallel: cpus().length, ...(opts.student ? { only: opts.student } : {}) });
      if (opts.json) printJson(grade);
      else {
        const rows = grade.students.map((g) => [g.student, g.notGraded ? 'NOT GRADED' : `${g.checks.filter((c) => c.outcome === 'passed').length}/${g.checks.length} passed`, g.notGraded ?? g.checks.filter((c) => c.outcome !== 'passed').map((c) => c.id).join(', ')]);
        process.stdout.write(table([['STUDENT', 'RESULT', 'FAILED'], ...rows]) + '\n');
        process.stdout.write(`written: ${files.find((f) => f.endsWith('class.html'))} (and ${files.length - 1} more in ${outDir})\n`);
      }
      process.exitCode = gradeExitCode(grade);
    });

  ws.command('down')
    .option('--class <NAME>', 'the class (default: the only one)')
    .option('--json', 'print what was removed as JSON')
    .description('remove every student\'s lab and the class record (also after a crashed or killed workshop up)')
    .action(async (opts: { class?: string; json?: boolean }) => {
      let className = opts.class;
      if (className !== undefined) checkClassName(className, '--class');
      else className = (await pickClass(undefined)).className;
      const report = await downClass(className, cpus().length);
      if (opts.json) return printJson(report);
      process.stdout.write(`class ${className}: removed ${report.removedInstances.length} labs, ${report.killedProcesses} processes\n`);
    });

  ws.command('capacity')
    .argument('<LAB>', 'catalogue name or lab file')
    .requiredOption('--students <N>', 'class size')
    .option('--json', 'machine-readable output')
    .description('what a class of N needs and whether it fits on this host (the check workshop up makes)')
    .action(async (labArg: string, opts: { students: string; json?: boolean }) => {
      const n = positiveInt(opts.students, '--students', MAX_STUDENTS);
      const lab = await loadLabFile(await resolveLabArgument(labArg));
      const bench = latestBenchmark();
      if (!bench) throw new LvslabError('no workshop benchmark result (bench/results/workshop-*.json)', EXIT.hostNotReady, 'node bench/workshop.mjs --students 3');
      const e = estimateCapacity({ name: lab.name, nodes: lab.nodes.length }, n, bench, readHostCapacity());
      if (opts.json) return printJson(e);
      process.stdout.write(`${formatEstimate(e)}\n${e.shortfalls.length ? `DOES NOT FIT:\n${e.shortfalls.map((s) => `  - ${s}`).join('\n')}` : 'fits'}\n`);
      if (e.shortfalls.length) process.exitCode = EXIT.hostNotReady;
    });

  ws.command('exercises')
    .option('--json', 'machine-readable output')
    .description('list the built-in exercises (exercises/*.yaml)')
    .action(async (opts: { json?: boolean }) => {
      const list = await listExercises();
      if (opts.json) return printJson(list);
      process.stdout.write(table([['EXERCISE', 'LAB', 'TITLE'], ...list.map((e) => [e.name, e.lab, e.title])]) + '\n');
    });

  ws.command('validate')
    .argument('<EXERCISE>', 'exercise name or file')
    .description('check an exercise file against its schema and its lab (problems at file:line:column); changes nothing')
    .action(async (arg: string) => {
      const loaded = await loadExerciseFile(await resolveExerciseArgument(arg));
      bindExercise(loaded, await loadLabFile(await resolveLabArgument(loaded.exercise.lab)));
      const ex = loaded.exercise;
      const checks = ex.stages.reduce((n, s) => n + (s.checks?.length ?? 0), 0);
      process.stdout.write(`${loaded.file}: exercise ${ex.name} is valid (${ex.stages.length} stages, ${checks} checks, lab ${ex.lab})\n`);
    });
}
