// Reading an exercise file (exercises/*.yaml): YAML with positions, the published schema
// (schema/exercise.schema.json) through the lab files' machinery, then the checks the schema
// cannot state (which keys each check and fault kind takes, regular expressions that
// compile, figure assertions that parse, questions that name a check of their stage), and,
// once the lab is known, that every node named exists and has the role the kind needs.
// Every problem is reported at file:line:column, all of them at once.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { readInputFile } from '../model/input-file.js';
import { compareProblems, LabValidationError, type LabIssue, type PathSegment, type Problem } from '../model/problems.js';
import { checkWithValidator, compileSchema, withoutRejected, type JsonSchema } from '../model/schema.js';
import { issueToProblem, parseYamlWithPositions } from '../model/yaml-source.js';
import type { SourceLocator } from '../model/locate.js';
import type { ResolvedLab, ResolvedNode } from '../model/types.js';
import { AssertionSyntaxError, parseAssertion } from '../figures/assertions.js';
import { EXIT, LvslabError } from '../util/errors.js';
import { DEFAULT_WINDOW_S } from './checks.js';

export const EXERCISE_SCHEMA_URL = new URL('../../schema/exercise.schema.json', import.meta.url);
export const EXERCISES_DIR = fileURLToPath(new URL('../../exercises/', import.meta.url));

export type CheckKind = 'route-nexthops' | 'ospf-neighbors' | 'http' | 'sysctl' | 'daemon' | 'command' | 'figure';
export type FaultKind = 'arp-sysctls-missing' | 'vip-missing-on-lo' | 'ospf-dead-interval';

export interface CheckSpec {
  id: string;
  kind: CheckKind;
  title?: string;
  within_s?: number;
  hold_s?: number;
  hint?: string;
  node?: string;
  prefix?: string;
  count?: number;
  state?: string;
  from?: string;
  service?: string;
  path?: string;
  requests?: number;
  answered_by?: string[];
  all_answered?: boolean;
  key?: string;
  value?: string;
  daemon?: string;
  running?: boolean;
  argv?: string[];
  match?: string;
  exit?: number;
  experiment?: string;
  expect?: string;
}

export interface FaultSpec {
  kind: FaultKind;
  node: string;
  service?: string;
  interface?: string;
  seconds?: number;
}

export interface QuestionSpec {
  id: string;
  ask: string;
  unit: string;
  observe?: string;
}

export interface StageSpec {
  title: string;
  text: string;
  faults?: FaultSpec[];
  questions?: QuestionSpec[];
  checks?: CheckSpec[];
}

export interface ExerciseFile {
  name: string;
  title: string;
  description?: string;
  lab: string;
  stages: StageSpec[];
}

export interface LoadedExercise {
  exercise: ExerciseFile;
  file: string;
  absoluteFile: string;
  sha256: string;
  problemAt(issue: LabIssue): Problem;
}

/** Keys each check kind takes beyond id, kind, title, within_s and hint (required ones first). */
export const CHECK_KEYS: Record<CheckKind, { required: string[]; optional: string[] }> = {
  'route-nexthops': { required: ['node', 'prefix', 'count'], optional: [] },
  'ospf-neighbors': { required: ['node', 'count'], optional: ['state'] },
  http: { required: ['from'], optional: ['service', 'path', 'requests', 'answered_by', 'all_answered'] },
  sysctl: { required: ['node', 'key', 'value'], optional: [] },
  daemon: { required: ['node', 'daemon'], optional: ['running'] },
  command: { required: ['node', 'argv', 'match'], optional: ['exit'] },
  figure: { required: ['experiment', 'expect'], optional: [] },
};
const CHECK_COMMON = ['id', 'kind', 'title', 'within_s', 'hold_s', 'hint'];

export const FAULT_KEYS: Record<FaultKind, { required: string[]; optional: string[]; role: ResolvedNode['role'] }> = {
  'arp-sysctls-missing': { required: ['node'], optional: [], role: 'realserver' },
  'vip-missing-on-lo': { required: ['node'], optional: ['service'], role: 'realserver' },
  'ospf-dead-interval': { required: ['node', 'seconds'], optional: ['interface'], role: 'director' },
};

let validator: ValidateFunction | undefined;
function exerciseValidator(): ValidateFunction {
  validator ??= compileSchema(JSON.parse(readFileSync(EXERCISE_SCHEMA_URL, 'utf8')) as JsonSchema);
  return validator;
}

type Loose<T> = { [K in keyof T]?: unknown };

