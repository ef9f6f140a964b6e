// The workshop's pure parts: roster and exercise validation (problems at file:line:column),
// instance names, check judgements, the capacity estimate, fault commands, grading exit codes
// and the class reports' shapes.
import { describe, expect, test } from 'vitest';
import { readdirSync } from 'node:fs';
import { LabValidationError } from '../../src/model/problems.js';
import { loadLabFile } from '../../src/model/load.js';
import { CATALOGUE_DIR } from '../../src/lab/catalogue.js';
import { loadRosterText } from '../../src/workshop/roster.js';
import { numberedStudents, studentInstance, studentNameProblem, classNameProblem } from '../../src/workshop/names.js';
import { bindExercise, EXERCISES_DIR, loadExerciseFile, loadExerciseText } from '../../src/workshop/exercise.js';
import { judgeCommand, judgeHttp, judgeNextHops, judgeOspfNeighbors, judgeSysctl, tallyHttp } from '../../src/workshop/checks.js';
import { estimateCapacity, type BenchmarkCosts } from '../../src/workshop/capacity.js';
import { faultCommands } from '../../src/workshop/faults.js';
import { gradeExitCode, type ClassGrade } from '../../src/workshop/grade.js';
import { predictionVerdict, renderClassCsv, renderClassJunit } from '../../src/workshop/grade-report.js';
import { EXIT } from '../../src/util/errors.js';
import { faultsUpTo } from '../../src/workshop/class.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof LabValidationError) return e.problems.map((p) => `${p.line}:${p.column} ${p.field}: ${p.message}`);
    throw e;
  }
  throw new Error('expected a validation error');
}

describe('names', () => {
  test('instance names are ws-CLASS-STUDENT and fit the instance rule at the longest names', () => {
    expect(studentInstance('class', 'alice')).toBe('ws-class-alice');
    expect(studentInstance('abcdefgh', 'abcdefghijkl')).toHaveLength(24);
  });
  test('bad names are refused with a reason', () => {
    expect(studentNameProblem('Alice')).toMatch(/capital letters \(write 'alice'\)/);
    expect(studentNameProblem('a'.repeat(13))).toMatch(/too long \(13 characters, at most 12\)/);
    expect(studentNameProblem('9lives')).toMatch(/not a valid student name/);
    expect(studentNameProblem('')).toMatch(/empty/);
    expect(classNameProblem('mon-day')).toMatch(/not a valid class name/);
    expect(classNameProblem('Monday')).toMatch(/capital letters \(write 'monday'\)/);
    expect(studentNameProblem('bob-2')).toBeUndefined();
  });
  test('numbered students sort as numbers', () => {
    expect(numberedStudents(3)).toEqual(['s01', 's02', 's03']);
    expect(numberedStudents(120)[119]).toBe('s120');
    expect(numberedStudents(120)[0]).toBe('s001');
  });
});

describe('roster', () => {
  test('YAML: names and groups', () => {
    const r = loadRosterText('class: monday\nstudents:\n  - alice\n  - { name: bob, group: red }\n', 'r.yaml');
    expect(r).toEqual({ className: 'monday', students: [{ name: 'alice' }, { name: 'bob', group: 'red' }] });
  });
  test('YAML: bad names, duplicates and unknown keys at their line and column', () => {
    const p = problemsOf(() => loadRosterText('students:\n  - alice\n  - Bob\n  - { name: carol, grup: x }\n', 'r.yaml'));
    expect(p).toEqual(["3:5 students[1]: 'Bob' is not a student name", "4:20 students[2].grup: unknown key 'grup' (did you mean 'group'?)"]);
    expect(problemsOf(() => loadRosterText('students: [alice, bob, alice]\n', 'r.yaml'))).toEqual(["1:24 students[2]: student 'alice' is listed twice (first as students[0])"]);
  });
  test('CSV: header, comments, groups; errors at line:column', () => {
    expect(loadRosterText('name,group\n# the front row\nalice,red\nbob\n', 'r.csv').students).toEqual([{ name: 'alice', group: 'red' }, { name: 'bob' }]);
    const p = problemsOf(() => loadRosterText('alice\n Alice Smith,blue\nalice\ncarol,<b>\n', 'r.csv'));
    expect(p).toEqual([
      "2:2 name: 'Alice Smith' is not a valid student name",
      "3:1 name: student 'alice' is listed twice (first on line 1)",
      "4:7 group: '<b>' is not a group label",
    ]);
    expect(problemsOf(() => loadRosterText('# nobody\n', 'r.csv'))).toEqual(['1:1 : the roster names no student']);
  });
});

