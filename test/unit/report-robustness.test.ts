// Whatever a run managed to record, every renderer produces a complete, well-formed report:
// a run cut short has empty arrays, null figures and no topology.
import { describe, expect, it } from 'vitest';
import type { Figure, FigureName, RunResults } from '../../src/experiment/types.js';
import { FIGURE_NAMES, RESULTS_SCHEMA } from '../../src/experiment/types.js';
import { renderCompare } from '../../src/report/compare.js';
import { renderHtml } from '../../src/report/html.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { failoverRun } from '../fixtures/results/load-fixtures.js';
import { xmlProblem } from '../fixtures/results/xml-wellformed.js';

function emptyRun(): RunResults {
  const fig: Figure = { value: null, unit: 's', method: 'not computed', resolution: null, note: 'the run was interrupted' };
  return {
    schema: RESULTS_SCHEMA,
    experiment: { name: 'empty', description: '', file: 'e.yaml' },
    lab: { name: 'l', instance: 'l', file: 'l.yaml', runtime: 'netns', dataplane: 'ipvs' },
    manifest: {
      lvslab: '0.1.0', kernel: 'k', node: 'v20', runtime: 'netns', dataplane: 'ipvs', dataplaneDetail: 'kernel IPVS', seed: 1,
      labFile: 'l.yaml', labSha256: '0', experimentFile: 'e.yaml', experimentSha256: '0', host: { cpus: 1, hostname: 'h' },
      startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z',
    },
    run: 1,
    trafficStart: 1_767_225_600_000,
    trafficEnd: 1_767_225_600_000,
    timeline: [],
    figures: Object.fromEntries(FIGURE_NAMES.map((n) => [n, fig])) as Record<FigureName, Figure>,
    hits: { perRealServer: {}, perDirector: {}, expectedShare: {}, perPhase: { before: { perRealServer: {}, perDirector: {} }, during: { perRealServer: {}, perDirector: {} }, after: { perRealServer: {}, perDirector: {} } } },
    perSecond: [],
    per100ms: [],
    snapshots: [],
    routeEvents: [],
    logs: [],
    longLived: [],
    assertions: [],
    crossCheck: { clientOk: {}, directorCounters: {}, nginxLog: {}, agree: false, note: 'nothing to compare' },
    requestsFile: 'requests.ndjson',
  };
}

describe('reports of an empty or interrupted run', () => {
  it('render without throwing and stay well-formed', () => {
    const r = emptyRun();
    const md = renderMarkdown(r);
    expect(md).toContain('The experiment has no `expect:` lines.');
    expect(md).toContain('No router snapshot recorded a VIP route.');
    expect(md).toContain('The experiment has no timeline.');
    const html = renderHtml(r);
    expect(xmlProblem(html)).toBeUndefined();
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
    expect(xmlProblem(renderJunit(r))).toBeUndefined();
    const cmp = renderCompare(r, failoverRun());
    expect(xmlProblem(cmp.html)).toBeUndefined();
    expect(cmp.markdown).toContain('| `outage_s` | s | — | 4.133 | — | — |');
  });

  it('long logs are cut in the chronology with a pointer to results.json', () => {
    const r = failoverRun();
    const first = r.logs[0]!;
    r.logs = Array.from({ length: 1000 }, (_, i) => ({ ...first, t: first.t + i, text: `line ${i}` }));
    const md = renderMarkdown(r);
    expect(md).toMatch(/\*\d+ more entries are in results\.json/);
    const html = renderHtml(r);
    expect(xmlProblem(html)).toBeUndefined();
    expect(html).toMatch(/<details><summary>1004 entries<\/summary>/);
    expect(html).toMatch(/604 more entries are in results\.json/);
  });
});