export function loadExerciseText(text: string, file: string): LoadedExercise {
  const parsed = parseYamlWithPositions(text, file);
  const problems: Problem[] = [...parsed.problems];
  if (parsed.fatal) throw new LabValidationError(problems.sort(compareProblems), 'exercise');
  const schema = checkWithValidator(exerciseValidator(), parsed.data);
  // An if/then branch's own error ("must match then schema") repeats the `required` error under it.
  const issues: LabIssue[] = schema.issues.filter((i) => !/must match "(then|else)" schema/.test(i.message));
  const usable = withoutRejected(parsed.data, schema.rejected);
  if (usable !== null && typeof usable === 'object' && !Array.isArray(usable)) issues.push(...checkExercise(usable as Loose<ExerciseFile>));
  for (const issue of issues) problems.push(issueToProblem(file, parsed.locator, issue));
  problems.sort(compareProblems);
  if (problems.some((p) => p.severity === 'error')) throw new LabValidationError(problems, 'exercise');
  return {
    exercise: parsed.data as ExerciseFile,
    file,
    absoluteFile: resolvePath(file),
    sha256: createHash('sha256').update(text).digest('hex'),
    problemAt: (issue) => issueToProblem(file, parsed.locator as SourceLocator, issue),
  };
}

export async function loadExerciseFile(path: string): Promise<LoadedExercise> {
  const { text } = await readInputFile(path, 'exercise');
  return loadExerciseText(text, path);
}

const err = (path: PathSegment[], message: string, accepted?: string, at?: LabIssue['at']): LabIssue => ({ path, message, severity: 'error', ...(accepted ? { accepted } : {}), ...(at ? { at } : {}) });

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The lab-independent checks, on what the schema accepted. */
function checkExercise(ex: Loose<ExerciseFile>): LabIssue[] {
  const issues: LabIssue[] = [];
  const checkIds = new Map<string, string>();
  asList(ex.stages).forEach((stage, si) => {
    if (!isMapping(stage)) return;
    const stageChecks = new Set<string>();
    asList(stage.checks).forEach((check, ci) => {
      if (!isMapping(check)) return;
      const path: PathSegment[] = ['stages', si, 'checks', ci];
      const kind = check.kind as CheckKind | undefined;
      if (typeof check.id === 'string') {
        const first = checkIds.get(check.id);
        if (first) issues.push(err([...path, 'id'], `check id '${check.id}' is used twice (first at ${first})`, 'an id unique in the exercise: it names the column of the class page'));
        else checkIds.set(check.id, `stages[${si}].checks[${ci}]`);
        stageChecks.add(check.id);
      }
      if (kind === undefined || !(kind in CHECK_KEYS)) return;
      const allowed = new Set([...CHECK_COMMON, ...CHECK_KEYS[kind].required, ...CHECK_KEYS[kind].optional]);
      for (const key of Object.keys(check)) {
        if (!allowed.has(key)) issues.push(err([...path, key], `key '${key}' does not apply to kind ${kind}`, [...allowed].join(', '), 'key'));
      }
      if (typeof check.hold_s === 'number') {
        const window = typeof check.within_s === 'number' ? check.within_s : DEFAULT_WINDOW_S;
        if (check.hold_s > window) issues.push(err([...path, 'hold_s'], `hold_s ${check.hold_s} is longer than the retry window (within_s ${window})`, `within_s of at least ${check.hold_s}`));
      }
      if (kind === 'command' && typeof check.match === 'string') {
        try {
          new RegExp(check.match);
        } catch (e) {
          issues.push(err([...path, 'match'], `not a regular expression: ${(e as Error).message}`, 'a JavaScript regular expression such as "state Full"'));
        }
      }
      if (kind === 'figure' && typeof check.expect === 'string') {
        try {
          parseAssertion(check.expect);
        } catch (e) {
          issues.push(err([...path, 'expect'], e instanceof AssertionSyntaxError ? e.reason : String(e)));
        }
      }
    });
    asList(stage.faults).forEach((fault, fi) => {
      if (!isMapping(fault)) return;
      const kind = fault.kind as FaultKind | undefined;
      if (kind === undefined || !(kind in FAULT_KEYS)) return;
      const allowed = new Set(['kind', ...FAULT_KEYS[kind].required, ...FAULT_KEYS[kind].optional]);
      for (const key of Object.keys(fault)) {
        if (!allowed.has(key)) issues.push(err(['stages', si, 'faults', fi, key], `key '${key}' does not apply to fault kind ${kind}`, [...allowed].join(', '), 'key'));
      }
    });
    const questionIds = new Set<string>();
    asList(stage.questions).forEach((q, qi) => {
      if (!isMapping(q)) return;
      if (typeof q.id === 'string') {
        if (questionIds.has(q.id)) issues.push(err(['stages', si, 'questions', qi, 'id'], `question id '${q.id}' is used twice in this stage`, 'an id unique in its stage'));
        questionIds.add(q.id);
      }
      if (typeof q.observe === 'string' && !stageChecks.has(q.observe)) {
        issues.push(err(['stages', si, 'questions', qi, 'observe'], `no check '${q.observe}' in this stage`, stageChecks.size ? [...stageChecks].join(', ') : 'the id of a check of this stage (the stage has none)'));
      }
    });
  });
  return issues;
}

