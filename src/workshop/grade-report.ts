// What `workshop grade` writes: per student a report they can read (Markdown and a
// self-contained HTML page: what passed, what failed and why, their predictions beside the
// measurements), and for the teacher one class page (one row per student, one column per
// check), a CSV of the same table and a JUnit file (one suite per student).
import { escapeHtml as h, escapeXml as x, mdText } from '../report/format.js';
import { htmlPage, htmlTable, td, tdRaw } from '../report/html-page.js';
import type { CheckResult } from './checks.js';
import type { LoadedExercise } from './exercise.js';
import type { ClassGrade, PredictionResult, StudentGrade } from './grade.js';

const MARK: Record<CheckResult['outcome'], string> = { passed: 'PASS', failed: 'FAIL', unusable: 'UNUSABLE' };

function counts(g: StudentGrade): { passed: number; failed: number; unusable: number } {
  return {
    passed: g.checks.filter((c) => c.outcome === 'passed').length,
    failed: g.checks.filter((c) => c.outcome === 'failed').length,
    unusable: g.checks.filter((c) => c.outcome === 'unusable').length,
  };
}

function measuredText(p: PredictionResult): string {
  return p.measured === null ? (p.measuredNote ?? 'not measured') : `${p.measured} ${p.unit}`;
}

function predictedText(p: PredictionResult): string {
  return p.predicted === null ? 'no prediction given' : `${p.predicted} ${p.unit}`;
}

/** "match", "off by N", or why there is nothing to compare. */
export function predictionVerdict(p: PredictionResult): string {
  if (p.predicted === null || p.measured === null) return '—';
  const m = typeof p.measured === 'number' ? p.measured : Number(p.measured);
  if (!Number.isFinite(m)) return '—';
  const d = m - p.predicted;
  return d === 0 ? 'as predicted' : `off by ${d > 0 ? '+' : ''}${Number(d.toFixed(3))}`;
}

export function renderStudentMarkdown(grade: ClassGrade, g: StudentGrade, exercise: LoadedExercise): string {
  const c = counts(g);
  const lines = [`# ${mdText(g.student)}: ${mdText(exercise.exercise.title)}`, '', `Class ${mdText(grade.className)}, lab ${mdText(grade.exercise.lab)}, stage ${g.stage + 1} of ${exercise.exercise.stages.length}, graded ${grade.gradedAt}.`, ''];
  if (g.notGraded) {
    lines.push(`**Not graded:** ${mdText(g.notGraded)}`, '');
    return lines.join('\n');
  }
  lines.push(`**${c.passed} passed, ${c.failed} failed${c.unusable ? `, ${c.unusable} could not be evaluated` : ''}.**`, '', '## Checks', '', '| | check | what was seen |', '|---|---|---|');
  for (const r of g.checks) lines.push(`| ${MARK[r.outcome]} | ${mdText(r.title)} | ${mdText(r.detail)}${r.outcome === 'failed' && r.hint ? ` — hint: ${mdText(r.hint)}` : ''} |`);
  lines.push('');
  if (g.predictions.length) {
    lines.push('## Your predictions and what was measured', '', '| question | you predicted | measured | difference |', '|---|---|---|---|');
    for (const p of g.predictions) lines.push(`| ${mdText(p.ask)} | ${mdText(predictedText(p))} | ${mdText(measuredText(p))} | ${mdText(predictionVerdict(p))} |`);
    lines.push('');
  }
  return lines.join('\n');
}

export function renderStudentHtml(grade: ClassGrade, g: StudentGrade, exercise: LoadedExercise): string {
  const c = counts(g);
  const parts = [`<h1>${h(g.student)}: ${h(exercise.exercise.title)}</h1>`, `<div class="meta"><span>class <b>${h(grade.className)}</b></span><span>lab <b>${h(grade.exercise.lab)}</b></span><span>stage <b>${g.stage + 1} of ${exercise.exercise.stages.length}</b></span><span>graded <b>${h(grade.gradedAt)}</b></span></div>`];
  if (g.notGraded) {
    parts.push(`<section class="card"><span class="badge fail">NOT GRADED</span> ${h(g.notGraded)}</section>`);
    return htmlPage(`${g.student}: ${exercise.exercise.title}`, parts.join('\n'));
  }
  parts.push(`<section class="card"><span class="badge ${c.failed === 0 && c.passed > 0 ? 'pass' : 'fail'}">${c.passed} passed, ${c.failed} failed${c.unusable ? `, ${c.unusable} unusable` : ''}</span>`);
  parts.push(
    '<h2>Checks</h2>',
    htmlTable(
      ['', 'check', 'what was seen'],
      g.checks.map((r) => [td(MARK[r.outcome], r.outcome === 'passed' ? 'pass' : 'fail'), td(r.title), tdRaw(`${h(r.detail)}${r.outcome === 'failed' && r.hint ? `<p class="note">hint: ${h(r.hint)}</p>` : ''}`)]),
      { rowCls: g.checks.map((r) => (r.outcome === 'passed' ? undefined : 'failed')) },
    ),
  );
  if (g.predictions.length) {
    parts.push('<h2>Your predictions and what was measured</h2>', htmlTable(['question', 'you predicted', 'measured', 'difference'], g.predictions.map((p) => [td(p.ask), td(predictedText(p)), td(measuredText(p), p.measured === null ? 'not-measured' : 'num'), td(predictionVerdict(p))])));
  }
  parts.push('</section>');
  return htmlPage(`${g.student}: ${exercise.exercise.title}`, parts.join('\n'));
}

