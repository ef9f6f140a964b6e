// report.html: one run's results as a single self-contained page (see html-page.ts).
import type { Figure, FigureName, RepeatResults, RunResults } from '../experiment/types.js';
import {
  PHASES,
  actionLabel,
  durationOf,
  failedElements,
  fibLine,
  hopLabel,
  nodeByAddress,
  phaseWindows,
  referencePhase,
  snapshotPhases,
  SNAPSHOT_PHASES,
  type FibLine,
  type SnapshotPhase,
  verdictOf,
  vipMoves,
  vipMoveText,
  vipRoutes,
} from './analysis.js';
import { escapeHtml, fmtCount, fmtIso, fmtMs, fmtNumber, fmtPercent, fmtRel } from './format.js';
import { htmlPage, htmlTable, td, tdRaw } from './html-page.js';
import { isRepeatResults } from './kinds.js';
import {
  CAPTURES_INTRO,
  CHRONOLOGY_LIMIT,
  NOT_MEASURED,
  captureAttachment,
  captureHref,
  directorCount,
  directorCountsNote,
  directorNames,
  fallbackBanner,
  figureResolution,
  figureValue,
  manifestRows,
  ospfNeighbourRows,
  ospfTimersText,
  sum,
  unionKeys,
  unitSuffix,
  clientRows,
} from './common.js';
import { renderRepeatHtml } from './repeat.js';
import { hitsChart } from './svg/bars.js';
import { timelineChart } from './svg/timeline.js';
import { topologyDrawing } from './svg/topology.js';
import { failoverMechanism, topologyOf, type RunResultsWithTopology } from './topology.js';

/** Figures shown as big numbers at the top, in this order, when they have a value. */
const KEY_FIGURES: Array<{ name: FigureName; label: string }> = [
  { name: 'outage_s', label: 'Outage' },
  { name: 'ospf_detection_s', label: 'OSPF detection' },
  { name: 'bfd_detection_s', label: 'BFD detection' },
  { name: 'route_withdrawal_s', label: 'Route withdrawal' },
  { name: 'route_restoration_s', label: 'Route restoration' },
  { name: 'vip_move_s', label: 'VIP move' },
  { name: 'vip_return_s', label: 'VIP return' },
  { name: 'restore_outage_s', label: 'Outage after restore' },
  { name: 'hc_removal_s', label: 'Health-check removal' },
  { name: 'success_ratio', label: 'Success ratio' },
  { name: 'requests_failed', label: 'Failed requests' },
  { name: 'longest_gap_s', label: 'Longest gap' },
];

export function renderHtml(results: RunResults | RepeatResults, runs: RunResults[] = []): string {
  if (isRepeatResults(results)) return renderRepeatHtml(results, runs);
  return renderRunHtml(results);
}

