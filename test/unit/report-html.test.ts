import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { EVIL, evilRun, failoverRun, repeatRuns, repeatSummary } from '../fixtures/results/load-fixtures.js';
import { xmlProblem } from '../fixtures/results/xml-wellformed.js';

const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

/** The markup of the element with this id (sections are not nested in each other). */
function sectionById(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  expect(start, `section #${id}`).toBeGreaterThan(0);
  return html.slice(start, html.indexOf('</section>', start));
}

/** Every URL the page would load or link to (src, href, CSS url(), @import). */
function references(html: string): string[] {
  const css = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!).join('\n');
  return [
    ...[...html.matchAll(/\s(?:src|href|xlink:href|action|poster|data)\s*=\s*"([^"]*)"/g)].map((m) => m[1]!),
    ...[...css.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1]!),
    ...[...css.matchAll(/@import\s+([^;]+)/g)].map((m) => m[1]!),
    ...[...html.matchAll(/\sstyle="([^"]*url\([^"]*)"/g)].map((m) => m[1]!),
  ];
}

describe('renderHtml (one run)', () => {
  const html = renderHtml(failoverRun());

  it('is one well-formed, self-contained page: no script, no external reference', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(xmlProblem(html)).toBeUndefined();
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(references(html)).toEqual([]);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(count(html, /<style>/g)).toBe(1);
  });

  it('has the sections and the charts', () => {
    for (const id of ['summary', 'timeline', 'topology', 'hits', 'routes', 'figures', 'actions', 'crosscheck', 'manifest']) {
      expect(html).toContain(`id="${id}"`);
    }
    expect(count(html, /<svg class="chart timeline-chart"/g)).toBe(1);
    expect(count(html, /<svg class="chart hits-chart"/g)).toBe(1);
    expect(count(html, /<svg class="chart topology"/g)).toBe(1);
  });

  it('draws successes per server and failures, and marks each action on the time axis', () => {
    const chart = sectionById(html, 'timeline');
    expect(count(chart, /class="series series-ok"/g)).toBe(2);
    expect(count(chart, /class="series series-failed"/g)).toBe(1);
    expect(count(chart, /<g class="event-marker">/g)).toBe(2);
    expect(chart).toContain('silent-failure lb2 eth0 @ 10.0 s');
    expect(chart).toContain('silent-restore lb2 eth0 @ 25.0 s');
    // the route monitor's two changes, and the next-hop lane 2 -> 1 -> 2
    expect(count(chart, /class="route-event"/g)).toBe(2);
    expect(count(chart, /class="hop-step"/g)).toBe(3);
    expect(chart).toMatch(/>1 next hop</);
  });

  it('tabulates each phase with the directors\' counts, their doubt and the whole run they add up to', () => {
    const hits = sectionById(html, 'hits');
    expect(hits).toContain('<td>during</td><td>10.0–25.0 s</td><td class="num">2\u2009594</td><td class="num">2\u2009594</td><td class="num">5\u2009186</td><td class="num">2</td><td class="muted">±8 (readings within 0.01 s of the boundaries)</td>');
    expect(hits).toContain('<tr class="total"><td><b>whole run</b></td><td>0.0–40.0 s</td><td class="num">7\u2009523</td><td class="num">7\u2009523</td><td class="num">10\u2009454</td><td class="num">4\u2009734</td>');
    expect(hits).not.toContain('not measured');
  });

  it('shows "not measured" with the reason where a director count is missing, in the table and the bars, never 0', () => {
    const r = failoverRun();
    r.hits.perDirector = { lb1: 10454, lb2: null };
    r.hits.directors!.notMeasured = { lb2: "the 'after' snapshot has no counter of director lb2 for service web" };
    r.hits.perPhase.after.perDirector = { lb1: 3313, lb2: null };
    r.hits.perPhase.after.directors!.notMeasured = { lb2: "the 'after' snapshot has no counter of director lb2 for service web" };
    const hits = sectionById(renderHtml(r), 'hits');
    expect(count(hits, /<td class="num not-measured" title="the &#39;after&#39; snapshot has no counter of director lb2 for service web">not measured <sup>1<\/sup><\/td>/g)).toBe(2);
    expect(hits).toContain('<sup>1</sup> not measured: the &#39;after&#39; snapshot has no counter of director lb2 for service web');
    expect(count(hits, /class="bar-value"/g)).toBe(3); // lb2 has no bar, and lb1 no share of a partial total
    expect(hits).toContain('<text class="not-measured"');
    expect(hits).toContain('lb1: 10454 (—)');
  });

  it('prints every resolution and value with the digits the resolution allows', () => {
    const figures = sectionById(html, 'figures');
    expect(figures).toMatch(/<code>outage_s<\/code><\/td><td class="num">4\.133<\/td><td class="unit">s<\/td><td class="num">0\.003<\/td>/);
    const r = failoverRun();
    r.figures.outage_s = { ...r.figures.outage_s, value: 3.97999997, resolution: 0.00238598632812 };
    const page = renderHtml(r);
    expect(page).toContain('resolution 0.002 s');
    expect(sectionById(page, 'figures')).toMatch(/<code>outage_s<\/code><\/td><td class="num">3\.980<\/td><td class="unit">s<\/td><td class="num">0\.002<\/td>/);
    expect(page).not.toContain('0.00238598632812');
  });

  it('draws bars per real server and per director with the reference share', () => {
    const hits = sectionById(html, 'hits');
    expect(count(hits, /class="bar-value"/g)).toBe(4);
    expect(hits).toContain('rs1: 7523 (50.0 %)');
    expect(hits).toContain('configured share: 50.0 %');
    expect(hits).toContain('even split: 50.0 %');
  });

  it('draws the lab with the failed interface marked', () => {
    const topo = sectionById(html, 'topology');
    expect(count(topo, /<g class="node /g)).toBe(7);
    expect(count(topo, /<g class="node node-director failed">/g)).toBe(1);
    expect(count(topo, /class="drop failed"/g)).toBe(1);
    expect(count(topo, /class="failure-mark"/g)).toBe(1);
    expect(topo).toContain('✕ silent-failure eth0');
    expect(topo).toContain('lan 10.0.1.0/24');
  });

  it('highlights the next hop missing from the route during the failure', () => {
    const routes = sectionById(html, 'routes');
    expect(count(routes, /<span class="chip missing" title="missing">10\.0\.1\.135 \(lb2\)<\/span>/g)).toBe(1);
    expect(routes).toContain('<span class="count less">1 next hop</span>');
    expect(routes).toContain('<span class="hop missing">via 10.0.1.135 (lb2) dev eth0</span>');
    expect(routes).toContain('<span class="hop missing">gone</span>');
  });

  it('shows the fallback banner for nftables only', () => {
    expect(html).toContain('FALLBACK DATAPLANE: nftables, NOT kernel IPVS');
    const ipvs = failoverRun();
    ipvs.lab.dataplane = 'ipvs';
    ipvs.manifest.dataplane = 'ipvs';
    ipvs.manifest.dataplaneDetail = 'kernel IPVS';
    const other = renderHtml(ipvs);
    expect(other).not.toContain('class="fallback"');
    expect(other).toContain('dataplane <b>kernel IPVS</b>');
  });

  it('shows the verdict and the failed assertion', () => {
    expect(html).toContain('<span class="badge fail">FAILED</span>');
    const summary = sectionById(html, 'summary');
    expect(summary).toMatch(/<tr class="failed"><td class="fail">FAIL<\/td><td><code>failed_refused == 0<\/code><\/td>/);
    expect(count(summary, /<td class="pass">PASS<\/td>/g)).toBe(3);
  });

  it('escapes every string from the data', () => {
    const evil = renderHtml(evilRun());
    expect(evil).not.toMatch(/<script/i);
    expect(xmlProblem(evil)).toBeUndefined();
    expect(evil).toContain('lb2&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;');
    // the failed, renamed node is still recognised and marked in the drawing
    expect(evil).toContain('<g class="node node-director failed">');
    expect(EVIL).toContain('<script>');
  });

  it('draws from the records when results.json has no topology', () => {
    const r = failoverRun();
    delete r.topology;
    const out = renderHtml(r);
    expect(xmlProblem(out)).toBeUndefined();
    expect(out).toContain('results.json has no topology');
    const topo = sectionById(out, 'topology');
    expect(count(topo, /<g class="node /g)).toBe(5); // router, 2 directors, 2 real servers
  });
});

describe('renderHtml (--repeat)', () => {
  it('lists the runs, stacks their timelines and tabulates the aggregate', () => {
    const html = renderHtml(repeatSummary(), repeatRuns());
    expect(xmlProblem(html)).toBeUndefined();
    expect(html).not.toMatch(/https?:\/\/|<script/);
    expect(html).toContain('1 of 3 runs passed');
    expect(count(html, /<svg class="chart timeline-chart"/g)).toBe(3);
    expect(html).toContain('<a href="run-2/report.html">run-2/report.html</a>');
    expect(sectionById(html, 'aggregate')).toContain('<code>outage_s</code>');
  });
});
