// junit.xml: one <testsuite> per run, one <testcase> per assertion (a failed assertion
// carries a <failure> with expected and actual), plus an <error> test case for every
// timeline step whose command failed, so CI systems show what broke.
import type { Figure, RepeatResults, RunResults } from '../experiment/types.js';
import { actionLabel, durationOf, verdictOf } from './analysis.js';
import { figureResolution, figureWithUnit } from './common.js';
import { escapeXml as x, fmtNumber } from './format.js';
import { isRepeatResults } from './kinds.js';

/** JUnit timestamps carry no zone: ISO 8601 UTC to the second. */
function junitTimestamp(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(0, 19);
}

interface Suite {
  lines: string[];
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  time: number;
}

function runSuite(r: RunResults, indent: string): Suite {
  const cls = `lvslab.${r.experiment.name}`;
  const verdict = verdictOf(r);
  const stepErrors = r.timeline.filter((a) => !a.ok);
  const cases: string[] = [];
  for (const a of r.assertions) {
    const open = `${indent}  <testcase classname="${x(cls)}" name="${x(a.expression)}" time="0">`;
    if (a.passed) {
      cases.push(`${indent}  <testcase classname="${x(cls)}" name="${x(a.expression)}" time="0"/>`);
      continue;
    }
    const f = (r.figures as Record<string, Figure>)[a.figure];
    const actual = a.actual === null ? `no value${f?.note ? ` (${f.note})` : ''}` : f ? figureWithUnit({ ...f, value: a.actual }) : String(a.actual);
    const message = `${a.expression}: actual ${actual}, expected ${a.op} ${a.expected}`;
    const detail = [
      `expression: ${a.expression}`,
      `expected:   ${a.figure} ${a.op} ${a.expected}`,
      `actual:     ${actual}`,
      ...(f ? [`method:     ${f.method}`, `resolution: ${f.resolution === null ? 'n/a' : `${figureResolution(f)} ${f.unit}`}`] : []),
    ].join('\n');
    cases.push(open, `${indent}    <failure message="${x(message)}" type="AssertionFailed">${x(detail)}</failure>`, `${indent}  </testcase>`);
  }
  for (const s of stepErrors) {
    const name = `timeline step ${s.step}: ${actionLabel(s)}`;
    cases.push(
      `${indent}  <testcase classname="${x(`${cls}.timeline`)}" name="${x(name)}" time="${fmtNumber((s.doneAt - s.startedAt) / 1000, 3)}">`,
      `${indent}    <error message="${x(`${name} failed: ${s.detail}`)}" type="ActionFailed">${x(s.detail)}</error>`,
      `${indent}  </testcase>`,
    );
  }
  let skipped = 0;
  if (r.assertions.length === 0 && stepErrors.length === 0) {
    skipped = 1;
    cases.push(
      `${indent}  <testcase classname="${x(cls)}" name="no assertions" time="0">`,
      `${indent}    <skipped message="the experiment has no expect: lines"/>`,
      `${indent}  </testcase>`,
    );
  }
  const tests = r.assertions.length + stepErrors.length + skipped;
  const failures = r.assertions.filter((a) => !a.passed).length;
  const suiteName = `${r.experiment.name} run ${r.run} (${r.lab.instance}, ${r.lab.dataplane})`;
  const properties: Array<[string, string]> = [
    ['lab', r.lab.name],
    ['instance', r.lab.instance],
    ['runtime', r.lab.runtime],
    ['dataplane', r.lab.dataplane],
    ['dataplane.detail', r.manifest.dataplaneDetail],
    ['seed', String(r.manifest.seed)],
    ['lvslab', r.manifest.lvslab],
    ['kernel', r.manifest.kernel],
  ];
  const lines = [
    `${indent}<testsuite name="${x(suiteName)}" tests="${tests}" failures="${failures}" errors="${stepErrors.length}" skipped="${skipped}" time="${fmtNumber(durationOf(r), 3)}" timestamp="${x(junitTimestamp(r.manifest.startedAt))}" hostname="${x(r.manifest.host?.hostname ?? '')}">`,
    `${indent}  <properties>`,
    ...properties.map(([k, v]) => `${indent}    <property name="${x(k)}" value="${x(v)}"/>`),
    `${indent}  </properties>`,
    ...cases,
    `${indent}  <system-out>${x(
      `${verdict.passed ? 'PASSED' : 'FAILED'}: ${verdict.text}` +
        (r.lab.dataplane === 'nftables' ? '\nWARNING: nftables fallback dataplane, not kernel IPVS.' : ''),
    )}</system-out>`,
    `${indent}</testsuite>`,
  ];
  return { lines, tests, failures, errors: stepErrors.length, skipped, time: durationOf(r) };
}

/** A repeat run whose results.json was not given: one test case from its verdict only. */
function placeholderSuite(repeat: RepeatResults, run: RepeatResults['runs'][number], indent: string): Suite {
  const cls = `lvslab.${repeat.experiment.name}`;
  const name = `${repeat.experiment.name} run ${run.run} (${repeat.lab.instance}, ${repeat.lab.dataplane})`;
  const lines = [
    `${indent}<testsuite name="${x(name)}" tests="1" failures="${run.passed ? 0 : 1}" errors="0" skipped="0" time="0">`,
    run.passed
      ? `${indent}  <testcase classname="${x(cls)}" name="${x(`run ${run.run}`)}" time="0"/>`
      : `${indent}  <testcase classname="${x(cls)}" name="${x(`run ${run.run}`)}" time="0">\n${indent}    <failure message="${x(`run ${run.run} failed (details in ${run.dir}/junit.xml)`)}" type="RunFailed"/>\n${indent}  </testcase>`,
    `${indent}</testsuite>`,
  ];
  return { lines, tests: 1, failures: run.passed ? 0 : 1, errors: 0, skipped: 0, time: 0 };
}

/**
 * junit.xml of one run, or of a `--repeat` directory (pass the runs' results so each run
 * gets its assertions; runs not given are summarised from the repeat's verdicts).
 */
export function renderJunit(results: RunResults | RepeatResults, runs: RunResults[] = []): string {
  let suites: Suite[];
  let name: string;
  if (isRepeatResults(results)) {
    name = `lvslab ${results.experiment.name} (${results.runs.length} runs)`;
    suites = results.runs.map((run) => {
      const r = runs.find((x) => x.run === run.run);
      return r ? runSuite(r, '  ') : placeholderSuite(results, run, '  ');
    });
  } else {
    name = `lvslab ${results.experiment.name}`;
    suites = [runSuite(results, '  ')];
  }
  const total = (key: 'tests' | 'failures' | 'errors' | 'skipped' | 'time'): number => suites.reduce((s, x) => s + x[key], 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${x(name)}" tests="${total('tests')}" failures="${total('failures')}" errors="${total('errors')}" skipped="${total('skipped')}" time="${fmtNumber(total('time'), 3)}">`,
    ...suites.flatMap((s) => s.lines),
    '</testsuites>',
    '',
  ].join('\n');
}