/**
 * The checks that need the lab: it is the exercise's lab, and every node a check or fault
 * names is in it with the role the kind needs. Throws one error listing every problem.
 */
export function bindExercise(loaded: LoadedExercise, lab: ResolvedLab): void {
  const ex = loaded.exercise;
  const issues: LabIssue[] = [];
  if (ex.lab !== lab.name) {
    issues.push(err(['lab'], `the exercise runs on lab '${ex.lab}', not on '${lab.name}'`, `lvslab workshop up ${ex.lab} --exercise ${loaded.file}`));
  }
  const nodes = new Map(lab.nodes.map((n) => [n.name, n]));
  const nodeNames = lab.nodes.map((n) => n.name).join(', ');
  const needNode = (path: PathSegment[], name: string | undefined, role?: ResolvedNode['role']): void => {
    if (name === undefined) return;
    const n = nodes.get(name);
    if (!n) issues.push(err(path, `lab ${lab.name} has no node '${name}'`, nodeNames));
    else if (role && n.role !== role) issues.push(err(path, `node '${name}' is a ${n.role}, this needs a ${role}`, lab.nodes.filter((x) => x.role === role).map((x) => x.name).join(', ') || `(lab ${lab.name} has no ${role})`));
  };
  const services = lab.services.map((s) => s.name);
  ex.stages.forEach((stage, si) => {
    (stage.faults ?? []).forEach((f, fi) => {
      const path: PathSegment[] = ['stages', si, 'faults', fi];
      needNode([...path, 'node'], f.node, FAULT_KEYS[f.kind].role);
      if (f.service !== undefined && !services.includes(f.service)) issues.push(err([...path, 'service'], `lab ${lab.name} has no service '${f.service}'`, services.join(', ')));
      if (f.kind === 'ospf-dead-interval' && nodes.get(f.node)?.ospf === undefined && nodes.has(f.node)) issues.push(err([...path, 'node'], `node '${f.node}' runs no OSPF`, 'a director that announces the VIP over OSPF'));
      if (f.kind === 'ospf-dead-interval' && f.interface !== undefined && nodes.has(f.node) && !nodes.get(f.node)!.interfaces.some((i) => i.name === f.interface)) {
        issues.push(err([...path, 'interface'], `node '${f.node}' has no interface '${f.interface}'`, nodes.get(f.node)!.interfaces.map((i) => i.name).join(', ')));
      }
    });
    (stage.checks ?? []).forEach((c, ci) => {
      const path: PathSegment[] = ['stages', si, 'checks', ci];
      needNode([...path, 'node'], c.node);
      needNode([...path, 'from'], c.from, 'client');
      (c.answered_by ?? []).forEach((rs, i) => needNode([...path, 'answered_by', i], rs, 'realserver'));
      if (c.kind === 'http' && c.service === undefined && lab.services.length !== 1) issues.push(err(path, `lab ${lab.name} has ${lab.services.length} services: say which`, `service: ${services.join(' or ')}`));
      if (c.service !== undefined && !services.includes(c.service)) issues.push(err([...path, 'service'], `lab ${lab.name} has no service '${c.service}'`, services.join(', ')));
    });
  });
  const problems = issues.map((i) => loaded.problemAt(i)).sort(compareProblems);
  if (problems.length > 0) throw new LabValidationError(problems, 'exercise');
}

/** EXERCISE arguments: a name in exercises/ or a path. */
export async function resolveExerciseArgument(arg: string): Promise<string> {
  if (arg === '') throw new LvslabError('the exercise argument is empty', EXIT.invalidInput);
  if (arg.includes('/') || /\.ya?ml$/.test(arg)) return resolvePath(arg);
  const names = (await readdir(EXERCISES_DIR).catch(() => [] as string[])).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
  if (names.includes(arg)) return `${EXERCISES_DIR}${arg}.yaml`;
  throw new LvslabError(`no exercise named '${arg}' (accepted: ${names.join(', ')}, or a path to an exercise file)`, EXIT.invalidInput, 'lvslab workshop exercises  lists them');
}

export async function listExercises(): Promise<Array<{ name: string; title: string; lab: string; file: string }>> {
  const files = (await readdir(EXERCISES_DIR).catch(() => [] as string[])).filter((f) => f.endsWith('.yaml')).sort();
  const out = [];
  for (const f of files) {
    const loaded = await loadExerciseFile(`${EXERCISES_DIR}${f}`);
    out.push({ name: loaded.exercise.name, title: loaded.exercise.title, lab: loaded.exercise.lab, file: loaded.absoluteFile });
  }
  return out;
}