function renderRunHtml(results: RunResultsWithTopology): string {
  const verdict = verdictOf(results);
  const view = topologyOf(results);
  const names = nodeByAddress(view.topology);
  const failed = failedElements(results);
  const failedFigures = new Set(results.assertions.filter((a) => !a.passed).map((a) => a.figure));
  const title = `${results.experiment.name}: run ${results.run}`;
  const b: string[] = [];

  // Header.
  b.push('<header class="page">');
  b.push(`<h1>${escapeHtml(title)}</h1>`);
  b.push(`<span class="badge ${verdict.passed ? 'pass' : 'fail'}">${verdict.passed ? 'PASSED' : 'FAILED'}</span>`);
  b.push(`<span class="muted">${escapeHtml(verdict.text)}</span>`);
  if (results.experiment.description) b.push(`<p class="sub">${escapeHtml(results.experiment.description)}</p>`);
  b.push('</header>');
  const ospf = view.topology.ospf;
  b.push(
    '<div class="meta">' +
      meta('lab', `${results.lab.name} (instance ${results.lab.instance})`) +
      meta('runtime', results.lab.runtime) +
      meta('dataplane', results.lab.dataplane === 'nftables' ? 'nftables (fallback)' : 'kernel IPVS') +
      (ospf ? meta('OSPF', ospfTimersText(ospf)) : '') +
      (view.topology.services.some((x) => x.vrrp) ? meta('VRRP', failoverMechanism(view.topology) ?? '') : '') +
      meta('traffic', `${fmtIso(results.trafficStart)}, ${fmtNumber(durationOf(results), 1)} s`) +
      meta('experiment', results.experiment.file) +
      '</div>',
  );
  if (results.lab.dataplane === 'nftables') b.push(fallbackBanner(results.manifest.dataplaneDetail));

  // Key figures and assertions.
  b.push('<section class="card" id="summary"><h2>Summary</h2><div class="kpis">');
  for (const k of KEY_FIGURES) {
    const f = results.figures[k.name];
    if (!f || f.value === null) continue;
    b.push(
      `<div class="kpi${failedFigures.has(k.name) ? ' bad' : ''}" title="${escapeHtml(f.method)}"><div class="label">${escapeHtml(k.label)}</div>` +
        `<div class="value">${escapeHtml(figureValue(f))}<span class="unit">${escapeHtml(unitSuffix(f))}</span></div>` +
        `<div class="res">${f.resolution === null ? '' : escapeHtml(`resolution ${figureResolution(f)} ${unitSuffix(f)}`.trim())}</div></div>`,
    );
  }
  b.push('</div>');
  b.push('<h3>Assertions</h3>');
  b.push(assertionsTable(results));
  b.push('</section>');

  // Timeline chart.
  b.push('<section class="card" id="timeline"><h2>Timeline: successes and failures per 100 ms</h2>');
  b.push(timelineChart(results, { topology: view.topology }));
  b.push('</section>');

  // Topology and hits side by side.
  b.push('<div class="grid2">');
  b.push('<section class="card" id="topology"><h2>Topology</h2>');
  b.push(
    topologyDrawing(view.topology, {
      width: 700,
      failed,
      ...(view.recorded ? {} : { note: 'results.json has no topology: drawn from the snapshots and hits (clients and addresses unknown)' }),
    }),
  );
  if (failed.length > 0) {
    b.push(
      '<p class="note">' +
        failed
          .map((f) => escapeHtml(`${f.action} ${[f.node, f.interface ?? f.daemon].filter(Boolean).join(' ')} from ${fmtNumber(f.from, 3)} s to ${f.to === null ? 'the end' : `${fmtNumber(f.to, 3)} s`}`))
          .join('<br/>') +
        '</p>',
    );
  }
  b.push('</section>');
  b.push('<section class="card" id="hits"><h2>Hits</h2>');
  b.push(hitsChart(results, 520));
  b.push(perPhaseTable(results));
  b.push(perClientTable(results));
  b.push('</section>');
  b.push('</div>');

  // Routes.
  b.push('<section class="card" id="routes"><h2>Router VIP routes: before, during, after</h2>');
  b.push(vipRouteTable(results, names));
  b.push(fibTables(results, names));
  b.push(neighbourTable(results));
  b.push('</section>');

  // Figures.
  b.push('<section class="card" id="figures"><h2>Figures</h2>');
  b.push(figuresTable(results, failedFigures));
  b.push('</section>');

  // Actions and chronology.
  b.push('<section class="card" id="actions"><h2>Timeline of actions</h2>');
  b.push(actionsTable(results));
  b.push('<h3>Chronology: actions, route changes, daemon logs</h3>');
  b.push(chronologyTable(results, names));
  b.push('</section>');

  // Cross-check and manifest.
  b.push('<section class="card" id="crosscheck"><h2>Cross-check</h2>');
  b.push(crossCheckBlock(results));
  b.push('</section>');
  if (results.captures) {
    b.push('<section class="card" id="captures"><h2>Packet captures</h2>');
    b.push(capturesTable(results));
    b.push('</section>');
  }
  b.push('<section class="card" id="manifest"><h2>Manifest</h2>');
  b.push(htmlTable(['', ''], manifestRows(results).map(([k, v]) => [td(k), td(v, 'mono')])));
  b.push(`<p class="note">Raw request records: <code>${escapeHtml(results.requestsFile)}</code></p>`);
  b.push('</section>');
  b.push(`<footer>lvslab ${escapeHtml(results.manifest.lvslab)} · schema ${escapeHtml(results.schema)}</footer>`);
  return htmlPage(`lvslab: ${title}`, b.join('\n'));
}