function cellOf(g: StudentGrade, id: string): CheckResult | undefined {
  return g.checks.find((r) => r.id === id);
}

export function renderClassHtml(grade: ClassGrade): string {
  const header = ['student', 'group', ...grade.columns.map((c) => `${c.id} (stage ${c.stage + 1})`), 'passed'];
  const rows = grade.students.map((g) => {
    const c = counts(g);
    return [
      tdRaw(`<a href="${h(encodeURIComponent(g.student))}.html">${h(g.student)}</a>`),
      td(g.group ?? ''),
      ...grade.columns.map((col) => {
        const r = cellOf(g, col.id);
        if (g.notGraded) return td('not graded', 'not-measured');
        if (!r) return td('(later stage)', 'muted');
        return tdRaw(`<span title="${h(r.detail)}">${MARK[r.outcome]}</span>`, r.outcome === 'passed' ? 'pass' : 'fail');
      }),
      td(g.notGraded ? g.notGraded : `${c.passed}/${g.checks.length}`, g.notGraded ? 'fail' : 'num'),
    ];
  });
  const legend = `<p class="note">${grade.columns.map((c) => `${h(c.id)}: ${h(c.title)}`).join(' · ')}</p>`;
  const body = [`<h1>Class ${h(grade.className)}: ${h(grade.exercise.title)}</h1>`, `<div class="meta"><span>lab <b>${h(grade.exercise.lab)}</b></span><span>${grade.students.length} students</span><span>graded <b>${h(grade.gradedAt)}</b></span></div>`, '<section class="card">', htmlTable(header, rows, { rowCls: grade.students.map((g) => (g.notGraded || g.checks.some((r) => r.outcome !== 'passed') ? 'failed' : undefined)) }), legend, '<p class="note">Hover a cell for what was seen; each student\'s page says why a check failed.</p>', '</section>'];
  return htmlPage(`Class ${grade.className}: ${grade.exercise.title}`, body.join('\n'));
}

const csvCell = (v: string): string => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function renderClassCsv(grade: ClassGrade): string {
  const rows = [['student', 'group', 'stage', ...grade.columns.map((c) => c.id), 'passed', 'failed', 'not_graded']];
  for (const g of grade.students) {
    const c = counts(g);
    rows.push([g.student, g.group ?? '', String(g.stage + 1), ...grade.columns.map((col) => (g.notGraded ? '' : (cellOf(g, col.id)?.outcome ?? ''))), String(c.passed), String(c.failed), g.notGraded ?? '']);
  }
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

export function renderClassJunit(grade: ClassGrade): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  for (const g of grade.students) {
    const cls = `workshop.${grade.className}.${g.student}`;
    const cases: string[] = [];
    let f = 0;
    let e = 0;
    if (g.notGraded) {
      e++;
      cases.push(`    <testcase classname="${x(cls)}" name="lab up" time="0">`, `      <error message="${x(g.notGraded)}" type="NotGraded"/>`, '    </testcase>');
    }
    for (const r of g.checks) {
      const name = `${r.id}: ${r.title}`;
      const time = (r.elapsedMs / 1000).toFixed(3);
      if (r.outcome === 'passed') cases.push(`    <testcase classname="${x(cls)}" name="${x(name)}" time="${time}"/>`);
      else if (r.outcome === 'failed') {
        f++;
        cases.push(`    <testcase classname="${x(cls)}" name="${x(name)}" time="${time}">`, `      <failure message="${x(r.detail)}" type="CheckFailed">${x(r.hint ?? '')}</failure>`, '    </testcase>');
      } else cases.push(`    <testcase classname="${x(cls)}" name="${x(name)}" time="${time}">`, `      <skipped message="${x(r.detail)}"/>`, '    </testcase>');
    }
    const n = g.checks.length + (g.notGraded ? 1 : 0);
    tests += n;
    failures += f;
    errors += e;
    suites.push(`  <testsuite name="${x(cls)}" tests="${n}" failures="${f}" errors="${e}" timestamp="${grade.gradedAt.slice(0, 19)}">`, ...cases, '  </testsuite>');
  }
  return ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="${x(`workshop ${grade.className}: ${grade.exercise.name}`)}" tests="${tests}" failures="${failures}" errors="${errors}">`, ...suites, '</testsuites>', ''].join('\n');
}
