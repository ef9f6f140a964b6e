// The summary reports of a `--repeat K` directory: every run's verdict, the order
// statistics per figure, and, when the runs' own results are at hand, their assertions
// side by side and their timelines stacked on one axis.
import type { Figure, RepeatResults, RunResults } from '../experiment/types.js';
import { durationOf, verdictOf } from './analysis.js';
import { FALLBACK_NOTICE, fallbackBanner, figureWithUnit } from './common.js';
import { escapeHtml, fmtCount, fmtMeasured, fmtNumber, mdCode, mdTable, mdText } from './format.js';
import { htmlPage, htmlTable, td, tdRaw } from './html-page.js';
import { failureSparkline, sparklineRuler } from './sparkline.js';
import { stackedTimelines } from './svg/stacked.js';

type Aggregate = RepeatResults['aggregate'][string];

/** The coarsest resolution any run gives the figure: the statistics cannot be finer. */
function coarsestResolution(runs: RunResults[], name: string): number | null {
  const rs = runs.map((r) => (r.figures as Record<string, Figure>)[name]?.resolution).filter((x): x is number => typeof x === 'number');
  return rs.length > 0 ? Math.max(...rs) : null;
}

function aggregateCells(a: Aggregate, resolution: number | null): string[] {
  const whole = a.unit === 'count' || a.unit === 'next hops';
  // A median of counts can fall between two runs (2.5): only then does it get a decimal.
  const f = (v: number | null): string => (v === null ? '—' : whole ? (Number.isInteger(v) ? fmtCount(v) : fmtNumber(v, 1)) : fmtMeasured(v, resolution, a.unit));
  return [String(a.n), f(a.median), f(a.p95), f(a.min), f(a.max)];
}

function passedCount(repeat: RepeatResults): number {
  return repeat.runs.filter((r) => r.passed).length;
}

/** The runs' results in the order of repeat.runs (missing ones left out). */
function matchRuns(repeat: RepeatResults, runs: RunResults[]): RunResults[] {
  return repeat.runs.map((r) => runs.find((x) => x.run === r.run)).filter((x): x is RunResults => x !== undefined);
}

function assertionMatrix(runs: RunResults[]): { expressions: string[]; cell: (r: RunResults, e: string) => { text: string; passed?: boolean } } {
  const expressions = [...new Set(runs.flatMap((r) => r.assertions.map((a) => a.expression)))];
  return {
    expressions,
    cell: (r, e) => {
      const a = r.assertions.find((x) => x.expression === e);
      if (!a) return { text: '—' };
      const f = (r.figures as Record<string, Figure>)[a.figure];
      const actual = a.actual === null ? 'no value' : f ? figureWithUnit({ ...f, value: a.actual }) : String(a.actual);
      return { text: `${a.passed ? 'PASS' : 'FAIL'} (${actual})`, passed: a.passed };
    },
  };
}