const meta = (k: string, v: string): string => `<span>${escapeHtml(k)} <b>${escapeHtml(v)}</b></span>`;

export function assertionsTable(results: RunResults): string {
  if (results.assertions.length === 0) return '<p class="muted">The experiment has no <code>expect:</code> lines.</p>';
  return htmlTable(
    ['result', 'assertion', { text: 'actual', cls: 'num' }, 'expected'],
    results.assertions.map((a) => {
      const f = (results.figures as Record<string, Figure>)[a.figure];
      const actual = a.actual === null ? '— (no value)' : `${f ? figureValue({ ...f, value: a.actual }) : String(a.actual)} ${f ? unitSuffix(f) : ''}`.trim();
      return [
        td(a.passed ? 'PASS' : 'FAIL', a.passed ? 'pass' : 'fail'),
        tdRaw(`<code>${escapeHtml(a.expression)}</code>`),
        td(actual, 'num'),
        td(`${a.op} ${a.expected}`),
      ];
    }),
    { rowCls: results.assertions.map((a) => (a.passed ? undefined : 'failed')) },
  );
}

/** `--capture`: every link's pcap (a link to the file beside the report), failed captures with their error. */
function capturesTable(results: RunResults): string {
  const captures = results.captures ?? [];
  const intro = `<p class="note">${escapeHtml(CAPTURES_INTRO)}</p>`;
  if (captures.length === 0) return `${intro}<p class="muted">The lab has no links to capture.</p>`;
  return (
    htmlTable(
      ['file', 'interface', 'on', { text: 'bytes', cls: 'num' }, { text: 'frames', cls: 'num' }, 'method'],
      captures.map((c) => {
        const href = captureHref(c);
        const file =
          c.file === undefined
            ? `<b>no pcap</b>: ${escapeHtml(c.error ?? 'not written')}`
            : href
              ? `<a href="${escapeHtml(href)}"><code>${escapeHtml(c.file)}</code></a>`
              : `<code>${escapeHtml(c.file)}</code>`;
        return [
          tdRaw(file),
          td(`${c.node}:${c.interface}`, 'mono'),
          td(captureAttachment(c)),
          td(c.bytes === undefined ? '—' : fmtCount(c.bytes), 'num'),
          td(c.frames === undefined ? '—' : fmtCount(c.frames), 'num'),
          tdRaw(escapeHtml(c.method) + (c.note ? ` <em>(${escapeHtml(c.note)})</em>` : ''), 'method'),
        ];
      }),
      { rowCls: captures.map((c) => (c.file === undefined ? 'failed' : undefined)) },
    ) + intro
  );
}

function figuresTable(results: RunResults, failedFigures: Set<string>): string {
  const entries = Object.entries(results.figures) as Array<[string, Figure]>;
  return htmlTable(
    ['figure', { text: 'value', cls: 'num' }, 'unit', { text: 'resolution', cls: 'num' }, 'method'],
    entries.map(([name, f]) => [
      tdRaw(`<code>${escapeHtml(name)}</code>`),
      td(figureValue(f), 'num'),
      td(f.unit, 'unit'),
      td(figureResolution(f), 'num'),
      tdRaw(escapeHtml(f.method) + (f.note ? ` <em>(${escapeHtml(f.note)})</em>` : ''), 'method'),
    ]),
    { rowCls: entries.map(([name]) => (failedFigures.has(name) ? 'failed' : undefined)) },
  );
}