describe('exercises', () => {
  test('every built-in exercise is valid and binds to its catalogue lab', async () => {
    const files = readdirSync(EXERCISES_DIR).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const loaded = await loadExerciseFile(`${EXERCISES_DIR}${f}`);
      const lab = await loadLabFile(`${CATALOGUE_DIR}${loaded.exercise.lab}.yaml`);
      expect(() => bindExercise(loaded, lab), f).not.toThrow();
    }
  });
  test('schema and semantic problems, all at once, at file:line:column', () => {
    const text = [
      'name: x',
      'title: t',
      'lab: ospf-ecmp',
      'stages:',
      '  - title: a',
      '    text: b',
      '    faults:',
      '      - { kind: arp-sysctls-missing, node: rs1, seconds: 3 }',
      '    questions:',
      '      - { id: q, ask: how many, unit: hops, observe: nothere }',
      '    checks:',
      '      - { id: s, kind: sysctl, node: rs1, key: net.ipv4.ip_forward }',
      '      - { id: c, kind: command, node: router, argv: [x], match: "(" }',
      '      - { id: c, kind: figure, experiment: failover-test, expect: "outage <= 5" }',
      '      - { id: d, kind: bogus }',
      '',
    ].join('\n');
    const p = problemsOf(() => loadExerciseText(text, 'ex.yaml'));
    expect(p).toEqual([
      "8:49 stages[0].faults[0].seconds: key 'seconds' does not apply to fault kind arp-sysctls-missing",
      "10:54 stages[0].questions[0].observe: no check 'nothere' in this stage",
      "12:9 stages[0].checks[0].value: missing required key 'value'",
      expect.stringMatching(/^13:65 stages\[0\]\.checks\[1\]\.match: not a regular expression/),
      "14:15 stages[0].checks[2].id: check id 'c' is used twice (first at stages[0].checks[1])",
      expect.stringMatching(/^14:67 stages\[0\]\.checks\[2\]\.expect: .*outage/),
      "15:24 stages[0].checks[3].kind: 'bogus' is not accepted here",
    ]);
  });
  test('a hold longer than its retry window could never pass', () => {
    const text = ['name: x', 'title: t', 'lab: ospf-ecmp', 'stages:', '  - title: a', '    text: b', '    checks:', '      - { id: n, kind: ospf-neighbors, node: router, count: 2, hold_s: 6 }', ''].join('\n');
    expect(problemsOf(() => loadExerciseText(text, 'ex.yaml'))).toEqual(['8:72 stages[0].checks[0].hold_s: hold_s 6 is longer than the retry window (within_s 5)']);
  });
  test('binding to the lab: nodes, roles and the lab itself', async () => {
    const lab = await loadLabFile(`${CATALOGUE_DIR}ospf-ecmp.yaml`);
    const loaded = loadExerciseText(
      ['name: x', 'title: t', 'lab: lvs-dr', 'stages:', '  - title: a', '    text: b', '    faults:', '      - { kind: arp-sysctls-missing, node: lb1 }', '    checks:', '      - { id: h, kind: http, from: rs1, answered_by: [rs9] }', ''].join('\n'),
      'ex.yaml',
    );
    expect(problemsOf(() => bindExercise(loaded, lab))).toEqual([
      "3:6 lab: the exercise runs on lab 'lvs-dr', not on 'ospf-ecmp'",
      "8:44 stages[0].faults[0].node: node 'lb1' is a director, this needs a realserver",
      "10:36 stages[0].checks[0].from: node 'rs1' is a realserver, this needs a client",
      "10:55 stages[0].checks[0].answered_by[0]: lab ospf-ecmp has no node 'rs9'",
    ]);
  });
  test('faults of a stage accumulate: a reset at stage 2 replants stage 1 and 2', async () => {
    const loaded = await loadExerciseFile(`${EXERCISES_DIR}multi-active.yaml`);
    expect(faultsUpTo(loaded, 0)).toEqual([]);
    expect(faultsUpTo(loaded, 1)).toEqual([{ kind: 'ospf-dead-interval', node: 'lb2', seconds: 10 }]);
  });
});

describe('fault commands', () => {
  test('each fault is one argument list on its node', async () => {
    const dr = await loadLabFile(`${CATALOGUE_DIR}lvs-dr.yaml`);
    expect(faultCommands(dr, { kind: 'vip-missing-on-lo', node: 'rs1' }, '/vty')).toEqual([['ip', 'addr', 'del', '192.168.30.254/32', 'dev', 'lo']]);
    expect(faultCommands(dr, { kind: 'arp-sysctls-missing', node: 'rs1' }, '/vty')[0]).toContain('net.ipv4.conf.lo.arp_ignore=0');
    const ecmp = await loadLabFile(`${CATALOGUE_DIR}ospf-ecmp.yaml`);
    expect(faultCommands(ecmp, { kind: 'ospf-dead-interval', node: 'lb2', seconds: 10 }, '/vty')).toEqual([
      ['vtysh', '--vty_socket', '/vty', '-c', 'configure terminal', '-c', 'interface eth0', '-c', 'ip ospf dead-interval 10'],
    ]);
  });
});