export function renderRepeatMarkdown(repeat: RepeatResults, runs: RunResults[] = []): string {
  const out: string[] = [];
  const passed = passedCount(repeat);
  out.push(`# Experiment ${mdText(repeat.experiment.name)}: ${repeat.runs.length} runs`, '');
  if (repeat.experiment.description) out.push(`> ${mdText(repeat.experiment.description)}`, '');
  out.push(`**Result: ${passed === repeat.runs.length ? 'PASSED' : 'FAILED'}** (${passed} of ${repeat.runs.length} runs passed)`, '');
  if (repeat.lab.dataplane === 'nftables') out.push(`> **⚠ FALLBACK DATAPLANE: nftables, NOT kernel IPVS.** ${mdText(FALLBACK_NOTICE)}`, '');
  out.push(
    mdTable(
      ['', ''],
      [
        ['lab', `${mdText(repeat.lab.name)} (instance ${mdText(repeat.lab.instance)}, ${mdCode(repeat.lab.file)})`],
        ['runtime', mdText(repeat.lab.runtime)],
        ['dataplane', repeat.lab.dataplane === 'nftables' ? '**nftables (fallback, not kernel IPVS)**' : 'ipvs (kernel IPVS)'],
        ['experiment file', mdCode(repeat.experiment.file)],
      ],
    ),
    '',
  );
  out.push('## Runs', '');
  out.push(
    mdTable(
      ['run', 'result', 'report'],
      repeat.runs.map((r) => [String(r.run), r.passed ? 'PASS' : '**FAIL**', `[${mdText(r.dir)}/report.md](${encodeURI(`${r.dir}/report.md`)})`]),
    ),
    '',
  );
  out.push('## Figures over the runs', '');
  out.push(
    mdTable(
      ['figure', 'unit', 'n', 'median', 'p95', 'min', 'max'],
      Object.entries(repeat.aggregate).map(([name, a]) => [mdCode(name), mdText(a.unit), ...aggregateCells(a, coarsestResolution(runs, name))]),
      ['l', 'l', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
  );
  const mine = matchRuns(repeat, runs);
  if (mine.length > 0) {
    const m = assertionMatrix(mine);
    if (m.expressions.length > 0) {
      out.push('## Assertions per run', '');
      out.push(
        mdTable(
          ['assertion', ...mine.map((r) => `run ${r.run}`)],
          m.expressions.map((e) => [mdCode(e), ...mine.map((r) => m.cell(r, e).text)]),
        ),
        '',
      );
    }
    const seconds = Math.max(...mine.map(durationOf));
    out.push('## Timelines', '', 'Failed share per second (`▁` none … `█` all; ruler digits are tens of seconds):', '', '```');
    out.push(`       ${sparklineRuler(seconds)}`);
    for (const r of mine) out.push(`run ${String(r.run).padEnd(3)}${failureSparkline(r, seconds)}`);
    out.push('```', '');
  }
  return out.join('\n');
}

export function renderRepeatHtml(repeat: RepeatResults, runs: RunResults[] = []): string {
  const passed = passedCount(repeat);
  const allPassed = passed === repeat.runs.length;
  const title = `${repeat.experiment.name}: ${repeat.runs.length} runs`;
  const b: string[] = [];
  b.push('<header class="page">');
  b.push(`<h1>${escapeHtml(title)}</h1>`);
  b.push(`<span class="badge ${allPassed ? 'pass' : 'fail'}">${allPassed ? 'PASSED' : 'FAILED'}</span>`);
  b.push(`<span class="muted">${passed} of ${repeat.runs.length} runs passed</span>`);
  if (repeat.experiment.description) b.push(`<p class="sub">${escapeHtml(repeat.experiment.description)}</p>`);
  b.push('</header>');
  b.push(
    `<div class="meta"><span>lab <b>${escapeHtml(`${repeat.lab.name} (instance ${repeat.lab.instance})`)}</b></span><span>runtime <b>${escapeHtml(repeat.lab.runtime)}</b></span><span>dataplane <b>${escapeHtml(repeat.lab.dataplane === 'nftables' ? 'nftables (fallback)' : 'kernel IPVS')}</b></span><span>experiment <b>${escapeHtml(repeat.experiment.file)}</b></span></div>`,
  );
  if (repeat.lab.dataplane === 'nftables') b.push(fallbackBanner('every run of this repeat used the nftables fallback'));

  b.push('<section class="card" id="runs"><h2>Runs</h2>');
  b.push(
    htmlTable(
      [{ text: 'run', cls: 'num' }, 'result', 'report'],
      repeat.runs.map((r) => [
        td(String(r.run), 'num'),
        td(r.passed ? 'PASS' : 'FAIL', r.passed ? 'pass' : 'fail'),
        // A relative link to a file beside this one: no network involved.
        tdRaw(`<a href="${escapeHtml(encodeURI(`${r.dir}/report.html`))}">${escapeHtml(`${r.dir}/report.html`)}</a>`),
      ]),
      { rowCls: repeat.runs.map((r) => (r.passed ? undefined : 'failed')) },
    ),
  );
  b.push('</section>');

  const mine = matchRuns(repeat, runs);
  if (mine.length > 0) {
    b.push('<section class="card" id="timelines"><h2>Timelines on one time axis</h2>');
    b.push(stackedTimelines(mine.map((r) => ({ results: r, caption: `run ${r.run}: ${verdictOf(r).passed ? 'passed' : 'FAILED'}` }))));
    b.push('</section>');
  }

  b.push('<section class="card" id="aggregate"><h2>Figures over the runs</h2>');
  b.push(
    htmlTable(
      ['figure', 'unit', ...['n', 'median', 'p95', 'min', 'max'].map((t) => ({ text: t, cls: 'num' }))],
      Object.entries(repeat.aggregate).map(([name, a]) => [tdRaw(`<code>${escapeHtml(name)}</code>`), td(a.unit), ...aggregateCells(a, coarsestResolution(runs, name)).map((c) => td(c, 'num'))]),
    ),
  );
  b.push('<p class="note">p95 is the nearest-rank 95th percentile; with few runs it is the maximum.</p>');
  b.push('</section>');

  if (mine.length > 0) {
    const m = assertionMatrix(mine);
    if (m.expressions.length > 0) {
      b.push('<section class="card" id="assertions"><h2>Assertions per run</h2>');
      b.push(
        htmlTable(
          ['assertion', ...mine.map((r) => `run ${r.run}`)],
          m.expressions.map((e) => [
            tdRaw(`<code>${escapeHtml(e)}</code>`),
            ...mine.map((r) => {
              const c = m.cell(r, e);
              return td(c.text, c.passed === undefined ? 'muted' : c.passed ? 'pass' : 'fail');
            }),
          ]),
        ),
      );
      b.push('</section>');
    }
  }
  return htmlPage(`lvslab: ${title}`, b.join('\n'));
}
