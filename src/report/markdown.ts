// report.md: one run's results as Markdown, readable as plain text and on a forge.
import type { Figure, RepeatResults, RunResults } from '../experiment/types.js';
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
  verdictOf,
  vipMoves,
  vipMoveText,
  vipRoutes,
} from './analysis.js';
import {
  fmtCount,
  fmtIso,
  fmtMs,
  fmtNumber,
  fmtPercent,
  fmtRel,
  mdCode,
  mdTable,
  mdText,
} from './format.js';
import {
  CAPTURES_INTRO,
  CHRONOLOGY_LIMIT,
  FALLBACK_NOTICE,
  captureAttachment,
  captureHref,
  NOT_MEASURED,
  directorCount,
  directorCountsNote,
  directorNames,
  figureResolution,
  figureValue,
  figureWithUnit,
  manifestRows,
  ospfNeighbourRows,
  ospfTimersText,
  sum,
  unionKeys,
  clientRows,
} from './common.js';
import { isRepeatResults } from './kinds.js';
import { renderRepeatMarkdown } from './repeat.js';
import { failoverMechanism, topologyOf, type RunResultsWithTopology } from './topology.js';

export function renderMarkdown(results: RunResults | RepeatResults, runs: RunResults[] = []): string {
  if (isRepeatResults(results)) return renderRepeatMarkdown(results, runs);
  return renderRunMarkdown(results);
}