describe('check judgements', () => {
  test('next hops: a multipath route, a single route, no route', () => {
    expect(judgeNextHops({ dst: '10.0.1.100', nexthops: [{ gateway: '10.0.1.133' }, { gateway: '10.0.1.135' }] }, 2, '10.0.1.100/32')).toMatchObject({ ok: true, observed: 2 });
    expect(judgeNextHops({ dst: '10.0.1.100', gateway: '10.0.1.133' }, 2, '10.0.1.100/32')).toMatchObject({ ok: false, observed: 1, detail: 'next hops to 10.0.1.100/32: expected 2, seen 1 (10.0.1.133)' });
    expect(judgeNextHops(undefined, 0, '10.0.1.100/32')).toMatchObject({ ok: true, observed: 0 });
    expect(judgeNextHops(undefined, 1, '10.0.1.100/32').detail).toMatch(/seen no route/);
  });
  test('OSPF neighbours counted by state', () => {
    const n = [
      { routerId: '1.1.1.1', address: 'a', state: 'Full/DROther', iface: 'eth0', priority: 0 },
      { routerId: '2.2.2.2', address: 'b', state: 'Init/DROther', iface: 'eth0', priority: 0 },
    ];
    expect(judgeOspfNeighbors(n, 'Full', 2)).toMatchObject({ ok: false, observed: 1 });
    expect(judgeOspfNeighbors(n, 'Init', 1).ok).toBe(true);
  });
  test('HTTP: missing lines count as failures; answered_by and all_answered', () => {
    const t = tallyHttp('200|rs1\n200|rs1\n000|\n', 4);
    expect(t).toEqual({ hits: { rs1: 2 }, failures: 2, total: 4 });
    expect(judgeHttp(t, { answered_by: ['rs1'] })).toMatchObject({ ok: false, observed: 1 });
    expect(judgeHttp(t, { answered_by: ['rs1'], all_answered: false }).ok).toBe(true);
    expect(judgeHttp(tallyHttp('200|rs1\n200|rs2\n', 2), { answered_by: ['rs1', 'rs2', 'rs3'] }).detail).toMatch(/^never answered by rs3/);
  });
  test('sysctl and command', () => {
    expect(judgeSysctl('k', { code: 0, stdout: '1\n', stderr: '' }, '1').ok).toBe(true);
    expect(judgeSysctl('k', { code: 0, stdout: '0\n', stderr: '' }, '1')).toMatchObject({ ok: false, observed: '0' });
    expect(judgeSysctl('k', { code: 255, stdout: '', stderr: 'no such key' }, '1')).toMatchObject({ ok: false, observed: null });
    expect(judgeCommand({ code: 0, stdout: 'Hello 1s, Dead 4s, Wait 4s\n', stderr: '' }, 'Dead 4s', undefined)).toMatchObject({ ok: true, observed: 'Dead 4s' });
    expect(judgeCommand({ code: 1, stdout: 'Dead 4s', stderr: '' }, 'Dead 4s', 0).ok).toBe(false);
    expect(judgeCommand({ code: 0, stdout: 'Dead 10s\n', stderr: '' }, 'Dead 4s', undefined)).toMatchObject({ ok: false, observed: 'Dead 10s' });
  });
});