function perPhaseTable(results: RunResults): string {
  const windows = phaseWindows(results);
  const rs = unionKeys(results.hits.perRealServer, results.hits.expectedShare);
  const dirs = directorNames(results.hits);
  const reasons: string[] = [];
  // "not measured" with a numbered reason below the table (and in the cell's tooltip), never a 0.
  const cell = (d: string, phase?: (typeof PHASES)[number]): string => {
    const c = directorCount(results.hits, d, phase);
    if (c.value !== null) return td(fmtCount(c.value), 'num');
    let i = reasons.indexOf(c.reason ?? '');
    if (i < 0) i = reasons.push(c.reason ?? '') - 1;
    return `<td class="num not-measured" title="${escapeHtml(c.reason ?? '')}">${escapeHtml(NOT_MEASURED)} <sup>${i + 1}</sup></td>`;
  };
  const measured = (m: Parameters<typeof directorCountsNote>[0]): string[] => (dirs.length > 0 ? [td(directorCountsNote(m), 'muted')] : []);
  const rows = [
    ...PHASES.map((ph) => {
      const p = results.hits.perPhase[ph];
      return [
        td(ph),
        td(`${fmtNumber(windows[ph][0], 1)}–${fmtNumber(windows[ph][1], 1)} s`),
        ...rs.map((r) => td(fmtCount(p?.perRealServer[r] ?? 0), 'num')),
        ...dirs.map((d) => cell(d, ph)),
        ...measured(p?.directors),
      ];
    }),
    // The phases are differences of the same counter readings: they add up to this row.
    [
      tdRaw('<b>whole run</b>'),
      td(`${fmtNumber(windows.before[0], 1)}–${fmtNumber(windows.after[1], 1)} s`),
      ...rs.map((r) => td(fmtCount(results.hits.perRealServer[r] ?? 0), 'num')),
      ...dirs.map((d) => cell(d)),
      ...measured(results.hits.directors),
    ],
  ];
  return (
    '<h3>Per phase</h3>' +
    htmlTable(
      ['phase', 'window', ...rs.map((r) => ({ text: r, cls: 'num' })), ...dirs.map((d) => ({ text: d, cls: 'num' })), ...(dirs.length > 0 ? ['director counts'] : [])],
      rows,
      { rowCls: [...PHASES.map(() => undefined), 'total'] },
    ) +
    (reasons.length > 0 ? `<p class="note">${reasons.map((r, i) => `<sup>${i + 1}</sup> ${escapeHtml(NOT_MEASURED)}: ${escapeHtml(r)}`).join('<br/>')}</p>` : '') +
    '<p class="note">Real servers: ok answers by request start. Directors: new connections, differences of counter readings at the phase ' +
    'boundaries (at the start of each timeline step), so the phases add up to the whole run.</p>'
  );
}

function perClientTable(results: RunResults): string {
  const clients = clientRows(results.hits);
  if (!clients) return '';
  return (
    '<h3>Per client</h3>' +
    htmlTable(
      clients.head.map((h, i) => (i < 2 ? h : { text: h, cls: 'num' })),
      clients.rows.map((r) => r.map((cell, i) => (i < 2 ? td(cell) : td(cell, 'num')))),
      { rowCls: clients.rows.map((r) => (r[1] === 'whole run' ? 'total' : undefined)) },
    ) +
    `<p class="note">${escapeHtml(clients.note)}</p>`
  );
}

/** "during (24.80 s)": a snapshot column's heading. */
function phaseHeading(results: RunResults, phase: SnapshotPhase): string {
  const snap = results.snapshots.find((s) => s.phase === phase);
  return snap ? `${phase} (${fmtRel(snap.t, results.trafficStart, 2)})` : phase;
}

function vipRouteTable(results: RunResultsWithTopology, names: Map<string, string>): string {
  const routes = vipRoutes(results, topologyOf(results).topology);
  if (routes.length === 0) return '<p class="muted">No router snapshot recorded a VIP route.</p>';
  const phases = snapshotPhases(results);
  const ref = referencePhase(phases);
  return (
    htmlTable(
      ['router', 'VIP', ...phases.map((p) => phaseHeading(results, p))],
      routes.map((r) => {
        const base = (ref ? r.hops[ref] : undefined) ?? [];
        return [
          td(r.router),
          tdRaw(`${escapeHtml(r.service)}${r.prefix ? ` <code>${escapeHtml(r.prefix)}</code>` : ''}`),
          ...phases.map((ph) => {
            const hops = r.hops[ph] ?? [];
            const isRef = ph === ref;
            const chips = hops.map((h) => `<span class="chip${!isRef && !base.includes(h) ? ' added' : ''}">${escapeHtml(hopLabel(h, names))}</span>`);
            const missing = isRef ? [] : base.filter((h) => !hops.includes(h)).map((h) => `<span class="chip missing" title="missing">${escapeHtml(hopLabel(h, names))}</span>`);
            const less = !isRef && hops.length < base.length;
            return tdRaw(
              `<span class="count${less ? ' less' : ''}">${hops.length} next hop${hops.length === 1 ? '' : 's'}</span>${[...chips, ...missing].join('')}`,
              missing.length > 0 || chips.some((c) => c.includes('added')) ? 'changed' : undefined,
            );
          }),
        ];
      }),
    ) + `<p class="note">Differences from the ${escapeHtml(ref ?? 'first')} snapshot: missing next hops struck out in red, new ones in green.</p>`
  );
}

