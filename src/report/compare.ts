// Two runs side by side (e.g. the same failure with OSPF hello 1/dead 4 and hello 10/dead
// 40, or OSPF ECMP against the VRRP baseline): the headline (who carried the traffic, the
// outages, the requests lost), the figures with their difference, the assertions, and both
// timelines stacked on one time axis.
import type { Figure, RunResults } from '../experiment/types.js';
import { actionLabel, durationOf, verdictOf, vipMoves } from './analysis.js';
import { decimalsFor, escapeHtml, fmtCount, fmtIso, fmtNumber, fmtRel, mdCode, mdTable, mdText } from './format.js';
import { htmlPage, htmlTable, td, tdRaw } from './html-page.js';
import { FALLBACK_NOTICE, fallbackBanner, figureValue, figureWithUnit, NOT_MEASURED, unionKeys, unitSuffix } from './common.js';
import { failureSparkline, sparklineRuler } from './sparkline.js';
import { stackedTimelines } from './svg/stacked.js';
import { failoverMechanism, topologyOf, type RunResultsWithTopology } from './topology.js';

export interface CompareReport {
  markdown: string;
  html: string;
}

/** "failover-test #1 on ospf-ecmp". */
export function runLabel(r: RunResults): string {
  return `${r.experiment.name} #${r.run} on ${r.lab.instance}`;
}

interface FigureRow {
  name: string;
  unit: string;
  a: Figure | undefined;
  b: Figure | undefined;
  /** b - a, when both have a value. */
  diff: number | null;
  decimals: number;
}

function figureRows(a: RunResults, b: RunResults): FigureRow[] {
  const fa = a.figures as Record<string, Figure>;
  const fb = b.figures as Record<string, Figure>;
  return unionKeys(fa, fb).map((name) => {
    const x = fa[name];
    const y = fb[name];
    const unit = (x ?? y)!.unit;
    const diff = x?.value != null && y?.value != null ? y.value - x.value : null;
    // Show the difference as finely as the coarser of the two figures allows.
    const res = Math.max(x?.resolution ?? 0, y?.resolution ?? 0) || null;
    const decimals = unit === 'count' ? 0 : decimalsFor(res, unit === 'ratio' || unit === 'p-value' ? 4 : 3);
    return { name, unit, a: x, b: y, diff, decimals };
  });
}

const signed = (v: number | null, decimals: number): string => {
  if (v === null) return '—';
  const text = decimals === 0 ? fmtCount(Math.abs(v)) : fmtNumber(Math.abs(v), decimals);
  if (Number(fmtNumber(v, decimals)) === 0) return decimals === 0 ? '0' : fmtNumber(0, decimals);
  return `${v > 0 ? '+' : '−'}${text}`;
};

const ratio = (row: FigureRow): string => {
  const x = row.a?.value;
  const y = row.b?.value;
  if (x == null || y == null || x === 0 || row.unit === 'ratio' || row.unit === 'p-value') return '—';
  return `×${fmtNumber(y / x, y / x >= 10 ? 1 : 2)}`;
};

function failoverText(r: RunResults): string {
  return failoverMechanism(topologyOf(r as RunResultsWithTopology).topology) ?? '—';
}

export function renderCompare(a: RunResults, b: RunResults): CompareReport {
  return { markdown: compareMarkdown(a, b), html: compareHtml(a, b) };
}

function overview(a: RunResults, b: RunResults): Array<[string, string, string]> {
  const va = verdictOf(a);
  const vb = verdictOf(b);
  return [
    ['experiment', a.experiment.name, b.experiment.name],
    ['run', String(a.run), String(b.run)],
    ['lab', `${a.lab.name} (${a.lab.instance})`, `${b.lab.name} (${b.lab.instance})`],
    ['failover', failoverText(a), failoverText(b)],
    ['runtime', a.lab.runtime, b.lab.runtime],
    ['dataplane', dp(a), dp(b)],
    ['traffic', `${fmtIso(a.trafficStart)}, ${fmtNumber(durationOf(a), 1)} s`, `${fmtIso(b.trafficStart)}, ${fmtNumber(durationOf(b), 1)} s`],
    ['result', `${va.passed ? 'PASSED' : 'FAILED'} (${va.text})`, `${vb.passed ? 'PASSED' : 'FAILED'} (${vb.text})`],
  ];
}

/**
 * What a failover comparison is about, one row each: who carried the traffic before the
 * failure (with each director's share), how long the router kept sending to the failed
 * director, the outages of the failure and of the restore, and what was lost.
 */