function renderRunMarkdown(results: RunResultsWithTopology): string {
  const out: string[] = [];
  const verdict = verdictOf(results);
  const { topology } = topologyOf(results);
  const names = nodeByAddress(topology);
  const rel = (t: number): string => fmtRel(t, results.trafficStart);

  out.push(`# Experiment ${mdText(results.experiment.name)}: run ${results.run}`, '');
  if (results.experiment.description) out.push(`> ${mdText(results.experiment.description)}`, '');
  out.push(`**Result: ${verdict.passed ? 'PASSED' : 'FAILED'}** (${verdict.text})`, '');
  if (results.lab.dataplane === 'nftables') {
    out.push(`> **⚠ FALLBACK DATAPLANE: nftables, NOT kernel IPVS.** ${mdText(FALLBACK_NOTICE)}`, '>', `> ${mdText(results.manifest.dataplaneDetail)}`, '');
  }
  const ospf = topology.ospf ? ospfTimersText(topology.ospf) : undefined;
  const vrrp = topology.services.some((x) => x.vrrp) ? failoverMechanism(topology) : undefined;
  out.push(
    mdTable(
      ['', ''],
      [
        ['lab', `${mdText(results.lab.name)} (instance ${mdText(results.lab.instance)}, ${mdCode(results.lab.file)})`],
        ['runtime', mdText(results.lab.runtime)],
        ['dataplane', results.lab.dataplane === 'nftables' ? '**nftables (fallback, not kernel IPVS)**' : 'ipvs (kernel IPVS)'],
        ...(ospf ? [['OSPF timers', ospf]] : []),
        ...(vrrp ? [['VRRP', mdText(vrrp)]] : []),
        ['experiment file', mdCode(results.experiment.file)],
        ['traffic', `${fmtIso(results.trafficStart)} for ${fmtNumber(durationOf(results), 1)} s`],
      ],
    ),
    '',
  );

  out.push('## Assertions', '');
  if (results.assertions.length === 0) out.push('The experiment has no `expect:` lines.', '');
  else {
    out.push(
      mdTable(
        ['result', 'assertion', 'actual', 'expected'],
        results.assertions.map((a) => [
          a.passed ? 'PASS' : '**FAIL**',
          mdCode(a.expression),
          a.actual === null ? '— (no value)' : figureWithUnit({ ...figureOf(results, a.figure), value: a.actual }),
          mdCode(`${a.op} ${a.expected}`),
        ]),
      ),
      '',
    );
  }

  out.push('## Figures', '');
  out.push(
    mdTable(
      ['figure', 'value', 'unit', 'resolution', 'method'],
      Object.entries(results.figures).map(([name, f]) => [
        mdCode(name),
        figureValue(f),
        mdText(f.unit),
        mdText(figureResolution(f)),
        mdText(f.method) + (f.note ? ` *(${mdText(f.note)})*` : ''),
      ]),
      ['l', 'r', 'l', 'r', 'l'],
    ),
    '',
  );

  out.push('## Hits', '', '### Per real server (ok answers the clients saw)', '');
  const rsNames = unionKeys(results.hits.perRealServer, results.hits.expectedShare);
  const rsTotal = sum(Object.values(results.hits.perRealServer));
  out.push(
    mdTable(
      ['real server', 'hits', 'share', 'expected share', 'difference'],
      rsNames.map((rs) => {
        const hits = results.hits.perRealServer[rs] ?? 0;
        const share = rsTotal > 0 ? hits / rsTotal : null;
        const expected = results.hits.expectedShare[rs];
        const diff = share !== null && expected !== undefined ? `${((share - expected) * 100).toFixed(2)} pp` : '—';
        return [mdText(rs), fmtCount(hits), fmtPercent(share), fmtPercent(expected), diff];
      }),
      ['l', 'r', 'r', 'r', 'r'],
    ),
    '',
    '### Per director (new connections, counter deltas)',
    '',
  );
  const dirNames = directorNames(results.hits);
  const dirTotal = sum(dirNames.map((d) => directorCount(results.hits, d).value ?? 0));
  const allMeasured = dirNames.every((d) => directorCount(results.hits, d).value !== null);
  const reasons: string[] = [];
  // A count that was not measured says so, with its reason as a numbered note below the table.
  const cell = (d: string, phase?: (typeof PHASES)[number]): string => {
    const c = directorCount(results.hits, d, phase);
    if (c.value !== null) return fmtCount(c.value);
    const text = mdText(c.reason ?? '');
    let i = reasons.indexOf(text);
    if (i < 0) i = reasons.push(text) - 1;
    return `${NOT_MEASURED} [${i + 1}]`;
  };
  const notes = (): string[] => {
    const lines = reasons.map((r, i) => `[${i + 1}] ${r}`);
    reasons.length = 0;
    return lines.length > 0 ? [lines.join('  \n'), ''] : [];
  };
  out.push(
    mdTable(
      ['director', 'connections', 'share', 'even split'],
      dirNames.map((d) => {
        const n = directorCount(results.hits, d).value;
        return [mdText(d), cell(d), fmtPercent(n !== null && allMeasured && dirTotal > 0 ? n / dirTotal : null), fmtPercent(1 / dirNames.length)];
      }),
      ['l', 'r', 'r', 'r'],
    ),
    '',
    ...notes(),
    `Counted over the traffic window: ${mdText(directorCountsNote(results.hits.directors))}.`,
    '',
    '### Per phase',
    '',
  );
  const windows = phaseWindows(results);
  const phaseCols = [...rsNames, ...dirNames];
  out.push(
    mdTable(
      ['phase', 'window', ...phaseCols.map(mdText), ...(dirNames.length > 0 ? ['director counts'] : [])],
      [
        ...PHASES.map((ph) => {
          const p = results.hits.perPhase[ph];
          return [
            ph,
            `${fmtNumber(windows[ph][0], 1)}–${fmtNumber(windows[ph][1], 1)} s`,
            ...rsNames.map((rs) => fmtCount(p?.perRealServer[rs] ?? 0)),
            ...dirNames.map((d) => cell(d, ph)),
            ...(dirNames.length > 0 ? [mdText(directorCountsNote(p?.directors))] : []),
          ];
        }),
        // The phases are differences of the same readings: they add up to this row.
        [
          '**whole run**',
          `${fmtNumber(windows.before[0], 1)}–${fmtNumber(windows.after[1], 1)} s`,
          ...rsNames.map((rs) => fmtCount(results.hits.perRealServer[rs] ?? 0)),
          ...dirNames.map((d) => cell(d)),
          ...(dirNames.length > 0 ? [mdText(directorCountsNote(results.hits.directors))] : []),
        ],
      ],
      ['l', 'l', ...phaseCols.map(() => 'r' as const), ...(dirNames.length > 0 ? ['l' as const] : [])],
    ),
    '',
    ...notes(),
    'Real servers: ok answers by request start. Directors: new connections, differences of counter readings at the phase boundaries ' +
      '(at the start of each timeline step), so the phases add up to the whole run.',
    '',
  );
  const clients = clientRows(results.hits);
  if (clients) {
    out.push(
      '### Per client',
      '',
      mdTable(clients.head.map(mdText), clients.rows.map((r) => r.map(mdText)), ['l', 'l', ...clients.head.slice(2).map(() => 'r' as const)]),
      '',
      mdText(clients.note),
      '',
    );
  }

  out.push('## Router VIP routes', '');
  const routes = vipRoutes(results, topology);
  const snapPhases = snapshotPhases(results);
  const ref = referencePhase(snapPhases);
  const phaseHead = snapPhases.map((ph) => `${ph} (${rel(results.snapshots.find((s) => s.phase === ph)!.t)})`);
  if (routes.length === 0) out.push('No router snapshot recorded a VIP route.', '');
  else {
    out.push(
      `Next hops of each VIP in the router's kernel at each snapshot; compared with the ${ref ?? 'first'} snapshot.`,
      '',
      mdTable(
        ['router', 'VIP', ...phaseHead],
        routes.map((r) => {
          const base = (ref ? r.hops[ref] : undefined) ?? [];
          return [
            mdText(r.router),
            `${mdText(r.service)}${r.prefix ? ` ${mdCode(r.prefix)}` : ''}`,
            ...snapPhases.map((ph) => {
              const hops = r.hops[ph];
              if (!hops) return '(no route)';
              const isRef = ph === ref;
              const shown = hops.map((h) => `${mdText(hopLabel(h, names))}${!isRef && !base.includes(h) ? ' **new**' : ''}`);
              const missing = isRef ? [] : base.filter((h) => !hops.includes(h)).map((h) => `~~${mdText(hopLabel(h, names))}~~ **missing**`);
              return `${hops.length} next hop${hops.length === 1 ? '' : 's'}: ${[...shown, ...missing].join(', ') || 'none'}`;
            }),
          ];
        }),
      ),
      '',
    );
    for (const snap of results.snapshots) {
      for (const [router, state] of Object.entries(snap.routers)) {
        const lines = (state.fib ?? []).map(fibLine).filter((l) => l !== undefined);
        out.push(`<details><summary>${mdText(router)} kernel FIB, ${snap.phase} (${rel(snap.t)})</summary>`, '', '```');
        for (const l of lines) {
          // As `ip route` prints it: a single hop inline, several as nexthop lines.
          if (l.hops.length === 1) out.push(fence(`${l.dst} ${l.hops[0]} ${l.head}`.trim()));
          else {
            out.push(fence(`${l.dst} ${l.head}`.trim()));
            for (const h of l.hops) out.push(fence(`\tnexthop ${h}`));
          }
        }
        out.push('```', '', '</details>', '');
      }
    }
    out.push(
      mdTable(
        ['router', 'OSPF neighbour', ...snapPhases],
        ospfNeighbourRows(results).map((r) => [
          mdText(r.router),
          mdText(r.neighbour),
          ...snapPhases.map((ph) => (r.states[ph] === undefined ? (r.seen[ph] ? '**gone**' : '—') : mdText(r.states[ph]))),
        ]),
      ),
      '',
    );
  }

  out.push('## Timeline', '');
  const failed = failedElements(results);
  if (failed.length > 0) {
    for (const f of failed) {
      const what = [f.node, f.interface ?? f.daemon].filter(Boolean).join(' ');
      out.push(
        `- **${mdText(what)}** ${mdText(f.action)} from ${fmtNumber(f.from, 3)} s ` +
          (f.to === null ? 'to the end of the run' : `to ${fmtNumber(f.to, 3)} s (${mdText(f.repairedBy ?? '')}), ${fmtNumber(f.to - f.from, 3)} s`),
      );
    }
    out.push('');
  }
  if (results.timeline.length === 0) out.push('The experiment has no timeline.', '');
  else {
    out.push(
      mdTable(
        ['step', 'planned', 'started', 'took', 'action', 'ok', 'detail'],
        results.timeline.map((a) => [
          String(a.step),
          rel(a.plannedAt),
          rel(a.startedAt),
          fmtMs(a.doneAt - a.startedAt),
          mdCode(actionLabel(a)),
          a.ok ? 'ok' : '**FAILED**',
          mdText(a.detail),
        ]),
        ['r', 'r', 'r', 'r', 'l', 'l', 'l'],
      ),
      '',
    );
  }
  out.push('### Chronology (actions, route changes, daemon logs)', '');
  const chronology = [
    ...results.timeline.map((a) => ({ t: a.startedAt, who: 'lvslab', what: `${actionLabel(a)}${a.ok ? '' : ' (FAILED)'}` })),
    ...vipMoves(results, topology).map((m) => ({ t: m.t, who: `${m.router} ip monitor neigh`, what: vipMoveText(m) })),
    ...results.routeEvents.map((e) => ({
      t: e.t,
      who: `${e.node} ip monitor`,
      what: `${e.kind} ${e.prefix}: ${e.nextHops.length} next hop${e.nextHops.length === 1 ? '' : 's'} ${e.nextHops.map((h) => hopLabel(h, names)).join(', ')}`,
    })),
    ...results.logs.map((l) => ({ t: l.t, who: `${l.node} ${l.daemon}`, what: l.text })),
  ].sort((a, b) => a.t - b.t);
  if (chronology.length === 0) out.push('Nothing was recorded.', '');
  else {
    out.push(
      mdTable(
        ['time', 'source', 'event'],
        chronology.slice(0, CHRONOLOGY_LIMIT).map((c) => [rel(c.t), mdText(c.who), mdCode(c.what)]),
        ['r', 'l', 'l'],
      ),
      '',
    );
    if (chronology.length > CHRONOLOGY_LIMIT) {
      out.push(`*${chronology.length - CHRONOLOGY_LIMIT} more entries are in results.json (\`logs\`, \`routeEvents\`, \`neighbourEvents\`).*`, '');
    }
  }

  out.push('## Cross-check', '');
  const cc = results.crossCheck;
  out.push(
    `Counts ${cc.agree ? '**agree**' : '**DISAGREE**'}: ${mdText(cc.note)}`,
    '',
    mdTable(
      ['source', 'counts', 'total'],
      [
        ['clients (ok answers)', countsText(cc.clientOk), fmtCount(sum(Object.values(cc.clientOk)))],
        ['directors (counters)', countsText(cc.directorCounters), fmtCount(sum(Object.values(cc.directorCounters)))],
        ['nginx access logs', countsText(cc.nginxLog), fmtCount(sum(Object.values(cc.nginxLog)))],
      ],
      ['l', 'l', 'r'],
    ),
    '',
  );

  if (results.captures) out.push(...capturesSection(results), '');

  out.push('## Manifest', '');
  out.push(mdTable(['', ''], manifestRows(results).map(([k, v]) => [mdText(k), mdText(v)])), '');
  out.push(`Raw request records: ${mdCode(results.requestsFile)}`, '');
  return out.join('\n');
}