/** Every router's kernel FIB per snapshot, one row per destination, hops lost/gained marked. */
function fibTables(results: RunResults, names: Map<string, string>): string {
  const routers = unionKeys(...results.snapshots.map((s) => s.routers));
  const out: string[] = [];
  for (const router of routers) {
    const perPhase = new Map<SnapshotPhase, Map<string, FibLine>>();
    for (const snap of results.snapshots) {
      const state = snap.routers[router];
      if (!state) continue;
      perPhase.set(snap.phase, new Map((state.fib ?? []).map(fibLine).filter((l) => l !== undefined).map((l) => [l.dst, l])));
    }
    const dsts = unionKeys(...[...perPhase.values()].map((m) => Object.fromEntries(m)));
    const phases = SNAPSHOT_PHASES.filter((p) => perPhase.has(p));
    const refPhase = referencePhase(phases);
    const base = refPhase ? perPhase.get(refPhase) : undefined;
    out.push(`<h3>${escapeHtml(router)}: kernel routing table (<code>ip -j route</code>)</h3>`);
    out.push(
      htmlTable(
        ['destination', ...phases.map((p) => phaseHeading(results, p))],
        dsts.map((dst) => [
          tdRaw(`<code>${escapeHtml(dst)}</code>`),
          ...phases.map((ph) => {
            const line = perPhase.get(ph)?.get(dst);
            const ref = base?.get(dst);
            const isRef = ph === refPhase;
            if (!line) return tdRaw('<span class="hop missing">no route</span>', ref && !isRef ? 'changed' : undefined);
            const refHops = ref?.hops ?? [];
            const hops = line.hops.map((h) => {
              const added = !isRef && !refHops.includes(h);
              return `<span class="hop${added ? ' added' : ''}">${escapeHtml(annotate(h, names))}</span>`;
            });
            const missing = isRef ? [] : refHops.filter((h) => !line.hops.includes(h)).map((h) => `<span class="hop missing">${escapeHtml(annotate(h, names))}</span>`);
            const changed = !isRef && (missing.length > 0 || line.hops.some((h) => !refHops.includes(h)));
            return tdRaw(`<span class="mono">${escapeHtml(line.head)}</span>${hops.join('')}${missing.join('')}`, `fib${changed ? ' changed' : ''}`);
          }),
        ]),
      ),
    );
  }
  return out.join('\n');
}

/** "via 10.0.1.133 dev eth0" -> "via 10.0.1.133 (lb1) dev eth0". */
function annotate(hop: string, names: Map<string, string>): string {
  return hop.replace(/via (\S+)/, (m, addr: string) => (names.has(addr) ? `via ${addr} (${names.get(addr)})` : m));
}

function neighbourTable(results: RunResults): string {
  const rows = ospfNeighbourRows(results);
  if (rows.length === 0) return '';
  const phases = snapshotPhases(results);
  return (
    '<h3>OSPF neighbours</h3>' +
    htmlTable(
      ['router', 'neighbour', ...phases.map((p) => phaseHeading(results, p))],
      rows.map((r) => [
        td(r.router),
        td(r.neighbour),
        ...phases.map((ph) => {
          const state = r.states[ph];
          if (state !== undefined) return td(state);
          return r.seen[ph] ? tdRaw('<span class="hop missing">gone</span>', 'changed') : td('—', 'muted');
        }),
      ]),
    )
  );
}