export function headlineRows(a: RunResults, b: RunResults): Array<[string, string, string]> {
  const fig = (r: RunResults, name: string): Figure | undefined => (r.figures as Record<string, Figure>)[name];
  const row = (label: string, cell: (r: RunResults) => string): [string, string, string] => [label, cell(a), cell(b)];
  return [
    row('directors carrying traffic before the failure', carriers),
    row('router stopped sending to the failed director', (r) => {
      const vip = fig(r, 'vip_move_s');
      if (vip?.value != null) return `${figureWithUnit(vip)} (VIP moved: vip_move_s)`;
      const route = fig(r, 'route_withdrawal_s');
      return route?.value != null ? `${figureWithUnit(route)} (route withdrawn: route_withdrawal_s)` : '—';
    }),
    row('outage after the failure (outage_s)', (r) => figureWithUnit(fig(r, 'outage_s'))),
    row('outage after the restore (restore_outage_s)', (r) => figureWithUnit(fig(r, 'restore_outage_s'))),
    row('requests lost (requests_failed)', (r) => {
      const failed = fig(r, 'requests_failed')?.value;
      const total = fig(r, 'requests_total')?.value;
      if (failed == null || total == null) return '—';
      return `${fmtCount(failed)} of ${fmtCount(total)}${total > 0 ? ` (${fmtNumber((100 * failed) / total, 1)} %)` : ''}`;
    }),
    row('long-lived connections broken', (r) => figureWithUnit(fig(r, 'long_lived_broken'))),
  ];
}

/** "2: lb1 50.9 %, lb2 49.1 %" from directors_before and the before phase's counts. */
function carriers(r: RunResults): string {
  const n = (r.figures as Record<string, Figure>)['directors_before'];
  const counts = Object.entries(r.hits.perPhase?.before?.perDirector ?? {});
  if (n?.value == null || counts.some(([, c]) => c === null)) return NOT_MEASURED;
  const total = counts.reduce((sum, [, c]) => sum + (c ?? 0), 0);
  const shares = total > 0 ? counts.map(([d, c]) => `${d} ${fmtNumber((100 * c!) / total, 1)} %`).join(', ') : 'no connection counted';
  return `${fmtCount(n.value)}: ${shares}`;
}

const dp = (r: RunResults): string => (r.lab.dataplane === 'nftables' ? 'nftables (fallback, not kernel IPVS)' : 'kernel IPVS');

function assertionRows(a: RunResults, b: RunResults): Array<{ expression: string; a?: RunResults['assertions'][number]; b?: RunResults['assertions'][number] }> {
  const expressions = [...new Set([...a.assertions, ...b.assertions].map((x) => x.expression))];
  return expressions.map((expression) => ({
    expression,
    ...(a.assertions.find((x) => x.expression === expression) ? { a: a.assertions.find((x) => x.expression === expression)! } : {}),
    ...(b.assertions.find((x) => x.expression === expression) ? { b: b.assertions.find((x) => x.expression === expression)! } : {}),
  }));
}

function outcome(r: RunResults, x: RunResults['assertions'][number] | undefined): string {
  if (x === undefined) return '—';
  const f = (r.figures as Record<string, Figure>)[x.figure];
  const actual = x.actual === null ? 'no value' : f ? figureWithUnit({ ...f, value: x.actual }) : String(x.actual);
  return `${x.passed ? 'PASS' : 'FAIL'} (${actual})`;
}

function compareMarkdown(a: RunResults, b: RunResults): string {
  const out: string[] = [];
  out.push(`# Compare: A = ${mdText(runLabel(a))}, B = ${mdText(runLabel(b))}`, '');
  const onFallback = [a, b].filter((r) => r.lab.dataplane === 'nftables').map((r) => (r === a ? 'A' : 'B'));
  if (onFallback.length > 0) {
    const who = onFallback.length === 2 ? 'Both runs' : `Run ${onFallback[0]}`;
    out.push(`> **⚠ FALLBACK DATAPLANE: ${who} used nftables, NOT kernel IPVS.** ${mdText(FALLBACK_NOTICE)}`, '');
  }
  out.push(mdTable(['', 'A', 'B'], overview(a, b).map(([k, x, y]) => [mdText(k), mdText(x), mdText(y)])), '');

  out.push('## Headline', '');
  out.push(mdTable(['', 'A', 'B'], headlineRows(a, b).map(([k, x, y]) => [mdText(k), mdText(x), mdText(y)])), '');

  out.push('## Figures', '', 'Difference = B − A; ratio = B / A.', '');
  out.push(
    mdTable(
      ['figure', 'unit', 'A', 'B', 'B − A', 'B / A'],
      figureRows(a, b).map((r) => [mdCode(r.name), mdText(r.unit), figureValue(r.a), figureValue(r.b), signed(r.diff, r.decimals), ratio(r)]),
      ['l', 'l', 'r', 'r', 'r', 'r'],
    ),
    '',
  );

  out.push('## Assertions', '');
  const rows = assertionRows(a, b);
  if (rows.length === 0) out.push('Neither run has assertions.', '');
  else out.push(mdTable(['assertion', 'A', 'B'], rows.map((r) => [mdCode(r.expression), outcome(a, r.a), outcome(b, r.b)])), '');

  out.push('## Timelines', '');
  const seconds = Math.max(durationOf(a), durationOf(b));
  out.push(
    'Failed share per second on one time axis (`▁` none failed … `█` all failed; ruler digits are tens of seconds):',
    '',
    '```',
    `   ${sparklineRuler(seconds)}`,
    `A  ${failureSparkline(a, seconds)}`,
    `B  ${failureSparkline(b, seconds)}`,
    '```',
    '',
  );
  const events = [
    ...[a, b].flatMap((r, i) =>
      r.timeline.map((x) => ({ run: i === 0 ? 'A' : 'B', t: x.startedAt - r.trafficStart, what: actionLabel(x), r })),
    ),
    ...[a, b].flatMap((r, i) =>
      r.routeEvents.map((e) => ({
        run: i === 0 ? 'A' : 'B',
        t: e.t - r.trafficStart,
        what: `${e.node}: ${e.prefix} ${e.nextHops.length} next hop${e.nextHops.length === 1 ? '' : 's'}`,
        r,
      })),
    ),
    ...[a, b].flatMap((r, i) =>
      vipMoves(r, topologyOf(r as RunResultsWithTopology).topology).map((m) => ({ run: i === 0 ? 'A' : 'B', t: m.t - r.trafficStart, what: `${m.router}: ${m.vip} at ${m.director ?? m.lladdr}`, r })),
    ),
  ].sort((x, y) => x.t - y.t);
  if (events.length > 0) {
    out.push(
      mdTable(
        ['time', 'run', 'event'],
        events.map((e) => [fmtRel(e.t + e.r.trafficStart, e.r.trafficStart), e.run, mdCode(e.what)]),
        ['r', 'l', 'l'],
      ),
      '',
    );
  }
  return out.join('\n');
}

