// The table `lvslab run` prints at the end: the key figures with their resolution, and
// every assertion with its verdict.
import type { RunExperimentResult } from '../experiment/run.js';
import { table } from './commands/shared.js';

export function formatRunSummary(result: RunExperimentResult): string {
  const lines: string[] = [];
  const first = result.runs[0];
  if (!first) return 'no run completed';
  lines.push(`${first.experiment.name} on ${first.lab.name} (${first.lab.runtime}, ${first.lab.dataplane === 'nftables' ? 'NFTABLES FALLBACK, not kernel IPVS' : 'kernel IPVS'})`);
  lines.push('');
  if (result.repeat) {
    const rows = [['FIGURE', 'MEDIAN', 'P95', 'MIN', 'MAX', 'UNIT']];
    for (const [name, a] of Object.entries(result.repeat.aggregate)) {
      if (a.n === 0) continue;
      rows.push([name, fmt(a.median), fmt(a.p95), fmt(a.min), fmt(a.max), a.unit]);
    }
    lines.push(table(rows));
  } else {
    const rows = [['FIGURE', 'VALUE', 'UNIT', 'RESOLUTION']];
    for (const [name, f] of Object.entries(first.figures)) {
      rows.push([name, f.value === null ? `n/a${f.note ? ` (${f.note})` : ''}` : fmt(f.value), f.unit, f.resolution === null ? '' : String(Number(f.resolution.toPrecision(2)))]);
    }
    lines.push(table(rows));
  }
  lines.push('');
  for (const r of result.runs) {
    for (const a of r.assertions) {
      lines.push(`${a.passed ? 'PASS' : 'FAIL'}  ${a.expression}${result.runs.length > 1 ? `  (run ${r.run})` : ''}  — actual ${a.actual === null ? 'n/a' : fmt(a.actual)}`);
    }
  }
  for (const r of result.runs) {
    for (const s of r.timeline.filter((x) => !x.ok)) lines.push(`FAIL  timeline step ${s.step} (${s.action} ${s.node}): ${s.detail}`);
  }
  lines.push('', `results: ${result.dir}/results.json, report.md, report.html, junit.xml`);
  lines.push(result.passed ? 'every assertion held' : 'FAILED: an assertion or a timeline step failed');
  return lines.join('\n');
}

function fmt(v: number | null): string {
  if (v === null) return 'n/a';
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}