/** `--capture`: every link's pcap, and each capture that has none with its error. */
function capturesSection(results: RunResults): string[] {
  const captures = results.captures ?? [];
  const out = ['## Packet captures', '', mdText(CAPTURES_INTRO), ''];
  if (captures.length === 0) return [...out, 'The lab has no links to capture.'];
  out.push(
    mdTable(
      ['file', 'interface', 'on', 'bytes', 'frames', 'method'],
      captures.map((c) => {
        const href = captureHref(c);
        const file = c.file === undefined ? `**no pcap**: ${mdText(c.error ?? 'not written')}` : href ? `[${mdCode(c.file)}](${href})` : mdCode(c.file);
        return [
          file,
          mdText(`${c.node}:${c.interface}`),
          mdText(captureAttachment(c)),
          c.bytes === undefined ? '—' : fmtCount(c.bytes),
          c.frames === undefined ? '—' : fmtCount(c.frames),
          mdText(c.method) + (c.note ? ` *(${mdText(c.note)})*` : ''),
        ];
      }),
      ['l', 'l', 'l', 'r', 'r', 'l'],
    ),
  );
  return out;
}

function figureOf(results: RunResults, name: string): Figure {
  return (results.figures as Record<string, Figure>)[name] ?? { value: null, unit: 'count', method: '', resolution: null };
}

function countsText(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? '—' : entries.map(([k, v]) => `${mdText(k)} ${fmtCount(v)}`).join(', ');
}

/** A line inside a fenced block must not close the fence. */
const fence = (line: string): string => line.replace(/```/g, "'''");