function compareHtml(a: RunResults, b: RunResults): string {
  const body: string[] = [];
  const title = `Compare: ${runLabel(a)} vs ${runLabel(b)}`;
  body.push(`<header class="page"><h1>${escapeHtml(title)}</h1><p class="sub">A = ${escapeHtml(runLabel(a))}, B = ${escapeHtml(runLabel(b))}</p></header>`);
  const onFallback = [a, b].filter((r) => r.lab.dataplane === 'nftables');
  if (onFallback.length > 0) {
    body.push(fallbackBanner(onFallback.map((r) => `${r === a ? 'A' : 'B'}: ${r.manifest.dataplaneDetail}`).join('\n')));
  }

  body.push('<section class="card" id="runs"><h2>Runs</h2>');
  body.push(htmlTable(['', 'A', 'B'], overview(a, b).map(([k, x, y]) => [td(k), td(x), td(y)])));
  body.push('</section>');

  body.push('<section class="card" id="headline"><h2>Headline</h2>');
  body.push(htmlTable(['', 'A', 'B'], headlineRows(a, b).map(([k, x, y]) => [td(k), td(x), td(y)])));
  body.push('</section>');

  body.push('<section class="card" id="timelines"><h2>Timelines on one time axis</h2>');
  body.push(
    stackedTimelines([
      { results: a, caption: `A: ${runLabel(a)} (${failoverText(a)})` },
      { results: b, caption: `B: ${runLabel(b)} (${failoverText(b)})` },
    ]),
  );
  body.push('</section>');

  body.push('<section class="card" id="figures"><h2>Figures</h2>');
  const rows = figureRows(a, b);
  body.push(
    htmlTable(
      ['figure', 'unit', { text: 'A', cls: 'num' }, { text: 'B', cls: 'num' }, { text: 'B − A', cls: 'num' }, { text: 'B / A', cls: 'num' }, 'method'],
      rows.map((r) => [
        tdRaw(`<code>${escapeHtml(r.name)}</code>`),
        td(unitSuffix((r.a ?? r.b)!) || r.unit),
        td(figureValue(r.a), 'num'),
        td(figureValue(r.b), 'num'),
        tdRaw(r.diff !== null && r.diff !== 0 ? `<strong>${escapeHtml(signed(r.diff, r.decimals))}</strong>` : escapeHtml(signed(r.diff, r.decimals)), 'num'),
        td(ratio(r), 'num'),
        td((r.a ?? r.b)?.method ?? '', 'method'),
      ]),
    ),
  );
  body.push('</section>');

  body.push('<section class="card" id="assertions"><h2>Assertions</h2>');
  const arows = assertionRows(a, b);
  body.push(
    arows.length === 0
      ? '<p class="muted">Neither run has assertions.</p>'
      : htmlTable(
          ['assertion', 'A', 'B'],
          arows.map((r) => [
            tdRaw(`<code>${escapeHtml(r.expression)}</code>`),
            td(outcome(a, r.a), r.a ? (r.a.passed ? 'pass' : 'fail') : 'muted'),
            td(outcome(b, r.b), r.b ? (r.b.passed ? 'pass' : 'fail') : 'muted'),
          ]),
        ),
  );
  body.push('</section>');
  return htmlPage(`lvslab: ${title}`, body.join('\n'));
}