function actionsTable(results: RunResults): string {
  if (results.timeline.length === 0) return '<p class="muted">The experiment has no timeline.</p>';
  const rel = (t: number): string => fmtRel(t, results.trafficStart);
  return htmlTable(
    [{ text: 'step', cls: 'num' }, { text: 'planned', cls: 'num' }, { text: 'started', cls: 'num' }, { text: 'took', cls: 'num' }, 'action', 'result', 'detail'],
    results.timeline.map((a) => [
      td(String(a.step), 'num'),
      td(rel(a.plannedAt), 'num'),
      td(rel(a.startedAt), 'num'),
      td(fmtMs(a.doneAt - a.startedAt), 'num'),
      tdRaw(`<code>${escapeHtml(actionLabel(a))}</code>`),
      td(a.ok ? 'ok' : 'FAILED', a.ok ? 'pass' : 'fail'),
      td(a.detail, 'method'),
    ]),
    { rowCls: results.timeline.map((a) => (a.ok ? undefined : 'failed')) },
  );
}

function chronologyTable(results: RunResults, names: Map<string, string>): string {
  const rel = (t: number): string => fmtRel(t, results.trafficStart);
  const rows = [
    ...results.timeline.map((a) => ({ t: a.startedAt, who: 'lvslab', what: `${actionLabel(a)}${a.ok ? '' : ' (FAILED)'}`, cls: 'action' })),
    ...results.routeEvents.map((e) => ({
      t: e.t,
      who: `${e.node} ip monitor`,
      what: `${e.kind} ${e.prefix}: ${e.nextHops.length} next hop${e.nextHops.length === 1 ? '' : 's'} ${e.nextHops.map((h) => hopLabel(h, names)).join(', ')}`,
      cls: 'route',
    })),
    ...vipMoves(results, topologyOf(results).topology).map((m) => ({ t: m.t, who: `${m.router} ip monitor neigh`, what: vipMoveText(m), cls: 'route' })),
    ...results.logs.map((l) => ({ t: l.t, who: `${l.node} ${l.daemon}`, what: l.text, cls: 'log' })),
  ].sort((a, b) => a.t - b.t);
  if (rows.length === 0) return '<p class="muted">Nothing was recorded.</p>';
  const table = htmlTable(
    [{ text: 'time', cls: 'num' }, 'source', 'event'],
    rows.slice(0, CHRONOLOGY_LIMIT).map((r) => [
      td(rel(r.t), 'num'),
      td(r.who),
      tdRaw(r.cls === 'log' ? `<span class="mono">${escapeHtml(r.what)}</span>` : `<strong>${escapeHtml(r.what)}</strong>`),
    ]),
    { rowCls: rows.slice(0, CHRONOLOGY_LIMIT).map((r) => (r.cls === 'log' ? undefined : r.cls)) },
  );
  // Long logs stay available without drowning the page.
  const more = rows.length > CHRONOLOGY_LIMIT ? `<p class="note">${rows.length - CHRONOLOGY_LIMIT} more entries are in results.json (logs, routeEvents, neighbourEvents).</p>` : '';
  return rows.length > 60 ? `<details><summary>${rows.length} entries</summary>${table}${more}</details>` : table;
}

function crossCheckBlock(results: RunResults): string {
  const cc = results.crossCheck;
  const names = unionKeys(cc.clientOk, cc.nginxLog, cc.directorCounters);
  const row = (label: string, counts: Record<string, number>): string[] => [
    td(label),
    ...names.map((n) => td(counts[n] === undefined ? '' : fmtCount(counts[n]), 'num')),
    td(fmtCount(sum(Object.values(counts))), 'num'),
  ];
  return (
    `<p><span class="${cc.agree ? 'agree' : 'disagree'}">${cc.agree ? 'Counts agree' : 'Counts DISAGREE'}</span>: ${escapeHtml(cc.note)}</p>` +
    htmlTable(
      ['source', ...names.map((n) => ({ text: n, cls: 'num' })), { text: 'total', cls: 'num' }],
      [row('clients: ok answers', cc.clientOk), row('directors: counters', cc.directorCounters), row('nginx access logs', cc.nginxLog)],
    ) +
    `<p class="note">Expected share per real server: ${escapeHtml(
      Object.entries(results.hits.expectedShare)
        .map(([k, v]) => `${k} ${fmtPercent(v)}`)
        .join(', ') || '—',
    )}</p>`
  );
}