describe('capacity', () => {
  const bench: BenchmarkCosts = { file: 'f', at: 'then', perInstance: [{ lab: 'ospf-ecmp', nodes: 7, rssKiB: 60_000, memAvailableDropKiB: 70_000, processes: 20, idleCpuCores: 0.001 }] };
  const host = { memAvailableKiB: 20 * 1024 * 1024, cpuCount: 2, pidMax: 4_194_304, processesRunning: 300 };
  test('a class that fits, and the largest class, limited by the scarcest resource', () => {
    const e = estimateCapacity({ name: 'ospf-ecmp', nodes: 7 }, 20, bench, host);
    expect(e.shortfalls).toEqual([]);
    expect(e.perInstance.memoryKiB).toBe(70_000); // the larger of RSS and the MemAvailable drop
    expect(e.largestClass).toBe(Math.floor((20 * 1024 * 1024 * 0.8) / 70_000));
    expect(e.limitedBy).toBe('memory');
    expect(e.basis).toMatch(/^measured on ospf-ecmp/);
  });
  test('a class that does not fit is told with the numbers', () => {
    const e = estimateCapacity({ name: 'ospf-ecmp', nodes: 7 }, 20, bench, { ...host, memAvailableKiB: 1024 * 1024 });
    expect(e.shortfalls).toEqual(['memory: 20 × 68 MiB = 1367 MiB needed, 819 MiB usable (80 % of MemAvailable 1024 MiB)']);
    expect(e.largestClass).toBe(11);
  });
  test('another lab is estimated per node, and says so', () => {
    const e = estimateCapacity({ name: 'lvs-dr', nodes: 14 }, 1, bench, host);
    expect(e.perInstance).toEqual({ memoryKiB: 140_000, processes: 40, idleCpuCores: 0.002 });
    expect(e.basis).toMatch(/^estimated from ospf-ecmp's measured cost per node/);
  });
});

describe('grading', () => {
  const check = (id: string, outcome: 'passed' | 'failed' | 'unusable') => ({ id, kind: 'sysctl' as const, title: id, outcome, observed: null, detail: `${id} "seen", x`, attempts: 1, elapsedMs: 10 });
  const grade = (checks: ReturnType<typeof check>[][], notGraded?: string): ClassGrade => ({
    className: 'c',
    exercise: { name: 'e', title: 'E', lab: 'lvs-dr' },
    gradedAt: '2026-01-01T00:00:00.000Z',
    columns: [{ id: 'a', title: 'a', stage: 0 }, { id: 'b', title: 'b', stage: 0 }],
    students: checks.map((c, i) => ({ student: `s${i}`, instance: `ws-c-s${i}`, stage: 0, checks: c, predictions: [], ...(i === 0 && notGraded ? { notGraded } : {}) })),
  });
  test('exit codes: all passed, a check failed, no usable check', () => {
    expect(gradeExitCode(grade([[check('a', 'passed'), check('b', 'passed')]]))).toBe(EXIT.ok);
    expect(gradeExitCode(grade([[check('a', 'passed')], [check('a', 'failed')]]))).toBe(EXIT.checkFailed);
    expect(gradeExitCode(grade([[check('a', 'unusable')]]))).toBe(EXIT.noUsableChecks);
    expect(gradeExitCode(grade([[], [check('a', 'passed')]], 'the lab is failed'))).toBe(EXIT.checkFailed);
    expect(new Set(Object.values(EXIT)).size).toBe(Object.values(EXIT).length);
  });
  test('CSV quotes what needs quoting; JUnit counts failures per student', () => {
    const g = grade([[check('a', 'passed'), check('b', 'failed')], [check('a', 'failed')]]);
    g.students[1]!.group = 'red, front';
    const csv = renderClassCsv(g).split('\n');
    expect(csv[0]).toBe('student,group,stage,a,b,passed,failed,not_graded');
    expect(csv[1]).toBe('s0,,1,passed,failed,1,1,');
    expect(csv[2]).toBe('s1,"red, front",1,failed,,0,1,');
    const junit = renderClassJunit(g);
    expect(junit).toContain('<testsuites name="workshop c: e" tests="3" failures="2" errors="0">');
    expect(junit).toContain('message="b &quot;seen&quot;, x"');
  });
  test('a prediction beside its measurement', () => {
    const p = { stage: 0, id: 'q', ask: 'a', unit: 's', predicted: 4, measured: 0.9 };
    expect(predictionVerdict(p)).toBe('off by -3.1');
    expect(predictionVerdict({ ...p, measured: 4 })).toBe('as predicted');
    expect(predictionVerdict({ ...p, predicted: null })).toBe('—');
  });
});

describe('published schemas', () => {
  type S = Record<string, unknown>;
  const walk = (schema: S, where: string, visit: (s: S, where: string) => void): void => {
    visit(schema, where);
    for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, S>)) walk(sub, `${where}.${name}`, visit);
    if (schema.items && typeof schema.items === 'object') walk(schema.items as S, `${where}[]`, visit);
  };
  for (const file of ['schema/exercise.schema.json', 'schema/roster.schema.json']) {
    test(`${file}: draft-07, compiles in strict mode, every field described, no open mapping, every pattern worded`, async () => {
      const { Ajv } = await import('ajv');
      const { PATTERN_TEXT } = await import('../../src/model/schema.js');
      const { readFileSync } = await import('node:fs');
      const schema = JSON.parse(readFileSync(file, 'utf8')) as S;
      expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
      expect(() => new Ajv({ allErrors: true, strictTypes: false }).compile(schema)).not.toThrow();
      const undocumented: string[] = [];
      const open: string[] = [];
      const unworded: string[] = [];
      walk(schema, '$', (s, where) => {
        if (where !== '$' && (typeof s.description !== 'string' || s.description.length < 8)) undocumented.push(where);
        const isObject = s.type === 'object' || (Array.isArray(s.type) && s.type.includes('object'));
        if (isObject && s.additionalProperties === undefined) open.push(where);
        if (typeof s.pattern === 'string' && !PATTERN_TEXT[s.pattern]) unworded.push(`${where} ${s.pattern}`);
      });
      expect(undocumented).toEqual([]);
      expect(open).toEqual([]);
      expect(unworded).toEqual([]);
    });
  }
});
