// The table `lvslab run` prints at the end: the key figures with their resolution, the
// directors' new connections per phase, and every assertion with its verdict.
import type { RunExperimentResult } from '../experiment/run.js';
import type { Figure, RunResults } from '../experiment/types.js';
import { PHASES } from '../report/analysis.js';
import { NOT_MEASURED, directorCount, directorCountsNote, directorNames } from '../report/common.js';
import { fmtMeasured, fmtResolution } from '../report/format.js';
import { table } from './commands/shared.js';

export function formatRunSummary(result: RunExperimentResult): string {
  const lines: string[] = [];
  const first = result.runs[0];
  if (!first) return 'no run completed';
  const figures = first.figures as Record<string, Figure>;
  lines.push(`${first.experiment.name} on ${first.lab.name} (${first.lab.runtime}, ${first.lab.dataplane === 'nftables' ? 'NFTABLES FALLBACK, not kernel IPVS' : 'kernel IPVS'})`);
  lines.push('');
  if (result.repeat) {
    const rows = [['FIGURE', 'MEDIAN', 'P95', 'MIN', 'MAX', 'UNIT']];
    for (const [name, a] of Object.entries(result.repeat.aggregate)) {
      if (a.n === 0) continue;
      // Order statistics of a figure keep the figure's resolution (that of the first run).
      const f = (v: number | null) => fmt(v, figures[name]);
      rows.push([name, f(a.median), f(a.p95), f(a.min), f(a.max), a.unit]);
    }
    lines.push(table(rows));
  } else {
    const rows = [['FIGURE', 'VALUE', 'UNIT', 'RESOLUTION']];
    for (const [name, f] of Object.entries(figures)) {
      rows.push([name, f.value === null ? `n/a${f.note ? ` (${f.note})` : ''}` : fmt(f.value, f), f.unit, f.resolution === null ? '' : fmtResolution(f.resolution, f.unit)]);
    }
    lines.push(table(rows));
    lines.push('', ...directorLines(first));
  }
  lines.push('');
  for (const r of result.runs) {
    for (const a of r.assertions) {
      lines.push(`${a.passed ? 'PASS' : 'FAIL'}  ${a.expression}${result.runs.length > 1 ? `  (run ${r.run})` : ''}  — actual ${a.actual === null ? 'n/a' : fmt(a.actual, (r.figures as Record<string, Figure>)[a.figure])}`);
    }
  }
  for (const r of result.runs) {
    for (const s of r.timeline.filter((x) => !x.ok)) lines.push(`FAIL  timeline step ${s.step} (${s.action} ${s.node}): ${s.detail}`);
  }
  for (const r of result.runs) lines.push(...captureLines(r, result.runs.length > 1));
  lines.push('', `results: ${result.dir}/results.json, report.md, report.html, junit.xml`);
  lines.push(result.passed ? 'every assertion held' : 'FAILED: an assertion or a timeline step failed');
  return lines.join('\n');
}

/** New connections per director and phase (counter differences), "not measured" with the reason where so. */
export function directorLines(r: RunResults): string[] {
  const dirs = directorNames(r.hits);
  if (dirs.length === 0) return ['directors: no counts (results have no directors)'];
  const reasons: string[] = [];
  const cell = (d: string, phase?: (typeof PHASES)[number]): string => {
    const c = directorCount(r.hits, d, phase);
    if (c.value !== null) return String(c.value);
    let i = reasons.indexOf(c.reason ?? '');
    if (i < 0) i = reasons.push(c.reason ?? '') - 1;
    return `${NOT_MEASURED} [${i + 1}]`;
  };
  const rows = [['DIRECTOR', ...PHASES.map((p) => p.toUpperCase()), 'WHOLE RUN']];
  for (const d of dirs) rows.push([d, ...PHASES.map((p) => cell(d, p)), cell(d)]);
  return [
    'new connections per director (counter readings at the phase boundaries):',
    table(rows),
    ...PHASES.map((p) => `  ${p}: ${directorCountsNote(r.hits.perPhase[p]?.directors)}`),
    ...reasons.map((x, i) => `  [${i + 1}] ${NOT_MEASURED}: ${x}`),
  ];
}

/** A value to its figure's resolution (fmtMeasured), integers for counts. */
function fmt(v: number | null, f: Figure | undefined): string {
  if (v === null) return 'n/a';
  if (!f) return Number.isInteger(v) ? String(v) : fmtMeasured(v, null);
  return fmtMeasured(v, f.resolution ?? (f.unit === 'count' ? 1 : null), f.unit);
}

/** With --capture: where the pcaps are, and every capture that has none (with why). */
export function captureLines(r: RunResults, perRun: boolean): string[] {
  if (!r.captures) return [];
  const written = r.captures.filter((c) => c.file !== undefined);
  const bytes = written.reduce((n, c) => n + (c.bytes ?? 0), 0);
  const run = perRun ? ` (run ${r.run})` : '';
  return [
    '',
    `captures${run}: ${written.length} of ${r.captures.length} links, ${(bytes / 1e6).toFixed(1)} MB in ${perRun ? `run-${r.run}/` : ''}captures/`,
    ...r.captures.filter((c) => c.file === undefined).map((c) => `FAIL  capture of ${c.node}:${c.interface}${run}: ${c.error ?? 'no pcap'}`),
  ];
}
